/*
 * status: what `biofed status` gets over the control socket (PROTOCOL.md
 * section 8): the node, its listener, each dialed peer with its state and
 * since when, inbound connections, refusals with who tried, per origin
 * the lag in change sets and in seconds, catch-up progress, fetch sources
 * and the metrics endpoint.  src/health.c turns it into a verdict.
 */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fetch.h"

const char *status_peer_state(const struct peer *p, uint64_t now,
			      uint64_t *since_ms)
{
	if (p->state == PEER_READY) {
		*since_ms = p->h.up_since_ms;
		return "connected";
	}
	if (p->h.ever_up) {
		*since_ms = p->h.down_since_ms;
		return "down";
	}
	*since_ms = p->h.opened_ms;
	return now - p->h.opened_ms < PEER_CONNECT_GRACE_MS ? "connecting"
							    : "down";
}

static const char *listen_url(const struct daemon *d)
{
	return d->node.cfg.listen[0] ? d->node.cfg.listen : d->node.cfg.endpoint;
}

/* Current members other than this node; with_cert: only those whose TLS
 * certificate the roster holds (whom the listener can accept). */
static int64_t roster_count(struct daemon *d, int with_cert)
{
	struct bf_err err;
	uint64_t n;

	if (store_member_count(d->node.store, with_cert,
			       with_cert ? NULL : d->node.cfg.slug, &n, &err))
		return 0;
	return (int64_t)n;
}

const char *status_listener(struct daemon *d)
{
	const char *url = listen_url(d);

	if (!url[0] || strcmp(url, "none") == 0)
		return "off";
	if (d->listening)
		return "listening";
	if (roster_count(d, 1) == 0)
		return "no-roster";
	return "failed";
}

void status_tick(struct daemon *d)
{
	uint64_t now = bf_now_ms();
	int link = 0;

	monitor_tick(&d->mon, now);
	for (size_t i = 0; i < d->npeers && !link; i++)
		link = d->peers[i].state == PEER_READY;
	for (size_t i = 0; i < d->nin && !link; i++)
		link = d->in[i].authenticated;
	if (link)
		d->mon.last_link_ms = now;
}

static json_t *ago(uint64_t now, uint64_t at)
{
	return at ? json_real((double)(now > at ? now - at : 0) / 1000.0)
		  : json_null();
}

static json_t *unix_s(uint64_t at)
{
	return at ? json_integer((json_int_t)(at / 1000)) : json_null();
}

static json_t *vv_json_peer(const struct vv *v)
{
	json_t *o = json_object();
	for (size_t i = 0; i < v->n; i++)
		json_object_set_new(o, v->e[i].origin,
				    json_integer((json_int_t)v->e[i].seq));
	return o;
}

static json_t *peers_json(struct daemon *d, uint64_t now)
{
	static const char *const phases[] = {"idle", "hello", "auth", "ready"};
	json_t *a = json_array();

	for (size_t i = 0; i < d->npeers; i++) {
		struct peer *p = &d->peers[i];
		uint64_t since;
		const char *state = status_peer_state(p, now, &since);
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:I, s:I, s:I, "
			"s:I, s:I, s:s, s:o, s:b, s:o}",
			"endpoint", p->endpoint, "member", p->slug, "state",
			state, "state_s", ago(now, since), "state_since",
			unix_s(since), "phase", phases[p->state], "verified",
			p->verified, "last_contact_ms_ago",
			(json_int_t)(p->last_contact_ms ? now - p->last_contact_ms
							: 0),
			"bytes_in", (json_int_t)p->bytes_in, "bytes_out",
			(json_int_t)p->bytes_out, "errors", (json_int_t)p->errors,
			"applied", (json_int_t)p->applied, "last_error",
			p->last_error, "last_error_s_ago",
			ago(now, p->last_error[0] ? p->h.last_error_ms : 0),
			/* an error from before the last (re)connection */
			"last_error_stale",
			p->last_error[0] && p->state == PEER_READY &&
				p->h.last_error_ms <= p->h.up_since_ms,
			"vector", vv_json_peer(&p->their));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *inbound_json(struct daemon *d, uint64_t now)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->nin; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:b, s:I, s:s, s:o}", "member",
				     d->in[i].slug, "authenticated",
				     d->in[i].authenticated, "errors",
				     (json_int_t)d->in[i].errors, "address",
				     d->in[i].address, "connected_s",
				     ago(now, d->in[i].since_ms)));
	return a;
}

static json_t *refusals_json(struct daemon *d, uint64_t now)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->mon.nrefusal; i++) {
		const struct mon_refusal *r = &d->mon.refusal[i];
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:o, s:s, s:s, s:s}", "reason",
				     mon_refuse_names[r->why], "count",
				     (json_int_t)r->count, "s_ago",
				     ago(now, r->at_ms), "address", r->address,
				     "member", r->member, "detail", r->detail));
	}
	return a;
}

static json_t *counts_json(const uint64_t *v, const char *const *names,
			   size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, names[i], json_integer((json_int_t)v[i]));
	return o;
}

/* Per origin: seq here, highest seen at any peer, and since when this
 * node has known it lacks some.  *behind sums the lag of origins that
 * can still move (not forked). */
static json_t *origins_json(struct daemon *d, uint64_t now, uint64_t *behind)
{
	json_t *a = json_array();

	*behind = 0;
	for (size_t i = 0; i < d->local.n; i++) {
		const struct vv_entry *e = &d->local.e[i];
		uint64_t high, since;

		monitor_lag(&d->mon, e->origin, e->seq, &high, &since);
		if (!e->forked_at)
			*behind += high - e->seq;
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:I, s:f, s:o, s:I}",
				     "origin", e->origin, "seq",
				     (json_int_t)e->seq, "highest_seen",
				     (json_int_t)high, "lag",
				     (json_int_t)(high - e->seq), "lag_s",
				     since ? (double)(now - since) / 1000.0 : 0.0,
				     "lacking_since", unix_s(since),
				     "forked_at", (json_int_t)e->forked_at));
	}
	/* origins a peer names that this replica has none of yet */
	for (size_t i = 0; i < d->mon.no; i++) {
		const struct mon_origin *o = &d->mon.o[i];
		uint64_t high, since;

		if (vv_find(&d->local, o->origin))
			continue;
		monitor_lag(&d->mon, o->origin, 0, &high, &since);
		if (high == 0)
			continue;
		*behind += high;
		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:I, s:f, s:o, s:I}",
				     "origin", o->origin, "seq", (json_int_t)0,
				     "highest_seen", (json_int_t)high, "lag",
				     (json_int_t)high, "lag_s",
				     since ? (double)(now - since) / 1000.0 : 0.0,
				     "lacking_since", unix_s(since),
				     "forked_at", (json_int_t)0));
	}
	return a;
}

static json_t *catchup_json(struct daemon *d, uint64_t now, uint64_t behind)
{
	double cs, rows, per;

	monitor_rate(&d->mon, now, &cs, &rows);
	per = cs > 0 ? rows / cs
	      : d->mon.applied ? (double)d->mon.rows / (double)d->mon.applied
			       : 0;
	return json_pack("{s:I, s:f, s:f, s:f, s:o}", "behind",
			 (json_int_t)behind, "changesets_per_s", cs,
			 "rows_per_s", rows, "rows_per_changeset", per, "eta_s",
			 behind && cs > 0 ? json_real((double)behind / cs)
					  : json_null());
}

static json_t *fetch_json(struct daemon *d, uint64_t now)
{
	json_t *a = json_array();

	for (size_t i = 0; i < d->node.cfg.nsources; i++) {
		const char *name = d->node.cfg.sources[i].name;
		struct fetch_state st;
		struct bf_err err;

		memset(&st, 0, sizeof(st));
		if (fetch_state_get(d->node.store, name, &st, &err) != 0)
			memset(&st, 0, sizeof(st)); /* never fetched */
		json_array_append_new(
			a, json_pack("{s:s, s:b, s:o, s:o, s:o, s:s}", "source",
				     name, "failing",
				     st.last_error_ms > st.last_success_ms,
				     "last_attempt_s_ago",
				     ago(now, st.last_attempt_ms),
				     "last_success_s_ago",
				     ago(now, st.last_success_ms),
				     "last_error_s_ago",
				     ago(now, st.last_error_ms), "last_error",
				     st.last_error_ms ? st.last_error : ""));
	}
	return a;
}

json_t *status_json(struct daemon *d)
{
	uint64_t now = bf_now_ms(), behind, link_gap = 0;
	int link = 0;
	json_t *st, *origins;

	for (size_t i = 0; i < d->npeers && !link; i++)
		link = d->peers[i].state == PEER_READY;
	for (size_t i = 0; i < d->nin && !link; i++)
		link = d->in[i].authenticated;
	if (!link)
		link_gap = now - d->mon.last_link_ms;
	origins = origins_json(d, now, &behind);
	st = json_pack("{s:s, s:s, s:i, s:I, s:I, s:s, s:b, s:s, s:I, s:I, "
		       "s:I, s:I, s:I, s:I, s:f}",
		       "node", d->node.cfg.slug, "version", BF_VERSION, "pid",
		       (int)getpid(), "now", (json_int_t)(now / 1000),
		       "uptime_s", (json_int_t)((now - d->started_ms) / 1000),
		       "listen", listen_url(d), "listening", d->listening,
		       "listener", status_listener(d), "members",
		       (json_int_t)roster_count(d, 0), "peers_configured",
		       (json_int_t)d->npeers, "applied",
		       (json_int_t)d->mon.applied, "rejected",
		       (json_int_t)d->rejected, "duplicates",
		       (json_int_t)d->mon.duplicates, "rows_applied",
		       (json_int_t)d->mon.rows, "no_link_s",
		       (double)link_gap / 1000.0);
	if (!st) {
		json_decref(origins);
		return NULL;
	}
	json_object_set_new(st, "peers", peers_json(d, now));
	json_object_set_new(st, "inbound", inbound_json(d, now));
	json_object_set_new(st, "origins", origins);
	json_object_set_new(st, "catchup", catchup_json(d, now, behind));
	json_object_set_new(st, "own_behind", json_integer((json_int_t)d->own_behind));
	json_object_set_new(st, "rejected_by_reason",
			    counts_json(d->mon.rejected, mon_reject_names,
					MON_REJ_N));
	json_object_set_new(
		st, "last_rejected",
		d->mon.last_reject_ms
			? json_pack("{s:o, s:s, s:s, s:s}", "s_ago",
				    ago(now, d->mon.last_reject_ms), "from",
				    d->mon.last_reject_from, "reason",
				    mon_reject_names[d->mon.last_reject_why],
				    "error", d->mon.last_reject)
			: json_null());
	json_object_set_new(st, "refused", refusals_json(d, now));
	json_object_set_new(st, "refused_by_reason",
			    counts_json(d->mon.refused, mon_refuse_names,
					MON_REF_N));
	json_object_set_new(st, "fetch", fetch_json(d, now));
	json_object_set_new(
		st, "metrics",
		json_pack("{s:s, s:b, s:s}", "address", d->node.cfg.metrics,
			  "serving", d->metrics != NULL, "error",
			  d->metrics_error));
	return st;
}
