/*
 * promtext: Prometheus text exposition format 0.0.4, written into a
 * bf_buf.  Pure code over buffers (no nng, no daemon state), so that the
 * escaping and the histogram are unit-tested alone (tests/unit).
 *
 *   # HELP name text
 *   # TYPE name counter|gauge|histogram
 *   name{label="value",...} 42
 *
 * Label values are escaped as the format says (backslash, double quote,
 * line feed); other control characters and bytes that are not valid UTF-8
 * become '?', so that text from outside (an error message) cannot break
 * the exposition.  Every function returns 0 or BF_ENOMEM; a failed append
 * leaves the buffer's earlier content as it was.
 */
#ifndef BIOFED_PROMTEXT_H
#define BIOFED_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* "# HELP" and "# TYPE" lines; type is "counter", "gauge" or "histogram". */
int prom_family(struct bf_buf *b, const char *name, const char *type,
		const char *help);

/* One sample: name, then the labels given as NULL-terminated pairs
 * (key, value, key, value, ..., NULL; labels may be NULL for none), then
 * the value.  Integers print exactly; doubles with up to 17 digits, and
 * +Inf, -Inf, NaN as the format spells them. */
int prom_sample(struct bf_buf *b, const char *name, const char *const *labels,
		double value);
int prom_sample_u64(struct bf_buf *b, const char *name,
		    const char *const *labels, uint64_t value);

/* Appends s with the label-value escaping above (no quotes around it). */
int prom_escape_label(struct bf_buf *b, const char *s);

/* A histogram with fixed upper bounds (ascending, finite; +Inf is
 * implicit).  Counts are kept per bucket and summed on output. */
#define PROM_MAX_BUCKETS 16
struct prom_histogram {
	size_t nbounds;
	double bound[PROM_MAX_BUCKETS];
	uint64_t count[PROM_MAX_BUCKETS + 1]; /* the last: above every bound */
	uint64_t total;
	double sum;
};

/* Sets the bounds (at most PROM_MAX_BUCKETS, ascending); zeroes counts.
 * Returns BF_EINVAL for bounds that are not ascending or too many. */
int prom_histogram_init(struct prom_histogram *h, const double *bounds,
			size_t n);
void prom_histogram_observe(struct prom_histogram *h, double v);
/* name_bucket{...,le="..."} for every bound and +Inf (cumulative), then
 * name_sum and name_count; labels as for prom_sample. */
int prom_histogram_write(struct bf_buf *b, const char *name,
			 const char *const *labels,
			 const struct prom_histogram *h);

#endif
