/*
 * cli_parse: a command's options read from a table that says what each
 * one is and where its value goes (cli.h).  A command lists its options
 * instead of writing its own getopt loop, so that every command checks a
 * value of one kind alike and words a bad one alike.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The getopt codes of the table's entries without a letter: above the
 * CLI_OPT_* codes, which cli_getopt and the file options use. */
#define ENTRY_CODE 0x200

static const struct option input_options[] = {CLI_INPUT_OPTIONS};
static const struct option progress_options[] = {CLI_PROGRESS_OPTIONS};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int entry_code(const struct cli_opt *opts, size_t i)
{
	return opts[i].letter ? opts[i].letter : ENTRY_CODE + (int)i;
}

/* Appends n getopt entries to lo (which holds *len). */
static void add(struct option *lo, size_t *len, const struct option *o,
		size_t n)
{
	/* a programming error, caught by any run of the command */
	if (*len + n + 3 > CLI_MAX_OPTIONS) /* cli_getopt adds three */
		abort();
	memcpy(lo + *len, o, n * sizeof(*o));
	*len += n;
}

/* getopt_long's table lo and its short options for opts. */
static void build(const struct cli_opt *opts, struct option *lo,
		  char *shortopts, size_t shortlen)
{
	size_t n = 0, s = 0;

	for (size_t i = 0; opts && opts[i].kind != CLI_END; i++) {
		const struct cli_opt *e = &opts[i];
		int arg = e->kind != CLI_FLAG;
		struct option one = {e->name,
				     arg ? required_argument : no_argument,
				     NULL, entry_code(opts, i)};

		if (e->kind == CLI_INPUT)
			add(lo, &n, input_options, NELEM(input_options));
		if (e->kind == CLI_INPUT || e->kind == CLI_PROGRESS) {
			add(lo, &n, progress_options, NELEM(progress_options));
			continue;
		}
		add(lo, &n, &one, 1);
		if (!e->letter)
			continue;
		if (s + 3 > shortlen)
			abort();
		shortopts[s++] = e->letter;
		if (arg)
			shortopts[s++] = ':';
	}
	memset(&lo[n], 0, sizeof(lo[n]));
	shortopts[s] = 0;
}

/* Takes option code ch with its value; returns 0 or the usage status. */
static int take(struct cli *c, const struct cli_opt *opts, int ch,
		const char *arg)
{
	char name[64];

	for (size_t i = 0; opts && opts[i].kind != CLI_END; i++) {
		const struct cli_opt *e = &opts[i];

		if (e->kind == CLI_INPUT && ch >= CLI_OPT_INPUT_FORMAT &&
		    ch <= CLI_OPT_OLD_FORMAT)
			return cli_input_option(c, ch, arg, e->to);
		if (ch != entry_code(opts, i))
			continue;
		switch (e->kind) {
		case CLI_FLAG: *(int *)e->to = 1; return 0;
		case CLI_STR: *(const char **)e->to = arg; return 0;
		case CLI_UINT:
			snprintf(name, sizeof(name), "--%s", e->name);
			return cli_uint(c, name, arg, e->to);
		case CLI_FORMAT: return cli_format(c, arg, 0, e->to);
		default: break;
		}
	}
	abort(); /* getopt returned a code that build() did not give */
}

int cli_parse(struct cli *c, int argc, char **argv, const struct cli_opt *opts,
	      int min, int max, const char *what)
{
	struct option lo[CLI_MAX_OPTIONS];
	char shortopts[8];
	int ch;

	build(opts, lo, shortopts, sizeof(shortopts));
	while ((ch = cli_getopt(c, argc, argv, shortopts, lo)) != -1) {
		if (ch == CLI_EXIT)
			return CLI_EXIT;
		if ((c->status = take(c, opts, ch, optarg)) != 0)
			return CLI_EXIT;
	}
	if ((c->status = cli_operands(c, argc, argv, min, max, what)) != 0)
		return CLI_EXIT;
	return 0;
}
