/*
 * changeset: the byte format of change sets and row encodings.
 *
 * This file owns:
 * - the strict decoder (cs_decode, cs_peek_header, cs_rowenc_decode): one
 *   reader (struct rd) and one grammar for values and fields, shared by
 *   every entry point, so that the builder and the decoders cannot drift;
 * - the builder (cs_build) and the value / row encoders (cs_put_*,
 *   cs_rowenc), which refuse to produce anything the decoder would reject;
 * - hashing (SHA-256, row hash), signature checks (through keys.h) and the
 *   BFX1 change-set file framing.
 *
 * proto/PROTOCOL.md is the specification; changeset.h is the C contract.
 * Decoded strings point into the caller's bytes: nothing is copied, and
 * fields and list items live in two pools per change set, so decoding
 * costs a handful of allocations however many rows there are.
 */
#include "changeset.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

#include "changeset_int.h"
#include "keys.h"

/* ---------------------------------------------------------------------- */
/* Reading                                                                  */

void cs_rd_init(struct rd *r, const uint8_t *p, size_t end,
		const char *what, struct bf_err *err)
{
	r->p = p;
	r->end = end;
	r->pos = 0;
	r->trusted = 0;
	r->what = what;
	r->row = 0;
	r->field = 0;
	r->err = err;
}


int cs_rd_fail(const struct rd *r, int rc, size_t off, const char *fmt,
		   ...)
{
	char what[512], where[64] = "";
	va_list ap;

	if (!r->err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r->row && r->field)
		snprintf(where, sizeof(where), "row %zu: field %zu: ", r->row,
			 r->field);
	else if (r->row)
		snprintf(where, sizeof(where), "row %zu: ", r->row);
	else if (r->field)
		snprintf(where, sizeof(where), "field %zu: ", r->field);
	return bf_errf(r->err, rc, "%s: offset %zu: %s%s", r->what, off, where,
		       what);
}

static size_t rd_left(const struct rd *r)
{
	return r->end - r->pos;
}

static int rd_uv(struct rd *r, uint64_t *v, const char *name)
{
	size_t n, left = rd_left(r);

	if (!left)
		return cs_rd_fail(r, BF_EINVAL, r->pos, "%s: truncated", name);
	/* most varints in a change set are one byte */
	if (r->p[r->pos] < 0x80) {
		*v = r->p[r->pos++];
		return BF_OK;
	}
	n = bf_get_uvarint(r->p + r->pos, left, v);
	if (n) {
		r->pos += n;
		return BF_OK;
	}
	for (size_t i = 0; i < left && i < 10; i++)
		if (!(r->p[r->pos + i] & 0x80))
			return cs_rd_fail(r, BF_EINVAL, r->pos,
				       "%s: varint not minimal or over 64 bits",
				       name);
	if (left >= 10)
		return cs_rd_fail(r, BF_EINVAL, r->pos,
			       "%s: varint over 64 bits", name);
	return cs_rd_fail(r, BF_EINVAL, r->pos, "%s: truncated", name);
}

/* bf_utf8_ok, with a fast path for what nearly every string is: printable
 * ASCII, tested 8 bytes at a time. */
static int utf8_ok(const uint8_t *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101u, highs = ones * 0x80;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, del;

		memcpy(&w, p + i, 8);
		del = w ^ (ones * 0x7f); /* a zero byte where w has DEL */
		/* any byte >= 0x80, < 0x20 or == 0x7f: let the full check
		 * decide (it allows tab, newline, CR and multi-byte UTF-8) */
		if ((w | ((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) &
		    highs)
			return bf_utf8_ok(p, n);
	}
	for (; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return bf_utf8_ok(p, n);
	return 1;
}

/* Every str of the format is 1..CS_MAX_STR bytes of valid UTF-8. */
static int rd_str(struct rd *r, struct cs_str *s, const char *name)
{
	size_t at = r->pos;
	uint64_t n;
	int rc;

	if ((rc = rd_uv(r, &n, name)) != 0)
		return rc;
	if (n == 0)
		return cs_rd_fail(r, BF_EINVAL, at, "%s: empty", name);
	if (n > CS_MAX_STR)
		return cs_rd_fail(r, BF_ETOOBIG, at,
			       "%s: %llu bytes, over the limit of %u", name,
			       (unsigned long long)n, CS_MAX_STR);
	if (n > rd_left(r))
		return cs_rd_fail(r, BF_EINVAL, at,
			       "%s: %llu bytes announced, %zu left (truncated)",
			       name, (unsigned long long)n, rd_left(r));
	if (!r->trusted && !utf8_ok(r->p + r->pos, (size_t)n))
		return cs_rd_fail(r, BF_EINVAL, r->pos,
			       "%s: not valid UTF-8 or holds a control "
			       "character",
			       name);
	s->p = (const char *)r->p + r->pos;
	s->len = (size_t)n;
	r->pos += (size_t)n;
	return BF_OK;
}

/* memcmp order, a proper prefix first: the one order of names and ids. */
int cs_str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return BF_OK;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return BF_ENOMEM;
	np = realloc(*p, ncap * elem);
	if (!np)
		return BF_ENOMEM;
	*p = np;
	*cap = ncap;
	return BF_OK;
}

void cs_pools_free(struct pools *pl)
{
	free(pl->f);
	free(pl->it);
	memset(pl, 0, sizeof(*pl));
}

static int64_t zigzag_decode(uint64_t u)
{
	int64_t r = (int64_t)(u >> 1);

	return (u & 1) ? -r - 1 : r;
}

static uint64_t zigzag_encode(int64_t v)
{
	return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

/* Reads one value; list items are appended to pl (when not NULL: only
 * checked otherwise) and v->items is left NULL for fixup_items(). */
static int rd_value(struct rd *r, struct cs_value *v, struct pools *pl)
{
	size_t start = r->pos, at;
	uint64_t u, n;
	uint8_t tag;
	int rc;

	if (!rd_left(r))
		return cs_rd_fail(r, BF_EINVAL, r->pos, "value: truncated");
	tag = r->p[r->pos++];
	/* members of other types read as zero, never as stale pool memory */
	v->type = (enum cs_vtype)tag;
	v->i = 0;
	v->r = 0;
	v->s.p = NULL;
	v->s.len = 0;
	v->items = NULL;
	v->nitems = 0;
	switch (tag) {
	case CS_INT:
		if ((rc = rd_uv(r, &u, "int value")) != 0)
			return rc;
		v->i = zigzag_decode(u);
		break;
	case CS_REAL:
		if (rd_left(r) < 8)
			return cs_rd_fail(r, BF_EINVAL, r->pos,
				       "real value: truncated");
		u = 0;
		for (int i = 0; i < 8; i++)
			u |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
		memcpy(&v->r, &u, sizeof(v->r));
		if (isnan(v->r))
			return cs_rd_fail(r, BF_EINVAL, r->pos,
				       "real value is NaN");
		r->pos += 8;
		break;
	case CS_TEXT:
		if ((rc = rd_str(r, &v->s, "text value")) != 0)
			return rc;
		break;
	case CS_FALSE:
	case CS_TRUE:
		break;
	case CS_LIST:
		at = r->pos;
		if ((rc = rd_uv(r, &n, "list length")) != 0)
			return rc;
		if (n == 0)
			return cs_rd_fail(r, BF_EINVAL, at, "empty list");
		if (n > CS_MAX_LIST)
			return cs_rd_fail(r, BF_ETOOBIG, at,
				       "list of %llu items, over the limit "
				       "of %u",
				       (unsigned long long)n, CS_MAX_LIST);
		if (n > rd_left(r) / MIN_STR_BYTES)
			return cs_rd_fail(r, BF_EINVAL, at,
				       "list of %llu items cannot fit in the "
				       "%zu bytes left (truncated)",
				       (unsigned long long)n, rd_left(r));
		if (pl) {
			rc = grow((void **)&pl->it, &pl->icap,
				  pl->nit + (size_t)n, sizeof(*pl->it));
			if (rc)
				return cs_rd_fail(r, rc, at, "out of memory");
		}
		for (size_t i = 0; i < n; i++) {
			struct cs_str item;

			if ((rc = rd_str(r, &item, "list item")) != 0)
				return rc;
			if (pl)
				pl->it[pl->nit++] = item;
		}
		v->nitems = (size_t)n;
		break;
	default:
		return cs_rd_fail(r, BF_EINVAL, start, "unknown value type %u",
			       (unsigned)tag);
	}
	v->raw.p = (const char *)r->p + start;
	v->raw.len = r->pos - start;
	return BF_OK;
}

/*
 * Reads nfields then the fields of one row into pl.  With names (a change
 * set) a field name is an index into the name table, ascending; without
 * (a row encoding) it is an inline str, ascending.  Either way the order
 * is the names' byte order, because the name table is sorted.
 */
int cs_rd_fields(struct rd *r, const struct cs_str *names, size_t nnames,
		     uint8_t *used, struct pools *pl, size_t *count)
{
	size_t at = r->pos;
	uint64_t n, idx, prev = 0;
	int rc;

	if ((rc = rd_uv(r, &n, "field count")) != 0)
		return rc;
	if (n > CS_MAX_FIELDS)
		return cs_rd_fail(r, BF_ETOOBIG, at,
			       "%llu fields, over the limit of %u",
			       (unsigned long long)n, CS_MAX_FIELDS);
	if (n > rd_left(r) / MIN_FIELD_BYTES)
		return cs_rd_fail(r, BF_EINVAL, at,
			       "%llu fields cannot fit in the %zu bytes left "
			       "(truncated)",
			       (unsigned long long)n, rd_left(r));
	rc = grow((void **)&pl->f, &pl->fcap, pl->nf + (size_t)n,
		  sizeof(*pl->f));
	if (rc)
		return cs_rd_fail(r, rc, at, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cs_field *f = &pl->f[pl->nf];

		r->field = i + 1;
		at = r->pos;
		if (names) {
			if ((rc = rd_uv(r, &idx, "field name")) != 0)
				return rc;
			if (idx >= nnames)
				return cs_rd_fail(r, BF_EINVAL, at,
					       "field name index %llu out of "
					       "range (%zu names)",
					       (unsigned long long)idx, nnames);
			if (i > 0 && idx <= prev)
				return cs_rd_fail(r, BF_EINVAL, at,
					       idx == prev
						       ? "duplicate field name"
						       : "fields not in "
							 "ascending order");
			prev = idx;
			used[idx] = 1;
			f->name = names[idx];
		} else {
			if ((rc = rd_str(r, &f->name, "field name")) != 0)
				return rc;
			if (i > 0) {
				const struct cs_str *pn = &f[-1].name;
				int c = cs_str_cmp(pn->p, pn->len, f->name.p,
						f->name.len);
				if (c >= 0)
					return cs_rd_fail(
						r, BF_EINVAL, at,
						c == 0 ? "duplicate field name"
						       : "fields not in "
							 "ascending order");
			}
		}
		if ((rc = rd_value(r, &f->v, pl)) != 0)
			return rc;
		pl->nf++;
	}
	r->field = 0;
	*count = (size_t)n;
	return BF_OK;
}

/* Turns list positions into pointers once the item pool stops moving. */
static void fixup_items(struct cs_field *f, size_t nf, struct cs_str *items)
{
	size_t k = 0;

	for (size_t i = 0; i < nf; i++) {
		if (f[i].v.type == CS_LIST) {
			f[i].v.items = items + k;
			k += f[i].v.nitems;
		}
	}
}

int cs_origin_ok(const char *origin)
{
	return strcmp(origin, "coordinator") == 0 || bf_is_slug(origin);
}

int cs_prev_is_zero(const uint8_t prev[CS_HASH_LEN])
{
	uint8_t acc = 0;

	for (size_t i = 0; i < CS_HASH_LEN; i++)
		acc |= prev[i];
	return acc == 0;
}

static int check_len(size_t len, struct bf_err *err)
{
	if (len > CS_MAX_BYTES)
		return bf_errf(err, BF_ETOOBIG,
			       "changeset: %zu bytes, over the limit of %u",
			       len, CS_MAX_BYTES);
	if (len < CS_MIN_BYTES)
		return bf_errf(err, BF_EINVAL,
			       "changeset: %zu bytes, shorter than the "
			       "smallest change set (%u bytes)",
			       len, CS_MIN_BYTES);
	return BF_OK;
}

static int rd_header(struct rd *r, struct cs_header *h)
{
	struct cs_str o;
	size_t at;
	int rc;

	if (rd_left(r) < 4 || memcmp(r->p, CS_MAGIC, 4) != 0)
		return cs_rd_fail(r, BF_EINVAL, 0,
			       "bad magic (not a " CS_MAGIC " change set)");
	r->pos = 4;
	at = r->pos;
	if ((rc = rd_str(r, &o, "origin")) != 0)
		return rc;
	if (o.len > CS_MAX_ORIGIN)
		return cs_rd_fail(r, BF_EINVAL, at,
			       "origin: %zu bytes, over the limit of %u",
			       o.len, CS_MAX_ORIGIN);
	memcpy(h->origin, o.p, o.len);
	h->origin[o.len] = 0;
	if (!cs_origin_ok(h->origin))
		return cs_rd_fail(r, BF_EINVAL, at, "origin is not a slug");
	at = r->pos;
	if ((rc = rd_uv(r, &h->seq, "seq")) != 0)
		return rc;
	if (h->seq == 0)
		return cs_rd_fail(r, BF_EINVAL, at, "seq is 0 (starts at 1)");
	at = r->pos;
	if (rd_left(r) < CS_HASH_LEN)
		return cs_rd_fail(r, BF_EINVAL, at, "prev: truncated");
	memcpy(h->prev, r->p + r->pos, CS_HASH_LEN);
	r->pos += CS_HASH_LEN;
	if (h->seq == 1 && !cs_prev_is_zero(h->prev))
		return cs_rd_fail(r, BF_EINVAL, at,
			       "prev must be all zero when seq is 1");
	if (h->seq > 1 && cs_prev_is_zero(h->prev))
		return cs_rd_fail(r, BF_EINVAL, at,
			       "prev is all zero but seq is %llu",
			       (unsigned long long)h->seq);
	if ((rc = rd_uv(r, &h->time_ms, "time_ms")) != 0)
		return rc;
	return rd_uv(r, &h->schema, "schema");
}

int cs_peek_header(const uint8_t *bytes, size_t len, struct cs_header *h,
		   uint8_t hash[CS_HASH_LEN], struct bf_err *err)
{
	struct cs_header hh;
	struct rd r;
	int rc;

	if ((rc = check_len(len, err)) != 0)
		return rc;
	cs_rd_init(&r, bytes, len - CS_SIG_LEN, "changeset", err);
	if ((rc = rd_header(&r, &hh)) != 0)
		return rc;
	if (hash)
		cs_sha256(bytes, len - CS_SIG_LEN, hash);
	*h = hh;
	return BF_OK;
}

int cs_decode(const uint8_t *bytes, size_t len, struct changeset *cs,
	      struct bf_err *err)
{
	struct changeset c;
	struct pools pl = {0};
	struct cs_str *names = NULL;
	uint8_t *used = NULL;
	uint64_t nnames = 0, nrows = 0, op, table, prev_table = 0;
	size_t at, nf = 0;
	struct rd r;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = check_len(len, err)) != 0)
		return rc;
	cs_rd_init(&r, bytes, len - CS_SIG_LEN, "changeset", err);
	if ((rc = rd_header(&r, &c.h)) != 0)
		goto out;

	at = r.pos;
	if ((rc = rd_uv(&r, &nnames, "name count")) != 0)
		goto out;
	if (nnames > CS_MAX_NAMES) {
		rc = cs_rd_fail(&r, BF_ETOOBIG, at,
			     "%llu names, over the limit of %u",
			     (unsigned long long)nnames, CS_MAX_NAMES);
		goto out;
	}
	if (nnames > rd_left(&r) / MIN_STR_BYTES) {
		rc = cs_rd_fail(&r, BF_EINVAL, at,
			     "%llu names cannot fit in the %zu bytes left "
			     "(truncated)",
			     (unsigned long long)nnames, rd_left(&r));
		goto out;
	}
	names = malloc(sizeof(*names) * (size_t)(nnames ? nnames : 1));
	used = calloc((size_t)(nnames ? nnames : 1), 1);
	if (!names || !used) {
		rc = cs_rd_fail(&r, BF_ENOMEM, at, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		at = r.pos;
		if ((rc = rd_str(&r, &names[i], "name")) != 0)
			goto out;
		if (i > 0) {
			int cmp = cs_str_cmp(names[i - 1].p, names[i - 1].len,
					  names[i].p, names[i].len);
			if (cmp >= 0) {
				rc = cs_rd_fail(&r, BF_EINVAL, at,
					     "name %zu: %s", i + 1,
					     cmp == 0 ? "duplicate name"
						      : "names not in "
							"ascending order");
				goto out;
			}
		}
	}

	at = r.pos;
	if ((rc = rd_uv(&r, &nrows, "row count")) != 0)
		goto out;
	if (nrows > CS_MAX_ROWS) {
		rc = cs_rd_fail(&r, BF_ETOOBIG, at,
			     "%llu rows, over the limit of %u",
			     (unsigned long long)nrows, CS_MAX_ROWS);
		goto out;
	}
	if (nrows > rd_left(&r) / MIN_ROW_BYTES) {
		rc = cs_rd_fail(&r, BF_EINVAL, at,
			     "%llu rows cannot fit in the %zu bytes left "
			     "(truncated)",
			     (unsigned long long)nrows, rd_left(&r));
		goto out;
	}
	if (nrows) {
		c.rows = calloc((size_t)nrows, sizeof(*c.rows));
		/* a guess that avoids most regrowth: rows of ~8 fields */
		rc = grow((void **)&pl.f, &pl.fcap,
			  (size_t)nrows * 8 < rd_left(&r) / MIN_FIELD_BYTES
				  ? (size_t)nrows * 8
				  : rd_left(&r) / MIN_FIELD_BYTES,
			  sizeof(*pl.f));
		if (!c.rows || rc) {
			rc = cs_rd_fail(&r, BF_ENOMEM, at, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < nrows; i++) {
		struct cs_row *row = &c.rows[i];

		r.row = i + 1;
		at = r.pos;
		if (!rd_left(&r)) {
			rc = cs_rd_fail(&r, BF_EINVAL, at, "op: truncated");
			goto out;
		}
		op = r.p[r.pos++];
		if (op != CS_UPSERT && op != CS_DELETE) {
			rc = cs_rd_fail(&r, BF_EINVAL, at, "unknown op %llu",
				     (unsigned long long)op);
			goto out;
		}
		row->op = (enum cs_op)op;
		at = r.pos;
		if ((rc = rd_uv(&r, &table, "table")) != 0)
			goto out;
		if (table >= nnames) {
			rc = cs_rd_fail(&r, BF_EINVAL, at,
				     "table name index %llu out of range "
				     "(%llu names)",
				     (unsigned long long)table,
				     (unsigned long long)nnames);
			goto out;
		}
		used[table] = 1;
		row->table = names[table];
		at = r.pos;
		if ((rc = rd_str(&r, &row->id, "id")) != 0)
			goto out;
		if (row->id.len > CS_MAX_ID) {
			rc = cs_rd_fail(&r, BF_EINVAL, at,
				     "id: %zu bytes, over the limit of %u",
				     row->id.len, CS_MAX_ID);
			goto out;
		}
		if (i > 0) {
			/* the name table is sorted, so comparing table
			 * indexes compares table names */
			const struct cs_row *pr = &row[-1];
			int cmp = prev_table != table
					  ? (prev_table < table ? -1 : 1)
					  : cs_str_cmp(pr->id.p, pr->id.len,
						    row->id.p, row->id.len);
			if (cmp >= 0) {
				rc = cs_rd_fail(&r, BF_EINVAL, at,
					     cmp == 0 ? "duplicate row (same "
							"table and id)"
						      : "rows not in ascending "
							"(table, id) order");
				goto out;
			}
		}
		prev_table = table;
		if (row->op == CS_UPSERT) {
			rc = cs_rd_fields(&r, names, (size_t)nnames, used, &pl,
				       &row->nfields);
			if (rc)
				goto out;
		}
	}
	r.row = 0;
	if (r.pos != r.end) {
		rc = cs_rd_fail(&r, BF_EINVAL, r.pos,
			     "%zu unexpected bytes after the last row",
			     r.end - r.pos);
		goto out;
	}
	for (size_t i = 0; i < nnames; i++) {
		if (!used[i]) {
			rc = cs_rd_fail(&r, BF_EINVAL,
				     (size_t)((const uint8_t *)names[i].p -
					      bytes),
				     "name %zu is not used by any row", i + 1);
			goto out;
		}
	}

	for (size_t i = 0; i < nrows; i++) {
		c.rows[i].fields = c.rows[i].nfields ? pl.f + nf : NULL;
		nf += c.rows[i].nfields;
	}
	fixup_items(pl.f, pl.nf, pl.it);
	c.nrows = (size_t)nrows;
	c.field_pool = pl.f;
	c.item_pool = pl.it;
	pl.f = NULL;
	pl.it = NULL;
	c.bytes = bytes;
	c.len = len;
	c.body_len = len - CS_SIG_LEN;
	c.sig = bytes + c.body_len;
	cs_sha256(bytes, c.body_len, c.hash);
	*cs = c;
	c.rows = NULL;
	rc = BF_OK;
out:
	free(c.rows);
	cs_pools_free(&pl);
	free(names);
	free(used);
	return rc;
}

void cs_free(struct changeset *cs)
{
	if (!cs)
		return;
	free(cs->rows);
	free(cs->field_pool);
	free(cs->item_pool);
	memset(cs, 0, sizeof(*cs));
}

int cs_verify(const struct changeset *cs, const uint8_t pub[CS_KEY_LEN],
	      struct bf_err *err)
{
	if (ed_verify(pub, cs->bytes, cs->body_len, cs->sig) != 0)
		return bf_errf(err, BF_ECRYPTO,
			       "changeset: %s seq %llu: signature does not "
			       "verify with the origin's key",
			       cs->h.origin, (unsigned long long)cs->h.seq);
	return BF_OK;
}

/* ---------------------------------------------------------------------- */
/* Row encodings                                                            */

int cs_rowenc_decode(const uint8_t *p, size_t len, struct cs_field **fields,
		     size_t *n, struct bf_err *err)
{
	struct pools pl = {0};
	struct cs_field *out = NULL;
	struct cs_str *items;
	struct rd r;
	size_t count = 0;
	int rc;

	cs_rd_init(&r, p, len, "row encoding", err);
	if ((rc = cs_rd_fields(&r, NULL, 0, NULL, &pl, &count)) != 0)
		goto out;
	if (r.pos != r.end) {
		rc = cs_rd_fail(&r, BF_EINVAL, r.pos,
			     "%zu unexpected bytes after the last field",
			     r.end - r.pos);
		goto out;
	}
	if (count) {
		/* one block, so that cs_fields_free needs only the pointer */
		out = malloc(count * sizeof(*out) + pl.nit * sizeof(*items));
		if (!out) {
			rc = bf_errf(err, BF_ENOMEM, "row encoding: out of "
						     "memory");
			goto out;
		}
		items = (struct cs_str *)(out + count);
		memcpy(out, pl.f, count * sizeof(*out));
		if (pl.nit)
			memcpy(items, pl.it, pl.nit * sizeof(*items));
		fixup_items(out, count, items);
	}
	*fields = out;
	*n = count;
	rc = BF_OK;
out:
	cs_pools_free(&pl);
	return rc;
}

void cs_fields_free(struct cs_field *fields, size_t n)
{
	(void)n;
	free(fields);
}

int cs_put_str(struct bf_buf *b, const char *s, size_t len)
{
	size_t old = b->len;
	int rc;

	if (len == 0 || !utf8_ok((const uint8_t *)s, len))
		return BF_EINVAL;
	if (len > CS_MAX_STR)
		return BF_ETOOBIG;
	if ((rc = bf_put_uvarint(b, len)) != 0 ||
	    (rc = bf_buf_add(b, s, len)) != 0)
		b->len = old;
	return rc;
}

int cs_put_int(struct bf_buf *b, int64_t v)
{
	size_t old = b->len;
	int rc;

	if ((rc = bf_buf_addc(b, CS_INT)) != 0 ||
	    (rc = bf_put_uvarint(b, zigzag_encode(v))) != 0)
		b->len = old;
	return rc;
}

int cs_put_real(struct bf_buf *b, double v)
{
	uint8_t e[9];
	uint64_t u;

	if (isnan(v))
		return BF_EINVAL;
	memcpy(&u, &v, sizeof(u));
	e[0] = CS_REAL;
	for (int i = 0; i < 8; i++)
		e[1 + i] = (uint8_t)(u >> (8 * i));
	return bf_buf_add(b, e, sizeof(e));
}

int cs_put_text(struct bf_buf *b, const char *s, size_t len)
{
	size_t old = b->len;
	int rc;

	if ((rc = bf_buf_addc(b, CS_TEXT)) != 0 ||
	    (rc = cs_put_str(b, s, len)) != 0)
		b->len = old;
	return rc;
}

int cs_put_bool(struct bf_buf *b, int v)
{
	return bf_buf_addc(b, v ? CS_TRUE : CS_FALSE);
}

int cs_put_list(struct bf_buf *b, const struct cs_str *items, size_t n)
{
	size_t old = b->len;
	int rc;

	if (n == 0)
		return BF_EINVAL;
	if (n > CS_MAX_LIST)
		return BF_ETOOBIG;
	if ((rc = bf_buf_addc(b, CS_LIST)) != 0 ||
	    (rc = bf_put_uvarint(b, n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = cs_put_str(b, items[i].p, items[i].len)) != 0)
			goto out;
out:
	if (rc)
		b->len = old;
	return rc;
}

/* Encodes a value, or re-checks and copies its encoded form (raw). */
static int put_value(struct bf_buf *b, const struct cs_value *v)
{
	/* raw is set by the decoders only, which validated those bytes:
	 * copying them is what keeps apply and verify cheap per row */
	if (v->raw.p)
		return bf_buf_add(b, v->raw.p, v->raw.len);
	switch (v->type) {
	case CS_INT:
		return cs_put_int(b, v->i);
	case CS_REAL:
		return cs_put_real(b, v->r);
	case CS_TEXT:
		return cs_put_text(b, v->s.p, v->s.len);
	case CS_FALSE:
	case CS_TRUE:
		return cs_put_bool(b, v->type == CS_TRUE);
	case CS_LIST:
		return cs_put_list(b, v->items, v->nitems);
	}
	return BF_EINVAL;
}

int cs_rowenc(struct bf_buf *b, const struct cs_field *fields, size_t n)
{
	size_t old = b->len;
	int rc;

	if (n > CS_MAX_FIELDS)
		return BF_ETOOBIG;
	if ((rc = bf_put_uvarint(b, n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct cs_field *f = &fields[i];

		if (i > 0 && cs_str_cmp(f[-1].name.p, f[-1].name.len, f->name.p,
				     f->name.len) >= 0) {
			rc = BF_EINVAL; /* unsorted or duplicate names */
			goto out;
		}
		if (f->v.raw.p) {
			/* a decoded field: its name was validated with it */
			if ((rc = bf_put_uvarint(b, f->name.len)) != 0 ||
			    (rc = bf_buf_add(b, f->name.p, f->name.len)) != 0)
				goto out;
		} else if ((rc = cs_put_str(b, f->name.p, f->name.len)) != 0) {
			goto out;
		}
		if ((rc = put_value(b, &f->v)) != 0)
			goto out;
	}
out:
	if (rc)
		b->len = old;
	return rc;
}

/* OpenSSL 3's one-shot SHA256() fetches the algorithm and allocates a
 * context on every call; per row that costs more than the hashing.  The
 * algorithm is fetched once and each thread keeps its own context. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static _Thread_local EVP_MD_CTX *sha256_ctx;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void cs_thread_done(void)
{
	EVP_MD_CTX_free(sha256_ctx);
	sha256_ctx = NULL;
}

void cs_sha256(const void *p, size_t n, uint8_t out[CS_HASH_LEN])
{
	unsigned int len = CS_HASH_LEN;

	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_ctx)
		sha256_ctx = EVP_MD_CTX_new();
	if (!sha256_md || !sha256_ctx ||
	    EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, out, &len) != 1)
		SHA256(p, n, out); /* allocation failed: the slow path */
}

void cs_rowhash(const uint8_t *enc, size_t len, uint8_t out[CS_ROWHASH_LEN])
{
	uint8_t h[CS_HASH_LEN];

	cs_sha256(enc, len, h);
	memcpy(out, h, CS_ROWHASH_LEN);
}

/* ---------------------------------------------------------------------- */
/* Change-set files                                                         */

int cs_file_begin(struct bf_buf *b)
{
	return bf_buf_add(b, CS_FILE_MAGIC, 4);
}

int cs_file_append(struct bf_buf *b, const uint8_t *cs, size_t len)
{
	uint8_t n[4];
	size_t old = b->len;
	int rc;

	if (len == 0)
		return BF_EINVAL;
	if (len > CS_MAX_BYTES)
		return BF_ETOOBIG;
	n[0] = (uint8_t)(len >> 24);
	n[1] = (uint8_t)(len >> 16);
	n[2] = (uint8_t)(len >> 8);
	n[3] = (uint8_t)len;
	if ((rc = bf_buf_add(b, n, 4)) != 0 || (rc = bf_buf_add(b, cs, len)))
		b->len = old;
	return rc;
}

int cs_file_read(const uint8_t *data, size_t len, cs_file_cb cb, void *ctx,
		 struct bf_err *err)
{
	size_t pos = 4, index = 0;

	if (len < 4 || memcmp(data, CS_FILE_MAGIC, 4) != 0)
		return bf_errf(err, BF_EINVAL,
			       "changeset file: offset 0: bad magic (not a "
			       "%s file)",
			       CS_FILE_MAGIC);
	while (pos < len) {
		size_t n;
		int rc;

		index++;
		if (len - pos < 4)
			return bf_errf(err, BF_EINVAL,
				       "changeset file: offset %zu: entry %zu: "
				       "truncated length",
				       pos, index);
		n = (size_t)data[pos] << 24 | (size_t)data[pos + 1] << 16 |
		    (size_t)data[pos + 2] << 8 | (size_t)data[pos + 3];
		if (n == 0 || n > CS_MAX_BYTES)
			return bf_errf(err, n ? BF_ETOOBIG : BF_EINVAL,
				       "changeset file: offset %zu: entry %zu: "
				       "length %zu (must be 1..%u)",
				       pos, index, n, CS_MAX_BYTES);
		if (n > len - pos - 4)
			return bf_errf(err, BF_EINVAL,
				       "changeset file: offset %zu: entry %zu: "
				       "file ends inside the entry (%zu of "
				       "%zu bytes)",
				       pos, index, len - pos - 4, n);
		if ((rc = cb(ctx, index, data + pos + 4, n, err)) != 0)
			return rc;
		pos += 4 + n;
	}
	return BF_OK;
}
