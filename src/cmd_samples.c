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
		cli_print_changesets(f, "nothing changed: no change set "
					"written");
}

/* A running daemon sends new facts on at once, as after a publish. */
static void wake(struct cli *c, const struct samples_result *r)
{
	if (r->derived && r->facts.changesets)
		control_wake(c->dir);
}

int cmd_samples_import(struct cli *c, int argc, char **argv)
{
	struct samples_opts o;
	struct cli_input in = {.o = &o.file};
	const struct cli_opt opts[] = {
		{.name = "no-facts", .kind = CLI_FLAG, .to = &o.no_facts},
		{.kind = CLI_INPUT, .to = &in},
		{0}};
	struct samples_result res;
	struct node n;
	struct bf_err err;
	int rc;

	memset(&o, 0, sizeof(o));
	/* only signing needs the key: facts derived, and written */
	if (cli_parse(c, argc, argv, opts, 1, 1, "FILE") ||
	    cli_input_start(c, &in, argv[optind], &n,
			    o.no_facts || o.file.dry_run ? 0 : NODE_KEY))
		return c->status;
	rc = samples_import(&n, &o, &res, &err);
	cli_input_end(&in);
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
	int dry = 0;
	const struct cli_opt opts[] = {
		{.name = "dry-run", .kind = CLI_FLAG, .to = &dry},
		{.kind = CLI_PROGRESS},
		{0}};
	struct cli_progress prog;
	struct samples_result res;
	struct node n;
	struct bf_err err;
	int rc;

	if (cli_parse(c, argc, argv, opts, 0, 0, "") ||
	    cli_open(c, &n, NODE_KEY))
		return c->status;
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
