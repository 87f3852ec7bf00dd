/* Unit tests of vocab (the Directory's ontologies and model as generated
 * tables) and of the checks schema builds on them: lookups in any case,
 * the ICD-10 urn, nearest terms, the disease tree and its mappings, age
 * bounds from labels, the model's column types, and "did you mean" for
 * header names that no Directory export holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"
#include "vocab.h"

static long find(const struct vocab *v, const char *s)
{
	return vocab_find(v, s, strlen(s));
}

static void lookups(void **state)
{
	long i;

	(void)state;
	i = find(&vocab_MaterialTypes, "tissue_frozen");
	assert_true(i >= 0);
	assert_string_equal(vocab_MaterialTypes.terms[i].name, "TISSUE_FROZEN");
	assert_true(find(&vocab_ServiceTypes, "Microbiome-Analysis") >= 0);
	assert_true(find(&vocab_AgeRanges, "*") >= 0);
	assert_true(find(&vocab_DataCategories, "*") < 0);
	assert_true(find(&vocab_SexTypes, "NASK") >= 0);
	assert_true(find(&vocab_SexTypes, "NEUTERED_MALE") >= 0);
	assert_true(find(&vocab_MaterialTypes, "SERUMM") < 0);
	assert_true(find(&vocab_MaterialTypes, "") < 0);
	/* ICD-10 codes are held without the urn, found with it */
	i = find(&vocab_DiseaseTypes, "urn:miriam:icd:C50.9");
	assert_true(i >= 0);
	assert_string_equal(vocab_DiseaseTypes.terms[i].name, "C50.9");
	assert_int_equal(find(&vocab_DiseaseTypes, "c50.9"), i);
	assert_int_equal(find(&vocab_DiseaseTypes, "URN:MIRIAM:ICD:c50.9"), i);
	assert_true(find(&vocab_DiseaseTypes, "ORPHA:558") >= 0);
	assert_true(find(&vocab_DiseaseTypes, "C99.9") < 0);
	assert_true(find(&vocab_DiseaseTypes, "C9O.0") < 0);
	assert_ptr_equal(vocab_by_name("TRLs"), &vocab_TRLs);
	assert_null(vocab_by_name("NoSuchOntology"));
}

/* The generated tables are sorted as vocab_cmp says and every term is
 * found again by the hash. */
static void tables_consistent(void **state)
{
	(void)state;
	assert_true(vocab_count >= 24);
	for (size_t k = 0; k < vocab_count; k++) {
		const struct vocab *v = vocab_all[k];
		for (size_t i = 0; i < v->nterms; i++) {
			const struct vocab_term *t = &v->terms[i];
			assert_int_equal(t->len, strlen(t->name));
			assert_int_equal(vocab_find(v, t->name, t->len), (long)i);
			if (i)
				assert_true(vocab_cmp(v->terms[i - 1].name,
						      v->terms[i - 1].len,
						      t->name, t->len) < 0);
		}
	}
}

static void nearest(void **state)
{
	long out[3];
	size_t n;

	(void)state;
	n = vocab_nearest(&vocab_MaterialTypes, "SERUMM", 6, out, 3);
	assert_int_equal(n, 1);
	assert_string_equal(vocab_MaterialTypes.terms[out[0]].name, "SERUM");
	n = vocab_nearest(&vocab_DiseaseTypes, "C9O.0", 5, out, 3);
	assert_true(n >= 1);
	assert_string_equal(vocab_DiseaseTypes.terms[out[0]].name, "C90.0");
	assert_int_equal(vocab_distance("materails", 9, "materials", 9, 2), 1);
	assert_int_equal(vocab_distance("Materials", 9, "materials", 9, 2), 0);
	assert_int_equal(vocab_distance("sex", 3, "size", 4, 5), 3);
	assert_int_equal(vocab_distance("abc", 3, "xyzxyz", 6, 2), 3);
}

struct collect {
	const struct vocab *v;
	int c50, c50_9, orpha_any, other_icd;
	size_t n;
};

static int collect_cb(void *ctx, long term)
{
	struct collect *c = ctx;
	const char *nm = c->v->terms[term].name;

	c->n++;
	c->c50 += !strcmp(nm, "C50");
	c->c50_9 += !strcmp(nm, "C50.9");
	c->other_icd += nm[0] == 'C' && strncmp(nm, "C50", 3) != 0;
	return 0;
}

static void disease_tree(void **state)
{
	const struct vocab *v = &vocab_DiseaseTypes;
	uint8_t *seen = calloc(v->nterms, 1);
	struct collect c = {.v = v};
	long i = find(v, "C50"), hbc = find(v, "ORPHA:227535");
	int mapped = 0;

	(void)state;
	assert_non_null(seen);
	assert_true(i >= 0 && hbc >= 0);
	assert_int_equal(vocab_walk_down(v, i, seen, collect_cb, &c), 0);
	assert_int_equal(c.c50, 1);
	assert_int_equal(c.c50_9, 1);
	assert_int_equal(c.other_icd, 0);
	assert_true(c.n >= 9); /* C50 and C50.0 ... C50.9 but one */
	/* Hereditary breast cancer maps to C50.x, and the link is kept on
	 * both sides */
	for (uint32_t k = 0; k < v->terms[hbc].nmap; k++)
		mapped += !strncmp(v->terms[v->links[v->terms[hbc].map + k]].name,
				   "C50.", 4);
	assert_true(mapped >= 8);
	free(seen);
}

static void age_bounds(void **state)
{
	const struct vocab *v = &vocab_AgeRanges;
	const struct vocab_term *t;

	(void)state;
	t = &v->terms[find(v, "Adult")];
	assert_int_equal(t->age_lo, 25 * 12);
	assert_int_equal(t->age_hi, 44 * 12 + 11);
	t = &v->terms[find(v, "Infant")];
	assert_int_equal(t->age_lo, 2);
	assert_int_equal(t->age_hi, 23);
	t = &v->terms[find(v, "Aged (>80 years)")];
	assert_int_equal(t->age_lo, 80 * 12);
	assert_int_equal(t->age_hi, VOCAB_AGE_OPEN);
	t = &v->terms[find(v, "Unknown")];
	assert_int_equal(t->age_lo, VOCAB_AGE_NONE);
}

static void model(void **state)
{
	const struct vocab_table *t = vocab_table("collections");
	const struct vocab_column *c;

	(void)state;
	assert_non_null(t);
	c = vocab_column(t, "body_part_examined", 18);
	assert_non_null(c);
	assert_int_equal(c->type, VC_TERMS);
	assert_ptr_equal(c->onto, &vocab_BodyParts);
	c = vocab_column(t, "withdrawn", 9);
	assert_int_equal(c->type, VC_BOOL);
	c = vocab_column(vocab_table("CollectionFacts"), "disease", 7);
	assert_int_equal(c->type, VC_TERM);
	assert_ptr_equal(c->onto, &vocab_DiseaseTypes);
	assert_null(vocab_column(t, "facts", 5)); /* a refback: no data */
	assert_null(vocab_column(t, "descriptives", 12)); /* a heading */
}

/* "Did you mean": one edit away (two for longer names), case aside;
 * far names are extra fields, not typos. */
static void typos(void **state)
{
	(void)state;
	const struct sch_table *c = schema_table("collection", 10);
	assert_string_equal(schema_typo_of(c, "materails", 9), "materials");
	assert_string_equal(schema_typo_of(c, "Materials", 9), "materials");
	assert_string_equal(schema_typo_of(c, "diagnosis_availabel", 19),
			    "diagnosis_available");
	assert_null(schema_typo_of(c, "future_field", 12));
	assert_null(schema_typo_of(c, "lab_notes", 9));
	assert_string_equal(schema_typo_of(schema_table("service", 7),
					   "servicetypes", 12),
			    "serviceTypes");
}

/* Unknown terms name their nearest ones, unless told not to look. */
static void hints(void **state)
{
	const struct sch_table *c = schema_table("collection", 10);
	const struct sch_field *m =
		&c->fields[schema_field_index(c, "materials", 9)];
	const struct sch_field *d =
		&c->fields[schema_field_index(c, "diagnosis_available", 19)];
	const char *out;
	size_t n;
	char msg[256];

	(void)state;
	assert_int_equal(schema_value(m, "serum", 5, 0, &out, &n, msg,
				      sizeof(msg)),
			 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "SERUM", 5);
	assert_int_not_equal(schema_value(m, "SERUMM", 6, 0, &out, &n, msg,
					  sizeof(msg)),
			     0);
	assert_non_null(strstr(msg, "did you mean SERUM?"));
	assert_int_not_equal(schema_value(m, "SERUMM", 6, SCH_NO_HINTS, &out,
					  &n, msg, sizeof(msg)),
			     0);
	assert_string_equal(msg, "unknown material \"SERUMM\"");
	assert_int_not_equal(schema_value(d, "C99.9", 5, SCH_NO_HINTS, &out,
					  &n, msg, sizeof(msg)),
			     0);
	assert_string_equal(msg, "unknown ICD-10 code \"C99.9\"");
	/* the lookups off: the code passes, without its urn */
	assert_int_equal(schema_value(d, "urn:miriam:icd:C99.9", 20,
				      SCH_NO_TERMS, &out, &n, msg, sizeof(msg)),
			 0);
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups),   cmocka_unit_test(tables_consistent),
		cmocka_unit_test(nearest),   cmocka_unit_test(disease_tree),
		cmocka_unit_test(age_bounds), cmocka_unit_test(model),
		cmocka_unit_test(typos),     cmocka_unit_test(hints),
	};
	return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
