/*
 * config: the option table and the INI reader/writer around it.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

enum opt_type {
	OPT_STR,
	OPT_INT,
	OPT_HEX32,
	OPT_ENUM,
	OPT_LIST,
	OPT_BOOL, /* true|false into an int */
	OPT_MAP,  /* "PREFIX.FIELD = value": key is the prefix with its dot */
};

struct opt {
	const char *section;
	const char *key;
	enum opt_type type;
	size_t off;   /* into struct bf_config (or struct bf_source) */
	size_t size;  /* of a string field, or of one list item */
	int64_t min, max; /* OPT_INT: bounds; OPT_LIST, OPT_MAP: the offset
			     of the size_t item count, and the capacity */
	const char *def;
	const char *choices; /* OPT_ENUM: "a|b|c" */
	const char *help;
};

#define OFF(f) offsetof(struct bf_config, f)
#define SZ(f) sizeof(((struct bf_config *)0)->f)
#define SOFF(f) offsetof(struct bf_source, f)
#define SSZ(f) sizeof(((struct bf_source *)0)->f)

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
	{"node", "metrics", OPT_STR, OFF(metrics), SZ(metrics), 0, 0, "", NULL,
	 "loopback HOST:PORT where biofedd serves Prometheus metrics at "
	 "/metrics (127.0.0.1:9464); empty: off"},
	{"federation", "coordinator_key", OPT_HEX32, OFF(coordinator_key), 0,
	 0, 0, "", NULL,
	 "the network coordinator's Ed25519 public key (64 hex digits): "
	 "signs the roster"},
	{"federation", "peer", OPT_LIST, OFF(peers), SZ(peers[0]),
	 OFF(npeers), CONFIG_MAX_PEERS, "", NULL,
	 "a member endpoint to dial (repeat the line for more)"},
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

/* Options of each [source NAME] section (offsets into struct bf_source);
 * fetch.h says how they are used. */
static const struct opt source_opts[] = {
	{"source", "url", OPT_STR, SOFF(url), SSZ(url), 0, 0, "", NULL,
	 "where the data is (http:// or https://); required"},
	{"source", "format", OPT_ENUM, SOFF(format), SSZ(format), 0, 0, "",
	 "json|csv", "json or csv; empty: csv when the URL path ends in .csv"},
	{"source", "records", OPT_STR, SOFF(records), SSZ(records), 0, 0, "",
	 NULL, "JSON: path to the records array (\"data.items\"); empty: the "
	       "top-level array"},
	{"source", "delimiter", OPT_STR, SOFF(delimiter), SSZ(delimiter), 0, 0,
	 ",", NULL, "CSV: the delimiter: one character, or comma, semicolon (CORDIS), "
	       "tab, pipe"},
	{"source", "quotes", OPT_ENUM, SOFF(quotes), SSZ(quotes), 0, 0, "",
	 "cordis|strict",
	 "CSV: cordis: a quote inside a quoted cell that is not followed by "
	 "the delimiter or the end of the line is text, as in CORDIS exports; "
	 "strict: RFC 4180 (\"\" only).  Default: cordis when the delimiter is "
	 "semicolon, else strict"},
	{"source", "list_separator", OPT_STR, SOFF(list_separator),
	 SSZ(list_separator), 0, 0, ",", NULL,
	 "separates the items of a list given as text (partners)"},
	{"source", "map.", OPT_MAP, SOFF(map), SSZ(map[0]), SOFF(nmap),
	 CONFIG_SOURCE_MAP, "", NULL,
	 "map.FIELD = column or JSON path \"a.b\" for each project field: "
	 "acronym, call, coordinator, end_date, eu_contribution, partners, "
	 "programme, source_id, start_date, status, title, total_cost, url; "
	 "title and source_id are required"},
	{"source", "organisations_url", OPT_STR, SOFF(organisations_url),
	 SSZ(organisations_url), 0, 0, "", NULL,
	 "a CSV of the projects' organisations (CORDIS organization.csv), "
	 "read like the source's CSV: coordinator and partners come from it, "
	 "joined by project id, instead of map.coordinator and map.partners"},
	{"source", "organisations_project", OPT_STR,
	 SOFF(organisations_project), SSZ(organisations_project), 0, 0,
	 "projectID", NULL,
	 "organisations_url: the column that holds the project's source id"},
	{"source", "organisations_name", OPT_STR, SOFF(organisations_name),
	 SSZ(organisations_name), 0, 0, "name", NULL,
	 "organisations_url: the column of the organisation's name"},
	{"source", "organisations_role", OPT_STR, SOFF(organisations_role),
	 SSZ(organisations_role), 0, 0, "role", NULL,
	 "organisations_url: the column whose value \"coordinator\" marks the "
	 "coordinator (the others are partners)"},
	{"source", "header", OPT_LIST, SOFF(headers), SSZ(headers[0]),
	 SOFF(nheaders), CONFIG_SOURCE_HEADERS, "", NULL,
	 "an HTTP request header \"Name: value\" (repeat the line for more)"},
	{"source", "api_key_file", OPT_STR, SOFF(api_key_file),
	 SSZ(api_key_file), 0, 0, "", NULL,
	 "file holding an API key sent in api_key_header (never logged; the "
	 "file must not be readable by others)"},
	{"source", "api_key_header", OPT_STR, SOFF(api_key_header),
	 SSZ(api_key_header), 0, 0, "X-API-Key", NULL,
	 "header that carries the API key"},
	{"source", "ca_file", OPT_STR, SOFF(ca_file), SSZ(ca_file), 0, 0, "",
	 NULL, "PEM file of CA certificates to trust instead of the system's"},
	{"source", "next", OPT_STR, SOFF(next), SSZ(next), 0, 0, "", NULL,
	 "JSON: path of the next page's link in each page (\"links.next\")"},
	{"source", "page_param", OPT_STR, SOFF(page_param), SSZ(page_param),
	 0, 0, "", NULL,
	 "query parameter of the page number; pages run until one holds "
	 "fewer than page_size records"},
	{"source", "page_size_param", OPT_STR, SOFF(page_size_param),
	 SSZ(page_size_param), 0, 0, "", NULL,
	 "query parameter that asks for page_size records per page"},
	{"source", "page_size", OPT_INT, SOFF(page_size), 0, 1, 100000, "100",
	 NULL, "records per page with page_param"},
	{"source", "page_start", OPT_INT, SOFF(page_start), 0, 0, 1, "1", NULL,
	 "number of the first page with page_param"},
	{"source", "max_pages", OPT_INT, SOFF(max_pages), 0, 1, 100000, "100",
	 NULL, "more pages than this is an error (nothing is written)"},
	{"source", "refresh", OPT_INT, SOFF(refresh), 0, 60, 31536000, "86400",
	 NULL, "seconds between fetches (biofedd; biofed fetch --due)"},
	{"source", "max_bytes", OPT_INT, SOFF(max_bytes), 0, 1024, 1073741824,
	 "67108864", NULL,
	 "largest response body accepted, in bytes (all pages together)"},
	{"source", "timeout", OPT_INT, SOFF(timeout), 0, 1, 3600, "120", NULL,
	 "seconds one request may take in all"},
	{"source", "connect_timeout", OPT_INT, SOFF(connect_timeout), 0, 1,
	 300, "15", NULL, "seconds to connect"},
	{"source", "stall_timeout", OPT_INT, SOFF(stall_timeout), 0, 1, 3600,
	 "30", NULL, "a response that sends nothing for this many seconds is "
		     "abandoned"},
	{"source", "retries", OPT_INT, SOFF(retries), 0, 0, 10, "3", NULL,
	 "retries after a timeout, a lost connection, 429 or 5xx"},
	{"source", "retry_delay_ms", OPT_INT, SOFF(retry_delay_ms), 0, 10,
	 60000, "1000", NULL,
	 "first retry delay; doubles each time, with random jitter"},
	{"source", "max_redirects", OPT_INT, SOFF(max_redirects), 0, 0, 20,
	 "5", NULL, "redirects followed per request"},
	{"source", "allow_empty", OPT_BOOL, SOFF(allow_empty), 0, 0, 0,
	 "false", NULL,
	 "true: a source that returns no records deletes its rows (otherwise "
	 "that is an error)"},
};

#define NSOURCE_OPTS (sizeof(source_opts) / sizeof(source_opts[0]))
#define SOURCE_PREFIX "source "

/* Debian's libinih reads lines into 200 bytes (INI_MAX_LINE) and would
 * take the rest of a longer line for another one: such lines are refused
 * up front. */
#define CONFIG_MAX_LINE 198

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

/* A field that map.FIELD may name: the project table's, except the ones
 * fetch fills itself. */
static int mappable_field(const char *name)
{
	const struct sch_table *t = schema_table("project", 7);

	return t && schema_field_index(t, name, strlen(name)) >= 0 &&
	       strcmp(name, "source") != 0 && strcmp(name, "institutions") != 0;
}

/*
 * Sets option o of obj (the struct bf_config, or the struct bf_source of
 * a [source NAME] section) from text v.  sub is what follows an OPT_MAP
 * key's prefix.
 */
static int set_opt(struct bf_config *cfg, void *obj, const struct opt *o,
		   const char *sub, const char *v, char *msg, size_t msglen)
{
	char *base = (char *)obj + o->off;
	size_t *count = (size_t *)(void *)((char *)obj + o->min);

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
	case OPT_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			snprintf(msg, msglen, "\"%s\" is not true or false", v);
			return -1;
		}
		memcpy(base, &(int){v[0] == 't'}, sizeof(int));
		return 0;
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
		if (*count >= (size_t)o->max) {
			snprintf(msg, msglen, "more than %lld entries",
				 (long long)o->max);
			return -1;
		}
		if (strlen(v) >= o->size) {
			snprintf(msg, msglen, "value too long");
			return -1;
		}
		memcpy(base + *count * o->size, v, strlen(v) + 1);
		(*count)++;
		return 0;
	case OPT_MAP: {
		/* entries are {field, key} string pairs */
		struct bf_source_map *m = (struct bf_source_map *)(void *)base;
		if (!mappable_field(sub)) {
			snprintf(msg, msglen, "\"%s\" is not a project field "
				 "that can be mapped", sub);
			return -1;
		}
		for (size_t i = 0; i < *count; i++)
			if (strcmp(m[i].field, sub) == 0) {
				snprintf(msg, msglen, "given twice");
				return -1;
			}
		if (*count >= (size_t)o->max || !*v ||
		    strlen(v) >= sizeof(m->key)) {
			snprintf(msg, msglen, *v ? "too many or too long"
						 : "empty");
			return -1;
		}
		snprintf(m[*count].field, sizeof(m->field), "%s", sub);
		memcpy(m[*count].key, v, strlen(v) + 1);
		(*count)++;
		return 0;
	}
	}
	return -1;
}

static void apply_defaults(struct bf_config *cfg, void *obj,
			   const struct opt *table, size_t n)
{
	char msg[128];

	for (size_t i = 0; i < n; i++)
		if (table[i].type != OPT_LIST && table[i].type != OPT_MAP &&
		    table[i].def[0])
			set_opt(cfg, obj, &table[i], "", table[i].def, msg,
				sizeof(msg));
}

void config_defaults(struct bf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	apply_defaults(cfg, cfg, opts, NOPTS);
}

const struct bf_source *config_source(const struct bf_config *cfg,
				      const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
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
	int long_line; /* first line libinih would cut, or 0 */
};

static void scan_entry_lines(FILE *f, struct load_ctx *c)
{
	char line[1024];
	int lineno = 0, after_entry = 0;
	size_t cap = 0;

	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		size_t len = strcspn(line, "\r\n");
		int entry;
		lineno++;
		if (len > CONFIG_MAX_LINE && !c->long_line)
			c->long_line = lineno;
		if (!line[len] && !feof(f)) {
			/* the rest of a line longer than this buffer */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
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

/* An entry of a [source NAME] section: the section's first entry adds
 * the source, with its defaults. */
static int source_entry(struct load_ctx *c, int lineno, const char *section,
			const char *name, const char *value)
{
	const char *sname = section + strlen(SOURCE_PREFIX) - 1;
	struct bf_config *cfg = c->cfg;
	struct bf_source *src = NULL;
	char msg[256];

	while (*sname == ' ')
		sname++;
	if (!bf_is_slug(sname) || strlen(sname) >= sizeof(src->name)) {
		bf_errf(c->err, BF_EINVAL,
			"%s:%d: [%s]: the source name must be a slug (a-z, "
			"0-9, '-'): it prefixes the ids of its rows",
			c->path, lineno, section);
		goto fail;
	}
	src = (struct bf_source *)config_source(cfg, sname);
	if (!src) {
		if (cfg->nsources == CONFIG_MAX_SOURCES) {
			bf_errf(c->err, BF_EINVAL, "%s:%d: more than %d sources",
				c->path, lineno, CONFIG_MAX_SOURCES);
			goto fail;
		}
		src = &cfg->sources[cfg->nsources++];
		memset(src, 0, sizeof(*src));
		snprintf(src->name, sizeof(src->name), "%s", sname);
		apply_defaults(cfg, src, source_opts, NSOURCE_OPTS);
	}
	for (size_t i = 0; i < NSOURCE_OPTS; i++) {
		const struct opt *o = &source_opts[i];
		size_t klen = strlen(o->key);
		const char *sub = "";

		if (o->type == OPT_MAP) {
			if (strncmp(name, o->key, klen) != 0)
				continue;
			sub = name + klen;
		} else if (strcmp(o->key, name) != 0) {
			continue;
		}
		if (set_opt(cfg, src, o, sub, value, msg, sizeof(msg)) != 0) {
			bf_errf(c->err, BF_EINVAL, "%s:%d: source %s: %s: %s",
				c->path, lineno, src->name, name, msg);
			goto fail;
		}
		return 1;
	}
	bf_errf(c->err, BF_EINVAL, "%s:%d: unknown option \"%s\" in [%s]",
		c->path, lineno, name, section);
fail:
	c->failed = 1;
	return 0;
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
	if (strncmp(section, SOURCE_PREFIX, strlen(SOURCE_PREFIX)) == 0 ||
	    strcmp(section, "source") == 0)
		return source_entry(c, lineno, section, name, value);
	for (size_t i = 0; i < NOPTS; i++) {
		if (strcmp(opts[i].section, section) != 0 ||
		    strcmp(opts[i].key, name) != 0)
			continue;
		if (set_opt(c->cfg, c->cfg, &opts[i], "", value, msg,
			    sizeof(msg)) != 0) {
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

/* Loopback only: 127.0.0.0/8 written as four decimal numbers, ::1 in
 * brackets, or localhost (taken as 127.0.0.1). */
int config_metrics_url(const char *addr, char *url, size_t n, char *msg,
		       size_t msglen)
{
	const char *colon = strrchr(addr, ':');
	char host[48], *end;
	unsigned long port;
	size_t hlen;
	int loop = 0;

	if (!colon || colon == addr || !colon[1]) {
		snprintf(msg, msglen, "\"%s\" is not HOST:PORT (127.0.0.1:9464)",
			 addr);
		return BF_EINVAL;
	}
	hlen = (size_t)(colon - addr);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '-' || colon[1] == '+' || port < 1 ||
	    port > 65535 || hlen >= sizeof(host)) {
		snprintf(msg, msglen, "\"%s\": the port must be 1 to 65535",
			 addr);
		return BF_EINVAL;
	}
	memcpy(host, addr, hlen);
	host[hlen] = 0;
	if (strcmp(host, "localhost") == 0) {
		snprintf(host, sizeof(host), "127.0.0.1");
		loop = 1;
	} else if (strcmp(host, "[::1]") == 0) {
		loop = 1;
	} else {
		unsigned a[4];
		char c;
		loop = sscanf(host, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2],
			      &a[3], &c) == 4 &&
		       a[0] == 127 && a[1] < 256 && a[2] < 256 && a[3] < 256 &&
		       strspn(host, "0123456789.") == hlen;
	}
	if (!loop) {
		snprintf(msg, msglen,
			 "\"%s\" is not a loopback address: the metrics have no "
			 "TLS and no sign-in, so biofedd serves them on "
			 "127.0.0.1, [::1] or localhost only (scrape through a "
			 "local agent or a reverse proxy with TLS)",
			 host);
		return BF_EINVAL;
	}
	if ((size_t)snprintf(url, n, "http://%s:%lu", host, port) >= n) {
		snprintf(msg, msglen, "address too long");
		return BF_EINVAL;
	}
	return 0;
}

static int validate(const struct bf_config *cfg, const char *path,
		    struct bf_err *err)
{
	char msg[512], url[96];
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
	if (cfg->metrics[0] &&
	    config_metrics_url(cfg->metrics, url, sizeof(url), msg, sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "%s: node.metrics: %s", path, msg);
	for (size_t i = 0; i < cfg->npeers; i++)
		if (schema_check_text(&f, cfg->peers[i], strlen(cfg->peers[i]),
				      msg, sizeof(msg)))
			return bf_errf(err, BF_EINVAL, "%s: federation.peer: %s",
				       path, msg);
	return 0;
}

static int has_map(const struct bf_source *src, const char *field)
{
	for (size_t i = 0; i < src->nmap; i++)
		if (strcmp(src->map[i].field, field) == 0)
			return 1;
	return 0;
}

/* A separator: one character, quoted or not, or its name (a ';' after a
 * space would start an INI comment). */
static char separator(const char *v)
{
	static const struct {
		const char *name;
		char c;
	} names[] = {{"comma", ','},
		     {"semicolon", ';'},
		     {"tab", '\t'},
		     {"pipe", '|'}};
	size_t n = strlen(v);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0)
			return names[i].c;
	if (n == 3 && (v[0] == '"' || v[0] == '\'') && v[2] == v[0])
		return v[1];
	if (n == 1 && v[0] != '"' && v[0] != '\'' && v[0] != ' ' &&
	    (unsigned char)v[0] < 0x80)
		return v[0];
	return 0;
}

/* What a source's options mean together; fills in the format and the
 * separators. */
static int validate_source(struct bf_source *src, const char *path,
			   struct bf_err *err)
{
	struct sch_field f = {0};
	char msg[256];

	f.check = CHK_URL;
	if (!src->url[0])
		return bf_errf(err, BF_EINVAL, "%s: source %s: url is required",
			       path, src->name);
	if (schema_check_text(&f, src->url, strlen(src->url), msg,
			      sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "%s: source %s: url: %s", path,
			       src->name, msg);
	if (!src->format[0]) {
		size_t n = strcspn(src->url, "?#");
		int csv = n >= 4 && strncasecmp(src->url + n - 4, ".csv", 4) == 0;
		snprintf(src->format, sizeof(src->format), "%s",
			 csv ? "csv" : "json");
	}
	if (!(src->delim = separator(src->delimiter)) ||
	    !(src->list_sep = separator(src->list_separator)))
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: delimiter and list_separator are "
			       "one character each, or comma, semicolon, tab or "
			       "pipe (write semicolon: \" ;\" starts a comment)",
			       path, src->name);
	/* CORDIS leaves quotes unescaped; its exports are ';'-separated */
	src->cordis_quotes = src->quotes[0]
				     ? strcmp(src->quotes, "cordis") == 0
				     : src->delim == ';';
	if (src->organisations_url[0]) {
		if (schema_check_text(&f, src->organisations_url,
				      strlen(src->organisations_url), msg,
				      sizeof(msg)))
			return bf_errf(err, BF_EINVAL,
				       "%s: source %s: organisations_url: %s",
				       path, src->name, msg);
		if (has_map(src, "coordinator") || has_map(src, "partners"))
			return bf_errf(err, BF_EINVAL,
				       "%s: source %s: organisations_url gives "
				       "coordinator and partners: leave out "
				       "map.coordinator and map.partners",
				       path, src->name);
		if (!src->organisations_project[0] ||
		    !src->organisations_name[0] || !src->organisations_role[0])
			return bf_errf(err, BF_EINVAL,
				       "%s: source %s: organisations_project, "
				       "organisations_name and organisations_role "
				       "name columns: they cannot be empty",
				       path, src->name);
	}
	if (!has_map(src, "source_id") || !has_map(src, "title"))
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: map.source_id and map.title are "
			       "required (the row id is \"%s:SOURCE_ID\")",
			       path, src->name, src->name);
	if (src->next[0] && src->page_param[0])
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: give next or page_param, not "
			       "both",
			       path, src->name);
	if (src->next[0] && strcmp(src->format, "json") != 0)
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: next is for JSON sources (use "
			       "page_param for CSV)",
			       path, src->name);
	if (src->page_size_param[0] && !src->page_param[0])
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: page_size_param needs page_param",
			       path, src->name);
	for (size_t i = 0; i < src->nheaders; i++) {
		const char *h = src->headers[i];
		size_t n = strcspn(h, ":");
		if (n == 0 || !h[n] || strcspn(h, " \t") < n)
			return bf_errf(err, BF_EINVAL,
				       "%s: source %s: header %zu is not "
				       "\"Name: value\"",
				       path, src->name, i + 1);
	}
	if (src->api_key_file[0] && !src->api_key_header[0])
		return bf_errf(err, BF_EINVAL,
			       "%s: source %s: api_key_file needs "
			       "api_key_header",
			       path, src->name);
	return 0;
}

int config_load(const char *path, struct bf_config *cfg, struct bf_err *err)
{
	struct load_ctx c = {cfg, path, err, 0, NULL, 0, 0, 0};
	FILE *f;
	int rc;

	config_defaults(cfg);
	f = fopen(path, "r");
	if (!f)
		return bf_errf(err, BF_ENOENT, "%s: %s", path, strerror(errno));
	scan_entry_lines(f, &c);
	if (c.long_line) {
		fclose(f);
		free(c.lines);
		return bf_errf(err, BF_EINVAL,
			       "%s:%d: line longer than %d characters (the "
			       "limit of the INI reader)",
			       path, c.long_line, CONFIG_MAX_LINE);
	}
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
	rc = validate(cfg, path, err);
	for (size_t i = 0; i < cfg->nsources && !rc; i++)
		rc = validate_source(&cfg->sources[i], path, err);
	return rc;
}

/* Renders option o of obj as "key = value" lines.  Source sections leave
 * out empty values (their defaults), so that they load back the same. */
static int render_opt(struct bf_buf *out, const struct bf_config *cfg,
		      const void *obj, const struct opt *o, int source)
{
	const char *base = (const char *)obj + o->off;
	const size_t *count =
		(const size_t *)(const void *)((const char *)obj + o->min);
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

int config_render(const struct bf_config *cfg, struct bf_buf *out)
{
	const char *section = "";
	int rc = bf_buf_adds(out, "# biofed node configuration.  "
				  "`biofed config` lists every option.\n");

	for (size_t i = 0; i < NOPTS && !rc; i++) {
		const struct opt *o = &opts[i];
		if (strcmp(section, o->section) != 0) {
			section = o->section;
			rc = bf_buf_printf(out, "\n[%s]\n", section);
		}
		if (!rc)
			rc = bf_buf_printf(out, "; %s\n", o->help);
		if (!rc)
			rc = render_opt(out, cfg, cfg, o, 0);
	}
	for (size_t i = 0; i < cfg->nsources && !rc; i++) {
		const struct bf_source *src = &cfg->sources[i];
		rc = bf_buf_printf(out, "\n[%s%s]\n", SOURCE_PREFIX, src->name);
		for (size_t k = 0; k < NSOURCE_OPTS && !rc; k++)
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
	if (o->def[0])
		fprintf(f, ", default %s", o->def);
	fprintf(f, ")\n    %s\n", o->help);
}

void config_print_options(void *file)
{
	FILE *f = file;

	for (size_t i = 0; i < NOPTS; i++)
		print_opt(f, opts[i].section, &opts[i]);
	for (size_t i = 0; i < NSOURCE_OPTS; i++)
		print_opt(f, "source NAME", &source_opts[i]);
}
