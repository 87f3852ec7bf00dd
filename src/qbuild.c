/*
 * qbuild: SQL text with bound parameters and a sticky error (qbuild.h).
 */
#include "qbuild.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qb_init(struct qb *q, struct bf_err *err)
{
	memset(q, 0, sizeof(*q));
	q->err = err;
	bf_buf_init(&q->sql, 0);
}

void qb_free(struct qb *q)
{
	for (size_t i = 0; i < q->np; i++)
		free(q->p[i].s);
	q->np = 0;
	bf_buf_free(&q->sql);
}

int qb_fail(struct qb *q, int code, const char *fmt, ...)
{
	char msg[sizeof(q->err->msg)];
	va_list ap;

	if (q->rc)
		return q->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return q->rc = bf_errf(q->err, code, "%s", msg);
}

void qb_sql(struct qb *q, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	if (q->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    bf_buf_add(&q->sql, tmp, (size_t)n))
		qb_fail(q, BF_ENOMEM, "query: SQL too long");
}

/* The next parameter slot, or NULL (sticky error set). */
static struct qparam *next_param(struct qb *q)
{
	if (q->rc)
		return NULL;
	if (q->np == QB_MAX_PARAMS) {
		qb_fail(q, BF_EINVAL, "query: too many values");
		return NULL;
	}
	return &q->p[q->np];
}

void qb_text(struct qb *q, const char *s, size_t len)
{
	struct qparam *p = next_param(q);

	if (!p)
		return;
	if (!(p->s = strndup(s, len))) {
		qb_fail(q, BF_ENOMEM, "out of memory");
		return;
	}
	p->is_int = 0;
	q->np++;
	qb_sql(q, "?%zu", q->np);
}

void qb_int(struct qb *q, int64_t v)
{
	struct qparam *p = next_param(q);

	if (!p)
		return;
	p->is_int = 1;
	p->i = v;
	p->s = NULL;
	q->np++;
	qb_sql(q, "?%zu", q->np);
}

void qb_like(struct qb *q, const char *s)
{
	struct bf_buf b;
	int rc;

	bf_buf_init(&b, 4096);
	rc = bf_buf_addc(&b, '%');
	for (const char *p = s; *p && !rc; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			rc = bf_buf_addc(&b, '\\');
		rc = rc ? rc : bf_buf_addc(&b, (uint8_t)*p);
	}
	rc = rc ? rc : bf_buf_addc(&b, '%');
	if (rc)
		qb_fail(q, BF_EINVAL, "query: value too long");
	else
		qb_text(q, (const char *)b.p, b.len);
	bf_buf_free(&b);
}

int qb_prepare(struct qb *q, sqlite3 *db, sqlite3_stmt **st)
{
	if (q->rc)
		return q->rc;
	if (!bf_buf_cstr(&q->sql))
		return bf_errf(q->err, BF_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(db, (const char *)q->sql.p, -1, st, NULL) !=
	    SQLITE_OK) {
		int rc = bf_errf(q->err, BF_EIO, "query: %s",
				 sqlite3_errmsg(db));
		/* a replica that predates full-text search */
		if (strstr(sqlite3_errmsg(db), "no such table: search_"))
			rc = bf_errf(q->err, BF_EIO,
				     "this replica has no search index yet: "
				     "open it once for writing (any biofed "
				     "write command, or the daemon) to "
				     "upgrade it");
		return rc;
	}
	for (size_t i = 0; i < q->np; i++) {
		int rc = q->p[i].is_int
				 ? sqlite3_bind_int64(*st, (int)i + 1, q->p[i].i)
				 : sqlite3_bind_text(*st, (int)i + 1, q->p[i].s,
						     -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return bf_errf(q->err, BF_EIO, "query: bind: %s",
				       sqlite3_errmsg(db));
	}
	return 0;
}

int qb_split(struct qb *q, const char *opt, const char *v, qb_norm_fn norm,
	     const void *arg, struct qb_items *it)
{
	const char *p = v;
	char msg[200];

	it->n = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;

		p = e ? e + 1 : p + len;
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (!len)
			continue;
		if (it->n == QB_MAX_ITEMS || len >= 64)
			return qb_fail(q, BF_EINVAL,
				       "--%s: too many or too long values",
				       opt);
		memcpy(it->buf[it->n], s, len);
		it->buf[it->n][len] = 0;
		msg[0] = 0;
		if (norm && norm(it->buf[it->n], arg, msg, sizeof(msg)))
			return qb_fail(q, BF_EINVAL, "--%s: %s", opt, msg);
		it->n++;
	}
	if (!it->n)
		return qb_fail(q, BF_EINVAL, "--%s: no value", opt);
	return 0;
}

void qb_in(struct qb *q, const struct qb_items *it)
{
	qb_sql(q, " IN (");
	for (size_t i = 0; i < it->n; i++) {
		if (i)
			qb_sql(q, ", ");
		qb_text(q, it->buf[i], strlen(it->buf[i]));
	}
	qb_sql(q, ")");
}

int qb_emit(struct out *o, sqlite3_stmt *st, int col, enum sch_type type)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return out_null(o);
	switch (type) {
	case SCH_INT: return out_int(o, sqlite3_column_int64(st, col));
	case SCH_REAL: return out_real(o, sqlite3_column_double(st, col));
	case SCH_BOOL: return out_bool(o, sqlite3_column_int(st, col) != 0);
	case SCH_LIST:
		return out_list(o, (const char *)sqlite3_column_text(st, col),
				(size_t)sqlite3_column_bytes(st, col));
	case SCH_TEXT: break;
	}
	return out_text(o, (const char *)sqlite3_column_text(st, col),
			(size_t)sqlite3_column_bytes(st, col));
}
