/*
 * storesamples: reading a node's own samples (the local-only `sample`
 * table, store.h "A node's samples") for the collection facts samples.c
 * derives from them.
 */
#include <sqlite3.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

int store_sample_scan(struct store *s, const char *owner, store_sample_cb cb,
		      void *ctx, struct bf_err *err)
{
	/* no ORDER BY: the derivation groups in hash tables, and a sort of
	 * a million rows through a temporary b-tree would cost seconds */
	static const char sql[] =
		"SELECT collection, sex, age, age_unit, material_type, "
		"diagnosis, status, donor_id, id FROM sample WHERE owner = ?1";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = store_sql_fail(s, err, "reading samples");
		goto out;
	}
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_sample v;
		struct cs_str *col[9] = {&v.collection, &v.sex, NULL,
					 &v.age_unit, &v.material_type,
					 &v.diagnosis, &v.status, &v.donor_id,
					 &v.id};

		for (int i = 0; i < 9; i++) {
			if (!col[i])
				continue;
			/* text before its length, as SQLite asks */
			col[i]->p = (const char *)sqlite3_column_text(st, i);
			col[i]->len = (size_t)sqlite3_column_bytes(st, i);
		}
		v.has_age = sqlite3_column_type(st, 2) != SQLITE_NULL;
		v.age = sqlite3_column_int64(st, 2);
		if ((rc = cb(ctx, &v)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? BF_OK
			       : store_sql_fail(s, err, "reading samples");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_sample_count(struct store *s, const char *owner, uint64_t *n,
		       struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db,
			       "SELECT count(*) FROM sample WHERE owner = ?1",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "counting samples");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}
