/*
 * biofed roster: the federation's members (written on the coordinator's
 * node, replicated everywhere).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "roster.h"

static const char usage[] =
	"roster add IDENTITY_FILE [--key-from N]\n"
	"       biofed roster revoke SLUG [--from N]\n"
	"       biofed roster list [--format table|json]\n"
	"       biofed roster key";

static int roster_add_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"key-from", required_argument, 0, 'k'}, {0, 0, 0, 0}};
	uint64_t key_from = 0;
	struct node n;
	struct bf_err err;
	char slug[64];
	int ch, changed = 0, rc;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'k')
			return cli_usage(usage);
		if (cli_uint("--key-from", optarg, &key_from))
			return 2;
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
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

static int roster_revoke_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {{"from", required_argument, 0, 'f'},
					   {0, 0, 0, 0}};
	uint64_t from = 0, eff = 0;
	struct node n;
	struct bf_err err;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'f')
			return cli_usage(usage);
		if (cli_uint("--from", optarg, &from))
			return 2;
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
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

static int roster_list_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"format", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	struct node n;
	struct bf_err err;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'f')
			return cli_usage(usage);
		if (strcmp(optarg, "json") == 0)
			json = 1;
		else if (strcmp(optarg, "table") != 0)
			return cli_fail("--format: \"%s\" is not table or json",
					optarg);
	}
	if (optind != argc)
		return cli_usage(usage);
	if (cli_open(c, &n, NODE_RDONLY))
		return 1;
	rc = roster_print(&n, stdout, json, &err);
	node_close(&n);
	return rc ? cli_fail("roster list: %s", err.msg) : 0;
}

int cmd_roster(struct cli *c, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (strcmp(argv[1], "add") == 0)
		return roster_add_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return roster_revoke_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return roster_list_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "key") == 0 && argc == 2) {
		struct node n;
		char hex[65];
		if (cli_open(c, &n, NODE_RDONLY))
			return 1;
		bf_hex(n.cfg.coordinator_key, 32, hex);
		node_close(&n);
		printf("%s\n", hex);
		return 0;
	}
	return cli_usage(usage);
}
