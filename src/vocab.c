/*
 * vocab: lookups in the Directory's ontologies and model; the tables
 * themselves are generated (src/directory/vocabgen.c).
 */
#include "vocab.h"

#include <string.h>
#include <strings.h>

#define ICD_URN "urn:miriam:icd:"

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Also in vocabgen.c (term_cmp), which sorts the tables this way. */
int vocab_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	for (size_t i = 0; i < n; i++) {
		int c = fold((unsigned char)a[i]) - fold((unsigned char)b[i]);
		if (c)
			return c;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, n);
}

const struct vocab *vocab_by_name(const char *name)
{
	for (size_t i = 0; i < vocab_count; i++)
		if (!strcmp(vocab_all[i]->name, name))
			return vocab_all[i];
	return NULL;
}

uint32_t vocab_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint32_t)fold((unsigned char)s[i])) * 16777619u;
	return h;
}

long vocab_find(const struct vocab *v, const char *s, size_t len)
{
	if (v == &vocab_DiseaseTypes && len > sizeof(ICD_URN) - 1 &&
	    !strncasecmp(s, ICD_URN, sizeof(ICD_URN) - 1)) {
		s += sizeof(ICD_URN) - 1;
		len -= sizeof(ICD_URN) - 1;
	}
	/* no two terms differ in case alone (vocabgen refuses them), so
	 * the folded comparison finds at most one */
	for (uint32_t j = vocab_hash(s, len) & v->hmask; v->slots[j];
	     j = (j + 1) & v->hmask) {
		const struct vocab_term *t = &v->terms[v->slots[j] - 1];

		if (t->len == len && !strncasecmp(t->name, s, len))
			return (long)(v->slots[j] - 1);
	}
	return -1;
}

size_t vocab_distance(const char *a, size_t alen, const char *b, size_t blen,
		      size_t limit)
{
	/* three rows of the dynamic programme: enough for a swap */
	size_t rows[3][65], *pp = rows[0], *p = rows[1], *c = rows[2];

	if (alen > 64 || blen > 64)
		return limit + 1;
	if ((alen > blen ? alen - blen : blen - alen) > limit)
		return limit + 1;
	for (size_t j = 0; j <= blen; j++)
		p[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t best = c[0] = i;

		for (size_t j = 1; j <= blen; j++) {
			int ca = fold((unsigned char)a[i - 1]),
			    cb = fold((unsigned char)b[j - 1]);
			size_t d = p[j - 1] + (ca != cb);

			if (p[j] + 1 < d)
				d = p[j] + 1;
			if (c[j - 1] + 1 < d)
				d = c[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ca == fold((unsigned char)b[j - 2]) &&
			    fold((unsigned char)a[i - 2]) == cb &&
			    pp[j - 2] + 1 < d)
				d = pp[j - 2] + 1;
			c[j] = d;
			if (d < best)
				best = d;
		}
		if (best > limit)
			return limit + 1;
		{
			size_t *t = pp;
			pp = p;
			p = c;
			c = t;
		}
	}
	return p[blen] > limit ? limit + 1 : p[blen];
}

static size_t common_prefix(const char *a, size_t alen, const char *b)
{
	size_t i = 0;

	while (i < alen && b[i] && fold((unsigned char)a[i]) ==
					   fold((unsigned char)b[i]))
		i++;
	return i;
}

size_t vocab_nearest(const struct vocab *v, const char *s, size_t len,
		     long *out, size_t max)
{
	/* rank: distance first, then the longer prefix shared with s (C99.9
	 * is nearer to C90.9 than to C09.9), then term order */
	size_t rank[16], dist[16], n = 0, limit = len / 2 + 2;

	if (max > 16)
		max = 16;
	if (v == &vocab_DiseaseTypes && len > sizeof(ICD_URN) - 1 &&
	    !strncasecmp(s, ICD_URN, sizeof(ICD_URN) - 1)) {
		s += sizeof(ICD_URN) - 1;
		len -= sizeof(ICD_URN) - 1;
	}
	for (size_t i = 0; i < v->nterms && max > 0; i++) {
		const char *t = v->terms[i].name;
		size_t bound = n == max ? dist[n - 1] : limit;
		size_t d = vocab_distance(s, len, t, v->terms[i].len, bound), k, r;

		if (d > bound)
			continue;
		r = d * 1024 + (1023 - (common_prefix(s, len, t) & 1023));
		if (n == max && r >= rank[n - 1])
			continue;
		/* insert in order; terms come sorted, so ties keep it */
		k = n < max ? n++ : n - 1;
		while (k > 0 && rank[k - 1] > r) {
			rank[k] = rank[k - 1];
			dist[k] = dist[k - 1];
			out[k] = out[k - 1];
			k--;
		}
		rank[k] = r;
		dist[k] = d;
		out[k] = (long)i;
	}
	/* far ones are noise beside a near one */
	while (n > 1 && dist[n - 1] > dist[0] + 1)
		n--;
	return n;
}

int vocab_walk_down(const struct vocab *v, long i, uint8_t *seen,
		    int (*cb)(void *ctx, long term), void *ctx)
{
	/* depth first with an explicit stack: ICD-10 and ORPHA trees are
	 * shallow, but the data decides, not the C stack */
	long stack[256];
	size_t sp = 0;
	int rc;

	if (i < 0 || (size_t)i >= v->nterms || seen[i])
		return 0;
	seen[i] = 1;
	stack[sp++] = i;
	while (sp > 0) {
		const struct vocab_term *t = &v->terms[stack[--sp]];

		if ((rc = cb(ctx, (long)(t - v->terms))) != 0)
			return rc;
		for (uint32_t k = 0; k < t->ndown; k++) {
			uint32_t c = v->links[t->down + k];

			if (seen[c])
				continue;
			if (sp == sizeof(stack) / sizeof(stack[0])) {
				/* too wide to hold: that subtree now */
				if ((rc = vocab_walk_down(v, (long)c, seen, cb,
							  ctx)) != 0)
					return rc;
				continue;
			}
			seen[c] = 1;
			stack[sp++] = (long)c;
		}
	}
	return 0;
}

const struct vocab_table *vocab_table(const char *name)
{
	for (size_t i = 0; i < vocab_ntables; i++)
		if (!strcasecmp(vocab_tables[i].name, name))
			return &vocab_tables[i];
	return NULL;
}

const struct vocab_column *vocab_column(const struct vocab_table *t,
					const char *name, size_t len)
{
	for (size_t i = 0; t && i < t->ncols; i++)
		if (strlen(t->cols[i].name) == len &&
		    !memcmp(t->cols[i].name, name, len))
			return &t->cols[i];
	return NULL;
}
