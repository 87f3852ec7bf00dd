/*
 * libFuzzer target for what fetch does to a response body: any bytes as
 * a JSON page (page inspection: records count and next link; then every
 * record through the field mapping, nested paths and arrays included)
 * and as a semicolon-separated CSV export (CORDIS quoting), whose rows
 * are also read as an organisations file and joined to the records of a
 * source without mapped partners.  The callback checks what
 * fetchmap promises: an id "NAME:..." and a source cell on every mapped
 * record, cells with names, text cells NUL-terminated at their length.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "csvin.h"
#include "fetchmap.h"
#include "jsonin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void add_map(struct bf_source *s, const char *field, const char *key)
{
	snprintf(s->map[s->nmap].field, sizeof(s->map[0].field), "%s", field);
	snprintf(s->map[s->nmap].key, sizeof(s->map[0].key), "%s", key);
	s->nmap++;
}

static int mapped(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct fetchmap *m = ctx;
	const struct rec *out;
	int have_id = 0, have_source = 0;

	if (fetchmap_record(m, r, &out, err) != 0)
		return 0; /* a refused record is fine; a crash is not */
	for (size_t i = 0; i < out->ncells; i++) {
		const struct rec_cell *c = &out->cells[i];
		if (!c->name || (!c->text && !c->json))
			__builtin_trap();
		if (c->text && strlen(c->text) != c->len)
			__builtin_trap();
		if (strcmp(c->name, "id") == 0) {
			if (!c->text || strncmp(c->text, m->src->name,
						strlen(m->src->name)) != 0)
				__builtin_trap();
			have_id = 1;
		}
		have_source |= strcmp(c->name, "source") == 0;
	}
	if (!have_id || !have_source)
		__builtin_trap();
	return 0;
}

static int org_row(void *ctx, const struct rec *r, struct bf_err *err)
{
	struct fetchmap *m = ctx;
	int rc = fetchmap_orgs_add(m->orgs, m->src, r, err);

	if (rc && !err->msg[0])
		__builtin_trap();
	return rc == BF_EINVAL ? 0 : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bf_source json_src, csv_src;
	static struct fetchmap_roster roster;
	static int ready;
	struct fetchmap m;
	struct bf_err err;
	char next[256];
	long records;

	if (!ready) {
		snprintf(json_src.name, sizeof(json_src.name), "api");
		snprintf(json_src.format, sizeof(json_src.format), "json");
		snprintf(json_src.records, sizeof(json_src.records),
			 "data.items");
		snprintf(json_src.next, sizeof(json_src.next), "links.next");
		json_src.list_sep = ',';
		add_map(&json_src, "source_id", "id");
		add_map(&json_src, "title", "title");
		add_map(&json_src, "programme", "programme.name");
		add_map(&json_src, "total_cost", "budget.total");
		add_map(&json_src, "start_date", "start");
		add_map(&json_src, "coordinator", "lead_partner.name");
		add_map(&json_src, "partners", "partners.name");
		csv_src = json_src;
		snprintf(csv_src.name, sizeof(csv_src.name), "cordis");
		snprintf(csv_src.format, sizeof(csv_src.format), "csv");
		csv_src.delim = ';';
		csv_src.nmap = 0;
		add_map(&csv_src, "source_id", "id");
		add_map(&csv_src, "title", "title");
		add_map(&csv_src, "total_cost", "totalCost");
		add_map(&csv_src, "partners", "partners");
		fetchmap_roster_add(&roster, "navarrabiomed",
				    "Navarrabiomed - Miguel Servet Foundation",
				    NULL);
		fetchmap_roster_add(&roster, "iacs",
				    "Aragon Institute of Health Sciences",
				    "IACS");
		ready = 1;
	}
	fetchmap_page_info(&json_src, "page", (const char *)data, size,
			   &records, next, sizeof(next), &err);
	fetchmap_init(&m, &json_src, &roster);
	jsonin_read_mem("page", (const char *)data, size, json_src.records,
			mapped, &m, &err);
	fetchmap_free(&m);
	{
		struct csvin_opts co = {.delim = ';', .cordis_quotes = 1};
		struct fetchmap_orgs orgs;
		struct bf_source org_src = csv_src;

		fetchmap_init(&m, &csv_src, &roster);
		csvin_read_mem_opts("page", (const char *)data, size, &co,
				    mapped, &m, &err);
		fetchmap_free(&m);
		/* the same rows as organisations, joined on "id" */
		org_src.nmap = 3; /* source_id, title, total_cost */
		snprintf(org_src.organisations_project,
			 sizeof(org_src.organisations_project), "id");
		snprintf(org_src.organisations_name,
			 sizeof(org_src.organisations_name), "title");
		snprintf(org_src.organisations_role,
			 sizeof(org_src.organisations_role), "partners");
		fetchmap_orgs_init(&orgs);
		fetchmap_init(&m, &org_src, &roster);
		m.orgs = &orgs;
		err.msg[0] = 0;
		if (csvin_read_mem_opts("orgs", (const char *)data, size, &co,
					org_row, &m, &err) == 0)
			csvin_read_mem_opts("page", (const char *)data, size,
					    &co, mapped, &m, &err);
		fetchmap_free(&m);
		fetchmap_orgs_free(&orgs);
	}
	return 0;
}
