/*
 * mapfile: reading a mapping file (see mapfile.h) and looking names and
 * values up in it.  Files are small (tens of lines): lookups are linear.
 */
#include "mapfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAPFILE_MAX_LINE 4096
#define MAPFILE_MAX_ENTRIES 10000

struct entry {
	char *section; /* NULL: [columns]; else the field of [values F] */
	char *from, *to;
};

struct mapfile {
	struct entry *e;
	size_t n, cap;
	size_t skip;
};

void mapfile_free(struct mapfile *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].section);
		free(m->e[i].from);
		free(m->e[i].to);
	}
	free(m->e);
	free(m);
}

/* Trims s in place; strips one pair of double quotes around it. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		     s[n - 1] == '\n'))
		s[--n] = 0;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		s++;
	}
	return s;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcasecmp(a, b));
}

static int add(struct mapfile *m, const char *section, const char *from,
	       const char *to)
{
	struct entry *e;

	if (bf_grow(&m->e, &m->cap, m->n + 1, sizeof(*m->e), 32))
		return BF_ENOMEM;
	e = &m->e[m->n];
	e->section = section ? strdup(section) : NULL;
	e->from = strdup(from);
	e->to = strdup(to);
	if ((section && !e->section) || !e->from || !e->to) {
		free(e->section);
		free(e->from);
		free(e->to);
		return BF_ENOMEM;
	}
	m->n++;
	return BF_OK;
}

int mapfile_load(const char *path, struct mapfile **out, struct bf_err *err)
{
	enum { S_NONE, S_COLUMNS, S_VALUES, S_ROWS } sec = S_NONE;
	char line[MAPFILE_MAX_LINE + 2], field[256] = "";
	struct mapfile *m = calloc(1, sizeof(*m));
	FILE *f = NULL;
	size_t lineno = 0;
	int rc = BF_OK;

	if (!m)
		return bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
	if (!(f = fopen(path, "r"))) {
		rc = bf_errf(err, errno == ENOENT ? BF_ENOENT : BF_EIO,
			     "%s: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *from, *to;

		lineno++;
		if (strlen(line) > MAPFILE_MAX_LINE) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s:%zu: line longer than %d characters",
				     path, lineno, MAPFILE_MAX_LINE);
			goto out;
		}
		s = trim(line);
		if (lineno == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
			s = trim(s + 3);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1]) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s:%zu: a section is [columns], "
					     "[values FIELD] or [rows]",
					     path, lineno);
				goto out;
			}
			*end = 0;
			s = trim(s + 1);
			if (!strcasecmp(s, "columns")) {
				sec = S_COLUMNS;
			} else if (!strcasecmp(s, "rows")) {
				sec = S_ROWS;
			} else if (!strncasecmp(s, "values", 6) &&
				   (s[6] == ' ' || s[6] == '\t') &&
				   *trim(s + 6) &&
				   strlen(trim(s + 6)) < sizeof(field)) {
				sec = S_VALUES;
				snprintf(field, sizeof(field), "%s", trim(s + 6));
			} else {
				rc = bf_errf(err, BF_EINVAL,
					     "%s:%zu: unknown section [%.60s] "
					     "(the sections are [columns], "
					     "[values FIELD] and [rows])",
					     path, lineno, s);
				goto out;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (s[0] == '"') {
			/* a quoted name may hold '=' */
			char *q = strchr(s + 1, '"');
			eq = q ? strchr(q, '=') : NULL;
		}
		if (!eq || sec == S_NONE) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s:%zu: %s", path, lineno,
				     eq ? "a line before any [section]"
					: "expected NAME = VALUE");
			goto out;
		}
		*eq = 0;
		from = trim(s);
		to = trim(eq + 1);
		if (!*from || !*to) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s:%zu: empty name or value", path,
				     lineno);
			goto out;
		}
		if (sec == S_ROWS) {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(to, &end, 10);
			if (strcasecmp(from, "skip") || *end || errno ||
			    v > 1000 || to[0] == '-') {
				rc = bf_errf(err, BF_EINVAL,
					     "%s:%zu: [rows] takes skip = N "
					     "(0 to 1000)",
					     path, lineno);
				goto out;
			}
			m->skip = v;
			continue;
		}
		for (size_t i = 0; i < m->n; i++)
			if (same(m->e[i].section,
				 sec == S_VALUES ? field : NULL) &&
			    !strcasecmp(m->e[i].from, from)) {
				rc = bf_errf(err, BF_EINVAL,
					     "%s:%zu: \"%.60s\" is mapped "
					     "twice",
					     path, lineno, from);
				goto out;
			}
		if (m->n == MAPFILE_MAX_ENTRIES) {
			rc = bf_errf(err, BF_ETOOBIG,
				     "%s:%zu: more than %d mappings", path,
				     lineno, MAPFILE_MAX_ENTRIES);
			goto out;
		}
		if (add(m, sec == S_VALUES ? field : NULL, from, to)) {
			rc = bf_errf(err, BF_ENOMEM, "%s: out of memory", path);
			goto out;
		}
	}
	if (ferror(f))
		rc = bf_errf(err, BF_EIO, "%s: read error", path);
out:
	if (f)
		fclose(f);
	if (rc) {
		mapfile_free(m);
		return rc;
	}
	*out = m;
	return BF_OK;
}

const char *mapfile_column(const struct mapfile *m, const char *name)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (!m->e[i].section && !strcasecmp(m->e[i].from, name))
			return strcmp(m->e[i].to, "-") ? m->e[i].to : NULL;
	return name;
}

const char *mapfile_value(const struct mapfile *m, const char *field,
			  const char *v, size_t len)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (m->e[i].section && !strcasecmp(m->e[i].section, field) &&
		    strlen(m->e[i].from) == len &&
		    !strncasecmp(m->e[i].from, v, len))
			return m->e[i].to;
	return NULL;
}

int mapfile_recodes(const struct mapfile *m, const char *field)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (m->e[i].section && !strcasecmp(m->e[i].section, field))
			return 1;
	return 0;
}

size_t mapfile_skip_rows(const struct mapfile *m)
{
	return m ? m->skip : 0;
}
