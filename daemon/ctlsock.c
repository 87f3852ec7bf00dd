/*
 * The control socket (biofed status and the CLI's requests, answered on
 * the loop) and the wake socket (biofed publish's nudge, read by a thread
 * of its own that posts an event).
 */
#include <nng/nng.h>
#include <errno.h>
#include <jansson.h>
#include <nng/protocol/reqrep0/rep.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control.h"
#include "daemon.h"

/* --- control socket -------------------------------------------------------- */

nng_msg *daemon_ctx_received(nng_ctx ctx, nng_aio *aio, int *sending)
{
	int rv = nng_aio_result(aio);

	if (*sending) {
		*sending = 0;
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(aio));
	} else if (rv == 0) {
		return nng_aio_get_msg(aio);
	}
	if (rv != NNG_ECLOSED)
		nng_ctx_recv(ctx, aio);
	return NULL;
}

static void ctl_cb(void *arg)
{
	struct ctl_ctx *c = arg;
	nng_msg *m = daemon_ctx_received(c->ctx, c->aio, &c->sending);

	if (m)
		daemon_post(c->d, EV_CONTROL_REQ, c, 0, m, 0);
}

void daemon_ctl_handle(struct daemon *d, struct ctl_ctx *c, nng_msg *msg)
{
	json_t *rep = NULL;
	struct control_req req;
	char *text;
	uint64_t uid = (uint64_t)-1;
	nng_msg *out;
	int woken = 0;

	/* the socket file is 0600; the caller's uid is checked as well */
	if (nng_pipe_get_uint64(nng_msg_get_pipe(msg), NNG_OPT_IPC_PEER_UID,
				&uid) != 0 ||
	    uid != (uint64_t)getuid()) {
		rep = json_pack("{s:s}", "error", "permission denied");
		log_msg(LOG_WARN, "control-denied", "uid=%llu",
			(unsigned long long)uid);
	} else if (control_parse_request(nng_msg_body(msg), nng_msg_len(msg),
					 &req, NULL) == 0) {
		if (req.cmd == CONTROL_STATUS) {
			rep = status_json(d);
		} else {
			/* answered first: the caller (a publish) goes on
			 * while the news goes out */
			woken = 1;
			rep = json_pack("{s:b}", "ok", 1);
		}
	} else {
		rep = json_pack("{s:s}", "error",
				"unknown request (status, wake)");
	}
	nng_msg_free(msg);
	text = json_dumps(rep, JSON_COMPACT);
	json_decref(rep);
	if (!text || nng_msg_alloc(&out, 0) != 0) {
		free(text);
		nng_ctx_recv(c->ctx, c->aio);
	} else {
		nng_msg_append(out, text, strlen(text));
		free(text);
		c->sending = 1;
		nng_aio_set_msg(c->aio, out);
		nng_ctx_send(c->ctx, c->aio);
	}
	if (woken)
		daemon_refresh(d);
}

int daemon_control_start(struct daemon *d)
{
	char path[PATH_MAX + 64], url[PATH_MAX + 80];
	nng_listener l;
	int rv;

	node_file(&d->node, CONTROL_FILE, path, sizeof(path));
	unlink(path); /* a stale socket of a previous run */
	snprintf(url, sizeof(url), "ipc://%s", path);
	if ((rv = nng_rep0_open(&d->ctl)) != 0)
		return rv;
	d->ctl_open = 1;
	nng_socket_set_size(d->ctl, NNG_OPT_RECVMAXSZ, 65536);
	if ((rv = nng_listener_create(&l, d->ctl, url)) != 0 ||
	    (rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0)
		return rv;
	chmod(path, 0600);
	for (int i = 0; i < 2; i++) {
		struct ctl_ctx *c = &d->ctl_ctx[i];
		c->d = d;
		if ((rv = nng_ctx_open(&c->ctx, d->ctl)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, ctl_cb, c)) != 0)
			return rv;
		nng_ctx_recv(c->ctx, c->aio);
	}
	return 0;
}

/* --- wake socket (control.h) ---------------------------------------------- */

static void *wake_thread(void *arg)
{
	struct daemon *d = arg;
	char buf[64];

	while (!atomic_load(&d->stop_requested)) {
		struct pollfd pfd = {d->wake_fd, POLLIN, 0};
		int any = 0;

		if (poll(&pfd, 1, 250) <= 0)
			continue;
		while (recv(d->wake_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			any = 1;
		if (any && !atomic_exchange(&d->wake_queued, 1))
			daemon_post(d, EV_WAKE, NULL, 0, NULL, 0);
	}
	return NULL;
}

/* Without a wake socket the control socket's "wake" and the periodic look
 * at the log still work: a failure is logged, not fatal. */
void daemon_wake_start(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_MAX + 64];
	mode_t old;
	int rc;

	d->wake_fd = -1;
	node_file(&d->node, WAKE_FILE, path, sizeof(path));
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_msg(LOG_WARN, "wake-failed", "path too long: %s", path);
		return;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path); /* a stale socket of a previous run */
	if ((d->wake_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		log_msg(LOG_WARN, "wake-failed", "socket: %s", strerror(errno));
		return;
	}
	old = umask(0177); /* created 0600: only this user may wake us */
	rc = bind(d->wake_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 ||
	    pthread_create(&d->wake_tid, NULL, wake_thread, d) != 0) {
		log_msg(LOG_WARN, "wake-failed", "%s: %s", path,
			rc ? strerror(errno) : "cannot start its thread");
		if (rc == 0)
			unlink(path);
		close(d->wake_fd);
		d->wake_fd = -1;
	}
}

void daemon_wake_stop(struct daemon *d)
{
	char path[PATH_MAX + 64];

	if (d->wake_fd < 0)
		return;
	/* the thread looks four times a second */
	atomic_store(&d->stop_requested, 1);
	pthread_join(d->wake_tid, NULL);
	close(d->wake_fd);
	d->wake_fd = -1;
	node_file(&d->node, WAKE_FILE, path, sizeof(path));
	unlink(path);
}
