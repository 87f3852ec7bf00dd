/*
 * libFuzzer target for csvin: any bytes, parsed with ',' and with ';'.
 * The callback reads every cell and checks what csvin promises: cells are
 * NUL-terminated with the stated length, names are set and non-empty,
 * records come with increasing index and strictly increasing lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csvin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t index, line, bytes;
};

static int touch(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct seen *s = ctx;

	if (r->index != s->index + 1 || r->line <= s->line || r->ncells == 0)
		__builtin_trap();
	s->index = r->index;
	s->line = r->line;
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *c = &r->cells[i];
		if (!c->name[0] || !c->text || strlen(c->text) != c->len ||
		    c->json || !bf_utf8_ok((const uint8_t *)c->text, c->len))
			__builtin_trap();
		s->bytes += c->len;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = {',', ';'};
	struct bf_err err;

	for (size_t i = 0; i < sizeof(delims); i++) {
		struct seen s = {0, 0, 0};
		err.msg[0] = 0;
		if (csvin_read_mem("fuzz.csv", (const char *)data, size,
				   delims[i], touch, &s, &err) != 0 &&
		    !err.msg[0])
			__builtin_trap(); /* every failure says why */
	}
	return 0;
}
