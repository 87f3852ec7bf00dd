/*
 * biofed publish: a biobank's or institution's export becomes change sets.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "publish.h"

static const char usage[] =
	"publish FILE [--table T] [--replace] [--dry-run]\n"
	"       [--format csv|json] [--delimiter C] [--records PATH]";

int cmd_publish(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"table", required_argument, 0, 't'},
		{"replace", no_argument, 0, 'R'},
		{"dry-run", no_argument, 0, 'n'},
		{"format", required_argument, 0, 'f'},
		{"delimiter", required_argument, 0, 'D'},
		{"records", required_argument, 0, 'r'},
		{0, 0, 0, 0}};
	struct publish_opts o;
	struct publish_result res;
	struct node n;
	struct bf_err err;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 't': o.table = optarg; break;
		case 'R': o.replace = 1; break;
		case 'n': o.dry_run = 1; break;
		case 'f': o.format = optarg; break;
		case 'r': o.records = optarg; break;
		case 'D':
			if (strlen(optarg) != 1)
				return cli_fail("--delimiter: one character, "
						"e.g. ';'");
			o.delimiter = optarg[0];
			break;
		default: return cli_usage(usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(usage);
	o.path = argv[optind];
	if (cli_open(c, &n, NODE_KEY))
		return 1;
	rc = publish_file(&n, &o, &res, &err);
	node_close(&n);
	if (rc)
		return cli_fail("publish: %s", err.msg);
	printf("%s: %zu records: %zu new, %zu changed, %zu deleted, "
	       "%zu unchanged\n",
	       o.path, res.records, res.inserted, res.updated, res.deleted,
	       res.unchanged);
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
