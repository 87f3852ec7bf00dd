/*
 * csvin: CSV files as records.  This file owns the libcsv parser and
 * everything libcsv leaves to its caller: reading in chunks, the header
 * (trimmed, unique column names), line numbers (libcsv reports none), the
 * checks on every cell (UTF-8, size, extra cells), and the error messages
 * that point at file:line and column.
 *
 * Line numbers are counted from what libcsv hands back: with CSV_REPALL_NL
 * it reports every unquoted CR and LF as a row end (rows with no cells are
 * blank lines), and quoted line breaks arrive inside cell text.  A line
 * break is LF, CRLF or a lone CR (old Mac exports), wherever it stands.
 */
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcsv gets this much at a time: it bounds the read buffer and the work
 * done after a callback asked to stop (libcsv cannot be interrupted). */
#define FEED_CHUNK (256 * 1024)
/* libcsv grows its cell buffer linearly by this much. */
#define CELL_BLOCK (16 * 1024)
/* Longest column name quoted in an error message. */
#define MSG_NAME_MAX 120

struct span {
	size_t off, len;
};

struct csvin {
	const char *name;
	rec_cb cb;
	void *ctx;
	struct bf_err *err;
	struct csv_parser parser;
	int rc;          /* first failure or stop; later callbacks do nothing */
	int bom_checked;
	size_t line;     /* physical line the parser has reached */
	int after_cr;    /* the last byte parsed was a CR row end */

	/* the row being assembled */
	size_t row_line;
	size_t ncells;    /* cells seen in this row, stored or not */
	size_t last_full; /* 1 + index of the row's last non-empty cell */
	struct bf_buf text; /* stored cells, each followed by a NUL */
	struct span spans[CSVIN_MAX_COLUMNS];

	/* the header, once read (cells != NULL) */
	size_t ncols;
	struct bf_buf names;
	struct rec_cell *cells;
	size_t index;
};

static size_t count_breaks(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			k++;
		else if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			k++;
	}
	return k;
}

static int is_blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Writes name as a JSON string literal (escaped, shortened) into out. */
static void quote_for_msg(char *out, size_t outlen, const char *name, size_t n)
{
	struct bf_buf b;
	int cut = 0;

	if (n > MSG_NAME_MAX) {
		n = MSG_NAME_MAX;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--; /* do not split a UTF-8 sequence */
		cut = 1;
	}
	bf_buf_init(&b, 0);
	if (bf_buf_add_json_str(&b, name, n) || !bf_buf_cstr(&b))
		snprintf(out, outlen, "(name)");
	else
		snprintf(out, outlen, "%s%s", (char *)b.p, cut ? "..." : "");
	bf_buf_free(&b);
}

/* "file:line: column "name": what", or "column N" before the header is
 * known or past its end. */
static int cell_error(struct csvin *st, int rc, size_t line, size_t idx,
		      const char *what)
{
	char q[6 * MSG_NAME_MAX + 8];

	if (st->cells && idx < st->ncols) {
		const char *nm = st->cells[idx].name;
		quote_for_msg(q, sizeof(q), nm, strlen(nm));
		return bf_errf(st->err, rc, "%s:%zu: column %s: %s", st->name,
			       line, q, what);
	}
	return bf_errf(st->err, rc, "%s:%zu: column %zu: %s", st->name, line,
		       idx + 1, what);
}

static void on_cell(void *data, size_t n, void *vst)
{
	struct csvin *st = vst;
	const char *s = data;
	size_t idx, cell_line, limit;

	if (st->rc)
		return;
	if (st->ncells == 0)
		st->row_line = st->line;
	cell_line = st->line;
	idx = st->ncells++;
	st->after_cr = 0;
	st->line += count_breaks(s, n);

	limit = st->cells ? st->ncols : CSVIN_MAX_COLUMNS;
	if (idx >= limit) {
		/* Data cells past the header are checked at the row's end,
		 * where the count is known; header names past the cap can
		 * only be trailing empties. */
		if (n > 0)
			st->last_full = idx + 1;
		if (!st->cells) {
			for (size_t i = 0; i < n; i++) {
				if (!is_blank_char(s[i])) {
					st->rc = bf_errf(
						st->err, BF_EINVAL,
						"%s:%zu: more than %d columns",
						st->name, cell_line,
						CSVIN_MAX_COLUMNS);
					return;
				}
			}
		}
		return;
	}
	if (n > CSVIN_MAX_CELL) {
		st->rc = cell_error(st, BF_ETOOBIG, cell_line, idx,
				    "cell longer than 1 MiB");
		return;
	}
	if (!bf_utf8_ok((const uint8_t *)s, n)) {
		st->rc = cell_error(st, BF_EINVAL, cell_line, idx,
				    "invalid UTF-8, a NUL or a control "
				    "character");
		return;
	}
	if (n > 0)
		st->last_full = idx + 1;
	if (bf_buf_reserve(&st->text, n + 1)) {
		st->rc = bf_errf(st->err, BF_ENOMEM, "%s:%zu: out of memory",
				 st->name, cell_line);
		return;
	}
	/* one reserve per cell: this is the hot path */
	if (n > 0)
		memcpy(st->text.p + st->text.len, s, n);
	st->text.p[st->text.len + n] = 0;
	st->spans[idx].off = st->text.len;
	st->spans[idx].len = n;
	st->text.len += n + 1;
}

static int read_header(struct csvin *st)
{
	size_t n = st->ncells < CSVIN_MAX_COLUMNS ? st->ncells
						  : CSVIN_MAX_COLUMNS;
	size_t ncols = 0;
	char q[6 * MSG_NAME_MAX + 8];

	for (size_t i = 0; i < n; i++) {
		struct span *sp = &st->spans[i];
		const char *s = (const char *)st->text.p + sp->off;
		while (sp->len > 0 && is_blank_char(s[0])) {
			s++;
			sp->off++;
			sp->len--;
		}
		while (sp->len > 0 && is_blank_char(s[sp->len - 1]))
			sp->len--;
		if (sp->len > 0)
			ncols = i + 1;
	}
	if (ncols == 0)
		return bf_errf(st->err, BF_EINVAL,
			       "%s:%zu: the header row has no column names",
			       st->name, st->row_line);
	for (size_t i = 0; i < ncols; i++) {
		const struct span *a = &st->spans[i];
		const char *as = (const char *)st->text.p + a->off;
		if (a->len == 0)
			return bf_errf(st->err, BF_EINVAL,
				       "%s:%zu: column %zu of the header has "
				       "no name",
				       st->name, st->row_line, i + 1);
		for (size_t j = 0; j < i; j++) {
			const struct span *b = &st->spans[j];
			if (b->len == a->len &&
			    memcmp(st->text.p + b->off, as, a->len) == 0) {
				quote_for_msg(q, sizeof(q), as, a->len);
				return bf_errf(st->err, BF_EINVAL,
					       "%s:%zu: duplicate column name "
					       "%s (columns %zu and %zu)",
					       st->name, st->row_line, q,
					       j + 1, i + 1);
			}
		}
	}
	/* Names move to their own buffer: text is reused for every row. */
	bf_buf_reset(&st->names);
	for (size_t i = 0; i < ncols; i++) {
		size_t off = st->names.len;
		if (bf_buf_add(&st->names, st->text.p + st->spans[i].off,
			       st->spans[i].len) ||
		    bf_buf_addc(&st->names, 0))
			goto nomem;
		st->spans[i].off = off;
	}
	st->cells = calloc(ncols, sizeof(*st->cells));
	if (!st->cells)
		goto nomem;
	for (size_t i = 0; i < ncols; i++)
		st->cells[i].name =
			(const char *)st->names.p + st->spans[i].off;
	st->ncols = ncols;
	return BF_OK;
nomem:
	return bf_errf(st->err, BF_ENOMEM, "%s: out of memory", st->name);
}

static int deliver_row(struct csvin *st)
{
	size_t nstored = st->ncells < st->ncols ? st->ncells : st->ncols;
	struct rec r;

	if (st->last_full > st->ncols)
		return bf_errf(st->err, BF_EINVAL,
			       "%s:%zu: %zu cells but the header has %zu "
			       "columns",
			       st->name, st->row_line, st->last_full,
			       st->ncols);
	if (st->last_full == 0)
		return BF_OK; /* only empty cells: a spreadsheet's blank row */
	for (size_t i = 0; i < nstored; i++) {
		st->cells[i].text = (const char *)st->text.p + st->spans[i].off;
		st->cells[i].len = st->spans[i].len;
	}
	for (size_t i = nstored; i < st->ncols; i++) {
		st->cells[i].text = ""; /* short row: what spreadsheets write */
		st->cells[i].len = 0;
	}
	r.file = st->name;
	r.table = NULL;
	r.line = st->row_line;
	r.index = ++st->index;
	r.cells = st->cells;
	r.ncells = st->ncols;
	return st->cb(st->ctx, &r, st->err);
}

static void on_row(int c, void *vst)
{
	struct csvin *st = vst;

	if (st->rc)
		return;
	if (c == '\n') {
		if (!st->after_cr)
			st->line++;
		st->after_cr = 0;
	} else if (c == '\r') {
		st->line++;
		st->after_cr = 1;
	}
	if (st->ncells == 0)
		return; /* a blank line */
	st->rc = st->cells ? deliver_row(st) : read_header(st);
	st->ncells = 0;
	st->last_full = 0;
	bf_buf_reset(&st->text);
}

static int feed(struct csvin *st, const char *p, size_t n)
{
	if (!st->bom_checked) {
		/* callers pass at least 3 bytes first unless that is all */
		st->bom_checked = 1;
		if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			n -= 3;
		}
	}
	while (n > 0) {
		/* Each piece given to libcsv ends at a CR, so a CR row end is
		 * the last byte parsed and the next piece's first byte tells
		 * whether an LF follows it (libcsv may skip blanks between
		 * them). */
		const char *cr = memchr(p, '\r', n);
		size_t k = cr ? (size_t)(cr - p) + 1 : n, done;

		if (p[0] != '\n')
			st->after_cr = 0;
		done = csv_parse(&st->parser, p, k, on_cell, on_row, st);
		if (st->rc)
			return st->rc;
		if (done < k)
			break;
		p += k;
		n -= k;
	}
	if (n > 0) {
		switch (csv_error(&st->parser)) {
		case CSV_EPARSE:
			return cell_error(st, BF_EINVAL, st->line, st->ncells,
					  "malformed quoting (a quote inside "
					  "an unquoted cell, or text after a "
					  "closing quote)");
		case CSV_ENOMEM:
			return bf_errf(st->err, BF_ENOMEM,
				       "%s:%zu: out of memory", st->name,
				       st->line);
		default:
			return bf_errf(st->err, BF_ETOOBIG, "%s:%zu: %s",
				       st->name, st->line,
				       csv_strerror(csv_error(&st->parser)));
		}
	}
	/* A cell still open (an unclosed quote) must not grow without
	 * bound; finished cells are checked in on_cell. */
	if (csv_get_buffer_size(&st->parser) > 2 * (size_t)CSVIN_MAX_CELL)
		return cell_error(st, BF_ETOOBIG, st->line, st->ncells,
				  "cell longer than 1 MiB");
	return BF_OK;
}

static int finish(struct csvin *st)
{
	if (csv_fini(&st->parser, on_cell, on_row, st) != 0 && !st->rc)
		return cell_error(st, BF_EINVAL, st->line, st->ncells,
				  "quoted cell not closed at end of file");
	if (st->rc)
		return st->rc;
	if (!st->cells)
		return bf_errf(st->err, BF_EINVAL,
			       "%s: no header (the file is empty)", st->name);
	return BF_OK;
}

static int csvin_new(struct csvin **out, const char *name, char delim,
		     rec_cb cb, void *ctx, struct bf_err *err)
{
	unsigned char d = (unsigned char)delim;
	struct csvin *st;

	if (d == 0 || d == '"' || d == '\r' || d == '\n' || d == ' ' ||
	    d >= 0x80)
		return bf_errf(err, BF_EINVAL,
			       "%s: cannot use 0x%02x as CSV delimiter", name,
			       d);
	st = calloc(1, sizeof(*st));
	if (!st)
		return bf_errf(err, BF_ENOMEM, "%s: out of memory", name);
	if (csv_init(&st->parser, CSV_STRICT | CSV_REPALL_NL |
					  CSV_STRICT_FINI | CSV_APPEND_NULL) !=
	    0) {
		free(st);
		return bf_errf(err, BF_ENOMEM, "%s: out of memory", name);
	}
	csv_set_delim(&st->parser, d);
	csv_set_blk_size(&st->parser, CELL_BLOCK);
	st->name = name;
	st->cb = cb;
	st->ctx = ctx;
	st->err = err;
	st->line = 1;
	bf_buf_init(&st->text, 0);
	bf_buf_init(&st->names, 0);
	*out = st;
	return BF_OK;
}

static void csvin_free(struct csvin *st)
{
	if (!st)
		return;
	csv_free(&st->parser);
	bf_buf_free(&st->text);
	bf_buf_free(&st->names);
	free(st->cells);
	free(st);
}

int csvin_read_mem(const char *name, const char *data, size_t len, char delim,
		   rec_cb cb, void *ctx, struct bf_err *err)
{
	struct csvin *st = NULL;
	int rc;

	if ((unsigned long long)len > CSVIN_MAX_BYTES)
		return bf_errf(err, BF_ETOOBIG, "%s: larger than %llu bytes",
			       name, CSVIN_MAX_BYTES);
	rc = csvin_new(&st, name, delim, cb, ctx, err);
	if (rc)
		return rc;
	for (size_t off = 0; off < len; off += FEED_CHUNK) {
		size_t n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
		rc = feed(st, data + off, n);
		if (rc)
			goto out;
	}
	rc = finish(st);
out:
	csvin_free(st);
	return rc;
}

int csvin_read_file(const char *path, char delim, rec_cb cb, void *ctx,
		    struct bf_err *err)
{
	struct csvin *st = NULL;
	unsigned long long total = 0;
	char *buf = NULL;
	FILE *f = NULL;
	size_t n;
	int rc;

	rc = csvin_new(&st, path, delim, cb, ctx, err);
	if (rc)
		return rc;
	f = fopen(path, "rb");
	if (!f) {
		rc = bf_errf(err, errno == ENOENT ? BF_ENOENT : BF_EIO,
			     "%s: %s", path, strerror(errno));
		goto out;
	}
	buf = malloc(FEED_CHUNK);
	if (!buf) {
		rc = bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* fread returns short only at end of file or on error, so the
	 * first chunk holds the whole BOM if there is one */
	while ((n = fread(buf, 1, FEED_CHUNK, f)) > 0) {
		total += n;
		if (total > CSVIN_MAX_BYTES) {
			rc = bf_errf(err, BF_ETOOBIG,
				     "%s: larger than %llu bytes", path,
				     CSVIN_MAX_BYTES);
			goto out;
		}
		rc = feed(st, buf, n);
		if (rc)
			goto out;
	}
	if (ferror(f)) {
		rc = bf_errf(err, BF_EIO, "%s: read: %s", path,
			     strerror(errno));
		goto out;
	}
	rc = finish(st);
out:
	if (f)
		fclose(f);
	free(buf);
	csvin_free(st);
	return rc;
}
