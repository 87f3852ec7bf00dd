/*
 * sync: the anti-entropy decisions, as functions over a replica (struct
 * store) and version vectors (vv.h).  biofedd's loop asks them and acts:
 * what a peer lacks and the batch it gets, the fork adjustment of a
 * peer's vector, whether this node's own origin is behind its peers, and
 * when to try a peer again.  Nothing here logs, sends or keeps state of
 * its own: a decision is returned (the forks found, the marker to write,
 * the delay) and the daemon logs and does it.  Every rule has a unit test
 * (tests/unit/test_sync.c).
 */
#ifndef BIOFED_SYNC_H
#define BIOFED_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"
#include "vv.h"

/* out = this node's vector as the replica holds it (forked_at included);
 * out's old entries are dropped.  On failure out is empty. */
int sync_local_vector(struct store *s, struct vv *out, struct bf_err *err);

/* --- what a peer lacks ---------------------------------------------------- */

/* Calls cb for each origin of which `their` holds less than `local`:
 * mine is local's entry, have the seq they hold (0: none).  The
 * coordinator's comes first (members' change sets need the roster), then
 * the others in local's order.  A non-zero return from cb stops the walk
 * and is returned; else 0. */
typedef int (*sync_lack_cb)(void *ctx, const struct vv_entry *mine,
			    uint64_t have);
int sync_lacking(const struct vv *local, const struct vv *their,
		 sync_lack_cb cb, void *ctx);
/* Does a node with vector `their` lack anything `local` holds? */
int sync_lacks(const struct vv *local, const struct vv *their);

/*
 * Appends to b the change sets that a node with vector `their` lacks, in
 * sync_lacking's order and each origin's in seq order, as the wire's
 * count and change sets.  The batch ends before a change set that would
 * take b past max_bytes (what b held before counts: the message must fit)
 * or the count past max_count (at most WIRE_MAX_BATCH; 0 means that), but
 * holds at least one change set when anything is lacking, however large.
 * *count gets how many went in; *more is set when some were left for the
 * next batch.  BF_ENOMEM when b is full (its own cap); a store failure
 * (err says which origin).  On failure b's length is undefined.
 */
int sync_collect(struct store *s, const struct vv *local,
		 const struct vv *their, size_t max_bytes, size_t max_count,
		 struct bf_buf *b, size_t *count, int *more,
		 struct bf_err *err);

/* --- forks across the wire ------------------------------------------------ */

/* Forks answered on one connection: (origin, seq) pairs, so that each is
 * answered once; at most SYNC_FORK_MARKS (clear n when a new connection
 * begins). */
#define SYNC_FORK_MARKS 8
struct sync_fork_marks {
	struct {
		char origin[CS_MAX_ORIGIN + 1];
		uint64_t seq;
	} m[SYNC_FORK_MARKS];
	size_t n;
};

/* A fork found in a peer's vector: their change set at seq has another
 * hash than this log's. */
struct sync_fork {
	char origin[CS_MAX_ORIGIN + 1];
	uint64_t seq;
	uint8_t here[CS_HASH_LEN], there[CS_HASH_LEN];
};

/*
 * Where their vector names a seq of an origin whose hash differs from
 * this log's at that seq (local's head, or the log below it), lowers
 * their entry to the seq before (its hash from the log; zero at seq 0),
 * so that what is sent to them next starts with this node's change set
 * at the fork: they keep it as evidence.  Once per (origin, seq) per
 * connection: a fork in marks already, or found once marks are full, is
 * left as it is.  Each newly marked fork is written to found (at most
 * SYNC_FORK_MARKS); returns how many, for the caller to log.
 */
size_t sync_fork_adjust(struct store *s, const struct vv *local,
			struct vv *their, struct sync_fork_marks *marks,
			struct sync_fork found[SYNC_FORK_MARKS]);

/* --- this node's own origin ----------------------------------------------- */

/*
 * The origin-behind marker (node.h): peers that hold more of this node's
 * own origin (self) than the replica does mean a restored backup, and
 * nothing new may be signed until it is fetched back.  marked is the seq
 * recorded already (0: none).  Returns 1 when their seq of self is past
 * both local's and marked: *seq gets it, to record.  Else 0.
 */
int sync_origin_behind(const struct vv *local, const struct vv *their,
		       const char *self, uint64_t marked, uint64_t *seq);
/* 1 when a marker at seq marked (not 0) may go: local holds self up to
 * it. */
int sync_origin_current(const struct vv *local, const char *self,
			uint64_t marked);

/* --- when to try again ---------------------------------------------------- */

/* A dialed peer that failed is tried again after *backoff_ms, which
 * doubles from SYNC_BACKOFF_MIN_MS to SYNC_BACKOFF_MAX_MS with each
 * failure in a row (the caller sets it to 0 once a hello succeeds), plus
 * a jitter of jitter % (backoff / 2 + 1) ms, so that nodes restarted
 * together do not dial in step.  Updates *backoff_ms and returns the
 * delay. */
#define SYNC_BACKOFF_MIN_MS 100
#define SYNC_BACKOFF_MAX_MS 5000
uint64_t sync_backoff(uint64_t *backoff_ms, uint64_t jitter);

/* A push the peer refused all of (it lacks what they need, or refuses
 * them): the next push waits SYNC_PUSH_HOLD_MS.  Returns how long to
 * hold pushes after a PUSH_OK, 0 for not at all (then the hold set
 * earlier, if any, stays). */
#define SYNC_PUSH_HOLD_MS 5000
uint64_t sync_push_hold(uint64_t applied, uint64_t rejected);

#endif
