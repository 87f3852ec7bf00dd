/*
 * qbuild: SQL text built with bound parameters, for the read-only
 * questions (query.c, qsearch.c, disease.c's callers).
 *
 * A builder holds the SQL text and the values bound to its placeholders.
 * Its error is sticky: the first failure is kept in rc (and err) and
 * every later append does nothing, so callers append freely and check
 * once, at qb_prepare.  Format strings are the program's, never user
 * input; every value a user gives goes through qb_text, qb_int, qb_like
 * or qb_in, as a parameter.
 */
#ifndef BIOFED_QBUILD_H
#define BIOFED_QBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "schema.h"
#include "util.h"

struct sqlite3;
struct sqlite3_stmt;

#define QB_MAX_PARAMS 256
#define QB_MAX_ITEMS 32 /* values in one comma-separated filter */

struct qparam {
	int is_int;
	int64_t i;
	char *s; /* owned */
};

struct qb {
	struct bf_buf sql;
	struct qparam p[QB_MAX_PARAMS];
	size_t np;
	int rc; /* sticky: the first error */
	struct bf_err *err;
};

/* An empty builder reporting into err; qb_free releases it. */
void qb_init(struct qb *q, struct bf_err *err);
void qb_free(struct qb *q);

/* Appends SQL text. */
void qb_sql(struct qb *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a placeholder bound to text s (copied) or to v. */
void qb_text(struct qb *q, const char *s, size_t len);
void qb_int(struct qb *q, int64_t v);
/* A placeholder bound to a LIKE pattern that finds s anywhere (%, _ and
 * \ escaped: follow it with ESCAPE '\'). */
void qb_like(struct qb *q, const char *s);
/* Sets the sticky error (when there is none yet) and returns it. */
int qb_fail(struct qb *q, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepares the statement and binds the values; the caller finalizes
 * *st (also on failure, when it is not NULL).  The values stay owned by
 * q: free q after the statement. */
int qb_prepare(struct qb *q, struct sqlite3 *db, struct sqlite3_stmt **st);

/* A comma-separated filter value split into trimmed, non-empty items,
 * each passed through norm (which may rewrite it in place, up to 71
 * bytes, and returns non-zero with a message to refuse it). */
typedef int (*qb_norm_fn)(char *item, const void *arg, char *msg,
			  size_t ml);

struct qb_items {
	char buf[QB_MAX_ITEMS][72];
	size_t n;
};

/* Fails (sticky, BF_EINVAL, naming --opt) on a refused, too long or
 * missing value. */
int qb_split(struct qb *q, const char *opt, const char *v, qb_norm_fn norm,
	     const void *arg, struct qb_items *it);
/* " IN (?a, ?b)" over the items. */
void qb_in(struct qb *q, const struct qb_items *it);

/* Writes column col of the current row to o as a value of type. */
int qb_emit(struct out *o, struct sqlite3_stmt *st, int col,
	    enum sch_type type);

#endif
