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
 */
#ifndef BIOFED_CSVIN_H
#define BIOFED_CSVIN_H

#include "record.h"

#define CSVIN_MAX_BYTES (2ull * 1024 * 1024 * 1024)
#define CSVIN_MAX_COLUMNS 1024
#define CSVIN_MAX_CELL (1024 * 1024)

/* Reads path (delimiter delim, e.g. ',' or ';') and calls cb per data row. */
int csvin_read_file(const char *path, char delim, rec_cb cb, void *ctx,
		    struct bf_err *err);
/* Same over a memory buffer; `name` is used in messages. */
int csvin_read_mem(const char *name, const char *data, size_t len, char delim,
		   rec_cb cb, void *ctx, struct bf_err *err);

#endif
