/*
 * biofed changes: move change sets between nodes as files (offline
 * transfer, and tests before the daemon): the version vector, export of
 * what another node lacks, import with every apply rule.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "schema.h"

static int vv_json_cb(void *ctx, const struct store_vv_entry *e)
{
	json_t *o = ctx;
	char hex[65];

	bf_hex(e->hash, CS_HASH_LEN, hex);
	return json_object_set_new(o, e->origin,
				   json_pack("{s:I, s:s}", "seq",
					     (json_int_t)e->seq, "hash", hex));
}

int cmd_changes_vector(struct cli *c, int argc, char **argv)
{
	struct node n;
	struct bf_err err;
	json_t *o;
	int rc;

	if (cli_parse(c, argc, argv, NULL, 0, 0, "") ||
	    cli_open(c, &n, NODE_RDONLY))
		return c->status;
	o = json_object();
	rc = store_vector(n.store, vv_json_cb, o, &err);
	node_close(&n);
	if (rc) {
		json_decref(o);
		return cli_fail("changes vector: %s", err.msg);
	}
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

struct export_ctx {
	struct bf_buf out;
	json_t *since;
	const char *only;
	size_t count;
	struct node *n;
	struct bf_err *err;
};

static int export_cs(void *vctx, const struct store_cs_entry *e)
{
	struct export_ctx *x = vctx;

	if (cs_file_append(&x->out, e->bytes, e->len))
		return bf_errf(x->err, BF_ENOMEM, "export: out of memory");
	x->count++;
	return 0;
}

/* The vector file says, per origin, the highest seq the other node has:
 * {"origin": {"seq": N, ...}} as `changes vector` prints, or {"origin": N}. */
static uint64_t since_seq(json_t *since, const char *origin)
{
	json_t *v = since ? json_object_get(since, origin) : NULL;

	if (json_is_object(v))
		v = json_object_get(v, "seq");
	return json_is_integer(v) && json_integer_value(v) > 0
		       ? (uint64_t)json_integer_value(v)
		       : 0;
}

static int export_origin(void *vctx, const struct store_vv_entry *e)
{
	struct export_ctx *x = vctx;

	if (strcmp(e->origin, SCHEMA_COORDINATOR) == 0)
		return 0; /* exported first */
	if (x->only && strcmp(x->only, e->origin) != 0)
		return 0;
	return store_changesets(x->n->store, e->origin,
				since_seq(x->since, e->origin), export_cs, x,
				x->err);
}

int cmd_changes_export(struct cli *c, int argc, char **argv)
{
	const char *out = NULL, *since = NULL;
	struct export_ctx x;
	const struct cli_opt opts[] = {
		{.name = "output", .kind = CLI_STR, .to = &out, .letter = 'o'},
		{.name = "since", .kind = CLI_STR, .to = &since},
		{.name = "origin", .kind = CLI_STR, .to = &x.only},
		{0}};
	struct node n;
	struct bf_err err;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	if (cli_parse(c, argc, argv, opts, 0, 0, ""))
		return c->status;
	if (!out)
		return cli_usage(c, "-o FILE is required (- for stdout)");
	if (since) {
		json_error_t je;
		x.since = json_load_file(since, JSON_REJECT_DUPLICATES, &je);
		if (!x.since || !json_is_object(x.since)) {
			json_decref(x.since);
			return cli_fail("--since: %s:%d:%d: %s", since, je.line,
					je.column,
					x.since ? "not a JSON object" : je.text);
		}
	}
	if (cli_open(c, &n, NODE_RDONLY)) {
		json_decref(x.since);
		return 1;
	}
	x.n = &n;
	x.err = &err;
	bf_buf_init(&x.out, 0);
	rc = cs_file_begin(&x.out);
	if (!rc && (!x.only || strcmp(x.only, SCHEMA_COORDINATOR) == 0))
		rc = store_changesets(n.store, SCHEMA_COORDINATOR,
				      since_seq(x.since, SCHEMA_COORDINATOR),
				      export_cs, &x, &err);
	if (!rc)
		rc = store_vector(n.store, export_origin, &x, &err);
	node_close(&n);
	json_decref(x.since);
	if (!rc) {
		if (strcmp(out, "-") == 0)
			rc = fwrite(x.out.p, 1, x.out.len, stdout) == x.out.len
				     ? 0
				     : bf_errf(&err, BF_EIO, "stdout: write failed");
		else
			rc = bf_write_file_atomic(out, 0644, x.out.p,
						  x.out.len, &err);
	}
	bf_buf_free(&x.out);
	if (rc)
		return cli_fail("changes export: %s", err.msg);
	fprintf(stderr, "exported %zu change set%s\n", x.count,
		x.count == 1 ? "" : "s");
	return 0;
}

struct import_ctx {
	struct node *n;
	const char *file;
	size_t applied, dup, rejected, rows;
};

static int import_one(void *vctx, size_t index, const uint8_t *cs,
		      size_t len, struct bf_err *err)
{
	struct import_ctx *x = vctx;
	struct cs_header h;
	struct bf_err e;
	size_t rows = 0;
	int rc;

	(void)err;
	memset(&h, 0, sizeof(h));
	rc = store_apply(x->n->store, cs, len, &h, &rows, &e);
	if (rc == 0) {
		x->applied++;
		x->rows += rows;
	} else if (rc == BF_EDUP) {
		x->dup++;
		fprintf(stderr, "%s: entry %zu: skipped: %s\n", x->file, index,
			e.msg);
	} else {
		x->rejected++;
		fprintf(stderr, "%s: entry %zu: rejected: %s\n", x->file, index,
			e.msg);
	}
	return 0;
}

int cmd_changes_import(struct cli *c, int argc, char **argv)
{
	struct import_ctx x;
	struct node n;
	struct bf_err err;
	uint8_t *data = NULL;
	size_t len;
	int rc;

	if (cli_parse(c, argc, argv, NULL, 1, 1, "FILE"))
		return c->status;
	memset(&x, 0, sizeof(x));
	x.file = argv[optind];
	rc = bf_read_file(x.file, (size_t)1 << 34, &data, &len, &err);
	if (rc)
		return cli_fail("changes import: %s", err.msg);
	if (cli_open(c, &n, 0)) {
		free(data);
		return 1;
	}
	x.n = &n;
	rc = cs_file_read(data, len, import_one, &x, &err);
	node_close(&n);
	free(data);
	printf("%s: %zu applied (%zu rows), %zu already present, %zu "
	       "rejected\n",
	       x.file, x.applied, x.rows, x.dup, x.rejected);
	if (rc)
		return cli_fail("changes import: %s", err.msg);
	return x.rejected ? 1 : 0;
}
