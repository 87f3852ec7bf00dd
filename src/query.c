/*
 * query: the kinds of record a researcher asks for (query.h), listed or
 * counted: which table, columns and filters each has, the SQL skeleton
 * of a listing and of --count-by, and the finest-level rule of facts.
 * The filters' clauses are qfilter.c's; the full-text search is
 * qsearch.c's, the SQL console qsql.c's.
 */
#include "query.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "changeset.h" /* CS_MAX_FIELDS */
#include "qbuild.h"
#include "qfilter.h"
#include "schema.h"

/* ---------------------------------------------------------------------- */
/* What each kind of record is, and which filters it takes                 */

struct kind {
	const char *table;
	const char *noun;         /* the count column of --count-by */
	const char *const *shown; /* fields in the table format, in order */
	unsigned filters;
	int id_wide;              /* the id is left out of the table */
	int by_material;          /* --count-by material applies */
	const char *quality;      /* quality_info_* table shown and filtered */
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
static const char *const shown_network[] = {"name", "acronym", "location",
					    NULL};
static const char *const shown_study[] = {"title", "type",
					  "number_of_subjects", NULL};

static const struct kind kinds[Q_NKINDS] = {
	[Q_COLLECTIONS] = {.table = "collection", .noun = "collections",
			   .shown = shown_collection,
			   .filters = F_SAMPLE_DIMS | F_COLLECTION | F_BIOBANK |
				      F_COUNTRY | F_NETWORK | F_QUALITY,
			   .by_material = 1,
			   .quality = "quality_info_collection"},
	[Q_GROUPS] = {.table = "research_group", .noun = "groups",
		      .shown = shown_group, .filters = F_AREA},
	[Q_SERVICES] = {.table = "service", .noun = "services",
			.shown = shown_service,
			.filters = F_SERVICE | F_BIOBANK | F_COUNTRY |
				   F_QUALITY,
			.quality = "quality_info_service"},
	[Q_BIOBANKS] = {.table = "biobank", .noun = "biobanks",
			.shown = shown_biobank,
			.filters = F_SAMPLE_DIMS | F_COUNTRY | F_NETWORK |
				   F_QUALITY,
			.quality = "quality_info_biobank"},
	[Q_FACTS] = {.table = "collection_fact", .noun = "samples",
		     .shown = shown_fact,
		     .filters = F_SAMPLE_DIMS | F_COLLECTION | F_COUNTRY,
		     .id_wide = 1, .by_material = 1},
	[Q_PROJECTS] = {.table = "project", .noun = "projects",
			.shown = shown_project, .filters = F_PROGRAMME},
	[Q_SAMPLES] = {.table = "sample", .noun = "samples",
		       .shown = shown_sample,
		       .filters = F_SAMPLE_DIMS | F_COLLECTION | F_COUNTRY,
		       .by_material = 1},
	[Q_NETWORKS] = {.table = "network", .noun = "networks",
			.shown = shown_network},
	[Q_STUDIES] = {.table = "study", .noun = "studies",
		       .shown = shown_study},
};

const char *const query_kind_names[Q_NKINDS] = {
	"collections", "groups",  "services", "biobanks", "facts",
	"projects",    "samples", "networks", "studies",
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
	else if (!strcmp(s, "institution-country"))
		*c = QC_INSTITUTION_COUNTRY;
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
/* Listing and counting                                                     */

#define JOIN_INSTITUTION                                                      \
	" LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR          \
	"' AND i.id = t.owner"
#define JOIN_INSTITUTION_G                                                    \
	" LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR          \
	"' AND i.id = g.owner"

/* Facts at the finest aggregation level of their collection and source
 * (query.h).  The two sources, derived ("derived:" ids) and published by
 * hand, are summed each at its own level: derived facts never hide hand
 * ones (nor the other way), so a filter that only hand-published rows
 * meet still finds them.  A hand row's level key is the number of
 * dimension columns it fills (`*`, "any", fills none) times 32 plus
 * which ones, so that the most filled level wins and ties break the same
 * way everywhere; derived facts are all detail rows (191, the top).  A
 * row counts when no row of its collection and source has a higher key:
 * rows at the top need no look, so the subquery runs only for the rare
 * coarser hand rows. */
#define FILLED(c) "(coalesce(" c ", '*') <> '*')"
#define IS_DERIVED(a)                                                          \
	"(substr(" a ".id, 1, length('" SCHEMA_DERIVED_PREFIX                  \
	"')) = '" SCHEMA_DERIVED_PREFIX "')"
#define FACT_LEVEL(a)                                                         \
	"(CASE WHEN " IS_DERIVED(a) " THEN 191 ELSE (" FILLED(a ".sex")       \
	" + " FILLED(a ".age_range") " + " FILLED(a ".sample_type") " + "     \
	FILLED(a ".disease") " + " FILLED(a ".availability") ") * 32 + "      \
	FILLED(a ".sex") " + " FILLED(a ".age_range") " * 2 + "               \
	FILLED(a ".sample_type") " * 4 + " FILLED(a ".disease") " * 8 + "     \
	FILLED(a ".availability") " * 16 END)"

static const char fact_finest[] =
	" AND (" FACT_LEVEL("t") " = 191 OR NOT EXISTS (SELECT 1 FROM "
	"collection_fact x WHERE x.owner = t.owner AND x.collection = "
	"t.collection AND NOT " IS_DERIVED("x") " AND " FACT_LEVEL("x")
	" > " FACT_LEVEL("t") "))";

static int in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

/* The quality standards of a biobank, collection (its own and its
 * biobank's) or service, as a JSON array or NULL. */
static void qb_quality_col(struct qb *q, enum query_kind k)
{
	switch (k) {
	case Q_BIOBANKS:
		qb_sql(q, ", (SELECT json_group_array(s) FROM (SELECT DISTINCT "
			  "qb.quality_standard AS s FROM quality_info_biobank "
			  "qb WHERE qb.owner = t.owner AND qb.biobank = t.id "
			  "ORDER BY 1) HAVING count(*) > 0)");
		break;
	case Q_COLLECTIONS:
		qb_sql(q, ", (SELECT json_group_array(s) FROM (SELECT "
			  "qc.quality_standard AS s FROM quality_info_collection "
			  "qc WHERE qc.owner = t.owner AND qc.collection = t.id "
			  "UNION SELECT qb.quality_standard FROM "
			  "quality_info_biobank qb WHERE qb.owner = t.owner AND "
			  "qb.biobank = t.biobank ORDER BY 1) HAVING count(*) > "
			  "0)");
		break;
	default:
		qb_sql(q, ", (SELECT json_group_array(s) FROM (SELECT DISTINCT "
			  "qs.quality_standard AS s FROM quality_info_service "
			  "qs WHERE qs.owner = t.owner AND qs.service = t.id "
			  "ORDER BY 1) HAVING count(*) > 0)");
		break;
	}
}

/* Columns, in output order: id, the shown fields, the other fields,
 * quality (biobanks, collections, services), institution,
 * institution_name.  order[] gives schema field indexes. */
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
	if (k->quality) {
		rc = rc ? rc : out_col(o, "quality", OUT_WIDE);
		qb_quality_col(&q, qo->kind);
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
	qf_where(&q, qo, k->filters);
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
		if (k->quality)
			e = e ? e : qb_emit(o, st, col++, SCH_LIST);
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

/* The group key of --count-by country or material per row (NULL for
 * the institution's keys, looked up per group). */
static const char *count_key(const struct query_opts *qo)
{
	if (qo->count_by == QC_COUNTRY)
		return qf_country_sql(qo->kind);
	if (qo->count_by != QC_MATERIAL)
		return "NULL";
	switch (qo->kind) {
	case Q_COLLECTIONS: return "mat.value";
	/* "*" is a total over materials, no material of its own */
	case Q_FACTS: return "nullif(t.sample_type, '*')";
	default: return "t.material_type";
	}
}

/* Totals per group: the rows are counted per owner (and key) first,
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
	if (qo->count_by == QC_COUNTRY && !qf_country_sql(qo->kind)) {
		rc = bf_errf(err, BF_EINVAL,
			     "--count-by country does not apply to %s (they "
			     "have no country of their own: "
			     "institution-country)",
			     query_kind_names[qo->kind]);
		goto out;
	}
	switch (qo->count_by) {
	case QC_INSTITUTION:
		rc = out_col(o, "institution", 0);
		rc = rc ? rc : out_col(o, "institution_name", 0);
		qb_sql(&q, "SELECT g.owner, i.name");
		nkey = 2;
		break;
	case QC_INSTITUTION_COUNTRY:
		rc = out_col(o, "institution_country", 0);
		qb_sql(&q, "SELECT i.country");
		nkey = 1;
		break;
	default:
		rc = out_col(o, qo->count_by == QC_COUNTRY ? "country"
							   : "material",
			     0);
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
	       ncount == 2 ? ", sum(g.c2)" : "", count_key(qo));
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
	qf_where(&q, qo, k->filters);
	qb_sql(&q, " GROUP BY t.owner, 2) g" JOIN_INSTITUTION_G
		   " GROUP BY %s ORDER BY %d DESC, 1",
	       qo->count_by == QC_INSTITUTION		? "g.owner"
	       : qo->count_by == QC_INSTITUTION_COUNTRY ? "i.country"
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

/* Whether the replica holds no withdrawn record at all: then leaving them
 * out costs a look-up per row for nothing (the partial indexes of
 * storeschema.c answer this without a scan). */
static int none_withdrawn(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int none = 0;

	if (sqlite3_prepare_v2(db,
			       "SELECT NOT (EXISTS (SELECT 1 FROM biobank WHERE "
			       "withdrawn IS 1) OR EXISTS (SELECT 1 FROM "
			       "collection WHERE withdrawn IS 1) OR EXISTS "
			       "(SELECT 1 FROM network WHERE withdrawn IS 1))",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		none = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return none;
}

int query_run(sqlite3 *db, const struct query_opts *q, struct out *o,
	      struct bf_err *err)
{
	struct query_opts qc;

	if ((unsigned)q->kind >= Q_NKINDS || !table_of(&kinds[q->kind]))
		return bf_errf(err, BF_EINVAL, "query: no such kind");
	if (!q->withdrawn && none_withdrawn(db)) {
		/* the same rows, without the look-ups */
		qc = *q;
		qc.withdrawn = 1;
		q = &qc;
	}
	/* distinct counts and sorts of a million samples: in memory they
	 * take half the time of temporary files */
	sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	return q->count_by == QC_NONE ? list_run(db, q, o, err)
				      : count_run(db, q, o, err);
}
