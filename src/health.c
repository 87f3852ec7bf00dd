/*
 * health: the verdict rules (health.h).  The README's "Health and exit
 * status" lists the same rules for people; keep the two together.
 */
#include "health.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void health_default_limits(struct health_limits *lim)
{
	lim->down_after_s = 60;
	lim->lag_warn_s = 300;
	lim->recent_s = 600;
}

const char *health_word(enum health_verdict v)
{
	static const char *const w[] = {"ok", "degraded", "down", "unknown"};
	return (unsigned)v < 4 ? w[v] : "unknown";
}

static void vadd(struct health_result *out, enum health_verdict v,
		 const char *fmt, va_list ap)
{
	if (v > out->verdict)
		out->verdict = v;
	if (out->nreasons == HEALTH_MAX_REASONS)
		return;
	vsnprintf(out->reasons[out->nreasons], HEALTH_REASON, fmt, ap);
	/* down reasons before degraded ones */
	if (v == HEALTH_DOWN) {
		char keep[HEALTH_REASON];
		size_t i = out->nreasons;
		memcpy(keep, out->reasons[i], HEALTH_REASON);
		memmove(out->reasons[1], out->reasons[0], i * HEALTH_REASON);
		memcpy(out->reasons[0], keep, HEALTH_REASON);
	}
	out->nreasons++;
}

static void add(struct health_result *out, enum health_verdict v,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(struct health_result *out, enum health_verdict v,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(out, v, fmt, ap);
	va_end(ap);
}

void health_set(struct health_result *out, enum health_verdict v,
		const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	va_start(ap, fmt);
	vadd(out, v, fmt, ap);
	va_end(ap);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* A peer named by member and endpoint: "biocruces (tls+tcp://...)". */
static void peer_name(const json_t *p, char *out, size_t n)
{
	const char *m = str(p, "member"), *e = str(p, "endpoint");

	if (*m)
		snprintf(out, n, "%.64s (%.150s)", m, e);
	else
		snprintf(out, n, "%.150s", e);
}

static void judge_links(const json_t *st, const struct health_limits *lim,
			struct health_result *out)
{
	const json_t *peers = json_object_get(st, "peers"), *p;
	const json_t *in = json_object_get(st, "inbound");
	double gap = num(st, "no_link_s");
	size_t i, npeers = json_array_size(peers), inbound = 0, connecting = 0;
	char name[240];

	json_array_foreach(in, i, p)
		inbound += json_is_true(json_object_get(p, "authenticated"));
	json_array_foreach(peers, i, p) {
		const char *state = str(p, "state"), *err = str(p, "last_error");
		connecting += strcmp(state, "connecting") == 0;
		if (strcmp(state, "down") != 0)
			continue;
		peer_name(p, name, sizeof(name));
		add(out, HEALTH_DEGRADED, "peer %.200s down for %.0f s%s%.100s",
		    name, num(p, "state_s"), *err ? ": " : "", err);
	}
	/* just started, peers still connecting: not yet a problem */
	if (npeers > 0 && gap > 0 &&
	    (gap > lim->down_after_s || connecting == 0)) {
		add(out, gap > lim->down_after_s ? HEALTH_DOWN : HEALTH_DEGRADED,
		    "no peer reachable for %.0f s (%zu configured, no member "
		    "connected in)",
		    gap, npeers);
	} else if (npeers == 0 && inbound == 0 && num(st, "members") > 0 &&
		   gap > lim->down_after_s) {
		/* a node that only listens: it waits to be dialed */
		add(out, HEALTH_DEGRADED,
		    "no member has connected for %.0f s (no peers configured: "
		    "this node waits to be dialed)",
		    gap);
	}
}

static void judge_refusals(const json_t *st, const struct health_limits *lim,
			   struct health_result *out)
{
	const json_t *last = json_object_get(st, "last_rejected"), *r;
	size_t i, n = 0;
	char who[200] = "";

	if (json_is_object(last) && num(last, "s_ago") <= lim->recent_s)
		add(out, HEALTH_DEGRADED,
		    "change sets refused, the last %.0f s ago from %.64s "
		    "(%.32s): %.100s",
		    num(last, "s_ago"), str(last, "from"), str(last, "reason"),
		    str(last, "error"));
	json_array_foreach(json_object_get(st, "refused"), i, r) {
		if (num(r, "s_ago") > lim->recent_s)
			continue;
		n += (size_t)num(r, "count");
		if (!who[0]) {
			const char *a = str(r, "address"), *m = str(r, "member");
			snprintf(who, sizeof(who), "%.32s from %.64s%s%.64s%s: %.60s",
				 str(r, "reason"), *a ? a : "an unknown address",
				 *m ? " (" : "", m, *m ? ")" : "",
				 str(r, "detail"));
		}
	}
	if (n)
		add(out, HEALTH_DEGRADED,
		    "%zu connection(s) refused in the last %.0f s, the last %.180s",
		    n, lim->recent_s, who);
}

static void judge_origins(const json_t *st, const struct health_limits *lim,
			  struct health_result *out)
{
	const json_t *o, *f;
	size_t i;

	json_array_foreach(json_object_get(st, "origins"), i, o) {
		if (num(o, "forked_at") > 0)
			add(out, HEALTH_DEGRADED,
			    "origin %.64s forked at seq %.0f: nothing further is "
			    "applied from it until the coordinator acts",
			    str(o, "origin"), num(o, "forked_at"));
		else if (num(o, "lag") > 0 && num(o, "lag_s") > lim->lag_warn_s)
			add(out, HEALTH_DEGRADED,
			    "origin %.64s lags %.0f change set(s), for %.0f s",
			    str(o, "origin"), num(o, "lag"), num(o, "lag_s"));
	}
	if (num(st, "own_behind") > 0)
		add(out, HEALTH_DEGRADED,
		    "peers hold this node's own change sets up to seq %.0f that "
		    "its replica lacks (a restored backup?): nothing new is "
		    "signed until they are fetched back",
		    num(st, "own_behind"));
	json_array_foreach(json_object_get(st, "fetch"), i, f)
		if (json_is_true(json_object_get(f, "failing")))
			add(out, HEALTH_DEGRADED,
			    "fetch source %.64s failing (%.0f s ago): %.120s",
			    str(f, "source"), num(f, "last_error_s_ago"),
			    str(f, "last_error"));
}

void health_judge_reply(const char *text, size_t n,
			const struct health_limits *lim,
			struct health_result *out, json_t **status)
{
	json_error_t je;
	json_t *st = json_loadb(text, n, 0, &je);

	*status = NULL;
	if (!st || json_object_get(st, "error")) {
		health_set(out, HEALTH_UNKNOWN, "the daemon answered: %s",
			   st ? str(st, "error") : "not JSON");
		json_decref(st);
		return;
	}
	health_judge(st, lim, out);
	*status = st;
}

void health_judge(const json_t *st, const struct health_limits *lim,
		  struct health_result *out)
{
	const json_t *m = json_object_get(st, "metrics");
	const char *listener = str(st, "listener");

	memset(out, 0, sizeof(*out));
	if (!json_is_object(st) || !json_is_array(json_object_get(st, "peers"))) {
		health_set(out, HEALTH_UNKNOWN, "the daemon's status reply is "
			   "not understood (another version?)");
		return;
	}
	if (strcmp(listener, "failed") == 0)
		add(out, HEALTH_DOWN, "not listening on %.150s (see the log: "
		    "listen-failed)", str(st, "listen"));
	judge_links(st, lim, out);
	judge_origins(st, lim, out);
	judge_refusals(st, lim, out);
	if (*str(m, "address") && !json_is_true(json_object_get(m, "serving")))
		add(out, HEALTH_DEGRADED, "metrics not served on %.64s: %.120s",
		    str(m, "address"), str(m, "error"));
}
