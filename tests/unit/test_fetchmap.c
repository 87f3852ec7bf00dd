/* Unit tests of fetchmap: folding and institution matching, number and
 * date tidying, field mapping of CSV and JSON records, page inspection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fetchmap.h"

static const char *fold(const char *s)
{
	static char out[256];
	fetchmap_fold(s, strlen(s), out, sizeof(out));
	return out;
}

static void folding(void **state)
{
	char small[8];
	(void)state;
	assert_string_equal(fold("Université Paul-Sabatier"),
			    "universite paul sabatier");
	assert_string_equal(fold("  CHU   de Toulouse!! "), "chu de toulouse");
	assert_string_equal(fold("Instituto Aragonés (IACS)"),
			    "instituto aragones iacs");
	assert_string_equal(fold("ÀÉÎÕÜÇÑ × ß"), "aeioucn s");
	assert_string_equal(fold("---"), "");
	/* other scripts are kept as they are */
	assert_string_equal(fold("Ελλάδα"), "Ελλάδα");
	/* truncation keeps whole characters and the NUL */
	assert_int_equal(fetchmap_fold("abcdefghij", 10, small, sizeof(small)),
			 7);
	assert_string_equal(small, "abcdefg");
}

static void matching(void **state)
{
	struct fetchmap_roster r = {0};
	(void)state;

	assert_int_equal(fetchmap_roster_add(&r, "navarrabiomed",
					     "Navarrabiomed - Miguel Servet "
					     "Foundation",
					     NULL),
			 0);
	assert_int_equal(fetchmap_roster_add(&r, "chu-toulouse",
					     "Centre Hospitalier Universitaire "
					     "de Toulouse",
					     "CHU Toulouse"),
			 0);
	assert_int_equal(fetchmap_roster_add(&r, "iacs",
					     "Aragon Institute of Health "
					     "Sciences",
					     NULL),
			 0);
	assert_int_equal(fetchmap_roster_add(&r, "ups", "Université Paul "
							"Sabatier",
					     NULL),
			 0);
#define M(s) fetchmap_match(&r, s, strlen(s))
	/* the name, folded */
	assert_int_equal(M("NAVARRABIOMED – Miguel Servet foundation"), 0);
	assert_int_equal(M("Centre hospitalier universitaire de Toulouse"), 1);
	/* the acronym and the slug */
	assert_int_equal(M("CHU-Toulouse"), 1);
	assert_int_equal(M("chu toulouse"), 1);
	/* a slug or acronym of 4+ characters as whole words */
	assert_int_equal(M("Navarrabiomed - Fundación Miguel Servet"), 0);
	assert_int_equal(M("Instituto Aragonés de Ciencias de la Salud (IACS)"),
			 2);
	/* a name inside a longer one */
	assert_int_equal(M("Université Paul Sabatier Toulouse III"), 3);
	/* not as part of another word, and not short keys */
	assert_int_equal(M("Biacsmed Ltd"), -1);
	assert_int_equal(M("UPS logistics"), -1);
	assert_int_equal(M(""), -1);
	assert_int_equal(fetchmap_match(NULL, "iacs", 4), -1);
#undef M
	fetchmap_roster_free(&r);
}

static const char *num(const char *s)
{
	static char out[64];
	if (fetchmap_number(s, strlen(s), out, sizeof(out)))
		return "(too long)";
	return out;
}

static void numbers(void **state)
{
	char tiny[4];
	(void)state;
	assert_string_equal(num("5999875,5"), "5999875.5");
	assert_string_equal(num("1.234.567,50"), "1234567.50");
	assert_string_equal(num("1,234,567.50"), "1234567.50");
	assert_string_equal(num("1 000 000"), "1000000");
	assert_string_equal(num("1072500.0"), "1072500.0");
	assert_string_equal(num("7250000"), "7250000");
	assert_string_equal(num("-3,25"), "-3.25");
	/* not a number stays wrong: publish names it */
	assert_string_equal(num("abc"), "abc");
	assert_int_equal(fetchmap_number("12345", 5, tiny, sizeof(tiny)), -1);
}

static struct bf_source csv_source(void)
{
	struct bf_source s;
	static const char *const map[][2] = {
		{"source_id", "id"},     {"acronym", "acronym"},
		{"title", "title"},      {"start_date", "startDate"},
		{"total_cost", "totalCost"}, {"partners", "partners"},
		{"coordinator", "lead"},
	};

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "cordis");
	snprintf(s.format, sizeof(s.format), "csv");
	s.delim = ';';
	s.list_sep = '|';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		snprintf(s.map[i].field, sizeof(s.map[i].field), "%s",
			 map[i][0]);
		snprintf(s.map[i].key, sizeof(s.map[i].key), "%s", map[i][1]);
	}
	s.nmap = sizeof(map) / sizeof(map[0]);
	return s;
}

static const struct rec_cell *cell(const struct rec *r, const char *name)
{
	for (size_t i = 0; i < r->ncells; i++)
		if (strcmp(r->cells[i].name, name) == 0)
			return &r->cells[i];
	return NULL;
}

static void maps_csv_records(void **state)
{
	struct bf_source src = csv_source();
	struct fetchmap_roster roster = {0};
	struct fetchmap m;
	struct bf_err err;
	const struct rec *out;
	const struct rec_cell *c;
	struct rec_cell in[] = {
		{"id", " 101990001 ", 11, NULL},
		{"acronym", "PYRECAN", 7, NULL},
		{"title", "A title", 7, NULL},
		{"startDate", "2023-09-01 00:00:00", 19, NULL},
		{"totalCost", "5999875,5", 9, NULL},
		{"partners", "Biocruces | Someone else |", 26, NULL},
		{"lead", "Navarrabiomed (Pamplona)", 24, NULL},
		{"extra", "not mapped", 10, NULL},
	};
	struct rec r = {"cordis", NULL, 2, 1, in, sizeof(in) / sizeof(in[0])};
	(void)state;

	fetchmap_roster_add(&roster, "navarrabiomed", "Navarrabiomed", NULL);
	fetchmap_roster_add(&roster, "biocruces", "Biocruces Bizkaia", NULL);
	fetchmap_init(&m, &src, &roster);
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), 0);
	assert_non_null(c = cell(out, "id"));
	assert_string_equal(c->text, "cordis:101990001");
	assert_string_equal(cell(out, "source")->text, "cordis");
	assert_string_equal(cell(out, "total_cost")->text, "5999875.5");
	assert_string_equal(cell(out, "start_date")->text, "2023-09-01");
	assert_null(cell(out, "extra"));
	c = cell(out, "partners");
	assert_non_null(c->json);
	assert_int_equal(json_array_size(c->json), 2);
	assert_string_equal(json_string_value(json_array_get(c->json, 1)),
			    "Someone else");
	c = cell(out, "institutions");
	assert_non_null(c);
	assert_int_equal(json_array_size(c->json), 2);
	assert_string_equal(json_string_value(json_array_get(c->json, 0)),
			    "biocruces");
	assert_string_equal(json_string_value(json_array_get(c->json, 1)),
			    "navarrabiomed");

	/* an empty cell is an absent field; no source id is an error */
	in[0].text = "";
	in[0].len = 0;
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "cordis:2: record 1: no source id"));
	fetchmap_free(&m);

	/* a header without a mapped column: not this export */
	fetchmap_init(&m, &src, NULL);
	r.ncells = 3;
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "no column \"startDate\" "
					"(map.start_date)"));
	fetchmap_free(&m);
	fetchmap_roster_free(&roster);
}

/* One row of an organisations file. */
static int add_org(struct fetchmap_orgs *o, const struct bf_source *src,
		   size_t line, const char *pid, const char *name,
		   const char *role, struct bf_err *err)
{
	struct rec_cell in[] = {
		{"projectID", pid, strlen(pid), NULL},
		{"name", name, strlen(name), NULL},
		{"role", role, strlen(role), NULL},
	};
	struct rec r = {"orgs", NULL, line, line - 1, in, 3};

	return fetchmap_orgs_add(o, src, &r, err);
}

/* Coordinator and partners from the organisations file, joined on the
 * source id (not on a prefix of it), in file order. */
static void joins_organisations(void **state)
{
	struct bf_source src = csv_source();
	struct fetchmap_roster roster = {0};
	struct fetchmap_orgs orgs;
	struct fetchmap m;
	struct bf_err err;
	const struct rec *out;
	const struct rec_cell *c;
	struct rec_cell in[] = {
		{"id", "10", 2, NULL},
		{"acronym", "A", 1, NULL},
		{"title", "T", 1, NULL},
		{"startDate", "", 0, NULL},
		{"totalCost", "", 0, NULL},
		{"partners", "", 0, NULL},
		{"lead", "", 0, NULL},
	};
	struct rec r = {"cordis", NULL, 2, 1, in, sizeof(in) / sizeof(in[0])};
	(void)state;

	src.nmap = 5; /* no map.partners, no map.coordinator */
	snprintf(src.organisations_project, sizeof(src.organisations_project),
		 "projectID");
	snprintf(src.organisations_name, sizeof(src.organisations_name),
		 "name");
	snprintf(src.organisations_role, sizeof(src.organisations_role),
		 "role");
	fetchmap_orgs_init(&orgs);
	assert_int_equal(add_org(&orgs, &src, 2, "10", "SECOND LAB",
				 "participant", &err),
			 0);
	assert_int_equal(add_org(&orgs, &src, 3, "1", "OTHER PROJECT",
				 "coordinator", &err),
			 0);
	assert_int_equal(add_org(&orgs, &src, 4, " 10 ", "NAVARRABIOMED "
				 "FUNDACION MIGUEL SERVET", "Coordinator",
				 &err),
			 0);
	assert_int_equal(add_org(&orgs, &src, 5, "100", "LONGER ID",
				 "participant", &err),
			 0);
	assert_int_equal(add_org(&orgs, &src, 6, "10", "THIRD LAB",
				 "coordinator", &err),
			 0);
	/* a row without a project id is refused; the others stay */
	assert_int_equal(add_org(&orgs, &src, 7, "", "NOBODY", "participant",
				 &err),
			 BF_EINVAL);
	assert_string_equal(err.msg, "orgs:7: organisation without a project "
				     "id; left out");

	fetchmap_roster_add(&roster, "navarrabiomed", "Navarrabiomed", NULL);
	fetchmap_init(&m, &src, &roster);
	m.orgs = &orgs;
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), 0);
	c = cell(out, "partners");
	assert_non_null(c);
	assert_int_equal(json_array_size(c->json), 3);
	assert_string_equal(json_string_value(json_array_get(c->json, 0)),
			    "SECOND LAB");
	assert_string_equal(json_string_value(json_array_get(c->json, 1)),
			    "NAVARRABIOMED FUNDACION MIGUEL SERVET");
	assert_string_equal(json_string_value(json_array_get(c->json, 2)),
			    "THIRD LAB");
	/* the first coordinator in the file, whatever the case of its role */
	assert_string_equal(cell(out, "coordinator")->text,
			    "NAVARRABIOMED FUNDACION MIGUEL SERVET");
	c = cell(out, "institutions");
	assert_non_null(c);
	assert_int_equal(json_array_size(c->json), 1);
	/* a project the file does not name has neither */
	in[0].text = "11";
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), 0);
	assert_null(cell(out, "partners"));
	assert_null(cell(out, "coordinator"));
	fetchmap_free(&m);

	/* another export: its header lacks the columns */
	{
		struct rec_cell bad[] = {{"id", "1", 1, NULL}};
		struct rec br = {"orgs", NULL, 2, 1, bad, 1};
		assert_int_equal(fetchmap_orgs_add(&orgs, &src, &br, &err),
				 BF_ENOENT);
		assert_non_null(strstr(err.msg, "no column \"projectID\" "
						"(organisations_project)"));
	}
	fetchmap_orgs_free(&orgs);
	fetchmap_roster_free(&roster);
}

/* A record as jsonin hands it over: one cell per member. */
static void json_rec(json_t *obj, struct rec_cell *cells, size_t *n)
{
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach(obj, k, v) {
		cells[*n].name = k;
		cells[*n].text = json_is_string(v) ? json_string_value(v) : NULL;
		cells[*n].len = json_is_string(v) ? json_string_length(v) : 0;
		cells[*n].json = v;
		(*n)++;
	}
}

static void maps_json_records(void **state)
{
	struct bf_source src;
	struct fetchmap m;
	struct fetchmap_roster roster = {0};
	struct bf_err err;
	struct rec_cell cells[16];
	const struct rec *out;
	const struct rec_cell *c;
	size_t n;
	json_t *obj = json_loads(
		"{\"id\": 42, \"title\": \"T\", \"programme\": {\"name\": "
		"\"Interreg POCTEFA\"}, \"budget\": {\"total\": 1650000.5}, "
		"\"end\": \"2019-05-31T00:00:00Z\", \"call\": null, "
		"\"partners\": [{\"name\": \"IACS\"}, {\"name\": \"X\"}, "
		"{\"country\": \"ES\"}]}",
		0, NULL);
	static const char *const map[][2] = {
		{"source_id", "id"},
		{"title", "title"},
		{"programme", "programme.name"},
		{"total_cost", "budget.total"},
		{"end_date", "end"},
		{"call", "call"},
		{"partners", "partners.name"},
		{"url", "missing.path"},
	};
	struct rec r = {"interreg page 1", NULL, 5, 1, cells, 0};
	(void)state;

	assert_non_null(obj);
	memset(&src, 0, sizeof(src));
	snprintf(src.name, sizeof(src.name), "interreg");
	snprintf(src.format, sizeof(src.format), "json");
	src.list_sep = ',';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		snprintf(src.map[i].field, sizeof(src.map[i].field), "%s",
			 map[i][0]);
		snprintf(src.map[i].key, sizeof(src.map[i].key), "%s",
			 map[i][1]);
	}
	src.nmap = sizeof(map) / sizeof(map[0]);
	fetchmap_roster_add(&roster, "iacs", "Aragon Institute", NULL);
	json_rec(obj, cells, &n);
	r.ncells = n;
	fetchmap_init(&m, &src, &roster);
	assert_int_equal(fetchmap_record(&m, &r, &out, &err), 0);
	/* a number for a text field (the id) becomes its text */
	assert_string_equal(cell(out, "id")->text, "interreg:42");
	assert_string_equal(cell(out, "source_id")->text, "42");
	assert_string_equal(cell(out, "programme")->text, "Interreg POCTEFA");
	/* a JSON number for a number field stays typed */
	c = cell(out, "total_cost");
	assert_null(c->text);
	assert_true(json_is_real(c->json));
	assert_string_equal(cell(out, "end_date")->text, "2019-05-31");
	/* null and missing paths are absent fields */
	assert_null(cell(out, "call"));
	assert_null(cell(out, "url"));
	/* a path through an array of objects: the list of their names */
	c = cell(out, "partners");
	assert_int_equal(json_array_size(c->json), 2);
	assert_string_equal(json_string_value(json_array_get(c->json, 0)),
			    "IACS");
	assert_string_equal(
		json_string_value(json_array_get(cell(out, "institutions")->json,
						 0)),
		"iacs");
	fetchmap_free(&m);
	fetchmap_roster_free(&roster);
	json_decref(obj);
}

static void page_info(void **state)
{
	struct bf_source src;
	struct bf_err err;
	char next[64];
	long records;
	static const char p1[] = "{\"data\": {\"items\": [{}, {}, {}]}, "
				 "\"links\": {\"next\": \"?page=2\"}}";
	static const char p2[] = "{\"data\": {\"items\": []}, "
				 "\"links\": {\"next\": null}}";
	static const char bad[] = "{\"data\": {\"items\": [}";
	static const char odd[] = "{\"data\": {}, \"links\": {\"next\": 3}}";
	(void)state;

	memset(&src, 0, sizeof(src));
	snprintf(src.records, sizeof(src.records), "data.items");
	snprintf(src.next, sizeof(src.next), "links.next");
	assert_int_equal(fetchmap_page_info(&src, "p", p1, strlen(p1), &records,
					    next, sizeof(next), &err),
			 0);
	assert_int_equal(records, 3);
	assert_string_equal(next, "?page=2");
	assert_int_equal(fetchmap_page_info(&src, "p", p2, strlen(p2), &records,
					    next, sizeof(next), &err),
			 0);
	assert_int_equal(records, 0);
	assert_string_equal(next, "");
	assert_int_equal(fetchmap_page_info(&src, "p", bad, strlen(bad),
					    &records, next, sizeof(next), &err),
			 BF_EINVAL);
	assert_non_null(strstr(err.msg, "p:1:"));
	assert_non_null(strstr(err.msg, "invalid JSON"));
	assert_int_equal(fetchmap_page_info(&src, "p", odd, strlen(odd),
					    &records, next, sizeof(next), &err),
			 BF_EINVAL);
	assert_int_equal(records, -1);
	assert_non_null(strstr(err.msg, "not a string"));
	/* without a records path the top-level array counts */
	src.records[0] = 0;
	src.next[0] = 0;
	assert_int_equal(fetchmap_page_info(&src, "p", "[1, 2]", 6, &records,
					    next, sizeof(next), &err),
			 0);
	assert_int_equal(records, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(folding),
		cmocka_unit_test(matching),
		cmocka_unit_test(numbers),
		cmocka_unit_test(maps_csv_records),
		cmocka_unit_test(joins_organisations),
		cmocka_unit_test(maps_json_records),
		cmocka_unit_test(page_info),
	};
	return cmocka_run_group_tests_name("fetchmap", tests, NULL, NULL);
}
