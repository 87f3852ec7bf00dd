/*
 * config: the option table and the INI reader/writer around it.
 *
 * libinih calls a handler per "key = value" and says nothing of section
 * headers or line numbers, so the file is scanned first, line by line as
 * libinih will read it: that scan gives each entry its line, and refuses
 * what libinih would take silently (a section given twice, a line it
 * would cut).  Each option may be given once per section, except lists
 * (OPT_LIST), whose every line adds an item: a second `slug =` would
 * otherwise replace the first without a word.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "schema.h"


#define OFF(f) offsetof(struct bf_config, f)
#define SZ(f) sizeof(((struct bf_config *)0)->f)
#define SOFF(f) offsetof(struct bf_source, f)
#define SSZ(f) sizeof(((struct bf_source *)0)->f)

/* The tables are laid out by hand, an entry's fields grouped on a few
 * lines: clang-format 14 would give each field a line of its own. */
/* clang-format off */
static const struct opt opts[] = {
	{.section = "node", .key = "slug", .type = OPT_STR,
	 .off = OFF(slug), .size = SZ(slug),
	 .help = "this institution's short name (a-z, 0-9, '-'): the origin "
		 "of its change sets"},
	{.section = "node", .key = "name", .type = OPT_STR,
	 .off = OFF(name), .size = SZ(name),
	 .help = "the institution's full name"},
	{.section = "node", .key = "country", .type = OPT_STR,
	 .off = OFF(country), .size = SZ(country),
	 .help = "ISO 3166 two-letter country code"},
	{.section = "node", .key = "region", .type = OPT_STR,
	 .off = OFF(region), .size = SZ(region),
	 .help = "region (e.g. Navarra, Occitanie)"},
	{.section = "node", .key = "endpoint", .type = OPT_STR,
	 .off = OFF(endpoint), .size = SZ(endpoint), .check = CHECK_ENDPOINT,
	 .help = "address peers dial to reach this node (tls+tcp://host:port); "
		 "empty for a node that only dials out (listen = none)"},
	{.section = "node", .key = "listen", .type = OPT_STR,
	 .off = OFF(listen), .size = SZ(listen), .check = CHECK_LISTEN,
	 .help = "address biofedd listens on (tls+tcp://host:port); empty: "
		 "the endpoint; none: it accepts no connections and syncs over "
		 "those it dials (a node behind a firewall)"},
	{.section = "node", .key = "metrics", .type = OPT_STR,
	 .off = OFF(metrics), .size = SZ(metrics),
	 .help = "loopback HOST:PORT where biofedd serves Prometheus metrics "
		 "at /metrics (127.0.0.1:9464); empty: off"},
	{.section = "federation", .key = "coordinator_key", .type = OPT_HEX32,
	 .off = OFF(coordinator_key),
	 .help = "the network coordinator's Ed25519 public key (64 hex "
		 "digits): signs the roster"},
	{.section = "federation", .key = "peer", .type = OPT_LIST,
	 .off = OFF(peers), .size = SZ(peers[0]), .count = OFF(npeers),
	 .capacity = CONFIG_MAX_PEERS, .check = CHECK_ENDPOINT,
	 .help = "a member endpoint to dial (repeat the line for more)"},
	{.section = "publish", .key = "max_changeset_rows", .type = OPT_INT,
	 .off = OFF(max_changeset_rows), .min = 1, .max = 100000,
	 .def = "10000",
	 .help = "rows per change set when a publish is split"},
	{.section = "samples", .key = "suppress_below", .type = OPT_INT,
	 .off = OFF(suppress_below), .min = 0, .max = 1000, .def = "10",
	 .help = "derived counts from 1 to this minus one are suppressed (0: "
		 "off)"},
	{.section = "samples", .key = "suppress_mode", .type = OPT_ENUM,
	 .off = OFF(suppress_mode), .size = SZ(suppress_mode), .def = "round",
	 .choices = "round|hide",
	 .help = "round: small counts are shown as suppress_below; hide: the "
		 "fact row is not published"},
	{.section = "log", .key = "level", .type = OPT_ENUM,
	 .off = OFF(log_level), .size = SZ(log_level), .def = "info",
	 .choices = "error|warn|info|debug",
	 .help = "least severe level logged"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Options of each [source NAME] section (offsets into struct bf_source);
 * fetch.h says how they are used. */
static const struct opt source_opts[] = {
	{.section = "source", .key = "url", .type = OPT_STR,
	 .off = SOFF(url), .size = SSZ(url),
	 .help = "where the data is (http:// or https://); required"},
	{.section = "source", .key = "format", .type = OPT_ENUM,
	 .off = SOFF(format), .size = SSZ(format), .choices = "json|csv",
	 .help = "json or csv; empty: csv when the URL path ends in .csv"},
	{.section = "source", .key = "records", .type = OPT_STR,
	 .off = SOFF(records), .size = SSZ(records),
	 .help = "JSON: path to the records array (\"data.items\"); empty: "
		 "the top-level array"},
	{.section = "source", .key = "delimiter", .type = OPT_STR,
	 .off = SOFF(delimiter), .size = SSZ(delimiter), .def = ",",
	 .help = "CSV: the delimiter: one character, or comma, semicolon "
		 "(CORDIS), tab, pipe"},
	{.section = "source", .key = "quotes", .type = OPT_ENUM,
	 .off = SOFF(quotes), .size = SSZ(quotes), .choices = "cordis|strict",
	 .help = "CSV: cordis: a quote inside a quoted cell that is not "
		 "followed by the delimiter or the end of the line is text, "
		 "as in CORDIS exports; strict: RFC 4180 (\"\" only).  "
		 "Default: cordis when the delimiter is semicolon, else strict"},
	{.section = "source", .key = "list_separator", .type = OPT_STR,
	 .off = SOFF(list_separator), .size = SSZ(list_separator), .def = ",",
	 .help = "separates the items of a list given as text (partners)"},
	{.section = "source", .key = "map.", .type = OPT_MAP,
	 .off = SOFF(map), .size = SSZ(map[0]), .count = SOFF(nmap),
	 .capacity = CONFIG_SOURCE_MAP,
	 .help = "map.FIELD = column or JSON path \"a.b\" for each project "
		 "field: acronym, call, coordinator, end_date, "
		 "eu_contribution, partners, programme, source_id, "
		 "start_date, status, title, total_cost, url; title and "
		 "source_id are required"},
	{.section = "source", .key = "organisations_url", .type = OPT_STR,
	 .off = SOFF(organisations_url), .size = SSZ(organisations_url),
	 .help = "a CSV of the projects' organisations (CORDIS "
		 "organization.csv), read like the source's CSV: coordinator "
		 "and partners come from it, joined by project id, instead of "
		 "map.coordinator and map.partners"},
	{.section = "source", .key = "organisations_project", .type = OPT_STR,
	 .off = SOFF(organisations_project), .size = SSZ(organisations_project),
	 .def = "projectID",
	 .help = "organisations_url: the column that holds the project's "
		 "source id"},
	{.section = "source", .key = "organisations_name", .type = OPT_STR,
	 .off = SOFF(organisations_name), .size = SSZ(organisations_name),
	 .def = "name",
	 .help = "organisations_url: the column of the organisation's name"},
	{.section = "source", .key = "organisations_role", .type = OPT_STR,
	 .off = SOFF(organisations_role), .size = SSZ(organisations_role),
	 .def = "role",
	 .help = "organisations_url: the column whose value \"coordinator\" "
		 "marks the coordinator (the others are partners)"},
	{.section = "source", .key = "header", .type = OPT_LIST,
	 .off = SOFF(headers), .size = SSZ(headers[0]), .count = SOFF(nheaders),
	 .capacity = CONFIG_SOURCE_HEADERS,
	 .help = "an HTTP request header \"Name: value\" (repeat the line for "
		 "more)"},
	{.section = "source", .key = "api_key_file", .type = OPT_STR,
	 .off = SOFF(api_key_file), .size = SSZ(api_key_file),
	 .help = "file holding an API key sent in api_key_header (never "
		 "logged; the file must not be readable by others)"},
	{.section = "source", .key = "api_key_header", .type = OPT_STR,
	 .off = SOFF(api_key_header), .size = SSZ(api_key_header),
	 .def = "X-API-Key",
	 .help = "header that carries the API key"},
	{.section = "source", .key = "ca_file", .type = OPT_STR,
	 .off = SOFF(ca_file), .size = SSZ(ca_file),
	 .help = "PEM file of CA certificates to trust instead of the system's"},
	{.section = "source", .key = "next", .type = OPT_STR,
	 .off = SOFF(next), .size = SSZ(next),
	 .help = "JSON: path of the next page's link in each page "
		 "(\"links.next\")"},
	{.section = "source", .key = "page_param", .type = OPT_STR,
	 .off = SOFF(page_param), .size = SSZ(page_param),
	 .help = "query parameter of the page number; pages run until one "
		 "holds fewer than page_size records"},
	{.section = "source", .key = "page_size_param", .type = OPT_STR,
	 .off = SOFF(page_size_param), .size = SSZ(page_size_param),
	 .help = "query parameter that asks for page_size records per page"},
	{.section = "source", .key = "page_size", .type = OPT_INT,
	 .off = SOFF(page_size), .min = 1, .max = 100000, .def = "100",
	 .help = "records per page with page_param"},
	{.section = "source", .key = "page_start", .type = OPT_INT,
	 .off = SOFF(page_start), .min = 0, .max = 1, .def = "1",
	 .help = "number of the first page with page_param"},
	{.section = "source", .key = "max_pages", .type = OPT_INT,
	 .off = SOFF(max_pages), .min = 1, .max = 100000, .def = "100",
	 .help = "more pages than this is an error (nothing is written)"},
	{.section = "source", .key = "refresh", .type = OPT_INT,
	 .off = SOFF(refresh), .min = 60, .max = 31536000, .def = "86400",
	 .help = "seconds between fetches (biofedd; biofed fetch --due)"},
	{.section = "source", .key = "max_bytes", .type = OPT_INT,
	 .off = SOFF(max_bytes), .min = 1024, .max = 1073741824,
	 .def = "67108864",
	 .help = "largest response body accepted, in bytes (all pages "
		 "together)"},
	{.section = "source", .key = "timeout", .type = OPT_INT,
	 .off = SOFF(timeout), .min = 1, .max = 3600, .def = "120",
	 .help = "seconds one request may take in all"},
	{.section = "source", .key = "connect_timeout", .type = OPT_INT,
	 .off = SOFF(connect_timeout), .min = 1, .max = 300, .def = "15",
	 .help = "seconds to connect"},
	{.section = "source", .key = "stall_timeout", .type = OPT_INT,
	 .off = SOFF(stall_timeout), .min = 1, .max = 3600, .def = "30",
	 .help = "a response that sends nothing for this many seconds is "
		 "abandoned"},
	{.section = "source", .key = "retries", .type = OPT_INT,
	 .off = SOFF(retries), .min = 0, .max = 10, .def = "3",
	 .help = "retries after a timeout, a lost connection, 429 or 5xx"},
	{.section = "source", .key = "retry_delay_ms", .type = OPT_INT,
	 .off = SOFF(retry_delay_ms), .min = 10, .max = 60000, .def = "1000",
	 .help = "first retry delay; doubles each time, with random jitter"},
	{.section = "source", .key = "max_redirects", .type = OPT_INT,
	 .off = SOFF(max_redirects), .min = 0, .max = 20, .def = "5",
	 .help = "redirects followed per request"},
	{.section = "source", .key = "allow_empty", .type = OPT_BOOL,
	 .off = SOFF(allow_empty), .def = "false",
	 .help = "true: a source that returns no records deletes its rows "
		 "(otherwise that is an error)"},
};
/* clang-format on */

#define NSOURCE_OPTS (sizeof(source_opts) / sizeof(source_opts[0]))

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
	size_t *count = (size_t *)(void *)((char *)obj + o->count);

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
		if (*count >= o->capacity) {
			snprintf(msg, msglen, "more than %zu entries",
				 o->capacity);
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
		if (*count >= o->capacity || !*v ||
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
		    table[i].def)
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

/* An option's value as its check wants it; msg says what is wrong. */
static int check_value(const struct opt *o, const char *v, char *msg,
		       size_t msglen)
{
	switch (o->check) {
	case CHECK_NONE:
		return 0;
	case CHECK_LISTEN:
		if (strcmp(v, CONFIG_LISTEN_NONE) == 0)
			return 0;
		/* fall through */
	case CHECK_ENDPOINT:
		if (!*v && o->type != OPT_LIST)
			return 0;
		if (!*v) {
			snprintf(msg, msglen, "empty");
			return BF_EINVAL;
		}
		return config_parse_endpoint(v, NULL, msg, msglen);
	}
	return 0;
}

/* --- reading -------------------------------------------------------------- */

/* libinih keeps section names in 50 bytes and cuts longer ones, which
 * could make two sections one: longer names are refused. */
#define CONFIG_MAX_SECTION 49

/* The pre-scan's account of a line that libinih passes to the handler. */
struct entry_line {
	int line;
	int continued; /* an indented line: more of the previous value */
};

struct section_seen {
	char name[CONFIG_MAX_SECTION + 1];
	int line;
};

struct load_ctx {
	struct bf_config *cfg;
	const char *path;
	struct bf_err *err;
	int failed;
	/* Debian's libinih does not pass line numbers to the handler, so the
	 * file is pre-scanned for the lines that produce entries, in order. */
	struct entry_line *lines;
	size_t nlines, next;
	/* the line where each option was set, 0 while it is not */
	int opt_line[NOPTS];
	int source_line[CONFIG_MAX_SOURCES][NSOURCE_OPTS];
};

/* libinih's find_chars_or_comment: the first of chars, or the start of an
 * inline comment (a ';' after white space), or the end. */
static const char *find_or_comment(const char *s, const char *chars)
{
	int was_space = 0;

	while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static int add_entry_line(struct load_ctx *c, size_t *cap, int line,
			  int continued)
{
	if (bf_grow(&c->lines, cap, c->nlines + 1, sizeof(*c->lines), 64))
		return bf_errf(c->err, BF_ENOMEM, "%s: out of memory", c->path);
	c->lines[c->nlines].line = line;
	c->lines[c->nlines++].continued = continued;
	return 0;
}

/* A section header: refused when it comes again, or is too long for
 * libinih. */
static int note_section(struct load_ctx *c, struct section_seen *seen,
			size_t *nseen, size_t maxseen, const char *name,
			size_t len, int line)
{
	if (len > CONFIG_MAX_SECTION)
		return bf_errf(c->err, BF_EINVAL,
			       "%s:%d: section name longer than %d characters",
			       c->path, line, CONFIG_MAX_SECTION);
	for (size_t i = 0; i < *nseen; i++)
		if (strlen(seen[i].name) == len &&
		    memcmp(seen[i].name, name, len) == 0)
			return bf_errf(c->err, BF_EINVAL,
				       "%s:%d: duplicate section [%s] (first at "
				       "line %d): each section is given once",
				       c->path, line, seen[i].name,
				       seen[i].line);
	if (*nseen == maxseen)
		return bf_errf(c->err, BF_EINVAL, "%s:%d: more than %zu sections",
			       c->path, line, maxseen);
	memcpy(seen[*nseen].name, name, len);
	seen[*nseen].name[len] = 0;
	seen[(*nseen)++].line = line;
	return 0;
}

/*
 * Reads f as libinih (INI_ALLOW_MULTILINE, inline ';' comments, a BOM)
 * will: notes the line of every entry in order, and refuses lines libinih
 * would cut and sections given twice.  Lines libinih finds malformed are
 * left to it.
 */
/* A NUL byte would end a value where the INI reader stops reading it,
 * and the rest of the line would go unseen: refused, with its line. */
static int refuse_nul(FILE *f, struct load_ctx *c)
{
	int ch, lineno = 1;

	while ((ch = getc(f)) != EOF) {
		if (ch == '\n')
			lineno++;
		else if (ch == 0)
			return bf_errf(c->err, BF_EINVAL,
				       "%s:%d: a NUL byte (biofed.conf is "
				       "text)",
				       c->path, lineno);
	}
	if (ferror(f))
		return bf_errf(c->err, BF_EIO, "%s: cannot read", c->path);
	rewind(f);
	return 0;
}

static int scan_lines(FILE *f, struct load_ctx *c)
{
	struct section_seen seen[CONFIG_MAX_SOURCES + 16];
	size_t nseen = 0, cap = 0;
	char line[1024];
	int lineno = 0, after_entry = 0, rc = 0;

	while (!rc && fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");
		char *p = line;
		const char *end;

		lineno++;
		if (len > CONFIG_MAX_LINE) {
			rc = bf_errf(c->err, BF_EINVAL,
				     "%s:%d: line longer than %d characters "
				     "(the limit of the INI reader)",
				     c->path, lineno, CONFIG_MAX_LINE);
			break;
		}
		if (!line[len] && !feof(f)) {
			/* the rest of a line longer than this buffer */
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
		line[len] = 0;
		if (lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
			p += 3;
		while (len > (size_t)(p - line) &&
		       isspace((unsigned char)line[len - 1]))
			line[--len] = 0;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == 0 || *p == ';' || *p == '#')
			continue;
		if (after_entry && p > line) {
			rc = add_entry_line(c, &cap, lineno, 1);
		} else if (*p == '[') {
			end = find_or_comment(p + 1, "]");
			if (*end != ']')
				continue; /* libinih reports it */
			after_entry = 0;
			rc = note_section(c, seen, &nseen,
					  sizeof(seen) / sizeof(seen[0]), p + 1,
					  (size_t)(end - p - 1), lineno);
		} else {
			end = find_or_comment(p, "=:");
			if (*end != '=' && *end != ':')
				continue; /* malformed: libinih reports it */
			after_entry = 1;
			rc = add_entry_line(c, &cap, lineno, 0);
		}
	}
	rewind(f);
	return rc;
}

/* Refuses an option that was set before in its section, naming both lines;
 * list options take every line.  A continuation line (indented) is more
 * of the value above, which only a list can take either. */
static int once(struct load_ctx *c, const struct opt *o, int *first,
		const struct entry_line *el, const char *what)
{
	if (o->type == OPT_LIST)
		return 0;
	if (el->continued) {
		bf_errf(c->err, BF_EINVAL,
			"%s:%d: %s: an indented line continues the value "
			"above; write the value on one line, unindented",
			c->path, el->line, what);
		return -1;
	}
	if (o->type == OPT_MAP)
		return 0; /* each map.FIELD once: set_opt checks */
	if (*first) {
		bf_errf(c->err, BF_EINVAL,
			"%s:%d: duplicate option %s (first set at line %d): "
			"each option is given once per section",
			c->path, el->line, what, *first);
		return -1;
	}
	*first = el->line;
	return 0;
}

/* An entry of a [source NAME] section: the section's first entry adds
 * the source, with its defaults. */
static int source_entry(struct load_ctx *c, const struct entry_line *el,
			const char *section, const char *name,
			const char *value)
{
	const char *sname = section + strlen(SOURCE_PREFIX) - 1;
	struct bf_config *cfg = c->cfg;
	struct bf_source *src = NULL;
	char msg[256], what[160];
	int lineno = el->line;

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
		snprintf(what, sizeof(what), "source %s: %s", src->name, name);
		if (once(c, o, &c->source_line[src - cfg->sources][i], el,
			 what) != 0)
			goto fail;
		if (check_value(o, value, msg, sizeof(msg)) != 0 ||
		    set_opt(cfg, src, o, sub, value, msg, sizeof(msg)) != 0) {
			bf_errf(c->err, BF_EINVAL, "%s:%d: %s: %s", c->path,
				lineno, what, msg);
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
	static const struct entry_line unknown = {0, 0};
	struct load_ctx *c = user;
	const struct entry_line *el =
		c->next < c->nlines ? &c->lines[c->next] : &unknown;
	char msg[256], what[160];

	c->next++;
	if (c->failed)
		return 0;
	if (strncmp(section, SOURCE_PREFIX, strlen(SOURCE_PREFIX)) == 0 ||
	    strcmp(section, "source") == 0)
		return source_entry(c, el, section, name, value);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];
		if (strcmp(o->section, section) != 0 ||
		    strcmp(o->key, name) != 0)
			continue;
		snprintf(what, sizeof(what), "%s.%s", section, name);
		if (once(c, o, &c->opt_line[i], el, what) != 0)
			goto fail;
		if (check_value(o, value, msg, sizeof(msg)) != 0 ||
		    set_opt(c->cfg, c->cfg, o, "", value, msg, sizeof(msg)) !=
			    0) {
			bf_errf(c->err, BF_EINVAL, "%s:%d: %s: %s", c->path,
				el->line, what, msg);
			goto fail;
		}
		return 1;
	}
	bf_errf(c->err, BF_EINVAL, "%s:%d: unknown option \"%s\" in [%s]",
		c->path, el->line, name, section);
fail:
	c->failed = 1;
	return 0;
}

/* The line an option of [node]..[log] was set on, or 0. */
static int opt_line(const struct load_ctx *c, const char *section,
		    const char *key)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].section, section) &&
		    !strcmp(opts[i].key, key))
			return c->opt_line[i];
	return 0;
}

/* What the options mean together. */
static int validate(const struct load_ctx *c)
{
	const struct bf_config *cfg = c->cfg;
	const char *path = c->path;
	struct bf_err *err = c->err;
	char msg[512], url[96];

	if (!bf_is_slug(cfg->slug) || strcmp(cfg->slug, SCHEMA_COORDINATOR) == 0)
		return bf_errf(err, BF_EINVAL,
			       "%s: node.slug \"%s\" is not a valid slug "
			       "(a-z, 0-9, '-'; not \"%s\")",
			       path, cfg->slug, SCHEMA_COORDINATOR);
	if (!cfg->has_coordinator_key)
		return bf_errf(err, BF_EINVAL,
			       "%s: federation.coordinator_key is not set", path);
	/* peers dial the endpoint: an outbound-only node has none */
	if (config_outbound_only(cfg) && cfg->endpoint[0])
		return bf_errf(err, BF_EINVAL,
			       "%s:%d: node.endpoint is set, but node.listen = "
			       "none (line %d): a node that accepts no "
			       "connections has no endpoint; remove the line",
			       path, opt_line(c, "node", "endpoint"),
			       opt_line(c, "node", "listen"));
	if (cfg->metrics[0] &&
	    config_metrics_url(cfg->metrics, url, sizeof(url), msg, sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "%s:%d: node.metrics: %s", path,
			       opt_line(c, "node", "metrics"), msg);
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
	struct load_ctx *c = calloc(1, sizeof(*c));
	FILE *f = NULL;
	int rc;

	config_defaults(cfg);
	if (!c)
		return bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
	c->cfg = cfg;
	c->path = path;
	c->err = err;
	f = fopen(path, "r");
	if (!f) {
		rc = bf_errf(err, BF_ENOENT, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = refuse_nul(f, c)) != 0 || (rc = scan_lines(f, c)) != 0)
		goto out;
	rc = ini_parse_file(f, on_entry, c);
	if (c->failed) {
		rc = BF_EINVAL;
		goto out;
	}
	if (rc > 0) {
		rc = bf_errf(err, BF_EINVAL, "%s:%d: malformed line", path, rc);
		goto out;
	}
	if (rc < 0) {
		rc = bf_errf(err, BF_EIO, "%s: cannot read", path);
		goto out;
	}
	rc = validate(c);
	for (size_t i = 0; i < cfg->nsources && !rc; i++)
		rc = validate_source(&cfg->sources[i], path, err);
out:
	if (f)
		fclose(f);
	if (c)
		free(c->lines);
	free(c);
	return rc;
}

const struct opt *config_table(size_t *n)
{
	*n = NOPTS;
	return opts;
}

const struct opt *config_source_table(size_t *n)
{
	*n = NSOURCE_OPTS;
	return source_opts;
}
