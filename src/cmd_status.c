/*
 * biofed status: the verdict on the running node (ok, degraded, down, with
 * the reasons: src/health.h), then what the daemon says about its
 * listener, peers, refusals and, per origin, how far this replica is
 * behind the highest sequence number seen anywhere (lag, in change sets
 * and in seconds).  The exit status is the verdict's, as a Nagios plugin
 * gives it: 0 ok, 1 degraded, 2 down, 3 unknown (usage errors too, so
 * that they cannot pass for "down").
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "control.h"
#include "health.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_number_value(json_object_get(o, k));
}

/* 42s, 3m04s, 2h05m, 3d02h */
static const char *dur(double s, char *out, size_t n)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t < 60)
		snprintf(out, n, "%llus", t);
	else if (t < 3600)
		snprintf(out, n, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, n, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else
		snprintf(out, n, "%llud%02lluh", t / 86400, t % 86400 / 3600);
	return out;
}

/* A Unix time as local time: 14:02:13, or 2026-01-31 14:02 when it is
 * not today. */
static const char *clock_of(json_t *v, char *out, size_t n)
{
	time_t t = (time_t)json_integer_value(v), now = time(NULL);
	struct tm tm, today;

	if (!json_is_integer(v)) {
		snprintf(out, n, "-");
		return out;
	}
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	strftime(out, n,
		 tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year
			 ? "%H:%M:%S"
			 : "%Y-%m-%d %H:%M",
		 &tm);
	return out;
}

static void print_peers(json_t *st)
{
	json_t *v;
	size_t i;
	char a[32], b[32], err[320];

	printf("\npeers (dialed)\n%-30s %-14s %-10s %7s %-9s %10s %10s %6s  %s\n",
	       "ENDPOINT", "MEMBER", "STATE", "FOR", "SINCE", "BYTES IN",
	       "BYTES OUT", "ERRORS", "LAST ERROR");
	json_array_foreach(json_object_get(st, "peers"), i, v) {
		json_t *ago = json_object_get(v, "last_error_s_ago");
		if (!*str(v, "last_error") || !json_is_number(ago) ||
		    json_is_true(json_object_get(v, "last_error_stale")))
			snprintf(err, sizeof(err), "-");
		else
			snprintf(err, sizeof(err), "%.256s (%s ago)",
				 str(v, "last_error"),
				 dur(json_number_value(ago), a, sizeof(a)));
		printf("%-30s %-14s %-10s %7s %-9s %10lld %10lld %6lld  %s\n",
		       str(v, "endpoint"), *str(v, "member") ? str(v, "member") : "?",
		       str(v, "state"),
		       dur(json_number_value(json_object_get(v, "state_s")), a,
			   sizeof(a)),
		       clock_of(json_object_get(v, "state_since"), b, sizeof(b)),
		       num(v, "bytes_in"), num(v, "bytes_out"), num(v, "errors"),
		       err);
	}
	printf("\ninbound connections\n");
	json_array_foreach(json_object_get(st, "inbound"), i, v)
		printf("%-20s %-22s %-14s %7s  errors %lld\n",
		       *str(v, "member") ? str(v, "member") : "(no hello)",
		       str(v, "address"),
		       json_is_true(json_object_get(v, "authenticated"))
			       ? "authenticated"
			       : "in hello",
		       dur(json_number_value(json_object_get(v, "connected_s")),
			   a, sizeof(a)),
		       num(v, "errors"));
}

static void print_refusals(json_t *st)
{
	json_t *v, *last = json_object_get(st, "last_rejected");
	size_t i;
	char a[32];

	if (json_array_size(json_object_get(st, "refused")))
		printf("\nrefused connections (newest first)\n%-8s %-12s %-22s "
		       "%-14s %6s  %s\n",
		       "AGO", "REASON", "ADDRESS", "MEMBER", "COUNT", "DETAIL");
	json_array_foreach(json_object_get(st, "refused"), i, v)
		printf("%-8s %-12s %-22s %-14s %6lld  %s\n",
		       dur(json_number_value(json_object_get(v, "s_ago")), a,
			   sizeof(a)),
		       str(v, "reason"),
		       *str(v, "address") ? str(v, "address") : "(unknown)",
		       *str(v, "member") ? str(v, "member") : "-",
		       num(v, "count"), str(v, "detail"));
	if (json_is_object(last))
		printf("\nlast refused change set: %s ago, from %s (%s): %s\n",
		       dur(json_number_value(json_object_get(last, "s_ago")), a,
			   sizeof(a)),
		       str(last, "from"), str(last, "reason"),
		       str(last, "error"));
}

static void print_origins(json_t *st)
{
	json_t *v;
	size_t i;
	char a[32];

	printf("\n%-20s %10s %12s %8s %8s  %s\n", "ORIGIN", "SEQ",
	       "HIGHEST SEEN", "LAG", "LAG FOR", "FORK");
	json_array_foreach(json_object_get(st, "origins"), i, v) {
		char fork[48] = "-";
		if (num(v, "forked_at") > 0)
			snprintf(fork, sizeof(fork), "FORKED at seq %lld",
				 num(v, "forked_at"));
		printf("%-20s %10lld %12lld %8lld %8s  %s\n", str(v, "origin"),
		       num(v, "seq"), num(v, "highest_seen"), num(v, "lag"),
		       num(v, "lag") ? dur(json_number_value(json_object_get(
						   v, "lag_s")),
					   a, sizeof(a))
				     : "-",
		       fork);
	}
}

static void print_fetch(json_t *st)
{
	json_t *v, *m = json_object_get(st, "metrics");
	size_t i;
	char a[32], b[32];

	if (json_array_size(json_object_get(st, "fetch")))
		printf("\n%-20s %-8s %12s  %s\n", "SOURCE", "STATE",
		       "LAST SUCCESS", "LAST ERROR");
	json_array_foreach(json_object_get(st, "fetch"), i, v) {
		json_t *ok = json_object_get(v, "last_success_s_ago");
		printf("%-20s %-8s %12s  %s%s%s\n", str(v, "source"),
		       json_is_true(json_object_get(v, "failing")) ? "failing"
								   : "ok",
		       json_is_number(ok)
			       ? dur(json_number_value(ok), a, sizeof(a))
			       : "never",
		       str(v, "last_error"), *str(v, "last_error") ? " " : "",
		       *str(v, "last_error")
			       ? dur(json_number_value(json_object_get(
					     v, "last_error_s_ago")),
				     b, sizeof(b))
			       : "");
	}
	if (*str(m, "address"))
		printf("\nmetrics: %s\n",
		       json_is_true(json_object_get(m, "serving"))
			       ? str(m, "address")
			       : str(m, "error"));
}

static void print_table(json_t *st, const struct health_result *h)
{
	printf("%s", health_word(h->verdict));
	for (size_t i = 0; i < h->nreasons; i++)
		printf("%s%s", i ? "; " : ": ", h->reasons[i]);
	printf("\n");
	if (!json_is_object(st))
		return;
	/* listen = none: the node only dials, and says so */
	printf("node %s (pid %lld, up %lld s), listener %s %s, applied %lld, "
	       "refused %lld\n",
	       str(st, "node"), num(st, "pid"), num(st, "uptime_s"),
	       str(st, "listener"),
	       strcmp(str(st, "listen"), "none") == 0
		       ? "(listen = none: outbound-only, dials its peers and "
			 "accepts no connections)"
		       : str(st, "listen"),
	       num(st, "applied"), num(st, "rejected"));
	print_peers(st);
	print_refusals(st);
	print_origins(st);
	print_fetch(st);
}

/* On a terminal, while the node catches up: how far, how fast, how long. */
static void print_progress(json_t *st)
{
	json_t *c = json_object_get(st, "catchup"), *eta;
	double rate, per;
	long long behind;
	char a[32];

	if (!isatty(STDERR_FILENO) || !json_is_object(c) ||
	    (behind = num(c, "behind")) <= 0)
		return;
	rate = json_number_value(json_object_get(c, "changesets_per_s"));
	per = json_number_value(json_object_get(c, "rows_per_changeset"));
	eta = json_object_get(c, "eta_s");
	fprintf(stderr, "catching up: %lld change set(s) behind", behind);
	if (per > 0)
		fprintf(stderr, " (about %.0f rows)", per * (double)behind);
	if (rate > 0 && json_is_number(eta))
		fprintf(stderr, ", %.1f change sets/s, about %s left\n", rate,
			dur(json_number_value(eta), a, sizeof(a)));
	else
		fprintf(stderr, ", nothing applied in the last 30 s\n");
}

/* The node directory must be there and readable before a missing
 * control socket can mean "not running". */
static int check_dir(const char *dir, struct health_result *h)
{
	char path[PATH_MAX + 32];
	struct stat sb;

	errno = 0;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(dir, R_OK | X_OK) != 0) {
		health_set(h, HEALTH_UNKNOWN, "cannot read the node directory %s: %s",
			   dir, errno ? strerror(errno) : "not a directory");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, NODE_CONF);
	if (access(path, R_OK) != 0) {
		health_set(h, HEALTH_UNKNOWN, "%s is not a node directory (%s: %s)",
			   dir, NODE_CONF, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, CONTROL_FILE);
	if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
		health_set(h, HEALTH_UNKNOWN,
			   "no permission to use %s (run status as the node's "
			   "user)",
			   path);
		return -1;
	}
	return 0;
}

static int limit_opt(struct cli *c, const char *opt, const char *v,
		     double *out)
{
	uint64_t x;

	if (cli_uint(c, opt, v, &x) != 0)
		return -1;
	*out = (double)x;
	return 0;
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"format", required_argument, 0, 'f'},
		{"down-after", required_argument, 0, 'D'},
		{"lag-warn", required_argument, 0, 'L'},
		{"recent", required_argument, 0, 'R'},
		{0, 0, 0, 0}};
	struct health_limits lim;
	struct health_result h;
	struct bf_err err;
	char *reply = NULL;
	json_t *st = NULL, *out;
	enum out_format fmt = OUT_TABLE;
	int ch, json, rc;

	/* usage errors exit 3, as the command table says for status */
	health_default_limits(&lim);
	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		switch (ch) {
		case 'f':
			if (cli_format(c, optarg, 0, &fmt) != 0)
				return HEALTH_UNKNOWN;
			break;
		case 'D':
		case 'L':
		case 'R':
			if (limit_opt(c,
				      ch == 'D' ? "--down-after"
				      : ch == 'L' ? "--lag-warn"
						  : "--recent",
				      optarg,
				      ch == 'D' ? &lim.down_after_s
				      : ch == 'L' ? &lim.lag_warn_s
						  : &lim.recent_s))
				return HEALTH_UNKNOWN;
			break;
		default: return c->status;
		}
	}
	if (cli_operands(c, argc, argv, 0, 0, "") != 0)
		return HEALTH_UNKNOWN;
	json = fmt == OUT_JSON;
	if (check_dir(c->dir, &h) == 0) {
		rc = control_request(c->dir, "status", 5000, &reply, &err);
		if (rc == BF_ENOENT)
			health_set(&h, HEALTH_DOWN, "%s", err.msg);
		else if (rc != 0)
			health_set(&h, HEALTH_DOWN,
				   "biofedd does not answer: %s", err.msg);
		else
			health_judge_reply(reply, strlen(reply), &lim, &h, &st);
	}
	if (json) {
		json_t *reasons = json_array();
		for (size_t i = 0; i < h.nreasons; i++)
			json_array_append_new(reasons, json_string(h.reasons[i]));
		out = json_pack("{s:{s:s, s:i, s:o}}", "health", "verdict",
				health_word(h.verdict), "exit", (int)h.verdict,
				"reasons", reasons);
		if (st)
			json_object_update(out, st);
		if (out) {
			char *text = json_dumps(out, JSON_COMPACT);
			if (text)
				printf("%s\n", text);
			free(text);
		}
		json_decref(out);
	} else {
		print_table(st, &h);
	}
	if (st)
		print_progress(st);
	json_decref(st);
	free(reply);
	return (int)h.verdict;
}
