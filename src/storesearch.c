/*
 * storesearch: keeping the full-text index (search_doc, search_fts; see
 * store.h) current while a change set applies.  The rows it touches in
 * searchable tables are marked in temp.search_dirty, their old entries
 * dropped while the rows still hold the indexed text, and after the rows
 * changed their entries are rebuilt in a few statements per table (the
 * SQL is store_search_sql's, storeschema.c).
 */
#include <sqlite3.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

int store_search_init(struct store *s, struct bf_buf *b, struct bf_err *err)
{
	/* the marks live in memory, per connection */
	int rc = store_exec(s,
			    "PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF "
			    "NOT EXISTS search_dirty(tbl TEXT NOT NULL, owner "
			    "TEXT NOT NULL, id TEXT NOT NULL)",
			    err);

	rc = rc ? rc : store_prep(s, &s->search_mark,
				  "INSERT INTO temp.search_dirty VALUES(?1, "
				  "?2, ?3)",
				  err);
	rc = rc ? rc : store_prep(s, &s->search_clear,
				  "DELETE FROM temp.search_dirty", err);
	for (size_t i = 0; i < schema_ntables && !rc; i++) {
		if (!store_search_table(schema_tables[i].name))
			continue;
		for (int k = 0; k < 4 && !rc; k++) {
			bf_buf_reset(b);
			rc = store_search_sql(b, &schema_tables[i], k);
			rc = store_prep_buf(s, &s->tab[i].search[k], b, rc,
					    err);
		}
	}
	return rc;
}

/* Notes a row of a searchable table for the index refresh that ends the
 * change set (store_search_reindex). */
static int search_mark(struct store *s, size_t ti, const char *origin,
		       const struct cs_str *id, struct bf_err *err)
{
	sqlite3_stmt *st = s->search_mark;

	if (!s->tab[ti].search[0])
		return BF_OK;
	s->search_dirty |= 1ull << ti;
	if (sqlite3_bind_text(st, 1, schema_tables[ti].name, -1,
			      SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, id->p, (int)id->len, SQLITE_STATIC))
		return store_sql_fail(s, err, "bind");
	return store_step_done(s, st, err);
}

int store_search_unindex(struct store *s, const struct changeset *cs,
			 struct bf_err *err)
{
	const char *cur = NULL;
	int ti = -1, rc = BF_OK;

	s->search_dirty = 0;
	for (size_t i = 0; i < cs->nrows && !rc; i++) {
		const struct cs_row *r = &cs->rows[i];

		if (r->table.p != cur) {
			ti = store_table_index(r->table.p, r->table.len);
			cur = r->table.p;
		}
		if (ti >= 0)
			rc = search_mark(s, (size_t)ti, cs->h.origin, &r->id,
					 err);
	}
	for (size_t t = 0; t < schema_ntables && s->search_dirty && !rc; t++)
		if (s->search_dirty >> t & 1)
			rc = store_step_done(s, s->tab[t].search[0], err);
	if (rc)
		bf_err_prefix(err, "full-text index");
	return rc;
}

/* A few statements per table rather than triggers: see storeschema.c,
 * migrate_v3. */
int store_search_reindex(struct store *s, struct bf_err *err)
{
	int rc = BF_OK;

	for (size_t t = 0; t < schema_ntables && s->search_dirty && !rc; t++) {
		if (!(s->search_dirty >> t & 1))
			continue;
		for (int k = 1; k < 4 && !rc; k++)
			rc = store_step_done(s, s->tab[t].search[k], err);
	}
	if (!rc && s->search_dirty)
		rc = store_step_done(s, s->search_clear, err);
	s->search_dirty = 0;
	if (rc)
		bf_err_prefix(err, "full-text index");
	return rc;
}

