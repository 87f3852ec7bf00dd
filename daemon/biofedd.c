/*
 * biofedd: a biofed node.  Keeps the local replica in sync with the peers
 * the configuration names (and with whoever dials in), over nng with
 * mutual TLS.  The main loop (loop.c) owns the replica; nng threads post
 * events.  This file is main(): options, the start-up checks, the node
 * opened, then the loop; and the restart in place after it.
 *
 *   biofedd [-n] [-d DIR]     -n: check the node as start-up would, exit
 *
 * Start-up is truthful: READY=1 goes to systemd only once the replica is
 * open, the control socket and the listener are up (or the node listens
 * on nothing: listen = none) and the peers are being dialed; anything
 * that fails before is logged and the process exits with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon.h"

/* Runs this program again in place: same pid, same arguments.  nng's
 * sockets are not close-on-exec, so every descriptor but the standard
 * ones is marked so first: nothing of this image reaches the next. */
static void exec_self(char **argv)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < (int)max; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	log_msg(LOG_INFO, "restarting", "pid=%ld", (long)getpid());
	execv("/proc/self/exe", argv);
	log_msg(LOG_ERROR, "restart-failed", "exec: %s", strerror(errno));
}

static const char usage_text[] =
	"usage: biofedd [-n] [-d DIR]\n"
	"Runs a biofed node: keeps its replica in sync with the federation\n"
	"over mutual TLS.  Logs to stderr; SIGHUP reloads biofed.conf, SIGTERM\n"
	"stops.\n"
	"  -d, --dir DIR  the node directory (default: $BIOFED_DIR, else\n"
	"                 /var/lib/biofed for the user who owns it, else\n"
	"                 $XDG_DATA_HOME/biofed, else ~/.local/share/biofed)\n"
	"  -n, --check    check the node as start-up would (configuration,\n"
	"                 keys, permissions, replica, listen port), say what\n"
	"                 was checked and exit: 0 when it would start, 1 with\n"
	"                 each problem named\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"Exit status: 0 stopped by a signal, 1 could not start or failed,\n"
	"2 usage error.  man biofedd: the start-up checks and log events.\n";

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"dir", required_argument, 0, 'd'},
		{"check", no_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0}};
	static struct daemon dm;
	struct daemon *d = &dm;
	char dir[PATH_MAX];
	struct bf_err err;
	sigset_t set;
	uint64_t watchdog_us = 0;
	int ch, check_only = 0, lvl;

	dir[0] = 0;
	while ((ch = getopt_long(argc, argv, "d:nhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (snprintf(dir, sizeof(dir), "%s", optarg) >=
			    (int)sizeof(dir)) {
				fprintf(stderr, "biofedd: --dir: path too "
						"long\n");
				return 2;
			}
			break;
		case 'n':
			check_only = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("biofedd %s\n", BF_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "biofedd: unexpected argument \"%s\"\n%s",
			argv[optind], usage_text);
		return 2;
	}
	if (!dir[0] && node_default_dir(dir, sizeof(dir), &err)) {
		fprintf(stderr, "biofedd: %s\n", err.msg);
		return 1;
	}
	if (check_only)
		return preflight_run(dir, PREFLIGHT_REPORT) ? 1 : 0;
	/* signals go to one thread; nng's threads inherit this mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (preflight_run(dir, 0) != 0) {
		log_msg(LOG_ERROR, "startup-failed",
			"dir=%s reason=\"see above; biofedd -n -d DIR checks "
			"it all\"",
			dir);
		sd_notify(0, "STATUS=refused to start: biofedd -n says why");
		return 1;
	}
	if (node_open(&d->node, dir, NODE_KEY, &err)) {
		log_msg(LOG_ERROR, "startup-failed", "dir=%s reason=\"%s\"",
			dir, err.msg);
		return 1;
	}
	/* this connection applies other nodes' change sets (and signs only
	 * fetched sources', durably: fetchwork.c): a power loss may take
	 * back the last ones applied, which are pulled again */
	if (store_set_durable(d->node.store, 0, &err))
		log_msg(LOG_WARN, "sqlite", "%s", err.msg);
	node_file(&d->node, NODE_CONF, d->conf_path, sizeof(d->conf_path));
	lvl = log_level_parse(d->node.cfg.log_level);
	if (lvl > 0)
		log_set_level((enum log_level)lvl);
	events_init(&d->ev);
	d->started_ms = bf_now_ms();
	monitor_init(&d->mon, d->started_ms);
	daemon_refresh_vector(d);
	/* the roster the TLS setup below starts with (also when it is
	 * empty), then the coordinator's seq it belongs to */
	tlsconf_roster_digest(d, d->roster_digest);
	(void)daemon_roster_moved(d);
	if (daemon_signals_start(d) != 0) {
		log_msg(LOG_ERROR, "startup-failed",
			"reason=\"cannot start the signal thread\"");
		node_close(&d->node);
		return 1;
	}
	if (daemon_start(d) != 0) {
		log_msg(LOG_ERROR, "startup-failed",
			"node=%s reason=\"see above; not ready, exiting\"",
			d->node.cfg.slug);
		d->exit_code = 1;
		d->stopping = 1;
	} else {
		log_msg(LOG_INFO, "started", "node=%s version=%s peers=%zu",
			d->node.cfg.slug, BF_VERSION, d->npeers);
		sd_notify(0, "READY=1");
		d->ready = 1;
	}
	if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
		watchdog_us = 0;

	daemon_run(d, watchdog_us);
	daemon_shutdown(d);
	log_msg(LOG_INFO, "stopped", "applied=%llu rejected=%llu%s",
		(unsigned long long)d->applied,
		(unsigned long long)d->rejected,
		d->exit_code ? " status=1" : "");
	if (d->restart) {
		exec_self(argv);
		return 1; /* a service manager restarts it */
	}
	return d->exit_code;
}
