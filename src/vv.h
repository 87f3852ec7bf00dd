/*
 * vv: version vectors.  Per origin, the last seq a node holds and that
 * change set's hash: what a peer says it holds (decoded from its vector
 * message) and this node's own (from the replica, see sync.h).  A sorted
 * array, one entry per origin in byte order, as the wire sends it.
 *
 * Pure code over wire.h and changeset.h: no network, no SQLite.
 */
#ifndef BIOFED_VV_H
#define BIOFED_VV_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "util.h"
#include "wire.h"

struct vv {
	struct vv_entry {
		char origin[CS_MAX_ORIGIN + 1];
		uint64_t seq;
		uint8_t hash[CS_HASH_LEN];
		uint64_t forked_at; /* the local replica's: 0 unless forked */
	} *e;
	size_t n, cap;
};

/* Frees the entries; v is then an empty vector (as is {0}). */
void vv_free(struct vv *v);

/* Sets origin's entry (origin: len bytes, not NUL-terminated) to seq and
 * hash, inserting it in order when v has none (forked_at 0; an existing
 * entry keeps its own).  BF_EINVAL when origin is empty or longer than
 * CS_MAX_ORIGIN, BF_ENOMEM; v is unchanged then.  On success *at (may be
 * NULL) points at the entry, until v next changes. */
int vv_set(struct vv *v, const char *origin, size_t len, uint64_t seq,
	   const uint8_t hash[CS_HASH_LEN], struct vv_entry **at);

/* origin's entry, or NULL. */
const struct vv_entry *vv_find(const struct vv *v, const char *origin);
/* origin's seq: 0 when v has no entry for it. */
uint64_t vv_seq(const struct vv *v, const char *origin);

/* out = a copy of v (out's old entries are dropped).  BF_ENOMEM leaves
 * out empty. */
int vv_copy(struct vv *out, const struct vv *v);
/* 1 when a and b hold the same entries (forked_at included), else 0. */
int vv_equal(const struct vv *a, const struct vv *b);

/* v = the vector of a decoded message (AUTH_OK, PULL, BATCH, PUSH_OK);
 * v's old entries are dropped.  BF_ENOMEM leaves v empty. */
int vv_from_wire(struct vv *v, const struct wire_msg *m);
/* Appends v as the wire's vector (n, then the entries in order). */
int vv_put(struct bf_buf *b, const struct vv *v);

/*
 * out = v as it will be once the change sets of batch m are applied in
 * order: what a pull may ask with before applying them.  Only headers
 * are read (nothing is verified): a change set advances its origin when
 * its seq is the next one (1 for an origin v lacks), anything else (a
 * gap, one out of order, a duplicate, bytes that do not decode) is
 * passed over.  An origin's hash is that of the last change set that
 * advanced it.  Should store_apply later refuse one, what follows it is
 * refused as a gap, and the next plain pull asks again.  out's old
 * entries are dropped; on failure (BF_ENOMEM) out is empty.
 */
int vv_after(struct vv *out, const struct vv *v, const struct wire_msg *m);

#endif
