/*
 * fetchstate: a source's state (fetch.h says what it holds) as fetch sees
 * it, kept in the store's fetch_state table (store.h): local to this
 * node, never replicated.
 */
#include "fetchstate.h"

#include <stdio.h>
#include <string.h>

/* fetch's view and the store's row hold the same texts: none is cut */
_Static_assert(sizeof(((struct fetch_state *)0)->url) ==
		       sizeof(((struct store_fetch_state *)0)->url),
	       "url sizes");
_Static_assert(FETCH_ETAG_MAX == sizeof(((struct store_fetch_state *)0)->etag),
	       "etag sizes");
_Static_assert(FETCH_LM_MAX ==
		       sizeof(((struct store_fetch_state *)0)->last_modified),
	       "last_modified sizes");

int fetch_state_get(struct store *s, const char *name, struct fetch_state *out,
		    struct bf_err *err)
{
	struct store_fetch_state r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_fetch_state_get(s, name, &r, err)) != 0)
		return rc;
	snprintf(out->source, sizeof(out->source), "%s", r.source);
	snprintf(out->url, sizeof(out->url), "%s", r.url);
	snprintf(out->v.etag, sizeof(out->v.etag), "%s", r.etag);
	snprintf(out->v.last_modified, sizeof(out->v.last_modified), "%s",
		 r.last_modified);
	out->last_attempt_ms = r.last_attempt_ms;
	out->last_success_ms = r.last_success_ms;
	out->last_change_ms = r.last_change_ms;
	out->last_error_ms = r.last_error_ms;
	snprintf(out->last_error, sizeof(out->last_error), "%s", r.last_error);
	out->last_status = r.last_status;
	out->records = r.records;
	out->pages = r.pages;
	out->bytes = r.bytes;
	out->refused = r.refused;
	snprintf(out->roster, sizeof(out->roster), "%s", r.roster);
	return BF_OK;
}

int fetchstate_put(struct store *s, const char *name, const char *url,
		   const char *roster, const struct fetch_validators *v,
		   uint64_t now, int success, int changed, const char *error,
		   long status, const struct fetch_result *r,
		   struct bf_err *err)
{
	struct store_fetch_state st;
	unsigned what = 0;

	memset(&st, 0, sizeof(st));
	snprintf(st.source, sizeof(st.source), "%s", name);
	st.last_attempt_ms = now;
	st.last_status = status;
	if (success) {
		what |= STORE_FETCH_SUCCESS;
		st.last_success_ms = now;
		if (changed) {
			what |= STORE_FETCH_CHANGE;
			st.last_change_ms = now;
		}
	}
	if (url) {
		/* a whole fetch: its validators (or none) replace the old */
		what |= STORE_FETCH_WHOLE;
		snprintf(st.url, sizeof(st.url), "%s", url);
		if (v) {
			snprintf(st.etag, sizeof(st.etag), "%s", v->etag);
			snprintf(st.last_modified, sizeof(st.last_modified),
				 "%s", v->last_modified);
		}
		st.records = r->pub.records;
		st.pages = r->pages;
		st.bytes = r->bytes;
		st.refused = r->pub.skipped;
		snprintf(st.roster, sizeof(st.roster), "%s", roster);
	}
	if (error) {
		what |= STORE_FETCH_ERROR;
		st.last_error_ms = now;
		snprintf(st.last_error, sizeof(st.last_error), "%s", error);
	}
	return store_fetch_state_put(s, &st, what, err);
}

void fetchstate_roster_fingerprint(const struct fetchmap_roster *r,
				   char out[17])
{
	struct bf_buf b;
	uint8_t h[CS_HASH_LEN];

	bf_buf_init(&b, 0);
	for (size_t i = 0; i < r->n; i++)
		if (bf_buf_adds(&b, r->v[i].slug) ||
		    bf_buf_adds(&b, r->v[i].keys[0]) ||
		    bf_buf_adds(&b, r->v[i].keys[1]) || bf_buf_addc(&b, '\n'))
			break;
	cs_sha256(b.p ? (const void *)b.p : "", b.len, h);
	bf_hex(h, 8, out);
	bf_buf_free(&b);
}

int fetch_due(struct store *s, const struct bf_source *src, uint64_t now_ms)
{
	struct fetch_state st;
	struct bf_err err;

	if (fetch_state_get(s, src->name, &st, &err) != 0)
		return 1;
	return now_ms >= st.last_attempt_ms + (uint64_t)src->refresh * 1000;
}
