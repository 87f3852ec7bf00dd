/*
 * events: what nng's threads (and biofedd's own: signals, the wake
 * socket, the fetch worker) hand to the main loop.  A queue under a
 * mutex: any thread posts, the loop alone takes.  It knows nothing of
 * peers or servers: an event's obj is whatever the poster names, and the
 * loop dispatches on its type.
 *
 * Who owns an nng_msg, at each hand-over:
 *  - events_post takes msg: the event owns it from then on (it is freed
 *    there when the event cannot be queued: the exchange is lost, and
 *    anti-entropy repeats it);
 *  - events_next hands the event to the loop, which frees it and gives
 *    e->msg to the handler of its type: server_handle, peer_handle and
 *    daemon_ctl_handle take it (they free it, or send it on);
 *  - events_purge and events_drain free the messages of what they drop;
 *  - events_aio_msg puts a new message on an aio for nng_ctx_send: nng
 *    takes it when the send succeeds; when it fails, the aio still holds
 *    it and the aio's callback frees it (daemon_ctx_received, peer.c's
 *    chan_cb).
 */
#ifndef BIOFED_EVENTS_H
#define BIOFED_EVENTS_H

#include <nng/nng.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum ev_type {
	EV_SERVER_REQ,     /* a request arrived on a server context */
	EV_PEER_DONE,      /* a client exchange completed (reply or error) */
	EV_CONTROL_REQ,    /* a control-socket request */
	EV_PIPE_GONE,      /* an inbound connection closed */
	EV_SIGNAL,         /* result: the signal */
	EV_FETCH_DONE,     /* the fetch worker finished */
	EV_WAKE,           /* a datagram on the wake socket */
	EV_PEER_PIPE_UP,   /* a dialed connection opened (result: socket id) */
	EV_PEER_PIPE_DOWN, /* ... closed */
};

struct event {
	enum ev_type type;
	struct event *next;
	void *obj;    /* srv_ctx, peer channel or control ctx */
	int result;   /* nng result, socket id or signal, by type */
	nng_msg *msg; /* owned by the event until the handler takes it */
	uint32_t pipe;
};

struct events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event *head, *tail;
};

/* The queue lives as long as the process: nng's threads may post until
 * the last socket is closed, which a stuck nng never finishes. */
void events_init(struct events *q);
/* Queues an event; from any thread.  Takes msg (may be NULL). */
void events_post(struct events *q, enum ev_type type, void *obj, int result,
		 nng_msg *msg, uint32_t pipe);
/* The next event, waiting up to timeout_ms (0: not at all); NULL when
 * none came.  The caller frees it (free()) and owns its msg. */
struct event *events_next(struct events *q, int timeout_ms);
/* Drops queued events whose object lies in [obj, obj + size): a peer or
 * a context that is going away. */
void events_purge(struct events *q, const void *obj, size_t size);
/* Drops everything queued (at shutdown: events posted while closing). */
void events_drain(struct events *q);

/* Puts on aio a new message holding a copy of b, for nng_ctx_send (who
 * frees it: see above).  BF_ENOMEM when none could be made. */
int events_aio_msg(nng_aio *aio, const struct bf_buf *b);

#endif
