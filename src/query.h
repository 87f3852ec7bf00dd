/*
 * query: a researcher's read-only questions to the local replica.
 *
 * Every query is SQL built here from a fixed skeleton per kind of record
 * plus one clause per filter; every value a user gives is bound as a
 * parameter, never pasted into the SQL.  Results go to an output
 * (output.h).  The connection may be read-only: nothing here writes.
 *
 * Rows carry their institution: `institution` is the owner (the roster
 * slug), `institution_name` its name in the roster.  Kinds: collections,
 * groups, services, biobanks, facts, projects, samples (this node's own),
 * networks, studies.  Filters (comma-separated values mean any of them;
 * every filter given must hold):
 *
 *   disease    codes, ICD-10 ranges or a name, with their hierarchy
 *              (disease.h): C50 matches C50, C50.9 and the ORPHA codes
 *              mapped to them (ORPHA:227535 ...); ORPHA:558 matches it
 *              and the ORPHA codes below it (not the ICD-10 codes it maps
 *              to); "breast cancer" the terms whose names have both
 *              words, and what lies below them (notes says which).
 *              Collections match on diagnosis_available, facts on
 *              disease, samples on diagnosis.
 *   material   materials / sample_type / material_type (vocabulary).
 *   sex        FEMALE, MALE, ... (vocabulary).
 *   age        "LO-HI", "LO-" or "-HI" in years (or "N").  Collections
 *              match when their age range (converted to years) overlaps;
 *              a collection with no age bounds does not match.  A fact
 *              matches when its age_range lies inside: a decade derived
 *              by biofed ("40-49", "90-": 40-59 takes 40-49 and 50-59;
 *              "60-69" is not counted for 40-60), or a Directory AgeRanges
 *              term whose bounds (vocab.h, from its label, in months)
 *              lie inside (Adult, 25-44 years, for 20-50 but not 30-50;
 *              Aged (>80 years) only for an open range from 80 or less).
 *              Terms without bounds (Unknown, Undefined, *) never match.
 *              Every counted sample is in the range asked.  Samples match
 *              on their age in whole years.
 *   country    the record's own country (Directory terms: ES, FR, UK,
 *              EU...): a biobank's; a collection's, or its biobank's when
 *              it gives none; a fact's or sample's, its collection's (as
 *              above); a service's, its biobank's.  Groups, projects,
 *              networks and studies have none: --country is an error.
 *   institution_country  the owning institution's country (ISO code, as
 *              the roster has it); region: part of its region's name.
 *   institution  a roster slug, or part of the institution's name or
 *              acronym; projects also match a slug in `institutions`.
 *   availability  available, reserved, exhausted: facts and samples by
 *              their own column; collections that have a fact with that
 *              availability and at least one sample.
 *   network    a network id: biobanks in it (their `network` list);
 *              collections in it or of a biobank in it.
 *   quality    a quality standard (QualityStandards): biobanks with a
 *              quality_info_biobank row of it; collections with a
 *              quality_info_collection row of it or of a biobank with
 *              one; services with a quality_info_service row.  Listed
 *              biobanks, collections and services show those standards
 *              in a `quality` column.
 *   service_type, area (part of a research group's area), programme
 *              (part of a project's programme), collection (an id, for
 *              facts and samples; for collections their own id),
 *              biobank (an id, for collections and services).
 *   Biobanks take the collection filters (disease, material, sex, age,
 *   availability): a biobank matches when one of its collections does.
 *
 * `*` ("any"): a collection whose materials, sex or diagnosis_available
 * list holds `*` matches every value of that filter.  A fact whose sex,
 * age_range, sample_type or disease is `*` is a total over that
 * dimension: it matches no value of a filter on it, and counts as an
 * empty dimension below.
 *
 * Withdrawn records are left out unless withdrawn is set: biobanks,
 * collections and networks marked withdrawn, collections of a withdrawn
 * biobank, and the facts and samples of such collections and the
 * services of such biobanks.
 *
 * A filter that does not apply to the kind of record asked is an error.
 *
 * --count-by institution|country|institution-country|material gives
 * totals per group (country: the record's own, as the filter): records
 * (collections, groups...), for facts the sum of number_of_samples and
 * the number of collections, for samples the samples and distinct
 * donors.  Facts are summed at one aggregation level per collection and
 * source.  The sources are the facts biofed derived from samples
 * ("derived:" ids) and those published by hand; both are summed, each
 * at its own level, so importing samples for a collection never hides
 * what was published for it by hand (publish --replace removes what
 * should go).  A hand-published row's level is the set of dimension
 * columns it fills (sex, age_range, sample_type, disease, availability;
 * empty or `*` fill none); only the rows of the finest level (most
 * columns filled) are summed, so a total row is never added to the
 * detail rows it sums up.  Derived facts are all detail rows, even where
 * a sample lacked a value.  Donor counts of facts are not summed: one
 * donor is in several rows.  Suppressed counts (samples.h) make totals
 * an upper bound.
 */
#ifndef BIOFED_QUERY_H
#define BIOFED_QUERY_H

#include <stdint.h>
#include <stdio.h>

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
	Q_NETWORKS,
	Q_STUDIES,
	Q_NKINDS
};

enum query_count_by {
	QC_NONE = 0,
	QC_INSTITUTION,
	QC_COUNTRY,             /* the record's own (see country) */
	QC_INSTITUTION_COUNTRY,
	QC_MATERIAL,
};

/* Filter values as the user typed them (NULL: not given). */
struct query_filter {
	const char *disease, *material, *sex, *age, *country, *region;
	const char *institution, *availability, *service_type, *area;
	const char *programme, *collection, *biobank;
	const char *institution_country, *network, *quality;
};

struct query_opts {
	enum query_kind kind;
	struct query_filter f;
	enum query_count_by count_by;
	int64_t limit;  /* 0: all */
	int withdrawn;  /* show withdrawn records too */
	FILE *notes;    /* what a disease name resolved to; NULL: quiet */
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


#endif
