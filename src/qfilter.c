/*
 * qfilter: a researcher's filters (query.h) as the WHERE clauses of a
 * query over one kind of record: values checked against the Directory's
 * vocabularies, disease codes with their hierarchy (disease.h), age
 * ranges against decades and AgeRanges terms, withdrawn records left
 * out.  Every user value is bound (qbuild.h).
 */
#include "qfilter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "disease.h"
#include "schema.h"
#include "vocab.h"

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

/* A field's own vocabulary (service types, countries, quality
 * standards): arg is the field. */
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

int qf_age_range(const char *s, int64_t *lo, int64_t *hi)
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


/* Field name of table tname, for checking a filter against its
 * vocabulary. */
static const struct sch_field *field_of(const char *tname, const char *name)
{
	const struct sch_table *t = schema_table(tname, strlen(tname));
	int fi = t ? schema_field_index(t, name, strlen(name)) : -1;

	return fi >= 0 ? &t->fields[fi] : NULL;
}

/* The record's own country (query.h): SQL over row alias t, or NULL for
 * kinds that have none. */
const char *qf_country_sql(enum query_kind k)
{
	switch (k) {
	case Q_BIOBANKS: return "t.country";
	case Q_COLLECTIONS:
		return "coalesce(t.country, (SELECT cb.country FROM biobank "
		       "cb WHERE cb.owner = t.owner AND cb.id = t.biobank))";
	case Q_FACTS:
	case Q_SAMPLES:
		return "(SELECT coalesce(cc.country, cb.country) FROM "
		       "collection cc LEFT JOIN biobank cb ON cb.owner = "
		       "cc.owner AND cb.id = cc.biobank WHERE cc.owner = "
		       "t.owner AND cc.id = t.collection)";
	case Q_SERVICES:
		return "(SELECT cb.country FROM biobank cb WHERE cb.owner = "
		       "t.owner AND cb.id = t.biobank)";
	default: return NULL;
	}
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

/* The codes of --disease with their hierarchy (disease.h), bound as one
 * JSON array: "v IN (SELECT value FROM json_each(?))" then reads it
 * once into a temporary index, however many codes there are.  Says on
 * qo->notes what a name resolved to. */
static void qb_disease_set(struct qb *q, const struct query_opts *qo)
{
	struct disease_set set;
	struct disease_found found;
	struct bf_buf json;
	struct bf_err e;
	const char *p = qo->f.disease;
	int rc;

	if (q->rc)
		return;
	bf_buf_init(&json, 0);
	if ((rc = disease_set_init(&set, &e)) != 0) {
		qb_fail(q, rc, "%s", e.msg);
		return;
	}
	while (*p && !q->rc) {
		size_t len = strcspn(p, ",");
		const char *v = p;

		p += len + (p[len] == ',');
		while (len && (*v == ' ' || *v == '\t'))
			v++, len--;
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (!len)
			continue;
		if ((rc = disease_add(&set, v, len, &found, &e)) != 0) {
			qb_fail(q, rc, "--disease: %s", e.msg);
			break;
		}
		if (found.by_name && qo->notes) {
			fprintf(qo->notes, "biofed: disease \"%.*s\": %zu term%s:",
				(int)len, v, found.count,
				found.count == 1 ? "" : "s");
			for (size_t i = 0; i < found.nshown; i++) {
				const struct vocab_term *t =
					&vocab_DiseaseTypes
						 .terms[found.shown[i]];

				fprintf(qo->notes, "%s %s %s", i ? "," : "",
					t->name, t->label);
			}
			fprintf(qo->notes, "%s\n",
				found.count > found.nshown ? ", ..." : "");
		}
	}
	if (!q->rc && !set.n)
		qb_fail(q, BF_EINVAL, "--disease: no value");
	if (!q->rc && disease_set_json(&set, &json))
		qb_fail(q, BF_ENOMEM, "out of memory");
	if (!q->rc && qo->notes && qo->f.disease[strcspn(qo->f.disease,
							  ",")] == 0 &&
	    found.by_name)
		fprintf(qo->notes,
			"biofed: disease \"%s\": %zu codes with what lies "
			"below them\n",
			qo->f.disease, set.n);
	qb_sql(q, "(SELECT value FROM json_each(");
	qb_text(q, (const char *)json.p, json.len);
	qb_sql(q, "))");
	disease_set_free(&set);
	bf_buf_free(&json);
}

/* The Directory's age-range terms (AgeRanges) whose bounds lie inside
 * lo..hi years (hi -1: open), as a JSON array. */
static void qb_age_terms(struct qb *q, int64_t lo, int64_t hi)
{
	const struct vocab *v = &vocab_AgeRanges;
	struct bf_buf b;
	int rc, first = 1;

	bf_buf_init(&b, 0);
	rc = bf_buf_addc(&b, '[');
	for (size_t i = 0; i < v->nterms && !rc; i++) {
		const struct vocab_term *t = &v->terms[i];

		if (t->age_lo == VOCAB_AGE_NONE || t->age_lo < lo * 12 ||
		    (hi >= 0 && (t->age_hi == VOCAB_AGE_OPEN ||
				 t->age_hi > hi * 12 + 11)))
			continue;
		rc = first ? 0 : bf_buf_addc(&b, ',');
		rc = rc ? rc : bf_buf_add_json_str(&b, t->name, strlen(t->name));
		first = 0;
	}
	rc = rc ? rc : bf_buf_addc(&b, ']');
	if (rc)
		qb_fail(q, BF_ENOMEM, "out of memory");
	qb_sql(q, "(SELECT value FROM json_each(");
	qb_text(q, (const char *)b.p, b.len);
	qb_sql(q, "))");
	bf_buf_free(&b);
}

/* " AND EXISTS (... json_each(a.col) ... IN (items))": a collection's
 * list matches an item, or holds "*" ("any") when star. */
static void qb_list_in(struct qb *q, const char *a, const char *col,
		       const struct qb_items *it, int star)
{
	qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each(%s.\"%s\") lj WHERE "
		  "lj.value",
	       a, col);
	qb_in(q, it);
	qb_sql(q, "%s)", star ? " OR lj.value = '*'" : "");
}

static void qb_age(struct qb *q, enum query_kind k, const char *a,
		   const char *age)
{
	int64_t lo, hi;

	if (qf_age_range(age, &lo, &hi)) {
		qb_fail(q, BF_EINVAL,
			"--age: \"%.40s\" is not an age range such as 40-60, "
			"40- or -17",
			age);
		return;
	}
	if (k == Q_COLLECTIONS) {
		/* overlap; a missing bound is open */
		qb_sql(q, " AND (%s.age_low IS NOT NULL OR %s.age_high IS NOT "
			  "NULL)",
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
		/* inside: a decade "LO-HI" or "LO-" (open), only digits and
		 * one dash; or a Directory term whose bounds are inside */
		qb_sql(q, " AND ((%s.age_range GLOB '[0-9]*-*' AND "
			  "%s.age_range NOT GLOB '*[^0-9-]*' AND "
			  "CAST(substr(%s.age_range, 1, instr(%s.age_range, "
			  "'-') - 1) AS INTEGER) >= ",
		       a, a, a, a);
		qb_int(q, lo);
		if (hi >= 0) {
			qb_sql(q, " AND substr(%s.age_range, instr(%s."
				  "age_range, '-') + 1) <> '' AND "
				  "CAST(substr(%s.age_range, instr(%s."
				  "age_range, '-') + 1) AS INTEGER) <= ",
			       a, a, a, a);
			qb_int(q, hi);
		}
		qb_sql(q, ") OR %s.age_range IN ", a);
		qb_age_terms(q, lo, hi);
		qb_sql(q, ")");
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

/* The clauses of the sample dimensions (disease, material, sex, age,
 * availability) for a row of kind k under alias a. */
static void qb_dims(struct qb *q, enum query_kind k, const char *a,
		    const struct query_opts *qo)
{
	const struct query_filter *f = &qo->f;
	struct qb_items it;

	if (f->disease) {
		if (k == Q_COLLECTIONS) {
			qb_sql(q, " AND EXISTS (SELECT 1 FROM json_each(%s."
				  "diagnosis_available) dj WHERE dj.value = "
				  "'*' OR dj.value IN ",
			       a);
			qb_disease_set(q, qo);
			qb_sql(q, ")");
		} else {
			qb_sql(q, " AND %s.%s IN ", a,
			       k == Q_FACTS ? "disease" : "diagnosis");
			qb_disease_set(q, qo);
		}
	}
	if (f->material && !qb_split(q, "material", f->material, norm_vocab,
				     &schema_vocab_material, &it)) {
		if (k == Q_COLLECTIONS) {
			qb_list_in(q, a, "materials", &it, 1);
		} else {
			qb_sql(q, " AND %s.%s", a,
			       k == Q_FACTS ? "sample_type" : "material_type");
			qb_in(q, &it);
		}
	}
	if (f->sex && !qb_split(q, "sex", f->sex, norm_vocab,
				&schema_vocab_sex, &it)) {
		if (k == Q_COLLECTIONS) {
			qb_list_in(q, a, "sex", &it, 1);
		} else {
			qb_sql(q, " AND %s.sex", a);
			qb_in(q, &it);
		}
	}
	if (f->age)
		qb_age(q, k, a, f->age);
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

/* Leaves out withdrawn records (query.h) of kind k under alias a. */
static void qb_hidden(struct qb *q, enum query_kind k, const char *a)
{
	switch (k) {
	case Q_BIOBANKS:
	case Q_NETWORKS:
		qb_sql(q, " AND %s.withdrawn IS NOT 1", a);
		break;
	case Q_COLLECTIONS:
		qb_sql(q, " AND %s.withdrawn IS NOT 1 AND NOT EXISTS (SELECT 1 "
			  "FROM biobank wb WHERE wb.owner = %s.owner AND wb.id "
			  "= %s.biobank AND wb.withdrawn IS 1)",
		       a, a, a);
		break;
	case Q_SERVICES:
		qb_sql(q, " AND NOT EXISTS (SELECT 1 FROM biobank wb WHERE "
			  "wb.owner = %s.owner AND wb.id = %s.biobank AND "
			  "wb.withdrawn IS 1)",
		       a, a);
		break;
	case Q_FACTS:
	case Q_SAMPLES:
		/* the few hidden collections, looked up once */
		qb_sql(q, " AND (%s.owner, %s.collection) NOT IN (SELECT "
			  "wc.owner, wc.id FROM collection wc LEFT JOIN biobank "
			  "wb ON wb.owner = wc.owner AND wb.id = wc.biobank "
			  "WHERE wc.withdrawn IS 1 OR wb.withdrawn IS 1)",
		       a, a);
		break;
	default: break;
	}
}

static void qb_quality(struct qb *q, enum query_kind k,
		       const struct qb_items *it)
{
	switch (k) {
	case Q_BIOBANKS:
		qb_sql(q, " AND EXISTS (SELECT 1 FROM quality_info_biobank qb "
			  "WHERE qb.owner = t.owner AND qb.biobank = t.id AND "
			  "qb.quality_standard");
		qb_in(q, it);
		qb_sql(q, ")");
		break;
	case Q_COLLECTIONS:
		/* its own, or its biobank's */
		qb_sql(q, " AND (EXISTS (SELECT 1 FROM quality_info_collection "
			  "qc WHERE qc.owner = t.owner AND qc.collection = t.id "
			  "AND qc.quality_standard");
		qb_in(q, it);
		qb_sql(q, ") OR EXISTS (SELECT 1 FROM quality_info_biobank qb "
			  "WHERE qb.owner = t.owner AND qb.biobank = t.biobank "
			  "AND qb.quality_standard");
		qb_in(q, it);
		qb_sql(q, "))");
		break;
	default:
		qb_sql(q, " AND EXISTS (SELECT 1 FROM quality_info_service qs "
			  "WHERE qs.owner = t.owner AND qs.service = t.id AND "
			  "qs.quality_standard");
		qb_in(q, it);
		qb_sql(q, ")");
		break;
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
	case F_COUNTRY: return "country";
	case F_NETWORK: return "network";
	case F_QUALITY: return "quality";
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
	       (f->biobank ? F_BIOBANK : 0) | (f->country ? F_COUNTRY : 0) |
	       (f->network ? F_NETWORK : 0) | (f->quality ? F_QUALITY : 0);
}

/* The institution's filters: a subquery, not a join, so that counts
 * aggregate the rows alone and look institutions up once per group. */
static void qb_institution(struct qb *q, enum query_kind k,
			   const struct query_filter *f)
{
	struct qb_items it;

	if (f->institution_country &&
	    !qb_split(q, "institution-country", f->institution_country,
		      norm_country, NULL, &it)) {
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
		if (k == Q_PROJECTS) {
			qb_sql(q, " OR EXISTS (SELECT 1 FROM json_each("
				  "t.institutions) ij WHERE ij.value = ");
			qb_text(q, f->institution, strlen(f->institution));
			qb_sql(q, ")");
		}
		qb_sql(q, ")");
	}
}

void qf_where(struct qb *q, const struct query_opts *qo, unsigned allowed)
{
	enum query_kind k = qo->kind;
	const struct query_filter *f = &qo->f;
	unsigned extra = filters_given(f) & ~allowed;
	struct qb_items it;

	if (extra) {
		unsigned bit = extra & -extra;

		qb_fail(q, BF_EINVAL, "--%s does not apply to %s%s",
			filter_name(bit), query_kind_names[k],
			bit == F_COUNTRY ? " (they have no country of their "
					   "own: --institution-country)"
					 : "");
		return;
	}
	if (!qo->withdrawn)
		qb_hidden(q, k, "t");
	qb_institution(q, k, f);
	if (f->country && qf_country_sql(k) &&
	    !qb_split(q, "country", f->country, norm_field_vocab,
		      field_of("biobank", "country"), &it)) {
		const char *cs = qf_country_sql(k);

		qb_sql(q, " AND %s", cs ? cs : "NULL");
		qb_in(q, &it);
	}
	if (k == Q_BIOBANKS && (filters_given(f) & F_SAMPLE_DIMS)) {
		/* a biobank holds what one of its collections holds */
		qb_sql(q, " AND EXISTS (SELECT 1 FROM collection c WHERE "
			  "c.owner = t.owner AND c.biobank = t.id");
		if (!qo->withdrawn)
			qb_hidden(q, Q_COLLECTIONS, "c");
		qb_dims(q, Q_COLLECTIONS, "c", qo);
		qb_sql(q, ")");
	} else {
		qb_dims(q, k, "t", qo);
	}
	if (f->service_type &&
	    !qb_split(q, "service-type", f->service_type, norm_field_vocab,
		      field_of("service", "service_types"), &it))
		qb_list_in(q, "t", "service_types", &it, 0);
	if (f->network &&
	    !qb_split(q, "network", f->network, NULL, NULL, &it)) {
		if (k != Q_COLLECTIONS) {
			qb_list_in(q, "t", "network", &it, 0);
		} else {
			/* its own networks or its biobank's */
			qb_sql(q, " AND (EXISTS (SELECT 1 FROM json_each("
				  "t.network) lj WHERE lj.value");
			qb_in(q, &it);
			qb_sql(q, ") OR EXISTS (SELECT 1 FROM biobank nb, "
				  "json_each(nb.network) lj WHERE nb.owner = "
				  "t.owner AND nb.id = t.biobank AND lj.value");
			qb_in(q, &it);
			qb_sql(q, "))");
		}
	}
	if (f->quality &&
	    !qb_split(q, "quality", f->quality, norm_field_vocab,
		      field_of("quality_info_biobank", "quality_standard"),
		      &it))
		qb_quality(q, k, &it);
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
