/*
 * craft: makes hostile change-set files for the black-box tests.  It
 * signs as a real member (its node directory) and then breaks exactly
 * one apply rule (craftlib.h), so a test can show that the rule alone
 * refuses it.
 *
 *   craft NODE_DIR KIND OUT_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "craftlib.h"

static int die(const char *m)
{
	fprintf(stderr, "craft: %s\n", m);
	return 1;
}

int main(int argc, char **argv)
{
	struct node n;
	struct bf_err err;
	struct bf_buf file;
	uint8_t *bytes = NULL;
	size_t len = 0;

	if (argc != 4)
		return die("usage: craft NODE_DIR KIND OUT_FILE\n  KIND: " CRAFT_KINDS);
	if (node_open(&n, argv[1], NODE_KEY | NODE_RDONLY, &err))
		return die(err.msg);
	if (craft_changeset(&n, argv[2], &bytes, &len, &err))
		return die(err.msg);
	bf_buf_init(&file, 0);
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
	bf_buf_free(&file);
	node_close(&n);
	return 0;
}
