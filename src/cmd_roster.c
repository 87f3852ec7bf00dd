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
	static const struct option lo[] = {
		{"key-from", required_argument, 0, 'k'}, {0, 0, 0, 0}};
	uint64_t key_from = 0;
	struct node n;
	struct bf_err err;
	char slug[64];
	int ch, changed = 0, rc;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch != 'k')
			return c->status;
		if ((rc = cli_uint(c, "--key-from", optarg, &key_from)) != 0)
			return rc;
	}
	if ((rc = cli_operands(c, argc, argv, 1, 1, "IDENTITY_FILE")) != 0)
		return rc;
	if (cli_open(c, &n, 0))
		return 1;
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
	static const struct option lo[] = {{"from", required_argument, 0, 'f'},
					   {0, 0, 0, 0}};
	uint64_t from = 0, eff = 0;
	struct node n;
	struct bf_err err;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch != 'f')
			return c->status;
		if ((rc = cli_uint(c, "--from", optarg, &from)) != 0)
			return rc;
	}
	if ((rc = cli_operands(c, argc, argv, 1, 1, "SLUG")) != 0)
		return rc;
	if (cli_open(c, &n, 0))
		return 1;
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
	static const struct option lo[] = {
		{"format", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	enum out_format fmt = OUT_TABLE;
	struct node n;
	struct bf_err err;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch != 'f')
			return c->status;
		if ((rc = cli_format(c, optarg, 0, &fmt)) != 0)
			return rc;
	}
	if ((rc = cli_operands(c, argc, argv, 0, 0, "")) != 0)
		return rc;
	if (cli_open(c, &n, NODE_RDONLY))
		return 1;
	rc = roster_print(&n, stdout, fmt == OUT_JSON, &err);
	node_close(&n);
	return rc ? cli_fail("roster list: %s", err.msg) : 0;
}

int cmd_roster_key(struct cli *c, int argc, char **argv)
{
	struct node n;
	char hex[65];
	int rc;

	if (cli_getopt(c, argc, argv, "", NULL) != -1)
		return c->status;
	if ((rc = cli_operands(c, argc, argv, 0, 0, "")) != 0)
		return rc;
	if (cli_open(c, &n, NODE_RDONLY))
		return 1;
	bf_hex(n.cfg.coordinator_key, 32, hex);
	node_close(&n);
	printf("%s\n", hex);
	return 0;
}
