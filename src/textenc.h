/*
 * textenc: what a text file's bytes are, and its text as UTF-8.
 *
 * - textenc_sniff looks at a file's first bytes for the files people
 *   take for CSV but are not: an Excel/OpenDocument spreadsheet (zip or
 *   OLE), XML, UTF-16 (with a BOM, or ASCII text with every other byte
 *   NUL).
 * - struct textenc decodes a stream of chunks, streaming (no pre-scan):
 *   bytes are passed on as they are while they are ASCII; the first byte
 *   that is not decides.  A valid UTF-8 sequence makes the stream UTF-8
 *   and the rest is passed on untouched (the reader checks its cells); a
 *   byte that cannot start valid UTF-8 makes it Windows-1252 (which
 *   includes the printable Latin-1) and every chunk from there is
 *   converted to UTF-8.  After that decision a valid multi-byte UTF-8
 *   sequence, or a byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F,
 *   0x90, 0x9D), is an error naming file:line and the iconv command that
 *   converts the file.  A sequence cut by a chunk's end is held until the
 *   next chunk (or textenc_finish).
 *
 * Line numbers count LF, CRLF and lone CR, like csvin.  The decoder owns
 * its output buffer; what textenc_feed hands back is valid until the next
 * call.
 */
#ifndef BIOFED_TEXTENC_H
#define BIOFED_TEXTENC_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum textenc_kind {
	TEXTENC_TEXT = 0,   /* nothing says it is not text */
	TEXTENC_UTF16LE,    /* UTF-16 (BOM, or NUL after each ASCII byte) */
	TEXTENC_UTF16BE,
	TEXTENC_ZIP,        /* PK\3\4: xlsx, ods (or another zip) */
	TEXTENC_OLE,        /* D0 CF 11 E0: xls */
	TEXTENC_XML,        /* first non-blank byte after a BOM is '<' */
};

/* What the first n bytes of a file (as many as there are, up to a few
 * hundred) say it is. */
enum textenc_kind textenc_sniff(const uint8_t *p, size_t n);

enum textenc_mode {
	TEXTENC_UNDECIDED = 0, /* ASCII so far */
	TEXTENC_UTF8,
	TEXTENC_CP1252,
};

struct textenc {
	const char *name;      /* in messages */
	enum textenc_mode mode;
	size_t line;           /* line of the next byte (from 1) */
	int after_cr;          /* the last byte seen was a CR */
	size_t decided_line;   /* where the mode was decided */
	uint8_t held[4];       /* a sequence cut by the last chunk's end */
	size_t nheld;
	struct bf_buf out;     /* converted text */
	struct bf_buf join;    /* held bytes and the next chunk */
};

void textenc_init(struct textenc *t, const char *name);
void textenc_free(struct textenc *t);

/*
 * Decodes the next n bytes.  *out and *outlen are the UTF-8 text to use:
 * p itself when nothing had to change, else the decoder's buffer.
 * Returns 0, BF_EINVAL (mixed encodings, an undefined byte: err says
 * file:line and how to convert the file) or BF_ENOMEM.
 */
int textenc_feed(struct textenc *t, const uint8_t *p, size_t n,
		 const uint8_t **out, size_t *outlen, struct bf_err *err);

/* The end of the stream: what was held back, decoded like textenc_feed
 * (*outlen may be 0). */
int textenc_finish(struct textenc *t, const uint8_t **out, size_t *outlen,
		   struct bf_err *err);

/* Writes the shell command that converts file name from encoding `from`
 * (an iconv name) to UTF-8 into out, name quoted for the shell when it
 * needs it. */
void textenc_iconv_hint(const char *from, const char *name, char *out,
			size_t n);

#endif
