/*
 * fetchapply: the part of fetch (fetch.h) that turns a download into
 * project rows: fetch_apply is here, with what the downloader shares with
 * it (how a source's CSV is read, how pages are named) and the roster
 * loading that fetch's state fingerprints.
 */
#ifndef BIOFED_FETCHAPPLY_H
#define BIOFED_FETCHAPPLY_H

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

#endif
