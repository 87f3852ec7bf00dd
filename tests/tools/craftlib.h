/*
 * craftlib: builds one change set as a real member would, then breaks
 * exactly one apply rule, so that a test can show that this rule alone
 * refuses it.  Shared by the test tools craft (writes a BFX1 file) and
 * hostile (pushes it to a running node); header-only because every .c in
 * tests/tools/ is a program of its own.
 *
 * KIND (the row is biobank "crafted-1" unless said otherwise):
 *   good            the member's next change set, valid
 *   badsig          one bit of the signature flipped
 *   wrongkey        signed with a key that is not the member's
 *   unknown-origin  origin "intruder", not in the roster
 *   foreign         origin is another member (its next seq and head hash),
 *                   signed with this member's key: another origin's rows
 *   wrong-owner     writes the roster table (only the coordinator may)
 *   local-table     writes the local-only sample table
 *   gap             seq is the next one plus one
 *   wrong-prev      prev is not the hash of the head
 *   replay          the member's last applied change set, again
 *   truncated       the last 10 bytes cut off
 *   oversize        more than CS_MAX_BYTES
 *   garbage         4,096 random bytes (fixed seed)
 *   badtype         name is an integer
 */
#ifndef BIOFED_TESTS_CRAFTLIB_H
#define BIOFED_TESTS_CRAFTLIB_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changeset.h"
#include "keys.h"
#include "node.h"
#include "schema.h"

#define CRAFT_KINDS                                                          \
	"good, badsig, wrongkey, unknown-origin, foreign, wrong-owner, "     \
	"local-table, gap, wrong-prev, replay, truncated, oversize, "        \
	"garbage, badtype"

struct craft_last {
	uint8_t *bytes;
	size_t len;
};

static int craft_keep_last(void *ctx, const struct store_cs_entry *e)
{
	struct craft_last *l = ctx;

	free(l->bytes);
	l->bytes = malloc(e->len);
	if (!l->bytes)
		return BF_ENOMEM;
	memcpy(l->bytes, e->bytes, e->len);
	l->len = e->len;
	return 0;
}

/* Another roster member than self (the first by name), into out. */
static int craft_other_member(struct node *n, char *out, size_t size,
			      struct bf_err *err)
{
	sqlite3_stmt *st;
	int rc = BF_ENOENT;

	if (sqlite3_prepare_v2(store_db(n->store),
			       "SELECT id FROM institution WHERE owner = ?1 "
			       "AND id <> ?2 ORDER BY id LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return bf_errf(err, BF_EIO, "roster: %s",
			       sqlite3_errmsg(store_db(n->store)));
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->cfg.slug, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc ? bf_errf(err, rc, "no other member in the roster") : 0;
}

/* Builds the change set of the given kind as member n (opened with
 * NODE_KEY).  *out is malloc'd, owned by the caller. */
static int craft_changeset(struct node *n, const char *kind, uint8_t **out,
			   size_t *out_len, struct bf_err *err)
{
	struct cs_header h;
	struct bf_buf enc;
	struct ed_key other = {0};
	const struct ed_key *key = &n->key;
	const char *table = "biobank";
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct cs_field f[2];
	struct cs_row_in row;
	int rc = 0;

	memset(&h, 0, sizeof(h));
	snprintf(h.origin, sizeof(h.origin), "%s", n->cfg.slug);
	if (strcmp(kind, "foreign") == 0 &&
	    (rc = craft_other_member(n, h.origin, sizeof(h.origin), err)))
		return rc;
	if ((rc = store_head(n->store, h.origin, &h.seq, h.prev, err)))
		return rc;
	h.seq++;
	h.time_ms = bf_now_ms();
	h.schema = SCHEMA_VERSION;

	bf_buf_init(&enc, 0);
	memset(f, 0, sizeof(f));
	f[0].name = (struct cs_str){"country", 7};
	f[0].v.type = CS_TEXT;
	f[0].v.s = (struct cs_str){"ES", 2};
	f[1].name = (struct cs_str){"name", 4};
	f[1].v.type = CS_TEXT;
	f[1].v.s = (struct cs_str){"Crafted biobank", 15};
	if (strcmp(kind, "badtype") == 0) {
		f[1].v.type = CS_INT;
		f[1].v.i = 7;
	}
	if (strcmp(kind, "wrong-owner") == 0)
		table = "institution";
	if (strcmp(kind, "local-table") == 0)
		table = "sample";
	if (strcmp(kind, "gap") == 0)
		h.seq++;
	if (strcmp(kind, "wrong-prev") == 0)
		cs_sha256("not the head", 12, h.prev);
	if (strcmp(kind, "unknown-origin") == 0 ||
	    strcmp(kind, "wrongkey") == 0) {
		uint8_t seed[32];
		memset(seed, 0x5a, sizeof(seed));
		if ((rc = ed_key_from_seed(seed, &other, err)))
			goto out;
		key = &other;
		if (strcmp(kind, "unknown-origin") == 0) {
			snprintf(h.origin, sizeof(h.origin), "intruder");
			h.seq = 1;
			memset(h.prev, 0, sizeof(h.prev));
		}
	}
	if ((rc = cs_rowenc(&enc, f, 2)))
		goto out;
	row = (struct cs_row_in){CS_UPSERT, table, "crafted-1", enc.p, enc.len, NULL};

	if (strcmp(kind, "replay") == 0) {
		struct craft_last l = {NULL, 0};
		rc = store_changesets(n->store, n->cfg.slug, 0, craft_keep_last,
				      &l, err);
		if (!rc && !l.bytes)
			rc = bf_errf(err, BF_ENOENT, "no change set to replay");
		bytes = l.bytes;
		len = l.len;
	} else if (strcmp(kind, "garbage") == 0) {
		len = 4096;
		bytes = malloc(len);
		if (!bytes) {
			rc = BF_ENOMEM;
			goto out;
		}
		srand(7);
		for (size_t i = 0; i < len; i++)
			bytes[i] = (uint8_t)rand();
	} else if (strcmp(kind, "oversize") == 0) {
		/* a valid-looking start followed by more than the cap */
		len = CS_MAX_BYTES + 4096;
		bytes = calloc(1, len);
		if (!bytes) {
			rc = BF_ENOMEM;
			goto out;
		}
		memcpy(bytes, CS_MAGIC, 4);
	} else if (strcmp(kind, "good") == 0 || strcmp(kind, "badsig") == 0 ||
		   strcmp(kind, "truncated") == 0 ||
		   strcmp(kind, "foreign") == 0 ||
		   strcmp(kind, "badtype") == 0 ||
		   strcmp(kind, "wrong-owner") == 0 ||
		   strcmp(kind, "local-table") == 0 ||
		   strcmp(kind, "gap") == 0 || strcmp(kind, "wrong-prev") == 0 ||
		   strcmp(kind, "unknown-origin") == 0 ||
		   strcmp(kind, "wrongkey") == 0) {
		rc = cs_build(&h, &row, 1, key, &bytes, &len, err);
		if (!rc && strcmp(kind, "badsig") == 0)
			bytes[len - 10] ^= 0x01;
		if (!rc && strcmp(kind, "truncated") == 0)
			len -= 10;
	} else {
		rc = bf_errf(err, BF_EINVAL, "unknown kind \"%s\" (%s)", kind,
			     CRAFT_KINDS);
	}
out:
	bf_buf_free(&enc);
	ed_key_free(&other);
	if (rc) {
		free(bytes);
		return rc;
	}
	*out = bytes;
	*out_len = len;
	return 0;
}

#endif
