/*
 * Unit tests for jsonin: the three shapes, line numbers of records in
 * pretty-printed files with nested values, and every rejection with its
 * file:line message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonin.h"

#define MAX_SEEN 64

/* What the callback saw: each record flattened to "table#index@line:
 * name=value|..." where value is the text, or the JSON for non-strings. */
struct seen {
	size_t n;
	char row[MAX_SEEN][256];
	size_t stop_at; /* return 42 at this record (1-based); 0: never */
};

static int collect(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct seen *s = ctx;
	size_t k;
	char *out;

	if (s->n >= MAX_SEEN)
		return -100;
	out = s->row[s->n++];
	k = (size_t)snprintf(out, 256, "%s#%zu@%zu:",
			     r->table ? r->table : "", r->index, r->line);
	for (size_t i = 0; i < r->ncells && k < 256; i++) {
		const struct rec_cell *c = &r->cells[i];
		char *dump = NULL;
		assert_non_null(c->json);
		if (c->text) {
			assert_true(json_is_string(c->json));
			assert_int_equal(strlen(c->text), c->len);
		} else {
			assert_false(json_is_string(c->json));
			dump = json_dumps(c->json, JSON_ENCODE_ANY |
							   JSON_COMPACT);
		}
		k += (size_t)snprintf(out + k, 256 - k, "%s%s=%s",
				      i ? "|" : "", c->name,
				      c->text ? c->text : dump);
		free(dump);
	}
	if (s->stop_at && s->n == s->stop_at)
		return bf_errf(err, 42, "stop");
	return 0;
}

static int parse(const char *text, const char *path, struct seen *s,
		 struct bf_err *err)
{
	memset(s, 0, sizeof(*s));
	err->msg[0] = 0;
	return jsonin_read_mem("t.json", text, strlen(text), path, collect, s,
			       err);
}

static void expect_error(const char *text, const char *path, int rc_want,
			 const char *msg)
{
	struct seen s;
	struct bf_err err;
	int rc = parse(text, path, &s, &err);

	assert_int_equal(rc, rc_want);
	if (!strstr(err.msg, msg))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg);
}

static void test_array(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("[{\"id\": \"a\", \"n\": 3, \"ok\": true},"
			       "{\"id\": \"b\", \"tags\": [\"x\"]}, {}]",
			       NULL, &s, &err),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.row[0], "#1@1:id=a|n=3|ok=true");
	assert_string_equal(s.row[1], "#2@1:id=b|tags=[\"x\"]");
	assert_string_equal(s.row[2], "#3@1:");
	assert_int_equal(parse("[]", NULL, &s, &err), 0);
	assert_int_equal(s.n, 0);
}

/* Nested objects and arrays, strings holding brackets, braces, quotes and
 * backslashes: only the records' own braces count. */
static void test_lines_pretty(void **state)
{
	static const char text[] =
		"[\n"
		"  {\n"
		"    \"id\": \"a{[\\\"\\\\\",\n"
		"    \"nested\": {\"x\": [{\"y\": 1},\n"
		"                       {\"z\": {}}]}\n"
		"  },\n"
		"\n"
		"  {\"id\": \"b\", \"list\": [[], [{}], \"]}\"]}, {\n"
		"    \"id\": \"c\"\n"
		"  }\n"
		"]\n";
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse(text, NULL, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_non_null(strstr(s.row[0], "#1@2:id=a{[\"\\|nested="));
	assert_non_null(strstr(s.row[1], "#2@8:id=b|list="));
	assert_string_equal(s.row[2], "#3@8:id=c");
}

static void test_tables(void **state)
{
	static const char text[] =
		"{\n"
		"  \"biobanks\": [\n"
		"    {\"id\": \"bb1\", \"contact\": {\"a\": [1, {}]}},\n"
		"    {\"id\": \"bb2\"}\n"
		"  ],\n"
		"  \"empty\": [],\n"
		"  \"collections\": [\n"
		"    {\"id\": \"c1\"}\n"
		"  ]\n"
		"}\n";
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse(text, NULL, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.row[0],
			    "biobanks#1@3:id=bb1|contact={\"a\":[1,{}]}");
	assert_string_equal(s.row[1], "biobanks#2@4:id=bb2");
	assert_string_equal(s.row[2], "collections#1@8:id=c1");
	expect_error("{\"a\": [],\n \"meta\": {\"v\": 1}}", NULL, BF_EINVAL,
		     "t.json:2: table \"meta\": expected an array of records");
}

static void test_records_path(void **state)
{
	static const char text[] =
		"{\"meta\": {\"items\": [{\"no\": 1}], \"n\": 2},\n"
		" \"data\": {\n"
		"   \"count\": 2, \"x\": [[{}], {\"items\": [{}]}],\n"
		"   \"items\": [\n"
		"     {\"id\": \"r1\", \"sub\": [{\"deep\": {}}]},\n"
		"     {\"id\": \"r2\"}\n"
		"   ]}}\n";
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse(text, "data.items", &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "#1@5:id=r1|sub=[{\"deep\":{}}]");
	assert_string_equal(s.row[1], "#2@6:id=r2");
	assert_int_equal(parse(text, "meta.items", &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.row[0], "#1@1:no=1");
	expect_error(text, "data.nothing", BF_EINVAL,
		     "records path \"data.nothing\": no member \"nothing\"");
	expect_error(text, "data.count", BF_EINVAL,
		     "t.json:3: records path \"data.count\": expected an "
		     "array");
	expect_error(text, "data.count.x", BF_EINVAL, "not an object");
	expect_error(text, "data..items", BF_EINVAL, "empty key");
	expect_error("[{}]", "data", BF_EINVAL, "not an object");
}

static void test_not_an_object(void **state)
{
	expect_error("[{\"a\": 1},\n {\"a\": 2},\n \"x\"]", NULL, BF_EINVAL,
		     "t.json:3: record 3: expected an object");
	expect_error("{\"t\": [\n[{}]]}", NULL, BF_EINVAL,
		     "t.json:2: table \"t\" record 1: expected an object");
}

static void test_syntax_errors(void **state)
{
	expect_error("[{\"a\": 1},\n {\"a\": }]", NULL, BF_EINVAL, "t.json:2:");
	expect_error("[{\"a\": 1,\n  \"a\": 2}]", NULL, BF_EINVAL,
		     "t.json:2:");
	expect_error("[{\"a\": 1,\n  \"a\": 2}]", NULL, BF_EINVAL,
		     "duplicate");
	expect_error("", NULL, BF_EINVAL, "t.json:");
	expect_error("\"just a string\"", NULL, BF_EINVAL, "t.json:1:");
	expect_error("[{\"a\": \"x\\u0001\"}]", NULL, BF_EINVAL,
		     "t.json:1: record 1: member \"a\": control character");
}

static void test_bom(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("\xef\xbb\xbf[\n{\"a\": \"b\"}]", NULL, &s,
			       &err),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.row[0], "#1@2:a=b");
}

static void test_callback_stop(void **state)
{
	struct seen s;
	struct bf_err err;

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(jsonin_read_mem("t.json", "[{}, {}, {}]", 12, NULL,
					 collect, &s, &err),
			 42);
	assert_int_equal(s.n, 2);
	assert_string_equal(err.msg, "stop");
}

static void test_size_cap_and_file(void **state)
{
	char path[] = "/tmp/test_jsonin_XXXXXX";
	struct seen s;
	struct bf_err err;
	char one = '[';
	int fd;

	/* the cap is checked before the data is touched */
	assert_int_equal(jsonin_read_mem("t.json", &one,
					 (size_t)JSONIN_MAX_BYTES + 1, NULL,
					 collect, &s, &err),
			 BF_ETOOBIG);
	assert_non_null(strstr(err.msg, "larger than"));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"t\": [\n{\"k\": null}]}", 21), 21);
	close(fd);
	memset(&s, 0, sizeof(s));
	assert_int_equal(jsonin_read_file(path, NULL, collect, &s, &err), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.row[0], "t#1@2:k=null");
	unlink(path);
	assert_int_equal(jsonin_read_file(path, NULL, collect, &s, &err),
			 BF_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_lines_pretty),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_records_path),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_size_cap_and_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
