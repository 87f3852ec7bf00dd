/*
 * A configuration written out: biofed.conf as biofed init writes it (each
 * option with its help as a comment), and the option list of biofed
 * config (config.h).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

/* Renders option o of obj as "key = value" lines.  Source sections leave
 * out empty values (their defaults), so that they load back the same. */
static int render_opt(struct bf_buf *out, const struct bf_config *cfg,
		      const void *obj, const struct opt *o, int source)
{
	const char *base = (const char *)obj + o->off;
	const size_t *count =
		(const size_t *)(const void *)((const char *)obj + o->count);
	char hex[65];
	int rc = 0;

	switch (o->type) {
	case OPT_STR:
	case OPT_ENUM:
		if (source && !*base)
			return 0;
		return bf_buf_printf(out, "%s = %s\n", o->key, base);
	case OPT_INT: {
		int64_t v;
		memcpy(&v, base, sizeof(v));
		return bf_buf_printf(out, "%s = %lld\n", o->key, (long long)v);
	}
	case OPT_BOOL: {
		int v;
		memcpy(&v, base, sizeof(v));
		return bf_buf_printf(out, "%s = %s\n", o->key,
				     v ? "true" : "false");
	}
	case OPT_HEX32:
		bf_hex((const uint8_t *)base, 32, hex);
		return bf_buf_printf(out, "%s = %s\n", o->key,
				     cfg->has_coordinator_key ? hex : "");
	case OPT_LIST:
		if (*count == 0 && !source)
			rc = bf_buf_printf(out, ";%s = \n", o->key);
		for (size_t j = 0; j < *count && !rc; j++)
			rc = bf_buf_printf(out, "%s = %s\n", o->key,
					   base + j * o->size);
		return rc;
	case OPT_MAP: {
		const struct bf_source_map *m =
			(const struct bf_source_map *)(const void *)base;
		for (size_t j = 0; j < *count && !rc; j++)
			rc = bf_buf_printf(out, "%s%s = %s\n", o->key,
					   m[j].field, m[j].key);
		return rc;
	}
	}
	return -1;
}

/* "; text" lines of at most 78 columns, cut at spaces: a rendered file
 * stays well within the reader's line limit. */
static int render_comment(struct bf_buf *out, const char *text)
{
	int rc = 0;

	while (*text && !rc) {
		size_t n = strlen(text), cut = n;
		if (n > 76) {
			for (cut = 76; cut > 0 && text[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = strcspn(text, " ");
		}
		rc = bf_buf_printf(out, "; %.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
	return rc;
}

int config_render(const struct bf_config *cfg, struct bf_buf *out)
{
	const char *section = "";
	size_t nopts, nsource;
	const struct opt *opts = config_table(&nopts);
	const struct opt *source_opts = config_source_table(&nsource);
	int rc = bf_buf_adds(out, "# biofed node configuration.  "
				  "`biofed config` lists every option.\n");

	for (size_t i = 0; i < nopts && !rc; i++) {
		const struct opt *o = &opts[i];
		if (strcmp(section, o->section) != 0) {
			section = o->section;
			rc = bf_buf_printf(out, "\n[%s]\n", section);
		}
		if (!rc)
			rc = render_comment(out, o->help);
		if (!rc)
			rc = render_opt(out, cfg, cfg, o, 0);
	}
	for (size_t i = 0; i < cfg->nsources && !rc; i++) {
		const struct bf_source *src = &cfg->sources[i];
		rc = bf_buf_printf(out, "\n[%s%s]\n", SOURCE_PREFIX, src->name);
		for (size_t k = 0; k < nsource && !rc; k++)
			rc = render_opt(out, cfg, src, &source_opts[k], 1);
	}
	return rc;
}

static void print_opt(FILE *f, const char *section, const struct opt *o)
{
	static const char *const tn[] = {"string", "integer", "hex32",
					 "choice", "list",    "boolean",
					 "string"};

	fprintf(f, "%s.%s%s (%s", section, o->key,
		o->type == OPT_MAP ? "FIELD" : "", tn[o->type]);
	if (o->type == OPT_INT)
		fprintf(f, " %lld..%lld", (long long)o->min,
			(long long)o->max);
	if (o->type == OPT_ENUM)
		fprintf(f, " %s", o->choices);
	if (o->def)
		fprintf(f, ", default %s", o->def);
	fprintf(f, ")\n    %s\n", o->help);
}

void config_print_options(void *file)
{
	FILE *f = file;
	size_t nopts, nsource;
	const struct opt *opts = config_table(&nopts);
	const struct opt *source_opts = config_source_table(&nsource);

	for (size_t i = 0; i < nopts; i++)
		print_opt(f, opts[i].section, &opts[i]);
	for (size_t i = 0; i < nsource; i++)
		print_opt(f, "source NAME", &source_opts[i]);
}
