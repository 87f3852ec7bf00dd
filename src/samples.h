/*
 * samples: a biobank's sample-level rows and the collection facts the
 * node derives from them.
 *
 * Sample rows (the local-only `sample` table: pseudonymised id,
 * collection, material, diagnosis, donor sex and age, status...) are
 * personal data: they are imported through publish's validation and diff
 * (publish_opts.local) straight into the replica, in one transaction, and
 * never enter a change set.  Every sample must name a collection that
 * this node itself owns.
 *
 * From all of the node's samples it derives collection_fact rows: one per
 * (collection, sex, age range, material, diagnosis, availability), with
 * the number of samples and of distinct donors (a sample without donor_id
 * is its own donor).  Age ranges are decades of the age at collection in
 * years ("0-9", "40-49", ... "80-89", then "90-"); an age in months, weeks
 * or days is converted (whole years, rounded down); an age without unit is
 * in years.  A sample without sex, age, diagnosis or status leaves that
 * column empty.  Small counts are suppressed as [samples] says:
 * suppress_below N (default 10) and suppress_mode "round" (a count from 1
 * to N-1 is published as N) or "hide" (a row with such a count of samples
 * or of donors is not published); 0 stays 0, and N of 0 or 1 turns it off.
 *
 * Derived facts have ids "derived:" + 32 hex digits (a hash of the six
 * dimension values), are published as the node's own change sets holding
 * only what changed, and are replaced as a set: a fact no longer derived
 * is deleted, while facts a manager published by hand are never touched.
 */
#ifndef BIOFED_SAMPLES_H
#define BIOFED_SAMPLES_H

#include <stdio.h>

#include "node.h"
#include "publish.h"

struct samples_opts {
	/* the file and how to read it: path, format, delimiter, records,
	 * replace (the file is all of the node's samples), dry_run (check
	 * and count, write nothing), map, clear_missing, max_errors,
	 * errors_to, warnings, progress (publish.h, also for the facts);
	 * the table, checks and the rest
	 * are samples_import's own */
	struct publish_opts file;
	int no_facts;        /* import only; derive later */
};

struct samples_result {
	struct publish_result import; /* sample rows (no change sets) */
	struct publish_result facts;  /* derived facts and their change sets */
	int derived;                  /* facts were derived */
	size_t groups;                /* fact rows before suppression */
	size_t rounded, hidden;       /* rows suppression changed, dropped */
};

/* Imports a samples file for node n (opened with NODE_KEY unless
 * no_facts or dry_run), then derives and publishes the facts. */
int samples_import(struct node *n, const struct samples_opts *o,
		   struct samples_result *res, struct bf_err *err);

/* Derives the facts of all of n's samples and publishes what changed
 * (n opened with NODE_KEY).  Fills res->facts, groups, rounded, hidden.
 * Says how far it is on progress (publish.h; NULL: nothing). */
int samples_derive(struct node *n, int dry_run, FILE *warnings,
		   const struct publish_progress *progress,
		   struct samples_result *res, struct bf_err *err);

/* The suppression rule: the count to publish for count under (below,
 * mode "round"|"hide"); -1 means the row is not published. */
int64_t samples_suppress(int64_t count, int64_t below, const char *mode);

#endif
