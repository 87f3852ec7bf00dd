/* Unit tests of biofedd's monitor (daemon/monitor.h): refused change sets
 * sorted by store_apply's messages, the lag bookkeeping (since when the
 * node has known of the first seq it lacks, as its replica moves on; a
 * full mark table errs short), refused connections (repeats merge, newest
 * first, bounded), the apply counters and rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../daemon/monitor.h"

static void reject_reasons(void **state)
{
	static const struct {
		int rc;
		const char *msg;
		enum mon_reject want;
	} cases[] = {
		{BF_EFORK, "fork: applied seq 2 has hash ...", MON_REJ_FORK},
		{BF_ECRYPTO, "changeset a/3: signature does not verify with the "
			     "key of a valid at this seq", MON_REJ_SIGNATURE},
		{BF_ENOENT, "changeset x/1: x is not a roster member",
		 MON_REJ_MEMBERSHIP},
		{BF_ECRYPTO, "changeset a/9: a is revoked from seq 5 (this is "
			     "seq 9)", MON_REJ_MEMBERSHIP},
		{BF_EINVAL, "changeset a/7: gap: the next seq of a is 5",
		 MON_REJ_GAP},
		{BF_EINVAL, "changeset a/5: prev 00... is not the hash of seq 4 "
			    "(ab...)", MON_REJ_CHAIN},
		{BF_EINVAL, "changeset a/5: origin a forked at seq 3: nothing "
			    "further is applied from it", MON_REJ_FORKED},
		{BF_EINVAL, "changeset a/2: row 1: wrong owner: only the "
			    "coordinator writes institution", MON_REJ_OWNERSHIP},
		{BF_EINVAL, "changeset: offset 4: not a change set (magic)",
		 MON_REJ_MALFORMED},
		{BF_EINVAL, "changeset a/2: row 1: collection.size: not an "
			    "integer", MON_REJ_INVALID},
		{BF_EIO, "sqlite: database is locked", MON_REJ_LOCAL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(
			mon_reject_names[mon_reject_reason(cases[i].rc,
							   cases[i].msg)],
			mon_reject_names[cases[i].want]);
}

static void lag(void **state)
{
	struct monitor m;
	uint64_t high, since;

	(void)state;
	monitor_init(&m, 0);
	/* nothing lacking: nothing kept */
	assert_int_equal(monitor_learn(&m, "b", 5, 5, 100), 0);
	assert_int_equal(m.no, 0);
	monitor_lag(&m, "b", 5, &high, &since);
	assert_int_equal(high, 5);
	assert_int_equal(since, 0);
	/* seq 10 heard of at 1000, seq 20 at 2000, the replica at 5 */
	monitor_learn(&m, "b", 5, 10, 1000);
	monitor_learn(&m, "b", 5, 8, 1500); /* nothing new */
	monitor_learn(&m, "b", 5, 20, 2000);
	monitor_lag(&m, "b", 5, &high, &since);
	assert_int_equal(high, 20);
	assert_int_equal(since, 1000);
	/* the replica reaches 10: what it lacks now was heard of at 2000 */
	monitor_lag(&m, "b", 10, &high, &since);
	assert_int_equal(since, 2000);
	monitor_lag(&m, "b", 12, &high, &since);
	assert_int_equal(since, 2000);
	monitor_lag(&m, "b", 20, &high, &since);
	assert_int_equal(high, 20);
	assert_int_equal(since, 0);
	/* origins are kept sorted */
	monitor_learn(&m, "a", 0, 3, 3000);
	monitor_learn(&m, "c", 0, 1, 3000);
	assert_int_equal(m.no, 3);
	assert_string_equal(m.o[0].origin, "a");
	assert_string_equal(m.o[2].origin, "c");
	/* a learn prunes what the replica holds */
	monitor_learn(&m, "b", 15, 21, 4000);
	assert_int_equal(m.o[1].nlearnt, 2);
	assert_int_equal(m.o[1].learnt[0].seq, 20);
	monitor_free(&m);
}

static void lag_marks_full(void **state)
{
	struct monitor m;
	uint64_t high, since;

	(void)state;
	monitor_init(&m, 0);
	for (uint64_t i = 1; i <= MON_LEARNT + 8; i++)
		monitor_learn(&m, "b", 0, i, i * 1000);
	assert_int_equal(m.o[0].nlearnt, MON_LEARNT);
	monitor_lag(&m, "b", 0, &high, &since);
	assert_int_equal(high, MON_LEARNT + 8);
	/* the oldest marks merged into later ones: the lag errs short */
	assert_int_equal(since, 9000);
	monitor_free(&m);
}

static void refusals(void **state)
{
	struct monitor m;

	(void)state;
	monitor_init(&m, 0);
	monitor_refused(&m, MON_REF_HELLO, 1, "127.0.0.1:5", "x", "denied", 1000);
	monitor_refused(&m, MON_REF_TLS_AUTH, 3, "", "", "tls", 2000);
	monitor_refused(&m, MON_REF_HELLO, 1, "127.0.0.1:5", "x", "again", 3000);
	monitor_refused(&m, MON_REF_GARBAGE, 0, "a", "b", "none", 3500);
	assert_int_equal(m.nrefusal, 2);
	assert_int_equal(m.refusal[0].why, MON_REF_HELLO);
	assert_int_equal(m.refusal[0].count, 2);
	assert_int_equal(m.refusal[0].at_ms, 3000);
	assert_string_equal(m.refusal[0].detail, "again");
	assert_int_equal(m.refused[MON_REF_HELLO], 2);
	assert_int_equal(m.refused[MON_REF_TLS_AUTH], 3);
	assert_int_equal(m.refused[MON_REF_GARBAGE], 0);
	/* a minute later the same is a new entry */
	monitor_refused(&m, MON_REF_HELLO, 1, "127.0.0.1:5", "x", "later", 70000);
	assert_int_equal(m.nrefusal, 3);
	for (int i = 0; i < 40; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.0.0.%d:1", i);
		monitor_refused(&m, MON_REF_GARBAGE, 1, a, "", "", 80000);
	}
	assert_int_equal(m.nrefusal, MON_REFUSALS);
	assert_string_equal(m.refusal[0].address, "10.0.0.39:1");
	assert_int_equal(m.last_refusal_ms, 80000);
	monitor_free(&m);
}

static void apply_and_rate(void **state)
{
	struct monitor m;
	double cs, rows;

	(void)state;
	monitor_init(&m, 0);
	monitor_tick(&m, 1000);
	for (int i = 0; i < 10; i++)
		monitor_apply(&m, 0, NULL, "b", 100, 0.002, 1000);
	monitor_apply(&m, BF_EDUP, "already applied", "b", 0, 0, 1000);
	monitor_apply(&m, BF_ECRYPTO, "changeset a/3: signature does not verify",
		      "b", 0, 0, 1500);
	assert_int_equal(m.applied, 10);
	assert_int_equal(m.rows, 1000);
	assert_int_equal(m.duplicates, 1);
	assert_int_equal(m.rejected[MON_REJ_SIGNATURE], 1);
	assert_int_equal(m.last_reject_why, MON_REJ_SIGNATURE);
	assert_string_equal(m.last_reject_from, "b");
	assert_int_equal(m.apply_seconds.total, 10);
	monitor_rate(&m, 3000, &cs, &rows);
	assert_true(cs > 4.99 && cs < 5.01);
	assert_true(rows > 499 && rows < 501);
	/* at most one sample a second, at most MON_RATE of them */
	monitor_tick(&m, 1500);
	assert_int_equal(m.nrate, 1);
	for (uint64_t t = 2000; t < 2000 + 1000 * (MON_RATE + 5); t += 1000)
		monitor_tick(&m, t);
	assert_int_equal(m.nrate, MON_RATE);
	monitor_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reject_reasons), cmocka_unit_test(lag),
		cmocka_unit_test(lag_marks_full), cmocka_unit_test(refusals),
		cmocka_unit_test(apply_and_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
