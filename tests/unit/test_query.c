/*
 * Unit tests of the pieces under the query commands that the black-box
 * tests reach only indirectly: disease values with their hierarchy
 * (codes, ranges, names), age ranges as filters read them, the
 * suppression rule, and the three output formats (CSV quoting, JSON
 * types and extra fields, table alignment and cuts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "disease.h"
#include "output.h"
#include "qfilter.h"
#include "query.h"
#include "samples.h"
#include "store.h"
#include "vocab.h"

/* Whether the set holds the term called name. */
static int has(const struct disease_set *s, const char *name)
{
	long i = vocab_find(&vocab_DiseaseTypes, name, strlen(name));

	return i >= 0 && s->in[i];
}

/* The set of one --disease value (assert it resolves). */
static void resolve(struct disease_set *s, const char *v,
		    struct disease_found *found)
{
	struct bf_err err;

	assert_int_equal(disease_set_init(s, &err), 0);
	if (disease_add(s, v, strlen(v), found, &err) != 0)
		fail_msg("disease_add %s: %s", v, err.msg);
}

static void disease_hierarchy(void **state)
{
	struct disease_set s;
	struct disease_found found;

	(void)state;
	/* ICD-10: the tree below, and the ORPHA codes mapped into it */
	resolve(&s, "C50", &found);
	assert_false(found.by_name);
	assert_true(has(&s, "C50") && has(&s, "C50.1") && has(&s, "C50.9"));
	assert_true(has(&s, "ORPHA:227535")); /* mapped to C50.0-C50.8 */
	assert_true(has(&s, "ORPHA:145"));    /* mapped to C50.9 */
	assert_false(has(&s, "C50-C50") || has(&s, "C51") ||
		     has(&s, "ORPHA:558") || has(&s, "*"));
	disease_set_free(&s);
	/* a child, with the URN and in lower case: not its siblings */
	resolve(&s, "urn:miriam:icd:c50.9", NULL);
	assert_true(has(&s, "C50.9") && has(&s, "ORPHA:145"));
	assert_false(has(&s, "C50.1") || has(&s, "C50"));
	disease_set_free(&s);
	/* ORPHA: its ORPHA descendants, not the ICD-10 code it maps to */
	resolve(&s, "orpha:558", NULL);
	assert_true(has(&s, "ORPHA:558") && has(&s, "ORPHA:284963"));
	assert_false(has(&s, "Q87.4"));
	disease_set_free(&s);
	/* an ICD-10 code brings a mapped ORPHA term with what is below it */
	resolve(&s, "Q87.4", NULL);
	assert_true(has(&s, "ORPHA:558") && has(&s, "ORPHA:284963"));
	disease_set_free(&s);
	/* a block of the ontology, a chapter, and a range that is neither */
	resolve(&s, "C50-C50", NULL);
	assert_true(has(&s, "C50.9") && !has(&s, "C51"));
	disease_set_free(&s);
	resolve(&s, "C00-D48", NULL);
	assert_true(has(&s, "C00") && has(&s, "C50.9") && has(&s, "D05.1") &&
		    has(&s, "D48.9"));
	assert_false(has(&s, "D50") || has(&s, "B99") || has(&s, "E10"));
	disease_set_free(&s);
	resolve(&s, "II", NULL);
	assert_true(has(&s, "C50.9") && has(&s, "D05.1") && !has(&s, "E10"));
	disease_set_free(&s);
}

static void disease_names(void **state)
{
	struct disease_set s;
	struct disease_found found;
	struct bf_buf b;
	int seen = 0;

	(void)state;
	resolve(&s, "breast CANCER", &found);
	assert_true(found.by_name);
	assert_true(found.count >= 3 && found.nshown <= DISEASE_SHOW);
	for (size_t i = 0; i < found.nshown; i++)
		seen |= !strcmp(vocab_DiseaseTypes.terms[found.shown[i]].name,
				"ORPHA:227535");
	assert_true(seen);
	/* most general first: the shortest label */
	assert_string_equal(vocab_DiseaseTypes.terms[found.shown[0]].name,
			    "ORPHA:227535");
	assert_true(has(&s, "ORPHA:227535") && !has(&s, "C50.9"));
	disease_set_free(&s);
	/* words begin words: "neoplasm breast" finds ICD-10's names */
	resolve(&s, "neoplasm breast", &found);
	assert_true(has(&s, "C50") && has(&s, "C50.9"));
	disease_set_free(&s);
	/* accents aside: Guillain-Barré */
	resolve(&s, "guillain barre", &found);
	assert_true(has(&s, "ORPHA:2103"));
	bf_buf_init(&b, 0);
	assert_int_equal(disease_set_json(&s, &b), 0);
	assert_non_null(bf_buf_cstr(&b));
	assert_non_null(strstr((char *)b.p, "\"ORPHA:2103\""));
	assert_true(b.p[0] == '[' && b.p[b.len - 1] == ']');
	bf_buf_free(&b);
	disease_set_free(&s);
}

static void disease_refusals(void **state)
{
	static const struct {
		const char *v, *msg;
	} bad[] = {
		{"C99.9", "unknown ICD-10 code \"C99.9\" (nearest known: "},
		{"ORPHA:99999999", "nearest known"},
		{"C9", "nearest known"},
		{"C60-C50", "ends before it begins"},
		{"*", "leave --disease out"},
		{"xyzzy plover", "no ICD-10 or ORPHA term's name"},
		{"--", "neither a disease code nor a name"},
	};
	struct disease_set s;
	struct bf_err err;

	(void)state;
	assert_int_equal(disease_set_init(&s, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = disease_add(&s, bad[i].v, strlen(bad[i].v), NULL,
				     &err);

		if (rc != BF_EINVAL || !strstr(err.msg, bad[i].msg))
			fail_msg("%s: %d %s", bad[i].v, rc, err.msg);
		assert_int_equal(s.n, 0);
	}
	disease_set_free(&s);
}

static void age_ranges(void **state)
{
	int64_t lo, hi;

	(void)state;
	assert_int_equal(qf_age_range("40-60", &lo, &hi), 0);
	assert_true(lo == 40 && hi == 60);
	assert_int_equal(qf_age_range("90-", &lo, &hi), 0);
	assert_true(lo == 90 && hi == -1);
	assert_int_equal(qf_age_range("-17", &lo, &hi), 0);
	assert_true(lo == 0 && hi == 17);
	assert_int_equal(qf_age_range("45", &lo, &hi), 0);
	assert_true(lo == 45 && hi == 45);
	assert_int_equal(qf_age_range("60-40", &lo, &hi), BF_EINVAL);
	assert_int_equal(qf_age_range("-", &lo, &hi), BF_EINVAL);
	assert_int_equal(qf_age_range("4a-50", &lo, &hi), BF_EINVAL);
	assert_int_equal(qf_age_range("1000-", &lo, &hi), BF_EINVAL);
	assert_int_equal(qf_age_range("201", &lo, &hi), BF_EINVAL);
}

/* A replica (a temporary file) with one institution's facts: a
 * collection with derived facts and hand-published ones (a total and a
 * breakdown by sex, in the Directory's `*` style), another with only a
 * hand-made total and its detail rows, and a withdrawn collection. */
static const char facts_sql[] =
	"INSERT INTO institution(owner, id, rowhash, name, country, sign_key) "
	"VALUES('coordinator', 'inst', x'00', 'Inst', 'ES', '');"
	"INSERT INTO biobank(owner, id, rowhash, name, country) VALUES"
	" ('inst', 'bb', x'00', 'BB', 'ES');"
	"INSERT INTO collection(owner, id, rowhash, name, biobank, withdrawn)"
	" VALUES ('inst', 'mixed', x'00', 'M', 'bb', 0),"
	" ('inst', 'hand', x'00', 'H', 'bb', NULL),"
	" ('inst', 'gone', x'00', 'G', 'bb', 1);"
	"INSERT INTO collection_fact(owner, id, rowhash, collection, sex, "
	"age_range, sample_type, disease, availability, number_of_samples) "
	"VALUES"
	" ('inst', 'derived:1', x'00', 'mixed', 'FEMALE', '40-49', 'SERUM', "
	"'C50.9', 'available', 10),"
	" ('inst', 'derived:2', x'00', 'mixed', 'MALE', '50-59', 'SERUM', "
	"'C50.9', 'available', 20),"
	" ('inst', 'm-total', x'00', 'mixed', '*', '*', '*', '*', NULL, 500),"
	" ('inst', 'm-f', x'00', 'mixed', 'FEMALE', '*', '*', '*', NULL, 200),"
	" ('inst', 'm-m', x'00', 'mixed', 'MALE', '*', '*', '*', NULL, 300),"
	" ('inst', 'h-total', x'00', 'hand', NULL, NULL, NULL, NULL, NULL, "
	"1000),"
	" ('inst', 'h-adult', x'00', 'hand', 'FEMALE', 'Adult', 'DNA', "
	"'ORPHA:227535', NULL, 30),"
	" ('inst', 'h-aged', x'00', 'hand', 'FEMALE', 'Aged (>80 years)', "
	"'DNA', 'ORPHA:227535', NULL, 40),"
	" ('inst', 'h-any', x'00', 'hand', 'FEMALE', '*', 'DNA', "
	"'ORPHA:227535', NULL, 5),"
	" ('inst', 'g-1', x'00', 'gone', 'FEMALE', '40-49', 'DNA', 'C50.9', "
	"NULL, 7);";

struct fixture {
	char dir[64], path[96];
	struct store *s;
};

static int facts_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bf_err err;
	char *msg = NULL;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_query.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/replica.db", f->dir);
	if (store_open(f->path, STORE_CREATE, &f->s, &err) != 0)
		fail_msg("store_open: %s", err.msg);
	if (sqlite3_exec(store_db(f->s), facts_sql, NULL, NULL, &msg) !=
	    SQLITE_OK)
		fail_msg("facts: %s", msg);
	*state = f;
	return 0;
}

static int facts_teardown(void **state)
{
	struct fixture *f = *state;
	char p[120];

	store_close(f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The samples of `query facts --count-by institution` with filter
 * values f (a NULL-terminated list of "name=value"), as CSV text. */
static char *count_facts(struct fixture *fx, const char *const *f)
{
	struct query_opts q;
	struct out *o;
	struct bf_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);

	memset(&q, 0, sizeof(q));
	q.kind = Q_FACTS;
	q.count_by = QC_INSTITUTION;
	for (; f && *f; f++) {
		const char *v = strchr(*f, '=') + 1;

		if (!strncmp(*f, "sex=", 4))
			q.f.sex = v;
		else if (!strncmp(*f, "age=", 4))
			q.f.age = v;
		else if (!strncmp(*f, "disease=", 8))
			q.f.disease = v;
		else if (!strncmp(*f, "collection=", 11))
			q.f.collection = v;
		else if (!strncmp(*f, "material=", 9))
			q.f.material = v;
		else if (!strcmp(*f, "withdrawn=1"))
			q.withdrawn = 1;
	}
	assert_int_equal(out_new(mf, OUT_CSV, &o), 0);
	if (query_run(store_db(fx->s), &q, o, &err) != 0)
		fail_msg("query_run: %s", err.msg);
	assert_int_equal(out_end(o, &err), 0);
	fclose(mf);
	return buf;
}

static void expect_count(struct fixture *fx, const char *const *f,
			 const char *want)
{
	char *got = count_facts(fx, f);

	if (strcmp(got, want))
		fail_msg("%s%s: got %s, want %s", f && f[0] ? f[0] : "",
			 f && f[0] && f[1] ? " ..." : "", got, want);
	free(got);
}

#define HEAD "institution,institution_name,samples,collections\n"

static void fact_levels(void **state)
{
	struct fixture *fx = *state;

	/* mixed: derived 30 + hand-published by sex 500 (not the total);
	 * hand: the detail rows 30 + 40 (not the total, nor the coarser
	 * h-any, whose age is `*`); gone: hidden */
	expect_count(fx, NULL, HEAD "inst,Inst,600,2\n");
	expect_count(fx, (const char *const[]){"withdrawn=1", NULL},
		     HEAD "inst,Inst,607,3\n");
	/* a filter only hand-published rows meet still finds them */
	expect_count(fx, (const char *const[]){"collection=mixed", NULL},
		     HEAD "inst,Inst,530,1\n");
	expect_count(fx,
		     (const char *const[]){"collection=mixed", "sex=FEMALE",
					   NULL},
		     HEAD "inst,Inst,210,1\n");
	/* `*` is no material, no age */
	expect_count(fx, (const char *const[]){"material=SERUM", NULL},
		     HEAD "inst,Inst,30,1\n");
	/* ages: the decade 40-49 and Adult (25-44 years) lie in 20-50; Aged
	 * (>80 years) only in an open range; `*` in none */
	expect_count(fx, (const char *const[]){"age=20-50", NULL},
		     HEAD "inst,Inst,40,2\n");
	expect_count(fx, (const char *const[]){"age=80-", NULL},
		     HEAD "inst,Inst,40,1\n");
	expect_count(fx, (const char *const[]){"age=30-50", NULL},
		     HEAD "inst,Inst,10,1\n");
	expect_count(fx, (const char *const[]){"age=-17", NULL}, HEAD);
	/* C50 takes the ORPHA code mapped into it */
	expect_count(fx, (const char *const[]){"disease=C50", NULL},
		     HEAD "inst,Inst,100,2\n");
}

static void suppression(void **state)
{
	(void)state;
	/* round (the default): 1..9 shown as 10, 0 stays 0 */
	assert_int_equal(samples_suppress(0, 10, "round"), 0);
	assert_int_equal(samples_suppress(1, 10, "round"), 10);
	assert_int_equal(samples_suppress(9, 10, "round"), 10);
	assert_int_equal(samples_suppress(10, 10, "round"), 10);
	assert_int_equal(samples_suppress(11, 10, "round"), 11);
	/* hide: the row goes */
	assert_int_equal(samples_suppress(3, 10, "hide"), -1);
	assert_int_equal(samples_suppress(0, 10, "hide"), 0);
	assert_int_equal(samples_suppress(12, 10, "hide"), 12);
	/* off */
	assert_int_equal(samples_suppress(1, 0, "round"), 1);
	assert_int_equal(samples_suppress(1, 1, "hide"), 1);
}

/* Renders two rows in fmt into a string (malloc'd). */
static char *render(enum out_format fmt)
{
	static const char list[] = "[\"DNA\",\"SERUM\"]";
	static const char extra[] = "{\"future\":1,\"name\":\"not me\"}";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o;
	struct bf_err err;

	assert_non_null(f);
	assert_int_equal(out_new(f, fmt, &o), 0);
	assert_int_equal(out_col(o, "name", 0), 0);
	assert_int_equal(out_col(o, "materials", 0), 0);
	assert_int_equal(out_col(o, "size", OUT_NUM), 0);
	assert_int_equal(out_col(o, "description", OUT_WIDE), 0);
	assert_int_equal(out_row(o), 0);
	assert_int_equal(out_text(o, "Breast, \"main\"", 14), 0);
	assert_int_equal(out_list(o, list, strlen(list)), 0);
	assert_int_equal(out_int(o, 3800), 0);
	assert_int_equal(out_text(o, "two\nlines", 9), 0);
	assert_int_equal(out_extra(o, extra, strlen(extra)), 0);
	assert_int_equal(out_row(o), 0);
	assert_int_equal(out_text(o, "Tumour bank of the university hospital "
				     "of Navarre, Pamplona",
				  59),
			 0);
	assert_int_equal(out_null(o), 0);
	assert_int_equal(out_real(o, 18.6), 0);
	assert_int_equal(out_null(o), 0);
	assert_int_equal(out_end(o, &err), 0);
	fclose(f);
	return buf;
}

static void formats(void **state)
{
	char *s;

	(void)state;
	s = render(OUT_CSV);
	assert_string_equal(s, "name,materials,size,description\n"
			       "\"Breast, \"\"main\"\"\",\"DNA,SERUM\",3800,"
			       "\"two\nlines\"\n"
			       "\"Tumour bank of the university hospital of "
			       "Navarre, Pamplona\",,18.6,\n");
	free(s);
	s = render(OUT_JSON);
	assert_string_equal(
		s, "[\n{\"name\": \"Breast, \\\"main\\\"\", \"materials\": "
		   "[\"DNA\", \"SERUM\"], \"size\": 3800, \"description\": "
		   "\"two\\nlines\", \"future\": 1},\n"
		   "{\"name\": \"Tumour bank of the university hospital of "
		   "Navarre, Pamplona\", \"size\": 18.6}\n]\n");
	free(s);
	s = render(OUT_TABLE);
	/* cells cut at 48 characters, columns two spaces apart, the wide
	 * description left out, numbers right-aligned */
	assert_string_equal(s, "name                                              materials  size\n"
			       "Breast, \"main\"                                    DNA,SERUM  3800\n"
			       "Tumour bank of the university hospital of Nav...             18.6\n"
			       "(2 rows)\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(disease_hierarchy),
		cmocka_unit_test(disease_names),
		cmocka_unit_test(disease_refusals),
		cmocka_unit_test(age_ranges),
		cmocka_unit_test(suppression),
		cmocka_unit_test(formats),
		cmocka_unit_test_setup_teardown(fact_levels, facts_setup,
						facts_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
