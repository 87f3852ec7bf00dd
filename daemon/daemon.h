/*
 * biofedd's shared state.  One thread (the main loop in loop.c) owns the
 * replica and every decision; nng callbacks only move messages and post
 * events to it, so they never block on SQLite or on the network.
 *
 *   biofedd.c  main(): options, checks, the node opened, then the loop
 *   loop.c     start-up, the main loop, signals, cron, reload, shutdown
 *   fetchwork.c  external sources: downloaded and decoded on a worker
 *              thread, published by the loop (fetchwork.h)
 *   events.c   the queue from nng's threads to the loop (events.h)
 *   closer.c   sockets closed off the loop; a stuck nng noticed (closer.h)
 *   ctlsock.c  the control socket and the wake socket
 *   preflight.c  what start-up needs, checked first (and by biofedd -n)
 *   server.c   the listening side: hello, pull (long-poll), push
 *   peer.c     the dialing side: one client per configured peer
 *   replica.c  the loop's replica: its vector, applying, what a peer gets
 *              (the decisions are src/sync.h's)
 *   tlsconf.c  TLS configurations built from the roster's certificates
 *   status.c   the control socket's status reply; what a peer's state is
 *   metrics.c  Prometheus metrics over nng's HTTP server (node.metrics)
 *   monitor.c  counters and lag bookkeeping for those two (monitor.h)
 *   promtext.c the Prometheus text format (promtext.h)
 *
 * Who calls whom, without circles: biofedd.c calls loop.c, loop.c calls
 * the others, nothing calls either.  server.c and peer.c call replica.c,
 * tlsconf.c, events.c and closer.c (server.c also ctlsock.c's
 * daemon_ctx_received); ctlsock.c calls status.c, replica.c and
 * events.c; metrics.c calls status.c; replica.c calls tlsconf.c;
 * fetchwork.c calls replica.c and events.c.  A change to the local vector
 * that peers must hear of sets d->changed (replica.c), and the loop acts
 * on it after the event: parked pulls are answered, every peer is ticked.
 */
#ifndef BIOFED_DAEMON_H
#define BIOFED_DAEMON_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "events.h"
#include "log.h"
#include "monitor.h"
#include "node.h"
#include "sync.h"
#include "vv.h"
#include "wire.h"

#define SRV_CONTEXTS 64
#define BATCH_BYTES (8u << 20)   /* change-set bytes per BATCH/PUSH */
#define LONGPOLL_MS 20000        /* how long a pull waits for news */
#define HELLO_TIMEOUT_MS 10000

struct daemon;

/* --- server.c ------------------------------------------------------------ */
struct srv_ctx {
	struct daemon *d;
	nng_ctx ctx;
	nng_aio *aio;
	int sending;
	/* a parked long-poll */
	int parked;
	uint64_t deadline_ms;
	uint64_t max_bytes;
	uint32_t pipe;
	struct vv their;
};

/* An inbound connection's hello state. */
struct inbound {
	uint32_t pipe;
	struct sync_fork_marks forks;
	char slug[CS_MAX_ORIGIN + 1]; /* claimed in HELLO */
	uint8_t client_nonce[WIRE_NONCE], server_nonce[WIRE_NONCE];
	int authenticated;
	uint64_t errors;
	uint64_t since_ms;  /* when the connection came */
	char address[64];   /* its remote address, "" when unknown */
};

/* Listens on the node's address (config_listen_url).  0 when listening,
 * or when the node listens on nothing (listen = none);
 * SERVER_NO_ROSTER when no member could be accepted yet (a new node: it
 * listens once the roster arrives); <0 when it cannot listen.  why gets
 * the reason for either. */
#define SERVER_NO_ROSTER 1
int server_start(struct daemon *d, char *why, size_t n);
void server_stop(struct daemon *d);  /* stops listening */
void server_close(struct daemon *d); /* and closes the socket */
/* A request that came on context c (EV_SERVER_REQ): takes msg, and frees
 * it once answered (a reply is a new message); a parked pull is answered
 * later by server_wake. */
void server_handle(struct daemon *d, struct srv_ctx *c, nng_msg *msg);
void server_pipe_gone(struct daemon *d, uint32_t pipe);
/* Answers parked pulls that now have news, and those whose time is up. */
void server_wake(struct daemon *d, int changed);
/* Logs connections that nng refused below the peer protocol (a TLS
 * certificate not in the roster...) from the listener's statistics: no
 * message of theirs ever reaches the main loop.  (Pipes that the
 * transport cut, e.g. for a message over NNG_OPT_RECVMAXSZ, are noted on
 * their peer-down line by server_pipe_gone.) */
void server_check_refusals(struct daemon *d);

/* --- peer.c -------------------------------------------------------------- */
enum peer_state { PEER_IDLE, PEER_HELLO, PEER_AUTH, PEER_READY };

struct peer_chan {
	struct peer *p;
	nng_ctx ctx;
	nng_aio *aio;
	int busy;      /* an exchange is in flight */
	int receiving; /* the request went out; waiting for the reply */
	enum wire_type sent;
};

struct peer {
	struct daemon *d;
	char endpoint[CONFIG_STR];
	char slug[CS_MAX_ORIGIN + 1]; /* learned from its hello */
	nng_socket sock;
	nng_dialer dialer;
	int open;
	enum peer_state state;
	struct peer_chan pull, push;
	uint8_t nonce[WIRE_NONCE];
	struct vv their; /* its vector as last heard */
	struct sync_fork_marks forks;
	int have_their;
	uint64_t backoff_ms, retry_at_ms, last_contact_ms, push_hold_ms;
	uint64_t bytes_in, bytes_out, errors, applied;
	char last_error[256];
	int verified; /* its hello was checked against the roster */
	/* for status and metrics (status.c); peer_open keeps them */
	struct peer_health {
		uint64_t opened_ms;     /* first opened (daemon start, reload) */
		uint64_t up_since_ms;   /* its hello last completed */
		uint64_t down_since_ms; /* it last went away */
		uint64_t last_error_ms;
		int ever_up;
		int pipes;              /* connections nng holds to it now */
	} h;
};

int peer_open(struct daemon *d, struct peer *p, const char *endpoint);
void peer_close(struct peer *p);
/* An exchange on channel ch finished (EV_PEER_DONE): result is nng's,
 * msg the reply when it is 0 (else NULL).  Takes msg and frees it. */
void peer_handle(struct daemon *d, struct peer_chan *ch, int result,
		 nng_msg *msg);
/* Starts whatever the peer needs next (hello after backoff, push). */
void peer_tick(struct daemon *d, struct peer *p);
/* A connection of a dialing socket opened or closed (EV_PEER_PIPE_*). */
void peer_pipe_event(struct daemon *d, int up, int socket_id);

/* --- status.c ------------------------------------------------------------- */
/* A dialed peer's state for people: "connected", "connecting" (not yet
 * connected since it was configured, for under PEER_CONNECT_GRACE_MS) or
 * "down" (went away, or never came); *since_ms when it entered it. */
#define PEER_CONNECT_GRACE_MS 15000
const char *status_peer_state(const struct peer *p, uint64_t now,
			      uint64_t *since_ms);
/* "listening", "off" (nothing to listen on), "no-roster" (no member to
 * accept yet) or "failed". */
const char *status_listener(struct daemon *d);
/* The control socket's status reply (caller frees with json_decref). */
struct json_t;
struct json_t *status_json(struct daemon *d);
/* Once a second from the cron: the rate sample and the last time a peer
 * link was up. */
void status_tick(struct daemon *d);

/* --- metrics.c ------------------------------------------------------------ */
/* Serves /metrics on node.metrics (nothing when it is empty); a failure
 * is logged (metrics-failed) and shown by status, not fatal. */
void metrics_start(struct daemon *d);
/* Renders the metrics for the HTTP thread, at most once a second. */
void metrics_tick(struct daemon *d);
void metrics_stop(struct daemon *d);

/* --- tlsconf.c ------------------------------------------------------------ */
/* Builds a TLS configuration from this node's certificate and key and the
 * roster's member certificates.  Without members (a node that has not
 * received the roster yet) a client config verifies nothing: everything it
 * will receive is signed, and the coordinator's key is pinned; a server
 * config is refused with BF_ENOENT (nobody could be accepted).  Other
 * failures are BF_EINVAL; err says what. */
int tlsconf_build(struct daemon *d, int server, nng_tls_config **out,
		  int *verified, struct bf_err *err);
/* A digest of the roster's certificates, to notice when they change. */
void tlsconf_roster_digest(struct daemon *d, uint8_t out[CS_HASH_LEN]);

/* --- preflight.c ------------------------------------------------------- */
#define PREFLIGHT_REPORT 0x1 /* biofedd -n: print every check, passed or not */
/* Checks the node directory dir as start-up needs it: its permissions,
 * biofed.conf (readable, nobody else may write it), the keys (present,
 * owner-only, parsable, matching each other and the roster), the replica
 * (opens), the listen address (free to bind) or listen = none with peers
 * to dial, and that no other biofedd runs there.  Each problem is printed
 * (PREFLIGHT_REPORT) or logged; returns how many there were. */
int preflight_run(const char *dir, int flags);

/* --- the daemon's state (loop.c owns it) -------------------------------- */
struct daemon {
	struct node node;
	char conf_path[PATH_MAX + 32];
	/* events from nng threads to the main loop */
	struct events ev;
	int stopping;
	/* nng's reaper is stuck: stop as for SIGTERM, then exec this
	 * program again in place (same pid) with the same arguments */
	int restart;
	/* set by the signal thread at SIGTERM/SIGINT: a batch being applied
	 * stops after the change set in hand (the rest comes next time) */
	atomic_int stop_requested;
	/* the local vector and a counter of log rows, to notice commits made
	 * by other processes (biofed publish) */
	struct vv local;
	int64_t log_mark;
	/* the local vector moved: the loop answers parked pulls and ticks
	 * the peers once the event in hand is done (daemon_changed) */
	int changed;
	/* server */
	nng_socket srv;
	nng_listener listener;
	int srv_open, listening;
	struct srv_ctx srv_ctx[SRV_CONTEXTS];
	struct inbound *in;
	size_t nin, capin;
	uint8_t roster_digest[CS_HASH_LEN];
	uint64_t roster_seq; /* the coordinator's seq at the last digest */
	int tls_dirty;
	/* clients */
	struct peer *peers;
	size_t npeers;
	/* control socket */
	nng_socket ctl;
	int ctl_open;
	struct ctl_ctx {
		struct daemon *d;
		nng_ctx ctx;
		nng_aio *aio;
		int sending;
	} ctl_ctx[2];
	/* wake socket (control.h): a thread turns datagrams into EV_WAKE,
	 * at most one queued at a time */
	int wake_fd;
	pthread_t wake_tid;
	atomic_int wake_queued;
	uint64_t started_ms;
	uint64_t applied, rejected;
	/* start-up and the listener's life: READY=1 went out; the status to
	 * exit with; a listener to bring back (after a roster change) until
	 * listen_deadline_ms, tried again at listen_next_ms */
	int ready, exit_code;
	int listen_pending;
	uint64_t listen_deadline_ms, listen_next_ms;
	/* the listener's refusal counters at the last look (server.c) */
	int refusal_listener;
	uint64_t refusals[5];
	uint64_t own_behind; /* seq of the origin-behind marker, or 0 */
	/* external programme data (one worker thread at a time) */
	pthread_t fetch_tid;
	int fetching;
	void *fetch_job;     /* the running job (fetchwork.c) */
	unsigned fetch_gen;  /* counts jobs: an event of an old one is stale */
	uint64_t last_fetch_check;
	/* status and metrics (monitor.h, metrics.c) */
	struct monitor mon;
	struct metrics *metrics;
	char metrics_error[512];
};

/* Posts an event to the loop (events_post: takes msg); from any thread. */
static inline void daemon_post(struct daemon *d, enum ev_type type, void *obj,
			       int result, nng_msg *msg, uint32_t pipe)
{
	events_post(&d->ev, type, obj, result, msg, pipe);
}

/* --- loop.c --------------------------------------------------------------- */
/* Starts the thread that turns SIGTERM, SIGINT and SIGHUP (blocked in
 * every other thread) into EV_SIGNAL events; -1 when it cannot. */
int daemon_signals_start(struct daemon *d);
/* What must be up before READY=1: the control socket, the listener, the
 * dialers, the metrics endpoint.  -1 when the node cannot work (logged). */
int daemon_start(struct daemon *d);
/* The loop, until d->stopping: events, then d->changed acted on, then
 * the cron; WATCHDOG=1 every watchdog_us / 2 (0: no watchdog). */
void daemon_run(struct daemon *d, uint64_t watchdog_us);
/* Closes everything daemon_start opened, waits (a little) for the socket
 * closes, frees what events still hold; the node stays open. */
void daemon_shutdown(struct daemon *d);

/* --- replica.c ------------------------------------------------------------ */
/* Applies one change set from a peer; logs the outcome.  Returns 0 when
 * applied, 1 when it was already present (nothing changed), <0 when
 * rejected. */
int daemon_apply(struct daemon *d, const char *from, const uint8_t *cs,
		 size_t len);
/* Applies the change sets of batch m from `from` (daemon_apply) in
 * order, until SIGTERM asks to stop: the rest comes next time.
 * *applied and *rejected count them (a duplicate is neither).  Returns 1
 * when it stopped before the end, else 0. */
int daemon_apply_batch(struct daemon *d, const char *from,
		       const struct wire_msg *m, uint64_t *applied,
		       uint64_t *rejected);
/* Notes a peer's vector: what this node lacks (monitor.h), and later
 * change sets of our own origin there, which mean a restored backup and
 * block signing until fetched back (the origin-behind marker). */
void daemon_note_vector(struct daemon *d, const struct vv *their);
/* Re-reads the local vector; returns 1 when it changed. */
int daemon_refresh_vector(struct daemon *d);
/* After the local vector changed: d->changed for the loop (parked pulls,
 * pushes to peers), and d->tls_dirty when the roster moved. */
void daemon_changed(struct daemon *d);
/* Both: re-reads the local vector, and if it moved, daemon_changed. */
void daemon_refresh(struct daemon *d);
/* sync_collect from the local vector, at most WIRE_MAX_BATCH change
 * sets; a store failure is logged. */
int daemon_collect(struct daemon *d, const struct vv *their, size_t max_bytes,
		   struct bf_buf *b, size_t *count, int *more);
/* sync_fork_adjust against the local vector; each fork found is logged
 * (fork-detected, naming the peer). */
void daemon_fork_adjust(struct daemon *d, struct vv *their,
			struct sync_fork_marks *marks, const char *peer);
/* Has the roster changed since the TLS configuration was built from it?
 * (the loop then rebuilds it) */
int daemon_roster_moved(struct daemon *d);

/* ctlsock.c: the control socket (control.h's requests, answered on the
 * loop: daemon_ctl_handle takes msg and frees or sends it) and the wake
 * socket, read by a thread of its own that posts EV_WAKE. */
int daemon_control_start(struct daemon *d);
void daemon_ctl_handle(struct daemon *d, struct ctl_ctx *c, nng_msg *msg);
void daemon_wake_start(struct daemon *d);
void daemon_wake_stop(struct daemon *d);
/* The common part of a rep context's aio callback (server and control
 * socket): a finished send (freeing the message if it failed) or a failed
 * receive arms the next receive, unless the socket closed; returns the
 * request received (the caller owns it: it posts it), else NULL. */
nng_msg *daemon_ctx_received(nng_ctx ctx, nng_aio *aio, int *sending);

#endif
