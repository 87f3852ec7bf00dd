/*
 * libFuzzer target for jsonin: any bytes, read as each shape (no records
 * path, and the path "data.items").  The callback reads every cell and
 * checks what jsonin promises: names set, json set, text set exactly for
 * strings with the right length, lines within the input.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t max_line, bytes;
};

static int touch(void *ctx, const struct rec *r, struct bf_err *err)
{
	const struct seen *s = ctx;
	size_t bytes = 0;

	if (r->line == 0 || r->line > s->max_line || r->index == 0)
		__builtin_trap();
	for (size_t i = 0; i < r->ncells; i++) {
		const struct rec_cell *c = &r->cells[i];
		if (!c->name || !c->json ||
		    (json_is_string(c->json) != (c->text != NULL)))
			__builtin_trap();
		if (c->text && strlen(c->text) != c->len)
			__builtin_trap();
		bytes += strlen(c->name) + c->len;
	}
	return bytes == SIZE_MAX; /* keeps the reads */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {NULL, "data.items"};
	struct seen s = {1, 0};
	struct bf_err err;

	for (size_t i = 0; i < size; i++)
		s.max_line += data[i] == '\n';
	for (size_t i = 0; i < 2; i++) {
		err.msg[0] = 0;
		if (jsonin_read_mem("fuzz.json", (const char *)data, size,
				    paths[i], touch, &s, &err) != 0 &&
		    !err.msg[0])
			__builtin_trap(); /* every failure says why */
	}
	return 0;
}
