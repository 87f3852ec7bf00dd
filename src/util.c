/*
 * util: errors, capped buffers, varints, hex, careful file writing.
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bf_errf(struct bf_err *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

void bf_err_prefix(struct bf_err *err, const char *fmt, ...)
{
	char pre[512], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		size_t n = strlen(pre);
		if (n > sizeof(err->msg) - 3)
			n = sizeof(err->msg) - 3;
		memcpy(err->msg, pre, n);
		memcpy(err->msg + n, ": ", 2);
		n += 2;
		size_t m = strnlen(old, sizeof(old) - 1);
		if (m > sizeof(err->msg) - 1 - n)
			m = sizeof(err->msg) - 1 - n;
		memcpy(err->msg + n, old, m);
		err->msg[n + m] = 0;
	}
}

void bf_buf_init(struct bf_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX / 2;
}

void bf_buf_free(struct bf_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void bf_buf_reset(struct bf_buf *b)
{
	b->len = 0;
}

int bf_buf_grow_(struct bf_buf *b, size_t more)
{
	size_t need, ncap;
	uint8_t *np;

	if (b->max == 0)
		b->max = SIZE_MAX / 2;
	if (more > b->max || b->len > b->max - more)
		return BF_ETOOBIG;
	need = b->len + more + 1; /* room for bf_buf_cstr's NUL */
	if (need <= b->cap)
		return BF_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	np = realloc(b->p, ncap);
	if (!np)
		return BF_ENOMEM;
	b->p = np;
	b->cap = ncap;
	return BF_OK;
}

int bf_grow(void *pp, size_t *cap, size_t n, size_t size, size_t first)
{
	void **p = pp;
	size_t nc = *cap ? *cap : (first ? first : 1);
	void *np;

	if (n <= *cap)
		return BF_OK;
	while (nc < n) {
		if (nc > SIZE_MAX / 2)
			return BF_ETOOBIG;
		nc *= 2;
	}
	if (size && nc > SIZE_MAX / size)
		return BF_ETOOBIG;
	np = realloc(*p, nc * size);
	if (!np)
		return BF_ENOMEM;
	*p = np;
	*cap = nc;
	return BF_OK;
}

int bf_bsearch(size_t n, bf_cmp_at_fn cmp, const void *ctx, const void *key,
	       size_t *pos)
{
	size_t lo = 0, hi = n;

	/* the first element not before key: with equal elements, the first */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(ctx, mid, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return lo < n && cmp(ctx, lo, key) == 0;
}

int bf_buf_adds(struct bf_buf *b, const char *s)
{
	return bf_buf_add(b, s, strlen(s));
}

int bf_buf_printf(struct bf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BF_EINVAL;
	rc = bf_buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BF_OK;
}

char *bf_buf_cstr(struct bf_buf *b)
{
	if (bf_buf_reserve(b, 0))
		return NULL;
	b->p[b->len] = 0;
	return (char *)b->p;
}

int bf_buf_add_json_str(struct bf_buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	int rc = bf_buf_addc(b, '"');

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': rc = bf_buf_add(b, "\\\"", 2); break;
		case '\\': rc = bf_buf_add(b, "\\\\", 2); break;
		case '\n': rc = bf_buf_add(b, "\\n", 2); break;
		case '\r': rc = bf_buf_add(b, "\\r", 2); break;
		case '\t': rc = bf_buf_add(b, "\\t", 2); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4],
					     hexd[c & 15]};
				rc = bf_buf_add(b, e, 6);
			} else {
				rc = bf_buf_addc(b, c);
			}
		}
	}
	return rc ? rc : bf_buf_addc(b, '"');
}

int bf_put_uvarint_(struct bf_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
	} while (v);
	return bf_buf_add(b, tmp, n);
}

size_t bf_get_uvarint(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t r = 0;

	for (size_t i = 0; i < n && i < 10; i++) {
		uint64_t c = p[i] & 0x7f;
		if (i == 9 && p[i] > 1)
			return 0; /* overflows 64 bits */
		r |= c << (7 * i);
		if (!(p[i] & 0x80)) {
			if (i > 0 && p[i] == 0)
				return 0; /* non-minimal */
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

void bf_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bf_unhex(const char *hex, uint8_t *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return BF_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return BF_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return BF_OK;
}

int bf_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
		 struct bf_err *err)
{
	struct bf_buf b;
	FILE *f = fopen(path, "rb");
	int rc = BF_OK;

	if (!f)
		return bf_errf(err, errno == ENOENT ? BF_ENOENT : BF_EIO,
			       "%s: %s", path, strerror(errno));
	bf_buf_init(&b, max);
	for (;;) {
		size_t chunk = max - b.len < 65536 ? max - b.len : 65536, n;
		if (chunk == 0) {
			/* at the cap: fine only when the file ends here */
			if (fgetc(f) != EOF) {
				rc = bf_errf(err, BF_ETOOBIG,
					     "%s: larger than %zu bytes", path,
					     max);
				goto out;
			}
			break;
		}
		if (bf_buf_reserve(&b, chunk) != 0) {
			rc = bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		n = fread(b.p + b.len, 1, chunk, f);
		b.len += n;
		if (n < chunk) {
			if (ferror(f)) {
				rc = bf_errf(err, BF_EIO, "%s: read: %s", path,
					     strerror(errno));
				goto out;
			}
			break;
		}
	}
	if (!bf_buf_cstr(&b)) {
		rc = bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	*out = b.p;
	*len = b.len;
	b.p = NULL;
out:
	bf_buf_free(&b);
	fclose(f);
	return rc;
}

static int write_all(int fd, const void *data, size_t n)
{
	const uint8_t *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bf_write_new_file(const char *path, int mode, const void *data, size_t n,
		      struct bf_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return bf_errf(err, errno == EEXIST ? BF_EEXIST : BF_EIO,
			       "%s: %s", path,
			       errno == EEXIST ? "already exists, not overwriting"
					       : strerror(errno));
	/* umask may have cleared bits we asked for; never add any */
	if (fchmod(fd, (mode_t)mode) != 0 || write_all(fd, data, n) != 0 ||
	    fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return bf_errf(err, BF_EIO, "%s: %s", path, strerror(e));
	}
	if (close(fd) != 0)
		return bf_errf(err, BF_EIO, "%s: %s", path, strerror(errno));
	return BF_OK;
}

int bf_write_file_atomic(const char *path, int mode, const void *data,
			 size_t n, struct bf_err *err)
{
	char tmp[4096];
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return bf_errf(err, BF_ETOOBIG, "%s: path too long", path);
	unlink(tmp);
	rc = bf_write_new_file(tmp, mode, data, n, err);
	if (rc)
		return rc;
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return bf_errf(err, BF_EIO, "%s: rename: %s", path,
			       strerror(e));
	}
	return BF_OK;
}

int bf_mkdirs(const char *path, int mode, struct bf_err *err)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return bf_errf(err, BF_EINVAL, "bad directory path");
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == 0) {
			char c = tmp[i];
			tmp[i] = 0;
			if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
				return bf_errf(err, BF_EIO, "%s: %s", tmp,
					       strerror(errno));
			tmp[i] = c;
		}
	}
	return BF_OK;
}

uint64_t bf_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t bf_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bf_is_slug(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 (c == '-' && i > 0);
		if (!ok)
			return 0;
	}
	return 1;
}

int bf_utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
			    c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (k >= n - i)
			return 0; /* truncated sequence */
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

int bf_path(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outlen)
		return BF_ETOOBIG;
	return BF_OK;
}
