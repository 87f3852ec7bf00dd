/*
 * jsonin: JSON files (jansson) as records.  Accepted shapes:
 *   [ {..}, {..} ]                      records of one table
 *   { "collection": [ {..} ], ... }     records keyed by table name
 *   or, with a records path "a.b", the array found at obj["a"]["b"].
 * Each record must be an object; its members become cells (cell.json set,
 * cell.text set for strings).  rec.line is the line where the record's
 * opening brace stands (found by a scan of the text, since jansson keeps
 * no positions).  Errors name file:line:column from jansson.
 *
 * Details: duplicate keys are rejected; a UTF-8 BOM is skipped.  In the
 * keyed shape every member of the top-level object must be an array, and
 * rec.index restarts at 1 per table.  A records path cannot name keys
 * holding '.'; NULL or "" means the two shapes above.  Keys and string
 * values with control characters other than tab, CR and LF are rejected,
 * as in csvin.  The callback's non-zero return stops the read and is
 * returned as is.  json_t values belong to the decoder (valid during the
 * call only).
 */
#ifndef BIOFED_JSONIN_H
#define BIOFED_JSONIN_H

#include "record.h"

#define JSONIN_MAX_BYTES (1024ull * 1024 * 1024)

int jsonin_read_file(const char *path, const char *records_path, rec_cb cb,
		     void *ctx, struct bf_err *err);
int jsonin_read_mem(const char *name, const char *data, size_t len,
		    const char *records_path, rec_cb cb, void *ctx,
		    struct bf_err *err);

#endif
