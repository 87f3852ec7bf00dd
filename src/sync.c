/*
 * The anti-entropy decisions (sync.h): what a peer lacks and the batch it
 * gets, the fork adjustment, the origin-behind marker, the backoff.
 */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "sync.h"

struct local {
	struct vv *v;
	struct bf_err *err;
};

static int local_cb(void *ctx, const struct store_vv_entry *e)
{
	struct local *l = ctx;
	struct vv_entry *at;
	int rc = vv_set(l->v, e->origin, strlen(e->origin), e->seq, e->hash,
			&at);

	if (rc)
		return bf_errf(l->err, rc, "origin \"%.64s\": %s", e->origin,
			       rc == BF_ENOMEM ? "out of memory"
					       : "not a valid origin");
	at->forked_at = e->forked_at;
	return 0;
}

int sync_local_vector(struct store *s, struct vv *out, struct bf_err *err)
{
	struct local l = {out, err};
	int rc;

	out->n = 0;
	if ((rc = store_vector(s, local_cb, &l, err)) != 0)
		out->n = 0;
	return rc;
}

/* --- what a peer lacks ---------------------------------------------------- */

int sync_lacking(const struct vv *local, const struct vv *their,
		 sync_lack_cb cb, void *ctx)
{
	const struct vv_entry *coord = vv_find(local, SCHEMA_COORDINATOR);
	uint64_t have;
	int rc;

	/* the roster first: members' change sets need it */
	if (coord && (have = vv_seq(their, coord->origin)) < coord->seq &&
	    (rc = cb(ctx, coord, have)) != 0)
		return rc;
	for (size_t i = 0; i < local->n; i++) {
		const struct vv_entry *mine = &local->e[i];

		if (mine == coord ||
		    (have = vv_seq(their, mine->origin)) >= mine->seq)
			continue;
		if ((rc = cb(ctx, mine, have)) != 0)
			return rc;
	}
	return 0;
}

static int any_cb(void *ctx, const struct vv_entry *mine, uint64_t have)
{
	return 1;
}

int sync_lacks(const struct vv *local, const struct vv *their)
{
	return sync_lacking(local, their, any_cb, NULL) != 0;
}

struct collect {
	struct store *s;
	struct bf_buf *b;
	size_t max, max_count, count;
	int more;
	struct bf_err *err;
};

/* stops the store's walk, and then the origins' */
#define COLLECT_FULL 1

static int collect_cs(void *ctx, const struct store_cs_entry *e)
{
	struct collect *c = ctx;

	if (c->count >= c->max_count ||
	    (c->count > 0 && c->b->len + e->len + 10 > c->max)) {
		c->more = 1;
		return COLLECT_FULL; /* the rest goes in the next batch */
	}
	if (bf_put_uvarint(c->b, e->len) || bf_buf_add(c->b, e->bytes, e->len))
		return BF_ENOMEM;
	c->count++;
	return 0;
}

static int collect_origin(void *ctx, const struct vv_entry *mine, uint64_t have)
{
	struct collect *c = ctx;
	int rc = store_changesets(c->s, mine->origin, have, collect_cs, c,
				  c->err);

	if (rc == BF_ENOMEM)
		return bf_errf(c->err, rc, "collect %s: out of memory",
			       mine->origin);
	if (rc < 0)
		bf_err_prefix(c->err, "collect %s", mine->origin);
	return rc;
}

int sync_collect(struct store *s, const struct vv *local,
		 const struct vv *their, size_t max_bytes, size_t max_count,
		 struct bf_buf *b, size_t *count, int *more, struct bf_err *err)
{
	struct collect c = {s, b, max_bytes, max_count, 0, 0, err};
	size_t count_at = b->len, payload;
	uint8_t tmp[10];
	struct bf_buf cb = {tmp, 0, sizeof(tmp), sizeof(tmp)};
	int rc;

	if (c.max_count == 0 || c.max_count > WIRE_MAX_BATCH)
		c.max_count = WIRE_MAX_BATCH;
	/* the count is written first; reserve room for a 3-byte varint
	 * (WIRE_MAX_BATCH needs two) */
	if (bf_buf_add(b, "\x80\x80\x00", 3))
		return bf_errf(err, BF_ENOMEM, "collect: out of memory");
	rc = sync_lacking(local, their, collect_origin, &c);
	if (rc < 0)
		return rc;
	/* rewrite the count minimally: shift the payload if needed */
	payload = b->len - count_at - 3;
	bf_put_uvarint(&cb, c.count);
	memmove(b->p + count_at + cb.len, b->p + count_at + 3, payload);
	memcpy(b->p + count_at, tmp, cb.len);
	b->len = count_at + cb.len + payload;
	*count = c.count;
	*more = c.more;
	return 0;
}

/* --- forks across the wire ------------------------------------------------ */

static int marked(const struct sync_fork_marks *marks, const char *origin,
		  uint64_t seq)
{
	for (size_t k = 0; k < marks->n; k++)
		if (marks->m[k].seq == seq &&
		    !strcmp(marks->m[k].origin, origin))
			return 1;
	return 0;
}

size_t sync_fork_adjust(struct store *s, const struct vv *local,
			struct vv *their, struct sync_fork_marks *marks,
			struct sync_fork found[SYNC_FORK_MARKS])
{
	size_t nfound = 0;

	for (size_t i = 0; i < their->n; i++) {
		struct vv_entry *t = &their->e[i];
		const struct vv_entry *mine = vv_find(local, t->origin);
		uint8_t h[CS_HASH_LEN];
		struct bf_err err;
		struct sync_fork *f;

		if (!mine || t->seq == 0 || t->seq > mine->seq)
			continue; /* nothing here to compare with */
		if (t->seq == mine->seq)
			memcpy(h, mine->hash, CS_HASH_LEN);
		else if (store_log_hash(s, t->origin, t->seq, h, &err) != BF_OK)
			continue;
		if (!memcmp(h, t->hash, CS_HASH_LEN))
			continue;
		if (marked(marks, t->origin, t->seq) ||
		    marks->n == SYNC_FORK_MARKS)
			continue; /* answered already (or enough of them) */
		snprintf(marks->m[marks->n].origin, sizeof(marks->m[0].origin),
			 "%s", t->origin);
		marks->m[marks->n++].seq = t->seq;
		f = &found[nfound++];
		snprintf(f->origin, sizeof(f->origin), "%s", t->origin);
		f->seq = t->seq;
		memcpy(f->here, h, CS_HASH_LEN);
		memcpy(f->there, t->hash, CS_HASH_LEN);
		/* they get this node's change sets from the fork on */
		t->seq--;
		if (t->seq == 0 || store_log_hash(s, t->origin, t->seq,
						  t->hash, &err) != BF_OK)
			memset(t->hash, 0, CS_HASH_LEN);
	}
	return nfound;
}

/* --- this node's own origin ----------------------------------------------- */

int sync_origin_behind(const struct vv *local, const struct vv *their,
		       const char *self, uint64_t marked_seq, uint64_t *seq)
{
	const struct vv_entry *t = vv_find(their, self);

	if (!t || t->seq <= vv_seq(local, self) || t->seq <= marked_seq)
		return 0;
	*seq = t->seq;
	return 1;
}

int sync_origin_current(const struct vv *local, const char *self,
			uint64_t marked_seq)
{
	const struct vv_entry *mine = vv_find(local, self);

	return marked_seq && mine && mine->seq >= marked_seq;
}

/* --- when to try again ---------------------------------------------------- */

uint64_t sync_backoff(uint64_t *backoff_ms, uint64_t jitter)
{
	uint64_t b = *backoff_ms ? *backoff_ms * 2 : SYNC_BACKOFF_MIN_MS;

	if (b > SYNC_BACKOFF_MAX_MS)
		b = SYNC_BACKOFF_MAX_MS;
	*backoff_ms = b;
	return b + jitter % (b / 2 + 1);
}

uint64_t sync_push_hold(uint64_t applied, uint64_t rejected)
{
	return rejected && !applied ? SYNC_PUSH_HOLD_MS : 0;
}
