/*
 * biofed roster: the federation's members (written on the coordinator's
 * node, replicated everywhere).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "roster.h"

int cmd_roster_add(struct cli *c, int argc, char **argv)
{
	uint64_t key_from = 0;
	const struct cli_opt opts[] = {
		{.name = "key-from", .kind = CLI_UINT, .to = &key_from}, {0}};
	struct node n;
	struct bf_err err;
	char slug[64];
	int changed = 0, rc;

	if (cli_parse(c, argc, argv, opts, 1, 1, "IDENTITY_FILE") ||
	    cli_open(c, &n, 0))
		return c->status;
	rc = roster_add(&n, argv[optind], (int64_t)key_from, &changed, slug,
			&err);
	node_close(&n);
	if (rc)
		return cli_fail("roster add: %s", err.msg);
	printf(changed ? "roster: %s admitted/updated\n"
		       : "roster: %s unchanged\n",
	       slug);
	return 0;
}

int cmd_roster_revoke(struct cli *c, int argc, char **argv)
{
	uint64_t from = 0, eff = 0;
	const struct cli_opt opts[] = {
		{.name = "from", .kind = CLI_UINT, .to = &from}, {0}};
	struct node n;
	struct bf_err err;
	int rc;

	if (cli_parse(c, argc, argv, opts, 1, 1, "SLUG") || cli_open(c, &n, 0))
		return c->status;
	rc = roster_revoke(&n, argv[optind], (int64_t)from, &eff, &err);
	node_close(&n);
	if (rc)
		return cli_fail("roster revoke: %s", err.msg);
	printf("roster: %s revoked from sequence number %llu on\n",
	       argv[optind], (unsigned long long)eff);
	return 0;
}

int cmd_roster_list(struct cli *c, int argc, char **argv)
{
	enum out_format fmt = OUT_TABLE;
	const struct cli_opt opts[] = {
		{.name = "format", .kind = CLI_FORMAT, .to = &fmt}, {0}};
	struct node n;
	struct bf_err err;
	int rc;

	if (cli_parse(c, argc, argv, opts, 0, 0, "") ||
	    cli_open(c, &n, NODE_RDONLY))
		return c->status;
	rc = roster_print(&n, stdout, fmt == OUT_JSON, &err);
	node_close(&n);
	return rc ? cli_fail("roster list: %s", err.msg) : 0;
}

int cmd_roster_key(struct cli *c, int argc, char **argv)
{
	struct node n;
	char hex[65];

	if (cli_parse(c, argc, argv, NULL, 0, 0, "") ||
	    cli_open(c, &n, NODE_RDONLY))
		return c->status;
	bf_hex(n.cfg.coordinator_key, 32, hex);
	node_close(&n);
	printf("%s\n", hex);
	return 0;
}
