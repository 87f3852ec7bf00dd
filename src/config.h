/*
 * config: a node's configuration file (INI, read with libinih).
 *
 * Every option is one entry of a table (section, key, type, bounds,
 * default, help) in config.c; `biofed config` prints that table.  Unknown
 * sections or keys, values out of bounds, malformed lines, a section
 * given twice and an option given twice in its section are errors that
 * name file:line.  Repeatable keys (peer, header) collect into a list.
 * Sections "[source NAME]" repeat: each fills one struct bf_source from
 * a second table of per-source options.
 */
#ifndef BIOFED_CONFIG_H
#define BIOFED_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CONFIG_MAX_PEERS 32
#define CONFIG_STR 256
#define CONFIG_MAX_SOURCES 16
#define CONFIG_SOURCE_HEADERS 8
#define CONFIG_SOURCE_MAP 16

/* One pair of a source's field mapping: map.FIELD = KEY. */
struct bf_source_map {
	char field[32]; /* a project field (acronym, title, source_id...) */
	char key[128];  /* CSV: the column; JSON: a member path "a.b" */
};

/*
 * [source NAME]: an external programme-data source that `biofed fetch`
 * (fetch.h) turns into project rows with ids "NAME:SOURCE_ID".  The
 * options are a table in config.c (`biofed config` lists them).
 */
struct bf_source {
	char name[64];           /* a slug */
	char url[CONFIG_STR];
	char format[8];          /* "json", "csv" or "" (from the URL) */
	char records[128];       /* JSON: path to the records array */
	char delimiter[16];      /* CSV: a character or its name */
	char list_separator[16]; /* between the items of a list cell */
	char delim, list_sep;    /* the characters those two name */
	char quotes[8];          /* CSV: "cordis", "strict" or "" (from delim) */
	int cordis_quotes;       /* what quotes says, with its default */
	/* CSV of the projects' organisations, joined by project id: */
	char organisations_url[CONFIG_STR];
	char organisations_project[64]; /* its column of the project id */
	char organisations_name[64];    /* ...of the organisation's name */
	char organisations_role[64];    /* ...of "coordinator" or other */
	struct bf_source_map map[CONFIG_SOURCE_MAP];
	size_t nmap;
	char headers[CONFIG_SOURCE_HEADERS][CONFIG_STR]; /* "Name: value" */
	size_t nheaders;
	char api_key_file[CONFIG_STR];
	char api_key_header[64];
	char ca_file[CONFIG_STR];
	char next[128];          /* JSON path of the next page's link */
	char page_param[64];     /* or: page number parameter... */
	char page_size_param[64]; /* ...and page size parameter */
	int64_t page_size, page_start, max_pages;
	int64_t refresh;         /* seconds between fetches (daemon) */
	int64_t max_bytes;       /* per response body */
	int64_t timeout, connect_timeout, stall_timeout; /* seconds */
	int64_t retries, retry_delay_ms, max_redirects;
	int allow_empty;         /* an empty result may delete every row */
};

struct bf_config {
	/* [node] */
	char slug[64];
	char name[CONFIG_STR];
	char country[8];
	char region[CONFIG_STR];
	char endpoint[CONFIG_STR]; /* where peers reach this node */
	char listen[CONFIG_STR];   /* what biofedd binds */
	char metrics[64];          /* loopback HOST:PORT for Prometheus, or "" */
	/* [federation] */
	uint8_t coordinator_key[32];
	int has_coordinator_key;
	char peers[CONFIG_MAX_PEERS][CONFIG_STR];
	size_t npeers;
	/* [publish] */
	int64_t max_changeset_rows;
	/* [samples] */
	int64_t suppress_below;
	char suppress_mode[16]; /* "round" or "hide" */
	/* [log] */
	char log_level[16];
	/* [source NAME] sections, in file order */
	struct bf_source sources[CONFIG_MAX_SOURCES];
	size_t nsources;
};

/* node.listen = none: biofedd listens on nothing; it dials its peers and
 * syncs (pull, push, relay) over those connections. */
#define CONFIG_LISTEN_NONE "none"

/* An endpoint "tls+tcp://HOST:PORT" taken apart: HOST a name, an IPv4
 * address or an IPv6 address in brackets (kept here without them), PORT
 * 1 to 65535. */
struct bf_endpoint {
	char host[CONFIG_STR];
	unsigned port;
};

/* Fills cfg with defaults. */
void config_defaults(struct bf_config *cfg);
/* Reads path into cfg (defaults first).  Errors name path:line. */
int config_load(const char *path, struct bf_config *cfg, struct bf_err *err);
/* Renders cfg as a commented INI file (what `biofed init` writes). */
int config_render(const struct bf_config *cfg, struct bf_buf *out);
/* Parses url into *out (when not NULL); BF_EINVAL with what is wrong in
 * msg (which names the url) otherwise. */
int config_parse_endpoint(const char *url, struct bf_endpoint *out, char *msg,
			  size_t msglen);
/* Is node.listen "none"? */
int config_outbound_only(const struct bf_config *cfg);
/* What biofedd listens on: node.listen, else node.endpoint; "" when it
 * listens on nothing (listen = none, or neither is set). */
const char *config_listen_url(const struct bf_config *cfg);
/* The source called name, or NULL. */
const struct bf_source *config_source(const struct bf_config *cfg,
				      const char *name);
/* node.metrics: checks a "HOST:PORT" address and writes the URL biofedd
 * serves its metrics on ("http://127.0.0.1:9464") into url.  HOST must be
 * a loopback address (127.0.0.0/8, [::1] or localhost): the metrics have
 * no TLS and no sign-in.  Returns 0, or BF_EINVAL with msg saying why. */
int config_metrics_url(const char *addr, char *url, size_t n, char *msg,
		       size_t msglen);
/* Prints the option table (section.key, type, default, help). */
void config_print_options(void *file /* FILE* */);

#endif
