/*
 * Unit tests of the pieces under the query commands that the black-box
 * tests reach only indirectly: disease codes and age ranges as filters
 * read them, the suppression rule, and the three output formats (CSV
 * quoting, JSON types and extra fields, table alignment and cuts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"
#include "query.h"
#include "samples.h"

static void disease_codes(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(query_disease_code("C50", 3, out, sizeof(out)), 0);
	assert_string_equal(out, "C50");
	assert_int_equal(query_disease_code("urn:miriam:icd:c50.9", 20, out,
					    sizeof(out)),
			 0);
	assert_string_equal(out, "C50.9");
	assert_int_equal(query_disease_code("orpha:558", 9, out, sizeof(out)),
			 0);
	assert_string_equal(out, "ORPHA:558");
	assert_int_equal(query_disease_code("C5", 2, out, sizeof(out)),
			 BF_EINVAL);
	assert_int_equal(query_disease_code("C500", 4, out, sizeof(out)),
			 BF_EINVAL);
	assert_int_equal(query_disease_code("ORPHA:", 6, out, sizeof(out)),
			 BF_EINVAL);
	assert_int_equal(query_disease_code("C50.9", 5, out, 5), BF_EINVAL);
}

static void age_ranges(void **state)
{
	int64_t lo, hi;

	(void)state;
	assert_int_equal(query_age_range("40-60", &lo, &hi), 0);
	assert_true(lo == 40 && hi == 60);
	assert_int_equal(query_age_range("90-", &lo, &hi), 0);
	assert_true(lo == 90 && hi == -1);
	assert_int_equal(query_age_range("-17", &lo, &hi), 0);
	assert_true(lo == 0 && hi == 17);
	assert_int_equal(query_age_range("45", &lo, &hi), 0);
	assert_true(lo == 45 && hi == 45);
	assert_int_equal(query_age_range("60-40", &lo, &hi), BF_EINVAL);
	assert_int_equal(query_age_range("-", &lo, &hi), BF_EINVAL);
	assert_int_equal(query_age_range("4a-50", &lo, &hi), BF_EINVAL);
	assert_int_equal(query_age_range("1000-", &lo, &hi), BF_EINVAL);
	assert_int_equal(query_age_range("201", &lo, &hi), BF_EINVAL);
}

static void suppression(void **state)
{
	(void)state;
	/* round (the default): 1..9 shown as 10, 0 stays 0 */
	assert_int_equal(samples_suppress(0, 10, "round"), 0);
	assert_int_equal(samples_suppress(1, 10, "round"), 10);
	assert_int_equal(samples_suppress(9, 10, "round"), 10);
	assert_int_equal(samples_suppress(10, 10, "round"), 10);
	assert_int_equal(samples_suppress(11, 10, "round"), 11);
	/* hide: the row goes */
	assert_int_equal(samples_suppress(3, 10, "hide"), -1);
	assert_int_equal(samples_suppress(0, 10, "hide"), 0);
	assert_int_equal(samples_suppress(12, 10, "hide"), 12);
	/* off */
	assert_int_equal(samples_suppress(1, 0, "round"), 1);
	assert_int_equal(samples_suppress(1, 1, "hide"), 1);
}

/* Renders two rows in fmt into a string (malloc'd). */
static char *render(enum out_format fmt)
{
	static const char list[] = "[\"DNA\",\"SERUM\"]";
	static const char extra[] = "{\"future\":1,\"name\":\"not me\"}";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o;
	struct bf_err err;

	assert_non_null(f);
	assert_int_equal(out_new(f, fmt, &o), 0);
	assert_int_equal(out_col(o, "name", 0), 0);
	assert_int_equal(out_col(o, "materials", 0), 0);
	assert_int_equal(out_col(o, "size", OUT_NUM), 0);
	assert_int_equal(out_col(o, "description", OUT_WIDE), 0);
	assert_int_equal(out_row(o), 0);
	assert_int_equal(out_text(o, "Breast, \"main\"", 14), 0);
	assert_int_equal(out_list(o, list, strlen(list)), 0);
	assert_int_equal(out_int(o, 3800), 0);
	assert_int_equal(out_text(o, "two\nlines", 9), 0);
	assert_int_equal(out_extra(o, extra, strlen(extra)), 0);
	assert_int_equal(out_row(o), 0);
	assert_int_equal(out_text(o, "Tumour bank of the university hospital "
				     "of Navarre, Pamplona",
				  59),
			 0);
	assert_int_equal(out_null(o), 0);
	assert_int_equal(out_real(o, 18.6), 0);
	assert_int_equal(out_null(o), 0);
	assert_int_equal(out_end(o, &err), 0);
	fclose(f);
	return buf;
}

static void formats(void **state)
{
	char *s;

	(void)state;
	s = render(OUT_CSV);
	assert_string_equal(s, "name,materials,size,description\n"
			       "\"Breast, \"\"main\"\"\",\"DNA,SERUM\",3800,"
			       "\"two\nlines\"\n"
			       "\"Tumour bank of the university hospital of "
			       "Navarre, Pamplona\",,18.6,\n");
	free(s);
	s = render(OUT_JSON);
	assert_string_equal(
		s, "[\n{\"name\": \"Breast, \\\"main\\\"\", \"materials\": "
		   "[\"DNA\", \"SERUM\"], \"size\": 3800, \"description\": "
		   "\"two\\nlines\", \"future\": 1},\n"
		   "{\"name\": \"Tumour bank of the university hospital of "
		   "Navarre, Pamplona\", \"size\": 18.6}\n]\n");
	free(s);
	s = render(OUT_TABLE);
	/* cells cut at 48 characters, columns two spaces apart, the wide
	 * description left out, numbers right-aligned */
	assert_string_equal(s, "name                                              materials  size\n"
			       "Breast, \"main\"                                    DNA,SERUM  3800\n"
			       "Tumour bank of the university hospital of Nav...             18.6\n"
			       "(2 rows)\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disease_codes),
		cmocka_unit_test(age_ranges),
		cmocka_unit_test(suppression),
		cmocka_unit_test(formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
