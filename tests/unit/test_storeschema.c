/*
 * Unit tests of the replica's layout as version 3 made it: the full-text
 * index refreshed by store_apply (no triggers), the migration of a
 * version 2 database (new columns filled from `extra`, row hashes and
 * verify unchanged), and the schema-version rule for fields that an older
 * writer did not know.
 */
#include "storefx.h"

static int64_t hits(struct store *s, const char *match)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM search_fts WHERE search_fts MATCH '%s'",
		 match);
	return query_int(s, sql);
}

static void test_search_refresh(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	uint8_t *p;
	size_t len;
	const struct fv a[] = {TXT("name", "Tumour bank"),
			       TXT("biobank", "b1"),
			       TXT("acronym", "PYRTUM"),
			       LIST("keywords", "paediatric", "sarcoma"),
			       TXT("location", "Pamplona")};
	const struct fv a2[] = {TXT("name", "Blood bank"), TXT("biobank", "b1")};
	const struct fv b[] = {TXT("name", "Serum cohort"),
			       TXT("biobank", "b1")};
	const struct fv bad[] = {TXT("name", "Ghost"), TXT("biobank", "b1"),
				 TXT("size", "not a number")};

	admit_members(f);
	csb_up(&c, "collection", "c1", a, NF(a));
	csb_up(&c, "collection", "c2", b, NF(b));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	/* name, acronym, keywords and location are indexed */
	assert_int_equal(hits(f->s, "tumour"), 1);
	assert_int_equal(hits(f->s, "pyrtum"), 1);
	assert_int_equal(hits(f->s, "sarcoma"), 1);
	assert_int_equal(hits(f->s, "pamplona"), 1);
	assert_int_equal(hits(f->s, "serum"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM search_doc"), 2);

	/* an update re-indexes the row: old words gone, new ones there */
	csb_up(&c, "collection", "c1", a2, NF(a2));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(hits(f->s, "tumour"), 0);
	assert_int_equal(hits(f->s, "pamplona"), 0);
	assert_int_equal(hits(f->s, "blood"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM search_doc"), 2);

	/* a refused change set leaves the index as it was */
	{
		struct chain m1 = f->m1;
		csb_up(&c, "collection", "c3", bad, NF(bad));
		chain_next(&m1, &c, &p, &len);
		struct bf_err err;
		assert_int_not_equal(apply(f->s, p, len, &err), 0);
		free(p);
		assert_int_equal(hits(f->s, "ghost"), 0);
		assert_int_equal(query_int(f->s,
					   "SELECT count(*) FROM search_doc"),
				 2);
	}

	/* a delete takes the row out of the index */
	csb_del(&c, "collection", "c2");
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(hits(f->s, "serum"), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM search_doc"), 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM search_fts"), 1);
	/* and no trigger is left to do it twice */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM sqlite_master "
					 "WHERE type = 'trigger'"),
			 0);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* A replica of version 2 had no `country` or `withdrawn` columns on
 * collections and no network table: the values an older publish kept in
 * `extra` under those names move into the new columns, with every row
 * hash (and so verify's digest) as it was. */
static void test_migrate_v3(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	uint8_t *p, d0[CS_HASH_LEN], d1[CS_HASH_LEN];
	size_t len;
	uint64_t rows, problems;
	struct bf_err err;
	sqlite3 *db;
	const struct fv a[] = {TXT("name", "Old collection"),
			       TXT("biobank", "b1"), TXT("country", "ES"),
			       BOOL("withdrawn", 1), TXT("future", "kept")};
	const struct fv odd[] = {TXT("name", "Odd"), TXT("biobank", "b1"),
				 TXT("withdrawn", "yes")};

	admit_members(f);
	csb_up(&c, "collection", "c1", a, NF(a));
	c.schema = 1; /* written by a node that knew neither field */
	csb_up(&c, "collection", "c2", odd, NF(odd));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(store_verify(f->s, d0, &rows, &problems, NULL, NULL,
				      &err),
			 0);
	store_close(f->s);
	f->s = NULL;

	/* back to version 2's layout, as that release left it */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	exec_ok(db, "DROP INDEX collection_withdrawn; "
		    "UPDATE collection SET extra = json_set(coalesce(extra, "
		    "'{}'), '$.country', country) WHERE country IS NOT NULL;"
		    "UPDATE collection SET extra = json_set(coalesce(extra, "
		    "'{}'), '$.withdrawn', json(CASE withdrawn WHEN 1 THEN "
		    "'true' ELSE 'false' END)) WHERE withdrawn IS NOT NULL;"
		    "ALTER TABLE collection DROP COLUMN country;"
		    "ALTER TABLE collection DROP COLUMN withdrawn;"
		    "DROP TABLE network; PRAGMA user_version = 2");
	sqlite3_close(db);

	f->s = open_store(f->path, 0);
	store_set_coordinator(f->s, k_coord.pub);
	/* every later step ran too */
	assert_int_equal(query_int(f->s, "PRAGMA user_version"), 4);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection "
					 "WHERE id = 'c1' AND country = 'ES' "
					 "AND withdrawn = 1"),
			 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection "
					 "WHERE id = 'c1' AND extra = "
					 "'{\"future\":\"kept\"}'"),
			 1);
	/* text where a boolean is due stays where it was */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection "
					 "WHERE id = 'c2' AND withdrawn IS NULL "
					 "AND extra = '{\"withdrawn\":\"yes\"}'"),
			 1);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM network"), 0);
	assert_int_equal(store_verify(f->s, d1, &rows, &problems, NULL, NULL,
				      &err),
			 0);
	assert_int_equal(problems, 0);
	assert_memory_equal(d0, d1, CS_HASH_LEN);
	/* the index was rebuilt from the rows */
	assert_int_equal(hits(f->s, "odd"), 1);
}

/* A field schema version 2 added: another type is kept as an unknown
 * field when the change set says version 1, and refused when it says 2. */
static void test_since_rule(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	struct chain m1;
	uint8_t *p;
	size_t len;
	const struct fv odd[] = {TXT("name", "Odd"), TXT("biobank", "b1"),
				 TXT("withdrawn", "true")};

	admit_members(f);
	m1 = f->m1;
	csb_up(&c, "collection", "c1", odd, NF(odd));
	chain_next(&m1, &c, &p, &len);
	expect_reject(f->s, p, len, BF_EINVAL,
		      "field withdrawn: expected boolean, got text");
	free(p);
	c.schema = 1;
	csb_up(&c, "collection", "c1", odd, NF(odd));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM collection "
					 "WHERE withdrawn IS NULL AND extra = "
					 "'{\"withdrawn\":\"true\"}'"),
			 1);
	/* fields version 1 had are checked whatever the version says */
	{
		const struct fv bad[] = {TXT("name", "Bad"), TXT("biobank", "b1"),
					 TXT("size", "ten")};
		m1 = f->m1;
		c.schema = 1;
		csb_up(&c, "collection", "c2", bad, NF(bad));
		chain_next(&m1, &c, &p, &len);
		expect_reject(f->s, p, len, BF_EINVAL,
			      "field size: expected integer, got text");
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_search_refresh),
		T(test_migrate_v3),
		T(test_since_rule),
#undef T
	};
	return cmocka_run_group_tests_name("storeschema", tests, group_setup,
					   group_teardown);
}
