/* Unit tests of schema: table invariants and value checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

static void fields_sorted_and_unique(void **state)
{
	(void)state;
	assert_true(schema_ntables >= 9);
	for (size_t t = 0; t < schema_ntables; t++) {
		const struct sch_table *tb = &schema_tables[t];
		for (size_t i = 1; i < tb->nfields; i++) {
			/* canonical row encodings rely on this order */
			assert_true(strcmp(tb->fields[i - 1].name,
					   tb->fields[i].name) < 0);
		}
		for (size_t i = 0; i < tb->nfields; i++) {
			assert_string_not_equal(tb->fields[i].name, "id");
			assert_true(tb->fields[i].check != CHK_VOCAB ||
				    tb->fields[i].vocab != NULL);
		}
	}
}

static void table_lookup(void **state)
{
	(void)state;
	assert_string_equal(schema_table("collection", 10)->name, "collection");
	assert_string_equal(schema_table("collections", 11)->name,
			    "collection");
	assert_string_equal(schema_table("Biobanks", 8)->name, "biobank");
	assert_string_equal(schema_table("collection_facts", 16)->name,
			    "collection_fact");
	assert_null(schema_table("nothing", 7));
	assert_true(schema_table("sample", 6)->flags & SCH_T_LOCAL);
	assert_true(schema_table("institution", 11)->flags & SCH_T_COORDINATOR);
	const struct sch_table *s = schema_table("service", 7);
	int i = schema_field_index(s, "serviceTypes", 12);
	assert_true(i >= 0);
	assert_string_equal(s->fields[i].name, "service_types");
	assert_int_equal(schema_field_index(s, "nope", 4), -1);
}

static int disease(const char *s)
{
	return schema_is_disease_code(s, strlen(s));
}

static void disease_codes(void **state)
{
	(void)state;
	assert_true(disease("C50"));
	assert_true(disease("C50.9"));
	assert_true(disease("urn:miriam:icd:C50.9"));
	assert_true(disease("U07.1"));
	assert_true(disease("ORPHA:558"));
	assert_true(disease("ORPHA:100001"));
	assert_false(disease("C5"));
	assert_false(disease("c50"));
	assert_false(disease("C50."));
	assert_false(disease("C50.12345"));
	assert_false(disease("ORPHA:"));
	assert_false(disease("ORPHA:12a"));
	assert_false(disease("XYZ"));
	assert_false(disease(""));
}

static int check(const char *table, const char *field, const char *v,
		 char *msg)
{
	const struct sch_table *t = schema_table(table, strlen(table));
	int i = schema_field_index(t, field, strlen(field));
	assert_true(i >= 0);
	return schema_check_text(&t->fields[i], v, strlen(v), msg, 256);
}

static void value_checks(void **state)
{
	char msg[256];
	(void)state;
	assert_int_equal(check("collection", "materials", "SERUM", msg), 0);
	assert_int_not_equal(check("collection", "materials", "SERUMM", msg),
			     0);
	assert_string_equal(msg, "unknown material \"SERUMM\", did you mean SERUM?");
	assert_int_equal(check("collection_fact", "age_range", "40-49", msg), 0);
	assert_int_equal(check("collection_fact", "age_range", "90-", msg), 0);
	assert_int_not_equal(check("collection_fact", "age_range", "49-40", msg),
			     0);
	assert_int_equal(check("project", "start_date", "2024-02-29", msg), 0);
	assert_int_not_equal(check("project", "start_date", "2023-02-29", msg),
			     0);
	assert_int_not_equal(check("project", "end_date", "2023-13-01", msg), 0);
	assert_int_equal(check("biobank", "country", "ES", msg), 0);
	assert_int_not_equal(check("biobank", "country", "Spain", msg), 0);
	assert_int_equal(check("institution", "endpoint",
			       "tls+tcp://127.0.0.1:7400", msg),
			 0);
	assert_int_not_equal(check("institution", "endpoint",
				   "tcp://127.0.0.1:7400", msg),
			     0);
	assert_int_not_equal(check("institution", "endpoint", "tls+tcp://h:",
				   msg),
			     0);
	assert_int_not_equal(check("institution", "sign_key", "abc", msg), 0);
	assert_int_not_equal(check("biobank", "url", "ftp://x", msg), 0);
}

static void row_ids(void **state)
{
	(void)state;
	assert_true(schema_is_row_id("bbmri-eric:ID:ES_1", 18));
	assert_false(schema_is_row_id("", 0));
	assert_false(schema_is_row_id("a\nb", 3));
	char big[300];
	memset(big, 'a', sizeof(big));
	assert_false(schema_is_row_id(big, sizeof(big)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fields_sorted_and_unique),
		cmocka_unit_test(table_lookup),
		cmocka_unit_test(disease_codes),
		cmocka_unit_test(value_checks),
		cmocka_unit_test(row_ids),
	};
	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
