/*
 * samples: importing sample rows through publish's machinery, and
 * deriving and publishing collection facts from them (see samples.h).
 */
#include "samples.h"

#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* --- the node's own collections: what a sample may name ---------------- */

struct idset {
	char **ids; /* sorted in byte order, as the replica hands them over */
	size_t n, cap;
	size_t hint; /* files list a collection's samples together */
};

static int idset_add(void *ctx, const char *id, size_t len,
		     const uint8_t hash[CS_ROWHASH_LEN])
{
	struct idset *s = ctx;
	char *copy;

	(void)hash;
	if (bf_grow(&s->ids, &s->cap, s->n + 1, sizeof(*s->ids), 64))
		return BF_ENOMEM;
	if (!(copy = malloc(len + 1)))
		return BF_ENOMEM;
	memcpy(copy, id, len);
	copy[len] = 0;
	s->ids[s->n++] = copy;
	return 0;
}

/* bf_bsearch's order: ids[i] against the id in key, bytes then length. */
static int idset_cmp(const void *ctx, size_t i, const void *key)
{
	const struct idset *s = ctx;
	const struct cs_str *k = key;
	size_t il = strlen(s->ids[i]);
	int c = memcmp(s->ids[i], k->p, il < k->len ? il : k->len);

	return c ? c : (il > k->len) - (il < k->len);
}

static int idset_has(struct idset *s, const char *p, size_t len)
{
	struct cs_str key = {p, len};
	size_t pos;

	if (s->hint < s->n && !idset_cmp(s, s->hint, &key))
		return 1;
	if (!bf_bsearch(s->n, idset_cmp, s, &key, &pos))
		return 0;
	s->hint = pos;
	return 1;
}

static void idset_free(struct idset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->ids[i]);
	free(s->ids);
}

/* --- deriving facts ---------------------------------------------------- */

int64_t samples_suppress(int64_t count, int64_t below, const char *mode)
{
	if (count <= 0 || below <= 1 || count >= below)
		return count;
	return strcmp(mode, "hide") == 0 ? -1 : below;
}

/*
 * The aggregation runs here rather than as one SQL GROUP BY: with six
 * keys and distinct donors, SQLite sorts a million rows through a
 * temporary b-tree (seconds), while one scan feeding two hash tables
 * takes a fraction of that.
 *
 * A group's key is its six dimension values, each a tag byte (0: NULL,
 * 1: a value) then, for a value, its length as a uvarint and its bytes.
 * The same bytes, hashed, give the fact's id.  Distinct donors are
 * counted in a set of 64-bit hashes of (group, donor_id), or of (group,
 * byte 1, sample id) for a sample without donor_id (control characters
 * cannot start a donor_id): keeping only hashes halves the memory touched
 * per sample, and two donors of one group would have to collide for a
 * count to be one short (odds about 1 in 10^8 for a million donors).
 */
#define NDIMS 6

/* The fact's columns, in the order of the key. */
static const char *const dim_names[NDIMS] = {
	"collection", "sex", "age_range", "sample_type", "disease",
	"availability",
};

struct group {
	size_t key_off, key_len; /* into agg.keys */
	int64_t samples, donors;
};

/* Open addressing over 64-bit hashes (0 is never stored): the group
 * table keeps an index per hash, the donor set only the hash. */
struct htab {
	uint64_t *hash;
	uint32_t *idx; /* groups: index of the group; donors: NULL */
	size_t cap;    /* power of two */
	size_t n;
};

struct agg {
	size_t samples;
	struct group *g;
	size_t ng, capg;
	struct bf_buf keys; /* group keys */
	struct htab gt;     /* group key -> group */
	struct htab dt;     /* hashes of (group, donor) */
	struct bf_buf scratch;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* A fast 64-bit hash, eight bytes at a time (keys are short). */
static uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull), w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ull;
	}
	w = 0;
	memcpy(&w, b, n);
	h = mix64(h ^ w);
	return h ? h : 1;
}

static int htab_grow(struct htab *t, int with_idx)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	uint64_t *nh = calloc(ncap, sizeof(*nh));
	uint32_t *ni = with_idx ? calloc(ncap, sizeof(*ni)) : NULL;

	if (!nh || (with_idx && !ni)) {
		free(nh);
		free(ni);
		return BF_ENOMEM;
	}
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->hash[i])
			continue;
		for (j = t->hash[i] & (ncap - 1); nh[j]; j = (j + 1) & (ncap - 1))
			;
		nh[j] = t->hash[i];
		if (ni)
			ni[j] = t->idx[i];
	}
	free(t->hash);
	free(t->idx);
	t->hash = nh;
	t->idx = ni;
	t->cap = ncap;
	return 0;
}

static void agg_free(struct agg *a)
{
	free(a->g);
	free(a->gt.hash);
	free(a->gt.idx);
	free(a->dt.hash);
	bf_buf_free(&a->keys);
	bf_buf_free(&a->scratch);
}

/* The group of key, created when new; NULL when out of memory. */
static struct group *agg_group(struct agg *a, const uint8_t *key, size_t len)
{
	uint64_t h = hash64(key, len, 0);
	size_t j;

	if ((a->ng + 1) * 2 > a->gt.cap && htab_grow(&a->gt, 1))
		return NULL;
	for (j = h & (a->gt.cap - 1); a->gt.hash[j];
	     j = (j + 1) & (a->gt.cap - 1)) {
		struct group *g = &a->g[a->gt.idx[j]];

		if (a->gt.hash[j] == h && g->key_len == len &&
		    !memcmp(a->keys.p + g->key_off, key, len))
			return g;
	}
	if (bf_grow(&a->g, &a->capg, a->ng + 1, sizeof(*a->g), 1024))
		return NULL;
	memset(&a->g[a->ng], 0, sizeof(a->g[0]));
	a->g[a->ng].key_off = a->keys.len;
	a->g[a->ng].key_len = len;
	if (bf_buf_add(&a->keys, key, len))
		return NULL;
	a->gt.idx[j] = (uint32_t)a->ng++;
	a->gt.hash[j] = h;
	return &a->g[a->ng - 1];
}

/* Adds the donor (one of the two forms, see above) of group gi; 1 when
 * it is new to the group, 0 when seen, <0 on error. */
static int agg_donor(struct agg *a, size_t gi, const char *donor,
		     size_t dlen, const char *sample, size_t slen)
{
	uint64_t h = donor ? hash64(donor, dlen, gi + 1)
			   : hash64(sample, slen, ~(uint64_t)gi);
	size_t j;

	if ((a->dt.n + 1) * 2 > a->dt.cap && htab_grow(&a->dt, 0))
		return BF_ENOMEM;
	for (j = h & (a->dt.cap - 1); a->dt.hash[j];
	     j = (j + 1) & (a->dt.cap - 1))
		if (a->dt.hash[j] == h)
			return 0;
	a->dt.hash[j] = h;
	a->dt.n++;
	return 1;
}

static int put_dim(struct bf_buf *b, const char *v, size_t len)
{
	/* the replica's text is valid UTF-8: no need for cs_put_str's check */
	if (!v)
		return bf_buf_addc(b, 0);
	return bf_buf_addc(b, 1) || bf_put_uvarint(b, len) ||
			       bf_buf_add(b, v, len)
		       ? BF_ENOMEM
		       : 0;
}

/* Decade of the age at collection in whole years; "90-" from 90 on.  An
 * age without unit is in years. */
static int unit_is(const struct cs_str *u, const char *name)
{
	return u->p && u->len == strlen(name) && !memcmp(u->p, name, u->len);
}

static size_t age_range(int64_t age, const struct cs_str *unit, char out[16])
{
	int64_t y = age;

	if (unit_is(unit, "MONTH"))
		y = age / 12;
	else if (unit_is(unit, "WEEK"))
		y = age / 52;
	else if (unit_is(unit, "DAY"))
		y = age / 365;
	if (y >= 90 || y < 0) { /* the schema keeps ages in 0..200 */
		memcpy(out, "90-", 4);
		return 3;
	}
	/* "40-49" without printf: this runs once per sample */
	if (y < 10) {
		memcpy(out, "0-9", 4);
		return 3;
	}
	out[0] = (char)('0' + y / 10);
	out[1] = '0';
	out[2] = '-';
	out[3] = out[0];
	out[4] = '9';
	out[5] = 0;
	return 5;
}

/* Counts one sample into its group and the group's donors. */
static int agg_add(struct agg *a, const struct store_sample *v)
{
	char ar[16];
	size_t arlen = 0, gi;
	struct group *g;
	int e;

	if (v->has_age)
		arlen = age_range(v->age, &v->age_unit, ar);
	bf_buf_reset(&a->scratch);
	e = put_dim(&a->scratch, v->collection.p, v->collection.len);
	e = e ? e : put_dim(&a->scratch, v->sex.p, v->sex.len);
	e = e ? e : put_dim(&a->scratch, arlen ? ar : NULL, arlen);
	e = e ? e : put_dim(&a->scratch, v->material_type.p,
			    v->material_type.len);
	e = e ? e : put_dim(&a->scratch, v->diagnosis.p, v->diagnosis.len);
	e = e ? e : put_dim(&a->scratch, v->status.p, v->status.len);
	if (e || !(g = agg_group(a, a->scratch.p, a->scratch.len)))
		return BF_ENOMEM;
	g->samples++;
	gi = (size_t)(g - a->g);
	if ((e = agg_donor(a, gi, v->donor_id.p, v->donor_id.len, v->id.p,
			   v->id.len)) < 0)
		return e;
	a->g[gi].donors += e;
	a->samples++;
	return 0;
}

struct scan {
	struct agg *a;
	const struct publish_progress *progress;
	size_t nrows;
};

static int scan_sample(void *ctx, const struct store_sample *v)
{
	struct scan *sc = ctx;

	if (sc->progress && sc->nrows++ % PUBLISH_PROGRESS_ROWS == 0)
		sc->progress->step(sc->progress->ctx, "counting samples",
				   sc->nrows - 1, 0);
	return agg_add(sc->a, v) ? BF_ENOMEM : 0;
}

/* One pass over the node's samples in the replica. */
static int aggregate(struct store *s, const char *owner, struct agg *a,
		     const struct publish_progress *progress,
		     struct bf_err *err)
{
	struct scan sc = {a, progress, 0};
	int rc = store_sample_scan(s, owner, scan_sample, &sc, err);

	return rc == BF_ENOMEM ? bf_errf(err, rc, "out of memory") : rc;
}

struct derive {
	struct node *n;
	struct samples_result *res;
	struct agg a;
};

/* publish_opts.read: hands each group to publish as a fact record,
 * exactly as a file's row would be. */
static int derive_read(void *vctx, rec_cb cb, void *cb_ctx,
		       struct bf_err *err)
{
	struct derive *d = vctx;
	const struct bf_config *cfg = &d->n->cfg;
	struct rec_cell cells[NDIMS + 3];
	struct rec r;
	char id[sizeof(SCHEMA_DERIVED_PREFIX) + 2 * CS_ROWHASH_LEN];
	char nums[2][24];
	int rc;

	memset(&r, 0, sizeof(r));
	r.file = "facts derived from samples";
	r.cells = cells;
	for (size_t gi = 0; gi < d->a.ng; gi++) {
		const struct group *g = &d->a.g[gi];
		const uint8_t *p = d->a.keys.p + g->key_off;
		int64_t count[2] = {g->samples, g->donors};
		size_t off[NDIMS];
		uint8_t h[CS_HASH_LEN];
		size_t nc = 0;

		d->res->groups++;
		r.index = r.line = d->res->groups;
		for (int k = 0; k < 2; k++)
			count[k] = samples_suppress(count[k],
						    cfg->suppress_below,
						    cfg->suppress_mode);
		if (count[0] < 0 || count[1] < 0) {
			d->res->hidden++;
			continue;
		}
		if (count[0] != g->samples || count[1] != g->donors)
			d->res->rounded++;
		/* cells are NUL-terminated copies, as record.h promises */
		bf_buf_reset(&d->a.scratch);
		for (int k = 0; k < NDIMS; k++) {
			uint64_t len = 0;

			off[k] = d->a.scratch.len;
			if (*p++ == 1) {
				p += bf_get_uvarint(p, 10, &len);
				if (bf_buf_add(&d->a.scratch, p, (size_t)len))
					return bf_errf(err, BF_ENOMEM,
						       "out of memory");
				p += len;
			}
			if (bf_buf_addc(&d->a.scratch, 0))
				return bf_errf(err, BF_ENOMEM, "out of memory");
		}
		for (int k = 0; k < NDIMS; k++) {
			cells[nc].name = dim_names[k];
			cells[nc].json = NULL;
			cells[nc].text = (const char *)d->a.scratch.p + off[k];
			cells[nc].len = strlen(cells[nc].text);
			nc++;
		}
		cs_sha256(d->a.keys.p + g->key_off, g->key_len, h);
		memcpy(id, SCHEMA_DERIVED_PREFIX,
		       sizeof(SCHEMA_DERIVED_PREFIX) - 1);
		bf_hex(h, CS_ROWHASH_LEN,
		       id + sizeof(SCHEMA_DERIVED_PREFIX) - 1);
		cells[nc].name = "id";
		cells[nc].text = id;
		cells[nc].len = strlen(id);
		cells[nc++].json = NULL;
		for (int k = 0; k < 2; k++) {
			snprintf(nums[k], sizeof(nums[k]), "%lld",
				 (long long)count[k]);
			cells[nc].name = k ? "number_of_donors"
					   : "number_of_samples";
			cells[nc].text = nums[k];
			cells[nc].len = strlen(nums[k]);
			cells[nc++].json = NULL;
		}
		r.ncells = nc;
		if ((rc = cb(cb_ctx, &r, err)) != 0)
			return rc;
	}
	return 0;
}

static void agg_init(struct agg *a)
{
	memset(a, 0, sizeof(*a));
	bf_buf_init(&a->keys, 0);
	bf_buf_init(&a->scratch, 0);
}

/* Publishes the facts of the groups in d->a (replace scoped to derived
 * ids: see samples.h). */
static int derive_publish(struct derive *d, int dry_run, FILE *warnings,
			  const struct publish_progress *progress,
			  struct bf_err *err)
{
	struct publish_opts po;
	int rc;

	d->res->groups = d->res->rounded = d->res->hidden = 0;
	memset(&po, 0, sizeof(po));
	po.path = "facts derived from samples";
	po.table = "collection_fact";
	po.replace = 1;
	po.id_prefix = SCHEMA_DERIVED_PREFIX;
	po.dry_run = dry_run;
	po.warnings = warnings;
	po.read = derive_read;
	po.read_ctx = d;
	po.progress = progress;
	rc = publish_file(d->n, &po, &d->res->facts, err);
	if (rc == 0)
		d->res->derived = 1;
	return rc;
}

int samples_derive(struct node *n, int dry_run, FILE *warnings,
		   const struct publish_progress *progress,
		   struct samples_result *res, struct bf_err *err)
{
	struct derive d;
	int rc;

	d.n = n;
	d.res = res;
	agg_init(&d.a);
	rc = aggregate(n->store, n->cfg.slug, &d.a, progress, err);
	rc = rc ? rc : derive_publish(&d, dry_run, warnings, progress, err);
	agg_free(&d.a);
	return rc;
}

/* --- importing ------------------------------------------------------------ */

struct check_ctx {
	struct idset colls;
	const char *slug;
	struct agg *a; /* NULL: no facts to derive */
	int nomem;
};

static int name_is(const struct cs_str *n, const char *s, size_t len)
{
	return n->len == len && !memcmp(n->p, s, len);
}
#define NAME_IS(n, lit) name_is(n, lit, sizeof(lit) - 1)

/* Picks the values the facts need out of a row's fields, in one pass:
 * this runs for every sample of the file. */
static void sample_values(const struct cs_field *f, size_t n,
			  struct store_sample *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct cs_str *nm = &f[i].name;
		struct cs_str *slot = NULL;

		if (f[i].v.type == CS_INT && NAME_IS(nm, "age")) {
			v->has_age = 1;
			v->age = f[i].v.i;
			continue;
		}
		if (f[i].v.type != CS_TEXT)
			continue;
		if (NAME_IS(nm, "collection"))
			slot = &v->collection;
		else if (NAME_IS(nm, "sex"))
			slot = &v->sex;
		else if (NAME_IS(nm, "age_unit"))
			slot = &v->age_unit;
		else if (NAME_IS(nm, "material_type"))
			slot = &v->material_type;
		else if (NAME_IS(nm, "diagnosis"))
			slot = &v->diagnosis;
		else if (NAME_IS(nm, "status"))
			slot = &v->status;
		else if (NAME_IS(nm, "donor_id"))
			slot = &v->donor_id;
		if (slot)
			*slot = f[i].v.s;
	}
}

/* publish_opts.check: a sample's collection is one this node owns (its
 * facts are published under the node's name).  The row is also counted
 * into the facts here, while it is at hand: when the file turns out to
 * hold all of the node's samples, the replica need not be read again. */
static int check_sample(void *vctx, const struct rec *r, const char *id,
			size_t id_len, const struct cs_field *f, size_t n,
			char *msg, size_t msglen)
{
	struct check_ctx *x = vctx;
	struct store_sample v;

	(void)r;
	sample_values(f, n, &v);
	if (!v.collection.p)
		return 0; /* required fields are publish's to report */
	if (!idset_has(&x->colls, v.collection.p, v.collection.len)) {
		snprintf(msg, msglen,
			 "field collection: \"%.*s\" is not a collection of "
			 "%s (publish it first: biofed publish collections.csv)",
			 (int)(v.collection.len > 80 ? 80 : v.collection.len),
			 v.collection.p, x->slug);
		return 1;
	}
	if (!x->a)
		return 0;
	v.id.p = id;
	v.id.len = id_len;
	if (agg_add(x->a, &v))
		x->nomem = 1; /* said after the read: the hook cannot */
	return 0;
}

int samples_import(struct node *n, const struct samples_opts *o,
		   struct samples_result *res, struct bf_err *err)
{
	struct check_ctx x;
	struct publish_opts po;
	struct derive d;
	uint64_t owned = 0;
	int rc, facts = !o->no_facts && !o->file.dry_run;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.slug = n->cfg.slug;
	d.n = n;
	d.res = res;
	agg_init(&d.a);
	/* before the import, so that a node that cannot sign its facts
	 * learns it before anything is written */
	if (facts && ((rc = publish_check_member(n, err)) != 0 ||
		      (rc = store_sample_count(n->store, n->cfg.slug, &owned,
					       err)) != 0))
		goto out;
	rc = store_owned_rows(n->store, "collection", n->cfg.slug, idset_add,
			      &x.colls, err);
	if (rc)
		goto out;
	x.a = facts ? &d.a : NULL;
	po = o->file;
	po.table = "sample";
	po.local = 1;
	po.check = check_sample;
	po.check_ctx = &x;
	if ((rc = publish_file(n, &po, &res->import, err)) != 0)
		goto out;
	/* a dry run changed no sample: facts derived now would not show
	 * what the import would do */
	if (!facts)
		goto out;
	/* the file's samples are all of the node's when it replaced them or
	 * named every one it had: then they are counted already */
	if (!x.nomem && d.a.samples == res->import.records &&
	    (o->file.replace ||
	     owned == res->import.unchanged + res->import.updated))
		rc = derive_publish(&d, 0, o->file.warnings, o->file.progress,
				    err);
	else
		rc = samples_derive(n, 0, o->file.warnings, o->file.progress,
				    res, err);
out:
	agg_free(&d.a);
	idset_free(&x.colls);
	return rc;
}
