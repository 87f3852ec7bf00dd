/*
 * storeverify: store_verify, the replica's self-check.  It re-checks
 * every change set of the log (decoding, signature with the key valid at
 * its seq, hash chain, vector heads), recomputes every replicated row's
 * hash from its columns and feeds (table, owner, id, row hash) of each row
 * in key order into the digest that two replicas compare.  All of it
 * reads one snapshot; nothing is written.
 */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "schema.h"
#include "store_int.h"

struct verify {
	struct store *s;
	store_report_cb report;
	void *ctx;
	uint64_t problems;
	EVP_MD_CTX *md;
};

static void problem(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct verify *v, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	v->problems++;
	if (!v->report)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->report(v->ctx, msg);
}

/* A row's key as verify reads it from the database: table, owner, id. */
struct rowkey {
	const char *p[3];
	size_t len[3];
};

/* A problem of one row: "KIND TABLE/OWNER/ID: ...", the key escaped (it
 * is whatever the database holds). */
static void row_problem(struct verify *v, const char *kind,
			const struct rowkey *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void row_problem(struct verify *v, const char *kind,
			const struct rowkey *k, const char *fmt, ...)
{
	char msg[600], esc[3][80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (int i = 0; i < 3; i++)
		log_escape(k->p[i], k->len[i], esc[i], sizeof(esc[i]));
	problem(v, "%s %s/%s/%s: %s", kind, esc[0], esc[1], esc[2], msg);
}

/* str = uvarint length + bytes, as in the change-set format. */
static int digest_str(EVP_MD_CTX *md, const void *p, size_t n)
{
	uint8_t v[10];
	size_t k = store_uvarint(n, v);

	if (EVP_DigestUpdate(md, v, k) != 1 || EVP_DigestUpdate(md, p, n) != 1)
		return BF_ECRYPTO;
	return BF_OK;
}

/* Feeds one row into the digest: its key, then its row hash. */
static int digest_row(struct verify *v, const struct rowkey *k,
		      const void *rowhash, struct bf_err *err)
{
	int bad = 0;

	for (int i = 0; i < 3; i++)
		bad |= digest_str(v->md, k->p[i], k->len[i]);
	if (bad || EVP_DigestUpdate(v->md, rowhash, CS_ROWHASH_LEN) != 1)
		return bf_errf(err, BF_ECRYPTO, "verify: digest failed");
	return BF_OK;
}

/* Checks one origin's log: contiguous from 1, chained, signed, hashed;
 * and that the vector's head is its last entry. */
static int verify_log(struct verify *v, struct bf_err *err)
{
	struct store *s = v->s;
	sqlite3_stmt *st = NULL, *vst = NULL;
	char origin[CS_MAX_ORIGIN + 1] = "";
	uint8_t prev[CS_HASH_LEN] = {0};
	uint64_t expect = 1;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT origin, seq, hash, prev, bytes FROM "
			       "cs_log ORDER BY origin, seq",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = store_sql_fail(s, err, "reading the log");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(st, 0);
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 1);
		const uint8_t *bytes = sqlite3_column_blob(st, 4);
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		struct changeset cs;
		uint8_t key[CS_KEY_LEN];
		struct bf_err e;

		if (!o)
			o = "";
		if (strcmp(o, origin)) {
			snprintf(origin, sizeof(origin), "%s", o);
			memset(prev, 0, sizeof(prev));
			expect = 1;
		}
		if (seq != expect)
			problem(v, "log %s: seq %llu follows %llu", o,
				(unsigned long long)seq,
				(unsigned long long)(expect - 1));
		expect = seq + 1;
		if (cs_decode(bytes, len, &cs, &e)) {
			problem(v, "log %s/%llu: %s", o,
				(unsigned long long)seq, e.msg);
			memset(prev, 0, sizeof(prev));
			continue;
		}
		if (strcmp(cs.h.origin, o) || cs.h.seq != seq)
			problem(v, "log %s/%llu: holds change set %s/%llu", o,
				(unsigned long long)seq, cs.h.origin,
				(unsigned long long)cs.h.seq);
		if (sqlite3_column_bytes(st, 2) != CS_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 2), cs.hash, CS_HASH_LEN))
			problem(v, "log %s/%llu: stored hash is not the hash "
				   "of its bytes",
				o, (unsigned long long)seq);
		if (memcmp(cs.h.prev, prev, CS_HASH_LEN) ||
		    sqlite3_column_bytes(st, 3) != CS_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 3), prev, CS_HASH_LEN))
			problem(v, "log %s/%llu: prev is not the hash of the "
				   "previous change set",
				o, (unsigned long long)seq);
		if (store_origin_key(s, cs.h.origin, cs.h.seq, key, &e))
			problem(v, "log %s/%llu: %s", o,
				(unsigned long long)seq, e.msg);
		else if (cs_verify(&cs, key, NULL))
			problem(v, "log %s/%llu: signature does not verify",
				o, (unsigned long long)seq);
		memcpy(prev, cs.hash, CS_HASH_LEN);
		cs_free(&cs);
	}
	if (rc != SQLITE_DONE) {
		rc = store_sql_fail(s, err, "reading the log");
		goto out;
	}
	/* the vector's head of each origin is its last log entry, and each
	 * origin in the log has a head */
	if (sqlite3_prepare_v2(
		    s->db,
		    "SELECT v.origin, v.seq, v.hash, l.seq, l.hash FROM vv v "
		    "LEFT JOIN (SELECT origin, max(seq) AS seq FROM cs_log "
		    "GROUP BY origin) m ON m.origin = v.origin LEFT JOIN "
		    "cs_log l ON l.origin = m.origin AND l.seq = m.seq "
		    "UNION ALL SELECT DISTINCT origin, NULL, NULL, NULL, NULL "
		    "FROM cs_log WHERE origin NOT IN (SELECT origin FROM vv)",
		    -1, &vst, NULL) != SQLITE_OK) {
		rc = store_sql_fail(s, err, "reading the vector");
		goto out;
	}
	while ((rc = sqlite3_step(vst)) == SQLITE_ROW) {
		const char *o = (const char *)sqlite3_column_text(vst, 0);

		if (sqlite3_column_type(vst, 1) == SQLITE_NULL)
			problem(v, "vector: %s has a log but no head",
				o ? o : "");
		else if (sqlite3_column_int64(vst, 1) !=
				 sqlite3_column_int64(vst, 3) ||
			 sqlite3_column_bytes(vst, 2) != CS_HASH_LEN ||
			 sqlite3_column_bytes(vst, 4) != CS_HASH_LEN ||
			 memcmp(sqlite3_column_blob(vst, 2),
				sqlite3_column_blob(vst, 4), CS_HASH_LEN))
			problem(v, "vector: head of %s is not its last log "
				   "entry",
				o ? o : "");
	}
	rc = store_walk_end(s, rc, err, "reading the vector");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(vst);
	return rc;
}

/* Recomputes every row's hash of one schema table and feeds the digest. */
static int verify_table(struct verify *v, const struct sch_table *t,
			struct bf_buf *b, uint64_t *rows, struct bf_err *err)
{
	struct store *s = v->s;
	sqlite3_stmt *st = NULL;
	struct bf_buf sql;
	int rc;

	bf_buf_init(&sql, 0);
	rc = bf_buf_adds(&sql,
			 "SELECT \"owner\", \"id\", \"rowhash\", \"extra\"");
	for (size_t i = 0; i < t->nfields && !rc; i++) {
		rc = bf_buf_adds(&sql, ", ");
		rc = rc ? rc : store_add_ident(&sql, t->fields[i].name);
	}
	rc = rc ? rc : bf_buf_adds(&sql, " FROM ");
	rc = rc ? rc : store_add_ident(&sql, t->name);
	rc = rc ? rc : bf_buf_adds(&sql, " ORDER BY \"owner\", \"id\"");
	if ((rc = store_prep_buf(s, &st, &sql, rc, err)) != 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const uint8_t *rh = sqlite3_column_blob(st, 2);
		struct rowkey k = {{t->name, "", ""}, {strlen(t->name), 0, 0}};
		uint8_t h[CS_ROWHASH_LEN];
		struct bf_err e;

		if (owner && id) {
			k.p[1] = owner;
			k.len[1] = (size_t)sqlite3_column_bytes(st, 0);
			k.p[2] = id;
			k.len[2] = (size_t)sqlite3_column_bytes(st, 1);
		}
		if (sqlite3_column_bytes(st, 2) != CS_ROWHASH_LEN) {
			row_problem(v, "row", &k, "row hash is not %d bytes",
				    CS_ROWHASH_LEN);
			continue;
		}
		(*rows)++;
		if ((rc = digest_row(v, &k, rh, err)) != 0)
			goto out;
		bf_buf_reset(b);
		if (store_stmt_rowenc(st, t, b, &e)) {
			row_problem(v, "row", &k, "%s", e.msg);
			continue;
		}
		cs_rowhash(b->p, b->len, h);
		if (memcmp(h, rh, CS_ROWHASH_LEN))
			row_problem(v, "row", &k,
				    "columns do not match the row hash");
	}
	rc = store_walk_end(s, rc, err, "verify");
out:
	sqlite3_finalize(st);
	bf_buf_free(&sql);
	return rc;
}

static int verify_foreign(struct verify *v, uint64_t *rows,
			  struct bf_err *err)
{
	struct store *s = v->s;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT tbl, owner, id, rowhash, fields FROM "
			       "foreign_row ORDER BY tbl, owner, id",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sql_fail(s, err, "verify");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *rh = sqlite3_column_blob(st, 3);
		const uint8_t *enc = sqlite3_column_blob(st, 4);
		size_t enc_len = (size_t)sqlite3_column_bytes(st, 4);
		uint8_t h[CS_ROWHASH_LEN];
		struct rowkey k;

		for (int i = 0; i < 3; i++) {
			k.p[i] = (const char *)sqlite3_column_text(st, i);
			k.len[i] = (size_t)sqlite3_column_bytes(st, i);
			if (!k.p[i])
				k.p[i] = "";
		}
		if (sqlite3_column_bytes(st, 3) != CS_ROWHASH_LEN) {
			row_problem(v, "foreign row", &k,
				    "row hash is not %d bytes", CS_ROWHASH_LEN);
			continue;
		}
		(*rows)++;
		if ((rc = digest_row(v, &k, rh, err)) != 0)
			goto out;
		cs_rowhash(enc ? enc : (const uint8_t *)"", enc_len, h);
		if (memcmp(h, rh, CS_ROWHASH_LEN))
			row_problem(v, "foreign row", &k,
				    "fields do not match the row hash");
	}
	rc = store_walk_end(s, rc, err, "verify");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_verify(struct store *s, uint8_t digest[CS_HASH_LEN],
		 uint64_t *rows, uint64_t *problems, store_report_cb report,
		 void *ctx, struct bf_err *err)
{
	struct verify v = {s, report, ctx, 0, NULL};
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	uint64_t nrows = 0;
	struct bf_buf b;
	int rc, in_tx = 0;

	bf_buf_init(&b, 0);
	/* one read snapshot: log and rows as of the same moment */
	if ((rc = store_exec(s, "BEGIN", err)) != 0)
		goto out;
	in_tx = 1;
	v.md = EVP_MD_CTX_new();
	if (!v.md || EVP_DigestInit_ex(v.md, EVP_sha256(), NULL) != 1) {
		rc = bf_errf(err, BF_ECRYPTO, "verify: cannot start SHA-256");
		goto out;
	}
	if ((rc = verify_log(&v, err)) != 0)
		goto out;
	for (size_t i = 0; i < schema_ntables; i++) {
		if (schema_tables[i].flags & SCH_T_LOCAL)
			continue;
		if ((rc = verify_table(&v, &schema_tables[i], &b, &nrows, err)))
			goto out;
	}
	if ((rc = verify_foreign(&v, &nrows, err)) != 0)
		goto out;
	if (EVP_DigestFinal_ex(v.md, d, &dlen) != 1 || dlen != CS_HASH_LEN) {
		rc = bf_errf(err, BF_ECRYPTO, "verify: SHA-256 failed");
		goto out;
	}
	memcpy(digest, d, CS_HASH_LEN);
	*rows = nrows;
	*problems = v.problems;
	rc = v.problems ? bf_errf(err, BF_EINVAL, "verify: %llu problems",
				  (unsigned long long)v.problems)
			: BF_OK;
out:
	if (in_tx)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	EVP_MD_CTX_free(v.md);
	bf_buf_free(&b);
	return rc;
}
