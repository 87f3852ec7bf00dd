/*
 * util: small pieces every module shares.
 *
 * - struct bf_err: a human-readable error message.  Functions that can fail
 *   return 0 on success or a negative BF_E* code, and on failure write one
 *   message into the caller's bf_err saying what and where.
 * - struct bf_buf: a growable byte buffer with a hard size cap (like curl's
 *   dynbuf): appending past the cap fails instead of growing without bound.
 * - bf_grow (a growable array) and bf_bsearch (a sorted array's search).
 * - LEB128 unsigned varints, hex, file helpers that create private files
 *   with owner-only permissions and refuse to overwrite.
 */
#ifndef BIOFED_UTIL_H
#define BIOFED_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BF_VERSION "0.1.0"

enum bf_rc {
	BF_OK = 0,
	BF_EINVAL = -1,   /* bad input: malformed, fails a rule */
	BF_ENOMEM = -2,
	BF_EIO = -3,      /* file system or database I/O */
	BF_ETOOBIG = -4,  /* over a size cap */
	BF_EEXIST = -5,   /* refuses to overwrite */
	BF_ENOENT = -6,   /* not found */
	BF_ECRYPTO = -7,  /* signature or key failure */
	BF_EDUP = -8,     /* already have it (idempotent no-op) */
	BF_EFORK = -9,    /* proof of a forked origin */
};

struct bf_err {
	char msg[1024];
};

/* Writes a formatted message into err (if not NULL); returns rc. */
int bf_errf(struct bf_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes err->msg with "prefix: ". */
void bf_err_prefix(struct bf_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct bf_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len; 0 means SIZE_MAX/2 */
};

void bf_buf_init(struct bf_buf *b, size_t max);
int bf_buf_grow_(struct bf_buf *b, size_t more); /* slow path of reserve */
void bf_buf_free(struct bf_buf *b);
void bf_buf_reset(struct bf_buf *b); /* len = 0, keeps memory */
/* The appends run per field of every row: their fast paths are inline. */
static inline int bf_buf_reserve(struct bf_buf *b, size_t more)
{
	if (b->cap && more < b->cap - b->len && b->len + more < b->max)
		return 0; /* room, including bf_buf_cstr's NUL */
	return bf_buf_grow_(b, more);
}

static inline int bf_buf_add(struct bf_buf *b, const void *p, size_t n)
{
	int rc = bf_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		__builtin_memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int bf_buf_addc(struct bf_buf *b, uint8_t c)
{
	int rc = bf_buf_reserve(b, 1);
	if (rc)
		return rc;
	b->p[b->len++] = c;
	return 0;
}
int bf_buf_adds(struct bf_buf *b, const char *s);
int bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a NUL that does not count in len; returns p as a C string. */
char *bf_buf_cstr(struct bf_buf *b);
/* Appends s as a JSON string literal (with quotes and escapes). */
int bf_buf_add_json_str(struct bf_buf *b, const char *s, size_t n);

/* A growable array: makes room for at least n elements of size bytes in
 * *pp, whose capacity (in elements) is *cap, doubling from first.  On
 * failure (BF_ENOMEM, or BF_ETOOBIG when n * size overflows) *pp and *cap
 * are unchanged.  Typical use:
 *     if (bf_grow(&v->e, &v->cap, v->n + 1, sizeof(*v->e), 16)) ... */
int bf_grow(void *pp, size_t *cap, size_t n, size_t size, size_t first);

/* A sorted array's search: cmp(ctx, i, key) is <0, 0 or >0 as element i
 * sorts before, with or after key.  Returns 1 with *pos the index of the
 * first element that compares equal, else 0 with *pos where key would be
 * inserted (pos may be NULL). */
typedef int (*bf_cmp_at_fn)(const void *ctx, size_t i, const void *key);
int bf_bsearch(size_t n, bf_cmp_at_fn cmp, const void *ctx, const void *key,
	       size_t *pos);

/* LEB128: at most 10 bytes; the decoder accepts only minimal encodings. */
int bf_put_uvarint_(struct bf_buf *b, uint64_t v);
static inline int bf_put_uvarint(struct bf_buf *b, uint64_t v)
{
	return v < 0x80 ? bf_buf_addc(b, (uint8_t)v) : bf_put_uvarint_(b, v);
}
/* Returns bytes consumed (>0), or 0 on truncated/overlong/non-minimal. */
size_t bf_get_uvarint(const uint8_t *p, size_t n, uint64_t *v);

void bf_hex(const uint8_t *in, size_t n, char *out /* 2n+1 */);
/* Decodes exactly n bytes from 2n hex digits; BF_EINVAL otherwise. */
int bf_unhex(const char *hex, uint8_t *out, size_t n);

/* Reads a whole file, at most max bytes (BF_ETOOBIG past that).  *out is
 * malloc'd and NUL-terminated (the NUL is not counted in *len). */
int bf_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
		 struct bf_err *err);
/* Creates path exclusively with the given mode and writes data;
 * BF_EEXIST if it exists.  fsyncs before closing. */
int bf_write_new_file(const char *path, int mode, const void *data, size_t n,
		      struct bf_err *err);
/* Writes data to path via a temporary file and rename (replaces). */
int bf_write_file_atomic(const char *path, int mode, const void *data,
			 size_t n, struct bf_err *err);
/* mkdir -p with mode for the created directories. */
int bf_mkdirs(const char *path, int mode, struct bf_err *err);

/* Milliseconds since the epoch, and a monotonic clock in ns. */
uint64_t bf_now_ms(void);
uint64_t bf_mono_ns(void);

/* A slug: [a-z0-9][a-z0-9-]{0,62}. */
int bf_is_slug(const char *s);
/* Valid UTF-8 with no NUL and no C0 control characters other than
 * tab/newline/carriage return. */
int bf_utf8_ok(const uint8_t *p, size_t n);

/* snprintf into path, BF_ETOOBIG when it does not fit. */
int bf_path(char *out, size_t outlen, const char *dir, const char *name);

#endif
