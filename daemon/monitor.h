/*
 * monitor: what biofedd records about itself for `biofed status` and the
 * Prometheus metrics (status.c, metrics.c): counters of change sets
 * applied and refused by reason, connections refused with who tried,
 * bytes, an apply-latency histogram, the apply rate of the last half
 * minute, and per origin since when this node has known that it lacks
 * change sets.
 *
 * The main loop owns a struct monitor and is the only thread that
 * touches it: nothing here locks.  metrics.c hands a rendered copy to the
 * HTTP thread.  The functions are pure (no nng, no SQLite), so they are
 * unit-tested alone.
 */
#ifndef BIOFED_MONITOR_H
#define BIOFED_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "promtext.h"

/* Why a change set was refused: a bounded set, for a metric's label. */
enum mon_reject {
	MON_REJ_FORK,       /* two change sets at one seq (evidence kept) */
	MON_REJ_FORKED,     /* past the fork point of a forked origin */
	MON_REJ_SIGNATURE,  /* does not verify */
	MON_REJ_MEMBERSHIP, /* not a member, revoked, no key for this seq */
	MON_REJ_GAP,        /* a seq beyond the next one */
	MON_REJ_CHAIN,      /* prev is not the hash of the last one */
	MON_REJ_OWNERSHIP,  /* rows its origin may not write */
	MON_REJ_MALFORMED,  /* not a canonical change set */
	MON_REJ_INVALID,    /* a row that breaks the schema */
	MON_REJ_LOCAL,      /* this node could not apply it (I/O, memory) */
	MON_REJ_N
};
/* The label of each reason ("fork", "signature"...). */
extern const char *const mon_reject_names[MON_REJ_N];
/* Sorts a refusal from store_apply's result code and message. */
enum mon_reject mon_reject_reason(int rc, const char *msg);

/* A connection refused before or at the hello. */
enum mon_refuse {
	MON_REF_TLS_AUTH,    /* TLS: a certificate not in the roster */
	MON_REF_TLS_PROTO,   /* TLS or SP handshake errors */
	MON_REF_TLS_TIMEOUT, /* handshake timeouts */
	MON_REF_TLS_OOM,
	MON_REF_HELLO,       /* a hello from a non-member / bad signature */
	MON_REF_GARBAGE,     /* an undecodable or unexpected message */
	MON_REF_N
};
extern const char *const mon_refuse_names[MON_REF_N];

#define MON_REFUSALS 16  /* the most recent refusals, newest first */
struct mon_refusal {
	uint64_t at_ms;
	enum mon_refuse why;
	uint64_t count;       /* connections this entry stands for */
	char address[64];     /* "127.0.0.1:41234", or "" when unknown */
	char member[CS_MAX_ORIGIN + 1]; /* the slug it claimed, or "" */
	char detail[160];
};

#define MON_LEARNT 32 /* per origin: seqs learnt, and when */
struct mon_origin {
	char origin[CS_MAX_ORIGIN + 1];
	uint64_t highest; /* the highest seq any peer's vector has named */
	/* learnt[i]: at at_ms this node first heard of seqs up to seq;
	 * ascending in both */
	struct {
		uint64_t seq, at_ms;
	} learnt[MON_LEARNT];
	size_t nlearnt;
};

#define MON_RATE 31 /* one sample a second: a 30 s window */
enum mon_side { MON_DIALED, MON_INBOUND };

struct monitor {
	uint64_t applied, duplicates, rows;
	uint64_t rejected[MON_REJ_N];
	uint64_t last_reject_ms;
	enum mon_reject last_reject_why;
	char last_reject[256];
	char last_reject_from[CS_MAX_ORIGIN + 1];
	uint64_t refused[MON_REF_N];
	struct mon_refusal refusal[MON_REFUSALS];
	size_t nrefusal;
	uint64_t last_refusal_ms;
	uint64_t bytes_in[2], bytes_out[2]; /* by enum mon_side */
	struct prom_histogram apply_seconds;
	struct mon_origin *o; /* sorted by origin */
	size_t no, capo;
	uint64_t last_link_ms; /* last time a peer link was up */
	struct {
		uint64_t at_ms, applied, rows;
	} rate[MON_RATE];
	size_t nrate;
};

void monitor_init(struct monitor *m, uint64_t now_ms);
void monitor_free(struct monitor *m);

/* One store_apply outcome: rc 0 applied (rows of it), BF_EDUP a
 * duplicate, else refused with msg; seconds is how long it took. */
void monitor_apply(struct monitor *m, int rc, const char *msg,
		   const char *from, size_t rows, double seconds,
		   uint64_t now_ms);

/* A refused connection; address and member may be NULL or "".  Repeats
 * of the same (why, address, member) within a minute add to one entry. */
void monitor_refused(struct monitor *m, enum mon_refuse why, uint64_t count,
		     const char *address, const char *member,
		     const char *detail, uint64_t now_ms);

/* A peer's vector named seq of origin while this replica holds local. */
int monitor_learn(struct monitor *m, const char *origin, uint64_t local,
		  uint64_t seq, uint64_t now_ms);
/* The highest seq of origin seen anywhere (at least local), and since
 * when this node has known of the first seq it lacks (local + 1): 0 when
 * it lacks nothing.  The wire carries no times for change sets a node
 * does not hold, so this is when the node first heard of that seq, not
 * when it was written: the lag in seconds is a lower bound. */
void monitor_lag(const struct monitor *m, const char *origin, uint64_t local,
		 uint64_t *highest, uint64_t *lacking_since_ms);

/* Once a second: a sample for the apply rate. */
void monitor_tick(struct monitor *m, uint64_t now_ms);
/* Change sets and rows applied per second over the last 30 s (0 when
 * there is no sample yet). */
void monitor_rate(const struct monitor *m, uint64_t now_ms, double *cs_per_s,
		  double *rows_per_s);

#endif
