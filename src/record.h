/*
 * record: what the file decoders (csvin, jsonin) hand to their callers:
 * one record at a time, as (name, value) cells, with the file position for
 * error messages.  Header-only.
 */
#ifndef BIOFED_RECORD_H
#define BIOFED_RECORD_H

#include <stddef.h>

#include "util.h"

struct json_t;

struct rec_cell {
	const char *name;      /* column / key name, NUL-terminated */
	const char *text;      /* CSV: the cell's text (NUL-terminated);
				  JSON: NULL unless the value is a string */
	size_t len;
	const struct json_t *json; /* JSON: the value; CSV: NULL */
};

struct rec {
	const char *file;   /* as given by the caller */
	const char *table;  /* JSON files keyed by table: the key; else NULL */
	size_t line;        /* 1-based line where the record starts */
	size_t index;       /* 1-based record number within its table/file */
	const struct rec_cell *cells;
	size_t ncells;
};

/* Returns 0 to continue; any other value stops the decoder, which returns
 * it.  The record is valid during the call only. */
typedef int (*rec_cb)(void *ctx, const struct rec *r, struct bf_err *err);

#endif
