/*
 * fetch: external programme data over HTTP(S) (libcurl) into the replica.
 *
 * A source ([source NAME] in biofed.conf, struct bf_source) is fetched in
 * three steps, so that a daemon can keep one writer (the thread that owns
 * the replica) and do the slow parts on another thread:
 *
 *   fetch_prepare  reads the replica: the previous state and validators,
 *                  the roster that partners are matched with (a snapshot
 *                  the next step takes along).
 *   fetch_run      network and decoding, no database (no SQLite, no
 *                  global state besides curl_global_init, done once):
 *                  every page of the source into memory (fetch_download),
 *                  then its records decoded and mapped (fetchmap.h).
 *   fetch_finish   writes: the records through publish with replace
 *                  semantics restricted to the source's rows ("NAME:..."
 *                  ids of the project table, owned by this node): the
 *                  differences become signed change sets; an unchanged
 *                  source writes nothing.  Then the source's state.
 *
 * fetch_source does the three in a row (biofed fetch).
 *
 * A record refused for a reason of its own (a mapped cell that is not
 * valid text, no source id, a field that fails validation) is reported
 * with file:line to fetch_opts.warnings, counted (publish_result.skipped)
 * and left out; the row it had stays (publish's keep_going).  Cells of
 * columns the source does not map are not even looked at.  A source is
 * all or nothing only for what spoils the whole: HTTP, TLS, a timeout, a
 * truncated body, the size cap, paging, JSON that does not parse, CSV
 * whose quoting or encoding cannot be read, a header without the mapped
 * columns, no record accepted at all (unless allow_empty).  Then no row
 * is written, so what was fetched before stays.
 *
 * CSV sources are read with csvin's options form: the source's delimiter,
 * its quotes (CORDIS quoting by default for ';'), Windows-1252 converted.
 * With organisations_url, a second CSV (CORDIS organization.csv) gives
 * each project its coordinator and partners, joined on the project id
 * (fetchmap.h); such a source is fetched whole every time (a 304 on one
 * file says nothing of the other).
 *
 * The client behaves: conditional requests (If-None-Match and
 * If-Modified-Since from the last success; a 304 costs one round trip)
 * for single-document sources, compression, connect/total/stall
 * timeouts, a body size cap, at most max_redirects redirects over http
 * or https only, TLS verification always on (ca_file replaces the
 * system's CAs), retries with exponential backoff and jitter on timeouts,
 * lost connections, 408, 429 and 5xx (Retry-After honoured up to a
 * minute), User-Agent "biofed/VERSION", the http_proxy / https_proxy /
 * no_proxy environment (libcurl's defaults).  An API key is read from a
 * file that others cannot read and sent in one header; it never appears
 * in a message, and it is not sent across hosts: a source with a key
 * does not follow redirects or next links to another host (libcurl would
 * forward a custom header).
 *
 * Paged sources are fetched whole (every page, unconditionally, since a
 * 304 on page 1 says nothing of page 2): by a next link in each JSON
 * page, or by a page number parameter until a page holds fewer than
 * page_size records.  More than max_pages pages is an error.
 *
 * State (fetch_state table in the replica, local to this node, never
 * replicated): last attempt, success and error (with its message), HTTP
 * status, ETag and Last-Modified, records (and how many were refused),
 * pages and bytes.
 *
 * The code: fetch.c downloads, fetchtask.c runs the steps, fetchapply.c
 * decodes and publishes, fetchstate.c keeps the state (their headers
 * hold what they share; the SQL is the store's, store.h).  Validators
 * are used only while the URL and the roster are the same (partners are
 * matched against the roster) and the replica still holds the rows the
 * last fetch wrote.
 */
#ifndef BIOFED_FETCH_H
#define BIOFED_FETCH_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "node.h"
#include "publish.h"

#define FETCH_ETAG_MAX 256
#define FETCH_LM_MAX 64

/* Where fetch reports what it does: event is a stable word
 * ("fetch-retry", "fetch-error", "fetch-ok", "fetch-unchanged"), msg one
 * line of text (it may hold text from the server, already escaped). */
typedef void (*fetch_log_fn)(void *ctx, int error, const char *event,
			     const char *source, const char *msg);

struct fetch_opts {
	fetch_log_fn log; /* may be NULL */
	void *log_ctx;
	FILE *warnings;   /* record errors from publish (NULL: stderr) */
	int force;        /* ignore the validators: fetch everything */
};

/* Validators from the last success, sent on the next request. */
struct fetch_validators {
	char etag[FETCH_ETAG_MAX];
	char last_modified[FETCH_LM_MAX];
};

struct fetch_page {
	char *url;
	uint8_t *body; /* NUL-terminated (not counted in len) */
	size_t len;
};

struct fetch_download {
	int not_modified;   /* 304: nothing else is set */
	long status;        /* HTTP status of the last response */
	struct fetch_page *pages;
	size_t npages, pages_cap;
	struct fetch_page orgs; /* organisations_url (url NULL: none) */
	size_t bytes;
	unsigned attempts;  /* requests made, retries included */
	struct fetch_validators v; /* of the response (single page) */
};

/* Downloads every page of src; cond (may be NULL) makes the first request
 * conditional.  Thread-safe.  On success the caller frees out with
 * fetch_download_free. */
int fetch_download(const struct bf_source *src,
		   const struct fetch_validators *cond,
		   const struct fetch_opts *o, struct fetch_download *out,
		   struct bf_err *err);
void fetch_download_free(struct fetch_download *d);

struct fetch_result {
	int not_modified;
	long status;
	size_t pages, bytes;
	unsigned attempts;
	struct publish_result pub;
};

/* One fetch of one source, from fetch_prepare to fetch_task_free. */
struct fetch_task;

/* Reads what a fetch of src needs from node n's replica into a new task
 * (*out, the caller's to free with fetch_task_free).  src is the
 * caller's and must outlive the task; o (may be NULL) is copied.  Only
 * memory can fail here: what else goes wrong is the fetch's outcome,
 * said by fetch_finish. */
int fetch_prepare(struct node *n, const struct bf_source *src,
		  const struct fetch_opts *o, struct fetch_task **out,
		  struct bf_err *err);
/* Downloads and decodes: network and memory only, on any thread (one at
 * a time per task).  Retries are said through o->log as they happen;
 * the outcome waits for fetch_finish. */
void fetch_run(struct fetch_task *t);
/* Publishes what fetch_run brought for node n (opened with NODE_KEY:
 * the node fetch_prepare read, on its thread), says the outcome
 * (fetch-ok, fetch-unchanged or fetch-error) and records the source's
 * state.  Returns 0, or the fetch's error (err says it; the state
 * records it too).  Once per task. */
int fetch_finish(struct node *n, struct fetch_task *t,
		 struct fetch_result *res, struct bf_err *err);
void fetch_task_free(struct fetch_task *t);

/* The three steps in a row, on this thread. */
int fetch_source(struct node *n, const struct bf_source *src,
		 const struct fetch_opts *o, struct fetch_result *res,
		 struct bf_err *err);

struct fetch_state {
	char source[64];
	char url[CONFIG_STR];
	struct fetch_validators v;
	uint64_t last_attempt_ms, last_success_ms, last_change_ms;
	uint64_t last_error_ms;
	char last_error[512];
	long last_status;
	uint64_t records, pages, bytes;
	uint64_t refused; /* of records: left out for their own errors */
	char roster[17];  /* fingerprint of the roster the rows were matched
			     with: a new member makes the next fetch whole */
};

/* The state of source name; BF_ENOENT when it was never fetched. */
int fetch_state_get(struct store *s, const char *name, struct fetch_state *st,
		    struct bf_err *err);

/* 1 when src is due: never fetched, or refresh seconds have passed since
 * the last attempt. */
int fetch_due(struct store *s, const struct bf_source *src, uint64_t now_ms);

#endif
