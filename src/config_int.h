/*
 * What config.c shares with the modules beside it: the option table's
 * types and the tables themselves.  confaddr.c checks the addresses a
 * configuration names; confrender.c writes a configuration out (biofed
 * init) and lists the options (biofed config).
 */
#ifndef BIOFED_CONFIG_INT_H
#define BIOFED_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

enum opt_type {
	OPT_STR,
	OPT_INT,
	OPT_HEX32,
	OPT_ENUM,
	OPT_LIST,
	OPT_BOOL, /* true|false into an int */
	OPT_MAP,  /* "PREFIX.FIELD = value": key is the prefix with its dot */
};

/* What a string value must be, checked where it is read (file:line). */
enum opt_check {
	CHECK_NONE,
	CHECK_ENDPOINT, /* tls+tcp://HOST:PORT, or empty */
	CHECK_LISTEN,   /* the same, or "none" */
};

struct opt {
	const char *section;
	const char *key;
	enum opt_type type;
	size_t off;       /* into struct bf_config (or struct bf_source) */
	size_t size;      /* of a string field, or of one list item */
	int64_t min, max; /* OPT_INT: bounds */
	size_t count;     /* OPT_LIST, OPT_MAP: offset of the size_t count */
	size_t capacity;  /* ...and how many items fit */
	const char *def;  /* NULL: none (empty) */
	const char *choices; /* OPT_ENUM: "a|b|c" */
	enum opt_check check;
	const char *help;
};

#define SOURCE_PREFIX "source "

/* The options of [node]..[log], and of a [source NAME] section, in the
 * order biofed init writes them; n is set to their count.  Static data,
 * never freed. */
const struct opt *config_table(size_t *n);
const struct opt *config_source_table(size_t *n);

#endif
