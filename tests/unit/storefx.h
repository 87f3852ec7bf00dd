/*
 * storefx: what the store's unit tests share (header-only: each test file
 * is a program of its own): fixed keys, rows and change sets built by
 * hand, a fixture with a fresh replica, and a few queries.
 */
#ifndef BIOFED_TESTS_STOREFX_H
#define BIOFED_TESTS_STOREFX_H

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

/* ---------------------------------------------------------------------- */
/* Keys                                                                     */

static struct ed_key k_coord, k_m1, k_m1_new, k_m2, k_other;

static inline void key_from_byte(uint8_t b, struct ed_key *k)
{
	uint8_t seed[32];
	struct bf_err err;

	memset(seed, b, sizeof(seed));
	assert_int_equal(ed_key_from_seed(seed, k, &err), 0);
}

static inline int group_setup(void **state)
{
	key_from_byte(1, &k_coord);
	key_from_byte(2, &k_m1);
	key_from_byte(3, &k_m1_new);
	key_from_byte(4, &k_m2);
	key_from_byte(5, &k_other);
	return 0;
}

static inline int group_teardown(void **state)
{
	ed_key_free(&k_coord);
	ed_key_free(&k_m1);
	ed_key_free(&k_m1_new);
	ed_key_free(&k_m2);
	ed_key_free(&k_other);
	return 0;
}

static inline void pub_hex(const struct ed_key *k, char out[65])
{
	bf_hex(k->pub, 32, out);
}

/* ---------------------------------------------------------------------- */
/* Building rows and change sets                                            */

enum { V_INT = 1, V_REAL, V_TEXT, V_FALSE, V_TRUE, V_LIST };

struct fv {
	const char *name;
	int type;
	int64_t i;
	double r;
	const char *s;
	const char *items[4];
};

#define TXT(n, v) {n, V_TEXT, 0, 0, v, {NULL}}
#define INT(n, v) {n, V_INT, v, 0, NULL, {NULL}}
#define REAL(n, v) {n, V_REAL, 0, v, NULL, {NULL}}
#define BOOL(n, v) {n, (v) ? V_TRUE : V_FALSE, 0, 0, NULL, {NULL}}
#define LIST(n, ...) {n, V_LIST, 0, 0, NULL, {__VA_ARGS__}}
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static inline int fv_cmp(const void *a, const void *b)
{
	const struct fv *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* The row encoding of fields given in any order. */
static inline void encode_row(struct bf_buf *b, const struct fv *in, size_t n)
{
	struct fv f[32];

	assert_true(n <= NF(f));
	memcpy(f, in, n * sizeof(*f));
	qsort(f, n, sizeof(*f), fv_cmp);
	assert_int_equal(bf_put_uvarint(b, n), 0);
	for (size_t i = 0; i < n; i++) {
		struct cs_str items[4];
		size_t ni = 0;

		assert_int_equal(cs_put_str(b, f[i].name, strlen(f[i].name)),
				 0);
		switch (f[i].type) {
		case V_INT:
			assert_int_equal(cs_put_int(b, f[i].i), 0);
			break;
		case V_REAL:
			assert_int_equal(cs_put_real(b, f[i].r), 0);
			break;
		case V_TEXT:
			assert_int_equal(cs_put_text(b, f[i].s, strlen(f[i].s)),
					 0);
			break;
		case V_FALSE:
		case V_TRUE:
			assert_int_equal(cs_put_bool(b, f[i].type == V_TRUE),
					 0);
			break;
		case V_LIST:
			while (ni < 4 && f[i].items[ni]) {
				items[ni].p = f[i].items[ni];
				items[ni].len = strlen(f[i].items[ni]);
				ni++;
			}
			assert_int_equal(cs_put_list(b, items, ni), 0);
			break;
		}
	}
}

struct csb {
	struct cs_row_in rows[16];
	struct bf_buf enc[16];
	size_t n;
	uint64_t schema; /* the header's schema version; 0: this build's */
};

static inline void csb_up(struct csb *c, const char *table, const char *id,
		   const struct fv *f, size_t nf)
{
	assert_true(c->n < NF(c->rows));
	bf_buf_init(&c->enc[c->n], 0);
	encode_row(&c->enc[c->n], f, nf);
	c->rows[c->n] = (struct cs_row_in){CS_UPSERT, table, id,
					   c->enc[c->n].p, c->enc[c->n].len, NULL};
	c->n++;
}

static inline void csb_del(struct csb *c, const char *table, const char *id)
{
	assert_true(c->n < NF(c->rows));
	bf_buf_init(&c->enc[c->n], 0);
	c->rows[c->n] = (struct cs_row_in){CS_DELETE, table, id, NULL, 0, NULL};
	c->n++;
}

/* Signs the rows as origin/seq after prev, and resets the builder. */
static inline void csb_build(struct csb *c, const struct ed_key *k,
		      const char *origin, uint64_t seq,
		      const uint8_t prev[CS_HASH_LEN], uint8_t **out,
		      size_t *len)
{
	struct cs_header h;
	struct bf_err err;

	memset(&h, 0, sizeof(h));
	snprintf(h.origin, sizeof(h.origin), "%s", origin);
	h.seq = seq;
	if (prev)
		memcpy(h.prev, prev, CS_HASH_LEN);
	h.time_ms = 1767225600000u + seq;
	h.schema = c->schema ? c->schema : SCHEMA_VERSION;
	if (cs_build(&h, c->rows, c->n, k, out, len, &err) != 0)
		fail_msg("cs_build: %s", err.msg);
	for (size_t i = 0; i < c->n; i++)
		bf_buf_free(&c->enc[i]);
	c->n = 0;
}

/* One origin's log as its writer sees it. */
struct chain {
	const char *origin;
	const struct ed_key *key;
	uint64_t seq;
	uint8_t head[CS_HASH_LEN];
};

static inline void cs_hash_of(const uint8_t *p, size_t len, uint8_t h[CS_HASH_LEN])
{
	struct cs_header hdr;
	struct bf_err err;

	assert_int_equal(cs_peek_header(p, len, &hdr, h, &err), 0);
}

/* Builds the chain's next change set and advances the chain. */
static inline void chain_next(struct chain *ch, struct csb *c, uint8_t **out,
		       size_t *len)
{
	csb_build(c, ch->key, ch->origin, ch->seq + 1,
		  ch->seq ? ch->head : NULL, out, len);
	ch->seq++;
	cs_hash_of(*out, *len, ch->head);
}

/* ---------------------------------------------------------------------- */
/* Fixture                                                                  */

struct fx {
	char dir[64];
	char path[128];
	struct store *s;
	struct chain coord, m1, m2;
};

static inline void store_files_remove(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[256];

	for (size_t i = 0; i < NF(suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static inline struct store *open_store(const char *path, int flags)
{
	struct store *s = NULL;
	struct bf_err err;

	if (store_open(path, flags, &s, &err) != 0)
		fail_msg("store_open %s: %s", path, err.msg);
	return s;
}

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/biofed-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/replica.db", f->dir);
	f->s = open_store(f->path, STORE_CREATE);
	store_set_coordinator(f->s, k_coord.pub);
	f->coord = (struct chain){SCHEMA_COORDINATOR, &k_coord, 0, {0}};
	f->m1 = (struct chain){"m1", &k_m1, 0, {0}};
	f->m2 = (struct chain){"m2", &k_m2, 0, {0}};
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[256];

	store_close(f->s);
	store_files_remove(f->path);
	snprintf(p, sizeof(p), "%s/other.db", f->dir);
	store_files_remove(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static inline int apply(struct store *s, const uint8_t *p, size_t len,
		 struct bf_err *err)
{
	return store_apply(s, p, len, NULL, NULL, err);
}

static inline void apply_ok(struct store *s, uint8_t *p, size_t len)
{
	struct bf_err err;

	if (apply(s, p, len, &err) != 0)
		fail_msg("store_apply: %s", err.msg);
}

/* Applies and frees. */
static inline void apply_ok_free(struct store *s, uint8_t *p, size_t len)
{
	apply_ok(s, p, len);
	free(p);
}

/* An institution row as the coordinator writes it. */
static inline void roster_row(struct csb *c, const char *id, const struct ed_key *k,
		       const struct fv *more, size_t nmore)
{
	struct fv f[12];
	static char hex[8][65];
	static int slot;
	char *h = hex[slot++ % 8];
	size_t n = 0;

	pub_hex(k, h);
	f[n++] = (struct fv)TXT("country", "ES");
	f[n++] = (struct fv)TXT("name", "A member institution");
	f[n++] = (struct fv)TXT("sign_key", h);
	for (size_t i = 0; i < nmore; i++)
		f[n++] = more[i];
	csb_up(c, "institution", id, f, n);
}

/* The coordinator admits m1 and m2. */
static inline void admit_members(struct fx *f)
{
	struct csb c = {0};
	uint8_t *p;
	size_t len;

	roster_row(&c, "m1", &k_m1, NULL, 0);
	roster_row(&c, "m2", &k_m2, NULL, 0);
	chain_next(&f->coord, &c, &p, &len);
	apply_ok_free(f->s, p, len);
}

static inline void add_column(struct bf_buf *b, sqlite3_stmt *st, int i)
{
	int ty = sqlite3_column_type(st, i);
	const void *v = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	assert_int_equal(bf_buf_addc(b, (uint8_t)ty), 0);
	assert_int_equal(bf_put_uvarint(b, (uint64_t)n), 0);
	if (n)
		assert_int_equal(bf_buf_add(b, v, (size_t)n), 0);
}

/* Content fingerprint of every table: "nothing changed" means equal. */
static inline void content_hash(struct store *s, uint8_t out[CS_HASH_LEN])
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *t = NULL, *st = NULL;
	struct bf_buf b;
	char sql[256];

	bf_buf_init(&b, 0);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM sqlite_master "
					    "WHERE type = 'table' ORDER BY "
					    "name",
					    -1, &t, NULL),
			 SQLITE_OK);
	while (sqlite3_step(t) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"",
			 (const char *)sqlite3_column_text(t, 0));
		assert_int_equal(bf_buf_adds(&b, sql), 0);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
				 SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			for (int i = 0; i < sqlite3_column_count(st); i++)
				add_column(&b, st, i);
		sqlite3_finalize(st);
	}
	sqlite3_finalize(t);
	cs_sha256(b.p, b.len, out);
	bf_buf_free(&b);
}

/* Applies bytes expecting rejection with rc and a message holding want;
 * the database must not change at all. */
static inline void expect_reject(struct store *s, const uint8_t *p, size_t len,
			  int rc, const char *want)
{
	uint8_t before[CS_HASH_LEN], after[CS_HASH_LEN];
	struct bf_err err;
	int got;

	content_hash(s, before);
	memset(&err, 0, sizeof(err));
	got = apply(s, p, len, &err);
	if (got != rc)
		fail_msg("expected rc %d, got %d: %s", rc, got, err.msg);
	if (getenv("TEST_VERBOSE"))
		print_message("rejected: %s\n", err.msg);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	content_hash(s, after);
	assert_memory_equal(before, after, CS_HASH_LEN);
}

static inline int64_t query_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first column of the first row as text ("" for NULL/no row). */
static inline void query_text(struct store *s, const char *sql, char *out,
		       size_t outlen)
{
	sqlite3_stmt *st = NULL;

	out[0] = 0;
	assert_int_equal(sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, outlen, "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}


#endif
