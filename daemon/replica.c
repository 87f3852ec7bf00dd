/*
 * The loop's replica: the local vector and the origin-behind marker kept
 * from it, applying what peers send, and the anti-entropy decisions
 * (src/sync.h) asked with the local vector, their outcome logged.
 * Nothing here calls the server or the peers: a change they must hear of
 * sets d->changed, which the loop acts on.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "schema.h"

/* --- the local vector ----------------------------------------------------- */

/* Keeps the origin-behind marker (node.h) in step with what peers say
 * about this node's own origin. */
void daemon_note_vector(struct daemon *d, const struct vv *their)
{
	const char *self = d->node.cfg.slug;
	char path[PATH_MAX + 32], text[32];
	struct bf_err err;
	uint64_t seq;

	/* what this node lacks, and since when it knows (status, metrics) */
	for (size_t i = 0; i < their->n; i++)
		monitor_learn(&d->mon, their->e[i].origin,
			      vv_seq(&d->local, their->e[i].origin),
			      their->e[i].seq, bf_now_ms());
	if (!sync_origin_behind(&d->local, their, self, d->own_behind, &seq))
		return;
	d->own_behind = seq;
	node_file(&d->node, NODE_BEHIND, path, sizeof(path));
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)seq);
	if (bf_write_file_atomic(path, 0644, text, strlen(text), &err))
		log_msg(LOG_ERROR, "store-error", "%s", err.msg);
	log_msg(LOG_WARN, "origin-behind",
		"peers hold %s up to seq %llu, this replica %llu: fetching them "
		"back before anything new is signed",
		self, (unsigned long long)seq,
		(unsigned long long)vv_seq(&d->local, self));
}

static void clear_behind(struct daemon *d)
{
	char path[PATH_MAX + 32];

	if (!sync_origin_current(&d->local, d->node.cfg.slug, d->own_behind))
		return;
	node_file(&d->node, NODE_BEHIND, path, sizeof(path));
	unlink(path);
	log_msg(LOG_INFO, "origin-current", "seq=%llu",
		(unsigned long long)vv_seq(&d->local, d->node.cfg.slug));
	d->own_behind = 0;
}

int daemon_refresh_vector(struct daemon *d)
{
	struct vv nv = {0};
	struct bf_err err;
	int changed;

	if (sync_local_vector(d->node.store, &nv, &err)) {
		log_msg(LOG_ERROR, "store-error", "vector: %s", err.msg);
		vv_free(&nv);
		return 0;
	}
	changed = !vv_equal(&nv, &d->local);
	vv_free(&d->local);
	d->local = nv;
	d->log_mark = store_log_mark(d->node.store);
	clear_behind(d);
	return changed;
}

/* --- applying ------------------------------------------------------------- */

int daemon_apply(struct daemon *d, const char *from, const uint8_t *cs,
		 size_t len)
{
	struct cs_header h;
	struct bf_err err;
	size_t rows = 0;
	char esc[512];
	uint64_t t0;
	int rc;

	memset(&h, 0, sizeof(h));
	t0 = bf_mono_ns();
	rc = store_apply(d->node.store, cs, len, &h, &rows, &err);
	monitor_apply(&d->mon, rc, rc ? err.msg : NULL, from, rows,
		      (double)(bf_mono_ns() - t0) / 1e9, bf_now_ms());
	if (rc == 0) {
		d->applied++;
		log_msg(LOG_DEBUG, "changeset-applied",
			"origin=%s seq=%llu rows=%zu from=%s", h.origin,
			(unsigned long long)h.seq, rows, from);
		return 0;
	}
	if (rc == BF_EDUP) {
		/* relays and pushes overlap: common, harmless, not applied */
		log_msg(LOG_DEBUG, "changeset-duplicate",
			"origin=%s seq=%llu from=%s", h.origin,
			(unsigned long long)h.seq, from);
		return 1;
	}
	d->rejected++;
	log_msg(rc == BF_EFORK ? LOG_ERROR : LOG_WARN,
		rc == BF_EFORK ? "fork-detected" : "changeset-rejected",
		"from=%s reason=\"%s\"", from,
		log_escape(err.msg, strlen(err.msg), esc, sizeof(esc)));
	/* the evidence and the fork point were committed: status shows
	 * them from the vector */
	if (rc == BF_EFORK)
		daemon_refresh_vector(d);
	return rc;
}

int daemon_apply_batch(struct daemon *d, const char *from,
		       const struct wire_msg *m, uint64_t *applied,
		       uint64_t *rejected)
{
	size_t i;

	*applied = *rejected = 0;
	for (i = 0; i < m->ncs && !atomic_load(&d->stop_requested); i++) {
		int rc = daemon_apply(d, from, (const uint8_t *)m->cs[i].p,
				      m->cs[i].len);
		if (rc == 0)
			(*applied)++;
		else if (rc < 0)
			(*rejected)++;
	}
	return i < m->ncs;
}

/* Did the roster's certificates change since the last look?  Only the
 * coordinator writes the roster: its seq tells when to look at all. */
int daemon_roster_moved(struct daemon *d)
{
	uint64_t seq = vv_seq(&d->local, SCHEMA_COORDINATOR);
	uint8_t digest[CS_HASH_LEN];

	if (seq == d->roster_seq)
		return 0;
	d->roster_seq = seq;
	tlsconf_roster_digest(d, digest);
	if (!memcmp(digest, d->roster_digest, sizeof(digest)))
		return 0;
	memcpy(d->roster_digest, digest, sizeof(digest));
	return 1;
}

void daemon_changed(struct daemon *d)
{
	/* a new roster may admit or revoke certificates: the TLS
	 * configurations are rebuilt by the main loop, outside any handler */
	if (daemon_roster_moved(d))
		d->tls_dirty = 1;
	d->changed = 1;
}

void daemon_refresh(struct daemon *d)
{
	if (daemon_refresh_vector(d))
		daemon_changed(d);
}

/* --- what a peer gets ----------------------------------------------------- */

int daemon_collect(struct daemon *d, const struct vv *their, size_t max_bytes,
		   struct bf_buf *b, size_t *count, int *more)
{
	struct bf_err err;
	int rc = sync_collect(d->node.store, &d->local, their, max_bytes,
			      WIRE_MAX_BATCH, b, count, more, &err);

	if (rc < 0)
		log_msg(LOG_ERROR, "store-error", "%s", err.msg);
	return rc;
}

void daemon_fork_adjust(struct daemon *d, struct vv *their,
			struct sync_fork_marks *marks, const char *peer)
{
	struct sync_fork found[SYNC_FORK_MARKS];
	size_t n = sync_fork_adjust(d->node.store, &d->local, their, marks,
				    found);

	for (size_t i = 0; i < n; i++) {
		char a[2 * 8 + 1], b[2 * 8 + 1];

		bf_hex(found[i].here, 8, a);
		bf_hex(found[i].there, 8, b);
		log_msg(LOG_ERROR, "fork-detected",
			"origin=%s seq=%llu peer=%s here=%s... there=%s... "
			"reason=\"two change sets at one seq, seen in the "
			"vectors: sending ours as evidence\"",
			found[i].origin, (unsigned long long)found[i].seq, peer,
			a, b);
	}
}
