/*
 * preflight: what biofedd needs before it starts, checked up front.
 *
 * A node that cannot work must say why and exit, not tell systemd it is
 * ready.  Start-up runs these checks and refuses to start on any failure
 * (each one logged); `biofedd -n`, the unit's ExecStartPre, runs the same
 * checks and reports every one, passed or not.  Nothing here changes the
 * node directory: the replica is opened as start-up opens it (not
 * created), the listen port is bound and let go at once.
 */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"

struct preflight {
	const char *dir;
	int flags;
	int problems;
	const char *event; /* the log's word for the next problem */
	struct bf_config cfg;
	int have_cfg;
	uint8_t sign_pub[CS_KEY_LEN];
	int have_sign;
	struct tls_identity tls;
	int have_tls;
	/* a biofedd already serving this directory (its control socket
	 * answered): its pid and what it listens on */
	long running_pid;
	char running_listen[CONFIG_STR];
	/* members with a TLS certificate in the replica's roster: -1 when
	 * not known (no replica) */
	long roster_certs;
};

static void say(struct preflight *p, const char *tag, const char *fmt,
		va_list ap)
{
	if (!(p->flags & PREFLIGHT_REPORT))
		return;
	printf("  %-5s ", tag);
	vprintf(fmt, ap);
	putchar('\n');
}

static void ok(struct preflight *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void ok(struct preflight *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(p, "ok", fmt, ap);
	va_end(ap);
}

/* Worth knowing, not a problem. */
static void note(struct preflight *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct preflight *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(p, "note", fmt, ap);
	va_end(ap);
}

/* A problem: start-up would fail or the node could not work.  -n prints
 * it on stderr; start-up logs it. */
static void problem(struct preflight *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct preflight *p, const char *fmt, ...)
{
	char msg[1200], esc[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->problems++;
	if (p->flags & PREFLIGHT_REPORT) {
		fflush(stdout);
		fprintf(stderr, "biofedd: error: %s\n", msg);
		fflush(stderr);
	} else {
		log_msg(LOG_ERROR, p->event ? p->event : "startup-refused",
			"reason=\"%s\"",
			log_escape(msg, strlen(msg), esc, sizeof(esc)));
	}
	p->event = NULL;
}

static void path_of(const struct preflight *p, const char *name, char *out,
		    size_t n)
{
	if (bf_path(out, n, p->dir, name) != 0)
		snprintf(out, n, "%s", name);
}

/* The node directory: this user's, and nobody else may write in it (its
 * keys, configuration and sockets live there). */
static int check_dir(struct preflight *p)
{
	struct sockaddr_un sa;
	char sock[PATH_MAX + 32];
	struct stat st;

	if (stat(p->dir, &st) != 0) {
		problem(p, "%s: %s", p->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(p, "%s: not a directory", p->dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		problem(p, "%s: owned by uid %u; biofedd runs as uid %u and "
			   "must own its node directory",
			p->dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return 0;
	}
	if (st.st_mode & 022) {
		problem(p, "%s: writable by group or others (mode %04o): "
			   "run chmod go-w on it",
			p->dir, (unsigned)(st.st_mode & 07777));
		return 0;
	}
	path_of(p, CONTROL_FILE, sock, sizeof(sock));
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		problem(p, "%s: too long a path for a Unix socket (%zu bytes, "
			   "at most %zu): use a shorter node directory",
			sock, strlen(sock), sizeof(sa.sun_path) - 1);
		return 0;
	}
	ok(p, "%s: this user's, writable by nobody else", p->dir);
	return 0;
}

/* biofed.conf: nobody else may write it (it says whom to dial and where
 * to listen), and it reads without an error. */
static int check_conf(struct preflight *p)
{
	char path[PATH_MAX + 32];
	struct bf_err err;
	struct stat st;
	int safe = 1;

	path_of(p, NODE_CONF, path, sizeof(path));
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			problem(p, "%s: not a biofed node directory (no %s); "
				   "create one with `biofed init`",
				p->dir, NODE_CONF);
		else
			problem(p, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 022) {
		problem(p, "%s: writable by group or others (mode %04o): "
			   "run chmod go-w on it",
			path, (unsigned)(st.st_mode & 07777));
		safe = 0;
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		problem(p, "%s: owned by uid %u, which is neither this user "
			   "nor root",
			path, (unsigned)st.st_uid);
		safe = 0;
	}
	if (config_load(path, &p->cfg, &err) != 0) {
		problem(p, "%s", err.msg);
		return 0;
	}
	p->have_cfg = 1;
	/* the problem above is said once; the ok line claims only what holds */
	if (safe)
		ok(p,
		   "%s: node %s; each section and option given once; "
		   "writable by nobody else",
		   path, p->cfg.slug);
	else
		ok(p, "%s: node %s; each section and option given once", path,
		   p->cfg.slug);
	return 0;
}

static void check_sign_key(struct preflight *p)
{
	char path[PATH_MAX + 32];
	struct ed_key k = {0};
	struct bf_err err;

	path_of(p, NODE_SIGN_KEY, path, sizeof(path));
	if (ed_key_load(path, &k, &err) != 0) {
		problem(p, "%s", err.msg);
		return;
	}
	memcpy(p->sign_pub, k.pub, CS_KEY_LEN);
	p->have_sign = 1;
	ed_key_free(&k);
	ok(p, "%s: Ed25519 key, owner-only", path);
}

/* Only the coordinator's node holds it; when it is there, it must be the
 * key that biofed.conf pins. */
static void check_coordinator_key(struct preflight *p)
{
	char path[PATH_MAX + 32];
	struct ed_key k = {0};
	struct bf_err err;

	path_of(p, NODE_COORD_KEY, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return;
	if (ed_key_load(path, &k, &err) != 0) {
		problem(p, "%s", err.msg);
		return;
	}
	if (p->have_cfg &&
	    memcmp(k.pub, p->cfg.coordinator_key, CS_KEY_LEN) != 0)
		problem(p, "%s is not the key that %s pins "
			   "(federation.coordinator_key)",
			path, NODE_CONF);
	else
		ok(p, "%s: Ed25519 key, owner-only, the one %s pins", path,
		   NODE_CONF);
	ed_key_free(&k);
}

/* tls.key and tls.crt as OpenSSL reads them, then as nng's TLS library
 * (mbedTLS) will: the daemon hands them to it. */
static void check_tls(struct preflight *p)
{
	char kpath[PATH_MAX + 32], cpath[PATH_MAX + 32];
	uint8_t *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	nng_tls_config *cfg = NULL;
	struct bf_err err;
	int rv;

	path_of(p, NODE_TLS_KEY, kpath, sizeof(kpath));
	path_of(p, NODE_TLS_CERT, cpath, sizeof(cpath));
	if (tls_identity_check(kpath, cpath, &p->tls, &err) != 0) {
		problem(p, "%s", err.msg);
		return;
	}
	if (bf_read_file(cpath, 1 << 20, &cert, &clen, &err) != 0 ||
	    bf_read_file(kpath, 1 << 20, &key, &klen, &err) != 0) {
		problem(p, "%s", err.msg);
		goto out;
	}
	if ((rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0 ||
	    (rv = nng_tls_config_own_cert(cfg, (const char *)cert,
					  (const char *)key, NULL)) != 0) {
		problem(p, "%s, %s: the TLS library refuses them: %s", cpath,
			kpath, nng_strerror(rv));
		goto out;
	}
	p->have_tls = 1;
	ok(p, "%s, %s: ECDSA P-256 key (owner-only) and its certificate, "
	      "valid until %s",
	   kpath, cpath, p->tls.valid_until[0] ? p->tls.valid_until : "?");
out:
	if (cfg)
		nng_tls_config_free(cfg);
	if (key) {
		memset(key, 0, klen);
		free(key);
	}
	free(cert);
}

/* The roster's certificate for slug, as a fingerprint; 0 when found. */
static int roster_cert(struct store *s, const char *slug, char fp[65])
{
	struct store_member m = {0};
	struct bf_err err;
	int rc = -1;

	if (store_member(s, slug, &m, &err) == 0 && m.tls_cert)
		rc = tls_cert_fingerprint(m.tls_cert, strlen(m.tls_cert), fp,
					  &err);
	store_member_free(&m);
	return rc;
}

/* How many current members have a certificate: a listener accepts them,
 * and nobody before there is one. */
static long roster_cert_count(struct store *s)
{
	struct bf_err err;
	uint64_t n;

	return store_member_count(s, 1, NULL, &n, &err) ? -1 : (long)n;
}

/* The keys against what the roster says of this node: peers check the
 * hello against the roster's Ed25519 key and trust exactly its TLS
 * certificate. */
static void check_roster(struct preflight *p, struct store *s)
{
	const char *slug = p->cfg.slug;
	uint8_t key[CS_KEY_LEN], hash[CS_HASH_LEN];
	char a[17], b[17], fp[65];
	uint64_t head = 0;
	struct bf_err err;
	int rc;

	rc = store_head(s, slug, &head, hash, &err);
	if (!rc)
		rc = store_origin_key(s, slug, head + 1, key, &err);
	if (rc == BF_ENOENT) {
		note(p, "%s is not in this replica's roster yet: keys not "
			"compared with it (the roster arrives from a peer)",
		     slug);
		return;
	}
	if (rc) {
		problem(p, "roster: %s: peers refuse this node", err.msg);
		return;
	}
	if (p->have_sign) {
		if (memcmp(key, p->sign_pub, CS_KEY_LEN) != 0) {
			bf_hex(key, 8, a);
			bf_hex(p->sign_pub, 8, b);
			problem(p, "%s/%s holds key %s..., but the roster gives "
				   "%s the key %s... (from seq %llu): peers "
				   "would refuse its hello and change sets",
				p->dir, NODE_SIGN_KEY, b, slug, a,
				(unsigned long long)head + 1);
		} else {
			ok(p, "%s: the roster's key for %s", NODE_SIGN_KEY,
			   slug);
		}
	}
	if (p->have_tls && roster_cert(s, slug, fp) == 0) {
		if (strcmp(fp, p->tls.fingerprint) != 0)
			problem(p, "%s/%s is not the certificate the roster "
				   "has for %s: peers would refuse its TLS "
				   "connections",
				p->dir, NODE_TLS_CERT, slug);
		else
			ok(p, "%s: the roster's certificate for %s",
			   NODE_TLS_CERT, slug);
	}
}

/* The replica opens as start-up opens it; the keys match the roster. */
static void check_replica(struct preflight *p)
{
	char path[PATH_MAX + 32];
	struct store *s = NULL;
	struct bf_err err;

	path_of(p, NODE_DB, path, sizeof(path));
	if (access(path, F_OK) != 0) {
		if (access(p->dir, W_OK) != 0)
			problem(p, "%s: absent, and %s is not writable: "
				   "start-up cannot create it",
				path, p->dir);
		else
			note(p, "%s: absent; start-up creates it", path);
		return;
	}
	if (store_open(path, 0, &s, &err) != 0) {
		problem(p, "%s", err.msg);
		return;
	}
	ok(p, "%s: opens for writing", path);
	p->roster_certs = roster_cert_count(s);
	if (p->have_cfg) {
		store_set_coordinator(s, p->cfg.coordinator_key);
		check_roster(p, s);
	}
	store_close(s);
}

/* Another biofedd on this directory answers its control socket. */
static void check_running(struct preflight *p)
{
	char *reply = NULL;
	struct bf_err err;
	json_t *st;
	int rc;

	rc = control_request(p->dir, "status", 2000, &reply, &err);
	if (rc == BF_ENOENT)
		return; /* none, or a stale socket file */
	if (rc == 0 && (st = json_loads(reply, 0, NULL)) != NULL) {
		p->running_pid = (long)json_integer_value(
			json_object_get(st, "pid"));
		snprintf(p->running_listen, sizeof(p->running_listen), "%s",
			 json_string_value(json_object_get(st, "listen"))
				 ? json_string_value(json_object_get(st, "listen"))
				 : "");
		json_decref(st);
	}
	free(reply);
	if (p->flags & PREFLIGHT_REPORT) {
		if (p->running_pid)
			note(p, "biofedd (pid %ld) runs for this node now",
			     p->running_pid);
		else
			note(p, "%s/%s: a process listens there but does not "
				"answer (%s)",
			     p->dir, CONTROL_FILE, err.msg);
		return;
	}
	if (p->running_pid)
		problem(p, "another biofedd (pid %ld) already runs for %s",
			p->running_pid, p->dir);
	else
		problem(p, "%s/%s: a process listens there but does not "
			   "answer (%s)",
			p->dir, CONTROL_FILE, err.msg);
}

/* Binds the endpoint's address and port and lets go: what nng's listener
 * will do.  SO_REUSEADDR as nng sets it, so that connections of a
 * previous run waiting in TIME_WAIT do not count as the port in use. */
static int try_bind(const struct bf_endpoint *ep, int *in_use, char *why,
		    size_t n)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];
	int fd, rc, one = 1;

	*in_use = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", ep->port);
	if ((rc = getaddrinfo(ep->host, port, &hints, &ai)) != 0) {
		snprintf(why, n, "cannot resolve %s: %s", ep->host,
			 gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		snprintf(why, n, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc != 0) {
		int e = errno;
		*in_use = e == EADDRINUSE;
		snprintf(why, n, "%s",
			 e == EADDRINUSE ? "the port is in use"
			 : e == EADDRNOTAVAIL
				 ? "this machine has no such address"
			 : e == EACCES ? "permission denied (a port below "
					 "1024 needs a privilege the unit "
					 "does not grant)"
				       : strerror(e));
	}
	close(fd);
	freeaddrinfo(ai);
	return rc ? -1 : 0;
}

/* node.metrics (config_load checked it is a loopback HOST:PORT): a port
 * in use is not fatal, the node then runs without its metrics
 * (metrics-failed), so it is a note. */
static void check_metrics(struct preflight *p)
{
	const char *addr = p->cfg.metrics, *colon = strrchr(addr, ':');
	struct bf_endpoint ep;
	char why[600];
	size_t hlen;
	int in_use;

	if (!colon)
		return;
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[' && hlen >= 2) { /* [::1] */
		addr++;
		hlen -= 2;
	}
	if (hlen >= sizeof(ep.host))
		return;
	memcpy(ep.host, addr, hlen);
	ep.host[hlen] = 0;
	ep.port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (strcmp(ep.host, "localhost") == 0)
		snprintf(ep.host, sizeof(ep.host), "127.0.0.1");
	if (try_bind(&ep, &in_use, why, sizeof(why)) == 0)
		ok(p, "node.metrics %s: port %u free", p->cfg.metrics, ep.port);
	else if (in_use && p->running_pid)
		note(p, "node.metrics %s: in use, by the running biofedd (pid "
			"%ld) or another process",
		     p->cfg.metrics, p->running_pid);
	else
		note(p, "node.metrics %s: %s: biofedd would run without its "
			"metrics (metrics-failed)",
		     p->cfg.metrics, why);
}

/* Where the node listens (or that it does not), and whom it dials. */
static void check_network(struct preflight *p)
{
	const struct bf_config *c = &p->cfg;
	const char *url = config_listen_url(c);
	const char *opt = c->listen[0] ? "node.listen" : "node.endpoint";
	char path[PATH_MAX + 32], why[600], msg[600];
	struct bf_endpoint ep;
	int in_use;

	path_of(p, NODE_CONF, path, sizeof(path));
	if (config_outbound_only(c)) {
		if (c->npeers == 0 && c->nsources == 0)
			problem(p, "%s: node.listen = none and no "
				   "federation.peer: this node would reach "
				   "nobody",
				path);
		else
			ok(p, "node.listen = none: accepts no connections, "
			      "syncs over the %zu peer(s) it dials",
			   c->npeers);
	} else if (!url[0]) {
		problem(p, "%s: neither node.listen nor node.endpoint is set: "
			   "give node.endpoint (where peers reach this node), "
			   "or node.listen = none for a node that only dials "
			   "out",
			path);
	} else if (config_parse_endpoint(url, &ep, msg, sizeof(msg)) != 0) {
		problem(p, "%s: %s: %s", path, opt, msg); /* config_load
							     refuses it */
	} else if (try_bind(&ep, &in_use, why, sizeof(why)) != 0) {
		if (in_use && p->running_pid &&
		    strcmp(p->running_listen, url) == 0 &&
		    (p->flags & PREFLIGHT_REPORT))
			note(p, "%s %s: held by the running biofedd (pid %ld)",
			     opt, url, p->running_pid);
		else {
			p->event = "listen-failed";
			problem(p, "%s: %s %s: cannot listen: %s", path, opt,
				url, why);
		}
	} else if (p->roster_certs <= 0 && c->npeers == 0) {
		problem(p, "%s: no roster member yet and no federation.peer: "
			   "nobody could connect, and nothing brings the "
			   "roster",
			path);
	} else {
		ok(p, "%s %s: port %u free to listen on", opt, url, ep.port);
		if (p->roster_certs <= 0)
			note(p, "no roster yet: biofedd listens once the roster "
				"arrives from a peer");
	}
	if (c->metrics[0])
		check_metrics(p);
	if (c->npeers)
		ok(p, "federation.peer: %zu to dial", c->npeers);
	else if (!config_outbound_only(c))
		note(p, "no federation.peer: this node syncs only with peers "
			"that dial it");
}

int preflight_run(const char *dir, int flags)
{
	struct preflight *p = calloc(1, sizeof(*p));
	int problems;

	if (!p) {
		fprintf(stderr, "biofedd: out of memory\n");
		return 1;
	}
	p->dir = dir;
	p->flags = flags;
	p->roster_certs = -1;
	if (flags & PREFLIGHT_REPORT)
		printf("biofedd: checking %s\n", dir);
	/* without a node directory the rest would only repeat it */
	if (check_dir(p) == 0 && check_conf(p) == 0) {
		check_sign_key(p);
		check_coordinator_key(p);
		check_tls(p);
		check_replica(p);
		check_running(p);
		if (p->have_cfg)
			check_network(p);
	}
	problems = p->problems;
	if (flags & PREFLIGHT_REPORT) {
		fflush(stdout);
		if (problems)
			fprintf(stderr, "biofedd: %s: %d problem%s: biofedd "
					"would not start\n",
				dir, problems, problems == 1 ? "" : "s");
		else
			printf("biofedd: %s: ready to start (node %s)\n", dir,
			       p->cfg.slug);
	}
	free(p);
	return problems;
}
