/*
 * fetchstate: the fetch_state table (fetch.h says what it holds): local
 * to this node, never replicated, created on first write, and a column
 * added to tables from before it was there.
 */
#include "fetchstate.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "fetchapply.h"

static const char state_ddl[] =
	"CREATE TABLE IF NOT EXISTS fetch_state(source TEXT PRIMARY KEY, "
	"url TEXT, etag TEXT, last_modified TEXT, last_attempt_ms INTEGER, "
	"last_success_ms INTEGER, last_change_ms INTEGER, last_error_ms "
	"INTEGER, last_error TEXT, last_status INTEGER, records INTEGER, "
	"pages INTEGER, bytes INTEGER, roster TEXT, refused INTEGER)";

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);
	return v > 0 ? (uint64_t)v : 0;
}

static void col_str(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	snprintf(out, n, "%s", v ? v : "");
}

int fetch_state_get(struct store *s, const char *name, struct fetch_state *out,
		    struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	/* a table from before the refused column has none (the next
	 * state_put adds it); read-only nodes cannot add it */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT url, etag, last_modified, "
			       "last_attempt_ms, last_success_ms, "
			       "last_change_ms, last_error_ms, last_error, "
			       "last_status, records, pages, bytes, roster, "
			       "refused FROM fetch_state WHERE source = ?1",
			       -1, &st, NULL) != SQLITE_OK &&
	    (sqlite3_finalize(st),
	     sqlite3_prepare_v2(store_db(s),
				"SELECT url, etag, last_modified, "
				"last_attempt_ms, last_success_ms, "
				"last_change_ms, last_error_ms, last_error, "
				"last_status, records, pages, bytes, roster, "
				"0 FROM fetch_state WHERE source = ?1",
				-1, &st, NULL)) != SQLITE_OK) {
		/* no table yet: nothing was ever fetched here */
		sqlite3_finalize(st);
		return bf_errf(err, BF_ENOENT, "%s: never fetched", name);
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE
			     ? bf_errf(err, BF_ENOENT, "%s: never fetched", name)
			     : bf_errf(err, BF_EIO, "fetch state: %s",
				       sqlite3_errmsg(store_db(s)));
		goto out;
	}
	snprintf(out->source, sizeof(out->source), "%s", name);
	col_str(st, 0, out->url, sizeof(out->url));
	col_str(st, 1, out->v.etag, sizeof(out->v.etag));
	col_str(st, 2, out->v.last_modified, sizeof(out->v.last_modified));
	out->last_attempt_ms = col_u64(st, 3);
	out->last_success_ms = col_u64(st, 4);
	out->last_change_ms = col_u64(st, 5);
	out->last_error_ms = col_u64(st, 6);
	col_str(st, 7, out->last_error, sizeof(out->last_error));
	out->last_status = (long)sqlite3_column_int64(st, 8);
	out->records = col_u64(st, 9);
	out->pages = col_u64(st, 10);
	out->bytes = col_u64(st, 11);
	col_str(st, 12, out->roster, sizeof(out->roster));
	out->refused = col_u64(st, 13);
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int fetchstate_put(struct store *s, const char *name, const char *url,
		     const char *roster, const struct fetch_validators *v,
		     uint64_t now,
		     int success, int changed, const char *error, long status,
		     const struct fetch_result *r, struct bf_err *err)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_exec(db, state_ddl, NULL, NULL, NULL) != SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "fetch state: %s", sqlite3_errmsg(db));
		goto out;
	}
	/* a table from before refused was counted: fails once it has it */
	sqlite3_exec(db, "ALTER TABLE fetch_state ADD COLUMN refused INTEGER",
		     NULL, NULL, NULL);
	if (sqlite3_prepare_v2(
		    db,
		    "INSERT INTO fetch_state(source, url, etag, last_modified, "
		    "last_attempt_ms, last_success_ms, last_change_ms, "
		    "last_error_ms, last_error, last_status, records, pages, "
		    "bytes, roster, refused) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT(source) "
		    "DO UPDATE SET "
		    "url = coalesce(?2, url), etag = coalesce(?3, etag), "
		    "last_modified = coalesce(?4, last_modified), "
		    "last_attempt_ms = ?5, "
		    "last_success_ms = coalesce(?6, last_success_ms), "
		    "last_change_ms = coalesce(?7, last_change_ms), "
		    "last_error_ms = coalesce(?8, last_error_ms), "
		    "last_error = coalesce(?9, last_error), "
		    "last_status = coalesce(?10, last_status), "
		    "records = coalesce(?11, records), "
		    "pages = coalesce(?12, pages), "
		    "bytes = coalesce(?13, bytes), "
		    "roster = coalesce(?14, roster), "
		    "refused = coalesce(?15, refused)",
		    -1, &st, NULL) != SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "fetch state: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	if (status)
		sqlite3_bind_int64(st, 10, status);
	if (success) {
		sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
		if (changed)
			sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	}
	if (url) {
		/* a full fetch: its validators (or none) replace the old */
		sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, v ? v->etag : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, v ? v->last_modified : "", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)r->pub.records);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)r->pages);
		sqlite3_bind_int64(st, 13, (sqlite3_int64)r->bytes);
		sqlite3_bind_text(st, 14, roster, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 15, (sqlite3_int64)r->pub.skipped);
	}
	if (error) {
		sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
		sqlite3_bind_text(st, 9, error, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? BF_OK
		     : bf_errf(err, BF_EIO, "fetch state: %s",
			       sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t fetchstate_owned_rows(struct store *s, const char *owner,
			  const char *name)
{
	sqlite3_stmt *st = NULL;
	char lo[80], hi[80];
	int64_t n = -1;

	/* ids "NAME:..." sort between "NAME:" and "NAME;" */
	snprintf(lo, sizeof(lo), "%s:", name);
	snprintf(hi, sizeof(hi), "%s;", name);
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT count(*) FROM project WHERE owner = ?1 "
			       "AND id >= ?2 AND id < ?3",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

void fetchstate_roster_fingerprint(struct store *s, char out[17])
{
	struct fetchmap_roster r = {0};
	struct bf_buf b;
	struct bf_err err;
	uint8_t h[CS_HASH_LEN];

	bf_buf_init(&b, 0);
	if (fetchapply_load_roster(s, &r, &err) == 0)
		for (size_t i = 0; i < r.n; i++)
			if (bf_buf_adds(&b, r.v[i].slug) ||
			    bf_buf_adds(&b, r.v[i].keys[0]) ||
			    bf_buf_adds(&b, r.v[i].keys[1]) ||
			    bf_buf_addc(&b, '\n'))
				break;
	cs_sha256(b.p ? (const void *)b.p : "", b.len, h);
	bf_hex(h, 8, out);
	bf_buf_free(&b);
	fetchmap_roster_free(&r);
}

int fetch_due(struct store *s, const struct bf_source *src, uint64_t now_ms)
{
	struct fetch_state st;
	struct bf_err err;

	if (fetch_state_get(s, src->name, &st, &err) != 0)
		return 1;
	return now_ms >= st.last_attempt_ms + (uint64_t)src->refresh * 1000;
}

