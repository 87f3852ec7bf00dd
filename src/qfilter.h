/*
 * qfilter: the WHERE clauses of a researcher's filters over one kind of
 * record (query.h says what each filter means; this module is where it
 * is turned into SQL).
 */
#ifndef BIOFED_QFILTER_H
#define BIOFED_QFILTER_H

#include <stdint.h>

#include "qbuild.h"
#include "query.h"

/* The filters a kind takes, beyond the institution's (--institution,
 * --region, --institution-country), which every kind takes. */
enum {
	F_DISEASE = 1u << 0,
	F_MATERIAL = 1u << 1,
	F_SEX = 1u << 2,
	F_AGE = 1u << 3,
	F_AVAIL = 1u << 4,
	F_SERVICE = 1u << 5,
	F_AREA = 1u << 6,
	F_PROGRAMME = 1u << 7,
	F_COLLECTION = 1u << 8,
	F_BIOBANK = 1u << 9,
	F_COUNTRY = 1u << 10, /* the record's own country */
	F_NETWORK = 1u << 11,
	F_QUALITY = 1u << 12,
};

#define F_SAMPLE_DIMS (F_DISEASE | F_MATERIAL | F_SEX | F_AGE | F_AVAIL)

/* Appends " AND ..." for every filter of qo (and for leaving withdrawn
 * records out, unless qo->withdrawn) over row alias t of qo->kind's
 * table.  A filter outside allowed, or a bad value, is q's sticky
 * BF_EINVAL with a message; a name given as --disease is reported on
 * qo->notes. */
void qf_where(struct qb *q, const struct query_opts *qo, unsigned allowed);

/* The record's own country as SQL over row alias t (query.h: country),
 * or NULL for kinds that have none. */
const char *qf_country_sql(enum query_kind k);

/* "40-60", "40-", "-17", "45": lo..hi in years; *hi is -1 when open. */
int qf_age_range(const char *s, int64_t *lo, int64_t *hi);

#endif
