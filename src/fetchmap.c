/*
 * fetchmap: field mapping, value tidying, institution matching and page
 * inspection for fetched sources (see fetchmap.h).  jansson values made
 * here belong to the struct fetchmap and live until its next record.
 */
#include "fetchmap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

/* --- folding and matching --------------------------------------------- */

/* U+00C0..U+00FF (UTF-8 C3 80..C3 BF) without accents; ' ' for the two
 * signs (multiplication, division) among them. */
static const char latin1_fold[65] =
	"aaaaaaaceeeeiiiidnooooo ouuuuyts"
	"aaaaaaaceeeeiiiidnooooo ouuuuyty";

size_t fetchmap_fold(const char *s, size_t len, char *out, size_t n)
{
	size_t o = 0, i = 0;
	int gap = 0; /* a separator is pending */

	if (n == 0)
		return 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		char w[4];
		size_t wl = 0, used = 1;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			w[wl++] = (char)c;
		} else if (c >= 'A' && c <= 'Z') {
			w[wl++] = (char)(c - 'A' + 'a');
		} else if (c == 0xc3 && i + 1 < len &&
			   ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
			char f = latin1_fold[((unsigned char)s[i + 1]) - 0x80];
			used = 2;
			if (f != ' ')
				w[wl++] = f;
		} else if (c == 0xc2) {
			used = 2; /* U+0080..U+00BF: spaces and signs */
		} else if (c >= 0xc4) {
			/* other scripts: the character is kept as it is */
			size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			for (size_t j = 0; j < k && i + j < len; j++)
				w[wl++] = s[i + j];
			used = wl;
		}
		i += used;
		if (wl == 0) {
			gap = o > 0;
			continue;
		}
		if (o + wl + (gap ? 1 : 0) >= n)
			break;
		if (gap)
			out[o++] = ' ';
		gap = 0;
		memcpy(out + o, w, wl);
		o += wl;
	}
	out[o] = 0;
	return o;
}

int fetchmap_roster_add(struct fetchmap_roster *r, const char *slug,
			const char *name, const char *acronym)
{
	struct fetchmap_inst *e;

	if (bf_grow(&r->v, &r->cap, r->n + 1, sizeof(*r->v), 16))
		return BF_ENOMEM;
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->slug, sizeof(e->slug), "%s", slug);
	if (name)
		fetchmap_fold(name, strlen(name), e->keys[0], sizeof(e->keys[0]));
	if (acronym)
		fetchmap_fold(acronym, strlen(acronym), e->keys[1],
			      sizeof(e->keys[1]));
	fetchmap_fold(slug, strlen(slug), e->keys[2], sizeof(e->keys[2]));
	return 0;
}

void fetchmap_roster_free(struct fetchmap_roster *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* key appears in p as whole words */
static int has_words(const char *p, const char *key)
{
	size_t kl = strlen(key);

	for (const char *at = strstr(p, key); at; at = strstr(at + 1, key))
		if ((at == p || at[-1] == ' ') &&
		    (at[kl] == 0 || at[kl] == ' '))
			return 1;
	return 0;
}

int fetchmap_match(const struct fetchmap_roster *r, const char *party,
		   size_t len)
{
	char p[512];

	if (!r || !fetchmap_fold(party, len, p, sizeof(p)))
		return -1;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < 3; k++)
			if (r->v[i].keys[k][0] &&
			    strcmp(p, r->v[i].keys[k]) == 0)
				return (int)i;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < 3; k++)
			if (strlen(r->v[i].keys[k]) >= 4 &&
			    has_words(p, r->v[i].keys[k]))
				return (int)i;
	return -1;
}

/* --- values ----------------------------------------------------------- */

int fetchmap_number(const char *s, size_t len, char *out, size_t n)
{
	const char *dot = NULL, *comma = NULL;
	size_t ndots = 0, ncommas = 0, o = 0;
	char dec = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			dot = s + i;
			ndots++;
		} else if (s[i] == ',') {
			comma = s + i;
			ncommas++;
		}
	}
	/* the decimal separator: the later of both, else a lone one */
	if (dot && comma)
		dec = dot > comma ? '.' : ',';
	else if (comma && ncommas == 1)
		dec = ',';
	else if (dot && ndots == 1)
		dec = '.';
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ')
			continue;
		if (c == '.' || c == ',') {
			if (c != dec)
				continue; /* a thousands separator */
			c = '.';
		}
		if (o + 1 >= n)
			return -1;
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

static int is_date_prefix(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-dd";

	if (len < 10)
		return 0;
	for (size_t i = 0; i < 10; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
				    : s[i] != shape[i])
			return 0;
	return 1;
}

/* --- records ---------------------------------------------------------- */

void fetchmap_init(struct fetchmap *m, const struct bf_source *src,
		   const struct fetchmap_roster *roster)
{
	memset(m, 0, sizeof(*m));
	m->src = src;
	m->roster = roster;
	m->csv = strcmp(src->format, "csv") == 0;
	bf_buf_init(&m->text, 0);
}

static void drop_json(struct fetchmap *m)
{
	for (size_t i = 0; i < m->njson; i++)
		json_decref(m->json[i]);
	m->njson = 0;
}

void fetchmap_free(struct fetchmap *m)
{
	drop_json(m);
	bf_buf_free(&m->text);
}

/* The value at path below v (a new reference, NULL when absent).  An
 * array on the way maps the rest of the path over its elements. */
static json_t *resolve(const json_t *v, const char *path)
{
	const char *dot;
	char seg[128];
	size_t n;
	json_t *child;

	if (!*path)
		return json_incref((json_t *)v);
	if (json_is_array(v)) {
		json_t *out = json_array(), *it;
		size_t i;
		if (!out)
			return NULL;
		json_array_foreach(v, i, it) {
			json_t *r = resolve(it, path);
			if (!r)
				continue;
			if (json_is_array(r))
				json_array_extend(out, r);
			else
				json_array_append(out, r);
			json_decref(r);
		}
		return out;
	}
	if (!json_is_object(v))
		return NULL;
	dot = strchr(path, '.');
	n = dot ? (size_t)(dot - path) : strlen(path);
	if (n >= sizeof(seg))
		return NULL;
	memcpy(seg, path, n);
	seg[n] = 0;
	child = json_object_get(v, seg);
	return child ? resolve(child, dot ? dot + 1 : "") : NULL;
}

/* Appends s to the text arena (NUL-terminated); its offset in *off. */
static int add_text(struct fetchmap *m, const char *s, size_t len,
		    size_t *off)
{
	*off = m->text.len;
	if (bf_buf_add(&m->text, s, len) || bf_buf_addc(&m->text, 0))
		return BF_ENOMEM;
	return 0;
}

static int keep_json(struct fetchmap *m, json_t *j)
{
	if (!j)
		return BF_ENOMEM;
	if (m->njson == sizeof(m->json) / sizeof(m->json[0])) {
		json_decref(j);
		return BF_ENOMEM;
	}
	m->json[m->njson++] = j;
	return 0;
}

/* Splits a list cell on the source's separator into a JSON array. */
static json_t *split_list(const char *s, size_t len, char sep)
{
	json_t *a = json_array();
	const char *p = s, *end = s + len;

	while (a && p <= end) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		const char *e = q ? q : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > p)
			json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
		if (!q)
			break;
		p = q + 1;
	}
	return a;
}

/*
 * One mapped cell from text (s, len) or a JSON value j, tidied for field
 * f.  Text goes to the arena (offset in *off, *is_text set); JSON values
 * made here are kept in m->json.
 */
static int map_value(struct fetchmap *m, const struct sch_field *f,
		     const char *s, size_t len, json_t *j,
		     struct rec_cell *cell, size_t *off, int *is_text)
{
	char num[64];
	int rc;

	*is_text = 0;
	if (j && json_is_string(j)) {
		s = json_string_value(j);
		len = json_string_length(j);
		j = NULL;
	} else if (j && json_is_number(j) && f->type == SCH_TEXT) {
		if (json_is_integer(j))
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(j));
		else
			snprintf(num, sizeof(num), "%.17g", json_real_value(j));
		s = num;
		len = strlen(num);
		j = NULL;
	}
	if (j) {
		cell->json = j; /* typed: publish checks it against f */
		return 0;
	}
	if (f->type == SCH_LIST) {
		json_t *a = split_list(s, len, m->src->list_sep);
		if ((rc = keep_json(m, a)) != 0)
			return rc;
		cell->json = a;
		return 0;
	}
	if ((f->type == SCH_REAL || f->type == SCH_INT) && len < sizeof(num) &&
	    fetchmap_number(s, len, num, sizeof(num)) == 0) {
		s = num;
		len = strlen(num);
	}
	if (f->check == CHK_DATE && len > 10 && is_date_prefix(s, len) &&
	    (s[10] == 'T' || s[10] == ' '))
		len = 10;
	*is_text = 1;
	return add_text(m, s, len, off);
}

static const struct rec_cell *find_cell(const struct rec *in,
					const char *name, size_t n)
{
	for (size_t i = 0; i < in->ncells; i++)
		if (strlen(in->cells[i].name) == n &&
		    memcmp(in->cells[i].name, name, n) == 0)
			return &in->cells[i];
	return NULL;
}

int fetchmap_header(struct fetchmap *m, const struct rec *in,
		    struct bf_err *err)
{
	for (size_t i = 0; i < m->src->nmap; i++) {
		const char *k = m->src->map[i].key;
		if (!find_cell(in, k, strlen(k)))
			return bf_errf(err, BF_EINVAL,
				       "%s:1: no column \"%s\" (map.%s) in the "
				       "header: not the export this source "
				       "expects",
				       in->file, k, m->src->map[i].field);
	}
	m->header_checked = 1;
	return 0;
}

/* Adds the slug of the institution s names to slugs (a JSON array). */
static int match_party(struct fetchmap *m, json_t *slugs, const char *s,
		       size_t len)
{
	int i = fetchmap_match(m->roster, s, len);
	size_t k;
	json_t *it;

	if (i < 0)
		return 0;
	json_array_foreach(slugs, k, it)
		if (strcmp(json_string_value(it), m->roster->v[i].slug) == 0)
			return 0;
	return json_array_append_new(slugs,
				     json_string(m->roster->v[i].slug))
		       ? BF_ENOMEM
		       : 0;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* The institutions cell: slugs named by coordinator and partners. */
static int institutions(struct fetchmap *m, size_t ncells, json_t **out)
{
	json_t *slugs = json_array(), *sorted[64], *a;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (!slugs)
		return BF_ENOMEM;
	for (size_t i = 0; i < ncells && !rc; i++) {
		const struct rec_cell *c = &m->cells[i];
		size_t k;
		json_t *it;
		if (strcmp(c->name, "coordinator") != 0 &&
		    strcmp(c->name, "partners") != 0)
			continue;
		if (c->text)
			rc = match_party(m, slugs, c->text, c->len);
		else if (json_is_array(c->json))
			json_array_foreach(c->json, k, it)
				if (!rc && json_is_string(it))
					rc = match_party(m, slugs,
							 json_string_value(it),
							 json_string_length(it));
	}
	/* sorted, so that the row does not change with the order of the
	 * partners in the source */
	n = json_array_size(slugs);
	if (rc || n == 0 || n > sizeof(sorted) / sizeof(sorted[0])) {
		json_decref(slugs);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(slugs, i);
	qsort(sorted, n, sizeof(sorted[0]), cmp_json_str);
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append(a, sorted[i]);
	json_decref(slugs);
	if ((rc = keep_json(m, a)) != 0)
		return rc;
	*out = a;
	return 0;
}

/* --- organisations ---------------------------------------------------- */

void fetchmap_orgs_init(struct fetchmap_orgs *o)
{
	memset(o, 0, sizeof(*o));
	bf_buf_init(&o->text, 0);
}

void fetchmap_orgs_free(struct fetchmap_orgs *o)
{
	free(o->v);
	bf_buf_free(&o->text);
	memset(o, 0, sizeof(*o));
}

static void trim_blanks(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

int fetchmap_orgs_add(struct fetchmap_orgs *o, const struct bf_source *src,
		      const struct rec *r, struct bf_err *err)
{
	const char *names[3] = {src->organisations_project,
				src->organisations_name,
				src->organisations_role};
	static const char *const opt[3] = {"organisations_project",
					   "organisations_name",
					   "organisations_role"};
	const struct rec_cell *c[3];
	struct fetchmap_org *e;
	const char *pid, *name;
	size_t pid_len, name_len;

	for (size_t k = 0; k < 3; k++) {
		c[k] = find_cell(r, names[k], strlen(names[k]));
		if (!c[k] || !c[k]->text)
			return bf_errf(err, BF_ENOENT,
				       "%s:1: no column \"%s\" (%s) in the "
				       "header: not the organisations export "
				       "this source expects",
				       r->file, names[k], opt[k]);
	}
	pid = c[0]->text;
	pid_len = c[0]->len;
	name = c[1]->text;
	name_len = c[1]->len;
	trim_blanks(&pid, &pid_len);
	trim_blanks(&name, &name_len);
	if (!pid_len || !name_len)
		return bf_errf(err, BF_EINVAL,
			       "%s:%zu: organisation without a %s; left out",
			       r->file, r->line,
			       pid_len ? "name" : "project id");
	if (bf_grow(&o->v, &o->cap, o->n + 1, sizeof(*o->v), 64))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	e = &o->v[o->n];
	e->pid_off = o->text.len;
	e->pid_len = pid_len;
	e->name_off = o->text.len + pid_len + 1;
	e->name_len = name_len;
	e->order = o->n;
	e->coordinator = c[2]->len == 11 &&
			 strncasecmp(c[2]->text, "coordinator", 11) == 0;
	if (bf_buf_add(&o->text, pid, pid_len) || bf_buf_addc(&o->text, 0) ||
	    bf_buf_add(&o->text, name, name_len) || bf_buf_addc(&o->text, 0))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	o->n++;
	o->sorted = 0;
	return 0;
}

static int cmp_org(const void *a, const void *b)
{
	const struct fetchmap_org *x = a, *y = b;
	size_t n = x->pid_len < y->pid_len ? x->pid_len : y->pid_len;
	int c = memcmp(x->pid, y->pid, n);

	if (c)
		return c;
	if (x->pid_len != y->pid_len)
		return x->pid_len < y->pid_len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A project id to look for: its bytes (not NUL-terminated). */
struct org_key {
	const char *pid;
	size_t len;
};

/* bf_bsearch's order: organisation i's project id against the key's. */
static int cmp_org_at(const void *ctx, size_t i, const void *key)
{
	const struct fetchmap_orgs *o = ctx;
	const struct fetchmap_org *e = &o->v[i];
	const struct org_key *k = key;
	size_t n = e->pid_len < k->len ? e->pid_len : k->len;
	int c = memcmp(e->pid, k->pid, n);

	if (c)
		return c;
	return e->pid_len < k->len ? -1 : e->pid_len > k->len;
}

/* The first organisation of project id (pid, len), or where it would be
 * (org_is says which). */
static size_t org_first(struct fetchmap_orgs *o, const char *pid, size_t len)
{
	struct org_key k = {pid, len};
	size_t pos;

	if (!o->sorted) {
		/* the text has stopped growing: ids get their pointers, so
		 * that qsort needs no context */
		for (size_t i = 0; i < o->n; i++)
			o->v[i].pid = (const char *)o->text.p + o->v[i].pid_off;
		qsort(o->v, o->n, sizeof(*o->v), cmp_org);
		o->sorted = 1;
	}
	(void)bf_bsearch(o->n, cmp_org_at, o, &k, &pos);
	return pos;
}

static int org_is(const struct fetchmap_orgs *o, size_t i, const char *pid,
		  size_t len)
{
	return i < o->n && o->v[i].pid_len == len &&
	       memcmp(o->text.p + o->v[i].pid_off, pid, len) == 0;
}

/*
 * The coordinator and partners cells of the record whose source id is at
 * sid_off in the arena (sid_len bytes), from the organisations file.
 */
static int org_cells(struct fetchmap *m, size_t sid_off, size_t sid_len,
		     size_t *nc, size_t *offs, int *is_text)
{
	struct fetchmap_orgs *o = m->orgs;
	char pid[256];
	size_t first, coord = SIZE_MAX;
	json_t *partners;
	int rc;

	if (sid_len >= sizeof(pid))
		return 0; /* no CORDIS id is that long */
	memcpy(pid, m->text.p + sid_off, sid_len);
	first = org_first(o, pid, sid_len);
	if (!org_is(o, first, pid, sid_len))
		return 0;
	partners = json_array();
	if ((rc = keep_json(m, partners)) != 0)
		return rc;
	for (size_t i = first; org_is(o, i, pid, sid_len); i++) {
		const struct fetchmap_org *e = &o->v[i];
		if (e->coordinator && coord == SIZE_MAX)
			coord = i;
		if (json_array_append_new(
			    partners,
			    json_stringn((const char *)o->text.p + e->name_off,
					 e->name_len)))
			return BF_ENOMEM;
	}
	memset(&m->cells[*nc], 0, sizeof(m->cells[*nc]));
	m->cells[*nc].name = "partners";
	m->cells[*nc].json = partners;
	is_text[(*nc)++] = 0;
	if (coord == SIZE_MAX)
		return 0;
	memset(&m->cells[*nc], 0, sizeof(m->cells[*nc]));
	m->cells[*nc].name = "coordinator";
	if (add_text(m, (const char *)o->text.p + o->v[coord].name_off,
		     o->v[coord].name_len, &offs[*nc]))
		return BF_ENOMEM;
	is_text[(*nc)++] = 1;
	return 0;
}

int fetchmap_record(struct fetchmap *m, const struct rec *in,
		    const struct rec **out, struct bf_err *err)
{
	const struct sch_table *t = schema_table("project", 7);
	size_t offs[CONFIG_SOURCE_MAP + 6], nc = 0, id_cell = SIZE_MAX;
	int is_text[CONFIG_SOURCE_MAP + 6];
	size_t sid_off, sid_len, idoff;
	json_t *inst;
	int rc;

	drop_json(m);
	bf_buf_reset(&m->text);
	m->records++;
	if (!t)
		return bf_errf(err, BF_EINVAL, "schema: no project table");
	if (m->csv && !m->header_checked && (rc = fetchmap_header(m, in, err)))
		return rc;
	for (size_t i = 0; i < m->src->nmap; i++) {
		const struct bf_source_map *mp = &m->src->map[i];
		int fi = schema_field_index(t, mp->field, strlen(mp->field));
		struct rec_cell *cell = &m->cells[nc];
		const struct rec_cell *src;
		json_t *j = NULL;

		if (fi < 0)
			continue; /* config validated it; schema changed? */
		memset(cell, 0, sizeof(*cell));
		cell->name = t->fields[fi].name;
		if (m->csv) {
			src = find_cell(in, mp->key, strlen(mp->key));
			if (!src || !src->text || src->len == 0)
				continue;
			rc = map_value(m, &t->fields[fi], src->text, src->len,
				       NULL, cell, &offs[nc], &is_text[nc]);
		} else {
			const char *dot = strchr(mp->key, '.');
			size_t n = dot ? (size_t)(dot - mp->key)
				       : strlen(mp->key);
			src = find_cell(in, mp->key, n);
			if (!src || !src->json)
				continue;
			j = resolve(src->json, dot ? dot + 1 : "");
			if (!j || json_is_null(j)) {
				json_decref(j);
				continue;
			}
			if ((rc = keep_json(m, j)) != 0)
				return bf_errf(err, rc, "out of memory");
			rc = map_value(m, &t->fields[fi], NULL, 0, j, cell,
				       &offs[nc], &is_text[nc]);
		}
		if (rc)
			return bf_errf(err, rc, "out of memory");
		if (strcmp(cell->name, "source_id") == 0)
			id_cell = nc;
		nc++;
	}
	if (id_cell == SIZE_MAX || !is_text[id_cell]) {
		const char *k = "";
		for (size_t i = 0; i < m->src->nmap; i++)
			if (strcmp(m->src->map[i].field, "source_id") == 0)
				k = m->src->map[i].key;
		return bf_errf(err, BF_EINVAL,
			       "%s:%zu: record %zu: no source id (\"%s\", "
			       "map.source_id) or not a string or number",
			       in->file, in->line, in->index, k);
	}
	/* the row id: "NAME:SOURCE_ID" (its offsets, since appending may
	 * move the arena) */
	sid_off = offs[id_cell];
	sid_len = strlen((const char *)m->text.p + sid_off);
	while (sid_len && (m->text.p[sid_off] == ' ' ||
			   m->text.p[sid_off] == '\t')) {
		sid_off++;
		sid_len--;
	}
	while (sid_len && (m->text.p[sid_off + sid_len - 1] == ' ' ||
			   m->text.p[sid_off + sid_len - 1] == '\t'))
		sid_len--;
	idoff = m->text.len;
	if (bf_buf_adds(&m->text, m->src->name) || bf_buf_addc(&m->text, ':') ||
	    bf_buf_reserve(&m->text, sid_len + 1))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	memcpy(m->text.p + m->text.len, m->text.p + sid_off, sid_len);
	m->text.len += sid_len;
	m->text.p[m->text.len++] = 0;
	memset(&m->cells[nc], 0, sizeof(m->cells[nc]));
	m->cells[nc].name = "id";
	offs[nc] = idoff;
	is_text[nc++] = 1;
	memset(&m->cells[nc], 0, sizeof(m->cells[nc]));
	m->cells[nc].name = "source";
	if (add_text(m, m->src->name, strlen(m->src->name), &offs[nc]))
		return bf_errf(err, BF_ENOMEM, "out of memory");
	is_text[nc++] = 1;
	if (m->orgs &&
	    (rc = org_cells(m, idoff + strlen(m->src->name) + 1, sid_len, &nc,
			    offs, is_text)) != 0)
		return bf_errf(err, rc, "out of memory");
	/* the arena has stopped growing: texts get their pointers */
	for (size_t i = 0; i < nc; i++)
		if (is_text[i]) {
			m->cells[i].text = (const char *)m->text.p + offs[i];
			m->cells[i].len = strlen(m->cells[i].text);
		}
	if ((rc = institutions(m, nc, &inst)) != 0)
		return bf_errf(err, rc, "out of memory");
	if (inst) {
		memset(&m->cells[nc], 0, sizeof(m->cells[nc]));
		m->cells[nc].name = "institutions";
		m->cells[nc++].json = inst;
	}
	m->out.file = in->file;
	m->out.table = NULL;
	m->out.line = in->line;
	m->out.index = in->index;
	m->out.cells = m->cells;
	m->out.ncells = nc;
	*out = &m->out;
	return 0;
}

/* --- pages ------------------------------------------------------------ */

static json_t *get_path(json_t *root, const char *path)
{
	return path && *path ? resolve(root, path) : json_incref(root);
}

int fetchmap_page_info(const struct bf_source *src, const char *name,
		       const char *body, size_t len, long *records,
		       char *next, size_t nextlen, struct bf_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr), *v = NULL;
	int rc = 0;

	*records = -1;
	next[0] = 0;
	if (!root)
		return bf_errf(err, BF_EINVAL, "%s:%d:%d: invalid JSON: %s",
			       name, jerr.line, jerr.column, jerr.text);
	v = get_path(root, src->records);
	if (json_is_array(v))
		*records = (long)json_array_size(v);
	json_decref(v);
	if (src->next[0]) {
		v = resolve(root, src->next);
		if (json_is_string(v)) {
			if (json_string_length(v) >= nextlen)
				rc = bf_errf(err, BF_EINVAL,
					     "%s: next link (%s) longer than "
					     "%zu bytes",
					     name, src->next, nextlen - 1);
			else
				memcpy(next, json_string_value(v),
				       json_string_length(v) + 1);
		} else if (v && !json_is_null(v)) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: next link (%s) is not a string", name,
				     src->next);
		}
		json_decref(v);
	}
	json_decref(root);
	return rc;
}
