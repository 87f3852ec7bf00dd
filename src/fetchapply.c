/*
 * fetchapply: a download's records into the replica (fetch.h has the
 * policy), in two halves.  Decoding runs each page through csvin or
 * jsonin and fetchmap (with the organisations index) into a record set
 * in memory, the notes and refusals said along the way kept in their
 * place among the records; no database.  Publishing hands that set to
 * publish, which reads it twice (a dry run, then the write), and says
 * what decoding said as it meets the records, once.  The refusals of
 * single records (reported, counted, left out, their old rows kept) and
 * loading the roster partners are matched against are here too.
 */
#include "fetchapply.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jsonin.h"

#define NONE SIZE_MAX

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

void fetchapply_page_name(const struct bf_source *src, size_t page,
			  size_t npages, char *out, size_t n)
{
	if (npages <= 1 && page == 0)
		snprintf(out, n, "%s", src->name);
	else
		snprintf(out, n, "%s page %zu", src->name, page + 1);
}

static int roster_cb(void *ctx, const struct store_member *m)
{
	return fetchmap_roster_add(ctx, m->slug, m->name, m->acronym);
}

int fetchapply_load_roster(struct store *s, struct fetchmap_roster *r,
			   struct bf_err *err)
{
	int rc = store_members(s, roster_cb, r, err);

	/* the store said what failed in it; a failed add is memory */
	return rc == BF_ENOMEM ? bf_errf(err, rc, "out of memory") : rc;
}

/* --- the record set ---------------------------------------------------- */

/* A mapped record, copied out of fetchmap (whose cells last until its
 * next record); texts are offsets into the set's text. */
struct item {
	size_t file;         /* the page's name */
	size_t line, index;
	size_t cell, ncells; /* its cells in cells[] */
	size_t reason;       /* csvin refused the row: why (or NONE) */
	size_t said;         /* notes.len as it was mapped: what came first */
};

struct cell {
	const char *name; /* the schema's name for it: static */
	size_t text, len; /* offset into text, or NONE */
	json_t *json;     /* a reference of the set's, or NULL */
};

struct fetch_records {
	struct item *v;
	size_t n, cap;
	struct cell *cells;
	size_t ncells, capcells;
	struct bf_buf text;  /* page names, cell texts, reasons */
	struct bf_buf notes; /* what decoding said, in order */
	int notes_lost;      /* notes did not fit in memory */
	size_t refused;      /* records fetchmap refused: said, left out */
};

/* The most cells a mapped record has (fetchmap.h's cells). */
#define MAX_CELLS                                                            \
	(sizeof(((struct fetchmap *)0)->cells) / sizeof(struct rec_cell))

static size_t text_add(struct fetch_records *fr, const char *s, size_t n)
{
	size_t off = fr->text.len;

	if (bf_buf_add(&fr->text, s, n) || bf_buf_addc(&fr->text, 0))
		return NONE;
	return off;
}

static const char *text_at(const struct fetch_records *fr, size_t off)
{
	return off == NONE ? NULL : (const char *)fr->text.p + off;
}

static int records_add(struct fetch_records *fr, size_t file,
		       const struct rec *r, const char *reason)
{
	struct item it;

	if (r->ncells > MAX_CELLS ||
	    bf_grow(&fr->v, &fr->cap, fr->n + 1, sizeof(*fr->v), 256) ||
	    bf_grow(&fr->cells, &fr->capcells, fr->ncells + r->ncells,
		    sizeof(*fr->cells), 1024))
		return BF_ENOMEM;
	it.file = file;
	it.line = r->line;
	it.index = r->index;
	it.cell = fr->ncells;
	it.ncells = r->ncells;
	it.reason = reason ? text_add(fr, reason, strlen(reason)) : NONE;
	if (reason && it.reason == NONE)
		return BF_ENOMEM;
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *in = &r->cells[i];
		struct cell *c = &fr->cells[fr->ncells];

		c->name = in->name;
		c->len = in->len;
		c->text = in->text ? text_add(fr, in->text, in->len) : NONE;
		c->json = NULL;
		if (in->text && c->text == NONE)
			return BF_ENOMEM;
		/* a value of the page's document, or one fetchmap made: the
		 * reference keeps it when those are gone */
		if (in->json)
			c->json = json_incref((json_t *)in->json);
		fr->ncells++; /* counted as soon as it holds a reference */
	}
	it.said = fr->notes.len;
	fr->v[fr->n++] = it;
	return 0;
}

void fetchapply_records_free(struct fetch_records *fr)
{
	if (!fr)
		return;
	for (size_t i = 0; i < fr->ncells; i++)
		json_decref(fr->cells[i].json);
	free(fr->v);
	free(fr->cells);
	bf_buf_free(&fr->text);
	bf_buf_free(&fr->notes);
	free(fr);
}

void fetchapply_say(const struct fetch_records *fr, FILE *warn)
{
	if (fr && fr->notes.len)
		fwrite(fr->notes.p, 1, fr->notes.len, warn);
}

/* --- decoding ---------------------------------------------------------- */

struct decoder {
	const struct bf_source *src;
	struct fetchmap m;
	struct fetch_records *fr;
	FILE *notes; /* into fr->notes */
	size_t file; /* the page at hand's name */
};

static ssize_t note_write(void *ctx, const char *buf, size_t n)
{
	struct fetch_records *fr = ctx;

	if (bf_buf_add(&fr->notes, buf, n)) {
		fr->notes_lost = 1;
		return 0; /* an error for stdio */
	}
	return (ssize_t)n;
}

/*
 * Maps r and keeps it.  reason: csvin refused the row; it is kept as far
 * as it maps, so that publish knows its id and keeps the row it had
 * (check_cb refuses it there, in case nothing else does), and fetch says
 * why, once, in publish's words.  A record fetchmap refuses is said and
 * left out.
 */
static int map_and_keep(struct decoder *dc, const struct rec *r,
			const char *reason, struct bf_err *err)
{
	const struct rec *out;
	int rc;

	if (dc->m.csv && !dc->m.header_checked &&
	    (rc = fetchmap_header(&dc->m, r, err)) != 0)
		return rc; /* not the export this source expects */
	rc = fetchmap_record(&dc->m, r, &out, err);
	if (rc == BF_EINVAL) {
		fprintf(dc->notes, "%s\n", reason ? reason : err->msg);
		dc->fr->refused++;
		return 0;
	}
	if (rc)
		return rc;
	if (records_add(dc->fr, dc->file, out, reason))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	return 0;
}

static int map_cb(void *ctx, const struct rec *r, struct bf_err *err)
{
	return map_and_keep(ctx, r, NULL, err);
}

static int bad_row_cb(void *ctx, const struct rec *r, const char *msg,
		      struct bf_err *err)
{
	return map_and_keep(ctx, r, msg, err);
}

/* Every page through the decoder and the mapping. */
static int decode_pages(struct decoder *dc, const struct fetch_download *d,
			struct bf_err *err)
{
	const struct bf_source *src = dc->src;
	int paged = src->next[0] || src->page_param[0];
	const char *cols[CONFIG_SOURCE_MAP];
	struct csvin_opts co;
	char name[128];
	int rc = BF_OK;

	fetchapply_csv_opts(src, cols, &co);
	co.notes = dc->notes;
	co.bad_row = bad_row_cb;
	for (size_t i = 0; i < d->npages && !rc; i++) {
		const struct fetch_page *p = &d->pages[i];

		fetchapply_page_name(src, i, paged ? 2 : 1, name, sizeof(name));
		if ((dc->file = text_add(dc->fr, name, strlen(name))) == NONE)
			return bf_errf(err, BF_ENOMEM, "out of memory");
		dc->m.header_checked = 0;
		if (strcmp(src->format, "csv") == 0)
			rc = csvin_read_mem_opts(name, (const char *)p->body,
						 p->len, &co, map_cb, dc, err);
		else
			rc = jsonin_read_mem(name, (const char *)p->body,
					     p->len, src->records, map_cb, dc,
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

int fetchapply_decode(const struct bf_source *src,
		      const struct fetch_download *d,
		      const struct fetchmap_roster *roster,
		      struct fetch_records **out, struct bf_err *err)
{
	static const cookie_io_functions_t notes_io = {.write = note_write};
	struct fetch_records *fr = calloc(1, sizeof(*fr));
	struct fetchmap_orgs orgs;
	struct decoder dc;
	int rc;

	*out = fr;
	if (!fr)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	bf_buf_init(&fr->text, 0);
	bf_buf_init(&fr->notes, 0);
	memset(&dc, 0, sizeof(dc));
	fetchmap_init(&dc.m, src, roster);
	fetchmap_orgs_init(&orgs);
	dc.src = src;
	dc.fr = fr;
	/* unbuffered: each note lands before the record that follows it */
	dc.notes = fopencookie(fr, "w", notes_io);
	if (!dc.notes || setvbuf(dc.notes, NULL, _IONBF, 0) != 0) {
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
		goto out;
	}
	if (d->orgs.url &&
	    (rc = load_orgs(src, d, dc.notes, &orgs, err)) != 0)
		goto out;
	dc.m.orgs = d->orgs.url ? &orgs : NULL;
	rc = decode_pages(&dc, d, err);
out:
	if (dc.notes)
		fclose(dc.notes);
	if (!rc && fr->notes_lost)
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
	fetchmap_free(&dc.m);
	fetchmap_orgs_free(&orgs);
	return rc;
}

/* --- publishing -------------------------------------------------------- */

struct reader {
	const struct fetch_records *fr;
	FILE *warn;           /* where refusals are reported */
	FILE *pub_warn;       /* publish's warnings, through warn_write */
	int quiet;            /* the second pass: all was said in the first */
	int mute;             /* publish is at a record fetch reports itself */
	const char *refusing; /* csvin refused the row publish has at hand */
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

/* Hands r to publish; a row csvin refused (reason) is said once, in
 * publish's words (map_and_keep). */
static int pass_record(struct reader *rd, const struct rec *r,
		       const char *reason, rec_cb cb, void *cb_ctx,
		       struct bf_err *err)
{
	int rc;

	if (!reason)
		return cb(cb_ctx, r, err);
	rd->refusing = reason;
	rd->mute = 1;
	rc = cb(cb_ctx, r, err);
	rd->mute = 0;
	rd->refusing = NULL;
	if (!rc && !rd->quiet) {
		const char *id = "";
		for (size_t i = 0; i < r->ncells; i++)
			if (strcmp(r->cells[i].name, "id") == 0)
				id = r->cells[i].text;
		fprintf(rd->warn, "%s:%zu: record %zu (id %s): %s\n", r->file,
			r->line, r->index, id, strip_where(r, reason));
	}
	return rc;
}

/* What decoding said between said and upto, in the first pass. */
static void say_notes(struct reader *rd, size_t said, size_t upto)
{
	if (!rd->quiet && upto > said)
		fwrite(rd->fr->notes.p + said, 1, upto - said, rd->warn);
}

/* publishing's reader: the decoded records, in their order. */
static int read_records(void *ctx, rec_cb cb, void *cb_ctx,
			struct bf_err *err)
{
	struct reader *rd = ctx;
	const struct fetch_records *fr = rd->fr;
	struct rec_cell cells[MAX_CELLS];
	size_t said = 0;
	int rc;

	for (size_t i = 0; i < fr->n; i++) {
		const struct item *it = &fr->v[i];
		struct rec r = {.file = text_at(fr, it->file),
				.line = it->line,
				.index = it->index,
				.cells = cells,
				.ncells = it->ncells};

		say_notes(rd, said, it->said);
		said = it->said;
		for (size_t k = 0; k < it->ncells; k++) {
			const struct cell *c = &fr->cells[it->cell + k];
			cells[k] = (struct rec_cell){
				.name = c->name,
				.text = text_at(fr, c->text),
				.len = c->len,
				.json = c->json,
			};
		}
		rc = pass_record(rd, &r, text_at(fr, it->reason), cb, cb_ctx,
				 err);
		if (rc)
			return rc;
	}
	say_notes(rd, said, fr->notes.len);
	return 0;
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

/* One pass of publish over the records; the ones fetchmap refused count
 * as records and as skipped, like publish's. */
static int publish_pass(struct node *n, struct reader *rd,
			struct publish_opts *po, struct publish_result *res,
			struct bf_err *err)
{
	int rc;

	po->warnings = rd->pub_warn;
	rc = publish_file(n, po, res, err);
	res->records += rd->fr->refused;
	res->skipped += rd->fr->refused;
	return rc;
}

int fetchapply_publish(struct node *n, const struct bf_source *src,
		       const struct fetch_records *fr, FILE *warn,
		       struct publish_result *res, struct bf_err *err)
{
	static const cookie_io_functions_t warn_io = {.write = warn_write};
	struct publish_opts po;
	struct reader rd;
	char prefix[80];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&rd, 0, sizeof(rd));
	rd.fr = fr;
	rd.warn = warn;
	rd.pub_warn = fopencookie(&rd, "w", warn_io);
	if (!rd.pub_warn || setvbuf(rd.pub_warn, NULL, _IONBF, 0) != 0) {
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "%s:", src->name);
	memset(&po, 0, sizeof(po));
	po.path = src->name;
	po.table = "project";
	po.replace = 1;
	po.id_prefix = prefix;
	po.read = read_records;
	po.read_ctx = &rd;
	/* one bad record must not sink the source (fetch.h) */
	po.keep_going = 1;
	po.max_errors = SIZE_MAX;
	po.check = check_cb;
	po.check_ctx = &rd;
	/* A dry run first: an empty result must not delete the source's
	 * rows unless allowed, and an unchanged source stops here. */
	po.dry_run = 1;
	rc = publish_pass(n, &rd, &po, res, err);
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
	rc = publish_pass(n, &rd, &po, res, err);
out:
	if (rd.pub_warn)
		fclose(rd.pub_warn);
	return rc;
}
