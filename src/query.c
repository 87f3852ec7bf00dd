/*
 * query: SQL built from a researcher's filters with bound parameters,
 * full-text search, and the guarded SQL console (see query.h).
 */
#include "query.h"

#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "publish.h" /* PUBLISH_DERIVED_PREFIX */
#include "schema.h"

/* ---------------------------------------------------------------------- */
/* Building SQL with bound parameters                                      */

#define QB_MAX_PARAMS 256
#define QB_MAX_ITEMS 32 /* values in one comma-separated filter */

struct qparam {
	int is_int;
	int64_t i;
	char *s; /* owned */
};

struct qb {
	struct bf_buf sql;
	struct qparam p[QB_MAX_PARAMS];
	size_t np;
	int rc; /* sticky: the first error */
	struct bf_err *err;
};

static void qb_sql(struct qb *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends SQL text: fmt and its arguments are this file's, never user
 * input. */
static void qb_sql(struct qb *q, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	if (q->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) || bf_buf_add(&q->sql, tmp,
							    (size_t)n))
		q->rc = bf_errf(q->err, BF_ENOMEM, "query: SQL too long");
}

/* Appends a placeholder bound to text s (copied). */
static void qb_text(struct qb *q, const char *s, size_t len)
{
	if (q->rc)
		return;
	if (q->np == QB_MAX_PARAMS) {
		q->rc = bf_errf(q->err, BF_EINVAL, "query: too many values");
		return;
	}
	if (!(q->p[q->np].s = strndup(s, len))) {
		q->rc = bf_errf(q->err, BF_ENOMEM, "out of memory");
		return;
	}
	q->p[q->np].is_int = 0;
	q->np++;
	qb_sql(q, "?%zu", q->np);
}

static void qb_int(struct qb *q, int64_t v)
{
	if (q->rc)
		return;
	if (q->np == QB_MAX_PARAMS) {
		q->rc = bf_errf(q->err, BF_EINVAL, "query: too many values");
		return;
	}
	q->p[q->np].is_int = 1;
	q->p[q->np].i = v;
	q->p[q->np].s = NULL;
	q->np++;
	qb_sql(q, "?%zu", q->np);
}

/* A LIKE pattern that finds s anywhere: %, _ and \ escaped. */
static void qb_like(struct qb *q, const char *s)
{
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 4096);
	rc = bf_buf_addc(&b, '%');
	for (const char *p = s; *p && !rc; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			rc = bf_buf_addc(&b, '\\');
		rc = rc ? rc : bf_buf_addc(&b, (uint8_t)*p);
	}
	rc = rc ? rc : bf_buf_addc(&b, '%');
	if (rc && !q->rc)
		q->rc = bf_errf(q->err, BF_EINVAL, "query: value too long");
	else
		qb_text(q, (const char *)b.p, b.len);
	bf_buf_free(&b);
}

static void qb_free(struct qb *q)
{
	for (size_t i = 0; i < q->np; i++)
		free(q->p[i].s);
	bf_buf_free(&q->sql);
}

static int qb_prepare(struct qb *q, sqlite3 *db, sqlite3_stmt **st)
{
	if (q->rc)
		return q->rc;
	if (!bf_buf_cstr(&q->sql))
		return bf_errf(q->err, BF_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(db, (const char *)q->sql.p, -1, st, NULL) !=
	    SQLITE_OK) {
		int rc = bf_errf(q->err, BF_EIO, "query: %s",
				 sqlite3_errmsg(db));
		/* a replica that predates full-text search */
		if (strstr(sqlite3_errmsg(db), "no such table: search_"))
			rc = bf_errf(q->err, BF_EIO,
				     "this replica has no search index yet: "
				     "open it once for writing (any biofed "
				     "write command, or the daemon) to "
				     "upgrade it");
		return rc;
	}
	for (size_t i = 0; i < q->np; i++) {
		int rc = q->p[i].is_int
				 ? sqlite3_bind_int64(*st, (int)i + 1, q->p[i].i)
				 : sqlite3_bind_text(*st, (int)i + 1, q->p[i].s,
						     -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return bf_errf(q->err, BF_EIO, "query: bind: %s",
				       sqlite3_errmsg(db));
	}
	return 0;
}

/* Splits a comma-separated filter value into trimmed, non-empty items,
 * each passed through norm (which may rewrite it in place, up to 64
 * bytes, and returns non-zero to refuse it). */
typedef int (*norm_fn)(char *item, const void *arg, char *msg, size_t ml);

struct items {
	char buf[QB_MAX_ITEMS][72];
	size_t n;
};

static int split_items(struct qb *q, const char *opt, const char *v,
		       norm_fn norm, const void *arg, struct items *it)
{
	const char *p = v;
	char msg[160];

	it->n = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;

		p = e ? e + 1 : p + len;
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (!len)
			continue;
		if (it->n == QB_MAX_ITEMS || len >= 64)
			return q->rc = bf_errf(q->err, BF_EINVAL,
					       "--%s: too many or too long "
					       "values",
					       opt);
		memcpy(it->buf[it->n], s, len);
		it->buf[it->n][len] = 0;
		msg[0] = 0;
		if (norm && norm(it->buf[it->n], arg, msg, sizeof(msg)))
			return q->rc = bf_errf(q->err, BF_EINVAL, "--%s: %s",
					       opt, msg);
		it->n++;
	}
	if (!it->n)
		return q->rc = bf_errf(q->err, BF_EINVAL, "--%s: no value",
				       opt);
	return 0;
}

/* " IN (?a, ?b)" over items. */
static void qb_in(struct qb *q, const struct items *it)
{
	qb_sql(q, " IN (");
	for (size_t i = 0; i < it->n; i++) {
		if (i)
			qb_sql(q, ", ");
		qb_text(q, it->buf[i], strlen(it->buf[i]));
	}
	qb_sql(q, ")");
}

/* ---------------------------------------------------------------------- */
/* Normalising filter values                                                */

static int norm_vocab(char *s, const void *arg, char *msg, size_t ml)
{
	/* the terms as publish stores them: the Directory's spelling */
	const struct sch_field f = {
		.name = "", .type = SCH_TEXT, .check = CHK_VOCAB, .vocab = arg};
	const char *term;
	size_t n;

	if (schema_value(&f, s, strlen(s), 0, &term, &n, msg, ml))
		return 1;
	if (n >= 72) {
		snprintf(msg, ml, "term too long");
		return 1;
	}
	memmove(s, term, n);
	s[n] = 0;
	return 0;
}

/* Service types have their own vocabulary in the schema: check against
 * the field's. */
static int norm_field_vocab(char *s, const void *arg, char *msg, size_t ml)
{
	const struct sch_field *f = arg;

	return norm_vocab(s, f->vocab, msg, ml);
}

static int norm_country(char *s, const void *arg, char *msg, size_t ml)
{
	(void)arg;
	for (char *p = s; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strlen(s) == 2 && isupper((unsigned char)s[0]) &&
	    isupper((unsigned char)s[1]))
		return 0;
	snprintf(msg, ml, "\"%.40s\" is not an ISO 3166 two-letter code", s);
	return 1;
}

int query_disease_code(const char *in, size_t len, char *out, size_t outlen)
{
	static const char urn[] = "urn:miriam:icd:";
	size_t i;

	if (len >= sizeof(urn) - 1 && !strncasecmp(in, urn, sizeof(urn) - 1)) {
		in += sizeof(urn) - 1;
		len -= sizeof(urn) - 1;
	}
	if (len + 1 > outlen)
		return BF_EINVAL;
	for (i = 0; i < len; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[len] = 0;
	return schema_is_disease_code(out, len) ? 0 : BF_EINVAL;
}

static int norm_disease(char *s, const void *arg, char *msg, size_t ml)
{
	char tmp[72];

	(void)arg;
	if (query_disease_code(s, strlen(s), tmp, sizeof(tmp))) {
		snprintf(msg, ml,
			 "\"%.40s\" is not an ICD-10 or ORPHA code (C50, "
			 "C50.9, ORPHA:558)",
			 s);
		return 1;
	}
	memcpy(s, tmp, strlen(tmp) + 1);
	return 0;
}

int query_age_range(const char *s, int64_t *lo, int64_t *hi)
{
	const char *dash = strchr(s, '-');
	int64_t v[2] = {0, -1};
	const char *part[2] = {s, dash ? dash + 1 : NULL};
	size_t plen[2] = {dash ? (size_t)(dash - s) : strlen(s),
			  dash ? strlen(dash + 1) : 0};

	for (int k = 0; k < 2; k++) {
		if (!part[k] || plen[k] == 0)
			continue;
		if (plen[k] > 3)
			return BF_EINVAL;
		v[k] = 0;
		for (size_t i = 0; i < plen[k]; i++) {
			if (!isdigit((unsigned char)part[k][i]))
				return BF_EINVAL;
			v[k] = v[k] * 10 + (part[k][i] - '0');
		}
	}
	if (!dash)
		v[1] = v[0]; /* one age */
	if ((dash && plen[0] == 0 && plen[1] == 0) || v[0] > 200 ||
	    v[1] > 200 || (v[1] >= 0 && v[1] < v[0]))
		return BF_EINVAL;
	*lo = v[0];
	*hi = v[1];
	return 0;
}

/* ---------------------------------------------------------------------- */
/* What each kind of record is, and which filters it takes                 */

enum {
	F_DISEASE = 1u << 0,
	F_MATERIAL = 1u << 1,
	F_SEX = 1u << 2,
	F_AGE = 1u << 3,
	F_AVAIL = 1u << 4,
	F_SERVICE = 1u << 5,
	F_AREA = 1u << 6,
	F_PROGRAMME = 1u << 7,
	F_COLLECTION = 1u << 8,
	F_BIOBANK = 1u << 9,
	F_PLACE = 1u << 10, /* country, region, institution: every kind */
};

#define F_SAMPLE_DIMS (F_DISEASE | F_MATERIAL | F_SEX | F_AGE | F_AVAIL)

struct kind {
	const char *table;
	const char *noun;         /* the count column of --count-by */
	const char *const *shown; /* fields in the table format, in order */
	unsigned filters;
	int id_wide;              /* the id is left out of the table */
	int by_material;          /* --count-by material applies */
};

static const char *const shown_collection[] = {
	"name", "biobank", "materials", "diagnosis_available", "sex",
	"age_low", "age_high", "size", NULL};
static const char *const shown_group[] = {"name", "areas", "lead", NULL};
static const char *const shown_service[] = {"name", "service_types",
					    "unit_of_access", NULL};
static const char *const shown_biobank[] = {"name", "acronym", "country",
					    NULL};
static const char *const shown_fact[] = {
	"collection", "sex", "age_range", "sample_type", "disease",
	"availability", "number_of_samples", "number_of_donors", NULL};
static const char *const shown_project[] = {
	"acronym", "title", "programme", "start_date", "end_date", NULL};
static const char *const shown_sample[] = {
	"collection", "material_type", "diagnosis", "sex", "age", "status",
	NULL};

static const struct kind kinds[Q_NKINDS] = {
	[Q_COLLECTIONS] = {"collection", "collections", shown_collection,
			   F_SAMPLE_DIMS | F_COLLECTION | F_BIOBANK, 0, 1},
	[Q_GROUPS] = {"research_group", "groups", shown_group, F_AREA, 0, 0},
	[Q_SERVICES] = {"service", "services", shown_service, F_SERVICE, 0,
			0},
	[Q_BIOBANKS] = {"biobank", "biobanks", shown_biobank, F_SAMPLE_DIMS,
			0, 0},
	[Q_FACTS] = {"collection_fact", "samples", shown_fact,
		     F_SAMPLE_DIMS | F_COLLECTION, 1, 1},
	[Q_PROJECTS] = {"project", "projects", shown_project, F_PROGRAMME, 0,
			0},
	[Q_SAMPLES] = {"sample", "samples", shown_sample,
		       F_SAMPLE_DIMS | F_COLLECTION, 0, 1},
};

const char *const query_kind_names[Q_NKINDS] = {
	"collections", "groups", "services", "biobanks",
	"facts",       "projects", "samples",
};

int query_kind_parse(const char *s, enum query_kind *k)
{
	for (int i = 0; i < Q_NKINDS; i++)
		if (!strcmp(s, query_kind_names[i])) {
			*k = (enum query_kind)i;
			return 0;
		}
	return BF_EINVAL;
}

const char *query_kind_table(enum query_kind k)
{
	return (unsigned)k < Q_NKINDS ? kinds[k].table : NULL;
}

int query_count_by_parse(const char *s, enum query_count_by *c)
{
	if (!strcmp(s, "institution"))
		*c = QC_INSTITUTION;
	else if (!strcmp(s, "country"))
		*c = QC_COUNTRY;
	else if (!strcmp(s, "material"))
		*c = QC_MATERIAL;
	else
		return BF_EINVAL;
	return 0;
}

static const struct sch_table *table_of(const struct kind *k)
{
	return schema_table(k->table, strlen(k->table));
}

/* ---------------------------------------------------------------------- */
/* Filters                                                                   */

/* Whole years of an age column with its unit column, as samples.c's
 * derivation computes them. */
static void qb_years(struct qb *q, const char *a, const char *col,
		     const char *unit)
{
	qb_sql(q,
	       "(CASE coalesce(%s.%s, 'YEAR') WHEN 'MONTH' THEN %s.%s / 12 "
	       "WHEN 'WEEK' THEN %s.%s / 52 WHEN 'DAY' THEN %s.%s / 365 ELSE "
	       "%s.%s END)",
	       a, unit, a, col, a, col, a, col, a, col);
}

/* Matches value expression v against the disease codes (see query.h). */
static void qb_disease_match(struct qb *q, const char *v,
			     const struct items *it)
{
	qb_sql(q, "(");
	for (size_t i = 0; i < it->n; i++) {
		const char *code = it->buf[i];
		size_t len = strlen(code);
		char child[80];

		if (i)
			qb_sql(q, " OR ");
		qb_sql(q, "%s = ", v);
		qb_text(q, code, len);
		if (!strncmp(code, "ORPHA:", 6))
			continue;
		/* children: C50 -> "C50.", C50.1 -> "C50.1" + more */
		snprintf(child, sizeof(child), "%s%s", code,
			 strchr(code, '.') ? "" : ".");
		qb_sql(q, " OR substr(%s, 1, %zu) = ", v, strlen(child));
		qb_text(q, child, strlen(child));
	}
	qb_sql(q, ")");
}

/* The clauses of the sample dimensions (disease, material, sex, age,
 * availability) for a row of kind k under alias a. */
static void qb_dims(struct qb *q, enum query_kind k, const char *a,
		    const struct query_filter *f)
{
	struct items it;

	if (f->disease &&
	    !split_items(q, "disease", f->disease, norm_disease, NULL, &it)) {
		char v[64];

		qb_sql(q, " AND ");
		if (k == Q_COLLECTIONS) {
			qb_sql(q, "EXISTS (SELECT 1 FROM json_each(%s."
				  "diagnosis_available) dj WHERE ",
			       a);
			qb_disease_match(q, "dj.value", &it);
			qb_sql(q, ")");
		} else {
			snprintf(v, sizeof(v), "%s.%s", a,
				 k == Q_FACTS ? "disease" : "diagnosis");
			qb_disease_match(q, v, &it);
		}
	}
	if (f->material && !split_items(q, "material", f->material,
					 norm_vocab, &schema_vocab_material,
					 &it)) {
		if (k == Q_COLLECTIONS) {
			qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each(%s."
				  "materials) mj WHERE mj.value",
			       a);
			qb_in(q, &it);
			qb_sql(q, ")");
		} else {
			qb_sql(q, " AND %s.%s", a,
			       k == Q_FACTS ? "sample_type" : "material_type");
			qb_in(q, &it);
		}
	}
	if (f->sex && !split_items(q, "sex", f->sex, norm_vocab,
				   &schema_vocab_sex, &it)) {
		if (k == Q_COLLECTIONS) {
			qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each(%s."
				  "sex) sj WHERE sj.value",
			       a);
			qb_in(q, &it);
			qb_sql(q, ")");
		} else {
			qb_sql(q, " AND %s.sex", a);
			qb_in(q, &it);
		}
	}
	if (f->age) {
		int64_t lo, hi;

		if (query_age_range(f->age, &lo, &hi)) {
			q->rc = q->rc ? q->rc
				      : bf_errf(q->err, BF_EINVAL,
						"--age: \"%.40s\" is not an age "
						"range such as 40-60, 40- or "
						"-17",
						f->age);
			return;
		}
		if (k == Q_COLLECTIONS) {
			/* overlap; a missing bound is open */
			qb_sql(q, " AND (%s.age_low IS NOT NULL OR %s.age_high "
				  "IS NOT NULL)",
			       a, a);
			if (hi >= 0) {
				qb_sql(q, " AND (%s.age_low IS NULL OR ", a);
				qb_years(q, a, "age_low", "age_unit");
				qb_sql(q, " <= ");
				qb_int(q, hi);
				qb_sql(q, ")");
			}
			qb_sql(q, " AND (%s.age_high IS NULL OR ", a);
			qb_years(q, a, "age_high", "age_unit");
			qb_sql(q, " >= ");
			qb_int(q, lo);
			qb_sql(q, ")");
		} else if (k == Q_FACTS) {
			/* inside: "LO-HI" or "LO-" (open) */
			qb_sql(q, " AND CAST(substr(%s.age_range, 1, "
				  "instr(%s.age_range, '-') - 1) AS INTEGER) "
				  ">= ",
			       a, a);
			qb_int(q, lo);
			if (hi >= 0) {
				qb_sql(q, " AND substr(%s.age_range, "
					  "instr(%s.age_range, '-') + 1) <> '' "
					  "AND CAST(substr(%s.age_range, "
					  "instr(%s.age_range, '-') + 1) AS "
					  "INTEGER) <= ",
				       a, a, a, a);
				qb_int(q, hi);
			}
		} else {
			qb_sql(q, " AND %s.age IS NOT NULL AND ", a);
			qb_years(q, a, "age", "age_unit");
			qb_sql(q, " >= ");
			qb_int(q, lo);
			if (hi >= 0) {
				qb_sql(q, " AND ");
				qb_years(q, a, "age", "age_unit");
				qb_sql(q, " <= ");
				qb_int(q, hi);
			}
		}
	}
	if (f->availability &&
	    !split_items(q, "availability", f->availability, norm_vocab,
			 &schema_vocab_availability, &it)) {
		if (k == Q_COLLECTIONS) {
			qb_sql(q, " AND EXISTS (SELECT 1 FROM collection_fact "
				  "af WHERE af.owner = %s.owner AND "
				  "af.collection = %s.id AND "
				  "af.number_of_samples > 0 AND af.availability",
			       a, a);
			qb_in(q, &it);
			qb_sql(q, ")");
		} else {
			qb_sql(q, " AND %s.%s", a,
			       k == Q_FACTS ? "availability" : "status");
			qb_in(q, &it);
		}
	}
}

static const char *filter_name(unsigned bit)
{
	switch (bit) {
	case F_DISEASE: return "disease";
	case F_MATERIAL: return "material";
	case F_SEX: return "sex";
	case F_AGE: return "age";
	case F_AVAIL: return "availability";
	case F_SERVICE: return "service-type";
	case F_AREA: return "area";
	case F_PROGRAMME: return "programme";
	case F_COLLECTION: return "collection";
	case F_BIOBANK: return "biobank";
	}
	return "?";
}

static unsigned filters_given(const struct query_filter *f)
{
	return (f->disease ? F_DISEASE : 0) | (f->material ? F_MATERIAL : 0) |
	       (f->sex ? F_SEX : 0) | (f->age ? F_AGE : 0) |
	       (f->availability ? F_AVAIL : 0) |
	       (f->service_type ? F_SERVICE : 0) | (f->area ? F_AREA : 0) |
	       (f->programme ? F_PROGRAMME : 0) |
	       (f->collection ? F_COLLECTION : 0) |
	       (f->biobank ? F_BIOBANK : 0);
}

/* The WHERE clauses of every filter, on row alias t and institution i. */
static void qb_filters(struct qb *q, enum query_kind k,
		       const struct query_filter *f)
{
	const struct kind *kd = &kinds[k];
	unsigned extra = filters_given(f) & ~kd->filters;
	struct items it;

	if (extra) {
		unsigned bit = extra & -extra;

		q->rc = q->rc ? q->rc
			      : bf_errf(q->err, BF_EINVAL,
					"--%s does not apply to %s",
					filter_name(bit), query_kind_names[k]);
		return;
	}
	/* institutions as a subquery, not a join: counts then aggregate the
	 * rows alone and look institutions up once per group */
	if (f->country && !split_items(q, "country", f->country, norm_country,
				       NULL, &it)) {
		qb_sql(q, " AND t.owner IN (SELECT ii.id FROM institution ii "
			  "WHERE ii.owner = '" SCHEMA_COORDINATOR "' AND "
			  "ii.country");
		qb_in(q, &it);
		qb_sql(q, ")");
	}
	if (f->region) {
		qb_sql(q, " AND t.owner IN (SELECT ii.id FROM institution ii "
			  "WHERE ii.owner = '" SCHEMA_COORDINATOR "' AND "
			  "ii.region LIKE ");
		qb_like(q, f->region);
		qb_sql(q, " ESCAPE '\\')");
	}
	if (f->institution) {
		qb_sql(q, " AND (t.owner = ");
		qb_text(q, f->institution, strlen(f->institution));
		qb_sql(q, " OR t.owner IN (SELECT ii.id FROM institution ii "
			  "WHERE ii.owner = '" SCHEMA_COORDINATOR "' AND "
			  "(ii.name LIKE ");
		qb_like(q, f->institution);
		qb_sql(q, " ESCAPE '\\' OR ii.acronym LIKE ");
		qb_like(q, f->institution);
		qb_sql(q, " ESCAPE '\\'))");
		if (k == Q_PROJECTS &&
		    schema_field_index(table_of(kd), "institutions", 12) >= 0) {
			qb_sql(q, " OR EXISTS (SELECT 1 FROM json_each("
				  "t.institutions) ij WHERE ij.value = ");
			qb_text(q, f->institution, strlen(f->institution));
			qb_sql(q, ")");
		}
		qb_sql(q, ")");
	}
	if (k == Q_BIOBANKS && (filters_given(f) & F_SAMPLE_DIMS)) {
		/* a biobank holds what one of its collections holds */
		qb_sql(q, " AND EXISTS (SELECT 1 FROM collection c WHERE "
			  "c.owner = t.owner AND c.biobank = t.id");
		qb_dims(q, Q_COLLECTIONS, "c", f);
		qb_sql(q, ")");
	} else {
		qb_dims(q, k, "t", f);
	}
	if (f->service_type) {
		const struct sch_table *st = table_of(kd);
		int fi = schema_field_index(st, "service_types", 13);

		if (fi >= 0 && !split_items(q, "service-type", f->service_type,
					    norm_field_vocab, &st->fields[fi],
					    &it)) {
			qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each("
				  "t.service_types) sj WHERE sj.value");
			qb_in(q, &it);
			qb_sql(q, ")");
		}
	}
	if (f->area) {
		qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each(t.areas) aj "
			  "WHERE aj.value LIKE ");
		qb_like(q, f->area);
		qb_sql(q, " ESCAPE '\\')");
	}
	if (f->programme) {
		qb_sql(q, " AND t.programme LIKE ");
		qb_like(q, f->programme);
		qb_sql(q, " ESCAPE '\\'");
	}
	if (f->collection) {
		qb_sql(q, " AND t.%s = ", k == Q_COLLECTIONS ? "id"
							     : "collection");
		qb_text(q, f->collection, strlen(f->collection));
	}
	if (f->biobank) {
		qb_sql(q, " AND t.biobank = ");
		qb_text(q, f->biobank, strlen(f->biobank));
	}
}

/* ---------------------------------------------------------------------- */
/* Listing and counting                                                     */

#define JOIN_INSTITUTION                                                      \
	" LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR          \
	"' AND i.id = t.owner"
#define JOIN_INSTITUTION_G                                                    \
	" LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR          \
	"' AND i.id = g.owner"

/* Facts at the finest aggregation level of their collection (query.h).
 * A row's level key is the number of dimension columns it fills times 32
 * plus which ones, so that the most filled level wins and ties break the
 * same way everywhere; derived facts are detail rows (191, the top).  A
 * row counts when no row of its collection has a higher key: rows at the
 * top need no look, so the subquery runs only for the rare coarser rows
 * (hand-published totals). */
#define FACT_LEVEL(a)                                                         \
	"(CASE WHEN substr(" a ".id, 1, length('" PUBLISH_DERIVED_PREFIX     \
	"')) = '" PUBLISH_DERIVED_PREFIX "' THEN 191 ELSE ((" a              \
	".sex IS NOT NULL) + (" a ".age_range IS NOT NULL) + (" a            \
	".sample_type IS NOT NULL) + (" a ".disease IS NOT NULL) + (" a      \
	".availability IS NOT NULL)) * 32 + (" a ".sex IS NOT NULL) + (" a   \
	".age_range IS NOT NULL) * 2 + (" a ".sample_type IS NOT NULL) * 4 + " \
	"(" a ".disease IS NOT NULL) * 8 + (" a                               \
	".availability IS NOT NULL) * 16 END)"

static const char fact_finest[] =
	" AND (" FACT_LEVEL("t") " = 191 OR NOT EXISTS (SELECT 1 FROM "
	"collection_fact x WHERE x.owner = t.owner AND x.collection = "
	"t.collection AND " FACT_LEVEL("x") " > " FACT_LEVEL("t") "))";

static int emit_value(struct out *o, sqlite3_stmt *st, int col,
		      enum sch_type type)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return out_null(o);
	switch (type) {
	case SCH_INT: return out_int(o, sqlite3_column_int64(st, col));
	case SCH_REAL: return out_real(o, sqlite3_column_double(st, col));
	case SCH_BOOL: return out_bool(o, sqlite3_column_int(st, col) != 0);
	case SCH_LIST:
		return out_list(o, (const char *)sqlite3_column_text(st, col),
				(size_t)sqlite3_column_bytes(st, col));
	case SCH_TEXT: break;
	}
	return out_text(o, (const char *)sqlite3_column_text(st, col),
			(size_t)sqlite3_column_bytes(st, col));
}

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

/* Columns, in output order: id, the shown fields, the other fields,
 * institution, institution_name.  order[] gives schema field indexes. */
static int list_run(sqlite3 *db, const struct query_opts *qo, struct out *o,
		    struct bf_err *err)
{
	const struct kind *k = &kinds[qo->kind];
	const struct sch_table *t = table_of(k);
	size_t order[CS_MAX_FIELDS], n = 0;
	sqlite3_stmt *st = NULL;
	struct qb q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.err = err;
	bf_buf_init(&q.sql, 0);
	for (const char *const *s = k->shown; *s; s++) {
		int fi = schema_field_index(t, *s, strlen(*s));
		if (fi >= 0)
			order[n++] = (size_t)fi;
	}
	for (size_t i = 0; i < t->nfields; i++)
		if (!in_list(k->shown, t->fields[i].name))
			order[n++] = i;
	rc = out_col(o, "id", k->id_wide ? OUT_WIDE : 0);
	qb_sql(&q, "SELECT t.id");
	for (size_t i = 0; i < n && !rc; i++) {
		const struct sch_field *f = &t->fields[order[i]];
		unsigned fl = in_list(k->shown, f->name) ? 0 : OUT_WIDE;

		if (f->type == SCH_INT || f->type == SCH_REAL)
			fl |= OUT_NUM;
		rc = out_col(o, f->name, fl);
		qb_sql(&q, ", t.\"%s\"", f->name);
	}
	rc = rc ? rc : out_col(o, "institution", 0);
	rc = rc ? rc : out_col(o, "institution_name", OUT_WIDE);
	if (rc) {
		rc = bf_errf(err, rc, "output: too many columns");
		goto out;
	}
	qb_sql(&q, ", t.owner, i.name, t.extra FROM \"%s\" t" JOIN_INSTITUTION
		   " WHERE 1",
	       t->name);
	qb_filters(&q, qo->kind, &qo->f);
	if (qo->kind == Q_FACTS)
		qb_sql(&q, " ORDER BY t.owner, t.collection, t.sex, "
			   "t.age_range, t.sample_type, t.disease, "
			   "t.availability, t.id");
	else
		qb_sql(&q, " ORDER BY t.owner, t.id");
	if (qo->limit > 0) {
		qb_sql(&q, " LIMIT ");
		qb_int(&q, qo->limit);
	}
	if ((rc = qb_prepare(&q, db, &st)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int col = 0, e = out_row(o);

		e = e ? e : emit_value(o, st, col++, SCH_TEXT);
		for (size_t i = 0; i < n && !e; i++)
			e = emit_value(o, st, col++, t->fields[order[i]].type);
		e = e ? e : emit_value(o, st, col++, SCH_TEXT);
		e = e ? e : emit_value(o, st, col++, SCH_TEXT);
		if (!e && sqlite3_column_type(st, col) == SQLITE_TEXT)
			e = out_extra(o, (const char *)sqlite3_column_text(st,
									  col),
				      (size_t)sqlite3_column_bytes(st, col));
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : bf_errf(err, BF_EIO, "query: %s",
					     sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	qb_free(&q);
	return rc;
}

/* Totals per group: the rows are counted per owner (and material) first,
 * then institutions are looked up once per group and the counts summed.
 * Summing per-owner distinct counts is exact: donors and collections
 * belong to one owner. */
static int count_run(sqlite3 *db, const struct query_opts *qo, struct out *o,
		     struct bf_err *err)
{
	const struct kind *k = &kinds[qo->kind];
	sqlite3_stmt *st = NULL;
	struct qb q;
	int rc, nkey, ncount;

	memset(&q, 0, sizeof(q));
	q.err = err;
	bf_buf_init(&q.sql, 0);
	if (qo->count_by == QC_MATERIAL && !k->by_material) {
		rc = bf_errf(err, BF_EINVAL,
			     "--count-by material applies to collections, "
			     "facts and samples");
		goto out;
	}
	switch (qo->count_by) {
	case QC_INSTITUTION:
		rc = out_col(o, "institution", 0);
		rc = rc ? rc : out_col(o, "institution_name", 0);
		qb_sql(&q, "SELECT g.owner, i.name");
		nkey = 2;
		break;
	case QC_COUNTRY:
		rc = out_col(o, "country", 0);
		qb_sql(&q, "SELECT i.country");
		nkey = 1;
		break;
	default:
		rc = out_col(o, "material", 0);
		qb_sql(&q, "SELECT g.k");
		nkey = 1;
		break;
	}
	rc = rc ? rc : out_col(o, k->noun, OUT_NUM);
	ncount = 1;
	if (qo->kind == Q_FACTS) {
		rc = rc ? rc : out_col(o, "collections", OUT_NUM);
		ncount = 2;
	} else if (qo->kind == Q_SAMPLES) {
		rc = rc ? rc : out_col(o, "donors", OUT_NUM);
		ncount = 2;
	}
	if (rc) {
		rc = bf_errf(err, rc, "output: out of memory");
		goto out;
	}
	qb_sql(&q, ", sum(g.c1)%s FROM (SELECT t.owner AS owner, %s AS k",
	       ncount == 2 ? ", sum(g.c2)" : "",
	       qo->count_by != QC_MATERIAL ? "NULL"
	       : qo->kind == Q_COLLECTIONS ? "mat.value"
	       : qo->kind == Q_FACTS	   ? "t.sample_type"
					   : "t.material_type");
	if (qo->kind == Q_FACTS)
		qb_sql(&q, ", coalesce(sum(t.number_of_samples), 0) AS c1, "
			   "count(DISTINCT t.collection) AS c2");
	else if (qo->kind == Q_SAMPLES)
		qb_sql(&q, ", count(*) AS c1, count(DISTINCT "
			   "coalesce(t.donor_id, char(1) || t.id)) AS c2");
	else
		qb_sql(&q, ", count(*) AS c1");
	qb_sql(&q, " FROM \"%s\" t", k->table);
	if (qo->count_by == QC_MATERIAL && qo->kind == Q_COLLECTIONS)
		qb_sql(&q, " JOIN json_each(t.materials) mat");
	qb_sql(&q, " WHERE 1%s", qo->kind == Q_FACTS ? fact_finest : "");
	qb_filters(&q, qo->kind, &qo->f);
	qb_sql(&q, " GROUP BY t.owner, 2) g" JOIN_INSTITUTION_G
		   " GROUP BY %s ORDER BY %d DESC, 1",
	       qo->count_by == QC_INSTITUTION ? "g.owner"
	       : qo->count_by == QC_COUNTRY   ? "i.country"
					      : "g.k",
	       nkey + 1);
	if (qo->limit > 0) {
		qb_sql(&q, " LIMIT ");
		qb_int(&q, qo->limit);
	}
	if ((rc = qb_prepare(&q, db, &st)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int e = out_row(o);

		for (int c = 0; c < nkey && !e; c++)
			e = emit_value(o, st, c, SCH_TEXT);
		for (int c = nkey; c < nkey + ncount && !e; c++)
			e = emit_value(o, st, c, SCH_INT);
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : bf_errf(err, BF_EIO, "query: %s",
					     sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	qb_free(&q);
	return rc;
}

int query_run(sqlite3 *db, const struct query_opts *q, struct out *o,
	      struct bf_err *err)
{
	if ((unsigned)q->kind >= Q_NKINDS || !table_of(&kinds[q->kind]))
		return bf_errf(err, BF_EINVAL, "query: no such kind");
	/* distinct counts and sorts of a million samples: in memory they
	 * take half the time of temporary files */
	sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	return q->count_by == QC_NONE ? list_run(db, q, o, err)
				      : count_run(db, q, o, err);
}

/* ---------------------------------------------------------------------- */
/* Full-text search                                                         */

/*
 * The ranking: BM25 without its length normalisation, that is, per word
 * (phrase) of the query, its inverse document frequency times a saturated
 * count of its occurrences in each column, the name weighing 4 and the
 * body 1.  FTS5's bm25() also divides by each row's length, which it
 * reads from the %_docsize table, one b-tree lookup per matching row: for
 * words that occur in tens of thousands of records that lookup costs
 * more than the search itself (130 ms against 10 ms at 35,000 hits on
 * the benchmark machine).  Records here are short and of similar length,
 * so little is lost.  The value is negative, best first, as bm25's.
 */
#define RANK_FN "biofed_rank"
#define RANK_K1 1.2

static int rank_count_row(const Fts5ExtensionApi *api, Fts5Context *fts,
			  void *ud)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)ud)++;
	return SQLITE_OK;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	static const double weight[2] = {4.0, 1.0}; /* name, body */
	int np = api->xPhraseCount(fts);
	double *idf = api->xGetAuxdata(fts, 0), score = 0;

	(void)nval;
	(void)val;
	if (!idf) {
		/* once per query: how many records hold each phrase */
		sqlite3_int64 nrow = 0;

		idf = sqlite3_malloc64(sizeof(*idf) * (size_t)(np ? np : 1));
		if (!idf || api->xRowCount(fts, &nrow) != SQLITE_OK) {
			sqlite3_free(idf);
			sqlite3_result_error_nomem(ctx);
			return;
		}
		for (int p = 0; p < np; p++) {
			sqlite3_int64 hits = 0;

			if (api->xQueryPhrase(fts, p, &hits, rank_count_row) !=
			    SQLITE_OK)
				hits = 0;
			idf[p] = log(((double)(nrow - hits) + 0.5) /
				     ((double)hits + 0.5));
			if (idf[p] <= 0)
				idf[p] = 1e-6;
		}
		if (api->xSetAuxdata(fts, idf, sqlite3_free) != SQLITE_OK) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	for (int p = 0; p < np; p++) {
		Fts5PhraseIter it;
		double f[2] = {0, 0};
		int col, off;

		if (api->xPhraseFirst(fts, p, &it, &col, &off) != SQLITE_OK)
			continue;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			f[col ? 1 : 0] += 1;
		for (int c = 0; c < 2; c++)
			if (f[c] > 0)
				score += idf[p] * weight[c] * f[c] *
					 (RANK_K1 + 1) / (f[c] + RANK_K1);
	}
	sqlite3_result_double(ctx, -score);
}

/* Makes RANK_FN known to this connection's FTS5, once. */
static int rank_register(sqlite3 *db, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	fts5_api *api = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " RANK_FN "(search_fts) FROM "
				   "search_fts WHERE 0",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return 0; /* already there */
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "search: no FTS5 in this SQLite: %s",
			     sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	if (!api || api->iVersion < 2 ||
	    api->xCreateFunction(api, RANK_FN, NULL, rank_fn, NULL) !=
		    SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "search: cannot add the ranking to "
					  "FTS5");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The user's words as an FTS5 query: each word a quoted string (so that
 * "C50.9" or "HER2-positive" are phrases, not syntax), "OR" kept, a final
 * '*' kept as a prefix search. */
static int fts_query(const char *text, struct bf_buf *b, struct bf_err *err)
{
	const char *p = text;
	int rc = 0, words = 0, pending_or = 0;

	while (*p && !rc) {
		const char *s;
		size_t len;
		int prefix = 0;

		while (*p && isspace((unsigned char)*p))
			p++;
		s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - s);
		if (!len)
			break;
		if (len == 2 && !memcmp(s, "OR", 2)) {
			pending_or = words > 0;
			continue;
		}
		if (len > 1 && s[len - 1] == '*') {
			prefix = 1;
			len--;
		}
		if (words)
			rc = bf_buf_adds(b, pending_or ? " OR " : " ");
		pending_or = 0;
		rc = rc ? rc : bf_buf_addc(b, '"');
		for (size_t i = 0; i < len && !rc; i++)
			rc = s[i] == '"' ? bf_buf_add(b, "\"\"", 2)
					 : bf_buf_addc(b, (uint8_t)s[i]);
		rc = rc ? rc : bf_buf_adds(b, prefix ? "\"*" : "\"");
		words++;
	}
	if (rc)
		return bf_errf(err, BF_EINVAL, "text too long");
	if (!words || !bf_buf_cstr(b))
		return bf_errf(err, BF_EINVAL, "no words to look for");
	return 0;
}

int query_search(sqlite3 *db, const char *text, const char *table,
		 int64_t limit, struct out *o, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	struct bf_buf m;
	struct qb q;
	int rc;

	memset(&q, 0, sizeof(q));
	q.err = err;
	bf_buf_init(&q.sql, 0);
	bf_buf_init(&m, 64 * 1024);
	if ((rc = fts_query(text, &m, err)) != 0)
		goto out;
	rc = out_col(o, "table", 0);
	rc = rc ? rc : out_col(o, "name", 0);
	rc = rc ? rc : out_col(o, "institution", 0);
	rc = rc ? rc : out_col(o, "institution_name", OUT_WIDE);
	rc = rc ? rc : out_col(o, "id", 0);
	rc = rc ? rc : out_col(o, "score", OUT_NUM);
	if (rc) {
		rc = bf_errf(err, rc, "output: out of memory");
		goto out;
	}
	if ((rc = rank_register(db, err)) != 0)
		goto out;
	/* rank and limit inside, on the FTS table alone: names and the
	 * joins are then looked up for the hits shown only */
	qb_sql(&q, "SELECT d.tbl, (SELECT n.name FROM search_fts n WHERE "
		   "n.rowid = s.rowid), d.owner, i.name, d.id, round(-s.score, "
		   "3) FROM (SELECT rowid, " RANK_FN "(search_fts) AS score "
		   "FROM search_fts WHERE search_fts MATCH ");
	qb_text(&q, (const char *)m.p, m.len);
	if (table) {
		qb_sql(&q, " AND rowid IN (SELECT docid FROM search_doc WHERE "
			   "tbl = ");
		qb_text(&q, table, strlen(table));
		qb_sql(&q, ")");
	}
	qb_sql(&q, " ORDER BY score LIMIT ");
	qb_int(&q, limit > 0 ? limit : 20);
	qb_sql(&q, ") s JOIN search_doc d ON d.docid = s.rowid "
		   "LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR
		   "' AND i.id = d.owner ORDER BY s.score");
	if ((rc = qb_prepare(&q, db, &st)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int e = out_row(o);

		for (int c = 0; c < 5 && !e; c++)
			e = emit_value(o, st, c, SCH_TEXT);
		e = e ? e : emit_value(o, st, 5, SCH_REAL);
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : bf_errf(err, BF_EIO, "search: %s",
					     sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	bf_buf_free(&m);
	qb_free(&q);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* The guarded SQL console                                                  */

/* Pragmas that only read, allowed with any argument (the argument names
 * a table, an index...), and pragmas allowed only without one (with an
 * argument they would set something). */
static const char *const pragma_any_arg[] = {
	"table_info",  "table_xinfo",   "index_list", "index_info",
	"index_xinfo", "foreign_key_list", "collation_list", "function_list",
	"module_list", "pragma_list",   "compile_options", "database_list",
	NULL};
static const char *const pragma_no_arg[] = {
	"user_version", "schema_version", "application_id", "page_count",
	"page_size",    "encoding",       "freelist_count", "data_version",
	NULL};

static int name_in(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcasecmp(*l, s))
			return 1;
	return 0;
}

struct guard {
	int denied;
	char what[128];
	uint64_t deadline_ns;
};

static int guard_auth(void *ctx, int action, const char *a, const char *b,
		      const char *db, const char *trigger)
{
	struct guard *g = ctx;

	(void)db;
	if (g->denied)
		return SQLITE_DENY; /* the first refusal names the statement */
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
	case SQLITE_TRANSACTION:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		/* b is the function's name */
		if (b && !strcasecmp(b, "load_extension")) {
			snprintf(g->what, sizeof(g->what), "load_extension()");
			break;
		}
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		if (a && (name_in(pragma_any_arg, a) ||
			  (!b && name_in(pragma_no_arg, a))))
			return SQLITE_OK;
		snprintf(g->what, sizeof(g->what), "PRAGMA %.60s%s", a ? a : "",
			 b ? " with a value" : "");
		break;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (a && (!strcmp(a, "sqlite_master") ||
			  !strcmp(a, "sqlite_temp_master"))) {
			/* SQLite asks for UPDATE on the schema table when it
			 * sets up a table-valued function (json_each,
			 * pragma_table_info) for reading: harmless, and a real
			 * write to it fails sqlite3_stmt_readonly below */
			if (action == SQLITE_UPDATE && !trigger)
				return SQLITE_OK;
			snprintf(g->what, sizeof(g->what),
				 "a schema change (CREATE, DROP)");
			break;
		}
		snprintf(g->what, sizeof(g->what), "%s",
			 action == SQLITE_INSERT	? "INSERT"
			 : action == SQLITE_UPDATE ? "UPDATE"
						   : "DELETE");
		break;
	case SQLITE_ATTACH: snprintf(g->what, sizeof(g->what), "ATTACH"); break;
	case SQLITE_DETACH: snprintf(g->what, sizeof(g->what), "DETACH"); break;
	case SQLITE_ALTER_TABLE:
		snprintf(g->what, sizeof(g->what), "ALTER TABLE");
		break;
	case SQLITE_ANALYZE:
		snprintf(g->what, sizeof(g->what), "ANALYZE");
		break;
	case SQLITE_REINDEX:
		snprintf(g->what, sizeof(g->what), "REINDEX");
		break;
	case SQLITE_SAVEPOINT:
		snprintf(g->what, sizeof(g->what), "SAVEPOINT");
		break;
	default:
		/* every CREATE and DROP, and whatever a later SQLite adds */
		snprintf(g->what, sizeof(g->what), "a statement that changes "
						   "the database (%d)",
			 action);
		break;
	}
	g->denied = 1;
	return SQLITE_DENY;
}

static int guard_progress(void *ctx)
{
	struct guard *g = ctx;

	return bf_mono_ns() > g->deadline_ns;
}

static int emit_sql_value(struct out *o, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL: return out_null(o);
	case SQLITE_INTEGER: return out_int(o, sqlite3_column_int64(st, c));
	case SQLITE_FLOAT: return out_real(o, sqlite3_column_double(st, c));
	case SQLITE_BLOB: {
		size_t n = (size_t)sqlite3_column_bytes(st, c);
		char *hex = malloc(2 * n + 1);
		int rc;

		if (!hex)
			return BF_ENOMEM;
		bf_hex(sqlite3_column_blob(st, c), n, hex);
		rc = out_text(o, hex, 2 * n);
		free(hex);
		return rc;
	}
	default:
		return out_text(o, (const char *)sqlite3_column_text(st, c),
				(size_t)sqlite3_column_bytes(st, c));
	}
}

int query_sql(sqlite3 *db, const char *sql, int64_t timeout_ms,
	      enum out_format fmt, void *f, struct bf_err *err)
{
	struct guard g;
	sqlite3_stmt *st = NULL;
	struct out *o = NULL;
	const char *tail = NULL;
	int rc, ncols;

	memset(&g, 0, sizeof(g));
	/* before the authorizer, which would refuse these pragmas */
	if (sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
			      NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
		    SQLITE_OK ||
	    sqlite3_set_authorizer(db, guard_auth, &g) != SQLITE_OK)
		return bf_errf(err, BF_EIO, "sql: cannot set up the guard: %s",
			       sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
		rc = g.denied ? bf_errf(err, BF_EINVAL,
					"sql: refused: %s (the replica is "
					"read-only here)",
					g.what)
			      : bf_errf(err, BF_EINVAL, "sql: %s",
					sqlite3_errmsg(db));
		goto out;
	}
	if (!st) {
		rc = bf_errf(err, BF_EINVAL, "sql: no statement");
		goto out;
	}
	while (tail && *tail && isspace((unsigned char)*tail))
		tail++;
	if (tail && *tail && strcmp(tail, ";") != 0) {
		rc = bf_errf(err, BF_EINVAL,
			     "sql: one statement at a time (found more after "
			     "the first)");
		goto out;
	}
	/* VACUUM INTO writes a file without asking the authorizer */
	if (!sqlite3_stmt_readonly(st)) {
		rc = bf_errf(err, BF_EINVAL,
			     "sql: refused: not a read-only statement");
		goto out;
	}
	g.deadline_ns = bf_mono_ns() +
			(uint64_t)(timeout_ms > 0 ? timeout_ms : 10000) *
				1000000u;
	sqlite3_progress_handler(db, 10000, guard_progress, &g);
	if ((rc = out_new(f, fmt, &o)) != 0) {
		rc = bf_errf(err, rc, "out of memory");
		goto out;
	}
	ncols = sqlite3_column_count(st);
	for (int c = 0; c < ncols && !rc; c++) {
		const char *name = sqlite3_column_name(st, c);
		rc = out_col(o, name ? name : "?", OUT_NULLS);
	}
	if (rc) {
		rc = bf_errf(err, rc, "sql: too many columns");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int e = out_row(o);

		for (int c = 0; c < ncols && !e; c++)
			e = emit_sql_value(o, st, c);
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
	}
	if (rc == SQLITE_INTERRUPT)
		rc = bf_errf(err, BF_EINVAL,
			     "sql: interrupted after %lld ms (--timeout)",
			     (long long)(timeout_ms > 0 ? timeout_ms : 10000));
	else if (rc != SQLITE_DONE)
		rc = bf_errf(err, BF_EINVAL, "sql: %s", sqlite3_errmsg(db));
	else
		rc = 0;
	if (!rc) {
		rc = out_end(o, err);
		o = NULL;
	}
out:
	out_free(o);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	sqlite3_finalize(st);
	return rc;
}
