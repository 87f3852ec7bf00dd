/*
 * roster: writing and reading the federation's member list.
 */
#include "roster.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "schema.h"

struct member {
	char sign_key[65];
	int64_t key_from;
	int64_t revoked_from;
	char *old_keys; /* JSON array text, or NULL */
	uint8_t rowhash[CS_ROWHASH_LEN];
	int found;
};

static int load_member(struct node *n, const char *slug, struct member *m,
		       struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = sqlite3_prepare_v2(store_db(n->store),
				"SELECT sign_key, key_from, revoked_from, "
				"old_keys, rowhash FROM institution "
				"WHERE owner = ?1 AND id = ?2",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return bf_errf(err, BF_EIO, "roster: %s",
			       sqlite3_errmsg(store_db(n->store)));
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(st, 0);
		m->found = 1;
		snprintf(m->sign_key, sizeof(m->sign_key), "%s",
			 k ? (const char *)k : "");
		m->key_from = sqlite3_column_int64(st, 1);
		m->revoked_from = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
			m->old_keys =
				strdup((const char *)sqlite3_column_text(st, 3));
		if (sqlite3_column_bytes(st, 4) == CS_ROWHASH_LEN)
			memcpy(m->rowhash, sqlite3_column_blob(st, 4),
			       CS_ROWHASH_LEN);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = bf_errf(err, BF_EIO, "roster: %s",
			     sqlite3_errmsg(store_db(n->store)));
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_coordinator_key(struct node *n, struct ed_key *k,
				struct bf_err *err)
{
	char path[PATH_MAX + 32];
	int rc;

	node_file(n, NODE_COORD_KEY, path, sizeof(path));
	rc = ed_key_load(path, k, err);
	if (rc)
		return rc == BF_ENOENT
			       ? bf_errf(err, rc,
					 "%s: no coordinator key here; the "
					 "roster is written on the "
					 "coordinator's node",
					 path)
			       : rc;
	if (memcmp(k->pub, n->cfg.coordinator_key, 32) != 0) {
		ed_key_free(k);
		return bf_errf(err, BF_ECRYPTO,
			       "%s does not match federation.coordinator_key in "
			       "%s",
			       path, NODE_CONF);
	}
	return 0;
}

/* A field of the row being built (typed value; names sorted later). */
struct fb {
	struct cs_field f[16];
	struct cs_str items[64];
	size_t n, nitems;
};

static void fb_text(struct fb *b, const char *name, const char *v)
{
	if (!v || !*v)
		return;
	b->f[b->n].name = (struct cs_str){name, strlen(name)};
	b->f[b->n].v.type = CS_TEXT;
	b->f[b->n].v.s = (struct cs_str){v, strlen(v)};
	b->n++;
}

static void fb_int(struct fb *b, const char *name, int64_t v)
{
	if (v <= 0)
		return;
	b->f[b->n].name = (struct cs_str){name, strlen(name)};
	b->f[b->n].v.type = CS_INT;
	b->f[b->n].v.i = v;
	b->n++;
}

static int cmp_field(const void *a, const void *b)
{
	const struct cs_field *x = a, *y = b;
	return strcmp(x->name.p, y->name.p);
}

/* Writes one institution row (or its deletion) as a coordinator change
 * set, unless the stored row already has the same hash. */
static int commit_row(struct node *n, const char *slug, struct fb *b,
		      const struct member *old, int *changed,
		      struct bf_err *err)
{
	struct bf_buf enc;
	struct ed_key ck = {0};
	struct cs_row_in row = {CS_UPSERT, "institution", slug, NULL, 0, NULL};
	struct publish_result res = {0};
	uint8_t h[CS_ROWHASH_LEN];
	int rc;

	bf_buf_init(&enc, CS_MAX_BYTES);
	qsort(b->f, b->n, sizeof(b->f[0]), cmp_field);
	rc = cs_rowenc(&enc, b->f, b->n);
	if (rc) {
		rc = bf_errf(err, rc, "roster: cannot encode the row");
		goto out;
	}
	cs_rowhash(enc.p, enc.len, h);
	*changed = !old->found || memcmp(h, old->rowhash, sizeof(h)) != 0;
	if (!*changed)
		goto out;
	rc = load_coordinator_key(n, &ck, err);
	if (rc)
		goto out;
	row.enc = enc.p;
	row.enc_len = enc.len;
	rc = publish_commit(n->store, SCHEMA_COORDINATOR, &ck, &row, 1, 1, &res,
			    err);
out:
	ed_key_free(&ck);
	bf_buf_free(&enc);
	return rc;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* old_keys keeps its items; a rotated key is appended as HEX:FROM:UNTIL. */
static int add_old_keys(struct fb *b, const struct member *m,
			const char *extra_item)
{
	json_t *arr = m->old_keys ? json_loads(m->old_keys, 0, NULL) : NULL;
	size_t i;
	json_t *it;
	int rc = 0;

	if (arr && json_is_array(arr)) {
		json_array_foreach(arr, i, it) {
			if (!json_is_string(it) || b->nitems == 63)
				continue;
			b->items[b->nitems++] = (struct cs_str){
				strdup(json_string_value(it)),
				json_string_length(it)};
		}
	}
	json_decref(arr);
	if (extra_item)
		b->items[b->nitems++] =
			(struct cs_str){strdup(extra_item), strlen(extra_item)};
	for (i = 0; i < b->nitems; i++)
		if (!b->items[i].p)
			rc = BF_ENOMEM;
	if (b->nitems) {
		b->f[b->n].name = (struct cs_str){"old_keys", 8};
		b->f[b->n].v.type = CS_LIST;
		b->f[b->n].v.items = b->items;
		b->f[b->n].v.nitems = b->nitems;
		b->n++;
	}
	return rc;
}

static void fb_free(struct fb *b)
{
	for (size_t i = 0; i < b->nitems; i++)
		free((void *)b->items[i].p);
}

int roster_add(struct node *n, const char *identity_path, int64_t key_from,
	       int *changed, char slug_out[64], struct bf_err *err)
{
	uint8_t *text = NULL;
	size_t len;
	json_t *id = NULL;
	json_error_t je;
	struct member m = {0};
	struct fb b;
	const char *slug, *key, *fields[] = {"name", "country", "region",
					     "endpoint", "tls_cert"};
	char item[128], msg[256];
	const struct sch_table *t = schema_table("institution", 11);
	int rc;

	memset(&b, 0, sizeof(b));
	rc = bf_read_file(identity_path, 1 << 20, &text, &len, err);
	if (rc)
		return rc;
	id = json_loadb((const char *)text, len, 0, &je);
	if (!id || !json_is_object(id)) {
		rc = bf_errf(err, BF_EINVAL, "%s:%d:%d: %s", identity_path,
			     je.line, je.column,
			     id ? "not a JSON object" : je.text);
		goto out;
	}
	slug = jstr(id, "slug");
	key = jstr(id, "sign_key");
	if (!slug || !bf_is_slug(slug) || strcmp(slug, SCHEMA_COORDINATOR) == 0) {
		rc = bf_errf(err, BF_EINVAL, "%s: slug: missing or invalid",
			     identity_path);
		goto out;
	}
	snprintf(slug_out, 64, "%s", slug);
	/* every field is checked as the apply of the change set will */
	for (size_t i = 0; i < t->nfields; i++) {
		const char *v = jstr(id, t->fields[i].name);
		if (!v && (t->fields[i].flags & SCH_REQUIRED)) {
			rc = bf_errf(err, BF_EINVAL, "%s: %s: required",
				     identity_path, t->fields[i].name);
			goto out;
		}
		if (v && *v && t->fields[i].type == SCH_TEXT &&
		    schema_check_text(&t->fields[i], v, strlen(v), msg,
				      sizeof(msg))) {
			rc = bf_errf(err, BF_EINVAL, "%s: %s: %s",
				     identity_path, t->fields[i].name, msg);
			goto out;
		}
	}
	rc = load_member(n, slug, &m, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fb_text(&b, fields[i], jstr(id, fields[i]));
	fb_text(&b, "sign_key", key);
	if (m.found && strcmp(m.sign_key, key) != 0) {
		int64_t prev_from = m.key_from > 0 ? m.key_from : 1;
		if (key_from <= prev_from) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: %s has a new signing key; say from "
				     "which of its sequence numbers the new key "
				     "signs with --key-from N (greater than %lld)",
				     identity_path, slug, (long long)prev_from);
			goto out;
		}
		snprintf(item, sizeof(item), "%s:%lld:%lld", m.sign_key,
			 (long long)prev_from, (long long)(key_from - 1));
		fb_int(&b, "key_from", key_from);
		rc = add_old_keys(&b, &m, item);
	} else {
		fb_int(&b, "key_from", m.found ? m.key_from : 0);
		rc = m.found ? add_old_keys(&b, &m, NULL) : 0;
	}
	if (rc)
		goto out;
	fb_int(&b, "revoked_from", m.revoked_from);
	rc = commit_row(n, slug, &b, &m, changed, err);
out:
	fb_free(&b);
	free(m.old_keys);
	json_decref(id);
	free(text);
	return rc;
}

int roster_revoke(struct node *n, const char *slug, int64_t from_seq,
		  uint64_t *effective, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	struct member m;
	struct fb b;
	int rc, changed;
	const char *cols[] = {"city",   "country",  "endpoint", "name",
			      "region", "sign_key", "tls_cert"};

	memset(&b, 0, sizeof(b));
	rc = load_member(n, slug, &m, err);
	if (rc)
		return rc;
	if (!m.found) {
		rc = bf_errf(err, BF_ENOENT, "%s is not in the roster", slug);
		goto out;
	}
	if (from_seq <= 0) {
		uint64_t head;
		uint8_t h[CS_HASH_LEN];
		rc = store_head(n->store, slug, &head, h, err);
		if (rc)
			goto out;
		from_seq = (int64_t)head + 1;
	}
	/* the other columns are carried over as they are */
	rc = sqlite3_prepare_v2(store_db(n->store),
				"SELECT city, country, endpoint, name, region, "
				"sign_key, tls_cert FROM institution "
				"WHERE owner = ?1 AND id = ?2",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "roster: %s",
			     sqlite3_errmsg(store_db(n->store)));
		goto out;
	}
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = bf_errf(err, BF_EIO, "roster: cannot read %s", slug);
		goto out;
	}
	for (int i = 0; i < 7; i++)
		fb_text(&b, cols[i], (const char *)sqlite3_column_text(st, i));
	fb_int(&b, "key_from", m.key_from);
	rc = add_old_keys(&b, &m, NULL);
	if (rc)
		goto out;
	fb_int(&b, "revoked_from", from_seq);
	rc = commit_row(n, slug, &b, &m, &changed, err);
	*effective = (uint64_t)from_seq;
out:
	sqlite3_finalize(st);
	fb_free(&b);
	free(m.old_keys);
	return rc;
}

int roster_print(struct node *n, FILE *out, int json, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json ? json_array() : NULL;
	int rc;

	rc = sqlite3_prepare_v2(
		store_db(n->store),
		"SELECT id, name, country, coalesce(region,''), "
		"coalesce(endpoint,''), sign_key, coalesce(key_from,1), "
		"revoked_from, (SELECT seq FROM vv WHERE origin = "
		"institution.id) FROM institution WHERE owner = ?1 ORDER BY id",
		-1, &st, NULL);
	if (rc != SQLITE_OK) {
		json_decref(arr);
		return bf_errf(err, BF_EIO, "roster: %s",
			       sqlite3_errmsg(store_db(n->store)));
	}
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	if (!json)
		fprintf(out, "%-20s %-3s %-16s %-32s %-10s %s\n", "MEMBER", "CC",
			"KEY", "ENDPOINT", "STATUS", "NAME");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c[6];
		char status[40];
		for (int i = 0; i < 6; i++)
			c[i] = (const char *)sqlite3_column_text(st, i);
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			snprintf(status, sizeof(status), "revoked@%lld",
				 (long long)sqlite3_column_int64(st, 7));
		else
			snprintf(status, sizeof(status), "member");
		if (json) {
			json_t *o = json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}",
				"slug", c[0], "name", c[1] ? c[1] : "",
				"country", c[2] ? c[2] : "", "region", c[3],
				"endpoint", c[4], "sign_key", c[5] ? c[5] : "",
				"key_from",
				(json_int_t)sqlite3_column_int64(st, 6),
				"status", status, "seq",
				(json_int_t)sqlite3_column_int64(st, 8));
			json_array_append_new(arr, o);
		} else {
			/* a member without an endpoint only dials out */
			fprintf(out, "%-20s %-3s %.16s %-32s %-10s %s\n", c[0],
				c[2] ? c[2] : "", c[5] ? c[5] : "",
				c[4] && *c[4] ? c[4] : "(dials out)", status,
				c[1] ? c[1] : "");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return bf_errf(err, BF_EIO, "roster: %s",
			       sqlite3_errmsg(store_db(n->store)));
	}
	if (json) {
		json_dumpf(arr, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(arr);
	}
	return 0;
}
