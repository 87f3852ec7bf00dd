/*
 * Unit tests for vv: the sorted insert, find, copy and compare, the wire
 * form both ways, and vv_after (the vector a batch leads to) with gaps,
 * change sets out of order, a new origin at seq 1, duplicates and bytes
 * that do not decode.  Change sets are built and signed as storefx.h
 * does; no replica is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vv.h"
#include "wire.h"

#include "storefx.h"

static const uint8_t h1[CS_HASH_LEN] = {1}, h2[CS_HASH_LEN] = {2};

static void set_ok(struct vv *v, const char *origin, uint64_t seq,
		   const uint8_t *hash)
{
	assert_int_equal(vv_set(v, origin, strlen(origin), seq, hash, NULL), 0);
}

/* The vector's origins in order, joined by spaces. */
static const char *origins(const struct vv *v)
{
	static char out[512];
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < v->n && n < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
				      i ? " " : "", v->e[i].origin);
	return out;
}

static void test_sorted_insert(void **state)
{
	struct vv v = {0};
	struct vv_entry *at;

	set_ok(&v, "m2", 3, h1);
	set_ok(&v, "coordinator", 1, h1);
	set_ok(&v, "zz", 9, h2);
	set_ok(&v, "m1", 2, h2);
	set_ok(&v, "a", 5, h1);
	assert_string_equal(origins(&v), "a coordinator m1 m2 zz");
	/* an origin there already is updated in place, forked_at kept */
	v.e[2].forked_at = 2;
	assert_int_equal(vv_set(&v, "m1xyz", 2, 7, h1, &at), 0);
	assert_int_equal(v.n, 5);
	assert_ptr_equal(at, &v.e[2]);
	assert_int_equal(at->seq, 7);
	assert_memory_equal(at->hash, h1, CS_HASH_LEN);
	assert_int_equal(at->forked_at, 2);
	/* a new one starts unforked */
	assert_int_equal(vv_set(&v, "b", 1, 1, h2, &at), 0);
	assert_string_equal(at->origin, "b");
	assert_int_equal(at->forked_at, 0);
	assert_string_equal(origins(&v), "a b coordinator m1 m2 zz");
	vv_free(&v);
	assert_int_equal(v.n, 0);
	assert_null(v.e);
}

static void test_set_refused(void **state)
{
	struct vv v = {0};
	char longer[CS_MAX_ORIGIN + 2];

	memset(longer, 'a', sizeof(longer));
	set_ok(&v, "m1", 1, h1);
	assert_int_equal(vv_set(&v, "", 0, 1, h1, NULL), BF_EINVAL);
	assert_int_equal(vv_set(&v, longer, CS_MAX_ORIGIN + 1, 1, h1, NULL),
			 BF_EINVAL);
	assert_int_equal(vv_set(&v, "m\0x", 3, 1, h1, NULL), BF_EINVAL);
	/* the longest there may be */
	assert_int_equal(vv_set(&v, longer, CS_MAX_ORIGIN, 4, h1, NULL), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(strlen(v.e[0].origin), CS_MAX_ORIGIN);
	vv_free(&v);
}

static void test_find(void **state)
{
	struct vv v = {0};

	assert_null(vv_find(&v, "m1"));
	assert_int_equal(vv_seq(&v, "m1"), 0);
	set_ok(&v, "m1", 4, h1);
	set_ok(&v, "coordinator", 2, h1);
	set_ok(&v, "m3", 6, h1);
	assert_int_equal(vv_find(&v, "coordinator")->seq, 2);
	assert_int_equal(vv_find(&v, "m1")->seq, 4);
	assert_int_equal(vv_find(&v, "m3")->seq, 6);
	assert_null(vv_find(&v, "m2"));
	assert_null(vv_find(&v, "a"));
	assert_null(vv_find(&v, "zz"));
	assert_null(vv_find(&v, "m"));
	assert_int_equal(vv_seq(&v, "m3"), 6);
	assert_int_equal(vv_seq(&v, "m2"), 0);
	vv_free(&v);
}

/* Many origins in a scrambled order: sorted, every one found (the array
 * grows many times). */
static void test_many(void **state)
{
	struct vv v = {0};
	char name[16];

	for (unsigned i = 0; i < 1000; i++) {
		unsigned k = (i * 7919u) % 1000u;
		snprintf(name, sizeof(name), "o%04u", k);
		set_ok(&v, name, k + 1, h1);
	}
	assert_int_equal(v.n, 1000);
	for (size_t i = 1; i < v.n; i++)
		assert_true(strcmp(v.e[i - 1].origin, v.e[i].origin) < 0);
	for (unsigned k = 0; k < 1000; k++) {
		snprintf(name, sizeof(name), "o%04u", k);
		assert_int_equal(vv_seq(&v, name), k + 1);
	}
	vv_free(&v);
}

static void test_copy_equal(void **state)
{
	struct vv a = {0}, b = {0}, empty = {0};

	assert_true(vv_equal(&a, &empty));
	set_ok(&a, "m1", 1, h1);
	set_ok(&a, "m2", 2, h2);
	assert_false(vv_equal(&a, &empty));
	set_ok(&b, "zz", 1, h1); /* dropped by the copy */
	assert_int_equal(vv_copy(&b, &a), 0);
	assert_true(vv_equal(&a, &b));
	b.e[1].seq = 3;
	assert_false(vv_equal(&a, &b));
	b.e[1].seq = 2;
	b.e[1].hash[5] = 9;
	assert_false(vv_equal(&a, &b));
	b.e[1].hash[5] = 0;
	b.e[1].forked_at = 1;
	assert_false(vv_equal(&a, &b));
	b.e[1].forked_at = 0;
	assert_true(vv_equal(&a, &b));
	set_ok(&b, "m3", 1, h1);
	assert_false(vv_equal(&a, &b));
	/* a copy of nothing is empty */
	assert_int_equal(vv_copy(&b, &empty), 0);
	assert_int_equal(b.n, 0);
	vv_free(&a);
	vv_free(&b);
}

/* vv_put's bytes as a message decode to the same vector. */
static void test_wire_both_ways(void **state)
{
	struct vv v = {0}, back = {0};
	struct wire_msg m;
	struct bf_buf b;
	struct bf_err err;

	set_ok(&v, "m2", 3, h2);
	set_ok(&v, "coordinator", 1, h1);
	set_ok(&v, "m1", 7, h1);
	bf_buf_init(&b, 0);
	assert_int_equal(wire_put_header(&b, WIRE_AUTH_OK), 0);
	assert_int_equal(vv_put(&b, &v), 0);
	assert_int_equal(wire_decode(b.p, b.len, &m, &err), 0);
	assert_int_equal(m.nvv, 3);
	set_ok(&back, "old", 1, h1); /* dropped */
	assert_int_equal(vv_from_wire(&back, &m), 0);
	assert_true(vv_equal(&v, &back));
	wire_msg_free(&m);
	/* an empty vector too */
	vv_free(&v);
	bf_buf_reset(&b);
	assert_int_equal(wire_put_header(&b, WIRE_AUTH_OK), 0);
	assert_int_equal(vv_put(&b, &v), 0);
	assert_int_equal(wire_decode(b.p, b.len, &m, &err), 0);
	assert_int_equal(vv_from_wire(&back, &m), 0);
	assert_int_equal(back.n, 0);
	wire_msg_free(&m);
	bf_buf_free(&b);
	vv_free(&back);
}

/* --- vv_after ------------------------------------------------------------- */

/* Change sets of chains, as a batch message holds them. */
struct batch {
	uint8_t *p[8];
	size_t len[8];
	uint8_t hash[8][CS_HASH_LEN];
	struct cs_str cs[8];
	size_t n;
};

static size_t batch_add(struct batch *b, struct chain *ch)
{
	const struct fv fa[] = {TXT("collection", "c"),
				INT("number_of_samples", 1)};
	struct csb c = {0};
	char id[16];
	size_t i = b->n++;

	assert_true(i < 8);
	snprintf(id, sizeof(id), "x%llu", (unsigned long long)ch->seq + 1);
	csb_up(&c, "collection_fact", id, fa, NF(fa));
	chain_next(ch, &c, &b->p[i], &b->len[i]);
	memcpy(b->hash[i], ch->head, CS_HASH_LEN);
	b->cs[i] = (struct cs_str){(const char *)b->p[i], b->len[i]};
	return i;
}

/* The batch as a message with the change sets in the order given. */
static struct wire_msg batch_msg(struct batch *b, const size_t *order,
				 size_t n, struct cs_str *cs)
{
	struct wire_msg m;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_BATCH;
	for (size_t i = 0; i < n; i++)
		cs[i] = b->cs[order[i]];
	m.cs = cs;
	m.ncs = n;
	return m;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->p[i]);
}

/* m1 at seq 1 in v; the batch's m1/2, m1/3 and m2/1 (a new origin). */
struct after_fx {
	struct chain m1, m2;
	struct batch b;
	size_t m1_2, m1_3, m2_1;
	struct vv v;
	uint8_t m1_1[CS_HASH_LEN];
};

static void after_setup(struct after_fx *a)
{
	struct batch first = {0};

	memset(a, 0, sizeof(*a));
	a->m1 = (struct chain){"m1", &k_m1, 0, {0}};
	a->m2 = (struct chain){"m2", &k_m2, 0, {0}};
	batch_add(&first, &a->m1);
	memcpy(a->m1_1, first.hash[0], CS_HASH_LEN);
	batch_free(&first);
	set_ok(&a->v, "coordinator", 4, h1);
	set_ok(&a->v, "m1", 1, a->m1_1);
	a->m1_2 = batch_add(&a->b, &a->m1);
	a->m1_3 = batch_add(&a->b, &a->m1);
	a->m2_1 = batch_add(&a->b, &a->m2);
}

static void after_teardown(struct after_fx *a)
{
	batch_free(&a->b);
	vv_free(&a->v);
}

static void expect_entry(const struct vv *v, const char *origin, uint64_t seq,
			 const uint8_t *hash)
{
	const struct vv_entry *e = vv_find(v, origin);

	if (!e)
		fail_msg("no entry for %s", origin);
	assert_int_equal(e->seq, seq);
	assert_memory_equal(e->hash, hash, CS_HASH_LEN);
}

static void test_after_in_order(void **state)
{
	struct after_fx a;
	struct vv out = {0};
	struct cs_str cs[8];
	struct wire_msg m;

	after_setup(&a);
	m = batch_msg(&a.b, (size_t[]){a.m1_2, a.m1_3, a.m2_1}, 3, cs);
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	assert_string_equal(origins(&out), "coordinator m1 m2");
	expect_entry(&out, "coordinator", 4, h1);
	/* the hash of the last change set that advanced it */
	expect_entry(&out, "m1", 3, a.b.hash[a.m1_3]);
	/* a new origin at seq 1, in its place */
	expect_entry(&out, "m2", 1, a.b.hash[a.m2_1]);
	/* v itself is as it was */
	assert_string_equal(origins(&a.v), "coordinator m1");
	expect_entry(&a.v, "m1", 1, a.m1_1);
	/* an empty batch: v as it is */
	m.ncs = 0;
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	assert_true(vv_equal(&out, &a.v));
	vv_free(&out);
	after_teardown(&a);
}

static void test_after_gap(void **state)
{
	struct after_fx a;
	struct vv out = {0};
	struct cs_str cs[8];
	struct wire_msg m;
	struct chain m2 = {"m2", &k_m2, 0, {0}};
	struct batch late = {0};
	size_t m2_2;

	after_setup(&a);
	/* m1/3 without m1/2: nothing moves */
	m = batch_msg(&a.b, (size_t[]){a.m1_3}, 1, cs);
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	expect_entry(&out, "m1", 1, a.m1_1);
	/* a new origin that does not start at seq 1 is not taken */
	batch_add(&late, &m2);
	m2_2 = batch_add(&late, &m2);
	m = batch_msg(&late, (size_t[]){m2_2}, 1, cs);
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	assert_null(vv_find(&out, "m2"));
	assert_true(vv_equal(&out, &a.v));
	batch_free(&late);
	vv_free(&out);
	after_teardown(&a);
}

static void test_after_out_of_order(void **state)
{
	struct after_fx a;
	struct vv out = {0};
	struct cs_str cs[8];
	struct wire_msg m;

	after_setup(&a);
	/* m1/3 comes before m1/2: only m1/2 counts (m1/3 was a gap when
	 * it came, and store_apply would refuse it so) */
	m = batch_msg(&a.b, (size_t[]){a.m1_3, a.m2_1, a.m1_2}, 3, cs);
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	expect_entry(&out, "m1", 2, a.b.hash[a.m1_2]);
	expect_entry(&out, "m2", 1, a.b.hash[a.m2_1]);
	vv_free(&out);
	after_teardown(&a);
}

static void test_after_duplicates(void **state)
{
	struct after_fx a;
	struct vv out = {0};
	struct cs_str cs[8];
	struct wire_msg m;
	uint8_t junk[40];

	after_setup(&a);
	/* twice the same, and once more after the next: counted once */
	m = batch_msg(&a.b,
		      (size_t[]){a.m1_2, a.m1_2, a.m2_1, a.m2_1, a.m1_3,
				 a.m1_2},
		      6, cs);
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	expect_entry(&out, "m1", 3, a.b.hash[a.m1_3]);
	expect_entry(&out, "m2", 1, a.b.hash[a.m2_1]);
	assert_int_equal(out.n, 3);
	/* bytes that are no change set are passed over */
	memset(junk, 0x5a, sizeof(junk));
	cs[0] = (struct cs_str){(const char *)junk, sizeof(junk)};
	cs[1] = a.b.cs[a.m1_2];
	m.cs = cs;
	m.ncs = 2;
	assert_int_equal(vv_after(&out, &a.v, &m), 0);
	expect_entry(&out, "m1", 2, a.b.hash[a.m1_2]);
	vv_free(&out);
	after_teardown(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_insert),
		cmocka_unit_test(test_set_refused),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_copy_equal),
		cmocka_unit_test(test_wire_both_ways),
		cmocka_unit_test(test_after_in_order),
		cmocka_unit_test(test_after_gap),
		cmocka_unit_test(test_after_out_of_order),
		cmocka_unit_test(test_after_duplicates),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
