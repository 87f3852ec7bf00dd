/*
 * wire: encoding and strict decoding of peer messages.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t pos, len;
	struct bf_err *err;
};

static int fail(struct rd *r, const char *what)
{
	return bf_errf(r->err, BF_EINVAL, "peer message: offset %zu: %s",
		       r->pos, what);
}

static int rd_uv(struct rd *r, uint64_t *v, const char *what)
{
	size_t n = bf_get_uvarint(r->p + r->pos, r->len - r->pos, v);
	if (!n)
		return fail(r, what);
	r->pos += n;
	return 0;
}

static int rd_bytes(struct rd *r, size_t n, const uint8_t **out,
		    const char *what)
{
	if (n > r->len - r->pos)
		return fail(r, what);
	*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

static int rd_str(struct rd *r, size_t max, struct cs_str *s,
		  const char *what)
{
	uint64_t n;
	const uint8_t *p = NULL;

	if (rd_uv(r, &n, what) || n == 0 || n > max || rd_bytes(r, n, &p, what))
		return fail(r, what);
	if (!bf_utf8_ok(p, n))
		return fail(r, what);
	s->p = (const char *)p;
	s->len = n;
	return 0;
}

static int str_less(struct cs_str a, struct cs_str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = memcmp(a.p, b.p, n);
	return c < 0 || (c == 0 && a.len < b.len);
}

static int rd_vector(struct rd *r, struct wire_msg *m)
{
	uint64_t n;

	if (rd_uv(r, &n, "vector: bad count"))
		return BF_EINVAL;
	if (n > WIRE_MAX_VECTOR || n > (r->len - r->pos) / 35)
		return fail(r, "vector: too many entries");
	if (n) {
		m->vv = calloc(n, sizeof(*m->vv));
		if (!m->vv)
			return bf_errf(r->err, BF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct wire_vv *e = &m->vv[i];
		if (rd_str(r, CS_MAX_ORIGIN, &e->origin, "vector: bad origin") ||
		    rd_uv(r, &e->seq, "vector: bad seq") ||
		    rd_bytes(r, CS_HASH_LEN, &e->hash, "vector: truncated hash"))
			return BF_EINVAL;
		if (i > 0 && !str_less(m->vv[i - 1].origin, e->origin))
			return fail(r, "vector: origins not strictly ascending");
		m->nvv = i + 1;
	}
	return 0;
}

static int rd_changesets(struct rd *r, struct wire_msg *m)
{
	uint64_t n;

	if (rd_uv(r, &n, "bad change-set count"))
		return BF_EINVAL;
	if (n > WIRE_MAX_BATCH || n > r->len - r->pos)
		return fail(r, "too many change sets");
	if (n) {
		m->cs = calloc(n, sizeof(*m->cs));
		if (!m->cs)
			return bf_errf(r->err, BF_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t len;
		const uint8_t *p = NULL;
		if (rd_uv(r, &len, "bad change-set length"))
			return BF_EINVAL;
		if (len == 0 || len > CS_MAX_BYTES)
			return fail(r, "change-set length out of bounds");
		if (rd_bytes(r, len, &p, "change set truncated"))
			return BF_EINVAL;
		m->cs[i].p = (const char *)p;
		m->cs[i].len = len;
		m->ncs = i + 1;
	}
	return 0;
}

int wire_decode(const uint8_t *p, size_t len, struct wire_msg *m,
		struct bf_err *err)
{
	struct rd r = {p, 0, len, err};
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (len > WIRE_MAX_MSG)
		return bf_errf(err, BF_ETOOBIG, "peer message: %zu bytes, over "
			       "the %u-byte limit", len, WIRE_MAX_MSG);
	if (len < 5 || memcmp(p, WIRE_MAGIC, 4) != 0)
		return bf_errf(err, BF_EINVAL,
			       "peer message: not a biofed message (BFW1)");
	r.pos = 4;
	m->type = p[r.pos++];
	switch (m->type) {
	case WIRE_HELLO:
	case WIRE_HELLO_OK:
		rc = rd_str(&r, CS_MAX_ORIGIN, &m->slug, "hello: bad slug");
		if (!rc)
			rc = rd_bytes(&r, WIRE_NONCE, &m->nonce,
				      "hello: truncated nonce");
		if (!rc && m->type == WIRE_HELLO_OK)
			rc = rd_bytes(&r, 64, &m->sig,
				      "hello: truncated signature");
		break;
	case WIRE_AUTH:
		rc = rd_bytes(&r, 64, &m->sig, "auth: truncated signature");
		break;
	case WIRE_AUTH_OK:
		rc = rd_vector(&r, m);
		break;
	case WIRE_PULL:
		rc = rd_uv(&r, &m->wait_ms, "pull: bad wait");
		if (!rc)
			rc = rd_uv(&r, &m->max_bytes, "pull: bad max bytes");
		if (!rc)
			rc = rd_vector(&r, m);
		break;
	case WIRE_BATCH:
		rc = rd_vector(&r, m);
		if (!rc)
			rc = rd_changesets(&r, m);
		break;
	case WIRE_PUSH:
		rc = rd_changesets(&r, m);
		break;
	case WIRE_PUSH_OK:
		rc = rd_uv(&r, &m->applied, "push-ok: bad count");
		if (!rc)
			rc = rd_uv(&r, &m->rejected, "push-ok: bad count");
		if (!rc)
			rc = rd_vector(&r, m);
		break;
	case WIRE_ERROR:
		rc = rd_uv(&r, &m->code, "error: bad code");
		if (!rc)
			rc = rd_str(&r, 1024, &m->text, "error: bad text");
		break;
	default:
		r.pos--;
		rc = fail(&r, "unknown message type");
	}
	if (!rc && r.pos != len)
		rc = fail(&r, "trailing bytes after the message");
	if (rc)
		wire_msg_free(m);
	return rc;
}

void wire_msg_free(struct wire_msg *m)
{
	free(m->vv);
	free(m->cs);
	m->vv = NULL;
	m->cs = NULL;
	m->nvv = m->ncs = 0;
}

int wire_put_header(struct bf_buf *b, enum wire_type type)
{
	int rc = bf_buf_add(b, WIRE_MAGIC, 4);
	return rc ? rc : bf_buf_addc(b, (uint8_t)type);
}

static int put_str(struct bf_buf *b, const char *s)
{
	size_t n = strlen(s);
	int rc = bf_put_uvarint(b, n);
	return rc ? rc : bf_buf_add(b, s, n);
}

int wire_put_hello(struct bf_buf *b, enum wire_type type, const char *slug,
		   const uint8_t nonce[WIRE_NONCE], const uint8_t *sig)
{
	int rc = wire_put_header(b, type);
	if (!rc)
		rc = put_str(b, slug);
	if (!rc)
		rc = bf_buf_add(b, nonce, WIRE_NONCE);
	if (!rc && type == WIRE_HELLO_OK)
		rc = bf_buf_add(b, sig, 64);
	return rc;
}

int wire_put_auth(struct bf_buf *b, const uint8_t sig[64])
{
	int rc = wire_put_header(b, WIRE_AUTH);
	return rc ? rc : bf_buf_add(b, sig, 64);
}

int wire_put_vv(struct bf_buf *b, const char *origin, uint64_t seq,
		const uint8_t hash[CS_HASH_LEN])
{
	int rc = put_str(b, origin);
	if (!rc)
		rc = bf_put_uvarint(b, seq);
	return rc ? rc : bf_buf_add(b, hash, CS_HASH_LEN);
}

int wire_put_error(struct bf_buf *b, enum wire_error code, const char *text)
{
	int rc = wire_put_header(b, WIRE_ERROR);
	if (!rc)
		rc = bf_put_uvarint(b, code);
	return rc ? rc : put_str(b, text);
}

int wire_transcript(struct bf_buf *b, const char *role,
		    const uint8_t client_nonce[WIRE_NONCE],
		    const uint8_t server_nonce[WIRE_NONCE],
		    const char *client_slug, const char *server_slug)
{
	int rc = put_str(b, "biofed-hello-v1");
	if (!rc)
		rc = put_str(b, role);
	if (!rc)
		rc = bf_buf_add(b, client_nonce, WIRE_NONCE);
	if (!rc)
		rc = bf_buf_add(b, server_nonce, WIRE_NONCE);
	if (!rc)
		rc = put_str(b, client_slug);
	return rc ? rc : put_str(b, server_slug);
}
