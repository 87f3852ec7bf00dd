/*
 * craft: makes hostile change-set files for the black-box tests.  It
 * signs as a real member (its node directory) and then breaks exactly
 * one apply rule, so a test can show that the rule alone refuses it.
 *
 *   craft NODE_DIR KIND OUT_FILE
 *
 * KIND: good, badsig, wrongkey, unknown-origin, wrong-owner, local-table,
 *       gap, wrong-prev, replay, truncated, oversize, garbage, badtype
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changeset.h"
#include "keys.h"
#include "node.h"
#include "schema.h"

static int die(const char *m)
{
	fprintf(stderr, "craft: %s\n", m);
	return 1;
}

struct last {
	uint8_t *bytes;
	size_t len;
};

static int keep_last(void *ctx, const struct store_cs_entry *e)
{
	struct last *l = ctx;
	free(l->bytes);
	l->bytes = malloc(e->len);
	if (!l->bytes)
		return -1;
	memcpy(l->bytes, e->bytes, e->len);
	l->len = e->len;
	return 0;
}

int main(int argc, char **argv)
{
	struct node n;
	struct bf_err err;
	struct cs_header h;
	struct bf_buf enc, file;
	struct ed_key other = {0};
	const struct ed_key *key;
	const char *kind, *table = "biobank";
	uint8_t *bytes = NULL;
	size_t len = 0;
	struct cs_field f[2];
	struct cs_row_in row;
	int rc;

	if (argc != 4)
		return die("usage: craft NODE_DIR KIND OUT_FILE");
	kind = argv[2];
	if (node_open(&n, argv[1], NODE_KEY | NODE_RDONLY, &err))
		return die(err.msg);
	key = &n.key;
	memset(&h, 0, sizeof(h));
	snprintf(h.origin, sizeof(h.origin), "%s", n.cfg.slug);
	if (store_head(n.store, n.cfg.slug, &h.seq, h.prev, &err))
		return die(err.msg);
	h.seq++;
	h.time_ms = bf_now_ms();
	h.schema = SCHEMA_VERSION;

	bf_buf_init(&enc, 0);
	bf_buf_init(&file, 0);
	memset(f, 0, sizeof(f));
	f[0].name = (struct cs_str){"country", 7};
	f[0].v.type = CS_TEXT;
	f[0].v.s = (struct cs_str){"ES", 2};
	f[1].name = (struct cs_str){"name", 4};
	f[1].v.type = CS_TEXT;
	f[1].v.s = (struct cs_str){"Crafted biobank", 15};
	if (strcmp(kind, "badtype") == 0) {
		f[1].v.type = CS_INT;
		f[1].v.i = 7;
	}
	if (strcmp(kind, "wrong-owner") == 0)
		table = "institution";
	if (strcmp(kind, "local-table") == 0)
		table = "sample";
	if (strcmp(kind, "gap") == 0)
		h.seq++;
	if (strcmp(kind, "wrong-prev") == 0)
		cs_sha256("not the head", 12, h.prev);
	if (strcmp(kind, "unknown-origin") == 0 ||
	    strcmp(kind, "wrongkey") == 0) {
		uint8_t seed[32];
		memset(seed, 0x5a, sizeof(seed));
		if (ed_key_from_seed(seed, &other, &err))
			return die(err.msg);
		key = &other;
		if (strcmp(kind, "unknown-origin") == 0) {
			snprintf(h.origin, sizeof(h.origin), "intruder");
			h.seq = 1;
			memset(h.prev, 0, sizeof(h.prev));
		}
	}
	cs_rowenc(&enc, f, 2);
	row = (struct cs_row_in){CS_UPSERT, table, "crafted-1", enc.p, enc.len};

	if (strcmp(kind, "replay") == 0) {
		struct last l = {NULL, 0};
		if (store_changesets(n.store, n.cfg.slug, 0, keep_last, &l,
				     &err) || !l.bytes)
			return die("no change set to replay");
		bytes = l.bytes;
		len = l.len;
	} else if (strcmp(kind, "garbage") == 0) {
		len = 4096;
		bytes = malloc(len);
		srand(7);
		for (size_t i = 0; i < len; i++)
			bytes[i] = (uint8_t)rand();
	} else if (strcmp(kind, "oversize") == 0) {
		/* a valid-looking start followed by more than the cap */
		len = CS_MAX_BYTES + 4096;
		bytes = calloc(1, len);
		memcpy(bytes, CS_MAGIC, 4);
	} else {
		rc = cs_build(&h, &row, 1, key, &bytes, &len, &err);
		if (rc)
			return die(err.msg);
		if (strcmp(kind, "badsig") == 0)
			bytes[len - 10] ^= 0x01;
		if (strcmp(kind, "truncated") == 0)
			len -= 10;
	}
	cs_file_begin(&file);
	/* cs_file_append refuses oversize entries: frame by hand */
	if (len > CS_MAX_BYTES) {
		uint8_t be[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
				 (uint8_t)(len >> 8), (uint8_t)len};
		bf_buf_add(&file, be, 4);
		bf_buf_add(&file, bytes, len);
	} else if (cs_file_append(&file, bytes, len)) {
		return die("cannot frame");
	}
	unlink(argv[3]);
	if (bf_write_new_file(argv[3], 0644, file.p, file.len, &err))
		return die(err.msg);
	free(bytes);
	bf_buf_free(&enc);
	bf_buf_free(&file);
	ed_key_free(&other);
	node_close(&n);
	return 0;
}
