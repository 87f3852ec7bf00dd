/*
 * promtext: the Prometheus text format (promtext.h).
 */
#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HELP text escapes backslash and line feed only. */
static int add_help(struct bf_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		if (*s == '\\')
			rc = bf_buf_adds(b, "\\\\");
		else if (*s == '\n')
			rc = bf_buf_adds(b, "\\n");
		else
			rc = bf_buf_addc(b, (uint8_t)*s);
	}
	return rc;
}

int prom_family(struct bf_buf *b, const char *name, const char *type,
		const char *help)
{
	size_t at = b->len;
	int rc = bf_buf_printf(b, "# HELP %s ", name);

	if (!rc)
		rc = add_help(b, help);
	if (!rc)
		rc = bf_buf_printf(b, "\n# TYPE %s %s\n", name, type);
	if (rc)
		b->len = at;
	return rc;
}

/* Length of the UTF-8 sequence at p (n bytes left) if it is valid text,
 * else 0.  C0 controls and DEL count as invalid here. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t k = p[0] < 0x80 ? 1
		   : (p[0] & 0xe0) == 0xc0 ? 2
		   : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4
					   : 0;

	if (k == 0 || k > n || !bf_utf8_ok(p, k) || p[0] == '\t' ||
	    p[0] == '\r')
		return 0;
	return k;
}

int prom_escape_label(struct bf_buf *b, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), i = 0, at = b->len;
	int rc = 0;

	while (i < n && !rc) {
		size_t k;
		if (p[i] == '\\') {
			rc = bf_buf_adds(b, "\\\\");
			k = 1;
		} else if (p[i] == '"') {
			rc = bf_buf_adds(b, "\\\"");
			k = 1;
		} else if (p[i] == '\n') {
			rc = bf_buf_adds(b, "\\n");
			k = 1;
		} else if ((k = utf8_seq(p + i, n - i)) != 0) {
			rc = bf_buf_add(b, p + i, k);
		} else {
			rc = bf_buf_addc(b, '?');
			k = 1;
		}
		i += k;
	}
	if (rc)
		b->len = at;
	return rc;
}

static int add_labels(struct bf_buf *b, const char *const *labels,
		      const char *le)
{
	int rc = 0, any = 0;

	if ((!labels || !labels[0]) && !le)
		return 0;
	rc = bf_buf_addc(b, '{');
	for (size_t i = 0; labels && labels[i] && labels[i + 1] && !rc;
	     i += 2) {
		rc = bf_buf_printf(b, "%s%s=\"", any ? "," : "", labels[i]);
		if (!rc)
			rc = prom_escape_label(b, labels[i + 1]);
		if (!rc)
			rc = bf_buf_addc(b, '"');
		any = 1;
	}
	if (le && !rc)
		rc = bf_buf_printf(b, "%sle=\"%s\"", any ? "," : "", le);
	if (!rc)
		rc = bf_buf_addc(b, '}');
	return rc;
}

static void format_double(char *out, size_t n, double v)
{
	if (isnan(v))
		snprintf(out, n, "NaN");
	else if (isinf(v))
		snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(out, n, "%.0f", v);
	else {
		/* the shortest of 15..17 digits that reads back the same */
		for (int digits = 15; digits <= 17; digits++) {
			snprintf(out, n, "%.*g", digits, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

static int sample_text(struct bf_buf *b, const char *name,
		       const char *const *labels, const char *le,
		       const char *value)
{
	size_t at = b->len;
	int rc = bf_buf_adds(b, name);

	if (!rc)
		rc = add_labels(b, labels, le);
	if (!rc)
		rc = bf_buf_printf(b, " %s\n", value);
	if (rc)
		b->len = at;
	return rc;
}

int prom_sample(struct bf_buf *b, const char *name, const char *const *labels,
		double value)
{
	char v[40];

	format_double(v, sizeof(v), value);
	return sample_text(b, name, labels, NULL, v);
}

int prom_sample_u64(struct bf_buf *b, const char *name,
		    const char *const *labels, uint64_t value)
{
	char v[24];

	snprintf(v, sizeof(v), "%llu", (unsigned long long)value);
	return sample_text(b, name, labels, NULL, v);
}

int prom_histogram_init(struct prom_histogram *h, const double *bounds,
			size_t n)
{
	if (n > PROM_MAX_BUCKETS)
		return BF_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
			return BF_EINVAL;
	memset(h, 0, sizeof(*h));
	memcpy(h->bound, bounds, n * sizeof(*bounds));
	h->nbounds = n;
	return 0;
}

void prom_histogram_observe(struct prom_histogram *h, double v)
{
	size_t i = 0;

	if (isnan(v))
		return;
	while (i < h->nbounds && v > h->bound[i])
		i++;
	h->count[i]++;
	h->total++;
	h->sum += v;
}

int prom_histogram_write(struct bf_buf *b, const char *name,
			 const char *const *labels,
			 const struct prom_histogram *h)
{
	char full[128], le[40], v[24];
	size_t at = b->len;
	uint64_t cum = 0;
	int rc = 0;

	if (snprintf(full, sizeof(full), "%s_bucket", name) >= (int)sizeof(full))
		return BF_EINVAL;
	for (size_t i = 0; i <= h->nbounds && !rc; i++) {
		cum += h->count[i];
		if (i < h->nbounds)
			format_double(le, sizeof(le), h->bound[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(v, sizeof(v), "%llu", (unsigned long long)cum);
		rc = sample_text(b, full, labels, le, v);
	}
	snprintf(full, sizeof(full), "%s_sum", name);
	if (!rc)
		rc = prom_sample(b, full, labels, h->sum);
	snprintf(full, sizeof(full), "%s_count", name);
	if (!rc)
		rc = prom_sample_u64(b, full, labels, h->total);
	if (rc)
		b->len = at;
	return rc;
}
