/*
 * The options of the commands that read an institution's file (publish,
 * samples import): what the file is, how to read it, what to do with its
 * errors.  One parser, so both commands take them alike.  Their
 * --format meant the file's format once; it is refused now, since
 * --format is every other command's output format.  And the line that
 * says what a publish wrote, which samples and fetch print too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "publish.h"

/* --delimiter: a name, or the character itself. */
static int delimiter(struct cli *c, const char *v, char *out)
{
	if (!strcasecmp(v, "comma"))
		*out = ',';
	else if (!strcasecmp(v, "semicolon"))
		*out = ';';
	else if (!strcasecmp(v, "tab"))
		*out = '\t';
	else if (!strcasecmp(v, "pipe"))
		*out = '|';
	else if (strlen(v) == 1 && v[0] != '"' && v[0] != ' ' &&
		 (unsigned char)v[0] >= 0x20 && (unsigned char)v[0] < 0x7f)
		*out = v[0];
	else
		return cli_usage(c, "--delimiter: comma, semicolon, tab, pipe or "
				    "one character, not \"%s\"",
				 v);
	return 0;
}

int cli_input_option(struct cli *c, int ch, const char *arg,
		     struct cli_input *in)
{
	struct publish_opts *o = in->o;
	uint64_t v;
	int rc;

	switch (ch) {
	case CLI_OPT_INPUT_FORMAT:
		if (strcmp(arg, "csv") && strcmp(arg, "json"))
			return cli_usage(c, "--input-format: csv or json, not "
					    "\"%s\"",
					 arg);
		o->format = arg;
		return 0;
	case CLI_OPT_OLD_FORMAT:
		/* it meant the input once; --format is the output's now,
		 * and an old script must not be taken to mean either */
		return cli_usage(c, "--format is for output; say what the file "
				    "holds with --input-format %s",
				 !strcmp(arg, "csv") || !strcmp(arg, "json")
					 ? arg
					 : "csv|json");
	case CLI_OPT_DELIMITER: return delimiter(c, arg, &o->delimiter);
	case CLI_OPT_RECORDS: o->records = arg; return 0;
	case CLI_OPT_REPLACE: o->replace = 1; return 0;
	case CLI_OPT_DRY_RUN: o->dry_run = 1; return 0;
	case CLI_OPT_MAP: o->map = arg; return 0;
	case CLI_OPT_CLEAR_MISSING: o->clear_missing = 1; return 0;
	case CLI_OPT_ERRORS_TO: in->errors_to = arg; return 0;
	case CLI_OPT_MAX_ERRORS:
		if ((rc = cli_uint(c, "--max-errors", arg, &v)) != 0)
			return rc;
		o->max_errors = v == 0 || v > SIZE_MAX ? SIZE_MAX : (size_t)v;
		return 0;
	}
	return cli_usage(c, "option code %d is not a file option", ch);
}

static void close_errors_to(struct cli_input *in)
{
	if (in->f && fclose(in->f) != 0)
		cli_fail("--errors-to %s: write failed", in->errors_to);
	in->f = NULL;
}

int cli_input_start(struct cli *c, struct cli_input *in, const char *path,
		    struct node *n, int flags)
{
	struct publish_opts *o = in->o;

	o->path = path;
	if (o->clear_missing && !o->replace) {
		c->status = cli_usage(c, "--clear-missing goes with --replace "
					 "(the file is then the whole table, "
					 "every column of it)");
		return CLI_EXIT;
	}
	if (in->errors_to) {
		in->f = fopen(in->errors_to, "w");
		if (!in->f) {
			c->status = cli_fail("--errors-to %s: %s",
					     in->errors_to, strerror(errno));
			return CLI_EXIT;
		}
		o->errors_to = in->f;
	}
	if (cli_open(c, n, flags)) {
		close_errors_to(in);
		return CLI_EXIT;
	}
	cli_progress_begin(c, &in->prog);
	o->progress = cli_progress_hook(&in->prog);
	return 0;
}

void cli_input_end(struct cli_input *in)
{
	cli_progress_end(&in->prog);
	close_errors_to(in);
}

void cli_print_changesets(const struct publish_result *r, const char *none)
{
	if (r->changesets == 0)
		printf("%s\n", none);
	else if (r->changesets == 1)
		printf("wrote 1 change set (seq %llu)\n",
		       (unsigned long long)r->first_seq);
	else
		printf("wrote %zu change sets (seq %llu..%llu)\n",
		       r->changesets, (unsigned long long)r->first_seq,
		       (unsigned long long)r->last_seq);
}
