/*
 * health: the verdict `biofed status` gives on a node (README, "Health
 * and exit status"): ok, degraded or down, with the reasons, from the
 * daemon's status reply (PROTOCOL.md section 8).  Pure code over a JSON
 * object and thresholds, no I/O, so that every rule is unit-tested.
 *
 * Exit statuses follow the Nagios plugin convention: 0 ok, 1 degraded
 * (warning), 2 down (critical), 3 unknown (status could not be judged:
 * a usage error, an unreadable node directory, a reply not understood).
 */
#ifndef BIOFED_HEALTH_H
#define BIOFED_HEALTH_H

#include <jansson.h>
#include <stddef.h>

enum health_verdict {
	HEALTH_OK = 0,
	HEALTH_DEGRADED = 1,
	HEALTH_DOWN = 2,
	HEALTH_UNKNOWN = 3,
};

struct health_limits {
	double down_after_s; /* no peer link for this long: down (60) */
	double lag_warn_s;   /* an origin lagging this long: degraded (300) */
	double recent_s;     /* refusals this recent count (600) */
};

#define HEALTH_MAX_REASONS 16
#define HEALTH_REASON 240
struct health_result {
	enum health_verdict verdict;
	size_t nreasons;
	char reasons[HEALTH_MAX_REASONS][HEALTH_REASON];
};

void health_default_limits(struct health_limits *lim);
/* "ok", "degraded", "down", "unknown". */
const char *health_word(enum health_verdict v);

/* Judges a status reply.  The verdict is the worst rule that holds;
 * every rule that holds adds a reason (down ones first). */
void health_judge(const json_t *status, const struct health_limits *lim,
		  struct health_result *out);
/* Judges the daemon's reply to "status" as the CLI receives it: n bytes
 * of text.  Text that is not JSON, or {"error": ...}, is unknown; any
 * other JSON goes to health_judge.  *status is the decoded reply for the
 * caller to show and json_decref, or NULL when it had none to show. */
void health_judge_reply(const char *text, size_t n,
			const struct health_limits *lim,
			struct health_result *out, json_t **status);
/* A verdict with one reason, for what the daemon could not say (it does
 * not run: down; its reply is not understood: unknown). */
void health_set(struct health_result *out, enum health_verdict v,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
