/*
 * csvin: RFC 4180 CSV files (libcsv) as records.  The first row is the
 * header (names trimmed; a UTF-8 BOM is ignored).  Accepts what real
 * exports contain: CRLF or LF, no final newline, stray trailing commas
 * (empty header cells at the end are dropped with their columns, as long
 * as the data cells there are empty too), quoted cells with embedded
 * delimiters, quotes and newlines.  Rejects, with file:line: a data row
 * with more non-empty cells than the header has columns, duplicate header
 * names, an empty header, invalid UTF-8, NUL bytes, a file over max_bytes.
 * Empty cells are passed as "" (len 0).
 *
 * Details: quoting is strict (libcsv CSV_STRICT): a quote inside an
 * unquoted cell (a,b"c) or text after a closing quote ("b"c) is an error,
 * since guessing would change data silently.  Unquoted cells lose
 * surrounding spaces and tabs (libcsv); quoted cells keep them.  A short
 * row gets "" for its missing cells; rows whose cells are all empty (blank
 * lines, ",,,") are skipped.  Other control characters than tab, CR and
 * LF are rejected too.  Line breaks are LF, CRLF or a lone CR; rec.line is
 * the line where the row starts.  The callback's non-zero return stops the
 * read and is returned as is.  delim may not be a quote, CR, LF, space,
 * NUL or non-ASCII.
 *
 * The options form (csvin_read_*_opts) reads files as people have them:
 *
 * - Not CSV at all: a spreadsheet (xlsx/ods: a zip; xls: OLE), XML or
 *   HTML, UTF-16 text are refused by their first bytes with a message
 *   that says what to do.  (The plain functions do this too: such files
 *   failed before, with a less useful message.)
 * - Encoding, decided while streaming (no pre-scan, textenc.h): UTF-8
 *   with or without a BOM; a file whose first non-ASCII byte cannot
 *   start UTF-8 is read as Windows-1252 (Latin-1) and converted, with a
 *   note.  A file that mixes UTF-8 with other bytes, or holds a byte
 *   Windows-1252 does not define, is refused with file:line and the
 *   iconv command that converts it.  (utf8_only: refused, as the plain
 *   functions do.)
 * - delim 0: the delimiter is read off the header (the first non-blank
 *   line): ',' unless the header has no ',' outside quotes (so that it
 *   would be one column) but has ';' or TAB there; then that one (the
 *   more frequent), with a note.
 * - cordis_quotes: the quoting of CORDIS exports, which leave quotes
 *   inside quoted cells unescaped ("to "play around" with").  Inside a
 *   quoted cell, a quote followed by the delimiter, CR, LF or the end of
 *   input (blanks may come between) closes the cell, "" is one quote, and
 *   any other quote is text.  A file that strict quoting reads is read
 *   the same.  The input is rewritten as it streams (a lone quote becomes
 *   ""), so memory stays bounded and line numbers stay exact.
 * - columns: only these header columns are kept, checked and delivered
 *   (in header order); the others are skipped unchecked, so a broken
 *   cell in a column nobody reads harms nothing.
 * - bad_row: a data row with an error of its own (a kept cell that is not
 *   valid text or is over 1 MiB, more cells than the header) goes to
 *   bad_row instead of failing the read; the rest of the file is read.
 *   What breaks the file's structure still fails it: bad quoting, an
 *   unclosed quote, the header, the encoding, a cell over 2 MiB in any
 *   column (libcsv's buffer), the size cap.
 *
 * A failure can come after records were delivered (streaming): callers
 * that write must not write until the read returned 0.
 */
#ifndef BIOFED_CSVIN_H
#define BIOFED_CSVIN_H

#include <stdio.h>

#include "record.h"

#define CSVIN_MAX_BYTES (2ull * 1024 * 1024 * 1024)
#define CSVIN_MAX_COLUMNS 1024
#define CSVIN_MAX_CELL (1024 * 1024)

/* A refused data row (see bad_row above): r has the row's kept cells,
 * the refused ones empty; msg is "file:line: column ...: why".  ctx is
 * the record callback's.  0 reads on; anything else stops the read and
 * is returned. */
typedef int (*csvin_bad_row_fn)(void *ctx, const struct rec *r,
				const char *msg, struct bf_err *err);

struct csvin_opts {
	char delim;         /* 0: read it off the header */
	int cordis_quotes;  /* CORDIS quoting instead of strict */
	int utf8_only;      /* refuse what is not UTF-8 (no Windows-1252) */
	FILE *notes;        /* "FILE: read as ..." lines; NULL: none */
	const char *const *columns; /* keep only these (NULL: all) */
	size_t ncolumns;
	csvin_bad_row_fn bad_row;   /* NULL: a bad row fails the read */
};

/* Reads path and calls cb per data row.  o may be NULL (all defaults:
 * detect the delimiter, strict quotes, UTF-8 or Windows-1252). */
int csvin_read_file_opts(const char *path, const struct csvin_opts *o,
			 rec_cb cb, void *ctx, struct bf_err *err);
/* Same over a memory buffer; `name` is used in messages. */
int csvin_read_mem_opts(const char *name, const char *data, size_t len,
			const struct csvin_opts *o, rec_cb cb, void *ctx,
			struct bf_err *err);

/* The plain forms: delimiter delim (e.g. ',' or ';'), strict quotes,
 * UTF-8 only, every column, any error fails the read. */
int csvin_read_file(const char *path, char delim, rec_cb cb, void *ctx,
		    struct bf_err *err);
int csvin_read_mem(const char *name, const char *data, size_t len, char delim,
		   rec_cb cb, void *ctx, struct bf_err *err);

#endif
