/*
 * libFuzzer target for csvin: any bytes, parsed with ',' and with ';',
 * then through the options form (delimiter detection, Windows-1252,
 * CORDIS quoting, kept columns, refused rows).  The callbacks read every
 * cell and check what csvin promises: cells are NUL-terminated with the
 * stated length and valid UTF-8, names are set and non-empty, records
 * come with increasing index and strictly increasing lines, every failure
 * says why.  And the CORDIS rule reads whatever strict quoting reads, the
 * same.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int columns;   /* only some columns are kept: maybe none */
	size_t index, line, bytes;
	uint64_t hash; /* of every record's line and cells, in order */
};

static void mix(struct seen *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		s->hash = (s->hash ^ b[i]) * 0x100000001b3ull;
}

static void check(struct seen *s, const struct rec *r)
{
	if (r->index <= s->index || r->line <= s->line)
		__builtin_trap();
	s->index = r->index;
	s->line = r->line;
	mix(s, &r->line, sizeof(r->line));
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *c = &r->cells[i];
		if (!c->name[0] || !c->text || strlen(c->text) != c->len ||
		    c->json || !bf_utf8_ok((const uint8_t *)c->text, c->len))
			__builtin_trap();
		s->bytes += c->len;
		mix(s, c->text, c->len + 1);
	}
}

static int touch(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct seen *s = ctx;

	(void)err;
	if (r->ncells == 0 && !s->columns)
		__builtin_trap();
	check(s, r);
	return 0;
}

static int touch_bad(void *ctx, const struct rec *r, const char *msg,
		     struct bf_err *err)
{
	(void)err;
	if (!msg[0])
		__builtin_trap();
	check(ctx, r);
	return 0;
}

static int read_opts(const uint8_t *data, size_t size,
		     const struct csvin_opts *o, struct seen *s)
{
	struct bf_err err;
	int rc;

	memset(s, 0, sizeof(*s));
	s->columns = o->columns != NULL;
	err.msg[0] = 0;
	rc = csvin_read_mem_opts("fuzz.csv", (const char *)data, size, o,
				 touch, s, &err);
	if (rc && !err.msg[0])
		__builtin_trap(); /* every failure says why */
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';'};
	static const char *const cols[] = {"id", "title"};
	struct csvin_opts o;
	struct seen strict, s;

	for (size_t i = 0; i < sizeof(delims); i++) {
		memset(&o, 0, sizeof(o));
		o.delim = delims[i];
		o.utf8_only = 1;
		/* what the plain form does */
		if (read_opts(data, size, &o, &strict) != 0)
			continue;
		o.cordis_quotes = 1;
		if (read_opts(data, size, &o, &s) != 0 ||
		    s.hash != strict.hash || s.index != strict.index)
			__builtin_trap();
	}
	memset(&o, 0, sizeof(o));
	o.cordis_quotes = 1;
	read_opts(data, size, &o, &s);
	o.columns = cols;
	o.ncolumns = 2;
	o.bad_row = touch_bad;
	read_opts(data, size, &o, &s);
	return 0;
}
