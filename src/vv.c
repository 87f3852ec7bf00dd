/*
 * Version vectors (vv.h): a sorted array searched with bf_bsearch and
 * grown with bf_grow.  Entries arrive in order almost always (the wire
 * and the replica both give them so): appending is the fast path.
 */
#include <stdlib.h>
#include <string.h>

#include "vv.h"

void vv_free(struct vv *v)
{
	free(v->e);
	memset(v, 0, sizeof(*v));
}

static int origin_cmp_at(const void *ctx, size_t i, const void *key)
{
	const struct vv *v = ctx;

	return strcmp(v->e[i].origin, key);
}

int vv_set(struct vv *v, const char *origin, size_t len, uint64_t seq,
	   const uint8_t hash[CS_HASH_LEN], struct vv_entry **at)
{
	char key[CS_MAX_ORIGIN + 1];
	struct vv_entry *e;
	size_t pos = v->n;
	int rc;

	if (len == 0 || len > CS_MAX_ORIGIN || memchr(origin, 0, len))
		return BF_EINVAL;
	memcpy(key, origin, len);
	key[len] = 0;
	if (v->n && strcmp(v->e[v->n - 1].origin, key) >= 0 &&
	    bf_bsearch(v->n, origin_cmp_at, v, key, &pos)) {
		e = &v->e[pos];
		goto set;
	}
	if ((rc = bf_grow(&v->e, &v->cap, v->n + 1, sizeof(*v->e), 16)) != 0)
		return rc;
	e = &v->e[pos];
	memmove(e + 1, e, (v->n - pos) * sizeof(*e));
	v->n++;
	/* the whole entry: vv_equal compares them field by field, but a
	 * copy of a vector should not carry uninitialised bytes */
	memset(e, 0, sizeof(*e));
	memcpy(e->origin, key, len + 1);
set:
	e->seq = seq;
	memcpy(e->hash, hash, CS_HASH_LEN);
	if (at)
		*at = e;
	return 0;
}

const struct vv_entry *vv_find(const struct vv *v, const char *origin)
{
	size_t pos;

	if (!bf_bsearch(v->n, origin_cmp_at, v, origin, &pos))
		return NULL;
	return &v->e[pos];
}

uint64_t vv_seq(const struct vv *v, const char *origin)
{
	const struct vv_entry *e = vv_find(v, origin);

	return e ? e->seq : 0;
}

int vv_copy(struct vv *out, const struct vv *v)
{
	out->n = 0;
	if (bf_grow(&out->e, &out->cap, v->n, sizeof(*v->e), 16))
		return BF_ENOMEM;
	if (v->n)
		memcpy(out->e, v->e, v->n * sizeof(*v->e));
	out->n = v->n;
	return 0;
}

int vv_equal(const struct vv *a, const struct vv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct vv_entry *x = &a->e[i], *y = &b->e[i];

		if (x->seq != y->seq || x->forked_at != y->forked_at ||
		    strcmp(x->origin, y->origin) ||
		    memcmp(x->hash, y->hash, CS_HASH_LEN))
			return 0;
	}
	return 1;
}

int vv_from_wire(struct vv *v, const struct wire_msg *m)
{
	v->n = 0;
	for (size_t i = 0; i < m->nvv; i++) {
		if (vv_set(v, m->vv[i].origin.p, m->vv[i].origin.len,
			   m->vv[i].seq, m->vv[i].hash, NULL)) {
			v->n = 0;
			return BF_ENOMEM;
		}
	}
	return 0;
}

int vv_put(struct bf_buf *b, const struct vv *v)
{
	int rc = bf_put_uvarint(b, v->n);

	for (size_t i = 0; i < v->n && !rc; i++)
		rc = wire_put_vv(b, v->e[i].origin, v->e[i].seq, v->e[i].hash);
	return rc;
}

int vv_after(struct vv *out, const struct vv *v, const struct wire_msg *m)
{
	/* per origin, the last change set that advanced it: only its hash
	 * enters the vector, so only it is hashed (a batch holds megabytes) */
	struct last {
		char origin[CS_MAX_ORIGIN + 1];
		size_t i;
	} *last = m->ncs ? calloc(m->ncs, sizeof(*last)) : NULL;
	static const uint8_t zero[CS_HASH_LEN];
	size_t nlast = 0;
	int rc;

	if (m->ncs && !last)
		rc = BF_ENOMEM;
	else
		rc = vv_copy(out, v);
	for (size_t i = 0; i < m->ncs && !rc; i++) {
		const uint8_t *p = (const uint8_t *)m->cs[i].p;
		struct vv_entry *e;
		struct cs_header h;
		struct bf_err err;
		size_t pos, k;

		if (cs_peek_header(p, m->cs[i].len, &h, NULL, &err))
			continue;
		if (bf_bsearch(out->n, origin_cmp_at, out, h.origin, &pos)) {
			e = &out->e[pos];
			if (h.seq != e->seq + 1)
				continue;
			e->seq = h.seq;
		} else if (h.seq == 1) {
			rc = vv_set(out, h.origin, strlen(h.origin), 1, zero,
				    NULL);
			if (rc)
				break;
		} else {
			continue;
		}
		for (k = 0; k < nlast && strcmp(last[k].origin, h.origin); k++)
			;
		if (k == nlast)
			memcpy(last[nlast++].origin, h.origin,
			       sizeof(last[0].origin));
		last[k].i = i;
	}
	for (size_t k = 0; k < nlast && !rc; k++) {
		const struct cs_str *c = &m->cs[last[k].i];
		size_t pos;
		struct cs_header h;
		struct bf_err err;

		if (bf_bsearch(out->n, origin_cmp_at, out, last[k].origin,
			       &pos))
			cs_peek_header((const uint8_t *)c->p, c->len, &h,
				       out->e[pos].hash, &err);
	}
	free(last);
	if (rc)
		out->n = 0;
	return rc;
}
