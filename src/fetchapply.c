/*
 * fetchapply: a download's records into the replica (fetch_apply; fetch.h
 * has the policy).  Owns the reader publish calls, which runs each page
 * through csvin or jsonin and fetchmap; the refusals of single records
 * (reported, counted, left out, their old rows kept); the organisations
 * index; and loading the roster partners are matched against.
 */
#include "fetchapply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"

static const struct fetch_opts no_opts;

void fetchapply_csv_opts(const struct bf_source *src, const char **cols,
		     struct csvin_opts *co)
{
	memset(co, 0, sizeof(*co));
	co->delim = src->delim;
	co->cordis_quotes = src->cordis_quotes;
	for (size_t i = 0; i < src->nmap; i++)
		cols[i] = src->map[i].key;
	co->columns = cols;
	co->ncolumns = src->nmap;
}

void fetchapply_page_name(const struct bf_source *src, size_t page, size_t npages,
		      char *out, size_t n)
{
	if (npages <= 1 && page == 0)
		snprintf(out, n, "%s", src->name);
	else
		snprintf(out, n, "%s page %zu", src->name, page + 1);
}

struct reader {
	const struct bf_source *src;
	const struct fetch_download *d;
	struct fetchmap m;
	rec_cb cb;
	void *cb_ctx;
	FILE *warn;           /* where refusals are reported */
	FILE *pub_warn;       /* publish's warnings, through warn_write */
	int quiet;            /* the second pass: all was said in the first */
	int mute;             /* publish is at a record fetch reports itself */
	const char *refusing; /* csvin refused the row publish has at hand */
	size_t refused;       /* records left out before publish saw them */
};

/* publish_opts.warnings: unbuffered, so that mute holds for exactly the
 * record at hand. */
static ssize_t warn_write(void *ctx, const char *buf, size_t n)
{
	struct reader *rd = ctx;

	if (!rd->quiet && !rd->mute)
		fwrite(buf, 1, n, rd->warn);
	return (ssize_t)n;
}

/* msg without its "file:line: " when it is r's */
static const char *strip_where(const struct rec *r, const char *msg)
{
	char where[256];
	size_t k = (size_t)snprintf(where, sizeof(where), "%s:%zu: ", r->file,
				    r->line);

	return k < sizeof(where) && strncmp(msg, where, k) == 0 ? msg + k
								: msg;
}

/*
 * Maps r and hands it to publish.  reason: csvin refused the row; it
 * still goes to publish as far as it maps, so that publish knows its id
 * and keeps the row it had (check_cb refuses it there, in case nothing
 * else does), and fetch says why, once, in publish's words.  A record
 * fetchmap refuses is reported and left out.
 */
static int map_and_pass(struct reader *rd, const struct rec *r,
			const char *reason, struct bf_err *err)
{
	const struct rec *out;
	int rc;

	if (rd->m.csv && !rd->m.header_checked &&
	    (rc = fetchmap_header(&rd->m, r, err)) != 0)
		return rc; /* not the export this source expects */
	rc = fetchmap_record(&rd->m, r, &out, err);
	if (rc == BF_EINVAL) {
		if (!rd->quiet)
			fprintf(rd->warn, "%s\n", reason ? reason : err->msg);
		rd->refused++;
		return 0;
	}
	if (rc)
		return rc;
	if (!reason)
		return rd->cb(rd->cb_ctx, out, err);
	rd->refusing = reason;
	rd->mute = 1;
	rc = rd->cb(rd->cb_ctx, out, err);
	rd->mute = 0;
	rd->refusing = NULL;
	if (!rc && !rd->quiet) {
		const char *id = "";
		for (size_t i = 0; i < out->ncells; i++)
			if (strcmp(out->cells[i].name, "id") == 0)
				id = out->cells[i].text;
		fprintf(rd->warn, "%s:%zu: record %zu (id %s): %s\n", r->file,
			r->line, r->index, id, strip_where(r, reason));
	}
	return rc;
}

static int map_cb(void *ctx, const struct rec *r, struct bf_err *err)
{
	return map_and_pass(ctx, r, NULL, err);
}

static int bad_row_cb(void *ctx, const struct rec *r, const char *msg,
		      struct bf_err *err)
{
	return map_and_pass(ctx, r, msg, err);
}

/* publish_opts.check: refuses the row csvin refused (publish then keeps
 * the row it had). */
static int check_cb(void *ctx, const struct rec *r, const char *id,
		    size_t id_len, const struct cs_field *fields,
		    size_t nfields, char *msg, size_t msglen)
{
	struct reader *rd = ctx;

	(void)id;
	(void)id_len;
	(void)fields;
	(void)nfields;
	if (!rd->refusing)
		return 0;
	snprintf(msg, msglen, "%s", strip_where(r, rd->refusing));
	return 1;
}

/* publish's reader: every page through the decoder and the mapping. */
static int read_pages(void *ctx, rec_cb cb, void *cb_ctx, struct bf_err *err)
{
	struct reader *rd = ctx;
	const struct bf_source *src = rd->src;
	int paged = src->next[0] || src->page_param[0];
	const char *cols[CONFIG_SOURCE_MAP];
	struct csvin_opts co;
	char name[128];
	int rc = BF_OK;

	rd->cb = cb;
	rd->cb_ctx = cb_ctx;
	fetchapply_csv_opts(src, cols, &co);
	co.notes = rd->quiet ? NULL : rd->warn;
	co.bad_row = bad_row_cb;
	for (size_t i = 0; i < rd->d->npages && !rc; i++) {
		const struct fetch_page *p = &rd->d->pages[i];
		fetchapply_page_name(src, i, paged ? 2 : 1, name, sizeof(name));
		rd->m.header_checked = 0;
		if (strcmp(src->format, "csv") == 0)
			rc = csvin_read_mem_opts(name, (const char *)p->body,
						 p->len, &co, map_cb, rd, err);
		else
			rc = jsonin_read_mem(name, (const char *)p->body,
					     p->len, src->records, map_cb, rd,
					     err);
	}
	return rc;
}

struct orgs_reader {
	const struct bf_source *src;
	struct fetchmap_orgs *orgs;
	FILE *warn;
};

static int org_cb(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct orgs_reader *or = ctx;
	int rc = fetchmap_orgs_add(or->orgs, or->src, r, err);

	if (rc == BF_EINVAL) {
		fprintf(or->warn, "%s\n", err->msg);
		return 0;
	}
	return rc;
}

static int bad_org_cb(void *ctx, const struct rec *r, const char *msg,
		      struct bf_err *err)
{
	struct orgs_reader *or = ctx;

	(void)r;
	(void)err;
	fprintf(or->warn, "%s; organisation left out\n", msg);
	return 0;
}

/* The organisations file, indexed by project id. */
static int load_orgs(const struct bf_source *src,
		     const struct fetch_download *d, FILE *warn,
		     struct fetchmap_orgs *orgs, struct bf_err *err)
{
	const char *cols[3] = {src->organisations_project,
			       src->organisations_name,
			       src->organisations_role};
	struct orgs_reader or = {src, orgs, warn};
	struct csvin_opts co;
	char name[128];

	memset(&co, 0, sizeof(co));
	co.delim = src->delim;
	co.cordis_quotes = src->cordis_quotes;
	co.notes = warn;
	co.columns = cols;
	co.ncolumns = 3;
	co.bad_row = bad_org_cb;
	snprintf(name, sizeof(name), "%s organisations", src->name);
	return csvin_read_mem_opts(name, (const char *)d->orgs.body,
				   d->orgs.len, &co, org_cb, &or, err);
}

struct roster_load {
	struct fetchmap_roster *r;
};

static int roster_cb(void *ctx, const char *id, const char *name,
		     const char *acronym)
{
	struct roster_load *rl = ctx;

	return fetchmap_roster_add(rl->r, id, name, acronym);
}

int fetchapply_load_roster(struct store *s, struct fetchmap_roster *r,
			   struct bf_err *err)
{
	struct roster_load rl = {r};
	int rc = store_roster_names(s, roster_cb, &rl, err);

	/* the store said what failed in it; a failed add is memory */
	return rc == BF_ENOMEM ? bf_errf(err, rc, "out of memory") : rc;
}

/* One pass of publish over the download; the reader's own refusals
 * count as records and as skipped, like publish's. */
static int apply_pass(struct node *n, struct reader *rd,
		      const struct fetchmap_roster *roster,
		      struct fetchmap_orgs *orgs, struct publish_opts *po,
		      struct publish_result *res, struct bf_err *err)
{
	int rc;

	fetchmap_free(&rd->m);
	fetchmap_init(&rd->m, rd->src, roster);
	rd->m.orgs = orgs;
	rd->refused = 0;
	po->warnings = rd->pub_warn;
	rc = publish_file(n, po, res, err);
	res->records += rd->refused;
	res->skipped += rd->refused;
	return rc;
}

int fetch_apply(struct node *n, const struct bf_source *src,
		const struct fetch_download *d, const struct fetch_opts *o,
		struct publish_result *res, struct bf_err *err)
{
	struct fetchmap_roster roster = {0};
	struct fetchmap_orgs orgs;
	struct publish_opts po;
	struct reader rd;
	static const cookie_io_functions_t warn_io = {.write = warn_write};
	FILE *warn;
	char prefix[80];
	int rc;

	if (!o)
		o = &no_opts;
	warn = o->warnings ? o->warnings : stderr;
	memset(res, 0, sizeof(*res));
	memset(&rd, 0, sizeof(rd));
	fetchmap_init(&rd.m, src, &roster);
	fetchmap_orgs_init(&orgs);
	rd.src = src;
	rd.d = d;
	rd.warn = warn;
	rd.pub_warn = fopencookie(&rd, "w", warn_io);
	if (!rd.pub_warn || setvbuf(rd.pub_warn, NULL, _IONBF, 0) != 0) {
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
		goto out;
	}
	rc = fetchapply_load_roster(n->store, &roster, err);
	if (rc)
		goto out;
	if (d->orgs.url && (rc = load_orgs(src, d, warn, &orgs, err)) != 0)
		goto out;
	snprintf(prefix, sizeof(prefix), "%s:", src->name);
	memset(&po, 0, sizeof(po));
	po.path = src->name;
	po.table = "project";
	po.replace = 1;
	po.id_prefix = prefix;
	po.read = read_pages;
	po.read_ctx = &rd;
	/* one bad record must not sink the source (fetch.h) */
	po.keep_going = 1;
	po.max_errors = SIZE_MAX;
	po.check = check_cb;
	po.check_ctx = &rd;
	/* A dry run first: an empty result must not delete the source's
	 * rows unless allowed, and an unchanged source stops here. */
	po.dry_run = 1;
	rc = apply_pass(n, &rd, &roster, d->orgs.url ? &orgs : NULL, &po, res,
			err);
	if (rc)
		goto out;
	if (res->records == res->skipped && res->deleted > 0 &&
	    !src->allow_empty) {
		rc = res->records == 0
			     ? bf_errf(err, BF_EINVAL,
				       "source %s returned no records; keeping "
				       "the %zu rows fetched before "
				       "(allow_empty = true accepts an empty "
				       "source)",
				       src->name, res->deleted)
			     : bf_errf(err, BF_EINVAL,
				       "source %s: all %zu records refused; "
				       "keeping the %zu rows fetched before",
				       src->name, res->records, res->deleted);
		goto out;
	}
	if (res->inserted + res->updated + res->deleted == 0)
		goto out;
	/* the same records again: what they said was said in the dry run */
	rd.quiet = 1;
	po.dry_run = 0;
	rc = apply_pass(n, &rd, &roster, d->orgs.url ? &orgs : NULL, &po, res,
			err);
out:
	if (rd.pub_warn)
		fclose(rd.pub_warn);
	fetchmap_free(&rd.m);
	fetchmap_orgs_free(&orgs);
	fetchmap_roster_free(&roster);
	return rc;
}

