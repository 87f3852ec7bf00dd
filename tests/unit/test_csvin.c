/*
 * Unit tests for csvin: the real-world shapes of CSV exports (CRLF, BOM,
 * trailing commas, short rows, quoted multi-line cells), line numbers,
 * and every rejection with its file:line message.  The options form:
 * CORDIS quoting, delimiter detection, Windows-1252, files that are not
 * CSV, kept columns and refused rows.
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
	/* rows given to bad_row: the message and the row as above */
	size_t nbad;
	char bad_msg[8][1024];
	char bad_row[8][256];
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

/* --- the options form ------------------------------------------------ */

static void flatten(const struct rec *r, char *out, size_t n)
{
	size_t k = 0;

	out[0] = 0;
	for (size_t i = 0; i < r->ncells; i++)
		k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s=%s",
				      i ? "|" : "", r->cells[i].name,
				      r->cells[i].text);
}

static int collect_bad(void *ctx, const struct rec *r, const char *msg,
		       struct bf_err *err)
{
	struct seen *s = ctx;

	(void)err;
	if (s->nbad < 8) {
		snprintf(s->bad_msg[s->nbad], sizeof(s->bad_msg[0]), "%s", msg);
		flatten(r, s->bad_row[s->nbad], sizeof(s->bad_row[0]));
	}
	s->nbad++;
	return 0;
}

/* A string literal as (text, length). */
#define LIT(s) s, sizeof(s) - 1

/* Parses len bytes with o; notes (if any) land in *notes (malloc'd). */
static int parse_opts(const char *text, size_t len, struct csvin_opts *o,
		      struct seen *s, struct bf_err *err, char **notes)
{
	size_t nlen = 0;
	FILE *nf = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	err->msg[0] = 0;
	if (notes) {
		*notes = NULL;
		nf = open_memstream(notes, &nlen);
		assert_non_null(nf);
		o->notes = nf;
	}
	rc = csvin_read_mem_opts("t.csv", text, len, o, collect, s, err);
	if (nf) {
		fclose(nf);
		o->notes = NULL;
	}
	return rc;
}

static void test_cordis_quotes(void **state)
{
	struct csvin_opts o = {.delim = ';', .cordis_quotes = 1};
	struct seen s;
	struct bf_err err;
	static const char text[] =
		"id;objective;cost\r\n"
		/* inner quotes, as in CORDIS objectives */
		"\"1\";\"We want to \"play around\" with it.\";\"5\"\r\n"
		/* "" stays one quote, and a multi-line cell */
		"\"2\";\"a \"\"b\"\"\r\nc \"d\" e\";\"6\"\r\n"
		/* a quote right before the delimiter closes the cell */
		"\"3\";\"x \"y\";\"7\"\r\n"
		/* a quote that opens the text, and blanks after a closing
		 * quote (strict libcsv closes there too) */
		"\"4\";\"\"\"z\" w\"  ;\"8\"\r\n"
		/* a quote at the very end of input closes the cell */
		"\"5\";\"end \"q\" x\";\"9 \"z\"";

	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &s, &err,
				    NULL),
			 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.row[0],
			    "id=1|objective=We want to \"play around\" with "
			    "it.|cost=5");
	assert_string_equal(s.row[1],
			    "id=2|objective=a \"b\"\r\nc \"d\" e|cost=6");
	assert_string_equal(s.row[2], "id=3|objective=x \"y|cost=7");
	assert_string_equal(s.row[3], "id=4|objective=\"z\" w|cost=8");
	assert_string_equal(s.row[4], "id=5|objective=end \"q\" x|cost=9 \"z");
	/* lines stay exact: row 3 starts after the two-line row 2 */
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 3);
	assert_int_equal(s.line[2], 5);
	assert_int_equal(s.line[4], 7);
	/* strict quoting refuses the same file */
	o.cordis_quotes = 0;
	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &s, &err,
				    NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:2: column \"objective\": "
					"malformed quoting"));
}

/* A file that strict quoting reads is read the same with the CORDIS
 * rule, quotes and blanks in every place strict quoting allows them. */
static void test_cordis_reads_strict_the_same(void **state)
{
	static const char text[] = "a,b,c\n"
				   "\"\",\"\"\"\",\" x \"\n"
				   "1,\"q\"\"\"  ,\"\"\"\"\"\"\n"
				   " \"s\" , t ,\"u\r\nv\"\n"
				   "\"w,\"\"x\"\"\"\t,y,\"\"\n";
	struct csvin_opts o = {.delim = ','};
	struct seen strict, cordis;
	struct bf_err err;

	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &strict, &err,
				    NULL),
			 0);
	o.cordis_quotes = 1;
	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &cordis, &err,
				    NULL),
			 0);
	assert_int_equal(strict.n, 4);
	assert_int_equal(cordis.n, strict.n);
	for (size_t i = 0; i < strict.n; i++) {
		assert_string_equal(cordis.row[i], strict.row[i]);
		assert_int_equal(cordis.line[i], strict.line[i]);
	}
	assert_string_equal(strict.row[1], "a=1|b=q\"|c=\"\"");
}

static int count_quoted(void *ctx, const struct rec *r, struct bf_err *err)
{
	size_t *n = ctx;

	if (r->ncells != 2 || strcmp(r->cells[1].text, "a \"b\" c") != 0 ||
	    r->line != r->index + 1)
		return bf_errf(err, -100, "record %zu (line %zu): [%s]",
			       r->index, r->line, r->cells[1].text);
	(*n)++;
	return 0;
}

/* Inner quotes across the edges of the chunks csvin reads in: each
 * padding puts a chunk edge at another byte of the row. */
static void test_cordis_chunk_edges(void **state)
{
	struct csvin_opts o = {.delim = ';', .cordis_quotes = 1};
	static const char row[] = "1;\"a \"b\" c\"\n";
	struct bf_buf b;
	struct bf_err err;

	bf_buf_init(&b, 0);
	for (size_t pad = 0; pad < sizeof(row); pad++) {
		size_t n = 0, want = 0;
		bf_buf_reset(&b);
		assert_int_equal(bf_buf_adds(&b, "i;t"), 0);
		for (size_t k = 0; k < pad; k++)
			assert_int_equal(bf_buf_addc(&b, ' '), 0);
		assert_int_equal(bf_buf_addc(&b, '\n'), 0);
		while (b.len < 300 * 1024) {
			assert_int_equal(bf_buf_adds(&b, row), 0);
			want++;
		}
		assert_int_equal(csvin_read_mem_opts("t.csv",
						     (const char *)b.p, b.len,
						     &o, count_quoted, &n,
						     &err),
				 0);
		assert_int_equal(n, want);
	}
	bf_buf_free(&b);
}

static void test_detect_delimiter(void **state)
{
	struct csvin_opts o = {0};
	struct seen s;
	struct bf_err err;
	char *notes;
	static const char bom_crlf[] =
		"\xef\xbb\xbf\"id\";\"name\"\r\n\"1\";\"a,b\"\r\n2;c\r\n";
	static const char tsv[] = "\n\nid\tname\tnote\n1\tx y\t\n2\t\"q\tr\"\tz\n";

	/* BOM, CRLF and ';': a note says so */
	assert_int_equal(parse_opts(bom_crlf, sizeof(bom_crlf) - 1, &o, &s,
				    &err, &notes),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "id=1|name=a,b");
	assert_string_equal(s.row[1], "id=2|name=c");
	assert_int_equal(s.line[1], 3);
	assert_string_equal(notes,
			    "t.csv: the header is separated by ';': reading "
			    "it as semicolon-separated (--delimiter to "
			    "choose)\n");
	free(notes);
	/* TSV, after blank lines */
	assert_int_equal(parse_opts(tsv, sizeof(tsv) - 1, &o, &s, &err,
				    &notes),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.row[0], "id=1|name=x y|note=");
	assert_string_equal(s.row[1], "id=2|name=q\tr|note=z");
	assert_int_equal(s.line[0], 4);
	assert_string_equal(notes, "t.csv: the header is separated by tabs: "
				   "reading it as tab-separated (--delimiter "
				   "to choose)\n");
	free(notes);
	/* a comma only inside quotes: with ',' it would be one column */
	assert_int_equal(parse_opts(LIT("id;\"name, full\"\n1;x\n"), &o, &s,
				    &err, &notes),
			 0);
	assert_string_equal(s.row[0], "id=1|name, full=x");
	assert_non_null(strstr(notes, "separated by ';'"));
	free(notes);
	/* commas: as always, and nothing to say; a ';' in a cell is text */
	assert_int_equal(parse_opts(LIT("a,b;c\n1,2;3\n"), &o, &s, &err,
				    &notes),
			 0);
	assert_string_equal(s.row[0], "a=1|b;c=2;3");
	assert_string_equal(notes, "");
	free(notes);
	/* one column: ',' and no note */
	assert_int_equal(parse_opts(LIT("name\nx\n"), &o, &s, &err, &notes), 0);
	assert_string_equal(s.row[0], "name=x");
	assert_string_equal(notes, "");
	free(notes);
	/* a delimiter given is used as given */
	o.delim = ',';
	assert_int_equal(parse_opts(LIT("a;b\n1;2\n"), &o, &s, &err, NULL), 0);
	assert_string_equal(s.row[0], "a;b=1;2");
}

static void test_windows_1252(void **state)
{
	struct csvin_opts o = {0};
	struct seen s;
	struct bf_err err;
	char *notes;
	/* é ñ ü ö in Latin-1, and three bytes only Windows-1252 has: the
	 * euro sign and curly quotes */
	static const char latin1[] = "nombre;ciudad\r\n"
				     "Jos\xe9;Espa\xf1" "a\r\n"
				     "M\xfcller;K\xf6ln\r\n"
				     "\x80 5;\x93q\x94\r\n";

	assert_int_equal(parse_opts(latin1, sizeof(latin1) - 1, &o, &s, &err,
				    &notes),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.row[0],
			    "nombre=Jos\xc3\xa9|ciudad=Espa\xc3\xb1" "a");
	assert_string_equal(s.row[1], "nombre=M\xc3\xbcller|ciudad=K\xc3\xb6ln");
	assert_string_equal(s.row[2], "nombre=\xe2\x82\xac 5|ciudad="
				      "\xe2\x80\x9cq\xe2\x80\x9d");
	assert_non_null(strstr(notes, "t.csv: not UTF-8; read as "
				      "Windows-1252 (Latin-1)\n"));
	free(notes);
	/* UTF-8 is read as it is, with no note about the encoding */
	assert_int_equal(parse_opts(LIT("a\nJos\xc3\xa9\n"), &o, &s, &err,
				    &notes),
			 0);
	assert_string_equal(s.row[0], "a=Jos\xc3\xa9");
	assert_string_equal(notes, "");
	free(notes);
	/* utf8_only refuses it, as the plain form does */
	o.utf8_only = 1;
	o.delim = ';';
	assert_int_equal(parse_opts(latin1, sizeof(latin1) - 1, &o, &s, &err,
				    NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:2: column \"nombre\": invalid "
					"UTF-8"));
}

/* What the long first cell ends in, and the records seen. */
struct tail {
	char end[8];
	size_t len, n;
};

static int keep_tail(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct tail *t = ctx;
	const struct rec_cell *c = &r->cells[0];

	(void)err;
	if (t->n++ == 0 && c->len >= 4) {
		memcpy(t->end, c->text + c->len - 4, 4);
		t->end[4] = 0;
		t->len = c->len;
	}
	return 0;
}

/* A sequence cut by a chunk's end is decided with the next chunk. */
static void test_encoding_chunk_edges(void **state)
{
	struct csvin_opts o = {.delim = ','};
	struct bf_buf b;
	struct bf_err err;
	static const char *const tails[] = {"\xc3\xa9", "\xe9", "\xe2\x82\xac"};
	static const char *const want[] = {"xx\xc3\xa9", "xx\xc3\xa9",
					   "x\xe2\x82\xac"};

	bf_buf_init(&b, 0);
	for (size_t t = 0; t < 3; t++) {
		for (size_t cut = 1; cut <= strlen(tails[t]); cut++) {
			struct tail seen = {{0}, 0, 0};
			size_t cell;
			bf_buf_reset(&b);
			assert_int_equal(bf_buf_adds(&b, "a\n"), 0);
			/* the tail's cut-th byte ends the first chunk
			 * (256 KiB) */
			while (b.len < 256 * 1024 - cut)
				assert_int_equal(bf_buf_addc(&b, 'x'), 0);
			cell = b.len - 2;
			assert_int_equal(bf_buf_adds(&b, tails[t]), 0);
			assert_int_equal(bf_buf_adds(&b, "\nz\n"), 0);
			assert_int_equal(
				csvin_read_mem_opts("t.csv", (const char *)b.p,
						    b.len, &o, keep_tail, &seen,
						    &err),
				0);
			assert_int_equal(seen.n, 2);
			assert_string_equal(seen.end, want[t]);
			/* the x's, then the character as UTF-8 */
			assert_int_equal(seen.len, cell + (t == 2 ? 3 : 2));
		}
	}
	bf_buf_free(&b);
}

static void test_mixed_encodings(void **state)
{
	struct csvin_opts o = {.delim = ','};
	struct seen s;
	struct bf_err err;

	/* UTF-8 first, then a Latin-1 byte */
	assert_int_equal(parse_opts(LIT("a,b\n1,Jos\xc3\xa9\n2,Jos\xe9\n"), &o,
				    &s, &err, NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg,
			       "t.csv:3: column \"b\": invalid UTF-8, but line "
			       "2 is UTF-8: the file mixes two encodings"));
	assert_non_null(strstr(err.msg, "`iconv -f WINDOWS-1252 -t UTF-8 "
					"t.csv > t.csv.utf8`"));
	/* a Latin-1 byte first, then UTF-8 */
	assert_int_equal(parse_opts(LIT("a,b\n1,Jos\xe9\n\n2,Jos\xc3\xa9\n"),
				    &o, &s, &err, NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:4: this line is UTF-8 but line "
					"2 is not: the file mixes two "
					"encodings"));
	assert_non_null(strstr(err.msg, "iconv -f WINDOWS-1252 -t UTF-8"));
	/* a byte Windows-1252 does not define */
	assert_int_equal(parse_opts(LIT("a,b\n1,\xe9\n2,\x81\n"), &o, &s, &err,
				    NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:3: byte 0x81 is neither UTF-8 "
					"nor Windows-1252"));
	/* a control character is not an encoding problem */
	assert_int_equal(parse_opts(LIT("a,b\n1,x\x01y\n"), &o, &s, &err, NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.csv:2: column \"b\": invalid "
					"character 0x01 (a control "
					"character)"));
}

static void test_not_csv(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		const char *msg;
	} cases[] = {
		{"PK\x03\x04\x14\x00\x06\x00", 8,
		 "t.csv: this is an Excel/OpenDocument spreadsheet, not CSV: "
		 "save it as CSV (UTF-8) first"},
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8,
		 "t.csv: this is an Excel/OpenDocument spreadsheet, not CSV"},
		{"<?xml version=\"1.0\"?>\n<a/>\n", 27,
		 "t.csv: this is XML (or HTML), not CSV"},
		{"\xef\xbb\xbf\r\n  <table>", 14,
		 "t.csv: this is XML (or HTML), not CSV"},
		{"\xff\xfe" "a\0,\0b\0", 8,
		 "t.csv: this is UTF-16 text, not UTF-8: convert it with "
		 "`iconv -f UTF-16LE -t UTF-8 t.csv > t.csv.utf8`"},
		{"\0a\0,\0b", 6, "iconv -f UTF-16BE -t UTF-8"},
	};
	struct csvin_opts o = {0};
	struct seen s;
	struct bf_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_opts(cases[i].data, cases[i].len, &o,
					    &s, &err, NULL),
				 BF_EINVAL);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg,
				 cases[i].msg);
		assert_int_equal(s.n, 0);
	}
	/* the plain form says the same */
	assert_int_equal(csvin_read_mem("t.xlsx", "PK\x03\x04zz", 6, ',',
					collect, &s, &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t.xlsx: this is an Excel"));
	/* a name the shell must not split is quoted in the command */
	assert_int_equal(csvin_read_mem_opts("my file's.csv", "\xff\xfe" "a\0",
					     4, &o, collect, &s, &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "t UTF-8 'my file'\\''s.csv' > "
					"'my file'\\''s.csv'.utf8`"));
}

static void test_kept_columns_and_bad_rows(void **state)
{
	static const char *const cols[] = {"id", "title"};
	struct csvin_opts o = {.delim = ',', .columns = cols, .ncolumns = 2};
	struct seen s;
	struct bf_err err;
	static const char text[] = "id,objective,title\n"
				   "1,bad \x01 \xc3\x28 text,T1\n"
				   "2,fine,T\x02" "2\n"
				   "3,,T3,extra\n"
				   ",x,\n"
				   "5,,T5\n";

	/* a broken cell in a column nobody reads harms nothing; a broken
	 * kept cell fails the read without bad_row */
	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &s, &err,
				    NULL),
			 BF_EINVAL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.row[0], "id=1|title=T1");
	assert_non_null(strstr(err.msg, "t.csv:3: column \"title\": invalid "
					"character 0x02"));
	/* with bad_row, each bad row goes there and the others are read */
	o.bad_row = collect_bad;
	assert_int_equal(parse_opts(text, sizeof(text) - 1, &o, &s, &err,
				    NULL),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.row[0], "id=1|title=T1");
	assert_string_equal(s.row[1], "id=|title=");
	assert_int_equal(s.line[1], 5);
	assert_string_equal(s.row[2], "id=5|title=T5");
	assert_int_equal(s.index[2], 5);
	assert_int_equal(s.nbad, 2);
	assert_string_equal(s.bad_msg[0], "t.csv:3: column \"title\": invalid "
					  "character 0x02 (a control "
					  "character)");
	assert_string_equal(s.bad_row[0], "id=2|title=");
	assert_string_equal(s.bad_msg[1],
			    "t.csv:4: 4 cells but the header has 3 columns");
	assert_string_equal(s.bad_row[1], "id=3|title=T3");
	/* the header's problems still fail the read */
	assert_int_equal(parse_opts(LIT("id,id\n1,2\n"), &o, &s, &err, NULL),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "duplicate column name"));
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
		cmocka_unit_test(test_cordis_quotes),
		cmocka_unit_test(test_cordis_reads_strict_the_same),
		cmocka_unit_test(test_cordis_chunk_edges),
		cmocka_unit_test(test_detect_delimiter),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_encoding_chunk_edges),
		cmocka_unit_test(test_mixed_encodings),
		cmocka_unit_test(test_not_csv),
		cmocka_unit_test(test_kept_columns_and_bad_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
