/*
 * Unit tests for changeset's builder and what rests on it: cs_build's
 * order and refusals, every truncation of a built change set, signatures,
 * BFX1 files, and the published test vector in proto/vectors (run from
 * the repository root).  The decoder's rules are in test_changeset.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changeset.h"
#include "keys.h"

#define VEC_DIR "proto/vectors/"

static struct ed_key test_key(void)
{
	uint8_t seed[32];
	struct ed_key k;
	struct bf_err err;

	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	assert_int_equal(ed_key_from_seed(seed, &k, &err), 0);
	return k;
}

static void put_uv(struct bf_buf *b, uint64_t v)
{
	assert_int_equal(bf_put_uvarint(b, v), 0);
}

static void put_raw(struct bf_buf *b, const void *p, size_t n)
{
	assert_int_equal(bf_buf_add(b, p, n), 0);
}

static void make_enc(struct bf_buf *b, const char *name, int64_t v)
{
	bf_buf_init(b, 0);
	put_uv(b, 1);
	assert_int_equal(cs_put_str(b, name, strlen(name)), 0);
	assert_int_equal(cs_put_int(b, v), 0);
}

static void build3(const struct ed_key *k, uint8_t **out, size_t *len)
{
	struct cs_header h = {0};
	struct bf_buf e1, e2;
	struct bf_err err;

	snprintf(h.origin, sizeof(h.origin), "%s", "node-a");
	h.seq = 1;
	h.time_ms = 1000;
	h.schema = 1;
	make_enc(&e1, "size", 10);
	make_enc(&e2, "age", 20);
	{
		/* deliberately out of order: cs_build sorts */
		struct cs_row_in rows[] = {
			{CS_UPSERT, "zeta", "1", e1.p, e1.len, NULL},
			{CS_UPSERT, "alpha", "b", e2.p, e2.len, NULL},
			{CS_DELETE, "alpha", "a", NULL, 0, NULL},
			{CS_UPSERT, "alpha", "ab", e1.p, e1.len, NULL},
		};
		if (cs_build(&h, rows, 4, k, out, len, &err))
			fail_msg("%s", err.msg);
	}
	bf_buf_free(&e1);
	bf_buf_free(&e2);
}

static void test_build_sorts(void **state)
{
	struct ed_key k = test_key();
	struct changeset cs;
	uint8_t *out, hash[CS_HASH_LEN];
	size_t len;
	struct cs_header h;
	struct bf_err err;
	static const char *const order[][2] = {
		{"alpha", "a"}, {"alpha", "ab"}, {"alpha", "b"}, {"zeta", "1"}};

	(void)state;
	build3(&k, &out, &len);
	if (cs_decode(out, len, &cs, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cs.nrows, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(cs.rows[i].table.len, strlen(order[i][0]));
		assert_memory_equal(cs.rows[i].table.p, order[i][0],
				    strlen(order[i][0]));
		assert_int_equal(cs.rows[i].id.len, strlen(order[i][1]));
		assert_memory_equal(cs.rows[i].id.p, order[i][1],
				    strlen(order[i][1]));
	}
	assert_int_equal(cs.rows[0].op, CS_DELETE);
	assert_int_equal(cs.rows[2].fields[0].v.i, 20);
	assert_int_equal(cs_verify(&cs, k.pub, &err), 0);

	assert_int_equal(cs_peek_header(out, len, &h, hash, &err), 0);
	assert_string_equal(h.origin, "node-a");
	assert_int_equal(h.seq, 1);
	assert_int_equal(h.time_ms, 1000);
	assert_memory_equal(hash, cs.hash, CS_HASH_LEN);
	{
		uint8_t direct[CS_HASH_LEN];

		cs_sha256(out, len - CS_SIG_LEN, direct);
		assert_memory_equal(direct, cs.hash, CS_HASH_LEN);
	}
	cs_free(&cs);
	free(out);
	ed_key_free(&k);
}

static void test_truncations(void **state)
{
	struct ed_key k = test_key();
	uint8_t *out, *copy;
	size_t len;

	(void)state;
	build3(&k, &out, &len);
	/* every proper prefix, in its own allocation so ASan sees overreads */
	for (size_t n = 0; n < len; n++) {
		struct changeset cs;
		struct bf_err err;
		struct cs_header h;

		copy = malloc(n ? n : 1);
		memcpy(copy, out, n);
		if (cs_decode(copy, n, &cs, &err) == 0)
			fail_msg("prefix of %zu bytes accepted", n);
		if (n >= len - CS_SIG_LEN + CS_SIG_LEN / 2)
			assert_non_null(strstr(err.msg, "offset"));
		(void)cs_peek_header(copy, n, &h, NULL, &err);
		free(copy);
	}
	/* and one byte more is trailing data */
	copy = malloc(len + 1);
	memcpy(copy, out, len - CS_SIG_LEN);
	copy[len - CS_SIG_LEN] = 0;
	memcpy(copy + len - CS_SIG_LEN + 1, out + len - CS_SIG_LEN, CS_SIG_LEN);
	{
		struct changeset cs;
		struct bf_err err;

		assert_int_not_equal(cs_decode(copy, len + 1, &cs, &err), 0);
		assert_non_null(strstr(err.msg, "unexpected bytes"));
	}
	free(copy);
	free(out);
	ed_key_free(&k);
}

static void test_signature(void **state)
{
	struct ed_key k = test_key(), other;
	uint8_t seed[32], *out;
	size_t len, flips = 0;
	struct changeset cs;
	struct bf_err err;

	(void)state;
	memset(seed, 7, sizeof(seed));
	assert_int_equal(ed_key_from_seed(seed, &other, &err), 0);
	build3(&k, &out, &len);
	assert_int_equal(cs_decode(out, len, &cs, &err), 0);
	assert_int_equal(cs_verify(&cs, k.pub, &err), 0);
	assert_int_equal(cs_verify(&cs, other.pub, &err), BF_ECRYPTO);
	assert_non_null(strstr(err.msg, "signature"));
	cs_free(&cs);

	/* flipping any one bit either breaks decoding or the signature */
	for (size_t i = 0; i < len * 8; i += 3) {
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (cs_decode(out, len, &cs, &err) == 0) {
			assert_int_equal(cs_verify(&cs, k.pub, &err),
					 BF_ECRYPTO);
			cs_free(&cs);
			flips++;
		}
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_true(flips > 0);
	free(out);
	ed_key_free(&k);
	ed_key_free(&other);
}

static void test_build_refusals(void **state)
{
	struct ed_key k = test_key(), pubonly;
	struct cs_header h = {0};
	struct bf_buf e, bad;
	struct bf_err err;
	uint8_t *out = NULL;
	size_t len;
	struct cs_row_in *many;

	(void)state;
	snprintf(h.origin, sizeof(h.origin), "%s", "node");
	h.seq = 1;
	make_enc(&e, "x", 1);
	bf_buf_init(&bad, 0);
	put_raw(&bad, "\x02\x01" "b\x04\x01" "a\x04", 7);
	{
		struct cs_row_in dup[] = {
			{CS_UPSERT, "t", "1", e.p, e.len, NULL},
			{CS_DELETE, "t", "1", NULL, 0, NULL},
		};
		assert_int_equal(cs_build(&h, dup, 2, &k, &out, &len, &err),
				 BF_EINVAL);
		assert_non_null(strstr(err.msg, "duplicate row"));
	}
	{
		struct cs_row_in rows[] = {
			{CS_UPSERT, "t", "1", e.p, e.len, NULL},
			{CS_UPSERT, "t", "2", bad.p, bad.len, NULL},
		};
		assert_int_equal(cs_build(&h, rows, 2, &k, &out, &len, &err),
				 BF_EINVAL);
		assert_non_null(strstr(err.msg, "row 2"));
		assert_non_null(strstr(err.msg, "fields not in ascending"));
	}
	{
		struct cs_row_in rows[] = {{CS_UPSERT, "t", "", e.p, e.len, NULL}};
		assert_int_equal(cs_build(&h, rows, 1, &k, &out, &len, &err),
				 BF_EINVAL);
	}
	{
		struct cs_row_in rows[] = {{CS_DELETE, "t", "1", NULL, 0, NULL}};

		snprintf(h.origin, sizeof(h.origin), "%s", "Bad Origin");
		assert_int_equal(cs_build(&h, rows, 1, &k, &out, &len, &err),
				 BF_EINVAL);
		snprintf(h.origin, sizeof(h.origin), "%s", "node");
		h.seq = 2; /* with a zero prev */
		assert_int_equal(cs_build(&h, rows, 1, &k, &out, &len, &err),
				 BF_EINVAL);
		h.seq = 1;
		pubonly = k;
		pubonly.has_private = 0;
		assert_int_equal(
			cs_build(&h, rows, 1, &pubonly, &out, &len, &err),
			BF_ECRYPTO);
	}
	/* over the row limit */
	many = calloc(CS_MAX_ROWS + 1, sizeof(*many));
	assert_non_null(many);
	assert_int_equal(
		cs_build(&h, many, CS_MAX_ROWS + 1, &k, &out, &len, &err),
		BF_ETOOBIG);
	free(many);
	/* over the byte limit: 17 rows of a 1 MiB text each */
	{
		size_t n = CS_MAX_STR;
		char *text = malloc(n);
		struct bf_buf big;
		struct cs_row_in rows[17];
		char ids[17][4];

		memset(text, 'x', n);
		bf_buf_init(&big, 0);
		put_uv(&big, 1);
		assert_int_equal(cs_put_str(&big, "t", 1), 0);
		assert_int_equal(cs_put_text(&big, text, n), 0);
		for (int i = 0; i < 17; i++) {
			snprintf(ids[i], sizeof(ids[i]), "%02d", i);
			rows[i] = (struct cs_row_in){CS_UPSERT, "t", ids[i],
						     big.p, big.len, NULL};
		}
		assert_int_equal(cs_build(&h, rows, 17, &k, &out, &len, &err),
				 BF_ETOOBIG);
		assert_non_null(strstr(err.msg, "split"));
		/* 15 fit */
		assert_int_equal(cs_build(&h, rows, 15, &k, &out, &len, &err),
				 0);
		{
			struct changeset cs;

			assert_int_equal(cs_decode(out, len, &cs, &err), 0);
			assert_int_equal(cs.nrows, 15);
			cs_free(&cs);
		}
		free(out);
		bf_buf_free(&big);
		free(text);
	}
	/* an empty change set is valid */
	assert_int_equal(cs_build(&h, NULL, 0, &k, &out, &len, &err), 0);
	{
		struct changeset cs;

		assert_int_equal(cs_decode(out, len, &cs, &err), 0);
		assert_int_equal(cs.nrows, 0);
		cs_free(&cs);
	}
	free(out);
	bf_buf_free(&e);
	bf_buf_free(&bad);
	ed_key_free(&k);
}

/* ---------------------------------------------------------------------- */
/* BFX1 files                                                               */

struct collect {
	size_t n;
	size_t lens[4];
	int stop_at;
};

static int collect_cb(void *ctx, size_t index, const uint8_t *cs, size_t len,
		      struct bf_err *err)
{
	struct collect *c = ctx;

	(void)cs;
	(void)err;
	assert_int_equal(index, c->n + 1);
	if (c->n < 4)
		c->lens[c->n] = len;
	c->n++;
	return (int)c->n == c->stop_at ? 42 : 0;
}

static void test_file(void **state)
{
	struct ed_key k = test_key();
	struct bf_buf f;
	uint8_t *one;
	size_t len;
	struct collect c;
	struct bf_err err;

	(void)state;
	build3(&k, &one, &len);
	bf_buf_init(&f, 0);
	assert_int_equal(cs_file_begin(&f), 0);
	assert_int_equal(cs_file_append(&f, one, len), 0);
	assert_int_equal(cs_file_append(&f, one, 10), 0);
	assert_int_equal(cs_file_append(&f, one, 0), BF_EINVAL);

	memset(&c, 0, sizeof(c));
	assert_int_equal(cs_file_read(f.p, f.len, collect_cb, &c, &err), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lens[0], len);
	assert_int_equal(c.lens[1], 10);

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	assert_int_equal(cs_file_read(f.p, f.len, collect_cb, &c, &err), 42);
	assert_int_equal(c.n, 1);

	/* every truncation is an error, except at an entry boundary */
	for (size_t n = 0; n < f.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		int rc;

		memcpy(copy, f.p, n);
		memset(&c, 0, sizeof(c));
		rc = cs_file_read(copy, n, collect_cb, &c, &err);
		if (n == 4 || n == 8 + len)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, BF_EINVAL);
		if (n > 8 && n < 8 + len)
			assert_non_null(strstr(err.msg, "entry 1"));
		free(copy);
	}

	/* a zero length and a bad magic */
	f.len = 4;
	put_raw(&f, "\0\0\0\0", 4);
	memset(&c, 0, sizeof(c));
	assert_int_equal(cs_file_read(f.p, f.len, collect_cb, &c, &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "offset 4"));
	f.p[0] = 'C';
	assert_int_equal(cs_file_read(f.p, f.len, collect_cb, &c, &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "bad magic"));
	bf_buf_free(&f);
	free(one);
	ed_key_free(&k);
}

/* ---------------------------------------------------------------------- */
/* The published test vector                                                */

static void build_vector(uint8_t **out, size_t *len, struct ed_key *k)
{
	static const char prev_src[] = "biofed test vector prev";
	struct cs_str mats[2] = {{"DNA", 3}, {"SERUM", 5}};
	struct cs_header h = {0};
	struct bf_buf e1, e2;
	struct bf_err err;

	*k = test_key();
	snprintf(h.origin, sizeof(h.origin), "%s", "example-node");
	h.seq = 2;
	h.time_ms = 1767225600000u;
	h.schema = 1;
	cs_sha256(prev_src, strlen(prev_src), h.prev);
	bf_buf_init(&e1, 0);
	bf_buf_init(&e2, 0);
	put_uv(&e1, 3);
	assert_int_equal(cs_put_str(&e1, "acronym", 7), 0);
	assert_int_equal(cs_put_text(&e1, "BB1", 3), 0);
	assert_int_equal(cs_put_str(&e1, "country", 7), 0);
	assert_int_equal(cs_put_text(&e1, "ES", 2), 0);
	assert_int_equal(cs_put_str(&e1, "latitude", 8), 0);
	assert_int_equal(cs_put_real(&e1, 42.8125), 0);
	put_uv(&e2, 3);
	assert_int_equal(cs_put_str(&e2, "materials", 9), 0);
	assert_int_equal(cs_put_list(&e2, mats, 2), 0);
	assert_int_equal(cs_put_str(&e2, "number_of_donors", 16), 0);
	assert_int_equal(cs_put_int(&e2, 120), 0);
	assert_int_equal(cs_put_str(&e2, "size", 4), 0);
	assert_int_equal(cs_put_int(&e2, 350), 0);
	{
		struct cs_row_in rows[] = {
			{CS_UPSERT, "biobank", "bb1", e1.p, e1.len, NULL},
			{CS_UPSERT, "collection", "c1", e2.p, e2.len, NULL},
			{CS_DELETE, "collection", "c0", NULL, 0, NULL},
		};
		if (cs_build(&h, rows, 3, k, out, len, &err))
			fail_msg("%s", err.msg);
	}
	bf_buf_free(&e1);
	bf_buf_free(&e2);
}

/* The hex string that follows "key": in vector.json. */
static void json_hex(const char *json, const char *key, uint8_t *out,
		     size_t n)
{
	char pat[64], *hex;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(json, pat);
	assert_non_null(p);
	p += strlen(pat);
	hex = strndup(p, 2 * n);
	assert_int_equal(bf_unhex(hex, out, n), 0);
	assert_int_equal(p[2 * n], '"');
	free(hex);
}

static void test_vector(void **state)
{
	uint8_t *bin, *json, *out;
	size_t bin_len, json_len, len;
	struct ed_key k;
	struct bf_err err;
	struct changeset cs;
	uint8_t pub[32], sig[64], hash[32], *full;

	(void)state;
	if (bf_read_file(VEC_DIR "changeset.bin", CS_MAX_BYTES, &bin,
			 &bin_len, &err) ||
	    bf_read_file(VEC_DIR "vector.json", 1 << 20, &json, &json_len,
			 &err))
		fail_msg("%s (run from the repository root)", err.msg);
	build_vector(&out, &len, &k);
	assert_int_equal(len, bin_len);
	assert_memory_equal(out, bin, len);

	json_hex((const char *)json, "public_key", pub, 32);
	json_hex((const char *)json, "signature", sig, 64);
	json_hex((const char *)json, "hash", hash, 32);
	assert_memory_equal(pub, k.pub, 32);
	full = malloc(bin_len);
	json_hex((const char *)json, "changeset", full, bin_len);
	assert_memory_equal(full, bin, bin_len);
	free(full);

	if (cs_decode(bin, bin_len, &cs, &err))
		fail_msg("%s", err.msg);
	assert_memory_equal(cs.hash, hash, 32);
	assert_memory_equal(cs.sig, sig, 64);
	assert_int_equal(cs_verify(&cs, pub, &err), 0);
	assert_string_equal(cs.h.origin, "example-node");
	assert_int_equal(cs.h.seq, 2);
	assert_true(cs.h.time_ms == 1767225600000u);
	assert_int_equal(cs.h.schema, 1);
	assert_int_equal(cs.nrows, 3);
	/* biobank bb1, then collection c0 (delete), then collection c1 */
	assert_memory_equal(cs.rows[0].table.p, "biobank", 7);
	assert_int_equal(cs.rows[0].nfields, 3);
	assert_memory_equal(cs.rows[0].fields[0].name.p, "acronym", 7);
	assert_int_equal(cs.rows[0].fields[0].v.type, CS_TEXT);
	assert_memory_equal(cs.rows[0].fields[0].v.s.p, "BB1", 3);
	assert_memory_equal(cs.rows[0].fields[1].v.s.p, "ES", 2);
	assert_int_equal(cs.rows[0].fields[2].v.type, CS_REAL);
	assert_true(cs.rows[0].fields[2].v.r == 42.8125);
	assert_int_equal(cs.rows[1].op, CS_DELETE);
	assert_memory_equal(cs.rows[1].id.p, "c0", 2);
	assert_int_equal(cs.rows[2].nfields, 3);
	assert_int_equal(cs.rows[2].fields[0].v.type, CS_LIST);
	assert_int_equal(cs.rows[2].fields[0].v.nitems, 2);
	assert_memory_equal(cs.rows[2].fields[0].v.items[1].p, "SERUM", 5);
	assert_int_equal(cs.rows[2].fields[1].v.i, 120);
	assert_int_equal(cs.rows[2].fields[2].v.i, 350);
	assert_memory_equal(cs.rows[2].fields[2].name.p, "size", 4);
	{
		/* the row hashes published beside the rows */
		struct bf_buf re;
		uint8_t rh[CS_ROWHASH_LEN];
		char hex[2 * CS_ROWHASH_LEN + 1];

		bf_buf_init(&re, 0);
		assert_int_equal(cs_rowenc(&re, cs.rows[2].fields, 3), 0);
		cs_rowhash(re.p, re.len, rh);
		bf_hex(rh, sizeof(rh), hex);
		assert_non_null(strstr((const char *)json, hex));
		bf_buf_free(&re);
	}
	cs_free(&cs);
	free(out);
	free(bin);
	free(json);
	ed_key_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_sorts),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_build_refusals),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
