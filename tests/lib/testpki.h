/* certlink tests: throwaway keys and certificates made with OpenSSL, for store and records tests.
 *
 * testpki_key("ec") or testpki_key("rsa") makes a key (P-256 or RSA-2048); testpki_ca() a self-signed CA;
 * testpki_leaf() a client certificate issued by that CA with a given serial. Aborts on failure: a test
 * that cannot make its fixtures must not pass.
 */
#ifndef CL_TESTPKI_H
#define CL_TESTPKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline void testpki_die_(const char *what)
{
	fprintf(stderr, "testpki: %s failed\n", what);
	abort();
}

static inline EVP_PKEY *testpki_key(const char *type)
{
	EVP_PKEY *k = strcmp(type, "rsa") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");

	if (!k)
		testpki_die_("key generation");
	return k;
}

static inline void testpki_ext_(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext || !X509_add_ext(cert, ext, -1))
		testpki_die_("extension");
	X509_EXTENSION_free(ext);
}

static inline X509 *testpki_cert_(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                                  int is_ca)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();

	if (!c || !name)
		testpki_die_("X509_new");
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 30);
	X509_set_pubkey(c, key);
	if (is_ca) {
		testpki_ext_(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
		testpki_ext_(c, issuer ? issuer : c, NID_key_usage,
		             "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		testpki_ext_(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
		testpki_ext_(c, issuer, NID_ext_key_usage, "clientAuth");
	}
	if (!X509_sign(c, ikey ? ikey : key, EVP_sha256()))
		testpki_die_("X509_sign");
	X509_NAME_free(name);
	return c;
}

static inline X509 *testpki_ca(const char *cn, EVP_PKEY *key)
{
	return testpki_cert_(cn, 1, key, NULL, NULL, 1);
}

static inline X509 *testpki_leaf(const char *cn, long serial, EVP_PKEY *key, X509 *ca, EVP_PKEY *cakey)
{
	return testpki_cert_(cn, serial, key, ca, cakey, 0);
}

#endif
