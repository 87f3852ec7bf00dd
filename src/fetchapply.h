/*
 * fetchapply: the part of fetch (fetch.h) that turns a download into
 * project rows, in two halves that may run on different threads:
 * fetchapply_decode (decoders and fetchmap, no database: fetch_run) and
 * fetchapply_publish (publish over the decoded records: fetch_finish).
 * Also what the downloader shares with it (how a source's CSV is read,
 * how pages are named) and the roster loading that fetch's state
 * fingerprints.
 */
#ifndef BIOFED_FETCHAPPLY_H
#define BIOFED_FETCHAPPLY_H

#include <stdio.h>

#include "csvin.h"
#include "fetch.h"
#include "fetchmap.h"

/* How a source's CSV is read (fetch.h): its delimiter and quotes, only
 * its mapped columns.  cols has room for CONFIG_SOURCE_MAP names and must
 * outlive co. */
void fetchapply_csv_opts(const struct bf_source *src, const char **cols,
			 struct csvin_opts *co);

/* A page's name in messages: the source's name, with "page N" when the
 * source has pages. */
void fetchapply_page_name(const struct bf_source *src, size_t page,
			  size_t npages, char *out, size_t n);

/* The roster's names, acronyms and slugs, to match partners with; r is
 * the caller's to free (fetchmap_roster_free), also on failure. */
int fetchapply_load_roster(struct store *s, struct fetchmap_roster *r,
			   struct bf_err *err);

/* A source's records, decoded and mapped (project records, as publish
 * takes them), held in memory with what decoding said about them
 * (csvin's notes, records refused for their own reasons), in order. */
struct fetch_records;

/* Decodes every page of d (and its organisations file) and maps the
 * records, matching partners with roster: no database, no global state,
 * so any thread may run it.  *out is set, also on failure (then it holds
 * what was said before the failure: fetchapply_say), and is the
 * caller's to free with fetchapply_records_free. */
int fetchapply_decode(const struct bf_source *src,
		      const struct fetch_download *d,
		      const struct fetchmap_roster *roster,
		      struct fetch_records **out, struct bf_err *err);
/* Writes what decoding said to warn (after a failed decode: a published
 * one said it as publish met the records). */
void fetchapply_say(const struct fetch_records *r, FILE *warn);
void fetchapply_records_free(struct fetch_records *r);

/* Publishes r for node n (opened with NODE_KEY) with replace semantics
 * restricted to the source's rows (fetch.h); what decoding said and
 * publish's warnings go to warn, each once. */
int fetchapply_publish(struct node *n, const struct bf_source *src,
		       const struct fetch_records *r, FILE *warn,
		       struct publish_result *res, struct bf_err *err);

#endif
