/*
 * vocabgen: compiles the Directory's ontologies and model (src/directory)
 * into C tables for src/vocab.h.  A build tool: run by the Makefile as
 *
 *     vocabgen src/directory build/gen/vocab_data.c
 *
 * It fails (and the build with it) on anything it cannot place: a file
 * without a name column, two terms that differ only in case, a model
 * column of an unknown type or naming an ontology that is not there.
 * Parent and mapping references to terms the ontology does not hold are
 * dropped and counted on stderr (the Directory's files have a few).
 */
#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ICD_URN "urn:miriam:icd:"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						     noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("vocabgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	if (n)
		memcpy(d, s, n);
	d[n] = 0;
	return d;
}

/* --- a whole CSV file as rows of strings ------------------------------ */

struct table {
	char ***rows; /* rows[r][c], NUL-terminated cells */
	size_t *ncells;
	size_t nrows, cap;
	char **cur;
	size_t ncur, capcur;
};

static void on_cell(void *s, size_t n, void *vt)
{
	struct table *t = vt;

	if (t->ncur == t->capcur) {
		t->capcur = t->capcur ? t->capcur * 2 : 16;
		t->cur = xrealloc(t->cur, t->capcur * sizeof(*t->cur));
	}
	t->cur[t->ncur++] = xstrndup(s, n);
}

static void on_row(int c, void *vt)
{
	struct table *t = vt;

	(void)c;
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
		t->ncells = xrealloc(t->ncells, t->cap * sizeof(*t->ncells));
	}
	t->rows[t->nrows] = t->cur;
	t->ncells[t->nrows++] = t->ncur;
	t->cur = NULL;
	t->ncur = t->capcur = 0;
}

static void read_csv(const char *path, struct table *t)
{
	struct csv_parser p;
	char buf[65536];
	size_t n, first = 1;
	FILE *f = fopen(path, "rb");

	if (!f)
		die("%s: %s", path, strerror(errno));
	memset(t, 0, sizeof(*t));
	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
		die("out of memory");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *s = buf;
		if (first && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			n -= 3;
		}
		first = 0;
		if (csv_parse(&p, s, n, on_cell, on_row, t) != n)
			die("%s: %s", path, csv_strerror(csv_error(&p)));
	}
	if (csv_fini(&p, on_cell, on_row, t) != 0)
		die("%s: %s", path, csv_strerror(csv_error(&p)));
	csv_free(&p);
	fclose(f);
	if (t->nrows == 0)
		die("%s: empty", path);
}

static long column(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->ncells[0]; i++)
		if (t->rows[0][i] && !strcmp(t->rows[0][i], name))
			return (long)i;
	return -1;
}

static const char *cell(const struct table *t, size_t r, long c)
{
	if (c < 0 || (size_t)c >= t->ncells[r] || !t->rows[r][c])
		return "";
	return t->rows[r][c];
}

/* --- ontologies -------------------------------------------------------- */

static int fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* vocab_cmp of src/vocab.c, which the generated order must match */
static int term_cmp(const char *a, const char *b)
{
	size_t i;

	for (i = 0; a[i] && b[i]; i++)
		if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
			return fold((unsigned char)a[i]) -
			       fold((unsigned char)b[i]);
	if (a[i] || b[i])
		return a[i] ? 1 : -1;
	return strcmp(a, b);
}

struct term {
	char *name, *label;
	char *refs[4]; /* parent, exact, btnt, ntbt: comma-separated */
	uint32_t *up, *down, *map;
	size_t nup, ndown, nmap;
	int32_t age_lo, age_hi;
};

struct onto {
	char *name;
	struct term *terms;
	size_t n;
	size_t dropped;
};

static struct onto *ontos;
static size_t nontos;

static const char *canonical(const struct onto *o, const char *s)
{
	if (!strcmp(o->name, "DiseaseTypes") &&
	    !strncmp(s, ICD_URN, sizeof(ICD_URN) - 1))
		return s + sizeof(ICD_URN) - 1;
	return s;
}

static int term_qsort(const void *a, const void *b)
{
	return term_cmp(((const struct term *)a)->name,
			((const struct term *)b)->name);
}

static long find_term(const struct onto *o, const char *s)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = term_cmp(o->terms[mid].name, s);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void add_link(uint32_t **v, size_t *n, uint32_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = x;
}

/* "(25-44 years)", "(0-1 months)", "(>80 years)" in an age range's label */
static void age_bounds(struct term *t)
{
	const char *p = strchr(t->label, '(');
	long a, b = -1;
	char *end;
	int open = 0;

	t->age_lo = t->age_hi = -1;
	if (!p)
		return;
	p++;
	if (*p == '>') {
		open = 1;
		p++;
	}
	a = strtol(p, &end, 10);
	if (end == p)
		return;
	p = end;
	if (!open) {
		if (*p != '-')
			return;
		b = strtol(p + 1, &end, 10);
		if (end == p + 1)
			return;
		p = end;
	}
	if (!strncmp(p, " years)", 7)) {
		t->age_lo = (int32_t)(a * 12);
		t->age_hi = open ? -2 : (int32_t)(b * 12 + 11);
	} else if (!strncmp(p, " months)", 8) && !open) {
		t->age_lo = (int32_t)a;
		t->age_hi = (int32_t)b;
	}
}

static void load_onto(const char *dir, const char *file)
{
	static const char *const refcols[4] = {
		"parent", "exact_mapping", "btnt_mapping", "ntbt_mapping"};
	char path[4096];
	struct table t;
	struct onto *o;
	long cname, clabel, cref[4];

	snprintf(path, sizeof(path), "%s/ontologies/%s", dir, file);
	read_csv(path, &t);
	ontos = xrealloc(ontos, (nontos + 1) * sizeof(*ontos));
	o = &ontos[nontos++];
	memset(o, 0, sizeof(*o));
	o->name = xstrndup(file, strlen(file) - 4);
	cname = column(&t, "name");
	clabel = column(&t, "label");
	for (int k = 0; k < 4; k++)
		cref[k] = column(&t, refcols[k]);
	if (cname < 0)
		die("%s: no name column", path);
	o->terms = xrealloc(NULL, t.nrows * sizeof(*o->terms));
	for (size_t r = 1; r < t.nrows; r++) {
		const char *nm = canonical(o, cell(&t, r, cname));
		struct term *tm;

		if (!*nm)
			continue;
		tm = &o->terms[o->n++];
		memset(tm, 0, sizeof(*tm));
		tm->name = xstrndup(nm, strlen(nm));
		tm->label = xstrndup(cell(&t, r, clabel),
				     strlen(cell(&t, r, clabel)));
		for (int k = 0; k < 4; k++)
			tm->refs[k] = xstrndup(cell(&t, r, cref[k]),
					       strlen(cell(&t, r, cref[k])));
		tm->age_lo = tm->age_hi = -1;
		if (!strcmp(o->name, "AgeRanges"))
			age_bounds(tm);
	}
	qsort(o->terms, o->n, sizeof(*o->terms), term_qsort);
	for (size_t i = 1; i < o->n; i++)
		if (!term_cmp(o->terms[i - 1].name, o->terms[i].name) ||
		    !strcasecmp(o->terms[i - 1].name, o->terms[i].name))
			die("%s: terms \"%s\" and \"%s\" differ only in case",
			    path, o->terms[i - 1].name, o->terms[i].name);
	/* resolve parents and mappings now that the terms are sorted */
	for (size_t i = 0; i < o->n; i++) {
		struct term *tm = &o->terms[i];

		for (int k = 0; k < 4; k++) {
			char *s = tm->refs[k], *tok, *save = NULL;

			for (tok = strtok_r(s, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				long j;

				while (*tok == ' ')
					tok++;
				j = find_term(o, canonical(o, tok));
				if (j < 0 || (size_t)j == i) {
					o->dropped += j < 0;
					continue;
				}
				if (k == 0) {
					add_link(&tm->up, &tm->nup, (uint32_t)j);
					add_link(&o->terms[j].down,
						 &o->terms[j].ndown,
						 (uint32_t)i);
				} else {
					add_link(&tm->map, &tm->nmap,
						 (uint32_t)j);
					add_link(&o->terms[j].map,
						 &o->terms[j].nmap,
						 (uint32_t)i);
				}
			}
		}
	}
	if (o->dropped)
		fprintf(stderr,
			"vocabgen: %s: %zu references to terms it does not "
			"hold dropped\n",
			o->name, o->dropped);
	for (size_t r = 0; r < t.nrows; r++) {
		for (size_t c = 0; c < t.ncells[r]; c++)
			free(t.rows[r][c]);
		free(t.rows[r]);
	}
	free(t.rows);
	free(t.ncells);
}

static int name_qsort(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --- output ------------------------------------------------------------ */

static FILE *out;
static size_t pool_len, line_len;

/* Appends s (with its NUL) to the string pool being written and returns
 * its offset.  Octal escapes: they end after three digits, whatever
 * follows. */
static size_t pool_add(const char *s)
{
	size_t off = pool_len;

	if (line_len == 0)
		fputs("\t\"", out);
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		if (*p == 0)
			fputs("\\000", out), line_len += 4;
		else if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p), line_len += 2;
		else if (*p < 0x20 || *p == 0x7f || *p == '?')
			fprintf(out, "\\%03o", *p), line_len += 4;
		else
			fputc(*p, out), line_len++;
		pool_len++;
		if (*p == 0)
			break;
	}
	if (line_len > 70) {
		fputs("\"\n", out);
		line_len = 0;
	}
	return off;
}

/* vocab_hash of src/vocab.c, which must give the same */
static uint32_t fold_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint32_t)fold((unsigned char)*s)) * 16777619u;
	return h;
}

static uint32_t write_slots(const struct onto *o)
{
	uint32_t cap = 8, *slots;

	while (cap < 2 * o->n)
		cap *= 2;
	slots = xrealloc(NULL, cap * sizeof(*slots));
	memset(slots, 0, cap * sizeof(*slots));
	for (size_t i = 0; i < o->n; i++) {
		uint32_t j = fold_hash(o->terms[i].name) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = (uint32_t)i + 1;
	}
	fprintf(out, "static const uint32_t H_%s[] = {", o->name);
	for (uint32_t j = 0; j < cap; j++)
		fprintf(out, "%s%u", !j ? "\n\t" : j % 16 ? ", " : ",\n\t",
			slots[j]);
	fputs("\n};\n", out);
	free(slots);
	return cap - 1;
}

static void write_links(const struct onto *o, size_t *nlinks)
{
	size_t k = 0;

	fprintf(out, "static const uint32_t L_%s[] = {", o->name);
	for (size_t i = 0; i < o->n; i++) {
		const struct term *t = &o->terms[i];
		const uint32_t *lists[3] = {t->up, t->down, t->map};
		size_t ns[3] = {t->nup, t->ndown, t->nmap};

		for (int l = 0; l < 3; l++)
			for (size_t j = 0; j < ns[l]; j++)
				fprintf(out, "%s%u",
					!k ? "\n\t" : k % 16 ? ", " : ",\n\t",
					lists[l][j]), k++;
	}
	if (k == 0)
		fputs("0", out);
	fputs("\n};\n", out);
	*nlinks = k;
}

static const struct onto *onto_named(const char *name)
{
	for (size_t i = 0; i < nontos; i++)
		if (!strcmp(ontos[i].name, name))
			return &ontos[i];
	return NULL;
}

struct col {
	const char *table, *name, *type, *onto, *ref;
};

static const char *model_type(const char *type, const char *schema,
			      const char *reftable, const char **onto,
			      const char **ref)
{
	int dirontos = !strcmp(schema, "DirectoryOntologies");

	*onto = *ref = NULL;
	if (!*type || !strcmp(type, "string") || !strcmp(type, "text") ||
	    !strcmp(type, "email") || !strcmp(type, "hyperlink") ||
	    !strcmp(type, "datetime") || !strcmp(type, "auto_id"))
		return "VC_STRING";
	if (!strcmp(type, "int"))
		return "VC_INT";
	if (!strcmp(type, "decimal"))
		return "VC_DECIMAL";
	if (!strcmp(type, "bool"))
		return "VC_BOOL";
	if (!strcmp(type, "date"))
		return "VC_DATE";
	if (!strcmp(type, "string_array") || !strcmp(type, "hyperlink_array"))
		return "VC_LIST";
	if (!strcmp(type, "ontology") || (!strcmp(type, "ref") && dirontos)) {
		*onto = reftable;
		return "VC_TERM";
	}
	if (!strcmp(type, "ontology_array") ||
	    (!strcmp(type, "ref_array") && dirontos)) {
		*onto = reftable;
		return "VC_TERMS";
	}
	if (!strcmp(type, "ref")) {
		*ref = reftable;
		return "VC_REF";
	}
	if (!strcmp(type, "ref_array")) {
		*ref = reftable;
		return "VC_LIST";
	}
	return NULL;
}

static void write_model(const char *dir)
{
	char path[4096];
	struct table t;
	long ct, cc, cty, cs, cr;
	size_t ntables = 0, *counts = NULL;
	char **tables = NULL;

	snprintf(path, sizeof(path), "%s/molgenis.csv", dir);
	read_csv(path, &t);
	ct = column(&t, "tableName");
	cc = column(&t, "columnName");
	cty = column(&t, "columnType");
	cs = column(&t, "refSchema");
	cr = column(&t, "refTable");
	if (ct < 0 || cc < 0 || cty < 0 || cs < 0 || cr < 0)
		die("%s: not an EMX2 model (tableName, columnName, "
		    "columnType, refSchema, refTable)",
		    path);
	for (size_t r = 1; r < t.nrows; r++) {
		const char *tn = cell(&t, r, ct);
		int seen = 0;

		for (size_t i = 0; i < ntables && !seen; i++)
			seen = !strcmp(tables[i], tn);
		if (!seen && *tn) {
			tables = xrealloc(tables, (ntables + 1) * sizeof(*tables));
			tables[ntables++] = (char *)tn;
		}
	}
	qsort(tables, ntables, sizeof(*tables), name_qsort);
	counts = xrealloc(NULL, ntables * sizeof(*counts));
	for (size_t i = 0; i < ntables; i++) {
		size_t n = 0;

		fprintf(out, "static const struct vocab_column M_%s[] = {\n",
			tables[i]);
		for (size_t r = 1; r < t.nrows; r++) {
			const char *type = cell(&t, r, cty), *vt, *onto, *ref;

			if (strcmp(cell(&t, r, ct), tables[i]) ||
			    !*cell(&t, r, cc) || !strcmp(type, "heading") ||
			    !strcmp(type, "refback"))
				continue;
			vt = model_type(type, cell(&t, r, cs), cell(&t, r, cr),
					&onto, &ref);
			if (!vt)
				die("%s:%zu: column type \"%s\" unknown", path,
				    r + 1, type);
			if (onto && !onto_named(onto))
				die("%s:%zu: ontology %s is not in "
				    "ontologies/",
				    path, r + 1, onto);
			fprintf(out, "\t{\"%s\", %s, ", cell(&t, r, cc), vt);
			if (onto)
				fprintf(out, "&vocab_%s, ", onto);
			else
				fputs("NULL, ", out);
			if (ref && *ref)
				fprintf(out, "\"%s\"},\n", ref);
			else
				fputs("NULL},\n", out);
			n++;
		}
		if (n == 0)
			fputs("\t{NULL, VC_STRING, NULL, NULL},\n", out);
		fprintf(out, "};\n");
		counts[i] = n;
	}
	fprintf(out, "const struct vocab_table vocab_tables[] = {\n");
	for (size_t i = 0; i < ntables; i++)
		fprintf(out, "\t{\"%s\", M_%s, %zu},\n", tables[i], tables[i],
			counts[i]);
	fprintf(out, "};\nconst size_t vocab_ntables = %zu;\n", ntables);
}

int main(int argc, char **argv)
{
	char path[4096], **files = NULL;
	size_t nfiles = 0;
	struct dirent *de;
	DIR *d;

	if (argc != 3)
		die("usage: vocabgen SRCDIR OUT.c");
	snprintf(path, sizeof(path), "%s/ontologies", argv[1]);
	if (!(d = opendir(path)))
		die("%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".csv") &&
		    strcmp(de->d_name, "molgenis.csv")) {
			files = xrealloc(files, (nfiles + 1) * sizeof(*files));
			files[nfiles++] = xstrndup(de->d_name, l);
		}
	}
	closedir(d);
	qsort(files, nfiles, sizeof(*files), name_qsort);
	for (size_t i = 0; i < nfiles; i++)
		load_onto(argv[1], files[i]);

	snprintf(path, sizeof(path), "%s.tmp", argv[2]);
	if (!(out = fopen(path, "w")))
		die("%s: %s", path, strerror(errno));
	fprintf(out, "/* Generated by src/directory/vocabgen.c from %s: "
		     "do not edit. */\n#include \"vocab.h\"\n\n",
		argv[1]);
	/* the pool first: every name and label, then the terms point in */
	fputs("static const char S[] =\n", out);
	{
		size_t **offs = xrealloc(NULL, nontos * sizeof(*offs));

		for (size_t o = 0; o < nontos; o++) {
			offs[o] = xrealloc(NULL,
					   2 * ontos[o].n * sizeof(**offs));
			for (size_t i = 0; i < ontos[o].n; i++) {
				offs[o][2 * i] = pool_add(ontos[o].terms[i].name);
				offs[o][2 * i + 1] =
					pool_add(ontos[o].terms[i].label);
			}
		}
		fputs(line_len ? "\";\n\n" : "\t\"\";\n\n", out);
		for (size_t o = 0; o < nontos; o++) {
			const struct onto *on = &ontos[o];
			size_t nl, k = 0;

			uint32_t hmask = write_slots(on);

			write_links(on, &nl);
			fprintf(out, "static const struct vocab_term T_%s[] = {\n",
				on->name);
			for (size_t i = 0; i < on->n; i++) {
				const struct term *t = &on->terms[i];
				size_t up = k, down = up + t->nup,
				       map = down + t->ndown;

				k = map + t->nmap;
				fprintf(out,
					"\t{S + %zu, %zu, S + %zu, %zu, %zu, "
					"%zu, %zu, %zu, %zu, %d, %d},\n",
					offs[o][2 * i], strlen(t->name),
					offs[o][2 * i + 1], up,
					t->nup, down, t->ndown, map, t->nmap,
					t->age_lo, t->age_hi);
			}
			fprintf(out,
				"};\nconst struct vocab vocab_%s = {\"%s\", "
				"T_%s, %zu, L_%s, H_%s, %u};\n\n",
				on->name, on->name, on->name, on->n, on->name,
				on->name, hmask);
		}
	}
	fputs("const struct vocab *const vocab_all[] = {\n", out);
	for (size_t o = 0; o < nontos; o++)
		fprintf(out, "\t&vocab_%s,\n", ontos[o].name);
	fprintf(out, "};\nconst size_t vocab_count = %zu;\n\n", nontos);
	write_model(argv[1]);
	if (fclose(out) != 0)
		die("%s: write failed", path);
	if (rename(path, argv[2]) != 0)
		die("%s: %s", argv[2], strerror(errno));
	return 0;
}
