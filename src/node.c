/*
 * node: creating and opening a node directory.
 */
#include "node.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "schema.h"

/* The service user's own directory, and only theirs: another user (root
 * included) who can read it must still name it, so that nobody writes
 * files there by accident that the service user then cannot open. */
static int owned_by_caller(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid();
}

int node_default_dir_at(const char *system_dir, char *out, size_t n,
			struct bf_err *err)
{
	const char *e = getenv("BIOFED_DIR");
	int w;

	if (e && *e)
		w = snprintf(out, n, "%s", e);
	else if (system_dir && owned_by_caller(system_dir))
		w = snprintf(out, n, "%s", system_dir);
	else if ((e = getenv("XDG_DATA_HOME")) && *e)
		w = snprintf(out, n, "%s/biofed", e);
	else if ((e = getenv("HOME")) && *e)
		w = snprintf(out, n, "%s/.local/share/biofed", e);
	else
		return bf_errf(err, BF_EINVAL,
			       "no node directory: give --dir or set BIOFED_DIR");
	if (w < 0 || (size_t)w >= n)
		return bf_errf(err, BF_ETOOBIG, "node directory path too long");
	return 0;
}

int node_default_dir(char *out, size_t n, struct bf_err *err)
{
	return node_default_dir_at(NODE_SYSTEM_DIR, out, n, err);
}

int node_file(const struct node *n, const char *name, char *out, size_t len)
{
	return bf_path(out, len, n->dir, name);
}

int node_open(struct node *n, const char *dir, int flags, struct bf_err *err)
{
	char path[PATH_MAX + 32];
	int rc;

	memset(n, 0, sizeof(*n));
	if (snprintf(n->dir, sizeof(n->dir), "%s", dir) >= (int)sizeof(n->dir))
		return bf_errf(err, BF_ETOOBIG, "%s: path too long", dir);
	if (node_file(n, NODE_CONF, path, sizeof(path)))
		return bf_errf(err, BF_ETOOBIG, "%s: path too long", dir);
	if (access(path, F_OK) != 0)
		return bf_errf(err, BF_ENOENT,
			       "%s: not a biofed node directory (no %s); "
			       "create one with `biofed init`",
			       dir, NODE_CONF);
	rc = config_load(path, &n->cfg, err);
	if (rc)
		return rc;
	if (flags & NODE_KEY) {
		node_file(n, NODE_SIGN_KEY, path, sizeof(path));
		rc = ed_key_load(path, &n->key, err);
		if (rc)
			return rc;
	}
	node_file(n, NODE_DB, path, sizeof(path));
	rc = store_open(path, (flags & NODE_RDONLY) ? STORE_RDONLY
						    : STORE_CREATE,
			&n->store, err);
	if (rc) {
		ed_key_free(&n->key);
		return rc;
	}
	store_set_coordinator(n->store, n->cfg.coordinator_key);
	return 0;
}

void node_close(struct node *n)
{
	if (n->store)
		store_close(n->store);
	n->store = NULL;
	ed_key_free(&n->key);
}

int node_check_not_behind(struct node *n, struct bf_err *err)
{
	char path[PATH_MAX + 32];
	uint8_t *text = NULL, hash[CS_HASH_LEN];
	size_t len;
	uint64_t head = 0;
	unsigned long long behind;
	int rc;

	node_file(n, NODE_BEHIND, path, sizeof(path));
	if (bf_read_file(path, 64, &text, &len, err) != 0)
		return 0; /* no marker: nothing known to be missing */
	rc = sscanf((const char *)text, "%llu", &behind) == 1 ? 0 : -1;
	free(text);
	if (rc || store_head(n->store, n->cfg.slug, &head, hash, err) != 0)
		return 0;
	if (behind <= head)
		return 0;
	return bf_errf(err, BF_EFORK,
		       "peers hold change sets of %s up to seq %llu but this "
		       "replica has only %llu (restored from a backup?); "
		       "writing now would fork the log: let biofedd fetch "
		       "them back first (biofed status shows the lag)",
		       n->cfg.slug, behind, (unsigned long long)head);
}

/* endpoint: where peers reach the node, "" for one that only dials */
static int write_identity(const struct node_init *o, const char *endpoint,
			  const struct ed_key *k, struct bf_err *err)
{
	const char *dir = o->dir;
	char path[PATH_MAX + 32], hex[65], fp[65];
	uint8_t *pem = NULL;
	size_t pem_len;
	json_t *id = NULL;
	char *text = NULL;
	int rc;

	bf_path(path, sizeof(path), dir, NODE_TLS_CERT);
	rc = bf_read_file(path, 65536, &pem, &pem_len, err);
	if (rc)
		return rc;
	rc = tls_cert_fingerprint((const char *)pem, pem_len, fp, err);
	if (rc)
		goto out;
	bf_hex(k->pub, 32, hex);
	id = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		       "biofed_identity", 1, "slug", o->slug, "name", o->name,
		       "country", o->country, "region",
		       o->region ? o->region : "", "endpoint", endpoint,
		       "sign_key", hex,
		       "tls_cert", (const char *)pem, "tls_fingerprint", fp);
	text = id ? json_dumps(id, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text) {
		rc = bf_errf(err, BF_ENOMEM, "identity: out of memory");
		goto out;
	}
	bf_path(path, sizeof(path), dir, NODE_IDENTITY);
	rc = bf_write_new_file(path, 0644, text, strlen(text), err);
out:
	free(text);
	json_decref(id);
	free(pem);
	return rc;
}

/* Text that goes into biofed.conf and the identity: valid UTF-8 with no
 * control characters (a newline would start a line of its own in
 * biofed.conf).  0, or BF_EINVAL naming the option with the text shown
 * escaped. */
static int check_text(const char *opt, const char *v, struct bf_err *err)
{
	char esc[128];
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f)
			return bf_errf(err, BF_EINVAL,
				       "--%s: \"%s\" holds a control "
				       "character (byte %zu)",
				       opt, log_escape(v, n, esc, sizeof(esc)),
				       i + 1);
	}
	if (!bf_utf8_ok((const uint8_t *)v, n))
		return bf_errf(err, BF_EINVAL, "--%s: \"%s\" is not UTF-8", opt,
			       log_escape(v, n, esc, sizeof(esc)));
	return 0;
}

int node_init(const struct node_init *o, char coord_hex[65],
	      struct bf_err *err)
{
	struct bf_config cfg;
	struct ed_key k = {0}, ck = {0};
	struct bf_buf conf;
	char path[PATH_MAX + 32], msg[256];
	struct sch_field cf = {0};
	struct stat st;
	int rc;

	if (!o->slug || !bf_is_slug(o->slug) ||
	    strcmp(o->slug, SCHEMA_COORDINATOR) == 0)
		return bf_errf(err, BF_EINVAL,
			       "--slug: \"%s\" is not a valid slug (1-63 of "
			       "a-z, 0-9, '-', not starting with '-'; \"%s\" "
			       "is reserved)",
			       o->slug ? o->slug : "", SCHEMA_COORDINATOR);
	if (!o->name || !*o->name)
		return bf_errf(err, BF_EINVAL, "--name is required");
	if ((rc = check_text("name", o->name, err)) != 0 ||
	    (o->region && (rc = check_text("region", o->region, err)) != 0) ||
	    (o->endpoint &&
	     (rc = check_text("endpoint", o->endpoint, err)) != 0) ||
	    (o->listen && (rc = check_text("listen", o->listen, err)) != 0))
		return rc;
	cf.check = CHK_COUNTRY;
	if (!o->country ||
	    schema_check_text(&cf, o->country, strlen(o->country), msg,
			      sizeof(msg)))
		return bf_errf(err, BF_EINVAL,
			       "--country: a two-letter ISO code is required");
	if (o->coordinator == !!o->coordinator_key)
		return bf_errf(err, BF_EINVAL,
			       "give either --coordinator (this node holds the "
			       "network's coordinator key) or --coordinator-key "
			       "HEX (the key the coordinator gave you)");
	config_defaults(&cfg);
	snprintf(cfg.slug, sizeof(cfg.slug), "%s", o->slug);
	snprintf(cfg.name, sizeof(cfg.name), "%s", o->name);
	snprintf(cfg.country, sizeof(cfg.country), "%s", o->country);
	snprintf(cfg.region, sizeof(cfg.region), "%s",
		 o->region ? o->region : "");
	/* --endpoint none: a node that only dials out, which peers cannot
	 * reach: no endpoint in its identity, and it listens on nothing */
	if (o->endpoint && strcmp(o->endpoint, CONFIG_LISTEN_NONE) == 0) {
		if (o->listen && strcmp(o->listen, CONFIG_LISTEN_NONE) != 0)
			return bf_errf(err, BF_EINVAL,
				       "--endpoint none: a node without an "
				       "endpoint listens on nothing; leave out "
				       "--listen");
		snprintf(cfg.listen, sizeof(cfg.listen), CONFIG_LISTEN_NONE);
	} else {
		snprintf(cfg.endpoint, sizeof(cfg.endpoint), "%s",
			 o->endpoint ? o->endpoint : "");
		snprintf(cfg.listen, sizeof(cfg.listen), "%s",
			 o->listen ? o->listen : "");
	}
	if (cfg.endpoint[0] &&
	    config_parse_endpoint(cfg.endpoint, NULL, msg, sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "--endpoint: %s", msg);
	if (cfg.listen[0] && !config_outbound_only(&cfg) &&
	    config_parse_endpoint(cfg.listen, NULL, msg, sizeof(msg)))
		return bf_errf(err, BF_EINVAL, "--listen: %s", msg);
	if (config_outbound_only(&cfg) && cfg.endpoint[0])
		return bf_errf(err, BF_EINVAL,
			       "--listen none: a node that listens on nothing "
			       "has no endpoint; give --endpoint none");
	if (o->coordinator_key) {
		if (bf_unhex(o->coordinator_key, cfg.coordinator_key, 32))
			return bf_errf(err, BF_EINVAL,
				       "--coordinator-key: not 64 hex digits");
		cfg.has_coordinator_key = 1;
	}

	rc = bf_mkdirs(o->dir, 0700, err);
	if (rc)
		return rc;
	if (stat(o->dir, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
			"biofed: warning: %s is accessible to other users; "
			"private keys inside are still owner-only\n",
			o->dir);
	bf_path(path, sizeof(path), o->dir, NODE_CONF);
	if (access(path, F_OK) == 0)
		return bf_errf(err, BF_EEXIST,
			       "%s: already exists; not overwriting an existing "
			       "node",
			       path);
	bf_path(path, sizeof(path), o->dir, NODE_SIGN_KEY);
	rc = ed_key_generate(path, &k, err);
	if (rc)
		return rc;
	if (o->coordinator) {
		bf_path(path, sizeof(path), o->dir, NODE_COORD_KEY);
		rc = ed_key_generate(path, &ck, err);
		if (rc)
			goto out;
		memcpy(cfg.coordinator_key, ck.pub, 32);
		cfg.has_coordinator_key = 1;
	}
	bf_hex(cfg.coordinator_key, 32, coord_hex);
	{
		char kp[PATH_MAX + 32], cp[PATH_MAX + 32];
		bf_path(kp, sizeof(kp), o->dir, NODE_TLS_KEY);
		bf_path(cp, sizeof(cp), o->dir, NODE_TLS_CERT);
		rc = tls_identity_generate(kp, cp, o->slug, 3650, err);
		if (rc)
			goto out;
	}
	rc = write_identity(o, cfg.endpoint, &k, err);
	if (rc)
		goto out;
	bf_buf_init(&conf, 1 << 20);
	rc = config_render(&cfg, &conf);
	if (!rc) {
		bf_path(path, sizeof(path), o->dir, NODE_CONF);
		rc = bf_write_new_file(path, 0644, conf.p, conf.len, err);
	} else {
		rc = bf_errf(err, rc, "rendering the configuration failed");
	}
	bf_buf_free(&conf);
	if (rc)
		goto out;
	{
		struct store *s;
		bf_path(path, sizeof(path), o->dir, NODE_DB);
		rc = store_open(path, STORE_CREATE, &s, err);
		if (!rc)
			store_close(s);
	}
out:
	ed_key_free(&k);
	ed_key_free(&ck);
	return rc;
}
