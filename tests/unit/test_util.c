/* Unit tests of util's growable array (bf_grow) and sorted-array search
 * (bf_bsearch): growth and its limits, found and insertion points, equal
 * elements, the empty array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void grow_doubles_from_first(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(bf_grow(&v, &cap, 1, sizeof(*v), 16), BF_OK);
	assert_non_null(v);
	assert_int_equal(cap, 16);
	v[15] = 7;
	assert_int_equal(bf_grow(&v, &cap, 16, sizeof(*v), 16), BF_OK);
	assert_int_equal(cap, 16); /* room enough: unchanged */
	assert_int_equal(bf_grow(&v, &cap, 17, sizeof(*v), 16), BF_OK);
	assert_int_equal(cap, 32);
	assert_int_equal(v[15], 7); /* contents kept */
	assert_int_equal(bf_grow(&v, &cap, 100, sizeof(*v), 16), BF_OK);
	assert_int_equal(cap, 128);
	free(v);
}

static void grow_refuses_overflow(void **state)
{
	char *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(bf_grow(&v, &cap, 4, 1, 0), BF_OK);
	assert_int_equal(cap, 4); /* first 0: from 1 */
	assert_int_equal(bf_grow(&v, &cap, SIZE_MAX, 1, 0), BF_ETOOBIG);
	assert_int_equal(bf_grow(&v, &cap, SIZE_MAX / 4 + 1, 8, 0), BF_ETOOBIG);
	assert_int_equal(cap, 4); /* unchanged on failure */
	assert_non_null(v);
	free(v);
}

static int cmp_int(const void *ctx, size_t i, const void *key)
{
	int a = ((const int *)ctx)[i], b = *(const int *)key;

	return (a > b) - (a < b);
}

static void bsearch_finds_and_places(void **state)
{
	static const int v[] = {2, 4, 4, 4, 9, 12};
	const size_t n = sizeof(v) / sizeof(v[0]);
	size_t pos = 99;
	int k;

	(void)state;
	k = 2;
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 1);
	assert_int_equal(pos, 0);
	k = 4; /* the first of equal elements */
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 1);
	assert_int_equal(pos, 1);
	k = 12;
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 1);
	assert_int_equal(pos, 5);
	k = 1;
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 0);
	assert_int_equal(pos, 0);
	k = 5;
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 0);
	assert_int_equal(pos, 4);
	k = 13;
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, &pos), 0);
	assert_int_equal(pos, n);
	assert_int_equal(bf_bsearch(n, cmp_int, v, &k, NULL), 0);
	assert_int_equal(bf_bsearch(0, cmp_int, v, &k, &pos), 0);
	assert_int_equal(pos, 0);
}

/* Every key of a larger array, present and absent, against a scan. */
static void bsearch_agrees_with_a_scan(void **state)
{
	int v[257];
	const size_t n = sizeof(v) / sizeof(v[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		v[i] = (int)(i * 3);
	for (int k = -1; k <= (int)(n * 3); k++) {
		size_t pos, want = 0;
		int found;

		while (want < n && v[want] < k)
			want++;
		found = bf_bsearch(n, cmp_int, v, &k, &pos);
		assert_int_equal(pos, want);
		assert_int_equal(found, want < n && v[want] == k);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_doubles_from_first),
		cmocka_unit_test(grow_refuses_overflow),
		cmocka_unit_test(bsearch_finds_and_places),
		cmocka_unit_test(bsearch_agrees_with_a_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
