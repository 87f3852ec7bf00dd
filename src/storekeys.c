/*
 * storekeys: the roster as the source of keys.  Which key an origin signs
 * a seq with (the pinned coordinator key, a member's current sign_key
 * from key_from on, or one of its former keys in old_keys), and the
 * checks every roster row passes before apply writes it, since a bad
 * row there would decide which signatures verify.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "schema.h"
#include "store_int.h"

/* "HEX:FROM:UNTIL": a former sign key valid for seqs FROM..UNTIL. */
static int parse_old_key(const char *s, size_t len, uint8_t key[CS_KEY_LEN],
			 uint64_t *from, uint64_t *until)
{
	char hex[2 * CS_KEY_LEN + 1];
	uint64_t v[2] = {0, 0};
	size_t i = 2 * CS_KEY_LEN;

	if (len < i + 4 || s[i] != ':')
		return BF_EINVAL;
	memcpy(hex, s, i);
	hex[i] = 0;
	for (size_t k = 0; k < i; k++)
		if (!((hex[k] >= '0' && hex[k] <= '9') ||
		      (hex[k] >= 'a' && hex[k] <= 'f')))
			return BF_EINVAL;
	for (int part = 0; part < 2; part++) {
		size_t digits = 0;

		if (s[i++] != ':')
			return BF_EINVAL;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (++digits > 18) /* stays below INT64_MAX */
				return BF_EINVAL;
			v[part] = v[part] * 10 + (uint64_t)(s[i++] - '0');
		}
		if (digits == 0 || (part == 0 && i >= len))
			return BF_EINVAL;
	}
	if (i != len || v[0] < 1 || v[1] < v[0])
		return BF_EINVAL;
	if (bf_unhex(hex, key, CS_KEY_LEN))
		return BF_EINVAL;
	*from = v[0];
	*until = v[1];
	return BF_OK;
}

int store_old_key(const char *old_keys, size_t len, uint64_t seq,
		  uint8_t key[CS_KEY_LEN])
{
	json_t *old = json_loadb(old_keys, len, 0, NULL);
	size_t n = json_is_array(old) ? json_array_size(old) : 0;
	int rc = BF_ENOENT;

	for (size_t i = 0; i < n && rc; i++) {
		json_t *it = json_array_get(old, i);
		uint8_t k[CS_KEY_LEN];
		uint64_t from, until;

		if (json_is_string(it) &&
		    !parse_old_key(json_string_value(it),
				   json_string_length(it), k, &from, &until) &&
		    seq >= from && seq <= until) {
			memcpy(key, k, CS_KEY_LEN);
			rc = BF_OK;
		}
	}
	json_decref(old);
	return rc;
}

/*
 * The roster is where keys come from, so its rows get every check that
 * publish would apply, here at the receiving end too: an id that is a
 * slug (it is an origin), required fields, values that pass the schema's
 * syntax checks (sign_key is 64 hex digits), integer bounds, and old_keys
 * items that parse as HEX:FROM:UNTIL.
 */
int store_check_roster_row(const struct sch_table *t, const struct cs_row *r,
			   struct bf_err *err)
{
	char id[80], msg[256];
	size_t j = 0;
	int rc;

	/* a NUL would end the copy early, leaving a slug of its prefix */
	if (r->id.len >= sizeof(id) || memchr(r->id.p, 0, r->id.len))
		return store_row_fail(err, BF_EINVAL, r, "id is not a slug");
	memcpy(id, r->id.p, r->id.len);
	id[r->id.len] = 0;
	if (!bf_is_slug(id))
		return store_row_fail(err, BF_EINVAL, r, "id is not a slug");
	for (size_t i = 0; i < t->nfields; i++) {
		const struct sch_field *f = &t->fields[i];
		const struct cs_value *v;
		int c = 1;

		while (j < r->nfields &&
		       (c = store_name_cmp(r->fields[j].name.p,
					   r->fields[j].name.len, f->name,
					   strlen(f->name))) < 0)
			j++;
		if (j >= r->nfields || c != 0) {
			if (f->flags & SCH_REQUIRED)
				return store_row_fail(err, BF_EINVAL, r,
						      "field %s is required",
						      f->name);
			continue;
		}
		v = &r->fields[j].v;
		if ((rc = store_check_type(r, f, v, err)) != 0)
			return rc;
		if (f->type == SCH_TEXT &&
		    schema_check_text(f, v->s.p, v->s.len, msg, sizeof(msg)))
			return store_row_fail(err, BF_EINVAL, r, "field %s: %s",
					      f->name, msg);
		if (f->type == SCH_INT && f->min < f->max &&
		    (v->i < f->min || v->i > f->max))
			return store_row_fail(err, BF_EINVAL, r,
					      "field %s: %lld is out of range "
					      "%lld..%lld",
					      f->name, (long long)v->i,
					      (long long)f->min,
					      (long long)f->max);
		for (size_t k = 0; f->type == SCH_LIST && k < v->nitems; k++) {
			const struct cs_str *it = &v->items[k];
			uint8_t key[CS_KEY_LEN];
			uint64_t from, until;

			if (!strcmp(f->name, ROSTER_OLD_KEYS) &&
			    parse_old_key(it->p, it->len, key, &from, &until))
				return store_row_fail(err, BF_EINVAL, r,
						      "field %s: item %zu is "
						      "not HEX:FROM:UNTIL",
						      f->name, k + 1);
			if (schema_check_text(f, it->p, it->len, msg,
					      sizeof(msg)))
				return store_row_fail(err, BF_EINVAL, r,
						      "field %s: %s", f->name,
						      msg);
		}
		j++;
	}
	return BF_OK;
}

int store_origin_key(struct store *s, const char *origin, uint64_t seq,
		     uint8_t key[CS_KEY_LEN], struct bf_err *err)
{
	uint8_t k[CS_KEY_LEN];
	sqlite3_stmt *st;
	int64_t key_from = 1, revoked = 0;
	int rc, found = 0;

	if (!strcmp(origin, SCHEMA_COORDINATOR)) {
		if (!s->have_coord)
			return bf_errf(err, BF_ENOENT,
				       "no coordinator key configured");
		memcpy(key, s->coord, CS_KEY_LEN);
		return BF_OK;
	}
	rc = store_prep(s, &s->member,
		  "SELECT \"sign_key\", \"key_from\", \"" ROSTER_OLD_KEYS
		  "\", \"revoked_from\" FROM \"" ROSTER_TABLE
		  "\" WHERE \"owner\" = ?1 AND \"id\" = ?2",
		  err);
	if (rc)
		return rc;
	st = s->member;
	sqlite3_bind_text(st, 1, SCHEMA_COORDINATOR, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = bf_errf(err, BF_ENOENT, "%s is not a roster member",
			     origin);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = store_sql_fail(s, err, "roster lookup");
		goto out;
	}
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		key_from = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		revoked = sqlite3_column_int64(st, 3);
	if (revoked > 0 && seq >= (uint64_t)revoked) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "%s is revoked from seq %lld (this is seq %llu)",
			     origin, (long long)revoked,
			     (unsigned long long)seq);
		goto out;
	}
	if (key_from < 1 || seq >= (uint64_t)key_from) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);

		if (!hex || bf_unhex(hex, k, CS_KEY_LEN)) {
			rc = bf_errf(err, BF_ECRYPTO,
				     "roster entry of %s has no valid sign_key",
				     origin);
			goto out;
		}
		found = 1;
	} else if (sqlite3_column_type(st, 2) == SQLITE_TEXT) {
		const char *old = (const char *)sqlite3_column_text(st, 2);

		found = !store_old_key(old, (size_t)sqlite3_column_bytes(st, 2),
				       seq, k);
	}
	if (!found) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "no key of %s is valid at seq %llu", origin,
			     (unsigned long long)seq);
		goto out;
	}
	memcpy(key, k, CS_KEY_LEN);
	rc = BF_OK;
out:
	sqlite3_reset(st);
	return rc;
}
