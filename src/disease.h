/*
 * disease: what a researcher's `--disease` value means, as a set of the
 * Directory's DiseaseTypes terms (vocab.h), with their hierarchy.
 *
 * A value is one of:
 *   - a term: an ICD-10 code, block or chapter (`C50`, `C50.9`,
 *     `C50-C50`, `II`), "urn:miriam:icd:" and any case accepted, or an
 *     ORPHA code (`ORPHA:558`);
 *   - an ICD-10 range that is not a block of the ontology (`C00-D48`):
 *     every code whose category (the first three characters) lies in it;
 *   - a name (`breast cancer`): the terms (ICD-10 and ORPHA) whose label
 *     has every word of it, each word beginning a word of the label,
 *     case and accents aside.
 * A code-like value (ORPHA:..., a letter then a digit) that is no term
 * is refused, naming the nearest known codes; so is a name no label
 * has, and `*` (the Directory's "any disease" is no question to ask).
 *
 * Each term found brings its hierarchy:
 *   - an ICD-10 term: itself, every term below it in the ontology's tree,
 *     and the ORPHA terms the ontology maps to any of those, with the
 *     ORPHA terms below them.  The mapping's kind is not looked at: of
 *     the ontology's 7,242 ORPHA-to-ICD-10 mappings, 6,467 say the ORPHA
 *     term is narrower than the ICD-10 code and 568 that it is the same,
 *     so what lies below such an ORPHA term lies within the code too;
 *   - an ORPHA term: itself and every ORPHA term below it.  Its mappings
 *     to ICD-10 are not followed: for the same reason, nearly all of
 *     them lead to a broader category (a rare cancer of the breast maps
 *     to C50.0-C50.8), which would answer a question about one rare
 *     disease with every common one of that organ.  Ask for both
 *     (`--disease ORPHA:558,Q87.4`) to have both.
 */
#ifndef BIOFED_DISEASE_H
#define BIOFED_DISEASE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct disease_set {
	uint8_t *in;     /* per DiseaseTypes term: in the set */
	uint8_t *walked; /* per term: its subtree was added */
	size_t n;        /* terms in the set */
};

/* What one value resolved to before the hierarchy, for telling the user:
 * the first terms found (indices into vocab_DiseaseTypes, most general
 * first) and how many there were. */
#define DISEASE_SHOW 8
struct disease_found {
	int by_name; /* the value was a name, not a code */
	long shown[DISEASE_SHOW];
	size_t nshown, count;
};

/* An empty set (allocated: free it with disease_set_free). */
int disease_set_init(struct disease_set *s, struct bf_err *err);
void disease_set_free(struct disease_set *s);

/* Adds what value means (see above) to s; found (may be NULL) says what
 * it resolved to.  BF_EINVAL with a message for a value that means
 * nothing; s is unchanged then. */
int disease_add(struct disease_set *s, const char *value, size_t len,
		struct disease_found *found, struct bf_err *err);

/* The set as a JSON array of term names (`["C50", "C50.9"]`), appended
 * to b. */
int disease_set_json(const struct disease_set *s, struct bf_buf *b);

#endif
