/* certlink core: the certificates of a SCEP exchange (see scepcert.h). Pure: no I/O, no global state. */
#include "scepcert.h"

#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

enum cl_status cl_scepcert_parse_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *out,
                                       struct cl_error *err)
{
	CMS_ContentInfo *cms;
	STACK_OF(X509) * certs;
	int n;

	*out = NULL;
	if (len > CL_SCEP_MAX_MESSAGE)
		return cl_error_set(err, CL_E_REFUSED, "PKCS#7 is larger than %d bytes", CL_SCEP_MAX_MESSAGE);
	cms = cl_scepmsg_d2i_cms(der, len);
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		CMS_ContentInfo_free(cms);
		return cl_error_set_openssl(err, CL_E_REFUSED, "not a PKCS#7 SignedData with certificates");
	}
	certs = CMS_get1_certs(cms);
	CMS_ContentInfo_free(cms);
	n = certs ? sk_X509_num(certs) : 0;
	if (n < 1 || n > CL_SCEP_MAX_CERTS) {
		sk_X509_pop_free(certs, X509_free);
		return cl_error_set(err, CL_E_REFUSED, "PKCS#7 holds %d certificates (1 to %d expected)", n,
		                    CL_SCEP_MAX_CERTS);
	}
	*out = certs;
	return CL_OK;
}

static int fingerprint_is(X509 *x, const unsigned char fp[CL_SCEP_FP_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	return X509_digest(x, EVP_sha256(), md, &n) && n == CL_SCEP_FP_LEN && CRYPTO_memcmp(md, fp, n) == 0;
}

/* Does x chain to anchor through certs? Time is not checked: a device whose clock is off must still be able
 * to enroll (the server's clock decides validity), and TLS later checks time anyway. */
static int chains_to(X509 *x, X509 *anchor, STACK_OF(X509) * certs, int *verify_error)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	*verify_error = X509_V_ERR_UNSPECIFIED;
	if (store && ctx && X509_STORE_add_cert(store, anchor) && X509_STORE_CTX_init(ctx, store, x, certs)) {
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		ok = X509_verify_cert(ctx) == 1;
		*verify_error = X509_STORE_CTX_get_error(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

static int can_encrypt_to(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);

	/* X509_get_key_usage() is UINT32_MAX when the extension is absent: any use is allowed. */
	return pk && EVP_PKEY_is_a(pk, "RSA") && (X509_get_key_usage(x) & KU_KEY_ENCIPHERMENT);
}

static STACK_OF(X509) *
    cacert_certs(const unsigned char *body, size_t len, const char *content_type, struct cl_error *err)
{
	bool ra = content_type && strncasecmp(content_type, "application/x-x509-ca-ra-cert", 29) == 0;
	STACK_OF(X509) *certs = NULL;

	if (!ra) {
		const unsigned char *p = body;
		X509 *x = d2i_X509(NULL, &p, (long)len);

		if (x && p == body + len && (certs = sk_X509_new_null()) && sk_X509_push(certs, x))
			return certs;
		X509_free(x);
		sk_X509_free(certs);
		certs = NULL;
		ERR_clear_error();
		if (content_type && strncasecmp(content_type, "application/x-x509-ca-cert", 26) == 0) {
			cl_error_set(err, CL_E_REFUSED, "GetCACert reply is not a DER certificate");
			return NULL;
		}
	}
	if (cl_scepcert_parse_certs(body, len, &certs, err) != CL_OK) {
		cl_error_prefix(err, "GetCACert reply");
		return NULL;
	}
	return certs;
}

enum cl_status cl_scepcert_parse_cacert(const unsigned char *body, size_t len, const char *content_type,
                                        const unsigned char ca_sha256[CL_SCEP_FP_LEN],
                                        struct cl_scepcert_ca *out, struct cl_error *err)
{
	int verify_error;

	memset(out, 0, sizeof(*out));
	if (len > CL_SCEP_MAX_MESSAGE)
		return cl_error_set(err, CL_E_REFUSED, "GetCACert reply is larger than %d bytes",
		                    CL_SCEP_MAX_MESSAGE);
	if (!(out->certs = cacert_certs(body, len, content_type, err)))
		return CL_E_REFUSED;
	for (int i = 0; i < sk_X509_num(out->certs) && !out->ca; i++)
		if (fingerprint_is(sk_X509_value(out->certs, i), ca_sha256))
			out->ca = sk_X509_value(out->certs, i);
	if (!out->ca) {
		cl_error_set(err, CL_E_REFUSED,
		             "none of the %d certificates GetCACert returned is the CA "
		             "activation named (SHA-256 fingerprint differs)",
		             sk_X509_num(out->certs));
		goto fail;
	}
	X509_up_ref(out->ca);
	if (!(out->signers = sk_X509_new_null()) || !X509_up_ref(out->ca) ||
	    !sk_X509_push(out->signers, out->ca)) {
		cl_error_set_openssl(err, CL_E_UNEXPECTED, "GetCACert");
		goto fail;
	}
	for (int i = 0; i < sk_X509_num(out->certs); i++) {
		X509 *x = sk_X509_value(out->certs, i);

		if (x == out->ca || !chains_to(x, out->ca, out->certs, &verify_error))
			continue; /* an unrelated certificate is ignored, never trusted */
		if (!X509_up_ref(x) || !sk_X509_push(out->signers, x)) {
			X509_free(x);
			cl_error_set_openssl(err, CL_E_UNEXPECTED, "GetCACert");
			goto fail;
		}
		if (!out->recipient && !X509_check_ca(x) && can_encrypt_to(x) && X509_up_ref(x))
			out->recipient = x;
	}
	if (!out->recipient) {
		EVP_PKEY *pk = X509_get0_pubkey(out->ca);

		if (!pk || !EVP_PKEY_is_a(pk, "RSA")) {
			cl_error_set(err, CL_E_REFUSED,
			             "GetCACert offers no RA certificate and the CA has no RSA "
			             "key to encrypt the request to");
			goto fail;
		}
		if (!X509_up_ref(out->ca)) {
			cl_error_set_openssl(err, CL_E_UNEXPECTED, "GetCACert");
			goto fail;
		}
		out->recipient = out->ca;
	}
	return CL_OK;
fail:
	cl_scepcert_ca_clear(out);
	return CL_E_REFUSED;
}

void cl_scepcert_ca_clear(struct cl_scepcert_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->ca);
	X509_free(ca->recipient);
	sk_X509_pop_free(ca->signers, X509_free);
	sk_X509_pop_free(ca->certs, X509_free);
	memset(ca, 0, sizeof(*ca));
}

enum cl_status cl_scepcert_pick_issued(STACK_OF(X509) * certs, const EVP_PKEY *want,
                                       const struct cl_scepcert_ca *ca, X509 **out, struct cl_error *err)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	int found = 0, verify_error = X509_V_OK;

	*out = NULL;
	for (int i = 0; pool && i < sk_X509_num(certs); i++)
		sk_X509_push(pool, sk_X509_value(certs, i));
	for (int i = 0; pool && ca->certs && i < sk_X509_num(ca->certs); i++)
		sk_X509_push(pool, sk_X509_value(ca->certs, i));
	for (int i = 0; pool && i < sk_X509_num(certs) && !*out; i++) {
		X509 *x = sk_X509_value(certs, i);
		EVP_PKEY *pk = X509_get0_pubkey(x);

		if (!pk || EVP_PKEY_eq(pk, want) != 1)
			continue;
		found = 1;
		if (chains_to(x, ca->ca, pool, &verify_error) && X509_up_ref(x))
			*out = x;
	}
	sk_X509_free(pool);
	ERR_clear_error();
	if (*out)
		return CL_OK;
	if (!found)
		return cl_error_set(err, CL_E_REFUSED, "the SCEP server returned no certificate for our key");
	return cl_error_set(err, CL_E_REFUSED, "the issued certificate does not chain to the CA: %s",
	                    X509_verify_cert_error_string(verify_error));
}

/* RFC 8894 2.3: "The keyUsage extension in the certificate MUST indicate that it is valid for
 * digitalSignature and keyEncipherment (if available)": it signs the request and receives the CertRep. */
static int add_key_usage(X509 *x)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int ok = ku && ASN1_BIT_STRING_set_bit(ku, 0, 1) /* digitalSignature */ &&
	         ASN1_BIT_STRING_set_bit(ku, 2, 1) /* keyEncipherment */ &&
	         X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;

	ASN1_BIT_STRING_free(ku);
	return ok;
}

enum cl_status cl_scepcert_self_signed(EVP_PKEY *key, const X509_NAME *subject, const EVP_MD *md, X509 **out,
                                       struct cl_error *err)
{
	unsigned char serial[8];
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	int ok;

	*out = NULL;
	ok = x && RAND_bytes(serial, sizeof(serial)) == 1;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01; /* and non-zero */
	ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) && (sn = BN_to_ASN1_INTEGER(bn, NULL)) &&
	     X509_set_version(x, X509_VERSION_3) && X509_set_serialNumber(x, sn) &&
	     X509_set_subject_name(x, subject) && X509_set_issuer_name(x, subject) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(x), 7L * 86400) && X509_set_pubkey(x, key) &&
	     add_key_usage(x) && X509_sign(x, key, md) > 0;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return cl_error_set_openssl(err, CL_E_LOCAL, "making the SCEP signer certificate");
	}
	*out = x;
	return CL_OK;
}
