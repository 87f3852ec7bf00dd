/*
 * vocab: the BBMRI-ERIC Directory's ontologies and data model, as data.
 *
 * The tables below are generated at build time from src/directory/
 * (the ontologies' CSV files and molgenis.csv, the Directory's own files; see the
 * README there for provenance) into build/gen/vocab_data.c: nothing is
 * parsed at start-up, a lookup is a binary search over constant arrays.
 *
 * Terms are what data holds (`DNA`, `Adult`, `sample-processing`,
 * `ORPHA:558`), with one canonical change: ICD-10 codes lose the
 * Directory's "urn:miriam:icd:" prefix (`C50.9`), as biofed has always
 * stored them.  Lookups ignore ASCII case; the term returned carries the
 * Directory's spelling.  `*` ("any") is a term where the ontology has it.
 */
#ifndef BIOFED_VOCAB_H
#define BIOFED_VOCAB_H

#include <stddef.h>
#include <stdint.h>

/* Age bounds of an AgeRanges term, in months, read from its label
 * ("Adult (25-44 years)"): hi is inclusive.  VOCAB_AGE_NONE: the term
 * has no range (Unknown, Undefined, *); hi VOCAB_AGE_OPEN: no upper
 * bound ("Aged (>80 years)"). */
#define VOCAB_AGE_NONE (-1)
#define VOCAB_AGE_OPEN (-2)

struct vocab_term {
	const char *name;  /* as data holds it (see above) */
	uint32_t len;      /* strlen(name) */
	const char *label; /* "" when the ontology gives none */
	/* index lists into vocab.links: parents, children, and (DiseaseTypes)
	 * the terms the ontology maps this one to, in either direction and
	 * of any kind (exact, broader, narrower) */
	uint32_t up, nup, down, ndown, map, nmap;
	int32_t age_lo, age_hi;
};

struct vocab {
	const char *name; /* the ontology's table: "MaterialTypes" */
	const struct vocab_term *terms; /* sorted: vocab_cmp order */
	size_t nterms;
	const uint32_t *links;
	/* open addressing over vocab_hash of the folded names: slot holds
	 * a term's index + 1, 0 is empty; hmask + 1 slots, a power of two */
	const uint32_t *slots;
	uint32_t hmask;
};

/* FNV-1a over s with ASCII case folded: the hash of the slots above. */
uint32_t vocab_hash(const char *s, size_t len);

/* The ontologies biofed's schema refers to (all of src/directory's are
 * generated; these are the ones code names). */
extern const struct vocab vocab_AccessTypes, vocab_AgeRanges,
	vocab_AgeUnits, vocab_AssessmentLevels, vocab_BodyParts,
	vocab_Categories, vocab_CollectionTypes, vocab_CommonNetworkElements,
	vocab_Countries, vocab_DataCategories, vocab_DataRefreshTypes,
	vocab_DataUseOntologies, vocab_DiseaseTypes, vocab_ImageDatasetTypes,
	vocab_ImagingModalities, vocab_Languages, vocab_MaterialTypes,
	vocab_QualityStandards, vocab_SOPs, vocab_SampleSizes,
	vocab_ServiceTypes, vocab_SexTypes, vocab_StorageTemperatureTypes,
	vocab_TRLs;

/* Every generated ontology, by name order. */
extern const struct vocab *const vocab_all[];
extern const size_t vocab_count;

/* The ontology called name ("MaterialTypes"), or NULL. */
const struct vocab *vocab_by_name(const char *name);

/* The order terms are sorted in: ASCII case folded, then bytes. */
int vocab_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* The index of the term s (case aside), or -1.  In DiseaseTypes an ICD-10
 * code may carry "urn:miriam:icd:" (any case). */
long vocab_find(const struct vocab *v, const char *s, size_t len);

/* The terms nearest to s by edit distance (case aside), best first,
 * ties in term order, none more than one edit further than the best and
 * none further than half of s: at most max indices into out; returns
 * how many. */
size_t vocab_nearest(const struct vocab *v, const char *s, size_t len,
		     long *out, size_t max);

/* Calls cb for term i and every term below it (children, theirs...),
 * each once; cb's non-zero return stops the walk and is returned.
 * seen must hold v->nterms bytes, zeroed (it marks what was visited). */
int vocab_walk_down(const struct vocab *v, long i, uint8_t *seen,
		    int (*cb)(void *ctx, long term), void *ctx);

/* Optimal string alignment distance (edits: insert, delete, substitute,
 * swap two neighbours) between a and b, ASCII case folded; values above
 * limit come back as limit + 1.  Used for "did you mean". */
size_t vocab_distance(const char *a, size_t alen, const char *b, size_t blen,
		      size_t limit);

/* ----------------------------------------------------------------------
 * The Directory's model (molgenis.csv): every column of every table, with
 * its type and, for coded columns, its ontology.  Headings and refbacks
 * (computed in the Directory, never exported as data) are left out. */

enum vocab_coltype {
	VC_STRING = 1, /* also text, email, hyperlink, datetime, auto_id */
	VC_INT,
	VC_DECIMAL,
	VC_BOOL,
	VC_DATE,
	VC_LIST,       /* string_array, hyperlink_array, ref_array */
	VC_REF,        /* a reference to a row of another table */
	VC_TERM,       /* ontology (and refs into DirectoryOntologies) */
	VC_TERMS,      /* ontology_array */
};

struct vocab_column {
	const char *name;
	enum vocab_coltype type;
	const struct vocab *onto; /* VC_TERM, VC_TERMS; else NULL */
	const char *ref;          /* VC_REF, VC_LIST of refs: the table */
};

struct vocab_table {
	const char *name; /* "Collections" */
	const struct vocab_column *cols;
	size_t ncols;
};

extern const struct vocab_table vocab_tables[];
extern const size_t vocab_ntables;

/* The model's table (case aside) or NULL; its column by exact name or
 * NULL. */
const struct vocab_table *vocab_table(const char *name);
const struct vocab_column *vocab_column(const struct vocab_table *t,
					const char *name, size_t len);

#endif
