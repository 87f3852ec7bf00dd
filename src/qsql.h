/*
 * qsql: one SQL statement of a power user's, run under a guard that
 * keeps the replica unchanged.
 */
#ifndef BIOFED_QSQL_H
#define BIOFED_QSQL_H

#include <stdint.h>

#include "output.h"
#include "util.h"

struct sqlite3;

/* Runs sql under the guard: the connection is made query-only, extension
 * loading is disabled, and an authorizer refuses anything but reading (no
 * INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ATTACH, DETACH, ANALYZE,
 * REINDEX, VACUUM, SAVEPOINT, no PRAGMA but a read-only list, no
 * load_extension); the statement must be read-only by
 * sqlite3_stmt_readonly, and it is interrupted after timeout_ms (0:
 * 10,000).  Writes the result to an output of format fmt on f.  The guard
 * stays on the connection: use it for nothing else. */
int qsql_run(struct sqlite3 *db, const char *sql, int64_t timeout_ms,
	     enum out_format fmt, void *f /* FILE* */, struct bf_err *err);

#endif
