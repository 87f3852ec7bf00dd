/*
 * hostile: a misbehaving peer for the black-box tests.  It dials a running
 * biofedd over nng tls+tcp with a member's TLS identity, completes the
 * hello as that member (HELLO, HELLO_OK, AUTH over wire_transcript), then
 * sends one hostile thing and prints what the node answered.
 *
 *   hostile -d MEMBER_DIR [-c CA_CERT] [--cert F --key F] [-t MS] URL ACTION
 *
 *   -d DIR        the member whose keys and name are used
 *   -c FILE       trust only this certificate (the target's tls.crt);
 *                 without it the server's certificate is not checked
 *   --cert/--key  a TLS identity other than DIR's (e.g. self-signed, not
 *                 in the roster): the TLS handshake must fail
 *   -t MS         how long to wait for each answer (default 5000)
 *
 * ACTION:
 *   hello          authenticate, print the node's vector size
 *   push KIND      authenticate, push one change set of a craftlib.h kind
 *   big            authenticate, send one 100 MiB message
 *   random         authenticate, send 64 KiB of random bytes
 *   truncated      authenticate, send a PUSH cut off in its change set
 *   random-noauth  send 64 KiB of random bytes without a hello
 *   claim N        authenticate, then PULL with a vector that says the
 *                  member holds N more of its own change sets than it
 *                  does: the node learns that it lacks N change sets
 *                  (what a node sees when a peer is ahead of it)
 *   vanish         authenticate, PULL everything, and hang up as soon as
 *                  the node's reply (megabytes) starts arriving: a peer
 *                  that disappears while the node is sending to it
 *
 * Output, one line each: "connected", "authenticated as S to T", and
 * "answer: ..." with the node's reply, or "answer: connection closed by
 * the node", or "refused: ..." when the connection itself failed.
 * Exit status: 0 when the exchange ran (whatever the node answered), 1 on
 * the tool's own errors, 3 when the connection was refused.
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "craftlib.h"
#include "log.h"
#include "wire.h"

#define BIG_MSG (100u << 20)
#define RANDOM_MSG (64u << 10)
#define VANISH_MAX (64u << 10) /* under a BATCH, over a hello */

static atomic_int pipe_closed, pipe_added;
static uint32_t next_id = 1;
static int timeout_ms = 5000;

static int die(const char *m)
{
	fprintf(stderr, "hostile: %s\n", m);
	return 1;
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)arg;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_store(&pipe_added, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_store(&pipe_closed, 1);
}

/* Sends body as one request (raw req0: no automatic resend) and waits for
 * the reply.  Returns the reply (caller frees) or NULL: *why says why. */
static nng_msg *exchange(nng_socket s, const void *body, size_t len,
			 const char **why)
{
	nng_msg *m, *r = NULL;
	uint64_t deadline = bf_now_ms() + (uint64_t)timeout_ms;
	int rv;

	if (nng_msg_alloc(&m, len) != 0) {
		*why = "out of memory";
		return NULL;
	}
	memcpy(nng_msg_body(m), body, len);
	nng_msg_header_append_u32(m, 0x80000000u | next_id++);
	if ((rv = nng_sendmsg(s, m, 0)) != 0) {
		nng_msg_free(m);
		*why = nng_strerror(rv);
		return NULL;
	}
	/* short receives, so that a closed connection shows at once */
	while (bf_now_ms() < deadline) {
		rv = nng_recvmsg(s, &r, 0);
		if (rv == 0)
			return r;
		if (atomic_load(&pipe_closed)) {
			*why = "connection closed by the node";
			return NULL;
		}
		if (rv != NNG_ETIMEDOUT) {
			*why = nng_strerror(rv);
			return NULL;
		}
	}
	*why = atomic_load(&pipe_closed) ? "connection closed by the node"
					  : "no answer in time";
	return NULL;
}

/* Prints the node's answer; returns the decoded type or -1. */
static int print_answer(nng_msg *r, const char *why)
{
	struct wire_msg m;
	struct bf_err err;
	char esc[256];
	int type;

	if (!r) {
		printf("answer: %s\n", why);
		return -1;
	}
	if (wire_decode(nng_msg_body(r), nng_msg_len(r), &m, &err) != 0) {
		printf("answer: undecodable (%s)\n", err.msg);
		nng_msg_free(r);
		return -1;
	}
	type = (int)m.type;
	switch (m.type) {
	case WIRE_PUSH_OK:
		printf("answer: PUSH_OK applied=%llu rejected=%llu\n",
		       (unsigned long long)m.applied,
		       (unsigned long long)m.rejected);
		break;
	case WIRE_ERROR:
		log_escape(m.text.p, m.text.len, esc, sizeof(esc));
		printf("answer: ERROR code=%llu text=\"%s\"\n",
		       (unsigned long long)m.code, esc);
		break;
	case WIRE_AUTH_OK:
		printf("answer: AUTH_OK vector of %zu origins\n", m.nvv);
		break;
	default:
		printf("answer: message type %d\n", type);
	}
	wire_msg_free(&m);
	nng_msg_free(r);
	return type;
}

/* HELLO, HELLO_OK, AUTH, AUTH_OK as member n.  0 when authenticated. */
static int hello(nng_socket s, struct node *n)
{
	uint8_t nonce[WIRE_NONCE], sig[64];
	struct bf_buf b, t;
	struct wire_msg m;
	struct bf_err err;
	char server[CS_MAX_ORIGIN + 1];
	const char *why = "";
	nng_msg *r;
	int rc = -1;

	bf_buf_init(&b, 0);
	bf_buf_init(&t, 0);
	if (RAND_bytes(nonce, sizeof(nonce)) != 1 ||
	    wire_put_hello(&b, WIRE_HELLO, n->cfg.slug, nonce, NULL))
		goto out;
	r = exchange(s, b.p, b.len, &why);
	if (!r || wire_decode(nng_msg_body(r), nng_msg_len(r), &m, &err) ||
	    m.type != WIRE_HELLO_OK) {
		if (r)
			nng_msg_free(r);
		printf("answer: no HELLO_OK (%s)\n", why);
		goto out;
	}
	memcpy(server, m.slug.p, m.slug.len);
	server[m.slug.len] = 0;
	if (wire_transcript(&t, "client", nonce, m.nonce, n->cfg.slug, server) ||
	    ed_sign(&n->key, t.p, t.len, sig, &err)) {
		wire_msg_free(&m);
		nng_msg_free(r);
		goto out;
	}
	wire_msg_free(&m);
	nng_msg_free(r);
	bf_buf_reset(&b);
	if (wire_put_auth(&b, sig))
		goto out;
	r = exchange(s, b.p, b.len, &why);
	if (print_answer(r, why) != WIRE_AUTH_OK)
		goto out;
	printf("authenticated as %s to %s\n", n->cfg.slug, server);
	rc = 0;
out:
	bf_buf_free(&b);
	bf_buf_free(&t);
	return rc;
}

/* A PUSH message carrying one change set. */
static int put_push(struct bf_buf *b, const uint8_t *cs, size_t len)
{
	int rc = wire_put_header(b, WIRE_PUSH);
	if (!rc)
		rc = bf_put_uvarint(b, 1);
	if (!rc)
		rc = bf_put_uvarint(b, len);
	return rc ? rc : bf_buf_add(b, cs, len);
}

static int tls_setup(nng_dialer dl, const char *cert_path,
		     const char *key_path, const char *ca_path)
{
	nng_tls_config *cfg = NULL;
	uint8_t *cert = NULL, *key = NULL, *ca = NULL;
	size_t len;
	struct bf_err err;
	int rv = -1;

	if (bf_read_file(cert_path, 1 << 20, &cert, &len, &err) ||
	    bf_read_file(key_path, 1 << 20, &key, &len, &err) ||
	    (ca_path && bf_read_file(ca_path, 1 << 20, &ca, &len, &err))) {
		fprintf(stderr, "hostile: %s\n", err.msg);
		goto out;
	}
	if (nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT) ||
	    nng_tls_config_own_cert(cfg, (char *)cert, (char *)key, NULL))
		goto out;
	if (ca) {
		if (nng_tls_config_ca_chain(cfg, (char *)ca, NULL) ||
		    nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED) ||
		    nng_tls_config_server_name(cfg, "localhost"))
			goto out;
	} else if (nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE)) {
		goto out;
	}
	rv = nng_dialer_set_ptr(dl, NNG_OPT_TLS_CONFIG, cfg);
out:
	if (cfg)
		nng_tls_config_free(cfg);
	free(cert);
	free(key);
	free(ca);
	return rv;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	const char *url, *action, *kind = NULL, *why = "";
	char cert_path[PATH_MAX + 32], key_path[PATH_MAX + 32];
	struct node n;
	struct bf_err err;
	struct bf_buf b;
	nng_socket s;
	nng_dialer dl;
	nng_msg *r;
	uint8_t *cs = NULL;
	size_t cs_len = 0;
	unsigned long long claim = 0;
	int i, rv, status = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			ca = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			cert = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
			char *end;
			long ms = strtol(argv[++i], &end, 10);

			if (*end || ms < 0 || ms > 3600000)
				return die("-t: milliseconds, 0 to 3600000");
			timeout_ms = (int)ms;
		}
		else
			break;
	}
	if (!dir || argc - i < 2 || (!cert) != (!key))
		return die("usage: hostile -d MEMBER_DIR [-c CA_CERT] "
			   "[--cert F --key F] [-t MS] URL ACTION\n"
			   "  ACTION: hello | push KIND | claim N | big | random | "
			   "truncated | random-noauth | vanish\n  KIND: " CRAFT_KINDS);
	url = argv[i];
	action = argv[i + 1];
	if (strcmp(action, "push") == 0) {
		if (argc - i < 3)
			return die("push needs a KIND: " CRAFT_KINDS);
		kind = argv[i + 2];
	}
	if (strcmp(action, "claim") == 0 &&
	    (argc - i < 3 || (claim = strtoull(argv[i + 2], NULL, 10)) == 0))
		return die("claim needs a count of change sets (1 or more)");
	if (node_open(&n, dir, NODE_KEY | NODE_RDONLY, &err))
		return die(err.msg);
	node_file(&n, NODE_TLS_CERT, cert_path, sizeof(cert_path));
	node_file(&n, NODE_TLS_KEY, key_path, sizeof(key_path));
	/* craft before connecting: it reads the member's head */
	if (kind && craft_changeset(&n, kind, &cs, &cs_len, &err))
		return die(err.msg);
	if (!kind && strcmp(action, "truncated") == 0 &&
	    craft_changeset(&n, "good", &cs, &cs_len, &err))
		return die(err.msg);

	if (nng_req0_open_raw(&s) != 0)
		return die("cannot open a socket");
	nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, pipe_cb, NULL);
	nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, pipe_cb, NULL);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 100);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	/* vanish: this side refuses the node's large reply after its first
	 * bytes and hangs up while the node is still sending it */
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ,
			    strcmp(action, "vanish") == 0 ? VANISH_MAX
							  : WIRE_MAX_MSG);
	if ((rv = nng_dialer_create(&dl, s, url)) != 0)
		return die(nng_strerror(rv));
	/* one connection: no redial after the node hangs up */
	nng_dialer_set_ms(dl, NNG_OPT_RECONNMINT, 600000);
	nng_dialer_set_ms(dl, NNG_OPT_RECONNMAXT, 600000);
	if (tls_setup(dl, cert ? cert : cert_path, key ? key : key_path, ca))
		return die("cannot set up TLS");
	if ((rv = nng_dialer_start(dl, 0)) != 0) {
		printf("refused: connection failed: %s\n", nng_strerror(rv));
		status = 3;
		goto out;
	}
	/* mbedTLS may finish the client side before the server has checked
	 * the client's certificate: a refused client sees the close here */
	printf("connected\n");
	fflush(stdout);

	bf_buf_init(&b, 0);
	if (strcmp(action, "random-noauth") != 0 && hello(s, &n) != 0) {
		printf("refused: no hello\n");
		status = 3;
	} else if (strcmp(action, "hello") == 0) {
		/* done */
	} else if (kind || strcmp(action, "truncated") == 0) {
		if (put_push(&b, cs, cs_len) == 0) {
			r = exchange(s, b.p, kind ? b.len : b.len / 2, &why);
			print_answer(r, why);
		}
	} else if (strcmp(action, "big") == 0) {
		/* a PUSH header, then zeros: the node must not read it in */
		uint8_t *big = calloc(1, BIG_MSG);
		if (!big) {
			status = die("out of memory");
		} else {
			memcpy(big, WIRE_MAGIC, 4);
			big[4] = WIRE_PUSH;
			r = exchange(s, big, BIG_MSG, &why);
			print_answer(r, why);
			free(big);
		}
	} else if (claim) {
		uint8_t hash[CS_HASH_LEN];
		uint64_t head = 0;
		struct bf_err e2;
		if (store_head(n.store, n.cfg.slug, &head, hash, &e2) != 0)
			head = 0;
		RAND_bytes(hash, sizeof(hash));
		if (wire_put_header(&b, WIRE_PULL) == 0 &&
		    bf_put_uvarint(&b, 0) == 0 &&
		    bf_put_uvarint(&b, 4096) == 0 &&
		    bf_put_uvarint(&b, 1) == 0 &&
		    wire_put_vv(&b, n.cfg.slug, head + claim, hash) == 0) {
			r = exchange(s, b.p, b.len, &why);
			print_answer(r, why);
		}
	} else if (strcmp(action, "vanish") == 0) {
		/* PULL everything at once, no wait: the BATCH is megabytes */
		if (wire_put_header(&b, WIRE_PULL) == 0 &&
		    bf_put_uvarint(&b, 0) == 0 &&
		    bf_put_uvarint(&b, WIRE_MAX_MSG) == 0 &&
		    bf_put_uvarint(&b, 0) == 0) {
			r = exchange(s, b.p, b.len, &why);
			print_answer(r, why);
		}
	} else if (strcmp(action, "random") == 0 ||
		   strcmp(action, "random-noauth") == 0) {
		uint8_t *rnd = malloc(RANDOM_MSG);
		if (!rnd || RAND_bytes(rnd, RANDOM_MSG) != 1) {
			status = die("no random bytes");
		} else {
			r = exchange(s, rnd, RANDOM_MSG, &why);
			print_answer(r, why);
		}
		free(rnd);
	} else {
		status = die("unknown action");
	}
	bf_buf_free(&b);
out:
	fflush(stdout);
	/* no nng_close: nng 1.5.2 now and then hangs in it after the node
	 * has dropped the connection; the process exits anyway */
	free(cs);
	node_close(&n);
	return status;
}
