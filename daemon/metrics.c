/*
 * metrics: Prometheus metrics (text format 0.0.4) at /metrics on
 * node.metrics, a loopback address (config.h), served by nng's HTTP
 * server.  deploy/README.md ("Monitoring") lists every metric.
 *
 * The main loop owns all state: once a second (metrics_tick) it renders
 * the whole exposition into a buffer and swaps it in under a mutex.  The
 * HTTP callback, on an nng thread, only copies the latest rendering out
 * under that mutex: it never reads the daemon's state, never waits for
 * the main loop, and the main loop never waits for a scrape.  What a
 * scrape sees is at most a second old.
 */
#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon.h"
#include "fetch.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	pthread_mutex_t lock; /* guards text and len */
	char *text;
	size_t len;
	nng_http_server *srv;
	uint64_t rendered_ms;
};

/* --- the HTTP side (nng threads) ------------------------------------------ */

static void reply_error(nng_aio *aio, uint16_t code, const char *allow)
{
	nng_http_res *res;

	if (nng_http_res_alloc_error(&res, code) != 0) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	if (allow)
		nng_http_res_set_header(res, "Allow", allow);
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void handle_metrics(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	struct metrics *m = nng_http_handler_get_data(h);
	const char *method = nng_http_req_get_method(req);
	nng_http_res *res;
	int rv;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		reply_error(aio, NNG_HTTP_STATUS_METHOD_NOT_ALLOWED, "GET, HEAD");
		return;
	}
	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	pthread_mutex_lock(&m->lock);
	rv = nng_http_res_copy_data(res, m->text ? m->text : "", m->len);
	pthread_mutex_unlock(&m->lock);
	if (rv == 0)
		rv = nng_http_res_set_header(res, "Content-Type", CONTENT_TYPE);
	if (rv != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* nng frees the handler, and with it this, once no callback holds it. */
static void metrics_free(void *arg)
{
	struct metrics *m = arg;

	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

/* --- rendering (main loop) -------------------------------------------------- */

/* A family with one unlabelled sample. */
static int one(struct bf_buf *b, const char *name, const char *type,
	       const char *help, double v)
{
	int rc = prom_family(b, name, type, help);
	return rc ? rc : prom_sample(b, name, NULL, v);
}

static int render_process(struct bf_buf *b, struct daemon *d)
{
	unsigned long long vsz = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct rusage ru;
	FILE *f = fopen("/proc/self/statm", "r");
	double cpu = 0;
	int rc;

	if (f) {
		if (fscanf(f, "%llu %llu", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(f);
	}
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	page = page > 0 ? page : 4096;
	rc = one(b, "process_resident_memory_bytes", "gauge",
		 "Resident memory size in bytes.",
		 (double)rss * (double)page);
	if (!rc)
		rc = one(b, "process_virtual_memory_bytes", "gauge",
			 "Virtual memory size in bytes.",
			 (double)vsz * (double)page);
	if (!rc)
		rc = one(b, "process_cpu_seconds_total", "counter",
			 "User and system CPU time spent in seconds.", cpu);
	if (!rc)
		rc = one(b, "process_start_time_seconds", "gauge",
			 "Start time of the process since the epoch in seconds.",
			 (double)(d->started_ms / 1000));
	return rc;
}

static int render_node(struct bf_buf *b, struct daemon *d)
{
	const char *info[] = {"node", d->node.cfg.slug, "version", BF_VERSION,
			      NULL};
	const char *lst = status_listener(d);
	int up = 0, in = 0, rc;

	for (size_t i = 0; i < d->npeers; i++)
		up += d->peers[i].state == PEER_READY;
	for (size_t i = 0; i < d->nin; i++)
		in += d->in[i].authenticated;
	rc = prom_family(b, "biofed_info", "gauge",
			 "This node's name and biofed's version (always 1).");
	if (!rc)
		rc = prom_sample(b, "biofed_info", info, 1);
	if (!rc)
		rc = one(b, "biofed_listening", "gauge",
			 "1 while the peer listener accepts connections.",
			 strcmp(lst, "listening") == 0);
	if (!rc)
		rc = one(b, "biofed_listener_failed", "gauge",
			 "1 when the listener should run but does not.",
			 strcmp(lst, "failed") == 0);
	if (!rc)
		rc = one(b, "biofed_peers_configured", "gauge",
			 "Peers this node dials (federation.peer).",
			 (double)d->npeers);
	if (!rc)
		rc = one(b, "biofed_peers_up", "gauge",
			 "Dialed peers whose hello completed.", up);
	if (!rc)
		rc = one(b, "biofed_inbound_peers", "gauge",
			 "Members connected to this node's listener.", in);
	return rc;
}

static int render_peers(struct bf_buf *b, struct daemon *d, uint64_t now)
{
	static const char *const states[] = {"connected", "connecting", "down"};
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{"biofed_peer_up", "gauge", "1 while this dialed peer is connected."},
		{"biofed_peer_state", "gauge",
		 "1 for the state the dialed peer is in (connected, connecting, "
		 "down)."},
		{"biofed_peer_state_seconds", "gauge",
		 "Seconds since the dialed peer entered its state."},
		{"biofed_peer_last_error_timestamp_seconds", "gauge",
		 "When the dialed peer's last error happened (0: none)."},
		{"biofed_peer_bytes_received_total", "counter",
		 "Bytes received from this dialed peer."},
		{"biofed_peer_bytes_sent_total", "counter",
		 "Bytes sent to this dialed peer."},
	};
	int rc = 0;

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]) && !rc; f++) {
		rc = prom_family(b, fam[f].name, fam[f].type, fam[f].help);
		for (size_t i = 0; i < d->npeers && !rc; i++) {
			const struct peer *p = &d->peers[i];
			const char *l[] = {"endpoint", p->endpoint, "member",
					   p->slug, NULL, NULL, NULL};
			uint64_t since;
			const char *st = status_peer_state(p, now, &since);

			switch (f) {
			case 0:
				rc = prom_sample(b, fam[f].name, l,
						 p->state == PEER_READY);
				break;
			case 1:
				for (size_t k = 0; k < 3 && !rc; k++) {
					l[4] = "state";
					l[5] = states[k];
					rc = prom_sample(b, fam[f].name, l,
							 !strcmp(st, states[k]));
				}
				break;
			case 2:
				rc = prom_sample(b, fam[f].name, l,
						 (double)(now - since) / 1000.0);
				break;
			case 3:
				rc = prom_sample(b, fam[f].name, l,
						 (double)(p->h.last_error_ms / 1000));
				break;
			case 4:
				rc = prom_sample_u64(b, fam[f].name, l, p->bytes_in);
				break;
			default:
				rc = prom_sample_u64(b, fam[f].name, l,
						     p->bytes_out);
			}
		}
	}
	return rc;
}

static int render_traffic(struct bf_buf *b, struct daemon *d)
{
	static const char *const sides[] = {"dialed", "inbound"};
	const struct monitor *m = &d->mon;
	int rc = prom_family(b, "biofed_bytes_received_total", "counter",
			     "Peer-protocol bytes received, by side (dialed: "
			     "from peers this node dials; inbound: on its "
			     "listener).");

	for (int i = 0; i < 2 && !rc; i++)
		rc = prom_sample_u64(b, "biofed_bytes_received_total",
				     (const char *[]){"side", sides[i], NULL},
				     m->bytes_in[i]);
	if (!rc)
		rc = prom_family(b, "biofed_bytes_sent_total", "counter",
				 "Peer-protocol bytes sent, by side.");
	for (int i = 0; i < 2 && !rc; i++)
		rc = prom_sample_u64(b, "biofed_bytes_sent_total",
				     (const char *[]){"side", sides[i], NULL},
				     m->bytes_out[i]);
	if (!rc)
		rc = one(b, "biofed_changesets_applied_total", "counter",
			 "Change sets received from peers and applied.",
			 (double)m->applied);
	if (!rc)
		rc = one(b, "biofed_rows_applied_total", "counter",
			 "Rows of the change sets applied.", (double)m->rows);
	if (!rc)
		rc = one(b, "biofed_changesets_duplicate_total", "counter",
			 "Change sets received that were already here.",
			 (double)m->duplicates);
	if (!rc)
		rc = prom_family(b, "biofed_changesets_refused_total", "counter",
				 "Change sets refused, by the apply rule they "
				 "broke.");
	for (int i = 0; i < MON_REJ_N && !rc; i++)
		rc = prom_sample_u64(b, "biofed_changesets_refused_total",
				     (const char *[]){"reason",
						      mon_reject_names[i], NULL},
				     m->rejected[i]);
	if (!rc)
		rc = prom_family(b, "biofed_connections_refused_total", "counter",
				 "Peer connections refused, by reason.");
	for (int i = 0; i < MON_REF_N && !rc; i++)
		rc = prom_sample_u64(b, "biofed_connections_refused_total",
				     (const char *[]){"reason",
						      mon_refuse_names[i], NULL},
				     m->refused[i]);
	if (!rc)
		rc = prom_family(b, "biofed_apply_duration_seconds", "histogram",
				 "Time to apply one change set from a peer.");
	if (!rc)
		rc = prom_histogram_write(b, "biofed_apply_duration_seconds",
					  NULL, &m->apply_seconds);
	return rc;
}

static int render_origins(struct bf_buf *b, struct daemon *d, uint64_t now)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"biofed_origin_seq", "Highest seq of the origin in this replica."},
		{"biofed_origin_highest_seen_seq",
		 "Highest seq of the origin any peer's vector has named."},
		{"biofed_origin_lag_changesets",
		 "Change sets of the origin this node lacks."},
		{"biofed_origin_lag_seconds",
		 "Seconds since this node first learnt of the first change set "
		 "of the origin it lacks (0: lacks none); a lower bound of its "
		 "age."},
		{"biofed_origin_forked_at_seq",
		 "Seq at which the origin forked (0: no fork)."},
	};
	int rc = 0;

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]) && !rc; f++) {
		rc = prom_family(b, fam[f].name, "gauge", fam[f].help);
		for (size_t i = 0; i < d->local.n && !rc; i++) {
			const struct vv_entry *e = &d->local.e[i];
			const char *l[] = {"origin", e->origin, NULL};
			uint64_t high, since, v[5];

			monitor_lag(&d->mon, e->origin, e->seq, &high, &since);
			v[0] = e->seq;
			v[1] = high;
			v[2] = high - e->seq;
			v[4] = e->forked_at;
			if (f == 3)
				rc = prom_sample(b, fam[f].name, l,
						 since ? (double)(now - since) / 1000.0
						       : 0);
			else
				rc = prom_sample_u64(b, fam[f].name, l, v[f]);
		}
	}
	if (!rc)
		rc = one(b, "biofed_own_origin_behind_seq", "gauge",
			 "Seq of this node's own origin that peers hold and "
			 "this replica lacks (a restored backup): signing waits "
			 "(0: none).",
			 (double)d->own_behind);
	return rc;
}

static int render_fetch(struct bf_buf *b, struct daemon *d)
{
	static const char *const names[] = {
		"biofed_fetch_last_attempt_timestamp_seconds",
		"biofed_fetch_last_success_timestamp_seconds",
		"biofed_fetch_last_error_timestamp_seconds",
		"biofed_fetch_failing",
		"biofed_fetch_last_error_info",
	};
	static const char *const helps[] = {
		"When the source was last fetched (0: never).",
		"When a fetch of the source last succeeded (0: never).",
		"When a fetch of the source last failed (0: never).",
		"1 when the source's latest fetch failed.",
		"1 while the source's latest fetch failed; the error label says "
		"why (100 bytes at most).",
	};
	size_t n = d->node.cfg.nsources;
	struct fetch_state *st = n ? calloc(n, sizeof(*st)) : NULL;
	int rc = 0;

	if (n && !st)
		return BF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct bf_err err;
		if (fetch_state_get(d->node.store, d->node.cfg.sources[i].name,
				    &st[i], &err) != 0)
			memset(&st[i], 0, sizeof(st[i]));
	}
	for (size_t f = 0; f < 5 && !rc; f++) {
		rc = prom_family(b, names[f], "gauge", helps[f]);
		for (size_t i = 0; i < n && !rc; i++) {
			const char *l[] = {"source", d->node.cfg.sources[i].name,
					   NULL, NULL, NULL};
			uint64_t t[3] = {st[i].last_attempt_ms,
					 st[i].last_success_ms,
					 st[i].last_error_ms};
			int failing = st[i].last_error_ms > st[i].last_success_ms;
			char why[101];

			if (f < 3) {
				rc = prom_sample(b, names[f], l,
						 (double)(t[f] / 1000));
			} else if (f == 3) {
				rc = prom_sample(b, names[f], l, failing);
			} else if (failing) {
				snprintf(why, sizeof(why), "%s",
					 st[i].last_error);
				l[2] = "error";
				l[3] = why;
				rc = prom_sample(b, names[f], l, 1);
			}
		}
	}
	free(st);
	return rc;
}

void metrics_tick(struct daemon *d)
{
	struct metrics *m = d->metrics;
	uint64_t now = bf_now_ms();
	struct bf_buf b;
	char *old;
	int rc;

	if (!m || now - m->rendered_ms < 1000)
		return;
	m->rendered_ms = now;
	bf_buf_init(&b, 0);
	rc = render_process(&b, d);
	if (!rc)
		rc = render_node(&b, d);
	if (!rc)
		rc = render_peers(&b, d, now);
	if (!rc)
		rc = render_traffic(&b, d);
	if (!rc)
		rc = render_origins(&b, d, now);
	if (!rc)
		rc = render_fetch(&b, d);
	if (rc || !bf_buf_cstr(&b)) {
		bf_buf_free(&b);
		return; /* the previous rendering stays */
	}
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = (char *)b.p;
	m->len = b.len;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

/* --- start and stop ---------------------------------------------------------- */

void metrics_start(struct daemon *d)
{
	const char *addr = d->node.cfg.metrics;
	nng_http_handler *h = NULL;
	struct metrics *m;
	char url[96], msg[256];
	nng_url *u = NULL;
	int rv;

	d->metrics_error[0] = 0;
	if (!addr[0] || d->metrics)
		return;
	if (config_metrics_url(addr, url, sizeof(url), msg, sizeof(msg)) != 0) {
		snprintf(d->metrics_error, sizeof(d->metrics_error), "%s", msg);
		log_msg(LOG_ERROR, "metrics-failed", "address=%s error=\"%s\"",
			addr, msg);
		return;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		rv = NNG_ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&m->lock, NULL);
	if ((rv = nng_http_handler_alloc(&h, "/metrics", handle_metrics)) != 0) {
		metrics_free(m);
		goto fail;
	}
	/* the handler checks the method itself, to answer 405; a body (of
	 * some other method) of over 4 KiB gets 400 */
	if ((rv = nng_http_handler_set_method(h, NULL)) != 0 ||
	    (rv = nng_http_handler_collect_body(h, true, 4096)) != 0 ||
	    (rv = nng_http_handler_set_data(h, m, metrics_free)) != 0) {
		metrics_free(m);
		nng_http_handler_free(h);
		goto fail;
	}
	/* from here m is the handler's */
	if ((rv = nng_url_parse(&u, url)) != 0 ||
	    (rv = nng_http_server_hold(&m->srv, u)) != 0) {
		nng_http_handler_free(h);
		goto fail;
	}
	if ((rv = nng_http_server_add_handler(m->srv, h)) != 0) {
		nng_http_handler_free(h);
		nng_http_server_release(m->srv);
		goto fail;
	}
	if ((rv = nng_http_server_start(m->srv)) != 0) {
		nng_http_server_release(m->srv); /* frees h, and m */
		goto fail;
	}
	nng_url_free(u);
	d->metrics = m;
	metrics_tick(d);
	log_msg(LOG_INFO, "metrics", "url=%s/metrics", url);
	return;
fail:
	if (u)
		nng_url_free(u);
	snprintf(d->metrics_error, sizeof(d->metrics_error), "%s: %s", url,
		 nng_strerror(rv));
	log_msg(LOG_ERROR, "metrics-failed", "url=%s error=\"%s\"", url,
		nng_strerror(rv));
}

static atomic_int stopped;

static void *stop_thread(void *arg)
{
	nng_http_server *srv = arg;

	nng_http_server_stop(srv);
	nng_http_server_release(srv);
	atomic_store(&stopped, 1);
	return NULL;
}

void metrics_stop(struct daemon *d)
{
	struct metrics *m = d->metrics;
	pthread_t t;

	if (!m)
		return;
	d->metrics = NULL;
	/* Restarting in place (nng is stuck): exec drops the socket, and a
	 * stop could wait on nng's reaper for ever.  Otherwise the stop runs
	 * on a thread of its own and gets two seconds. */
	if (d->restart)
		return;
	atomic_store(&stopped, 0);
	if (pthread_create(&t, NULL, stop_thread, m->srv) != 0) {
		stop_thread(m->srv);
		return;
	}
	pthread_detach(t);
	for (int i = 0; i < 200 && !atomic_load(&stopped); i++)
		usleep(10000);
}
