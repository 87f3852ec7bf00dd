/*
 * value: cells to encoded field values (see value.h).
 */
#include "value.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void value_trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* One text item of a field: check it, give its stored form. */
static int text_item(const struct sch_field *f, const char *s, size_t len,
		     unsigned flags, struct cs_str *out, char *msg,
		     size_t msglen)
{
	if (!f) {
		out->p = s;
		out->len = len;
		return 0;
	}
	return schema_value(f, s, len, flags, &out->p, &out->len, msg, msglen)
		       ? -1
		       : 0;
}

/* The item that starts at p, with the items after it up to three more
 * commas on, when that is a term of f: then *comma is where it ends
 * (the comma after it, or NULL at the end) and *out the term. */
static int joined_term(const struct sch_field *f, unsigned flags,
		       const char *p, const char *end, const char **comma,
		       struct cs_str *out)
{
	const char *c = *comma;
	char msg[8];

	if (!f || f->check == CHK_NONE)
		return 0;
	for (int k = 0; k < 3 && c; k++) {
		const char *next = memchr(c + 1, ',', (size_t)(end - c - 1));
		const char *is = p;
		size_t il = (size_t)((next ? next : end) - p);

		value_trim(&is, &il);
		if (text_item(f, is, il, flags, out, msg, sizeof(msg)) == 0) {
			*comma = next;
			return 1;
		}
		c = next;
	}
	return 0;
}

static int parse_int(const char *s, size_t len, int64_t *v)
{
	char tmp[32], *end;
	long long x;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_real(const char *s, size_t len, double *v)
{
	char tmp[64], *end;
	double x;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	errno = 0;
	x = strtod(tmp, &end);
	if (errno || *end || !isfinite(x))
		return -1;
	*v = x;
	return 0;
}

static int convert(const struct sch_field *f, const struct rec_cell *cell,
		   unsigned flags, struct bf_buf *vals, struct cs_str *items,
		   char *msg, size_t msglen)
{
	const json_t *j = cell->json;
	const char *s = cell->text;
	size_t len = cell->len;
	enum sch_type type = f ? f->type : SCH_TEXT;
	size_t n = 0;

	if (j && json_is_null(j))
		return 1;
	if (j && !s) {
		/* typed JSON values */
		if (!f) {
			if (json_is_integer(j))
				return cs_put_int(vals, json_integer_value(j))
					       ? -1 : 0;
			if (json_is_real(j))
				return cs_put_real(vals, json_real_value(j))
					       ? -1 : 0;
			if (json_is_boolean(j))
				return cs_put_bool(vals, json_is_true(j)) ? -1
									  : 0;
			if (json_is_array(j))
				type = SCH_LIST;
			else {
				snprintf(msg, msglen,
					 "nested objects are not supported");
				return -1;
			}
		}
		switch (type) {
		case SCH_INT:
			if (!json_is_integer(j))
				break;
			if (f->min < f->max && (json_integer_value(j) < f->min ||
						json_integer_value(j) > f->max)) {
				snprintf(msg, msglen,
					 "%lld is outside %lld..%lld",
					 (long long)json_integer_value(j),
					 (long long)f->min, (long long)f->max);
				return -1;
			}
			return cs_put_int(vals, json_integer_value(j)) ? -1 : 0;
		case SCH_REAL:
			if (!json_is_number(j))
				break;
			return cs_put_real(vals, json_number_value(j)) ? -1 : 0;
		case SCH_BOOL:
			if (!json_is_boolean(j))
				break;
			return cs_put_bool(vals, json_is_true(j)) ? -1 : 0;
		case SCH_LIST: {
			size_t i;
			json_t *it;
			if (!json_is_array(j))
				break;
			json_array_foreach(j, i, it) {
				const char *is;
				size_t il;
				if (!json_is_string(it)) {
					snprintf(msg, msglen,
						 "item %zu is not a string",
						 i + 1);
					return -1;
				}
				if (n == VALUE_MAX_ITEMS) {
					snprintf(msg, msglen,
						 "more than %d items",
						 VALUE_MAX_ITEMS);
					return -1;
				}
				is = json_string_value(it);
				il = json_string_length(it);
				value_trim(&is, &il);
				if (il == 0)
					continue;
				if (text_item(f, is, il, flags, &items[n], msg,
					      msglen))
					return -1;
				n++;
			}
			if (n == 0)
				return 1;
			return cs_put_list(vals, items, n) ? -1 : 0;
		}
		case SCH_TEXT:
			break;
		}
		snprintf(msg, msglen, "expected %s",
			 type == SCH_INT    ? "an integer"
			 : type == SCH_REAL ? "a number"
			 : type == SCH_BOOL ? "true or false"
			 : type == SCH_LIST ? "a list of strings"
					    : "a string");
		return -1;
	}
	/* csvin and jsonin hand over valid UTF-8 only */
	if (!s || len == 0)
		return 1;
	switch (type) {
	case SCH_TEXT: {
		struct cs_str v;
		if (text_item(f, s, len, flags, &v, msg, msglen))
			return -1;
		return cs_put_text(vals, v.p, v.len) ? -1 : 0;
	}
	case SCH_INT: {
		int64_t v;
		value_trim(&s, &len);
		if (parse_int(s, len, &v)) {
			snprintf(msg, msglen, "\"%.*s\" is not an integer",
				 (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		if (f->min < f->max && (v < f->min || v > f->max)) {
			snprintf(msg, msglen, "%lld is outside %lld..%lld",
				 (long long)v, (long long)f->min,
				 (long long)f->max);
			return -1;
		}
		return cs_put_int(vals, v) ? -1 : 0;
	}
	case SCH_REAL: {
		double v;
		value_trim(&s, &len);
		if (parse_real(s, len, &v)) {
			snprintf(msg, msglen, "\"%.*s\" is not a number",
				 (int)(len > 60 ? 60 : len), s);
			return -1;
		}
		return cs_put_real(vals, v) ? -1 : 0;
	}
	case SCH_BOOL:
		value_trim(&s, &len);
		if ((len == 4 && strncasecmp(s, "true", 4) == 0) ||
		    (len == 5 && strncasecmp(s, "false", 5) == 0))
			return cs_put_bool(vals, len == 4) ? -1 : 0;
		snprintf(msg, msglen, "\"%.*s\" is not true or false",
			 (int)(len > 60 ? 60 : len), s);
		return -1;
	case SCH_LIST: {
		/* The Directory's multi-valued cells: "DNA,SERUM".  A few
		 * terms hold a comma themselves ("Greek, Modern (1453-)"):
		 * an item that is no term is tried with the next ones. */
		const char *p = s, *end = s + len;
		while (p <= end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *ie = comma ? comma : end;
			const char *is = p;
			size_t il = (size_t)(ie - p);
			value_trim(&is, &il);
			if (il) {
				if (n == VALUE_MAX_ITEMS) {
					snprintf(msg, msglen,
						 "more than %d items",
						 VALUE_MAX_ITEMS);
					return -1;
				}
				if (text_item(f, is, il, flags, &items[n], msg,
					      msglen) &&
				    !joined_term(f, flags, p, end, &comma,
						 &items[n])) {
					return -1;
				}
				n++;
			}
			if (!comma)
				break;
			p = comma + 1;
		}
		if (n == 0)
			return 1;
		return cs_put_list(vals, items, n) ? -1 : 0;
	}
	}
	return -1;
}

/* The model's column as a field of the schema's kind. */
static void model_field(const struct vocab_column *mc, struct sch_field *f,
			struct sch_vocab *v)
{
	memset(f, 0, sizeof(*f));
	f->name = mc->name;
	switch (mc->type) {
	case VC_INT: f->type = SCH_INT; break;
	case VC_DECIMAL: f->type = SCH_REAL; break;
	case VC_BOOL: f->type = SCH_BOOL; break;
	case VC_DATE: f->type = SCH_TEXT; f->check = CHK_DATE; break;
	case VC_LIST: f->type = SCH_LIST; break;
	case VC_TERM:
	case VC_TERMS:
		f->type = mc->type == VC_TERM ? SCH_TEXT : SCH_LIST;
		if (mc->onto == &vocab_DiseaseTypes) {
			f->check = CHK_DISEASE;
			break;
		}
		v->name = mc->onto->name;
		v->onto = mc->onto;
		v->terms = NULL;
		f->check = CHK_VOCAB;
		f->vocab = v;
		break;
	case VC_STRING:
	case VC_REF:
		f->type = SCH_TEXT;
		break;
	}
}

int value_convert(const struct sch_field *f, const struct vocab_column *mc,
		  const struct rec_cell *cell, unsigned flags,
		  struct bf_buf *vals, struct cs_str *items, char *msg,
		  size_t msglen)
{
	struct sch_field mf;
	struct sch_vocab mv;

	if (!f && mc) {
		model_field(mc, &mf, &mv);
		f = &mf;
	}
	return convert(f, cell, flags, vals, items, msg, msglen);
}
