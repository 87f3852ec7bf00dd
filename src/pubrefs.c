/*
 * pubrefs: the references between an institution's rows (a collection's
 * biobank, a fact's collection...) that publish checks: against the rows
 * the institution has, the rows of the file, and what --replace deletes.
 */
#include <stdlib.h>
#include <string.h>

#include "publish_int.h"

/* A reference of the record: settled now when the row it names is known,
 * else kept for the end of the file.  Returns a negative code on error. */
int pub_check_ref(struct ctx *c, const struct rec *r, const char *idbuf,
		     const struct sch_field *f, const char *v, size_t len)
{
	const struct sch_table *to = schema_table(f->ref, strlen(f->ref));
	struct tstate *rts = to ? pub_table_state(c, to) : NULL;
	struct idmap_ent *re;
	struct pending_ref *p;

	if (!rts)
		return bf_errf(c->err, BF_ENOMEM, "%s: cannot load owned rows",
			       f->ref);
	re = idmap_get(&rts->map, v, len, 0);
	if (re && ((re->state & IDMAP_SEEN) ||
		   ((re->state & IDMAP_OWNED) && !c->o->replace)))
		return 0;
	if (bf_grow(&c->pend, &c->cappend, c->npend + 1, sizeof(*c->pend), 256))
		return bf_errf(c->err, BF_ENOMEM, "out of memory");
	p = &c->pend[c->npend];
	p->to = to;
	p->line = r->line;
	p->index = r->index;
	p->off = c->refs.len;
	if (bf_buf_adds(&c->refs, r->file) || bf_buf_addc(&c->refs, 0) ||
	    bf_buf_adds(&c->refs, r->table ? r->table : "") ||
	    bf_buf_addc(&c->refs, 0) || bf_buf_adds(&c->refs, idbuf) ||
	    bf_buf_addc(&c->refs, 0) || bf_buf_adds(&c->refs, f->name) ||
	    bf_buf_addc(&c->refs, 0) || bf_buf_add(&c->refs, v, len) ||
	    bf_buf_addc(&c->refs, 0))
		return bf_errf(c->err, BF_ENOMEM, "out of memory");
	c->npend++;
	return 0;
}

/* The references left for the end: each must name a row the file holds
 * or one the institution has and keeps. */
void pub_settle_refs(struct ctx *c)
{
	for (size_t i = 0; i < c->npend; i++) {
		const struct pending_ref *p = &c->pend[i];
		const char *file = (const char *)c->refs.p + p->off;
		const char *table = file + strlen(file) + 1;
		const char *id = table + strlen(table) + 1;
		const char *field = id + strlen(id) + 1;
		const char *v = field + strlen(field) + 1;
		struct tstate *rts = pub_table_state(c, p->to);
		struct idmap_ent *re =
			rts ? idmap_get(&rts->map, v, strlen(v), 0) : NULL;

		if (re && ((re->state & IDMAP_SEEN) ||
			   ((re->state & IDMAP_OWNED) &&
			    !(c->o->replace && rts->in_file))))
			continue;
		pub_report(c, file, p->line, *table ? table : NULL, p->index, id,
			  field,
			  "%s \"%.80s\" is not one of this institution's %s "
			  "rows, nor in this file",
			  p->to->name, v, p->to->name);
	}
}

struct kept_ref {
	struct ctx *c;
	struct tstate *from, *to;
	const struct sch_field *f;
};

static int deleted_in(const struct tstate *ts, const char *id, size_t len)
{
	struct idmap_ent *e = idmap_get((struct idmap *)&ts->map, id, len, 0);

	return e && e->state == IDMAP_OWNED && ts->in_file;
}

/* A row the file does not touch that names a row replace deletes. */
static int kept_ref_cb(void *vctx, const char *id, size_t id_len,
		       const char *v, size_t v_len)
{
	struct kept_ref *k = vctx;
	struct idmap_ent *e = idmap_get(&k->from->map, id, id_len, 0);

	/* rows of the file had their references checked; rows deleted
	 * too leave nothing behind */
	if (e && ((e->state & IDMAP_SEEN) || deleted_in(k->from, id, id_len)))
		return 0;
	if (!deleted_in(k->to, v, v_len))
		return 0;
	pub_report(k->c, k->c->o->path, 0, NULL, 0, NULL, NULL,
		  "--replace would delete %s \"%.*s\", which %s \"%.*s\" "
		  "names in its field %s: publish that row too, or change "
		  "it first",
		  k->to->t->name, (int)(v_len > 80 ? 80 : v_len), v,
		  k->from->t->name, (int)(id_len > 80 ? 80 : id_len), id,
		  k->f->name);
	return 0;
}

/* With replace: no row kept may name a row deleted (the reference
 * checks of record_fields cover the rows the file holds). */
int pub_check_deleted_refs(struct ctx *c)
{
	for (size_t ti = 0; ti < schema_ntables; ti++) {
		const struct sch_table *from = &schema_tables[ti];

		if (!(from->flags & SCH_T_PUBLISH))
			continue;
		for (size_t k = 0; k < from->nfields; k++) {
			const struct sch_field *f = &from->fields[k];
			const struct sch_table *to =
				f->ref ? schema_table(f->ref, strlen(f->ref))
				       : NULL;
			struct kept_ref kr = {c, NULL, NULL, f};
			size_t i;
			int rc;

			for (i = 0; to && i < c->ntables; i++)
				if (c->tables[i].t == to && c->tables[i].in_file)
					kr.to = &c->tables[i];
			if (!kr.to || !(kr.from = pub_table_state(c, from)))
				continue;
			rc = store_owned_values(c->node->store, from->name,
						f->name, c->node->cfg.slug,
						kept_ref_cb, &kr, c->err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

