/*
 * Unit tests of the store's readers of the roster (storemembers.c): one
 * member, all of them, and the counts the daemon reports; and of the
 * readers of a node's samples (storesamples.c).
 */
#include "storefx.h"

static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
			       "-----END CERTIFICATE-----\n";

/* m1 with every field the readers hand out, m2 with only the required
 * ones, m3 revoked (with a certificate, which the counts leave out). */
static void admit_three(struct fx *f, char old_item[100])
{
	char hex[65];
	struct csb c = {0};
	uint8_t *p;
	size_t len;

	pub_hex(&k_m1, hex);
	snprintf(old_item, 100, "%s:1:4", hex);
	{
		const struct fv m1[] = {
			TXT("acronym", "UM1"),
			TXT("city", "Madrid"),
			TXT("endpoint", "tls+tcp://m1.example:7400"),
			INT("key_from", 5),
			LIST("old_keys", old_item),
			TXT("region", "Centro"),
			TXT("tls_cert", cert_pem),
		};
		const struct fv m3[] = {
			INT("revoked_from", 2),
			TXT("tls_cert", cert_pem),
		};

		roster_row(&c, "m1", &k_m1_new, m1, NF(m1));
		roster_row(&c, "m2", &k_m2, NULL, 0);
		roster_row(&c, "m3", &k_other, m3, NF(m3));
	}
	chain_next(&f->coord, &c, &p, &len);
	apply_ok_free(f->s, p, len);
}

static void test_member_one(void **state)
{
	struct fx *f = *state;
	struct store_member m1, m2, none = {0};
	struct bf_err err;
	char old_item[100], hex[65], want_hash[2 * CS_ROWHASH_LEN + 1];
	char got_hash[2 * CS_ROWHASH_LEN + 1], old_json[160];

	/* an empty roster, and a zeroed struct is left as it was */
	assert_int_equal(store_member(f->s, "m1", &none, &err), BF_ENOENT);
	assert_string_equal(err.msg, "m1 is not in the roster");
	assert_null(none.slug);
	assert_null(none.own);
	store_member_free(&none);

	admit_three(f, old_item);
	assert_int_equal(store_member(f->s, "m1", &m1, &err), 0);
	assert_int_equal(store_member(f->s, "m2", &m2, &err), 0);
	/* m1's text is its own copy: reading m2 did not move it */
	pub_hex(&k_m1_new, hex);
	assert_string_equal(m1.slug, "m1");
	assert_string_equal(m1.name, "A member institution");
	assert_string_equal(m1.country, "ES");
	assert_string_equal(m1.region, "Centro");
	assert_string_equal(m1.acronym, "UM1");
	assert_string_equal(m1.city, "Madrid");
	assert_string_equal(m1.endpoint, "tls+tcp://m1.example:7400");
	assert_string_equal(m1.sign_key, hex);
	snprintf(old_json, sizeof(old_json), "[\"%s\"]", old_item);
	assert_string_equal(m1.old_keys, old_json);
	assert_string_equal(m1.tls_cert, cert_pem);
	assert_int_equal(m1.key_from, 5);
	assert_int_equal(m1.revoked_from, 0);
	query_text(f->s,
		   "SELECT lower(hex(rowhash)) FROM institution WHERE id = "
		   "'m1'",
		   want_hash, sizeof(want_hash));
	bf_hex(m1.rowhash, CS_ROWHASH_LEN, got_hash);
	assert_string_equal(got_hash, want_hash);

	/* what m2's row does not have is NULL or 0 */
	assert_string_equal(m2.slug, "m2");
	assert_string_equal(m2.country, "ES");
	assert_null(m2.region);
	assert_null(m2.acronym);
	assert_null(m2.city);
	assert_null(m2.endpoint);
	assert_null(m2.old_keys);
	assert_null(m2.tls_cert);
	assert_int_equal(m2.key_from, 0);
	assert_int_equal(m2.revoked_from, 0);

	store_member_free(&m1);
	assert_null(m1.own);
	store_member_free(&m1); /* twice is harmless */
	store_member_free(&m2);

	/* only the coordinator's rows are the roster; slugs match exactly */
	assert_int_equal(store_member(f->s, SCHEMA_COORDINATOR, &m1, &err),
			 BF_ENOENT);
	assert_int_equal(store_member(f->s, "M1", &m1, &err), BF_ENOENT);
	assert_int_equal(store_member(f->s, "m3", &m1, &err), 0);
	assert_int_equal(m1.revoked_from, 2);
	store_member_free(&m1);
}

struct walk {
	struct store *s;
	char slugs[8][8];
	int64_t revoked[8];
	size_t n;
	size_t stop_at; /* 0: never */
	int nested_ok;
};

static int walk_cb(void *ctx, const struct store_member *m)
{
	struct walk *w = ctx;
	struct store_member again;
	struct bf_err err;

	assert_true(w->n < 8);
	assert_null(m->own);
	snprintf(w->slugs[w->n], sizeof(w->slugs[0]), "%s", m->slug);
	w->revoked[w->n] = m->revoked_from;
	w->n++;
	/* the walk's callback may read the store again */
	if (store_member(w->s, m->slug, &again, &err) == 0) {
		w->nested_ok +=
			!strcmp(again.slug, m->slug) &&
			!memcmp(again.rowhash, m->rowhash, CS_ROWHASH_LEN);
		store_member_free(&again);
	}
	return w->stop_at && w->n == w->stop_at ? 42 : 0;
}

static void test_member_walk(void **state)
{
	struct fx *f = *state;
	struct walk w = {.s = f->s};
	struct store *ro;
	struct bf_err err;
	char old_item[100];

	assert_int_equal(store_members(f->s, walk_cb, &w, &err), 0);
	assert_int_equal(w.n, 0);

	admit_three(f, old_item);
	assert_int_equal(store_members(f->s, walk_cb, &w, &err), 0);
	/* revoked members too, in slug order */
	assert_int_equal(w.n, 3);
	assert_string_equal(w.slugs[0], "m1");
	assert_string_equal(w.slugs[1], "m2");
	assert_string_equal(w.slugs[2], "m3");
	assert_int_equal(w.revoked[0], 0);
	assert_int_equal(w.revoked[2], 2);
	assert_int_equal(w.nested_ok, 3);

	/* a callback's non-zero return stops the walk and is returned */
	memset(&w, 0, sizeof(w));
	w.s = f->s;
	w.stop_at = 2;
	assert_int_equal(store_members(f->s, walk_cb, &w, &err), 42);
	assert_int_equal(w.n, 2);

	/* a read-only handle (the CLI's) reads the same */
	ro = open_store(f->path, STORE_RDONLY);
	memset(&w, 0, sizeof(w));
	w.s = ro;
	assert_int_equal(store_members(ro, walk_cb, &w, &err), 0);
	assert_int_equal(w.n, 3);
	store_close(ro);
}

static uint64_t count(struct store *s, int with_cert, const char *except)
{
	struct bf_err err;
	uint64_t n = 99;

	if (store_member_count(s, with_cert, except, &n, &err) != 0)
		fail_msg("store_member_count: %s", err.msg);
	return n;
}

static void test_member_count(void **state)
{
	struct fx *f = *state;
	char old_item[100];

	assert_int_equal(count(f->s, 0, NULL), 0);
	assert_int_equal(count(f->s, 1, NULL), 0);
	admit_three(f, old_item);
	/* m3 is revoked: never counted */
	assert_int_equal(count(f->s, 0, NULL), 2);
	assert_int_equal(count(f->s, 1, NULL), 1);
	assert_int_equal(count(f->s, 0, "m1"), 1);
	assert_int_equal(count(f->s, 1, "m1"), 0);
	assert_int_equal(count(f->s, 0, "m3"), 2);
	assert_int_equal(count(f->s, 0, "nobody"), 2);
}

/* ---------------------------------------------------------------------- */
/* Samples                                                                  */

/* Writes owner's samples as an import would: full (every field the scan
 * reads) or only the required ones. */
static void write_samples(struct store *s, const char *owner,
			  const char *const *ids, size_t n, int full)
{
	const struct fv all[] = {
		TXT("collection", "coll-1"),
		TXT("sex", "FEMALE"),
		INT("age", 42),
		TXT("age_unit", "YEAR"),
		TXT("material_type", "SERUM"),
		TXT("diagnosis", "C50"),
		TXT("status", "available"),
		TXT("donor_id", "D-1"),
		REAL("quantity", 1.5), /* not read by the scan */
	};
	const struct fv few[] = {
		TXT("collection", "coll-2"),
		TXT("material_type", "DNA"),
	};
	struct cs_row_in rows[4];
	struct bf_buf enc[4];
	struct bf_err err;

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++) {
		bf_buf_init(&enc[i], 0);
		if (full)
			encode_row(&enc[i], all, NF(all));
		else
			encode_row(&enc[i], few, NF(few));
		rows[i] = (struct cs_row_in){CS_UPSERT, "sample", ids[i],
					     enc[i].p, enc[i].len, NULL};
	}
	if (store_write_local(s, owner, rows, NULL, n, &err) != 0)
		fail_msg("store_write_local: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		bf_buf_free(&enc[i]);
}

struct seen {
	size_t n, full, bare;
	size_t stop_at; /* 0: never */
};

static int str_is(const struct cs_str *v, const char *want)
{
	return v->p && v->len == strlen(want) && !memcmp(v->p, want, v->len);
}

static int sample_cb(void *ctx, const struct store_sample *v)
{
	struct seen *w = ctx;

	w->n++;
	assert_non_null(v->id.p);
	assert_true(v->id.len == 2 && v->id.p[0] == 'S');
	if (str_is(&v->collection, "coll-1")) {
		assert_true(str_is(&v->sex, "FEMALE"));
		assert_true(v->has_age);
		assert_int_equal(v->age, 42);
		assert_true(str_is(&v->age_unit, "YEAR"));
		assert_true(str_is(&v->material_type, "SERUM"));
		assert_true(str_is(&v->diagnosis, "C50"));
		assert_true(str_is(&v->status, "available"));
		assert_true(str_is(&v->donor_id, "D-1"));
		w->full++;
	} else {
		/* what the row does not have: p NULL, length 0 */
		assert_true(str_is(&v->collection, "coll-2"));
		assert_true(str_is(&v->material_type, "DNA"));
		assert_null(v->sex.p);
		assert_int_equal(v->sex.len, 0);
		assert_false(v->has_age);
		assert_null(v->age_unit.p);
		assert_null(v->diagnosis.p);
		assert_null(v->status.p);
		assert_null(v->donor_id.p);
		w->bare++;
	}
	return w->stop_at && w->n == w->stop_at ? 7 : 0;
}

static uint64_t sample_count(struct store *s, const char *owner)
{
	struct bf_err err;
	uint64_t n = 99;

	if (store_sample_count(s, owner, &n, &err) != 0)
		fail_msg("store_sample_count: %s", err.msg);
	return n;
}

static void test_samples(void **state)
{
	struct fx *f = *state;
	static const char *const full[] = {"S1", "S2", "S3"};
	static const char *const bare[] = {"S4"};
	static const char *const other[] = {"S1", "S9"};
	struct seen w = {0};
	struct store *ro;
	struct bf_err err;

	assert_int_equal(sample_count(f->s, "m1"), 0);
	assert_int_equal(store_sample_scan(f->s, "m1", sample_cb, &w, &err), 0);
	assert_int_equal(w.n, 0);

	write_samples(f->s, "m1", full, NF(full), 1);
	write_samples(f->s, "m1", bare, NF(bare), 0);
	write_samples(f->s, "m2", other, NF(other), 1);
	assert_int_equal(sample_count(f->s, "m1"), 4);
	assert_int_equal(sample_count(f->s, "m2"), 2);
	assert_int_equal(sample_count(f->s, "m3"), 0);

	/* only the owner's samples */
	assert_int_equal(store_sample_scan(f->s, "m1", sample_cb, &w, &err), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.full, 3);
	assert_int_equal(w.bare, 1);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_sample_scan(f->s, "m2", sample_cb, &w, &err), 0);
	assert_int_equal(w.n, 2);

	/* a callback's non-zero return stops the scan and is returned */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	assert_int_equal(store_sample_scan(f->s, "m1", sample_cb, &w, &err), 7);
	assert_int_equal(w.n, 2);

	/* read-only handles read the same */
	ro = open_store(f->path, STORE_RDONLY);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_sample_scan(ro, "m1", sample_cb, &w, &err), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(sample_count(ro, "m1"), 4);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_member_one),
		T(test_member_walk),
		T(test_member_count),
		T(test_samples),
#undef T
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
