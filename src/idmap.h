/*
 * idmap: the ids of one table that publish diffs a file against, each
 * with its row hash and whether the replica owns it and the file holds
 * it.
 *
 * Entries are kept densely in the order they were added (the owned rows
 * arrive from the replica in id order); an open-addressing table finds
 * them.  A file exported by the same system as last time usually lists
 * rows in the same order, so the entry after the last hit is tried first:
 * then a lookup touches memory sequentially instead of at random in a
 * table of a million rows.  Files whose ids come in random order (sample
 * exports) take the table: each slot holds 32 bits of the id's hash
 * beside the index, so that a probe compares ids only when those match,
 * and the table stays at most half full to keep probe runs short.
 */
#ifndef BIOFED_IDMAP_H
#define BIOFED_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "util.h"

enum { IDMAP_OWNED = 1, IDMAP_SEEN = 2 };

struct idmap_ent {
	uint32_t id_off; /* into the map's arena, NUL-terminated */
	uint16_t id_len;
	uint8_t state;   /* IDMAP_OWNED and/or IDMAP_SEEN */
	uint8_t pad;
	uint8_t hash[CS_ROWHASH_LEN];
};

/*
 * The ids of one table: the rows the node owns (read from the replica in
 * id order) and those of the file.  The replica's come first and stay
 * sorted: they are found by the hint (a file in the same order hits it
 * every time) or by binary search, without hashing a million ids that a
 * re-publish finds unchanged anyway.  Ids added after them (new in the
 * file, or a replica that did not come sorted) go in the hash table.
 */
struct idmap {
	struct idmap_ent *e;      /* dense, in insertion order */
	size_t n, cap_e;
	size_t nsorted;     /* e[0..nsorted) sorted by id, not hashed; once
			     * an id came out of order, 0 for good */
	uint64_t *slot;     /* 0: empty; else hash tag << 32 | (index + 1) */
	size_t cap;         /* power of two */
	size_t hint;        /* index tried first */
	struct bf_buf ids;
};

/* Finds id; when absent and create is set, adds it (state 0).  The
 * returned pointer is valid until the next call; NULL when absent (or out
 * of memory, with create). */
struct idmap_ent *idmap_get(struct idmap *m, const char *id, size_t len,
			    int create);

/* Adds an id read from the replica, which reads them in id order: kept
 * in the sorted prefix while they come sorted (and before any id of the
 * file).  One out of order moves the prefix into the hash table.  NULL:
 * out of memory. */
struct idmap_ent *idmap_add_owned(struct idmap *m, const char *id,
				  size_t len);

/* The id of entry i (NUL-terminated). */
static inline const char *idmap_id(const struct idmap *m, size_t i)
{
	return (const char *)m->ids.p + m->e[i].id_off;
}

void idmap_free(struct idmap *m);

#endif
