/*
 * Unit tests for csvin: the real-world shapes of CSV exports (CRLF, BOM,
 * trailing commas, short rows, quoted multi-line cells), line numbers,
 * and every rejection with its file:line message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"

#define MAX_SEEN 64

/* What the callback saw: each record flattened to "name=text|name=text". */
struct seen {
	size_t n;
	size_t line[MAX_SEEN];
	size_t index[MAX_SEEN];
	char row[MAX_SEEN][256];
	size_t stop_at; /* return 42 at this record (1-based); 0: never */
};

static int collect(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct seen *s = ctx;
	size_t k = 0;

	assert_null(r->table);
	if (s->n < MAX_SEEN) {
		char *out = s->row[s->n];
		out[0] = 0;
		for (size_t i = 0; i < r->ncells; i++) {
			assert_non_null(r->cells[i].text);
			assert_null(r->cells[i].json);
			assert_int_equal(strlen(r->cells[i].text),
					 r->cells[i].len);
			k += (size_t)snprintf(out + k, k < 256 ? 256 - k : 0,
					      "%s%s=%s", i ? "|" : "",
					      r->cells[i].name,
					      r->cells[i].text);
		}
		s->line[s->n] = r->line;
		s->index[s->n] = r->index;
	}
	s->n++;
	if (s->stop_at && s->n == s->stop_at)
		return bf_errf(err, 42, "%s:%zu: stop here", r->file, r->line);
	return 0;
}

static int parse(const char *text, char delim, struct seen *s,
		 struct bf_err *err)
{
	memset(s, 0, sizeof(*s));
	err->msg[0] = 0;
	return csvin_read_mem("t.csv", text, strlen(text), delim, collect, s,
			      err);
}

static void expect_error(const char *text, int rc_want, const char *msg)
{
	struct seen s;
	struct bf_err err;
	int rc = parse(text, ',', &s, &err);

	assert_int_equal(rc, rc_want);
	if (!strstr(err.msg, msg))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg);
}

static void test_crlf_no_final_newline(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("id,name\r\n1,x\r\n2,y", ',', &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "id=1|name=x");
	assert_string_equal(s.row[1], "id=2|name=y");
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 3);
	assert_int_equal(s.index[1], 2);
}

static void test_bom_and_trimmed_header(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("\xef\xbb\xbf id , \" name \"\n1,x\n", ',', &s,
			       &err),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.row[0], "id=1|name=x");
}

static void test_quoted_cells_and_lines(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("id,note\n"
			       "1,\"a, \"\"b\"\"\nc\"\n"
			       "2,\"DNA,SERUM\"\n"
			       "\"3\r\n\",\"x\r\n\r\ny\"\r\n"
			       "4,z\n",
			       ',', &s, &err),
			 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.row[0], "id=1|note=a, \"b\"\nc");
	assert_int_equal(s.line[0], 2);
	assert_string_equal(s.row[1], "id=2|note=DNA,SERUM");
	assert_int_equal(s.line[1], 4);
	assert_string_equal(s.row[2], "id=3\r\n|note=x\r\n\r\ny");
	assert_int_equal(s.line[2], 5);
	assert_int_equal(s.line[3], 9);
}

static void test_blank_lines_and_lone_cr(void **state)
{
	struct seen s;
	struct bf_err err;

	/* blank lines, a whitespace line and a row of delimiters only */
	assert_int_equal(parse("\n\na,b\n\n1,2\n  \n,\n\r\n3,4\n", ',', &s,
			       &err),
			 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.line[0], 5);
	assert_int_equal(s.line[1], 9);
	/* classic Mac line ends */
	assert_int_equal(parse("a,b\r1,2\r\r3,4", ',', &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 4);
	/* a lone CR, blanks, then LF: two line breaks */
	assert_int_equal(parse("a,b\r  \n1,2\r\n\r \r\n3,4", ',', &s, &err),
			 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.line[0], 3);
	assert_int_equal(s.line[1], 6);
}

static void test_trailing_commas(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("id,name,,\n1,x,,\n2,y\n3,z,,,,,\n", ',', &s,
			       &err),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.row[0], "id=1|name=x");
	assert_string_equal(s.row[1], "id=2|name=y");
	assert_string_equal(s.row[2], "id=3|name=z");
}

static void test_semicolon(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("a;b\n1;\"2;3\"\n4,5;6\n", ';', &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "a=1|b=2;3");
	assert_string_equal(s.row[1], "a=4,5|b=6");
}

static void test_short_rows(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("a,b,c\n1\n2,3\n", ',', &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "a=1|b=|c=");
	assert_string_equal(s.row[1], "a=2|b=3|c=");
}

static void test_too_many_cells(void **state)
{
	expect_error("a,b\n1,2\n\n3,4,5\n", BF_EINVAL,
		     "t.csv:4: 3 cells but the header has 2 columns");
	expect_error("a,b\n1,2,,\" \",,\n", BF_EINVAL,
		     "t.csv:2: 4 cells but the header has 2 columns");
}

static void test_bad_header(void **state)
{
	expect_error("a,b, a\n", BF_EINVAL,
		     "t.csv:1: duplicate column name \"a\" (columns 1 and 3)");
	expect_error("\n\na,,b\n", BF_EINVAL,
		     "t.csv:3: column 2 of the header has no name");
	expect_error(",,\n1,2\n", BF_EINVAL,
		     "t.csv:1: the header row has no column names");
	expect_error("", BF_EINVAL, "t.csv: no header");
	expect_error("\r\n\n   \n", BF_EINVAL, "t.csv: no header");
}

static void test_header_only(void **state)
{
	struct seen s;
	struct bf_err err;

	assert_int_equal(parse("a,b\n", ',', &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse("a,b", ',', &s, &err), 0);
	assert_int_equal(s.n, 0);
}

static void test_invalid_text(void **state)
{
	static const char nul[] = "a,b\n1,2\nx\0y,3\n";
	struct seen s;
	struct bf_err err;

	expect_error("a,b\n1,2\n3,\xff\n", BF_EINVAL,
		     "t.csv:3: column \"b\": invalid UTF-8");
	expect_error("a,b\n1,\"x\ny\"\n3,\"\n\xc3\x28\"\n", BF_EINVAL,
		     "t.csv:4: column \"b\": invalid UTF-8");
	expect_error("a,\x01\n", BF_EINVAL, "t.csv:1: column 2: invalid");
	assert_int_equal(csvin_read_mem("t.csv", nul, sizeof(nul) - 1, ',',
					collect, &s, &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:3: column \"a\": invalid"));
}

static void test_bad_quoting(void **state)
{
	expect_error("a,b\n1,2\n3,\"xx\nyy\n", BF_EINVAL,
		     "t.csv:3: column \"b\": quoted cell not closed at end "
		     "of file");
	expect_error("a,b\n1,x\"y\n", BF_EINVAL,
		     "t.csv:2: column \"b\": malformed quoting");
	expect_error("a,b\n\"x\"y,1\n", BF_EINVAL,
		     "t.csv:2: column \"a\": malformed quoting");
}

static void test_callback_stop(void **state)
{
	struct seen s;
	struct bf_err err;
	int rc;

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	rc = csvin_read_mem("t.csv", "a\n1\n2\n3\n", 8, ',', collect, &s,
			    &err);
	assert_int_equal(rc, 42);
	assert_int_equal(s.n, 2);
	assert_string_equal(err.msg, "t.csv:3: stop here");
}

static void test_limits(void **state)
{
	struct seen s;
	struct bf_err err;
	struct bf_buf b;
	char one = 'a';

	/* the cap is checked before the data is touched */
	assert_int_equal(csvin_read_mem("t.csv", &one,
					(size_t)CSVIN_MAX_BYTES + 1, ',',
					collect, &s, &err),
			 BF_ETOOBIG);
	assert_int_equal(csvin_read_mem("t.csv", "a\n", 2, '"', collect, &s,
					&err),
			 BF_EINVAL);

	bf_buf_init(&b, 0);
	for (int i = 0; i < CSVIN_MAX_COLUMNS; i++)
		assert_int_equal(bf_buf_printf(&b, "c%d,", i), 0);
	assert_int_equal(bf_buf_adds(&b, ",,\n"), 0);
	assert_int_equal(parse(bf_buf_cstr(&b), ',', &s, &err), 0);
	b.len -= 3;
	assert_int_equal(bf_buf_adds(&b, "extra\n"), 0);
	assert_int_equal(parse(bf_buf_cstr(&b), ',', &s, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "more than 1024 columns"));

	bf_buf_reset(&b);
	assert_int_equal(bf_buf_adds(&b, "a,b\n1,"), 0);
	for (int i = 0; i < CSVIN_MAX_CELL + 1; i++)
		assert_int_equal(bf_buf_addc(&b, 'x'), 0);
	assert_int_equal(parse(bf_buf_cstr(&b), ',', &s, &err), BF_ETOOBIG);
	assert_non_null(strstr(err.msg, "t.csv:2: column \"b\": cell longer"));

	/* an unclosed quote does not buffer the rest of the file */
	bf_buf_reset(&b);
	assert_int_equal(bf_buf_adds(&b, "a,b\n1,\""), 0);
	for (int i = 0; i < 3 * CSVIN_MAX_CELL; i++)
		assert_int_equal(bf_buf_addc(&b, 'x'), 0);
	assert_int_equal(parse(bf_buf_cstr(&b), ',', &s, &err), BF_ETOOBIG);
	bf_buf_free(&b);
}

static int count_lines(void *ctx, const struct rec *r, struct bf_err *err)
{
	size_t *expect = ctx;

	/* each record i (from 1) starts on line 2 + 3 * (i - 1) */
	if (r->line != 2 + 3 * (r->index - 1) || r->ncells != 3 ||
	    r->cells[2].len != 9)
		return bf_errf(err, -100, "record %zu at line %zu", r->index,
			       r->line);
	*expect = r->index;
	return 0;
}

/* Many chunks of libcsv input, with multi-line cells across the chunk
 * edges: line numbers must stay exact. */
static void test_read_file_chunks(void **state)
{
	char path[] = "/tmp/test_csvin_XXXXXX";
	struct bf_err err;
	size_t last = 0;
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("\xef\xbb\xbfid,name,note\r\n", f);
	for (int i = 0; i < 100000; i++)
		fprintf(f, "%d,\"n%d\",\"ab\r\nc\nd\"\"e\"\r\n", i, i);
	fclose(f);
	assert_int_equal(csvin_read_file(path, ',', count_lines, &last, &err),
			 0);
	assert_int_equal(last, 100000);
	unlink(path);
	assert_int_equal(csvin_read_file(path, ',', count_lines, &last, &err),
			 BF_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crlf_no_final_newline),
		cmocka_unit_test(test_bom_and_trimmed_header),
		cmocka_unit_test(test_quoted_cells_and_lines),
		cmocka_unit_test(test_blank_lines_and_lone_cr),
		cmocka_unit_test(test_trailing_commas),
		cmocka_unit_test(test_semicolon),
		cmocka_unit_test(test_short_rows),
		cmocka_unit_test(test_too_many_cells),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_invalid_text),
		cmocka_unit_test(test_bad_quoting),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_read_file_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
