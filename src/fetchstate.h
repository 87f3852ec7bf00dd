/*
 * fetchstate: the part of fetch (fetch.h) that keeps each source's state
 * in the replica (the store's fetch_state table, store.h): fetch_state_get
 * and fetch_due are here, with what fetch_finish writes and what
 * fetch_prepare compares.
 */
#ifndef BIOFED_FETCHSTATE_H
#define BIOFED_FETCHSTATE_H

#include "fetch.h"
#include "fetchmap.h"

/* Writes a source's state; fields a step did not learn keep their old
 * values (NULL parameters leave the column as it was).  A url means a
 * whole fetch: its validators v (or none), r's counts and the roster
 * fingerprint replace the old ones. */
int fetchstate_put(struct store *s, const char *name, const char *url,
		   const char *roster, const struct fetch_validators *v,
		   uint64_t now, int success, int changed, const char *error,
		   long status, const struct fetch_result *r,
		   struct bf_err *err);

/* A short fingerprint of the roster's names (matching depends on them). */
void fetchstate_roster_fingerprint(const struct fetchmap_roster *r,
				   char out[17]);

#endif
