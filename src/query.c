/*
 * query: a researcher's filters as SQL over one kind of record, listed or
 * counted (query.h).  The SQL is built with qbuild.h, every user value
 * bound; the full-text search is search.c's, the SQL console
 * sqlguard.c's.
 */
#include "query.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "publish.h" /* PUBLISH_DERIVED_PREFIX */
#include "qbuild.h"
#include "schema.h"

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
			     const struct qb_items *it)
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
	struct qb_items it;

	if (f->disease &&
	    !qb_split(q, "disease", f->disease, norm_disease, NULL, &it)) {
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
	if (f->material && !qb_split(q, "material", f->material,
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
	if (f->sex && !qb_split(q, "sex", f->sex, norm_vocab,
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
			qb_fail(q, BF_EINVAL,
				"--age: \"%.40s\" is not an age range such as "
				"40-60, 40- or -17",
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
	    !qb_split(q, "availability", f->availability, norm_vocab,
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
	struct qb_items it;

	if (extra) {
		unsigned bit = extra & -extra;

		qb_fail(q, BF_EINVAL, "--%s does not apply to %s",
			filter_name(bit), query_kind_names[k]);
		return;
	}
	/* institutions as a subquery, not a join: counts then aggregate the
	 * rows alone and look institutions up once per group */
	if (f->country && !qb_split(q, "country", f->country, norm_country,
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

		if (fi >= 0 && !qb_split(q, "service-type", f->service_type,
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

	qb_init(&q, err);
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

		e = e ? e : qb_emit(o, st, col++, SCH_TEXT);
		for (size_t i = 0; i < n && !e; i++)
			e = qb_emit(o, st, col++, t->fields[order[i]].type);
		e = e ? e : qb_emit(o, st, col++, SCH_TEXT);
		e = e ? e : qb_emit(o, st, col++, SCH_TEXT);
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

	qb_init(&q, err);
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
			e = qb_emit(o, st, c, SCH_TEXT);
		for (int c = nkey; c < nkey + ncount && !e; c++)
			e = qb_emit(o, st, c, SCH_INT);
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

