/*
 * store_int: what the store's files share and nothing else sees: the
 * store handle's insides, the SQL helpers (store.c) and the functions
 * that cross from one file to another, each with the file that holds it.
 * The files themselves are listed at the top of store.h.
 */
#ifndef BIOFED_STORE_INT_H
#define BIOFED_STORE_INT_H

#include <sqlite3.h>

#include "schema.h"
#include "store.h"

#define BUSY_TIMEOUT_MS 5000

/* The roster: which table and fields hold the members' keys. */
#define ROSTER_TABLE "institution"
#define ROSTER_OLD_KEYS "old_keys"

/* Columns every schema table has before its fields; field i of the table
 * is bound as parameter FIRST_FIELD_PARAM + i of its upsert. */
#define FIRST_FIELD_PARAM 5

struct table_stmts {
	sqlite3_stmt *upsert;
	sqlite3_stmt *del;
	sqlite3_stmt *get; /* store_owned_row, prepared on first use */
	sqlite3_stmt *search[4]; /* store_search_sql's steps; searchable
				  * tables only */
};

/* A list column rendered into store.lists, bound once the row is done
 * (the buffer may move while it grows). */
struct list_bind {
	int param;
	size_t off, len;
};

struct store {
	sqlite3 *db;
	int rdonly;
	int have_coord;
	uint8_t coord[CS_KEY_LEN];
	/* writers only: one upsert and one delete per schema_tables[] entry */
	struct table_stmts *tab;
	sqlite3_stmt *foreign_upsert, *foreign_del;
	/* prepared on first use */
	sqlite3_stmt *vv_get, *vv_put, *vv_fork, *log_hash, *log_put;
	sqlite3_stmt *evidence_put, *member;
	sqlite3_stmt *begin, *commit, *walk, *vv_all, *log_mark;
	int walking, vv_walking; /* walk, vv_all lent out (borrow) */
	struct bf_buf enc;    /* row encoding of the row being applied */
	struct bf_buf lists;  /* JSON text of its list columns */
	struct list_bind *lb; /* one slot per list field of the widest table */
	/* the full-text index: rows marked in temp.search_dirty while a
	 * change set applies, refreshed before it commits */
	sqlite3_stmt *search_mark, *search_clear;
	uint64_t search_dirty; /* bit ti: table ti has marks */
};

/* --- store.c: SQL helpers and small shared pieces ------------------- */

/* "what: sqlite's message" into err; BF_EIO. */
int store_sql_fail(struct store *s, struct bf_err *err, const char *what);
/* Runs SQL text (no rows). */
int store_exec(struct store *s, const char *sql, struct bf_err *err);
/* Prepares *st once; later calls reuse it. */
int store_prep(struct store *s, sqlite3_stmt **st, const char *sql,
	       struct bf_err *err);
/* store_prep for SQL text built in b; rc is the first failure of building
 * it (then BF_ENOMEM). */
int store_prep_buf(struct store *s, sqlite3_stmt **st, struct bf_buf *b,
		   int rc, struct bf_err *err);
/* Steps a statement that returns no rows, and resets it. */
int store_step_done(struct store *s, sqlite3_stmt *st, struct bf_err *err);
/* What a loop of sqlite3_step ended with (rc): BF_OK at SQLITE_DONE, else
 * "what: sqlite's message". */
int store_walk_end(struct store *s, int rc, struct bf_err *err,
		   const char *what);
int store_tx_begin(struct store *s, struct bf_err *err);
int store_tx_commit(struct store *s, struct bf_err *err);
/* A read statement prepared once (*cache) and stepped through while a
 * callback runs: should the callback read the same way again (*busy), it
 * gets a statement of its own.  store_give_back resets the cached one or
 * finalizes the extra one. */
int store_borrow(struct store *s, sqlite3_stmt **cache, int *busy,
		 const char *sql, sqlite3_stmt **st, struct bf_err *err);
void store_give_back(sqlite3_stmt *st, sqlite3_stmt *cache, int *busy);
/* Appends name as a quoted SQL identifier. */
int store_add_ident(struct bf_buf *b, const char *name);
/* The index of the schema table called exactly name, or -1. */
int store_table_index(const char *name, size_t len);
/* memcmp order, a proper prefix first: the order of names in a row. */
int store_name_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* The schema's word for a field type ("text", "integer"...). */
const char *store_type_name(enum sch_type t);
/* Writes v as a LEB128 varint; returns its length (1..10). */
size_t store_uvarint(uint64_t v, uint8_t out[10]);

/* --- storeschema.c: layout and migrations ---------------------------- */

/* Brings the database at path to this build's layout; read-only handles
 * only check that it is initialised. */
int store_migrate(struct store *s, const char *path, struct bf_err *err);
/* Whether rows of the table called name are in the full-text index. */
int store_search_table(const char *name);
/* Step 0..3 of refreshing the index for the rows of t listed in
 * temp.search_dirty(tbl, owner, id): old entries out (run before the rows
 * change), then after: doc ids of gone rows out, doc ids for new rows,
 * entries of the rows as they are. */
int store_search_sql(struct bf_buf *b, const struct sch_table *t, int step);

/* --- storeapply.c: writing rows -------------------------------------- */

/* Formats "row TABLE/ID: ..." into err (table and id escaped); returns
 * rc. */
int store_row_fail(struct bf_err *err, int rc, const struct cs_row *r,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* BF_OK when v has the type of field f, else BF_EINVAL and "row T/I:
 * field F: expected TYPE, got TYPE". */
int store_check_type(const struct cs_row *r, const struct sch_field *f,
		     const struct cs_value *v, struct bf_err *err);
/* Writes row r of schema table ti for origin, as store_apply does: known
 * fields into their columns, the others into `extra`.  cs_schema: the
 * schema version the row was written under; hash: its row hash when the
 * caller has it, else NULL (computed here). */
int store_upsert_row(struct store *s, size_t ti, const char *origin,
		     int cs_schema, const struct cs_row *r,
		     const uint8_t *hash, struct bf_err *err);
/* Deletes origin's row r->id of schema table ti. */
int store_delete_row(struct store *s, size_t ti, const char *origin,
		     const struct cs_row *r, struct bf_err *err);

/* --- storekeys.c: the roster's keys ---------------------------------- */

/* The checks a roster row passes before it is written. */
int store_check_roster_row(const struct sch_table *t, const struct cs_row *r,
			   struct bf_err *err);
/* The former key valid at seq in a roster row's old_keys (JSON array of
 * "HEX:FROM:UNTIL"; items that do not parse are passed over): BF_OK, or
 * BF_ENOENT when none is. */
int store_old_key(const char *old_keys, size_t len, uint64_t seq,
		  uint8_t key[CS_KEY_LEN]);

/* --- storesearch.c: the full-text index's upkeep --------------------- */

/* init: the marks table and the refresh statements of a writer (b:
 * scratch).  Before a change set's rows are applied, unindex marks those
 * of searchable tables and drops their entries, while the rows still hold
 * the text they were indexed with; after them, reindex writes the entries
 * of the marked rows as they are now and clears the marks. */
int store_search_init(struct store *s, struct bf_buf *b, struct bf_err *err);
int store_search_unindex(struct store *s, const struct changeset *cs,
			 struct bf_err *err);
int store_search_reindex(struct store *s, struct bf_err *err);

/* --- storelog.c: the vector ------------------------------------------ */

/* An origin's cursor in the version vector. */
struct store_cursor {
	uint64_t seq;
	uint8_t hash[CS_HASH_LEN];
	uint64_t forked_at; /* 0 unless a fork was proven at that seq */
};
/* The vector's cursor of origin, all zero when it has none. */
int store_read_cursor(struct store *s, const char *origin,
		      struct store_cursor *h, struct bf_err *err);

#endif
