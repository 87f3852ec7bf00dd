/*
 * config: the option table and the INI reader/writer around it.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

enum opt_type { OPT_STR, OPT_INT, OPT_HEX32, OPT_ENUM, OPT_LIST };

struct opt {
	const char *section;
	const char *key;
	enum opt_type type;
	size_t off;   /* into struct bf_config */
	size_t size;  /* of a string field */
	int64_t min, max;
	const char *def;
	const char *choices; /* OPT_ENUM: "a|b|c" */
	const char *help;
};

#define OFF(f) offsetof(struct bf_config, f)
#define SZ(f) sizeof(((struct bf_config *)0)->f)

static const struct opt opts[] = {
	{"node", "slug", OPT_STR, OFF(slug), SZ(slug), 0, 0, "", NULL,
	 "this institution's short name (a-z, 0-9, '-'): the origin of its "
	 "change sets"},
	{"node", "name", OPT_STR, OFF(name), SZ(name), 0, 0, "", NULL,
	 "the institution's full name"},
	{"node", "country", OPT_STR, OFF(country), SZ(country), 0, 0, "", NULL,
	 "ISO 3166 two-letter country code"},
	{"node", "region", OPT_STR, OFF(region), SZ(region), 0, 0, "", NULL,
	 "region (e.g. Navarra, Occitanie)"},
	{"node", "endpoint", OPT_STR, OFF(endpoint), SZ(endpoint), 0, 0, "",
	 NULL, "address peers dial to reach this node (tls+tcp://host:port)"},
	{"node", "listen", OPT_STR, OFF(listen), SZ(listen), 0, 0, "", NULL,
	 "address biofedd listens on (tls+tcp://host:port); empty: endpoint"},
	{"federation", "coordinator_key", OPT_HEX32, OFF(coordinator_key), 0,
	 0, 0, "", NULL,
	 "the network coordinator's Ed25519 public key (64 hex digits): "
	 "signs the roster"},
	{"federation", "peer", OPT_LIST, OFF(peers), SZ(peers[0]), 0, 0, "",
	 NULL, "a member endpoint to dial (repeat the line for more)"},
	{"publish", "max_changeset_rows", OPT_INT, OFF(max_changeset_rows), 0,
	 1, 100000, "10000", NULL,
	 "rows per change set when a publish is split"},
	{"samples", "suppress_below", OPT_INT, OFF(suppress_below), 0, 0,
	 1000, "10", NULL,
	 "derived counts from 1 to this minus one are suppressed (0: off)"},
	{"samples", "suppress_mode", OPT_ENUM, OFF(suppress_mode),
	 SZ(suppress_mode), 0, 0, "round", "round|hide",
	 "round: small counts are shown as suppress_below; hide: the fact row "
	 "is not published"},
	{"log", "level", OPT_ENUM, OFF(log_level), SZ(log_level), 0, 0, "info",
	 "error|warn|info|debug", "least severe level logged"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

static int set_opt(struct bf_config *cfg, const struct opt *o, const char *v,
		   char *msg, size_t msglen)
{
	char *base = (char *)cfg + o->off;

	switch (o->type) {
	case OPT_STR:
	case OPT_ENUM:
		if (strlen(v) >= o->size) {
			snprintf(msg, msglen, "value longer than %zu bytes",
				 o->size - 1);
			return -1;
		}
		if (o->type == OPT_ENUM && !enum_ok(o->choices, v)) {
			snprintf(msg, msglen, "\"%s\" is not one of %s", v,
				 o->choices);
			return -1;
		}
		memcpy(base, v, strlen(v) + 1);
		return 0;
	case OPT_INT: {
		char *end;
		long long x;
		errno = 0;
		x = strtoll(v, &end, 10);
		if (errno || end == v || *end || x < o->min || x > o->max) {
			snprintf(msg, msglen,
				 "\"%s\" is not an integer from %lld to %lld",
				 v, (long long)o->min, (long long)o->max);
			return -1;
		}
		memcpy(base, &(int64_t){x}, sizeof(int64_t));
		return 0;
	}
	case OPT_HEX32:
		if (*v == 0)
			return 0;
		if (bf_unhex(v, (uint8_t *)base, 32) != 0) {
			snprintf(msg, msglen, "not 64 hex digits");
			return -1;
		}
		cfg->has_coordinator_key = 1;
		return 0;
	case OPT_LIST:
		if (cfg->npeers >= CONFIG_MAX_PEERS) {
			snprintf(msg, msglen, "more than %d entries",
				 CONFIG_MAX_PEERS);
			return -1;
		}
		if (strlen(v) >= o->size) {
			snprintf(msg, msglen, "value too long");
			return -1;
		}
		memcpy(base + cfg->npeers * o->size, v, strlen(v) + 1);
		cfg->npeers++;
		return 0;
	}
	return -1;
}

void config_defaults(struct bf_config *cfg)
{
	char msg[128];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].type != OPT_LIST && opts[i].def[0])
			set_opt(cfg, &opts[i], opts[i].def, msg, sizeof(msg));
}

struct load_ctx {
	struct bf_config *cfg;
	const char *path;
	struct bf_err *err;
	int failed;
	/* Debian's libinih does not pass line numbers to the handler, so the
	 * file is pre-scanned for the lines that produce entries, in order. */
	int *lines;
	size_t nlines, next;
};

static void scan_entry_lines(FILE *f, struct load_ctx *c)
{
	char line[1024];
	int lineno = 0, after_entry = 0;
	size_t cap = 0;

	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		int entry;
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == 0 || *p == '\n' || *p == '\r' || *p == ';' ||
		    *p == '#' || *p == '[') {
			after_entry = *p == '[' ? 0 : after_entry;
			continue;
		}
		entry = (p != line && after_entry) || strchr(p, '=') ||
			strchr(p, ':');
		if (!entry)
			continue;
		after_entry = 1;
		if (c->nlines == cap) {
			int *n = realloc(c->lines, (cap ? cap * 2 : 64) *
							   sizeof(int));
			if (!n)
				return;
			c->lines = n;
			cap = cap ? cap * 2 : 64;
		}
		c->lines[c->nlines++] = lineno;
	}
	rewind(f);
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct load_ctx *c = user;
	char msg[256];
	int lineno = c->next < c->nlines ? c->lines[c->next] : 0;

	c->next++;
	if (c->failed)
		return 0;
	for (size_t i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].section, section) != 0 ||
		    strcmp(opts[i].key, name) != 0)
			continue;
		if (set_opt(c->cfg, &opts[i], value, msg, sizeof(msg)) != 0) {
			bf_errf(c->err, BF_EINVAL, "%s:%d: %s.%s: %s", c->path,
				lineno, section, name, msg);
			c->failed = 1;
			return 0;
		}
		return 1;
	}
	bf_errf(c->err, BF_EINVAL, "%s:%d: unknown option \"%s\" in [%s]",
		c->path, lineno, name, section);
	c->failed = 1;
	return 0;
}

static int validate(const struct bf_config *cfg, const char *path,
		    struct bf_err *err)
{
	char msg[256];
	struct sch_field f = {0};

	if (!bf_is_slug(cfg->slug) || strcmp(cfg->slug, SCHEMA_COORDINATOR) == 0)
		return bf_errf(err, BF_EINVAL,
			       "%s: node.slug \"%s\" is not a valid slug "
			       "(a-z, 0-9, '-'; not \"%s\")",
			       path, cfg->slug, SCHEMA_COORDINATOR);
	if (!cfg->has_coordinator_key)
		return bf_errf(err, BF_EINVAL,
			       "%s: federation.coordinator_key is not set", path);
	f.check = CHK_ENDPOINT;
	if (cfg->endpoint[0] &&
	    schema_check_text(&f, cfg->endpoint, strlen(cfg->endpoint), msg,
			      sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "%s: node.endpoint: %s", path,
			       msg);
	if (cfg->listen[0] &&
	    schema_check_text(&f, cfg->listen, strlen(cfg->listen), msg,
			      sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "%s: node.listen: %s", path, msg);
	for (size_t i = 0; i < cfg->npeers; i++)
		if (schema_check_text(&f, cfg->peers[i], strlen(cfg->peers[i]),
				      msg, sizeof(msg)))
			return bf_errf(err, BF_EINVAL, "%s: federation.peer: %s",
				       path, msg);
	return 0;
}

int config_load(const char *path, struct bf_config *cfg, struct bf_err *err)
{
	struct load_ctx c = {cfg, path, err, 0, NULL, 0, 0};
	FILE *f;
	int rc;

	config_defaults(cfg);
	f = fopen(path, "r");
	if (!f)
		return bf_errf(err, BF_ENOENT, "%s: %s", path, strerror(errno));
	scan_entry_lines(f, &c);
	rc = ini_parse_file(f, on_entry, &c);
	fclose(f);
	free(c.lines);
	if (c.failed)
		return BF_EINVAL;
	if (rc > 0)
		return bf_errf(err, BF_EINVAL, "%s:%d: malformed line", path,
			       rc);
	if (rc < 0)
		return bf_errf(err, BF_EIO, "%s: cannot read", path);
	return validate(cfg, path, err);
}

int config_render(const struct bf_config *cfg, struct bf_buf *out)
{
	const char *section = "";
	char hex[65];
	int rc = bf_buf_adds(out, "# biofed node configuration.  "
				  "`biofed config` lists every option.\n");

	for (size_t i = 0; i < NOPTS && !rc; i++) {
		const struct opt *o = &opts[i];
		const char *base = (const char *)cfg + o->off;
		if (strcmp(section, o->section) != 0) {
			section = o->section;
			rc = bf_buf_printf(out, "\n[%s]\n", section);
		}
		if (!rc)
			rc = bf_buf_printf(out, "; %s\n", o->help);
		if (rc)
			break;
		switch (o->type) {
		case OPT_STR:
		case OPT_ENUM:
			rc = bf_buf_printf(out, "%s = %s\n", o->key, base);
			break;
		case OPT_INT: {
			int64_t v;
			memcpy(&v, base, sizeof(v));
			rc = bf_buf_printf(out, "%s = %lld\n", o->key,
					   (long long)v);
			break;
		}
		case OPT_HEX32:
			bf_hex((const uint8_t *)base, 32, hex);
			rc = bf_buf_printf(out, "%s = %s\n", o->key,
					   cfg->has_coordinator_key ? hex : "");
			break;
		case OPT_LIST:
			if (cfg->npeers == 0)
				rc = bf_buf_printf(out, ";%s = \n", o->key);
			for (size_t j = 0; j < cfg->npeers && !rc; j++)
				rc = bf_buf_printf(out, "%s = %s\n", o->key,
						   base + j * o->size);
			break;
		}
	}
	return rc;
}

void config_print_options(void *file)
{
	FILE *f = file;

	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		static const char *const tn[] = {"string", "integer", "hex32",
						 "choice", "list"};
		fprintf(f, "%s.%s (%s", o->section, o->key, tn[o->type]);
		if (o->type == OPT_INT)
			fprintf(f, " %lld..%lld", (long long)o->min,
				(long long)o->max);
		if (o->type == OPT_ENUM)
			fprintf(f, " %s", o->choices);
		if (o->def[0])
			fprintf(f, ", default %s", o->def);
		fprintf(f, ")\n    %s\n", o->help);
	}
}
