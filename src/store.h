/*
 * store: the replica.  SQLite in WAL mode; schema and migrations derived
 * from schema.h; the change-set log, the version vector (per-origin
 * cursor: seq and head hash), fork evidence, and the one function that
 * applies a signed change set with every rule of DESIGN.md:
 *
 *   1. it decodes strictly (changeset.h);
 *   2. its origin is the coordinator (pinned key) or a roster member whose
 *      key was valid for that sequence number and who was not revoked;
 *   3. the signature verifies over the exact bytes;
 *   4. seq is the next one for the origin and prev is the head's hash
 *      (an already applied change set with the same hash is a duplicate:
 *      BF_EDUP, nothing changes; a different one at an applied seq is a
 *      fork: kept as evidence, BF_EFORK, the origin stops);
 *   5. every row it touches belongs to the origin: the row key is
 *      (table, owner, id) with owner = origin, only the coordinator writes
 *      the roster (institution), nobody writes local-only tables;
 *      known fields have the schema's types (the roster's must; in
 *      other tables a value of another type is one an older schema
 *      published for a field it did not know, and is kept in `extra`
 *      like unknown fields); unknown tables in `foreign_row`;
 *   6. rows, log entry and cursor commit in one transaction.
 *
 * store knows no network.  A store handle is used by one thread.
 *
 * The module's files (store_int.h is what they share):
 *   store.c        open, close, durability, coordinator key, SQL helpers
 *   storeschema.c  the layout derived from schema.h, and migrations
 *   storeapply.c   store_apply: the rules above, rows, log entry, forks
 *   storekeys.c    the roster's keys: store_origin_key, roster-row checks
 *   storesearch.c  the full-text index kept current by store_apply
 *   storelog.c     the log and the vector read: heads, walks, marks
 *   storelocal.c   local-only rows and the owned-row reads of publish
 *   storerows.c    store_stmt_rowenc: row encodings rebuilt from columns
 *   storeverify.c  store_verify and the digest of the replicated state
 */
#ifndef BIOFED_STORE_H
#define BIOFED_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "util.h"

struct store;
struct sqlite3;

#define STORE_RDONLY 0x1 /* opens read-only (query commands) */
#define STORE_CREATE 0x2 /* creates the file and schema if missing */

/* Opens (and migrates, unless read-only) the replica at path.
 * A writer refuses a database whose schema version is newer than this
 * build's (read-only opens work).  STORE_RDONLY needs a database that a
 * writer has initialised (BF_ENOENT otherwise); writers keep the -wal and
 * -shm files after closing so that readers can open it at any time. */
int store_open(const char *path, int flags, struct store **out,
	       struct bf_err *err);
void store_close(struct store *s);
/* The underlying connection, for query code. */
struct sqlite3 *store_db(struct store *s);

/* A connection opens with synchronous=FULL: every commit is on disk before
 * it returns, which a node's own signed change sets need (losing one
 * would let the node sign that seq again: a fork).  A connection that
 * only applies other nodes' change sets may trade that for speed
 * (full = 0: synchronous=NORMAL, WAL synced at checkpoints): what a power
 * loss takes back is consistent (data and vector go together) and is
 * pulled again from the peers, byte for byte the same. */
int store_set_durable(struct store *s, int full, struct bf_err *err);

/* Sets the pinned coordinator key (from the configuration).  Until it is
 * set every change set is rejected. */
void store_set_coordinator(struct store *s, const uint8_t key[CS_KEY_LEN]);

/* Applies one signed change set (see the rules above).  Returns 0 when
 * applied, BF_EDUP when already applied (nothing changed), BF_EFORK when
 * it proves a fork (evidence stored), another negative code when rejected;
 * err says why ("changeset ORIGIN/SEQ: ...").  hdr_out (may be NULL)
 * receives the header whenever the bytes decoded, also on rejection, for
 * logging; rows_out (may be NULL) the row count when applied. */
int store_apply(struct store *s, const uint8_t *bytes, size_t len,
		struct cs_header *hdr_out, size_t *rows_out, struct bf_err *err);

/* store_apply for a change set built by this process from rows whose
 * row hashes it computed already: rows[i].hash (NULL: computed here) is
 * taken for the i-th row of the change set, which must be the rows it was
 * built from in their order (cs_build sorts by table and id; so must the
 * caller).  Everything else is checked as in store_apply. */
int store_apply_hashed(struct store *s, const uint8_t *bytes, size_t len,
		       const struct cs_row_in *rows, size_t nrows,
		       struct bf_err *err);

/* Head of an origin's log: seq 0 and a zero hash when none. */
int store_head(struct store *s, const char *origin, uint64_t *seq,
	       uint8_t hash[CS_HASH_LEN], struct bf_err *err);

/* The version vector: calls cb for each origin in byte order. */
struct store_vv_entry {
	const char *origin;
	uint64_t seq;
	uint8_t hash[CS_HASH_LEN];
	uint64_t forked_at; /* 0 unless a fork was proven at that seq */
};
typedef int (*store_vv_cb)(void *ctx, const struct store_vv_entry *e);
int store_vector(struct store *s, store_vv_cb cb, void *ctx,
		 struct bf_err *err);

/* A number that grows with every change set the log takes (from any
 * process): the daemon compares it to notice commits made by others.
 * -1 on error. */
int64_t store_log_mark(struct store *s);

/* Calls cb for each stored change set of origin (NULL: all origins, the
 * coordinator's first, then by origin) with seq > after_seq, in sequence
 * order.  The bytes are valid during the callback only.  A non-zero
 * return from cb stops the walk and is returned. */
struct store_cs_entry {
	const char *origin;
	uint64_t seq;
	uint64_t time_ms;
	uint64_t nrows;
	const uint8_t *hash;
	const uint8_t *bytes;
	size_t len;
};
typedef int (*store_cs_cb)(void *ctx, const struct store_cs_entry *e);
int store_changesets(struct store *s, const char *origin, uint64_t after_seq,
		     store_cs_cb cb, void *ctx, struct bf_err *err);

/* The hash of origin's change set seq in the log: BF_OK, or BF_ENOENT
 * when the log does not hold it. */
int store_log_hash(struct store *s, const char *origin, uint64_t seq,
		   uint8_t out[CS_HASH_LEN], struct bf_err *err);

/* Writes rows of local-only tables (SCH_T_LOCAL: samples) owned by owner
 * in one transaction, all or nothing: upserts carry their row encoding as
 * in cs_row_in, deletes only the id.  These rows never enter a change set
 * or the log, and verify's digest skips them.  They are written in
 * (table, id) order.  A replicated table is refused.  hashes (may be
 * NULL, as may its entries) gives each upsert's row hash when the caller
 * computed it already: the SHA-256 of its encoding. */
int store_write_local(struct store *s, const char *owner,
		      const struct cs_row_in *rows,
		      const uint8_t *const *hashes, size_t n,
		      struct bf_err *err);

/* Full-text search (database version 2, rebuilt in 3).  Every row of
 * research_group, biobank, collection, service, project, network and
 * study has an entry in
 *   search_doc(docid INTEGER PRIMARY KEY, tbl, owner, id)
 * and docid is its rowid in the FTS5 table
 *   search_fts(name, body)     rank: bm25 with the name weighing 4
 * (name: the row's name, or title; body: its other SCH_FTS fields).
 * store_apply keeps both current: the rows a change set touches are
 * re-indexed in a few statements before it commits (not by triggers:
 * see storeschema.c, migrate_v3).  Neither is replicated state: verify's
 * digest does not cover them. */

/* Calls cb(id, rowhash) for every row of table owned by owner. */
typedef int (*store_rowhash_cb)(void *ctx, const char *id, size_t id_len,
				const uint8_t hash[CS_ROWHASH_LEN]);
int store_owned_rows(struct store *s, const char *table, const char *owner,
		     store_rowhash_cb cb, void *ctx, struct bf_err *err);

/* Calls cb(id, value) for every row of table owned by owner whose text
 * field is set. */
typedef int (*store_value_cb)(void *ctx, const char *id, size_t id_len,
			      const char *v, size_t v_len);
int store_owned_values(struct store *s, const char *table,
		       const char *field, const char *owner,
		       store_value_cb cb, void *ctx, struct bf_err *err);

/* Appends to enc the row encoding of owner's row id of table (a schema
 * table; writers only): BF_OK, or BF_ENOENT when there is none. */
int store_owned_row(struct store *s, const char *table, const char *owner,
		    const char *id, size_t id_len, struct bf_buf *enc,
		    struct bf_err *err);

/* Re-checks every stored change set: decodes, signature with the key
 * valid at that seq, hash chain.  Then recomputes every replicated row's
 * encoding from its columns, checks it against the stored row hash, and
 * writes the digest of the replicated state (SHA-256 over table, owner,
 * id and row hash of every row in key order).  Returns 0 when all is
 * consistent; problems are counted in *problems and described through
 * report (may be NULL).  When the walk completes, digest, rows and
 * problems are written even if problems were found (then BF_EINVAL). */
typedef void (*store_report_cb)(void *ctx, const char *msg);
int store_verify(struct store *s, uint8_t digest[CS_HASH_LEN],
		 uint64_t *rows, uint64_t *problems, store_report_cb report,
		 void *ctx, struct bf_err *err);

/* Appends the row encoding of the current row of stmt to b, for table t:
 * the known fields are read from the columns named like them, `extra`
 * from the column "extra" (JSON object of unknown fields).  Used by
 * verify (to recompute row hashes) and by queries (JSON output). */
struct sqlite3_stmt;
struct sch_table;
int store_stmt_rowenc(struct sqlite3_stmt *stmt, const struct sch_table *t,
		      struct bf_buf *b, struct bf_err *err);

/* The Ed25519 key that `origin` may sign seq with, from the pinned
 * coordinator key or the roster.  BF_ENOENT: not a member; BF_ECRYPTO:
 * revoked or no key valid at seq. */
int store_origin_key(struct store *s, const char *origin, uint64_t seq,
		     uint8_t key[CS_KEY_LEN], struct bf_err *err);

/* ---------------------------------------------------------------------- */
/* The roster's members (storemembers.c)                                   */

/* A member: a row of the roster (table institution, owner "coordinator";
 * roster.h says what the keys mean).  Text is NULL where the row has no
 * value; key_from and revoked_from are 0 when unset. */
struct store_member {
	const char *slug;
	const char *name, *country, *region, *city, *endpoint;
	const char *sign_key; /* hex: the key signing from key_from on */
	const char *old_keys; /* JSON array text of "HEX:FROM:UNTIL" */
	const char *tls_cert; /* PEM */
	const char *acronym;
	int64_t key_from;     /* 0: the key signs from seq 1 */
	int64_t revoked_from; /* 0: a current member */
	uint8_t rowhash[CS_ROWHASH_LEN]; /* zero if the row has none */
	char *own; /* store_member's copy of the text; NULL in a walk */
};

/* Reads the member called slug into *m: BF_OK, or BF_ENOENT ("SLUG is not
 * in the roster") when the roster has no such member.  On success m holds
 * its text in m->own: the caller frees it with store_member_free (which a
 * zeroed struct also takes). */
int store_member(struct store *s, const char *slug, struct store_member *m,
		 struct bf_err *err);
void store_member_free(struct store_member *m);

/* Calls cb for every member, revoked ones included, in slug order.  m
 * and its text are valid during the callback only.  A non-zero return
 * from cb stops the walk and is returned. */
typedef int (*store_member_cb)(void *ctx, const struct store_member *m);
int store_members(struct store *s, store_member_cb cb, void *ctx,
		  struct bf_err *err);

/* *n: how many current (not revoked) members the roster has; with_cert:
 * only those with a TLS certificate (whom a listener accepts); except
 * (NULL: none): leaving out the member of that slug. */
int store_member_count(struct store *s, int with_cert, const char *except,
		       uint64_t *n, struct bf_err *err);

/* ---------------------------------------------------------------------- */
/* A node's samples (storesamples.c)                                       */

/* What the derivation of collection facts reads of a sample row (local
 * table sample, samples.h).  p is NULL where the row has no value. */
struct store_sample {
	struct cs_str id, collection, sex, age_unit, material_type, diagnosis,
		status, donor_id;
	int has_age; /* age is set */
	int64_t age;
};

/* Calls cb for every sample owned by owner, in no set order (one pass
 * over the table, no sort).  The sample's text is valid during the
 * callback only.  A non-zero return from cb stops the walk and is
 * returned. */
typedef int (*store_sample_cb)(void *ctx, const struct store_sample *smp);
int store_sample_scan(struct store *s, const char *owner,
		      store_sample_cb cb, void *ctx, struct bf_err *err);

/* *n: how many samples owner has. */
int store_sample_count(struct store *s, const char *owner, uint64_t *n,
		       struct bf_err *err);

/* --- External sources (storefetch.c) ------------------------------------ */
/* What fetch (fetch.h) keeps and reads in the replica.  The state of each
 * source is a row of fetch_state (database version 4): local to this
 * node, never replicated, not in verify's digest.  Texts longer than
 * their fields here are cut. */
struct store_fetch_state {
	char source[64];
	char url[256];
	char etag[256];
	char last_modified[64];
	uint64_t last_attempt_ms, last_success_ms, last_change_ms;
	uint64_t last_error_ms;
	char last_error[512];
	long last_status;
	uint64_t records, pages, bytes, refused;
	char roster[17];
};

/* The state of source: BF_ENOENT when it was never fetched.  Also on a
 * replica from before version 4 opened read-only (which may lack the
 * table, or its refused column: read as 0). */
int store_fetch_state_get(struct store *s, const char *source,
			  struct store_fetch_state *out, struct bf_err *err);

/* Writes st->source's state: last_attempt_ms always, last_status unless
 * 0, and what `what` names; every other column keeps its value. */
#define STORE_FETCH_SUCCESS 0x1 /* last_success_ms */
#define STORE_FETCH_CHANGE 0x2  /* last_change_ms */
#define STORE_FETCH_ERROR 0x4   /* last_error_ms and last_error */
#define STORE_FETCH_WHOLE 0x8   /* url, etag, last_modified, the counts and
				   roster: a whole fetch replaces them */
int store_fetch_state_put(struct store *s, const struct store_fetch_state *st,
			  unsigned what, struct bf_err *err);

/* How many project rows owner owns whose id is "SOURCE:...", or -1. */
int64_t store_fetch_rows(struct store *s, const char *owner,
			 const char *source);

#endif
