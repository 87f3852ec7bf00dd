/*
 * publish: from a file an institution already has (CSV or JSON) to the
 * change sets that hold only what differs from the rows it already owns.
 *
 * Every record is validated against schema.h (required fields, types,
 * the Directory's vocabularies, ICD-10/ORPHA codes that exist, ids,
 * references to the institution's own rows); all errors of the file are
 * collected (file:line: table id: field: what) and any error means nothing
 * is written.  A column name that is no field but close to one (a typo:
 * `materails`) is an error with "did you mean", since taking it as an
 * extra field would empty the real one.
 *
 * A field whose column the file does not have keeps, on a row the
 * institution already has, the value it had: a file of collections
 * without a `materials` column leaves their materials alone.  An empty
 * cell does empty the field.  clear_missing (and rows from a reader:
 * fetch, derived facts) treat each record as the whole row instead.
 *
 * Valid rows are encoded canonically and hashed; a row whose hash equals
 * the stored one is unchanged.  With `replace`, owned rows of the file's
 * tables that the file does not hold are deleted.  The differences are
 * written in (table, id) order as change sets of at most
 * max_changeset_rows rows, each signed and applied through store_apply,
 * the same path a peer's change set takes.
 */
#ifndef BIOFED_PUBLISH_H
#define BIOFED_PUBLISH_H

#include <stdio.h>

#include "changeset.h"
#include "node.h"
#include "record.h"
#include "schema.h"

/* Where a long publish is, for a progress line: step says what it does
 * ("reading rows", "writing change sets"), done how many rows of that
 * step are done and total how many there are (0: not known).  Called as
 * each step begins and every PUBLISH_PROGRESS_ROWS rows within it; the
 * callee decides what to show and how often, and must be cheap.  A NULL
 * step comes before publish writes a message or the dry run's changes:
 * take the line off the screen until the next step or count. */
struct publish_progress {
	void (*step)(void *ctx, const char *step, size_t done, size_t total);
	void *ctx;
};
#define PUBLISH_PROGRESS_ROWS 1024

struct publish_opts {
	const char *path;
	const char *table;   /* NULL: from a JSON file's keys or file name */
	const char *format;  /* "csv", "json" or NULL: from the extension */
	char delimiter;      /* CSV; 0 means ',' */
	const char *records; /* JSON: path to the records array */
	int replace;
	int dry_run;
	size_t max_errors;   /* errors shown on warnings; 0: 50, SIZE_MAX:
			      * all (every one is counted) */
	FILE *errors_to;     /* also every error here, however many (NULL) */
	FILE *dry_run_out;   /* dry_run: the changes, field by field
			      * (drydiff.h); NULL: stdout */
	const char *map;     /* a mapping file (mapfile.h) or NULL */
	int clear_missing;   /* a column the file lacks empties the field */
	unsigned value_flags;/* schema_value's (SCH_NO_TERMS: benchmarks) */
	/* Invalid records are reported (as errors) and left out; the valid
	 * ones are published.  A left-out record keeps the row it had
	 * (replace does not delete it).  Fetch uses this: one bad record
	 * must not sink a source. */
	int keep_going;
	FILE *warnings;      /* where warnings go (NULL: stderr) */
	/* Records from a reader instead of the file (fetch hands over a
	 * source's mapped records this way): read calls cb(cb_ctx, ...) per
	 * record and returns what a decoder would.  path then only names the
	 * data in messages, and table is required. */
	int (*read)(void *read_ctx, rec_cb cb, void *cb_ctx,
		    struct bf_err *err);
	void *read_ctx;
	/* With replace: only owned rows whose id starts with this are
	 * deleted when absent (a fetched source's "NAME:" rows). */
	const char *id_prefix;
	/* Local-only rows (samples.h): the file holds a SCH_T_LOCAL table,
	 * whose rows go straight into the replica in one transaction
	 * (store_write_local) and never into a change set.  No key needed. */
	int local;
	/* An extra check of each otherwise valid row (but a duplicate), or NULL:
	 * fields are the row's, sorted by name, each with its name, v.type
	 * and v.raw (the encoded value); text values also have v.s, integers
	 * v.i.  r says where the row came from.  Returns 0, or non-zero with
	 * a message in msg (reported with file:line; nothing is written). */
	int (*check)(void *check_ctx, const struct rec *r, const char *id,
		     size_t id_len, const struct cs_field *fields,
		     size_t nfields, char *msg, size_t msglen);
	void *check_ctx;
	const struct publish_progress *progress; /* or NULL */
};

struct publish_result {
	size_t records;
	size_t inserted, updated, deleted, unchanged;
	size_t changesets;
	uint64_t first_seq, last_seq;
	size_t errors;
	size_t skipped; /* keep_going: records left out for their errors */
	size_t merged;  /* changed rows that kept fields the file lacked */
};

/* Publishes a file for node n (opened with NODE_KEY, unless local). */
int publish_file(struct node *n, const struct publish_opts *o,
		 struct publish_result *res, struct bf_err *err);

/* Signs rows as change sets of origin, at most max_rows rows each, in
 * (table, id) order (rows is sorted in place), and applies them to s.
 * Counts change sets and sequence numbers in res. */
int publish_commit(struct store *s, const char *origin,
		   const struct ed_key *key, struct cs_row_in *rows, size_t n,
		   size_t max_rows, struct publish_result *res,
		   struct bf_err *err);

/* Says, in words that tell what to do, why node n cannot sign change sets
 * that its own replica accepts (not in the roster, another key); 0 when
 * it can. */
int publish_check_member(struct node *n, struct bf_err *err);

#endif
