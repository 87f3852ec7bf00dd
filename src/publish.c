/*
 * publish: validate a file's records, diff them against the rows the
 * institution owns, and write the differences as signed change sets.
 */
#include "publish.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csvin.h"
#include "jsonin.h"
#include "schema.h"

/* --- id -> row hash map -------------------------------------------------
 *
 * Entries are kept densely in the order they were added (the owned rows
 * arrive from the replica in id order); an open-addressing table finds
 * them.  A file exported by the same system as last time usually lists
 * rows in the same order, so the entry after the last hit is tried first:
 * then a lookup touches memory sequentially instead of at random in a
 * table of a million rows.  Files whose ids come in random order (sample
 * exports) take the table: each slot holds 32 bits of the id's hash
 * beside the index, so that a probe compares ids only when those match,
 * and the table stays at most half full to keep probe runs short.
 */

enum { ENT_OWNED = 1, ENT_SEEN = 2 };

struct ent {
	uint32_t id_off; /* into the map's arena, NUL-terminated */
	uint16_t id_len;
	uint8_t state;   /* ENT_OWNED and/or ENT_SEEN */
	uint8_t pad;
	uint8_t hash[CS_ROWHASH_LEN];
};

/*
 * The ids of one table: the rows the node owns (read from the replica in
 * id order) and those of the file.  The replica's come first and stay
 * sorted: they are found by the hint (a file in the same order hits it
 * every time) or by binary search, without hashing a million ids that a
 * re-publish finds unchanged anyway.  Ids added after them (new in the
 * file, or a replica that did not come sorted) go in the hash table.
 */
struct idmap {
	struct ent *e;      /* dense, in insertion order */
	size_t n, cap_e;
	size_t nsorted;     /* e[0..nsorted) sorted by id, not hashed; once
			     * an id came out of order, 0 for good */
	uint64_t *slot;     /* 0: empty; else hash tag << 32 | (index + 1) */
	size_t cap;         /* power of two */
	size_t hint;        /* index tried first */
	struct bf_buf ids;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int ent_is(const struct idmap *m, size_t i, const char *id,
		  size_t len)
{
	return m->e[i].id_len == len &&
	       memcmp(m->ids.p + m->e[i].id_off, id, len) == 0;
}

#define SLOT_TAG(h) ((h) & 0xffffffff00000000ull)

/* A new table of ncap slots holding every entry past the sorted prefix
 * (those are the hashed ones). */
static int idmap_rehash(struct idmap *m, size_t ncap)
{
	uint64_t *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return BF_ENOMEM;
	for (size_t i = m->nsorted; i < m->n; i++) {
		uint64_t h = fnv1a((const char *)m->ids.p + m->e[i].id_off,
				   m->e[i].id_len);
		size_t j;

		for (j = h & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
			;
		ns[j] = SLOT_TAG(h) | (uint64_t)(i + 1);
	}
	free(m->slot);
	m->slot = ns;
	m->cap = ncap;
	return 0;
}

/* SQLite's BINARY order: bytes, then the shorter first. */
static int id_cmp(const struct idmap *m, size_t i, const char *id, size_t len)
{
	size_t el = m->e[i].id_len;
	int c = memcmp(m->ids.p + m->e[i].id_off, id, el < len ? el : len);

	return c ? c : (el > len) - (el < len);
}

static struct ent *sorted_find(struct idmap *m, const char *id, size_t len)
{
	size_t lo = 0, hi = m->nsorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = id_cmp(m, mid, id, len);
		if (c == 0) {
			m->hint = mid + 1;
			return &m->e[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends an entry for id to the dense array; its slot is the caller's. */
static struct ent *idmap_push(struct idmap *m, const char *id, size_t len)
{
	size_t i;

	if (m->n == m->cap_e) {
		size_t nc = m->cap_e ? m->cap_e * 2 : 4096;
		struct ent *ne = realloc(m->e, nc * sizeof(*ne));
		if (!ne)
			return NULL;
		m->e = ne;
		m->cap_e = nc;
	}
	i = m->n;
	memset(&m->e[i], 0, sizeof(m->e[i]));
	m->e[i].id_off = (uint32_t)m->ids.len;
	m->e[i].id_len = (uint16_t)len;
	if (bf_buf_add(&m->ids, id, len) || bf_buf_addc(&m->ids, 0))
		return NULL;
	m->n++;
	return &m->e[i];
}

/* Finds id; when absent and create is set, adds it (state 0).  The
 * returned pointer is valid until the next call. */
static struct ent *idmap_get(struct idmap *m, const char *id, size_t len,
			     int create)
{
	size_t j = 0, i;
	uint64_t h;
	struct ent *e;

	if (m->hint < m->n && ent_is(m, m->hint, id, len))
		return &m->e[m->hint++];
	if (len > UINT16_MAX || m->ids.len > UINT32_MAX - len - 1 ||
	    m->n >= UINT32_MAX - 1)
		return NULL;
	if (m->nsorted && (e = sorted_find(m, id, len)) != NULL)
		return e;
	h = fnv1a(id, len);
	if (m->cap) {
		for (j = h & (m->cap - 1); m->slot[j];
		     j = (j + 1) & (m->cap - 1)) {
			if (SLOT_TAG(m->slot[j]) != SLOT_TAG(h))
				continue;
			i = (m->slot[j] & 0xffffffffu) - 1;
			if (ent_is(m, i, id, len)) {
				m->hint = i + 1;
				return &m->e[i];
			}
		}
	}
	if (!create)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		if (idmap_rehash(m, m->cap ? m->cap * 2 : 65536))
			return NULL;
		for (j = h & (m->cap - 1); m->slot[j];
		     j = (j + 1) & (m->cap - 1))
			;
	}
	/* j is the empty slot the search ended on */
	i = m->n;
	if (!idmap_push(m, id, len))
		return NULL;
	m->slot[j] = SLOT_TAG(h) | (uint64_t)(i + 1);
	m->hint = i + 1;
	return &m->e[i];
}

/* Adds an id read from the replica, which reads them in id order: kept
 * in the sorted prefix while they come sorted (and before any id of the
 * file).  One out of order moves the prefix into the hash table. */
static struct ent *idmap_add_owned(struct idmap *m, const char *id,
				   size_t len)
{
	size_t n = m->nsorted;

	if (n == m->n && len <= UINT16_MAX &&
	    m->ids.len <= UINT32_MAX - len - 1 && m->n < UINT32_MAX - 1 &&
	    (n == 0 || id_cmp(m, n - 1, id, len) < 0)) {
		struct ent *e = idmap_push(m, id, len);
		if (e)
			m->nsorted++;
		return e;
	}
	if (n > 0) {
		/* out of order: the prefix joins the hashed entries, then
		 * this id is added as any other */
		size_t cap = 65536;
		while (cap < (m->n + 1) * 2)
			cap *= 2;
		m->nsorted = 0;
		if (idmap_rehash(m, cap)) {
			m->nsorted = n;
			return NULL;
		}
	}
	return idmap_get(m, id, len, 1);
}

static void idmap_free(struct idmap *m)
{
	free(m->e);
	free(m->slot);
	bf_buf_free(&m->ids);
	memset(m, 0, sizeof(*m));
}

/* --- publishing context ----------------------------------------------- */

struct change {
	enum cs_op op;
	const struct sch_table *t;
	/* into ctx.arena: the id, NUL-terminated, then for an upsert the
	 * encoding and its row hash (CS_ROWHASH_LEN bytes) */
	size_t id_off, id_len, enc_off, enc_len;
};

struct tstate {
	const struct sch_table *t;
	struct idmap map;
	int loaded;
};

struct fieldref {
	const char *name;
	size_t nlen;
	size_t voff, vlen; /* into ctx.vals */
};

#define MAX_ITEMS 4096

struct ctx {
	struct node *node;
	const struct publish_opts *o;
	struct publish_result *res;
	FILE *warn;
	const struct sch_table *default_table;
	struct tstate tables[16];
	size_t ntables;
	struct bf_buf arena; /* ids and encodings of changed rows */
	struct change *changes;
	size_t nchanges, capchanges;
	struct bf_buf vals, enc;
	struct fieldref fields[CS_MAX_FIELDS];
	struct cs_field *checkf; /* for publish_opts.check, made on first use */
	struct cs_str items[MAX_ITEMS]; /* list items of the cell at hand */
	/* field index by column position (see field_lookup) */
#define MAX_COLCACHE 64
	const char *col_name[MAX_COLCACHE];
	const struct sch_table *col_table[MAX_COLCACHE];
	int col_field[MAX_COLCACHE];
	/* unknown columns already warned about */
	char warned[64][64];
	size_t nwarned;
	struct bf_err *err;
	/* the record at hand, once its id is known (for keep_going) */
	struct tstate *cur_table;
	const char *cur_id;
	size_t cur_id_len;
};

static int owned_cb(void *vctx, const char *id, size_t id_len,
		    const uint8_t hash[CS_ROWHASH_LEN])
{
	struct idmap *m = vctx;
	struct ent *e = idmap_add_owned(m, id, id_len);

	if (!e)
		return BF_ENOMEM;
	e->state = ENT_OWNED;
	memcpy(e->hash, hash, CS_ROWHASH_LEN);
	return 0;
}

static struct tstate *table_state(struct ctx *c, const struct sch_table *t)
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
	bf_buf_init(&ts->map.ids, 0);
	if (store_owned_rows(c->node->store, t->name, c->node->cfg.slug,
			     owned_cb, &ts->map, c->err) != 0)
		return NULL;
	ts->loaded = 1;
	return ts;
}

static void report(struct ctx *c, const struct rec *r, const char *id,
		   const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct ctx *c, const struct rec *r, const char *id,
		   const char *field, const char *fmt, ...)
{
	size_t max = c->o->max_errors ? c->o->max_errors : 50;
	va_list ap;

	c->res->errors++;
	if (c->res->errors > max)
		return;
	fprintf(c->warn, "%s:%zu:", r->file, r->line);
	if (r->table)
		fprintf(c->warn, " %s", r->table);
	fprintf(c->warn, " record %zu", r->index);
	if (id)
		fprintf(c->warn, " (id %s)", id);
	if (field)
		fprintf(c->warn, ": field %s", field);
	fprintf(c->warn, ": ");
	va_start(ap, fmt);
	vfprintf(c->warn, fmt, ap);
	va_end(ap);
	fputc('\n', c->warn);
}

/* Strips the Directory's "urn:miriam:icd:" prefix so that codes are
 * stored (and queried) as plain ICD-10. */
static void disease_canonical(const char **s, size_t *len)
{
	static const char urn[] = "urn:miriam:icd:";
	if (*len > sizeof(urn) - 1 && memcmp(*s, urn, sizeof(urn) - 1) == 0) {
		*s += sizeof(urn) - 1;
		*len -= sizeof(urn) - 1;
	}
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* One text item of a field: check it, append its canonical form. */
static int text_item(const struct sch_field *f, const char *s, size_t len,
		     struct cs_str *out, char *msg, size_t msglen)
{
	if (f && f->check == CHK_DISEASE)
		disease_canonical(&s, &len);
	if (f && schema_check_text(f, s, len, msg, msglen))
		return -1;
	out->p = s;
	out->len = len;
	return 0;
}

static int parse_int(const char *s, size_t len, int64_t *v)
{
	char tmp[32], *end;
	long long x;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_real(const char *s, size_t len, double *v)
{
	char tmp[64], *end;
	double x;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	x = strtod(tmp, &end);
	if (errno || *end || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

/*
 * Converts one cell to field f's type (f NULL: a field this schema does
 * not know, kept as it comes) and appends the encoded value to vals.
 * Returns 1 when the cell is empty (the field is absent), 0 when a value
 * was appended, -1 with msg on error.
 */
static int convert(const struct sch_field *f, const struct rec_cell *cell,
		   struct bf_buf *vals, struct cs_str *items, char *msg,
		   size_t msglen)
{
	const json_t *j = cell->json;
	const char *s = cell->text;
	size_t len = cell->len;
	enum sch_type type = f ? f->type : SCH_TEXT;
	size_t n = 0;

	if (j && json_is_null(j))
		return 1;
	if (j && !s) {
		/* typed JSON values */
		if (!f) {
			if (json_is_integer(j))
				return cs_put_int(vals, json_integer_value(j))
					       ? -1 : 0;
			if (json_is_real(j))
				return cs_put_real(vals, json_real_value(j))
					       ? -1 : 0;
			if (json_is_boolean(j))
				return cs_put_bool(vals, json_is_true(j)) ? -1
									  : 0;
			if (json_is_array(j))
				type = SCH_LIST;
			else {
				snprintf(msg, msglen,
					 "nested objects are not supported");
				return -1;
			}
		}
		switch (type) {
		case SCH_INT:
			if (!json_is_integer(j))
				break;
			if (f->min < f->max && (json_integer_value(j) < f->min ||
						json_integer_value(j) > f->max)) {
				snprintf(msg, msglen,
					 "%lld is outside %lld..%lld",
					 (long long)json_integer_value(j),
					 (long long)f->min, (long long)f->max);
				return -1;
			}
			return cs_put_int(vals, json_integer_value(j)) ? -1 : 0;
		case SCH_REAL:
			if (!json_is_number(j))
				break;
			return cs_put_real(vals, json_number_value(j)) ? -1 : 0;
		case SCH_BOOL:
			if (!json_is_boolean(j))
				break;
			return cs_put_bool(vals, json_is_true(j)) ? -1 : 0;
		case SCH_LIST: {
			size_t i;
			json_t *it;
			if (!json_is_array(j))
				break;
			json_array_foreach(j, i, it) {
				const char *is;
				size_t il;
				if (!json_is_string(it)) {
					snprintf(msg, msglen,
						 "item %zu is not a string",
						 i + 1);
					return -1;
				}
				if (n == MAX_ITEMS) {
					snprintf(msg, msglen,
						 "more than %d items",
						 MAX_ITEMS);
					return -1;
				}
				is = json_string_value(it);
				il = json_string_length(it);
				trim(&is, &il);
				if (il == 0)
					continue;
				if (text_item(f, is, il, &items[n], msg,
					      msglen))
					return -1;
				n++;
			}
			if (n == 0)
				return 1;
			return cs_put_list(vals, items, n) ? -1 : 0;
		}
		case SCH_TEXT:
			break;
		}
		snprintf(msg, msglen, "expected %s",
			 type == SCH_INT    ? "an integer"
			 : type == SCH_REAL ? "a number"
			 : type == SCH_BOOL ? "true or false"
			 : type == SCH_LIST ? "a list of strings"
					    : "a string");
		return -1;
	}
	/* csvin and jsonin hand over valid UTF-8 only */
	if (!s || len == 0)
		return 1;
	switch (type) {
	case SCH_TEXT: {
		struct cs_str v;
		if (text_item(f, s, len, &v, msg, msglen))
			return -1;
		return cs_put_text(vals, v.p, v.len) ? -1 : 0;
	}
	case SCH_INT: {
		int64_t v;
		trim(&s, &len);
		if (parse_int(s, len, &v)) {
			snprintf(msg, msglen, "\"%.*s\" is not an integer",
				 (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		if (f->min < f->max && (v < f->min || v > f->max)) {
			snprintf(msg, msglen, "%lld is outside %lld..%lld",
				 (long long)v, (long long)f->min,
				 (long long)f->max);
			return -1;
		}
		return cs_put_int(vals, v) ? -1 : 0;
	}
	case SCH_REAL: {
		double v;
		trim(&s, &len);
		if (parse_real(s, len, &v)) {
			snprintf(msg, msglen, "\"%.*s\" is not a number",
				 (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		return cs_put_real(vals, v) ? -1 : 0;
	}
	case SCH_BOOL:
		trim(&s, &len);
		if ((len == 4 && strncasecmp(s, "true", 4) == 0) ||
		    (len == 5 && strncasecmp(s, "false", 5) == 0))
			return cs_put_bool(vals, len == 4) ? -1 : 0;
		snprintf(msg, msglen, "\"%.*s\" is not true or false",
			 (int)(len > 60 ? 60 : len), s);
		return -1;
	case SCH_LIST: {
		/* The Directory's multi-valued cells: "DNA,SERUM". */
		const char *p = s, *end = s + len;
		while (p <= end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *ie = comma ? comma : end;
			const char *is = p;
			size_t il = (size_t)(ie - p);
			trim(&is, &il);
			if (il) {
				if (n == MAX_ITEMS) {
					snprintf(msg, msglen,
						 "more than %d items",
						 MAX_ITEMS);
					return -1;
				}
				if (text_item(f, is, il, &items[n], msg,
					      msglen))
					return -1;
				n++;
			}
			if (!comma)
				break;
			p = comma + 1;
		}
		if (n == 0)
			return 1;
		return cs_put_list(vals, items, n) ? -1 : 0;
	}
	}
	return -1;
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

static void warn_unknown(struct ctx *c, const struct rec *r,
			 const struct sch_table *t, const char *name)
{
	for (size_t i = 0; i < c->nwarned; i++)
		if (strcmp(c->warned[i], name) == 0)
			return;
	if (c->nwarned < 64)
		snprintf(c->warned[c->nwarned++], sizeof(c->warned[0]), "%s",
			 name);
	fprintf(c->warn,
		"%s:%zu: warning: %s has no field \"%s\"; kept as an extra "
		"field\n",
		r->file, r->line, t->name, name);
}

static int add_change(struct ctx *c, enum cs_op op, const struct sch_table *t,
		      const char *id, size_t id_len, const uint8_t *enc,
		      size_t enc_len, const uint8_t *hash)
{
	struct change *ch;

	if (c->nchanges == c->capchanges) {
		size_t ncap = c->capchanges ? c->capchanges * 2 : 1024;
		struct change *n = realloc(c->changes, ncap * sizeof(*n));
		if (!n)
			return BF_ENOMEM;
		c->changes = n;
		c->capchanges = ncap;
	}
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

/* CSV decoders hand the same header name pointers for every row: the
 * field of each column position is looked up once. */
static int field_lookup(struct ctx *c, const struct sch_table *t, size_t col,
			const char *name)
{
	if (col < MAX_COLCACHE && c->col_name[col] == name &&
	    c->col_table[col] == t)
		return c->col_field[col];
	int fi = schema_field_index(t, name, strlen(name));
	if (col < MAX_COLCACHE) {
		c->col_name[col] = name;
		c->col_table[col] = t;
		c->col_field[col] = fi;
	}
	return fi;
}

/* Runs the caller's extra check (publish_opts.check) on the row just
 * encoded into c->enc: 0 when it passes, 1 when it fails (reported), a
 * negative code on error. */
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

static int record_fields(void *vctx, const struct rec *r, struct bf_err *err)
{
	struct ctx *c = vctx;
	const struct sch_table *t = c->default_table;
	struct tstate *ts;
	const char *id = NULL;
	size_t id_len = 0, nf = 0;
	char msg[512], idbuf[80];
	int bad = 0;
	uint64_t failed = 0; /* fields (by index) whose value was refused */
	uint8_t hash[CS_ROWHASH_LEN];
	struct ent *e;

	c->res->records++;
	if (r->table) {
		t = schema_table(r->table, strlen(r->table));
		if (!t || !(t->flags & (c->o->local ? SCH_T_LOCAL
						    : SCH_T_PUBLISH))) {
			report(c, r, NULL, NULL,
			       "\"%s\" is not a table that can be %s",
			       r->table, c->o->local ? "imported here"
						     : "published");
			return 0;
		}
	}
	ts = table_state(c, t);
	if (!ts)
		return bf_errf(err, BF_ENOMEM, "%s: cannot load owned rows",
			       t->name);
	/* the id first, so that every message can name the row */
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *cell = &r->cells[i];
		if (strcmp(cell->name, "id") != 0)
			continue;
		if (cell->text) {
			id = cell->text;
			id_len = cell->len;
			trim(&id, &id_len);
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
	if (!c->o->local && id_len >= sizeof(PUBLISH_DERIVED_PREFIX) - 1 &&
	    !memcmp(id, PUBLISH_DERIVED_PREFIX,
		    sizeof(PUBLISH_DERIVED_PREFIX) - 1) &&
	    !(c->o->id_prefix &&
	      !strcmp(c->o->id_prefix, PUBLISH_DERIVED_PREFIX))) {
		report(c, r, idbuf, "id",
		       "ids beginning with \"%s\" are reserved for facts "
		       "derived from samples",
		       PUBLISH_DERIVED_PREFIX);
		return 0;
	}
	bf_buf_reset(&c->vals);
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *cell = &r->cells[i];
		const struct sch_field *f = NULL;
		size_t before = c->vals.len;
		int fi, rc;

		if (cell->name[0] == 'i' && strcmp(cell->name, "id") == 0)
			continue;
		fi = field_lookup(c, t, i, cell->name);
		if (fi >= 0)
			f = &t->fields[fi];
		rc = convert(f, cell, &c->vals, c->items, msg, sizeof(msg));
		if (rc < 0) {
			report(c, r, idbuf, cell->name, "%s", msg);
			bad = 1;
			if (fi >= 0 && fi < 64) /* said once: not "required" too */
				failed |= 1ull << fi;
			continue;
		}
		if (rc == 1)
			continue;
		if (!f)
			warn_unknown(c, r, t, cell->name);
		if (nf == CS_MAX_FIELDS) {
			report(c, r, idbuf, NULL, "more than %u fields",
			       CS_MAX_FIELDS);
			return 0;
		}
		c->fields[nf].name = f ? f->name : cell->name;
		c->fields[nf].nlen = strlen(c->fields[nf].name);
		c->fields[nf].voff = before;
		c->fields[nf].vlen = c->vals.len - before;
		nf++;
	}
	for (size_t i = 0; i < t->nfields; i++) {
		int present = 0;
		if (!(t->fields[i].flags & SCH_REQUIRED) ||
		    (i < 64 && (failed >> i & 1)))
			continue;
		for (size_t k = 0; k < nf && !present; k++)
			present = c->fields[k].name == t->fields[i].name;
		if (!present) {
			report(c, r, idbuf, t->fields[i].name, "required");
			bad = 1;
		}
	}
	if (bad)
		return 0;
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
			return 0;
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

	e = idmap_get(&ts->map, id, id_len, 1);
	if (!e)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	if (e->state & ENT_SEEN) {
		report(c, r, idbuf, "id", "duplicate id in this file");
		return 0;
	}
	if (c->o->check) {
		int bad_row = check_row(c, r, id, id_len, idbuf, nf, err);
		if (bad_row < 0)
			return bad_row;
		if (bad_row) {
			e->state |= ENT_SEEN; /* a later duplicate is named */
			return 0;
		}
	}
	if (!(e->state & ENT_OWNED)) {
		c->res->inserted++;
	} else if (memcmp(e->hash, hash, CS_ROWHASH_LEN) != 0) {
		c->res->updated++;
	} else {
		c->res->unchanged++;
		e->state |= ENT_SEEN;
		return 0;
	}
	e->state |= ENT_SEEN;
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

	c->cur_table = NULL;
	c->cur_id = NULL;
	rc = record_fields(c, r, err);
	if (rc || c->res->errors == before)
		return rc;
	c->res->skipped++;
	if (c->cur_table && c->cur_id) {
		struct ent *e = idmap_get(&c->cur_table->map, c->cur_id,
					  c->cur_id_len, 1);
		if (!e)
			return bf_errf(err, BF_ENOMEM, "out of memory");
		e->state |= ENT_SEEN;
	}
	return 0;
}

static int cmp_row_in(const void *a, const void *b)
{
	const struct cs_row_in *x = a, *y = b;
	int c = strcmp(x->table, y->table);
	return c ? c : strcmp(x->id, y->id);
}

int publish_commit(struct store *s, const char *origin,
		   const struct ed_key *key, struct cs_row_in *rows, size_t n,
		   size_t max_rows, struct publish_result *res,
		   struct bf_err *err)
{
	if (max_rows == 0 || max_rows > CS_MAX_ROWS)
		max_rows = CS_MAX_ROWS;
	qsort(rows, n, sizeof(*rows), cmp_row_in);
	for (size_t at = 0; at < n; at += max_rows) {
		size_t k = n - at < max_rows ? n - at : max_rows;
		struct cs_header h;
		uint8_t *bytes = NULL;
		size_t len;
		int rc;

		memset(&h, 0, sizeof(h));
		snprintf(h.origin, sizeof(h.origin), "%s", origin);
		rc = store_head(s, origin, &h.seq, h.prev, err);
		if (rc)
			return rc;
		h.seq++;
		h.time_ms = bf_now_ms();
		h.schema = SCHEMA_VERSION;
		rc = cs_build(&h, rows + at, k, key, &bytes, &len, err);
		if (rc)
			return rc;
		rc = store_apply(s, bytes, len, NULL, NULL, err);
		free(bytes);
		if (rc)
			return rc;
		if (!res->changesets)
			res->first_seq = h.seq;
		res->last_seq = h.seq;
		res->changesets++;
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

int publish_file(struct node *n, const struct publish_opts *o,
		 struct publish_result *res, struct bf_err *err)
{
	struct ctx *c = calloc(1, sizeof(*c)); /* large: not on the stack */
	const char *fmt = o->format;
	struct cs_row_in *rows = NULL;
	int rc, json;

	memset(res, 0, sizeof(*res));
	if (!c)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	c->node = n;
	c->o = o;
	c->res = res;
	c->err = err;
	c->warn = o->warnings ? o->warnings : stderr;
	bf_buf_init(&c->arena, 0);
	bf_buf_init(&c->vals, CS_MAX_BYTES);
	bf_buf_init(&c->enc, CS_MAX_BYTES);

	/* local rows are not signed: no roster membership needed */
	rc = o->local ? 0 : publish_check_member(n, err);
	if (rc)
		goto out;
	if (!fmt)
		fmt = o->read || strcasecmp(file_ext(o->path), "json") == 0
			      ? "json"
			      : "csv";
	json = strcmp(fmt, "json") == 0;
	if (!json && strcmp(fmt, "csv") != 0) {
		rc = bf_errf(err, BF_EINVAL, "--format: \"%s\" is not csv or json",
			     fmt);
		goto out;
	}
	if (o->table) {
		c->default_table = schema_table(o->table, strlen(o->table));
		if (!c->default_table) {
			rc = bf_errf(err, BF_EINVAL, "--table: no table \"%s\"",
				     o->table);
			goto out;
		}
	} else {
		c->default_table = table_from_path(o->path);
	}
	if (c->default_table && o->local &&
	    !(c->default_table->flags & SCH_T_LOCAL)) {
		rc = bf_errf(err, BF_EINVAL,
			     "%s: table %s is not local-only: use `biofed "
			     "publish`",
			     o->path, c->default_table->name);
		goto out;
	}
	if (c->default_table && !o->local &&
	    !(c->default_table->flags & SCH_T_PUBLISH)) {
		rc = bf_errf(err, BF_EINVAL,
			     "%s: table %s is not published this way (%s)",
			     o->path, c->default_table->name,
			     (c->default_table->flags & SCH_T_LOCAL)
				     ? "use `biofed samples import`"
				     : "the coordinator writes it with "
				       "`biofed roster`");
		goto out;
	}
	if (!c->default_table && (!json || o->records || o->read)) {
		rc = bf_errf(err, BF_EINVAL,
			     "%s: cannot tell which table the file holds from "
			     "its name; give --table",
			     o->path);
		goto out;
	}
	/* the whole set of the table is known even when the file is empty */
	if (c->default_table && !table_state(c, c->default_table)) {
		rc = BF_EIO;
		goto out;
	}
	if (o->read) {
		rc = o->read(o->read_ctx, on_record, c, err);
	} else if (json) {
		rc = jsonin_read_file(o->path, o->records, on_record, c, err);
	} else {
		rc = csvin_read_file(o->path, o->delimiter ? o->delimiter : ',',
				     on_record, c, err);
	}
	if (rc)
		goto out;
	if (res->errors && !o->keep_going) {
		size_t max = o->max_errors ? o->max_errors : 50;
		if (res->errors > max)
			fprintf(c->warn, "... and %zu more errors\n",
				res->errors - max);
		rc = bf_errf(err, BF_EINVAL,
			     "%s: %zu error%s; nothing was %s", o->path,
			     res->errors, res->errors == 1 ? "" : "s",
			     o->local ? "imported" : "published");
		goto out;
	}
	if (o->replace) {
		for (size_t i = 0; i < c->ntables; i++) {
			struct idmap *m = &c->tables[i].map;
			for (size_t j = 0; j < m->n; j++) {
				struct ent *e = &m->e[j];
				if (e->state != ENT_OWNED)
					continue;
				if (o->id_prefix &&
				    strncmp((const char *)m->ids.p + e->id_off,
					    o->id_prefix,
					    strlen(o->id_prefix)) != 0)
					continue;
				/* derived facts are the derivation's */
				if (!o->id_prefix &&
				    !strncmp((const char *)m->ids.p + e->id_off,
					     PUBLISH_DERIVED_PREFIX,
					     sizeof(PUBLISH_DERIVED_PREFIX) -
						     1))
					continue;
				if (add_change(c, CS_DELETE, c->tables[i].t,
					       (const char *)m->ids.p +
						       e->id_off,
					       e->id_len, NULL, 0, NULL)) {
					rc = bf_errf(err, BF_ENOMEM,
						     "out of memory");
					goto out;
				}
				res->deleted++;
			}
		}
	}
	if (o->dry_run || c->nchanges == 0) {
		rc = 0;
		goto out;
	}
	rows = calloc(c->nchanges, sizeof(*rows));
	if (!rows) {
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->nchanges; i++) {
		struct change *ch = &c->changes[i];
		rows[i].op = ch->op;
		rows[i].table = ch->t->name;
		rows[i].id = (const char *)c->arena.p + ch->id_off;
		rows[i].enc = c->arena.p + ch->enc_off;
		rows[i].enc_len = ch->enc_len;
	}
	if (o->local) {
		/* the row hashes computed for the diff: the store need not
		 * encode and hash every row again */
		const uint8_t **hashes = calloc(c->nchanges, sizeof(*hashes));

		if (!hashes) {
			rc = bf_errf(err, BF_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c->nchanges; i++)
			if (c->changes[i].op == CS_UPSERT)
				hashes[i] = c->arena.p + c->changes[i].enc_off +
					    c->changes[i].enc_len;
		rc = store_write_local(n->store, n->cfg.slug, rows, hashes,
				       c->nchanges, err);
		free(hashes);
	} else {
		rc = publish_commit(n->store, n->cfg.slug, &n->key, rows,
				    c->nchanges,
				    (size_t)n->cfg.max_changeset_rows, res, err);
	}
out:
	free(rows);
	for (size_t i = 0; i < c->ntables; i++)
		idmap_free(&c->tables[i].map);
	free(c->changes);
	free(c->checkf);
	bf_buf_free(&c->arena);
	bf_buf_free(&c->vals);
	bf_buf_free(&c->enc);
	free(c);
	return rc;
}
