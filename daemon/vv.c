/*
 * Version vectors: what a peer says it holds (decoded from its vector
 * message), and this node's own vector with what it has learnt it lacks.
 */
#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "daemon.h"

/* --- version vectors ----------------------------------------------------- */

void vv_free(struct vv *v)
{
	free(v->e);
	memset(v, 0, sizeof(*v));
}

static int vv_add(struct vv *v, const char *origin, size_t olen, uint64_t seq,
		  const uint8_t *hash)
{
	if (olen > CS_MAX_ORIGIN)
		return BF_EINVAL;
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;
		struct vv_entry *ne = realloc(v->e, nc * sizeof(*ne));
		if (!ne)
			return BF_ENOMEM;
		v->e = ne;
		v->cap = nc;
	}
	memcpy(v->e[v->n].origin, origin, olen);
	v->e[v->n].origin[olen] = 0;
	v->e[v->n].seq = seq;
	memcpy(v->e[v->n].hash, hash, CS_HASH_LEN);
	v->e[v->n].forked_at = 0;
	v->n++;
	return 0;
}

int vv_from_wire(struct vv *v, const struct wire_msg *m)
{
	v->n = 0;
	for (size_t i = 0; i < m->nvv; i++)
		if (vv_add(v, m->vv[i].origin.p, m->vv[i].origin.len,
			   m->vv[i].seq, m->vv[i].hash))
			return BF_ENOMEM;
	return 0;
}

const struct vv_entry *vv_find(const struct vv *v, const char *origin)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->e[mid].origin, origin);
		if (c == 0)
			return &v->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int vv_put(struct bf_buf *b, const struct vv *v)
{
	int rc = bf_put_uvarint(b, v->n);
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = wire_put_vv(b, v->e[i].origin, v->e[i].seq, v->e[i].hash);
	return rc;
}

static int vv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vv_entry *)a)->origin,
		      ((const struct vv_entry *)b)->origin);
}

int vv_after(struct vv *out, const struct vv *v, const struct wire_msg *m)
{
	/* per origin, the last change set that advanced it: only its hash
	 * enters the vector, so only it is hashed (a batch holds megabytes) */
	struct last {
		char origin[CS_MAX_ORIGIN + 1];
		size_t i;
	} *last = m->ncs ? calloc(m->ncs, sizeof(*last)) : NULL;
	size_t nlast = 0;
	int rc = 0;

	if (m->ncs && !last)
		return BF_ENOMEM;
	out->n = 0;
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = vv_add(out, v->e[i].origin, strlen(v->e[i].origin),
			    v->e[i].seq, v->e[i].hash);
	for (size_t i = 0; i < m->ncs && !rc; i++) {
		struct cs_header h;
		struct vv_entry *e;
		struct bf_err err;
		size_t k;

		if (cs_peek_header((const uint8_t *)m->cs[i].p, m->cs[i].len,
				   &h, NULL, &err))
			continue;
		e = (struct vv_entry *)vv_find(out, h.origin);
		if (!e && h.seq == 1) {
			if ((rc = vv_add(out, h.origin, strlen(h.origin), 1,
					 (const uint8_t[CS_HASH_LEN]){0})))
				break;
			qsort(out->e, out->n, sizeof(*out->e), vv_cmp);
		} else if (e && h.seq == e->seq + 1) {
			e->seq = h.seq;
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
		struct vv_entry *e =
			(struct vv_entry *)vv_find(out, last[k].origin);
		struct cs_header h;
		struct bf_err err;

		if (e)
			cs_peek_header((const uint8_t *)c->p, c->len, &h,
				       e->hash, &err);
	}
	free(last);
	return rc;
}

static int vv_cb(void *ctx, const struct store_vv_entry *e)
{
	struct vv *v = ctx;
	int rc = vv_add(v, e->origin, strlen(e->origin), e->seq, e->hash);

	if (rc == 0)
		v->e[v->n - 1].forked_at = e->forked_at;
	return rc;
}

/* Keeps the origin-behind marker (node.h) in step with what peers say
 * about this node's own origin. */
void daemon_note_vector(struct daemon *d, const struct vv *their)
{
	const struct vv_entry *t = vv_find(their, d->node.cfg.slug);
	const struct vv_entry *mine = vv_find(&d->local, d->node.cfg.slug);
	uint64_t have = mine ? mine->seq : 0;
	char path[PATH_MAX + 32], text[32];
	struct bf_err err;

	/* what this node lacks, and since when it knows (status, metrics) */
	for (size_t i = 0; i < their->n; i++) {
		const struct vv_entry *l = vv_find(&d->local, their->e[i].origin);
		monitor_learn(&d->mon, their->e[i].origin, l ? l->seq : 0,
			      their->e[i].seq, bf_now_ms());
	}
	if (!t || t->seq <= have || t->seq <= d->own_behind)
		return;
	d->own_behind = t->seq;
	node_file(&d->node, NODE_BEHIND, path, sizeof(path));
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)t->seq);
	if (bf_write_file_atomic(path, 0644, text, strlen(text), &err))
		log_msg(LOG_ERROR, "store-error", "%s", err.msg);
	log_msg(LOG_WARN, "origin-behind",
		"peers hold %s up to seq %llu, this replica %llu: fetching them "
		"back before anything new is signed",
		d->node.cfg.slug, (unsigned long long)t->seq,
		(unsigned long long)have);
}

static void clear_behind(struct daemon *d)
{
	const struct vv_entry *mine = vv_find(&d->local, d->node.cfg.slug);
	char path[PATH_MAX + 32];

	if (!d->own_behind || !mine || mine->seq < d->own_behind)
		return;
	node_file(&d->node, NODE_BEHIND, path, sizeof(path));
	unlink(path);
	log_msg(LOG_INFO, "origin-current", "seq=%llu",
		(unsigned long long)mine->seq);
	d->own_behind = 0;
}

int daemon_refresh_vector(struct daemon *d)
{
	struct vv nv = {0};
	struct bf_err err;
	int changed;

	if (store_vector(d->node.store, vv_cb, &nv, &err)) {
		log_msg(LOG_ERROR, "store-error", "vector: %s", err.msg);
		vv_free(&nv);
		return 0;
	}
	changed = nv.n != d->local.n ||
		  (nv.n && memcmp(nv.e, d->local.e, nv.n * sizeof(*nv.e)) != 0);
	vv_free(&d->local);
	d->local = nv;
	d->log_mark = store_log_mark(d->node.store);
	clear_behind(d);
	return changed;
}
