/*
 * biofed log and biofed verify: inspect the replica's change-set log.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

struct log_ctx {
	json_t *arr;
};

static int log_cb(void *vctx, const struct store_cs_entry *e)
{
	struct log_ctx *x = vctx;
	char hex[65], when[32];
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;

	bf_hex(e->hash, CS_HASH_LEN, hex);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (x->arr)
		return json_array_append_new(
			x->arr,
			json_pack("{s:s, s:I, s:s, s:I, s:I, s:s}", "origin",
				  e->origin, "seq", (json_int_t)e->seq, "time",
				  when, "rows", (json_int_t)e->nrows, "bytes",
				  (json_int_t)e->len, "hash", hex));
	printf("%-20s %8llu  %s  %8llu rows  %s\n", e->origin,
	       (unsigned long long)e->seq, when, (unsigned long long)e->nrows,
	       hex);
	return 0;
}

int cmd_log(struct cli *c, int argc, char **argv)
{
	const char *origin = NULL;
	enum out_format fmt = OUT_TABLE;
	const struct cli_opt opts[] = {
		{.name = "origin", .kind = CLI_STR, .to = &origin},
		{.name = "format", .kind = CLI_FORMAT, .to = &fmt},
		{0}};
	struct log_ctx x = {NULL};
	struct node n;
	struct bf_err err;
	int rc, json;

	if (cli_parse(c, argc, argv, opts, 0, 0, "") ||
	    cli_open(c, &n, NODE_RDONLY))
		return c->status;
	json = fmt == OUT_JSON;
	if (json)
		x.arr = json_array();
	else
		printf("%-20s %8s  %-20s  %13s  %s\n", "ORIGIN", "SEQ", "TIME",
		       "ROWS", "HASH");
	rc = store_changesets(n.store, origin, 0, log_cb, &x, &err);
	node_close(&n);
	if (json) {
		if (!rc) {
			json_dumpf(x.arr, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		}
		json_decref(x.arr);
	}
	return rc ? cli_fail("log: %s", err.msg) : 0;
}

static void verify_report(void *ctx, const char *msg)
{
	(void)ctx;
	printf("problem: %s\n", msg);
}

int cmd_verify(struct cli *c, int argc, char **argv)
{
	struct node n;
	struct bf_err err;
	uint8_t digest[CS_HASH_LEN];
	uint64_t rows = 0, problems = 0;
	char hex[65];
	int rc;

	if (cli_parse(c, argc, argv, NULL, 0, 0, "") ||
	    cli_open(c, &n, NODE_RDONLY))
		return c->status;
	rc = store_verify(n.store, digest, &rows, &problems, verify_report,
			  NULL, &err);
	node_close(&n);
	if (rc && !problems)
		return cli_fail("verify: %s", err.msg);
	bf_hex(digest, CS_HASH_LEN, hex);
	printf("rows: %llu\n", (unsigned long long)rows);
	printf("problems: %llu\n", (unsigned long long)problems);
	printf("digest: %s\n", hex);
	return problems ? 1 : 0;
}
