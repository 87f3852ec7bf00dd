/*
 * config: a node's configuration file (INI, read with libinih).
 *
 * Every option is one entry of a table (section, key, type, bounds,
 * default, help) in config.c; `biofed config` prints that table.  Unknown
 * sections or keys, values out of bounds and malformed lines are errors
 * that name file:line.  Repeatable keys (peer) collect into a list.
 */
#ifndef BIOFED_CONFIG_H
#define BIOFED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CONFIG_MAX_PEERS 32
#define CONFIG_STR 256

struct bf_config {
	/* [node] */
	char slug[64];
	char name[CONFIG_STR];
	char country[8];
	char region[CONFIG_STR];
	char endpoint[CONFIG_STR]; /* where peers reach this node */
	char listen[CONFIG_STR];   /* what biofedd binds */
	/* [federation] */
	uint8_t coordinator_key[32];
	int has_coordinator_key;
	char peers[CONFIG_MAX_PEERS][CONFIG_STR];
	size_t npeers;
	/* [publish] */
	int64_t max_changeset_rows;
	/* [samples] */
	int64_t suppress_below;
	char suppress_mode[16]; /* "round" or "hide" */
	/* [log] */
	char log_level[16];
};

/* Fills cfg with defaults. */
void config_defaults(struct bf_config *cfg);
/* Reads path into cfg (defaults first).  Errors name path:line. */
int config_load(const char *path, struct bf_config *cfg, struct bf_err *err);
/* Renders cfg as a commented INI file (what `biofed init` writes). */
int config_render(const struct bf_config *cfg, struct bf_buf *out);
/* Prints the option table (section.key, type, default, help). */
void config_print_options(void *file /* FILE* */);

#endif
