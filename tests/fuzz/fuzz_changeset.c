/*
 * libFuzzer target for every decoder in changeset.c: the change-set
 * decoder (and the cheap header peek), the row-encoding decoder, and the
 * BFX1 file reader, whose entries are decoded in turn.  Whatever a
 * decoder accepts is re-encoded where the format allows, and must come
 * back byte for byte: the canonical form has exactly one encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "changeset.h"
#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rows(const struct changeset *cs)
{
	struct bf_buf b;

	bf_buf_init(&b, 0);
	for (size_t i = 0; i < cs->nrows; i++) {
		const struct cs_row *r = &cs->rows[i];
		struct cs_field *f;
		size_t n;

		if (r->op != CS_UPSERT)
			continue;
		bf_buf_reset(&b);
		if (cs_rowenc(&b, r->fields, r->nfields) != 0)
			abort();
		if (cs_rowenc_decode(b.p, b.len, &f, &n, NULL) != 0 ||
		    n != r->nfields)
			abort();
		cs_fields_free(f, n);
	}
	bf_buf_free(&b);
}

/* Building the decoded content again must give the same body: the
 * builder and the decoder agree on the one canonical form. */
static void check_rebuild(const struct changeset *cs)
{
	static struct ed_key key;
	struct cs_row_in *in = calloc(cs->nrows + 1, sizeof(*in));
	struct bf_buf *enc = calloc(cs->nrows + 1, sizeof(*enc));
	char **strs = calloc(2 * cs->nrows + 1, sizeof(*strs));
	uint8_t *out = NULL;
	size_t len = 0;

	if (!key.pkey) {
		uint8_t seed[32] = {0};

		if (ed_key_from_seed(seed, &key, NULL) != 0)
			abort();
	}
	if (!in || !enc || !strs)
		abort();
	for (size_t i = 0; i < cs->nrows; i++) {
		const struct cs_row *r = &cs->rows[i];

		strs[2 * i] = strndup(r->table.p, r->table.len);
		strs[2 * i + 1] = strndup(r->id.p, r->id.len);
		if (!strs[2 * i] || !strs[2 * i + 1])
			abort();
		bf_buf_init(&enc[i], 0);
		if (r->op == CS_UPSERT &&
		    cs_rowenc(&enc[i], r->fields, r->nfields) != 0)
			abort();
		in[i] = (struct cs_row_in){r->op, strs[2 * i], strs[2 * i + 1],
					   enc[i].p, enc[i].len, NULL};
	}
	if (cs_build(&cs->h, in, cs->nrows, &key, &out, &len, NULL) != 0 ||
	    len != cs->len ||
	    memcmp(out, cs->bytes, cs->body_len) != 0)
		abort();
	free(out);
	for (size_t i = 0; i < cs->nrows; i++) {
		free(strs[2 * i]);
		free(strs[2 * i + 1]);
		bf_buf_free(&enc[i]);
	}
	free(strs);
	free(enc);
	free(in);
}

static int on_entry(void *ctx, size_t index, const uint8_t *p, size_t len,
		    struct bf_err *err)
{
	struct changeset cs;

	(void)ctx;
	(void)index;
	if (cs_decode(p, len, &cs, err) == 0)
		cs_free(&cs);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_err err;
	struct changeset cs;
	struct cs_header h;
	uint8_t hash[CS_HASH_LEN];
	struct cs_field *f;
	size_t n;
	uint8_t *copy;

	/* a private copy so that ASan catches any read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);

	if (cs_decode(copy, size, &cs, &err) == 0) {
		if (cs_peek_header(copy, size, &h, hash, &err) != 0 ||
		    memcmp(hash, cs.hash, CS_HASH_LEN) != 0 ||
		    strcmp(h.origin, cs.h.origin) != 0)
			abort();
		check_rows(&cs);
		check_rebuild(&cs);
		cs_free(&cs);
	} else {
		(void)cs_peek_header(copy, size, &h, hash, &err);
	}

	if (cs_rowenc_decode(copy, size, &f, &n, &err) == 0) {
		struct bf_buf b;

		bf_buf_init(&b, 0);
		if (cs_rowenc(&b, f, n) != 0 || b.len != size ||
		    memcmp(b.p, copy, size) != 0)
			abort();
		/* from the typed values too, not only the raw bytes */
		for (size_t i = 0; i < n; i++)
			f[i].v.raw.p = NULL;
		bf_buf_reset(&b);
		if (cs_rowenc(&b, f, n) != 0 || b.len != size ||
		    memcmp(b.p, copy, size) != 0)
			abort();
		bf_buf_free(&b);
		cs_fields_free(f, n);
	}

	(void)cs_file_read(copy, size, on_entry, NULL, &err);
	free(copy);
	return 0;
}
