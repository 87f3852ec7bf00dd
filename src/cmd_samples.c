/*
 * biofed samples: a biobank manager's sample-level rows.  They stay on
 * this node; what travels are the collection facts derived from them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "publish.h"
#include "samples.h"

static void print_changesets(const struct publish_result *r)
{
	if (r->changesets == 0)
		printf("nothing changed: no change set written\n");
	else if (r->changesets == 1)
		printf("wrote 1 change set (seq %llu)\n",
		       (unsigned long long)r->first_seq);
	else
		printf("wrote %zu change sets (seq %llu..%llu)\n",
		       r->changesets, (unsigned long long)r->first_seq,
		       (unsigned long long)r->last_seq);
}

static void print_facts(const struct node *n, const struct samples_result *r,
			int dry_run)
{
	const struct publish_result *f = &r->facts;

	printf("facts: %zu derived", r->groups);
	if (n->cfg.suppress_below > 1)
		printf(" (counts below %lld: %zu %s)",
		       (long long)n->cfg.suppress_below,
		       strcmp(n->cfg.suppress_mode, "hide") ? r->rounded
							    : r->hidden,
		       strcmp(n->cfg.suppress_mode, "hide") ? "rounded up"
							    : "hidden");
	printf(": %zu new, %zu changed, %zu deleted, %zu unchanged\n",
	       f->inserted, f->updated, f->deleted, f->unchanged);
	if (dry_run)
		printf("dry run: nothing written\n");
	else
		print_changesets(f);
}

/* A running daemon sends new facts on at once, as after a publish. */
static void wake(struct cli *c, const struct samples_result *r)
{
	if (r->derived && r->facts.changesets)
		control_wake(c->dir);
}

int cmd_samples_import(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"no-facts", no_argument, 0, 'F'}, CLI_INPUT_OPTIONS,
		CLI_PROGRESS_OPTIONS, {0, 0, 0, 0}};
	struct cli_progress prog;
	struct cli_input in = {0};
	struct samples_opts o;
	struct samples_result res;
	struct node n;
	struct bf_err err;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch == 'F')
			o.no_facts = 1;
		else if (ch < CLI_OPT_INPUT_FORMAT)
			return c->status;
		else if ((rc = cli_input_option(c, ch, optarg, &o.file,
						&in)) != 0)
			return rc;
	}
	if ((rc = cli_operands(c, argc, argv, 1, 1, "FILE")) != 0)
		return rc;
	o.file.path = argv[optind];
	if ((rc = cli_input_ready(c, &o.file, &in)) != 0)
		return rc;
	if (cli_open(c, &n, o.no_facts || o.file.dry_run ? 0 : NODE_KEY)) {
		cli_input_done(&in);
		return 1;
	}
	cli_progress_begin(c, &prog);
	o.file.progress = cli_progress_hook(&prog);
	rc = samples_import(&n, &o, &res, &err);
	cli_progress_end(&prog);
	cli_input_done(&in);
	if (rc) {
		node_close(&n);
		return cli_fail("samples import: %s", err.msg);
	}
	printf("%s: %zu samples: %zu new, %zu changed, %zu deleted, "
	       "%zu unchanged (kept on this node only)\n",
	       o.file.path, res.import.records, res.import.inserted,
	       res.import.updated, res.import.deleted, res.import.unchanged);
	if (o.file.dry_run)
		printf("dry run: nothing written\n");
	if (res.derived)
		print_facts(&n, &res, 0);
	node_close(&n);
	wake(c, &res);
	return 0;
}

int cmd_samples_derive(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {{"dry-run", no_argument, 0, 'n'},
					   CLI_PROGRESS_OPTIONS,
					   {0, 0, 0, 0}};
	struct cli_progress prog;
	struct samples_result res;
	struct node n;
	struct bf_err err;
	int ch, rc, dry = 0;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		if (ch != 'n')
			return c->status;
		dry = 1;
	}
	if ((rc = cli_operands(c, argc, argv, 0, 0, "")) != 0)
		return rc;
	if (cli_open(c, &n, NODE_KEY))
		return 1;
	memset(&res, 0, sizeof(res));
	cli_progress_begin(c, &prog);
	rc = samples_derive(&n, dry, NULL, cli_progress_hook(&prog), &res,
			    &err);
	cli_progress_end(&prog);
	if (rc) {
		node_close(&n);
		return cli_fail("samples derive: %s", err.msg);
	}
	print_facts(&n, &res, dry);
	node_close(&n);
	wake(c, &res);
	return 0;
}
