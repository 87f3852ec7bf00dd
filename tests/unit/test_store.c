/*
 * Unit tests for store: applying signed change sets with every rule of
 * DESIGN.md (roster keys, rotation, revocation, sequence, forks, owners,
 * types), unknown fields and tables, the row encoding rebuilt from
 * columns, store_verify and its digest, and the open modes (read-only
 * beside a writer, newer schema versions).  Each test works in its own
 * temporary directory under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changeset.h"
#include "keys.h"
#include "schema.h"
#include "store.h"

#include "store_int.h"
#include "storefx.h"

/* ---------------------------------------------------------------------- */
/* Callbacks                                                                */

struct seen {
	char what[16][80];
	size_t n;
};

static int vv_seen(void *ctx, const struct store_vv_entry *e)
{
	struct seen *s = ctx;

	if (s->n < 16)
		snprintf(s->what[s->n++], 80, "%s/%llu/%llu", e->origin,
			 (unsigned long long)e->seq,
			 (unsigned long long)e->forked_at);
	return 0;
}

static int cs_seen(void *ctx, const struct store_cs_entry *e)
{
	struct seen *s = ctx;
	uint8_t h[CS_HASH_LEN];

	cs_hash_of(e->bytes, e->len, h);
	assert_memory_equal(h, e->hash, CS_HASH_LEN);
	if (s->n < 16)
		snprintf(s->what[s->n++], 80, "%s/%llu", e->origin,
			 (unsigned long long)e->seq);
	return 0;
}

static int row_seen(void *ctx, const char *id, size_t len,
		    const uint8_t hash[CS_ROWHASH_LEN])
{
	struct seen *s = ctx;

	if (s->n < 16)
		snprintf(s->what[s->n++], 80, "%.*s", (int)len, id);
	return 0;
}

static void report_seen(void *ctx, const char *msg)
{
	struct seen *s = ctx;

	if (s->n < 16)
		snprintf(s->what[s->n++], 80, "%s", msg);
}

static uint64_t verify_problems(struct store *s, uint8_t digest[CS_HASH_LEN],
				uint64_t *rows, struct seen *reports)
{
	uint64_t problems = 0, r = 0;
	uint8_t d[CS_HASH_LEN];
	struct bf_err err;
	int rc;

	rc = store_verify(s, digest ? digest : d, rows ? rows : &r, &problems,
			  reports ? report_seen : NULL, reports, &err);
	assert_int_equal(rc == 0, problems == 0);
	if (rc && problems == 0)
		fail_msg("store_verify: %s", err.msg);
	return problems;
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                    */

static void member_data(struct csb *c, const char *suffix)
{
	char b[32], col[32], fact[32];
	static char ids[3][3][32];
	static int slot;
	char(*id)[32] = ids[slot++ % 3];

	snprintf(b, sizeof(b), "bb-%s", suffix);
	snprintf(col, sizeof(col), "col-%s", suffix);
	snprintf(fact, sizeof(fact), "fact-%s", suffix);
	memcpy(id[0], b, 32);
	memcpy(id[1], col, 32);
	memcpy(id[2], fact, 32);
	{
		const struct fv bb[] = {
			TXT("name", "Biobank \"one\""), TXT("country", "ES"),
			REAL("latitude", 42.5), REAL("longitude", -8.25),
			LIST("capabilities", "storage", "tab\there", "q\"uote"),
		};
		const struct fv cl[] = {
			TXT("name", "Cohort"), TXT("biobank", id[0]),
			INT("size", 1200), INT("age_low", 0),
			LIST("materials", "DNA", "SERUM"),
		};
		const struct fv fa[] = {
			TXT("collection", id[1]), INT("number_of_samples", 12),
			TXT("sex", "FEMALE"), TXT("sample_type", "DNA"),
		};
		csb_up(c, "biobank", id[0], bb, NF(bb));
		csb_up(c, "collection", id[1], cl, NF(cl));
		csb_up(c, "collection_fact", id[2], fa, NF(fa));
	}
}

static void test_apply_and_read(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct seen seen = {0};
	struct cs_header hdr;
	uint8_t *p, hash[CS_HASH_LEN];
	size_t len, nrows = 0;
	uint64_t seq;
	char txt[256];
	struct bf_err err;

	admit_members(f);
	member_data(&c, "1");
	chain_next(&f->m2, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	member_data(&c, "1");
	chain_next(&f->m1, &c, &p, &len);
	assert_int_equal(store_apply(f->s, p, len, &hdr, &nrows, &err), 0);
	free(p);
	assert_string_equal(hdr.origin, "m1");
	assert_int_equal(hdr.seq, 1);
	assert_int_equal(nrows, 3);

	/* same ids under two owners: two rows */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM biobank"), 2);
	query_text(f->s,
		   "SELECT name FROM biobank WHERE owner = 'm1' AND id = "
		   "'bb-1'",
		   txt, sizeof(txt));
	assert_string_equal(txt, "Biobank \"one\"");
	query_text(f->s,
		   "SELECT capabilities FROM biobank WHERE owner = 'm1'", txt,
		   sizeof(txt));
	assert_string_equal(txt, "[\"storage\",\"tab\\there\",\"q\\\"uote\"]");
	query_text(f->s, "SELECT latitude FROM biobank WHERE owner = 'm1'",
		   txt, sizeof(txt));
	assert_string_equal(txt, "42.5");
	assert_int_equal(query_int(f->s, "SELECT size FROM collection WHERE "
					 "owner = 'm1'"),
			 1200);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection "
					 "WHERE extra IS NULL AND "
					 "description IS NULL"),
			 2);

	assert_int_equal(store_head(f->s, "m1", &seq, hash, &err), 0);
	assert_int_equal(seq, 1);
	assert_memory_equal(hash, f->m1.head, CS_HASH_LEN);
	assert_int_equal(store_head(f->s, "nobody", &seq, hash, &err), 0);
	assert_int_equal(seq, 0);

	assert_int_equal(store_vector(f->s, vv_seen, &seen, &err), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.what[0], "coordinator/1/0");
	assert_string_equal(seen.what[1], "m1/1/0");
	assert_string_equal(seen.what[2], "m2/1/0");

	/* the roster first, then origins in order */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_changesets(f->s, NULL, 0, cs_seen, &seen, &err),
			 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.what[0], "coordinator/1");
	assert_string_equal(seen.what[1], "m1/1");
	assert_string_equal(seen.what[2], "m2/1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_changesets(f->s, "m1", 1, cs_seen, &seen, &err),
			 0);
	assert_int_equal(seen.n, 0);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_owned_rows(f->s, "collection", "m1", row_seen,
					  &seen, &err),
			 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.what[0], "col-1");
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

static void test_duplicate(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	uint8_t *p;
	size_t len;

	admit_members(f);
	member_data(&c, "1");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok(f->s, p, len);
	expect_reject(f->s, p, len, BF_EDUP, "changeset m1/1: already applied");
	/* a copy is known by its body: one with a spoilt signature is the
	 * same duplicate (nothing of it is applied, and no check is spent
	 * on it); a new change set with a spoilt signature is refused */
	p[len - 1] ^= 1;
	expect_reject(f->s, p, len, BF_EDUP, "changeset m1/1: already applied");
	free(p);
	member_data(&c, "2");
	chain_next(&f->m1, &c, &p, &len);
	p[len - 1] ^= 1;
	expect_reject(f->s, p, len, BF_ECRYPTO, "signature does not verify");
	free(p);
	/* the roster too */
	roster_row(&c, "m1", &k_m1, NULL, 0);
	roster_row(&c, "m2", &k_m2, NULL, 0);
	csb_build(&c, &k_coord, SCHEMA_COORDINATOR, 1, NULL, &p, &len);
	expect_reject(f->s, p, len, BF_EDUP, "already applied");
	free(p);
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

static void test_rejections(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct chain m1 = f->m1, zz = {"zz", &k_other, 0, {0}};
	uint8_t *p, bogus[CS_HASH_LEN];
	size_t len;

	admit_members(f);
	member_data(&c, "1");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);

	memset(bogus, 0x5a, sizeof(bogus));
	{ /* gap: seq 3 after 1 */
		const struct fv fa[] = {TXT("collection", "c")};
		csb_up(&c, "collection_fact", "x", fa, 1);
		csb_build(&c, &k_m1, "m1", 3, bogus, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "changeset m1/3: gap: the next seq of m1 is 2");
		free(p);
	}
	{ /* seq 2 whose prev is not the hash of seq 1 */
		const struct fv fa[] = {TXT("collection", "c")};
		csb_up(&c, "collection_fact", "x", fa, 1);
		csb_build(&c, &k_m1, "m1", 2, bogus, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "changeset m1/2: prev 5a5a");
		free(p);
	}
	{ /* a flipped signature byte */
		const struct fv fa[] = {TXT("collection", "c")};
		m1 = f->m1;
		csb_up(&c, "collection_fact", "x", fa, 1);
		chain_next(&m1, &c, &p, &len);
		p[len - 7] ^= 0x01;
		expect_reject(f->s, p, len, BF_ECRYPTO,
			      "changeset m1/2: signature does not verify");
		free(p);
	}
	{ /* signed by a key that is not m1's */
		const struct fv fa[] = {TXT("collection", "c")};
		m1 = f->m1;
		m1.key = &k_other;
		csb_up(&c, "collection_fact", "x", fa, 1);
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_ECRYPTO, "signature");
		free(p);
	}
	{ /* not a member */
		const struct fv fa[] = {TXT("collection", "c")};
		csb_up(&c, "collection_fact", "x", fa, 1);
		chain_next(&zz, &c, &p, &len);
		expect_reject(f->s, p, len, BF_ENOENT,
			      "changeset zz/1: zz is not a roster member");
		free(p);
	}
	{ /* a member writing the roster */
		m1 = f->m1;
		roster_row(&c, "m1", &k_other, NULL, 0);
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "changeset m1/2: row institution/m1: wrong "
			      "owner: only the coordinator writes "
			      "institution");
		free(p);
	}
	{ /* the coordinator writing a member's table */
		const struct fv bb[] = {TXT("name", "x"), TXT("country", "ES")};
		struct chain co = f->coord;
		csb_up(&c, "biobank", "b", bb, NF(bb));
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "row biobank/b: wrong owner");
		free(p);
	}
	{ /* sample rows never travel, under any spelling */
		const struct fv sa[] = {TXT("collection", "c"),
					TXT("material_type", "DNA")};
		m1 = f->m1;
		csb_up(&c, "sample", "s1", sa, NF(sa));
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL, "local-only");
		free(p);
		m1 = f->m1;
		csb_up(&c, "Samples", "s1", sa, NF(sa));
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL, "not canonical");
		free(p);
	}
	{ /* a wrong type in the last row: the earlier rows roll back too */
		const struct fv ok[] = {TXT("name", "x"), TXT("country", "ES")};
		const struct fv fa[] = {TXT("collection", "c"),
					TXT("number_of_samples", "12")};
		m1 = f->m1;
		csb_up(&c, "biobank", "new-bank", ok, NF(ok));
		csb_up(&c, "collection_fact", "f9", fa, NF(fa));
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "changeset m1/2: row collection_fact/f9: field "
			      "number_of_samples: expected integer, got text");
		free(p);
	}
	{ /* reals SQLite cannot store exactly */
		const struct fv bb[] = {TXT("name", "x"), TXT("country", "ES"),
					REAL("latitude", -0.0)};
		m1 = f->m1;
		csb_up(&c, "biobank", "b", bb, NF(bb));
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "field latitude: real is infinite or negative");
		free(p);
	}
	{ /* roster rows: checked like published ones */
		const struct fv kf[] = {INT("key_from", 0)};
		const struct fv ok[] = {LIST("old_keys", "abc:1:2")};
		const struct fv ty[] = {TXT("key_from", "3")};
		struct chain co = f->coord;

		roster_row(&c, "M_1", &k_m1, NULL, 0);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "row institution/M_1: id is not a slug");
		free(p);
		co = f->coord;
		csb_up(&c, "institution", "m3",
		       (const struct fv[]){TXT("country", "ES"),
					   TXT("name", "x"),
					   TXT("sign_key", "ABCD")},
		       3);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL, "field sign_key");
		free(p);
		co = f->coord;
		roster_row(&c, "m3", &k_other, kf, 1);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "field key_from: 0 is out of range");
		free(p);
		co = f->coord;
		roster_row(&c, "m3", &k_other, ok, 1);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "field old_keys: item 1 is not HEX:FROM:UNTIL");
		free(p);
		co = f->coord;
		roster_row(&c, "m3", &k_other, ty, 1);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "changeset coordinator/2: row institution/m3: "
			      "field key_from: expected integer, got text");
		free(p);
		co = f->coord;
		csb_up(&c, "institution", "m3",
		       (const struct fv[]){TXT("country", "ES"),
					   TXT("name", "x")},
		       2);
		chain_next(&co, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "field sign_key is required");
		free(p);
	}
	{ /* garbage */
		uint8_t junk[200];
		memset(junk, 7, sizeof(junk));
		expect_reject(f->s, junk, sizeof(junk), BF_EINVAL, "changeset");
	}
	/* after all that, m1 seq 2 still applies */
	{
		const struct fv fa[] = {TXT("collection", "c")};
		csb_up(&c, "collection_fact", "x", fa, 1);
		chain_next(&f->m1, &c, &p, &len);
		apply_ok_free(f->s, p, len);
	}
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

static void test_no_coordinator_key(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct store *s2;
	char path[256];
	uint8_t *p;
	size_t len;

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	s2 = open_store(path, STORE_CREATE);
	roster_row(&c, "m1", &k_m1, NULL, 0);
	chain_next(&f->coord, &c, &p, &len);
	expect_reject(s2, p, len, BF_EINVAL, "no coordinator key configured");
	store_set_coordinator(s2, k_other.pub);
	expect_reject(s2, p, len, BF_ECRYPTO, "signature");
	store_set_coordinator(s2, k_coord.pub);
	apply_ok_free(s2, p, len);
	store_close(s2);
}

static void test_revoked(void **state)
{
	struct fx *f = *state;
	const struct fv rev[] = {INT("revoked_from", 3)};
	struct csb c = {0};
	uint8_t *p, key[CS_KEY_LEN];
	size_t len;
	struct bf_err err;

	admit_members(f);
	for (int i = 0; i < 2; i++) {
		member_data(&c, i ? "2" : "1");
		chain_next(&f->m1, &c, &p, &len);
		apply_ok_free(f->s, p, len);
	}
	roster_row(&c, "m1", &k_m1, rev, 1);
	chain_next(&f->coord, &c, &p, &len);
	apply_ok_free(f->s, p, len);

	assert_int_equal(store_origin_key(f->s, "m1", 2, key, &err), 0);
	assert_memory_equal(key, k_m1.pub, CS_KEY_LEN);
	assert_int_equal(store_origin_key(f->s, "m1", 3, key, &err),
			 BF_ECRYPTO);
	assert_non_null(strstr(err.msg, "revoked"));
	member_data(&c, "3");
	chain_next(&f->m1, &c, &p, &len);
	expect_reject(f->s, p, len, BF_ECRYPTO,
		      "changeset m1/3: m1 is revoked from seq 3");
	free(p);
	/* what m1 wrote before stays valid */
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

static void test_rotation(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct chain old;
	char old_item[100], hex[65];
	uint8_t *p, key[CS_KEY_LEN];
	size_t len;
	struct bf_err err;

	/* m1 rotated at seq 3: the old key signed 1..2 */
	pub_hex(&k_m1, hex);
	snprintf(old_item, sizeof(old_item), "%s:1:2", hex);
	{
		const struct fv more[] = {INT("key_from", 3),
					  LIST("old_keys", old_item)};
		roster_row(&c, "m1", &k_m1_new, more, NF(more));
	}
	chain_next(&f->coord, &c, &p, &len);
	apply_ok_free(f->s, p, len);

	assert_int_equal(store_origin_key(f->s, "m1", 1, key, &err), 0);
	assert_memory_equal(key, k_m1.pub, CS_KEY_LEN);
	assert_int_equal(store_origin_key(f->s, "m1", 3, key, &err), 0);
	assert_memory_equal(key, k_m1_new.pub, CS_KEY_LEN);
	assert_int_equal(store_origin_key(f->s, "m9", 3, key, &err),
			 BF_ENOENT);
	assert_int_equal(store_origin_key(f->s, SCHEMA_COORDINATOR, 9, key,
					  &err),
			 0);
	assert_memory_equal(key, k_coord.pub, CS_KEY_LEN);

	for (int i = 0; i < 2; i++) {
		member_data(&c, i ? "2" : "1");
		chain_next(&f->m1, &c, &p, &len);
		apply_ok_free(f->s, p, len);
	}
	/* the old key no longer signs seq 3; the new one does */
	old = f->m1;
	member_data(&c, "3");
	chain_next(&old, &c, &p, &len);
	expect_reject(f->s, p, len, BF_ECRYPTO, "signature does not verify");
	free(p);
	f->m1.key = &k_m1_new;
	member_data(&c, "3");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	/* and verify re-checks seqs 1..2 with the old key */
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

static void test_fork(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct seen seen = {0};
	struct chain branch;
	uint8_t *a, *b, *next;
	size_t alen, blen, nlen;
	struct bf_err err;
	const struct fv fa[] = {TXT("collection", "c"),
				INT("number_of_samples", 1)};
	const struct fv fb[] = {TXT("collection", "c"),
				INT("number_of_samples", 2)};

	admit_members(f);
	branch = f->m1;
	csb_up(&c, "collection_fact", "x", fa, NF(fa));
	chain_next(&f->m1, &c, &a, &alen);
	csb_up(&c, "collection_fact", "x", fb, NF(fb));
	chain_next(&branch, &c, &b, &blen);
	csb_up(&c, "collection_fact", "y", fa, NF(fa));
	chain_next(&f->m1, &c, &next, &nlen);

	apply_ok(f->s, a, alen);
	assert_int_equal(apply(f->s, b, blen, &err), BF_EFORK);
	assert_non_null(strstr(err.msg, "changeset m1/1: fork"));
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM fork_evidence "
					 "WHERE origin = 'm1' AND seq = 1"),
			 1);
	assert_int_equal(query_int(f->s, "SELECT forked_at FROM vv WHERE "
					 "origin = 'm1'"),
			 1);
	/* both change sets are kept: the applied one in the log */
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(store_db(f->s),
						    "SELECT bytes FROM "
						    "fork_evidence",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_bytes(st, 0), (int)blen);
		assert_memory_equal(sqlite3_column_blob(st, 0), b, blen);
		sqlite3_finalize(st);
	}
	/* the same again changes nothing; the applied one is a duplicate */
	assert_int_equal(apply(f->s, b, blen, &err), BF_EFORK);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM fork_evidence"),
			 1);
	assert_int_equal(apply(f->s, a, alen, &err), BF_EDUP);
	/* m1 stops; m2 flows */
	expect_reject(f->s, next, nlen, BF_EINVAL, "forked at seq 1");
	csb_up(&c, "collection_fact", "x", fa, NF(fa));
	free(next);
	chain_next(&f->m2, &c, &next, &nlen);
	apply_ok(f->s, next, nlen);
	assert_int_equal(store_vector(f->s, vv_seen, &seen, &err), 0);
	assert_string_equal(seen.what[1], "m1/1/1");
	assert_string_equal(seen.what[2], "m2/1/0");
	free(a);
	free(b);
	free(next);
}

static void test_extra_fields(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct bf_buf enc, again;
	uint8_t *p, h[CS_ROWHASH_LEN];
	size_t len;
	char txt[512];
	struct bf_err err;
	sqlite3_stmt *st = NULL;
	const struct fv fa[] = {
		BOOL("aa_flag", 1),  TXT("collection", "c1"),
		INT("number_of_samples", -5),
		LIST("zz_codes", "x", "y\"q", "é"),
		REAL("zz_ratio", 0.1), INT("zz_count", -7),
		TXT("zz_note", "h\xc3\xa9llo\nworld"), BOOL("zz_off", 0),
		REAL("zz_huge", 1e300),
	};

	admit_members(f);
	bf_buf_init(&enc, 0);
	bf_buf_init(&again, 0);
	encode_row(&enc, fa, NF(fa));
	csb_up(&c, "collection_fact", "f1", fa, NF(fa));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);

	query_text(f->s, "SELECT extra FROM collection_fact", txt, sizeof(txt));
	assert_non_null(strstr(txt, "{\"aa_flag\":true,\"zz_codes\":[\"x\","
				    "\"y\\\"q\",\"é\"],\"zz_count\":-7,"));
	assert_non_null(strstr(txt, "\"zz_off\":false"));
	assert_int_equal(query_int(f->s, "SELECT number_of_samples FROM "
					 "collection_fact"),
			 -5);

	/* the columns give back the exact bytes that were hashed */
	assert_int_equal(sqlite3_prepare_v2(store_db(f->s),
					    "SELECT * FROM collection_fact",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (store_stmt_rowenc(st, schema_table("collection_fact", 15), &again,
			      &err))
		fail_msg("store_stmt_rowenc: %s", err.msg);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.p, enc.p, enc.len);
	cs_rowhash(enc.p, enc.len, h);
	assert_int_equal(sqlite3_column_bytes(st, 2), CS_ROWHASH_LEN);
	assert_memory_equal(sqlite3_column_blob(st, 2), h, CS_ROWHASH_LEN);
	sqlite3_finalize(st);
	bf_buf_free(&enc);
	bf_buf_free(&again);
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

/* Every column type's rebuild, on a table made for the test, over a
 * hand-written row. */
static void test_stmt_rowenc_types(void **state)
{
	static const struct sch_field fields[] = {
		{.name = "flag", .type = SCH_BOOL},
		{.name = "n", .type = SCH_INT},
		{.name = "name", .type = SCH_TEXT},
		{.name = "off", .type = SCH_BOOL},
		{.name = "r", .type = SCH_REAL},
		{.name = "tags", .type = SCH_LIST},
		{.name = "zz", .type = SCH_TEXT},
	};
	static const struct sch_table t = {.name = "t",
					   .plural = "ts",
					   .flags = SCH_T_REPLICATED,
					   .fields = fields,
					   .nfields = NF(fields)};
	const struct fv want[] = {
		BOOL("flag", 1),	    INT("n", -3), TXT("name", "abc"),
		BOOL("off", 0),	    REAL("r", 2.5), LIST("tags", "a", "b"),
		INT("nn", 4),	    TXT("aa", "x"),
	};
	struct bf_buf exp, got;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct bf_err err;

	bf_buf_init(&exp, 0);
	bf_buf_init(&got, 0);
	encode_row(&exp, want, NF(want));
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	/* columns in another order than the schema's, one NULL field */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT 'o' AS owner, "
					    "'{\"nn\":4,\"aa\":\"x\"}' AS "
					    "extra, 2.5 AS r, 1 AS flag, -3 "
					    "AS n, 'abc' AS name, 0 AS off, "
					    "'[\"a\",\"b\"]' AS tags, NULL "
					    "AS zz",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(bf_buf_add(&got, "prefix", 6), 0);
	if (store_stmt_rowenc(st, &t, &got, &err))
		fail_msg("store_stmt_rowenc: %s", err.msg);
	assert_int_equal(got.len, exp.len + 6);
	assert_memory_equal(got.p + 6, exp.p, exp.len);
	sqlite3_finalize(st);

	/* a BOOL column holding 2 is refused, and b is left as it was */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT NULL AS extra, 2 AS flag, "
					    "NULL AS n, NULL AS name, NULL AS "
					    "off, NULL AS r, NULL AS tags, "
					    "NULL AS zz",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	got.len = 3;
	assert_int_equal(store_stmt_rowenc(st, &t, &got, &err), BF_EINVAL);
	assert_int_equal(got.len, 3);
	sqlite3_finalize(st);
	sqlite3_close(db);
	bf_buf_free(&exp);
	bf_buf_free(&got);
}

static void test_foreign_and_delete(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct seen seen = {0};
	uint8_t *p;
	size_t len;
	struct bf_err err;
	const struct fv fut[] = {TXT("title", "from a newer schema"),
				 REAL("score", -0.0), INT("n", 1)};

	admit_members(f);
	member_data(&c, "1");
	csb_up(&c, "zz_future", "r1", fut, NF(fut));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM foreign_row "
					 "WHERE tbl = 'zz_future' AND owner = "
					 "'m1' AND id = 'r1'"),
			 1);
	assert_int_equal(store_owned_rows(f->s, "zz_future", "m1", row_seen,
					  &seen, &err),
			 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);

	csb_del(&c, "biobank", "bb-1");
	csb_del(&c, "zz_future", "r1");
	csb_del(&c, "collection", "never-existed");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM biobank"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM foreign_row"),
			 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection"), 1);
	assert_int_equal(verify_problems(f->s, NULL, NULL, NULL), 0);
}

/* Two replicas that applied the same logs in another interleaving hold
 * the same digest; a tampered row or log entry is found. */
static void test_verify_digest(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct seen rep = {0};
	struct store *s2;
	char path[256];
	uint8_t *cs[5], d1[CS_HASH_LEN], d2[CS_HASH_LEN];
	size_t len[5];
	uint64_t rows1 = 0, rows2 = 0;
	const struct fv fut[] = {TXT("title", "x")};
	const struct fv ex[] = {TXT("name", "G"), LIST("zz_tags", "t")};

	roster_row(&c, "m1", &k_m1, NULL, 0);
	roster_row(&c, "m2", &k_m2, NULL, 0);
	chain_next(&f->coord, &c, &cs[0], &len[0]);
	member_data(&c, "1");
	chain_next(&f->m1, &c, &cs[1], &len[1]);
	member_data(&c, "1");
	csb_up(&c, "zz_future", "r", fut, 1);
	chain_next(&f->m2, &c, &cs[2], &len[2]);
	member_data(&c, "2");
	csb_up(&c, "research_group", "g", ex, NF(ex));
	chain_next(&f->m1, &c, &cs[3], &len[3]);
	csb_del(&c, "biobank", "bb-1");
	chain_next(&f->m2, &c, &cs[4], &len[4]);

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	s2 = open_store(path, STORE_CREATE);
	store_set_coordinator(s2, k_coord.pub);
	for (int i = 0; i < 5; i++)
		apply_ok(f->s, cs[i], len[i]);
	apply_ok(s2, cs[0], len[0]);
	apply_ok(s2, cs[2], len[2]);
	apply_ok(s2, cs[4], len[4]);
	apply_ok(s2, cs[1], len[1]);
	apply_ok(s2, cs[3], len[3]);

	assert_int_equal(verify_problems(f->s, d1, &rows1, NULL), 0);
	assert_int_equal(verify_problems(s2, d2, &rows2, NULL), 0);
	assert_memory_equal(d1, d2, CS_HASH_LEN);
	/* 2 roster + m1: 6 + group; m2: 3 - 1 deleted + 1 foreign */
	assert_int_equal(rows1, 2 + 7 + 3);
	assert_int_equal(rows2, rows1);

	/* a row changed behind apply's back */
	assert_int_equal(sqlite3_exec(store_db(s2),
				      "UPDATE biobank SET name = 'tampered' "
				      "WHERE owner = 'm1' AND id = 'bb-2'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify_problems(s2, d2, &rows2, &rep), 1);
	assert_non_null(strstr(rep.what[0], "row biobank/m1/bb-2"));
	/* the digest covers stored hashes, not columns: verify is what
	 * finds such damage */
	assert_memory_equal(d1, d2, CS_HASH_LEN);

	/* a log entry whose bytes were altered */
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(sqlite3_exec(store_db(f->s),
				      "UPDATE cs_log SET time_ms = 0, bytes = "
				      "substr(bytes, 1, length(bytes) - 1) || "
				      "x'00' WHERE origin = 'm2' AND seq = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify_problems(f->s, NULL, NULL, &rep), 1);
	assert_non_null(strstr(rep.what[0], "log m2/2: signature"));

	for (int i = 0; i < 5; i++)
		free(cs[i]);
	store_close(s2);
}

/* What verify reports of rows written behind apply's back names their
 * keys as the database holds them, escaped: a report line is one line. */
static void test_verify_escapes(void **state)
{
	struct fx *f = *state;
	struct seen rep = {0};

	assert_int_equal(sqlite3_exec(store_db(f->s),
				      "INSERT INTO foreign_row(tbl, owner, id, "
				      "rowhash, fields) VALUES('zz', "
				      "'m' || char(10) || '\"', 'r\\', x'00', "
				      "x'00')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(verify_problems(f->s, NULL, NULL, &rep), 1);
	assert_string_equal(rep.what[0],
			    "foreign row zz/m\\x0a\\x22/r\\x5c: row hash is not "
			    "16 bytes");
}

/* A roster row's former keys (old_keys): the key whose range holds seq;
 * items that are not exactly HEX:FROM:UNTIL (lowercase hex, FROM >= 1,
 * UNTIL >= FROM, at most 18 digits) are passed over. */
static void test_old_key(void **state)
{
	uint8_t a[CS_KEY_LEN], b[CS_KEY_LEN], k[CS_KEY_LEN];
	char ha[2 * CS_KEY_LEN + 1], hb[2 * CS_KEY_LEN + 1];
	char up[2 * CS_KEY_LEN + 1], json[1024];

	memset(a, 0xa1, sizeof(a));
	memset(b, 0x0b, sizeof(b));
	bf_hex(a, CS_KEY_LEN, ha);
	bf_hex(b, CS_KEY_LEN, hb);
	for (size_t i = 0; i <= 2 * CS_KEY_LEN; i++)
		up[i] = ha[i] >= 'a' && ha[i] <= 'f' ? (char)(ha[i] - 32)
						    : ha[i];
	snprintf(json, sizeof(json),
		 "[\"%s:1:4\", \"junk\", 7, \"%s:9:9:1\", \"%s:5:8\", "
		 "\"%s:20:30\", \"%s:0:40\", \"%s:42:41\", "
		 "\"%s:50:1000000000000000000\", \"%s:60\"]",
		 ha, ha, hb, up, hb, hb, hb, hb);
	for (uint64_t seq = 1; seq <= 8; seq++) {
		memset(k, 0, sizeof(k));
		assert_int_equal(store_old_key(json, strlen(json), seq, k),
				 BF_OK);
		assert_memory_equal(k, seq <= 4 ? a : b, CS_KEY_LEN);
	}
	/* in no range, or only in items that do not parse */
	memset(k, 0, sizeof(k));
	for (uint64_t seq = 0; seq <= 61; seq++)
		if (seq == 0 || seq >= 9)
			assert_int_equal(store_old_key(json, strlen(json), seq,
						       k),
					 BF_ENOENT);
	assert_true(k[0] == 0 && !memcmp(k, k + 1, CS_KEY_LEN - 1));
	/* not a JSON array */
	assert_int_equal(store_old_key("{}", 2, 1, k), BF_ENOENT);
	assert_int_equal(store_old_key("[", 1, 1, k), BF_ENOENT);
	assert_int_equal(store_old_key("", 0, 1, k), BF_ENOENT);
}

static void test_open_modes(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct store *ro = NULL;
	char path[256];
	uint8_t *p;
	size_t len;
	struct bf_err err;
	sqlite3 *db = NULL;

	admit_members(f);
	/* a reader beside the writer sees each commit */
	ro = open_store(f->path, STORE_RDONLY);
	assert_int_equal(query_int(ro, "SELECT count(*) FROM biobank"), 0);
	member_data(&c, "1");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok(f->s, p, len);
	assert_int_equal(query_int(ro, "SELECT count(*) FROM biobank"), 1);
	store_set_coordinator(ro, k_coord.pub);
	assert_int_equal(apply(ro, p, len, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "read-only"));
	free(p);
	assert_int_equal(verify_problems(ro, NULL, NULL, NULL), 0);
	store_close(ro);

	/* after the writer closed, -wal and -shm are still there */
	store_close(f->s);
	f->s = NULL;
	ro = open_store(f->path, STORE_RDONLY);
	assert_int_equal(query_int(ro, "SELECT count(*) FROM collection"), 1);
	store_close(ro);

	/* a newer replica: readable, not writable */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, 0, &f->s, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "newer than this biofed"));
	f->s = open_store(f->path, STORE_RDONLY);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM biobank"), 1);

	/* missing, and not initialised */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	assert_int_equal(store_open(path, 0, &ro, &err), BF_ENOENT);
	assert_int_equal(store_open(path, STORE_RDONLY, &ro, &err), BF_ENOENT);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(y)", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(path, STORE_RDONLY, &ro, &err), BF_ENOENT);
	assert_non_null(strstr(err.msg, "not an initialised biofed replica"));
	/* opening it for writing initialises it */
	ro = open_store(path, 0);
	/* every migration ran, full-text search (version 2) included */
	assert_true(query_int(ro, "PRAGMA user_version") >= 2);
	assert_int_equal(query_int(ro, "SELECT count(*) FROM search_doc"), 0);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_apply_and_read),
		T(test_duplicate),
		T(test_rejections),
		T(test_no_coordinator_key),
		T(test_revoked),
		T(test_rotation),
		T(test_fork),
		T(test_extra_fields),
		cmocka_unit_test(test_stmt_rowenc_types),
		T(test_foreign_and_delete),
		T(test_verify_digest),
		T(test_verify_escapes),
		cmocka_unit_test(test_old_key),
		T(test_open_modes),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
