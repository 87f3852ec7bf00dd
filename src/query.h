/*
 * query: a researcher's read-only questions to the local replica.
 *
 * Every query is SQL built here from a fixed skeleton per kind of record
 * plus one clause per filter; every value a user gives is bound as a
 * parameter, never pasted into the SQL.  Results go to an output
 * (output.h).  The connection may be read-only: nothing here writes.
 *
 * Rows carry their institution: `institution` is the owner (the roster
 * slug), `institution_name` its name in the roster.  Country and region
 * filters are the institution's.  Filters (comma-separated values mean
 * any of them; every filter given must hold):
 *
 *   disease    ICD-10 or ORPHA code, "urn:miriam:icd:" accepted.  A code
 *              without a dot matches itself and its children: C50
 *              matches C50 and C50.9, not C500.  A code with a dot
 *              matches itself and longer codes: C50.1 matches C50.12.
 *              ORPHA codes match exactly.
 *   material   materials / sample_type / material_type (vocabulary).
 *   sex        FEMALE, MALE, ... (vocabulary).
 *   age        "LO-HI", "LO-" or "-HI" in years (or "N").  Collections
 *              match when their age range (converted to years) overlaps;
 *              a collection with no age bounds does not match.  Facts
 *              match when their age_range lies inside (so 40-59 takes the
 *              decades 40-49 and 50-59, and a fact "60-69" is not counted
 *              for 40-60: every counted sample is in the range asked).
 *              Samples match on their age in whole years.
 *   country    ISO codes; region: part of the region's name.
 *   institution  a roster slug, or part of the institution's name or
 *              acronym; projects also match a slug in `institutions`.
 *   availability  available, reserved, exhausted: facts and samples by
 *              their own column; collections that have a fact with that
 *              availability and at least one sample.
 *   service_type, area (part of a research group's area), programme
 *              (part of a project's programme), collection (an id, for
 *              facts and samples; for collections their own id),
 *              biobank (an id, for collections).
 *   Biobanks take the collection filters (disease, material, sex, age,
 *   availability): a biobank matches when one of its collections does.
 *
 * A filter that does not apply to the kind of record asked is an error.
 *
 * --count-by institution|country|material gives totals per group:
 * records (collections, groups...), for facts the sum of
 * number_of_samples and the number of collections, for samples the
 * samples and distinct donors.  Facts are counted at one aggregation
 * level per collection: a fact row's level is the set of dimension
 * columns it fills (sex, age_range, sample_type, disease, availability);
 * only the rows of a collection's finest level (most columns filled) are
 * summed, so a total row (dimensions empty) is never added to the detail
 * rows it sums up.  Derived facts ("derived:" ids) are detail rows even
 * where a sample lacked a value.  Donor counts of facts are not summed:
 * one donor is in several rows.  Suppressed counts (samples.h) make
 * totals an upper bound.
 */
#ifndef BIOFED_QUERY_H
#define BIOFED_QUERY_H

#include <stdint.h>

#include "output.h"
#include "util.h"

struct sqlite3;

enum query_kind {
	Q_COLLECTIONS = 0,
	Q_GROUPS,
	Q_SERVICES,
	Q_BIOBANKS,
	Q_FACTS,
	Q_PROJECTS,
	Q_SAMPLES, /* this node's own samples (local only) */
	Q_NKINDS
};

enum query_count_by {
	QC_NONE = 0,
	QC_INSTITUTION,
	QC_COUNTRY,
	QC_MATERIAL,
};

/* Filter values as the user typed them (NULL: not given). */
struct query_filter {
	const char *disease, *material, *sex, *age, *country, *region;
	const char *institution, *availability, *service_type, *area;
	const char *programme, *collection, *biobank;
};

struct query_opts {
	enum query_kind kind;
	struct query_filter f;
	enum query_count_by count_by;
	int64_t limit; /* 0: all */
};

/* "collections", "groups", ... (see query_kind_names) or BF_EINVAL. */
int query_kind_parse(const char *s, enum query_kind *k);
extern const char *const query_kind_names[Q_NKINDS];
/* The schema table a kind lists ("groups" -> "research_group"). */
const char *query_kind_table(enum query_kind k);
int query_count_by_parse(const char *s, enum query_count_by *c);

/* Runs the query; declares the output's columns and writes its rows.
 * BF_EINVAL with a message for a bad filter value or one that does not
 * apply. */
int query_run(struct sqlite3 *db, const struct query_opts *q, struct out *o,
	      struct bf_err *err);

/* A disease code as queries compare it: "urn:miriam:icd:" removed, the
 * ICD letter and "ORPHA" upper-cased.  BF_EINVAL if it is not a code. */
int query_disease_code(const char *in, size_t len, char *out, size_t outlen);

/* "40-60", "40-", "-17", "45": lo..hi in years; *hi is -1 when open. */
int query_age_range(const char *s, int64_t *lo, int64_t *hi);

#endif
