/*
 * biofed: the command-line tool.  Sets a node up, publishes, moves change
 * sets, inspects.  This file holds the one table of commands: each
 * entry's name, usage, one-line summary and help are what the
 * dispatcher matches, what `biofed help` and `--help` print and what a
 * usage error points at, so that no usage text is written twice.  It
 * also holds what every command shares for its options (cli.h).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

struct cli_command {
	const char *name;    /* one word, or a group's word and its own */
	const char *section; /* the heading `biofed help` lists it under */
	const char *args;    /* the usage after the name; \n continues */
	const char *alt;     /* another form of the usage, or NULL */
	const char *summary; /* one line */
	const char *help;    /* operands and options, or NULL */
	int (*run)(struct cli *c, int argc, char **argv);
	int usage_status;    /* exit status of a usage error; 0: 2 */
	const char *exit_status; /* its own exit statuses, or NULL */
	int no_dir;          /* needs no node directory */
	void (*more_help)(FILE *f); /* prints more help (from the code) */
};

#define FORMAT_HELP                                                           \
	"  --format table|json|csv  output: aligned columns (the default on "  \
	"a\n"                                                                 \
	"                        terminal), a JSON array (the default "       \
	"otherwise)\n"                                                        \
	"                        or CSV with a header\n"

#define ROSTER "the roster (network coordinator)"
#define DATA "data (biobank managers)"
#define QUERIES "queries (the local replica, read-only)"
#define FILES "change sets as files"

/* In the order `biofed help` lists them; a section's entries together. */
static const struct cli_command commands[] = {
	{
		.name = "help",
		.section = NULL, /* under the usage lines */
		.args = "[COMMAND]",
		.summary = "list the commands, or show one command's usage",
		.help = "  COMMAND               a command (`publish`) or a "
			"group (`roster`),\n"
			"                        or a sub-command "
			"(`roster add`)\n",
		.run = cmd_help,
		.no_dir = 1,
	},
	{
		.name = "init",
		.section = "node set-up",
		.args = "--slug SLUG --name NAME --country CC [--region R]\n"
			"[--endpoint tls+tcp://HOST:PORT|none] "
			"[--listen tls+tcp://HOST:PORT]\n"
			"(--coordinator | --coordinator-key HEX)",
		.summary = "create a node directory with its keys",
		.help = "  --slug SLUG           the institution's roster name "
			"(a-z, 0-9, '-')\n"
			"  --name NAME           the institution's name\n"
			"  --country CC          its country, a two-letter code\n"
			"  --region R            its region\n"
			"  --endpoint URL|none   where peers reach this node "
			"(none: it only dials\n"
			"                        out)\n"
			"  --listen URL          where biofedd listens (default: "
			"the endpoint)\n"
			"  --coordinator         this node holds the network's "
			"coordinator key\n"
			"  --coordinator-key HEX the coordinator's public key, "
			"given out of band\n",
		.run = cmd_init,
	},
	{
		.name = "config",
		.section = "node set-up",
		.args = "",
		.summary = "list every option of biofed.conf",
		.run = cmd_config,
		.no_dir = 1,
	},
	{
		.name = "roster add",
		.section = ROSTER,
		.args = "IDENTITY_FILE [--key-from N]",
		.summary = "admit a member, or update it",
		.help = "  IDENTITY_FILE         the identity.json the member's "
			"init wrote\n"
			"  --key-from N          a rotated key signs from "
			"sequence number N\n",
		.run = cmd_roster_add,
	},
	{
		.name = "roster revoke",
		.section = ROSTER,
		.args = "SLUG [--from N]",
		.summary = "refuse a member's change sets from now on",
		.help = "  --from N              from sequence number N on "
			"(default: the first\n"
			"                        one this replica has not seen)\n",
		.run = cmd_roster_revoke,
	},
	{
		.name = "roster list",
		.section = ROSTER,
		.args = "[--format table|json]",
		.summary = "show the members",
		.run = cmd_roster_list,
	},
	{
		.name = "roster key",
		.section = ROSTER,
		.args = "",
		.summary = "print the pinned coordinator key",
		.run = cmd_roster_key,
	},
	{
		.name = "publish",
		.section = DATA,
		.args = "FILE [--table T]\n" CLI_INPUT_USAGE
			"\n" CLI_PROGRESS_USAGE,
		.summary = "publish what changed in a CSV or JSON export",
		.help = "  FILE                  the Directory's export "
			"(Collections.csv...), or\n"
			"                        JSON {\"biobank\": [...], ...}\n"
			"  --table T             the table the file holds "
			"(default: from its name)\n" CLI_INPUT_HELP
				CLI_PROGRESS_HELP,
		.run = cmd_publish,
	},
	{
		.name = "samples import",
		.section = DATA,
		.args = "FILE [--no-facts]\n" CLI_INPUT_USAGE
			"\n" CLI_PROGRESS_USAGE,
		.summary = "import sample rows (kept here), derive the facts",
		.help = "  FILE                  sample rows, CSV or JSON "
			"(id, collection,\n"
			"                        material_type, diagnosis, sex, "
			"age...)\n"
			"  --no-facts            import only; `samples derive` "
			"later\n" CLI_INPUT_HELP CLI_PROGRESS_HELP,
		.run = cmd_samples_import,
	},
	{
		.name = "samples derive",
		.section = DATA,
		.args = "[--dry-run] " CLI_PROGRESS_USAGE,
		.summary = "derive and publish the collection facts again",
		.help = "  --dry-run             show what would change; write "
			"nothing\n" CLI_PROGRESS_HELP,
		.run = cmd_samples_derive,
	},
	{
		.name = "search",
		.section = QUERIES,
		.args = "TEXT... [--table T] [--limit N] [--withdrawn]\n"
			"[--format table|json|csv]",
		.summary = "full-text search, best first",
		.help = "  TEXT                  every word must occur; OR "
			"between two words takes\n"
			"                        either; a word ending in * is "
			"a prefix\n"
			"  --table T             only groups, biobanks, "
			"collections, services,\n"
			"                        projects, networks or studies\n"
			"  --limit N             at most N results (default 20)\n"
			"  --withdrawn           withdrawn records too\n"
			FORMAT_HELP,
		.run = cmd_search,
	},
	{
		.name = "query",
		.section = QUERIES,
		.args = "KIND [--disease CODES|NAME] [--material M] [--sex S]\n"
			"[--age LO-HI] [--country CC] [--institution-country "
			"CC]\n"
			"[--region R] [--institution I] [--availability A]\n"
			"[--service-type T] [--area A] [--programme P]\n"
			"[--collection ID] [--biobank ID] [--network ID]\n"
			"[--quality STANDARD] [--withdrawn]\n"
			"[--count-by institution|country|institution-country|"
			"material]\n"
			"[--limit N] [--format table|json|csv]",
		.summary = "list records of one kind that match filters",
		.help = "filters (a comma-separated value means any of them; "
			"terms are the\n"
			"Directory's, any case; a filter the kind does not "
			"take is an error):\n"
			"  --disease CODES|NAME  ICD-10 or ORPHA codes with the "
			"codes below them,\n"
			"                        or a name (\"breast cancer\")\n"
			"  --material M          material (collections, biobanks, "
			"facts, samples)\n"
			"  --sex S               donor sex (the same kinds)\n"
			"  --age LO-HI           years: 40-60, 40-, -17 (the "
			"same kinds)\n"
			"  --availability A      available, reserved, exhausted "
			"(the same kinds)\n"
			"  --country CC          the record's own country (not "
			"groups, projects,\n"
			"                        networks, studies)\n"
			"  --institution-country CC  the owning institution's "
			"country\n"
			"  --region R            part of the institution's "
			"region\n"
			"  --institution I       a roster slug or part of the "
			"institution's name\n"
			"  --network ID          biobanks and collections in "
			"network ID\n"
			"  --quality STANDARD    biobanks, collections, services "
			"with that standard\n"
			"  --service-type T      services of that type\n"
			"  --area A              research groups: part of the "
			"area\n"
			"  --programme P         projects: part of the programme\n"
			"  --collection ID       facts, samples, collections of "
			"that id\n"
			"  --biobank ID          collections and services of "
			"biobank ID\n"
			"  --withdrawn           withdrawn records too\n"
			"  --count-by BY         totals per institution, country, "
			"institution-country\n"
			"                        or material\n"
			"  --limit N             at most N rows\n" FORMAT_HELP,
		.more_help = cmd_query_help,
		.run = cmd_query,
	},
	{
		.name = "sql",
		.section = QUERIES,
		.args = "\"SELECT ...\" [--timeout MS] [--format table|json|csv]",
		.summary = "run one read-only SQL statement",
		.help = "  --timeout MS          interrupt it after MS "
			"milliseconds (default 10000)\n" FORMAT_HELP,
		.run = cmd_sql,
	},
	{
		.name = "fetch",
		.section = "external programme data",
		.args = "[--force] [--due] [NAME...]",
		.alt = "--status [--format table|json] [NAME...]",
		.summary = "pull the external programme sources of biofed.conf",
		.help = "  NAME                  a [source NAME] of biofed.conf "
			"(default: all)\n"
			"  --force               without If-None-Match / "
			"If-Modified-Since\n"
			"  --due                 only the sources whose refresh "
			"interval is up\n"
			"  --status              each source's last success, "
			"error and ETag\n",
		.run = cmd_fetch,
	},
	{
		.name = "changes vector",
		.section = FILES,
		.args = "",
		.summary = "print this replica's version vector (JSON)",
		.run = cmd_changes_vector,
	},
	{
		.name = "changes export",
		.section = FILES,
		.args = "-o FILE [--since VECTOR_FILE] [--origin O]",
		.summary = "write the change sets another node lacks",
		.help = "  -o, --output FILE     the change-set file (- for "
			"stdout)\n"
			"  --since VECTOR_FILE   what the other node has "
			"(its `changes vector`)\n"
			"  --origin O            only the change sets of origin "
			"O\n",
		.run = cmd_changes_export,
	},
	{
		.name = "changes import",
		.section = FILES,
		.args = "FILE",
		.summary = "apply a change-set file, with every rule",
		.run = cmd_changes_import,
	},
	{
		.name = "status",
		.section = "inspection",
		.args = "[--format table|json] [--down-after S] [--lag-warn S]\n"
			"[--recent S]",
		.summary = "the node's verdict; the daemon's peers, lag per "
			   "origin",
		.help = "  --down-after S        down after S seconds without "
			"a link to a member\n"
			"                        (default 60)\n"
			"  --lag-warn S          degraded when an origin lags S "
			"seconds (300)\n"
			"  --recent S            degraded by a refusal in the last "
			"S seconds (600)\n",
		.exit_status = "Exit status: 0 ok, 1 degraded, 2 down, 3 unknown "
			       "(and usage errors).\n",
		.usage_status = 3, /* 2 would read as "down" */
		.run = cmd_status,
	},
	{
		.name = "log",
		.section = "inspection",
		.args = "[--origin O] [--format table|json]",
		.summary = "change sets by origin: seq, time, rows, hash",
		.help = "  --origin O            only origin O's change sets\n",
		.run = cmd_log,
	},
	{
		.name = "verify",
		.section = "inspection",
		.args = "",
		.summary = "re-check every signature, hash and row; print "
			   "the digest",
		.run = cmd_verify,
	},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_usage[] =
	"usage: biofed [--dir DIR] COMMAND [ARGS]\n"
	"       biofed COMMAND --help\n"
	"       biofed --version\n"
	"\n";

static const char global_notes[] =
	"Every command takes --help and --dir DIR, the node directory: "
	"default\n"
	"$BIOFED_DIR, else /var/lib/biofed for the user who owns it (the "
	"service\n"
	"user), else $XDG_DATA_HOME/biofed, else ~/.local/share/biofed.  "
	"man biofed:\n"
	"every command and option.\n";

static const char exit_notes[] =
	"Exit status: 0 success, 1 failure, 2 usage error.\n";

/* --- messages --------------------------------------------------------- */

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

/* "biofed NAME: message", then where to read more; name NULL: the tool. */
static void usage_message(const char *name, const char *fmt, va_list ap)
{
	/* help's own errors are about the command asked for */
	const char *more = name && strcmp(name, "help") ? name : NULL;

	fprintf(stderr, "biofed%s%s: ", name ? " " : "", name ? name : "");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nsee 'biofed help%s%s'\n", more ? " " : "",
		more ? more : "");
}

static int usage_status(const struct cli *c)
{
	return c->cmd && c->cmd->usage_status ? c->cmd->usage_status : 2;
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_message(c->cmd ? c->cmd->name : NULL, fmt, ap);
	va_end(ap);
	return usage_status(c);
}

static void __attribute__((format(printf, 2, 3)))
usage_of(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_message(name, fmt, ap);
	va_end(ap);
}

/* --- help --------------------------------------------------------------- */

/* The length of s's first word. */
static size_t word_len(const char *s)
{
	return strcspn(s, " ");
}

/* cmd belongs to group (its first word is the group's, and it has a
 * second). */
static int in_group(const struct cli_command *cmd, const char *group,
		    size_t len)
{
	return word_len(cmd->name) == len && !strncmp(cmd->name, group, len) &&
	       cmd->name[len] == ' ';
}

/* "usage: biofed NAME ARGS", continuation lines indented. */
static void print_usage(FILE *f, const struct cli_command *cmd,
			const char *lead)
{
	const char *forms[2] = {cmd->args, cmd->alt};

	for (int k = 0; k < 2 && forms[k]; k++) {
		const char *p = forms[k];

		fprintf(f, "%s biofed %s", k ? "      " : lead, cmd->name);
		if (*p)
			fputc(' ', f);
		for (;;) {
			size_t n = strcspn(p, "\n");

			fprintf(f, "%.*s\n", (int)n, p);
			if (!p[n])
				break;
			p += n + 1;
			fputs("           ", f);
		}
		lead = "      ";
	}
}

static void print_command_help(FILE *f, const struct cli_command *cmd)
{
	print_usage(f, cmd, "usage:");
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->help)
		fprintf(f, "\n%s", cmd->help);
	if (cmd->more_help)
		cmd->more_help(f);
	fprintf(f, "\n%s%s", global_notes,
		cmd->exit_status ? cmd->exit_status : exit_notes);
}

static size_t name_width(void)
{
	size_t w = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strlen(commands[i].name) > w)
			w = strlen(commands[i].name);
	return w;
}

static void print_group_help(FILE *f, const char *group, size_t len)
{
	const char *lead = "usage:";
	int w = (int)name_width();

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (in_group(&commands[i], group, len)) {
			print_usage(f, &commands[i], lead);
			lead = "      ";
		}
	fputc('\n', f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (in_group(&commands[i], group, len))
			fprintf(f, "  %-*s  %s\n", w, commands[i].name,
				commands[i].summary);
	fprintf(f, "\n`biofed help %.*s SUB-COMMAND` for one of them.\n",
		(int)len, group);
}

static void print_all_help(FILE *f)
{
	const char *section = NULL;
	int w = (int)name_width();

	fputs(global_usage, f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *sec = commands[i].section;

		if (sec && (!section || strcmp(section, sec)))
			fprintf(f, "\n%s\n", sec);
		section = sec;
		fprintf(f, "  %-*s  %s\n", w, commands[i].name,
			commands[i].summary);
	}
	fprintf(f, "\n`biofed help COMMAND` for its usage and options.\n%s%s",
		global_notes, exit_notes);
}

/* The sub-commands of group, "add, revoke, list or key". */
static void group_names(const char *group, size_t len, char *out, size_t n)
{
	size_t count = 0, k = 0, o = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		count += (size_t)in_group(&commands[i], group, len);
	out[0] = 0;
	for (size_t i = 0; i < NCOMMANDS && o < n; i++) {
		if (!in_group(&commands[i], group, len))
			continue;
		k++;
		o += (size_t)snprintf(out + o, n - o, "%s%s",
				      k == 1       ? ""
				      : k == count ? " or "
						   : ", ",
				      commands[i].name + len + 1);
	}
}

/* The command named by words w1 [w2]: *nwords says how many words
 * named it; NULL when none does, with *group set when w1 is a group's
 * word. */
static const struct cli_command *lookup(const char *w1, const char *w2,
					int *nwords, int *group)
{
	size_t len = strlen(w1);

	*group = 0;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct cli_command *cmd = &commands[i];

		if (!strcmp(cmd->name, w1)) {
			*nwords = 1;
			return cmd;
		}
		if (in_group(cmd, w1, len)) {
			*group = 1;
			if (w2 && !strcmp(cmd->name + len + 1, w2)) {
				*nwords = 2;
				return cmd;
			}
		}
	}
	return NULL;
}

int cmd_help(struct cli *c, int argc, char **argv)
{
	const struct cli_command *cmd;
	int nwords, group, n;

	if (cli_parse(c, argc, argv, NULL, 0, 2, ""))
		return c->status;
	n = argc - optind;
	if (n == 0) {
		print_all_help(stdout);
		return 0;
	}
	cmd = lookup(argv[optind], n > 1 ? argv[optind + 1] : NULL, &nwords,
		     &group);
	if (cmd && nwords == n) {
		print_command_help(stdout, cmd);
		return 0;
	}
	if (!cmd && group && n == 1) {
		print_group_help(stdout, argv[optind], strlen(argv[optind]));
		return 0;
	}
	return cli_usage(c, "no command \"%s%s%s\"", argv[optind],
			 n > 1 ? " " : "", n > 1 ? argv[optind + 1] : "");
}

/* --- options ------------------------------------------------------------ */

int cli_open(struct cli *c, struct node *n, int flags)
{
	struct bf_err err;

	if (node_open(n, c->dir, flags, &err) != 0)
		return c->status = cli_fail("%s", err.msg);
	return 0;
}

int cli_uint(struct cli *c, const char *opt, const char *v, uint64_t *out)
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
	return cli_usage(c, "%s: \"%s\" is not a non-negative integer", opt,
			 v ? v : "");
}

int cli_format(struct cli *c, const char *v, int csv_ok,
	       enum out_format *fmt)
{
	struct bf_err err;

	if (out_format_parse(v, fmt, &err) == 0 && (csv_ok || *fmt != OUT_CSV))
		return 0;
	if (csv_ok)
		return cli_usage(c, "%s", err.msg);
	return cli_usage(c, "--format: \"%.40s\" is not table or json", v);
}

/* The command's options, then --help, -h and --dir. */
static void build_options(struct cli *c, const char *shortopts,
			  const struct option *lo)
{
	static const struct option own[] = {
		{"help", no_argument, 0, CLI_OPT_HELP},
		{"dir", required_argument, 0, CLI_OPT_DIR},
		{0, 0, 0, 0}};
	size_t n = 0;

	for (; lo && lo[n].name; n++) {
		/* a programming error, caught by any run of the command */
		if (n + 3 > CLI_MAX_OPTIONS || lo[n].val == 'h')
			abort();
		c->opts[n] = lo[n];
	}
	memcpy(c->opts + n, own, sizeof(own));
	if (snprintf(c->shortopts, sizeof(c->shortopts), ":h%s", shortopts) >=
	    (int)sizeof(c->shortopts))
		abort();
	c->lo = lo;
}

/* Reports what getopt refused (ch '?' or ':'). */
static void bad_option(struct cli *c, int argc, char **argv, int ch)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");
	size_t matches = 0;

	if (strncmp(arg, "--", 2) != 0) {
		cli_usage(c, ch == ':' ? "option -%c needs a value"
				       : "unknown option -%c",
			  optopt ? optopt : '?');
		return;
	}
	if (ch == ':') {
		cli_usage(c, "option %.*s needs a value", len, arg);
		return;
	}
	if (optopt) {
		cli_usage(c, "option %.*s takes no value", len, arg);
		return;
	}
	for (size_t i = 0; c->opts[i].name; i++)
		if (!strncmp(c->opts[i].name, arg + 2, (size_t)len - 2))
			matches++;
	if (matches > 1)
		cli_usage(c, "option %.*s is ambiguous: spell it out", len, arg);
	else
		cli_usage(c, "unknown option %.*s", len, arg);
}

/* After the options: the node directory, when --dir gave none. */
static int default_dir(struct cli *c)
{
	struct bf_err err;

	if (c->dir_given || (c->cmd && c->cmd->no_dir))
		return 0;
	if (node_default_dir(c->dir, sizeof(c->dir), &err)) {
		c->status = cli_usage(c, "%s", err.msg);
		return -1;
	}
	return 0;
}

int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *lo)
{
	int ch;

	if (c->lo != lo || !c->opts[0].name)
		build_options(c, shortopts, lo);
	for (;;) {
		ch = getopt_long(argc, argv, c->shortopts, c->opts, NULL);
		switch (ch) {
		case -1:
			return default_dir(c) ? CLI_EXIT : -1;
		case CLI_OPT_DIR:
			if (snprintf(c->dir, sizeof(c->dir), "%s", optarg) >=
			    (int)sizeof(c->dir)) {
				c->status = cli_usage(c, "--dir: path too long");
				return CLI_EXIT;
			}
			c->dir_given = 1;
			break;
		case CLI_OPT_QUIET: c->progress = 0; break;
		case CLI_OPT_PROGRESS: c->progress = 1; break;
		case 'h':
		case CLI_OPT_HELP:
			print_command_help(stdout, c->cmd);
			c->status = 0;
			return CLI_EXIT;
		case '?':
		case ':':
			bad_option(c, argc, argv, ch);
			c->status = usage_status(c);
			return CLI_EXIT;
		default: return ch;
		}
	}
}

int cli_operands(struct cli *c, int argc, char **argv, int min, int max,
		 const char *what)
{
	int n = argc - optind;

	if (n < min)
		return cli_usage(c, "%s is missing", what);
	if (max >= 0 && n > max)
		return cli_usage(c, "unexpected argument \"%s\"",
				 argv[optind + max]);
	return 0;
}

int cmd_config(struct cli *c, int argc, char **argv)
{
	if (cli_parse(c, argc, argv, NULL, 0, 0, ""))
		return c->status;
	config_print_options(stdout);
	return 0;
}

/* --- dispatch ----------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"dir", required_argument, 0, 'd'},
					   {"help", no_argument, 0, 'h'},
					   {"version", no_argument, 0, 'V'},
					   {0, 0, 0, 0}};
	const struct cli_command *cmd;
	struct cli c;
	int ch, nwords = 0, group;

	memset(&c, 0, sizeof(c));
	c.progress = -1;
	c.status = 2; /* cli_getopt sets it before each CLI_EXIT */
	opterr = 0; /* cli_getopt says what was wrong, and where to look */
	while ((ch = getopt_long(argc, argv, "+:d:hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (snprintf(c.dir, sizeof(c.dir), "%s", optarg) >=
			    (int)sizeof(c.dir))
				return cli_usage(&c, "--dir: path too long");
			c.dir_given = 1;
			break;
		case 'h': print_all_help(stdout); return 0;
		case 'V': printf("biofed %s\n", BF_VERSION); return 0;
		case ':':
			return cli_usage(&c, "option %s needs a value",
					 argv[optind - 1]);
		default:
			return cli_usage(&c, "unknown option %s",
					 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage(&c, "no command given");
	cmd = lookup(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL,
		     &nwords, &group);
	if (!cmd && group) {
		const char *g = argv[optind], *sub = argv[optind + 1];
		char names[128];

		if (sub && (!strcmp(sub, "--help") || !strcmp(sub, "-h"))) {
			print_group_help(stdout, g, strlen(g));
			return 0;
		}
		group_names(g, strlen(g), names, sizeof(names));
		if (!sub)
			usage_of(g, "a sub-command is needed: %s", names);
		else if (sub[0] == '-')
			usage_of(g, "unknown option %.*s: the sub-command (%s) "
				    "comes first",
				 (int)strcspn(sub, "="), sub, names);
		else
			usage_of(g, "no sub-command \"%s\" (%s)", sub, names);
		return 2;
	}
	if (!cmd)
		return cli_usage(&c, "no command \"%s\"", argv[optind]);
	c.cmd = cmd;
	argc -= optind + nwords - 1;
	argv += optind + nwords - 1;
	optind = 0; /* GNU getopt: start over for the command */
	return cmd->run(&c, argc, argv);
}
