/*
 * storefetch: the store's side of fetch (store.h, "External sources"):
 * the fetch_state table that migration 4 creates (storeschema.c), the
 * count of a source's rows, and the roster's names that partners are
 * matched with.  Each call prepares its statements and finalizes them: a
 * fetch runs them a few times per source, not per row.
 */
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

#define STATE_COLUMNS                                                        \
	"url, etag, last_modified, last_attempt_ms, last_success_ms, "       \
	"last_change_ms, last_error_ms, last_error, last_status, records, "  \
	"pages, bytes, roster"

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

int store_fetch_state_get(struct store *s, const char *source,
			  struct store_fetch_state *out, struct bf_err *err)
{
	struct store_fetch_state r;
	sqlite3_stmt *st = NULL;
	int rc;

	/* a replica from before version 4, read-only (a writer migrates
	 * it): fetch_state from before refused was counted, or none at all,
	 * since fetch created it on its first write */
	if (sqlite3_prepare_v2(s->db,
			       "SELECT " STATE_COLUMNS ", refused FROM "
			       "fetch_state WHERE source = ?1",
			       -1, &st, NULL) != SQLITE_OK &&
	    (sqlite3_finalize(st),
	     sqlite3_prepare_v2(s->db,
				"SELECT " STATE_COLUMNS ", 0 FROM fetch_state "
				"WHERE source = ?1",
				-1, &st, NULL)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return bf_errf(err, BF_ENOENT, "%s: never fetched", source);
	}
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? bf_errf(err, BF_ENOENT,
						 "%s: never fetched", source)
				       : store_sql_fail(s, err, "fetch state");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.source, sizeof(r.source), "%s", source);
	col_str(st, 0, r.url, sizeof(r.url));
	col_str(st, 1, r.etag, sizeof(r.etag));
	col_str(st, 2, r.last_modified, sizeof(r.last_modified));
	r.last_attempt_ms = col_u64(st, 3);
	r.last_success_ms = col_u64(st, 4);
	r.last_change_ms = col_u64(st, 5);
	r.last_error_ms = col_u64(st, 6);
	col_str(st, 7, r.last_error, sizeof(r.last_error));
	r.last_status = (long)sqlite3_column_int64(st, 8);
	r.records = col_u64(st, 9);
	r.pages = col_u64(st, 10);
	r.bytes = col_u64(st, 11);
	col_str(st, 12, r.roster, sizeof(r.roster));
	r.refused = col_u64(st, 13);
	*out = r;
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

int store_fetch_state_put(struct store *s, const struct store_fetch_state *r,
			  unsigned what, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* an unbound parameter is NULL: coalesce keeps the column */
	if (sqlite3_prepare_v2(
		    s->db,
		    "INSERT INTO fetch_state(source, " STATE_COLUMNS
		    ", refused) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		    "?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT(source) DO "
		    "UPDATE SET "
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
		rc = store_sql_fail(s, err, "fetch state");
		goto out;
	}
	sqlite3_bind_text(st, 1, r->source, -1, SQLITE_STATIC);
	bind_u64(st, 5, r->last_attempt_ms);
	if (r->last_status)
		sqlite3_bind_int64(st, 10, r->last_status);
	if (what & STORE_FETCH_SUCCESS)
		bind_u64(st, 6, r->last_success_ms);
	if (what & STORE_FETCH_CHANGE)
		bind_u64(st, 7, r->last_change_ms);
	if (what & STORE_FETCH_ERROR) {
		bind_u64(st, 8, r->last_error_ms);
		sqlite3_bind_text(st, 9, r->last_error, -1, SQLITE_STATIC);
	}
	if (what & STORE_FETCH_WHOLE) {
		sqlite3_bind_text(st, 2, r->url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->etag, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->last_modified, -1, SQLITE_STATIC);
		bind_u64(st, 11, r->records);
		bind_u64(st, 12, r->pages);
		bind_u64(st, 13, r->bytes);
		sqlite3_bind_text(st, 14, r->roster, -1, SQLITE_STATIC);
		bind_u64(st, 15, r->refused);
	}
	rc = sqlite3_step(st) == SQLITE_DONE
		     ? BF_OK
		     : store_sql_fail(s, err, "fetch state");
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t store_fetch_rows(struct store *s, const char *owner,
			 const char *source)
{
	sqlite3_stmt *st = NULL;
	char lo[80], hi[80];
	int64_t n = -1;

	/* ids "NAME:..." sort between "NAME:" and "NAME;" (the key's
	 * order): a range of the primary key, not a scan */
	snprintf(lo, sizeof(lo), "%s:", source);
	snprintf(hi, sizeof(hi), "%s;", source);
	if (sqlite3_prepare_v2(s->db,
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
