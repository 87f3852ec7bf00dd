/*
 * drydiff: what `biofed publish --dry-run` shows of one change, field by
 * field, so that a manager sees what a file would do before it does it:
 *
 *   + collection bbmri-eric:ID:ES_x (new)
 *   ~ collection bbmri-eric:ID:ES_y
 *       materials: ["DNA","SERUM"] -> ["DNA"]
 *       withdrawn: (none) -> true
 *   - collection bbmri-eric:ID:ES_z (deleted by --replace)
 *
 * Values are written as JSON (text quoted and escaped, lists as arrays),
 * so untrusted text cannot break the lines.
 */
#ifndef BIOFED_DRYDIFF_H
#define BIOFED_DRYDIFF_H

#include <stdio.h>

#include "changeset.h"
#include "util.h"

/* Writes one change to out: an upsert's new encoding against old (NULL
 * when the row is new), or a delete. */
int drydiff_print(FILE *out, enum cs_op op, const char *table, const char *id,
		  const uint8_t *old_enc, size_t old_len,
		  const uint8_t *new_enc, size_t new_len, struct bf_err *err);

#endif
