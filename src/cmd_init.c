/*
 * biofed init: create a node directory.  A missing or malformed option
 * is a usage error (exit 2); a directory that already holds a node, or
 * one that cannot be written, is a failure (1).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_init(struct cli *c, int argc, char **argv)
{
	struct node_init o;
	const struct cli_opt opts[] = {
		{.name = "slug", .kind = CLI_STR, .to = &o.slug},
		{.name = "name", .kind = CLI_STR, .to = &o.name},
		{.name = "country", .kind = CLI_STR, .to = &o.country},
		{.name = "region", .kind = CLI_STR, .to = &o.region},
		{.name = "endpoint", .kind = CLI_STR, .to = &o.endpoint},
		{.name = "listen", .kind = CLI_STR, .to = &o.listen},
		{.name = "coordinator", .kind = CLI_FLAG, .to = &o.coordinator},
		{.name = "coordinator-key",
		 .kind = CLI_STR,
		 .to = &o.coordinator_key},
		{0}};
	struct bf_err err;
	char coord[65];
	int rc;

	memset(&o, 0, sizeof(o));
	if (cli_parse(c, argc, argv, opts, 0, 0, ""))
		return c->status;
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
