/*
 * output: table, JSON and CSV renderings of result rows (see output.h).
 */
#include "output.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS 128

struct out {
	FILE *f;
	enum out_format fmt;
	size_t ncols, col;
	char *names[MAX_COLS];
	unsigned flags[MAX_COLS];
	size_t rows;
	int in_row;
	int failed;        /* a write failed */
	json_t *obj;       /* json: the row at hand */
	struct bf_buf line; /* csv: the line at hand */
	/* table: every cell's display text, NUL-terminated, in one arena */
	struct bf_buf cells;
	size_t *off;       /* rows * ncols offsets into cells */
	size_t noff, capoff;
};

int out_format_parse(const char *name, enum out_format *fmt,
		     struct bf_err *err)
{
	if (!name)
		*fmt = isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
	else if (!strcmp(name, "table"))
		*fmt = OUT_TABLE;
	else if (!strcmp(name, "json"))
		*fmt = OUT_JSON;
	else if (!strcmp(name, "csv"))
		*fmt = OUT_CSV;
	else
		return bf_errf(err, BF_EINVAL,
			       "--format: \"%.40s\" is not table, json or csv",
			       name);
	return 0;
}

int out_new(FILE *f, enum out_format fmt, struct out **o)
{
	struct out *x = calloc(1, sizeof(*x));

	if (!x)
		return BF_ENOMEM;
	x->f = f;
	x->fmt = fmt;
	bf_buf_init(&x->line, 0);
	bf_buf_init(&x->cells, 0);
	*o = x;
	return 0;
}

int out_col(struct out *o, const char *name, unsigned flags)
{
	if (o->ncols == MAX_COLS || o->rows || o->in_row)
		return BF_EINVAL;
	if (!(o->names[o->ncols] = strdup(name)))
		return BF_ENOMEM;
	o->flags[o->ncols++] = flags;
	return 0;
}

/* --- csv ---------------------------------------------------------------- */

static int csv_cell(struct bf_buf *b, const char *s, size_t len)
{
	int quote = len && (s[0] == ' ' || s[len - 1] == ' ' ||
			    s[0] == '\t' || s[len - 1] == '\t');
	int rc = 0;

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' ||
			s[i] == '\r';
	if (!quote)
		return bf_buf_add(b, s, len);
	rc = bf_buf_addc(b, '"');
	for (size_t i = 0; i < len && !rc; i++)
		rc = s[i] == '"' ? bf_buf_add(b, "\"\"", 2)
				 : bf_buf_addc(b, (uint8_t)s[i]);
	return rc ? rc : bf_buf_addc(b, '"');
}

static int csv_line_end(struct out *o)
{
	int rc = bf_buf_addc(&o->line, '\n');

	if (!rc && fwrite(o->line.p, 1, o->line.len, o->f) != o->line.len)
		o->failed = 1;
	bf_buf_reset(&o->line);
	return rc;
}

static int csv_header(struct out *o)
{
	int rc = 0;

	for (size_t i = 0; i < o->ncols && !rc; i++) {
		if (i)
			rc = bf_buf_addc(&o->line, ',');
		rc = rc ? rc : csv_cell(&o->line, o->names[i],
					strlen(o->names[i]));
	}
	return rc ? rc : csv_line_end(o);
}

/* --- table --------------------------------------------------------------- */

/* Display width in characters (UTF-8 code points) of n bytes. */
static size_t u8len_n(const char *s, size_t n)
{
	size_t chars = 0;

	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	return chars;
}

static size_t u8len(const char *s)
{
	return u8len_n(s, strlen(s));
}

/* Appends s for a terminal: control characters as spaces, at most
 * OUT_TABLE_CELL characters. */
static int table_cell(struct out *o, const char *s, size_t len)
{
	size_t chars = 0, off = o->cells.len, i;
	int rc = 0;

	if (bf_grow(&o->off, &o->capoff, o->noff + 1, sizeof(*o->off), 1024))
		return BF_ENOMEM;
	for (i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80 && ++chars > OUT_TABLE_CELL - 3 &&
		    u8len_n(s + i, len - i) > 3) {
			/* more than fits: cut here */
			rc = bf_buf_adds(&o->cells, "...");
			break;
		}
		rc = bf_buf_addc(&o->cells, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	rc = rc ? rc : bf_buf_addc(&o->cells, 0);
	if (rc)
		return rc;
	o->off[o->noff++] = off;
	return 0;
}

static void table_print(struct out *o)
{
	size_t w[MAX_COLS], last = 0;
	int first;

	for (size_t c = 0; c < o->ncols; c++) {
		w[c] = u8len(o->names[c]);
		if (!(o->flags[c] & OUT_WIDE))
			last = c;
	}
	for (size_t r = 0; r < o->rows; r++)
		for (size_t c = 0; c < o->ncols; c++) {
			size_t l = u8len((const char *)o->cells.p +
					 o->off[r * o->ncols + c]);
			if (l > w[c])
				w[c] = l;
		}
	for (long r = -1; r < (long)o->rows; r++) {
		first = 1;
		for (size_t c = 0; c < o->ncols; c++) {
			const char *s;
			size_t pad;

			if (o->flags[c] & OUT_WIDE)
				continue;
			s = r < 0 ? o->names[c]
				  : (const char *)o->cells.p +
					    o->off[(size_t)r * o->ncols + c];
			pad = w[c] - u8len(s);
			if (!first)
				fputs("  ", o->f);
			first = 0;
			if ((o->flags[c] & OUT_NUM) && r >= 0)
				fprintf(o->f, "%*s%s", (int)pad, "", s);
			else if (c < last)
				fprintf(o->f, "%s%*s", s, (int)pad, "");
			else
				fputs(s, o->f);
		}
		fputc('\n', o->f);
	}
	fprintf(o->f, "(%zu row%s)\n", o->rows, o->rows == 1 ? "" : "s");
}

/* --- rows and values ------------------------------------------------------ */

static int row_done(struct out *o)
{
	int rc = 0;

	if (!o->in_row)
		return 0;
	while (o->col < o->ncols && !rc)
		rc = out_null(o);
	if (rc)
		return rc;
	o->in_row = 0;
	o->rows++;
	if (o->fmt == OUT_JSON) {
		char *s = json_dumps(o->obj, JSON_REAL_PRECISION(15));

		if (!s)
			return BF_ENOMEM;
		if (fprintf(o->f, "%s%s", o->rows == 1 ? "[\n" : ",\n", s) < 0)
			o->failed = 1;
		free(s);
		json_decref(o->obj);
		o->obj = NULL;
	} else if (o->fmt == OUT_CSV) {
		rc = csv_line_end(o);
	}
	return rc;
}

int out_row(struct out *o)
{
	int rc = row_done(o);

	if (rc)
		return rc;
	if (o->fmt == OUT_CSV && o->rows == 0 && (rc = csv_header(o)) != 0)
		return rc;
	if (o->fmt == OUT_JSON && !(o->obj = json_object()))
		return BF_ENOMEM;
	o->in_row = 1;
	o->col = 0;
	return 0;
}

/* One value: its JSON form (NULL: a NULL column) and its text for the
 * table and CSV.  Takes the reference to j. */
static int put(struct out *o, json_t *j, const char *txt, size_t len)
{
	int rc = 0;

	if (!o->in_row || o->col >= o->ncols) {
		json_decref(j);
		return BF_EINVAL;
	}
	switch (o->fmt) {
	case OUT_JSON:
		if (!j && (o->flags[o->col] & OUT_NULLS))
			j = json_null();
		if (j && json_object_set_new(o->obj, o->names[o->col], j)) {
			o->col++;
			return BF_ENOMEM;
		}
		j = NULL;
		break;
	case OUT_CSV:
		if (o->col)
			rc = bf_buf_addc(&o->line, ',');
		rc = rc ? rc : csv_cell(&o->line, txt, len);
		break;
	case OUT_TABLE:
		rc = table_cell(o, txt, len);
		break;
	}
	json_decref(j);
	o->col++;
	return rc;
}

int out_null(struct out *o)
{
	return put(o, NULL, "", 0);
}

int out_text(struct out *o, const char *s, size_t len)
{
	json_t *j = NULL;

	if (o->fmt == OUT_JSON && !(j = json_stringn(s, len)))
		return BF_EINVAL; /* not UTF-8: the replica holds only UTF-8 */
	return put(o, j, s, len);
}

int out_int(struct out *o, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	return put(o, o->fmt == OUT_JSON ? json_integer(v) : NULL, b,
		   strlen(b));
}

int out_real(struct out *o, double v)
{
	char b[40];

	snprintf(b, sizeof(b), "%.15g", v);
	return put(o, o->fmt == OUT_JSON ? json_real(v) : NULL, b, strlen(b));
}

int out_bool(struct out *o, int v)
{
	return put(o, o->fmt == OUT_JSON ? json_boolean(v) : NULL,
		   v ? "true" : "false", v ? 4 : 5);
}

int out_list(struct out *o, const char *json, size_t len)
{
	json_t *a = json_loadb(json, len, 0, NULL), *it;
	struct bf_buf b;
	size_t i;
	int rc = 0;

	if (!json_is_array(a)) {
		json_decref(a);
		return put(o, o->fmt == OUT_JSON ? json_stringn(json, len)
						 : NULL,
			   json, len);
	}
	if (o->fmt == OUT_JSON)
		return put(o, a, NULL, 0);
	bf_buf_init(&b, 0);
	json_array_foreach(a, i, it) {
		if (i)
			rc = rc ? rc : bf_buf_addc(&b, ',');
		if (json_is_string(it))
			rc = rc ? rc : bf_buf_add(&b, json_string_value(it),
						  json_string_length(it));
	}
	rc = rc ? rc : put(o, NULL, b.len ? (const char *)b.p : "", b.len);
	bf_buf_free(&b);
	json_decref(a);
	return rc;
}

int out_extra(struct out *o, const char *json, size_t len)
{
	json_t *x;
	int rc = 0;

	if (o->fmt != OUT_JSON || !o->in_row)
		return 0;
	x = json_loadb(json, len, 0, NULL);
	/* a known column wins over an extra field of the same name */
	if (json_is_object(x) && json_object_update_missing(o->obj, x))
		rc = BF_ENOMEM;
	json_decref(x);
	return rc;
}

void out_free(struct out *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->ncols; i++)
		free(o->names[i]);
	json_decref(o->obj);
	bf_buf_free(&o->line);
	bf_buf_free(&o->cells);
	free(o->off);
	free(o);
}

int out_end(struct out *o, struct bf_err *err)
{
	int rc = row_done(o);

	if (rc) {
		rc = bf_errf(err, rc, "output: out of memory");
		goto out;
	}
	switch (o->fmt) {
	case OUT_JSON:
		fputs(o->rows ? "\n]\n" : "[]\n", o->f);
		break;
	case OUT_CSV:
		if (o->rows == 0 && (rc = csv_header(o)) != 0) {
			rc = bf_errf(err, rc, "output: out of memory");
			goto out;
		}
		break;
	case OUT_TABLE:
		table_print(o);
		break;
	}
	if (fflush(o->f) != 0 || ferror(o->f) || o->failed)
		rc = bf_errf(err, BF_EIO, "output: write failed");
out:
	out_free(o);
	return rc;
}
