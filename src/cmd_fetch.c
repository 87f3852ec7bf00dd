/*
 * biofed fetch: pull the configured external sources now, or show their
 * state.  fetch_source runs fetch.h's three steps in this process; the
 * daemon runs the same steps on each source's refresh interval, the
 * download and decoding on a thread of its own.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fetch.h"

/* Errors and retries go to stderr, one line each (the text is already
 * escaped); outcomes are the summary lines on stdout. */
static void log_line(void *ctx, int error, const char *event,
		     const char *source, const char *msg)
{
	(void)ctx;
	if (error || strcmp(event, "fetch-retry") == 0)
		fprintf(stderr, "biofed: %s source=%s: %s\n", event, source,
			msg);
}

static void when(uint64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms) {
		snprintf(out, n, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int wanted(const struct bf_source *src, int argc, char **argv)
{
	if (optind == argc)
		return 1;
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], src->name) == 0)
			return 1;
	return 0;
}

static int show_status(struct node *n, int json, int argc, char **argv)
{
	json_t *arr = json ? json_array() : NULL;

	for (size_t i = 0; i < n->cfg.nsources; i++) {
		const struct bf_source *src = &n->cfg.sources[i];
		struct fetch_state st;
		struct bf_err err;
		char ok[32], bad[32], att[32];
		int have, failing;

		if (!wanted(src, argc, argv))
			continue;
		have = fetch_state_get(n->store, src->name, &st, &err) == 0;
		if (!have)
			memset(&st, 0, sizeof(st));
		failing = st.last_error_ms > st.last_success_ms;
		when(st.last_success_ms, ok, sizeof(ok));
		when(st.last_error_ms, bad, sizeof(bad));
		when(st.last_attempt_ms, att, sizeof(att));
		if (arr) {
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
					  "s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
					  "source", src->name, "url", src->url,
					  "state",
					  !have ? "never fetched"
					  : failing ? "failing"
						    : "ok",
					  "last_attempt", att, "last_success",
					  ok, "last_error_time", bad,
					  "last_error", st.last_error,
					  "last_status",
					  (json_int_t)st.last_status, "records",
					  (json_int_t)st.records, "refused",
					  (json_int_t)st.refused, "pages",
					  (json_int_t)st.pages, "bytes",
					  (json_int_t)st.bytes, "etag",
					  st.v.etag, "last_modified",
					  st.v.last_modified));
			continue;
		}
		printf("%s: %s\n", src->name,
		       !have ? "never fetched" : failing ? "failing" : "ok");
		printf("  url            %s\n", src->url);
		if (!have)
			continue;
		printf("  last attempt   %s (HTTP %ld)\n", att, st.last_status);
		printf("  last success   %s: %llu records", ok,
		       (unsigned long long)st.records);
		if (st.refused)
			printf(" (%llu refused)", (unsigned long long)st.refused);
		printf(", %llu pages, %llu bytes\n",
		       (unsigned long long)st.pages,
		       (unsigned long long)st.bytes);
		if (st.last_error_ms)
			printf("  last error     %s: %s\n", bad, st.last_error);
		if (st.v.etag[0])
			printf("  etag           %s\n", st.v.etag);
		if (st.v.last_modified[0])
			printf("  last modified  %s\n", st.v.last_modified);
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	}
	return 0;
}

static void print_result(const struct bf_source *src,
			 const struct fetch_result *r)
{
	const struct publish_result *p = &r->pub;

	if (r->not_modified) {
		printf("%s: not modified (HTTP 304)\n", src->name);
		return;
	}
	printf("%s: %zu records in %zu page%s", src->name, p->records, r->pages,
	       r->pages == 1 ? "" : "s");
	/* each refused record was reported on stderr with its line */
	if (p->skipped)
		printf(", %zu refused", p->skipped);
	printf(": %zu new, %zu changed, %zu deleted, %zu unchanged; ",
	       p->inserted, p->updated, p->deleted, p->unchanged);
	cli_print_changesets(p, "no change set written");
}

int cmd_fetch(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"status", no_argument, 0, 's'},
		{"format", required_argument, 0, 'f'},
		{"force", no_argument, 0, 'F'},
		{"due", no_argument, 0, 'd'},
		{0, 0, 0, 0}};
	struct fetch_opts fo = {log_line, NULL, stderr, 0};
	int ch, rc, status = 0, due = 0, failed = 0, done = 0;
	enum out_format fmt = OUT_TABLE;
	const char *format = NULL;
	struct node n;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		switch (ch) {
		case 's': status = 1; break;
		case 'F': fo.force = 1; break;
		case 'd': due = 1; break;
		case 'f':
			if ((rc = cli_format(c, optarg, 0, &fmt)) != 0)
				return rc;
			format = optarg;
			break;
		default: return c->status;
		}
	}
	if (format && !status)
		return cli_usage(c, "--format goes with --status (a fetch "
				    "prints one line per source)");
	if (status && (fo.force || due))
		return cli_usage(c, "--status shows the sources; --%s fetches",
				 fo.force ? "force" : "due");
	if (cli_open(c, &n, status ? NODE_RDONLY : NODE_KEY))
		return 1;
	for (int i = optind; i < argc; i++)
		if (!config_source(&n.cfg, argv[i])) {
			node_close(&n);
			return cli_fail("no [source %s] in %s/%s", argv[i],
					c->dir, NODE_CONF);
		}
	if (status) {
		rc = show_status(&n, fmt == OUT_JSON, argc, argv);
		node_close(&n);
		return rc;
	}
	if (n.cfg.nsources == 0) {
		node_close(&n);
		return cli_fail("no sources: add a [source NAME] section to "
				"%s/%s (see conf/biofed.conf.example)",
				c->dir, NODE_CONF);
	}
	for (size_t i = 0; i < n.cfg.nsources; i++) {
		const struct bf_source *src = &n.cfg.sources[i];
		struct fetch_result r;
		struct bf_err err;

		if (!wanted(src, argc, argv) ||
		    (due && !fetch_due(n.store, src, bf_now_ms())))
			continue;
		done++;
		/* the error itself was logged (fetch-error) */
		if (fetch_source(&n, src, &fo, &r, &err) != 0)
			failed++;
		else
			print_result(src, &r);
	}
	node_close(&n);
	if (failed)
		return cli_fail("%d of %d source%s failed; what was fetched "
				"before is kept",
				failed, done, done == 1 ? "" : "s");
	return 0;
}
