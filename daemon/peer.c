/*
 * peer: the dialing side.  One req0 socket per configured peer, with two
 * contexts: one for the hello and then the pull loop (long-poll), one for
 * pushes.  Replies go to the main loop, which decides the next request.
 *
 * A request message is made by events_aio_msg and put on the channel's
 * aio; nng takes it when it is sent, chan_cb frees it when the send
 * failed.  The reply is posted with EV_PEER_DONE (the event owns it) and
 * peer_handle frees it.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "closer.h"
#include "daemon.h"
#include "schema.h"

static void chan_cb(void *arg)
{
	struct peer_chan *ch = arg;
	int rv = nng_aio_result(ch->aio);

	if (!ch->receiving) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(ch->aio));
			daemon_post(ch->p->d, EV_PEER_DONE, ch, rv, NULL, 0);
			return;
		}
		ch->receiving = 1;
		nng_ctx_recv(ch->ctx, ch->aio);
		return;
	}
	ch->receiving = 0;
	daemon_post(ch->p->d, EV_PEER_DONE, ch, rv,
		    rv == 0 ? nng_aio_get_msg(ch->aio) : NULL, 0);
}

static int chan_open(struct peer *p, struct peer_chan *ch)
{
	int rv;

	memset(ch, 0, sizeof(*ch));
	ch->p = p;
	if ((rv = nng_ctx_open(&ch->ctx, p->sock)) != 0)
		return rv;
	return nng_aio_alloc(&ch->aio, chan_cb, ch);
}

static void chan_send(struct peer *p, struct peer_chan *ch,
		      const struct bf_buf *b, enum wire_type type,
		      int timeout_ms)
{
	/* one exchange at a time per context (handlers can reach here twice:
	 * e.g. a batch that changed the vector ticks every peer) */
	if (ch->busy || events_aio_msg(ch->aio, b) != 0)
		return;
	ch->busy = 1;
	ch->receiving = 0;
	ch->sent = type;
	p->bytes_out += b->len;
	p->d->mon.bytes_out[MON_DIALED] += b->len;
	nng_aio_set_timeout(ch->aio, timeout_ms);
	nng_ctx_send(ch->ctx, ch->aio);
}

/* Runs on an nng thread: only the socket's id travels to the main loop
 * (the daemon outlives every socket; a peer may not). */
static void pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	daemon_post(arg, ev == NNG_PIPE_EV_ADD_POST ? EV_PEER_PIPE_UP
						    : EV_PEER_PIPE_DOWN,
		    NULL, nng_socket_id(nng_pipe_socket(pipe)), NULL,
		    (uint32_t)nng_pipe_id(pipe));
}

void peer_pipe_event(struct daemon *d, int up, int socket_id)
{
	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = &d->peers[i];
		if (!p->open || nng_socket_id(p->sock) != socket_id)
			continue;
		if (up)
			p->h.pipes++;
		else if (p->h.pipes > 0)
			p->h.pipes--;
		return;
	}
}

int peer_open(struct daemon *d, struct peer *p, const char *endpoint)
{
	nng_tls_config *tls = NULL;
	struct bf_err err;
	struct vv keep = p->their;
	struct peer_health keep_h = p->h;
	int rv;

	/* reopened while connected (new TLS trust after a roster change):
	 * it goes away now, and comes back with its next hello */
	if (p->state == PEER_READY)
		keep_h.down_since_ms = bf_now_ms();
	memset(p, 0, sizeof(*p));
	p->their = keep;
	p->h = keep_h;
	p->h.pipes = 0;
	if (!p->h.opened_ms)
		p->h.opened_ms = bf_now_ms();
	p->d = d;
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", endpoint);
	p->state = PEER_IDLE;
	if ((rv = nng_req0_open(&p->sock)) != 0)
		goto fail;
	p->open = 1;
	nng_socket_set_size(p->sock, NNG_OPT_RECVMAXSZ, WIRE_MAX_MSG);
	/* retries are the main loop's decision, not the socket's */
	nng_socket_set_ms(p->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_pipe_notify(p->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, d);
	nng_pipe_notify(p->sock, NNG_PIPE_EV_REM_POST, pipe_cb, d);
	if ((rv = chan_open(p, &p->pull)) != 0 ||
	    (rv = chan_open(p, &p->push)) != 0)
		goto fail;
	if (tlsconf_build(d, 0, &tls, &p->verified, &err) != 0) {
		log_msg(LOG_WARN, "tls-config", "%s", err.msg);
		rv = NNG_EINVAL;
		goto fail;
	}
	if ((rv = nng_dialer_create(&p->dialer, p->sock, endpoint)) != 0 ||
	    (rv = nng_dialer_set_ptr(p->dialer, NNG_OPT_TLS_CONFIG, tls)) != 0 ||
	    (rv = nng_dialer_set_size(p->dialer, NNG_OPT_RECVMAXSZ,
				      WIRE_MAX_MSG)) != 0 ||
	    (rv = nng_dialer_set_ms(p->dialer, NNG_OPT_RECONNMINT, 100)) != 0 ||
	    (rv = nng_dialer_set_ms(p->dialer, NNG_OPT_RECONNMAXT, 5000)) != 0 ||
	    (rv = nng_dialer_start(p->dialer, NNG_FLAG_NONBLOCK)) != 0) {
		nng_tls_config_free(tls);
		goto fail;
	}
	nng_tls_config_free(tls);
	return 0;
fail:
	snprintf(p->last_error, sizeof(p->last_error), "%s", nng_strerror(rv));
	p->h.last_error_ms = bf_now_ms();
	log_msg(LOG_ERROR, "peer-failed", "endpoint=%s error=\"%s\"", endpoint,
		p->last_error);
	return -1;
}

void peer_close(struct peer *p)
{
	if (!p->open)
		return;
	/* Cancel our requests before closing the socket: a request sent while
	 * the connection closes is what nng 1.5.2 can lose, which wedges
	 * every later close (closer.h).  Once stopped, no aio of ours is
	 * left on the socket, so it can close on its own thread. */
	if (p->pull.aio)
		nng_aio_stop(p->pull.aio);
	if (p->push.aio)
		nng_aio_stop(p->push.aio);
	if (p->pull.aio)
		nng_aio_free(p->pull.aio);
	if (p->push.aio)
		nng_aio_free(p->push.aio);
	p->pull.aio = p->push.aio = NULL;
	closer_socket(p->sock);
	p->open = 0;
	events_purge(&p->d->ev, p, sizeof(*p));
}

static void reset(struct peer *p, const char *why)
{
	uint64_t now = bf_now_ms(), jitter = 0;

	if (p->state == PEER_READY) {
		log_msg(LOG_INFO, "peer-down", "peer=%s endpoint=%s reason=\"%s\"",
			p->slug, p->endpoint, why);
		p->h.down_since_ms = now;
	}
	snprintf(p->last_error, sizeof(p->last_error), "%s", why);
	p->h.last_error_ms = now;
	p->state = PEER_IDLE;
	p->forks.n = 0; /* a new connection answers forks again */
	RAND_bytes((uint8_t *)&jitter, sizeof(jitter));
	p->retry_at_ms = now + sync_backoff(&p->backoff_ms, jitter);
	if (p->pull.busy)
		nng_aio_cancel(p->pull.aio);
	if (p->push.busy)
		nng_aio_cancel(p->push.aio);
}

static void send_hello(struct daemon *d, struct peer *p)
{
	struct bf_buf b;

	if (RAND_bytes(p->nonce, WIRE_NONCE) != 1)
		return;
	bf_buf_init(&b, 0);
	if (wire_put_hello(&b, WIRE_HELLO, d->node.cfg.slug, p->nonce, NULL) ==
	    0) {
		chan_send(p, &p->pull, &b, WIRE_HELLO, HELLO_TIMEOUT_MS);
		p->state = PEER_HELLO;
	}
	bf_buf_free(&b);
}

static void send_pull_vv(struct daemon *d, struct peer *p, int wait_ms,
			 const struct vv *v)
{
	struct bf_buf b;

	bf_buf_init(&b, 0);
	if (!(wire_put_header(&b, WIRE_PULL) ||
	      bf_put_uvarint(&b, (uint64_t)wait_ms) ||
	      bf_put_uvarint(&b, BATCH_BYTES) || vv_put(&b, v)))
		chan_send(p, &p->pull, &b, WIRE_PULL, wait_ms + 15000);
	bf_buf_free(&b);
}

static void send_pull(struct daemon *d, struct peer *p, int wait_ms)
{
	send_pull_vv(d, p, wait_ms, &d->local);
}

static void send_push(struct daemon *d, struct peer *p)
{
	struct bf_buf b;
	size_t count = 0;
	int more = 0;

	bf_buf_init(&b, WIRE_MAX_MSG);
	if (wire_put_header(&b, WIRE_PUSH) == 0 &&
	    daemon_collect(d, &p->their, BATCH_BYTES, &b, &count, &more) == 0 &&
	    count > 0)
		chan_send(p, &p->push, &b, WIRE_PUSH, 60000);
	bf_buf_free(&b);
}

void peer_tick(struct daemon *d, struct peer *p)
{
	/* nothing new once SIGTERM came: a request sent now would race with
	 * the close (see peer_close) */
	if (!p->open || atomic_load(&d->stop_requested))
		return;
	if (p->state == PEER_IDLE) {
		if (!p->pull.busy && !p->push.busy && bf_now_ms() >= p->retry_at_ms)
			send_hello(d, p);
		return;
	}
	if (p->state != PEER_READY)
		return;
	if (!p->pull.busy)
		send_pull(d, p, LONGPOLL_MS);
	if (!p->push.busy && p->have_their && bf_now_ms() >= p->push_hold_ms &&
	    sync_lacks(&d->local, &p->their))
		send_push(d, p);
}

/* The server's hello: a member's signature over both nonces and names. */
static int check_server(struct daemon *d, struct peer *p,
			const struct wire_msg *m, char *why, size_t n)
{
	uint8_t key[CS_KEY_LEN], hash[CS_HASH_LEN];
	uint64_t head = 0;
	struct bf_buf t;
	struct bf_err err;
	char slug[CS_MAX_ORIGIN + 1];
	int rc;

	memcpy(slug, m->slug.p, m->slug.len);
	slug[m->slug.len] = 0;
	if (!bf_is_slug(slug) || strcmp(slug, SCHEMA_COORDINATOR) == 0) {
		snprintf(why, n, "invalid member name");
		return -1;
	}
	snprintf(p->slug, sizeof(p->slug), "%s", slug);
	rc = store_head(d->node.store, slug, &head, hash, &err);
	if (!rc)
		rc = store_origin_key(d->node.store, slug, head + 1, key, &err);
	if (rc == BF_ENOENT && !p->verified) {
		/* no roster yet (a new node): everything that arrives is
		 * signed and checked against the pinned coordinator key */
		log_msg(LOG_INFO, "peer-unverified",
			"peer=%s reason=\"no roster yet\"", slug);
		return 0;
	}
	if (rc) {
		snprintf(why, n, "%.200s", err.msg);
		return -1;
	}
	bf_buf_init(&t, 0);
	rc = wire_transcript(&t, "server", p->nonce, m->nonce, d->node.cfg.slug,
			     slug);
	if (!rc && ed_verify(key, t.p, t.len, m->sig) != 0) {
		snprintf(why, n, "hello signature does not verify");
		rc = -1;
	}
	bf_buf_free(&t);
	return rc;
}

static void on_hello_ok(struct daemon *d, struct peer *p,
			const struct wire_msg *m)
{
	struct bf_buf t, b;
	struct bf_err err;
	uint8_t sig[64];
	char why[256];

	if (check_server(d, p, m, why, sizeof(why)) != 0) {
		log_msg(LOG_WARN, "peer-denied", "endpoint=%s reason=\"%s\"",
			p->endpoint, why);
		monitor_refused(&d->mon, MON_REF_HELLO, 1, p->endpoint, p->slug,
				why, bf_now_ms());
		p->errors++;
		reset(p, why);
		return;
	}
	bf_buf_init(&t, 0);
	bf_buf_init(&b, 0);
	if (wire_transcript(&t, "client", p->nonce, m->nonce, d->node.cfg.slug,
			    p->slug) == 0 &&
	    ed_sign(&d->node.key, t.p, t.len, sig, &err) == 0 &&
	    wire_put_auth(&b, sig) == 0) {
		chan_send(p, &p->pull, &b, WIRE_AUTH, HELLO_TIMEOUT_MS);
		p->state = PEER_AUTH;
	} else {
		reset(p, "cannot sign the hello");
	}
	bf_buf_free(&t);
	bf_buf_free(&b);
}

static void on_batch(struct daemon *d, struct peer *p, const struct wire_msg *m)
{
	uint64_t applied, rejected;
	int stop, asked = 0;
	struct vv next = {0};

	daemon_note_vector(d, &p->their);
	/* Ask for the next batch before applying this one, with the vector
	 * this one leads to: the peer collects and sends it while we apply
	 * (a catch-up is then bound by the apply alone).  Should a change
	 * set here be refused, what follows it is refused as a gap and the
	 * next plain pull asks again. */
	if (m->ncs && !atomic_load(&d->stop_requested) &&
	    vv_after(&next, &d->local, m) == 0) {
		send_pull_vv(d, p, 0, &next);
		asked = p->pull.busy;
	}
	vv_free(&next);
	stop = daemon_apply_batch(d, p->slug, m, &applied, &rejected);
	p->applied += applied;
	p->errors += rejected;
	if (applied)
		daemon_refresh(d);
	if (stop || asked)
		return; /* SIGTERM: the rest is pulled after a restart */
	/* more may be waiting when this batch carried any: ask at once */
	send_pull(d, p, m->ncs ? 0 : LONGPOLL_MS);
}

/* Why an exchange failed, for people: a hello that times out while nng
 * holds no connection to the peer never reached it. */
static const char *failure(const struct peer *p, enum wire_type sent,
			   int result)
{
	if (result == NNG_ETIMEDOUT && p->h.pipes == 0)
		return "no connection: the peer cannot be reached";
	if (result == NNG_ETIMEDOUT && sent == WIRE_HELLO)
		return "no answer to hello";
	return nng_strerror(result);
}

void peer_handle(struct daemon *d, struct peer_chan *ch, int result,
		 nng_msg *msg)
{
	struct peer *p = ch->p;
	struct wire_msg m;
	struct bf_err err;
	enum wire_type sent = ch->sent;

	ch->busy = 0;
	if (result != 0 || p->state == PEER_IDLE) {
		if (msg)
			nng_msg_free(msg);
		if (result != 0 && result != NNG_ECANCELED &&
		    result != NNG_ECLOSED) {
			p->errors++;
			reset(p, failure(p, sent, result));
		}
		return;
	}
	p->bytes_in += nng_msg_len(msg);
	d->mon.bytes_in[MON_DIALED] += nng_msg_len(msg);
	p->last_contact_ms = bf_now_ms();
	if (wire_decode(nng_msg_body(msg), nng_msg_len(msg), &m, &err) != 0) {
		log_msg(LOG_WARN, "peer-garbage", "endpoint=%s error=\"%s\"",
			p->endpoint, err.msg);
		p->errors++;
		nng_pipe_close(nng_msg_get_pipe(msg));
		nng_msg_free(msg);
		reset(p, "garbage from peer");
		return;
	}
	/* m points into msg: it is freed with m, at the end */
	if (m.type == WIRE_ERROR) {
		char esc[256];
		log_escape(m.text.p, m.text.len, esc, sizeof(esc));
		if (m.code != WIRE_ERR_UNAUTH)
			log_msg(LOG_WARN, "peer-error",
				"endpoint=%s code=%llu text=\"%s\"", p->endpoint,
				(unsigned long long)m.code, esc);
		p->errors += m.code != WIRE_ERR_UNAUTH;
		reset(p, esc);
		if (m.code == WIRE_ERR_UNAUTH)
			p->retry_at_ms = 0; /* a reconnect: hello at once */
		wire_msg_free(&m);
		nng_msg_free(msg);
		return;
	}
	switch (sent) {
	case WIRE_HELLO:
		if (m.type == WIRE_HELLO_OK)
			on_hello_ok(d, p, &m);
		else
			reset(p, "unexpected reply to hello");
		break;
	case WIRE_AUTH:
		if (m.type != WIRE_AUTH_OK || vv_from_wire(&p->their, &m)) {
			reset(p, "unexpected reply to auth");
			break;
		}
		p->have_their = 1;
		daemon_note_vector(d, &p->their);
		daemon_fork_adjust(d, &p->their, &p->forks, p->slug);
		p->state = PEER_READY;
		p->backoff_ms = 0;
		p->h.up_since_ms = bf_now_ms();
		p->h.ever_up = 1;
		log_msg(LOG_INFO, "peer-up", "peer=%s endpoint=%s%s", p->slug,
			p->endpoint, p->verified ? "" : " unverified=1");
		send_pull(d, p, 0);
		peer_tick(d, p);
		break;
	case WIRE_PULL:
		if (m.type != WIRE_BATCH || vv_from_wire(&p->their, &m)) {
			reset(p, "unexpected reply to pull");
			break;
		}
		daemon_fork_adjust(d, &p->their, &p->forks, p->slug);
		on_batch(d, p, &m);
		peer_tick(d, p);
		break;
	case WIRE_PUSH:
		if (m.type != WIRE_PUSH_OK || vv_from_wire(&p->their, &m)) {
			reset(p, "unexpected reply to push");
			break;
		}
		daemon_fork_adjust(d, &p->their, &p->forks, p->slug);
		if (m.rejected) {
			uint64_t hold = sync_push_hold(m.applied, m.rejected);
			log_msg(LOG_WARN, "push-rejected", "peer=%s rejected=%llu",
				p->slug, (unsigned long long)m.rejected);
			/* it refuses what it lacks: do not insist at once */
			if (hold)
				p->push_hold_ms = bf_now_ms() + hold;
		}
		peer_tick(d, p);
		break;
	default:
		reset(p, "internal: unknown request");
	}
	wire_msg_free(&m);
	nng_msg_free(msg);
}
