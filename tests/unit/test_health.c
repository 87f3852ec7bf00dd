/* Unit tests of the status verdict (health.h): each rule on a status
 * reply as biofedd sends it (PROTOCOL.md section 8), the thresholds, the
 * order of the reasons (down first), and replies it cannot judge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

/* A healthy node: one dialed peer connected, one member dialed in. */
static json_t *healthy(void)
{
	json_error_t je;
	json_t *st = json_loads(
		"{\"node\": \"a\", \"listen\": \"tls+tcp://127.0.0.1:7400\","
		" \"listener\": \"listening\", \"members\": 2, \"no_link_s\": 0,"
		" \"peers\": [{\"endpoint\": \"tls+tcp://127.0.0.1:7401\","
		"   \"member\": \"b\", \"state\": \"connected\", \"state_s\": 50,"
		"   \"last_error\": \"\"}],"
		" \"inbound\": [{\"member\": \"c\", \"authenticated\": true}],"
		" \"origins\": [{\"origin\": \"b\", \"seq\": 3, \"lag\": 0,"
		"   \"lag_s\": 0, \"forked_at\": 0}],"
		" \"own_behind\": 0, \"last_rejected\": null, \"refused\": [],"
		" \"fetch\": [], \"metrics\": {\"address\": \"\", \"serving\": false,"
		"   \"error\": \"\"}}",
		0, &je);
	assert_non_null(st);
	return st;
}

static json_t *peer(json_t *st, size_t i)
{
	return json_array_get(json_object_get(st, "peers"), i);
}

static void judge(json_t *st, struct health_result *h)
{
	struct health_limits lim;

	health_default_limits(&lim);
	health_judge(st, &lim, h);
}

static void has_reason(const struct health_result *h, const char *part)
{
	for (size_t i = 0; i < h->nreasons; i++)
		if (strstr(h->reasons[i], part))
			return;
	fail_msg("no reason has \"%s\" (%zu reasons, first: %s)", part,
		 h->nreasons, h->nreasons ? h->reasons[0] : "");
}

static void ok_when_healthy(void **state)
{
	struct health_result h;
	json_t *st = healthy();

	(void)state;
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	assert_int_equal(h.nreasons, 0);
	assert_string_equal(health_word(h.verdict), "ok");
	json_decref(st);
}

static void peer_down(void **state)
{
	struct health_result h;
	json_t *st = healthy(), *p = peer(st, 0);

	(void)state;
	json_object_set_new(p, "state", json_string("down"));
	json_object_set_new(p, "state_s", json_real(12.4));
	json_object_set_new(p, "last_error", json_string("Connection reset"));
	judge(st, &h);
	/* a member still dials in: a link is up, so degraded, not down */
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	assert_int_equal(h.nreasons, 1);
	assert_string_equal(h.reasons[0], "peer b (tls+tcp://127.0.0.1:7401) "
					  "down for 12 s: Connection reset");
	/* a peer still connecting after start is no reason */
	json_object_set_new(p, "state", json_string("connecting"));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_decref(st);
}

static void no_link(void **state)
{
	struct health_result h;
	json_t *st = healthy(), *p = peer(st, 0);

	(void)state;
	json_array_clear(json_object_get(st, "inbound"));
	json_object_set_new(p, "state", json_string("down"));
	json_object_set_new(st, "no_link_s", json_real(30));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	has_reason(&h, "no peer reachable for 30 s");
	/* past --down-after: down, and that reason first */
	json_object_set_new(st, "no_link_s", json_real(61));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DOWN);
	assert_non_null(strstr(h.reasons[0], "no peer reachable for 61 s"));
	assert_non_null(strstr(h.reasons[1], "peer b"));
	/* just started: peers still connecting, no reason yet */
	json_object_set_new(p, "state", json_string("connecting"));
	json_object_set_new(st, "no_link_s", json_real(3));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_decref(st);
}

static void listen_only(void **state)
{
	struct health_result h;
	json_t *st = healthy();

	(void)state;
	json_array_clear(json_object_get(st, "peers"));
	json_array_clear(json_object_get(st, "inbound"));
	json_object_set_new(st, "no_link_s", json_real(30));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_object_set_new(st, "no_link_s", json_real(120));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	has_reason(&h, "no member has connected for 120 s");
	/* alone in the federation: nobody to wait for */
	json_object_set_new(st, "members", json_integer(0));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_decref(st);
}

static void listener(void **state)
{
	struct health_result h;
	json_t *st = healthy();

	(void)state;
	json_object_set_new(st, "listener", json_string("failed"));
	json_object_set_new(st, "own_behind", json_integer(7));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DOWN);
	assert_non_null(strstr(h.reasons[0], "not listening on tls+tcp://"));
	has_reason(&h, "up to seq 7");
	/* before the roster arrives, or outbound-only: nothing wrong */
	json_object_set_new(st, "own_behind", json_integer(0));
	json_object_set_new(st, "listener", json_string("no-roster"));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_object_set_new(st, "listener", json_string("off"));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_decref(st);
}

static void origins(void **state)
{
	struct health_result h;
	struct health_limits lim;
	json_t *st = healthy();
	json_t *o = json_array_get(json_object_get(st, "origins"), 0);

	(void)state;
	health_default_limits(&lim);
	json_object_set_new(o, "lag", json_integer(4));
	json_object_set_new(o, "lag_s", json_real(120));
	health_judge(st, &lim, &h);
	assert_int_equal(h.verdict, HEALTH_OK); /* under 300 s */
	lim.lag_warn_s = 60;
	health_judge(st, &lim, &h);
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	assert_string_equal(h.reasons[0],
			    "origin b lags 4 change set(s), for 120 s");
	/* a forked origin lags for ever: the fork is the reason */
	json_object_set_new(o, "forked_at", json_integer(2));
	health_judge(st, &lim, &h);
	assert_int_equal(h.nreasons, 1);
	has_reason(&h, "origin b forked at seq 2");
	json_decref(st);
}

static void refusals(void **state)
{
	struct health_result h;
	json_error_t je;
	json_t *st = healthy();

	(void)state;
	json_object_set_new(st, "last_rejected",
			    json_loads("{\"s_ago\": 30, \"from\": \"b\", \"reason\":"
				       " \"signature\", \"error\": \"bad\"}",
				       0, &je));
	json_object_set_new(
		st, "refused",
		json_loads("[{\"reason\": \"hello\", \"count\": 2, \"s_ago\": 5,"
			   " \"address\": \"127.0.0.1:4000\", \"member\": \"x\","
			   " \"detail\": \"not a current member\"},"
			   " {\"reason\": \"tls-auth\", \"count\": 3, \"s_ago\": 9,"
			   " \"address\": \"\", \"member\": \"\", \"detail\": \"\"},"
			   " {\"reason\": \"garbage\", \"count\": 9, \"s_ago\": 900,"
			   " \"address\": \"\", \"member\": \"\", \"detail\": \"\"}]",
			   0, &je));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	has_reason(&h, "change sets refused, the last 30 s ago from b "
		       "(signature): bad");
	/* 2 + 3 in the last 600 s; the one 900 s ago does not count */
	has_reason(&h, "5 connection(s) refused in the last 600 s, the last "
		       "hello from 127.0.0.1:4000 (x): not a current member");
	json_object_set_new(st, "last_rejected",
			    json_loads("{\"s_ago\": 601}", 0, &je));
	json_array_clear(json_object_get(st, "refused"));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_OK);
	json_decref(st);
}

static void fetch_and_metrics(void **state)
{
	struct health_result h;
	json_error_t je;
	json_t *st = healthy();

	(void)state;
	json_object_set_new(
		st, "fetch",
		json_loads("[{\"source\": \"cordis\", \"failing\": true,"
			   " \"last_error_s_ago\": 40, \"last_error\": \"HTTP 503\"},"
			   " {\"source\": \"other\", \"failing\": false}]",
			   0, &je));
	json_object_set_new(st, "metrics",
			    json_loads("{\"address\": \"127.0.0.1:9464\", "
				       "\"serving\": false, \"error\": "
				       "\"Address in use\"}",
				       0, &je));
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_DEGRADED);
	assert_int_equal(h.nreasons, 2);
	has_reason(&h, "fetch source cordis failing (40 s ago): HTTP 503");
	has_reason(&h, "metrics not served on 127.0.0.1:9464: Address in use");
	json_decref(st);
}

static void not_understood(void **state)
{
	struct health_result h;
	json_t *st = json_pack("{s:s}", "node", "a");

	(void)state;
	judge(st, &h);
	assert_int_equal(h.verdict, HEALTH_UNKNOWN);
	judge(NULL, &h);
	assert_int_equal(h.verdict, HEALTH_UNKNOWN);
	health_set(&h, HEALTH_DOWN, "biofedd is not running for %s", "/x");
	assert_int_equal(h.verdict, HEALTH_DOWN);
	assert_string_equal(h.reasons[0], "biofedd is not running for /x");
	assert_string_equal(health_word(HEALTH_UNKNOWN), "unknown");
	json_decref(st);
}

/* The reply as text, as biofed status receives it. */
static void replies(void **state)
{
	static const char error[] = "{\"error\":\"permission denied\"}";
	struct health_limits lim;
	struct health_result h;
	json_t *st = healthy(), *got = (json_t *)1;
	char *text = json_dumps(st, JSON_COMPACT);

	(void)state;
	health_default_limits(&lim);
	assert_non_null(text);
	health_judge_reply(text, strlen(text), &lim, &h, &got);
	assert_int_equal(h.verdict, HEALTH_OK);
	assert_non_null(got);
	assert_true(json_equal(got, st));
	json_decref(got);

	health_judge_reply(error, sizeof(error) - 1, &lim, &h, &got);
	assert_int_equal(h.verdict, HEALTH_UNKNOWN);
	assert_string_equal(h.reasons[0],
			    "the daemon answered: permission denied");
	assert_null(got);

	health_judge_reply("{\"node\"", 8, &lim, &h, &got);
	assert_int_equal(h.verdict, HEALTH_UNKNOWN);
	assert_string_equal(h.reasons[0], "the daemon answered: not JSON");
	assert_null(got);

	/* JSON, but not a status object: judged not understood */
	health_judge_reply("[1]", 3, &lim, &h, &got);
	assert_int_equal(h.verdict, HEALTH_UNKNOWN);
	has_reason(&h, "not understood");
	json_decref(got);
	free(text);
	json_decref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_when_healthy),
		cmocka_unit_test(peer_down),
		cmocka_unit_test(no_link),
		cmocka_unit_test(listen_only),
		cmocka_unit_test(listener),
		cmocka_unit_test(origins),
		cmocka_unit_test(refusals),
		cmocka_unit_test(fetch_and_metrics),
		cmocka_unit_test(not_understood),
		cmocka_unit_test(replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
