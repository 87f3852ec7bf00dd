/*
 * fetchtask: one fetch of one source in three steps (fetch.h): the
 * snapshot fetch_prepare reads from the replica, fetch_run's download
 * and decoding (no database: it may run on a thread of its own) and
 * fetch_finish's publish and state, back on the replica's thread.
 * fetch_source runs them in a row.  What each step says about the
 * fetch goes through fetch_say.
 */
#include "fetchtask.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fetchapply.h"
#include "fetchstate.h"

static const struct fetch_opts no_opts;

/* Text from outside (server messages, jansson snippets, cells quoted in
 * a decoder's message) made safe for a log line: control characters
 * become '?'.  Not log_escape: these lines quote the source's column
 * names and values ('no column "id"'), which must stay readable. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void fetch_say(const struct fetch_opts *o, int error, const char *event,
	       const char *source, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	o->log(o->log_ctx, error, event, source, msg);
}

struct fetch_task {
	const struct bf_source *src;
	struct fetch_opts o;
	uint64_t now; /* when it began: the attempt's time in the state */
	/* fetch_prepare's snapshot of the replica */
	struct fetchmap_roster roster;
	char roster_fp[17];
	const struct fetch_validators *cond; /* &last.v, or NULL */
	struct fetch_state last;
	/* fetch_run's outcome: rc 0, or err says why */
	int rc;
	struct bf_err err;
	int downloaded;
	struct fetch_result got;   /* all but pub */
	struct fetch_validators v; /* of the response */
	struct fetch_records *recs;
};

int fetch_prepare(struct node *n, const struct bf_source *src,
		  const struct fetch_opts *o, struct fetch_task **out,
		  struct bf_err *err)
{
	struct fetch_task *t = calloc(1, sizeof(*t));
	struct fetch_state *st;
	struct bf_err serr;
	int single = !src->next[0] && !src->page_param[0] &&
		     !src->organisations_url[0];

	if (!t)
		return bf_errf(err, BF_ENOMEM, "out of memory");
	t->src = src;
	t->o = o ? *o : no_opts;
	t->now = bf_now_ms();
	/* a roster that cannot be read fails the fetch (fetch_run skips) */
	t->rc = fetchapply_load_roster(n->store, &t->roster, &t->err);
	fetchstate_roster_fingerprint(&t->roster, t->roster_fp);
	/* the validators hold while the URL and the roster are the same and
	 * the replica still has the rows the last fetch wrote (fetch.h) */
	st = &t->last;
	if (single && !t->o.force &&
	    fetch_state_get(n->store, src->name, st, &serr) == 0 &&
	    strcmp(st->url, src->url) == 0 &&
	    strcmp(st->roster, t->roster_fp) == 0 &&
	    (st->v.etag[0] || st->v.last_modified[0]) &&
	    store_fetch_rows(n->store, n->cfg.slug, src->name) ==
		    (int64_t)(st->records - st->refused))
		t->cond = &st->v;
	*out = t;
	return BF_OK;
}

void fetch_run(struct fetch_task *t)
{
	struct fetch_download d;

	if (t->rc)
		return;
	t->rc = fetch_download(t->src, t->cond, &t->o, &d, &t->err);
	if (t->rc)
		return;
	t->downloaded = 1;
	t->got.not_modified = d.not_modified;
	t->got.status = d.status;
	t->got.attempts = d.attempts;
	t->got.pages = d.npages;
	t->got.bytes = d.bytes;
	t->v = d.v;
	if (!d.not_modified)
		t->rc = fetchapply_decode(t->src, &d, &t->roster, &t->recs,
					  &t->err);
	/* the records hold what publish needs: the bodies can go */
	fetch_download_free(&d);
}

int fetch_finish(struct node *n, struct fetch_task *t,
		 struct fetch_result *res, struct bf_err *err)
{
	const struct bf_source *src = t->src;
	const struct fetch_opts *o = &t->o;
	FILE *warn = o->warnings ? o->warnings : stderr;
	struct bf_err serr;
	char refused[40];
	int rc, single = !src->next[0] && !src->page_param[0] &&
			 !src->organisations_url[0];

	memset(res, 0, sizeof(*res));
	res->status = t->got.status;
	if (t->downloaded) {
		res->attempts = t->got.attempts;
		res->pages = t->got.pages;
		res->bytes = t->got.bytes;
	}
	if (t->rc) {
		/* what decoding said up to its failure comes first */
		fetchapply_say(t->recs, warn);
		*err = t->err;
		rc = t->rc;
		goto failed;
	}
	if (t->got.not_modified) {
		res->not_modified = 1;
		fetch_say(o, 0, "fetch-unchanged", src->name,
			  "not modified (HTTP 304)");
		return fetchstate_put(n->store, src->name, NULL, NULL, NULL,
				      t->now, 1, 0, NULL, 304, res, err);
	}
	rc = fetchapply_publish(n, src, t->recs, warn, &res->pub, err);
	if (rc)
		goto failed;
	refused[0] = 0;
	if (res->pub.skipped)
		snprintf(refused, sizeof(refused), ", %zu refused",
			 res->pub.skipped);
	fetch_say(o, 0, "fetch-ok", src->name,
		  "%zu records in %zu page%s%s: %zu new, %zu changed, %zu "
		  "deleted, %zu unchanged; %zu change set%s",
		  res->pub.records, res->pages, res->pages == 1 ? "" : "s",
		  refused, res->pub.inserted, res->pub.updated,
		  res->pub.deleted, res->pub.unchanged, res->pub.changesets,
		  res->pub.changesets == 1 ? "" : "s");
	return fetchstate_put(n->store, src->name, src->url, t->roster_fp,
			      single ? &t->v : NULL, t->now, 1,
			      res->pub.changesets > 0, NULL, t->got.status,
			      res, err);
failed:
	sanitize(err->msg);
	fetch_say(o, 1, "fetch-error", src->name,
		  "%s; the rows fetched before stay", err->msg);
	/* the error is what the caller must see, not a state write's */
	fetchstate_put(n->store, src->name, NULL, NULL, NULL, t->now, 0, 0,
		       err->msg, res->status, res, &serr);
	return rc;
}

void fetch_task_free(struct fetch_task *t)
{
	if (!t)
		return;
	fetchmap_roster_free(&t->roster);
	fetchapply_records_free(t->recs);
	free(t);
}

int fetch_source(struct node *n, const struct bf_source *src,
		 const struct fetch_opts *o, struct fetch_result *res,
		 struct bf_err *err)
{
	struct fetch_task *t;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = fetch_prepare(n, src, o, &t, err)) != 0)
		return rc;
	fetch_run(t);
	rc = fetch_finish(n, t, res, err);
	fetch_task_free(t);
	return rc;
}
