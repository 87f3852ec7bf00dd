/*
 * csvin: CSV files as records.  This file owns the libcsv parser and
 * everything libcsv leaves to its caller: reading in chunks, the header
 * (trimmed, unique column names), line numbers (libcsv reports none), the
 * checks on every cell (UTF-8, size, extra cells), and the error messages
 * that point at file:line and column.
 *
 * Bytes go through stages, each streaming: the first bytes are sniffed
 * (not CSV at all?) and a BOM dropped; textenc makes the text UTF-8;
 * with delim 0 the text is held until the header line is whole, to read
 * the delimiter off it; the CORDIS rewriter escapes lone quotes; libcsv
 * parses.  csvin.h says what each stage accepts.
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

#include "textenc.h"

/* libcsv gets this much at a time: it bounds the read buffer and the work
 * done after a callback asked to stop (libcsv cannot be interrupted). */
#define FEED_CHUNK (256 * 1024)
/* libcsv grows its cell buffer linearly by this much. */
#define CELL_BLOCK (16 * 1024)
/* Longest column name quoted in an error message. */
#define MSG_NAME_MAX 120
/* A column that csvin_opts.columns leaves out. */
#define NO_SLOT ((size_t)-1)

/* The CORDIS rewriter's states (see requote). */
enum rq_state {
	RQ_START,    /* at the start of a cell */
	RQ_UNQUOTED, /* in an unquoted cell */
	RQ_QUOTED,   /* in a quoted cell */
	RQ_QUOTE,    /* a quote in a quoted cell, not yet passed on */
	RQ_BLANKS,   /* that quote, then blanks (held in rq_blanks) */
};

struct span {
	size_t off, len;
};

struct csvin {
	const char *name;
	struct csvin_opts o;
	rec_cb cb;
	void *ctx;
	struct bf_err *err;
	struct csv_parser parser;
	int rc;          /* first failure or stop; later callbacks do nothing */
	int bom_checked;
	unsigned char delim;

	/* decoding (not with utf8_only) */
	struct textenc enc;
	int noted_enc;
	/* delimiter detection: text held until the header line is whole */
	int detecting;
	struct bf_buf head;
	/* the CORDIS rewriter */
	enum rq_state rq;
	struct bf_buf rq_out, rq_blanks;

	size_t line;     /* physical line the parser has reached */
	int after_cr;    /* the last byte parsed was a CR row end */

	/* the row being assembled */
	size_t row_line;
	size_t ncells;    /* cells seen in this row, stored or not */
	size_t last_full; /* 1 + index of the row's last non-empty cell */
	int row_bad;      /* a kept cell was refused (bad_row has why) */
	struct bf_err bad;
	struct bf_buf text; /* stored cells, each followed by a NUL */
	struct span spans[CSVIN_MAX_COLUMNS];

	/* the header, once read (cells != NULL) */
	size_t ncols;       /* columns of the header */
	size_t nkept;       /* of which kept (cells delivered) */
	size_t slot[CSVIN_MAX_COLUMNS]; /* column -> cell, or NO_SLOT */
	size_t name_off[CSVIN_MAX_COLUMNS]; /* column -> name in names */
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
 * known or past its end, into err. */
static int cell_error_to(struct csvin *st, struct bf_err *err, int rc,
			 size_t line, size_t idx, const char *what)
{
	char q[6 * MSG_NAME_MAX + 8];

	if (st->cells && idx < st->ncols) {
		const char *nm =
			(const char *)st->names.p + st->name_off[idx];
		quote_for_msg(q, sizeof(q), nm, strlen(nm));
		return bf_errf(err, rc, "%s:%zu: column %s: %s", st->name,
			       line, q, what);
	}
	return bf_errf(err, rc, "%s:%zu: column %zu: %s", st->name, line,
		       idx + 1, what);
}

static int cell_error(struct csvin *st, int rc, size_t line, size_t idx,
		      const char *what)
{
	return cell_error_to(st, st->err, rc, line, idx, what);
}

/* Why s (which bf_utf8_ok refused) is not text, in words that say what
 * to do about it. */
static void text_problem(const struct csvin *st, const char *s, size_t n,
			 char *out, size_t outlen)
{
	char hint[1200];

	if (st->o.utf8_only) {
		snprintf(out, outlen,
			 "invalid UTF-8, a NUL or a control character");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    c == 0x7f) {
			snprintf(out, outlen,
				 "invalid character 0x%02x (%s)", c,
				 c ? "a control character" : "a NUL byte");
			return;
		}
	}
	textenc_iconv_hint("WINDOWS-1252", st->name, hint, sizeof(hint));
	snprintf(out, outlen,
		 "invalid UTF-8, but line %zu is UTF-8: the file mixes two "
		 "encodings.  If it is Windows-1252 (Latin-1) throughout, "
		 "convert it with `%s`; else mend this line",
		 st->enc.decided_line, hint);
}

/* A kept data cell that cannot be taken: the row is refused when the
 * caller takes bad rows, else the read fails. */
static void refuse_cell(struct csvin *st, int rc, size_t line, size_t idx,
			const char *what)
{
	if (st->cells && st->o.bad_row) {
		if (!st->row_bad)
			cell_error_to(st, &st->bad, rc, line, idx, what);
		st->row_bad = 1;
		return;
	}
	st->rc = cell_error(st, rc, line, idx, what);
}

static void on_cell(void *data, size_t n, void *vst)
{
	struct csvin *st = vst;
	const char *s = data;
	size_t idx, cell_line, limit;
	char why[1600];

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
	if (n > 0)
		st->last_full = idx + 1;
	if (st->cells && st->slot[idx] == NO_SLOT)
		return; /* a column nobody reads: not stored, not checked */
	if (n > CSVIN_MAX_CELL) {
		refuse_cell(st, BF_ETOOBIG, cell_line, idx,
			    "cell longer than 1 MiB");
		n = 0;
	} else if (!bf_utf8_ok((const uint8_t *)s, n)) {
		text_problem(st, s, n, why, sizeof(why));
		refuse_cell(st, BF_EINVAL, cell_line, idx, why);
		n = 0;
	}
	if (st->rc)
		return;
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

/* csvin_opts.columns keeps name (or there is no list). */
static int kept_column(const struct csvin *st, const char *name)
{
	if (!st->o.columns)
		return 1;
	for (size_t i = 0; i < st->o.ncolumns; i++)
		if (strcmp(st->o.columns[i], name) == 0)
			return 1;
	return 0;
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
		st->name_off[i] = st->names.len;
		if (bf_buf_add(&st->names, st->text.p + st->spans[i].off,
			       st->spans[i].len) ||
		    bf_buf_addc(&st->names, 0))
			goto nomem;
	}
	/* one more than needed: a header of no kept column still has an
	 * array to point at */
	st->cells = calloc(ncols + 1, sizeof(*st->cells));
	if (!st->cells)
		goto nomem;
	st->nkept = 0;
	for (size_t i = 0; i < ncols; i++) {
		const char *nm = (const char *)st->names.p + st->name_off[i];
		if (!kept_column(st, nm)) {
			st->slot[i] = NO_SLOT;
			continue;
		}
		st->slot[i] = st->nkept;
		st->cells[st->nkept++].name = nm;
	}
	st->ncols = ncols;
	return BF_OK;
nomem:
	return bf_errf(st->err, BF_ENOMEM, "%s: out of memory", st->name);
}

static int deliver_row(struct csvin *st)
{
	size_t nstored = st->ncells < st->ncols ? st->ncells : st->ncols;
	struct rec r;

	if (st->last_full > st->ncols && !st->row_bad) {
		struct bf_err *e = st->o.bad_row ? &st->bad : st->err;
		int rc = bf_errf(e, BF_EINVAL,
				 "%s:%zu: %zu cells but the header has %zu "
				 "columns",
				 st->name, st->row_line, st->last_full,
				 st->ncols);
		if (!st->o.bad_row)
			return rc;
		st->row_bad = 1;
	}
	if (st->last_full == 0)
		return BF_OK; /* only empty cells: a spreadsheet's blank row */
	for (size_t i = 0; i < st->ncols; i++) {
		struct rec_cell *c;
		if (st->slot[i] == NO_SLOT)
			continue;
		c = &st->cells[st->slot[i]];
		if (i < nstored) {
			c->text = (const char *)st->text.p + st->spans[i].off;
			c->len = st->spans[i].len;
		} else {
			c->text = ""; /* short row: what spreadsheets write */
			c->len = 0;
		}
	}
	r.file = st->name;
	r.table = NULL;
	r.line = st->row_line;
	r.index = ++st->index;
	r.cells = st->cells;
	r.ncells = st->nkept;
	if (st->row_bad)
		return st->o.bad_row(st->ctx, &r, st->bad.msg, st->err);
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
	st->row_bad = 0;
	bf_buf_reset(&st->text);
}

/* The last stage: libcsv. */
static int parse(struct csvin *st, const char *p, size_t n)
{
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

static int is_quote_blank(const struct csvin *st, char c)
{
	/* libcsv's blanks, unless the delimiter is one */
	return (c == ' ' || c == '\t') && (unsigned char)c != st->delim;
}

static int is_cell_end(const struct csvin *st, char c)
{
	return (unsigned char)c == st->delim || c == '\r' || c == '\n';
}

/*
 * The CORDIS rule (csvin.h) as a rewrite of the byte stream that libcsv's
 * strict mode then reads: a quote inside a quoted cell is held until the
 * next byte says what it is; blanks after it are held too, since "x" ;
 * is a closing quote to strict libcsv and must stay one.
 */
static int requote(struct csvin *st, const char *p, size_t n)
{
	struct bf_buf *o = &st->rq_out;
	size_t i = 0;

	if (!st->o.cordis_quotes)
		return parse(st, p, n);
	bf_buf_reset(o);
	if (bf_buf_reserve(o, n + n / 8 + 16))
		goto nomem;
	while (i < n) {
		char c = p[i];
		switch (st->rq) {
		case RQ_QUOTED: {
			/* the bulk of a CORDIS file: copy up to a quote */
			const char *q = memchr(p + i, '"', n - i);
			size_t k = q ? (size_t)(q - (p + i)) : n - i;
			if (bf_buf_add(o, p + i, k))
				goto nomem;
			i += k;
			if (q) {
				st->rq = RQ_QUOTE;
				i++;
			}
			continue;
		}
		case RQ_START:
			/* blanks before a cell are libcsv's to skip */
			if (c == '"')
				st->rq = RQ_QUOTED;
			else if (!is_cell_end(st, c) && !is_quote_blank(st, c))
				st->rq = RQ_UNQUOTED;
			break;
		case RQ_UNQUOTED:
			if (is_cell_end(st, c))
				st->rq = RQ_START;
			break;
		case RQ_QUOTE:
			if (c == '"') {
				/* "" stays an escaped quote */
				if (bf_buf_add(o, "\"\"", 2))
					goto nomem;
				st->rq = RQ_QUOTED;
				i++;
				continue;
			}
			if (is_cell_end(st, c)) {
				if (bf_buf_addc(o, '"'))
					goto nomem;
				st->rq = RQ_START;
				break;
			}
			if (is_quote_blank(st, c)) {
				bf_buf_reset(&st->rq_blanks);
				st->rq = RQ_BLANKS;
				continue; /* RQ_BLANKS holds c */
			}
			/* text after it: the quote was text */
			if (bf_buf_add(o, "\"\"", 2))
				goto nomem;
			st->rq = RQ_QUOTED;
			continue;
		case RQ_BLANKS:
			if (is_quote_blank(st, c)) {
				if (st->rq_blanks.len >= CSVIN_MAX_CELL)
					return cell_error(
						st, BF_ETOOBIG, st->line,
						st->ncells,
						"cell longer than 1 MiB");
				if (bf_buf_addc(&st->rq_blanks, (uint8_t)c))
					goto nomem;
				i++;
				continue;
			}
			if (is_cell_end(st, c)) {
				if (bf_buf_addc(o, '"'))
					goto nomem;
				st->rq = RQ_START;
			} else {
				if (bf_buf_add(o, "\"\"", 2))
					goto nomem;
				st->rq = RQ_QUOTED;
			}
			if (bf_buf_add(o, st->rq_blanks.p, st->rq_blanks.len))
				goto nomem;
			if (st->rq == RQ_QUOTED)
				continue; /* c read again as text or a quote */
			break;
		}
		if (bf_buf_addc(o, (uint8_t)c))
			goto nomem;
		i++;
	}
	return parse(st, (const char *)o->p, o->len);
nomem:
	return bf_errf(st->err, BF_ENOMEM, "%s: out of memory", st->name);
}

/* The end of input closes a quote the rewriter holds. */
static int requote_end(struct csvin *st)
{
	struct bf_buf *o = &st->rq_out;

	if (!st->o.cordis_quotes ||
	    (st->rq != RQ_QUOTE && st->rq != RQ_BLANKS))
		return BF_OK;
	bf_buf_reset(o);
	if (bf_buf_addc(o, '"') ||
	    (st->rq == RQ_BLANKS &&
	     bf_buf_add(o, st->rq_blanks.p, st->rq_blanks.len)))
		return bf_errf(st->err, BF_ENOMEM, "%s: out of memory",
			       st->name);
	st->rq = RQ_START;
	return parse(st, (const char *)o->p, o->len);
}

/* The header line in head is whole (or as much as we wait for): picks
 * the delimiter, says so, and passes the text on. */
static int choose_delim(struct csvin *st)
{
	const char *p = (const char *)st->head.p;
	size_t n = st->head.len, i = 0, commas = 0, semis = 0, tabs = 0;
	int quoted = 0;
	char d = ',';

	while (i < n && is_blank_char(p[i]))
		i++;
	for (; i < n; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (p[i] == '\r' || p[i] == '\n')
			break;
		else if (p[i] == ',')
			commas++;
		else if (p[i] == ';')
			semis++;
		else if (p[i] == '\t')
			tabs++;
	}
	if (commas == 0 && (semis || tabs))
		d = semis >= tabs ? ';' : '\t';
	st->delim = (unsigned char)d;
	csv_set_delim(&st->parser, st->delim);
	if (d != ',' && st->o.notes)
		fprintf(st->o.notes,
			"%s: the header is separated by %s: reading it as "
			"%s-separated (--delimiter to choose)\n",
			st->name, d == ';' ? "';'" : "tabs",
			d == ';' ? "semicolon" : "tab");
	st->detecting = 0;
	return requote(st, p, n);
}

/* Whether head holds a whole header line (after blank lines). */
static int header_whole(const struct csvin *st)
{
	const char *p = (const char *)st->head.p;
	size_t n = st->head.len, i = 0;
	int quoted = 0;

	while (i < n && is_blank_char(p[i]))
		i++;
	for (; i < n; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (!quoted && (p[i] == '\r' || p[i] == '\n'))
			return 1;
	}
	return 0;
}

static int detect(struct csvin *st, const char *p, size_t n, int end)
{
	if (!st->detecting)
		return requote(st, p, n);
	if (bf_buf_add(&st->head, p, n))
		return bf_errf(st->err, BF_ENOMEM, "%s: out of memory",
			       st->name);
	/* a header longer than a chunk is decided on its first chunk */
	if (end || st->head.len >= FEED_CHUNK || header_whole(st))
		return choose_delim(st);
	return BF_OK;
}

static int not_csv(struct csvin *st, enum textenc_kind k)
{
	char hint[1200];

	switch (k) {
	case TEXTENC_ZIP:
	case TEXTENC_OLE:
		return bf_errf(st->err, BF_EINVAL,
			       "%s: this is an Excel/OpenDocument spreadsheet, "
			       "not CSV: save it as CSV (UTF-8) first",
			       st->name);
	case TEXTENC_XML:
		return bf_errf(st->err, BF_EINVAL,
			       "%s: this is XML (or HTML), not CSV: export the "
			       "data as CSV (UTF-8)",
			       st->name);
	case TEXTENC_UTF16LE:
	case TEXTENC_UTF16BE:
		textenc_iconv_hint(k == TEXTENC_UTF16LE ? "UTF-16LE"
							: "UTF-16BE",
				   st->name, hint, sizeof(hint));
		return bf_errf(st->err, BF_EINVAL,
			       "%s: this is UTF-16 text, not UTF-8: convert it "
			       "with `%s`",
			       st->name, hint);
	case TEXTENC_TEXT:
		break;
	}
	return BF_OK;
}

/* After the decoder: the note it may call for, then detection. */
static int decoded(struct csvin *st, const uint8_t *q, size_t qn, int end)
{
	if (st->enc.mode == TEXTENC_CP1252 && !st->noted_enc) {
		st->noted_enc = 1;
		if (st->o.notes)
			fprintf(st->o.notes,
				"%s: not UTF-8; read as Windows-1252 "
				"(Latin-1)\n",
				st->name);
	}
	return detect(st, (const char *)q, qn, end);
}

/* The first stage: sniffing and the BOM, then the decoder. */
static int feed(struct csvin *st, const char *p, size_t n)
{
	const uint8_t *q;
	size_t qn;
	int rc;

	if (!st->bom_checked) {
		/* callers pass at least 4 bytes first unless that is all */
		st->bom_checked = 1;
		rc = not_csv(st, textenc_sniff((const uint8_t *)p, n));
		if (rc)
			return rc;
		if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			n -= 3;
		}
	}
	if (st->o.utf8_only)
		return detect(st, p, n, 0);
	rc = textenc_feed(&st->enc, (const uint8_t *)p, n, &q, &qn, st->err);
	return rc ? rc : decoded(st, q, qn, 0);
}

static int finish(struct csvin *st)
{
	const uint8_t *q;
	size_t qn;
	int rc;

	if (st->o.utf8_only) {
		rc = detect(st, "", 0, 1);
	} else {
		rc = textenc_finish(&st->enc, &q, &qn, st->err);
		if (!rc)
			rc = decoded(st, q, qn, 1);
	}
	if (!rc)
		rc = requote_end(st);
	if (rc)
		return rc;
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

static int csvin_new(struct csvin **out, const char *name,
		     const struct csvin_opts *o, rec_cb cb, void *ctx,
		     struct bf_err *err)
{
	static const struct csvin_opts defaults;
	unsigned char d;
	struct csvin *st;

	if (!o)
		o = &defaults;
	d = (unsigned char)o->delim;
	if (d == '"' || d == '\r' || d == '\n' || d == ' ' || d >= 0x80)
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
	st->o = *o;
	st->delim = d ? d : ',';
	st->detecting = d == 0;
	csv_set_delim(&st->parser, st->delim);
	csv_set_blk_size(&st->parser, CELL_BLOCK);
	st->name = name;
	st->cb = cb;
	st->ctx = ctx;
	st->err = err;
	st->line = 1;
	textenc_init(&st->enc, name);
	bf_buf_init(&st->text, 0);
	bf_buf_init(&st->names, 0);
	bf_buf_init(&st->head, 0);
	bf_buf_init(&st->rq_out, 0);
	bf_buf_init(&st->rq_blanks, 0);
	*out = st;
	return BF_OK;
}

static void csvin_free(struct csvin *st)
{
	if (!st)
		return;
	csv_free(&st->parser);
	textenc_free(&st->enc);
	bf_buf_free(&st->text);
	bf_buf_free(&st->names);
	bf_buf_free(&st->head);
	bf_buf_free(&st->rq_out);
	bf_buf_free(&st->rq_blanks);
	free(st->cells);
	free(st);
}

int csvin_read_mem_opts(const char *name, const char *data, size_t len,
			const struct csvin_opts *o, rec_cb cb, void *ctx,
			struct bf_err *err)
{
	struct csvin *st = NULL;
	int rc;

	if ((unsigned long long)len > CSVIN_MAX_BYTES)
		return bf_errf(err, BF_ETOOBIG, "%s: larger than %llu bytes",
			       name, CSVIN_MAX_BYTES);
	rc = csvin_new(&st, name, o, cb, ctx, err);
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

int csvin_read_file_opts(const char *path, const struct csvin_opts *o,
			 rec_cb cb, void *ctx, struct bf_err *err)
{
	struct csvin *st = NULL;
	unsigned long long total = 0;
	char *buf = NULL;
	FILE *f = NULL;
	size_t n;
	int rc;

	rc = csvin_new(&st, path, o, cb, ctx, err);
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
	 * first chunk holds the whole BOM or signature if there is one */
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

/* What the plain forms have always done. */
static int plain_opts(struct csvin_opts *o, char delim, const char *name,
		      struct bf_err *err)
{
	memset(o, 0, sizeof(*o));
	if (delim == 0)
		return bf_errf(err, BF_EINVAL,
			       "%s: cannot use 0x00 as CSV delimiter", name);
	o->delim = delim;
	o->utf8_only = 1;
	return BF_OK;
}

int csvin_read_mem(const char *name, const char *data, size_t len, char delim,
		   rec_cb cb, void *ctx, struct bf_err *err)
{
	struct csvin_opts o;
	int rc;

	if ((unsigned long long)len > CSVIN_MAX_BYTES)
		return bf_errf(err, BF_ETOOBIG, "%s: larger than %llu bytes",
			       name, CSVIN_MAX_BYTES);
	rc = plain_opts(&o, delim, name, err);
	return rc ? rc : csvin_read_mem_opts(name, data, len, &o, cb, ctx, err);
}

int csvin_read_file(const char *path, char delim, rec_cb cb, void *ctx,
		    struct bf_err *err)
{
	struct csvin_opts o;
	int rc = plain_opts(&o, delim, path, err);

	return rc ? rc : csvin_read_file_opts(path, &o, cb, ctx, err);
}
