/*
 * Unit tests for keys: Ed25519 key files (modes, refusal to overwrite,
 * refusal to load a readable key), signing against RFC 8032's first test
 * vector, and the TLS identity (modes, certificate contents, fingerprint).
 * Files go to a fresh directory under /tmp, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"

struct tmp {
	char dir[64];
	char a[128], b[128];
};

static int setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s", "/tmp/biofed-test-keys-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->a, sizeof(t->a), "%s/a", t->dir);
	snprintf(t->b, sizeof(t->b), "%s/b", t->dir);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;

	unlink(t->a);
	unlink(t->b);
	rmdir(t->dir);
	free(t);
	return 0;
}

static unsigned file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void test_generate_load(void **state)
{
	struct tmp *t = *state;
	struct ed_key k, again, loaded;
	struct bf_err err;
	uint8_t sig[64];
	static const char msg[] = "hello federation";

	assert_int_equal(ed_key_generate(t->a, &k, &err), 0);
	assert_int_equal(file_mode(t->a), 0600);
	assert_int_equal(k.has_private, 1);

	/* never overwrites a key */
	assert_int_equal(ed_key_generate(t->a, &again, &err), BF_EEXIST);
	assert_non_null(strstr(err.msg, "not overwriting"));

	assert_int_equal(ed_key_load(t->a, &loaded, &err), 0);
	assert_memory_equal(loaded.pub, k.pub, 32);
	assert_int_equal(ed_sign(&loaded, msg, sizeof(msg), sig, &err), 0);
	assert_int_equal(ed_verify(k.pub, msg, sizeof(msg), sig), 0);
	sig[10] ^= 1;
	assert_int_equal(ed_verify(k.pub, msg, sizeof(msg), sig), BF_ECRYPTO);
	sig[10] ^= 1;
	assert_int_equal(ed_verify(k.pub, msg, sizeof(msg) - 1, sig),
			 BF_ECRYPTO);

	/* a key others can read is refused, with the fix in the message */
	assert_int_equal(chmod(t->a, 0644), 0);
	assert_int_not_equal(ed_key_load(t->a, &again, &err), 0);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(chmod(t->a, 0640), 0);
	assert_int_not_equal(ed_key_load(t->a, &again, &err), 0);

	assert_int_equal(ed_key_load(t->b, &again, &err), BF_ENOENT);
	ed_key_free(&k);
	ed_key_free(&loaded);
}

static void test_load_rejects_other_keys(void **state)
{
	struct tmp *t = *state;
	struct ed_key k;
	struct bf_err err;
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
				   "-----END PRIVATE KEY-----\n";

	/* a TLS (ECDSA) key is not a signing key */
	assert_int_equal(tls_identity_generate(t->a, t->b, "n", 1, &err), 0);
	assert_int_not_equal(ed_key_load(t->a, &k, &err), 0);
	assert_non_null(strstr(err.msg, "not an Ed25519 key"));
	unlink(t->a);
	unlink(t->b);
	assert_int_equal(bf_write_new_file(t->a, 0600, junk, strlen(junk),
					   &err),
			 0);
	assert_int_not_equal(ed_key_load(t->a, &k, &err), 0);
}

/* RFC 8032, section 7.1, TEST 1. */
static void test_rfc8032(void **state)
{
	uint8_t seed[32], pub[32], want[64], sig[64];
	struct ed_key k;
	struct bf_err err;

	(void)state;
	assert_int_equal(bf_unhex("9d61b19deffd5a60ba844af492ec2cc4"
				  "4449c5697b326919703bac031cae7f60",
				  seed, 32),
			 0);
	assert_int_equal(bf_unhex("d75a980182b10ab7d54bfed3c964073a"
				  "0ee172f3daa62325af021a68f707511a",
				  pub, 32),
			 0);
	assert_int_equal(bf_unhex("e5564300c360ac729086e2cc806e828a"
				  "84877f1eb8e5d974d873e06522490155"
				  "5fb8821590a33bacc61e39701cf9b46b"
				  "d25bf5f0595bbe24655141438e7a100b",
				  want, 64),
			 0);
	assert_int_equal(ed_key_from_seed(seed, &k, &err), 0);
	assert_memory_equal(k.pub, pub, 32);
	assert_int_equal(ed_sign(&k, "", 0, sig, &err), 0);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(ed_verify(pub, "", 0, sig), 0);
	ed_key_free(&k);
}

static void test_tls_identity(void **state)
{
	struct tmp *t = *state;
	struct bf_err err;
	uint8_t *pem;
	size_t len;
	char fp[65], fp2[65], cn[128];
	unsigned char md[32];
	unsigned int mdlen;
	X509 *x;
	EVP_PKEY *key, *certkey;
	BIO *bio;
	FILE *f;

	assert_int_equal(
		tls_identity_generate(t->a, t->b, "node-a.example", 30, &err),
		0);
	assert_int_equal(file_mode(t->a), 0600);
	assert_int_equal(file_mode(t->b), 0644);
	assert_int_equal(
		tls_identity_generate(t->a, t->b, "node-a.example", 30, &err),
		BF_EEXIST);

	assert_int_equal(bf_read_file(t->b, 1 << 20, &pem, &len, &err), 0);
	bio = BIO_new_mem_buf(pem, (int)len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
					      NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "node-a.example");
	/* its own trust anchor: self-signed CA, usable for loopback */
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
				       X509_get_issuer_name(x)),
			 0);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	assert_true(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	certkey = X509_get0_pubkey(x);
	assert_int_equal(X509_verify(x, certkey), 1);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) <= 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);

	/* the key file is the certificate's key, in the traditional form */
	f = fopen(t->a, "r");
	assert_non_null(f);
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(key);
	assert_int_equal(EVP_PKEY_eq(key, certkey), 1);
	assert_true(EVP_PKEY_is_a(key, "EC"));
	assert_int_equal(X509_check_private_key(x, key), 1);

	/* fingerprint: SHA-256 of the DER, 64 lower-case hex digits */
	assert_int_equal(tls_cert_fingerprint((const char *)pem, len, fp,
					      &err),
			 0);
	assert_int_equal(strlen(fp), 64);
	assert_int_equal(strspn(fp, "0123456789abcdef"), 64);
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	bf_hex(md, 32, fp2);
	assert_string_equal(fp, fp2);
	assert_int_not_equal(tls_cert_fingerprint("junk", 4, fp, &err), 0);

	EVP_PKEY_free(key);
	X509_free(x);
	BIO_free(bio);
	free(pem);
}

static void test_tls_refusals(void **state)
{
	struct tmp *t = *state;
	struct bf_err err;

	assert_int_not_equal(tls_identity_generate(t->a, t->b, "", 30, &err),
			     0);
	assert_int_not_equal(tls_identity_generate(t->a, t->b, "n", 0, &err),
			     0);
	/* an existing certificate: nothing is created, not even the key */
	assert_int_equal(bf_write_new_file(t->b, 0644, "x", 1, &err), 0);
	assert_int_equal(tls_identity_generate(t->a, t->b, "n", 30, &err),
			 BF_EEXIST);
	assert_int_equal(access(t->a, F_OK), -1);
	/* an existing key: refused too */
	unlink(t->b);
	assert_int_equal(bf_write_new_file(t->a, 0600, "x", 1, &err), 0);
	assert_int_equal(tls_identity_generate(t->a, t->b, "n", 30, &err),
			 BF_EEXIST);
	assert_int_equal(access(t->b, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_generate_load, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_rejects_other_keys,
						setup, teardown),
		cmocka_unit_test(test_rfc8032),
		cmocka_unit_test_setup_teardown(test_tls_identity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tls_refusals, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
