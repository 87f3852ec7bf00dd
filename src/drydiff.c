/*
 * drydiff: a change as the lines `publish --dry-run` prints (drydiff.h).
 */
#include "drydiff.h"

#include <stdlib.h>
#include <string.h>

/* The value as JSON text into b. */
static int put_value(struct bf_buf *b, const struct cs_value *v)
{
	switch (v->type) {
	case CS_INT: return bf_buf_printf(b, "%lld", (long long)v->i);
	case CS_REAL: return bf_buf_printf(b, "%.17g", v->r);
	case CS_TRUE: return bf_buf_adds(b, "true");
	case CS_FALSE: return bf_buf_adds(b, "false");
	case CS_TEXT: return bf_buf_add_json_str(b, v->s.p, v->s.len);
	case CS_LIST: {
		int rc = bf_buf_addc(b, '[');
		for (size_t i = 0; i < v->nitems && !rc; i++) {
			if (i)
				rc = bf_buf_addc(b, ',');
			rc = rc ? rc
				: bf_buf_add_json_str(b, v->items[i].p,
						      v->items[i].len);
		}
		return rc ? rc : bf_buf_addc(b, ']');
	}
	}
	return BF_EINVAL;
}

static int name_cmp(const struct cs_str *a, const struct cs_str *b)
{
	int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int same_value(const struct cs_value *a, const struct cs_value *b)
{
	return a->raw.len == b->raw.len &&
	       memcmp(a->raw.p, b->raw.p, a->raw.len) == 0;
}

int drydiff_print(FILE *out, enum cs_op op, const char *table, const char *id,
		  const uint8_t *old_enc, size_t old_len,
		  const uint8_t *new_enc, size_t new_len, struct bf_err *err)
{
	struct cs_field *of = NULL, *nf = NULL;
	size_t on = 0, nn = 0, i = 0, j = 0;
	struct bf_buf b;
	int rc = BF_OK;

	bf_buf_init(&b, 0);
	if ((rc = bf_buf_add_json_str(&b, id, strlen(id))) || !bf_buf_cstr(&b))
		goto nomem;
	if (op == CS_DELETE) {
		fprintf(out, "- %s %s (deleted by --replace)\n", table,
			(char *)b.p);
		goto out;
	}
	if (!old_enc) {
		fprintf(out, "+ %s %s (new)\n", table, (char *)b.p);
		goto out;
	}
	fprintf(out, "~ %s %s\n", table, (char *)b.p);
	if ((rc = cs_rowenc_decode(old_enc, old_len, &of, &on, err)) ||
	    (rc = cs_rowenc_decode(new_enc, new_len, &nf, &nn, err)))
		goto out;
	/* both are sorted by name: one merge walk */
	while (i < on || j < nn) {
		int c = i == on	  ? 1
			: j == nn ? -1
				  : name_cmp(&of[i].name, &nf[j].name);
		const struct cs_field *name = c <= 0 ? &of[i] : &nf[j];

		if (c == 0 && same_value(&of[i].v, &nf[j].v)) {
			i++, j++;
			continue;
		}
		bf_buf_reset(&b);
		rc = bf_buf_printf(&b, "    %.*s: ", (int)name->name.len,
				   name->name.p);
		rc = rc ? rc
			: c <= 0 ? put_value(&b, &of[i].v)
				 : bf_buf_adds(&b, "(none)");
		rc = rc ? rc : bf_buf_adds(&b, " -> ");
		rc = rc ? rc
			: c >= 0 ? put_value(&b, &nf[j].v)
				 : bf_buf_adds(&b, "(none)");
		if (rc || !bf_buf_cstr(&b))
			goto nomem;
		fprintf(out, "%s\n", (char *)b.p);
		i += c <= 0;
		j += c >= 0;
	}
	goto out;
nomem:
	rc = bf_errf(err, BF_ENOMEM, "out of memory");
out:
	cs_fields_free(of, on);
	cs_fields_free(nf, nn);
	bf_buf_free(&b);
	return rc;
}
