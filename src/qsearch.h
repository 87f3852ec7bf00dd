/*
 * qsearch: full-text search of the local replica (store.h's search_fts
 * index) for researchers, best first.
 */
#ifndef BIOFED_QSEARCH_H
#define BIOFED_QSEARCH_H

#include <stdint.h>

#include "output.h"
#include "util.h"

struct sqlite3;

/* Searches research groups, biobanks, collections, services, projects,
 * networks and studies.  Words must all occur (in any field, in any form
 * without accents); "OR" between two words means either; a word ending
 * in '*' is a prefix.  table (NULL: all) keeps hits of one table.  limit
 * 0: 20.  Withdrawn records (query.h) are left out unless withdrawn is
 * non-zero.  The ranking is BM25 without length normalisation, names
 * weighing 4 (see qsearch.c for why).  Declares the output's columns and
 * writes its rows. */
int qsearch_run(struct sqlite3 *db, const char *text, const char *table,
		int64_t limit, int withdrawn, struct out *o,
		struct bf_err *err);

#endif
