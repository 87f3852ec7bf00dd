/*
 * What the change-set decoder (changeset.c) shares with the builder
 * (csbuild.c): the format's limits, the reader over untrusted bytes and
 * the checks both apply, so that the two cannot drift apart.
 */
#ifndef BIOFED_CHANGESET_INT_H
#define BIOFED_CHANGESET_INT_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"

#define CS_MAX_ID 256u
/* magic, origin (len + 1 byte), seq, prev, time_ms, schema, nnames, nrows */
#define CS_MIN_BODY (4u + 2u + 1u + CS_HASH_LEN + 1u + 1u + 1u + 1u)
#define CS_MIN_BYTES (CS_MIN_BODY + CS_SIG_LEN)
/* The smallest encodings, used to refuse counts that cannot fit in the
 * bytes left before allocating anything for them. */
#define MIN_ROW_BYTES 4u   /* op, table, id length, one id byte */
#define MIN_FIELD_BYTES 2u /* name index, tag of a boolean */
#define MIN_STR_BYTES 2u   /* length, one byte */

/* A cursor over untrusted bytes; every failure names the byte offset and,
 * when inside one, the row and field being read. */
struct rd {
	const uint8_t *p;
	size_t end; /* parse limit (the body, without the signature) */
	size_t pos;
	int trusted;      /* bytes this file checked already: skip UTF-8 */
	const char *what; /* "changeset" or "row encoding" */
	size_t row;       /* 1-based row being read, 0 when none */
	size_t field;     /* 1-based field being read, 0 when none */
	struct bf_err *err;
};

/* Where decoded fields and list items go.  Both arrays grow; values refer
 * to them by position until fixup() turns positions into pointers, because
 * growing may move them. */
struct pools {
	struct cs_field *f;
	size_t nf, fcap;
	struct cs_str *it;
	size_t nit, icap;
};

void cs_rd_init(struct rd *r, const uint8_t *p, size_t end, const char *what,
		struct bf_err *err);
/* Records in r->err what failed at byte off (with the row and field being
 * read) and returns rc. */
int cs_rd_fail(const struct rd *r, int rc, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reads the fields of one row (names: the change set's name table; used:
 * one byte per name, scratch for duplicate detection) into pl, their
 * number into *count; see changeset.c. */
int cs_rd_fields(struct rd *r, const struct cs_str *names, size_t nnames,
		 uint8_t *used, struct pools *pl, size_t *count);
/* Byte-wise order of two strings, the order of a change set's names. */
int cs_str_cmp(const char *a, size_t alen, const char *b, size_t blen);
void cs_pools_free(struct pools *pl);
/* Is origin a valid origin name (the roster's slug rules)? */
int cs_origin_ok(const char *origin);
/* Is prev all zero bytes (the first change set of an origin)? */
int cs_prev_is_zero(const uint8_t prev[CS_HASH_LEN]);

#endif
