/* Unit tests of core/scepmsg.c, the pure SCEP message layer: GetCACaps parsing and algorithm choice,
 * GetCACert selection by fingerprint, pkiMessage parsing limits (size, signers, digests, attributes), and
 * envelope ciphers. The flow over a transport is tests/core/test-scep.c. */
#include "check.h"
#include "scep-fixture.h"

#include <openssl/provider.h>

static struct fake F;

static unsigned caps_of(const char *text)
{
	struct cl_error err;
	unsigned caps = 0xdead;

	CHECK_INT_EQ(cl_scepmsg_parse_caps((const unsigned char *)text, strlen(text), &caps, &err), CL_OK);
	return caps;
}

static void test_caps(void)
{
	struct cl_error err;
	unsigned caps;
	char *big;

	CHECK_INT_EQ(caps_of(""), 0);
	CHECK_INT_EQ(caps_of("AES\nSHA-256\n"), CL_SCEP_CAP_AES | CL_SCEP_CAP_SHA256);
	/* case-insensitive, CRLF, blanks, unknown words, no final newline */
	CHECK_INT_EQ(caps_of("  aes \r\npostpkioperation\r\nUnknownThing\r\n\r\nsha-1"),
	             CL_SCEP_CAP_AES | CL_SCEP_CAP_POST | CL_SCEP_CAP_SHA1);
	CHECK_INT_EQ(caps_of("SCEPStandard"),
	             CL_SCEP_CAP_STANDARD | CL_SCEP_CAP_AES | CL_SCEP_CAP_POST | CL_SCEP_CAP_SHA256);
	CHECK_INT_EQ(caps_of("Renewal\nGetNextCACert\nDES3\nSHA-512\n"),
	             CL_SCEP_CAP_RENEWAL | CL_SCEP_CAP_GET_NEXT_CA_CERT | CL_SCEP_CAP_DES3 |
	                 CL_SCEP_CAP_SHA512);
	/* a word must be the whole line */
	CHECK_INT_EQ(caps_of("AESX\nXAES\nSHA-2560\nAES DES3\n"), 0);
	/* a NUL inside a line spoils only that line */
	CHECK_INT_EQ(cl_scepmsg_parse_caps((const unsigned char *)"AES\nDE\0S3\n", 10, &caps, &err), CL_OK);
	CHECK_INT_EQ(caps, CL_SCEP_CAP_AES);

	big = calloc(1, CL_SCEP_MAX_CAPS + 2);
	memset(big, '\n', CL_SCEP_MAX_CAPS + 1);
	CHECK_INT_EQ(cl_scepmsg_parse_caps((unsigned char *)big, CL_SCEP_MAX_CAPS, &caps, &err), CL_OK);
	CHECK_INT_EQ(cl_scepmsg_parse_caps((unsigned char *)big, CL_SCEP_MAX_CAPS + 1, &caps, &err),
	             CL_E_REFUSED);
	CHECK(strstr(err.msg, "larger than 8192") != NULL);
	free(big);
}

static void test_choose_algs(void)
{
	struct cl_scepmsg_algs a;
	struct cl_error err;

	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("SCEPStandard"), false, &a, &err), CL_OK);
	CHECK(a.cipher == EVP_aes_256_cbc());
	CHECK(a.md == EVP_sha256());
	CHECK(a.post);
	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("AES\nDES3\nSHA-1\nSHA-256"), true, &a, &err), CL_OK);
	CHECK_STR_EQ(a.cipher_name, "AES-128-CBC");
	CHECK_STR_EQ(a.md_name, "SHA-256");
	CHECK(!a.post);
	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("DES3\nSHA-512\nSHA-1"), false, &a, &err), CL_OK);
	CHECK_STR_EQ(a.cipher_name, "DES-EDE3-CBC");
	CHECK_STR_EQ(a.md_name, "SHA-512");
	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("DES3\nSHA-1"), false, &a, &err), CL_OK);
	CHECK(a.cipher == EVP_des_ede3_cbc());
	CHECK(a.md == EVP_sha1());
	/* RFC 8894's defaults without capabilities are DES and MD5: never */
	CHECK_INT_EQ(cl_scepmsg_choose_algs(0, false, &a, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("SHA-256\nPOSTPKIOperation"), false, &a, &err),
	             CL_E_REFUSED);
	CHECK_INT_EQ(cl_scepmsg_choose_algs(caps_of("AES\nPOSTPKIOperation"), false, &a, &err), CL_E_REFUSED);
}

static void test_cacert(void)
{
	unsigned char fp[CL_SCEP_FP_LEN], ra_fp[CL_SCEP_FP_LEN], *der = NULL, *p7;
	int der_len = i2d_X509(F.ca, &der);
	struct cl_scepcert_ca ca;
	struct cl_error err;
	X509 *many[CL_SCEP_MAX_CERTS + 1], *pair[2] = { F.ra, F.ca }, *ca_only_ra[2] = { F.ca, NULL };
	size_t len;

	fx_fingerprint(F.ca, fp);
	fx_fingerprint(F.ra, ra_fp);

	/* single DER: the CA, also when the content type is missing or odd (sniffed) */
	CHECK_INT_EQ(
	    cl_scepcert_parse_cacert(der, (size_t)der_len, "application/x-x509-ca-cert", fp, &ca, &err),
	    CL_OK);
	CHECK(ca.ca && X509_cmp(ca.ca, F.ca) == 0);
	CHECK(ca.recipient == ca.ca); /* keyUsage without keyEncipherment is still the one to encrypt to */
	CHECK_INT_EQ(sk_X509_num(ca.signers), 1);
	cl_scepcert_ca_clear(&ca);
	CHECK_INT_EQ(cl_scepcert_parse_cacert(der, (size_t)der_len, NULL, fp, &ca, &err), CL_OK);
	cl_scepcert_ca_clear(&ca);
	CHECK_INT_EQ(
	    cl_scepcert_parse_cacert(der, (size_t)der_len, "application/octet-stream", fp, &ca, &err), CL_OK);
	cl_scepcert_ca_clear(&ca);
	/* wrong fingerprint; trailing bytes; truncated */
	CHECK_INT_EQ(cl_scepcert_parse_cacert(der, (size_t)der_len, NULL, ra_fp, &ca, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "fingerprint differs") != NULL);
	CHECK(ca.ca == NULL && ca.certs == NULL);
	CHECK_INT_EQ(
	    cl_scepcert_parse_cacert(der, (size_t)der_len - 1, "application/x-x509-ca-cert", fp, &ca, &err),
	    CL_E_REFUSED);
	OPENSSL_free(der);

	/* PKCS#7 with RA and CA: the RA (keyEncipherment) is the recipient; both may sign */
	p7 = fx_certs_p7(pair, 2, &len);
	CHECK_INT_EQ(cl_scepcert_parse_cacert(p7, len, "application/x-x509-ca-ra-cert", fp, &ca, &err),
	             CL_OK);
	CHECK(ca.recipient && X509_cmp(ca.recipient, F.ra) == 0);
	CHECK_INT_EQ(sk_X509_num(ca.signers), 2);
	cl_scepcert_ca_clear(&ca);
	/* pinning the RA instead makes the RA the CA; the real CA does not chain to it and is ignored */
	CHECK_INT_EQ(cl_scepcert_parse_cacert(p7, len, NULL, ra_fp, &ca, &err), CL_OK);
	CHECK_INT_EQ(sk_X509_num(ca.signers), 1);
	cl_scepcert_ca_clear(&ca);
	/* the PKCS#7 type with one DER certificate inside: refused, it is not PKCS#7 */
	OPENSSL_free(p7);
	der = NULL;
	der_len = i2d_X509(F.ca, &der);
	CHECK_INT_EQ(
	    cl_scepcert_parse_cacert(der, (size_t)der_len, "application/x-x509-ca-ra-cert", fp, &ca, &err),
	    CL_E_REFUSED);
	OPENSSL_free(der);

	/* too many certificates */
	for (int i = 0; i <= CL_SCEP_MAX_CERTS; i++)
		many[i] = F.ca;
	p7 = fx_certs_p7(many, CL_SCEP_MAX_CERTS + 1, &len);
	CHECK_INT_EQ(cl_scepcert_parse_cacert(p7, len, "application/x-x509-ca-ra-cert", fp, &ca, &err),
	             CL_E_REFUSED);
	CHECK(strstr(err.msg, "17 certificates") != NULL);
	OPENSSL_free(p7);
	p7 = fx_certs_p7(many, CL_SCEP_MAX_CERTS, &len);
	CHECK_INT_EQ(cl_scepcert_parse_cacert(p7, len, "application/x-x509-ca-ra-cert", fp, &ca, &err),
	             CL_OK);
	cl_scepcert_ca_clear(&ca);
	OPENSSL_free(p7);
	/* no certificates */
	p7 = fx_certs_p7(ca_only_ra, 0, &len);
	CHECK_INT_EQ(cl_scepcert_parse_cacert(p7, len, "application/x-x509-ca-ra-cert", fp, &ca, &err),
	             CL_E_REFUSED);
	OPENSSL_free(p7);
	/* oversized */
	CHECK_INT_EQ(
	    cl_scepcert_parse_cacert((const unsigned char *)"", CL_SCEP_MAX_MESSAGE + 1, NULL, fp, &ca, &err),
	    CL_E_REFUSED);
	CHECK(strstr(err.msg, "larger than") != NULL);
}

static unsigned char *certrep(const EVP_MD *md, int with_type, size_t *len)
{
	unsigned char nonce[CL_SCEP_NONCE_LEN] = { 1 }, recip[CL_SCEP_NONCE_LEN] = { 2 }, *der = NULL;
	struct cl_scepmsg_out out = {
		.message_type = with_type ? CL_SCEP_CERTREP : 0,
		.transaction_id = "tid-1",
		.sender_nonce = nonce,
		.recipient_nonce = recip,
		.pki_status = CL_SCEP_PENDING,
		.fail_info = -1,
		.signer_cert = F.ca,
		.signer_key = F.ca_key,
		.md = md,
	};

	if (cl_scepmsg_build(&out, &der, len, NULL) != CL_OK)
		return NULL;
	return der;
}

static void test_parse(void)
{
	STACK_OF(X509) *signers = sk_X509_new_null();
	unsigned char recip[CL_SCEP_NONCE_LEN] = { 2 }, *der;
	struct cl_scepmsg_in in;
	struct cl_error err;
	size_t len = 0;

	sk_X509_push(signers, F.ca);
	der = certrep(EVP_sha256(), 1, &len);
	CHECK_INT_EQ(cl_scepmsg_parse(der, len, signers, &in, &err), CL_OK);
	CHECK_INT_EQ(in.message_type, CL_SCEP_CERTREP);
	CHECK_INT_EQ(in.pki_status, CL_SCEP_PENDING);
	CHECK_INT_EQ(in.fail_info, -1);
	CHECK_STR_EQ(in.transaction_id, "tid-1");
	CHECK(in.has_sender_nonce && in.sender_nonce[0] == 1);
	CHECK(in.envelope == NULL); /* PENDING: no content (detached, digest of the empty string) */
	CHECK(in.signer && X509_cmp(in.signer, F.ca) == 0);
	CHECK_INT_EQ(cl_scepmsg_check_certrep(&in, "tid-1", recip, &err), CL_OK);
	CHECK_INT_EQ(cl_scepmsg_check_certrep(&in, "tid-2", recip, &err), CL_E_REFUSED);
	cl_scepmsg_in_clear(&in);
	/* oversized, empty, one byte short, one byte more */
	CHECK_INT_EQ(cl_scepmsg_parse(der, CL_SCEP_MAX_MESSAGE + 1, signers, &in, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "larger than 262144") != NULL);
	CHECK_INT_EQ(cl_scepmsg_parse(der, 0, signers, &in, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_scepmsg_parse(der, len - 1, signers, &in, &err), CL_E_REFUSED);
	{
		unsigned char *longer = calloc(1, len + 1);

		memcpy(longer, der, len);
		CHECK_INT_EQ(cl_scepmsg_parse(longer, len + 1, signers, &in, &err), CL_E_REFUSED);
		free(longer);
	}
	/* not one of the signers given */
	sk_X509_set(signers, 0, F.ra);
	CHECK_INT_EQ(cl_scepmsg_parse(der, len, signers, &in, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "does not verify") != NULL);
	sk_X509_set(signers, 0, F.ca);
	OPENSSL_free(der);

	/* MD5 is refused even with a good signature */
	der = certrep(EVP_md5(), 1, &len);
	CHECK(der != NULL);
	CHECK_INT_EQ(cl_scepmsg_parse(der, len, signers, &in, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "MD5") != NULL);
	OPENSSL_free(der);
	/* messageType "0" parses but is not a CertRep */
	der = certrep(EVP_sha256(), 0, &len);
	CHECK_INT_EQ(cl_scepmsg_parse(der, len, signers, &in, &err), CL_OK);
	CHECK_INT_EQ(cl_scepmsg_check_certrep(&in, "tid-1", recip, &err), CL_E_REFUSED);
	cl_scepmsg_in_clear(&in);
	OPENSSL_free(der);
	sk_X509_free(signers);
}

static void test_decrypt_ciphers(void)
{
	static const struct {
		const char *name;
		int ok;
	} ciphers[] = { { "AES-128-CBC", 1 },      { "AES-256-CBC", 1 }, { "DES-EDE3-CBC", 1 },
		        { "CAMELLIA-128-CBC", 0 }, { "DES-CBC", 1 },     { "RC2-CBC", 0 } };
	STACK_OF(X509) *recips = sk_X509_new_null();
	OSSL_LIB_CTX *legacy = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *p1 = OSSL_PROVIDER_load(legacy, "default"), *p2 = OSSL_PROVIDER_load(legacy, "legacy");
	struct cl_error err;

	/* single DES and RC2 need the legacy provider to make; the client accepts DES in replies only
	 * (micromdm encrypts CertReps with it) and RC2 never */
	CHECK(p1 && p2);
	sk_X509_push(recips, F.ca);
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		EVP_CIPHER *c = EVP_CIPHER_fetch(legacy, ciphers[i].name, NULL);
		BIO *in = BIO_new_mem_buf("content", 7);
		CMS_ContentInfo *env = c ? CMS_encrypt_ex(recips, in, c, CMS_BINARY, legacy, NULL) : NULL;
		unsigned char *der = NULL, *plain = NULL;
		int len = env ? i2d_CMS_ContentInfo(env, &der) : 0;
		size_t plain_len = 0;
		int nid = 0;

		CHECK(len > 0);
		CHECK_INT_EQ(
		    cl_scepmsg_decrypt(der, (size_t)len, F.ca_key, F.ca, &plain, &plain_len, &nid, &err),
		    ciphers[i].ok ? CL_OK : CL_E_REFUSED);
		CHECK_INT_EQ(nid, EVP_CIPHER_get_nid(c));
		if (ciphers[i].ok)
			CHECK(plain_len == 7 && memcmp(plain, "content", 7) == 0);
		else
			CHECK(strstr(err.msg, "does not accept") != NULL);
		cl_scepmsg_plain_free(plain, plain_len);
		/* the wrong key */
		if (ciphers[i].ok) {
			CHECK_INT_EQ(cl_scepmsg_decrypt(der, (size_t)len, F.ra_key, F.ca, &plain, &plain_len,
			                                NULL, &err),
			             CL_E_REFUSED);
			CHECK(plain == NULL);
		}
		OPENSSL_free(der);
		CMS_ContentInfo_free(env);
		BIO_free(in);
		EVP_CIPHER_free(c);
	}
	sk_X509_free(recips);
	OSSL_PROVIDER_unload(p2);
	OSSL_PROVIDER_unload(p1);
	OSSL_LIB_CTX_free(legacy);
}

static void test_names(void)
{
	CHECK_STR_EQ(cl_scep_message_type_name(CL_SCEP_RENEWALREQ), "RenewalReq");
	CHECK(cl_scep_message_type_name(4) == NULL);
	CHECK_STR_EQ(cl_scep_fail_info_name(CL_SCEP_BAD_CERT_ID), "badCertId");
	CHECK(cl_scep_fail_info_name(5) == NULL);
	CHECK(cl_scep_fail_info_name(-1) == NULL);
}

int main(void)
{
	fake_init(&F);
	test_caps();
	test_choose_algs();
	test_cacert();
	test_parse();
	test_decrypt_ciphers();
	test_names();
	fake_free(&F);
	return check_done();
}
