/*
 * node: a node directory and what it holds.
 *
 *   biofed.conf     configuration (config.h)
 *   sign.key        Ed25519 signing key, 0600
 *   tls.key         ECDSA P-256 TLS key, 0600
 *   tls.crt         self-signed TLS certificate
 *   identity.json   the public parts the coordinator needs (roster add)
 *   coordinator.key only on the coordinator's node: signs the roster, 0600
 *   replica.db      the SQLite replica (store.h)
 *
 * The directory itself is created 0700.
 */
#ifndef BIOFED_NODE_H
#define BIOFED_NODE_H

#include <limits.h>

#include "config.h"
#include "keys.h"
#include "store.h"
#include "util.h"

#define NODE_CONF "biofed.conf"
#define NODE_SIGN_KEY "sign.key"
#define NODE_TLS_KEY "tls.key"
#define NODE_TLS_CERT "tls.crt"
#define NODE_IDENTITY "identity.json"
#define NODE_COORD_KEY "coordinator.key"
#define NODE_DB "replica.db"
/* Written by biofedd when peers hold later change sets of this node's own
 * origin than its replica (a restored backup): it holds that sequence
 * number, and nothing new is signed until the replica has caught up. */
#define NODE_BEHIND "origin-behind"

struct node {
	char dir[PATH_MAX];
	struct bf_config cfg;
	struct store *store;
	struct ed_key key; /* loaded with NODE_KEY */
};

#define NODE_RDONLY 0x1 /* replica opened read-only */
#define NODE_KEY 0x2    /* load sign.key */

/* The node directory of the system service (biofedd.service's
 * StateDirectory, the Debian package's tmpfiles.d entry): owned by the
 * service user biofed, 0700. */
#define NODE_SYSTEM_DIR "/var/lib/biofed"

/* The node directory when none is given: $BIOFED_DIR; else
 * NODE_SYSTEM_DIR when it is a directory the calling user (effective uid)
 * owns, i.e. for the service user; else $XDG_DATA_HOME/biofed; else
 * ~/.local/share/biofed. */
int node_default_dir(char *out, size_t n, struct bf_err *err);
/* The same with another system directory (NULL: none), for tests. */
int node_default_dir_at(const char *system_dir, char *out, size_t n,
			struct bf_err *err);
int node_file(const struct node *n, const char *name, char *out, size_t len);

/* Loads the configuration, opens the replica (creating it on first write
 * use), pins the coordinator key, and loads sign.key if asked. */
int node_open(struct node *n, const char *dir, int flags, struct bf_err *err);
void node_close(struct node *n);

/* BF_EFORK with a message when biofedd has seen later change sets of this
 * node's own origin at its peers than the replica holds; 0 otherwise. */
int node_check_not_behind(struct node *n, struct bf_err *err);

struct node_init {
	const char *dir;
	const char *slug, *name, *country, *region;
	/* endpoint "none" (or listen "none"): a node that only dials out
	 * (listen = none, no endpoint in its identity) */
	const char *endpoint, *listen;
	int coordinator;             /* create coordinator.key and pin it */
	const char *coordinator_key; /* hex, when not the coordinator */
};

/* Creates the node directory and everything in it.  Refuses to touch an
 * existing configuration or key.  Prints nothing. */
int node_init(const struct node_init *o, char coord_hex[65],
	      struct bf_err *err);

#endif
