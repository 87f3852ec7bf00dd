/*
 * qsearch: FTS5 over the replica's search_fts index (qsearch.h), with a
 * ranking of biofed's own (below: why not bm25()), leaving withdrawn
 * records out.
 */
#include "qsearch.h"

#include <ctype.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "qbuild.h"
#include "schema.h"

/*
 * The ranking: BM25 without its length normalisation, that is, per word
 * (phrase) of the query, its inverse document frequency times a saturated
 * count of its occurrences in each column, the name weighing 4 and the
 * body 1.  FTS5's bm25() also divides by each row's length, which it
 * reads from the %_docsize table, one b-tree lookup per matching row: for
 * words that occur in tens of thousands of records that lookup costs
 * more than the search itself (130 ms against 10 ms at 35,000 hits on
 * the benchmark machine).  Records here are short and of similar length,
 * so little is lost.  The value is negative, best first, as bm25's.
 */
#define RANK_FN "biofed_rank"
#define RANK_K1 1.2

static int rank_count_row(const Fts5ExtensionApi *api, Fts5Context *fts,
			  void *ud)
{
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)ud)++;
	return SQLITE_OK;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	static const double weight[2] = {4.0, 1.0}; /* name, body */
	int np = api->xPhraseCount(fts);
	double *idf = api->xGetAuxdata(fts, 0), score = 0;

	(void)nval;
	(void)val;
	if (!idf) {
		/* once per query: how many records hold each phrase */
		sqlite3_int64 nrow = 0;

		idf = sqlite3_malloc64(sizeof(*idf) * (size_t)(np ? np : 1));
		if (!idf || api->xRowCount(fts, &nrow) != SQLITE_OK) {
			sqlite3_free(idf);
			sqlite3_result_error_nomem(ctx);
			return;
		}
		for (int p = 0; p < np; p++) {
			sqlite3_int64 hits = 0;

			if (api->xQueryPhrase(fts, p, &hits, rank_count_row) !=
			    SQLITE_OK)
				hits = 0;
			idf[p] = log(((double)(nrow - hits) + 0.5) /
				     ((double)hits + 0.5));
			if (idf[p] <= 0)
				idf[p] = 1e-6;
		}
		if (api->xSetAuxdata(fts, idf, sqlite3_free) != SQLITE_OK) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	for (int p = 0; p < np; p++) {
		Fts5PhraseIter it;
		double f[2] = {0, 0};
		int col, off;

		if (api->xPhraseFirst(fts, p, &it, &col, &off) != SQLITE_OK)
			continue;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			f[col ? 1 : 0] += 1;
		for (int c = 0; c < 2; c++)
			if (f[c] > 0)
				score += idf[p] * weight[c] * f[c] *
					 (RANK_K1 + 1) / (f[c] + RANK_K1);
	}
	sqlite3_result_double(ctx, -score);
}

/* Makes RANK_FN known to this connection's FTS5, once. */
static int rank_register(sqlite3 *db, struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	fts5_api *api = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " RANK_FN "(search_fts) FROM "
				   "search_fts WHERE 0",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return 0; /* already there */
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "search: no FTS5 in this SQLite: %s",
			     sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	if (!api || api->iVersion < 2 ||
	    api->xCreateFunction(api, RANK_FN, NULL, rank_fn, NULL) !=
		    SQLITE_OK) {
		rc = bf_errf(err, BF_EIO, "search: cannot add the ranking to "
					  "FTS5");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The user's words as an FTS5 query: each word a quoted string (so that
 * "C50.9" or "HER2-positive" are phrases, not syntax), "OR" kept, a final
 * '*' kept as a prefix search. */
static int fts_query(const char *text, struct bf_buf *b, struct bf_err *err)
{
	const char *p = text;
	int rc = 0, words = 0, pending_or = 0;

	while (*p && !rc) {
		const char *s;
		size_t len;
		int prefix = 0;

		while (*p && isspace((unsigned char)*p))
			p++;
		s = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - s);
		if (!len)
			break;
		if (len == 2 && !memcmp(s, "OR", 2)) {
			pending_or = words > 0;
			continue;
		}
		if (len > 1 && s[len - 1] == '*') {
			prefix = 1;
			len--;
		}
		if (words)
			rc = bf_buf_adds(b, pending_or ? " OR " : " ");
		pending_or = 0;
		rc = rc ? rc : bf_buf_addc(b, '"');
		for (size_t i = 0; i < len && !rc; i++)
			rc = s[i] == '"' ? bf_buf_add(b, "\"\"", 2)
					 : bf_buf_addc(b, (uint8_t)s[i]);
		rc = rc ? rc : bf_buf_adds(b, prefix ? "\"*" : "\"");
		words++;
	}
	if (rc)
		return bf_errf(err, BF_EINVAL, "text too long");
	if (!words || !bf_buf_cstr(b))
		return bf_errf(err, BF_EINVAL, "no words to look for");
	return 0;
}

/* Whether search_doc row d names a withdrawn record (query.h): a
 * biobank or network marked withdrawn, a collection marked so or of a
 * withdrawn biobank, a service of a withdrawn biobank.  Looked up for
 * the hits of one pass only. */
#define BIOBANK_GONE(o, b)                                                    \
	"EXISTS (SELECT 1 FROM biobank b WHERE b.owner = " o " AND b.id = " \
	b " AND b.withdrawn IS 1)"
#define WITHDRAWN_DOC                                                         \
	"(CASE d.tbl WHEN 'biobank' THEN " BIOBANK_GONE("d.owner", "d.id")  \
	" WHEN 'collection' THEN (SELECT c.withdrawn IS 1 OR "               \
	BIOBANK_GONE("c.owner", "c.biobank") " FROM collection c WHERE "     \
	"c.owner = d.owner AND c.id = d.id) WHEN 'service' THEN (SELECT "    \
	BIOBANK_GONE("v.owner", "v.biobank") " FROM service v WHERE "        \
	"v.owner = d.owner AND v.id = d.id) WHEN 'network' THEN (SELECT "    \
	"w.withdrawn IS 1 FROM network w WHERE w.owner = d.owner AND w.id = " \
	"d.id) ELSE 0 END)"

struct pass {
	const struct bf_buf *match; /* the FTS5 query */
	const char *table;
	int64_t inner; /* hits ranked in this pass */
	int64_t skip;  /* shown ones already written by an earlier pass */
	int64_t want;  /* shown ones to write in all */
	int withdrawn;
	int64_t shown, rows; /* out: written so far, hits ranked */
};

/* Ranks the best p->inner hits, writes those not withdrawn (after the
 * first p->skip of them) until p->want are written. */
static int search_pass(sqlite3 *db, struct pass *p, struct out *o,
		       struct bf_err *err)
{
	sqlite3_stmt *st = NULL;
	struct qb q;
	int64_t seen = 0;
	int rc;

	qb_init(&q, err);
	p->rows = 0;
	/* rank and limit inside, on the FTS table alone: names, joins and
	 * the withdrawn mark are then looked up for the hits ranked only */
	qb_sql(&q, "SELECT d.tbl, (SELECT n.name FROM search_fts n WHERE "
		   "n.rowid = s.rowid), d.owner, i.name, d.id, round(-s.score, "
		   "3), %s FROM (SELECT rowid, " RANK_FN "(search_fts) AS score "
		   "FROM search_fts WHERE search_fts MATCH ",
	       p->withdrawn ? "0" : WITHDRAWN_DOC);
	qb_text(&q, (const char *)p->match->p, p->match->len);
	if (p->table) {
		qb_sql(&q, " AND rowid IN (SELECT docid FROM search_doc WHERE "
			   "tbl = ");
		qb_text(&q, p->table, strlen(p->table));
		qb_sql(&q, ")");
	}
	/* rowid breaks ties: every pass sees the hits in one order */
	qb_sql(&q, " ORDER BY score, rowid LIMIT ");
	qb_int(&q, p->inner);
	qb_sql(&q, ") s JOIN search_doc d ON d.docid = s.rowid "
		   "LEFT JOIN institution i ON i.owner = '" SCHEMA_COORDINATOR
		   "' AND i.id = d.owner ORDER BY s.score, s.rowid");
	if ((rc = qb_prepare(&q, db, &st)) != 0)
		goto out;
	while (p->shown < p->want && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int e;

		p->rows++;
		if (sqlite3_column_int(st, 6) || seen++ < p->skip)
			continue;
		e = out_row(o);
		for (int c = 0; c < 5 && !e; c++)
			e = qb_emit(o, st, c, SCH_TEXT);
		e = e ? e : qb_emit(o, st, 5, SCH_REAL);
		if (e) {
			rc = bf_errf(err, e, "output: cannot write a row");
			goto out;
		}
		p->shown++;
	}
	rc = p->shown == p->want || rc == SQLITE_DONE
		     ? 0
		     : bf_errf(err, BF_EIO, "search: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	qb_free(&q);
	return rc;
}

int qsearch_run(sqlite3 *db, const char *text, const char *table,
		int64_t limit, int withdrawn, struct out *o,
		struct bf_err *err)
{
	struct bf_buf m;
	struct pass p;
	int rc;

	bf_buf_init(&m, 64 * 1024);
	if ((rc = fts_query(text, &m, err)) != 0)
		goto out;
	rc = out_col(o, "table", 0);
	rc = rc ? rc : out_col(o, "name", 0);
	rc = rc ? rc : out_col(o, "institution", 0);
	rc = rc ? rc : out_col(o, "institution_name", OUT_WIDE);
	rc = rc ? rc : out_col(o, "id", 0);
	rc = rc ? rc : out_col(o, "score", OUT_NUM);
	if (rc) {
		rc = bf_errf(err, rc, "output: out of memory");
		goto out;
	}
	if ((rc = rank_register(db, err)) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.match = &m;
	p.table = table;
	p.want = limit > 0 ? limit : 20;
	p.withdrawn = withdrawn;
	/* withdrawn hits are rare: a few spare hits, and another pass with
	 * more when they were not enough */
	p.inner = p.want + 16;
	for (;;) {
		p.skip = p.shown;
		if ((rc = search_pass(db, &p, o, err)) != 0 ||
		    p.shown == p.want || p.rows < p.inner)
			break;
		p.inner = p.inner > INT64_MAX / 4 ? INT64_MAX : p.inner * 4;
	}
out:
	bf_buf_free(&m);
	return rc;
}
