/*
 * Unit tests for sync: one test per anti-entropy rule, over a real
 * replica in a temporary directory (storefx.h) and vectors built by hand.
 * What a peer lacks and in which order; the batch it gets (byte bound,
 * count bound, at least one, the coordinator first, `more`); the fork
 * adjustment and its once-per-(origin, seq) marks; the origin-behind
 * marker; the reconnect backoff with a fixed jitter; what a refused
 * batch leaves behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "sync.h"
#include "wire.h"

#include "storefx.h"

#define BATCH_BYTES_TEST (8u << 20) /* biofedd's BATCH_BYTES */

/* Change sets applied to the fixture's replica, kept to compare with
 * what a batch carries. */
struct kept {
	char name[16][24]; /* "origin/seq" */
	uint8_t *p[16];
	size_t len[16];
	size_t n;
};

static struct kept kept;

static void keep(const char *origin, uint64_t seq, uint8_t *p, size_t len)
{
	assert_true(kept.n < 16);
	snprintf(kept.name[kept.n], sizeof(kept.name[0]), "%s/%llu", origin,
		 (unsigned long long)seq);
	kept.p[kept.n] = p;
	kept.len[kept.n] = len;
	kept.n++;
}

struct kept_cs {
	const uint8_t *p;
	size_t len;
};

static struct kept_cs find_kept(const char *name)
{
	for (size_t i = 0; i < kept.n; i++)
		if (!strcmp(kept.name[i], name))
			return (struct kept_cs){kept.p[i], kept.len[i]};
	fail_msg("no change set %s", name);
	return (struct kept_cs){NULL, 0};
}

/* The next change set of a member's chain, built (not applied). */
static void member_next(struct chain *ch, uint8_t **p, size_t *len)
{
	const struct fv fa[] = {TXT("collection", "c"),
				INT("number_of_samples", 1)};
	struct csb c = {0};
	char id[16];

	snprintf(id, sizeof(id), "x%llu", (unsigned long long)ch->seq + 1);
	csb_up(&c, "collection_fact", id, fa, NF(fa));
	chain_next(ch, &c, p, len);
}

/* ... and applied, and kept. */
static void member_apply(struct store *s, struct chain *ch)
{
	uint8_t *p;
	size_t len;

	member_next(ch, &p, &len);
	apply_ok(s, p, len);
	keep(ch->origin, ch->seq, p, len);
}

static struct chain alpha;

/*
 * The replica every test starts from: the coordinator's roster admits
 * alpha (which sorts before "coordinator"), m1 and m2; alpha holds 2
 * change sets, m1 3, m2 none.  Local vector: alpha 2, coordinator 1,
 * m1 3.
 */
static int setup(void **state)
{
	struct fx *f;
	struct csb c = {0};
	uint8_t *p;
	size_t len;

	fx_setup(state);
	f = *state;
	memset(&kept, 0, sizeof(kept));
	alpha = (struct chain){"alpha", &k_other, 0, {0}};
	roster_row(&c, "alpha", &k_other, NULL, 0);
	roster_row(&c, "m1", &k_m1, NULL, 0);
	roster_row(&c, "m2", &k_m2, NULL, 0);
	chain_next(&f->coord, &c, &p, &len);
	apply_ok(f->s, p, len);
	keep(SCHEMA_COORDINATOR, 1, p, len);
	member_apply(f->s, &alpha);
	member_apply(f->s, &alpha);
	for (int i = 0; i < 3; i++)
		member_apply(f->s, &f->m1);
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < kept.n; i++)
		free(kept.p[i]);
	return fx_teardown(state);
}

static struct vv local_of(struct store *s)
{
	struct vv v = {0};
	struct bf_err err;

	if (sync_local_vector(s, &v, &err))
		fail_msg("sync_local_vector: %s", err.msg);
	return v;
}

static void set(struct vv *v, const char *origin, uint64_t seq,
		const uint8_t *hash)
{
	static const uint8_t zero[CS_HASH_LEN];

	assert_int_equal(vv_set(v, origin, strlen(origin), seq,
				hash ? hash : zero, NULL),
			 0);
}

/* --- the local vector ------------------------------------------------------ */

static void test_local_vector(void **state)
{
	struct fx *f = *state;
	struct vv v = local_of(f->s);
	struct chain branch = f->m1;
	uint8_t *p;
	size_t len;
	struct bf_err err;

	assert_int_equal(v.n, 3);
	assert_string_equal(v.e[0].origin, "alpha");
	assert_string_equal(v.e[1].origin, SCHEMA_COORDINATOR);
	assert_string_equal(v.e[2].origin, "m1");
	assert_int_equal(v.e[0].seq, 2);
	assert_memory_equal(v.e[0].hash, alpha.head, CS_HASH_LEN);
	assert_int_equal(v.e[2].seq, 3);
	assert_memory_equal(v.e[2].hash, f->m1.head, CS_HASH_LEN);
	assert_int_equal(v.e[2].forked_at, 0);
	/* a fork proven at m1/3 shows in forked_at */
	branch.seq = 2;
	assert_int_equal(store_log_hash(f->s, "m1", 2, branch.head, &err), 0);
	{
		const struct fv fb[] = {TXT("collection", "c"),
					INT("number_of_samples", 2)};
		struct csb c = {0};
		csb_up(&c, "collection_fact", "other", fb, NF(fb));
		chain_next(&branch, &c, &p, &len);
	}
	assert_int_equal(apply(f->s, p, len, &err), BF_EFORK);
	free(p);
	vv_free(&v);
	v = local_of(f->s);
	assert_int_equal(vv_find(&v, "m1")->forked_at, 3);
	vv_free(&v);
}

/* --- what a peer lacks ---------------------------------------------------- */

struct lacked {
	char what[8][80];
	size_t n;
	int stop_at; /* return 7 at this call (1-based), 0: never */
};

static int lacked_cb(void *ctx, const struct vv_entry *mine, uint64_t have)
{
	struct lacked *l = ctx;

	snprintf(l->what[l->n++], sizeof(l->what[0]), "%s %llu..%llu",
		 mine->origin, (unsigned long long)have + 1,
		 (unsigned long long)mine->seq);
	return (int)l->n == l->stop_at ? 7 : 0;
}

static void test_lacking_order(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct lacked l = {0};

	/* the coordinator first, though alpha sorts before it */
	set(&their, "m1", 1, NULL);
	set(&their, "zz", 9, NULL); /* what this node lacks plays no part */
	assert_int_equal(sync_lacking(&local, &their, lacked_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.what[0], "coordinator 1..1");
	assert_string_equal(l.what[1], "alpha 1..2");
	assert_string_equal(l.what[2], "m1 2..3");
	/* a non-zero return stops the walk */
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	assert_int_equal(sync_lacking(&local, &their, lacked_cb, &l), 7);
	assert_int_equal(l.n, 2);
	/* origins they hold as much of, or more, are not named */
	memset(&l, 0, sizeof(l));
	set(&their, SCHEMA_COORDINATOR, 1, NULL);
	set(&their, "alpha", 5, NULL);
	assert_int_equal(sync_lacking(&local, &their, lacked_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.what[0], "m1 2..3");
	vv_free(&local);
	vv_free(&their);
}

static void test_lacks(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0}, empty = {0};

	assert_true(sync_lacks(&local, &empty));
	assert_false(sync_lacks(&empty, &local));
	assert_false(sync_lacks(&empty, &empty));
	assert_false(sync_lacks(&local, &local));
	assert_int_equal(vv_copy(&their, &local), 0);
	their.e[2].seq--; /* one behind at m1 */
	assert_true(sync_lacks(&local, &their));
	their.e[2].seq += 5; /* ahead: nothing to give them */
	assert_false(sync_lacks(&local, &their));
	set(&their, "m2", 4, NULL);
	assert_false(sync_lacks(&local, &their));
	vv_free(&local);
	vv_free(&their);
	/* an origin they do not have at all */
	local = local_of(f->s);
	set(&their, "alpha", 2, NULL);
	set(&their, SCHEMA_COORDINATOR, 1, NULL);
	assert_true(sync_lacks(&local, &their));
	vv_free(&local);
	vv_free(&their);
}

/* --- the batch ------------------------------------------------------------ */

/* The PUSH message a collect builds, decoded: its change sets are
 * compared with the names expected, in order. */
static void collect_expect(struct store *s, const struct vv *their,
			   size_t max_bytes, size_t max_count,
			   const char *const *want, size_t nwant, int want_more)
{
	struct vv local = local_of(s);
	struct bf_buf b;
	struct bf_err err;
	struct wire_msg m;
	size_t count = 99;
	int more = 99;

	bf_buf_init(&b, WIRE_MAX_MSG);
	assert_int_equal(wire_put_header(&b, WIRE_PUSH), 0);
	if (sync_collect(s, &local, their, max_bytes, max_count, &b, &count,
			 &more, &err))
		fail_msg("sync_collect: %s", err.msg);
	assert_int_equal(count, nwant);
	assert_int_equal(more, want_more);
	if (wire_decode(b.p, b.len, &m, &err))
		fail_msg("wire_decode: %s", err.msg);
	assert_int_equal(m.ncs, nwant);
	for (size_t i = 0; i < nwant; i++) {
		struct kept_cs k = find_kept(want[i]);
		assert_int_equal(m.cs[i].len, k.len);
		assert_memory_equal(m.cs[i].p, k.p, k.len);
	}
	wire_msg_free(&m);
	bf_buf_free(&b);
	vv_free(&local);
}

static const char *const all[] = {"coordinator/1", "alpha/1", "alpha/2",
				  "m1/1", "m1/2", "m1/3"};

static void test_collect_all(void **state)
{
	struct fx *f = *state;
	struct vv their = {0};

	/* the coordinator first, then by origin, each in seq order */
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 0, all, 6, 0);
	/* from what they hold on */
	set(&their, SCHEMA_COORDINATOR, 1, NULL);
	set(&their, "m1", 1, NULL);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 0,
		       (const char *const[]){"alpha/1", "alpha/2", "m1/2",
					     "m1/3"},
		       4, 0);
	/* nothing lacking: an empty batch, that decodes */
	set(&their, "alpha", 2, NULL);
	set(&their, "m1", 3, NULL);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 0, NULL, 0, 0);
	vv_free(&their);
}

static size_t uv_len(size_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* A change set goes in while the buffer, with it and room for its length,
 * stays within max_bytes: what the buffer held before counts. */
static void test_collect_bytes(void **state)
{
	struct fx *f = *state;
	struct vv their = {0};
	size_t at = 5 + 3, max; /* the PUSH header, the count's room */

	for (size_t i = 0; i < 2; i++) {
		struct kept_cs k = find_kept(all[i]);
		at += uv_len(k.len) + k.len;
	}
	/* the third one just does not fit, then just does */
	max = at + find_kept(all[2]).len + 10 - 1;
	collect_expect(f->s, &their, max, 0, all, 2, 1);
	collect_expect(f->s, &their, max + 1, 0, all, 3, 1);
	vv_free(&their);
}

static void test_collect_count(void **state)
{
	struct fx *f = *state;
	struct vv their = {0};

	collect_expect(f->s, &their, BATCH_BYTES_TEST, 2, all, 2, 1);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 5, all, 5, 1);
	/* exactly what is lacking: nothing is left for later */
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 6, all, 6, 0);
	vv_free(&their);
}

/* However small the bound, a batch carries one change set, the first in
 * order: the coordinator's. */
static void test_collect_at_least_one(void **state)
{
	struct fx *f = *state;
	struct vv their = {0};

	collect_expect(f->s, &their, 1, 0, all, 1, 1);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 1, all, 1, 1);
	/* the one that is lacking, alone: no more */
	set(&their, SCHEMA_COORDINATOR, 1, NULL);
	set(&their, "alpha", 2, NULL);
	set(&their, "m1", 2, NULL);
	collect_expect(f->s, &their, 1, 0, (const char *const[]){"m1/3"}, 1,
		       0);
	vv_free(&their);
}

/* WIRE_MAX_BATCH itself: one more change set than a batch may carry. */
static void test_collect_max_batch(void **state)
{
	struct fx *f = *state;
	struct vv local, their = {0};
	struct bf_buf b;
	struct bf_err err;
	struct wire_msg m;
	size_t count = 0;
	int more = 0;

	assert_int_equal(store_set_durable(f->s, 0, &err), 0);
	while (f->m2.seq < WIRE_MAX_BATCH + 1) {
		uint8_t *p;
		size_t len;
		member_next(&f->m2, &p, &len);
		apply_ok_free(f->s, p, len);
	}
	local = local_of(f->s);
	set(&their, SCHEMA_COORDINATOR, 1, NULL);
	set(&their, "alpha", 2, NULL);
	set(&their, "m1", 3, NULL);
	/* no count bound given, and one past what the wire allows */
	for (size_t max_count = 0; max_count <= WIRE_MAX_BATCH + 1;
	     max_count += WIRE_MAX_BATCH + 1) {
		bf_buf_init(&b, WIRE_MAX_MSG);
		assert_int_equal(wire_put_header(&b, WIRE_PUSH), 0);
		assert_int_equal(sync_collect(f->s, &local, &their,
					      WIRE_MAX_MSG, max_count, &b,
					      &count, &more, &err),
				 0);
		assert_int_equal(count, WIRE_MAX_BATCH);
		assert_int_equal(more, 1);
		/* the count's varint was rewritten minimally: it decodes */
		assert_int_equal(wire_decode(b.p, b.len, &m, &err), 0);
		assert_int_equal(m.ncs, WIRE_MAX_BATCH);
		wire_msg_free(&m);
		bf_buf_free(&b);
	}
	vv_free(&local);
	vv_free(&their);
}

/* --- forks across the wire ------------------------------------------------ */

static const uint8_t other_hash[CS_HASH_LEN] = {0xee, 0xee};

static void log_hash(struct store *s, const char *origin, uint64_t seq,
		     uint8_t out[CS_HASH_LEN])
{
	struct bf_err err;

	if (store_log_hash(s, origin, seq, out, &err))
		fail_msg("store_log_hash %s/%llu", origin,
			 (unsigned long long)seq);
}

/* They hold another m1/3 than this node's head. */
static void test_fork_at_head(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];
	uint8_t h2[CS_HASH_LEN];

	set(&their, SCHEMA_COORDINATOR, 1,
	    vv_find(&local, SCHEMA_COORDINATOR)->hash);
	set(&their, "m1", 3, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	assert_string_equal(found[0].origin, "m1");
	assert_int_equal(found[0].seq, 3);
	assert_memory_equal(found[0].here, f->m1.head, CS_HASH_LEN);
	assert_memory_equal(found[0].there, other_hash, CS_HASH_LEN);
	/* lowered to the seq before, with this log's hash there: what they
	 * get next starts with this node's m1/3 */
	log_hash(f->s, "m1", 2, h2);
	assert_int_equal(vv_find(&their, "m1")->seq, 2);
	assert_memory_equal(vv_find(&their, "m1")->hash, h2, CS_HASH_LEN);
	assert_int_equal(vv_find(&their, SCHEMA_COORDINATOR)->seq, 1);
	assert_int_equal(marks.n, 1);
	assert_string_equal(marks.m[0].origin, "m1");
	assert_int_equal(marks.m[0].seq, 3);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 0,
		       (const char *const[]){"alpha/1", "alpha/2", "m1/3"}, 3,
		       0);
	vv_free(&local);
	vv_free(&their);
}

/* They hold another m1/2, below this node's head. */
static void test_fork_below_head(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];
	uint8_t h1[CS_HASH_LEN], h2[CS_HASH_LEN];

	set(&their, "m1", 2, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	log_hash(f->s, "m1", 1, h1);
	log_hash(f->s, "m1", 2, h2);
	assert_int_equal(found[0].seq, 2);
	assert_memory_equal(found[0].here, h2, CS_HASH_LEN);
	assert_int_equal(vv_find(&their, "m1")->seq, 1);
	assert_memory_equal(vv_find(&their, "m1")->hash, h1, CS_HASH_LEN);
	vv_free(&local);
	vv_free(&their);
}

/* No fork where the hashes agree, where they are ahead, at seq 0, or in
 * an origin this node does not hold. */
static void test_fork_none(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0}, before = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];
	uint8_t h2[CS_HASH_LEN];

	log_hash(f->s, "m1", 2, h2);
	set(&their, "alpha", 0, other_hash);
	set(&their, SCHEMA_COORDINATOR, 4, other_hash);
	set(&their, "m1", 2, h2);
	set(&their, "m2", 1, other_hash);
	assert_int_equal(vv_copy(&before, &their), 0);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 0);
	assert_true(vv_equal(&their, &before));
	assert_int_equal(marks.n, 0);
	vv_free(&local);
	vv_free(&their);
	vv_free(&before);
}

/* A fork answered once on a connection is not answered again: their
 * vector, still naming it, is left as it is. */
static void test_fork_marks_stop_repeats(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];

	set(&their, "m1", 3, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	/* their next vector names it again */
	set(&their, "m1", 3, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 0);
	assert_int_equal(vv_find(&their, "m1")->seq, 3);
	assert_int_equal(marks.n, 1);
	/* another seq of the same origin is another fork */
	set(&their, "m1", 2, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	assert_int_equal(found[0].seq, 2);
	assert_int_equal(marks.n, 2);
	/* a new connection (marks cleared) answers it again */
	marks.n = 0;
	set(&their, "m1", 3, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	vv_free(&local);
	vv_free(&their);
}

/* Once SYNC_FORK_MARKS forks were answered on a connection, more are
 * left alone. */
static void test_fork_marks_cap(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];

	for (size_t i = 0; i < SYNC_FORK_MARKS - 1; i++) {
		snprintf(marks.m[i].origin, sizeof(marks.m[i].origin),
			 "gone%zu", i);
		marks.m[i].seq = 1;
	}
	marks.n = SYNC_FORK_MARKS - 1;
	/* room for one: alpha's is answered, m1's not */
	set(&their, "alpha", 2, other_hash);
	set(&their, "m1", 3, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	assert_string_equal(found[0].origin, "alpha");
	assert_int_equal(marks.n, SYNC_FORK_MARKS);
	assert_int_equal(vv_find(&their, "alpha")->seq, 1);
	assert_int_equal(vv_find(&their, "m1")->seq, 3);
	assert_memory_equal(vv_find(&their, "m1")->hash, other_hash,
			    CS_HASH_LEN);
	vv_free(&local);
	vv_free(&their);
}

/* A fork at seq 1: they are lowered to nothing, a zero hash. */
static void test_fork_at_seq1(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	struct sync_fork_marks marks = {0};
	struct sync_fork found[SYNC_FORK_MARKS];
	static const uint8_t zero[CS_HASH_LEN];

	set(&their, "alpha", 1, other_hash);
	assert_int_equal(sync_fork_adjust(f->s, &local, &their, &marks, found),
			 1);
	assert_int_equal(vv_find(&their, "alpha")->seq, 0);
	assert_memory_equal(vv_find(&their, "alpha")->hash, zero, CS_HASH_LEN);
	collect_expect(f->s, &their, BATCH_BYTES_TEST, 1,
		       (const char *const[]){"coordinator/1"}, 1, 1);
	vv_free(&local);
	vv_free(&their);
}

/* --- this node's own origin ----------------------------------------------- */

static void test_origin_behind(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), their = {0};
	uint64_t seq = 0;

	/* this node is m1, at seq 3 */
	assert_false(sync_origin_behind(&local, &their, "m1", 0, &seq));
	set(&their, "m1", 3, NULL);
	assert_false(sync_origin_behind(&local, &their, "m1", 0, &seq));
	set(&their, "m1", 5, NULL);
	assert_true(sync_origin_behind(&local, &their, "m1", 0, &seq));
	assert_int_equal(seq, 5);
	/* recorded already: nothing new, until they hold more still */
	seq = 0;
	assert_false(sync_origin_behind(&local, &their, "m1", 5, &seq));
	assert_int_equal(seq, 0);
	set(&their, "m1", 6, NULL);
	assert_true(sync_origin_behind(&local, &their, "m1", 5, &seq));
	assert_int_equal(seq, 6);
	/* a node that holds nothing of its own yet */
	set(&their, "m2", 1, NULL);
	assert_true(sync_origin_behind(&local, &their, "m2", 0, &seq));
	assert_int_equal(seq, 1);
	vv_free(&local);
	vv_free(&their);
}

static void test_origin_current(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s);

	assert_false(sync_origin_current(&local, "m1", 0)); /* no marker */
	assert_false(sync_origin_current(&local, "m1", 4));
	assert_true(sync_origin_current(&local, "m1", 3));
	assert_true(sync_origin_current(&local, "m1", 2));
	assert_false(sync_origin_current(&local, "m2", 1));
	vv_free(&local);
}

/* --- when to try again ---------------------------------------------------- */

static void test_backoff_sequence(void **state)
{
	static const uint64_t want[] = {100, 200, 400, 800, 1600, 3200, 5000,
					5000, 5000};
	uint64_t b = 0;

	for (size_t i = 0; i < NF(want); i++) {
		assert_int_equal(sync_backoff(&b, 0), want[i]);
		assert_int_equal(b, want[i]);
	}
	/* a hello that succeeded set it to 0: from the start again */
	b = 0;
	assert_int_equal(sync_backoff(&b, 0), SYNC_BACKOFF_MIN_MS);
}

static void test_backoff_jitter(void **state)
{
	uint64_t b = 0;

	/* up to half the backoff on top: jitter % (backoff / 2 + 1) */
	assert_int_equal(sync_backoff(&b, 50), 150);
	b = 0;
	assert_int_equal(sync_backoff(&b, 51), 100);
	b = 0;
	assert_int_equal(sync_backoff(&b, 1000), 100 + 1000 % 51);
	b = SYNC_BACKOFF_MAX_MS;
	assert_int_equal(sync_backoff(&b, 2500), 7500);
	assert_int_equal(sync_backoff(&b, UINT64_MAX),
			 5000 + UINT64_MAX % 2501);
	assert_int_equal(b, SYNC_BACKOFF_MAX_MS);
}

/* --- a refused batch ------------------------------------------------------ */

/* A push the peer refused all of holds the next push back; one that it
 * took some of, or refused nothing of, does not. */
static void test_push_hold(void **state)
{
	assert_int_equal(sync_push_hold(0, 3), SYNC_PUSH_HOLD_MS);
	assert_int_equal(sync_push_hold(1, 3), 0);
	assert_int_equal(sync_push_hold(2, 0), 0);
	assert_int_equal(sync_push_hold(0, 0), 0);
}

/*
 * A batch whose first change set is refused (its signature spoilt on the
 * way): vv_after reads headers only and says it leads further than it
 * does, so the pull asked with that vector gets nothing of what was
 * refused; store_apply refuses what follows as a gap; the replica's own
 * vector still lacks both, and the next plain pull (sync_collect for it)
 * gets them again.
 */
static void test_refused_batch(void **state)
{
	struct fx *f = *state;
	struct vv local = local_of(f->s), after = {0}, rlocal;
	struct kept_cs m1_1 = find_kept("m1/1"), m1_2 = find_kept("m1/2"),
		       co = find_kept("coordinator/1");
	struct store *r;
	struct bf_err err;
	struct wire_msg m;
	struct cs_str cs[2];
	uint8_t *bad;
	char path[128];

	/* the receiver holds the roster, nothing of m1 */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	r = open_store(path, STORE_CREATE);
	store_set_coordinator(r, k_coord.pub);
	assert_int_equal(apply(r, co.p, co.len, &err), 0);
	/* it gets m1/1 with a spoilt signature, and m1/2 */
	bad = malloc(m1_1.len);
	assert_non_null(bad);
	memcpy(bad, m1_1.p, m1_1.len);
	bad[m1_1.len - 1] ^= 1;
	cs[0] = (struct cs_str){(const char *)bad, m1_1.len};
	cs[1] = (struct cs_str){(const char *)m1_2.p, m1_2.len};
	memset(&m, 0, sizeof(m));
	m.type = WIRE_BATCH;
	m.cs = cs;
	m.ncs = 2;

	/* asked ahead with, before applying: m1 up to 2 */
	rlocal = local_of(r);
	assert_int_equal(vv_after(&after, &rlocal, &m), 0);
	assert_int_equal(vv_seq(&after, "m1"), 2);
	collect_expect(f->s, &after, BATCH_BYTES_TEST, 0,
		       (const char *const[]){"alpha/1", "alpha/2", "m1/3"}, 3,
		       0);
	/* applied: the spoilt one is refused, the next is then a gap */
	assert_int_equal(apply(r, bad, m1_1.len, &err), BF_ECRYPTO);
	assert_int_equal(apply(r, m1_2.p, m1_2.len, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "m1/2: gap"));
	/* the plain pull asks with the replica's vector: m1 from seq 1 */
	vv_free(&rlocal);
	rlocal = local_of(r);
	assert_int_equal(vv_seq(&rlocal, "m1"), 0);
	assert_true(sync_lacks(&local, &rlocal));
	collect_expect(f->s, &rlocal, BATCH_BYTES_TEST, 0,
		       (const char *const[]){"alpha/1", "alpha/2", "m1/1",
					     "m1/2", "m1/3"},
		       5, 0);
	free(bad);
	vv_free(&local);
	vv_free(&after);
	vv_free(&rlocal);
	store_close(r);
	store_files_remove(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_local_vector),
		T(test_lacking_order),
		T(test_lacks),
		T(test_collect_all),
		T(test_collect_bytes),
		T(test_collect_count),
		T(test_collect_at_least_one),
		T(test_collect_max_batch),
		T(test_fork_at_head),
		T(test_fork_below_head),
		T(test_fork_none),
		T(test_fork_marks_stop_repeats),
		T(test_fork_marks_cap),
		T(test_fork_at_seq1),
		T(test_origin_behind),
		T(test_origin_current),
		cmocka_unit_test(test_backoff_sequence),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_push_hold),
		T(test_refused_batch),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
