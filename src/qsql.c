/*
 * qsql: the guarded SQL console (qsql.h): an authorizer, a
 * deadline, and the statement's rows as an output.
 */
#include "qsql.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Pragmas that only read, allowed with any argument (the argument names
 * a table, an index...), and pragmas allowed only without one (with an
 * argument they would set something). */
static const char *const pragma_any_arg[] = {
	"table_info",  "table_xinfo",   "index_list", "index_info",
	"index_xinfo", "foreign_key_list", "collation_list", "function_list",
	"module_list", "pragma_list",   "compile_options", "database_list",
	NULL};
static const char *const pragma_no_arg[] = {
	"user_version", "schema_version", "application_id", "page_count",
	"page_size",    "encoding",       "freelist_count", "data_version",
	NULL};

static int name_in(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (!strcasecmp(*l, s))
			return 1;
	return 0;
}

struct guard {
	int denied;
	char what[128];
	uint64_t deadline_ns;
};

static int guard_auth(void *ctx, int action, const char *a, const char *b,
		      const char *db, const char *trigger)
{
	struct guard *g = ctx;

	(void)db;
	if (g->denied)
		return SQLITE_DENY; /* the first refusal names the statement */
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
	case SQLITE_TRANSACTION:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		/* b is the function's name */
		if (b && !strcasecmp(b, "load_extension")) {
			snprintf(g->what, sizeof(g->what), "load_extension()");
			break;
		}
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		if (a && (name_in(pragma_any_arg, a) ||
			  (!b && name_in(pragma_no_arg, a))))
			return SQLITE_OK;
		snprintf(g->what, sizeof(g->what), "PRAGMA %.60s%s", a ? a : "",
			 b ? " with a value" : "");
		break;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (a && (!strcmp(a, "sqlite_master") ||
			  !strcmp(a, "sqlite_temp_master"))) {
			/* SQLite asks for UPDATE on the schema table when it
			 * sets up a table-valued function (json_each,
			 * pragma_table_info) for reading: harmless, and a real
			 * write to it fails sqlite3_stmt_readonly below */
			if (action == SQLITE_UPDATE && !trigger)
				return SQLITE_OK;
			snprintf(g->what, sizeof(g->what),
				 "a schema change (CREATE, DROP)");
			break;
		}
		snprintf(g->what, sizeof(g->what), "%s",
			 action == SQLITE_INSERT	? "INSERT"
			 : action == SQLITE_UPDATE ? "UPDATE"
						   : "DELETE");
		break;
	case SQLITE_ATTACH: snprintf(g->what, sizeof(g->what), "ATTACH"); break;
	case SQLITE_DETACH: snprintf(g->what, sizeof(g->what), "DETACH"); break;
	case SQLITE_ALTER_TABLE:
		snprintf(g->what, sizeof(g->what), "ALTER TABLE");
		break;
	case SQLITE_ANALYZE:
		snprintf(g->what, sizeof(g->what), "ANALYZE");
		break;
	case SQLITE_REINDEX:
		snprintf(g->what, sizeof(g->what), "REINDEX");
		break;
	case SQLITE_SAVEPOINT:
		snprintf(g->what, sizeof(g->what), "SAVEPOINT");
		break;
	default:
		/* every CREATE and DROP, and whatever a later SQLite adds */
		snprintf(g->what, sizeof(g->what), "a statement that changes "
						   "the database (%d)",
			 action);
		break;
	}
	g->denied = 1;
	return SQLITE_DENY;
}

static int guard_progress(void *ctx)
{
	struct guard *g = ctx;

	return bf_mono_ns() > g->deadline_ns;
}

static int emit_sql_value(struct out *o, sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL: return out_null(o);
	case SQLITE_INTEGER: return out_int(o, sqlite3_column_int64(st, c));
	case SQLITE_FLOAT: return out_real(o, sqlite3_column_double(st, c));
	case SQLITE_BLOB: {
		size_t n = (size_t)sqlite3_column_bytes(st, c);
		char *hex = malloc(2 * n + 1);
		int rc;

		if (!hex)
			return BF_ENOMEM;
		bf_hex(sqlite3_column_blob(st, c), n, hex);
		rc = out_text(o, hex, 2 * n);
		free(hex);
		return rc;
	}
	default:
		return out_text(o, (const char *)sqlite3_column_text(st, c),
				(size_t)sqlite3_column_bytes(st, c));
	}
}

int qsql_run(sqlite3 *db, const char *sql, int64_t timeout_ms,
	     enum out_format fmt, void *f, struct bf_err *err)
{
	struct guard g;
	sqlite3_stmt *st = NULL;
	struct out *o = NULL;
	const char *tail = NULL;
	int rc, ncols;

	memset(&g, 0, sizeof(g));
	/* before the authorizer, which would refuse these pragmas */
	if (sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
			      NULL) != SQLITE_OK ||
	    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) !=
		    SQLITE_OK ||
	    sqlite3_set_authorizer(db, guard_auth, &g) != SQLITE_OK)
		return bf_errf(err, BF_EIO, "sql: cannot set up the guard: %s",
			       sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
		rc = g.denied ? bf_errf(err, BF_EINVAL,
					"sql: refused: %s (the replica is "
					"read-only here)",
					g.what)
			      : bf_errf(err, BF_EINVAL, "sql: %s",
					sqlite3_errmsg(db));
		goto out;
	}
	if (!st) {
		rc = bf_errf(err, BF_EINVAL, "sql: no statement");
		goto out;
	}
	while (tail && *tail && isspace((unsigned char)*tail))
		tail++;
	if (tail && *tail && strcmp(tail, ";") != 0) {
		rc = bf_errf(err, BF_EINVAL,
			     "sql: one statement at a time (found more after "
			     "the first)");
		goto out;
	}
	/* VACUUM INTO writes a file without asking the authorizer */
	if (!sqlite3_stmt_readonly(st)) {
		rc = bf_errf(err, BF_EINVAL,
			     "sql: refused: not a read-only statement");
		goto out;
	}
	g.deadline_ns = bf_mono_ns() +
			(uint64_t)(timeout_ms > 0 ? timeout_ms : 10000) *
				1000000u;
	sqlite3_progress_handler(db, 10000, guard_progress, &g);
	if ((rc = out_new(f, fmt, &o)) != 0) {
		rc = bf_errf(err, rc, "out of memory");
		goto out;
	}
	ncols = sqlite3_column_count(st);
	for (int c = 0; c < ncols && !rc; c++) {
		const char *name = sqlite3_column_name(st, c);
		rc = out_col(o, name ? name : "?", OUT_NULLS);
	}
	if (rc) {
		rc = bf_errf(err, rc, "sql: too many columns");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int e = out_row(o);

		for (int c = 0; c < ncols && !e; c++)
			e = emit_sql_value(o, st, c);
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
	}
	if (rc == SQLITE_INTERRUPT)
		rc = bf_errf(err, BF_EINVAL,
			     "sql: interrupted after %lld ms (--timeout)",
			     (long long)(timeout_ms > 0 ? timeout_ms : 10000));
	else if (rc != SQLITE_DONE)
		rc = bf_errf(err, BF_EINVAL, "sql: %s", sqlite3_errmsg(db));
	else
		rc = 0;
	if (!rc) {
		rc = out_end(o, err);
		o = NULL;
	}
out:
	out_free(o);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	sqlite3_finalize(st);
	return rc;
}
