/*
 * storelocal: the node's own rows.  Writing the rows of local-only tables
 * (samples), which never enter a change set or the log, and reading what
 * an owner holds in a table (row hashes, one field's values, one row's
 * encoding): publish diffs against those before it signs anything.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

/* Sort keys of local rows: table, then the first 8 bytes of the id as a
 * big-endian number, so that most comparisons are of two integers in one
 * array rather than of strings scattered over the heap. */
struct local_key {
	uint64_t prefix;
	uint32_t table; /* schema index */
	uint32_t row;   /* index into rows */
};

/* ctx: the rows that the keys index, for the tie-break only (qsort_r:
 * no process-wide pointer that two handles on two threads would share) */
static int local_key_cmp(const void *a, const void *b, void *ctx)
{
	const struct local_key *x = a, *y = b;
	const struct cs_row_in *rows = ctx;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return strcmp(rows[x->row].id, rows[y->row].id);
}

/* One row of store_write_local, to local-only table ti. */
static int write_local_row(struct store *s, const char *owner, size_t ti,
			   const struct cs_row_in *in, const uint8_t *hash,
			   struct bf_err *err)
{
	struct cs_field *fields = NULL;
	struct cs_row r;
	size_t nf = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.op = in->op;
	r.table.p = in->table;
	r.table.len = strlen(in->table);
	r.id.p = in->id;
	r.id.len = strlen(in->id);
	if (in->op == CS_DELETE)
		return store_delete_row(s, ti, owner, &r, err);
	rc = cs_rowenc_decode(in->enc, in->enc_len, &fields, &nf, err);
	r.fields = fields;
	r.nfields = nf;
	rc = rc ? rc
		: store_upsert_row(s, ti, owner, SCHEMA_VERSION, &r, hash, err);
	cs_fields_free(fields, nf);
	return rc;
}

int store_write_local(struct store *s, const char *owner,
		      const struct cs_row_in *rows,
		      const uint8_t *const *hashes, size_t n,
		      struct bf_err *err)
{
	struct local_key *keys = NULL;
	const char *cur = NULL;
	int rc = BF_OK, in_tx = 0, ti = -1;

	if (s->rdonly)
		return bf_errf(err, BF_EINVAL, "the replica is open read-only");
	if (n > UINT32_MAX || !(keys = calloc(n ? n : 1, sizeof(*keys)))) {
		rc = bf_errf(err, BF_ENOMEM, "store: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = rows[i].id;
		uint64_t p = 0;

		if (rows[i].table != cur) {
			cur = rows[i].table;
			ti = store_table_index(cur, strlen(cur));
			if (ti < 0 ||
			    !(schema_tables[ti].flags & SCH_T_LOCAL)) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s is not a local-only table",
					     rows[i].table);
				goto out;
			}
		}
		for (int k = 0; k < 8; k++) {
			p = p << 8 | (uint8_t)*id;
			id += *id != 0;
		}
		keys[i].prefix = p;
		keys[i].table = (uint32_t)ti;
		keys[i].row = (uint32_t)i;
	}
	/* key order: appends to the b-tree instead of random inserts */
	qsort_r(keys, n, sizeof(*keys), local_key_cmp, (void *)rows);
	if ((rc = store_tx_begin(s, err)) != 0)
		goto out;
	in_tx = 1;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t k = keys[i].row;

		rc = write_local_row(s, owner, keys[i].table, &rows[k],
				     hashes ? hashes[k] : NULL, err);
	}
	if (rc)
		goto out;
	if ((rc = store_tx_commit(s, err)) != 0)
		goto out;
	in_tx = 0;
out:
	if (in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	free(keys);
	return rc;
}

/* Runs the SELECT that b holds (rc: the first failure of building it)
 * with owner as ?1 and tbl (unless NULL) as ?2, and calls row for each
 * result until one returns non-zero, which is returned.  Frees b. */
static int owned_walk(struct store *s, struct bf_buf *b, int rc,
		      const char *owner, const char *tbl,
		      int (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
		      struct bf_err *err)
{
	sqlite3_stmt *st = NULL;

	if ((rc = store_prep_buf(s, &st, b, rc, err)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	if (tbl)
		sqlite3_bind_text(st, 2, tbl, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = row(st, ctx)) != 0)
			goto out;
	rc = store_walk_end(s, rc, err, "reading owned rows");
out:
	sqlite3_finalize(st);
	bf_buf_free(b);
	return rc;
}

struct rowhash_walk {
	store_rowhash_cb cb;
	void *ctx;
};

static int rowhash_row(sqlite3_stmt *st, void *ctx)
{
	const struct rowhash_walk *w = ctx;
	const char *id = (const char *)sqlite3_column_text(st, 0);

	if (!id || sqlite3_column_bytes(st, 1) != CS_ROWHASH_LEN)
		return 0; /* not written by apply; verify reports it */
	return w->cb(w->ctx, id, (size_t)sqlite3_column_bytes(st, 0),
		     sqlite3_column_blob(st, 1));
}

int store_owned_rows(struct store *s, const char *table, const char *owner,
		     store_rowhash_cb cb, void *ctx, struct bf_err *err)
{
	int ti = store_table_index(table, strlen(table));
	struct rowhash_walk w = {cb, ctx};
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 0);
	if (ti >= 0) {
		rc = bf_buf_adds(&b, "SELECT \"id\", \"rowhash\" FROM ");
		rc = rc ? rc : store_add_ident(&b, schema_tables[ti].name);
		rc = rc ? rc : bf_buf_adds(&b, " WHERE \"owner\" = ?1 ORDER BY "
					      "\"id\"");
	} else {
		rc = bf_buf_adds(&b, "SELECT id, rowhash FROM foreign_row "
				     "WHERE owner = ?1 AND tbl = ?2 ORDER BY "
				     "id");
	}
	return owned_walk(s, &b, rc, owner, ti < 0 ? table : NULL,
			  rowhash_row, &w, err);
}

struct value_walk {
	store_value_cb cb;
	void *ctx;
};

static int value_row(sqlite3_stmt *st, void *ctx)
{
	const struct value_walk *w = ctx;
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *v = (const char *)sqlite3_column_text(st, 1);

	if (!id || !v)
		return 0;
	return w->cb(w->ctx, id, (size_t)sqlite3_column_bytes(st, 0), v,
		     (size_t)sqlite3_column_bytes(st, 1));
}

int store_owned_values(struct store *s, const char *table,
		       const char *field, const char *owner,
		       store_value_cb cb, void *ctx, struct bf_err *err)
{
	int ti = store_table_index(table, strlen(table));
	struct value_walk w = {cb, ctx};
	struct bf_buf b;
	int rc;

	if (ti < 0 || schema_field_index(&schema_tables[ti], field,
					 strlen(field)) < 0)
		return bf_errf(err, BF_EINVAL, "%s.%s: not a field", table,
			       field);
	bf_buf_init(&b, 0);
	rc = bf_buf_adds(&b, "SELECT \"id\", ");
	rc = rc ? rc : store_add_ident(&b, field);
	rc = rc ? rc : bf_buf_adds(&b, " FROM ");
	rc = rc ? rc : store_add_ident(&b, table);
	rc = rc ? rc : bf_buf_adds(&b, " WHERE \"owner\" = ?1 AND ");
	rc = rc ? rc : store_add_ident(&b, field);
	rc = rc ? rc : bf_buf_adds(&b, " IS NOT NULL");
	return owned_walk(s, &b, rc, owner, NULL, value_row, &w, err);
}

int store_owned_row(struct store *s, const char *table, const char *owner,
		    const char *id, size_t id_len, struct bf_buf *enc,
		    struct bf_err *err)
{
	int ti = store_table_index(table, strlen(table));
	sqlite3_stmt *st;
	struct bf_buf b;
	int rc;

	if (ti < 0 || !s->tab)
		return bf_errf(err, BF_EINVAL, "%s: not a table of this schema",
			       table);
	if (!s->tab[ti].get) {
		bf_buf_init(&b, 0);
		rc = bf_buf_adds(&b, "SELECT * FROM ");
		rc = rc ? rc : store_add_ident(&b, table);
		rc = rc ? rc : bf_buf_adds(&b, " WHERE \"owner\" = ?1 AND "
					      "\"id\" = ?2");
		rc = store_prep_buf(s, &s->tab[ti].get, &b, rc, err);
		bf_buf_free(&b);
		if (rc)
			return rc;
	}
	st = s->tab[ti].get;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, (int)id_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = store_stmt_rowenc(st, &schema_tables[ti], enc, err);
	else if (rc == SQLITE_DONE)
		rc = BF_ENOENT;
	else
		rc = store_sql_fail(s, err, "reading a row");
	sqlite3_reset(st);
	return rc;
}
