/*
 * biofed init: create a node directory.  A missing or malformed option
 * is a usage error (exit 2); a directory that already holds a node, or
 * one that cannot be written, is a failure (1).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"slug", required_argument, 0, 's'},
		{"name", required_argument, 0, 'n'},
		{"country", required_argument, 0, 'c'},
		{"region", required_argument, 0, 'r'},
		{"endpoint", required_argument, 0, 'e'},
		{"listen", required_argument, 0, 'l'},
		{"coordinator", no_argument, 0, 'C'},
		{"coordinator-key", required_argument, 0, 'k'},
		{0, 0, 0, 0}};
	struct node_init o;
	struct bf_err err;
	char coord[65];
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		switch (ch) {
		case 's': o.slug = optarg; break;
		case 'n': o.name = optarg; break;
		case 'c': o.country = optarg; break;
		case 'r': o.region = optarg; break;
		case 'e': o.endpoint = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'C': o.coordinator = 1; break;
		case 'k': o.coordinator_key = optarg; break;
		default: return c->status;
		}
	}
	if ((rc = cli_operands(c, argc, argv, 0, 0, "")) != 0)
		return rc;
	o.dir = c->dir; /* after the options: --dir may come among them */
	/* what is missing or malformed is said before anything is made */
	if (!o.slug)
		return cli_usage(c, "--slug is required");
	if (!o.name)
		return cli_usage(c, "--name is required");
	if (!o.country)
		return cli_usage(c, "--country is required");
	if ((rc = node_init(&o, coord, &err)) != 0) {
		/* BF_EINVAL: an option's value (the checks come first) */
		if (rc == BF_EINVAL)
			return cli_usage(c, "%s", err.msg);
		return cli_fail("init: %s", err.msg);
	}
	printf("created node %s in %s\n", o.slug, c->dir);
	printf("identity for the coordinator: %s/%s\n", c->dir, NODE_IDENTITY);
	if (o.coordinator)
		printf("coordinator key (give it to every member): %s\n",
		       coord);
	return 0;
}
