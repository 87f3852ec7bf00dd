/*
 * biofed init: create a node directory.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"init --slug SLUG --name NAME --country CC [--region R]\n"
	"       [--endpoint tls+tcp://HOST:PORT|none] [--listen tls+tcp://HOST:PORT]\n"
	"       (--coordinator | --coordinator-key HEX)";

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
	int ch;

	memset(&o, 0, sizeof(o));
	o.dir = c->dir;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.slug = optarg; break;
		case 'n': o.name = optarg; break;
		case 'c': o.country = optarg; break;
		case 'r': o.region = optarg; break;
		case 'e': o.endpoint = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'C': o.coordinator = 1; break;
		case 'k': o.coordinator_key = optarg; break;
		default: return cli_usage(usage);
		}
	}
	if (optind != argc)
		return cli_usage(usage);
	if (node_init(&o, coord, &err) != 0)
		return cli_fail("init: %s", err.msg);
	printf("created node %s in %s\n", o.slug, c->dir);
	printf("identity for the coordinator: %s/%s\n", c->dir, NODE_IDENTITY);
	if (o.coordinator)
		printf("coordinator key (give it to every member): %s\n",
		       coord);
	return 0;
}
