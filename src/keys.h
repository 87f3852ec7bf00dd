/*
 * keys: a node's key material, with OpenSSL.
 *
 * - The Ed25519 signing key (sign.key, PKCS#8 PEM, mode 0600) signs change
 *   sets and proves the node's identity in the peer hello.  Public keys
 *   travel as 64 hex digits (the raw 32 bytes).
 * - The TLS key (tls.key, ECDSA P-256, PEM, mode 0600) and a self-signed
 *   certificate (tls.crt) for mutual TLS between nodes: Debian's nng uses
 *   mbedTLS 2.28, which has no Ed25519 certificates.
 * Private key files are created with O_EXCL and owner-only permissions;
 * nothing here overwrites an existing key.
 */
#ifndef BIOFED_KEYS_H
#define BIOFED_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct ed_key {
	void *pkey;        /* EVP_PKEY*, private (or public only) */
	uint8_t pub[32];
	int has_private;
};

/* Generates a fresh Ed25519 key and writes it to path (0600, exclusive). */
int ed_key_generate(const char *path, struct ed_key *out, struct bf_err *err);
/* Loads a private key from a PEM file; refuses group/world-readable files. */
int ed_key_load(const char *path, struct ed_key *out, struct bf_err *err);
/* Builds a key from a raw 32-byte seed (test vectors). */
int ed_key_from_seed(const uint8_t seed[32], struct ed_key *out,
		     struct bf_err *err);
void ed_key_free(struct ed_key *k);

/* Signs msg; sig is 64 bytes. */
int ed_sign(const struct ed_key *k, const void *msg, size_t n,
	    uint8_t sig[64], struct bf_err *err);
/* Verifies with a raw public key: 0 when valid, BF_ECRYPTO otherwise. */
int ed_verify(const uint8_t pub[32], const void *msg, size_t n,
	      const uint8_t sig[64]);

/* Creates tls.key (ECDSA P-256, 0600, exclusive) and a self-signed
 * certificate (cert_path, 0644) whose subject CN is cn, valid for days. */
int tls_identity_generate(const char *key_path, const char *cert_path,
			  const char *cn, int days, struct bf_err *err);

/* SHA-256 of a PEM certificate's DER bytes, as 64 hex digits. */
int tls_cert_fingerprint(const char *pem, size_t len, char out[65],
			 struct bf_err *err);

/* A TLS identity as tls_identity_check found it. */
struct tls_identity {
	char fingerprint[65]; /* of the certificate: tls_cert_fingerprint */
	char valid_until[11]; /* YYYY-MM-DD */
};

/* Checks the TLS identity biofedd uses: key_path an owner-only file with
 * an unencrypted ECDSA P-256 key, cert_path a PEM certificate of that
 * key, valid now.  Fills out on success; the error names the file. */
int tls_identity_check(const char *key_path, const char *cert_path,
		       struct tls_identity *out, struct bf_err *err);

#endif
