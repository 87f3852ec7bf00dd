/*
 * loop: biofedd's main loop.  It owns the node and every decision: the
 * events that nng's threads, the signal thread and the fetch worker post
 * (events.h) are handled here one at a time; then what they changed is
 * told to the peers (d->changed); then the periodic work (cron) runs.
 * Start-up (what must be up before READY=1) and shutdown (what closes,
 * in which order) are here too; biofedd.c holds main() alone.
 */
#include <nng/nng.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "closer.h"
#include "control.h"
#include "daemon.h"
#include "fetchwork.h"
#include "schema.h"

static void *signal_thread(void *arg)
{
	struct daemon *d = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			atomic_store(&d->stop_requested, 1);
		daemon_post(d, EV_SIGNAL, NULL, sig, NULL, 0);
		if (sig != SIGHUP)
			return NULL;
	}
}

static int open_peers(struct daemon *d)
{
	d->peers = calloc(d->node.cfg.npeers ? d->node.cfg.npeers : 1,
			  sizeof(*d->peers));
	if (!d->peers)
		return BF_ENOMEM;
	d->npeers = d->node.cfg.npeers;
	for (size_t i = 0; i < d->npeers; i++)
		peer_open(d, &d->peers[i], d->node.cfg.peers[i]);
	return 0;
}

static void close_peers(struct daemon *d)
{
	for (size_t i = 0; i < d->npeers; i++) {
		peer_close(&d->peers[i]);
		vv_free(&d->peers[i].their);
	}
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}

static void reload(struct daemon *d)
{
	struct bf_config cfg;
	struct bf_err err;
	int lvl;

	if (config_load(d->conf_path, &cfg, &err) != 0) {
		log_msg(LOG_ERROR, "reload-failed", "%s (keeping the running "
			"configuration)", err.msg);
		return;
	}
	if (strcmp(cfg.slug, d->node.cfg.slug) != 0 ||
	    memcmp(cfg.coordinator_key, d->node.cfg.coordinator_key, 32) != 0) {
		log_msg(LOG_ERROR, "reload-failed",
			"node.slug and federation.coordinator_key cannot change "
			"while running; restart biofedd");
		return;
	}
	/* the listener is set up once, at start-up */
	if (strcmp(config_listen_url(&cfg), config_listen_url(&d->node.cfg)) ||
	    config_outbound_only(&cfg) != config_outbound_only(&d->node.cfg)) {
		log_msg(LOG_ERROR, "reload-failed",
			"node.listen and node.endpoint cannot change while "
			"running; restart biofedd (biofedd -n checks the new "
			"address first)");
		return;
	}
	close_peers(d);
	if (strcmp(cfg.metrics, d->node.cfg.metrics) != 0)
		metrics_stop(d);
	d->node.cfg = cfg;
	if (!d->metrics)
		metrics_start(d);
	lvl = log_level_parse(cfg.log_level);
	if (lvl > 0)
		log_set_level((enum log_level)lvl);
	open_peers(d);
	log_msg(LOG_INFO, "reloaded", "peers=%zu", d->npeers);
}

static void handle(struct daemon *d, struct event *e)
{
	switch (e->type) {
	case EV_SERVER_REQ:
		server_handle(d, e->obj, e->msg);
		break;
	case EV_PEER_DONE:
		peer_handle(d, e->obj, e->result, e->msg);
		break;
	case EV_CONTROL_REQ:
		daemon_ctl_handle(d, e->obj, e->msg);
		break;
	case EV_PIPE_GONE:
		server_pipe_gone(d, e->pipe);
		break;
	case EV_PEER_PIPE_UP:
	case EV_PEER_PIPE_DOWN:
		peer_pipe_event(d, e->type == EV_PEER_PIPE_UP, e->result);
		break;
	case EV_WAKE:
		atomic_store(&d->wake_queued, 0);
		daemon_refresh(d);
		break;
	case EV_FETCH_DONE: fetchwork_done(d, e->result); break;
	case EV_SIGNAL:
		if (e->result == SIGHUP) {
			reload(d);
		} else {
			log_msg(LOG_INFO, "stopping", "signal=%d", e->result);
			d->stopping = 1;
		}
		break;
	}
	free(e);
}

/* After an event, and after the cron's look at the log: a local vector
 * that moved (d->changed, replica.c) answers the parked pulls that now
 * have news, and each peer starts what it needs next (a push). */
static void wake_peers(struct daemon *d)
{
	if (!d->changed)
		return;
	d->changed = 0;
	server_wake(d, 1);
	for (size_t i = 0; i < d->npeers; i++)
		peer_tick(d, &d->peers[i]);
}

/* A close pending for too long: nng is stuck, restart in place
 * (closer.h). */
static void check_closing(struct daemon *d)
{
	if (d->restart || !closer_stuck())
		return;
	log_msg(LOG_ERROR, "nng-stuck",
		"%d socket close(s) pending for over %d s (nng 1.5.2 lost a "
		"TLS send that raced with a closing connection): restarting "
		"biofedd in place",
		closer_pending(), CLOSER_STUCK_MS / 1000);
	d->restart = 1;
	d->stopping = 1;
}

/* Logs why the node cannot listen, for journald and for systemd. */
static void listen_failed(struct daemon *d, const char *why)
{
	const char *url = config_listen_url(&d->node.cfg);
	char esc[1100];

	log_msg(LOG_ERROR, "listen-failed", "url=%s reason=\"%s\"", url,
		log_escape(why, strlen(why), esc, sizeof(esc)));
	sd_notifyf(0, "STATUS=cannot listen on %s: %s", url, esc);
}

/* Brings the listener back after server_stop (a roster change).  The old
 * one's port can take a moment to be free: tried again from the cron
 * until listen_deadline_ms; a listener that does not come back is fatal,
 * so that the service manager restarts the node instead of leaving it
 * deaf. */
static void listen_again(struct daemon *d)
{
	char why[512];
	int rv;

	if (!d->listen_pending || bf_now_ms() < d->listen_next_ms)
		return;
	rv = server_start(d, why, sizeof(why));
	if (rv >= 0) {
		d->listen_pending = 0;
		if (rv == SERVER_NO_ROSTER)
			log_msg(LOG_INFO, "listen-deferred",
				"url=%s reason=\"%s\"",
				config_listen_url(&d->node.cfg), why);
		return;
	}
	if (bf_now_ms() < d->listen_deadline_ms) {
		d->listen_next_ms = bf_now_ms() + 250;
		return;
	}
	listen_failed(d, why);
	d->exit_code = 1;
	d->stopping = 1;
}

/* Rebuilds the TLS configurations after the roster's certificates
 * changed: the listener restarts, and peers reconnect with the new trust
 * anchors (a node that started without a roster verifies its peers from
 * now on). */
static void refresh_tls(struct daemon *d)
{
	d->tls_dirty = 0;
	log_msg(LOG_INFO, "roster-changed", "rebuilding TLS configurations");
	server_stop(d);
	d->listen_pending = 1;
	d->listen_next_ms = 0;
	d->listen_deadline_ms = bf_now_ms() + 10000;
	listen_again(d);
	for (size_t i = 0; i < d->npeers; i++) {
		char ep[CONFIG_STR];
		snprintf(ep, sizeof(ep), "%s", d->peers[i].endpoint);
		peer_close(&d->peers[i]);
		peer_open(d, &d->peers[i], ep);
	}
}

static void cron(struct daemon *d, uint64_t *last_check)
{
	uint64_t now = bf_now_ms();

	if (d->tls_dirty)
		refresh_tls(d);
	listen_again(d);

	/* commits by other processes (biofed publish) when no wake came */
	if (now - *last_check >= 500) {
		*last_check = now;
		if (store_log_mark(d->node.store) != d->log_mark)
			daemon_refresh(d);
		wake_peers(d);
		server_check_refusals(d);
		check_closing(d);
		status_tick(d);
		metrics_tick(d);
	}
	closer_canary();
	server_wake(d, 0);
	for (size_t i = 0; i < d->npeers; i++)
		peer_tick(d, &d->peers[i]);
	if (now - d->last_fetch_check >= 1000) {
		d->last_fetch_check = now;
		fetchwork_tick(d);
	}
}

int daemon_signals_start(struct daemon *d)
{
	pthread_t tid;

	if (pthread_create(&tid, NULL, signal_thread, d) != 0)
		return -1;
	pthread_detach(tid);
	return 0;
}

/*
 * Everything the node needs before it tells systemd it is ready, in
 * order: the control socket, the listener (unless listen = none; a node
 * without a roster yet listens once it arrives), the dialers, the
 * metrics endpoint.  Returns
 * -1 when the node cannot work; what failed is logged.
 */
int daemon_start(struct daemon *d)
{
	const struct bf_config *cfg = &d->node.cfg;
	char why[512];
	int rv;

	if ((rv = daemon_control_start(d)) != 0) {
		log_msg(LOG_ERROR, "control-failed", "dir=%s error=\"%s\"",
			d->node.dir, nng_strerror(rv));
		return -1;
	}
	daemon_wake_start(d);
	rv = server_start(d, why, sizeof(why));
	if (rv < 0) {
		listen_failed(d, why);
		return -1;
	}
	if (rv == SERVER_NO_ROSTER) {
		if (cfg->npeers == 0) {
			listen_failed(d, "no roster member yet, and no "
					 "federation.peer to bring the roster");
			return -1;
		}
		log_msg(LOG_INFO, "listen-deferred",
			"url=%s reason=\"%s: listening once the roster arrives "
			"from a peer\"",
			config_listen_url(cfg), why);
	}
	if (config_outbound_only(cfg))
		log_msg(LOG_INFO, "outbound-only",
			"peers=%zu reason=\"node.listen = none: no connection "
			"accepted; pull, push and relay over the connections "
			"this node dials\"",
			cfg->npeers);
	open_peers(d);
	/* not fatal: a node without its metrics still syncs (status and
	 * metrics-failed say so) */
	metrics_start(d);
	return 0;
}

void daemon_run(struct daemon *d, uint64_t watchdog_us)
{
	uint64_t last_check = 0, last_watchdog = 0;

	while (!d->stopping) {
		struct event *e = events_next(&d->ev, 100);
		if (e) {
			handle(d, e);
			wake_peers(d);
		}
		/* drain what is queued before periodic work */
		while (!d->stopping && (e = events_next(&d->ev, 0)) != NULL) {
			handle(d, e);
			wake_peers(d);
		}
		cron(d, &last_check);
		if (watchdog_us &&
		    bf_now_ms() - last_watchdog >= watchdog_us / 2000) {
			last_watchdog = bf_now_ms();
			sd_notify(0, "WATCHDOG=1");
		}
	}
}

void daemon_shutdown(struct daemon *d)
{
	if (d->ready)
		sd_notify(0, d->restart ? "RELOADING=1" : "STOPPING=1");
	fetchwork_stop(d); /* bounded by the source's timeouts */
	daemon_wake_stop(d);
	metrics_stop(d);
	close_peers(d);
	server_close(d);
	if (d->ctl_open) {
		char path[PATH_MAX + 64];
		for (int i = 0; i < 2; i++)
			if (d->ctl_ctx[i].aio)
				nng_aio_stop(d->ctl_ctx[i].aio);
		closer_socket(d->ctl);
		for (int i = 0; i < 2; i++)
			if (d->ctl_ctx[i].aio)
				nng_aio_free(d->ctl_ctx[i].aio);
		node_file(&d->node, CONTROL_FILE, path, sizeof(path));
		unlink(path);
	}
	/* the closes run on their own threads: wait a little, not for ever
	 * (not at all when nng is known to be stuck) */
	for (int i = 0; i < (d->restart ? 0 : 300) && closer_pending() > 0; i++)
		usleep(10000);
	if (closer_pending() > 0)
		log_msg(LOG_WARN, "close-stuck",
			"%d socket close(s) did not finish; exiting anyway",
			closer_pending());
	/* events posted while closing carry messages to free */
	events_drain(&d->ev);
	free(d->in);
	vv_free(&d->local);
	monitor_free(&d->mon);
	node_close(&d->node);
}
