/*
 * biofed: the command-line tool.  Sets a node up, publishes, moves change
 * sets, inspects.  Global options come before the command.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static const char usage_text[] =
	"usage: biofed [--dir DIR] COMMAND [ARGS]\n"
	"\n"
	"node set-up\n"
	"  init --slug S --name N --country CC [--region R] [--endpoint E]\n"
	"       (--coordinator | --coordinator-key HEX)\n"
	"                         create a node directory with its keys\n"
	"  roster add IDENTITY [--key-from N]   admit or update a member "
	"(coordinator)\n"
	"  roster revoke SLUG [--from N]        revoke a member (coordinator)\n"
	"  roster list [--format table|json]    show the members\n"
	"  roster key                           print the pinned coordinator "
	"key\n"
	"  config                   list every configuration option\n"
	"\n"
	"data\n"
	"  publish FILE [--table T] [--replace] [--dry-run] [--format csv|json]\n"
	"          [--delimiter C] [--records PATH]\n"
	"                           publish what changed in a CSV/JSON export\n"
	"  changes vector           print this replica's version vector (JSON)\n"
	"  changes export -o FILE [--since VECTOR] [--origin O]\n"
	"                           write change sets another node lacks\n"
	"  changes import FILE      apply a change-set file, with every rule\n"
	"  fetch [--force] [--due] [NAME...]\n"
	"                           pull the configured external programme "
	"sources\n"
	"  fetch --status [--format table|json] [NAME...]\n"
	"                           each source's last success, error, ETag\n"
	"  samples import FILE [--replace] [--no-facts] [--dry-run]\n"
	"          [--format csv|json] [--delimiter C] [--records PATH]\n"
	"                           import sample rows (they stay here), then\n"
	"                           publish the collection facts they give\n"
	"  samples derive [--dry-run]   derive and publish the facts again\n"
	"\n"
	"queries (the local replica, read-only; --format table|json|csv)\n"
	"  search TEXT... [--table T] [--limit N]\n"
	"                           full-text search, best first\n"
	"  query collections|groups|services|biobanks|facts|projects|samples\n"
	"        [--disease C] [--material M] [--sex S] [--age LO-HI]\n"
	"        [--country CC] [--region R] [--institution I]\n"
	"        [--availability A] [--service-type T] [--area A]\n"
	"        [--programme P] [--collection ID] [--biobank ID]\n"
	"        [--count-by institution|country|material] [--limit N]\n"
	"  sql \"SELECT ...\" [--timeout MS]   one read-only SQL statement\n"
	"\n"
	"inspection\n"
	"  status [--format table|json]   the running daemon: peers, lag per "
	"origin\n"
	"  log [--origin O] [--format table|json]   change sets by origin\n"
	"  verify                   re-check every signature, hash chain and "
	"row;\n"
	"                           print the digest of the replicated state\n"
	"\n"
	"DIR defaults to $BIOFED_DIR, else /var/lib/biofed for the user who\n"
	"owns it (the service user), else $XDG_DATA_HOME/biofed, else\n"
	"~/.local/share/biofed.  man biofed: every command and option.\n";

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("biofed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage(const char *usage)
{
	fprintf(stderr, "usage: biofed %s\n", usage);
	return 2;
}

int cli_open(struct cli *c, struct node *n, int flags)
{
	struct bf_err err;

	if (node_open(n, c->dir, flags, &err) != 0)
		return cli_fail("%s", err.msg);
	return 0;
}

int cli_uint(const char *opt, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!v || !*v || *v == '-')
		goto bad;
	x = strtoull(v, &end, 10);
	if (*end)
		goto bad;
	*out = x;
	return 0;
bad:
	fprintf(stderr, "biofed: %s: \"%s\" is not a non-negative integer\n",
		opt, v ? v : "");
	return 2;
}

static int cmd_config(struct cli *c, int argc, char **argv)
{
	(void)c;
	if (argc > 1)
		return cli_usage("config");
	config_print_options(stdout);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **);
} commands[] = {
	{"init", cmd_init},       {"roster", cmd_roster},
	{"publish", cmd_publish}, {"changes", cmd_changes},
	{"log", cmd_log},         {"verify", cmd_verify},
	{"config", cmd_config},
	{"status", cmd_status},
	{"fetch", cmd_fetch},
	{"samples", cmd_samples}, {"search", cmd_search},
	{"query", cmd_query},     {"sql", cmd_sql},
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"dir", required_argument, 0, 'd'},
					   {"help", no_argument, 0, 'h'},
					   {"version", no_argument, 0, 'V'},
					   {0, 0, 0, 0}};
	struct cli c;
	struct bf_err err;
	int ch;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "+d:hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (snprintf(c.dir, sizeof(c.dir), "%s", optarg) >=
			    (int)sizeof(c.dir))
				return cli_fail("--dir: path too long");
			c.dir_given = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("biofed %s\n", BF_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!c.dir_given && node_default_dir(c.dir, sizeof(c.dir), &err))
		return cli_fail("%s", err.msg);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 0; /* GNU getopt: start over for the command */
			return commands[i].fn(&c, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "biofed: unknown command \"%s\"\n\n%s", argv[optind],
		usage_text);
	return 2;
}
