/*
 * libFuzzer target for mapping files (mapfile.h) and the vocabulary
 * lookups a published value meets (vocab.h, schema_value): the bytes as a
 * term of every vocabulary (found terms match them, case aside; nearest
 * terms stay bounded) and as a disease code (an accepted one is stored as
 * a known term); then as a mapping file, read from a file as `--map`
 * does: it loads with a bounded skip and answers lookups, or is refused
 * with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mapfile.h"
#include "schema.h"
#include "vocab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terms(const uint8_t *data, size_t size)
{
	const struct sch_field disease = {.name = "d", .type = SCH_TEXT,
					  .check = CHK_DISEASE};
	char msg[512];
	const char *out;
	size_t outlen;

	if (size > 64)
		size = 64;
	for (size_t k = 0; k < vocab_count; k++) {
		const struct vocab *v = vocab_all[k];
		long i = vocab_find(v, (const char *)data, size);
		long near[3];

		if (i >= 0 && (size_t)i >= v->nterms)
			abort();
		if (i >= 0 && v != &vocab_DiseaseTypes &&
		    (v->terms[i].len != size ||
		     strncasecmp(v->terms[i].name, (const char *)data, size)))
			abort();
		/* nearest terms: slow under the fuzzer's instrumentation, so
		 * in a few small vocabularies only */
		if ((v == &vocab_MaterialTypes || v == &vocab_SexTypes ||
		     v == &vocab_ServiceTypes) &&
		    size <= 24 &&
		    vocab_nearest(v, (const char *)data, size, near, 3) > 3)
			abort();
	}
	if (schema_value(&disease, (const char *)data, size, SCH_NO_HINTS,
			 &out, &outlen, msg, sizeof(msg)) == 0 &&
	    vocab_find(&vocab_DiseaseTypes, out, outlen) < 0)
		abort(); /* an accepted code is stored as a known term */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_mapfile.XXXXXX";
	struct mapfile *m = NULL;
	struct bf_err err = {{0}};
	int fd = mkstemp(path);

	terms(data, size);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (mapfile_load(path, &m, &err) == 0) {
		/* what loads is consistent: skip is bounded */
		if (mapfile_skip_rows(m) > 1000)
			abort();
		(void)mapfile_column(m, "id");
		(void)mapfile_value(m, "sex", "Male", 4);
		mapfile_free(m);
	} else if (!err.msg[0]) {
		abort(); /* every refusal says why */
	}
	unlink(path);
	return 0;
}
