/*
 * biofed search, query and sql: a researcher's questions to the local
 * replica.  All three open it read-only: they work while the daemon
 * writes, and without it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "query.h"
#include "schema.h"
#include "qsearch.h"
#include "qsql.h"

static int parse_limit(struct cli *c, const char *v, int64_t *out)
{
	uint64_t x;
	int rc;

	if ((rc = cli_uint(c, "--limit", v, &x)) != 0)
		return rc;
	*out = x > INT64_MAX ? INT64_MAX : (int64_t)x;
	return 0;
}

/* Opens the replica read-only and an output on stdout, in format (NULL:
 * table on a terminal, else json). */
static int open_both(struct cli *c, struct node *n, const char *format,
		     struct out **o)
{
	enum out_format fmt;
	int rc;

	if ((rc = cli_format(c, format, 1, &fmt)) != 0)
		return rc;
	if (cli_open(c, n, NODE_RDONLY))
		return 1;
	if (out_new(stdout, fmt, o)) {
		node_close(n);
		return cli_fail("out of memory");
	}
	return 0;
}

static int finish(struct cli *c, struct node *n, struct out *o, int rc,
		  const struct bf_err *err, const char *what)
{
	struct bf_err e2;

	if (rc) {
		out_free(o);
		node_close(n);
		/* a bad filter is a usage error */
		if (rc == BF_EINVAL)
			return cli_usage(c, "%s", err->msg);
		return cli_fail("%s: %s", what, err->msg);
	}
	rc = out_end(o, &e2);
	node_close(n);
	return rc ? cli_fail("%s: %s", what, e2.msg) : 0;
}

int cmd_search(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"table", required_argument, 0, 't'},
		{"limit", required_argument, 0, 'l'},
		{"format", required_argument, 0, 'f'},
		{"withdrawn", no_argument, 0, 'w'},
		{0, 0, 0, 0}};
	const char *format = NULL, *table = NULL;
	int64_t limit = 0;
	int withdrawn = 0;
	struct bf_buf text;
	struct node n;
	struct out *o;
	struct bf_err err;
	enum query_kind k;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		switch (ch) {
		case 't': table = optarg; break;
		case 'f': format = optarg; break;
		case 'w': withdrawn = 1; break;
		case 'l':
			if ((rc = parse_limit(c, optarg, &limit)) != 0)
				return rc;
			break;
		default: return c->status;
		}
	}
	if ((rc = cli_operands(c, argc, argv, 1, -1, "TEXT")) != 0)
		return rc;
	if (table) {
		const char *given = table;
		const struct sch_table *t =
			schema_table(table, strlen(table));

		if (!query_kind_parse(table, &k))
			table = query_kind_table(k);
		else if (t)
			table = t->name;
		if (!table || (strcmp(table, "research_group") &&
			       strcmp(table, "biobank") &&
			       strcmp(table, "collection") &&
			       strcmp(table, "service") &&
			       strcmp(table, "project") &&
			       strcmp(table, "network") &&
			       strcmp(table, "study"))) {
			return cli_usage(c, "--table: groups, biobanks, "
					    "collections, services, projects, "
					    "networks or studies, not \"%s\"",
					 given);
		}
	}
	bf_buf_init(&text, 64 * 1024);
	for (int i = optind; i < argc; i++)
		if ((i > optind && bf_buf_addc(&text, ' ')) ||
		    bf_buf_adds(&text, argv[i]) || !bf_buf_cstr(&text)) {
			bf_buf_free(&text);
			return cli_fail("search: text too long");
		}
	if ((rc = open_both(c, &n, format, &o)) != 0) {
		bf_buf_free(&text);
		return rc;
	}
	rc = qsearch_run(store_db(n.store), (const char *)text.p, table,
			 limit, withdrawn, o, &err);
	bf_buf_free(&text);
	return finish(c, &n, o, rc, &err, "search");
}

/* The kinds, as query.c names them: "collections, groups, ... or
 * studies". */
static void kind_list(char *out, size_t n)
{
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < Q_NKINDS && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s",
				      i == 0		  ? ""
				      : i + 1 == Q_NKINDS ? " or "
							  : ", ",
				      query_kind_names[i]);
}

void cmd_query_help(FILE *f)
{
	size_t col = 2;

	fputs("\nKIND, one of (samples: this node's own, never replicated):"
	      "\n ",
	      f);
	for (int i = 0; i < Q_NKINDS; i++) {
		size_t len = strlen(query_kind_names[i]);

		if (col + len + 2 > 76) {
			fputs("\n ", f);
			col = 2;
		}
		fprintf(f, " %s%s", query_kind_names[i],
			i + 1 < Q_NKINDS ? "," : "\n");
		col += len + 2;
	}
}

int cmd_query(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"disease", required_argument, 0, 'd'},
		{"material", required_argument, 0, 'm'},
		{"sex", required_argument, 0, 's'},
		{"age", required_argument, 0, 'a'},
		{"country", required_argument, 0, 'c'},
		{"region", required_argument, 0, 'r'},
		{"institution", required_argument, 0, 'i'},
		{"availability", required_argument, 0, 'v'},
		{"service-type", required_argument, 0, 'T'},
		{"area", required_argument, 0, 'A'},
		{"programme", required_argument, 0, 'p'},
		{"collection", required_argument, 0, 'C'},
		{"biobank", required_argument, 0, 'B'},
		{"institution-country", required_argument, 0, 'I'},
		{"network", required_argument, 0, 'N'},
		{"quality", required_argument, 0, 'Q'},
		{"withdrawn", no_argument, 0, 'w'},
		{"count-by", required_argument, 0, 'b'},
		{"limit", required_argument, 0, 'l'},
		{"format", required_argument, 0, 'f'},
		{0, 0, 0, 0}};
	struct query_opts q;
	const char *format = NULL;
	struct node n;
	struct out *o;
	struct bf_err err;
	int ch, rc;

	memset(&q, 0, sizeof(q));
	while ((ch = cli_getopt(c, argc, argv, "", lo)) != -1) {
		switch (ch) {
		case 'd': q.f.disease = optarg; break;
		case 'm': q.f.material = optarg; break;
		case 's': q.f.sex = optarg; break;
		case 'a': q.f.age = optarg; break;
		case 'c': q.f.country = optarg; break;
		case 'r': q.f.region = optarg; break;
		case 'i': q.f.institution = optarg; break;
		case 'v': q.f.availability = optarg; break;
		case 'T': q.f.service_type = optarg; break;
		case 'A': q.f.area = optarg; break;
		case 'p': q.f.programme = optarg; break;
		case 'C': q.f.collection = optarg; break;
		case 'B': q.f.biobank = optarg; break;
		case 'I': q.f.institution_country = optarg; break;
		case 'N': q.f.network = optarg; break;
		case 'Q': q.f.quality = optarg; break;
		case 'w': q.withdrawn = 1; break;
		case 'f': format = optarg; break;
		case 'b':
			if (query_count_by_parse(optarg, &q.count_by))
				return cli_usage(c, "--count-by: institution, "
						    "country, "
						    "institution-country or "
						    "material, not \"%s\"",
						 optarg);
			break;
		case 'l':
			if ((rc = parse_limit(c, optarg, &q.limit)) != 0)
				return rc;
			break;
		default: return c->status;
		}
	}
	if ((rc = cli_operands(c, argc, argv, 1, 1, "KIND")) != 0)
		return rc;
	if (query_kind_parse(argv[optind], &q.kind)) {
		char kinds[256];

		kind_list(kinds, sizeof(kinds));
		return cli_usage(c, "\"%s\" is not a kind of record: %s",
				 argv[optind], kinds);
	}
	q.notes = stderr;
	if ((rc = open_both(c, &n, format, &o)) != 0)
		return rc;
	rc = query_run(store_db(n.store), &q, o, &err);
	return finish(c, &n, o, rc, &err, "query");
}

int cmd_sql(struct cli *c, int argc, char **argv)
{
	const char *format = NULL;
	uint64_t timeout = 10000;
	const struct cli_opt opts[] = {
		{.name = "format", .kind = CLI_STR, .to = &format},
		{.name = "timeout", .kind = CLI_UINT, .to = &timeout},
		{0}};
	enum out_format fmt;
	struct node n;
	struct bf_err err;
	int rc;

	if (cli_parse(c, argc, argv, opts, 1, 1, "the SQL statement"))
		return c->status;
	if ((rc = cli_format(c, format, 1, &fmt)) != 0)
		return rc;
	if (cli_open(c, &n, NODE_RDONLY))
		return 1;
	rc = qsql_run(store_db(n.store), argv[optind],
		      timeout > INT64_MAX ? INT64_MAX : (int64_t)timeout, fmt,
		      stdout, &err);
	node_close(&n);
	return rc ? cli_fail("%s", err.msg) : 0;
}
