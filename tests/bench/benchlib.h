/*
 * benchlib: what several benchmarks share, header-only because every .c in
 * tests/bench/ is a program of its own: the machine line, the
 * collection_fact rows they write and the biobank and collections those
 * refer to, and the plain SQLite insert floor that replication is
 * compared with.
 */
#ifndef BIOFED_TESTS_BENCHLIB_H
#define BIOFED_TESTS_BENCHLIB_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changeset.h"
#include "store.h"

static const char *const bench_sexes[] = {"FEMALE", "MALE"};
static const char *const bench_ages[] = {"0-17",  "18-39", "40-49",
					 "50-59", "60-69", "70-"};
static const char *const bench_mats[] = {"DNA", "SERUM", "PLASMA", "RNA",
					 "TISSUE_FROZEN", "WHOLE_BLOOD"};
static const char *const bench_dis[] = {"C50.9", "C18.7", "C34.1", "I25.1",
					"G30.9", "ORPHA:558", "E11.9", "C61"};
static const char *const bench_av[] = {"available", "reserved", "exhausted"};
/* collection_fact row i is a fact of collection coll-NNNN, NNNN = i % this */
#define BENCH_NCOLL 1000

/* Writes path: a JSON file with the biobank bb-1 and its collections
 * coll-0000 .. coll-(ncoll - 1), the rows that the benchmarks' facts and
 * collections refer to, which publish wants published first.  Returns 0
 * or -1. */
static inline int bench_write_refs(const char *path, size_t ncoll)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "{\"biobank\": [{\"id\": \"bb-1\", \"name\": "
		   "\"Benchmark biobank\", \"country\": \"ES\"}],\n"
		   " \"collection\": [");
	for (size_t i = 0; i < ncoll; i++)
		fprintf(f,
			"%s\n  {\"id\": \"coll-%04zu\", \"biobank\": "
			"\"bb-1\", \"name\": \"Benchmark collection %zu\"}",
			i ? "," : "", i, i);
	fprintf(f, "]}\n");
	return fclose(f) == 0 ? 0 : -1;
}

static inline double bench_secs(uint64_t a_ns, uint64_t b_ns)
{
	return (double)(b_ns - a_ns) / 1e9;
}

/* One line: cores, CPU model, SQLite version, load average (whether the
 * figures had the machine to themselves). */
static inline void bench_machine(void)
{
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			snprintf(model, sizeof(model), "%s", p ? p + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	printf("machine: %ld cores, %s; SQLite %s",
	       sysconf(_SC_NPROCESSORS_ONLN), model, sqlite3_libversion());
	f = fopen("/proc/loadavg", "r");
	if (f && fgets(line, sizeof(line), f))
		printf("; load average %.14s", line);
	if (f)
		fclose(f);
	printf("\n");
}

/* The row encoding of collection_fact row i (fields in name order). */
static inline int bench_fact_rowenc(size_t i, struct bf_buf *b)
{
	char coll[32];
	struct cs_field f[8];
	const char *text[8];
	int64_t num[8] = {0};

	memset(f, 0, sizeof(f));
	snprintf(coll, sizeof(coll), "coll-%04zu", i % BENCH_NCOLL);
	text[0] = bench_ages[(i / 2) % 6];
	text[1] = bench_av[i % 3];
	text[2] = coll;
	text[3] = bench_dis[(i / 72) % 8];
	num[4] = (int64_t)(10 + i % 250);
	num[5] = (int64_t)(10 + i % 500);
	text[6] = bench_mats[(i / 12) % 6];
	text[7] = bench_sexes[i % 2];
	static const char *const names[] = {
		"age_range",	     "availability", "collection",
		"disease",	     "number_of_donors",
		"number_of_samples", "sample_type",  "sex"};
	for (int k = 0; k < 8; k++) {
		f[k].name = (struct cs_str){names[k], strlen(names[k])};
		if (k == 4 || k == 5) {
			f[k].v.type = CS_INT;
			f[k].v.i = num[k];
		} else {
			f[k].v.type = CS_TEXT;
			f[k].v.s = (struct cs_str){text[k], strlen(text[k])};
		}
	}
	return cs_rowenc(b, f, 8);
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v and returns its p-th percentile (nearest rank; 0: the lowest,
 * 50: the median). */
static inline double percentile(double *v, size_t n, double p)
{
	size_t k;

	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? (k > n ? n - 1 : k - 1) : 0];
}

/* The floor: rows collection_fact rows written with a plain prepared
 * INSERT into the same table shape, 1,000 rows per transaction, WAL,
 * synchronous=NORMAL.  Returns rows/s, or -1. */
static inline double bench_plain_insert(const char *dir, size_t rows)
{
	char path[512], id[32], coll[32];
	struct store *s;
	struct bf_err err;
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t t0, t1;
	uint8_t hash[16] = {0};

	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (store_open(path, STORE_CREATE, &s, &err))
		return -1;
	db = store_db(s);
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL", 0, 0, 0);
	if (sqlite3_prepare_v2(
		    db,
		    "INSERT INTO collection_fact(owner, id, rowhash, age_range, "
		    "availability, collection, disease, number_of_donors, "
		    "number_of_samples, sample_type, sex) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		    -1, &st, NULL) != SQLITE_OK) {
		store_close(s);
		return -1;
	}
	t0 = bf_mono_ns();
	for (size_t i = 0; i < rows; i++) {
		if (i % 1000 == 0)
			sqlite3_exec(db, "BEGIN", 0, 0, 0);
		snprintf(id, sizeof(id), "fact-%08zu", i);
		snprintf(coll, sizeof(coll), "coll-%04zu", i % BENCH_NCOLL);
		hash[0] = (uint8_t)i;
		sqlite3_bind_text(st, 1, "bench", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, hash, 16, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, bench_ages[(i / 2) % 6], -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, bench_av[i % 3], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, coll, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, bench_dis[(i / 72) % 8], -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)(10 + i % 250));
		sqlite3_bind_int64(st, 9, (sqlite3_int64)(10 + i % 500));
		sqlite3_bind_text(st, 10, bench_mats[(i / 12) % 6], -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 11, bench_sexes[i % 2], -1,
				  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			store_close(s);
			return -1;
		}
		sqlite3_reset(st);
		if (i % 1000 == 999 || i == rows - 1)
			sqlite3_exec(db, "COMMIT", 0, 0, 0);
	}
	t1 = bf_mono_ns();
	sqlite3_finalize(st);
	store_close(s);
	return (double)rows / bench_secs(t0, t1);
}

#endif
