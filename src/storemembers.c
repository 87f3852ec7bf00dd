/*
 * storemembers: reading the roster, the coordinator's rows of the
 * institution table (store.h, "The roster's members").  The roster, the
 * daemon's TLS set-up, its start-up checks, its status and fetch's
 * matching of organisations read members here instead of each writing its own SQL.
 *
 * Statements are prepared per call, not cached on the handle: members
 * are read a few times per command or per roster change, never per row
 * of a change set, and a walk prepared for itself lets its callback call
 * the store again.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "store.h"
#include "store_int.h"

/* The columns read_member reads, in its order. */
#define MEMBER_COLS                                                            \
	"id, name, country, region, city, endpoint, sign_key, old_keys, "      \
	"tls_cert, acronym, key_from, revoked_from, rowhash"

/* The text fields of a member, for the copy store_member makes. */
static const size_t member_text[] = {
	offsetof(struct store_member, slug),
	offsetof(struct store_member, name),
	offsetof(struct store_member, country),
	offsetof(struct store_member, region),
	offsetof(struct store_member, city),
	offsetof(struct store_member, endpoint),
	offsetof(struct store_member, sign_key),
	offsetof(struct store_member, old_keys),
	offsetof(struct store_member, tls_cert),
	offsetof(struct store_member, acronym),
};
#define NTEXT (sizeof(member_text) / sizeof(member_text[0]))

static const char **text_at(struct store_member *m, size_t i)
{
	return (const char **)(void *)((char *)m + member_text[i]);
}

/* The current row of st (MEMBER_COLS) into m, text borrowed from st. */
static void read_member(sqlite3_stmt *st, struct store_member *m)
{
	memset(m, 0, sizeof(*m));
	/* the first NTEXT columns are the text fields, in member_text's
	 * order */
	for (size_t i = 0; i < NTEXT; i++)
		*text_at(m, i) = (const char *)sqlite3_column_text(st, (int)i);
	m->key_from = sqlite3_column_int64(st, NTEXT);
	m->revoked_from = sqlite3_column_int64(st, NTEXT + 1);
	if (sqlite3_column_bytes(st, NTEXT + 2) == CS_ROWHASH_LEN)
		memcpy(m->rowhash, sqlite3_column_blob(st, NTEXT + 2),
		       CS_ROWHASH_LEN);
}

/* *m with its text copied into one block of its own (m->own). */
static int own_member(struct store_member *m)
{
	size_t need = 0, len;
	char *p;

	for (size_t i = 0; i < NTEXT; i++)
		if (*text_at(m, i))
			need += strlen(*text_at(m, i)) + 1;
	if (!(m->own = p = malloc(need ? need : 1)))
		return BF_ENOMEM;
	for (size_t i = 0; i < NTEXT; i++) {
		const char **t = text_at(m, i);

		if (!*t)
			continue;
		len = strlen(*t) + 1;
		memcpy(p, *t, len);
		*t = p;
		p += len;
	}
	return BF_OK;
}

/* Prepares sql (?1 the roster's owner, ?2 slug unless NULL) into *st. */
static int roster_stmt(struct store *s, const char *sql, const char *slug,
		       sqlite3_stmt **st, struct bf_err *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(*st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC) ||
	    (slug && sqlite3_bind_text(*st, 2, slug, -1, SQLITE_STATIC)))
		return store_sql_fail(s, err, "roster");
	return BF_OK;
}

int store_member(struct store *s, const char *slug, struct store_member *m,
		 struct bf_err *err)
{
	static const char sql[] = "SELECT " MEMBER_COLS " FROM " ROSTER_TABLE
				  " WHERE owner = ?1 AND id = ?2";
	struct store_member got;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = roster_stmt(s, sql, slug, &st, err)) != BF_OK)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = bf_errf(err, BF_ENOENT, "%s is not in the roster", slug);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "roster");
		goto out;
	}
	read_member(st, &got);
	if (own_member(&got)) {
		rc = bf_errf(err, BF_ENOMEM, "roster: out of memory");
		goto out;
	}
	*m = got;
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

void store_member_free(struct store_member *m)
{
	if (!m)
		return;
	free(m->own);
	memset(m, 0, sizeof(*m));
}

int store_members(struct store *s, store_member_cb cb, void *ctx,
		  struct bf_err *err)
{
	static const char sql[] = "SELECT " MEMBER_COLS " FROM " ROSTER_TABLE
				  " WHERE owner = ?1 ORDER BY id";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = roster_stmt(s, sql, NULL, &st, err)) != BF_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_member m;

		read_member(st, &m);
		if ((rc = cb(ctx, &m)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? BF_OK : store_sql_fail(s, err, "roster");
out:
	sqlite3_finalize(st);
	return rc;
}

int store_member_count(struct store *s, int with_cert, const char *except,
		       uint64_t *n, struct bf_err *err)
{
	static const char sql[] =
		"SELECT count(*) FROM " ROSTER_TABLE " WHERE owner = ?1 AND "
		"revoked_from IS NULL AND (?2 = 0 OR tls_cert IS NOT NULL) "
		"AND (?3 IS NULL OR id <> ?3)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, with_cert != 0) ||
	    (except && sqlite3_bind_text(st, 3, except, -1, SQLITE_STATIC)) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "counting members");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(st, 0);
	rc = BF_OK;
out:
	sqlite3_finalize(st);
	return rc;
}
