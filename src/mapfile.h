/*
 * mapfile: how a biobank's own export (a LIMS, a spreadsheet) maps onto
 * biofed's fields, written once and given to every nightly run with
 * `biofed publish --map FILE` or `biofed samples import --map FILE`.
 *
 *   # comments start with '#' or ';' at the start of a line
 *   [columns]               the export's header names -> biofed's fields
 *   Sample type = material_type
 *   Internal notes = -      a column to leave out
 *
 *   [values material_type]  value recodings for one field (its biofed
 *   Tumor = TISSUE_FROZEN   name, after the renames); each item of a
 *   Blood = WHOLE_BLOOD     list is recoded on its own
 *
 *   [values sex]
 *   Male = MALE
 *
 *   [rows]
 *   skip = 1                data rows to skip after the header (a row of
 *                           types or units, as some exports write)
 *
 * Names and values are trimmed; a value may be quoted ("a = b") to keep
 * an '=' or blanks.  Matching ignores ASCII case.  Every line that does
 * not fit (an unknown section, a line without '=', a key given twice) is
 * an error naming file:line.  The format is this module's own, not INI
 * as libinih reads it: libinih would cut values at ';' and split keys at
 * ':', both common in real column names and terms.
 */
#ifndef BIOFED_MAPFILE_H
#define BIOFED_MAPFILE_H

#include <stddef.h>

#include "util.h"

struct mapfile;

/* Reads path; *out is freed with mapfile_free. */
int mapfile_load(const char *path, struct mapfile **out, struct bf_err *err);
void mapfile_free(struct mapfile *m);

/* The field the column called name maps to: a renamed name, name itself
 * when not renamed, NULL when the column is left out. */
const char *mapfile_column(const struct mapfile *m, const char *name);

/* The recoding of value v for field, or NULL when there is none. */
const char *mapfile_value(const struct mapfile *m, const char *field,
			  const char *v, size_t len);

/* Whether the file recodes any value of field. */
int mapfile_recodes(const struct mapfile *m, const char *field);

/* Data rows to skip after the header. */
size_t mapfile_skip_rows(const struct mapfile *m);

#endif
