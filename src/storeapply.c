/*
 * storeapply: store_apply, the one path by which replicated rows change
 * (the rules are in store.h): the header's quick duplicate check, the
 * strict decode, the roster key (storekeys.c) and signature, the
 * sequence against the origin's head (a fork keeps its evidence), then
 * the rows under the ownership rules, the full-text index
 * (storesearch.c), the log entry and the cursor, in one IMMEDIATE
 * transaction, all or nothing.
 *
 * It is built for bulk: statements are prepared once per table (store.c,
 * prepare_writers), text is bound in place (SQLITE_STATIC into the change
 * set's bytes) and list columns are rendered into one reused buffer, so a
 * row costs no allocation and no SQL compilation.
 */
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "store_int.h"

int store_row_fail(struct bf_err *err, int rc, const struct cs_row *r,
		   const char *fmt, ...)
{
	char msg[600], tbl[80], id[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bf_errf(err, rc, "row %s/%s: %s",
		       log_escape(r->table.p, r->table.len, tbl, sizeof(tbl)),
		       log_escape(r->id.p, r->id.len, id, sizeof(id)), msg);
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

int store_check_type(const struct cs_row *r, const struct sch_field *f,
		     const struct cs_value *v, struct bf_err *err)
{
	if (type_matches(f->type, v->type))
		return BF_OK;
	return store_row_fail(err, BF_EINVAL, r,
			      "field %s: expected %s, got %s", f->name,
			      store_type_name(f->type), cs_type_name(v->type));
}

/* SQLite stores NaN as NULL and -0.0 as 0.0, and JSON has no infinity:
 * such values could not be read back into the bytes that were hashed. */
static int real_storable(double r)
{
	return isfinite(r) && !(r == 0 && signbit(r));
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
		return store_row_fail(err, BF_EINVAL, r,
				      "field %s: real is infinite or negative "
				      "zero",
				      log_escape(f->name.p, f->name.len, name,
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

	if ((rc = store_check_type(r, f, v, err)) != 0)
		return rc;
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
			return store_row_fail(err, BF_EINVAL, r,
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
		return store_row_fail(err, rc, r, "cannot encode the row");
	cs_rowhash(s->enc.p, s->enc.len, hash);
	return BF_OK;
}

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
	    (rc = store_check_roster_row(t, r, err)) != 0)
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
			c = store_name_cmp(r->fields[j].name.p,
					   r->fields[j].name.len, f->name,
					   flen);
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
			rc = store_row_fail(err, BF_ENOMEM, r,
					    "cannot render unknown fields "
					    "as JSON");
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
			return store_row_fail(err, BF_EINVAL, r,
					      "table name is not canonical "
					      "(the table is %s)",
					      t->name);
		*ti = -1;
		return BF_OK;
	}
	t = &schema_tables[i];
	if (t->flags & SCH_T_LOCAL)
		return store_row_fail(err, BF_EINVAL, r,
				      "%s is a local-only table: it is never "
				      "replicated",
				      t->name);
	if ((t->flags & SCH_T_COORDINATOR) && !coord)
		return store_row_fail(err, BF_EINVAL, r,
				      "wrong owner: only the coordinator "
				      "writes %s",
				      t->name);
	if (coord && !(t->flags & SCH_T_COORDINATOR))
		return store_row_fail(err, BF_EINVAL, r,
				      "wrong owner: the coordinator writes "
				      "only the roster, not %s",
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
				rc = store_sql_fail(s, err,
						    "storing fork evidence");
		}
		goto out;
	}
	if (in && nin != cs.nrows) {
		rc = bf_errf(err, BF_EINVAL, "row hashes for %zu rows, not %zu",
			     nin, cs.nrows);
		goto out;
	}
	if ((rc = store_search_unindex(s, &cs, err)) != 0 ||
	    (rc = apply_rows(s, &cs, in, err)) != 0 ||
	    (rc = store_search_reindex(s, err)) != 0 ||
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
