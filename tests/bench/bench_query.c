/*
 * bench_query: the sample workflow and researchers' queries, measured in
 * one run on this machine:
 *   1. import 1,000,000 samples (CSV, ids in random order) into a node
 *      that owns 100 collections, and derive and publish their facts
 *      (target: under 10 s for both);
 *   2. re-import the unchanged file (no sample written, no change set);
 *   3. --count-by institution over the facts derived from the 1,000,000
 *      samples, which is what a researcher's query anywhere in the
 *      network reads, without and with the filters of a typical question
 *      (available serum of C50 patients, women aged 40-60) (target: under
 *      50 ms); and, for comparison, over the samples themselves, which
 *      only their own node holds (a scan of every sample row);
 *   4. full-text search over 100,000 indexed records (research groups and
 *      collections whose text follows a Zipf distribution, see
 *      write_records) (target: under 20 ms).
 * Queries run in-process on a read-only connection, as `biofed query`
 * opens it; each figure is the median of 7 runs.
 *
 *   bench_query [SAMPLES] [RECORDS]   (default 1000000 100000)
 *   BENCH_KEEP=1 keeps the temporary node directory.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "benchlib.h"
#include "node.h"
#include "publish.h"
#include "query.h"
#include "qsearch.h"
#include "roster.h"
#include "samples.h"

#define NCOLL 100
#define RUNS 7

static double secs(uint64_t a, uint64_t b)
{
	return (double)(b - a) / 1e9;
}

/* CPU seconds of this process so far: on a shared machine, the wall
 * time says how long it took, the CPU time how much work it was. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what, const struct bf_err *err)
{
	fprintf(stderr, "bench_query: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static const char *const mats[] = {"DNA", "SERUM", "PLASMA", "RNA",
				   "TISSUE_FROZEN", "WHOLE_BLOOD"};
static const char *const dis[] = {
	"C50.9", "C50.1", "C18.7", "C34.1", "I25.1", "G30.9", "ORPHA:558",
	"E11.9", "C61",   "C90.0", "C91.0", "I21.4", "G20",   "J45.9",
	"N18.3", "K50.9", "M05.9", "B20",   "U07.1", "F32.9"};
#define NDIS (sizeof(dis) / sizeof(dis[0]))

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A collection holds three materials and three diagnoses of its own,
 * donors of both sexes aged 18 to 90: at most 2 x 8 x 3 x 3 x 3 = 432
 * facts each, as a disease-specific hospital collection would have. */
static void coll_values(int c, const char *m[3], const char *d[3])
{
	for (int k = 0; k < 3; k++) {
		m[k] = mats[(c + k * 2) % 6];
		d[k] = dis[(size_t)(c * 3 + k) % NDIS];
	}
}

static void write_collections(const char *path)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "id,biobank,name,materials,diagnosis_available,sex,"
		   "age_low,age_high,age_unit\n");
	for (int i = 0; i < NCOLL; i++) {
		const char *m[3], *d[3];

		coll_values(i, m, d);
		fprintf(f,
			"coll-%03d,bb-1,Collection %d,\"%s,%s,%s\",\"%s,%s,%s\","
			"\"FEMALE,MALE\",18,90,YEAR\n",
			i, i, m[0], m[1], m[2], d[0], d[1], d[2]);
	}
	fclose(f);
}

/* Two samples per donor on average; ids are a bijection of the row
 * number, so they arrive in random order as in a real export. */
static void write_samples(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "id,collection,material_type,storage_temperature,"
		   "diagnosis,sex,age,age_unit,donor_id,collection_date,"
		   "status,quantity\n");
	for (size_t i = 0; i < n; i++) {
		size_t donor = i / 2;
		int c = (int)(donor % NCOLL);
		uint64_t r = next();
		unsigned st = (unsigned)(r % 10);
		const char *m[3], *d[3];

		coll_values(c, m, d);
		fprintf(f,
			"S-%08x,coll-%03d,%s,temperature-60to-85,%s,%s,%u,"
			"YEAR,D-%08zx,2019-05-%02u,%s,%.1f\n",
			(uint32_t)(i * 2654435761u), c, m[(r >> 8) % 3],
			d[(donor / NCOLL) % 3], donor % 2 ? "MALE" : "FEMALE",
			(unsigned)(18 + (donor / 7) % 73), donor,
			(unsigned)(1 + (r >> 24) % 28),
			st < 7 ? "available" : st < 9 ? "reserved" : "exhausted",
			(double)((r >> 32) % 1000) / 10.0);
	}
	fclose(f);
}

/*
 * Text of the searchable records: words drawn from a Zipf distribution
 * over 5,000 words, as in real prose: common words first (ranks 1-20),
 * then the domain's (21-60), then a long tail of rarer terms.  A domain
 * word then occurs in a few percent of the records, as "myeloma" would.
 */
static const char *const common[] = {
	"study", "patients", "clinical", "research", "data", "analysis",
	"samples", "group", "cohort", "disease", "health", "risk", "care",
	"treatment", "outcomes", "population", "network", "hospital",
	"translational", "biomedical"};
static const char *const domain[] = {
	"cancer",     "breast",      "tumour",     "genomics",   "cardiology",
	"ageing",     "dementia",    "diabetes",   "immunology", "leukaemia",
	"myeloma",    "imaging",     "proteomics", "sequencing", "paediatric",
	"rare",       "epidemiology", "infection", "microbiome", "liver",
	"kidney",     "lung",        "colorectal", "prostate",   "melanoma",
	"stroke",     "obesity",     "asthma",     "vaccine",    "transplant",
	"stem",       "therapy",     "biomarker",  "screening",  "nutrition",
	"metabolism", "neurology",   "psychiatry", "sleep",      "frailty"};
#define NVOCAB 5000
static double zipf_cdf[NVOCAB];

static void zipf_init(void)
{
	double sum = 0;

	for (int r = 0; r < NVOCAB; r++)
		zipf_cdf[r] = (sum += 1.0 / (r + 1));
	for (int r = 0; r < NVOCAB; r++)
		zipf_cdf[r] /= sum;
}

static const char *word(char tmp[16])
{
	double u = (double)(next() >> 11) / 9007199254740992.0;
	int lo = 0, hi = NVOCAB - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < 20)
		return common[lo];
	if (lo < 60)
		return domain[lo - 20];
	snprintf(tmp, 16, "term%04d", lo);
	return tmp;
}

static void write_records(const char *dir, size_t n)
{
	char path[600], t[8][16];
	FILE *g, *c;

	zipf_init();
	snprintf(path, sizeof(path), "%s/research_groups.csv", dir);
	g = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/collections.csv", dir);
	c = fopen(path, "w");
	fprintf(g, "id,name,areas,keywords,lead,description\n");
	fprintf(c, "id,biobank,name,description,diagnosis_available\n");
	for (size_t i = 0; i < n; i++) {
		const char *w[8];
		char desc[512];
		size_t dl = 0;

		for (int k = 0; k < 8; k++)
			w[k] = word(t[k]);
		/* a description of 15 words */
		for (int k = 0; k < 15; k++) {
			char tmp[16];
			const char *x = word(tmp);
			dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl,
					       "%s%s", k ? " " : "", x);
		}
		if (i % 2)
			fprintf(g,
				"rg-%06zu,%s and %s research group %zu,%s,"
				"\"%s,%s\",Lead %zu,%s.\n",
				i, w[0], w[1], i, w[2], w[3], w[4], i, desc);
		else
			fprintf(c,
				"coll-%06zu,bb-1,%s %s collection %zu,%s.,%s\n",
				i, w[5], w[6], i, desc, dis[i % NDIS]);
	}
	fclose(g);
	fclose(c);
}

/* Median wall time of RUNS runs of a query, output to /dev/null. */
static double time_query(sqlite3 *db, const struct query_opts *q,
			 const char *search)
{
	double t[RUNS];
	FILE *devnull = fopen("/dev/null", "w");

	for (int r = 0; r < RUNS; r++) {
		struct out *o;
		struct bf_err err;
		uint64_t t0 = bf_mono_ns();
		int rc;

		out_new(devnull, OUT_JSON, &o);
		rc = search ? qsearch_run(db, search, NULL, 20, 0, o, &err)
			    : query_run(db, q, o, &err);
		if (rc)
			die("query", &err);
		if (out_end(o, &err))
			die("output", &err);
		t[r] = secs(t0, bf_mono_ns()) * 1e3;
	}
	fclose(devnull);
	return percentile(t, RUNS, 50);
}

static long count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int main(int argc, char **argv)
{
	size_t nsamples = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t nrecords = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	char tmpl[] = "/tmp/biofed-benchq.XXXXXX", path[512], cmd[600];
	char *dir = mkdtemp(tmpl);
	struct node_init ni = {0};
	struct node a, r;
	struct bf_err err;
	struct publish_opts po = {0};
	struct publish_result pres;
	struct samples_opts so = {0};
	struct samples_result sres;
	struct query_opts q;
	char coord[65], slug[64];
	uint64_t t0, t1;
	double c0;
	int changed;
	double ms;
	static const char *const searches[] = {
		"breast cancer", "myeloma", "stem cell therapy", "proteo*",
		"dementia OR stroke", "clinical research"};

	if (!dir)
		die("mkdtemp", NULL);
	bench_machine();
	snprintf(path, sizeof(path), "%s/collections.csv", dir);
	write_collections(path);
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	write_samples(path, nsamples);

	snprintf(path, sizeof(path), "%s/a", dir);
	ni.dir = path;
	ni.slug = "bench";
	ni.name = "Benchmark biobank";
	ni.country = "ES";
	ni.coordinator = 1;
	if (node_init(&ni, coord, &err))
		die("init", &err);
	if (node_open(&a, path, NODE_KEY, &err))
		die("open", &err);
	snprintf(path, sizeof(path), "%s/a/identity.json", dir);
	if (roster_add(&a, path, 0, &changed, slug, &err))
		die("roster", &err);
	snprintf(path, sizeof(path), "%s/biobank.json", dir);
	if (bench_write_refs(path, 0))
		die("write biobank.json", NULL);
	po.path = path;
	if (publish_file(&a, &po, &pres, &err))
		die("publish the biobank", &err);
	snprintf(path, sizeof(path), "%s/collections.csv", dir);
	po.path = path;
	if (publish_file(&a, &po, &pres, &err))
		die("publish collections", &err);

	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	so.file.path = path;
	c0 = cpu();
	t0 = bf_mono_ns();
	if (samples_import(&a, &so, &sres, &err))
		die("samples import", &err);
	t1 = bf_mono_ns();
	printf("samples import + derive facts: %zu samples, %zu facts "
	       "(%zu rounded up), %zu change sets: %.2f s, CPU %.2f s "
	       "(target < 10 s)\n",
	       sres.import.inserted, sres.facts.inserted, sres.rounded,
	       sres.facts.changesets, secs(t0, t1), cpu() - c0);
	c0 = cpu();
	t0 = bf_mono_ns();
	if (samples_import(&a, &so, &sres, &err))
		die("samples re-import", &err);
	t1 = bf_mono_ns();
	printf("re-import unchanged: %.2f s, CPU %.2f s, %zu samples written, "
	       "%zu change sets\n",
	       secs(t0, t1), cpu() - c0,
	       sres.import.inserted + sres.import.updated + sres.import.deleted,
	       sres.facts.changesets);

	/* the 100,000 searchable records */
	write_records(dir, nrecords);
	snprintf(path, sizeof(path), "%s/research_groups.csv", dir);
	po.path = path;
	t0 = bf_mono_ns();
	if (publish_file(&a, &po, &pres, &err))
		die("publish groups", &err);
	snprintf(path, sizeof(path), "%s/collections.csv", dir);
	po.path = path;
	/* the 200 sampled collections stay: only add */
	if (publish_file(&a, &po, &pres, &err))
		die("publish records", &err);
	t1 = bf_mono_ns();
	printf("publish %zu searchable records (full-text indexed by "
	       "triggers): %.2f s\n",
	       nrecords, secs(t0, t1));
	node_close(&a);

	snprintf(path, sizeof(path), "%s/a", dir);
	if (node_open(&r, path, NODE_RDONLY, &err))
		die("open read-only", &err);
	sqlite3 *db = store_db(r.store);
	printf("replica: %ld samples, %ld facts, %ld indexed records\n",
	       count_rows(db, "SELECT count(*) FROM sample"),
	       count_rows(db, "SELECT count(*) FROM collection_fact"),
	       count_rows(db, "SELECT count(*) FROM search_doc"));

	memset(&q, 0, sizeof(q));
	q.count_by = QC_INSTITUTION;
	q.kind = Q_SAMPLES;
	ms = time_query(db, &q, NULL);
	printf("count-by institution over this node's %zu samples (query "
	       "samples: a scan with distinct donors; local, not the network "
	       "query): %.1f ms\n",
	       nsamples, ms);
	q.f.availability = "available";
	q.f.material = "SERUM";
	q.f.disease = "C50";
	q.f.sex = "FEMALE";
	q.f.age = "40-60";
	ms = time_query(db, &q, NULL);
	printf("  with filters (available SERUM, C50, FEMALE, 40-60): %.1f ms\n",
	       ms);
	memset(&q.f, 0, sizeof(q.f));
	q.kind = Q_FACTS;
	ms = time_query(db, &q, NULL);
	printf("count-by institution over the facts of the %zu samples (query "
	       "facts, what the network sees): %.1f ms (target < 50 ms)\n",
	       nsamples, ms);
	q.f.availability = "available";
	q.f.material = "SERUM";
	q.f.disease = "C50";
	q.f.sex = "FEMALE";
	q.f.age = "40-60";
	ms = time_query(db, &q, NULL);
	printf("  with filters (available SERUM, C50, FEMALE, 40-60): %.1f ms\n",
	       ms);
	for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
		ms = time_query(db, NULL, searches[i]);
		printf("search \"%s\" over %zu records (top 20): %.1f ms "
		       "(target < 20 ms)\n",
		       searches[i], nrecords, ms);
	}
	node_close(&r);
	if (getenv("BENCH_KEEP")) { /* to look at the replica afterwards */
		printf("kept %s\n", dir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_query: could not remove %s\n", dir);
	return 0;
}
