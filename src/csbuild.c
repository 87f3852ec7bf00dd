/*
 * The change-set builder (cs_build, changeset.h): rows in, the signed
 * bytes out.  Every row is checked with the decoder's own grammar
 * (changeset_int.h), so that nothing is built that a node would refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "changeset.h"
#include "changeset_int.h"
#include "keys.h"

/* The sorted, unique names of the change set being built.  Few distinct
 * names occur (tables and their fields), so a sorted array with binary
 * search serves both collecting them and mapping them to indexes.  Rows
 * of one table mostly repeat the names of the row before at the same
 * places: the name last seen at each place (0: the table, k + 1: field
 * k) and, once the set is complete, its index are tried first. */
#define NAMESET_HINTS 64
struct nameset {
	struct cs_str *v;
	size_t n;
	struct cs_str last[NAMESET_HINTS];
	size_t last_idx[NAMESET_HINTS];
};

static int same_name(const struct cs_str *a, const char *p, size_t len)
{
	return a->p && a->len == len && memcmp(a->p, p, len) == 0;
}

static int nameset_cmp_at(const void *ctx, size_t i, const void *key)
{
	const struct nameset *s = ctx;
	const struct cs_str *k = key;

	return cs_str_cmp(s->v[i].p, s->v[i].len, k->p, k->len);
}

/* Returns 1 and the index when found, else 0 and the insertion point. */
static int nameset_find(const struct nameset *s, const char *p, size_t len,
			size_t *pos)
{
	struct cs_str k = {.p = p, .len = len};

	return bf_bsearch(s->n, nameset_cmp_at, s, &k, pos);
}

static int nameset_add(struct nameset *s, const char *p, size_t len)
{
	size_t pos;

	if (nameset_find(s, p, len, &pos))
		return BF_OK;
	if (s->n == CS_MAX_NAMES)
		return BF_ETOOBIG;
	memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof(*s->v));
	s->v[pos].p = p;
	s->v[pos].len = len;
	s->n++;
	return BF_OK;
}

static int cmp_row_in(const void *a, const void *b)
{
	const struct cs_row_in *x = *(const struct cs_row_in *const *)a;
	const struct cs_row_in *y = *(const struct cs_row_in *const *)b;
	int c = strcmp(x->table, y->table); /* unsigned bytes: memcmp order */

	return c ? c : strcmp(x->id, y->id);
}

/* nameset_add of the name at place `at` of a row. */
static int nameset_add_at(struct nameset *s, size_t at, const char *p,
			  size_t len)
{
	int rc;

	if (at < NAMESET_HINTS && same_name(&s->last[at], p, len))
		return BF_OK;
	rc = nameset_add(s, p, len);
	if (!rc && at < NAMESET_HINTS) {
		s->last[at].p = p;
		s->last[at].len = len;
		s->last_idx[at] = SIZE_MAX;
	}
	return rc;
}

/* The index of the name at place `at` of a row, once the set is whole. */
static int put_name_index(struct bf_buf *b, struct nameset *ns, size_t at,
			  const struct cs_str *name)
{
	size_t idx = 0;

	if (at < NAMESET_HINTS && ns->last_idx[at] != SIZE_MAX &&
	    same_name(&ns->last[at], name->p, name->len))
		return bf_put_uvarint(b, ns->last_idx[at]);
	nameset_find(ns, name->p, name->len, &idx);
	if (at < NAMESET_HINTS) {
		ns->last[at] = *name;
		ns->last_idx[at] = idx;
	}
	return bf_put_uvarint(b, idx);
}

/* Checks one input row; collects its names into ns and leaves its decoded
 * fields in pl (reset per row). */
static int build_check_row(const struct cs_row_in *in, size_t index,
			   struct nameset *ns, struct pools *pl,
			   struct bf_err *err)
{
	size_t tlen = strlen(in->table), ilen = strlen(in->id), count;
	struct rd r;
	int rc;

	if (in->op != CS_UPSERT && in->op != CS_DELETE)
		return bf_errf(err, BF_EINVAL, "changeset: row %zu: bad op %d",
			       index, (int)in->op);
	if (tlen == 0 || tlen > CS_MAX_STR ||
	    !bf_utf8_ok((const uint8_t *)in->table, tlen))
		return bf_errf(err, BF_EINVAL,
			       "changeset: row %zu: table name is empty, too "
			       "long or not UTF-8",
			       index);
	if (ilen == 0 || ilen > CS_MAX_ID ||
	    !bf_utf8_ok((const uint8_t *)in->id, ilen))
		return bf_errf(err, BF_EINVAL,
			       "changeset: row %zu: id must be 1..%u bytes of "
			       "UTF-8",
			       index, CS_MAX_ID);
	if ((rc = nameset_add_at(ns, 0, in->table, tlen)) != 0)
		goto toomany;
	pl->nf = pl->nit = 0;
	if (in->op == CS_DELETE)
		return BF_OK;
	cs_rd_init(&r, in->enc, in->enc_len, "row encoding", err);
	rc = cs_rd_fields(&r, NULL, 0, NULL, pl, &count);
	if (rc == BF_OK && r.pos != r.end)
		rc = cs_rd_fail(&r, BF_EINVAL, r.pos,
			     "%zu unexpected bytes after the last field",
			     r.end - r.pos);
	if (rc) {
		bf_err_prefix(err, "changeset: row %zu", index);
		return rc;
	}
	for (size_t i = 0; i < pl->nf; i++)
		if ((rc = nameset_add_at(ns, i + 1, pl->f[i].name.p,
					 pl->f[i].name.len)) != 0)
			goto toomany;
	return BF_OK;
toomany:
	return bf_errf(err, rc, "changeset: more than %u distinct table and "
				"field names",
		       CS_MAX_NAMES);
}

int cs_build(const struct cs_header *h, const struct cs_row_in *rows,
	     size_t nrows, const struct ed_key *key, uint8_t **out,
	     size_t *out_len, struct bf_err *err)
{
	const struct cs_row_in **order = NULL;
	struct nameset ns = {0};
	struct pools pl = {0};
	struct bf_buf b;
	uint8_t sig[CS_SIG_LEN];
	size_t guess = CS_MIN_BYTES, olen = strlen(h->origin);
	int rc;

	bf_buf_init(&b, CS_MAX_BYTES);
	if (!key || !key->has_private)
		return bf_errf(err, BF_ECRYPTO,
			       "changeset: no private key to sign with");
	if (olen > CS_MAX_ORIGIN || !cs_origin_ok(h->origin))
		return bf_errf(err, BF_EINVAL,
			       "changeset: origin is not a slug");
	if (h->seq == 0 || (h->seq == 1) != cs_prev_is_zero(h->prev))
		return bf_errf(err, BF_EINVAL,
			       "changeset: seq must be >= 1 and prev all zero "
			       "exactly when seq is 1");
	if (nrows > CS_MAX_ROWS)
		return bf_errf(err, BF_ETOOBIG,
			       "changeset: %zu rows, over the limit of %u "
			       "(split them)",
			       nrows, CS_MAX_ROWS);

	ns.v = malloc(CS_MAX_NAMES * sizeof(*ns.v));
	order = malloc((nrows ? nrows : 1) * sizeof(*order));
	if (!ns.v || !order) {
		rc = bf_errf(err, BF_ENOMEM, "changeset: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nrows; i++)
		order[i] = &rows[i];
	/* publish hands rows over in key order: skip the sort then */
	for (size_t i = 1; i < nrows; i++) {
		if (cmp_row_in(&order[i - 1], &order[i]) > 0) {
			qsort(order, nrows, sizeof(*order), cmp_row_in);
			break;
		}
	}

	/* pass 1: check every row and collect the name table */
	for (size_t i = 0; i < nrows; i++) {
		size_t index = (size_t)(order[i] - rows) + 1;

		if (i > 0 && cmp_row_in(&order[i - 1], &order[i]) == 0) {
			rc = bf_errf(err, BF_EINVAL,
				     "changeset: row %zu: duplicate row "
				     "(same table and id as row %zu)",
				     index, (size_t)(order[i - 1] - rows) + 1);
			goto out;
		}
		if ((rc = build_check_row(order[i], index, &ns, &pl, err)))
			goto out;
		guess += strlen(order[i]->id) + 8 +
			 (order[i]->op == CS_UPSERT ? order[i]->enc_len : 0);
	}

	/* pass 2: write the body; the row encodings are known good now;
	 * the hints of pass 1 hold no indexes yet */
	for (size_t i = 0; i < NAMESET_HINTS; i++)
		ns.last_idx[i] = SIZE_MAX;
	rc = bf_buf_reserve(&b, guess < CS_MAX_BYTES ? guess : CS_MAX_BYTES);
	if (rc)
		goto toobig;
	if ((rc = bf_buf_add(&b, CS_MAGIC, 4)) != 0 ||
	    (rc = cs_put_str(&b, h->origin, olen)) != 0 ||
	    (rc = bf_put_uvarint(&b, h->seq)) != 0 ||
	    (rc = bf_buf_add(&b, h->prev, CS_HASH_LEN)) != 0 ||
	    (rc = bf_put_uvarint(&b, h->time_ms)) != 0 ||
	    (rc = bf_put_uvarint(&b, h->schema)) != 0 ||
	    (rc = bf_put_uvarint(&b, ns.n)) != 0)
		goto toobig;
	for (size_t i = 0; i < ns.n; i++)
		if ((rc = cs_put_str(&b, ns.v[i].p, ns.v[i].len)) != 0)
			goto toobig;
	if ((rc = bf_put_uvarint(&b, nrows)) != 0)
		goto toobig;
	for (size_t i = 0; i < nrows; i++) {
		const struct cs_row_in *in = order[i];
		struct cs_str t = {in->table, strlen(in->table)};
		size_t count;
		struct rd r;

		if ((rc = bf_buf_addc(&b, (uint8_t)in->op)) != 0 ||
		    (rc = put_name_index(&b, &ns, 0, &t)) != 0 ||
		    (rc = cs_put_str(&b, in->id, strlen(in->id))) != 0)
			goto toobig;
		if (in->op == CS_DELETE)
			continue;
		pl.nf = pl.nit = 0;
		cs_rd_init(&r, in->enc, in->enc_len, "row encoding", err);
		r.trusted = 1;
		if ((rc = cs_rd_fields(&r, NULL, 0, NULL, &pl, &count)) != 0)
			goto out; /* cannot happen: pass 1 read it */
		if ((rc = bf_put_uvarint(&b, count)) != 0)
			goto toobig;
		for (size_t k = 0; k < count; k++) {
			if ((rc = put_name_index(&b, &ns, k + 1,
						 &pl.f[k].name)) ||
			    (rc = bf_buf_add(&b, pl.f[k].v.raw.p,
					     pl.f[k].v.raw.len)))
				goto toobig;
		}
	}
	if (b.len > CS_MAX_BYTES - CS_SIG_LEN)
		goto toobig;
	if ((rc = ed_sign(key, b.p, b.len, sig, err)) != 0) {
		bf_err_prefix(err, "changeset");
		goto out;
	}
	if ((rc = bf_buf_add(&b, sig, CS_SIG_LEN)) != 0)
		goto toobig;
	*out = b.p;
	*out_len = b.len;
	b.p = NULL;
	rc = BF_OK;
	goto out;
toobig:
	rc = rc == BF_ENOMEM
		     ? bf_errf(err, rc, "changeset: out of memory")
		     : bf_errf(err, BF_ETOOBIG,
			       "changeset: %zu rows would exceed %u bytes "
			       "(split them)",
			       nrows, CS_MAX_BYTES);
out:
	bf_buf_free(&b);
	cs_pools_free(&pl);
	free(ns.v);
	free(order);
	return rc;
}
