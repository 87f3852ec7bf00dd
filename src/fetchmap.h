/*
 * fetchmap: what fetch does to a source's records between the decoders
 * (csvin, jsonin) and publish, as pure code: no network, no SQLite.
 *
 * - Field mapping: a source record becomes a project record whose cells
 *   are named like the schema's fields (map.FIELD = KEY in the source's
 *   configuration), with id "NAME:SOURCE_ID", source = NAME, and
 *   institutions = the roster slugs matched among coordinator and
 *   partners.  KEY is a CSV column, or a JSON member path "a.b" that maps
 *   over arrays ("partners.name" of [{"name": ...}] is a list of names).
 *   Values are tidied for the schema: a number with a decimal comma or
 *   thousands separators ("1.234.567,50") becomes "1234567.50", a date
 *   with a time ("2024-01-31T00:00:00Z") keeps its date, a JSON number
 *   for a text field (an id) becomes its text, a CSV list cell is split
 *   on the source's list separator.  Everything else is left to publish's
 *   validation, which names the record and field of every error.
 * - Institution matching: names are compared after folding case, Latin-1
 *   accents and punctuation ("Université Paul-Sabatier" = "universite
 *   paul sabatier").  A party matches a roster institution when it equals
 *   the institution's name, acronym or slug, or contains one of them (4
 *   characters or more) as whole words ("Navarrabiomed - Fundación Miguel
 *   Servet" names navarrabiomed).
 * - Organisations (organisations_url): a CSV of the projects' partners,
 *   one row per organisation and project (CORDIS organization.csv),
 *   indexed by project id.  A record's coordinator (role "coordinator")
 *   and partners (every organisation of the project, in file order) come
 *   from it, joined on the record's source id.
 * - Paging helpers: the records count and next link of a JSON page.
 */
#ifndef BIOFED_FETCHMAP_H
#define BIOFED_FETCHMAP_H

#include <stddef.h>

#include "config.h"
#include "record.h"
#include "util.h"

/* Folds s (UTF-8) for comparison into out: lower-case ASCII letters and
 * digits, Latin-1 letters without accents, one space between words.
 * Returns the length written (out is NUL-terminated; truncated to n-1). */
size_t fetchmap_fold(const char *s, size_t len, char *out, size_t n);

/* The roster institutions to match parties against. */
struct fetchmap_inst {
	char slug[64];
	char keys[3][256]; /* folded name, acronym, slug ("" when none) */
};

struct fetchmap_roster {
	struct fetchmap_inst *v;
	size_t n, cap;
};

int fetchmap_roster_add(struct fetchmap_roster *r, const char *slug,
			const char *name, const char *acronym);
void fetchmap_roster_free(struct fetchmap_roster *r);
/* Index of the first institution that party (UTF-8) names, or -1. */
int fetchmap_match(const struct fetchmap_roster *r, const char *party,
		   size_t len);

/* The organisations file, indexed by project id. */
struct fetchmap_org {
	size_t pid_off, pid_len;   /* in text */
	const char *pid;           /* text + pid_off, once sorted */
	size_t name_off, name_len;
	size_t order;              /* row number: file order within a project */
	int coordinator;
};

struct fetchmap_orgs {
	struct fetchmap_org *v;
	size_t n, cap;
	struct bf_buf text;
	int sorted;
};

void fetchmap_orgs_init(struct fetchmap_orgs *o);
void fetchmap_orgs_free(struct fetchmap_orgs *o);
/* Adds one row of the organisations file (read with the columns
 * organisations_project, _name and _role of src).  BF_ENOENT: the header
 * lacks one of them (not the export the source expects); BF_EINVAL: this
 * row has no project id or name (err says file:line; the others can be
 * added); BF_ENOMEM. */
int fetchmap_orgs_add(struct fetchmap_orgs *o, const struct bf_source *src,
		      const struct rec *r, struct bf_err *err);

/* Turns one source record into one project record.  Owns what the
 * mapped record's cells point to, until the next call or free. */
struct fetchmap {
	const struct bf_source *src;
	const struct fetchmap_roster *roster; /* may be NULL */
	struct fetchmap_orgs *orgs; /* may be NULL; set after init */
	int csv;
	struct rec out;
	struct rec_cell cells[CONFIG_SOURCE_MAP + 6];
	struct bf_buf text;    /* texts of the cells, NUL-separated */
	void *json[CONFIG_SOURCE_MAP + 6]; /* json_t made for this record */
	size_t njson;
	size_t records;        /* records mapped so far */
	int header_checked;    /* CSV: mapped columns seen in the header */
};

void fetchmap_init(struct fetchmap *m, const struct bf_source *src,
		   const struct fetchmap_roster *roster);
void fetchmap_free(struct fetchmap *m);
/* A CSV source's header (any of its records): BF_EINVAL unless every
 * mapped column is there (garbage or a changed export fails here instead
 * of looking like an empty source). */
int fetchmap_header(struct fetchmap *m, const struct rec *in,
		    struct bf_err *err);
/* Maps in; on success *out points to m->out.  Checks the header first
 * (fetchmap_header) while it has not been.  After that, BF_EINVAL means
 * this record is refused (no usable source id; err says file:line) and
 * the next can be mapped; BF_ENOMEM fails. */
int fetchmap_record(struct fetchmap *m, const struct rec *in,
		    const struct rec **out, struct bf_err *err);

/* Number formats as above, into out (NUL-terminated); -1 when it does
 * not fit. */
int fetchmap_number(const char *s, size_t len, char *out, size_t n);

/* A JSON page (already known to parse): the number of records at the
 * source's records path (-1 when that is not an array), and the next
 * page's link at the `next` path ("" when there is none or it is null).
 * name is used in messages. */
int fetchmap_page_info(const struct bf_source *src, const char *name,
		       const char *body, size_t len, long *records,
		       char *next, size_t nextlen, struct bf_err *err);

#endif
