/*
 * tlsconf: nng TLS configurations from the node's own certificate and the
 * roster's member certificates (each member's self-signed certificate is
 * a trust anchor: the roster pins certificates, not names).
 *
 * nng 1.5.2 cannot tell which certificate the other side presented, so the
 * names are not checked at the TLS layer (all certificates carry
 * "localhost" among their names and that is the name asked for); which
 * member is on the other end is proven by the signed hello (server.c,
 * peer.c).
 */
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct certs {
	struct bf_buf *out;
	size_t n;
};

static int add_cert(void *ctx, const struct store_member *m)
{
	struct certs *c = ctx;
	int rc;

	if (m->revoked_from || !m->tls_cert ||
	    !strstr(m->tls_cert, "BEGIN CERTIFICATE"))
		return 0;
	rc = bf_buf_adds(c->out, m->tls_cert);
	if (!rc && c->out->len && c->out->p[c->out->len - 1] != '\n')
		rc = bf_buf_addc(c->out, '\n');
	c->n++;
	return rc;
}

/* The PEM certificates of current (not revoked) members, concatenated
 * in slug order. */
static int roster_certs(struct daemon *d, struct bf_buf *out, size_t *n)
{
	struct certs c = {out, 0};
	struct bf_err err;
	int rc;

	rc = store_members(d->node.store, add_cert, &c, &err);
	*n = c.n;
	return rc;
}

void tlsconf_roster_digest(struct daemon *d, uint8_t out[CS_HASH_LEN])
{
	struct bf_buf b;
	size_t n;

	bf_buf_init(&b, 0);
	if (roster_certs(d, &b, &n) != 0)
		bf_buf_reset(&b);
	cs_sha256(b.p ? b.p : (const uint8_t *)"", b.len, out);
	bf_buf_free(&b);
}

int tlsconf_build(struct daemon *d, int server, nng_tls_config **out,
		  int *verified, struct bf_err *err)
{
	char path[PATH_MAX + 32];
	uint8_t *cert = NULL, *key = NULL;
	size_t len = 0, n = 0;
	struct bf_buf ca;
	nng_tls_config *cfg = NULL;
	int rv = -1, rc = BF_EINVAL;

	bf_buf_init(&ca, 0);
	node_file(&d->node, NODE_TLS_CERT, path, sizeof(path));
	if (bf_read_file(path, 1 << 20, &cert, &len, err))
		goto out;
	node_file(&d->node, NODE_TLS_KEY, path, sizeof(path));
	if (bf_read_file(path, 1 << 20, &key, &len, err))
		goto out;
	if (roster_certs(d, &ca, &n) != 0) {
		bf_errf(err, BF_EINVAL, "cannot read the roster");
		goto out;
	}
	if ((rv = nng_tls_config_alloc(&cfg, server ? NNG_TLS_MODE_SERVER
						    : NNG_TLS_MODE_CLIENT)) ||
	    (rv = nng_tls_config_own_cert(cfg, (const char *)cert,
					  (const char *)key, NULL))) {
		bf_errf(err, BF_EINVAL,
			"%s, %s: the TLS library refuses them: %s",
			NODE_TLS_CERT, NODE_TLS_KEY, nng_strerror(rv));
		goto out;
	}
	if (n > 0) {
		if ((rv = nng_tls_config_ca_chain(cfg, bf_buf_cstr(&ca), NULL)) ||
		    (rv = nng_tls_config_auth_mode(cfg,
						   NNG_TLS_AUTH_MODE_REQUIRED))) {
			bf_errf(err, BF_EINVAL, "roster certificates: %s",
				nng_strerror(rv));
			goto out;
		}
		if (!server)
			nng_tls_config_server_name(cfg, "localhost");
		*verified = 1;
	} else if (server) {
		/* nobody to accept before the roster is here */
		rc = bf_errf(err, BF_ENOENT, "no roster members yet");
		rv = -1;
		goto out;
	} else {
		nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
		*verified = 0;
	}
	*out = cfg;
	cfg = NULL;
	rv = 0;
out:
	if (cfg)
		nng_tls_config_free(cfg);
	if (key) {
		memset(key, 0, len);
		free(key);
	}
	free(cert);
	bf_buf_free(&ca);
	return rv ? rc : 0;
}
