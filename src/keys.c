/*
 * keys: Ed25519 signing keys and the TLS identity, through OpenSSL 3.
 *
 * This file owns every use of OpenSSL's key APIs in biofed: creating,
 * storing and loading the Ed25519 key (PKCS#8 PEM), signing and verifying
 * with it, and creating the ECDSA P-256 key and self-signed certificate
 * that nng's mbedTLS uses for mutual TLS.  Private keys are only ever
 * written to new files with owner-only permissions, and only loaded from
 * files that nobody else can read.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_FILE_MAX 65536 /* no PEM key of ours comes near this */

/* Appends OpenSSL's reason for the last failure (and clears its queue,
 * so that a later failure does not report a stale reason). */
static int ossl_fail(struct bf_err *err, int rc, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256] = "unknown reason";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return bf_errf(err, rc, "%s: %s", what, reason);
}

/* Fills out from a private or public EVP_PKEY (takes ownership). */
static int key_adopt(EVP_PKEY *pkey, int has_private, struct ed_key *out,
		     struct bf_err *err)
{
	size_t n = sizeof(out->pub);

	if (EVP_PKEY_get_raw_public_key(pkey, out->pub, &n) != 1 || n != 32) {
		EVP_PKEY_free(pkey);
		return ossl_fail(err, BF_ECRYPTO, "Ed25519 public key");
	}
	out->pkey = pkey;
	out->has_private = has_private;
	return BF_OK;
}

/* Serialises a private key as PEM (PKCS#8 unless traditional) into memory
 * that OpenSSL wipes on free, then writes it to a new 0600 file. */
static int write_private_pem(const char *path, EVP_PKEY *pkey,
			     int traditional, struct bf_err *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data;
	long n;
	int rc, ok;

	if (!bio)
		return ossl_fail(err, BF_ENOMEM, path);
	ok = traditional ? PEM_write_bio_PrivateKey_traditional(
				   bio, pkey, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						    NULL, NULL);
	if (!ok) {
		rc = ossl_fail(err, BF_ECRYPTO, path);
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0) {
		rc = ossl_fail(err, BF_ECRYPTO, path);
		goto out;
	}
	rc = bf_write_new_file(path, 0600, data, (size_t)n, err);
out:
	BIO_free(bio);
	return rc;
}

int ed_key_generate(const char *path, struct ed_key *out, struct bf_err *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct ed_key k = {0};
	int rc;

	if (!pkey)
		return ossl_fail(err, BF_ECRYPTO, "Ed25519 key generation");
	if ((rc = write_private_pem(path, pkey, 0, err)) != 0) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	if ((rc = key_adopt(pkey, 1, &k, err)) != 0)
		return rc;
	*out = k;
	return BF_OK;
}

/* A password callback that refuses: an encrypted key is an error here,
 * never a prompt on a daemon's terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Opens a private key file for reading: a regular file of at most
 * KEY_FILE_MAX bytes that nobody but its owner may read.  The checks are
 * made on the file opened, not on its name, so a swap cannot slip by. */
static int open_private(const char *path, FILE **out, struct bf_err *err)
{
	struct stat st;
	FILE *f;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bf_errf(err, errno == ENOENT ? BF_ENOENT : BF_EIO,
			       "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = bf_errf(err, BF_EIO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEY_FILE_MAX) {
		rc = bf_errf(err, BF_EINVAL, "%s: not a key file", path);
		goto fail;
	}
	if (st.st_mode & 077) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "%s: private key is accessible by group or "
			     "others (mode %04o); run chmod 600 on it",
			     path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (!(f = fdopen(fd, "r"))) {
		rc = bf_errf(err, BF_EIO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	*out = f;
	return 0;
fail:
	close(fd);
	return rc;
}

/* A key file OpenSSL could not read: say what was expected. */
static int unreadable_key(struct bf_err *err, const char *path)
{
	char what[PATH_MAX + 64];

	snprintf(what, sizeof(what), "%s: not an unencrypted PEM private key",
		 path);
	return ossl_fail(err, BF_ECRYPTO, what);
}

int ed_key_load(const char *path, struct ed_key *out, struct bf_err *err)
{
	struct ed_key k = {0};
	EVP_PKEY *pkey = NULL;
	FILE *f = NULL;
	int rc;

	if ((rc = open_private(path, &f, err)) != 0)
		return rc;
	pkey = PEM_read_PrivateKey(f, NULL, no_password, NULL);
	if (!pkey) {
		rc = unreadable_key(err, path);
		goto out;
	}
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		rc = bf_errf(err, BF_ECRYPTO, "%s: not an Ed25519 key", path);
		goto out;
	}
	if ((rc = key_adopt(pkey, 1, &k, err)) != 0) {
		pkey = NULL; /* freed by key_adopt */
		goto out;
	}
	pkey = NULL;
	*out = k;
out:
	EVP_PKEY_free(pkey);
	if (f)
		fclose(f);
	return rc;
}

int ed_key_from_seed(const uint8_t seed[32], struct ed_key *out,
		     struct bf_err *err)
{
	EVP_PKEY *pkey =
		EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	struct ed_key k = {0};
	int rc;

	if (!pkey)
		return ossl_fail(err, BF_ECRYPTO, "Ed25519 key from seed");
	if ((rc = key_adopt(pkey, 1, &k, err)) != 0)
		return rc;
	*out = k;
	return BF_OK;
}

void ed_key_free(struct ed_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

int ed_sign(const struct ed_key *k, const void *msg, size_t n,
	    uint8_t sig[64], struct bf_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	size_t slen = 64;
	int rc = BF_OK;

	if (!k || !k->pkey || !k->has_private)
		return bf_errf(err, BF_ECRYPTO, "sign: no private key");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ossl_fail(err, BF_ENOMEM, "sign");
	/* Ed25519 is one-shot: no digest, the whole message at once */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, msg, n) != 1 || slen != 64)
		rc = ossl_fail(err, BF_ECRYPTO, "sign");
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ed_verify(const uint8_t pub[32], const void *msg, size_t n,
	      const uint8_t sig[64])
{
	EVP_PKEY *pkey;
	EVP_MD_CTX *ctx;
	int ok = 0;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	ctx = EVP_MD_CTX_new();
	if (pkey && ctx &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, 64, msg, n) == 1;
	/* a bad signature leaves a reason queued; it is not news */
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok ? BF_OK : BF_ECRYPTO;
}

/* ---------------------------------------------------------------------- */
/* TLS identity                                                             */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A positive, non-zero random serial of at most 127 bits (RFC 5280 asks
 * for no more than 20 octets). */
static int set_random_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok = 0;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f;
	r[0] |= 0x01;
	bn = BN_bin2bn(r, sizeof(r), NULL);
	if (bn)
		ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

/* The certificate is its own trust anchor: each node's nng/mbedTLS is
 * configured with the peers' self-signed certificates as CAs, so it must
 * be a CA that may sign certificates (itself) and handshakes. */
static X509 *make_self_signed(EVP_PKEY *pkey, const char *cn, int days)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (!x)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || !set_random_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, pkey) != 1 ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_key_usage,
		     "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
	    X509_sign(x, pkey, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int tls_identity_generate(const char *key_path, const char *cert_path,
			  const char *cn, int days, struct bf_err *err)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	struct stat st;
	char *pem;
	long n;
	int rc;

	if (!cn || !*cn || strlen(cn) > 64 ||
	    !bf_utf8_ok((const uint8_t *)cn, strlen(cn)))
		return bf_errf(err, BF_EINVAL,
			       "TLS certificate name must be 1..64 bytes of "
			       "UTF-8");
	if (days < 1 || days > 36500)
		return bf_errf(err, BF_EINVAL,
			       "TLS certificate validity must be 1..36500 "
			       "days, not %d",
			       days);
	/* refuse before creating anything, so no half identity is left */
	if (lstat(cert_path, &st) == 0)
		return bf_errf(err, BF_EEXIST,
			       "%s: already exists, not overwriting",
			       cert_path);

	pkey = EVP_EC_gen("P-256");
	if (!pkey)
		return ossl_fail(err, BF_ECRYPTO, "ECDSA P-256 key generation");
	x = make_self_signed(pkey, cn, days);
	bio = BIO_new(BIO_s_mem());
	if (!x || !bio || PEM_write_bio_X509(bio, x) != 1 ||
	    (n = BIO_get_mem_data(bio, &pem)) <= 0) {
		rc = ossl_fail(err, BF_ECRYPTO, "self-signed certificate");
		goto out;
	}
	/* mbedTLS 2.28 reads the traditional "EC PRIVATE KEY" form */
	if ((rc = write_private_pem(key_path, pkey, 1, err)) != 0)
		goto out;
	if ((rc = bf_write_new_file(cert_path, 0644, pem, (size_t)n, err))) {
		unlink(key_path); /* ours: created just above */
		goto out;
	}
out:
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

int tls_cert_fingerprint(const char *pem, size_t len, char out[65],
			 struct bf_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *bio;
	X509 *x = NULL;
	int rc = BF_OK;

	if (len > INT32_MAX)
		return bf_errf(err, BF_ETOOBIG, "certificate too large");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return ossl_fail(err, BF_ENOMEM, "certificate");
	x = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	if (!x) {
		rc = ossl_fail(err, BF_EINVAL, "certificate: not a PEM "
					       "certificate");
		goto out;
	}
	/* X509_digest hashes the DER encoding */
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		rc = ossl_fail(err, BF_ECRYPTO, "certificate fingerprint");
		goto out;
	}
	bf_hex(md, 32, out);
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

int tls_identity_check(const char *key_path, const char *cert_path,
		       struct tls_identity *out, struct bf_err *err)
{
	struct tls_identity id = {{0}, {0}};
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	FILE *f = NULL;
	char group[64] = "";
	uint8_t *pem = NULL;
	size_t len = 0;
	struct tm tm;
	int rc;

	if ((rc = open_private(key_path, &f, err)) != 0)
		return rc;
	pkey = PEM_read_PrivateKey(f, NULL, no_password, NULL);
	fclose(f);
	if (!pkey)
		return unreadable_key(err, key_path);
	/* mbedTLS 2.28 (Debian's nng) has no Ed25519 certificates */
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof(group),
					   NULL) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		rc = bf_errf(err, BF_ECRYPTO, "%s: not an ECDSA P-256 key",
			     key_path);
		goto out;
	}
	if ((rc = bf_read_file(cert_path, 1 << 20, &pem, &len, err)) != 0)
		goto out;
	if ((rc = tls_cert_fingerprint((const char *)pem, len, id.fingerprint,
				       err)) != 0) {
		bf_err_prefix(err, "%s", cert_path);
		goto out;
	}
	{
		BIO *bio = BIO_new_mem_buf(pem, (int)len);
		x = bio ? PEM_read_bio_X509(bio, NULL, no_password, NULL) : NULL;
		BIO_free(bio);
	}
	if (!x) {
		rc = ossl_fail(err, BF_EINVAL, cert_path);
		goto out;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		ERR_clear_error();
		rc = bf_errf(err, BF_ECRYPTO,
			     "%s is not the certificate of the key in %s",
			     cert_path, key_path);
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		rc = bf_errf(err, BF_ECRYPTO,
			     "%s: not valid now (expired, or not yet valid)",
			     cert_path);
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(id.valid_until, sizeof(id.valid_until), "%Y-%m-%d",
			 &tm);
	*out = id;
	rc = BF_OK;
out:
	X509_free(x);
	free(pem);
	EVP_PKEY_free(pkey);
	return rc;
}
