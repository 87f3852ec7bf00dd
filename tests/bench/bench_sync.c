/*
 * bench_sync: replication between real biofedd processes, mutual TLS on
 * loopback, set up by deploy/federation.sh, measured in one run:
 *
 *  (a) initial sync: ROWS rows (default 1,000,000) in change sets of
 *      10,000 at one node, then a fresh node (empty replica: the roster
 *      and the rows both come over the network) until it holds them all;
 *      against the plain SQLite insert floor measured in the same run
 *      (just before and just after the sync: their mean);
 *  (b) latency: a one-row change set written at one node of the nine-node
 *      federation (ring and chords, 2 dials each) until all nine hold it,
 *      200 times: p50, p99, max;
 *  (c) sustained: 100,000 rows written at one node in change sets of
 *      1,000, back to back: end-to-end rows/s until all eight peers hold
 *      them, and the lag (commit at the origin to commit at a peer) at a
 *      direct peer and at the worst one.
 *
 * Change sets are written at the origin as publish writes them once it has
 * parsed and diffed a file (cs_build, store_apply), then the daemon is
 * woken on its control socket: the figures are replication's, not CSV
 * parsing's.  Presence at a peer is read from its replica (read-only, as
 * `biofed` reads it) every millisecond.  Run by `make bench` from the
 * source tree (it calls deploy/federation.sh and $BUILD/biofedd).
 *
 * Under (b) it also prints the CPU time the federation's daemons spent per
 * one-row change set (from /proc): on a small machine that, not the
 * network, bounds the latency.
 *
 *   bench_sync [ROWS [initial|nine]]   (both parts unless one is named)
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "node.h"
#include "schema.h"

#include "benchlib.h"

#define FED "deploy/federation.sh"
#define MAX_NODES 9

static char fed_dirs[2][700];
static size_t nfed;

static void stop_federations(void)
{
	char cmd[1600];

	for (size_t i = 0; i < nfed; i++) {
		snprintf(cmd, sizeof(cmd), FED " stop '%s' >/dev/null 2>&1",
			 fed_dirs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_sync: could not stop %s\n",
				fed_dirs[i]);
	}
	nfed = 0;
}

static void die(const char *what, const struct bf_err *err)
{
	fprintf(stderr, "bench_sync: %s%s%s\n", what, err ? ": " : "",
		err ? err->msg : "");
	exit(1);
}

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		die(cmd, NULL);
}

static double now_ms(void)
{
	return (double)bf_mono_ns() / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)((ms - (double)(time_t)(ms / 1000) * 1000) *
				     1e6)};
	nanosleep(&ts, NULL);
}

/* The federation's node slugs, from DIR/nodes. */
static size_t read_nodes(const char *dir, char slugs[MAX_NODES][64])
{
	char path[700], line[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/nodes", dir);
	if (!(f = fopen(path, "r")))
		die("no nodes file", NULL);
	while (n < MAX_NODES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		memcpy(slugs[n++], line, sizeof(line));
	}
	fclose(f);
	return n;
}

static struct store *open_replica(const char *dir, const char *slug)
{
	char path[800];
	struct store *s;
	struct bf_err err;

	snprintf(path, sizeof(path), "%s/%s/" NODE_DB, dir, slug);
	/* a fresh node's replica appears when its daemon starts */
	for (int i = 0; i < 30000; i++) {
		if (store_open(path, STORE_RDONLY, &s, &err) == 0)
			return s;
		sleep_ms(1);
	}
	die(path, &err);
	return NULL;
}

static uint64_t head_of(struct store *s, const char *origin)
{
	uint8_t hash[CS_HASH_LEN];
	uint64_t seq = 0;
	struct bf_err err;

	if (store_head(s, origin, &seq, hash, &err) != 0)
		return 0;
	return seq;
}

/* CPU time (user + system, ms) used so far by the daemons of the
 * federation in dir; 0 for a node whose pid cannot be read. */
static double daemons_cpu_ms(const char *dir, char slugs[MAX_NODES][64],
			     size_t n)
{
	double ms = 0;

	for (size_t i = 0; i < n; i++) {
		char path[800], line[1024], *p;
		unsigned long long ut = 0, st = 0;
		long pid = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/biofedd.pid", dir,
			 slugs[i]);
		if (!(f = fopen(path, "r")))
			continue;
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (pid <= 0 || !(f = fopen(path, "r")))
			continue;
		/* fields 14 and 15, counted after the ")" that ends comm */
		if (fgets(line, sizeof(line), f) && (p = strrchr(line, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
				  "%llu %llu",
			   &ut, &st) == 2)
			ms += (double)(ut + st) * 1000 /
			      (double)sysconf(_SC_CLK_TCK);
		fclose(f);
	}
	return ms;
}

/* Writes one change set of rows [first, first + n) at node o, the way
 * publish does after its diff.  Returns the new seq. */
static uint64_t write_changeset(struct node *o, const char *prefix,
				size_t first, size_t n)
{
	struct cs_header h;
	struct cs_row_in *rows = calloc(n, sizeof(*rows));
	char (*ids)[40] = calloc(n, sizeof(*ids));
	size_t *off = calloc(n + 1, sizeof(*off));
	struct bf_buf enc;
	struct bf_err err;
	uint8_t *cs = NULL;
	size_t len = 0;

	if (!rows || !ids || !off)
		die("out of memory", NULL);
	memset(&h, 0, sizeof(h));
	snprintf(h.origin, sizeof(h.origin), "%s", o->cfg.slug);
	if (store_head(o->store, h.origin, &h.seq, h.prev, &err))
		die("head", &err);
	h.seq++;
	h.time_ms = bf_now_ms();
	h.schema = SCHEMA_VERSION;
	bf_buf_init(&enc, 0);
	for (size_t i = 0; i < n; i++) {
		off[i] = enc.len;
		if (bench_fact_rowenc(first + i, &enc))
			die("row encoding", NULL);
		snprintf(ids[i], sizeof(ids[i]), "%s-%08zu", prefix, first + i);
	}
	off[n] = enc.len;
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct cs_row_in){CS_UPSERT, "collection_fact",
					     ids[i], enc.p + off[i],
					     off[i + 1] - off[i], NULL};
	if (cs_build(&h, rows, n, &o->key, &cs, &len, &err))
		die("cs_build", &err);
	if (store_apply(o->store, cs, len, NULL, NULL, &err))
		die("store_apply", &err);
	free(cs);
	bf_buf_free(&enc);
	free(rows);
	free(ids);
	free(off);
	return h.seq;
}

static void open_origin(struct node *o, const char *dir, const char *slug)
{
	char path[700];
	struct bf_err err;

	snprintf(path, sizeof(path), "%s/%s", dir, slug);
	if (node_open(o, path, NODE_KEY, &err))
		die("origin", &err);
}

static void wake(const char *dir, const char *slug)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, slug);
	control_wake(path);
}

/* --- (b) latency, (c) sustained: the nine-node federation ------------------ */

struct poller {
	struct store *peer[MAX_NODES];
	size_t npeers;
	const char *origin;
	uint64_t first, last;   /* seqs of the run */
	double *arrival;        /* [peer][seq - first] */
	atomic_int done;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;
	size_t span = (size_t)(p->last - p->first + 1);
	uint64_t seen[MAX_NODES] = {0};
	size_t complete = 0;

	for (size_t k = 0; k < p->npeers; k++)
		seen[k] = p->first - 1;
	while (complete < p->npeers && !atomic_load(&p->done)) {
		double t = now_ms();
		complete = 0;
		for (size_t k = 0; k < p->npeers; k++) {
			uint64_t h = head_of(p->peer[k], p->origin);
			if (h > p->last)
				h = p->last;
			for (uint64_t s = seen[k] + 1; s <= h; s++)
				p->arrival[k * span + (s - p->first)] = t;
			if (h > seen[k])
				seen[k] = h;
			complete += seen[k] >= p->last;
		}
		sleep_ms(1);
	}
	return NULL;
}

/* (b): a one-row change set written at o (the first of slugs) until
 * every peer of p holds it, reps times (after 10 not counted). */
static void latency(const char *dir, char slugs[MAX_NODES][64],
		    struct node *o, struct poller *p, size_t reps, int targets)
{
	size_t warm = 10;
	double lat[200], t0, wsum = 0, wake_sum = 0, p50, p99, cpu0 = 0;

	if (reps > 200)
		reps = 200;
	for (size_t r = 0; r < reps + warm; r++) {
		uint64_t seq;
		size_t have = 0;
		t0 = now_ms();
		seq = write_changeset(o, "lat", r, 1);
		if (r == warm)
			cpu0 = daemons_cpu_ms(dir, slugs, p->npeers + 1);
		if (r >= warm)
			wsum += now_ms() - t0;
		wake(dir, slugs[0]);
		if (r >= warm)
			wake_sum += now_ms() - t0;
		while (have < p->npeers) {
			have = 0;
			for (size_t k = 0; k < p->npeers; k++)
				have += head_of(p->peer[k], slugs[0]) >= seq;
			if (have < p->npeers)
				sleep_ms(1);
			if (now_ms() - t0 > 30000)
				die("a one-row change set did not reach every "
				    "node in 30 s", NULL);
		}
		if (r >= warm)
			lat[r - warm] = now_ms() - t0;
		sleep_ms(10);
	}
	cpu0 = daemons_cpu_ms(dir, slugs, p->npeers + 1) - cpu0;
	p50 = percentile(lat, reps, 50);
	p99 = percentile(lat, reps, 99);
	printf("(b) one-row change set at %s until present at all %zu nodes, "
	       "%zu times: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	       slugs[0], p->npeers + 1, reps, p50, p99, lat[reps - 1]);
	printf("    of which, on average: writing and committing at the "
	       "origin %.1f ms, waking its daemon %.1f ms (polling: 1 ms)\n",
	       wsum / (double)reps, (wake_sum - wsum) / (double)reps);
	printf("    CPU used by the %zu daemons: %.2f ms per change set (all "
	       "cores together; %.0f ms in all, 10 ms ticks)\n",
	       p->npeers + 1, cpu0 / (double)reps, cpu0);
	if (targets)
		printf("    targets: p50 < 5 ms (%s), p99 < 25 ms (%s)\n",
		       p50 < 5 ? "met" : "NOT met",
		       p99 < 25 ? "met" : "NOT met");
}

/* (c): 100,000 rows in change sets of 1,000 written back to back at
 * o (the first node of slugs), until every peer of p holds them. */
static void sustained(const char *dir, char slugs[MAX_NODES][64],
		      struct node *o, struct poller *pp, const char *where)
{
	struct poller p = *pp;
	size_t ncs = 100, per = 1000;
	double *commit, tend = 0, w0, w1;
	uint64_t first;
	pthread_t tid;

	first = head_of(o->store, slugs[0]) + 1;
	p.origin = slugs[0];
	p.first = first;
	p.last = first + ncs - 1;
	p.arrival = calloc(p.npeers * ncs, sizeof(double));
	commit = calloc(ncs, sizeof(double));
	if (!p.arrival || !commit)
		die("out of memory", NULL);
	if (pthread_create(&tid, NULL, poll_thread, &p) != 0)
		die("thread", NULL);
	w0 = now_ms();
	for (size_t i = 0; i < ncs; i++) {
		write_changeset(o, "sus", i * per, per);
		commit[i] = now_ms();
		wake(dir, slugs[0]);
	}
	w1 = now_ms();
	pthread_join(tid, NULL);
	for (size_t k = 0; k < p.npeers; k++)
		for (size_t i = 0; i < ncs; i++)
			if (p.arrival[k * ncs + i] > tend)
				tend = p.arrival[k * ncs + i];
	printf("(c) %s: %zu rows in %zu change sets of %zu written at %s "
	       "in %.2f s (%.0f rows/s at the origin)\n",
	       where, ncs * per, ncs, per, slugs[0], (w1 - w0) / 1000,
	       (double)(ncs * per) / ((w1 - w0) / 1000));
	printf("    all %zu peer(s) held them %.2f s after the first write: "
	       "%.0f rows/s end to end (target >= 100000: %s)\n",
	       p.npeers, (tend - w0) / 1000,
	       (double)(ncs * per) / ((tend - w0) / 1000),
	       (double)(ncs * per) / ((tend - w0) / 1000) >= 100000 ? "met"
								    : "NOT met");
	{
		double lag[100], p50[MAX_NODES], p99[MAX_NODES];
		size_t worst = 0;
		for (size_t k = 0; k < p.npeers; k++) {
			for (size_t i = 0; i < ncs; i++)
				lag[i] = p.arrival[k * ncs + i] - commit[i];
			p50[k] = percentile(lag, ncs, 50);
			p99[k] = percentile(lag, ncs, 99);
			if (p99[k] > p99[worst])
				worst = k;
		}
		printf("    lag (origin commit to peer commit) at %s, a "
		       "direct peer: p50 %.0f ms, p99 %.0f ms\n",
		       slugs[1], p50[0], p99[0]);
		printf("    worst peer %s: p50 %.0f ms, p99 %.0f ms (target "
		       "p99 < 100 ms: %s)\n",
		       slugs[worst + 1], p50[worst], p99[worst],
		       p99[worst] < 100 ? "met" : "NOT met");
	}
	free(p.arrival);
	free(commit);
}

static void bench_nine(const char *tmp)
{
	char dir[600], slugs[MAX_NODES][64];
	struct node o;
	struct poller p;
	size_t n;
	double t0;

	snprintf(dir, sizeof(dir), "%s/nine", tmp);
	snprintf(fed_dirs[nfed++], sizeof(fed_dirs[0]), "%s", dir);
	t0 = now_ms();
	run(FED " start 9 '%s' >/dev/null", dir);
	n = read_nodes(dir, slugs);
	printf("(b) nine nodes created and connected in %.1f s\n",
	       (now_ms() - t0) / 1000);
	memset(&p, 0, sizeof(p));
	for (size_t k = 1; k < n; k++)
		p.peer[p.npeers++] = open_replica(dir, slugs[k]);
	open_origin(&o, dir, slugs[0]);

	latency(dir, slugs, &o, &p, 200, 1);
	sustained(dir, slugs, &o, &p, "nine-node federation");
	printf("    (nine daemons on %ld cores: every row is applied nine times "
	       "on this one machine)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (size_t k = 0; k < p.npeers; k++)
		store_close(p.peer[k]);
	node_close(&o);
	stop_federations();
}

/* The same change sets applied in-process into a new replica: what the
 * sync would reach with a free network.  Returns rows/s. */
struct local_apply {
	struct store *to;
	size_t rows;
};

static int apply_cb(void *ctx, const struct store_cs_entry *e)
{
	struct local_apply *a = ctx;
	struct bf_err err;
	size_t rows = 0;

	if (store_apply(a->to, e->bytes, e->len, NULL, &rows, &err))
		die("local apply", &err);
	a->rows += rows;
	return 0;
}

static double local_apply_rate(const char *tmp, struct node *o)
{
	char path[700];
	struct local_apply a = {NULL, 0};
	struct bf_err err;
	double t0;

	snprintf(path, sizeof(path), "%s/local-apply.db", tmp);
	if (store_open(path, STORE_CREATE, &a.to, &err))
		die("local apply", &err);
	store_set_coordinator(a.to, o->cfg.coordinator_key);
	if (store_set_durable(a.to, 0, &err)) /* as biofedd applies */
		die("local apply", &err);
	t0 = now_ms();
	if (store_changesets(o->store, NULL, 0, apply_cb, &a, &err))
		die("local apply", &err);
	t0 = now_ms() - t0;
	store_close(a.to);
	return (double)a.rows / (t0 / 1000);
}

/* --- (a) initial sync ------------------------------------------------------ */

static void bench_initial(const char *tmp, size_t nrows)
{
	char dir[600], slugs[MAX_NODES][64];
	struct node o;
	struct poller p;
	size_t per = 10000, ncs = (nrows + per - 1) / per;
	uint64_t target = 0;
	double t0, t1, w0, sync_rps, floor_rps, local_rps;

	memset(&p, 0, sizeof(p));

	/* the floor first, while no daemon runs */
	floor_rps = bench_plain_insert(tmp, nrows);
	snprintf(dir, sizeof(dir), "%s/a", tmp);
	snprintf(fed_dirs[nfed++], sizeof(fed_dirs[0]), "%s", dir);
	run(FED " start 2 '%s' >/dev/null", dir);
	read_nodes(dir, slugs);
	run(FED " stop-node '%s' %s", dir, slugs[1]);

	open_origin(&o, dir, slugs[0]);
	w0 = now_ms();
	for (size_t i = 0; i < ncs; i++) {
		size_t n = nrows - i * per < per ? nrows - i * per : per;
		target = write_changeset(&o, "init", i * per, n);
	}
	printf("(a) origin wrote %zu rows in %zu change sets: %.0f rows/s\n",
	       nrows, ncs, (double)nrows / ((now_ms() - w0) / 1000));
	wake(dir, slugs[0]);

	/* the fresh node: keys and configuration, nothing in its replica */
	run("rm -f '%s/%s/" NODE_DB "' '%s/%s/" NODE_DB "-wal' '%s/%s/" NODE_DB
	    "-shm'",
	    dir, slugs[1], dir, slugs[1], dir, slugs[1]);
	t0 = now_ms();
	run(FED " start-node '%s' %s >/dev/null", dir, slugs[1]);
	p.peer[0] = open_replica(dir, slugs[1]);
	p.npeers = 1;
	while (head_of(p.peer[0], slugs[0]) < target) {
		if (now_ms() - t0 > 600000)
			die("initial sync did not finish in 10 minutes", NULL);
		sleep_ms(1);
	}
	t1 = now_ms();
	sync_rps = (double)nrows / ((t1 - t0) / 1000);
	printf("(a) initial sync of %zu rows to a fresh node over TLS: %.2f s, "
	       "%.0f rows/s (from the daemon's start: roster, TLS, hello "
	       "included)\n",
	       nrows, (t1 - t0) / 1000, sync_rps);
	{
		/* the machine's speed drifts over seconds: the floor is
		 * measured on both sides of the sync, and their mean is
		 * what the sync is held against */
		char again[700];
		double before = floor_rps, after;

		snprintf(again, sizeof(again), "%s/floor-after", tmp);
		if (mkdir(again, 0700) != 0 ||
		    (after = bench_plain_insert(again, nrows)) <= 0)
			die("the second floor measurement failed", NULL);
		floor_rps = (before + after) / 2;
		printf("    plain SQLite insert floor, same run: %.0f rows/s "
		       "(%.0f before the sync, %.0f after); sync is %.0f%% of "
		       "it\n",
		       floor_rps, before, after, 100 * sync_rps / floor_rps);
	}
	local_rps = local_apply_rate(tmp, &o);
	printf("    the same change sets applied in-process into a new replica "
	       "(no network, same rules): %.0f rows/s; sync is %.0f%% of "
	       "it\n",
	       local_rps, 100 * sync_rps / local_rps);
	printf("    targets: >= 300000 rows/s (%s), >= 60%% of the floor "
	       "(%s)\n",
	       sync_rps >= 300000 ? "met" : "NOT met",
	       sync_rps >= 0.6 * floor_rps ? "met" : "NOT met");

	sustained(dir, slugs, &o, &p, "two nodes");
	latency(dir, slugs, &o, &p, 100, 0);
	store_close(p.peer[0]);
	node_close(&o);
	stop_federations();
}

/* Interrupted: exit() so that the daemons are stopped (atexit). */
static void on_signal(int sig)
{
	(void)sig;
	exit(1);
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *part = argc > 2 ? argv[2] : "";
	char tmpl[] = "/tmp/biofed-bench-sync.XXXXXX";
	char *tmp;

	if (access(FED, X_OK) != 0)
		die("run from the source tree (make bench): " FED " not found",
		    NULL);
	if (!(tmp = mkdtemp(tmpl)))
		die("mkdtemp", NULL);
	atexit(stop_federations);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN); /* output cut short: carry on, then clean up */
	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_machine();
	if (*part && strcmp(part, "initial") && strcmp(part, "nine"))
		die("usage: bench_sync [ROWS [initial|nine]]", NULL);
	if (strcmp(part, "nine"))
		bench_initial(tmp, rows);
	if (strcmp(part, "initial"))
		bench_nine(tmp);
	run("rm -rf '%s'", tmp);
	return 0;
}
