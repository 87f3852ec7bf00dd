/*
 * publish_int: what publish's modules share (publish.c reads and diffs
 * records, pubrefs.c checks the references between rows): the context of
 * one publish and its helpers.  Nothing else includes it.
 */
#ifndef BIOFED_PUBLISH_INT_H
#define BIOFED_PUBLISH_INT_H

#include <stdio.h>

#include "idmap.h"
#include "publish.h"
#include "schema.h"
#include "value.h"
#include "vocab.h"

struct change {
	enum cs_op op;
	const struct sch_table *t;
	/* into ctx.arena: the id, NUL-terminated, then for an upsert the
	 * encoding and its row hash (CS_ROWHASH_LEN bytes) */
	size_t id_off, id_len, enc_off, enc_len;
};

struct tstate {
	const struct sch_table *t;
	const struct vocab_table *model; /* the Directory's, or NULL */
	struct idmap map;
	int in_file; /* the file holds this table (replace applies to it) */
};

struct fieldref {
	const char *name;
	size_t nlen;
	size_t voff, vlen; /* into ctx.vals */
};

/* A reference publish could not settle when it read the record: checked
 * once the whole file is read (the row named may come later). */
struct pending_ref {
	const struct sch_table *to;
	size_t line, index;   /* of the record */
	size_t off;           /* into ctx.refs: id, field, value (NULs) */
};

/* What is known of one column position of a CSV header (the decoder
 * hands the same name pointers for every row). */
struct colinfo {
	const char *name; /* the header's pointer, the key */
	const struct sch_table *t;
	const char *field; /* after the mapping file; NULL: left out */
	int fi;            /* index in t->fields, or -1 */
	const struct vocab_column *mc; /* the model's column, or NULL */
};

#define MAX_COLCACHE 128

struct ctx {
	struct node *node;
	const struct publish_opts *o;
	struct publish_result *res;
	FILE *warn;
	struct mapfile *map;
	const struct sch_table *default_table;
	struct tstate tables[32];
	size_t ntables;
	struct bf_buf arena; /* ids and encodings of changed rows */
	struct change *changes;
	size_t nchanges, capchanges;
	struct bf_buf vals, enc, old, recode;
	struct fieldref fields[CS_MAX_FIELDS];
	struct cs_field *checkf; /* for publish_opts.check, made on first use */
	struct cs_str items[VALUE_MAX_ITEMS]; /* items of the cell at hand */
	struct colinfo cols[MAX_COLCACHE];
	/* column names already warned or refused about */
	char named[64][64];
	size_t nnamed;
	size_t fatal; /* errors that keep_going cannot skip (typos) */
	struct pending_ref *pend;
	size_t npend, cappend;
	struct bf_buf refs;
	int whole_rows;
	struct bf_err *err;
	/* the record at hand, once its id is known (for keep_going) */
	struct tstate *cur_table;
	const char *cur_id;
	size_t cur_id_len;
};

/* The state of table t in this publish: its owned ids loaded on first
 * use (NULL when they cannot be read, or too many tables). */
struct tstate *pub_table_state(struct ctx *c, const struct sch_table *t);

/* An error of the file: counted; shown on the warnings up to max_errors,
 * written to errors_to however many.  line 0: the file as a whole. */
void pub_report(struct ctx *c, const char *file, size_t line,
		const char *table, size_t index, const char *id,
		const char *field, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
#define report(c, r, id, field, ...)                                          \
	pub_report(c, (r)->file, (r)->line, (r)->table, (r)->index, id,       \
		   field, __VA_ARGS__)

/* pubrefs.c.  A reference of record r (field f holds v): settled now when
 * the row it names is known, else kept for pub_settle_refs.  Returns a
 * negative code on error. */
int pub_check_ref(struct ctx *c, const struct rec *r, const char *idbuf,
		  const struct sch_field *f, const char *v, size_t len);
/* The references kept: each must name a row the file holds or one the
 * institution has and keeps; errors are reported. */
void pub_settle_refs(struct ctx *c);
/* With replace, after the deletes are known: no row kept may name a row
 * deleted.  Errors are reported; returns a negative code on failure. */
int pub_check_deleted_refs(struct ctx *c);

/* pubcommit.c.  publish_commit (publish.h), saying how far it is on
 * progress after each change set (NULL: nothing). */
int pub_commit(struct store *s, const char *origin, const struct ed_key *key,
	       struct cs_row_in *rows, size_t n, size_t max_rows,
	       const struct publish_progress *progress,
	       struct publish_result *res, struct bf_err *err);

/* Tells o->progress, if any, that step is at done of total rows. */
static inline void pub_progress(const struct publish_progress *p,
				const char *step, size_t done, size_t total)
{
	if (p)
		p->step(p->ctx, step, done, total);
}

#endif
