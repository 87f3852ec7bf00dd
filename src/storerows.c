/*
 * storerows: a row's encoding rebuilt from the columns SQLite holds, the
 * inverse of what the apply path stores (storeapply.c).  The known fields
 * come from the columns named like them, in the schema's order; the
 * unknown ones from the JSON object in `extra`; both are merged by name,
 * which is the order of an encoding.  verify uses it to recompute row
 * hashes, queries to print rows, publish to read back owned rows.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"


/* The column called name; tries hint first, as statements usually list
 * the fields in schema order. */
static int find_column(sqlite3_stmt *st, int ncols, const char *name,
		       int hint)
{
	const char *c;

	if (hint < ncols && (c = sqlite3_column_name(st, hint)) &&
	    !strcmp(c, name))
		return hint;
	for (int i = 0; i < ncols; i++)
		if ((c = sqlite3_column_name(st, i)) && !strcmp(c, name))
			return i;
	return -1;
}

struct xmember {
	const char *name;
	size_t len;
	json_t *value;
};

static int xmember_cmp(const void *a, const void *b)
{
	const struct xmember *x = a, *y = b;

	return store_name_cmp(x->name, x->len, y->name, y->len);
}

/* Appends the encoding of a list held as a JSON array of strings. */
static int put_json_list(struct bf_buf *b, const json_t *a)
{
	struct cs_str *items;
	size_t n = json_array_size(a);
	int rc = BF_OK;

	if (!json_is_array(a) || n == 0)
		return BF_EINVAL;
	if (!(items = calloc(n, sizeof(*items))))
		return BF_ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *it = json_array_get(a, i);

		if (!json_is_string(it))
			rc = BF_EINVAL;
		items[i].p = json_string_value(it);
		items[i].len = json_string_length(it);
	}
	rc = rc ? rc : cs_put_list(b, items, n);
	free(items);
	return rc;
}

static int put_json_value(struct bf_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER: return cs_put_int(b, json_integer_value(v));
	case JSON_REAL: return cs_put_real(b, json_real_value(v));
	case JSON_STRING:
		return cs_put_text(b, json_string_value(v),
				   json_string_length(v));
	case JSON_TRUE: return cs_put_bool(b, 1);
	case JSON_FALSE: return cs_put_bool(b, 0);
	case JSON_ARRAY: return put_json_list(b, v);
	default: return BF_EINVAL;
	}
}

static int put_column(struct bf_buf *b, sqlite3_stmt *st, int col,
		      enum sch_type type)
{
	int ct = sqlite3_column_type(st, col);
	json_t *a;
	int rc;

	switch (type) {
	case SCH_TEXT:
		if (ct != SQLITE_TEXT)
			return BF_EINVAL;
		return cs_put_text(b,
				   (const char *)sqlite3_column_text(st, col),
				   (size_t)sqlite3_column_bytes(st, col));
	case SCH_INT:
		if (ct != SQLITE_INTEGER)
			return BF_EINVAL;
		return cs_put_int(b, sqlite3_column_int64(st, col));
	case SCH_REAL:
		if (ct != SQLITE_FLOAT && ct != SQLITE_INTEGER)
			return BF_EINVAL;
		return cs_put_real(b, sqlite3_column_double(st, col));
	case SCH_BOOL:
		if (ct != SQLITE_INTEGER ||
		    (uint64_t)sqlite3_column_int64(st, col) > 1)
			return BF_EINVAL;
		return cs_put_bool(b, sqlite3_column_int(st, col));
	case SCH_LIST:
		if (ct != SQLITE_TEXT)
			return BF_EINVAL;
		a = json_loadb((const char *)sqlite3_column_text(st, col),
			       (size_t)sqlite3_column_bytes(st, col), 0, NULL);
		rc = a ? put_json_list(b, a) : BF_EINVAL;
		json_decref(a);
		return rc;
	}
	return BF_EINVAL;
}

/* Appends the members of extra from xm[*k] on that sort before the field
 * called name (NULL: all that are left), counting them in *count. */
static int put_extra(struct bf_buf *b, const struct sch_table *t,
		     const struct xmember *xm, size_t nx, size_t *k,
		     const char *name, size_t len, size_t *count,
		     struct bf_err *err)
{
	for (; *k < nx; ++*k, ++*count) {
		const struct xmember *m = &xm[*k];

		if (name && store_name_cmp(m->name, m->len, name, len) >= 0)
			break;
		if (cs_put_str(b, m->name, m->len) ||
		    put_json_value(b, m->value))
			return bf_errf(err, BF_EINVAL,
				       "%s: extra member %.80s cannot be "
				       "encoded",
				       t->name, m->name);
	}
	return BF_OK;
}

int store_stmt_rowenc(struct sqlite3_stmt *stmt, const struct sch_table *t,
		      struct bf_buf *b, struct bf_err *err)
{
	int ncols = sqlite3_column_count(stmt);
	int xcol = find_column(stmt, ncols, "extra", 3);
	struct xmember *xm = NULL;
	json_t *extra = NULL;
	size_t start = b->len, nx = 0, k = 0, count = 0;
	uint8_t cnt[10];
	size_t cntlen;
	int rc = BF_OK, hint = xcol + 1;

	if (xcol >= 0 && sqlite3_column_type(stmt, xcol) != SQLITE_NULL) {
		const char *txt = (const char *)sqlite3_column_text(stmt, xcol);
		size_t n = (size_t)sqlite3_column_bytes(stmt, xcol);
		const char *key;
		json_t *v;


		extra = json_loadb(txt, n, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(extra)) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: extra is not a JSON object", t->name);
			goto out;
		}
		xm = calloc(json_object_size(extra) + 1, sizeof(*xm));
		if (!xm) {
			rc = bf_errf(err, BF_ENOMEM, "store: out of memory");
			goto out;
		}
		/* jansson does not promise an order: sort by name */
		json_object_foreach(extra, key, v) {
			xm[nx].name = key;
			xm[nx].len = json_object_iter_key_len(
				json_object_key_to_iter(key));
			xm[nx++].value = v;
		}
		qsort(xm, nx, sizeof(*xm), xmember_cmp);
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		size_t flen = strlen(f->name);
		int col = find_column(stmt, ncols, f->name, hint);

		if (col < 0) {
			rc = bf_errf(err, BF_EINVAL, "%s: no column %s",
				     t->name, f->name);
			goto out;
		}
		hint = col + 1;
		if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
			continue;
		rc = put_extra(b, t, xm, nx, &k, f->name, flen, &count, err);
		if (rc)
			goto out;
		if (k < nx &&
		    !store_name_cmp(xm[k].name, xm[k].len, f->name, flen)) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: extra repeats the field %s", t->name,
				     f->name);
			goto out;
		}
		if ((rc = cs_put_str(b, f->name, flen)) != 0 ||
		    (rc = put_column(b, stmt, col, f->type)) != 0) {
			rc = bf_errf(err, rc == BF_ENOMEM ? rc : BF_EINVAL,
				     "%s: column %s does not hold a %s",
				     t->name, f->name,
				     store_type_name(f->type));
			goto out;
		}
		count++;
	}
	if ((rc = put_extra(b, t, xm, nx, &k, NULL, 0, &count, err)) != 0)
		goto out;
	if (count > CS_MAX_FIELDS) {
		rc = bf_errf(err, BF_ETOOBIG, "%s: more than %u fields",
			     t->name, CS_MAX_FIELDS);
		goto out;
	}
	/* the count goes first but is known only now: slide the fields */
	cntlen = store_uvarint(count, cnt);
	if ((rc = bf_buf_reserve(b, cntlen)) != 0) {
		rc = bf_errf(err, rc, "store: out of memory");
		goto out;
	}
	memmove(b->p + start + cntlen, b->p + start, b->len - start);
	memcpy(b->p + start, cnt, cntlen);
	b->len += cntlen;
out:
	if (rc)
		b->len = start;
	free(xm);
	json_decref(extra);
	return rc;
}
