/*
 * storelog: reading the change-set log and the version vector: an
 * origin's head and its cursor (seq, hash, fork), the whole vector, the
 * log's change sets in the order a peer should receive them, one entry's
 * hash, and the mark by which the daemon notices commits made by other
 * processes.  What writes them is the apply path (store_apply).
 */
#include <sqlite3.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

int store_read_cursor(struct store *s, const char *origin,
		      struct store_cursor *h, struct bf_err *err)
{
	int rc = store_prep(s, &s->vv_get,
		      "SELECT seq, hash, forked_at FROM vv WHERE origin = ?1",
		      err);

	if (rc)
		return rc;
	memset(h, 0, sizeof(*h));
	sqlite3_bind_text(s->vv_get, 1, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->vv_get);
	if (rc == SQLITE_ROW) {
		h->seq = (uint64_t)sqlite3_column_int64(s->vv_get, 0);
		if (sqlite3_column_bytes(s->vv_get, 1) == CS_HASH_LEN)
			memcpy(h->hash, sqlite3_column_blob(s->vv_get, 1),
			       CS_HASH_LEN);
		h->forked_at = (uint64_t)sqlite3_column_int64(s->vv_get, 2);
		rc = BF_OK;
	} else {
		rc = store_walk_end(s, rc, err, "reading the vector");
	}
	sqlite3_reset(s->vv_get);
	return rc;
}

int store_log_hash(struct store *s, const char *origin, uint64_t seq,
		   uint8_t out[CS_HASH_LEN], struct bf_err *err)
{
	int rc = store_prep(s, &s->log_hash,
		      "SELECT hash FROM cs_log WHERE origin = ?1 AND seq = ?2",
		      err);

	if (rc)
		return rc;
	if (seq > INT64_MAX)
		return BF_ENOENT;
	sqlite3_bind_text(s->log_hash, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->log_hash, 2, (int64_t)seq);
	rc = sqlite3_step(s->log_hash);
	if (rc == SQLITE_ROW &&
	    sqlite3_column_bytes(s->log_hash, 0) == CS_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(s->log_hash, 0), CS_HASH_LEN);
		rc = BF_OK;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = BF_ENOENT;
	} else {
		rc = store_sql_fail(s, err, "reading the log");
	}
	sqlite3_reset(s->log_hash);
	return rc;
}

int store_head(struct store *s, const char *origin, uint64_t *seq,
	       uint8_t hash[CS_HASH_LEN], struct bf_err *err)
{
	struct store_cursor h;
	int rc = store_read_cursor(s, origin, &h, err);

	if (rc)
		return rc;
	*seq = h.seq;
	memcpy(hash, h.hash, CS_HASH_LEN);
	return BF_OK;
}

int store_vector(struct store *s, store_vv_cb cb, void *ctx,
		 struct bf_err *err)
{
	static const char sql[] = "SELECT origin, seq, hash, forked_at FROM vv "
				  "ORDER BY origin";
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_borrow(s, &s->vv_all, &s->vv_walking, sql, &st, err) != 0)
		return store_sql_fail(s, err, "reading the vector");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_vv_entry e;

		memset(&e, 0, sizeof(e));
		e.origin = (const char *)sqlite3_column_text(st, 0);
		e.seq = (uint64_t)sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) == CS_HASH_LEN)
			memcpy(e.hash, sqlite3_column_blob(st, 2), CS_HASH_LEN);
		e.forked_at = (uint64_t)sqlite3_column_int64(st, 3);
		if (!e.origin)
			continue;
		if ((rc = cb(ctx, &e)) != 0)
			goto out;
	}
	rc = store_walk_end(s, rc, err, "reading the vector");
out:
	store_give_back(st, s->vv_all, &s->vv_walking);
	return rc;
}

int64_t store_log_mark(struct store *s)
{
	struct bf_err err;
	int64_t v = -1;

	if (store_prep(s, &s->log_mark,
		       "SELECT coalesce(max(rowid), 0) FROM cs_log", &err) != 0)
		return -1;
	if (sqlite3_step(s->log_mark) == SQLITE_ROW)
		v = sqlite3_column_int64(s->log_mark, 0);
	sqlite3_reset(s->log_mark);
	return v;
}

/* Walks one origin's log from after_seq on. */
static int walk_origin(struct store *s, const char *origin, uint64_t after,
		       store_cs_cb cb, void *ctx, struct bf_err *err)
{
	static const char sql[] = "SELECT seq, time_ms, nrows, hash, bytes "
				  "FROM cs_log WHERE origin = ?1 AND seq > ?2 "
				  "ORDER BY seq";
	sqlite3_stmt *st = NULL;
	int rc;

	if (store_borrow(s, &s->walk, &s->walking, sql, &st, err) != 0)
		return store_sql_fail(s, err, "reading the log");
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, after > INT64_MAX ? INT64_MAX
						    : (int64_t)after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_cs_entry e;

		e.origin = origin;
		e.seq = (uint64_t)sqlite3_column_int64(st, 0);
		e.time_ms = (uint64_t)sqlite3_column_int64(st, 1);
		e.nrows = (uint64_t)sqlite3_column_int64(st, 2);
		e.hash = sqlite3_column_blob(st, 3);
		e.bytes = sqlite3_column_blob(st, 4);
		e.len = (size_t)sqlite3_column_bytes(st, 4);
		if ((rc = cb(ctx, &e)) != 0)
			goto out;
	}
	rc = store_walk_end(s, rc, err, "reading the log");
out:
	store_give_back(st, s->walk, &s->walking);
	return rc;
}

int store_changesets(struct store *s, const char *origin, uint64_t after_seq,
		     store_cs_cb cb, void *ctx, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (origin)
		return walk_origin(s, origin, after_seq, cb, ctx, err);
	/* the roster first, so that a receiver knows the members before
	 * their change sets arrive */
	if ((rc = walk_origin(s, SCHEMA_COORDINATOR, after_seq, cb, ctx, err)))
		return rc;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT DISTINCT origin FROM cs_log WHERE "
			       "origin <> ?1 ORDER BY origin",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sql_fail(s, err, "reading the log");
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);

		if (o && (rc = walk_origin(s, o, after_seq, cb, ctx, err)) != 0)
			goto out;
	}
	rc = store_walk_end(s, rc, err, "reading the log");
out:
	sqlite3_finalize(st);
	return rc;
}
