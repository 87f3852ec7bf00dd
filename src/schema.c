/*
 * schema: biofed's tables and fields (the BBMRI-ERIC Directory's names),
 * which Directory ontology each coded field takes its terms from, and the
 * checks that publish applies to values.  The terms themselves are data
 * (vocab.h, generated from src/directory/).
 */
#include "schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "vocab.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Vocabularies: the name messages use, and the Directory's ontology (or,
 * for sample availability, biofed's own three terms). */
static const char *const avail_terms[] = {"available", "exhausted",
					  "reserved", NULL};

#define SV(id, what, o)                                                   \
	static const struct sch_vocab sv_##id = {.name = what, .onto = o}
SV(access, "access type", &vocab_AccessTypes);
SV(age_range, "age range", &vocab_AgeRanges);
SV(age_unit, "age unit", &vocab_AgeUnits);
SV(assessment, "assessment level", &vocab_AssessmentLevels);
SV(body_part, "body part", &vocab_BodyParts);
SV(category, "category", &vocab_Categories);
SV(countries, "country", &vocab_Countries);
SV(ctype, "collection type", &vocab_CollectionTypes);
SV(data_refresh, "data refresh type", &vocab_DataRefreshTypes);
SV(dcat, "data category", &vocab_DataCategories);
SV(duo, "data use term", &vocab_DataUseOntologies);
SV(image_dataset, "image dataset type", &vocab_ImageDatasetTypes);
SV(imaging, "imaging modality", &vocab_ImagingModalities);
SV(language, "language", &vocab_Languages);
SV(network_element, "common network element",
   &vocab_CommonNetworkElements);
SV(quality, "quality standard", &vocab_QualityStandards);
SV(service, "service type", &vocab_ServiceTypes);
SV(size, "order of magnitude", &vocab_SampleSizes);
SV(sop, "SOP", &vocab_SOPs);
SV(temp, "storage temperature", &vocab_StorageTemperatureTypes);
SV(trl, "technology readiness level", &vocab_TRLs);
#undef SV
const struct sch_vocab schema_vocab_material = {
	.name = "material", .onto = &vocab_MaterialTypes};
const struct sch_vocab schema_vocab_sex = {.name = "sex",
					   .onto = &vocab_SexTypes};
const struct sch_vocab schema_vocab_availability = {.name = "availability",
						    .terms = avail_terms};
#define sv_material schema_vocab_material
#define sv_sex schema_vocab_sex
#define sv_availability schema_vocab_availability

/* The tables are laid out by hand, an entry's fields grouped on a few
 * lines: clang-format 14 would give each field a line of its own. */
/* clang-format off */

/* Fields of each table, in ascending byte order of their names. */

static const struct sch_field institution_fields[] = {
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "city", .type = SCH_TEXT},
	{.name = "country", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_COUNTRY},
	{.name = "endpoint", .type = SCH_TEXT, .check = CHK_ENDPOINT},
	{.name = "key_from", .type = SCH_INT, .min = 1, .max = INT64_MAX},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "old_keys", .type = SCH_LIST},
	{.name = "region", .type = SCH_TEXT},
	{.name = "revoked_from", .type = SCH_INT, .min = 1, .max = INT64_MAX},
	{.name = "sign_key", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_HEX32},
	{.name = "tls_cert", .type = SCH_TEXT},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
};

static const struct sch_field group_fields[] = {
	{.name = "areas", .type = SCH_LIST, .flags = SCH_FTS},
	{.name = "contact", .type = SCH_TEXT},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "keywords", .type = SCH_LIST, .flags = SCH_FTS},
	{.name = "lead", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
};

static const struct sch_field person_fields[] = {
	{.name = "address", .type = SCH_TEXT, .since = 2},
	{.name = "city", .type = SCH_TEXT, .since = 2},
	{.name = "country", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_countries, .since = 2},
	{.name = "email", .type = SCH_TEXT},
	{.name = "first_name", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "full_name", .type = SCH_TEXT, .flags = SCH_FTS, .since = 2},
	{.name = "last_name", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT, .since = 2},
	{.name = "orcid", .type = SCH_TEXT},
	{.name = "phone", .type = SCH_TEXT},
	{.name = "research_group", .type = SCH_TEXT},
	{.name = "role", .type = SCH_TEXT},
	{.name = "title", .type = SCH_TEXT},
	{.name = "title_after_name", .type = SCH_TEXT, .since = 2},
	{.name = "title_before_name", .type = SCH_TEXT, .since = 2},
	{.name = "zip", .type = SCH_TEXT, .since = 2},
};

static const struct sch_field biobank_fields[] = {
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "also_known", .type = SCH_LIST, .since = 2},
	{.name = "capabilities", .type = SCH_LIST},
	{.name = "collaboration_commercial", .type = SCH_BOOL, .since = 2},
	{.name = "collaboration_non_for_profit", .type = SCH_BOOL, .since = 2},
	{.name = "contact", .type = SCH_TEXT},
	{.name = "country", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_countries},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "head", .type = SCH_TEXT, .since = 2},
	{.name = "juridical_person", .type = SCH_TEXT},
	{.name = "latitude", .type = SCH_REAL},
	{.name = "location", .type = SCH_TEXT, .flags = SCH_FTS, .since = 2},
	{.name = "longitude", .type = SCH_REAL},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT, .since = 2},
	{.name = "network", .type = SCH_LIST, .since = 2},
	{.name = "pid", .type = SCH_TEXT, .since = 2},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
	{.name = "withdrawn", .type = SCH_BOOL, .since = 2},
};

static const struct sch_field collection_fields[] = {
	{.name = "access_description", .type = SCH_TEXT},
	{.name = "access_fee", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_access, .since = 2},
	{.name = "access_joint_project", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_access, .since = 2},
	{.name = "access_uri", .type = SCH_TEXT, .since = 2},
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS, .since = 2},
	{.name = "age_high", .type = SCH_INT, .min = 0, .max = 200},
	{.name = "age_low", .type = SCH_INT, .min = 0, .max = 200},
	{.name = "age_unit", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_age_unit},
	{.name = "also_known", .type = SCH_LIST, .since = 2},
	{.name = "biobank", .type = SCH_TEXT, .flags = SCH_REQUIRED,
	 .ref = "biobank"},
	{.name = "biobank_label", .type = SCH_TEXT, .since = 2},
	{.name = "body_part_examined", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_body_part, .since = 2},
	{.name = "categories", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_category, .since = 2},
	{.name = "collaboration_commercial", .type = SCH_BOOL, .since = 2},
	{.name = "collaboration_non_for_profit", .type = SCH_BOOL, .since = 2},
	{.name = "combined_quality", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_assessment, .since = 2},
	{.name = "commercial_use", .type = SCH_BOOL, .since = 2},
	{.name = "contact", .type = SCH_TEXT},
	{.name = "country", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_countries, .since = 2},
	{.name = "data_categories", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_dcat},
	{.name = "data_use", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_duo, .since = 2},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "diagnosis_available", .type = SCH_LIST,
	 .flags = SCH_FTS, .check = CHK_DISEASE},
	{.name = "duc_profile", .type = SCH_TEXT, .since = 2},
	{.name = "head", .type = SCH_TEXT, .since = 2},
	{.name = "image_dataset_type", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_image_dataset, .since = 2},
	{.name = "imaging_modality", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_imaging, .since = 2},
	{.name = "keywords", .type = SCH_LIST, .flags = SCH_FTS, .since = 2},
	{.name = "language", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_language, .since = 2},
	{.name = "latitude", .type = SCH_REAL, .since = 2},
	{.name = "location", .type = SCH_TEXT, .flags = SCH_FTS, .since = 2},
	{.name = "longitude", .type = SCH_REAL, .since = 2},
	{.name = "materials", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_material},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT, .since = 2},
	{.name = "network", .type = SCH_LIST, .since = 2},
	{.name = "number_of_donors", .type = SCH_INT,
	 .min = 0, .max = INT64_MAX},
	{.name = "order_of_magnitude", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_size, .since = 2},
	{.name = "order_of_magnitude_donors", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_size, .since = 2},
	{.name = "parent_collection", .type = SCH_TEXT, .ref = "collection",
	 .since = 2},
	{.name = "sex", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_sex},
	{.name = "size", .type = SCH_INT, .min = 0, .max = INT64_MAX},
	{.name = "sop", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_sop, .since = 2},
	{.name = "storage_temperatures", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_temp},
	{.name = "studies", .type = SCH_LIST, .since = 2},
	{.name = "type", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_ctype},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL, .since = 2},
	{.name = "withdrawn", .type = SCH_BOOL, .since = 2},
};

static const struct sch_field fact_fields[] = {
	{.name = "age_range", .type = SCH_TEXT,
	 .check = CHK_AGE_RANGE, .vocab = &sv_age_range},
	{.name = "availability", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_availability},
	{.name = "collection", .type = SCH_TEXT, .flags = SCH_REQUIRED,
	 .ref = "collection"},
	{.name = "disease", .type = SCH_TEXT, .check = CHK_DISEASE},
	{.name = "last_update", .type = SCH_TEXT, .check = CHK_DATE,
	 .since = 2},
	{.name = "national_node", .type = SCH_TEXT, .since = 2},
	{.name = "number_of_donors", .type = SCH_INT,
	 .min = 0, .max = INT64_MAX},
	{.name = "number_of_samples", .type = SCH_INT,
	 .min = 0, .max = INT64_MAX},
	{.name = "sample_type", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_material},
	{.name = "sex", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_sex},
};

static const struct sch_field service_fields[] = {
	{.name = "access_description", .type = SCH_TEXT,
	 .alias = "accessDescription"},
	{.name = "access_description_url", .type = SCH_TEXT,
	 .alias = "accessDescriptionUrl", .since = 2},
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS, .since = 2},
	{.name = "biobank", .type = SCH_TEXT, .ref = "biobank", .since = 2},
	{.name = "contact", .type = SCH_TEXT},
	{.name = "contact_information", .type = SCH_TEXT,
	 .alias = "contactInformation", .since = 2},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "description_url", .type = SCH_TEXT,
	 .alias = "descriptionUrl", .since = 2},
	{.name = "device", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "device_system", .type = SCH_TEXT, .alias = "deviceSystem",
	 .since = 2},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT, .since = 2},
	{.name = "service_types", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_service, .alias = "serviceTypes"},
	{.name = "trl", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_trl, .alias = "tRL", .since = 2},
	{.name = "unit_cost", .type = SCH_TEXT, .alias = "unitCost",
	 .since = 2},
	{.name = "unit_of_access", .type = SCH_TEXT, .alias = "unitOfAccess"},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
};

static const struct sch_field project_fields[] = {
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "call", .type = SCH_TEXT},
	{.name = "coordinator", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "end_date", .type = SCH_TEXT, .check = CHK_DATE},
	{.name = "eu_contribution", .type = SCH_REAL},
	/* roster slugs of the institutions among coordinator and partners,
	 * as matched by fetch (`biofed query projects --institution S`) */
	{.name = "institutions", .type = SCH_LIST, .check = CHK_SLUG},
	{.name = "partners", .type = SCH_LIST, .flags = SCH_FTS},
	{.name = "programme", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "source", .type = SCH_TEXT},
	{.name = "source_id", .type = SCH_TEXT},
	{.name = "start_date", .type = SCH_TEXT, .check = CHK_DATE},
	{.name = "status", .type = SCH_TEXT},
	{.name = "title", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "total_cost", .type = SCH_REAL},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
};

static const struct sch_field network_fields[] = {
	{.name = "acronym", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "also_known", .type = SCH_LIST},
	{.name = "common_network_elements", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_network_element},
	{.name = "contact", .type = SCH_TEXT},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "juridical_person", .type = SCH_TEXT},
	{.name = "latitude", .type = SCH_REAL},
	{.name = "location", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "longitude", .type = SCH_REAL},
	{.name = "name", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT},
	{.name = "url", .type = SCH_TEXT, .check = CHK_URL},
	{.name = "withdrawn", .type = SCH_BOOL},
};

static const struct sch_field study_fields[] = {
	{.name = "age_high", .type = SCH_INT, .min = 0, .max = 200},
	{.name = "age_low", .type = SCH_INT, .min = 0, .max = 200},
	{.name = "age_unit", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_age_unit},
	{.name = "also_known", .type = SCH_LIST},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_FTS},
	{.name = "national_node", .type = SCH_TEXT},
	{.name = "number_of_subjects", .type = SCH_INT,
	 .min = 0, .max = INT64_MAX},
	{.name = "sex", .type = SCH_LIST,
	 .check = CHK_VOCAB, .vocab = &sv_sex},
	{.name = "title", .type = SCH_TEXT, .flags = SCH_REQUIRED | SCH_FTS},
	{.name = "type", .type = SCH_TEXT},
};

static const struct sch_field qbiobank_fields[] = {
	{.name = "assess_level_bio", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_assessment},
	{.name = "biobank", .type = SCH_TEXT, .flags = SCH_REQUIRED,
	 .ref = "biobank"},
	{.name = "certification_image_link", .type = SCH_TEXT},
	{.name = "certification_number", .type = SCH_TEXT},
	{.name = "certification_report", .type = SCH_TEXT},
	{.name = "quality_standard", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_quality},
};

static const struct sch_field qcollection_fields[] = {
	{.name = "assess_level_col", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_assessment},
	{.name = "certification_image_link", .type = SCH_TEXT},
	{.name = "certification_number", .type = SCH_TEXT},
	{.name = "certification_report", .type = SCH_TEXT},
	{.name = "collection", .type = SCH_TEXT, .flags = SCH_REQUIRED,
	 .ref = "collection"},
	{.name = "quality_standard", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_quality},
};

static const struct sch_field qservice_fields[] = {
	{.name = "assessment_level", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_assessment,
	 .alias = "assessmentLevel"},
	{.name = "certification_image_link", .type = SCH_TEXT,
	 .alias = "certificationImageLink"},
	{.name = "certification_number", .type = SCH_TEXT,
	 .alias = "certificationNumber"},
	{.name = "certification_report", .type = SCH_TEXT,
	 .alias = "certificationReport"},
	{.name = "quality_standard", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_quality,
	 .alias = "qualityStandard"},
	{.name = "service", .type = SCH_TEXT, .flags = SCH_REQUIRED,
	 .ref = "service"},
};

static const struct sch_field aka_fields[] = {
	{.name = "label", .type = SCH_TEXT},
	{.name = "name_system", .type = SCH_TEXT, .flags = SCH_REQUIRED},
	{.name = "national_node", .type = SCH_TEXT},
	{.name = "pid", .type = SCH_TEXT},
	{.name = "url", .type = SCH_TEXT},
};

static const struct sch_field nnode_fields[] = {
	{.name = "contact_persons", .type = SCH_LIST},
	{.name = "data_refresh", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_data_refresh},
	{.name = "date_end", .type = SCH_TEXT, .check = CHK_DATE},
	{.name = "date_start", .type = SCH_TEXT, .check = CHK_DATE},
	{.name = "description", .type = SCH_TEXT, .flags = SCH_REQUIRED},
	{.name = "dns", .type = SCH_TEXT},
};

static const struct sch_field sample_fields[] = {
	{.name = "age", .type = SCH_INT, .min = 0, .max = 200},
	{.name = "age_unit", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_age_unit},
	{.name = "collection", .type = SCH_TEXT, .flags = SCH_REQUIRED},
	{.name = "collection_date", .type = SCH_TEXT, .check = CHK_DATE},
	{.name = "diagnosis", .type = SCH_TEXT, .check = CHK_DISEASE},
	{.name = "donor_id", .type = SCH_TEXT},
	{.name = "material_type", .type = SCH_TEXT,
	 .flags = SCH_REQUIRED, .check = CHK_VOCAB, .vocab = &sv_material},
	{.name = "quantity", .type = SCH_REAL},
	{.name = "sex", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_sex},
	{.name = "status", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_availability},
	{.name = "storage_temperature", .type = SCH_TEXT,
	 .check = CHK_VOCAB, .vocab = &sv_temp},
};

#define REP SCH_T_REPLICATED
#define PUB (SCH_T_REPLICATED | SCH_T_PUBLISH)
#define T(nm, pl, ex, fl, f) \
	{.name = nm, .plural = pl, .export = ex, .flags = fl, .fields = f, \
	 .nfields = N(f)}

const struct sch_table schema_tables[] = {
	T("institution", "institutions", NULL, REP | SCH_T_COORDINATOR,
	  institution_fields),
	T("research_group", "research_groups", NULL, PUB, group_fields),
	T("person", "persons", "Persons", PUB, person_fields),
	T("biobank", "biobanks", "Biobanks", PUB, biobank_fields),
	T("collection", "collections", "Collections", PUB, collection_fields),
	T("collection_fact", "collection_facts", "CollectionFacts", PUB,
	  fact_fields),
	T("service", "services", "Services", PUB, service_fields),
	T("project", "projects", NULL, PUB, project_fields),
	T("sample", "samples", NULL, SCH_T_LOCAL, sample_fields),
	/* schema version 2 */
	T("network", "networks", "Networks", PUB, network_fields),
	T("study", "studies", "Studies", PUB, study_fields),
	T("quality_info_biobank", "quality_info_biobanks",
	  "QualityInfoBiobanks", PUB, qbiobank_fields),
	T("quality_info_collection", "quality_info_collections",
	  "QualityInfoCollections", PUB, qcollection_fields),
	T("quality_info_service", "quality_info_services",
	  "QualityInfoServices", PUB, qservice_fields),
	T("also_known_in", "also_known_in", "AlsoKnownIn", PUB, aka_fields),
	T("national_node", "national_nodes", "NationalNodes", PUB,
	  nnode_fields),
};
#undef T
/* clang-format on */
const size_t schema_ntables = N(schema_tables);

static int name_is(const char *a, const char *s, size_t len, int icase)
{
	return a && strlen(a) == len &&
	       (icase ? strncasecmp(a, s, len) : memcmp(a, s, len)) == 0;
}

const struct sch_table *schema_table(const char *name, size_t len)
{
	for (size_t i = 0; i < schema_ntables; i++) {
		const struct sch_table *t = &schema_tables[i];
		if (name_is(t->name, name, len, 1) ||
		    name_is(t->plural, name, len, 1) ||
		    name_is(t->export, name, len, 1))
			return t;
	}
	return NULL;
}

int schema_field_index(const struct sch_table *t, const char *name,
		       size_t len)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		if (name_is(f->name, name, len, 0) ||
		    name_is(f->alias, name, len, 0))
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

/* ", did you mean A, B or C?" of the terms nearest to s, or "". */
static void nearest_terms(const struct vocab *v, const char *s, size_t len,
			  const char *lead, char *out, size_t outlen)
{
	long near[3];
	size_t n = vocab_nearest(v, s, len, near, 3), at = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && at < outlen; i++) {
		int k = snprintf(out + at, outlen - at, "%s%s",
				 i == 0       ? lead
				 : i + 1 == n ? " or "
					      : ", ",
				 v->terms[near[i]].name);
		if (k < 0)
			break;
		at += (size_t)k;
	}
	if (n && at < outlen)
		snprintf(out + at, outlen - at, "?");
}

static int check_term(const struct sch_vocab *sv, const char *s, size_t len,
		      unsigned flags, const char **out, size_t *outlen,
		      char *msg, size_t msglen)
{
	char near[200] = "";

	if (sv->onto) {
		long i = vocab_find(sv->onto, s, len);
		if (i >= 0) {
			*out = sv->onto->terms[i].name;
			*outlen = strlen(*out);
			return 0;
		}
		if (!(flags & SCH_NO_HINTS))
			nearest_terms(sv->onto, s, len, ", did you mean ", near,
				      sizeof(near));
	} else {
		for (const char *const *t = sv->terms; *t; t++)
			if (strlen(*t) == len && !strncasecmp(*t, s, len)) {
				*out = *t;
				*outlen = len;
				return 0;
			}
		near[0] = 0;
	}
	snprintf(msg, msglen, "unknown %s \"%.*s\"%s", sv->name,
		 (int)(len > 80 ? 80 : len), s, near);
	return BF_EINVAL;
}

static int check_disease(const char *s, size_t len, unsigned flags,
			 const char **out, size_t *outlen, char *msg,
			 size_t msglen)
{
	long i = vocab_find(&vocab_DiseaseTypes, s, len);
	char near[200] = "";
	int orpha = len > 6 && !strncasecmp(s, "ORPHA:", 6);

	if (i >= 0) {
		*out = vocab_DiseaseTypes.terms[i].name;
		*outlen = strlen(*out);
		return 0;
	}
	if (!(flags & SCH_NO_HINTS))
		nearest_terms(&vocab_DiseaseTypes, s, len, " (nearest known: ",
			      near, sizeof(near) - 1);
	if (near[0])
		near[strlen(near) - 1] = ')'; /* the '?' */
	if (orpha || schema_is_disease_code(s, len))
		snprintf(msg, msglen, "unknown %s code \"%.*s\"%s",
			 orpha ? "ORPHA" : "ICD-10", (int)(len > 80 ? 80 : len),
			 s, near);
	else
		snprintf(msg, msglen,
			 "\"%.*s\" is not an ICD-10 or ORPHA code%s",
			 (int)(len > 80 ? 80 : len), s, near);
	return BF_EINVAL;
}

int schema_value(const struct sch_field *f, const char *s, size_t len,
		 unsigned flags, const char **out, size_t *outlen, char *msg,
		 size_t msglen)
{
	int ok = 1;
	const char *what = "";

	*out = s;
	*outlen = len;
	switch (f->check) {
	case CHK_NONE:
		return 0;
	case CHK_VOCAB:
		if (flags & SCH_NO_TERMS)
			return 0;
		return check_term(f->vocab, s, len, flags, out, outlen, msg,
				  msglen);
	case CHK_DISEASE:
		if (flags & SCH_NO_TERMS) {
			/* the stored form only: what the lookup costs is
			 * what SCH_NO_TERMS measures */
			if (len > 15 && !strncasecmp(s, "urn:miriam:icd:", 15)) {
				*out = s + 15;
				*outlen = len - 15;
			}
			return 0;
		}
		return check_disease(s, len, flags, out, outlen, msg, msglen);
	case CHK_AGE_RANGE:
		/* biofed's decades, or the Directory's terms */
		if (check_age_range(s, len) || (flags & SCH_NO_TERMS))
			return 0;
		if (check_term(f->vocab, s, len, flags, out, outlen, msg,
			       msglen) == 0)
			return 0;
		ok = 0;
		what = "not an age range such as 40-49 or 90-, nor one of the "
		       "Directory's (Adult, Aged (65-79 years), *...)";
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
	}
	if (ok)
		return 0;
	snprintf(msg, msglen, "\"%.*s\" is %s", (int)(len > 80 ? 80 : len), s,
		 what);
	return BF_EINVAL;
}

int schema_check_text(const struct sch_field *f, const char *s, size_t len,
		      char *msg, size_t msglen)
{
	const char *out;
	size_t outlen;

	return schema_value(f, s, len, 0, &out, &outlen, msg, msglen);
}

/* The candidate c if it is nearer to name than *best so far. */
static void nearer(const char *c, const char *name, size_t len,
		   const char **best, size_t *bestd)
{
	size_t d;

	if (!c)
		return;
	d = vocab_distance(name, len, c, strlen(c), *bestd);
	if (d < *bestd) {
		*bestd = d;
		*best = c;
	}
}

const char *schema_typo_of(const struct sch_table *t, const char *name,
			   size_t len)
{
	const struct vocab_table *m = t->export ? vocab_table(t->export)
						: NULL;
	/* one edit for short names (age vs sex is two), two for longer */
	size_t limit = len <= 5 ? 1 : 2, bestd = limit + 1;
	const char *best = NULL;

	for (size_t i = 0; i < t->nfields; i++) {
		nearer(t->fields[i].name, name, len, &best, &bestd);
		nearer(t->fields[i].alias, name, len, &best, &bestd);
	}
	for (size_t i = 0; m && i < m->ncols; i++)
		nearer(m->cols[i].name, name, len, &best, &bestd);
	nearer("id", name, len, &best, &bestd);
	return bestd <= limit ? best : NULL;
}
