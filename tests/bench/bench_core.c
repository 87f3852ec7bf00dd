/*
 * bench_core: the node core's throughput, measured in one run on this
 * machine:
 *   1. publish a 1,000,000-row collection_fact file (CSV) at node A
 *      (whose biobank and collections are published before, untimed);
 *   2. re-publish the unchanged file (must write no change set);
 *   3. apply A's change sets into a fresh replica B, as a peer would
 *      (decode, verify signature, check every rule, one transaction each);
 *   4. the floor: a plain prepared-statement insert of the same rows into
 *      the same table shape, one transaction per 1,000 rows, WAL.
 * Steps 3 and 4 run back to back three times (the machine's speed drifts
 * between runs); prints rows/s of each round, the medians and the median
 * ratio apply/plain.
 *
 *   bench_core [ROWS]   (default 1000000)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node.h"
#include "publish.h"
#include "roster.h"

#include "benchlib.h"

#define ROUNDS 3 /* apply and floor pairs */
#define ORIGIN "bench" /* node A's slug */

static void die(const char *what, const struct bf_err *err)
{
	fprintf(stderr, "bench_core: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void gen_row(FILE *f, size_t i)
{
	fprintf(f, "fact-%08zu,coll-%04zu,%s,%s,%s,%s,%zu,%zu,%s\n", i,
		i % BENCH_NCOLL, bench_sexes[i % 2], bench_ages[(i / 2) % 6],
		bench_mats[(i / 12) % 6], bench_dis[(i / 72) % 8], 10 + i % 500,
		10 + i % 250, bench_av[i % 3]);
}

/* A's change sets; the first nsetup are the roster's and those up to
 * A's seq setup_seq (what the facts refer to): applied before the clock
 * starts, as they are not what is measured. */
struct collect {
	uint8_t **cs;
	size_t *len;
	size_t n, cap;
	uint64_t setup_seq;
	size_t nsetup;
};

static int collect_cb(void *ctx, const struct store_cs_entry *e)
{
	struct collect *c = ctx;
	if (strcmp(e->origin, ORIGIN) != 0 || e->seq <= c->setup_seq)
		c->nsetup = c->n + 1;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->cs = realloc(c->cs, c->cap * sizeof(*c->cs));
		c->len = realloc(c->len, c->cap * sizeof(*c->len));
	}
	c->cs[c->n] = malloc(e->len);
	memcpy(c->cs[c->n], e->bytes, e->len);
	c->len[c->n++] = e->len;
	return 0;
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	char tmpl[] = "/tmp/biofed-bench.XXXXXX", path[512], cmd[600];
	char fdir[64];
	char *dir = mkdtemp(tmpl);
	struct node_init ni = {0};
	struct node a, b;
	struct bf_err err;
	struct publish_opts po = {0};
	struct publish_result res;
	struct collect col = {0};
	char coord[65], slug[64];
	uint64_t t0, t1;
	double pub_s, repub_s, apply_rps[ROUNDS], floor_rps[ROUNDS],
		ratio[ROUNDS];
	size_t applied_rows = 0;
	int changed;
	FILE *f;

	if (!dir)
		die("mkdtemp", NULL);
	bench_machine();
	snprintf(path, sizeof(path), "%s/collection_facts.csv", dir);
	f = fopen(path, "w");
	fprintf(f, "id,collection,sex,age_range,sample_type,disease,"
		   "number_of_samples,number_of_donors,availability\n");
	for (size_t i = 0; i < rows; i++)
		gen_row(f, i);
	fclose(f);

	snprintf(path, sizeof(path), "%s/a", dir);
	ni.dir = path;
	ni.slug = ORIGIN;
	ni.name = "Benchmark node";
	ni.country = "ES";
	ni.coordinator = 1;
	if (node_init(&ni, coord, &err))
		die("init a", &err);
	if (node_open(&a, path, NODE_KEY, &err))
		die("open a", &err);
	snprintf(path, sizeof(path), "%s/a/identity.json", dir);
	if (roster_add(&a, path, 0, &changed, slug, &err))
		die("roster", &err);

	snprintf(path, sizeof(path), "%s/refs.json", dir);
	if (bench_write_refs(path, BENCH_NCOLL))
		die("write refs.json", NULL);
	po.path = path;
	if (publish_file(&a, &po, &res, &err))
		die("publish the biobank and collections", &err);
	col.setup_seq = res.last_seq;

	snprintf(path, sizeof(path), "%s/collection_facts.csv", dir);
	po.path = path;
	t0 = bf_mono_ns();
	if (publish_file(&a, &po, &res, &err))
		die("publish", &err);
	t1 = bf_mono_ns();
	pub_s = bench_secs(t0, t1);
	printf("publish: %zu rows in %zu change sets: %.2f s, %.0f rows/s\n",
	       res.inserted, res.changesets, pub_s, (double)rows / pub_s);

	t0 = bf_mono_ns();
	if (publish_file(&a, &po, &res, &err))
		die("re-publish", &err);
	t1 = bf_mono_ns();
	repub_s = bench_secs(t0, t1);
	printf("re-publish unchanged: %.2f s, %zu change sets written "
	       "(target < 3 s, 0 change sets)\n",
	       repub_s, res.changesets);

	if (store_changesets(a.store, NULL, 0, collect_cb, &col, &err))
		die("export", &err);
	node_close(&a);

	/* apply and floor, back to back, ROUNDS times: this machine's speed
	 * drifts between runs, so each round's pair shares its moment and
	 * the ratio reported is the median round's */
	for (int r = 0; r < ROUNDS; r++) {
		applied_rows = 0;
		snprintf(path, sizeof(path), "%s/b%d", dir, r);
		ni.dir = path;
		ni.slug = "peer";
		ni.coordinator = 0;
		ni.coordinator_key = coord;
		if (node_init(&ni, coord, &err))
			die("init b", &err);
		if (node_open(&b, path, 0, &err))
			die("open b", &err);
		/* as biofedd applies a peer's change sets (it signs none) */
		if (store_set_durable(b.store, 0, &err))
			die("open b", &err);
		for (size_t i = 0; i < col.nsetup; i++)
			if (store_apply(b.store, col.cs[i], col.len[i], NULL,
					NULL, &err))
				die("apply setup", &err);
		t0 = bf_mono_ns();
		for (size_t i = col.nsetup; i < col.n; i++) {
			size_t n = 0;
			if (store_apply(b.store, col.cs[i], col.len[i], NULL, &n,
					&err))
				die("apply", &err);
			applied_rows += n;
		}
		t1 = bf_mono_ns();
		node_close(&b);
		apply_rps[r] = (double)applied_rows / bench_secs(t0, t1);
		snprintf(fdir, sizeof(fdir), "%s/floor%d", dir, r);
		if (mkdir(fdir, 0700) != 0)
			die("mkdir", NULL);
		floor_rps[r] = bench_plain_insert(fdir, rows);
		ratio[r] = apply_rps[r] / floor_rps[r];
		printf("round %d: apply at a fresh replica %zu rows in %zu "
		       "change sets: %.0f rows/s; plain insert floor: %.0f "
		       "rows/s; ratio %.2f\n",
		       r + 1, applied_rows, col.n - col.nsetup, apply_rps[r],
		       floor_rps[r], ratio[r]);
	}
	printf("apply at a fresh replica: median %.0f rows/s (synchronous="
	       "NORMAL as biofedd applies, signature checked per change set)\n",
	       percentile(apply_rps, ROUNDS, 50));
	printf("plain insert floor: median %.0f rows/s (prepared statement, "
	       "1,000 rows per transaction, WAL, synchronous=NORMAL)\n",
	       percentile(floor_rps, ROUNDS, 50));
	printf("ratio apply/plain: median %.2f of %d rounds, lowest %.2f "
	       "(target >= 0.50)\n",
	       percentile(ratio, ROUNDS, 50), ROUNDS, percentile(ratio, ROUNDS, 0));
	for (size_t i = 0; i < col.n; i++)
		free(col.cs[i]);
	free(col.cs);
	free(col.len);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_core: could not remove %s\n", dir);
	return 0;
}
