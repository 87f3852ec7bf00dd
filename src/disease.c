/*
 * disease: a `--disease` value as a set of DiseaseTypes terms with their
 * hierarchy (disease.h): codes, ICD-10 ranges and names looked up in the
 * generated ontology (vocab.h); nothing here touches the database.
 */
#include "disease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "vocab.h"

#define ICD_URN "urn:miriam:icd:"
#define DT vocab_DiseaseTypes

int disease_set_init(struct disease_set *s, struct bf_err *err)
{
	s->n = 0;
	s->in = calloc(DT.nterms ? DT.nterms : 1, 1);
	s->walked = calloc(DT.nterms ? DT.nterms : 1, 1);
	if (!s->in || !s->walked) {
		disease_set_free(s);
		return bf_errf(err, BF_ENOMEM, "out of memory");
	}
	return 0;
}

void disease_set_free(struct disease_set *s)
{
	free(s->in);
	free(s->walked);
	s->in = s->walked = NULL;
	s->n = 0;
}

static int is_orpha(const char *name)
{
	return !strncmp(name, "ORPHA:", 6);
}

static void put(struct disease_set *s, long i)
{
	if (!s->in[i]) {
		s->in[i] = 1;
		s->n++;
	}
}

/* vocab_walk_down's callback: the term; for ICD-10, also the ORPHA terms
 * mapped to it, with theirs below (disease.h says why). */
static int add_walked(void *ctx, long i)
{
	struct disease_set *s = ctx;
	const struct vocab_term *t = &DT.terms[i];

	put(s, i);
	if (is_orpha(t->name))
		return 0;
	for (uint32_t k = 0; k < t->nmap; k++) {
		uint32_t m = DT.links[t->map + k];

		/* an ORPHA walk follows no mappings: one level deep */
		if (is_orpha(DT.terms[m].name))
			vocab_walk_down(&DT, (long)m, s->walked, add_walked, s);
	}
	return 0;
}

static void add_tree(struct disease_set *s, long i)
{
	vocab_walk_down(&DT, i, s->walked, add_walked, s);
}

/* ---------------------------------------------------------------------- */
/* Names                                                                     */

/* Letters of U+00C0..U+017F without their accents, lower case; '_' for
 * the two signs among them (multiplication, division). */
static const char latin1[] = "aaaaaaaceeeeiiiidnooooo_ouuuuyts"
			     "aaaaaaaceeeeiiiidnooooo_ouuuuyty";
static const char latin_ext_a[] =
	"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
	"llllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuu"
	"wwyyyzzzzzzs";
_Static_assert(sizeof(latin1) == 64 + 1, "U+00C0..U+00FF");
_Static_assert(sizeof(latin_ext_a) == 128 + 1, "U+0100..U+017F");

/* s folded for matching into out (cap bytes, NUL-terminated, cut when
 * full): ASCII lower case, accented Latin letters without the accent,
 * everything that is not a letter or digit a space. */
static void fold_text(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		char r = ' ';

		if (c >= 'A' && c <= 'Z')
			r = (char)(c + 32);
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			r = (char)c;
		else if ((c == 0xc3 || c == 0xc4 || c == 0xc5) && i + 1 < len &&
			 ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
			unsigned cp = ((c & 0x1fu) << 6) |
				      ((unsigned char)s[i + 1] & 0x3fu);

			i++;
			if (cp >= 0xc0 && cp < 0x100)
				r = latin1[cp - 0xc0];
			else if (cp >= 0x100 && cp < 0x180)
				r = latin_ext_a[cp - 0x100];
			if (r == '_')
				r = ' ';
		} else if (c >= 0x80) {
			r = (char)c; /* other scripts: kept, byte for byte */
		}
		out[o++] = r;
	}
	out[o] = 0;
}

/* Whether every word of the folded query q begins a word of folded
 * label l. */
static int words_in(const char *q, const char *l)
{
	for (const char *w = q; *w;) {
		char word[128];
		size_t wl;
		const char *p;
		int hit = 0;

		w += strspn(w, " ");
		if (!*w)
			break;
		wl = strcspn(w, " ");
		if (wl >= sizeof(word))
			return 0;
		memcpy(word, w, wl);
		word[wl] = 0;
		for (p = strstr(l, word); p && !hit; p = strstr(p + 1, word))
			hit = p == l || p[-1] == ' ';
		if (!hit)
			return 0;
		w += wl;
	}
	return 1;
}

/* Most general first: the shorter label, then term order. */
static int by_label(const void *a, const void *b)
{
	const struct vocab_term *x = &DT.terms[*(const long *)a];
	const struct vocab_term *y = &DT.terms[*(const long *)b];
	size_t lx = strlen(x->label), ly = strlen(y->label);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return *(const long *)a < *(const long *)b ? -1 : 1;
}

static int add_by_name(struct disease_set *s, const char *value, size_t len,
		       struct disease_found *found, struct bf_err *err)
{
	char q[256], l[1024];
	long *hit = NULL;
	size_t n = 0, cap = 0;
	int rc;

	fold_text(value, len, q, sizeof(q));
	if (!q[strspn(q, " ")])
		return bf_errf(err, BF_EINVAL,
			       "\"%.60s\" is neither a disease code nor a name",
			       value);
	for (size_t i = 0; i < DT.nterms; i++) {
		const struct vocab_term *t = &DT.terms[i];

		if (!strcmp(t->name, "*"))
			continue;
		fold_text(t->label, strlen(t->label), l, sizeof(l));
		if (!words_in(q, l))
			continue;
		if (bf_grow(&hit, &cap, n + 1, sizeof(*hit), 64)) {
			rc = bf_errf(err, BF_ENOMEM, "out of memory");
			goto out;
		}
		hit[n++] = (long)i;
	}
	if (!n) {
		rc = bf_errf(err, BF_EINVAL,
			     "no ICD-10 or ORPHA term's name has the words of "
			     "\"%.60s\" (a word matches the beginning of a word "
			     "of the name)",
			     value);
		goto out;
	}
	qsort(hit, n, sizeof(*hit), by_label);
	for (size_t i = 0; i < n; i++)
		add_tree(s, hit[i]);
	if (found) {
		found->by_name = 1;
		found->count = n;
		found->nshown = n < DISEASE_SHOW ? n : DISEASE_SHOW;
		memcpy(found->shown, hit, found->nshown * sizeof(*hit));
	}
	rc = 0;
out:
	free(hit);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Codes and ranges                                                          */

static int upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* An ICD-10 category "C50", "C7A" (upper-cased into out[4]). */
static int category(const char *s, size_t len, char out[4])
{
	if (len != 3)
		return 0;
	for (size_t i = 0; i < 3; i++)
		out[i] = (char)upper((unsigned char)s[i]);
	out[3] = 0;
	return out[0] >= 'A' && out[0] <= 'Z' && is_digit(out[1]) &&
	       (is_digit(out[2]) || (out[2] >= 'A' && out[2] <= 'Z'));
}

/* "C00-D48" as a range of categories; 0 when it is not one. */
static int add_range(struct disease_set *s, const char *v, size_t len,
		     struct bf_err *err, int *done)
{
	char lo[4], hi[4];
	long first = -1;

	*done = 0;
	if (len != 7 || v[3] != '-' || !category(v, 3, lo) ||
	    !category(v + 4, 3, hi))
		return 0;
	*done = 1;
	if (strcmp(lo, hi) > 0)
		return bf_errf(err, BF_EINVAL,
			       "ICD-10 range \"%.7s\" ends before it begins", v);
	for (size_t i = 0; i < DT.nterms; i++) {
		const char *nm = DT.terms[i].name;
		char cat[4];

		/* codes, not blocks: C50 and C50.9, not C50-C50 */
		if (strchr(nm, '-') || is_orpha(nm) || strlen(nm) < 3 ||
		    !category(nm, 3, cat) || (nm[3] && nm[3] != '.'))
			continue;
		if (strcmp(cat, lo) >= 0 && strcmp(cat, hi) <= 0) {
			add_tree(s, (long)i);
			if (first < 0)
				first = (long)i;
		}
	}
	if (first < 0)
		return bf_errf(err, BF_EINVAL,
			       "no ICD-10 code lies in \"%.7s\"", v);
	return 0;
}

/* A value that is meant as a code: ORPHA:..., the ICD URN, or one word
 * beginning with a letter and a digit (C50, c50.9, C00-D48). */
static int code_like(const char *v, size_t len)
{
	if ((len >= 6 && !strncasecmp(v, "ORPHA:", 6)) ||
	    (len >= sizeof(ICD_URN) - 1 &&
	     !strncasecmp(v, ICD_URN, sizeof(ICD_URN) - 1)))
		return 1;
	if (len < 2 || !((v[0] >= 'A' && v[0] <= 'Z') ||
			 (v[0] >= 'a' && v[0] <= 'z')) ||
	    !is_digit((unsigned char)v[1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] == ' ')
			return 0;
	return 1;
}

int disease_add(struct disease_set *s, const char *value, size_t len,
		struct disease_found *found, struct bf_err *err)
{
	static const struct sch_field code_field = {
		.name = "disease", .type = SCH_TEXT, .check = CHK_DISEASE};
	long i = vocab_find(&DT, value, len);
	const char *out;
	size_t outlen;
	char msg[400];
	int rc, done;

	if (found)
		memset(found, 0, sizeof(*found));
	if (i >= 0 && !strcmp(DT.terms[i].name, "*"))
		return bf_errf(err, BF_EINVAL,
			       "\"*\" (any disease) is no disease to ask for: "
			       "leave --disease out");
	if (i >= 0) {
		add_tree(s, i);
		if (found) {
			found->count = found->nshown = 1;
			found->shown[0] = i;
		}
		return 0;
	}
	if (!code_like(value, len))
		return add_by_name(s, value, len, found, err);
	if (len > sizeof(ICD_URN) - 1 &&
	    !strncasecmp(value, ICD_URN, sizeof(ICD_URN) - 1)) {
		value += sizeof(ICD_URN) - 1;
		len -= sizeof(ICD_URN) - 1;
	}
	if ((rc = add_range(s, value, len, err, &done)) != 0 || done)
		return rc;
	/* publish's message, with the nearest known codes */
	if (schema_value(&code_field, value, len, 0, &out, &outlen, msg,
			 sizeof(msg)) == 0)
		snprintf(msg, sizeof(msg), "unknown code \"%.*s\"",
			 (int)(len > 60 ? 60 : len), value);
	return bf_errf(err, BF_EINVAL, "%s", msg);
}

int disease_set_json(const struct disease_set *s, struct bf_buf *b)
{
	int rc = bf_buf_addc(b, '[');
	int first = 1;

	for (size_t i = 0; i < DT.nterms && !rc; i++) {
		const char *nm;

		if (!s->in[i])
			continue;
		nm = DT.terms[i].name;
		rc = first ? 0 : bf_buf_addc(b, ',');
		rc = rc ? rc : bf_buf_add_json_str(b, nm, strlen(nm));
		first = 0;
	}
	return rc ? rc : bf_buf_addc(b, ']');
}
