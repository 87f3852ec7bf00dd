/*
 * schema: biofed's tables, fields and vocabularies (MIABIS / BBMRI-ERIC
 * Directory names), and the syntax checks that publish applies to values.
 */
#include "schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const material_terms[] = {
	"BUFFY_COAT", "CDNA", "CELL_LINES", "DNA", "FECES", "MICRO_RNA",
	"NASAL_SWAB", "NAV", "OTHER", "PATHOGEN", "PERIPHERAL_BLOOD_CELLS",
	"PLASMA", "RNA", "SALIVA", "SERUM", "THROAT_SWAB", "TISSUE_FROZEN",
	"TISSUE_PARAFFIN_EMBEDDED", "TISSUE_STAINED", "URINE", "WHOLE_BLOOD",
	NULL};
const struct sch_vocab schema_vocab_material = {"material", material_terms};

static const char *const temp_terms[] = {
	"temperature-18to-35", "temperature-60to-85", "temperature2to10",
	"temperatureLN", "temperatureOther", "temperatureRoom", NULL};
static const struct sch_vocab vocab_temp = {"storage temperature",
					    temp_terms};

static const char *const sex_terms[] = {"FEMALE", "MALE", "NAV",
					"UNDIFFERENTIAL", "UNKNOWN", NULL};
const struct sch_vocab schema_vocab_sex = {"sex", sex_terms};

static const char *const age_unit_terms[] = {"DAY", "MONTH", "WEEK", "YEAR",
					     NULL};
static const struct sch_vocab vocab_age_unit = {"age unit", age_unit_terms};

static const char *const ctype_terms[] = {
	"BIRTH_COHORT", "CASE_CONTROL", "COHORT", "CROSS_SECTIONAL",
	"DISEASE_SPECIFIC", "HOSPITAL", "IMAGE", "LONGITUDINAL", "NON_HUMAN",
	"OTHER", "POPULATION_BASED", "PROSPECTIVE_STUDY", "QUALITY_CONTROL",
	"RD", "SAMPLE", "TWIN_STUDY", NULL};
static const struct sch_vocab vocab_ctype = {"collection type", ctype_terms};

static const char *const dcat_terms[] = {
	"BIOLOGICAL_SAMPLES", "GENEALOGICAL_RECORDS", "IMAGING_DATA",
	"MEDICAL_RECORDS", "NATIONAL_REGISTRIES", "NAV", "OTHER",
	"PHYSIOLOGICAL_BIOCHEMICAL_MEASUREMENTS", "SURVEY_DATA", NULL};
static const struct sch_vocab vocab_dcat = {"data category", dcat_terms};

static const char *const avail_terms[] = {"available", "exhausted",
					  "reserved", NULL};
const struct sch_vocab schema_vocab_availability = {"availability",
						    avail_terms};

static const char *const service_terms[] = {
	"ANIMAL_FACILITY", "BIOBANK_STORAGE", "BIOINFORMATICS",
	"CELL_THERAPY_GMP", "CLINICAL_TRIALS_UNIT", "FLOW_CYTOMETRY",
	"GENOTYPING", "IMAGING", "METABOLOMICS", "MICROSCOPY", "OTHER",
	"PROTEOMICS", "SAMPLE_PROCESSING", "SEQUENCING", NULL};
static const struct sch_vocab vocab_service = {"service type",
					       service_terms};

/* Fields of each table, in ascending byte order of their names. */

static const struct sch_field institution_fields[] = {
	{"acronym", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"city", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"country", SCH_TEXT, SCH_REQUIRED, CHK_COUNTRY, NULL, NULL, 0, 0},
	{"endpoint", SCH_TEXT, 0, CHK_ENDPOINT, NULL, NULL, 0, 0},
	{"key_from", SCH_INT, 0, CHK_NONE, NULL, NULL, 1, INT64_MAX},
	{"name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"old_keys", SCH_LIST, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"region", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"revoked_from", SCH_INT, 0, CHK_NONE, NULL, NULL, 1, INT64_MAX},
	{"sign_key", SCH_TEXT, SCH_REQUIRED, CHK_HEX32, NULL, NULL, 0, 0},
	{"tls_cert", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"url", SCH_TEXT, 0, CHK_URL, NULL, NULL, 0, 0},
};

static const struct sch_field group_fields[] = {
	{"areas", SCH_LIST, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"contact", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"description", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"keywords", SCH_LIST, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"lead", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"url", SCH_TEXT, 0, CHK_URL, NULL, NULL, 0, 0},
};

static const struct sch_field person_fields[] = {
	{"email", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"first_name", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"last_name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL,
	 0, 0},
	{"orcid", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"phone", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"research_group", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"role", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"title", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
};

static const struct sch_field biobank_fields[] = {
	{"acronym", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"capabilities", SCH_LIST, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"contact", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"country", SCH_TEXT, SCH_REQUIRED, CHK_COUNTRY, NULL, NULL, 0, 0},
	{"description", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"juridical_person", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"latitude", SCH_REAL, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"longitude", SCH_REAL, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"url", SCH_TEXT, 0, CHK_URL, NULL, NULL, 0, 0},
};

static const struct sch_field collection_fields[] = {
	{"access_description", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"age_high", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, 200},
	{"age_low", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, 200},
	{"age_unit", SCH_TEXT, 0, CHK_VOCAB, &vocab_age_unit, NULL, 0, 0},
	{"biobank", SCH_TEXT, SCH_REQUIRED, CHK_NONE, NULL, NULL, 0, 0},
	{"contact", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"data_categories", SCH_LIST, 0, CHK_VOCAB, &vocab_dcat, NULL, 0, 0},
	{"description", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"diagnosis_available", SCH_LIST, SCH_FTS, CHK_DISEASE, NULL, NULL, 0,
	 0},
	{"materials", SCH_LIST, 0, CHK_VOCAB, &schema_vocab_material, NULL, 0,
	 0},
	{"name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"number_of_donors", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, INT64_MAX},
	{"sex", SCH_LIST, 0, CHK_VOCAB, &schema_vocab_sex, NULL, 0, 0},
	{"size", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, INT64_MAX},
	{"storage_temperatures", SCH_LIST, 0, CHK_VOCAB, &vocab_temp, NULL, 0,
	 0},
	{"type", SCH_LIST, 0, CHK_VOCAB, &vocab_ctype, NULL, 0, 0},
};

static const struct sch_field fact_fields[] = {
	{"age_range", SCH_TEXT, 0, CHK_AGE_RANGE, NULL, NULL, 0, 0},
	{"availability", SCH_TEXT, 0, CHK_VOCAB, &schema_vocab_availability,
	 NULL, 0, 0},
	{"collection", SCH_TEXT, SCH_REQUIRED, CHK_NONE, NULL, NULL, 0, 0},
	{"disease", SCH_TEXT, 0, CHK_DISEASE, NULL, NULL, 0, 0},
	{"number_of_donors", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, INT64_MAX},
	{"number_of_samples", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, INT64_MAX},
	{"sample_type", SCH_TEXT, 0, CHK_VOCAB, &schema_vocab_material, NULL,
	 0, 0},
	{"sex", SCH_TEXT, 0, CHK_VOCAB, &schema_vocab_sex, NULL, 0, 0},
};

static const struct sch_field service_fields[] = {
	{"access_description", SCH_TEXT, 0, CHK_NONE, NULL,
	 "accessDescription", 0, 0},
	{"contact", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"description", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"device", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"name", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"service_types", SCH_LIST, 0, CHK_VOCAB, &vocab_service,
	 "serviceTypes", 0, 0},
	{"unit_of_access", SCH_TEXT, 0, CHK_NONE, NULL, "unitOfAccess", 0, 0},
	{"url", SCH_TEXT, 0, CHK_URL, NULL, NULL, 0, 0},
};

static const struct sch_field project_fields[] = {
	{"acronym", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"call", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"coordinator", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"end_date", SCH_TEXT, 0, CHK_DATE, NULL, NULL, 0, 0},
	{"eu_contribution", SCH_REAL, 0, CHK_NONE, NULL, NULL, 0, 0},
	/* roster slugs of the institutions among coordinator and partners,
	 * as matched by fetch (`biofed query projects --institution S`) */
	{"institutions", SCH_LIST, 0, CHK_SLUG, NULL, NULL, 0, 0},
	{"partners", SCH_LIST, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"programme", SCH_TEXT, SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"source", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"source_id", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"start_date", SCH_TEXT, 0, CHK_DATE, NULL, NULL, 0, 0},
	{"status", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"title", SCH_TEXT, SCH_REQUIRED | SCH_FTS, CHK_NONE, NULL, NULL, 0, 0},
	{"total_cost", SCH_REAL, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"url", SCH_TEXT, 0, CHK_URL, NULL, NULL, 0, 0},
};

static const struct sch_field sample_fields[] = {
	{"age", SCH_INT, 0, CHK_NONE, NULL, NULL, 0, 200},
	{"age_unit", SCH_TEXT, 0, CHK_VOCAB, &vocab_age_unit, NULL, 0, 0},
	{"collection", SCH_TEXT, SCH_REQUIRED, CHK_NONE, NULL, NULL, 0, 0},
	{"collection_date", SCH_TEXT, 0, CHK_DATE, NULL, NULL, 0, 0},
	{"diagnosis", SCH_TEXT, 0, CHK_DISEASE, NULL, NULL, 0, 0},
	{"donor_id", SCH_TEXT, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"material_type", SCH_TEXT, SCH_REQUIRED, CHK_VOCAB,
	 &schema_vocab_material, NULL, 0, 0},
	{"quantity", SCH_REAL, 0, CHK_NONE, NULL, NULL, 0, 0},
	{"sex", SCH_TEXT, 0, CHK_VOCAB, &schema_vocab_sex, NULL, 0, 0},
	{"status", SCH_TEXT, 0, CHK_VOCAB, &schema_vocab_availability, NULL, 0,
	 0},
	{"storage_temperature", SCH_TEXT, 0, CHK_VOCAB, &vocab_temp, NULL, 0,
	 0},
};

#define REP SCH_T_REPLICATED
#define PUB (SCH_T_REPLICATED | SCH_T_PUBLISH)

const struct sch_table schema_tables[] = {
	{"institution", "institutions", REP | SCH_T_COORDINATOR,
	 institution_fields, N(institution_fields)},
	{"research_group", "research_groups", PUB, group_fields,
	 N(group_fields)},
	{"person", "persons", PUB, person_fields, N(person_fields)},
	{"biobank", "biobanks", PUB, biobank_fields, N(biobank_fields)},
	{"collection", "collections", PUB, collection_fields,
	 N(collection_fields)},
	{"collection_fact", "collection_facts", PUB, fact_fields,
	 N(fact_fields)},
	{"service", "services", PUB, service_fields, N(service_fields)},
	{"project", "projects", PUB, project_fields, N(project_fields)},
	{"sample", "samples", SCH_T_LOCAL, sample_fields, N(sample_fields)},
};
const size_t schema_ntables = N(schema_tables);

const struct sch_table *schema_table(const char *name, size_t len)
{
	for (size_t i = 0; i < schema_ntables; i++) {
		const struct sch_table *t = &schema_tables[i];
		if ((strlen(t->name) == len && memcmp(t->name, name, len) == 0) ||
		    (strlen(t->plural) == len &&
		     strncasecmp(t->plural, name, len) == 0) ||
		    (strlen(t->name) == len &&
		     strncasecmp(t->name, name, len) == 0))
			return t;
	}
	return NULL;
}

int schema_field_index(const struct sch_table *t, const char *name,
		       size_t len)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		if ((strlen(f->name) == len && memcmp(f->name, name, len) == 0) ||
		    (f->alias && strlen(f->alias) == len &&
		     memcmp(f->alias, name, len) == 0))
			return (int)i;
	}
	return -1;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

int schema_is_disease_code(const char *s, size_t len)
{
	static const char urn[] = "urn:miriam:icd:";
	size_t i;

	if (len > 6 && memcmp(s, "ORPHA:", 6) == 0) {
		if (len - 6 > 7)
			return 0;
		for (i = 6; i < len; i++)
			if (!is_digit(s[i]))
				return 0;
		return 1;
	}
	if (len > sizeof(urn) - 1 && memcmp(s, urn, sizeof(urn) - 1) == 0) {
		s += sizeof(urn) - 1;
		len -= sizeof(urn) - 1;
	}
	/* ICD-10: letter, two digits (or digit + letter, as in C7A), then an
	 * optional dot and 1-4 more characters. */
	if (len < 3 || !is_upper(s[0]) || !is_digit(s[1]) ||
	    !(is_digit(s[2]) || is_upper(s[2])))
		return 0;
	if (len == 3)
		return 1;
	if (s[3] != '.' || len < 5 || len > 8)
		return 0;
	for (i = 4; i < len; i++)
		if (!is_digit(s[i]) && !is_upper(s[i]))
			return 0;
	return 1;
}

int schema_is_row_id(const char *s, size_t len)
{
	if (len == 0 || len > 256 || !bf_utf8_ok((const uint8_t *)s, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int check_date(const char *s, size_t len)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1800 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

static int check_age_range(const char *s, size_t len)
{
	size_t i = 0;
	int lo = 0, hi = 0, nlo = 0, nhi = 0;

	while (i < len && is_digit(s[i]) && nlo < 3)
		lo = lo * 10 + (s[i++] - '0'), nlo++;
	if (nlo == 0 || i >= len || s[i] != '-')
		return 0;
	i++;
	while (i < len && is_digit(s[i]) && nhi < 3)
		hi = hi * 10 + (s[i++] - '0'), nhi++;
	if (i != len)
		return 0;
	return nhi == 0 || hi >= lo;
}

static int check_endpoint(const char *s, size_t len)
{
	static const char pre[] = "tls+tcp://";
	const char *colon;

	if (len <= sizeof(pre) - 1 || memcmp(s, pre, sizeof(pre) - 1) != 0)
		return 0;
	colon = memrchr(s, ':', len);
	if (!colon || colon < s + sizeof(pre) || colon + 1 == s + len)
		return 0;
	for (const char *p = colon + 1; p < s + len; p++)
		if (!is_digit(*p))
			return 0;
	return 1;
}

int schema_check_text(const struct sch_field *f, const char *s, size_t len,
		      char *msg, size_t msglen)
{
	int ok = 1;
	const char *what = "";

	switch (f->check) {
	case CHK_NONE:
		return 0;
	case CHK_VOCAB:
		for (const char *const *t = f->vocab->terms; *t; t++)
			if ((*t)[0] == s[0] && strncmp(*t, s, len) == 0 &&
			    (*t)[len] == 0)
				return 0;
		snprintf(msg, msglen, "unknown %s \"%.*s\"", f->vocab->name,
			 (int)(len > 80 ? 80 : len), s);
		return BF_EINVAL;
	case CHK_DISEASE:
		ok = schema_is_disease_code(s, len);
		what = "not an ICD-10 or ORPHA code";
		break;
	case CHK_SLUG: {
		char tmp[80];
		ok = len < sizeof(tmp);
		if (ok) {
			memcpy(tmp, s, len);
			tmp[len] = 0;
			ok = bf_is_slug(tmp);
		}
		what = "not a slug (a-z, 0-9, '-')";
		break;
	}
	case CHK_DATE:
		ok = check_date(s, len);
		what = "not a date YYYY-MM-DD";
		break;
	case CHK_COUNTRY:
		ok = len == 2 && is_upper(s[0]) && is_upper(s[1]);
		what = "not an ISO 3166 two-letter country code";
		break;
	case CHK_HEX32: {
		ok = len == 64;
		for (size_t i = 0; ok && i < len; i++)
			ok = is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f');
		what = "not a 32-byte key in lower-case hex";
		break;
	}
	case CHK_URL:
		ok = (len > 7 && strncmp(s, "http://", 7) == 0) ||
		     (len > 8 && strncmp(s, "https://", 8) == 0);
		what = "not an http(s) URL";
		break;
	case CHK_ENDPOINT:
		ok = check_endpoint(s, len);
		what = "not an endpoint tls+tcp://HOST:PORT";
		break;
	case CHK_AGE_RANGE:
		ok = check_age_range(s, len);
		what = "not an age range such as 40-49 or 90-";
		break;
	}
	if (ok)
		return 0;
	snprintf(msg, msglen, "\"%.*s\" is %s", (int)(len > 80 ? 80 : len), s,
		 what);
	return BF_EINVAL;
}
