/*
 * Anti-entropy on the loop's side: the change sets a peer lacks, collected
 * into a batch within its bounds; applying what a peer sent; the fork
 * adjustment of a peer's vector; whether a peer lacks anything.
 */
#include <jansson.h>
#include <string.h>

#include "daemon.h"
#include "schema.h"

/* --- collecting what a peer lacks ---------------------------------------- */

struct collect {
	struct bf_buf *b;
	size_t max, count;
	int more;
};

static int collect_cb(void *ctx, const struct store_cs_entry *e)
{
	struct collect *c = ctx;

	if (c->count >= WIRE_MAX_BATCH ||
	    (c->count > 0 && c->b->len + e->len + 10 > c->max)) {
		c->more = 1;
		return 1; /* stop: the rest goes in the next batch */
	}
	if (bf_put_uvarint(c->b, e->len) || bf_buf_add(c->b, e->bytes, e->len))
		return BF_ENOMEM;
	c->count++;
	return 0;
}

static int collect_origin(struct daemon *d, struct collect *c,
			  const struct vv_entry *mine, const struct vv *their)
{
	const struct vv_entry *t = vv_find(their, mine->origin);
	uint64_t have = t ? t->seq : 0;
	struct bf_err err;
	int rc;

	if (have >= mine->seq || c->more)
		return 0;
	rc = store_changesets(d->node.store, mine->origin, have, collect_cb, c,
			      &err);
	if (rc < 0) {
		log_msg(LOG_ERROR, "store-error", "collect %s: %s", mine->origin,
			err.msg);
		return rc;
	}
	return 0;
}

int daemon_collect(struct daemon *d, const struct vv *their, size_t max_bytes,
		   struct bf_buf *b, size_t *count, int *more)
{
	struct collect c = {b, max_bytes, 0, 0};
	size_t count_at = b->len;
	const struct vv_entry *coord = vv_find(&d->local, SCHEMA_COORDINATOR);
	int rc = 0;

	/* the count is written first; reserve room for a 3-byte varint */
	if (bf_buf_add(b, "\x80\x80\x00", 3))
		return BF_ENOMEM;
	/* the roster first: members' change sets need it */
	if (coord)
		rc = collect_origin(d, &c, coord, their);
	for (size_t i = 0; i < d->local.n && !rc; i++)
		if (&d->local.e[i] != coord)
			rc = collect_origin(d, &c, &d->local.e[i], their);
	if (rc)
		return rc;
	/* rewrite the count minimally: shift the payload if needed */
	{
		uint8_t tmp[10];
		struct bf_buf cb = {tmp, 0, sizeof(tmp), sizeof(tmp)};
		size_t payload = b->len - count_at - 3;
		bf_put_uvarint(&cb, c.count);
		memmove(b->p + count_at + cb.len, b->p + count_at + 3, payload);
		memcpy(b->p + count_at, tmp, cb.len);
		b->len = count_at + cb.len + payload;
	}
	*count = c.count;
	*more = c.more;
	return 0;
}

/* --- applying ------------------------------------------------------------ */

int daemon_apply(struct daemon *d, const char *from, const uint8_t *cs,
		 size_t len)
{
	struct cs_header h;
	struct bf_err err;
	size_t rows = 0;
	char esc[512];
	uint64_t t0;
	int rc;

	memset(&h, 0, sizeof(h));
	t0 = bf_mono_ns();
	rc = store_apply(d->node.store, cs, len, &h, &rows, &err);
	monitor_apply(&d->mon, rc, rc ? err.msg : NULL, from, rows,
		      (double)(bf_mono_ns() - t0) / 1e9, bf_now_ms());
	if (rc == 0) {
		d->applied++;
		log_msg(LOG_DEBUG, "changeset-applied",
			"origin=%s seq=%llu rows=%zu from=%s", h.origin,
			(unsigned long long)h.seq, rows, from);
		return 0;
	}
	if (rc == BF_EDUP) {
		/* relays and pushes overlap: common, harmless, not applied */
		log_msg(LOG_DEBUG, "changeset-duplicate",
			"origin=%s seq=%llu from=%s", h.origin,
			(unsigned long long)h.seq, from);
		return 1;
	}
	d->rejected++;
	log_msg(rc == BF_EFORK ? LOG_ERROR : LOG_WARN,
		rc == BF_EFORK ? "fork-detected" : "changeset-rejected",
		"from=%s reason=\"%s\"", from,
		log_escape(err.msg, strlen(err.msg), esc, sizeof(esc)));
	/* the evidence and the fork point were committed: status shows
	 * them from the vector */
	if (rc == BF_EFORK)
		daemon_refresh_vector(d);
	return rc;
}

/* Did the roster's certificates change since the last look?  Only the
 * coordinator writes the roster: its seq tells when to look at all. */
int daemon_roster_moved(struct daemon *d)
{
	const struct vv_entry *co = vv_find(&d->local, SCHEMA_COORDINATOR);
	uint64_t seq = co ? co->seq : 0;
	uint8_t digest[CS_HASH_LEN];

	if (seq == d->roster_seq)
		return 0;
	d->roster_seq = seq;
	tlsconf_roster_digest(d, digest);
	if (!memcmp(digest, d->roster_digest, sizeof(digest)))
		return 0;
	memcpy(d->roster_digest, digest, sizeof(digest));
	return 1;
}

void daemon_changed(struct daemon *d)
{
	/* a new roster may admit or revoke certificates: the TLS
	 * configurations are rebuilt by the main loop, outside any handler */
	if (daemon_roster_moved(d))
		d->tls_dirty = 1;
	server_wake(d, 1);
	for (size_t i = 0; i < d->npeers; i++)
		peer_tick(d, &d->peers[i]);
}

void daemon_refresh(struct daemon *d)
{
	if (daemon_refresh_vector(d))
		daemon_changed(d);
}

int daemon_send(nng_aio *aio, const struct bf_buf *b)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, 0) != 0)
		return BF_ENOMEM;
	if (nng_msg_append(m, b->p, b->len) != 0) {
		nng_msg_free(m);
		return BF_ENOMEM;
	}
	nng_aio_set_msg(aio, m);
	return 0;
}

void daemon_fork_adjust(struct daemon *d, struct vv *their,
			struct fork_marks *marks, const char *peer)
{
	for (size_t i = 0; i < their->n; i++) {
		struct vv_entry *t = &their->e[i];
		const struct vv_entry *mine = vv_find(&d->local, t->origin);
		uint8_t h[CS_HASH_LEN];
		char a[2 * 8 + 1], b[2 * 8 + 1];
		struct bf_err err;
		size_t k;

		if (!mine || t->seq == 0 || t->seq > mine->seq)
			continue; /* nothing here to compare with */
		if (t->seq == mine->seq)
			memcpy(h, mine->hash, CS_HASH_LEN);
		else if (store_log_hash(d->node.store, t->origin, t->seq, h,
					&err) != BF_OK)
			continue;
		if (!memcmp(h, t->hash, CS_HASH_LEN))
			continue;
		for (k = 0; k < marks->n; k++)
			if (marks->m[k].seq == t->seq &&
			    !strcmp(marks->m[k].origin, t->origin))
				break;
		if (k < marks->n || marks->n == FORK_MARKS)
			continue; /* answered already (or enough of them) */
		snprintf(marks->m[marks->n].origin,
			 sizeof(marks->m[0].origin), "%s", t->origin);
		marks->m[marks->n++].seq = t->seq;
		bf_hex(h, 8, a);
		bf_hex(t->hash, 8, b);
		log_msg(LOG_ERROR, "fork-detected",
			"origin=%s seq=%llu peer=%s here=%s... there=%s... "
			"reason=\"two change sets at one seq, seen in the "
			"vectors: sending ours as evidence\"",
			t->origin, (unsigned long long)t->seq, peer, a, b);
		/* they get this node's change sets from the fork on */
		t->seq--;
		if (t->seq == 0 ||
		    store_log_hash(d->node.store, t->origin, t->seq, t->hash,
				   &err) != BF_OK)
			memset(t->hash, 0, CS_HASH_LEN);
	}
}

int daemon_lacks(const struct daemon *d, const struct vv *their)
{
	for (size_t i = 0; i < d->local.n; i++) {
		const struct vv_entry *t = vv_find(their, d->local.e[i].origin);
		if (!t || t->seq < d->local.e[i].seq)
			return 1;
	}
	return 0;
}
