/*
 * monitor: biofedd's own counters and lag bookkeeping (monitor.h).
 */
#include "monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mon_reject_names[MON_REJ_N] = {
	"fork",  "forked",    "signature", "membership", "gap",
	"chain", "ownership", "malformed", "invalid",    "local",
};

const char *const mon_refuse_names[MON_REF_N] = {
	"tls-auth", "tls-proto", "tls-timeout", "tls-oom", "hello", "garbage",
};

/* Apply latency buckets, in seconds: a small change set applies in well
 * under a millisecond, a 100,000-row one in about a second. */
static const double apply_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
				      0.025,  0.05,  0.1,    0.25,  0.5,
				      1,      2.5,   5,      10};

void monitor_init(struct monitor *m, uint64_t now_ms)
{
	memset(m, 0, sizeof(*m));
	prom_histogram_init(&m->apply_seconds, apply_bounds,
			    sizeof(apply_bounds) / sizeof(apply_bounds[0]));
	m->last_link_ms = now_ms;
}

void monitor_free(struct monitor *m)
{
	free(m->o);
	m->o = NULL;
	m->no = m->capo = 0;
}

/* store_apply's messages (src/store.c, src/changeset.c) are sorted by
 * their result code first, then by the words they use. */
enum mon_reject mon_reject_reason(int rc, const char *msg)
{
	static const struct {
		const char *words;
		enum mon_reject why;
	} by_text[] = {
		{"signature does not verify", MON_REJ_SIGNATURE},
		{"forked at seq", MON_REJ_FORKED},
		{"not a roster member", MON_REJ_MEMBERSHIP},
		{"is revoked from seq", MON_REJ_MEMBERSHIP},
		{"no key of", MON_REJ_MEMBERSHIP},
		{"no valid sign_key", MON_REJ_MEMBERSHIP},
		{"no coordinator key", MON_REJ_MEMBERSHIP},
		{"gap: ", MON_REJ_GAP},
		{"is not the hash of seq", MON_REJ_CHAIN},
		{"wrong owner", MON_REJ_OWNERSHIP},
		{"local-only table", MON_REJ_OWNERSHIP},
		{"table name is not canonical", MON_REJ_OWNERSHIP},
	};

	if (rc == BF_EFORK)
		return MON_REJ_FORK;
	if (rc == BF_EIO || rc == BF_ENOMEM)
		return MON_REJ_LOCAL;
	for (size_t i = 0; msg && i < sizeof(by_text) / sizeof(by_text[0]); i++)
		if (strstr(msg, by_text[i].words))
			return by_text[i].why;
	/* a change set that does not decode has no "changeset ORIGIN/SEQ"
	 * prefix: store_apply names it only once it is decoded */
	if (msg && strncmp(msg, "changeset: ", 11) == 0)
		return MON_REJ_MALFORMED;
	if (rc == BF_ETOOBIG)
		return MON_REJ_MALFORMED;
	return MON_REJ_INVALID;
}

void monitor_apply(struct monitor *m, int rc, const char *msg,
		   const char *from, size_t rows, double seconds,
		   uint64_t now_ms)
{
	if (rc == 0) {
		m->applied++;
		m->rows += rows;
		prom_histogram_observe(&m->apply_seconds, seconds);
		return;
	}
	if (rc == BF_EDUP) {
		m->duplicates++;
		return;
	}
	m->last_reject_why = mon_reject_reason(rc, msg);
	m->rejected[m->last_reject_why]++;
	m->last_reject_ms = now_ms;
	snprintf(m->last_reject, sizeof(m->last_reject), "%s", msg ? msg : "");
	snprintf(m->last_reject_from, sizeof(m->last_reject_from), "%s",
		 from ? from : "");
}

void monitor_refused(struct monitor *m, enum mon_refuse why, uint64_t count,
		     const char *address, const char *member,
		     const char *detail, uint64_t now_ms)
{
	struct mon_refusal *r = NULL;

	if (count == 0)
		return;
	address = address ? address : "";
	member = member ? member : "";
	m->refused[why] += count;
	m->last_refusal_ms = now_ms;
	for (size_t i = 0; i < m->nrefusal; i++) {
		struct mon_refusal *x = &m->refusal[i];
		if (x->why == why && now_ms - x->at_ms < 60000 &&
		    !strcmp(x->address, address) && !strcmp(x->member, member)) {
			r = x;
			break;
		}
	}
	if (r) {
		/* a repeat: it moves to the front with its count */
		struct mon_refusal keep = *r;
		memmove(m->refusal + 1, m->refusal,
			(size_t)(r - m->refusal) * sizeof(*r));
		m->refusal[0] = keep;
		r = &m->refusal[0];
		r->count += count;
	} else {
		if (m->nrefusal < MON_REFUSALS)
			m->nrefusal++;
		memmove(m->refusal + 1, m->refusal,
			(m->nrefusal - 1) * sizeof(*r));
		r = &m->refusal[0];
		memset(r, 0, sizeof(*r));
		r->why = why;
		r->count = count;
		snprintf(r->address, sizeof(r->address), "%s", address);
		snprintf(r->member, sizeof(r->member), "%s", member);
	}
	r->at_ms = now_ms;
	snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
}

static int origin_cmp_at(const void *ctx, size_t i, const void *key)
{
	const struct monitor *m = ctx;

	return strcmp(m->o[i].origin, key);
}

/* The origin's entry, or NULL with *at (if not NULL) where it would go. */
static struct mon_origin *find_origin(const struct monitor *m,
				      const char *origin, size_t *at)
{
	size_t i;

	if (!bf_bsearch(m->no, origin_cmp_at, m, origin, &i)) {
		if (at)
			*at = i;
		return NULL;
	}
	return &m->o[i];
}

int monitor_learn(struct monitor *m, const char *origin, uint64_t local,
		  uint64_t seq, uint64_t now_ms)
{
	struct mon_origin *o;
	size_t at = 0, drop = 0;

	if (seq <= local && !find_origin(m, origin, NULL))
		return 0; /* nothing lacking, nothing to remember */
	if (strlen(origin) > CS_MAX_ORIGIN)
		return BF_EINVAL;
	o = find_origin(m, origin, &at);
	if (!o) {
		if (bf_grow(&m->o, &m->capo, m->no + 1, sizeof(*m->o), 16))
			return BF_ENOMEM;
		memmove(m->o + at + 1, m->o + at, (m->no - at) * sizeof(*m->o));
		m->no++;
		o = &m->o[at];
		memset(o, 0, sizeof(*o));
		memcpy(o->origin, origin, strlen(origin) + 1);
	}
	/* what the replica holds now is no longer lacking */
	while (drop < o->nlearnt && o->learnt[drop].seq <= local)
		drop++;
	memmove(o->learnt, o->learnt + drop,
		(o->nlearnt - drop) * sizeof(o->learnt[0]));
	o->nlearnt -= drop;
	if (seq <= o->highest)
		return 0;
	o->highest = seq;
	if (seq <= local)
		return 0;
	if (o->nlearnt == MON_LEARNT) {
		/* full: the two oldest marks merge into the later one, so
		 * the lag in seconds errs short, never long */
		memmove(o->learnt, o->learnt + 1,
			(MON_LEARNT - 1) * sizeof(o->learnt[0]));
		o->nlearnt--;
	}
	o->learnt[o->nlearnt].seq = seq;
	o->learnt[o->nlearnt].at_ms = now_ms;
	o->nlearnt++;
	return 0;
}

void monitor_lag(const struct monitor *m, const char *origin, uint64_t local,
		 uint64_t *highest, uint64_t *lacking_since_ms)
{
	const struct mon_origin *o = find_origin(m, origin, NULL);

	*highest = local;
	*lacking_since_ms = 0;
	if (!o || o->highest <= local)
		return;
	*highest = o->highest;
	for (size_t i = 0; i < o->nlearnt; i++)
		if (o->learnt[i].seq > local) {
			*lacking_since_ms = o->learnt[i].at_ms;
			return;
		}
}

void monitor_tick(struct monitor *m, uint64_t now_ms)
{
	if (m->nrate && now_ms - m->rate[m->nrate - 1].at_ms < 1000)
		return;
	if (m->nrate == MON_RATE) {
		memmove(m->rate, m->rate + 1, (MON_RATE - 1) * sizeof(m->rate[0]));
		m->nrate--;
	}
	m->rate[m->nrate].at_ms = now_ms;
	m->rate[m->nrate].applied = m->applied;
	m->rate[m->nrate].rows = m->rows;
	m->nrate++;
}

void monitor_rate(const struct monitor *m, uint64_t now_ms, double *cs_per_s,
		  double *rows_per_s)
{
	double s;

	*cs_per_s = *rows_per_s = 0;
	if (m->nrate == 0 || now_ms <= m->rate[0].at_ms)
		return;
	s = (double)(now_ms - m->rate[0].at_ms) / 1000.0;
	*cs_per_s = (double)(m->applied - m->rate[0].applied) / s;
	*rows_per_s = (double)(m->rows - m->rate[0].rows) / s;
}
