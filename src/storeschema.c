/*
 * storeschema: the replica's layout, derived from schema.h, and the steps
 * that migrate an older database to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

/* ---------------------------------------------------------------------- */
/* Layout and migrations                                                    */

static const char *sql_type(enum sch_type t)
{
	switch (t) {
	case SCH_TEXT: return "TEXT";
	case SCH_INT: return "INTEGER";
	case SCH_REAL: return "REAL";
	case SCH_BOOL: return "INTEGER";
	case SCH_LIST: return "TEXT"; /* JSON array of strings */
	}
	return "BLOB";
}

static int reserved_column(const char *name)
{
	return !strcmp(name, "owner") || !strcmp(name, "id") ||
	       !strcmp(name, "rowhash") || !strcmp(name, "extra");
}

static int ddl_table(struct bf_buf *b, const struct sch_table *t,
		     struct bf_err *err)
{
	int rc = bf_buf_adds(b, "CREATE TABLE ");

	rc = rc ? rc : store_add_ident(b, t->name);
	rc = rc ? rc : bf_buf_adds(b, "(\"owner\" TEXT NOT NULL, \"id\" TEXT "
				      "NOT NULL, \"rowhash\" BLOB NOT NULL, "
				      "\"extra\" TEXT");
	for (size_t i = 0; i < t->nfields && !rc; i++) {
		if (reserved_column(t->fields[i].name))
			return bf_errf(err, BF_EINVAL,
				       "schema: %s.%s collides with a key "
				       "column",
				       t->name, t->fields[i].name);
		rc = bf_buf_adds(b, ", ");
		rc = rc ? rc : store_add_ident(b, t->fields[i].name);
		rc = rc ? rc
			: bf_buf_printf(b, " %s", sql_type(t->fields[i].type));
	}
	rc = rc ? rc : bf_buf_adds(b, ", PRIMARY KEY(\"owner\", \"id\")) "
				      "WITHOUT ROWID;\n");
	return rc ? bf_errf(err, rc, "schema: out of memory") : BF_OK;
}

/* Version 1: the schema's tables and the replication bookkeeping. */
static int migrate_v1(struct store *s, struct bf_err *err)
{
	static const char fixed[] =
		/* a rowid table: its rows hold whole change sets */
		"CREATE TABLE cs_log(origin TEXT NOT NULL, seq INTEGER NOT "
		"NULL, hash BLOB NOT NULL, prev BLOB NOT NULL, time_ms INTEGER "
		"NOT NULL, nrows INTEGER NOT NULL, bytes BLOB NOT NULL, "
		"UNIQUE(origin, seq));\n"
		"CREATE TABLE vv(origin TEXT PRIMARY KEY, seq INTEGER NOT "
		"NULL, hash BLOB NOT NULL, forked_at INTEGER NOT NULL DEFAULT "
		"0);\n"
		"CREATE TABLE fork_evidence(origin TEXT NOT NULL, seq INTEGER "
		"NOT NULL, hash BLOB NOT NULL, bytes BLOB NOT NULL, seen_ms "
		"INTEGER NOT NULL, PRIMARY KEY(origin, seq, hash));\n"
		/* rows of tables a newer schema has; fields = row encoding */
		"CREATE TABLE foreign_row(tbl TEXT NOT NULL, owner TEXT NOT "
		"NULL, id TEXT NOT NULL, rowhash BLOB NOT NULL, fields BLOB "
		"NOT NULL, PRIMARY KEY(tbl, owner, id)) WITHOUT ROWID;\n";
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 0);
	if ((rc = bf_buf_adds(&b, fixed)) != 0) {
		rc = bf_errf(err, rc, "schema: out of memory");
		goto out;
	}
	for (size_t i = 0; i < schema_ntables; i++)
		if ((rc = ddl_table(&b, &schema_tables[i], err)) != 0)
			goto out;
	if (!bf_buf_cstr(&b)) {
		rc = bf_errf(err, BF_ENOMEM, "schema: out of memory");
		goto out;
	}
	rc = store_exec(s, (const char *)b.p, err);
out:
	bf_buf_free(&b);
	return rc;
}

/*
 * Version 2: full-text search (store.h, "Full-text search").  search_doc
 * gives every searchable row a stable integer, the FTS rowid, keyed by
 * (tbl, owner, id): the tables are WITHOUT ROWID and have none of their
 * own.  search_fts (FTS5, content kept so that deletes need no old
 * values) indexes the row's name (project: title) and its other SCH_FTS
 * fields as one body, list items flattened.  Triggers keep both in step
 * with the tables, so store_apply has no code for it; upserts run as
 * INSERT ... ON CONFLICT DO UPDATE, which fires the UPDATE triggers.
 * collection_fact and sample hold nothing to search and get no triggers:
 * bulk facts apply at full speed.  Like v1, this step reads the current
 * schema; a later step that adds SCH_FTS fields must recreate the
 * triggers and rebuild the index.
 */
static const char *const search_tables[] = {
	"research_group", "biobank", "collection", "service", "project",
	"network", "study", /* from version 3 */
};
#define NSEARCH (sizeof(search_tables) / sizeof(search_tables[0]))

/* The name column of a searchable table: "name", else "title". */
static const char *search_name_field(const struct sch_table *t)
{
	return schema_field_index(t, "name", 4) >= 0 ? "name" : "title";
}

/* Appends the SQL expression of the body text of row `r` (NEW, OLD or a
 * table alias): the SCH_FTS fields but the name, space-separated. */
/* Appends the SQL expression of the body text of row `r` (NEW, OLD or a
 * table alias): the SCH_FTS fields but the name, space-separated.  Lists
 * are their items (version 2), or from version 3 their JSON text as it
 * is stored (the tokenizer splits at the brackets, quotes and commas all
 * the same; escaped line breaks and tabs become spaces): FTS5 cannot
 * read a view whose columns hold json_each subqueries, and version 3
 * reads the text through one. */
static int search_body_sql(struct bf_buf *b, const struct sch_table *t,
			   const char *r, int raw_lists)
{
	const char *name = search_name_field(t);
	int rc = BF_OK, first = 1;

	for (size_t i = 0; i < t->nfields && !rc; i++) {
		const struct sch_field *f = &t->fields[i];
		int list = f->type == SCH_LIST;

		if (!(f->flags & SCH_FTS) || !strcmp(f->name, name))
			continue;
		rc = bf_buf_adds(b, first ? "" : " || ' ' || ");
		first = 0;
		if (list && !raw_lists)
			rc = rc ? rc
				: bf_buf_printf(b,
						"coalesce((SELECT group_concat("
						"value, ' ') FROM json_each(%s.",
						r);
		else if (list)
			rc = rc ? rc
				: bf_buf_printf(b,
						"coalesce(replace(replace("
						"replace(%s.",
						r);
		else
			rc = rc ? rc : bf_buf_printf(b, "coalesce(%s.", r);
		rc = rc ? rc : store_add_ident(b, f->name);
		rc = rc ? rc
			: bf_buf_adds(b, !list	      ? ", '')"
					 : raw_lists ? ", '\\n', ' '), "
						       "'\\t', ' '), '\\r', "
						       "' '), '')"
						     : ")), '')");
	}
	return rc ? rc : bf_buf_adds(b, first ? "''" : "");
}

static int search_ddl(struct bf_buf *b, const struct sch_table *t,
		      int triggers)
{
	const char *nm = search_name_field(t), *tn = t->name;
	int rc;

	/* initial rows */
	rc = bf_buf_printf(b,
			   "INSERT INTO search_doc(tbl, owner, id) SELECT '%s', "
			   "owner, id FROM \"%s\" ORDER BY owner, id;\n"
			   "INSERT INTO search_fts(rowid, name, body) SELECT "
			   "d.docid, t.\"%s\", ",
			   tn, tn, nm);
	rc = rc ? rc : search_body_sql(b, t, "t", 0);
	rc = rc ? rc
		: bf_buf_printf(b,
				" FROM search_doc d JOIN \"%s\" t ON t.owner = "
				"d.owner AND t.id = d.id WHERE d.tbl = '%s';\n",
				tn, tn);
	if (!triggers)
		return rc;
	/* insert */
	rc = rc ? rc
		: bf_buf_printf(b,
				"CREATE TRIGGER \"search_%s_ins\" AFTER INSERT "
				"ON \"%s\" BEGIN INSERT INTO search_doc(tbl, "
				"owner, id) VALUES('%s', NEW.owner, NEW.id); "
				"INSERT INTO search_fts(rowid, name, body) "
				"VALUES(last_insert_rowid(), NEW.\"%s\", ",
				tn, tn, tn, nm);
	rc = rc ? rc : search_body_sql(b, t, "NEW", 0);
	/* update: the key never changes (upserts keep owner and id) */
	rc = rc ? rc
		: bf_buf_printf(b,
				"); END;\nCREATE TRIGGER \"search_%s_upd\" AFTER "
				"UPDATE ON \"%s\" BEGIN DELETE FROM search_fts "
				"WHERE rowid = (SELECT docid FROM search_doc "
				"WHERE tbl = '%s' AND owner = OLD.owner AND id = "
				"OLD.id); INSERT INTO search_fts(rowid, name, "
				"body) SELECT docid, NEW.\"%s\", ",
				tn, tn, tn, nm);
	rc = rc ? rc : search_body_sql(b, t, "NEW", 0);
	rc = rc ? rc
		: bf_buf_printf(b,
				" FROM search_doc WHERE tbl = '%s' AND owner = "
				"NEW.owner AND id = NEW.id; END;\n",
				tn);
	/* delete */
	rc = rc ? rc
		: bf_buf_printf(b,
				"CREATE TRIGGER \"search_%s_del\" AFTER DELETE "
				"ON \"%s\" BEGIN DELETE FROM search_fts WHERE "
				"rowid = (SELECT docid FROM search_doc WHERE tbl "
				"= '%s' AND owner = OLD.owner AND id = OLD.id); "
				"DELETE FROM search_doc WHERE tbl = '%s' AND "
				"owner = OLD.owner AND id = OLD.id; END;\n",
				tn, tn, tn, tn);
	return rc;
}

/* The doc ids of the searchable rows: their FTS5 rowids. */
#define SEARCH_DOC_DDL                                                        \
	"CREATE TABLE search_doc(docid INTEGER PRIMARY KEY, tbl TEXT NOT "    \
	"NULL, owner TEXT NOT NULL, id TEXT NOT NULL, UNIQUE(tbl, owner, "    \
	"id));\n"

/* Runs the SQL b holds (rc: the first failure of building it), frees b. */
static int exec_built(struct store *s, struct bf_buf *b, int rc,
		      struct bf_err *err)
{
	if (rc || !bf_buf_cstr(b))
		rc = bf_errf(err, rc == BF_EINVAL ? rc : BF_ENOMEM,
			     "schema: full-text search tables");
	else
		rc = store_exec(s, (const char *)b->p, err);
	bf_buf_free(b);
	return rc;
}

/* The full-text tables of version 2: the index keeps a copy of the text
 * and triggers keep it current. */
static int search_tables_v2(struct store *s, struct bf_err *err)
{
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 0);
	/* a name counts four times the body in the ranking (bm25 weights) */
	rc = bf_buf_adds(&b, SEARCH_DOC_DDL
			 "CREATE VIRTUAL TABLE search_fts USING fts5(name, body, "
			 "tokenize = 'unicode61 remove_diacritics 2');\n"
			 "INSERT INTO search_fts(search_fts, rank) "
			 "VALUES('rank', 'bm25(4.0, 1.0)');\n");
	for (size_t i = 0; i < NSEARCH && !rc; i++) {
		const struct sch_table *t = schema_table(
			search_tables[i], strlen(search_tables[i]));

		rc = t ? search_ddl(&b, t, 1) : BF_EINVAL;
	}
	return exec_built(s, &b, rc, err);
}

/*
 * The full-text tables from version 3: the index holds no copy of the
 * text (FTS5 external content): search_src, a view over the searchable
 * tables, gives a row's name and body when a query asks for them, and
 * store.c tells the index what to drop and add as change sets apply
 * (store_search_sql).  Both read the text through search_body_sql, so
 * what is removed is exactly what was added.
 */
static int search_tables_v3(struct store *s, struct bf_err *err)
{
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 0);
	rc = bf_buf_adds(&b, SEARCH_DOC_DDL
			 "CREATE VIEW search_src AS SELECT d.docid AS docid, "
			 "CASE d.tbl");
	/* one SELECT with a join per table, not a UNION ALL: SQLite 3.40
	 * fails "SELECT T.docid, T.* ... ORDER BY", which FTS5 runs, over
	 * a compound view whose arms hold subqueries */
	for (size_t i = 0; i < NSEARCH && !rc; i++) {
		const struct sch_table *t = schema_table(
			search_tables[i], strlen(search_tables[i]));

		if (!t) {
			rc = BF_EINVAL;
			break;
		}
		rc = bf_buf_printf(&b, " WHEN '%s' THEN t%zu.\"%s\"", t->name,
				   i, search_name_field(t));
	}
	rc = rc ? rc : bf_buf_adds(&b, " END AS name, CASE d.tbl");
	for (size_t i = 0; i < NSEARCH && !rc; i++) {
		const struct sch_table *t = schema_table(
			search_tables[i], strlen(search_tables[i]));
		char alias[8];

		snprintf(alias, sizeof(alias), "t%zu", i);
		rc = bf_buf_printf(&b, " WHEN '%s' THEN ", t->name);
		rc = rc ? rc : search_body_sql(&b, t, alias, 1);
	}
	rc = rc ? rc : bf_buf_adds(&b, " END AS body FROM search_doc d");
	for (size_t i = 0; i < NSEARCH && !rc; i++)
		rc = bf_buf_printf(&b,
				   " LEFT JOIN \"%s\" t%zu ON d.tbl = '%s' AND "
				   "t%zu.owner = d.owner AND t%zu.id = d.id",
				   search_tables[i], i, search_tables[i], i, i);
	/* a name counts four times the body in the ranking (bm25 weights) */
	rc = rc ? rc
		: bf_buf_adds(&b,
			      ";\nCREATE VIRTUAL TABLE search_fts USING "
			      "fts5(name, body, content = 'search_src', "
			      "content_rowid = 'docid', tokenize = 'unicode61 "
			      "remove_diacritics 2');\n"
			      "INSERT INTO search_fts(search_fts, rank) "
			      "VALUES('rank', 'bm25(4.0, 1.0)');\n");
	for (size_t i = 0; i < NSEARCH && !rc; i++)
		rc = bf_buf_printf(&b,
				   "INSERT INTO search_doc(tbl, owner, id) "
				   "SELECT '%s', owner, id FROM \"%s\" ORDER BY "
				   "owner, id;\n",
				   search_tables[i], search_tables[i]);
	rc = rc ? rc
		: bf_buf_adds(&b, "INSERT INTO search_fts(search_fts) "
				  "VALUES('rebuild');\n");
	return exec_built(s, &b, rc, err);
}

static int migrate_v2(struct store *s, struct bf_err *err)
{
	return search_tables_v2(s, err);
}

int store_search_table(const char *name)
{
	for (size_t i = 0; i < NSEARCH; i++)
		if (!strcmp(search_tables[i], name))
			return 1;
	return 0;
}

/* " FROM" the rows of t the change set touched (each once, as x), with
 * their doc ids (d) and their row (t): steps 0 and 3 read the same. */
static int dirty_docs_sql(struct bf_buf *b, const struct sch_table *t)
{
	return bf_buf_printf(b,
			     " FROM (SELECT DISTINCT owner, id FROM "
			     "temp.search_dirty WHERE tbl = '%s') x JOIN "
			     "search_doc d ON d.tbl = '%s' AND d.owner = "
			     "x.owner AND d.id = x.id JOIN \"%s\" t ON t.owner "
			     "= x.owner AND t.id = x.id",
			     t->name, t->name, t->name);
}

int store_search_sql(struct bf_buf *b, const struct sch_table *t, int step)
{
	const char *tn = t->name;
	/* the rows this change set touched, each once */
	static const char dirty[] = "(SELECT DISTINCT owner, id FROM "
				    "temp.search_dirty WHERE tbl = '%s')";
	int rc;

	switch (step) {
	case 0: /* before the rows change: their entries out, told the very
		 * text they were indexed with (the index keeps none) */
		rc = bf_buf_adds(b, "INSERT INTO search_fts(search_fts, rowid, "
				    "name, body) SELECT 'delete', d.docid, ");
		rc = rc ? rc : bf_buf_printf(b, "t.\"%s\", ",
					     search_name_field(t));
		rc = rc ? rc : search_body_sql(b, t, "t", 1);
		return rc ? rc : dirty_docs_sql(b, t);
	case 1: /* rows gone: their doc ids too */
		return bf_buf_printf(
			b,
			"DELETE FROM search_doc WHERE tbl = '%s' AND (owner, "
			"id) IN (SELECT owner, id FROM temp.search_dirty "
			"WHERE tbl = '%s') AND NOT EXISTS (SELECT 1 FROM "
			"\"%s\" t WHERE t.owner = search_doc.owner AND t.id = "
			"search_doc.id)",
			tn, tn, tn);
	case 2: /* new rows: a doc id each */
		rc = bf_buf_printf(b,
				   "INSERT OR IGNORE INTO search_doc(tbl, owner, "
				   "id) SELECT '%s', x.owner, x.id FROM ",
				   tn);
		rc = rc ? rc : bf_buf_printf(b, dirty, tn);
		return rc ? rc
			  : bf_buf_printf(b,
					  " x JOIN \"%s\" t ON t.owner = "
					  "x.owner AND t.id = x.id ORDER BY "
					  "x.owner, x.id",
					  tn);
	case 3: /* the rows as they are now */
		rc = bf_buf_printf(b,
				   "INSERT INTO search_fts(rowid, name, body) "
				   "SELECT d.docid, t.\"%s\", ",
				   search_name_field(t));
		rc = rc ? rc : search_body_sql(b, t, "t", 1);
		return rc ? rc : dirty_docs_sql(b, t);
	}
	return BF_EINVAL;
}

/* Whether table t has column col (or, col NULL, exists at all). */
static int has_column(struct store *s, const char *t, const char *col,
		      int *out, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT name FROM pragma_table_info(?1)", -1,
			       &st, NULL) != SQLITE_OK)
		return store_sql_fail(s, err, "reading the layout");
	sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !*out) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		*out = !col || (c && !strcmp(c, col));
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE
		     ? BF_OK
		     : store_sql_fail(s, err, "reading the layout");
	sqlite3_finalize(st);
	return rc;
}

/* The SQL condition under which extra's member f holds a value of f's
 * type, exactly as the row encoding had it (an integer is not a real). */
static int extra_type_sql(struct bf_buf *b, const struct sch_field *f)
{
	const char *path = f->name; /* schema names need no quoting */

	switch (f->type) {
	case SCH_TEXT:
		return bf_buf_printf(b, "json_type(extra, '$.%s') = 'text'",
				     path);
	case SCH_INT:
		return bf_buf_printf(b, "json_type(extra, '$.%s') = 'integer'",
				     path);
	case SCH_REAL:
		return bf_buf_printf(b, "json_type(extra, '$.%s') = 'real'",
				     path);
	case SCH_BOOL:
		return bf_buf_printf(b,
				     "json_type(extra, '$.%s') IN ('true', "
				     "'false')",
				     path);
	case SCH_LIST:
		return bf_buf_printf(
			b,
			"json_type(extra, '$.%s') = 'array' AND "
			"json_array_length(extra, '$.%s') > 0 AND NOT EXISTS "
			"(SELECT 1 FROM json_each(extra, '$.%s') WHERE type <> "
			"'text')",
			path, path, path);
	}
	return BF_EINVAL;
}

/*
 * Version 3 (schema version 2): the Directory's tables and fields.  New
 * tables are created, new fields become columns, and the values rows kept
 * in `extra` under those names (published by older versions, which did
 * not know them) move into the columns when their type is the field's:
 * the row encoding, and so every row hash, stays as it was.  The
 * full-text index is rebuilt: collections now index acronym, keywords
 * and location, and networks and studies are searchable.  It loses its
 * triggers: SQLite 3.40's FTS5 writes its pending terms to disk at every
 * statement savepoint, and a trigger-fired insert opens one per row, so a
 * 10,000-row change set wrote 10,000 index segments and merged them over
 * and over.  store.c now refreshes the index once per change set.
 * Partial indexes list the withdrawn biobanks, collections and networks.
 */
static int migrate_v3(struct store *s, struct bf_err *err)
{
	struct bf_buf b;
	int rc = BF_OK, have;

	bf_buf_init(&b, 0);
	for (size_t i = 0; i < schema_ntables && !rc; i++) {
		const struct sch_table *t = &schema_tables[i];

		if ((rc = has_column(s, t->name, NULL, &have, err)) != 0)
			break;
		bf_buf_reset(&b);
		if (!have) {
			rc = ddl_table(&b, t, err);
			rc = rc || !bf_buf_cstr(&b)
				     ? (rc ? rc : BF_ENOMEM)
				     : store_exec(s, (const char *)b.p, err);
			continue;
		}
		for (size_t k = 0; k < t->nfields && !rc; k++) {
			const struct sch_field *f = &t->fields[k];

			if ((rc = has_column(s, t->name, f->name, &have,
					     err)) != 0 ||
			    have)
				continue;
			bf_buf_reset(&b);
			rc = bf_buf_adds(&b, "ALTER TABLE ");
			rc = rc ? rc : store_add_ident(&b, t->name);
			rc = rc ? rc : bf_buf_adds(&b, " ADD COLUMN ");
			rc = rc ? rc : store_add_ident(&b, f->name);
			rc = rc ? rc
				: bf_buf_printf(&b, " %s;\nUPDATE ",
						sql_type(f->type));
			rc = rc ? rc : store_add_ident(&b, t->name);
			rc = rc ? rc : bf_buf_adds(&b, " SET ");
			rc = rc ? rc : store_add_ident(&b, f->name);
			rc = rc ? rc
				: bf_buf_printf(&b,
						" = json_extract(extra, '$.%s'), "
						"extra = nullif(json_remove("
						"extra, '$.%s'), '{}') WHERE "
						"extra IS NOT NULL AND ",
						f->name, f->name);
			rc = rc ? rc : extra_type_sql(&b, f);
			rc = rc ? rc : bf_buf_adds(&b, ";\n");
			if (rc || !bf_buf_cstr(&b))
				rc = bf_errf(err, BF_ENOMEM,
					     "schema: out of memory");
			else
				rc = store_exec(s, (const char *)b.p, err);
		}
	}
	if (rc)
		goto out;
	/* the few withdrawn records, found without a scan: queries leave
	 * them out, and most replicas have none (query.c asks first) */
	if ((rc = store_exec(s,
			     "CREATE INDEX IF NOT EXISTS biobank_withdrawn ON "
			     "biobank(owner, "
			     "id) WHERE withdrawn IS 1;\n"
			     "CREATE INDEX IF NOT EXISTS collection_withdrawn ON "
			     "collection(owner, id) WHERE withdrawn IS 1;\n"
			     "CREATE INDEX IF NOT EXISTS network_withdrawn ON "
			     "network(owner, "
			     "id) WHERE withdrawn IS 1;\n",
			     err)) != 0)
		goto out;
	/* the full-text index, from the current schema */
	bf_buf_reset(&b);
	for (size_t i = 0; i < schema_ntables && !rc; i++)
		rc = bf_buf_printf(&b,
				   "DROP TRIGGER IF EXISTS \"search_%s_ins\";\n"
				   "DROP TRIGGER IF EXISTS \"search_%s_upd\";\n"
				   "DROP TRIGGER IF EXISTS \"search_%s_del\";\n",
				   schema_tables[i].name, schema_tables[i].name,
				   schema_tables[i].name);
	rc = rc ? rc
		: bf_buf_adds(&b, "DROP TABLE IF EXISTS search_doc;\n"
				  "DROP TABLE IF EXISTS search_fts;\n"
				  "DROP VIEW IF EXISTS search_src;\n");
	if (rc || !bf_buf_cstr(&b)) {
		rc = bf_errf(err, BF_ENOMEM, "schema: out of memory");
		goto out;
	}
	if ((rc = store_exec(s, (const char *)b.p, err)) != 0)
		goto out;
	rc = search_tables_v3(s, err);
out:
	bf_buf_free(&b);
	return rc;
}

/*
 * Version 4: fetch's state (store.h, "External sources") becomes part of
 * the layout.  Before, fetch created fetch_state on its first write, and
 * added the refused column to a table from before it counted refused
 * records: a replica may have the table already, with or without it.
 */
static int migrate_v4(struct store *s, struct bf_err *err)
{
	int have, rc = has_column(s, "fetch_state", NULL, &have, err);

	if (rc)
		return rc;
	if (!have)
		return store_exec(
			s,
			"CREATE TABLE fetch_state(source TEXT PRIMARY KEY, url "
			"TEXT, etag TEXT, last_modified TEXT, last_attempt_ms "
			"INTEGER, last_success_ms INTEGER, last_change_ms "
			"INTEGER, last_error_ms INTEGER, last_error TEXT, "
			"last_status INTEGER, records INTEGER, pages INTEGER, "
			"bytes INTEGER, roster TEXT, refused INTEGER)",
			err);
	if ((rc = has_column(s, "fetch_state", "refused", &have, err)) != 0 ||
	    have)
		return rc;
	return store_exec(s, "ALTER TABLE fetch_state ADD COLUMN refused "
			     "INTEGER",
			  err);
}

/*
 * Each step brings the database from version - 1 to version.  Append new
 * steps (FTS5 tables, new columns...) at the end; never edit a step that
 * has shipped.  Note that migrate_v1 derives its tables from the current
 * schema_tables[]: a later step that adds fields must add only the
 * columns that are missing (ALTER TABLE ... ADD COLUMN when absent), and
 * should move those fields out of `extra`; row hashes stay valid since
 * the row encoding does not change.
 */
static const struct migration {
	int version;
	int (*run)(struct store *s, struct bf_err *err);
} migrations[] = {
	{1, migrate_v1},
	{2, migrate_v2},
	{3, migrate_v3},
	{4, migrate_v4},
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
#define STORE_DB_VERSION (migrations[NMIGRATIONS - 1].version)

static int user_version(struct store *s, int *out, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "reading the schema version");
		goto out;
	}
	*out = sqlite3_column_int(st, 0);
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int store_migrate(struct store *s, const char *path, struct bf_err *err)
{
	char sql[64];
	int rc, uv = 0, in_tx = 0;

	if (s->rdonly) {
		if ((rc = user_version(s, &uv, err)) != 0)
			return rc;
		/* a newer version is fine to read: columns are only added */
		if (uv == 0)
			return bf_errf(err, BF_ENOENT,
				       "%s: not an initialised biofed replica "
				       "(open it once for writing, e.g. with "
				       "biofed init)",
				       path);
		return BF_OK;
	}
	if ((rc = store_tx_begin(s, err)) != 0)
		goto out;
	in_tx = 1;
	if ((rc = user_version(s, &uv, err)) != 0)
		goto out;
	if (uv > STORE_DB_VERSION) {
		rc = bf_errf(err, BF_EINVAL,
			     "%s: database schema version %d is newer than "
			     "this biofed's (%d): refusing to write; upgrade "
			     "biofed (read-only commands still work)",
			     path, uv, STORE_DB_VERSION);
		goto out;
	}
	for (size_t i = 0; i < NMIGRATIONS; i++) {
		if (migrations[i].version <= uv)
			continue;
		if ((rc = migrations[i].run(s, err)) != 0) {
			bf_err_prefix(err, "%s: migration to version %d", path,
				      migrations[i].version);
			goto out;
		}
	}
	if (uv < STORE_DB_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 STORE_DB_VERSION);
		if ((rc = store_exec(s, sql, err)) != 0)
			goto out;
	}
	rc = store_tx_commit(s, err);
	in_tx = rc != 0;
out:
	if (in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

