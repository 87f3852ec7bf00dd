/*
 * textenc: file sniffing and the streaming UTF-8 / Windows-1252 decoder
 * (see textenc.h).  Owns the Windows-1252 table and the wording of the
 * encoding errors, with the command that converts a file.
 */
#include "textenc.h"

#include <stdio.h>
#include <string.h>

/* Windows-1252 0x80..0x9F as Unicode code points; 0 where the code page
 * defines nothing.  0xA0..0xFF are Latin-1, the same code points. */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
	0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

enum textenc_kind textenc_sniff(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return TEXTENC_UTF16LE;
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		return TEXTENC_UTF16BE;
	if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return TEXTENC_ZIP;
	if (n >= 4 && memcmp(p, "\xd0\xcf\x11\xe0", 4) == 0)
		return TEXTENC_OLE;
	/* UTF-16 without a BOM: ASCII with a NUL before or after each */
	if (n >= 4 && p[0] && p[0] < 0x80 && !p[1] && p[2] && p[2] < 0x80 &&
	    !p[3])
		return TEXTENC_UTF16LE;
	if (n >= 4 && !p[0] && p[1] && p[1] < 0x80 && !p[2] && p[3] &&
	    p[3] < 0x80)
		return TEXTENC_UTF16BE;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			 p[i] == '\n'))
		i++;
	if (i < n && p[i] == '<')
		return TEXTENC_XML;
	return TEXTENC_TEXT;
}

/*
 * The UTF-8 sequence at p (p[0] >= 0x80): its length when it is complete
 * and valid (no overlong forms, no surrogates, at most U+10FFFF), 0 when
 * it is not UTF-8, -1 when the n bytes there are a valid beginning of one.
 */
static int utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return (int)len;
}

/* Lines: an LF, a CRLF or a lone CR ends one.  Counted with memchr, as
 * ASCII files pass here whole: every LF but one that follows the last
 * chunk's CR, and every CR not followed by an LF in the chunk (one at
 * its end counts now; the LF that may follow is then left out). */
static void count_lines(struct textenc *t, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *q;

	if (n == 0)
		return;
	for (q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		if (q != p || !t->after_cr)
			t->line++;
	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 == end || q[1] != '\n')
			t->line++;
	t->after_cr = end[-1] == '\r';
}

void textenc_iconv_hint(const char *from, const char *name, char *out,
			size_t n)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"
				    "PQRSTUVWXYZ0123456789._/+-,:@%=";
	char q[512];
	size_t o = 0;

	if (strspn(name, plain) == strlen(name) && *name) {
		snprintf(q, sizeof(q), "%s", name);
	} else {
		/* single quotes, each ' written as '\'' */
		q[o++] = '\'';
		for (const char *s = name; *s && o + 6 < sizeof(q); s++) {
			if (*s == '\'') {
				memcpy(q + o, "'\\''", 4);
				o += 4;
			} else {
				q[o++] = *s;
			}
		}
		q[o++] = '\'';
		q[o] = 0;
	}
	snprintf(out, n, "iconv -f %s -t UTF-8 %s > %s.utf8", from, q, q);
}

static int mixed_error(struct textenc *t, struct bf_err *err)
{
	char hint[1200];

	textenc_iconv_hint("WINDOWS-1252", t->name, hint, sizeof(hint));
	return bf_errf(err, BF_EINVAL,
		       "%s:%zu: this line is UTF-8 but line %zu is not: the "
		       "file mixes two encodings.  If it is Windows-1252 "
		       "(Latin-1) throughout, convert it with `%s`; else mend "
		       "line %zu",
		       t->name, t->line, t->decided_line, hint,
		       t->decided_line);
}

/* Appends code point u (below U+10000) as UTF-8; room was reserved. */
static void put_utf8(struct bf_buf *b, unsigned u)
{
	if (u < 0x80) {
		b->p[b->len++] = (uint8_t)u;
	} else if (u < 0x800) {
		b->p[b->len++] = (uint8_t)(0xc0 | (u >> 6));
		b->p[b->len++] = (uint8_t)(0x80 | (u & 0x3f));
	} else {
		b->p[b->len++] = (uint8_t)(0xe0 | (u >> 12));
		b->p[b->len++] = (uint8_t)(0x80 | ((u >> 6) & 0x3f));
		b->p[b->len++] = (uint8_t)(0x80 | (u & 0x3f));
	}
}

/*
 * Converts q[i..n) as Windows-1252 onto t->out (which holds what came
 * before).  final: the stream ends here, so a cut sequence is not UTF-8.
 */
static int convert_cp1252(struct textenc *t, const uint8_t *q, size_t i,
			  size_t n, int final, struct bf_err *err)
{
	/* at most 3 bytes of UTF-8 per byte */
	if (bf_buf_reserve(&t->out, 3 * (n - i) + 1))
		return bf_errf(err, BF_ENOMEM, "%s: out of memory", t->name);
	for (; i < n; i++) {
		uint8_t c = q[i];
		unsigned u;
		int k;

		if (c < 0x80) {
			count_lines(t, q + i, 1);
			t->out.p[t->out.len++] = c;
			continue;
		}
		k = utf8_seq(q + i, n - i);
		if (k > 0)
			return mixed_error(t, err);
		if (k < 0 && !final) {
			t->nheld = n - i; /* at most 3 bytes */
			memcpy(t->held, q + i, t->nheld);
			return 0;
		}
		u = c >= 0xa0 ? c : cp1252_high[c - 0x80];
		if (!u)
			return bf_errf(err, BF_EINVAL,
				       "%s:%zu: byte 0x%02x is neither UTF-8 "
				       "nor Windows-1252 (the file is not "
				       "UTF-8 from line %zu on): save it as "
				       "CSV UTF-8, or convert it with `iconv "
				       "-f ITS-ENCODING -t UTF-8`",
				       t->name, t->line, c, t->decided_line);
		put_utf8(&t->out, u);
	}
	return 0;
}

void textenc_init(struct textenc *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->line = 1;
	bf_buf_init(&t->out, 0);
	bf_buf_init(&t->join, 0);
}

void textenc_free(struct textenc *t)
{
	bf_buf_free(&t->out);
	bf_buf_free(&t->join);
}

static int decode(struct textenc *t, const uint8_t *p, size_t n, int final,
		  const uint8_t **out, size_t *outlen, struct bf_err *err)
{
	size_t i = 0;
	int rc;

	if (t->nheld) {
		/* the cut sequence first, then the bytes that may complete
		 * it: a copy, but only when a chunk's end cut a sequence */
		bf_buf_reset(&t->join);
		if (bf_buf_add(&t->join, t->held, t->nheld) ||
		    bf_buf_add(&t->join, p, n))
			return bf_errf(err, BF_ENOMEM, "%s: out of memory",
				       t->name);
		t->nheld = 0;
		p = t->join.p;
		n = t->join.len;
	}
	*out = p;
	*outlen = n;
	if (t->mode == TEXTENC_UTF8)
		return 0;
	bf_buf_reset(&t->out);
	if (t->mode == TEXTENC_UNDECIDED) {
		int s;
		/* eight bytes at a time while no high bit is set */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		while (i < n && p[i] < 0x80)
			i++;
		count_lines(t, p, i);
		if (i == n)
			return 0; /* ASCII: as it is */
		s = utf8_seq(p + i, n - i);
		if (s > 0) {
			t->mode = TEXTENC_UTF8;
			t->decided_line = t->line;
			return 0;
		}
		if (s < 0 && !final) {
			t->nheld = n - i; /* at most 3 bytes */
			memcpy(t->held, p + i, t->nheld);
			*outlen = i;
			return 0;
		}
		t->mode = TEXTENC_CP1252;
		t->decided_line = t->line;
		if (bf_buf_add(&t->out, p, i))
			return bf_errf(err, BF_ENOMEM, "%s: out of memory",
				       t->name);
	}
	rc = convert_cp1252(t, p, i, n, final, err);
	if (rc)
		return rc;
	*out = t->out.p;
	*outlen = t->out.len;
	return 0;
}

int textenc_feed(struct textenc *t, const uint8_t *p, size_t n,
		 const uint8_t **out, size_t *outlen, struct bf_err *err)
{
	return decode(t, p, n, 0, out, outlen, err);
}

int textenc_finish(struct textenc *t, const uint8_t **out, size_t *outlen,
		   struct bf_err *err)
{
	static const uint8_t none[1];

	*out = none;
	*outlen = 0;
	if (!t->nheld)
		return 0;
	return decode(t, none, 0, 1, out, outlen, err);
}
