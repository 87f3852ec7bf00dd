/*
 * cli: what the subcommands of the `biofed` tool share.  Each cmd_*.c file
 * implements one command family; biofed.c dispatches.  Commands return
 * the process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef BIOFED_CLI_H
#define BIOFED_CLI_H

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
