/*
 * cli: what the subcommands of the `biofed` tool share.  Each cmd_*.c file
 * implements one command family; biofed.c dispatches.  Commands return
 * the process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef BIOFED_CLI_H
#define BIOFED_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "node.h"

struct cli {
	char dir[PATH_MAX]; /* node directory (--dir or the default) */
	int dir_given;
};

/* Prints "biofed: <message>" to stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage message for cmd to stderr; returns 2. */
int cli_usage(const char *usage);
/* Opens the node, printing the error; returns 0 or 1. */
int cli_open(struct cli *c, struct node *n, int flags);
/* Parses a non-negative integer option value; returns 0 or 2. */
int cli_uint(const char *opt, const char *v, uint64_t *out);

/* Options of the commands that read a file (publish, samples import):
 * add CLI_INPUT_OPTIONS to the getopt_long table and hand the codes to
 * cli_input_option, which fills o (returns 0, or the exit status: 2 for
 * a bad value).  cli_input_ready checks what goes together and opens
 * --errors-to (0 or the exit status); cli_input_done closes it. */
struct publish_opts;
struct cli_input {
	const char *errors_to;
	FILE *f;
};
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
};
#define CLI_INPUT_OPTIONS                                                     \
	{"input-format", required_argument, 0, CLI_OPT_INPUT_FORMAT},         \
	{"format", required_argument, 0, CLI_OPT_INPUT_FORMAT},               \
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
	"       [--input-format csv|json] [--delimiter comma|semicolon|tab|C]\n" \
	"       [--records PATH] [--max-errors N] [--errors-to FILE]"
int cli_input_option(int ch, const char *arg, struct publish_opts *o,
		     struct cli_input *in);
int cli_input_ready(struct publish_opts *o, struct cli_input *in);
void cli_input_done(struct cli_input *in);

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_roster(struct cli *c, int argc, char **argv);
int cmd_publish(struct cli *c, int argc, char **argv);
int cmd_changes(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_fetch(struct cli *c, int argc, char **argv);
int cmd_samples(struct cli *c, int argc, char **argv);
int cmd_search(struct cli *c, int argc, char **argv);
int cmd_query(struct cli *c, int argc, char **argv);
int cmd_sql(struct cli *c, int argc, char **argv);

#endif
