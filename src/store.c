/*
 * store: the replica in SQLite.
 *
 * This file owns:
 * - the database layout, derived from schema_tables[] (one table per
 *   schema table, keyed by (owner, id), one column per field, unknown
 *   fields in `extra`), plus the change-set log (cs_log), the version
 *   vector (vv), fork evidence and rows of tables this version does not
 *   know (foreign_row);
 * - migrations: numbered steps keyed by PRAGMA user_version, run in one
 *   transaction when a writer opens the file;
 * - store_apply, the one path by which replicated rows change: every rule
 *   of DESIGN.md "Change sets", then rows, log entry and cursor in one
 *   IMMEDIATE transaction, all or nothing;
 * - the roster lookup that says which key an origin signs a seq with.
 *
 * Reading the log and the vector is in storelog.c, local-only rows and
 * owned-row reads in storelocal.c, row encodings rebuilt from columns in
 * storerows.c, store_verify in storeverify.c.
 *
 * The apply path is built for bulk: statements are prepared once per
 * table, text is bound in place (SQLITE_STATIC into the change set's
 * bytes) and list columns are rendered into one reused buffer, so a row
 * costs no allocation and no SQL compilation.
 */
#include "store.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
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

/* Copies untrusted text for a message: bounded, control bytes as '?'. */
static const char *show(const char *p, size_t len, char *out, size_t outlen)
{
	size_t n = len < outlen - 1 ? len : outlen - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : p[i];
	}
	out[n] = 0;
	return out;
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

static const char *cs_type_name(enum cs_vtype t)
{
	switch (t) {
	case CS_INT: return "integer";
	case CS_REAL: return "real";
	case CS_TEXT: return "text";
	case CS_FALSE:
	case CS_TRUE: return "boolean";
	case CS_LIST: return "list";
	}
	return "?";
}

static int type_matches(enum sch_type t, enum cs_vtype v)
{
	switch (t) {
	case SCH_TEXT: return v == CS_TEXT;
	case SCH_INT: return v == CS_INT;
	case SCH_REAL: return v == CS_REAL;
	case SCH_BOOL: return v == CS_TRUE || v == CS_FALSE;
	case SCH_LIST: return v == CS_LIST;
	}
	return 0;
}

/* SQLite stores NaN as NULL and -0.0 as 0.0, and JSON has no infinity:
 * such values could not be read back into the bytes that were hashed. */
static int real_storable(double r)
{
	return isfinite(r) && !(r == 0 && signbit(r));
}

/* "HEX:FROM:UNTIL": a former sign key valid for seqs FROM..UNTIL. */
static int parse_old_key(const char *s, size_t len, uint8_t key[CS_KEY_LEN],
			 uint64_t *from, uint64_t *until)
{
	char hex[2 * CS_KEY_LEN + 1];
	uint64_t v[2] = {0, 0};
	size_t i = 2 * CS_KEY_LEN;

	if (len < i + 4 || s[i] != ':')
		return BF_EINVAL;
	memcpy(hex, s, i);
	hex[i] = 0;
	for (size_t k = 0; k < i; k++)
		if (!((hex[k] >= '0' && hex[k] <= '9') ||
		      (hex[k] >= 'a' && hex[k] <= 'f')))
			return BF_EINVAL;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;

		if (s[i++] != ':')
			return BF_EINVAL;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++digits > 18) /* stays below INT64_MAX */
				return BF_EINVAL;
			v[part] = v[part] * 10 + (uint64_t)(s[i++] - '0');
		}
		if (digits == 0 || (part == 0 && i >= len))
			return BF_EINVAL;
	}
	if (i != len || v[0] < 1 || v[1] < v[0])
		return BF_EINVAL;
	if (bf_unhex(hex, key, CS_KEY_LEN))
		return BF_EINVAL;
	*from = v[0];
	*until = v[1];
	return BF_OK;
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
	/* the full-text index's marks live in memory, per connection */
	rc = store_exec(s,
			"PRAGMA temp_store = MEMORY; CREATE TEMP TABLE IF NOT "
			"EXISTS search_dirty(tbl TEXT NOT NULL, owner TEXT NOT "
			"NULL, id TEXT NOT NULL)",
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
			bf_buf_reset(&b);
			rc = store_search_sql(&b, &schema_tables[i], k);
			rc = store_prep_buf(s, &s->tab[i].search[k], &b, rc,
					    err);
		}
	}
	if (rc)
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
		if ((rc = store_exec(s, "PRAGMA cache_size = -32768", err)) != 0)
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

/* ---------------------------------------------------------------------- */
/* The roster                                                               */

int store_origin_key(struct store *s, const char *origin, uint64_t seq,
		     uint8_t key[CS_KEY_LEN], struct bf_err *err)
{
	uint8_t k[CS_KEY_LEN];
	json_t *old = NULL;
	sqlite3_stmt *st;
	int64_t key_from = 1, revoked = 0;
	int rc, found = 0;

	if (!strcmp(origin, SCHEMA_COORDINATOR)) {
		if (!s->have_coord)
			return bf_errf(err, BF_ENOENT,
				       "no coordinator key configured");
		memcpy(key, s->coord, CS_KEY_LEN);
		return BF_OK;
	}
	rc = store_prep(s, &s->member,
		  "SELECT \"sign_key\", \"key_from\", \"" ROSTER_OLD_KEYS
		  "\", \"revoked_from\" FROM \"" ROSTER_TABLE
		  "\" WHERE \"owner\" = ?1 AND \"id\" = ?2",
		  err);
	if (rc)
		return rc;
	st = s->member;
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = bf_errf(err, BF_ENOENT, "%s is not a roster member",
			     origin);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "roster lookup");
		goto out;
	}
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		key_from = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		revoked = sqlite3_column_int64(st, 3);
	if (revoked > 0 && seq >= (uint64_t)revoked) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "%s is revoked from seq %lld (this is seq %llu)",
			     origin, (long long)revoked,
			     (unsigned long long)seq);
		goto out;
	}
	if (key_from < 1 || seq >= (uint64_t)key_from) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);

		if (!hex || bf_unhex(hex, k, CS_KEY_LEN)) {
			rc = bf_errf(err, BF_ECRYPTO,
				     "roster entry of %s has no valid sign_key",
				     origin);
			goto out;
		}
		found = 1;
	} else if (sqlite3_column_type(st, 2) == SQLITE_TEXT) {
		old = json_loadb((const char *)sqlite3_column_text(st, 2),
				 (size_t)sqlite3_column_bytes(st, 2), 0, NULL);
		size_t n = json_is_array(old) ? json_array_size(old) : 0;

		for (size_t i = 0; i < n; i++) {
			json_t *it = json_array_get(old, i);
			uint64_t from, until;

			if (json_is_string(it) &&
			    !parse_old_key(json_string_value(it),
					   json_string_length(it), k, &from,
					   &until) &&
			    seq >= from && seq <= until) {
				found = 1;
				break;
			}
		}
	}
	if (!found) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "no key of %s is valid at seq %llu", origin,
			     (unsigned long long)seq);
		goto out;
	}
	memcpy(key, k, CS_KEY_LEN);
	rc = BF_OK;
out:
	sqlite3_reset(st);
	json_decref(old);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Applying                                                                 */

/* Formats "row TABLE/ID: ..." into err. */
static int row_fail(struct bf_err *err, int rc, const struct cs_row *r,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int row_fail(struct bf_err *err, int rc, const struct cs_row *r,
		    const char *fmt, ...)
{
	char msg[600], tbl[80], id[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bf_errf(err, rc, "row %s/%s: %s",
		       show(r->table.p, r->table.len, tbl, sizeof(tbl)),
		       show(r->id.p, r->id.len, id, sizeof(id)), msg);
}

static int field_type_fail(struct bf_err *err, const struct cs_row *r,
			   const struct sch_field *f, const struct cs_value *v)
{
	return row_fail(err, BF_EINVAL, r, "field %s: expected %s, got %s",
			f->name, store_type_name(f->type), cs_type_name(v->type));
}

/*
 * The roster is where keys come from, so its rows get every check that
 * publish would apply, here at the receiving end too: an id that is a
 * slug (it is an origin), required fields, values that pass the schema's
 * syntax checks (sign_key is 64 hex digits), integer bounds, and old_keys
 * items that parse as HEX:FROM:UNTIL.
 */
static int check_roster_row(const struct sch_table *t, const struct cs_row *r,
			    struct bf_err *err)
{
	char id[80], msg[256];
	size_t j = 0;

	if (r->id.len >= sizeof(id) ||
	    !bf_is_slug(show(r->id.p, r->id.len, id, sizeof(id))))
		return row_fail(err, BF_EINVAL, r, "id is not a slug");
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		const struct cs_value *v;
		int c = 1;

		while (j < r->nfields &&
		       (c = store_name_cmp(r->fields[j].name.p, r->fields[j].name.len,
				     f->name, strlen(f->name))) < 0)
			j++;
		if (j >= r->nfields || c != 0) {
			if (f->flags & SCH_REQUIRED)
				return row_fail(err, BF_EINVAL, r,
						"field %s is required",
						f->name);
			continue;
		}
		v = &r->fields[j].v;
		if (!type_matches(f->type, v->type))
			return field_type_fail(err, r, f, v);
		if (f->type == SCH_TEXT &&
		    schema_check_text(f, v->s.p, v->s.len, msg, sizeof(msg)))
			return row_fail(err, BF_EINVAL, r, "field %s: %s",
					f->name, msg);
		if (f->type == SCH_INT && f->min < f->max &&
		    (v->i < f->min || v->i > f->max))
			return row_fail(err, BF_EINVAL, r,
					"field %s: %lld is out of range "
					"%lld..%lld",
					f->name, (long long)v->i,
					(long long)f->min, (long long)f->max);
		for (size_t k = 0; f->type == SCH_LIST && k < v->nitems; k++) {
			const struct cs_str *it = &v->items[k];
			uint8_t key[CS_KEY_LEN];
			uint64_t from, until;

			if (!strcmp(f->name, ROSTER_OLD_KEYS) &&
			    parse_old_key(it->p, it->len, key, &from, &until))
				return row_fail(err, BF_EINVAL, r,
						"field %s: item %zu is not "
						"HEX:FROM:UNTIL",
						f->name, k + 1);
			if (schema_check_text(f, it->p, it->len, msg,
					      sizeof(msg)))
				return row_fail(err, BF_EINVAL, r,
						"field %s: %s", f->name, msg);
		}
		j++;
	}
	return BF_OK;
}

/* A value of an unknown field, for the row's `extra` JSON object. */
static json_t *value_json(const struct cs_value *v)
{
	json_t *a;

	switch (v->type) {
	case CS_INT: return json_integer(v->i);
	case CS_REAL: return json_real(v->r);
	case CS_TEXT: return json_stringn(v->s.p, v->s.len);
	case CS_FALSE: return json_false();
	case CS_TRUE: return json_true();
	case CS_LIST:
		a = json_array();
		for (size_t i = 0; a && i < v->nitems; i++) {
			const struct cs_str *it = &v->items[i];

			if (json_array_append_new(a, json_stringn(it->p,
								  it->len))) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return NULL;
}

static int add_extra(json_t **extra, const struct cs_row *r,
		     const struct cs_field *f, struct bf_err *err)
{
	char name[80];

	if (f->v.type == CS_REAL && !real_storable(f->v.r))
		return row_fail(err, BF_EINVAL, r,
				"field %s: real is infinite or negative zero",
				show(f->name.p, f->name.len, name,
				     sizeof(name)));
	if (!*extra && !(*extra = json_object()))
		return bf_errf(err, BF_ENOMEM, "store: out of memory");
	if (json_object_setn_new_nocheck(*extra, f->name.p, f->name.len,
					 value_json(&f->v)))
		return bf_errf(err, BF_ENOMEM, "store: out of memory");
	return BF_OK;
}

/* Binds one known field's value as parameter param.  Lists are rendered
 * as JSON into s->lists and bound later (see struct list_bind). */
static int bind_field(struct store *s, sqlite3_stmt *st, int param,
		      const struct sch_field *f, const struct cs_row *r,
		      const struct cs_value *v, size_t *nlb, struct bf_err *err)
{
	size_t off;
	int rc = SQLITE_OK;

	if (!type_matches(f->type, v->type))
		return field_type_fail(err, r, f, v);
	switch (f->type) {
	case SCH_TEXT:
		rc = sqlite3_bind_text(st, param, v->s.p, (int)v->s.len,
				       SQLITE_STATIC);
		break;
	case SCH_INT:
		rc = sqlite3_bind_int64(st, param, v->i);
		break;
	case SCH_REAL:
		if (!real_storable(v->r))
			return row_fail(err, BF_EINVAL, r,
					"field %s: real is infinite or "
					"negative zero",
					f->name);
		rc = sqlite3_bind_double(st, param, v->r);
		break;
	case SCH_BOOL:
		rc = sqlite3_bind_int(st, param, v->type == CS_TRUE);
		break;
	case SCH_LIST:
		off = s->lists.len;
		rc = bf_buf_addc(&s->lists, '[');
		for (size_t i = 0; i < v->nitems && !rc; i++) {
			if (i)
				rc = bf_buf_addc(&s->lists, ',');
			rc = rc ? rc : bf_buf_add_json_str(&s->lists,
							  v->items[i].p,
							  v->items[i].len);
		}
		rc = rc ? rc : bf_buf_addc(&s->lists, ']');
		if (rc)
			return bf_errf(err, rc, "store: out of memory");
		s->lb[*nlb].param = param;
		s->lb[*nlb].off = off;
		s->lb[*nlb].len = s->lists.len - off;
		(*nlb)++;
		break;
	}
	return rc == SQLITE_OK ? BF_OK : store_sql_fail(s, err, "bind");
}

/* Encodes the row's fields (v.raw: a copy) and hashes the encoding. */
static int row_encode(struct store *s, const struct cs_row *r,
		      uint8_t hash[CS_ROWHASH_LEN], struct bf_err *err)
{
	int rc;

	bf_buf_reset(&s->enc);
	if ((rc = cs_rowenc(&s->enc, r->fields, r->nfields)) != 0)
		return row_fail(err, rc, r, "cannot encode the row");
	cs_rowhash(s->enc.p, s->enc.len, hash);
	return BF_OK;
}

/* Notes a row of a searchable table for the index refresh that ends the
 * change set (search_refresh). */
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

/* Before a change set's rows are applied: marks those of searchable
 * tables and drops their entries from the full-text index, while the
 * rows still hold the text they were indexed with. */
static int search_prepare(struct store *s, const struct changeset *cs,
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

/* After them: their entries as they are now, a few statements per table
 * (see storeschema.c, migrate_v3, for why not triggers). */
static int search_refresh(struct store *s, struct bf_err *err)
{
	int rc = BF_OK;

	for (size_t ti = 0; ti < schema_ntables && s->search_dirty && !rc; ti++) {
		if (!(s->search_dirty >> ti & 1))
			continue;
		for (int k = 1; k < 4 && !rc; k++)
			rc = store_step_done(s, s->tab[ti].search[k], err);
	}
	if (!rc && s->search_dirty)
		rc = store_step_done(s, s->search_clear, err);
	s->search_dirty = 0;
	if (rc)
		bf_err_prefix(err, "full-text index");
	return rc;
}

/* hash: the row hash when the caller has it (local rows), else NULL. */
int store_upsert_row(struct store *s, size_t ti, const char *origin,
		      int cs_schema, const struct cs_row *r,
		      const uint8_t *hash, struct bf_err *err)
{
	const struct sch_table *t = &schema_tables[ti];
	sqlite3_stmt *st = s->tab[ti].upsert;
	uint8_t rh[CS_ROWHASH_LEN];
	json_t *extra = NULL;
	char *extra_txt = NULL;
	size_t j = 0, nlb = 0;
	int rc;

	if ((t->flags & SCH_T_COORDINATOR) &&
	    (rc = check_roster_row(t, r, err)) != 0)
		goto out;
	if (hash)
		memcpy(rh, hash, CS_ROWHASH_LEN);
	else if ((rc = row_encode(s, r, rh, err)) != 0)
		goto out;
	bf_buf_reset(&s->lists);
	if (sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->id.p, (int)r->id.len, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 3, rh, CS_ROWHASH_LEN, SQLITE_STATIC)) {
		rc = store_sql_fail(s, err, "bind");
		goto out;
	}
	/* both sides are sorted by name: one merge walk splits the row's
	 * fields into columns and extra */
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		size_t flen = strlen(f->name);
		int param = (int)i + FIRST_FIELD_PARAM, c = 1;

		while (j < r->nfields) {
			c = store_name_cmp(r->fields[j].name.p, r->fields[j].name.len,
				     f->name, flen);
			if (c >= 0)
				break;
			if ((rc = add_extra(&extra, r, &r->fields[j], err)))
				goto out;
			j++;
		}
		if (j < r->nfields && c == 0 && f->since > cs_schema &&
		    !type_matches(f->type, r->fields[j].v.type)) {
			/* a field the writer's schema did not know, taken
			 * then as it came (text): kept as it is, in extra;
			 * the header's version decides, so every node
			 * applies the same log alike */
			if ((rc = add_extra(&extra, r, &r->fields[j], err)))
				goto out;
			j++;
			if (sqlite3_bind_null(st, param)) {
				rc = store_sql_fail(s, err, "bind");
				goto out;
			}
		} else if (j < r->nfields && c == 0) {
			rc = bind_field(s, st, param, f, r, &r->fields[j].v,
					&nlb, err);
			if (rc)
				goto out;
			j++;
		} else if (sqlite3_bind_null(st, param)) {
			rc = store_sql_fail(s, err, "bind");
			goto out;
		}
	}
	for (; j < r->nfields; j++)
		if ((rc = add_extra(&extra, r, &r->fields[j], err)) != 0)
			goto out;
	if (extra) {
		extra_txt = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
		if (!extra_txt) {
			rc = row_fail(err, BF_ENOMEM, r,
				      "cannot render unknown fields as JSON");
			goto out;
		}
		rc = sqlite3_bind_text(st, 4, extra_txt, -1, SQLITE_STATIC);
	} else {
		rc = sqlite3_bind_null(st, 4);
	}
	for (size_t k = 0; k < nlb && rc == SQLITE_OK; k++)
		rc = sqlite3_bind_text(st, s->lb[k].param,
				       (const char *)s->lists.p + s->lb[k].off,
				       (int)s->lb[k].len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		rc = store_sql_fail(s, err, "bind");
		goto out;
	}
	if ((rc = store_step_done(s, st, err)) != 0)
		bf_err_prefix(err, "row %s", t->name);
out:
	json_decref(extra);
	free(extra_txt);
	return rc;
}

int store_delete_row(struct store *s, size_t ti, const char *origin,
		      const struct cs_row *r, struct bf_err *err)
{
	sqlite3_stmt *st = s->tab[ti].del;

	if (sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->id.p, (int)r->id.len, SQLITE_STATIC))
		return store_sql_fail(s, err, "bind");
	return store_step_done(s, st, err);
}

/* A row of a table this schema does not know: kept whole, by encoding. */
static int foreign_row(struct store *s, const char *origin,
		       const struct cs_row *r, struct bf_err *err)
{
	sqlite3_stmt *st = r->op == CS_DELETE ? s->foreign_del
					       : s->foreign_upsert;
	uint8_t rh[CS_ROWHASH_LEN];
	int rc;

	if (r->op == CS_UPSERT && (rc = row_encode(s, r, rh, err)) != 0)
		return rc;
	if (sqlite3_bind_text(st, 1, r->table.p, (int)r->table.len,
			      SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, r->id.p, (int)r->id.len, SQLITE_STATIC))
		return store_sql_fail(s, err, "bind");
	if (r->op == CS_UPSERT &&
	    (sqlite3_bind_blob(st, 4, rh, CS_ROWHASH_LEN, SQLITE_STATIC) ||
	     sqlite3_bind_blob(st, 5, s->enc.p, (int)s->enc.len,
			       SQLITE_STATIC)))
		return store_sql_fail(s, err, "bind");
	return store_step_done(s, st, err);
}

/* Which table a run of rows goes to, under the ownership rules: the
 * schema index, -1 for a table this schema does not know, or an error. */
static int resolve_table(const char *origin, const struct cs_row *r,
			 int *ti, struct bf_err *err)
{
	int coord = !strcmp(origin, SCHEMA_COORDINATOR);
	int i = store_table_index(r->table.p, r->table.len);
	const struct sch_table *t;

	if (i < 0) {
		/* "Samples" or "SAMPLE" must not slip a local table's rows
		 * into foreign_row under another spelling */
		t = schema_table(r->table.p, r->table.len);
		if (t)
			return row_fail(err, BF_EINVAL, r,
					"table name is not canonical (the "
					"table is %s)",
					t->name);
		*ti = -1;
		return BF_OK;
	}
	t = &schema_tables[i];
	if (t->flags & SCH_T_LOCAL)
		return row_fail(err, BF_EINVAL, r,
				"%s is a local-only table: it is never "
				"replicated",
				t->name);
	if ((t->flags & SCH_T_COORDINATOR) && !coord)
		return row_fail(err, BF_EINVAL, r,
				"wrong owner: only the coordinator writes %s",
				t->name);
	if (coord && !(t->flags & SCH_T_COORDINATOR))
		return row_fail(err, BF_EINVAL, r,
				"wrong owner: the coordinator writes only "
				"the roster, not %s",
				t->name);
	*ti = i;
	return BF_OK;
}

static int apply_rows(struct store *s, const struct changeset *cs,
		      const struct cs_row_in *in, struct bf_err *err)
{
	const char *origin = cs->h.origin;
	const char *cur = NULL;
	int ti = -1, rc = BF_OK;


	for (size_t i = 0; i < cs->nrows && !rc; i++) {
		const struct cs_row *r = &cs->rows[i];

		/* rows come sorted by table, and a table's name is one slot
		 * of the change set's name table: resolve once per run */
		if (r->table.p != cur) {
			if ((rc = resolve_table(origin, r, &ti, err)) != 0)
				break;
			cur = r->table.p;
		}
		if (ti < 0)
			rc = foreign_row(s, origin, r, err);
		else if (r->op == CS_DELETE)
			rc = store_delete_row(s, (size_t)ti, origin, r, err);
		else
			rc = store_upsert_row(s, (size_t)ti, origin,
					cs->h.schema > INT16_MAX
						? INT16_MAX
						: (int)cs->h.schema,
					r, in ? in[i].hash : NULL, err);
	}
	return rc;
}

/* A validly signed change set at an already applied seq with other bytes:
 * proof of a fork.  Keeps it beside the applied one and stops the origin
 * at the lowest such seq. */
static int store_fork(struct store *s, const struct changeset *cs,
		      struct bf_err *err)
{
	const char *origin = cs->h.origin;
	sqlite3_stmt *st;
	int rc;

	rc = store_prep(s, &s->evidence_put,
		  "INSERT OR IGNORE INTO fork_evidence(origin, seq, hash, "
		  "bytes, seen_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
		  err);
	rc = rc ? rc : store_prep(s, &s->vv_fork,
			    "UPDATE vv SET forked_at = ?2 WHERE origin = ?1 "
			    "AND (forked_at = 0 OR forked_at > ?2)",
			    err);
	if (rc)
		return rc;
	st = s->evidence_put;
	if (sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, (int64_t)cs->h.seq) ||
	    sqlite3_bind_blob(st, 3, cs->hash, CS_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 4, cs->bytes, (int)cs->len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, (int64_t)bf_now_ms()))
		return store_sql_fail(s, err, "bind");
	if ((rc = store_step_done(s, st, err)) != 0)
		return rc;
	st = s->vv_fork;
	if (sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, (int64_t)cs->h.seq))
		return store_sql_fail(s, err, "bind");
	return store_step_done(s, st, err);
}

/* Rule 4: seq and prev against the origin's head. */
static int check_sequence(struct store *s, const struct changeset *cs,
			  struct bf_err *err)
{
	const char *origin = cs->h.origin;
	uint64_t seq = cs->h.seq;
	char a[2 * CS_HASH_LEN + 1], b[2 * CS_HASH_LEN + 1];
	struct store_cursor h;
	int rc;

	if ((rc = store_read_cursor(s, origin, &h, err)) != 0)
		return rc;
	if (seq <= h.seq) {
		uint8_t have[CS_HASH_LEN];

		rc = store_log_hash(s, origin, seq, have, err);
		if (rc == BF_ENOENT)
			rc = bf_errf(err, BF_EIO,
				     "the log lacks applied seq %llu (corrupt "
				     "replica?)",
				     (unsigned long long)seq);
		if (rc)
			return rc;
		if (!memcmp(have, cs->hash, CS_HASH_LEN)) {
			rc = bf_errf(err, BF_EDUP, "already applied");
		} else {
			bf_hex(have, 8, a);
			bf_hex(cs->hash, 8, b);
			rc = BF_EFORK;
		}
		if (rc == BF_EFORK) {
			if ((rc = store_fork(s, cs, err)) != 0)
				return rc;
			rc = bf_errf(err, BF_EFORK,
				     "fork: applied seq %llu has hash %s..., "
				     "this one %s...; evidence kept, nothing "
				     "further is applied from %s",
				     (unsigned long long)seq, a, b, origin);
		}
		return rc;
	}
	if (h.forked_at)
		return bf_errf(err, BF_EINVAL,
			       "origin %s forked at seq %llu: nothing further "
			       "is applied from it",
			       origin, (unsigned long long)h.forked_at);
	if (seq > h.seq + 1)
		return bf_errf(err, BF_EINVAL,
			       "gap: the next seq of %s is %llu", origin,
			       (unsigned long long)(h.seq + 1));
	if (memcmp(cs->h.prev, h.hash, CS_HASH_LEN)) {
		bf_hex(cs->h.prev, 8, a);
		bf_hex(h.hash, 8, b);
		return bf_errf(err, BF_EINVAL,
			       "prev %s... is not the hash of seq %llu "
			       "(%s...)",
			       a, (unsigned long long)h.seq, b);
	}
	return BF_OK;
}

static int log_append(struct store *s, const struct changeset *cs,
		      struct bf_err *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = store_prep(s, &s->log_put,
		  "INSERT INTO cs_log(origin, seq, hash, prev, time_ms, nrows, "
		  "bytes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		  err);
	rc = rc ? rc : store_prep(s, &s->vv_put,
			    "INSERT INTO vv(origin, seq, hash) VALUES(?1, ?2, "
			    "?3) ON CONFLICT(origin) DO UPDATE SET seq = "
			    "excluded.seq, hash = excluded.hash",
			    err);
	if (rc)
		return rc;
	st = s->log_put;
	if (sqlite3_bind_text(st, 1, cs->h.origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, (int64_t)cs->h.seq) ||
	    sqlite3_bind_blob(st, 3, cs->hash, CS_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 4, cs->h.prev, CS_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, (int64_t)cs->h.time_ms) ||
	    sqlite3_bind_int64(st, 6, (int64_t)cs->nrows) ||
	    sqlite3_bind_blob(st, 7, cs->bytes, (int)cs->len, SQLITE_STATIC))
		return store_sql_fail(s, err, "bind");
	if ((rc = store_step_done(s, st, err)) != 0)
		return rc;
	st = s->vv_put;
	if (sqlite3_bind_text(st, 1, cs->h.origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, (int64_t)cs->h.seq) ||
	    sqlite3_bind_blob(st, 3, cs->hash, CS_HASH_LEN, SQLITE_STATIC))
		return store_sql_fail(s, err, "bind");
	return store_step_done(s, st, err);
}

/* A change set this log holds byte for byte (the same body hash at its
 * origin and seq) is a duplicate: relays and pushes overlap, so most
 * copies a node receives are.  It was decoded, verified and applied when
 * it first came, so it is answered BF_EDUP from the header alone, without
 * the full decode, the signature check (the costly part) or the write
 * lock.  Anything else (new, or a different body at a held seq: a fork)
 * returns 0 and takes the full path. */
static int known_already(struct store *s, const uint8_t *bytes, size_t len,
			 struct cs_header *hdr_out, struct bf_err *err)
{
	struct cs_header h;
	uint8_t hash[CS_HASH_LEN], have[CS_HASH_LEN];
	struct store_cursor hd;
	struct bf_err e2;

	if (cs_peek_header(bytes, len, &h, NULL, &e2) != 0 ||
	    store_read_cursor(s, h.origin, &hd, &e2) != 0 || h.seq > hd.seq ||
	    h.seq > INT64_MAX)
		return 0;
	cs_peek_header(bytes, len, &h, hash, &e2);
	if (store_log_hash(s, h.origin, h.seq, have, &e2) != 0 ||
	    memcmp(have, hash, CS_HASH_LEN) != 0)
		return 0;
	if (hdr_out)
		*hdr_out = h;
	return bf_errf(err, BF_EDUP,
		       "changeset %s/%llu: already applied", h.origin,
		       (unsigned long long)h.seq);
}

static int apply_bytes(struct store *s, const uint8_t *bytes, size_t len,
		       const struct cs_row_in *in, size_t nin,
		       struct cs_header *hdr_out, size_t *rows_out,
		       struct bf_err *err)
{
	struct changeset cs;
	uint8_t key[CS_KEY_LEN];
	int rc, decoded = 0, in_tx = 0;

	memset(&cs, 0, sizeof(cs));
	if (s->rdonly)
		return bf_errf(err, BF_EINVAL, "changeset: the replica is "
					       "open read-only");
	if (!s->have_coord)
		return bf_errf(err, BF_EINVAL,
			       "changeset: no coordinator key configured");
	if ((rc = known_already(s, bytes, len, hdr_out, err)) != 0)
		return rc;
	if ((rc = cs_decode(bytes, len, &cs, err)) != 0)
		return rc;
	decoded = 1;
	if (hdr_out)
		*hdr_out = cs.h;
	/* SQLite integers are signed */
	if (cs.h.seq > INT64_MAX || cs.h.time_ms > INT64_MAX) {
		rc = bf_errf(err, BF_EINVAL, "seq or time_ms over 2^63");
		goto out;
	}
	/* everything from the roster lookup on sees one snapshot and holds
	 * the write lock, so no other writer can slip in between check and
	 * write */
	if ((rc = store_tx_begin(s, err)) != 0)
		goto out;
	in_tx = 1;
	if ((rc = store_origin_key(s, cs.h.origin, cs.h.seq, key, err)) != 0)
		goto out;
	if (cs_verify(&cs, key, NULL) != 0) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "signature does not verify with the key of %s "
			     "valid at this seq",
			     cs.h.origin);
		goto out;
	}
	if ((rc = check_sequence(s, &cs, err)) != 0) {
		if (rc == BF_EFORK) {
			/* the evidence is kept: commit it */
			if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) ==
			    SQLITE_OK)
				in_tx = 0;
			else
				rc = store_sql_fail(s, err, "storing fork evidence");
		}
		goto out;
	}
	if (in && nin != cs.nrows) {
		rc = bf_errf(err, BF_EINVAL, "row hashes for %zu rows, not %zu",
			     nin, cs.nrows);
		goto out;
	}
	if ((rc = search_prepare(s, &cs, err)) != 0 ||
	    (rc = apply_rows(s, &cs, in, err)) != 0 ||
	    (rc = search_refresh(s, err)) != 0 ||
	    (rc = log_append(s, &cs, err)) != 0 ||
	    (rc = store_tx_commit(s, err)) != 0)
		goto out;
	in_tx = 0;
	if (rows_out)
		*rows_out = cs.nrows;
out:
	if (in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (decoded) {
		if (rc)
			bf_err_prefix(err, "changeset %s/%llu", cs.h.origin,
				      (unsigned long long)cs.h.seq);
		cs_free(&cs);
	}
	return rc;
}

int store_apply(struct store *s, const uint8_t *bytes, size_t len,
		struct cs_header *hdr_out, size_t *rows_out, struct bf_err *err)
{
	return apply_bytes(s, bytes, len, NULL, 0, hdr_out, rows_out, err);
}

int store_apply_hashed(struct store *s, const uint8_t *bytes, size_t len,
		       const struct cs_row_in *rows, size_t nrows,
		       struct bf_err *err)
{
	return apply_bytes(s, bytes, len, rows, nrows, NULL, NULL, err);
}
