/*
 * Unit tests for changeset: value and row encodings, the strict decoder
 * (one test per canonical rule), row hashes.  Building, signing,
 * truncations, BFX1 files and the published test vector are in
 * test_csbuild.c.
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

/* ---------------------------------------------------------------------- */
/* A hand encoder for change sets that break one rule at a time.  The
 * signature is 64 zero bytes: cs_decode does not check it. */

static void put_uv(struct bf_buf *b, uint64_t v)
{
	assert_int_equal(bf_put_uvarint(b, v), 0);
}

static void put_raw(struct bf_buf *b, const void *p, size_t n)
{
	assert_int_equal(bf_buf_add(b, p, n), 0);
}

static void put_s(struct bf_buf *b, const char *s)
{
	put_uv(b, strlen(s));
	put_raw(b, s, strlen(s));
}

static void put_header(struct bf_buf *b, const char *origin, uint64_t seq)
{
	uint8_t prev[CS_HASH_LEN];

	memset(prev, seq == 1 ? 0 : 0xab, sizeof(prev));
	put_raw(b, CS_MAGIC, 4);
	put_s(b, origin);
	put_uv(b, seq);
	put_raw(b, prev, sizeof(prev));
	put_uv(b, 1767225600000u);
	put_uv(b, 1);
}

static void put_names(struct bf_buf *b, const char *const *names, size_t n)
{
	put_uv(b, n);
	for (size_t i = 0; i < n; i++)
		put_s(b, names[i]);
}

static void finish(struct bf_buf *b)
{
	uint8_t sig[CS_SIG_LEN] = {0};

	put_raw(b, sig, sizeof(sig));
}

static int decode_buf(struct bf_buf *b, struct bf_err *err)
{
	struct changeset cs;
	int rc = cs_decode(b->p, b->len, &cs, err);

	if (rc == 0)
		cs_free(&cs);
	return rc;
}

/* Expects rejection with a message naming an offset and containing want. */
static void expect_reject(struct bf_buf *b, const char *want)
{
	struct bf_err err = {{0}};
	int rc = decode_buf(b, &err);

	if (rc == 0 || !strstr(err.msg, want) || !strstr(err.msg, "offset"))
		fail_msg("rc %d, message \"%s\", wanted \"%s\"", rc, err.msg,
			 want);
	bf_buf_free(b);
}

static const char *const base_names[] = {"biobank", "collection", "name",
					 "size"};

/* A small valid change set; `variant` breaks one rule (0: none). */
enum variant {
	V_OK,
	V_ROWS_UNSORTED_ID,
	V_ROWS_UNSORTED_TABLE,
	V_ROW_DUP,
	V_FIELDS_UNSORTED,
	V_FIELD_DUP,
	V_TRAILING,
	V_NAN,
	V_EMPTY_TEXT,
	V_EMPTY_LIST,
	V_EMPTY_LIST_ITEM,
	V_BAD_TAG,
	V_BAD_OP,
	V_TABLE_RANGE,
	V_FIELD_RANGE,
	V_EMPTY_ID,
	V_LONG_ID,
	V_BAD_UTF8_TEXT,
	V_NONMINIMAL_INT,
	V_UNUSED_NAME,
};

static void build_variant(struct bf_buf *b, enum variant v)
{
	static const uint8_t nan_le[8] = {0, 0, 0, 0, 0, 0, 0xf8, 0x7f};
	char longid[258];

	bf_buf_init(b, 0);
	put_header(b, "example-node", 3);
	if (v == V_UNUSED_NAME) {
		static const char *const more[] = {"biobank", "collection",
						   "name", "size", "zzz"};
		put_names(b, more, 5);
	} else {
		put_names(b, base_names, 4);
	}
	put_uv(b, 3);
	/* row 1: upsert biobank "b1" {name: text "B", size: int 7} */
	put_raw(b, "\x01", 1);
	put_uv(b, v == V_TABLE_RANGE ? 9 : 0);
	if (v == V_EMPTY_ID) {
		put_uv(b, 0);
	} else if (v == V_LONG_ID) {
		memset(longid, 'x', 257);
		longid[257] = 0;
		put_s(b, longid);
	} else {
		put_s(b, "b1");
	}
	put_uv(b, 2);
	if (v == V_FIELDS_UNSORTED) {
		put_uv(b, 3);
		put_raw(b, "\x01\x0e", 2);
		put_uv(b, 2);
	} else {
		put_uv(b, v == V_FIELD_RANGE ? 4 : 2);
	}
	switch (v) {
	case V_NAN:
		put_raw(b, "\x02", 1);
		put_raw(b, nan_le, 8);
		break;
	case V_EMPTY_TEXT:
		put_raw(b, "\x03\x00", 2);
		break;
	case V_EMPTY_LIST:
		put_raw(b, "\x06\x00", 2);
		break;
	case V_EMPTY_LIST_ITEM:
		put_raw(b, "\x06\x02\x01X\x00", 5);
		break;
	case V_BAD_TAG:
		put_raw(b, "\x07", 1);
		break;
	case V_BAD_UTF8_TEXT:
		put_raw(b, "\x03\x02\xc3\x28", 4);
		break;
	default:
		put_raw(b, "\x03\x01" "B", 3);
	}
	if (v != V_FIELDS_UNSORTED) {
		put_uv(b, v == V_FIELD_DUP ? 2 : 3);
		if (v == V_NONMINIMAL_INT)
			put_raw(b, "\x01\x8e\x00", 3);
		else
			put_raw(b, "\x01\x0e", 2);
	}
	/* rows 2 and 3: deletes of collection "c1" and "c2" */
	put_raw(b, v == V_BAD_OP ? "\x03" : "\x02", 1);
	put_uv(b, 1);
	put_s(b, "c1");
	put_raw(b, "\x02", 1);
	put_uv(b, v == V_ROWS_UNSORTED_TABLE ? 0 : 1);
	put_s(b, v == V_ROWS_UNSORTED_ID ? "c0" : v == V_ROW_DUP ? "c1" : "c2");
	if (v == V_TRAILING)
		put_raw(b, "\x00", 1);
	finish(b);
}

static void test_handmade_ok(void **state)
{
	struct bf_buf b;
	struct changeset cs;
	struct bf_err err;

	(void)state;
	build_variant(&b, V_OK);
	if (cs_decode(b.p, b.len, &cs, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cs.nrows, 3);
	assert_string_equal(cs.h.origin, "example-node");
	assert_int_equal(cs.h.seq, 3);
	assert_int_equal(cs.rows[0].nfields, 2);
	assert_int_equal(cs.rows[0].fields[1].v.type, CS_INT);
	assert_int_equal(cs.rows[0].fields[1].v.i, 7);
	assert_int_equal(cs.rows[1].op, CS_DELETE);
	assert_int_equal(cs.rows[1].nfields, 0);
	assert_memory_equal(cs.rows[2].id.p, "c2", 2);
	cs_free(&cs);
	bf_buf_free(&b);
}

static void test_reject_rules(void **state)
{
	static const struct {
		enum variant v;
		const char *want;
	} cases[] = {
		{V_ROWS_UNSORTED_ID, "row 3: rows not in ascending"},
		{V_ROWS_UNSORTED_TABLE, "row 3: rows not in ascending"},
		{V_ROW_DUP, "row 3: duplicate row"},
		{V_FIELDS_UNSORTED, "row 1: field 2: fields not in ascending"},
		{V_FIELD_DUP, "row 1: field 2: duplicate field"},
		{V_TRAILING, "unexpected bytes after the last row"},
		{V_NAN, "NaN"},
		{V_EMPTY_TEXT, "text value: empty"},
		{V_EMPTY_LIST, "empty list"},
		{V_EMPTY_LIST_ITEM, "list item: empty"},
		{V_BAD_TAG, "unknown value type 7"},
		{V_BAD_OP, "row 2: unknown op 3"},
		{V_TABLE_RANGE, "table name index 9 out of range"},
		{V_FIELD_RANGE, "field name index 4 out of range"},
		{V_EMPTY_ID, "id: empty"},
		{V_LONG_ID, "id: 257 bytes"},
		{V_BAD_UTF8_TEXT, "not valid UTF-8"},
		{V_NONMINIMAL_INT, "not minimal"},
		{V_UNUSED_NAME, "name 5 is not used"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bf_buf b;

		build_variant(&b, cases[i].v);
		expect_reject(&b, cases[i].want);
	}
}

static void test_reject_header(void **state)
{
	struct bf_buf b;
	static const char *const one[] = {"t"};
	uint8_t prev[CS_HASH_LEN] = {0};

	(void)state;
	/* one valid tail after a header: a delete of t "x" */
#define TAIL(b)                                                          \
	do {                                                             \
		put_names(b, one, 1);                                    \
		put_uv(b, 1);                                            \
		put_raw(b, "\x02\x00\x01x", 4);                          \
		finish(b);                                               \
	} while (0)

	bf_buf_init(&b, 0);
	put_header(&b, "coordinator", 1);
	TAIL(&b);
	assert_int_equal(decode_buf(&b, NULL), 0);
	b.p[0] = 'X';
	expect_reject(&b, "bad magic");

	bf_buf_init(&b, 0);
	put_header(&b, "Not_A_Slug", 2);
	TAIL(&b);
	expect_reject(&b, "origin is not a slug");

	bf_buf_init(&b, 0);
	put_header(&b, "-dash", 2);
	TAIL(&b);
	expect_reject(&b, "origin is not a slug");

	bf_buf_init(&b, 0);
	put_header(&b, "node", 0);
	TAIL(&b);
	expect_reject(&b, "seq is 0");

	/* seq 1 must have a zero prev, and only seq 1 */
	bf_buf_init(&b, 0);
	put_raw(&b, CS_MAGIC, 4);
	put_s(&b, "node");
	put_uv(&b, 1);
	prev[5] = 1;
	put_raw(&b, prev, sizeof(prev));
	put_uv(&b, 0);
	put_uv(&b, 1);
	TAIL(&b);
	expect_reject(&b, "prev must be all zero");

	bf_buf_init(&b, 0);
	put_raw(&b, CS_MAGIC, 4);
	put_s(&b, "node");
	put_uv(&b, 5);
	prev[5] = 0;
	put_raw(&b, prev, sizeof(prev));
	put_uv(&b, 0);
	put_uv(&b, 1);
	TAIL(&b);
	expect_reject(&b, "prev is all zero");

	/* a non-minimal seq: 0x82 0x00 is 2 with a useless byte */
	bf_buf_init(&b, 0);
	put_raw(&b, CS_MAGIC, 4);
	put_s(&b, "node");
	put_raw(&b, "\x82\x00", 2);
	memset(prev, 1, sizeof(prev));
	put_raw(&b, prev, sizeof(prev));
	put_uv(&b, 0);
	put_uv(&b, 1);
	TAIL(&b);
	expect_reject(&b, "seq: varint not minimal");
#undef TAIL
}

static void test_reject_names(void **state)
{
	static const char *const unsorted[] = {"b", "a"};
	static const char *const dup[] = {"a", "a"};
	static const char *const prefix[] = {"ab", "a"};
	const char *const *sets[] = {unsorted, dup, prefix};
	const char *want[] = {"names not in ascending", "duplicate name",
			      "names not in ascending"};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct bf_buf b;

		bf_buf_init(&b, 0);
		put_header(&b, "node", 1);
		put_names(&b, sets[i], 2);
		put_uv(&b, 2);
		put_raw(&b, "\x02\x00\x01x\x02\x01\x01x", 8);
		finish(&b);
		expect_reject(&b, want[i]);
	}
}

static void test_reject_size(void **state)
{
	struct bf_buf b;
	uint8_t *big;
	struct changeset cs;
	struct bf_err err;

	(void)state;
	big = calloc(1, CS_MAX_BYTES + 1);
	assert_non_null(big);
	memcpy(big, CS_MAGIC, 4);
	assert_int_equal(cs_decode(big, CS_MAX_BYTES + 1, &cs, &err),
			 BF_ETOOBIG);
	free(big);

	/* over CS_MAX_FIELDS in one row */
	bf_buf_init(&b, 0);
	put_header(&b, "node", 1);
	put_uv(&b, 1);
	put_s(&b, "t");
	put_uv(&b, 1);
	put_raw(&b, "\x01\x00\x01x", 4);
	put_uv(&b, CS_MAX_FIELDS + 1);
	for (unsigned i = 0; i < CS_MAX_FIELDS + 1; i++)
		put_raw(&b, "\x00\x04", 2);
	finish(&b);
	expect_reject(&b, "over the limit");

	/* a row count far beyond the bytes given */
	bf_buf_init(&b, 0);
	put_header(&b, "node", 1);
	put_uv(&b, 0);
	put_uv(&b, 90000);
	finish(&b);
	expect_reject(&b, "cannot fit");
}

/* ---------------------------------------------------------------------- */
/* Values and row encodings                                                 */

static void test_value_roundtrip(void **state)
{
	static const int64_t ints[] = {0, 1, -1, 63, -64, 64, 300, -300,
				       INT64_MAX, INT64_MIN};
	static const double reals[] = {0.0, -0.0, 42.8125, -1e300, 5e-324,
				       INFINITY, -INFINITY};
	struct cs_str items[3] = {{"DNA", 3}, {"\xc3\xa9t\xc3\xa9", 5},
				  {"x", 1}};
	struct bf_buf b;
	struct cs_field *f;
	size_t n;
	struct bf_err err;
	char name[16];

	(void)state;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		bf_buf_init(&b, 0);
		put_uv(&b, 1);
		assert_int_equal(cs_put_str(&b, "n", 1), 0);
		assert_int_equal(cs_put_int(&b, ints[i]), 0);
		if (cs_rowenc_decode(b.p, b.len, &f, &n, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(n, 1);
		assert_int_equal(f[0].v.type, CS_INT);
		assert_true(f[0].v.i == ints[i]);
		cs_fields_free(f, n);
		bf_buf_free(&b);
	}
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		bf_buf_init(&b, 0);
		put_uv(&b, 1);
		assert_int_equal(cs_put_str(&b, "r", 1), 0);
		assert_int_equal(cs_put_real(&b, reals[i]), 0);
		assert_int_equal(cs_rowenc_decode(b.p, b.len, &f, &n, &err),
				 0);
		assert_int_equal(f[0].v.type, CS_REAL);
		assert_memory_equal(&f[0].v.r, &reals[i], sizeof(double));
		cs_fields_free(f, n);
		bf_buf_free(&b);
	}

	/* all six types in one row, names ascending */
	bf_buf_init(&b, 0);
	put_uv(&b, 6);
	assert_int_equal(cs_put_str(&b, "a", 1), 0);
	assert_int_equal(cs_put_bool(&b, 0), 0);
	assert_int_equal(cs_put_str(&b, "b", 1), 0);
	assert_int_equal(cs_put_bool(&b, 1), 0);
	assert_int_equal(cs_put_str(&b, "c", 1), 0);
	assert_int_equal(cs_put_list(&b, items, 3), 0);
	assert_int_equal(cs_put_str(&b, "d", 1), 0);
	assert_int_equal(cs_put_text(&b, "h\xc3\xa9llo\tw", 8), 0);
	assert_int_equal(cs_put_str(&b, "e", 1), 0);
	assert_int_equal(cs_put_int(&b, -5), 0);
	assert_int_equal(cs_put_str(&b, "e\xc3\xa9", 3), 0);
	assert_int_equal(cs_put_real(&b, 1.5), 0);
	if (cs_rowenc_decode(b.p, b.len, &f, &n, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(n, 6);
	assert_int_equal(f[0].v.type, CS_FALSE);
	assert_int_equal(f[1].v.type, CS_TRUE);
	assert_int_equal(f[2].v.type, CS_LIST);
	assert_int_equal(f[2].v.nitems, 3);
	assert_memory_equal(f[2].v.items[1].p, "\xc3\xa9t\xc3\xa9", 5);
	assert_int_equal(f[3].v.type, CS_TEXT);
	assert_int_equal(f[3].v.s.len, 8);
	assert_int_equal(f[4].v.i, -5);
	assert_true(f[5].v.r == 1.5);
	snprintf(name, sizeof(name), "%.*s", (int)f[5].name.len, f[5].name.p);
	assert_string_equal(name, "e\xc3\xa9");

	/* re-encoding, from raw and from typed values, gives the same bytes */
	{
		struct bf_buf again, typed;

		bf_buf_init(&again, 0);
		bf_buf_init(&typed, 0);
		assert_int_equal(cs_rowenc(&again, f, n), 0);
		assert_int_equal(again.len, b.len);
		assert_memory_equal(again.p, b.p, b.len);
		for (size_t i = 0; i < n; i++)
			f[i].v.raw.p = NULL;
		assert_int_equal(cs_rowenc(&typed, f, n), 0);
		assert_int_equal(typed.len, b.len);
		assert_memory_equal(typed.p, b.p, b.len);
		bf_buf_free(&again);
		bf_buf_free(&typed);
	}
	cs_fields_free(f, n);
	bf_buf_free(&b);
}

static void test_encoder_refusals(void **state)
{
	struct bf_buf b;
	struct cs_field f[2];

	(void)state;
	bf_buf_init(&b, 0);
	assert_int_equal(cs_put_real(&b, NAN), BF_EINVAL);
	assert_int_equal(cs_put_text(&b, "", 0), BF_EINVAL);
	assert_int_equal(cs_put_text(&b, "\xff", 1), BF_EINVAL);
	assert_int_equal(cs_put_text(&b, "a\0b", 3), BF_EINVAL);
	assert_int_equal(cs_put_list(&b, NULL, 0), BF_EINVAL);
	assert_int_equal(b.len, 0); /* nothing written on failure */

	memset(f, 0, sizeof(f));
	f[0].name = (struct cs_str){"b", 1};
	f[0].v.type = CS_TRUE;
	f[1].name = (struct cs_str){"a", 1};
	f[1].v.type = CS_TRUE;
	assert_int_equal(cs_rowenc(&b, f, 2), BF_EINVAL);
	f[1].name = (struct cs_str){"b", 1};
	assert_int_equal(cs_rowenc(&b, f, 2), BF_EINVAL);
	assert_int_equal(b.len, 0);
	/* raw bytes come from the decoders, which validated them: they are
	 * copied as they are, names included */
	f[1].name = (struct cs_str){"c", 1};
	f[1].v.raw = (struct cs_str){"\x05", 1};
	assert_int_equal(cs_rowenc(&b, f, 2), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.p, "\x02\x01" "b" "\x05" "\x01" "c" "\x05", 7);
	bf_buf_free(&b);
}

static void test_rowenc_reject(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *want;
	} cases[] = {
		{"\x02\x01" "b\x04\x01" "a\x04", 7, "field 2: fields not in"},
		{"\x02\x01" "a\x04\x01" "a\x04", 7, "field 2: duplicate"},
		{"\x01\x01" "a\x04\x00", 5, "unexpected bytes"},
		{"\x01\x00\x04", 3, "field name: empty"},
		{"\x01\x01" "a", 3, "value: truncated"},
		{"\x01\x01" "a\x02\x00\x00", 6, "real value: truncated"},
		{"\x01\x01" "a\x01\x80\x00", 6, "not minimal"},
		{"\x01\x01" "a\x03\x05" "ab", 7, "truncated"},
		{"\x81\x00", 2, "not minimal"},
		{"", 0, "field count: truncated"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cs_field *f = NULL;
		size_t n;
		struct bf_err err = {{0}};
		int rc = cs_rowenc_decode((const uint8_t *)cases[i].bytes,
					  cases[i].len, &f, &n, &err);

		if (rc == 0 || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: rc %d \"%s\"", i, rc, err.msg);
	}
}

/* The decoder's fast ASCII path must agree with bf_utf8_ok on every
 * string, wherever the odd byte sits. */
static void test_utf8_agrees(void **state)
{
	static const uint8_t odd[] = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f,
				      0x20, 0x7e, 0x7f, 0x80, 0xc3, 0xff};
	uint8_t s[40];

	(void)state;
	for (size_t len = 1; len <= 24; len++) {
		for (size_t at = 0; at < len; at++) {
			for (size_t k = 0; k < sizeof(odd); k++) {
				struct bf_buf b;
				struct cs_field *f;
				size_t n;
				int rc;

				memset(s, 'a', len);
				s[at] = odd[k];
				if (odd[k] == 0xc3 && at + 1 < len)
					s[at + 1] = 0xa9; /* a valid pair */
				bf_buf_init(&b, 0);
				put_raw(&b, "\x01\x01" "a\x03", 4);
				put_uv(&b, len);
				put_raw(&b, s, len);
				rc = cs_rowenc_decode(b.p, b.len, &f, &n, NULL);
				assert_int_equal(rc == 0, bf_utf8_ok(s, len));
				if (rc == 0)
					cs_fields_free(f, n);
				bf_buf_free(&b);
			}
		}
	}
}

static void test_rowhash(void **state)
{
	struct bf_buf a, b;
	uint8_t ha[CS_ROWHASH_LEN], hb[CS_ROWHASH_LEN];
	struct cs_str items[2] = {{"DNA", 3}, {"RNA", 3}};
	struct cs_str swapped[2] = {{"RNA", 3}, {"DNA", 3}};

	(void)state;
	/* the same fields, encoded twice, hash the same */
	for (int variant = 0; variant <= 5; variant++) {
		bf_buf_init(&a, 0);
		bf_buf_init(&b, 0);
		put_uv(&a, 2);
		put_uv(&b, 2);
		assert_int_equal(cs_put_str(&a, "m", 1), 0);
		assert_int_equal(cs_put_list(&a, items, 2), 0);
		assert_int_equal(cs_put_str(&a, "n", 1), 0);
		assert_int_equal(cs_put_int(&a, 10), 0);
		assert_int_equal(cs_put_str(&b, "m", 1), 0);
		assert_int_equal(cs_put_list(&b, variant == 1 ? swapped
							     : items,
					     2),
				 0);
		assert_int_equal(cs_put_str(&b, variant == 2 ? "o" : "n", 1),
				 0);
		if (variant == 3)
			assert_int_equal(cs_put_int(&b, 11), 0);
		else if (variant == 4)
			assert_int_equal(cs_put_real(&b, 10.0), 0);
		else if (variant == 5)
			assert_int_equal(cs_put_text(&b, "10", 2), 0);
		else
			assert_int_equal(cs_put_int(&b, 10), 0);
		cs_rowhash(a.p, a.len, ha);
		cs_rowhash(b.p, b.len, hb);
		if (variant == 0)
			assert_memory_equal(ha, hb, sizeof(ha));
		else
			assert_memory_not_equal(ha, hb, sizeof(ha));
		bf_buf_free(&a);
		bf_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handmade_ok),
		cmocka_unit_test(test_reject_rules),
		cmocka_unit_test(test_reject_header),
		cmocka_unit_test(test_reject_names),
		cmocka_unit_test(test_reject_size),
		cmocka_unit_test(test_value_roundtrip),
		cmocka_unit_test(test_encoder_refusals),
		cmocka_unit_test(test_rowenc_reject),
		cmocka_unit_test(test_utf8_agrees),
		cmocka_unit_test(test_rowhash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
