/*
 * biofed publish: a biobank's or institution's export becomes change sets.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "publish.h"
#include "schema.h"

int cmd_publish(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"table", required_argument, 0, 't'}, CLI_INPUT_OPTIONS,
		CLI_PROGRESS_OPTIONS, {0, 0, 0, 0}};
	struct cli_progress prog;
	struct cli_input in = {0};
	struct publish_opts o;
	struct publish_result res;
	struct node n;
	struct bf_err err;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch == 't')
			o.table = optarg;
		else if (ch < CLI_OPT_INPUT_FORMAT)
			return c->status;
		else if ((rc = cli_input_option(c, ch, optarg, &o, &in)) != 0)
			return rc;
	}
	if ((rc = cli_operands(c, argc, argv, 1, 1, "FILE")) != 0)
		return rc;
	if (o.table && !schema_table(o.table, strlen(o.table)))
		return cli_usage(c, "--table: no table \"%s\"", o.table);
	o.path = argv[optind];
	if ((rc = cli_input_ready(c, &o, &in)) != 0)
		return rc;
	if (cli_open(c, &n, NODE_KEY)) {
		cli_input_done(&in);
		return 1;
	}
	cli_progress_begin(c, &prog);
	o.progress = cli_progress_hook(&prog);
	rc = publish_file(&n, &o, &res, &err);
	cli_progress_end(&prog);
	node_close(&n);
	cli_input_done(&in);
	if (rc)
		return cli_fail("publish: %s", err.msg);
	printf("%s: %zu records: %zu new, %zu changed, %zu deleted, "
	       "%zu unchanged\n",
	       o.path, res.records, res.inserted, res.updated, res.deleted,
	       res.unchanged);
	if (res.merged)
		printf("%zu changed rows kept fields the file has no column "
		       "for\n",
		       res.merged);
	/* a running daemon propagates at once (else it notices within a
	 * second, or when it starts) */
	if (res.changesets)
		control_wake(c->dir);
	if (o.dry_run)
		printf("dry run: nothing written\n");
	else if (res.changesets == 0)
		printf("nothing changed: no change set written\n");
	else if (res.changesets == 1)
		printf("wrote 1 change set (seq %llu)\n",
		       (unsigned long long)res.first_seq);
	else
		printf("wrote %zu change sets (seq %llu..%llu)\n",
		       res.changesets, (unsigned long long)res.first_seq,
		       (unsigned long long)res.last_seq);
	return 0;
}
