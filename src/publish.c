/*
 * publish: validate a file's records, diff them against the rows the
 * institution owns, and write the differences as signed change sets.
 */
#include "publish.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "drydiff.h"
#include "idmap.h"
#include "jsonin.h"
#include "mapfile.h"
#include "publish_int.h"
#include "schema.h"
#include "value.h"
#include "vocab.h"

/* --- publishing context (publish_int.h) -------------------------------- */

/* Errors after which unknown terms are no longer given their nearest
 * ones (each costs up to a few milliseconds). */
#define HINTS_MAX 1000

static int owned_cb(void *vctx, const char *id, size_t id_len,
		    const uint8_t hash[CS_ROWHASH_LEN])
{
	struct idmap *m = vctx;
	struct idmap_ent *e = idmap_add_owned(m, id, id_len);

	if (!e)
		return BF_ENOMEM;
	e->state = IDMAP_OWNED;
	memcpy(e->hash, hash, CS_ROWHASH_LEN);
	return 0;
}

struct tstate *pub_table_state(struct ctx *c, const struct sch_table *t)
{
	struct tstate *ts;

	for (size_t i = 0; i < c->ntables; i++)
		if (c->tables[i].t == t)
			return &c->tables[i];
	if (c->ntables == sizeof(c->tables) / sizeof(c->tables[0]))
		return NULL;
	ts = &c->tables[c->ntables++];
	memset(ts, 0, sizeof(*ts));
	ts->t = t;
	ts->model = t->export ? vocab_table(t->export) : NULL;
	bf_buf_init(&ts->map.ids, 0);
	if (store_owned_rows(c->node->store, t->name, c->node->cfg.slug,
			     owned_cb, &ts->map, c->err) != 0)
		return NULL;
	return ts;
}

static void vreport(FILE *f, const char *file, size_t line, const char *table,
		    size_t index, const char *id, const char *field,
		    const char *fmt, va_list ap)
{
	if (line)
		fprintf(f, "%s:%zu:", file, line);
	else
		fprintf(f, "%s:", file);
	if (table)
		fprintf(f, " %s", table);
	if (index)
		fprintf(f, " record %zu", index);
	if (id)
		fprintf(f, " (id %s)", id);
	if (field)
		fprintf(f, "%s field %s", table || index || id ? ":" : "",
			field);
	fprintf(f, ": ");
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

/* An error of the file: counted; shown on warn up to max_errors, written
 * to errors_to however many. */
void pub_report(struct ctx *c, const char *file, size_t line,
		const char *table, size_t index, const char *id,
		const char *field, const char *fmt, ...)
{
	size_t max = c->o->max_errors ? c->o->max_errors : 50;
	va_list ap;

	c->res->errors++;
	if (c->res->errors <= max) {
		pub_progress(c->o->progress, NULL, 0, 0); /* off the line */
		va_start(ap, fmt);
		vreport(c->warn, file, line, table, index, id, field, fmt, ap);
		va_end(ap);
	}
	if (c->o->errors_to) {
		va_start(ap, fmt);
		vreport(c->o->errors_to, file, line, table, index, id, field,
			fmt, ap);
		va_end(ap);
	}
}


static int cmp_fieldref(const void *a, const void *b)
{
	const struct fieldref *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* Whether a column name was already warned or refused about (once per
 * file is enough); remembers it. */
static int named_before(struct ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nnamed; i++)
		if (strcmp(c->named[i], name) == 0)
			return 1;
	if (c->nnamed < 64)
		snprintf(c->named[c->nnamed++], sizeof(c->named[0]), "%s",
			 name);
	return 0;
}

static int add_change(struct ctx *c, enum cs_op op, const struct sch_table *t,
		      const char *id, size_t id_len, const uint8_t *enc,
		      size_t enc_len, const uint8_t *hash)
{
	struct change *ch;

	if (bf_grow(&c->changes, &c->capchanges, c->nchanges + 1,
		    sizeof(*c->changes), 1024))
		return BF_ENOMEM;
	ch = &c->changes[c->nchanges];
	ch->op = op;
	ch->t = t;
	ch->id_off = c->arena.len;
	ch->id_len = id_len;
	if (bf_buf_add(&c->arena, id, id_len) || bf_buf_addc(&c->arena, 0))
		return BF_ENOMEM;
	ch->enc_off = c->arena.len;
	ch->enc_len = enc_len;
	if (enc_len && (bf_buf_add(&c->arena, enc, enc_len) ||
			bf_buf_add(&c->arena, hash, CS_ROWHASH_LEN)))
		return BF_ENOMEM;
	c->nchanges++;
	return 0;
}

/* What the column at position col of record r is: its field after the
 * mapping file, the schema's field or the model's column it is, or a
 * name neither knows (warned once; refused once when it looks like a
 * typo of a known name).  CSV rows share the header's name pointers, so
 * a position is looked at once per file. */
static const struct colinfo *column_info(struct ctx *c, struct tstate *ts,
					 size_t col, const struct rec *r,
					 struct colinfo *tmp)
{
	const char *name = r->cells[col].name;
	struct colinfo *ci = col < MAX_COLCACHE ? &c->cols[col] : tmp;
	const char *typo;
	size_t len;

	if (ci->name == name && ci->t == ts->t && col < MAX_COLCACHE)
		return ci;
	ci->name = name;
	ci->t = ts->t;
	ci->field = mapfile_column(c->map, name);
	ci->fi = -1;
	ci->mc = NULL;
	if (!ci->field || !strcmp(ci->field, "id"))
		return ci;
	len = strlen(ci->field);
	ci->fi = schema_field_index(ts->t, ci->field, len);
	if (ci->fi >= 0)
		return ci;
	ci->mc = vocab_column(ts->model, ci->field, len);
	if (ci->mc || named_before(c, ci->field))
		return ci;
	if ((typo = schema_typo_of(ts->t, ci->field, len)) != NULL) {
		/* a CSV header is the file's first line */
		pub_report(c, r->file, r->table ? r->line : 1, r->table, 0,
			  NULL, ci->field,
			  "not a field of %s: did you mean %s? (rename the "
			  "column, or map it in a --map file)",
			  ts->t->name, typo);
		c->fatal++;
		return ci;
	}
	pub_progress(c->o->progress, NULL, 0, 0);
	fprintf(c->warn,
		"%s:%zu: warning: %s has no field \"%s\"; kept as an extra "
		"field\n",
		r->file, r->line, ts->t->name, ci->field);
	return ci;
}

/* The cell with the mapping file's recodings of field applied (to each
 * item of a list on its own); the cell itself when the file recodes
 * nothing of that field.  The result lives in c->recode and *tmp. */
static const struct rec_cell *recode(struct ctx *c, const struct rec_cell *cell,
				     const char *field, int list,
				     struct rec_cell *tmp)
{
	const char *p, *end;

	if (!c->map || !cell->text || !mapfile_recodes(c->map, field))
		return cell;
	bf_buf_reset(&c->recode);
	p = cell->text;
	end = p + cell->len;
	while (p <= end) {
		const char *comma = list ? memchr(p, ',', (size_t)(end - p))
					 : NULL;
		const char *ie = comma ? comma : end, *is = p, *to;
		size_t il = (size_t)(ie - p);

		value_trim(&is, &il);
		to = mapfile_value(c->map, field, is, il);
		if ((c->recode.len && bf_buf_addc(&c->recode, ',')) ||
		    (to ? bf_buf_adds(&c->recode, to)
			: bf_buf_add(&c->recode, is, il)))
			return NULL;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!bf_buf_cstr(&c->recode))
		return NULL;
	tmp->name = cell->name;
	tmp->text = (const char *)c->recode.p;
	tmp->len = c->recode.len;
	tmp->json = NULL;
	return tmp;
}

/* Whether a field of the stored row was a column of record r. */
static int column_of_record(struct ctx *c, struct tstate *ts,
			    const struct rec *r, const uint8_t *present,
			    const struct cs_str *name)
{
	int fi = schema_field_index(ts->t, name->p, name->len);
	struct colinfo tmp;

	if (fi >= 0)
		return present[fi];
	for (size_t i = 0; i < r->ncells; i++) {
		const struct colinfo *ci = column_info(c, ts, i, r, &tmp);
		if (ci->field && strlen(ci->field) == name->len &&
		    !memcmp(ci->field, name->p, name->len))
			return 1;
	}
	return 0;
}

/* Adds to the record's fields (c->fields, *nf of them) those of the
 * stored row whose columns the file does not have: what a file leaves
 * out stays as it was.  Sets *kept to how many.  The names point into
 * c->old, which must live until the row is encoded. */
static int keep_stored(struct ctx *c, struct tstate *ts, const struct rec *r,
		       const char *id, size_t id_len, const uint8_t *present,
		       size_t *nf, struct cs_field **old, size_t *nold,
		       size_t *kept, struct bf_err *err)
{
	int rc;

	*kept = 0;
	bf_buf_reset(&c->old);
	rc = store_owned_row(c->node->store, ts->t->name, c->node->cfg.slug, id,
			     id_len, &c->old, err);
	if (rc == BF_ENOENT)
		return 0;
	if (rc || (rc = cs_rowenc_decode(c->old.p, c->old.len, old, nold,
					 err)) != 0)
		return rc;
	for (size_t i = 0; i < *nold; i++) {
		const struct cs_field *f = &(*old)[i];
		size_t off = c->vals.len;

		if (column_of_record(c, ts, r, present, &f->name))
			continue;
		if (*nf == CS_MAX_FIELDS)
			return bf_errf(err, BF_ETOOBIG, "more than %u fields",
				       CS_MAX_FIELDS);
		if (bf_buf_add(&c->vals, f->v.raw.p, f->v.raw.len))
			return bf_errf(err, BF_ENOMEM, "out of memory");
		c->fields[*nf].name = f->name.p;
		c->fields[*nf].nlen = f->name.len;
		c->fields[*nf].voff = off;
		c->fields[*nf].vlen = f->v.raw.len;
		(*nf)++;
		(*kept)++;
	}
	return 0;
}

/* Sorts the record's fields by name and encodes the row into c->enc.
 * Returns 1 when a field is given twice (reported). */
static int encode_row(struct ctx *c, const struct rec *r, const char *idbuf,
		      size_t nf, uint8_t hash[CS_ROWHASH_LEN],
		      struct bf_err *err)
{
	/* insertion sort: a record has a handful of fields, often in order */
	for (size_t i = 1; i < nf; i++) {
		struct fieldref x = c->fields[i];
		size_t j = i;
		while (j > 0 && cmp_fieldref(&c->fields[j - 1], &x) > 0) {
			c->fields[j] = c->fields[j - 1];
			j--;
		}
		c->fields[j] = x;
	}
	for (size_t i = 1; i < nf; i++)
		if (cmp_fieldref(&c->fields[i - 1], &c->fields[i]) == 0) {
			report(c, r, idbuf, c->fields[i].name,
			       "given twice (under its name and an alias?)");
			return 1;
		}
	bf_buf_reset(&c->enc);
	if (bf_put_uvarint(&c->enc, nf))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	/* names are the schema's or a decoded (valid UTF-8) header's */
	for (size_t i = 0; i < nf; i++)
		if (bf_put_uvarint(&c->enc, c->fields[i].nlen) ||
		    bf_buf_add(&c->enc, c->fields[i].name, c->fields[i].nlen) ||
		    bf_buf_add(&c->enc, c->vals.p + c->fields[i].voff,
			       c->fields[i].vlen))
			return bf_errf(err, BF_ENOMEM, "out of memory");
	cs_rowhash(c->enc.p, c->enc.len, hash);
	return 0;
}

static int check_row(struct ctx *c, const struct rec *r, const char *id,
		     size_t id_len, const char *idbuf, size_t nf,
		     struct bf_err *err)
{
	char msg[512];
	int rc;

	/* the fields as publish_opts.check promises them, from the encoded
	 * values at hand (decoding the row again would cost more than the
	 * rest of the check) */
	if (!c->checkf &&
	    !(c->checkf = calloc(CS_MAX_FIELDS, sizeof(*c->checkf))))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	for (size_t i = 0; i < nf; i++) {
		struct cs_field *f = &c->checkf[i];
		const uint8_t *v = c->vals.p + c->fields[i].voff;
		uint64_t len;
		size_t k;

		f->v.s.p = NULL;
		f->v.s.len = 0;
		f->v.i = 0;
		f->name.p = c->fields[i].name;
		f->name.len = c->fields[i].nlen;
		f->v.raw.p = (const char *)v;
		f->v.raw.len = c->fields[i].vlen;
		f->v.type = (enum cs_vtype)v[0];
		if (v[0] == CS_TEXT &&
		    (k = bf_get_uvarint(v + 1, c->fields[i].vlen - 1, &len))) {
			f->v.s.p = (const char *)v + 1 + k;
			f->v.s.len = (size_t)len;
		} else if (v[0] == CS_INT &&
			   bf_get_uvarint(v + 1, c->fields[i].vlen - 1, &len)) {
			/* zigzag, as cs_put_int wrote it */
			f->v.i = (int64_t)(len >> 1) ^ -(int64_t)(len & 1);
		}
	}
	msg[0] = 0;
	rc = c->o->check(c->o->check_ctx, r, id, id_len, c->checkf, nf, msg,
			 sizeof(msg));
	if (!rc)
		return 0;
	report(c, r, idbuf, NULL, "%s", msg);
	return 1;
}

/* The references a record makes, settled once its row is known valid. */
struct rec_ref {
	const struct sch_field *f;
	const char *v;
	size_t len;
};

static int record_fields(struct ctx *c, const struct rec *r,
			 struct bf_err *err)
{
	const struct sch_table *t = c->default_table;
	struct tstate *ts;
	const char *id = NULL;
	size_t id_len = 0, nf = 0, nrefs = 0, nold = 0, kept = 0;
	char msg[512], idbuf[80];
	int bad = 0, rc = 0;
	uint8_t present[256], hash[CS_ROWHASH_LEN];
	uint8_t failed[256]; /* fields whose value was refused */
	struct rec_ref refs[8];
	struct cs_field *old = NULL;
	struct colinfo tmp;
	struct idmap_ent *e;

	if (r->table) {
		t = schema_table(r->table, strlen(r->table));
		if (!t || !(t->flags & (c->o->local ? SCH_T_LOCAL
						    : SCH_T_PUBLISH))) {
			c->res->records++;
			report(c, r, NULL, NULL,
			       "\"%s\" is not a table that can be %s",
			       r->table, c->o->local ? "imported here"
						     : "published");
			return 0;
		}
	}
	ts = pub_table_state(c, t);
	if (!ts)
		return bf_errf(err, BF_ENOMEM, "%s: cannot load owned rows",
			       t->name);
	ts->in_file = 1;
	c->res->records++;
	memset(present, 0, sizeof(present));
	memset(failed, 0, sizeof(failed));
	/* the id first, so that every message can name the row */
	for (size_t i = 0; i < r->ncells; i++) {
		const struct colinfo *ci = column_info(c, ts, i, r, &tmp);
		const struct rec_cell *cell = &r->cells[i];

		if (!ci->field || strcmp(ci->field, "id") != 0)
			continue;
		if (cell->text) {
			id = cell->text;
			id_len = cell->len;
			value_trim(&id, &id_len);
		}
	}
	if (!id || !schema_is_row_id(id, id_len)) {
		report(c, r, NULL, "id",
		       id ? "not a valid id (1-256 printable characters)"
			  : "required (a string)");
		return 0;
	}
	c->cur_table = ts;
	c->cur_id = id;
	c->cur_id_len = id_len;
	/* for messages; cheap enough per record, no printf */
	{
		size_t k = id_len > 64 ? 64 : id_len;
		memcpy(idbuf, id, k);
		idbuf[k] = 0;
	}
	if (!c->o->local && id_len >= sizeof(SCHEMA_DERIVED_PREFIX) - 1 &&
	    !memcmp(id, SCHEMA_DERIVED_PREFIX,
		    sizeof(SCHEMA_DERIVED_PREFIX) - 1) &&
	    !(c->o->id_prefix &&
	      !strcmp(c->o->id_prefix, SCHEMA_DERIVED_PREFIX))) {
		report(c, r, idbuf, "id",
		       "ids beginning with \"%s\" are reserved for facts "
		       "derived from samples",
		       SCHEMA_DERIVED_PREFIX);
		return 0;
	}
	bf_buf_reset(&c->vals);
	for (size_t i = 0; i < r->ncells; i++) {
		const struct colinfo *ci = column_info(c, ts, i, r, &tmp);
		const struct rec_cell *cell = &r->cells[i];
		const struct sch_field *f = NULL;
		struct rec_cell rtmp;
		size_t before = c->vals.len;
		int list;

		if (!ci->field || !strcmp(ci->field, "id"))
			continue;
		if (ci->fi >= 0) {
			f = &t->fields[ci->fi];
			present[ci->fi] = 1;
		}
		list = f ? f->type == SCH_LIST
			 : ci->mc && (ci->mc->type == VC_LIST ||
				      ci->mc->type == VC_TERMS);
		if (!(cell = recode(c, cell, ci->field, list, &rtmp)))
			return bf_errf(err, BF_ENOMEM, "out of memory");
		rc = value_convert(f, ci->mc, cell,
				   c->o->value_flags |
					   (c->res->errors >= HINTS_MAX
						    ? SCH_NO_HINTS
						    : 0),
				   &c->vals, c->items, msg, sizeof(msg));
		if (rc < 0) {
			report(c, r, idbuf, ci->field, "%s", msg);
			bad = 1;
			if (ci->fi >= 0) /* said once: not "required" too */
				failed[ci->fi] = 1;
			continue;
		}
		if (rc == 1)
			continue;
		if (nf == CS_MAX_FIELDS) {
			report(c, r, idbuf, NULL, "more than %u fields",
			       CS_MAX_FIELDS);
			return 0;
		}
		if (f && f->ref && nrefs < sizeof(refs) / sizeof(refs[0])) {
			/* the stored text: the trimmed cell (no check) */
			refs[nrefs].f = f;
			refs[nrefs].v = cell->text;
			refs[nrefs].len = cell->len;
			if (refs[nrefs].v) {
				value_trim(&refs[nrefs].v, &refs[nrefs].len);
				nrefs++;
			}
		}
		c->fields[nf].name = f ? f->name
				   : ci->mc ? ci->mc->name
					    : ci->field;
		c->fields[nf].nlen = strlen(c->fields[nf].name);
		c->fields[nf].voff = before;
		c->fields[nf].vlen = c->vals.len - before;
		nf++;
	}
	for (size_t i = 0; i < t->nfields; i++) {
		int have = 0;
		if (!(t->fields[i].flags & SCH_REQUIRED) || failed[i])
			continue;
		for (size_t k = 0; k < nf && !have; k++)
			have = c->fields[k].name == t->fields[i].name;
		/* a row that has it keeps it when the file lacks the column */
		if (!have && (present[i] || c->whole_rows ||
			      !(e = idmap_get(&ts->map, id, id_len, 0)) ||
			      !(e->state & IDMAP_OWNED))) {
			report(c, r, idbuf, t->fields[i].name, "required");
			bad = 1;
		}
	}
	if (bad)
		return 0;
	if ((rc = encode_row(c, r, idbuf, nf, hash, err)) != 0)
		return rc < 0 ? rc : 0;
	for (size_t i = 0; i < nrefs; i++)
		if ((rc = pub_check_ref(c, r, idbuf, refs[i].f, refs[i].v,
				    refs[i].len)) != 0)
			return rc;
	e = idmap_get(&ts->map, id, id_len, 1);
	if (!e)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	if (e->state & IDMAP_SEEN) {
		report(c, r, idbuf, "id", "duplicate id in this file");
		return 0;
	}
	if (!c->whole_rows && (e->state & IDMAP_OWNED) &&
	    memcmp(e->hash, hash, CS_ROWHASH_LEN) != 0) {
		rc = keep_stored(c, ts, r, id, id_len, present, &nf, &old,
				 &nold, &kept, err);
		if (!rc && kept)
			rc = encode_row(c, r, idbuf, nf, hash, err);
		cs_fields_free(old, nold);
		if (rc)
			return rc < 0 ? rc : 0;
		/* the map may have moved: find the entry again */
		e = idmap_get(&ts->map, id, id_len, 0);
	}
	if (c->o->check) {
		int bad_row = check_row(c, r, id, id_len, idbuf, nf, err);
		if (bad_row < 0)
			return bad_row;
		if (bad_row) {
			e->state |= IDMAP_SEEN; /* a later duplicate is named */
			return 0;
		}
	}
	if (!(e->state & IDMAP_OWNED)) {
		c->res->inserted++;
	} else if (memcmp(e->hash, hash, CS_ROWHASH_LEN) != 0) {
		c->res->updated++;
		c->res->merged += kept > 0;
	} else {
		c->res->unchanged++;
		e->state |= IDMAP_SEEN;
		return 0;
	}
	e->state |= IDMAP_SEEN;
	if (add_change(c, CS_UPSERT, t, id, id_len, c->enc.p, c->enc.len,
		       hash))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	return 0;
}

/* One record: its fields, or its errors.  A record with errors that has
 * an id counts as seen, so that replace keeps the row it had. */
static int on_record(void *vctx, const struct rec *r, struct bf_err *err)
{
	struct ctx *c = vctx;
	size_t before = c->res->errors;
	int rc;

	if (c->map && !r->table && r->index <= mapfile_skip_rows(c->map))
		return 0; /* a row of types or units, as the map says */
	c->cur_table = NULL;
	c->cur_id = NULL;
	if (c->o->progress && c->res->records % PUBLISH_PROGRESS_ROWS == 0)
		pub_progress(c->o->progress, "reading rows", c->res->records,
			     0);
	rc = record_fields(c, r, err);
	if (rc || c->res->errors == before)
		return rc;
	c->res->skipped++;
	if (c->cur_table && c->cur_id) {
		struct idmap_ent *e = idmap_get(&c->cur_table->map, c->cur_id,
						c->cur_id_len, 1);
		if (!e)
			return bf_errf(err, BF_ENOMEM, "out of memory");
		e->state |= IDMAP_SEEN;
	}
	return 0;
}

static const char *file_ext(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	return dot ? dot + 1 : "";
}

/* collections.csv -> collection; Biobanks.json -> biobank. */
static const struct sch_table *table_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strchr(base, '.');
	return schema_table(base, dot ? (size_t)(dot - base) : strlen(base));
}

/* A node can only sign what its own replica will accept: its institution
 * must be in the roster it holds, with this node's key.  Said before any
 * work, in words that tell what to do. */
int publish_check_member(struct node *n, struct bf_err *err)
{
	uint8_t key[CS_KEY_LEN], h[CS_HASH_LEN];
	uint64_t head;
	int rc = store_head(n->store, n->cfg.slug, &head, h, err);

	if (rc)
		return rc;
	rc = store_origin_key(n->store, n->cfg.slug, head + 1, key, err);
	if (rc == BF_ENOENT)
		return bf_errf(err, rc,
			       "%s is not in this node's copy of the roster: "
			       "the coordinator admits it with `biofed roster "
			       "add identity.json`, and this node receives the "
			       "roster by sync or `biofed changes import`",
			       n->cfg.slug);
	if (rc)
		return rc;
	if (memcmp(key, n->key.pub, CS_KEY_LEN) != 0)
		return bf_errf(err, BF_ECRYPTO,
			       "the roster holds another signing key for %s "
			       "than this node's sign.key; the coordinator must "
			       "admit this key (biofed roster add --key-from)",
			       n->cfg.slug);
	/* peers hold later change sets of this origin: signing now forks */
	return node_check_not_behind(n, err);
}

/* With replace: the owned rows of the file's tables that it did not
 * hold become deletes. */
static int replace_deletes(struct ctx *c)
{
	const struct publish_opts *o = c->o;

	for (size_t i = 0; i < c->ntables; i++) {
		struct idmap *m = &c->tables[i].map;

		/* tables loaded only to settle references stay whole */
		if (!c->tables[i].in_file && c->tables[i].t != c->default_table)
			continue;
		for (size_t j = 0; j < m->n; j++) {
			const char *id = idmap_id(m, j);

			if (m->e[j].state != IDMAP_OWNED)
				continue;
			if (o->id_prefix &&
			    strncmp(id, o->id_prefix, strlen(o->id_prefix)))
				continue;
			/* derived facts are the derivation's */
			if (!o->id_prefix &&
			    !strncmp(id, SCHEMA_DERIVED_PREFIX,
				     sizeof(SCHEMA_DERIVED_PREFIX) - 1))
				continue;
			if (add_change(c, CS_DELETE, c->tables[i].t, id,
				       m->e[j].id_len, NULL, 0, NULL))
				return bf_errf(c->err, BF_ENOMEM,
					       "out of memory");
			c->res->deleted++;
		}
	}
	return 0;
}

/* --dry-run: every change, field by field. */
static int print_changes(struct ctx *c)
{
	FILE *out = c->o->dry_run_out ? c->o->dry_run_out : stdout;

	/* the changes go to stdout, most likely the same terminal */
	pub_progress(c->o->progress, NULL, 0, 0);

	for (size_t i = 0; i < c->nchanges; i++) {
		const struct change *ch = &c->changes[i];
		const char *id = (const char *)c->arena.p + ch->id_off;
		int rc = BF_ENOENT, have;

		bf_buf_reset(&c->old);
		if (ch->op == CS_UPSERT &&
		    (rc = store_owned_row(c->node->store, ch->t->name,
					  c->node->cfg.slug, id, ch->id_len,
					  &c->old, c->err)) != 0 &&
		    rc != BF_ENOENT)
			return rc;
		have = rc == 0;
		rc = drydiff_print(out, ch->op, ch->t->name, id,
				   have ? c->old.p : NULL, c->old.len,
				   c->arena.p + ch->enc_off, ch->enc_len,
				   c->err);
		if (rc)
			return rc;
	}
	return 0;
}

/* The file's records (or the reader's) through on_record. */
static int read_records(struct ctx *c, int json)
{
	const struct publish_opts *o = c->o;

	if (o->read)
		return o->read(o->read_ctx, on_record, c, c->err);
	if (json)
		return jsonin_read_file(o->path, o->records, on_record, c,
					c->err);
	{
		/* no --delimiter: read off the header (a ';' or TSV export),
		 * and what csvin decides is said on the warnings */
		struct csvin_opts co = {.delim = o->delimiter, .notes = c->warn};

		return csvin_read_file_opts(o->path, &co, on_record, c, c->err);
	}
}

/* Which table the file holds, from the options or its name. */
static int pick_table(struct ctx *c, int json)
{
	const struct publish_opts *o = c->o;
	const struct sch_table *t;

	if (o->table) {
		t = schema_table(o->table, strlen(o->table));
		if (!t)
			return bf_errf(c->err, BF_EINVAL,
				       "--table: no table \"%s\"", o->table);
	} else {
		t = table_from_path(o->path);
	}
	c->default_table = t;
	if (t && o->local && !(t->flags & SCH_T_LOCAL))
		return bf_errf(c->err, BF_EINVAL,
			       "%s: table %s is not local-only: use `biofed "
			       "publish`",
			       o->path, t->name);
	if (t && !o->local && !(t->flags & SCH_T_PUBLISH))
		return bf_errf(c->err, BF_EINVAL,
			       "%s: table %s is not published this way (%s)",
			       o->path, t->name,
			       (t->flags & SCH_T_LOCAL)
				       ? "use `biofed samples import`"
				       : "the coordinator writes it with "
					 "`biofed roster`");
	if (!t && (!json || o->records || o->read))
		return bf_errf(c->err, BF_EINVAL,
			       "%s: cannot tell which table the file holds "
			       "from its name; give --table",
			       o->path);
	/* the whole set of the table is known even when the file is empty */
	if (t && !pub_table_state(c, t))
		return BF_EIO;
	return 0;
}

static int write_changes(struct ctx *c)
{
	struct node *n = c->node;
	struct cs_row_in *rows = calloc(c->nchanges, sizeof(*rows));
	const uint8_t **hashes = NULL;
	int rc;

	if (!rows)
		return bf_errf(c->err, BF_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nchanges; i++) {
		struct change *ch = &c->changes[i];
		rows[i].op = ch->op;
		rows[i].table = ch->t->name;
		rows[i].id = (const char *)c->arena.p + ch->id_off;
		rows[i].enc = c->arena.p + ch->enc_off;
		rows[i].enc_len = ch->enc_len;
		/* the diff's row hash, after the encoding in the arena */
		rows[i].hash = ch->op == CS_UPSERT ? rows[i].enc + ch->enc_len
						   : NULL;
	}
	if (!c->o->local) {
		rc = pub_commit(n->store, n->cfg.slug, &n->key, rows,
				c->nchanges, (size_t)n->cfg.max_changeset_rows,
				c->o->progress, c->res, c->err);
		free(rows);
		return rc;
	}
	/* the row hashes computed for the diff: the store need not encode
	 * and hash every row again */
	hashes = calloc(c->nchanges, sizeof(*hashes));
	if (!hashes) {
		free(rows);
		return bf_errf(c->err, BF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < c->nchanges; i++)
		if (c->changes[i].op == CS_UPSERT)
			hashes[i] = c->arena.p + c->changes[i].enc_off +
				    c->changes[i].enc_len;
	/* one transaction: no count to show within it */
	pub_progress(c->o->progress, "writing rows", 0, c->nchanges);
	rc = store_write_local(n->store, n->cfg.slug, rows, hashes, c->nchanges,
			       c->err);
	free(hashes);
	free(rows);
	return rc;
}

int publish_file(struct node *n, const struct publish_opts *o,
		 struct publish_result *res, struct bf_err *err)
{
	struct ctx *c = calloc(1, sizeof(*c)); /* large: not on the stack */
	const char *fmt = o->format;
	size_t before;
	int rc, json;

	memset(res, 0, sizeof(*res));
	if (!c)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	c->node = n;
	c->o = o;
	c->res = res;
	c->err = err;
	c->warn = o->warnings ? o->warnings : stderr;
	c->whole_rows = o->clear_missing || o->read != NULL;
	bf_buf_init(&c->arena, 0);
	bf_buf_init(&c->vals, CS_MAX_BYTES);
	bf_buf_init(&c->enc, CS_MAX_BYTES);
	bf_buf_init(&c->old, CS_MAX_BYTES);
	bf_buf_init(&c->recode, 0);
	bf_buf_init(&c->refs, 0);

	/* local rows are not signed: no roster membership needed */
	rc = o->local ? 0 : publish_check_member(n, err);
	if (rc)
		goto out;
	if (o->map && (rc = mapfile_load(o->map, &c->map, err)) != 0)
		goto out;
	if (!fmt)
		fmt = o->read || strcasecmp(file_ext(o->path), "json") == 0
			      ? "json"
			      : "csv";
	json = strcmp(fmt, "json") == 0;
	if (!json && strcmp(fmt, "csv") != 0) {
		rc = bf_errf(err, BF_EINVAL,
			     "--input-format: \"%s\" is not csv or json", fmt);
		goto out;
	}
	if ((rc = pick_table(c, json)) != 0)
		goto out;
	pub_progress(o->progress, "reading rows", 0, 0);
	if ((rc = read_records(c, json)) != 0)
		goto out;
	pub_progress(o->progress, "checking references", 0, 0);
	pub_settle_refs(c);
	if ((res->errors && !o->keep_going) || c->fatal) {
		size_t max = o->max_errors ? o->max_errors : 50;

		pub_progress(o->progress, NULL, 0, 0);
		if (res->errors > max)
			fprintf(c->warn, "... and %zu more errors%s\n",
				res->errors - max,
				o->errors_to ? " (all of them in the errors "
					       "file)"
					     : " (--errors-to FILE lists "
					       "every one)");
		rc = bf_errf(err, BF_EINVAL,
			     "%s: %zu error%s; nothing was %s", o->path,
			     res->errors, res->errors == 1 ? "" : "s",
			     o->local ? "imported" : "published");
		goto out;
	}
	before = res->errors;
	if (o->replace && ((rc = replace_deletes(c)) != 0 ||
			   (rc = pub_check_deleted_refs(c)) != 0))
		goto out;
	if (res->errors > before) {
		rc = bf_errf(err, BF_EINVAL, "%s: %zu error%s; nothing was %s",
			     o->path, res->errors, res->errors == 1 ? "" : "s",
			     o->local ? "imported" : "published");
		goto out;
	}
	if (o->dry_run) {
		rc = print_changes(c);
		goto out;
	}
	rc = c->nchanges ? write_changes(c) : 0;
out:
	for (size_t i = 0; i < c->ntables; i++)
		idmap_free(&c->tables[i].map);
	mapfile_free(c->map);
	free(c->changes);
	free(c->checkf);
	free(c->pend);
	bf_buf_free(&c->arena);
	bf_buf_free(&c->vals);
	bf_buf_free(&c->enc);
	bf_buf_free(&c->old);
	bf_buf_free(&c->recode);
	bf_buf_free(&c->refs);
	free(c);
	return rc;
}
