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
	struct publish_opts o;
	struct cli_input in = {.o = &o};
	const struct cli_opt opts[] = {
		{.name = "table", .kind = CLI_STR, .to = &o.table},
		{.kind = CLI_INPUT, .to = &in},
		{0}};
	struct publish_result res;
	struct node n;
	struct bf_err err;
	int rc;

	memset(&o, 0, sizeof(o));
	if (cli_parse(c, argc, argv, opts, 1, 1, "FILE"))
		return c->status;
	if (o.table && !schema_table(o.table, strlen(o.table)))
		return cli_usage(c, "--table: no table \"%s\"", o.table);
	if (cli_input_start(c, &in, argv[optind], &n, NODE_KEY))
		return c->status;
	rc = publish_file(&n, &o, &res, &err);
	cli_input_end(&in);
	node_close(&n);
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
	else
		cli_print_changesets(&res, "nothing changed: no change set "
					   "written");
	return 0;
}
