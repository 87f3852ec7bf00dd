/*
 * server: the listening side of the peer protocol.  A rep0 socket with a
 * pool of contexts; each request is handed to the main loop, which
 * answers at once or, for a pull with nothing new, parks the context until
 * something is committed or the pull's time is up (long-poll).
 *
 * A request is posted with EV_SERVER_REQ (the event owns it) and
 * server_handle frees it.  A reply is a new message (events_aio_msg) on
 * the context's aio: nng takes it when it is sent, daemon_ctx_received
 * frees it when the send failed.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closer.h"
#include "daemon.h"
#include "schema.h"

static void srv_cb(void *arg)
{
	struct srv_ctx *c = arg;
	nng_msg *m = daemon_ctx_received(c->ctx, c->aio, &c->sending);

	if (m)
		daemon_post(c->d, EV_SERVER_REQ, c, 0, m,
			    (uint32_t)nng_pipe_id(nng_msg_get_pipe(m)));
}

static uint64_t check_refusals(struct daemon *d, int take_other);

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)ev;
	daemon_post(arg, EV_PIPE_GONE, NULL, 0, NULL, (uint32_t)nng_pipe_id(p));
}

/* "127.0.0.1:41234" or "[::1]:41234" of a connection; "" when nng does
 * not say. */
static void pipe_address(uint32_t id, char *out, size_t n)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	nng_sockaddr sa;
	char ip[INET6_ADDRSTRLEN];

	out[0] = 0;
	p.id = id;
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		const uint8_t *a = (const uint8_t *)&sa.s_in.sa_addr;
		snprintf(out, n, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
			 (unsigned)ntohs(sa.s_in.sa_port));
	} else if (sa.s_family == NNG_AF_INET6 &&
		   inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip))) {
		snprintf(out, n, "[%s]:%u", ip,
			 (unsigned)ntohs(sa.s_in6.sa_port));
	}
}

static struct inbound *inbound_find(struct daemon *d, uint32_t pipe,
				    int create)
{
	for (size_t i = 0; i < d->nin; i++)
		if (d->in[i].pipe == pipe)
			return &d->in[i];
	if (!create)
		return NULL;
	if (bf_grow(&d->in, &d->capin, d->nin + 1, sizeof(*d->in), 16))
		return NULL;
	memset(&d->in[d->nin], 0, sizeof(d->in[0]));
	d->in[d->nin].pipe = pipe;
	d->in[d->nin].since_ms = bf_now_ms();
	pipe_address(pipe, d->in[d->nin].address, sizeof(d->in[0].address));
	return &d->in[d->nin++];
}

void server_pipe_gone(struct daemon *d, uint32_t pipe)
{
	char esc[128];
	const char *cut = "";
	int known = 0;

	/* a cut by the transport (e.g. a message over the size limit) shows
	 * only in the listener's counters: look now */
	if (check_refusals(d, 1))
		cut = " cut=\"by the transport: a message over the size "
		      "limit, or a reset connection\"";
	for (size_t i = 0; i < d->nin; i++) {
		if (d->in[i].pipe != pipe)
			continue;
		log_escape(d->in[i].slug, strlen(d->in[i].slug), esc,
			   sizeof(esc));
		if (d->in[i].authenticated)
			log_msg(LOG_INFO, "peer-down", "inbound=%s%s", esc, cut);
		else
			log_msg(LOG_INFO, "peer-down",
				"inbound=(unauthenticated) claimed=%s pipe=%u%s",
				esc, pipe, cut);
		d->in[i] = d->in[--d->nin];
		known = 1;
		break;
	}
	/* a connection that never completed a hello is worth a line too */
	if (!known)
		log_msg(LOG_INFO, "peer-down", "inbound=(no hello) pipe=%u%s",
			pipe, cut);
	for (int i = 0; i < SRV_CONTEXTS; i++) {
		struct srv_ctx *c = &d->srv_ctx[i];
		if (c->parked && c->pipe == pipe) {
			c->parked = 0;
			nng_ctx_recv(c->ctx, c->aio);
		}
	}
}

static void reply(struct srv_ctx *c, struct bf_buf *b)
{
	c->parked = 0;
	c->d->mon.bytes_out[MON_INBOUND] += b->len;
	if (events_aio_msg(c->aio, b) != 0) {
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}
	c->sending = 1;
	nng_ctx_send(c->ctx, c->aio);
}

static void reply_error(struct srv_ctx *c, enum wire_error code,
			const char *text)
{
	struct bf_buf b;

	bf_buf_init(&b, 0);
	if (wire_put_error(&b, code, text) == 0)
		reply(c, &b);
	else
		nng_ctx_recv(c->ctx, c->aio);
	bf_buf_free(&b);
}

/* Drops a connection that sent what no member would send. */
static void drop(struct srv_ctx *c, nng_msg *msg, const char *who,
		 const char *why)
{
	char esc[512];

	log_msg(LOG_WARN, "peer-dropped", "inbound=%s reason=\"%s\"", who,
		log_escape(why, strlen(why), esc, sizeof(esc)));
	nng_pipe_close(nng_msg_get_pipe(msg));
	nng_ctx_recv(c->ctx, c->aio);
}

static void send_batch(struct daemon *d, struct srv_ctx *c)
{
	struct bf_buf b;
	size_t count = 0;
	int more = 0;

	bf_buf_init(&b, WIRE_MAX_MSG);
	if (wire_put_header(&b, WIRE_BATCH) || vv_put(&b, &d->local) ||
	    daemon_collect(d, &c->their, (size_t)c->max_bytes, &b, &count,
			   &more)) {
		bf_buf_free(&b);
		reply_error(c, WIRE_ERR_BUSY, "cannot build a batch");
		return;
	}
	reply(c, &b);
	bf_buf_free(&b);
}

static void on_hello(struct daemon *d, struct srv_ctx *c, nng_msg *msg,
		     const struct wire_msg *m, uint32_t pipe)
{
	struct inbound *in = inbound_find(d, pipe, 1);
	struct bf_buf t, b;
	struct bf_err err;
	uint8_t sig[64];

	if (!in || RAND_bytes(in->server_nonce, WIRE_NONCE) != 1) {
		reply_error(c, WIRE_ERR_BUSY, "out of resources");
		return;
	}
	in->authenticated = 0;
	memcpy(in->client_nonce, m->nonce, WIRE_NONCE);
	memcpy(in->slug, m->slug.p, m->slug.len);
	in->slug[m->slug.len] = 0;
	bf_buf_init(&t, 0);
	bf_buf_init(&b, 0);
	if (wire_transcript(&t, "server", in->client_nonce, in->server_nonce,
			    in->slug, d->node.cfg.slug) ||
	    ed_sign(&d->node.key, t.p, t.len, sig, &err) ||
	    wire_put_hello(&b, WIRE_HELLO_OK, d->node.cfg.slug,
			   in->server_nonce, sig))
		reply_error(c, WIRE_ERR_BUSY, "cannot sign the hello");
	else
		reply(c, &b);
	(void)msg;
	bf_buf_free(&t);
	bf_buf_free(&b);
}

static void on_auth(struct daemon *d, struct srv_ctx *c, nng_msg *msg,
		    const struct wire_msg *m, uint32_t pipe)
{
	struct inbound *in = inbound_find(d, pipe, 0);
	uint8_t key[CS_KEY_LEN], hash[CS_HASH_LEN];
	uint64_t head = 0;
	struct bf_buf t, b;
	struct bf_err err;
	char esc[128];

	if (!in || !in->slug[0]) {
		reply_error(c, WIRE_ERR_UNAUTH, "hello first");
		return;
	}
	bf_buf_init(&t, 0);
	bf_buf_init(&b, 0);
	log_escape(in->slug, strlen(in->slug), esc, sizeof(esc));
	if (!bf_is_slug(in->slug) ||
	    strcmp(in->slug, SCHEMA_COORDINATOR) == 0 ||
	    store_head(d->node.store, in->slug, &head, hash, &err) ||
	    store_origin_key(d->node.store, in->slug, head + 1, key, &err)) {
		log_msg(LOG_WARN, "peer-denied", "inbound=%s reason=\"not a "
			"current member\"", esc);
		monitor_refused(&d->mon, MON_REF_HELLO, 1, in->address, in->slug,
				"not a current member", bf_now_ms());
		drop(c, msg, esc, "not a current member");
		goto out;
	}
	if (wire_transcript(&t, "client", in->client_nonce, in->server_nonce,
			    in->slug, d->node.cfg.slug) ||
	    ed_verify(key, t.p, t.len, m->sig) != 0) {
		log_msg(LOG_WARN, "peer-denied", "inbound=%s reason=\"hello "
			"signature does not verify\"", esc);
		monitor_refused(&d->mon, MON_REF_HELLO, 1, in->address, in->slug,
				"hello signature does not verify", bf_now_ms());
		drop(c, msg, esc, "bad hello signature");
		goto out;
	}
	in->authenticated = 1;
	log_msg(LOG_INFO, "peer-up", "inbound=%s", esc);
	if (wire_put_header(&b, WIRE_AUTH_OK) || vv_put(&b, &d->local))
		reply_error(c, WIRE_ERR_BUSY, "out of resources");
	else
		reply(c, &b);
out:
	bf_buf_free(&t);
	bf_buf_free(&b);
}

static void on_push(struct daemon *d, struct srv_ctx *c,
		    const struct wire_msg *m, struct inbound *in)
{
	uint64_t applied, rejected;
	struct bf_buf b;

	(void)daemon_apply_batch(d, in->slug, m, &applied, &rejected);
	in->errors += rejected;
	/* what it pushed, it holds: its parked pull must not get it back */
	for (int i = 0; i < SRV_CONTEXTS; i++) {
		struct srv_ctx *o = &d->srv_ctx[i];
		struct vv next = {0};
		if (!o->parked || o->pipe != c->pipe ||
		    vv_after(&next, &o->their, m) != 0) {
			vv_free(&next);
			continue;
		}
		vv_free(&o->their);
		o->their = next;
	}
	/* the others hear of it once this reply is out: daemon_changed
	 * leaves that to the loop, after this handler */
	if (applied) {
		daemon_refresh_vector(d);
		daemon_changed(d);
	}
	bf_buf_init(&b, 0);
	if (wire_put_header(&b, WIRE_PUSH_OK) || bf_put_uvarint(&b, applied) ||
	    bf_put_uvarint(&b, rejected) || vv_put(&b, &d->local))
		reply_error(c, WIRE_ERR_BUSY, "out of resources");
	else
		reply(c, &b);
	bf_buf_free(&b);
}

/* An inbound connection dropped for what it sent: who and from where. */
static void refused_garbage(struct daemon *d, const struct inbound *in,
			    uint32_t pipe, const char *why)
{
	char addr[64];

	if (in)
		snprintf(addr, sizeof(addr), "%s", in->address);
	else
		pipe_address(pipe, addr, sizeof(addr));
	monitor_refused(&d->mon, MON_REF_GARBAGE, 1, addr, in ? in->slug : "",
			why, bf_now_ms());
}

void server_handle(struct daemon *d, struct srv_ctx *c, nng_msg *msg)
{
	struct wire_msg m;
	struct bf_err err;
	uint32_t pipe = (uint32_t)nng_pipe_id(nng_msg_get_pipe(msg));
	struct inbound *in;
	char who[80];

	in = inbound_find(d, pipe, 0);
	d->mon.bytes_in[MON_INBOUND] += nng_msg_len(msg);
	snprintf(who, sizeof(who), "%s",
		 in && in->authenticated ? in->slug : "(unauthenticated)");
	if (wire_decode(nng_msg_body(msg), nng_msg_len(msg), &m, &err) != 0) {
		if (in)
			in->errors++;
		refused_garbage(d, in, pipe, err.msg);
		drop(c, msg, who, err.msg);
		nng_msg_free(msg);
		return;
	}
	c->pipe = pipe;
	switch (m.type) {
	case WIRE_HELLO:
		on_hello(d, c, msg, &m, pipe);
		break;
	case WIRE_AUTH:
		on_auth(d, c, msg, &m, pipe);
		break;
	case WIRE_PULL:
	case WIRE_PUSH:
		if (!in || !in->authenticated) {
			reply_error(c, WIRE_ERR_UNAUTH, "hello first");
			break;
		}
		if (m.type == WIRE_PUSH) {
			on_push(d, c, &m, in);
			break;
		}
		if (vv_from_wire(&c->their, &m) != 0) {
			reply_error(c, WIRE_ERR_BUSY, "out of memory");
			break;
		}
		daemon_note_vector(d, &c->their);
		daemon_fork_adjust(d, &c->their, &in->forks, in->slug);
		c->max_bytes = m.max_bytes < 4096 ? 4096
			       : m.max_bytes > BATCH_BYTES ? BATCH_BYTES
							   : m.max_bytes;
		if (m.wait_ms == 0 || sync_lacks(&d->local, &c->their)) {
			send_batch(d, c);
		} else {
			c->parked = 1;
			c->deadline_ms = bf_now_ms() +
					 (m.wait_ms > 60000 ? 60000 : m.wait_ms);
		}
		break;
	default:
		refused_garbage(d, in, pipe, "unexpected message type");
		drop(c, msg, who, "unexpected message type for a server");
	}
	wire_msg_free(&m);
	nng_msg_free(msg);
}

/* The statistics scope of listener `id`.  (nng 1.5.2's
 * nng_stat_find_listener can return another listener's scope.) */
static nng_stat *find_listener_stats(nng_stat *s, int id)
{
	nng_stat *c, *found;

	if (nng_stat_type(s) == NNG_STAT_SCOPE &&
	    strncmp(nng_stat_name(s), "listener", 8) == 0 &&
	    (c = nng_stat_find(s, "id")) != NULL &&
	    nng_stat_value(c) == (uint64_t)id)
		return s;
	for (c = nng_stat_child(s); c; c = nng_stat_next(c))
		if (nng_stat_type(c) == NNG_STAT_SCOPE &&
		    (found = find_listener_stats(c, id)) != NULL)
			return found;
	return NULL;
}

/* Looks at the listener's refusal counters (nng 1.5 statistics): "auth"
 * counts TLS handshakes that failed verification (a certificate not in
 * the roster), "proto" bad SP headers, "timeout" and "oom" what they say;
 * those are logged as peer-refused.  "other" counts pipes cut by an error
 * (a message over NNG_OPT_RECVMAXSZ, but also a peer that reset its
 * connection): only server_pipe_gone takes it (take_other), to annotate
 * its peer-down line.  Returns how much "other" gained when taken. */
static uint64_t check_refusals(struct daemon *d, int take_other)
{
	static const char *const names[] = {"auth", "proto", "timeout", "oom",
					    "other"};
	uint64_t now[5], *was = d->refusals, cut = 0;
	nng_stat *all, *ls, *st;
	int id;

	if (!d->listening || (id = nng_listener_id(d->listener)) < 0 ||
	    nng_stats_get(&all) != 0)
		return 0;
	ls = find_listener_stats(all, id);
	for (size_t i = 0; i < 5; i++) {
		st = ls ? nng_stat_find(ls, names[i]) : NULL;
		now[i] = st ? nng_stat_value(st) : 0;
	}
	nng_stats_free(all);
	if (!ls)
		return 0;
	if (id != d->refusal_listener) {
		/* a new listener (after a roster change) counts from zero */
		d->refusal_listener = id;
		memset(d->refusals, 0, sizeof(d->refusals));
	}
	if (now[0] + now[1] + now[2] + now[3] != was[0] + was[1] + was[2] + was[3])
		log_msg(LOG_WARN, "peer-refused",
			"auth=%llu proto=%llu timeout=%llu oom=%llu reason=\""
			"refused below the peer protocol (auth: a TLS "
			"certificate not in the roster)\"",
			(unsigned long long)(now[0] - was[0]),
			(unsigned long long)(now[1] - was[1]),
			(unsigned long long)(now[2] - was[2]),
			(unsigned long long)(now[3] - was[3]));
	/* nng 1.5.2 does not say who these were: counted, no address */
	for (size_t i = 0; i < 4; i++)
		monitor_refused(&d->mon, (enum mon_refuse)(MON_REF_TLS_AUTH + i),
				now[i] - was[i], "", "",
				i == 0 ? "TLS: a certificate not in the roster"
				       : "refused below the peer protocol",
				bf_now_ms());
	memcpy(was, now, 4 * sizeof(now[0]));
	if (take_other) {
		cut = now[4] - was[4];
		was[4] = now[4];
	}
	return cut;
}

void server_check_refusals(struct daemon *d)
{
	check_refusals(d, 0);
}

void server_wake(struct daemon *d, int changed)
{
	uint64_t now = bf_now_ms();

	for (int i = 0; i < SRV_CONTEXTS; i++) {
		struct srv_ctx *c = &d->srv_ctx[i];
		if (!c->parked)
			continue;
		if (now >= c->deadline_ms ||
		    (changed && sync_lacks(&d->local, &c->their)))
			send_batch(d, c);
	}
}

int server_start(struct daemon *d, char *why, size_t n)
{
	const char *url = config_listen_url(&d->node.cfg);
	nng_tls_config *tls = NULL;
	struct bf_err err;
	int rv, rc, verified = 0;

	if (!url[0])
		return 0; /* a node that only dials */
	if (!d->srv_open) {
		if ((rv = nng_rep0_open(&d->srv)) != 0) {
			snprintf(why, n, "%s", nng_strerror(rv));
			return -1;
		}
		d->srv_open = 1;
		nng_socket_set_size(d->srv, NNG_OPT_RECVMAXSZ, WIRE_MAX_MSG);
		nng_pipe_notify(d->srv, NNG_PIPE_EV_REM_POST, pipe_cb, d);
		for (int i = 0; i < SRV_CONTEXTS; i++) {
			struct srv_ctx *c = &d->srv_ctx[i];
			c->d = d;
			if ((rv = nng_ctx_open(&c->ctx, d->srv)) != 0 ||
			    (rv = nng_aio_alloc(&c->aio, srv_cb, c)) != 0) {
				snprintf(why, n, "%s", nng_strerror(rv));
				return -1;
			}
			nng_ctx_recv(c->ctx, c->aio);
		}
	}
	if (d->listening)
		return 0;
	if ((rc = tlsconf_build(d, 1, &tls, &verified, &err)) != 0) {
		snprintf(why, n, "%s", err.msg);
		return rc == BF_ENOENT ? SERVER_NO_ROSTER : -1;
	}
	if ((rv = nng_listener_create(&d->listener, d->srv, url)) != 0) {
		snprintf(why, n, "%s", nng_strerror(rv));
		nng_tls_config_free(tls);
		return -1;
	}
	if ((rv = nng_listener_set_ptr(d->listener, NNG_OPT_TLS_CONFIG, tls)) ||
	    (rv = nng_listener_set_size(d->listener, NNG_OPT_RECVMAXSZ,
					WIRE_MAX_MSG)) ||
	    (rv = nng_listener_start(d->listener, 0)) != 0) {
		/* "Address in use", "Permission denied"...: nng's words */
		snprintf(why, n, "%s", nng_strerror(rv));
		nng_listener_close(d->listener); /* a later try starts anew */
		nng_tls_config_free(tls);
		return -1;
	}
	nng_tls_config_free(tls); /* the listener holds its own reference */
	d->listening = 1;
	log_msg(LOG_INFO, "listening", "url=%s", url);
	return 0;
}

void server_stop(struct daemon *d)
{
	if (d->listening) {
		/* Close the connections first, each through its protocol.
		 * nng 1.5.2's TLS transport, when the listener closes them,
		 * shuts their sending half before the protocol stops: a reply
		 * queued behind another is then lost, the pipe is never
		 * reaped, and every later nng_close hangs (the reaper is
		 * shared).  Connections that never said hello have no reply
		 * queued. */
		for (size_t i = 0; i < d->nin; i++) {
			nng_pipe p = NNG_PIPE_INITIALIZER;
			p.id = d->in[i].pipe;
			nng_pipe_close(p);
		}
		nng_listener_close(d->listener);
		d->listening = 0;
	}
}

void server_close(struct daemon *d)
{
	server_stop(d);
	if (!d->srv_open)
		return;
	/* no aio of ours left on the socket: it may close on its own thread
	 * (closer.h) */
	for (int i = 0; i < SRV_CONTEXTS; i++)
		if (d->srv_ctx[i].aio)
			nng_aio_stop(d->srv_ctx[i].aio);
	closer_socket(d->srv);
	for (int i = 0; i < SRV_CONTEXTS; i++) {
		if (d->srv_ctx[i].aio)
			nng_aio_free(d->srv_ctx[i].aio);
		vv_free(&d->srv_ctx[i].their);
	}
	d->srv_open = 0;
}
