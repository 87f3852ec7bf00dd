/* Unit tests of the Prometheus text format (daemon/promtext.h): label
 * escaping (backslash, quote, line feed; control characters and broken
 * UTF-8 replaced), numbers as the format spells them, HELP escaping, and
 * the histogram's buckets (a value on a bound falls in that bucket; the
 * output is cumulative). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "../../daemon/promtext.h"

static const char *text(struct bf_buf *b)
{
	return bf_buf_cstr(b);
}

static void escapes_labels(void **state)
{
	struct bf_buf b;

	(void)state;
	bf_buf_init(&b, 0);
	assert_int_equal(prom_escape_label(&b, "a\\b\"c\nd"), 0);
	assert_string_equal(text(&b), "a\\\\b\\\"c\\nd");
	bf_buf_reset(&b);
	/* control characters and bytes that are not UTF-8 become '?';
	 * UTF-8 stays as it is */
	assert_int_equal(prom_escape_label(&b, "x\ty\rz\x01\x7f|\xc3\xa9|\xff\xc3|"),
			 0);
	assert_string_equal(text(&b), "x?y?z??|\xc3\xa9|??|");
	bf_buf_reset(&b);
	/* an overlong form and a lone continuation byte */
	assert_int_equal(prom_escape_label(&b, "\xc0\xaf\x80"), 0);
	assert_string_equal(text(&b), "???");
	bf_buf_free(&b);
}

static void samples(void **state)
{
	struct bf_buf b;
	const char *l[] = {"endpoint", "tls+tcp://h:1", "member", "a\"b", NULL};

	(void)state;
	bf_buf_init(&b, 0);
	assert_int_equal(prom_sample(&b, "m", NULL, 42), 0);
	assert_int_equal(prom_sample(&b, "m", l, 0.1), 0);
	assert_int_equal(prom_sample(&b, "m", NULL, 1.0 / 3.0), 0);
	assert_int_equal(prom_sample(&b, "m", NULL, INFINITY), 0);
	assert_int_equal(prom_sample(&b, "m", NULL, -INFINITY), 0);
	assert_int_equal(prom_sample(&b, "m", NULL, NAN), 0);
	assert_int_equal(prom_sample_u64(&b, "c_total", NULL, UINT64_MAX), 0);
	assert_string_equal(text(&b),
			    "m 42\n"
			    "m{endpoint=\"tls+tcp://h:1\",member=\"a\\\"b\"} 0.1\n"
			    "m 0.3333333333333333\n"
			    "m +Inf\n"
			    "m -Inf\n"
			    "m NaN\n"
			    "c_total 18446744073709551615\n");
	bf_buf_free(&b);
}

static void family_help(void **state)
{
	struct bf_buf b;

	(void)state;
	bf_buf_init(&b, 0);
	assert_int_equal(prom_family(&b, "x_total", "counter",
				     "a \\ and\na \"quote\""),
			 0);
	assert_string_equal(text(&b), "# HELP x_total a \\\\ and\\na \"quote\"\n"
				      "# TYPE x_total counter\n");
	bf_buf_free(&b);
}

static void histogram(void **state)
{
	static const double bounds[] = {0.001, 0.01, 0.1};
	struct prom_histogram h;
	struct bf_buf b;
	const char *l[] = {"k", "v", NULL};

	(void)state;
	assert_int_equal(prom_histogram_init(&h, (const double[]){1, 1}, 2),
			 BF_EINVAL);
	assert_int_equal(prom_histogram_init(&h, (const double[]){2, 1}, 2),
			 BF_EINVAL);
	assert_int_equal(prom_histogram_init(&h, bounds, 17), BF_EINVAL);
	assert_int_equal(prom_histogram_init(&h, bounds, 3), 0);
	prom_histogram_observe(&h, 0.0005);
	prom_histogram_observe(&h, 0.001); /* on the bound: le="0.001" */
	prom_histogram_observe(&h, 0.05);
	prom_histogram_observe(&h, 3);
	prom_histogram_observe(&h, NAN); /* not counted */
	assert_int_equal(h.total, 4);
	bf_buf_init(&b, 0);
	assert_int_equal(prom_histogram_write(&b, "lat_seconds", l, &h), 0);
	assert_string_equal(text(&b),
			    "lat_seconds_bucket{k=\"v\",le=\"0.001\"} 2\n"
			    "lat_seconds_bucket{k=\"v\",le=\"0.01\"} 2\n"
			    "lat_seconds_bucket{k=\"v\",le=\"0.1\"} 3\n"
			    "lat_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
			    "lat_seconds_sum{k=\"v\"} 3.0515\n"
			    "lat_seconds_count{k=\"v\"} 4\n");
	bf_buf_reset(&b);
	assert_int_equal(prom_histogram_write(&b, "n", NULL, &h), 0);
	assert_non_null(strstr(text(&b), "n_bucket{le=\"+Inf\"} 4\n"));
	bf_buf_free(&b);
}

/* A buffer at its cap: an append fails whole and leaves what was there. */
static void capped(void **state)
{
	struct bf_buf b;

	(void)state;
	bf_buf_init(&b, 24);
	assert_int_equal(prom_sample(&b, "a", NULL, 1), 0);
	assert_int_not_equal(prom_sample(&b, "a_long_name", (const char *[]){"k", "a long value", NULL}, 1), 0);
	assert_string_equal(text(&b), "a 1\n");
	bf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes_labels), cmocka_unit_test(samples),
		cmocka_unit_test(family_help),    cmocka_unit_test(histogram),
		cmocka_unit_test(capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
