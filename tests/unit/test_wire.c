/* Unit tests of wire: every message type round-trips; every strict
 * prefix and every trailing byte is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static const uint8_t nonce[WIRE_NONCE] = {1, 2, 3};
static const uint8_t sig[64] = {9, 8, 7};
static const uint8_t hash[CS_HASH_LEN] = {0xaa};

/* Builds one message of each type into bufs[]. */
static size_t build_all(struct bf_buf *bufs)
{
	size_t n = 0;

	for (int i = 0; i < 9; i++)
		bf_buf_init(&bufs[i], 0);
	assert_int_equal(wire_put_hello(&bufs[n++], WIRE_HELLO, "biocruces",
					nonce, NULL), 0);
	assert_int_equal(wire_put_hello(&bufs[n++], WIRE_HELLO_OK,
					"navarrabiomed", nonce, sig), 0);
	assert_int_equal(wire_put_auth(&bufs[n++], sig), 0);
	/* AUTH_OK with a two-entry vector */
	assert_int_equal(wire_put_header(&bufs[n], WIRE_AUTH_OK), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 2), 0);
	assert_int_equal(wire_put_vv(&bufs[n], "biocruces", 7, hash), 0);
	assert_int_equal(wire_put_vv(&bufs[n++], "coordinator", 3, hash), 0);
	/* PULL */
	assert_int_equal(wire_put_header(&bufs[n], WIRE_PULL), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 20000), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 1 << 20), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n++], 0), 0);
	/* BATCH: empty vector, two change sets (opaque here) */
	assert_int_equal(wire_put_header(&bufs[n], WIRE_BATCH), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 0), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 2), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 3), 0);
	assert_int_equal(bf_buf_add(&bufs[n], "abc", 3), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 1), 0);
	assert_int_equal(bf_buf_add(&bufs[n++], "d", 1), 0);
	/* PUSH with one */
	assert_int_equal(wire_put_header(&bufs[n], WIRE_PUSH), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 1), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 2), 0);
	assert_int_equal(bf_buf_add(&bufs[n++], "xy", 2), 0);
	/* PUSH_OK */
	assert_int_equal(wire_put_header(&bufs[n], WIRE_PUSH_OK), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 1), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n], 0), 0);
	assert_int_equal(bf_put_uvarint(&bufs[n++], 0), 0);
	assert_int_equal(wire_put_error(&bufs[n++], WIRE_ERR_UNAUTH,
					"hello first"), 0);
	return n;
}

static void roundtrip(void **state)
{
	struct bf_buf b[9];
	struct wire_msg m;
	struct bf_err err;
	size_t n = build_all(b);
	(void)state;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_decode(b[i].p, b[i].len, &m, &err), 0);
		assert_int_equal(m.type, (int)i + 1);
		switch (m.type) {
		case WIRE_HELLO_OK:
			assert_memory_equal(m.sig, sig, 64);
			assert_int_equal(m.slug.len, 13);
			break;
		case WIRE_AUTH_OK:
			assert_int_equal(m.nvv, 2);
			assert_int_equal(m.vv[0].seq, 7);
			assert_memory_equal(m.vv[1].origin.p, "coordinator", 11);
			break;
		case WIRE_PULL:
			assert_int_equal(m.wait_ms, 20000);
			assert_int_equal(m.max_bytes, 1 << 20);
			break;
		case WIRE_BATCH:
			assert_int_equal(m.ncs, 2);
			assert_memory_equal(m.cs[0].p, "abc", 3);
			break;
		case WIRE_ERROR:
			assert_int_equal(m.code, WIRE_ERR_UNAUTH);
			break;
		default:
			break;
		}
		wire_msg_free(&m);
		bf_buf_free(&b[i]);
	}
}

static void prefixes_and_trailing_refused(void **state)
{
	struct bf_buf b[9];
	struct wire_msg m;
	struct bf_err err;
	size_t n = build_all(b);
	(void)state;

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < b[i].len; k++)
			assert_int_not_equal(wire_decode(b[i].p, k, &m, &err), 0);
		bf_buf_addc(&b[i], 0);
		assert_int_not_equal(wire_decode(b[i].p, b[i].len, &m, &err), 0);
		assert_non_null(strstr(err.msg, "offset"));
		bf_buf_free(&b[i]);
	}
}

static void strictness(void **state)
{
	struct bf_buf b;
	struct wire_msg m;
	struct bf_err err;
	(void)state;

	/* unsorted vector */
	bf_buf_init(&b, 0);
	wire_put_header(&b, WIRE_AUTH_OK);
	bf_put_uvarint(&b, 2);
	wire_put_vv(&b, "b", 1, hash);
	wire_put_vv(&b, "a", 1, hash);
	assert_int_not_equal(wire_decode(b.p, b.len, &m, &err), 0);
	assert_non_null(strstr(err.msg, "ascending"));
	/* unknown type and bad magic */
	bf_buf_reset(&b);
	bf_buf_add(&b, "BFW1\x63", 5);
	assert_int_not_equal(wire_decode(b.p, b.len, &m, &err), 0);
	bf_buf_reset(&b);
	bf_buf_add(&b, "HTTP/1.1 200", 12);
	assert_int_not_equal(wire_decode(b.p, b.len, &m, &err), 0);
	/* a change-set length over the cap */
	bf_buf_reset(&b);
	wire_put_header(&b, WIRE_PUSH);
	bf_put_uvarint(&b, 1);
	bf_put_uvarint(&b, CS_MAX_BYTES + 1);
	assert_int_not_equal(wire_decode(b.p, b.len, &m, &err), 0);
	/* a count larger than the bytes that follow */
	bf_buf_reset(&b);
	wire_put_header(&b, WIRE_PUSH);
	bf_put_uvarint(&b, 1000000);
	assert_int_not_equal(wire_decode(b.p, b.len, &m, &err), 0);
	bf_buf_free(&b);
}

static void transcript_binds_everything(void **state)
{
	struct bf_buf a, b;
	uint8_t other[WIRE_NONCE] = {4};
	(void)state;

	bf_buf_init(&a, 0);
	bf_buf_init(&b, 0);
	wire_transcript(&a, "server", nonce, other, "x", "y");
	wire_transcript(&b, "client", nonce, other, "x", "y");
	assert_false(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	bf_buf_reset(&b);
	wire_transcript(&b, "server", other, nonce, "x", "y");
	assert_false(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	bf_buf_reset(&b);
	wire_transcript(&b, "server", nonce, other, "y", "x");
	assert_false(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	bf_buf_free(&a);
	bf_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(prefixes_and_trailing_refused),
		cmocka_unit_test(strictness),
		cmocka_unit_test(transcript_binds_everything),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
