/*
 * output: rows of a query result, for people and for programs.
 *
 *   table  aligned columns for a terminal: a header, the rows, a count;
 *          long cells are cut (a cell shows at most OUT_TABLE_CELL
 *          characters, "..." marks the cut), control characters show as
 *          spaces, numbers are right-aligned.  Rows are held until
 *          out_end to size the columns.
 *   json   one array; each row one object on a line of its own.  A list
 *          is an array of strings, numbers are numbers, booleans
 *          true/false; a NULL column is left out; the members of an
 *          out_extra object (fields this schema does not know) are merged
 *          in.  Streamed.
 *   csv    RFC 4180: a header line, then one line per row, CRLF-free
 *          (LF), quoted only where needed.  A list is one cell of
 *          comma-separated items, as in the Directory's exports; NULL is
 *          an empty cell; extra fields are left out.  Streamed.
 *
 * Reals print with 15 significant digits in every format.  Usage: out_new,
 * out_col per column, then per row out_row and one value call per column
 * in order, then out_end (which frees).  On a value error the caller
 * still calls out_end or out_free.
 */
#ifndef BIOFED_OUTPUT_H
#define BIOFED_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum out_format { OUT_TABLE = 1, OUT_JSON, OUT_CSV };

#define OUT_TABLE_CELL 48

/* "table", "json" or "csv"; NULL: table when stdout is a terminal, else
 * json.  BF_EINVAL (with err) for anything else. */
int out_format_parse(const char *name, enum out_format *fmt,
		     struct bf_err *err);

#define OUT_WIDE 0x1 /* left out of the table format (long text) */
#define OUT_NUM 0x2  /* right-aligned in the table format */
#define OUT_NULLS 0x4 /* json: NULL is written as null, not left out */

struct out;

int out_new(FILE *f, enum out_format fmt, struct out **o);
int out_col(struct out *o, const char *name, unsigned flags);
int out_row(struct out *o);
int out_null(struct out *o);
int out_text(struct out *o, const char *s, size_t len);
int out_int(struct out *o, int64_t v);
int out_real(struct out *o, double v);
int out_bool(struct out *o, int v);
/* A list held as the JSON text of an array of strings (a list column). */
int out_list(struct out *o, const char *json, size_t len);
/* Not a column: a JSON object of extra fields for this row (json only). */
int out_extra(struct out *o, const char *json, size_t len);
/* Finishes the output and frees o: BF_EIO when writing failed. */
int out_end(struct out *o, struct bf_err *err);
void out_free(struct out *o);

#endif
