/*
 * cli: what the commands of the `biofed` tool share.  Each cmd_*.c file
 * implements one command family; biofed.c holds the one table of
 * commands (name, usage, summary, help) that the dispatcher, `biofed
 * help`, `--help` and every usage error read.  Commands return the
 * process exit status: 0 success, 1 failure, 2 usage error.
 *
 * A command lists its options in a table (struct cli_opt) that cli_parse
 * reads, or, when its options need more than the table's kinds, parses
 * them with cli_getopt.  Both also take --help (-h) and --dir DIR for
 * every command, and report a bad option themselves; any other usage
 * error goes through cli_usage, which names what was wrong and points at
 * `biofed help COMMAND`.
 */
#ifndef BIOFED_CLI_H
#define BIOFED_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "node.h"
#include "output.h"
#include "publish.h"

struct cli_command;
struct cli_input;

#define CLI_MAX_OPTIONS 48

struct cli {
	char dir[PATH_MAX]; /* node directory (--dir or the default) */
	int dir_given;
	const struct cli_command *cmd; /* the command running */
	int status;   /* the exit status after cli_getopt's CLI_EXIT (2
		       * until it sets one) */
	int progress; /* --progress 1, --quiet 0, else -1: on a terminal */
	/* cli_getopt's table: the command's options, then its own */
	const struct option *lo;
	struct option opts[CLI_MAX_OPTIONS];
	char shortopts[16];
};

/* Prints "biofed: <message>" to stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error of the command running: prints "biofed COMMAND:
 * <message>" and the hint "see 'biofed help COMMAND'" to stderr; returns
 * the command's usage status (2). */
int cli_usage(struct cli *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Opens the node, printing the error; returns 0, or 1 (the exit status,
 * also left in c->status, so that a command can write
 *     if (cli_parse(c, argc, argv, NULL, 0, 0, "") ||
 *         cli_open(c, &n, NODE_RDONLY))
 *             return c->status;). */
int cli_open(struct cli *c, struct node *n, int flags);
/* Parses a non-negative integer option value; returns 0 or the usage
 * status. */
int cli_uint(struct cli *c, const char *opt, const char *v, uint64_t *out);
/* --format: table, json, or csv when csv_ok; returns 0 or the usage
 * status. */
int cli_format(struct cli *c, const char *v, int csv_ok,
	       enum out_format *fmt);

/* getopt_long over the command's options lo (NULL: none; shortopts as
 * getopt's, usually "") with --help, -h and --dir added.  Returns the
 * next option's code, -1 after the last one (operands are then
 * argv[optind..]), or CLI_EXIT when the command must stop and return
 * c->status: 0 after --help printed its usage, or the usage status after
 * a bad option was reported (a command returns c->status for any code it
 * does not take, too).  --quiet and --progress, when lo has
 * CLI_PROGRESS_OPTIONS, set c->progress and are not returned.  After the
 * last option c->dir is settled: --dir's, else the default (a usage
 * error when there is none). */
#define CLI_EXIT (-2)
int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *lo);
/* The operands argv[optind..argc-1] must be from min to max (-1: any
 * number; what names them in messages, "FILE"); returns 0 or the usage
 * status. */
int cli_operands(struct cli *c, int argc, char **argv, int min, int max,
		 const char *what);

/* One option of a command's table for cli_parse (cmd_options.c): its
 * long name, its short letter (0: none) and where its value goes.  The
 * table ends with {0}. */
enum cli_opt_kind {
	CLI_END = 0,
	CLI_FLAG,     /* takes no value: *(int *)to = 1 */
	CLI_STR,      /* *(const char **)to = the value */
	CLI_UINT,     /* *(uint64_t *)to = a non-negative integer */
	CLI_FORMAT,   /* *(enum out_format *)to = table or json */
	CLI_INPUT,    /* no name: the file options (CLI_INPUT_OPTIONS) and
		       * the progress line's into the struct cli_input *to,
		       * whose o is set */
	CLI_PROGRESS, /* no name: --quiet and --progress, into c->progress */
};
struct cli_opt {
	const char *name;
	enum cli_opt_kind kind;
	void *to;
	char letter;
};
/* Parses the options of table opts (NULL: none but --help and --dir) in
 * argv's order, each value checked as its kind says, then the operands
 * as cli_operands does.  Returns 0, or CLI_EXIT when the command must
 * stop and return c->status (0 after --help, else the usage status). */
int cli_parse(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
	      int min, int max, const char *what);

/* Option codes above any character, so that they never clash with the
 * letters commands use. */
enum {
	CLI_OPT_INPUT_FORMAT = 0x100,
	CLI_OPT_DELIMITER,
	CLI_OPT_RECORDS,
	CLI_OPT_REPLACE,
	CLI_OPT_DRY_RUN,
	CLI_OPT_MAP,
	CLI_OPT_CLEAR_MISSING,
	CLI_OPT_ERRORS_TO,
	CLI_OPT_MAX_ERRORS,
	CLI_OPT_OLD_FORMAT, /* publish --format: moved to --input-format */
	CLI_OPT_QUIET,
	CLI_OPT_PROGRESS,
	CLI_OPT_DIR,
	CLI_OPT_HELP,
};

/* Options of the commands that read a file (publish, samples import):
 * a CLI_INPUT entry in the command's cli_opt table.  cli_parse hands the
 * codes from CLI_OPT_INPUT_FORMAT to CLI_OPT_OLD_FORMAT to
 * cli_input_option, which fills in->o (returns 0, or the usage status for
 * a bad value).  cli_input_start takes the file's path, checks what goes
 * together, opens --errors-to, the node (cli_open's flags) and the
 * progress line: 0, or CLI_EXIT when the command must return c->status.
 * After the work, cli_input_end clears the progress line and closes
 * --errors-to (the node is the command's to close).  CLI_INPUT_USAGE and
 * CLI_INPUT_HELP are their text for the command table. */
#define CLI_INPUT_OPTIONS                                                     \
	{"input-format", required_argument, 0, CLI_OPT_INPUT_FORMAT},         \
	{"format", required_argument, 0, CLI_OPT_OLD_FORMAT},                 \
	{"delimiter", required_argument, 0, CLI_OPT_DELIMITER},               \
	{"records", required_argument, 0, CLI_OPT_RECORDS},                   \
	{"replace", no_argument, 0, CLI_OPT_REPLACE},                         \
	{"dry-run", no_argument, 0, CLI_OPT_DRY_RUN},                         \
	{"map", required_argument, 0, CLI_OPT_MAP},                           \
	{"clear-missing", no_argument, 0, CLI_OPT_CLEAR_MISSING},             \
	{"errors-to", required_argument, 0, CLI_OPT_ERRORS_TO},               \
	{"max-errors", required_argument, 0, CLI_OPT_MAX_ERRORS}
#define CLI_INPUT_USAGE                                                       \
	"[--replace [--clear-missing]] [--dry-run] [--map FILE]\n"           \
	"[--input-format csv|json] [--delimiter comma|semicolon|tab|pipe|C]\n" \
	"[--records PATH] [--max-errors N] [--errors-to FILE]"
#define CLI_INPUT_HELP                                                        \
	"  --replace             the file is the whole table: rows it lacks "  \
	"are deleted\n"                                                       \
	"  --clear-missing       with --replace: a column the file lacks "     \
	"empties\n"                                                           \
	"                        that field (else the stored value stays)\n"  \
	"  --dry-run             check and show what would change; write "     \
	"nothing\n"                                                           \
	"  --map FILE            a mapping file: columns and terms of a LIMS "  \
	"export\n"                                                            \
	"  --input-format csv|json  what the file holds (default: from its "   \
	"name)\n"                                                             \
	"  --delimiter D         comma, semicolon, tab, pipe or the "          \
	"character\n"                                                         \
	"                        (default: read off the header)\n"           \
	"  --records PATH        JSON: where the array of records is "         \
	"(a.b.c)\n"                                                           \
	"  --max-errors N        errors shown (default 50; 0: all)\n"         \
	"  --errors-to FILE      write every error to FILE\n"
int cli_input_option(struct cli *c, int ch, const char *arg,
		     struct cli_input *in);
int cli_input_start(struct cli *c, struct cli_input *in, const char *path,
		    struct node *n, int flags);
void cli_input_end(struct cli_input *in);
/* What a publish wrote, "wrote 2 change sets (seq 4..5)", or none when
 * it wrote no change set; one line on stdout. */
void cli_print_changesets(const struct publish_result *r, const char *none);

/* A progress line on stderr for long work (cmd_progress.c): shown when
 * stderr is a terminal, or always with --progress (a CLI_PROGRESS entry
 * in the command's cli_opt table), never with --quiet.
 * One line, redrawn with \r at most four times a second, cleared by
 * cli_progress_end; nothing at all for work done within a quarter of a
 * second ($BIOFED_PROGRESS_AFTER_MS, 0 to 60000, changes that wait: the
 * tests use 0, so that what they see does not depend on the machine's
 * speed). */
#define CLI_PROGRESS_OPTIONS                                                  \
	{"quiet", no_argument, 0, CLI_OPT_QUIET},                             \
	{"progress", no_argument, 0, CLI_OPT_PROGRESS}
#define CLI_PROGRESS_USAGE "[--quiet | --progress]"
#define CLI_PROGRESS_HELP                                                     \
	"  --quiet               no progress line on stderr\n"               \
	"  --progress            a progress line on stderr even when it is "   \
	"not a\n"                                                             \
	"                        terminal (default: only on a terminal)\n"
struct cli_progress {
	struct publish_progress hook; /* ctx is this */
	int on;
	uint64_t start_ns, step_ns, drawn_ns; /* bf_mono_ns() */
	uint64_t after_ns; /* nothing is drawn before start_ns + after_ns */
	const char *step;
	size_t done, total, width; /* width: of the line on the screen */
};
/* Decides from c->progress and stderr whether the line is shown. */
void cli_progress_begin(struct cli *c, struct cli_progress *p);
/* The hook for publish_opts.progress: NULL when the line is off. */
const struct publish_progress *cli_progress_hook(struct cli_progress *p);
/* Clears the line, if one was drawn. */
void cli_progress_end(struct cli_progress *p);

/* A file-reading command's options and what it opened ("Options of the
 * commands that read a file" above). */
struct cli_input {
	struct publish_opts *o; /* the command's, where the options go */
	const char *errors_to;
	FILE *f;
	struct cli_progress prog;
};

int cmd_help(struct cli *c, int argc, char **argv);
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_config(struct cli *c, int argc, char **argv);
int cmd_roster_add(struct cli *c, int argc, char **argv);
int cmd_roster_revoke(struct cli *c, int argc, char **argv);
int cmd_roster_list(struct cli *c, int argc, char **argv);
int cmd_roster_key(struct cli *c, int argc, char **argv);
int cmd_publish(struct cli *c, int argc, char **argv);
int cmd_changes_vector(struct cli *c, int argc, char **argv);
int cmd_changes_export(struct cli *c, int argc, char **argv);
int cmd_changes_import(struct cli *c, int argc, char **argv);
int cmd_fetch(struct cli *c, int argc, char **argv);
int cmd_samples_import(struct cli *c, int argc, char **argv);
int cmd_samples_derive(struct cli *c, int argc, char **argv);
int cmd_search(struct cli *c, int argc, char **argv);
int cmd_query(struct cli *c, int argc, char **argv);
int cmd_sql(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);

/* query's help: the kinds, from query.c's own list. */
void cmd_query_help(FILE *f);

#endif
