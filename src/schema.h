/*
 * schema: the one description of biofed's data model.
 *
 * Every table the replica holds is an entry of schema_tables[]: its fields
 * (name, type, whether required, vocabulary or code syntax).  Everything else
 * is derived from it: the SQLite DDL (store), validation and conversion of
 * published files (publish), output of queries.  Field and vocabulary names
 * follow MIABIS / the BBMRI-ERIC Directory (lower snake_case as in its EMX2
 * CSV exports).
 *
 * Within a table the fields are listed in ascending byte order of their
 * names (a unit test asserts it), which is also the canonical order of
 * fields in a row encoding.  The row key is (owner, id) and is not a field.
 */
#ifndef BIOFED_SCHEMA_H
#define BIOFED_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/* Bumped when a table or field is added; stored in every change set.
 * 2: the Directory's tables and fields (networks, studies, quality
 * information, also-known-in, national nodes; withdrawn, access terms). */
#define SCHEMA_VERSION 2

/* The reserved origin that signs the roster, with the pinned key. */
#define SCHEMA_COORDINATOR "coordinator"

/* Ids that begin with this are facts derived from samples (samples.h).
 * A file cannot publish them, and its --replace leaves them alone; only
 * the derivation, which sets publish's id_prefix to it, writes and
 * deletes them.  Queries tell them from hand-published facts by it. */
#define SCHEMA_DERIVED_PREFIX "derived:"

enum sch_type {
	SCH_TEXT = 1,
	SCH_INT,
	SCH_REAL,
	SCH_BOOL,
	SCH_LIST, /* list of text */
};

enum sch_check {
	CHK_NONE = 0,
	CHK_VOCAB,   /* value (each item, for lists) a term of field->vocab */
	CHK_DISEASE, /* an ICD-10 or ORPHA term of the Directory's
		      * DiseaseTypes */
	CHK_SLUG,
	CHK_DATE,    /* YYYY-MM-DD */
	CHK_COUNTRY, /* ISO 3166-1 alpha-2, upper case */
	CHK_HEX32,   /* 32 bytes in hex (an Ed25519 public key) */
	CHK_URL,     /* http:// or https:// */
	CHK_ENDPOINT,/* tls+tcp://host:port */
	CHK_AGE_RANGE, /* "40-49", "90-" (derived decades) or a term of
			* field->vocab (the Directory's AgeRanges) */
};

#define SCH_REQUIRED 0x1u
#define SCH_FTS 0x2u /* indexed for full-text search */

struct vocab;

/* A field's vocabulary: a Directory ontology (vocab.h), or a list of
 * biofed's own terms (NULL-terminated) where the Directory has none. */
struct sch_vocab {
	const char *name;          /* "material", for messages */
	const struct vocab *onto;
	const char *const *terms;  /* when onto is NULL */
};

struct sch_field {
	const char *name;
	enum sch_type type;
	unsigned flags;
	enum sch_check check;
	const struct sch_vocab *vocab;
	const char *alias;   /* accepted on input, e.g. "serviceTypes"; or NULL */
	const char *ref;     /* the table whose row (same owner) the value
				names: publish checks that it exists */
	int64_t min, max;    /* for SCH_INT when min < max */
	/* The schema version that added the field (0: the first).  A change
	 * set of an older schema may hold it with another type (as its
	 * writer took an unknown column: text); such a value is kept among
	 * the row's unknown fields, not refused. */
	int since;
};

#define SCH_T_REPLICATED 0x1u  /* travels in change sets */
#define SCH_T_COORDINATOR 0x2u /* only the coordinator origin writes it */
#define SCH_T_LOCAL 0x4u       /* never leaves the node (samples) */
#define SCH_T_PUBLISH 0x8u     /* `biofed publish` accepts it */

struct sch_table {
	const char *name;
	const char *plural; /* file-name stem that maps to this table */
	const char *export; /* the Directory's table ("CollectionFacts"): its
			     * export's file name, and where vocab.h's model
			     * types the columns this schema does not list */
	unsigned flags;
	const struct sch_field *fields;
	size_t nfields;
};

extern const struct sch_table schema_tables[];
extern const size_t schema_ntables;

/* Looks a table up by name, plural or Directory name (case aside); NULL
 * when there is none. */
const struct sch_table *schema_table(const char *name, size_t len);

/* Index of the field called name (or by its alias) or -1. */
int schema_field_index(const struct sch_table *t, const char *name,
		       size_t len);

/* Checks one text value (a list's item) against field f's rule and gives
 * the form it is stored in: a term as the Directory spells it (the
 * input's case aside), an ICD-10 code without "urn:miriam:icd:".  *out
 * points into s or into the vocabularies' constant tables.  On failure
 * writes e.g. `unknown material "SERUMM", did you mean SERUM?` into msg.
 * flags: SCH_NO_TERMS makes no vocabulary or disease code lookup (terms
 * and codes pass as they are, ICD-10 codes lose the urn): for measuring
 * what the lookups cost. */
#define SCH_NO_TERMS 0x1u
/* SCH_NO_HINTS: an unknown term's message names no nearest terms (they
 * cost up to a few milliseconds each, in the disease codes: publish stops
 * looking for them after its first thousand errors). */
#define SCH_NO_HINTS 0x2u
int schema_value(const struct sch_field *f, const char *s, size_t len,
		 unsigned flags, const char **out, size_t *outlen, char *msg,
		 size_t msglen);
/* schema_value without the stored form. */
int schema_check_text(const struct sch_field *f, const char *s, size_t len,
		      char *msg, size_t msglen);

/* The syntax of an ICD-10 code "C50", "C50.9" (optionally
 * "urn:miriam:icd:" prefixed) or "ORPHA:1234".  Returns 1 when valid; the
 * ontology decides whether the code exists (schema_value). */
int schema_is_disease_code(const char *s, size_t len);

/* For a column name that is neither a field of t (nor an alias) nor a
 * column the Directory's model gives t: the known name it is most likely
 * a typo of (one edit away, two for names longer than 5 characters; case
 * does not count as an edit), or NULL. */
const char *schema_typo_of(const struct sch_table *t, const char *name,
			   size_t len);

/* Row ids: 1..256 bytes, printable UTF-8, no control characters. */
int schema_is_row_id(const char *s, size_t len);

extern const struct sch_vocab schema_vocab_material;
extern const struct sch_vocab schema_vocab_sex;
extern const struct sch_vocab schema_vocab_availability;

#endif
