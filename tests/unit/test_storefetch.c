/*
 * Unit tests of the store's side of fetch (store.h, "External sources"):
 * a source's state written in steps (what a step does not name keeps its
 * value), the count of a source's rows, the roster's names, and the
 * fetch_state table of version 4: made by the migration, or kept from a
 * replica where fetch had made it (with or without refused), and read
 * from an old replica opened read-only.
 */
#include "storefx.h"

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static struct store_fetch_state state_of(const char *source)
{
	struct store_fetch_state st;

	memset(&st, 0, sizeof(st));
	snprintf(st.source, sizeof(st.source), "%s", source);
	return st;
}

static void put_ok(struct store *s, const struct store_fetch_state *st,
		   unsigned what)
{
	struct bf_err err;

	if (store_fetch_state_put(s, st, what, &err) != 0)
		fail_msg("store_fetch_state_put: %s", err.msg);
}

static struct store_fetch_state get_ok(struct store *s, const char *source)
{
	struct store_fetch_state st;
	struct bf_err err;

	if (store_fetch_state_get(s, source, &st, &err) != 0)
		fail_msg("store_fetch_state_get %s: %s", source, err.msg);
	return st;
}

/* A whole fetch, then a 304, then a failure: each keeps what it did not
 * learn. */
static void test_state_steps(void **state)
{
	struct fx *f = *state;
	struct store_fetch_state st = state_of("cordis"), got;
	struct bf_err err;

	assert_int_equal(store_fetch_state_get(f->s, "cordis", &got, &err),
			 BF_ENOENT);
	assert_non_null(strstr(err.msg, "never fetched"));

	st.last_attempt_ms = st.last_success_ms = st.last_change_ms = 1000;
	st.last_status = 200;
	snprintf(st.url, sizeof(st.url), "http://example.org/p.csv");
	snprintf(st.etag, sizeof(st.etag), "\"e1\"");
	snprintf(st.last_modified, sizeof(st.last_modified), "Mon, 1 Jan");
	st.records = 5;
	st.refused = 2;
	st.pages = 1;
	st.bytes = 4232;
	snprintf(st.roster, sizeof(st.roster), "0123456789abcdef");
	put_ok(f->s, &st,
	       STORE_FETCH_SUCCESS | STORE_FETCH_CHANGE | STORE_FETCH_WHOLE);
	got = get_ok(f->s, "cordis");
	assert_string_equal(got.source, "cordis");
	assert_string_equal(got.url, "http://example.org/p.csv");
	assert_string_equal(got.etag, "\"e1\"");
	assert_string_equal(got.last_modified, "Mon, 1 Jan");
	assert_int_equal(got.last_attempt_ms, 1000);
	assert_int_equal(got.last_success_ms, 1000);
	assert_int_equal(got.last_change_ms, 1000);
	assert_int_equal(got.last_error_ms, 0);
	assert_string_equal(got.last_error, "");
	assert_int_equal(got.last_status, 200);
	assert_int_equal(got.records, 5);
	assert_int_equal(got.refused, 2);
	assert_int_equal(got.pages, 1);
	assert_int_equal(got.bytes, 4232);
	assert_string_equal(got.roster, "0123456789abcdef");

	/* not modified: a success that changed nothing, nothing else new */
	st = state_of("cordis");
	st.last_attempt_ms = st.last_success_ms = 2000;
	st.last_status = 304;
	put_ok(f->s, &st, STORE_FETCH_SUCCESS);
	got = get_ok(f->s, "cordis");
	assert_int_equal(got.last_attempt_ms, 2000);
	assert_int_equal(got.last_success_ms, 2000);
	assert_int_equal(got.last_change_ms, 1000);
	assert_int_equal(got.last_status, 304);
	assert_string_equal(got.etag, "\"e1\"");
	assert_int_equal(got.records, 5);

	/* a failure before any response: status 0 keeps the last one */
	st = state_of("cordis");
	st.last_attempt_ms = st.last_error_ms = 3000;
	snprintf(st.last_error, sizeof(st.last_error), "GET ...: timed out");
	put_ok(f->s, &st, STORE_FETCH_ERROR);
	got = get_ok(f->s, "cordis");
	assert_int_equal(got.last_attempt_ms, 3000);
	assert_int_equal(got.last_success_ms, 2000);
	assert_int_equal(got.last_error_ms, 3000);
	assert_string_equal(got.last_error, "GET ...: timed out");
	assert_int_equal(got.last_status, 304);
	assert_string_equal(got.url, "http://example.org/p.csv");

	/* a whole fetch without validators empties the old ones */
	st = state_of("cordis");
	st.last_attempt_ms = st.last_success_ms = 4000;
	st.last_status = 200;
	snprintf(st.url, sizeof(st.url), "http://example.org/q.csv");
	st.records = 7;
	put_ok(f->s, &st, STORE_FETCH_SUCCESS | STORE_FETCH_WHOLE);
	got = get_ok(f->s, "cordis");
	assert_string_equal(got.url, "http://example.org/q.csv");
	assert_string_equal(got.etag, "");
	assert_string_equal(got.last_modified, "");
	assert_int_equal(got.records, 7);
	assert_int_equal(got.refused, 0);
	assert_int_equal(got.last_change_ms, 1000);
	/* the last error stays on record; the success is later */
	assert_int_equal(got.last_error_ms, 3000);

	/* sources are rows of their own */
	assert_int_equal(store_fetch_state_get(f->s, "other", &got, &err),
			 BF_ENOENT);
}

struct names {
	char v[4][160];
	size_t n;
};

static int name_cb(void *ctx, const struct store_member *m)
{
	struct names *nm = ctx;

	if (nm->n == NF(nm->v))
		return BF_ETOOBIG;
	snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s|%s|%s", m->slug,
		 m->name ? m->name : "-", m->acronym ? m->acronym : "-");
	return 0;
}

/* A source's rows: "NAME:..." ids of the owner's project rows only; the
 * roster's names. */
static void test_rows_and_roster(void **state)
{
	struct fx *f = *state;
	struct csb c = {0};
	uint8_t *p;
	size_t len;
	const struct fv row[] = {TXT("title", "A project")};
	const struct fv acr[] = {TXT("acronym", "AMI")};
	struct names got = {0};
	struct bf_err err;

	assert_int_equal(store_fetch_rows(f->s, "m1", "cordis"), 0);
	assert_int_equal(store_members(f->s, name_cb, &got, &err), 0);
	assert_int_equal(got.n, 0);
	roster_row(&c, "m2", &k_m2, acr, NF(acr));
	roster_row(&c, "m1", &k_m1, NULL, 0);
	chain_next(&f->coord, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	csb_up(&c, "project", "cordis:1", row, NF(row));
	csb_up(&c, "project", "cordis:2", row, NF(row));
	csb_up(&c, "project", "cordis2:1", row, NF(row));
	csb_up(&c, "project", "cordis;1", row, NF(row));
	csb_up(&c, "project", "cordisx", row, NF(row));
	chain_next(&f->m1, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	csb_up(&c, "project", "cordis:3", row, NF(row));
	chain_next(&f->m2, &c, &p, &len);
	apply_ok_free(f->s, p, len);
	assert_int_equal(store_fetch_rows(f->s, "m1", "cordis"), 2);
	assert_int_equal(store_fetch_rows(f->s, "m2", "cordis"), 1);
	assert_int_equal(store_fetch_rows(f->s, "m1", "cordis2"), 1);
	assert_int_equal(store_fetch_rows(f->s, "m1", "sudoe"), 0);

	/* the coordinator's institution rows in id order; no acronym: NULL */
	assert_int_equal(store_members(f->s, name_cb, &got, &err), 0);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.v[0], "m1|A member institution|-");
	assert_string_equal(got.v[1], "m2|A member institution|AMI");
	/* the callback's refusal stops the walk and is returned */
	got.n = NF(got.v);
	assert_int_equal(store_members(f->s, name_cb, &got, &err),
			 BF_ETOOBIG);
}

/* The fetch_state table as fetch made it before version 4: refused was
 * added to tables from before it was counted. */
#define OLD_STATE_DDL                                                        \
	"CREATE TABLE fetch_state(source TEXT PRIMARY KEY, url TEXT, etag "  \
	"TEXT, last_modified TEXT, last_attempt_ms INTEGER, last_success_ms "\
	"INTEGER, last_change_ms INTEGER, last_error_ms INTEGER, last_error "\
	"TEXT, last_status INTEGER, records INTEGER, pages INTEGER, bytes "  \
	"INTEGER, roster TEXT"

/* Takes f's replica back to version 3, with fetch_state as ddl makes it
 * (NULL: none) and one row of source "old" in it. */
static void back_to_v3(struct fx *f, const char *ddl)
{
	sqlite3 *db;
	char sql[1024];

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	exec_ok(db, "DROP TABLE fetch_state; PRAGMA user_version = 3");
	if (ddl) {
		snprintf(sql, sizeof(sql),
			 "%s; INSERT INTO fetch_state(source, url, etag, "
			 "last_attempt_ms, last_success_ms, last_status, "
			 "records) VALUES('old', 'http://x/y.csv', '\"e\"', 5, "
			 "5, 200, 9)",
			 ddl);
		exec_ok(db, sql);
	}
	sqlite3_close(db);
}

static int64_t columns(struct store *s)
{
	return query_int(s, "SELECT count(*) FROM "
			    "pragma_table_info('fetch_state')");
}

/* Version 4 makes the table; a replica where fetch had made it keeps its
 * rows, and gains refused when it lacked it. */
static void test_migrate_v4(void **state)
{
	struct fx *f = *state;
	static const char *const ddl[] = {NULL, OLD_STATE_DDL ")",
					  OLD_STATE_DDL ", refused INTEGER)"};
	struct store_fetch_state st;
	struct bf_err err;

	/* a new replica has it: a write needs nothing else */
	assert_int_equal(query_int(f->s, "PRAGMA user_version"), 4);
	assert_int_equal(columns(f->s), 15);
	for (size_t i = 0; i < NF(ddl); i++) {
		back_to_v3(f, ddl[i]);
		f->s = open_store(f->path, 0);
		assert_int_equal(query_int(f->s, "PRAGMA user_version"), 4);
		assert_int_equal(columns(f->s), 15);
		if (!ddl[i]) {
			assert_int_equal(store_fetch_state_get(f->s, "old", &st,
							       &err),
					 BF_ENOENT);
		} else {
			st = get_ok(f->s, "old");
			assert_string_equal(st.url, "http://x/y.csv");
			assert_string_equal(st.etag, "\"e\"");
			assert_int_equal(st.records, 9);
			assert_int_equal(st.refused, 0);
		}
		st = state_of("new");
		st.last_attempt_ms = 7;
		put_ok(f->s, &st, 0);
		assert_int_equal(get_ok(f->s, "new").last_attempt_ms, 7);
	}
}

/* A read-only open does not migrate: an old replica still answers, as
 * never fetched when fetch had made no table, and with refused 0 from a
 * table that lacks it. */
static void test_old_replica_read_only(void **state)
{
	struct fx *f = *state;
	struct store_fetch_state st;
	struct bf_err err;

	back_to_v3(f, NULL);
	f->s = open_store(f->path, STORE_RDONLY);
	assert_int_equal(store_fetch_state_get(f->s, "old", &st, &err),
			 BF_ENOENT);
	assert_non_null(strstr(err.msg, "never fetched"));
	store_close(f->s);
	f->s = open_store(f->path, 0); /* back to 4, to go back again */
	back_to_v3(f, OLD_STATE_DDL ")");
	f->s = open_store(f->path, STORE_RDONLY);
	st = get_ok(f->s, "old");
	assert_int_equal(st.records, 9);
	assert_int_equal(st.refused, 0);
	assert_int_equal(st.last_status, 200);
	assert_int_equal(query_int(f->s, "PRAGMA user_version"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
		T(test_state_steps),
		T(test_rows_and_roster),
		T(test_migrate_v4),
		T(test_old_replica_read_only),
#undef T
	};
	return cmocka_run_group_tests_name("storefetch", tests, group_setup,
					   group_teardown);
}
