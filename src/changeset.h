/*
 * changeset: the unit of replication, as bytes.  Pure code over bytes and
 * keys: no SQLite, no network, so every decoder here can be fuzzed alone.
 * proto/PROTOCOL.md specifies the format; this header is its C contract.
 *
 * A signed change set is BODY || SIG where SIG is the 64-byte Ed25519
 * signature of BODY by the origin's key.  Its hash is SHA-256(BODY).
 *
 *   BODY   = "BFC1" origin:str seq:uv prev:32 time_ms:uv schema:uv
 *            nnames:uv name:str*nnames nrows:uv row*nrows
 *   row    = op:u8 (1 upsert, 2 delete) table:uv(name index) id:str
 *            [upsert: nfields:uv (name:uv(name index) value)*nfields]
 *   value  = 1 int:zigzag-uv | 2 real:8 bytes LE | 3 text:str
 *          | 4 false | 5 true | 6 list: n:uv str*n
 *   str    = len:uv bytes (UTF-8)
 *
 * The decoder accepts only the canonical form (sorted unique names, rows
 * sorted by (table name, id) without duplicates, fields sorted by name
 * without duplicates, minimal varints, no empty text or list), so every
 * content has exactly one encoding.
 *
 * A "row encoding" (rowenc) is the canonical form of one row's fields with
 * names inline:  nfields:uv (name:str value)*nfields.  Its SHA-256 (first
 * 16 bytes) is the row hash that publish compares and verify recomputes.
 */
#ifndef BIOFED_CHANGESET_H
#define BIOFED_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CS_MAGIC "BFC1"
#define CS_SIG_LEN 64
#define CS_HASH_LEN 32
#define CS_ROWHASH_LEN 16
#define CS_KEY_LEN 32 /* Ed25519 public key */

/* Hard limits every decoder enforces. */
#define CS_MAX_BYTES (16u * 1024 * 1024) /* whole signed change set */
#define CS_MAX_ROWS 100000u
#define CS_MAX_NAMES 4096u
#define CS_MAX_FIELDS 512u       /* per row */
#define CS_MAX_STR (1024u * 1024) /* one string */
#define CS_MAX_LIST 4096u        /* items in one list */
#define CS_MAX_ORIGIN 64u

enum cs_op { CS_UPSERT = 1, CS_DELETE = 2 };

enum cs_vtype {
	CS_INT = 1,
	CS_REAL = 2,
	CS_TEXT = 3,
	CS_FALSE = 4,
	CS_TRUE = 5,
	CS_LIST = 6,
};

/* A string that is not NUL-terminated (it points into a buffer). */
struct cs_str {
	const char *p;
	size_t len;
};

struct cs_value {
	enum cs_vtype type;
	int64_t i;                  /* CS_INT */
	double r;                   /* CS_REAL */
	struct cs_str s;            /* CS_TEXT */
	size_t nitems;              /* CS_LIST */
	const struct cs_str *items; /* CS_LIST */
	struct cs_str raw;          /* decoded values: the encoded value bytes
				       (tag included) inside the change set */
};

struct cs_field {
	struct cs_str name;
	struct cs_value v;
};

struct cs_row {
	enum cs_op op;
	struct cs_str table;
	struct cs_str id;
	size_t nfields;
	struct cs_field *fields; /* sorted by name */
};

struct cs_header {
	char origin[CS_MAX_ORIGIN + 1];
	uint64_t seq;
	uint8_t prev[CS_HASH_LEN]; /* all zero when seq == 1 */
	uint64_t time_ms;
	uint64_t schema;
};

/* A decoded change set.  Every cs_str points into `bytes`, which the
 * caller keeps alive for as long as it uses the decoded rows. */
struct changeset {
	struct cs_header h;
	uint8_t hash[CS_HASH_LEN];
	const uint8_t *bytes; /* BODY || SIG as given */
	size_t len;
	size_t body_len;
	const uint8_t *sig;   /* bytes + body_len */
	size_t nrows;
	struct cs_row *rows;
	/* private allocations */
	struct cs_field *field_pool;
	struct cs_str *item_pool;
};

/* Decodes and strictly validates a signed change set.  Does not check the
 * signature (use cs_verify with the key the roster gives).  On success the
 * caller must cs_free(cs).  On failure writes what and at which byte
 * offset into err. */
int cs_decode(const uint8_t *bytes, size_t len, struct changeset *cs,
	      struct bf_err *err);
void cs_free(struct changeset *cs);

/* Decodes only the header fields and the hash (cheap; used for indexes). */
int cs_peek_header(const uint8_t *bytes, size_t len, struct cs_header *h,
		   uint8_t hash[CS_HASH_LEN], struct bf_err *err);

/* Verifies the Ed25519 signature over BODY with a raw 32-byte public key. */
int cs_verify(const struct changeset *cs, const uint8_t pub[CS_KEY_LEN],
	      struct bf_err *err);

/* --- building change sets --------------------------------------------- */

/* One row to write.  `enc` is the row encoding of its fields (ignored for
 * deletes); both strings stay owned by the caller until cs_build returns. */
struct cs_row_in {
	enum cs_op op;
	const char *table;
	const char *id;
	const uint8_t *enc;
	size_t enc_len;
	/* the row hash of enc when the caller has it (CS_ROWHASH_LEN
	 * bytes), or NULL: cs_build ignores it, store_apply_hashed takes
	 * it instead of hashing the row again */
	const uint8_t *hash;
};

struct ed_key; /* keys.h */

/* Encodes rows (sorted here by (table, id); duplicates are an error) into a
 * signed change set.  *out is malloc'd, owned by the caller. */
int cs_build(const struct cs_header *h, const struct cs_row_in *rows,
	     size_t nrows, const struct ed_key *key, uint8_t **out,
	     size_t *out_len, struct bf_err *err);

/* --- row encodings ---------------------------------------------------- */

/* Appends one value's encoding to b. */
int cs_put_int(struct bf_buf *b, int64_t v);
int cs_put_real(struct bf_buf *b, double v);
int cs_put_text(struct bf_buf *b, const char *s, size_t len);
int cs_put_bool(struct bf_buf *b, int v);
int cs_put_list(struct bf_buf *b, const struct cs_str *items, size_t n);
int cs_put_str(struct bf_buf *b, const char *s, size_t len);

/* Builds the row encoding of fields (which must be sorted by name, unique,
 * with typed values, or encoded values in v.raw) into b.  v.raw is set by
 * the decoders only, which validated those bytes and the field's name:
 * such fields are copied without being checked again. */
int cs_rowenc(struct bf_buf *b, const struct cs_field *fields, size_t n);

/* Decodes a row encoding; fields and list items are malloc'd into *fields
 * (free with cs_fields_free).  Strict as cs_decode.  Names, text and raw
 * values point into p, which must outlive the fields.  No fields: *fields
 * is NULL and *n is 0. */
int cs_rowenc_decode(const uint8_t *p, size_t len, struct cs_field **fields,
		     size_t *n, struct bf_err *err);
void cs_fields_free(struct cs_field *fields, size_t n);

/* First 16 bytes of SHA-256 of a row encoding. */
void cs_rowhash(const uint8_t *enc, size_t len, uint8_t out[CS_ROWHASH_LEN]);

/* SHA-256 helper. */
void cs_sha256(const void *p, size_t n, uint8_t out[CS_HASH_LEN]);
/* cs_sha256 keeps a digest context per thread: a thread that ends calls
 * this to free its own. */
void cs_thread_done(void);

/* --- change-set files (biofed changes export / import) ---------------- */

/* "BFX1", then per change set: its length as 4 bytes big-endian and its
 * signed bytes.  A length of 0 or over CS_MAX_BYTES, or a file that ends
 * inside an entry, is an error naming the entry and its byte offset. */
#define CS_FILE_MAGIC "BFX1"

int cs_file_begin(struct bf_buf *b);
int cs_file_append(struct bf_buf *b, const uint8_t *cs, size_t len);
typedef int (*cs_file_cb)(void *ctx, size_t index, const uint8_t *cs,
			  size_t len, struct bf_err *err);
/* Calls cb per entry (index from 1); a non-zero return stops the walk and
 * is returned.  Entries before a framing error have been delivered. */
int cs_file_read(const uint8_t *data, size_t len, cs_file_cb cb, void *ctx,
		 struct bf_err *err);

#endif
