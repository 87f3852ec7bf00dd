/*
 * pubcommit: rows become signed change sets of their origin and enter the
 * replica (publish_commit, publish.h).  A file's differences make many
 * change sets; a second thread encodes and signs the next one while the
 * store applies this one, so the two cores share the work.  The change
 * sets follow each other as if built one after the other: seq counts on
 * from the origin's head, prev is the hash of the one before.  One the
 * store refuses ends it: those signed after it are dropped unseen (they
 * never reached the log, so nothing can fork).
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "publish_int.h"
#include "schema.h"

#define AHEAD 2 /* change sets signed and waiting, at most */

struct signed_cs {
	uint8_t *bytes;
	size_t len;
	uint64_t seq;
	size_t at, k; /* its rows */
};

struct signer {
	const char *origin;
	const struct ed_key *key;
	const struct cs_row_in *rows;
	size_t n, max_rows;
	uint64_t seq;               /* of the next change set */
	uint8_t prev[CS_HASH_LEN];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct signed_cs q[AHEAD];
	size_t head, count;         /* the queue */
	int done, stop, rc;
	struct bf_err err;          /* the signer's failure */
};

static void sign_loop(struct signer *g)
{

	for (size_t at = 0; at < g->n; at += g->max_rows) {
		size_t k = g->n - at < g->max_rows ? g->n - at : g->max_rows;
		struct cs_header h, ph;
		struct signed_cs sc;
		int rc;

		memset(&h, 0, sizeof(h));
		snprintf(h.origin, sizeof(h.origin), "%s", g->origin);
		h.seq = g->seq;
		memcpy(h.prev, g->prev, CS_HASH_LEN);
		h.time_ms = bf_now_ms();
		h.schema = SCHEMA_VERSION;
		rc = cs_build(&h, g->rows + at, k, g->key, &sc.bytes, &sc.len,
			      &g->err);
		/* the next one chains to this one's hash */
		if (!rc)
			rc = cs_peek_header(sc.bytes, sc.len, &ph, g->prev,
					    &g->err);
		sc.seq = h.seq++;
		sc.at = at;
		sc.k = k;
		g->seq = h.seq;
		pthread_mutex_lock(&g->mu);
		while (!g->stop && g->count == AHEAD)
			pthread_cond_wait(&g->cv, &g->mu);
		if (rc || g->stop) {
			g->rc = rc;
			g->done = 1;
			pthread_cond_broadcast(&g->cv);
			pthread_mutex_unlock(&g->mu);
			if (!rc)
				free(sc.bytes);
			return;
		}
		g->q[(g->head + g->count++) % AHEAD] = sc;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
	pthread_mutex_lock(&g->mu);
	g->done = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* The thread's OpenSSL state (hashing, signing) is its own: freed as it
 * ends. */
static void *sign_all(void *vs)
{
	sign_loop(vs);
	cs_thread_done();
	OPENSSL_thread_stop();
	return NULL;
}

/* The next signed change set, or 0 with *out.bytes NULL when there are
 * no more; the signer's error code when it failed. */
static int next_signed(struct signer *g, struct signed_cs *out)
{
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	while (!g->count && !g->done)
		pthread_cond_wait(&g->cv, &g->mu);
	out->bytes = NULL;
	if (g->count) {
		*out = g->q[g->head];
		g->head = (g->head + 1) % AHEAD;
		g->count--;
		pthread_cond_broadcast(&g->cv);
	} else {
		rc = g->rc;
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

static int cmp_row_in(const void *a, const void *b)
{
	const struct cs_row_in *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	return c ? c : strcmp(x->id, y->id);
}

int publish_commit(struct store *s, const char *origin,
		   const struct ed_key *key, struct cs_row_in *rows, size_t n,
		   size_t max_rows, struct publish_result *res,
		   struct bf_err *err)
{
	return pub_commit(s, origin, key, rows, n, max_rows, NULL, res, err);
}

int pub_commit(struct store *s, const char *origin, const struct ed_key *key,
	       struct cs_row_in *rows, size_t n, size_t max_rows,
	       const struct publish_progress *progress,
	       struct publish_result *res, struct bf_err *err)
{
	struct signer g;
	pthread_t th;
	int rc, started = 0;

	if (max_rows == 0 || max_rows > CS_MAX_ROWS)
		max_rows = CS_MAX_ROWS;
	pub_progress(progress, "writing change sets", 0, n);
	qsort(rows, n, sizeof(*rows), cmp_row_in);
	memset(&g, 0, sizeof(g));
	g.origin = origin;
	g.key = key;
	g.rows = rows;
	g.n = n;
	g.max_rows = max_rows;
	if ((rc = store_head(s, origin, &g.seq, g.prev, err)) != 0)
		return rc;
	g.seq++;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	if (pthread_create(&th, NULL, sign_all, &g) != 0) {
		rc = bf_errf(err, BF_ENOMEM, "cannot start the signing thread");
		goto out;
	}
	started = 1;
	for (;;) {
		struct signed_cs sc;

		if ((rc = next_signed(&g, &sc)) != 0) {
			if (err)
				*err = g.err;
			break;
		}
		if (!sc.bytes)
			break;
		rc = store_apply_hashed(s, sc.bytes, sc.len, rows + sc.at, sc.k,
					err);
		free(sc.bytes);
		if (rc)
			break;
		if (!res->changesets)
			res->first_seq = sc.seq;
		res->last_seq = sc.seq;
		res->changesets++;
		pub_progress(progress, "writing change sets", sc.at + sc.k, n);
	}
out:
	if (started) {
		pthread_mutex_lock(&g.mu);
		g.stop = 1;
		pthread_cond_broadcast(&g.cv);
		pthread_mutex_unlock(&g.mu);
		pthread_join(th, NULL);
		for (size_t i = 0; i < g.count; i++)
			free(g.q[(g.head + i) % AHEAD].bytes);
	}
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
	return rc;
}
