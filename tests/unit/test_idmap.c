/* Unit tests of publish's id map (idmap.h): the replica's ids kept as a
 * sorted prefix, found by hint or binary search; ids out of order moving
 * everything into the hash table; ids of the file added and found either
 * way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "idmap.h"

#define N 5000

static void id_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "fact-%06zu", i);
}

/* Every id 0..n-1 (step 1) must be found once, with its number. */
static void find_all(struct idmap *m, size_t n, size_t step)
{
	char id[32];

	for (size_t k = 0; k < n; k++) {
		size_t i = (k * step) % n;
		struct idmap_ent *e;
		id_of(i, id, sizeof(id));
		e = idmap_get(m, id, strlen(id), 0);
		assert_non_null(e);
		assert_int_equal(e->hash[0], (uint8_t)i);
		assert_int_equal(e->hash[1], (uint8_t)(i >> 8));
	}
}

static void add_owned(struct idmap *m, size_t i)
{
	char id[32];
	struct idmap_ent *e;

	id_of(i, id, sizeof(id));
	e = idmap_add_owned(m, id, strlen(id));
	assert_non_null(e);
	e->state = IDMAP_OWNED;
	e->hash[0] = (uint8_t)i;
	e->hash[1] = (uint8_t)(i >> 8);
}

static void add_new(struct idmap *m, size_t i)
{
	char id[32];
	struct idmap_ent *e;

	id_of(i, id, sizeof(id));
	e = idmap_get(m, id, strlen(id), 1);
	assert_non_null(e);
	assert_int_equal(e->state, 0); /* new: not owned before */
	e->hash[0] = (uint8_t)i;
	e->hash[1] = (uint8_t)(i >> 8);
}

static void sorted_prefix(void **state)
{
	struct idmap m;
	char id[32];

	(void)state;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < N; i += 2) /* the replica: even ids */
		add_owned(&m, i);
	assert_int_equal(m.nsorted, N / 2);
	assert_null(m.slot); /* nothing hashed */
	/* the file: odd ids are new */
	for (size_t i = 1; i < N; i += 2)
		add_new(&m, i);
	assert_int_equal(m.n, N);
	/* in order (hint), out of order (binary search or hash) */
	find_all(&m, N, 1);
	find_all(&m, N, 7919);
	/* absent ids are absent, present ones are not added twice */
	id_of(N + 1, id, sizeof(id));
	assert_null(idmap_get(&m, id, strlen(id), 0));
	id_of(N / 2, id, sizeof(id));
	assert_non_null(idmap_get(&m, id, strlen(id), 1));
	assert_int_equal(m.n, N);
	/* a prefix of another id is a different id */
	assert_null(idmap_get(&m, "fact-00", 7, 0));
	idmap_free(&m);
}

static void out_of_order(void **state)
{
	struct idmap m;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < 100; i++)
		add_owned(&m, i);
	add_owned(&m, 50000); /* still sorted */
	add_owned(&m, 500);   /* out of order: everything gets hashed */
	assert_non_null(m.slot);
	assert_int_equal(m.nsorted, 0);
	for (size_t i = 100; i < N; i++)
		if (i != 500)
			add_owned(&m, i);
	add_new(&m, N);
	assert_int_equal(m.n, N + 2);
	find_all(&m, N + 1, 1);
	find_all(&m, N + 1, 7919);
	idmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorted_prefix),
		cmocka_unit_test(out_of_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
