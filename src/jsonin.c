/*
 * jsonin: JSON files as records.  This file owns the jansson parse, the
 * choice of record arrays (top-level array, arrays keyed by table name, or
 * a records path), the checks on each record, and line numbers.
 *
 * jansson keeps no positions, so after a successful parse the raw text is
 * scanned once more.  The scan notes, in document order, where each value
 * no deeper than the record arrays' elements starts (its line) and how
 * many noted values its subtree holds.  jansson keeps object members in
 * document order (and duplicate keys are rejected), so walking the parsed
 * tree and the notes side by side, skipping a sibling by its subtree size,
 * finds the note of every record.
 */
#include "jsonin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One noted value: the line where it starts and the number of notes in
 * its subtree, itself included (1 for scalars and for containers whose
 * children are too deep to be noted). */
struct note {
	size_t line;
	size_t size;
};

struct scan {
	struct note *v;
	size_t n, cap;
	size_t *open;   /* per open container: its note, or SIZE_MAX */
	char *kind;     /* per open container: '{' or '[' */
	size_t depth, stack_cap;
};

struct jsonin {
	const char *name;
	rec_cb cb;
	void *ctx;
	struct bf_err *err;
	struct scan sc;
	struct rec_cell *cells;
	size_t cells_cap;
};

static int note_value(struct scan *sc, size_t line, size_t maxdepth)
{
	if (sc->depth > maxdepth)
		return BF_OK;
	if (sc->n == sc->cap) {
		size_t ncap = sc->cap ? 2 * sc->cap : 1024;
		struct note *nv = realloc(sc->v, ncap * sizeof(*nv));
		if (!nv)
			return BF_ENOMEM;
		sc->v = nv;
		sc->cap = ncap;
	}
	sc->v[sc->n].line = line;
	sc->v[sc->n].size = 1;
	sc->n++;
	return BF_OK;
}

static int open_container(struct scan *sc, char kind, size_t line,
			  size_t maxdepth)
{
	size_t before = sc->n;
	int rc;

	if (sc->depth == sc->stack_cap) {
		size_t ncap = sc->stack_cap ? 2 * sc->stack_cap : 64;
		size_t *no = realloc(sc->open, ncap * sizeof(*no));
		char *nk;
		if (!no)
			return BF_ENOMEM;
		sc->open = no;
		nk = realloc(sc->kind, ncap);
		if (!nk)
			return BF_ENOMEM;
		sc->kind = nk;
		sc->stack_cap = ncap;
	}
	rc = note_value(sc, line, maxdepth);
	if (rc)
		return rc;
	sc->open[sc->depth] = sc->n > before ? before : SIZE_MAX;
	sc->kind[sc->depth] = kind;
	sc->depth++;
	return BF_OK;
}

static void close_container(struct scan *sc)
{
	size_t at;

	if (sc->depth == 0)
		return; /* cannot happen after jansson accepted the text */
	sc->depth--;
	at = sc->open[sc->depth];
	if (at != SIZE_MAX)
		sc->v[at].size = sc->n - at;
}

/* Notes every value at depth <= maxdepth (the root is depth 0).  The text
 * is known to be valid JSON, which keeps the state machine small: a value
 * starts wherever one is expected and something other than a separator or
 * a closing bracket stands. */
static int scan_text(struct scan *sc, const char *p, size_t len,
		     size_t maxdepth)
{
	size_t line = 1;
	int in_string = 0, escaped = 0, want_value = 1, rc = BF_OK;

	for (size_t i = 0; i < len && !rc; i++) {
		char c = p[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		switch (c) {
		case '\n':
			line++;
			break;
		case ' ':
		case '\t':
		case '\r':
			break;
		case '{':
		case '[':
			rc = open_container(sc, c, line, maxdepth);
			want_value = c == '[';
			break;
		case '}':
		case ']':
			close_container(sc);
			want_value = 0;
			break;
		case ',':
			want_value = sc->depth > 0 &&
				     sc->kind[sc->depth - 1] == '[';
			break;
		case ':':
			want_value = 1;
			break;
		case '"':
			/* a string where no value is expected is a key */
			if (want_value)
				rc = note_value(sc, line, maxdepth);
			want_value = 0;
			in_string = 1;
			break;
		default:
			if (want_value)
				rc = note_value(sc, line, maxdepth);
			want_value = 0; /* the rest of a number or literal */
			break;
		}
	}
	return rc;
}

static int mapping_error(struct jsonin *st)
{
	return bf_errf(st->err, BF_EINVAL,
		       "%s: internal error: record positions do not match the "
		       "parse",
		       st->name);
}

/* Quotes s as JSON for a message (s may hold control characters). */
static void quote_for_msg(char *out, size_t outlen, const char *s)
{
	json_t *str = json_string(s);
	char *q = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;

	snprintf(out, outlen, "%s", q ? q : "(name)");
	free(q);
	json_decref(str);
}

static int text_ok(const char *s, size_t n)
{
	return bf_utf8_ok((const uint8_t *)s, n);
}

/* "file:line: record N" or "file:line: table "t" record N" */
static int record_error(struct jsonin *st, size_t line, const char *table,
			size_t index, const char *what)
{
	if (table)
		return bf_errf(st->err, BF_EINVAL,
			       "%s:%zu: table \"%s\" record %zu: %s", st->name,
			       line, table, index, what);
	return bf_errf(st->err, BF_EINVAL, "%s:%zu: record %zu: %s", st->name,
		       line, index, what);
}

static int deliver_record(struct jsonin *st, const json_t *obj, size_t line,
			  const char *table, size_t index)
{
	size_t n = json_object_size(obj), i = 0;
	const char *key;
	json_t *val;
	struct rec r;
	char q[512], what[600];

	if (n > st->cells_cap) {
		size_t ncap = st->cells_cap ? st->cells_cap : 16;
		struct rec_cell *nc;
		while (ncap < n)
			ncap *= 2;
		nc = realloc(st->cells, ncap * sizeof(*nc));
		if (!nc)
			return bf_errf(st->err, BF_ENOMEM, "%s: out of memory",
				       st->name);
		st->cells = nc;
		st->cells_cap = ncap;
	}
	json_object_foreach((json_t *)obj, key, val) {
		struct rec_cell *c = &st->cells[i++];
		c->name = key;
		c->json = val;
		c->text = NULL;
		c->len = 0;
		if (json_is_string(val)) {
			c->text = json_string_value(val);
			c->len = json_string_length(val);
		}
		if (!text_ok(key, strlen(key)) ||
		    (c->text && !text_ok(c->text, c->len))) {
			quote_for_msg(q, sizeof(q), key);
			snprintf(what, sizeof(what),
				 "member %s: control character in text", q);
			return record_error(st, line, table, index, what);
		}
	}
	r.file = st->name;
	r.table = table;
	r.line = line;
	r.index = index;
	r.cells = st->cells;
	r.ncells = n;
	return st->cb(st->ctx, &r, st->err);
}

/* Delivers the records of arr, whose note is at; table may be NULL. */
static int read_records(struct jsonin *st, const json_t *arr, size_t at,
			const char *table)
{
	size_t cur = at + 1, i;
	json_t *el;
	int rc;

	json_array_foreach(arr, i, el) {
		size_t line;
		if (cur >= st->sc.n)
			return mapping_error(st);
		line = st->sc.v[cur].line;
		cur += st->sc.v[cur].size;
		if (!json_is_object(el))
			return record_error(st, line, table, i + 1,
					    "expected an object");
		rc = deliver_record(st, el, line, table, i + 1);
		if (rc)
			return rc;
	}
	return BF_OK;
}

/* Top-level object: each member is a table name and its array. */
static int read_tables(struct jsonin *st, const json_t *root)
{
	size_t cur = 1;
	const char *key;
	json_t *val;
	char q[512];
	int rc;

	json_object_foreach((json_t *)root, key, val) {
		size_t at = cur;
		if (cur >= st->sc.n)
			return mapping_error(st);
		cur += st->sc.v[cur].size;
		if (!text_ok(key, strlen(key))) {
			quote_for_msg(q, sizeof(q), key);
			return bf_errf(st->err, BF_EINVAL,
				       "%s:%zu: table name %s: control "
				       "character",
				       st->name, st->sc.v[at].line, q);
		}
		if (!json_is_array(val))
			return bf_errf(st->err, BF_EINVAL,
				       "%s:%zu: table \"%s\": expected an "
				       "array of records",
				       st->name, st->sc.v[at].line, key);
		rc = read_records(st, val, at, key);
		if (rc)
			return rc;
	}
	return BF_OK;
}

/* Follows "a.b.c" from the root to the records array. */
static int read_path(struct jsonin *st, const json_t *root, const char *path)
{
	const json_t *node = root;
	size_t at = 0;
	const char *seg = path;

	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		size_t cur = at + 1;
		const json_t *found = NULL;
		const char *key;
		json_t *val;

		if (n == 0)
			return bf_errf(st->err, BF_EINVAL,
				       "%s: records path \"%s\": empty key",
				       st->name, path);
		if (!json_is_object(node))
			return bf_errf(st->err, BF_EINVAL,
				       "%s:%zu: records path \"%s\": \"%.*s\" "
				       "is looked up in something that is "
				       "not an object",
				       st->name, st->sc.v[at].line, path,
				       (int)n, seg);
		json_object_foreach((json_t *)node, key, val) {
			if (cur >= st->sc.n)
				return mapping_error(st);
			if (strlen(key) == n && memcmp(key, seg, n) == 0) {
				found = val;
				break;
			}
			cur += st->sc.v[cur].size;
		}
		if (!found)
			return bf_errf(st->err, BF_EINVAL,
				       "%s:%zu: records path \"%s\": no member "
				       "\"%.*s\"",
				       st->name, st->sc.v[at].line, path,
				       (int)n, seg);
		node = found;
		at = cur;
		if (!dot)
			break;
		seg = dot + 1;
	}
	if (!json_is_array(node))
		return bf_errf(st->err, BF_EINVAL,
			       "%s:%zu: records path \"%s\": expected an array "
			       "of records",
			       st->name, st->sc.v[at].line, path);
	return read_records(st, node, at, NULL);
}

static size_t path_depth(const char *path)
{
	size_t d = 1;

	for (const char *p = path; *p; p++)
		d += *p == '.';
	return d;
}

int jsonin_read_mem(const char *name, const char *data, size_t len,
		    const char *records_path, rec_cb cb, void *ctx,
		    struct bf_err *err)
{
	struct jsonin st;
	json_error_t jerr;
	json_t *root = NULL;
	int has_path = records_path && *records_path;
	size_t maxdepth;
	int rc;

	if ((unsigned long long)len > JSONIN_MAX_BYTES)
		return bf_errf(err, BF_ETOOBIG, "%s: larger than %llu bytes",
			       name, JSONIN_MAX_BYTES);
	memset(&st, 0, sizeof(st));
	st.name = name;
	st.cb = cb;
	st.ctx = ctx;
	st.err = err;
	/* a UTF-8 BOM is tolerated (RFC 8259 allows ignoring it) */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bf_errf(err, BF_EINVAL, "%s:%d:%d: %s", name, jerr.line,
			       jerr.column, jerr.text);
	/* notes reach the records themselves, not their members */
	if (has_path)
		maxdepth = path_depth(records_path) + 1;
	else
		maxdepth = json_is_array(root) ? 1 : 2;
	rc = scan_text(&st.sc, data, len, maxdepth);
	if (rc) {
		rc = bf_errf(err, rc, "%s: out of memory", name);
		goto out;
	}
	if (st.sc.n == 0) {
		rc = mapping_error(&st);
		goto out;
	}
	if (has_path)
		rc = read_path(&st, root, records_path);
	else if (json_is_array(root))
		rc = read_records(&st, root, 0, NULL);
	else
		rc = read_tables(&st, root);
out:
	json_decref(root);
	free(st.sc.v);
	free(st.sc.open);
	free(st.sc.kind);
	free(st.cells);
	return rc;
}

int jsonin_read_file(const char *path, const char *records_path, rec_cb cb,
		     void *ctx, struct bf_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = bf_read_file(path, JSONIN_MAX_BYTES, &buf, &len, err);
	if (rc)
		return rc;
	rc = jsonin_read_mem(path, (const char *)buf, len, records_path, cb,
			     ctx, err);
	free(buf);
	return rc;
}
