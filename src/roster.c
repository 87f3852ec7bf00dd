/*
 * roster: writing and reading the federation's member list.
 */
#include "roster.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "schema.h"

/* The member as the roster has it; found 0: a new one (row all zero). */
struct member {
	struct store_member row;
	int found;
};

static int load_member(struct node *n, const char *slug, struct member *m,
		       struct bf_err *err)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = store_member(n->store, slug, &m->row, err);
	if (rc == BF_ENOENT)
		return 0;
	m->found = rc == 0;
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
	*changed = !old->found || memcmp(h, old->row.rowhash, sizeof(h)) != 0;
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
static int add_old_keys(struct fb *b, const struct store_member *m,
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
	const char *old_key;
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
	old_key = m.row.sign_key ? m.row.sign_key : "";
	if (m.found && strcmp(old_key, key) != 0) {
		int64_t prev_from = m.row.key_from > 0 ? m.row.key_from : 1;
		if (key_from <= prev_from) {
			rc = bf_errf(err, BF_EINVAL,
				     "%s: %s has a new signing key; say from "
				     "which of its sequence numbers the new key "
				     "signs with --key-from N (greater than %lld)",
				     identity_path, slug, (long long)prev_from);
			goto out;
		}
		snprintf(item, sizeof(item), "%s:%lld:%lld", old_key,
			 (long long)prev_from, (long long)(key_from - 1));
		fb_int(&b, "key_from", key_from);
		rc = add_old_keys(&b, &m.row, item);
	} else {
		fb_int(&b, "key_from", m.row.key_from);
		rc = m.found ? add_old_keys(&b, &m.row, NULL) : 0;
	}
	if (rc)
		goto out;
	fb_int(&b, "revoked_from", m.row.revoked_from);
	rc = commit_row(n, slug, &b, &m, changed, err);
out:
	fb_free(&b);
	store_member_free(&m.row);
	json_decref(id);
	free(text);
	return rc;
}

int roster_revoke(struct node *n, const char *slug, int64_t from_seq,
		  uint64_t *effective, struct bf_err *err)
{
	struct member m = {.found = 1};
	struct fb b;
	int rc, changed;

	memset(&b, 0, sizeof(b));
	rc = store_member(n->store, slug, &m.row, err);
	if (rc)
		return rc;
	if (from_seq <= 0) {
		uint64_t head;
		uint8_t h[CS_HASH_LEN];
		rc = store_head(n->store, slug, &head, h, err);
		if (rc)
			goto out;
		from_seq = (int64_t)head + 1;
	}
	/* the other columns are carried over as they are (fb_text leaves
	 * out those the row does not have) */
	fb_text(&b, "city", m.row.city);
	fb_text(&b, "country", m.row.country);
	fb_text(&b, "endpoint", m.row.endpoint);
	fb_text(&b, "name", m.row.name);
	fb_text(&b, "region", m.row.region);
	fb_text(&b, "sign_key", m.row.sign_key);
	fb_text(&b, "tls_cert", m.row.tls_cert);
	fb_int(&b, "key_from", m.row.key_from);
	rc = add_old_keys(&b, &m.row, NULL);
	if (rc)
		goto out;
	fb_int(&b, "revoked_from", from_seq);
	rc = commit_row(n, slug, &b, &m, &changed, err);
	*effective = (uint64_t)from_seq;
out:
	fb_free(&b);
	store_member_free(&m.row);
	return rc;
}

struct print_ctx {
	struct node *n;
	FILE *out;
	json_t *arr; /* NULL: a table */
	struct bf_err *err;
};

static int print_member(void *vctx, const struct store_member *m)
{
	struct print_ctx *p = vctx;
	const char *key = m->sign_key ? m->sign_key : "";
	char status[40];
	uint8_t h[CS_HASH_LEN];
	uint64_t seq;
	int rc;

	/* the member's head: how far this replica has its change sets */
	if ((rc = store_head(p->n->store, m->slug, &seq, h, p->err)) != 0)
		return rc;
	if (m->revoked_from)
		snprintf(status, sizeof(status), "revoked@%lld",
			 (long long)m->revoked_from);
	else
		snprintf(status, sizeof(status), "member");
	if (p->arr) {
		json_t *o = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I}", "slug",
			m->slug, "name", m->name ? m->name : "", "country",
			m->country ? m->country : "", "region",
			m->region ? m->region : "", "endpoint",
			m->endpoint ? m->endpoint : "", "sign_key", key,
			"key_from", (json_int_t)(m->key_from ? m->key_from : 1),
			"status", status, "seq", (json_int_t)seq);
		json_array_append_new(p->arr, o);
	} else {
		/* a member without an endpoint only dials out */
		fprintf(p->out, "%-20s %-3s %.16s %-32s %-10s %s\n", m->slug,
			m->country ? m->country : "", key,
			m->endpoint && *m->endpoint ? m->endpoint
						    : "(dials out)",
			status, m->name ? m->name : "");
	}
	return 0;
}

int roster_print(struct node *n, FILE *out, int json, struct bf_err *err)
{
	struct print_ctx p = {n, out, json ? json_array() : NULL, err};
	int rc;

	if (json && !p.arr)
		return bf_errf(err, BF_ENOMEM, "roster: out of memory");
	if (!json)
		fprintf(out, "%-20s %-3s %-16s %-32s %-10s %s\n", "MEMBER",
			"CC", "KEY", "ENDPOINT", "STATUS", "NAME");
	rc = store_members(n->store, print_member, &p, err);
	if (rc == 0 && json) {
		json_dumpf(p.arr, out, JSON_INDENT(2));
		fputc('\n', out);
	}
	json_decref(p.arr);
	return rc;
}
