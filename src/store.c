/*
 * store: the replica in SQLite, opened and closed.
 *
 * This file owns the store handle: opening (WAL, page cache, durability,
 * migrations: storeschema.c), the statements a writer prepares once per
 * schema table so that applying compiles no SQL, closing, the pinned
 * coordinator key; and the small SQL helpers every store file uses
 * (store_int.h).  The rest of the store is in rooms of its own; the map
 * is at the top of store.h.
 */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema.h"
#include "store_int.h"

/* ---------------------------------------------------------------------- */
/* Small helpers                                                            */

int store_sql_fail(struct store *s, struct bf_err *err, const char *what)
{
	return bf_errf(err, BF_EIO, "%s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct store *s, const char *sql, struct bf_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return BF_OK;
	rc = bf_errf(err, BF_EIO, "sqlite: %.60s: %s", sql,
		     msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

/* Prepares *st once; later calls reuse it. */
int store_prep(struct store *s, sqlite3_stmt **st, const char *sql,
		struct bf_err *err)
{
	if (*st)
		return BF_OK;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK)
		return bf_errf(err, BF_EIO, "sqlite: prepare %.60s: %s", sql,
			       sqlite3_errmsg(s->db));
	return BF_OK;
}

int store_prep_buf(struct store *s, sqlite3_stmt **st, struct bf_buf *b,
		   int rc, struct bf_err *err)
{
	if (rc || !bf_buf_cstr(b))
		return bf_errf(err, BF_ENOMEM, "store: out of memory");
	return store_prep(s, st, (const char *)b->p, err);
}

/* Steps a statement that returns no rows, and resets it. */
int store_step_done(struct store *s, sqlite3_stmt *st, struct bf_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return bf_errf(err, BF_EIO, "sqlite: %s",
			       sqlite3_errmsg(s->db));
	return BF_OK;
}

int store_walk_end(struct store *s, int rc, struct bf_err *err,
		   const char *what)
{
	return rc == SQLITE_DONE ? BF_OK : store_sql_fail(s, err, what);
}

/* BEGIN IMMEDIATE and COMMIT, prepared once: the daemon runs them for
 * every change set it applies. */
int store_tx_begin(struct store *s, struct bf_err *err)
{
	int rc = store_prep(s, &s->begin, "BEGIN IMMEDIATE", err);

	return rc ? rc : store_step_done(s, s->begin, err);
}

int store_tx_commit(struct store *s, struct bf_err *err)
{
	int rc = store_prep(s, &s->commit, "COMMIT", err);

	return rc ? rc : store_step_done(s, s->commit, err);
}

int store_borrow(struct store *s, sqlite3_stmt **cache, int *busy,
		 const char *sql, sqlite3_stmt **st, struct bf_err *err)
{
	if (*busy)
		return sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK
			       ? BF_OK
			       : BF_EIO;
	if (store_prep(s, cache, sql, err) != 0)
		return BF_EIO;
	*st = *cache;
	*busy = 1;
	return BF_OK;
}

void store_give_back(sqlite3_stmt *st, sqlite3_stmt *cache, int *busy)
{
	if (st != cache) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	*busy = 0;
}

int store_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

size_t store_uvarint(uint64_t v, uint8_t out[10])
{
	size_t k = 0;

	for (;; v >>= 7) {
		out[k++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
		if (!(v >> 7))
			return k;
	}
}

int store_add_ident(struct bf_buf *b, const char *name)
{
	int rc = bf_buf_addc(b, '"');

	for (const char *p = name; *p && !rc; p++)
		rc = *p == '"' ? bf_buf_add(b, "\"\"", 2)
			       : bf_buf_addc(b, (uint8_t)*p);
	return rc ? rc : bf_buf_addc(b, '"');
}

/* The index of the schema table called exactly name, or -1. */
int store_table_index(const char *name, size_t len)
{
	for (size_t i = 0; i < schema_ntables; i++)
		if (strlen(schema_tables[i].name) == len &&
		    memcmp(schema_tables[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const char *store_type_name(enum sch_type t)
{
	switch (t) {
	case SCH_TEXT: return "text";
	case SCH_INT: return "integer";
	case SCH_REAL: return "real";
	case SCH_BOOL: return "boolean";
	case SCH_LIST: return "list";
	}
	return "?";
}

/* Builds the upsert and delete statements of every table from the
 * schema, so that no SQL is compiled while applying. */
static int prepare_writers(struct store *s, struct bf_err *err)
{
	size_t maxlists = 1;
	struct bf_buf b;
	int rc = BF_OK;

	bf_buf_init(&b, 0);
	s->tab = calloc(schema_ntables, sizeof(*s->tab));
	if (!s->tab) {
		rc = bf_errf(err, BF_ENOMEM, "store: out of memory");
		goto out;
	}
	for (size_t i = 0; i < schema_ntables; i++) {
		const struct sch_table *t = &schema_tables[i];
		size_t nlists = 0;

		bf_buf_reset(&b);
		rc = bf_buf_adds(&b, "INSERT INTO ");
		rc = rc ? rc : store_add_ident(&b, t->name);
		rc = rc ? rc
			: bf_buf_adds(&b, "(\"owner\", \"id\", \"rowhash\", "
					  "\"extra\"");
		for (size_t k = 0; k < t->nfields && !rc; k++) {
			rc = bf_buf_adds(&b, ", ");
			rc = rc ? rc : store_add_ident(&b, t->fields[k].name);
			nlists += t->fields[k].type == SCH_LIST;
		}
		rc = rc ? rc : bf_buf_adds(&b, ") VALUES(?1, ?2, ?3, ?4");
		for (size_t k = 0; k < t->nfields && !rc; k++)
			rc = bf_buf_printf(&b, ", ?%zu", k + FIRST_FIELD_PARAM);
		/* absent fields become NULL: a row is replaced whole */
		rc = rc ? rc
			: bf_buf_adds(&b, ") ON CONFLICT(\"owner\", \"id\") DO "
					  "UPDATE SET \"rowhash\" = "
					  "excluded.\"rowhash\", \"extra\" = "
					  "excluded.\"extra\"");
		for (size_t k = 0; k < t->nfields && !rc; k++) {
			rc = bf_buf_adds(&b, ", ");
			rc = rc ? rc : store_add_ident(&b, t->fields[k].name);
			rc = rc ? rc : bf_buf_adds(&b, " = excluded.");
			rc = rc ? rc : store_add_ident(&b, t->fields[k].name);
		}
		if ((rc = store_prep_buf(s, &s->tab[i].upsert, &b, rc, err)))
			goto out;
		bf_buf_reset(&b);
		rc = bf_buf_adds(&b, "DELETE FROM ");
		rc = rc ? rc : store_add_ident(&b, t->name);
		rc = rc ? rc : bf_buf_adds(&b, " WHERE \"owner\" = ?1 AND "
					      "\"id\" = ?2");
		if ((rc = store_prep_buf(s, &s->tab[i].del, &b, rc, err)))
			goto out;
		if (nlists > maxlists)
			maxlists = nlists;
	}
	if ((rc = store_search_init(s, &b, err)) != 0)
		goto out;
	s->lb = calloc(maxlists, sizeof(*s->lb));
	if (!s->lb) {
		rc = bf_errf(err, BF_ENOMEM, "store: out of memory");
		goto out;
	}
	rc = store_prep(s, &s->foreign_upsert,
		  "INSERT INTO foreign_row(tbl, owner, id, rowhash, fields) "
		  "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tbl, owner, id) DO "
		  "UPDATE SET rowhash = excluded.rowhash, fields = "
		  "excluded.fields",
		  err);
	rc = rc ? rc : store_prep(s, &s->foreign_del,
			    "DELETE FROM foreign_row WHERE tbl = ?1 AND "
			    "owner = ?2 AND id = ?3",
			    err);
out:
	bf_buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Opening                                                                  */

int store_open(const char *path, int flags, struct store **out,
	       struct bf_err *err)
{
	struct store *s;
	struct stat stbuf;
	int rc, oflags;

	if (!(flags & STORE_CREATE) && stat(path, &stbuf) != 0)
		return bf_errf(err, errno == ENOENT ? BF_ENOENT : BF_EIO,
			       "%s: %s", path, strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s)
		return bf_errf(err, BF_ENOMEM, "store: out of memory");
	s->rdonly = (flags & STORE_RDONLY) != 0;
	bf_buf_init(&s->enc, 0);
	bf_buf_init(&s->lists, 0);
	/* one thread per handle: SQLite's per-connection mutex is not needed */
	oflags = SQLITE_OPEN_NOMUTEX |
		 (s->rdonly ? SQLITE_OPEN_READONLY
			    : SQLITE_OPEN_READWRITE |
				      (flags & STORE_CREATE ? SQLITE_OPEN_CREATE
							    : 0));
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "%s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if ((rc = store_exec(s, "PRAGMA foreign_keys = OFF", err)) != 0)
		goto out;
	if (!s->rdonly) {
		sqlite3_stmt *st = NULL;
		int persist = 1, wal;

		/* WAL lets readers run while the daemon writes */
		wal = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1,
					 &st, NULL) == SQLITE_OK &&
		      sqlite3_step(st) == SQLITE_ROW &&
		      !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		if (!wal) {
			rc = bf_errf(err, BF_EIO,
				     "%s: cannot switch to WAL mode: %s", path,
				     sqlite3_errmsg(s->db));
			goto out;
		}
		/* a page cache of 32 MiB (SQLite's default is 2 MiB): a
		 * replica's indexes outgrow the default at a few hundred
		 * thousand rows, and every apply then reads pages back */
		rc = store_exec(s, "PRAGMA cache_size = -32768", err);
		if (rc)
			goto out;
		/* Keep -wal and -shm after the last writer closes: a
		 * read-only opener cannot create them, and needs them to
		 * read a WAL database. */
		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
				     &persist);
		/* a node's own log must survive power loss: losing a
		 * signed change set would let it sign that seq again, which
		 * is a fork */
		if ((rc = store_set_durable(s, 1, err)) != 0)
			goto out;
	}
	if ((rc = store_migrate(s, path, err)) != 0)
		goto out;
	if (!s->rdonly && (rc = prepare_writers(s, err)) != 0)
		goto out;
	*out = s;
	s = NULL;
	rc = BF_OK;
out:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->tab) {
		for (size_t i = 0; i < schema_ntables; i++) {
			sqlite3_finalize(s->tab[i].upsert);
			sqlite3_finalize(s->tab[i].del);
			sqlite3_finalize(s->tab[i].get);
			for (int k = 0; k < 4; k++)
				sqlite3_finalize(s->tab[i].search[k]);
		}
		free(s->tab);
	}
	sqlite3_finalize(s->foreign_upsert);
	sqlite3_finalize(s->foreign_del);
	sqlite3_finalize(s->search_mark);
	sqlite3_finalize(s->search_clear);
	sqlite3_finalize(s->vv_get);
	sqlite3_finalize(s->vv_put);
	sqlite3_finalize(s->vv_fork);
	sqlite3_finalize(s->log_hash);
	sqlite3_finalize(s->log_put);
	sqlite3_finalize(s->evidence_put);
	sqlite3_finalize(s->member);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->walk);
	sqlite3_finalize(s->vv_all);
	sqlite3_finalize(s->log_mark);
	sqlite3_close(s->db);
	bf_buf_free(&s->enc);
	bf_buf_free(&s->lists);
	free(s->lb);
	free(s);
}

struct sqlite3 *store_db(struct store *s)
{
	return s->db;
}

int store_set_durable(struct store *s, int full, struct bf_err *err)
{
	return store_exec(s, full ? "PRAGMA synchronous = FULL"
				: "PRAGMA synchronous = NORMAL",
			err);
}

void store_set_coordinator(struct store *s, const uint8_t key[CS_KEY_LEN])
{
	memcpy(s->coord, key, CS_KEY_LEN);
	s->have_coord = 1;
}

