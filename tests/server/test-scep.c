/* Unit tests of server/scep.c. The test plays the SCEP client: it builds pkiMessages with OpenSSL (signed,
 * enveloped, every SCEP attribute), has the module parse them and answer, and checks the answer the way a
 * client does (signature, digest, rsaEncryption SignerInfo, nonces, transactionID, decryption, certificate).
 * Broken messages must be refused with the failInfo a client can act on. */
#include "check.h"
#include "scep.h"
#include "scep-private.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"

static struct {
	EVP_PKEY *ca_key, *ra_key, *other_key, *client_key, *client2_key, *ec_key;
	X509 *ca, *ra, *other_ra, *client_self, *client_issued, *ec_self;
} pki;

/* ---- a small PKI ---- */

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *bc,
                       const char *ku)
{
	X509 *x = X509_new();
	X509V3_CTX v;
	X509_EXTENSION *e;
	unsigned char serial[8];

	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_set_version(x, X509_VERSION_3);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn,
	                           -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, NID_basic_constraints, bc);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	e = X509V3_EXT_conf_nid(NULL, &v, NID_key_usage, ku);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256());
	return x;
}

static void pki_setup(void)
{
	pki.ca_key = EVP_RSA_gen(2048);
	pki.ra_key = EVP_RSA_gen(2048);
	pki.other_key = EVP_RSA_gen(2048);
	pki.client_key = EVP_RSA_gen(2048);
	pki.client2_key = EVP_RSA_gen(2048);
	pki.ec_key = EVP_EC_gen("P-256");
	pki.ca =
	    make_cert("Test CA", pki.ca_key, NULL, NULL, "critical,CA:TRUE", "critical,keyCertSign,cRLSign");
	pki.ra = make_cert("Test RA", pki.ra_key, pki.ca, pki.ca_key, "critical,CA:FALSE",
	                   "critical,digitalSignature,keyEncipherment");
	pki.other_ra = make_cert("Other RA", pki.other_key, NULL, NULL, "critical,CA:FALSE",
	                         "critical,digitalSignature,keyEncipherment");
	pki.client_self =
	    make_cert("client", pki.client_key, NULL, NULL, "critical,CA:FALSE", "critical,digitalSignature");
	pki.client_issued = make_cert("client", pki.client_key, pki.ca, pki.ca_key, "critical,CA:FALSE",
	                              "critical,digitalSignature,keyEncipherment");
	pki.ec_self =
	    make_cert("ec client", pki.ec_key, NULL, NULL, "critical,CA:FALSE", "critical,digitalSignature");
	CHECK(pki.ca != NULL && pki.ra != NULL && pki.other_ra != NULL && pki.client_self != NULL &&
	      pki.client_issued != NULL && pki.ec_self != NULL);
}

static void pki_free(void)
{
	EVP_PKEY *keys[] = { pki.ca_key,     pki.ra_key,      pki.other_key,
		             pki.client_key, pki.client2_key, pki.ec_key };
	X509 *certs[] = { pki.ca, pki.ra, pki.other_ra, pki.client_self, pki.client_issued, pki.ec_self };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
}

/* A DER CSR for key with challenge (NULL: none), self-signed by sign_key. twice: two challengePassword
 * attributes, which OpenSSL will not build: we add an unstructuredName, whose OID differs from
 * challengePassword's in the last byte only, patch that byte in the DER, decode and sign again. */
static unsigned char *make_csr(EVP_PKEY *key, EVP_PKEY *sign_key, const char *cn, const char *challenge,
                               int twice, size_t *len)
{
	static const unsigned char unstructured_name[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
		                                           0xf7, 0x0d, 0x01, 0x09, 0x02 };
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL, *hit;
	const unsigned char *p;
	int n;

	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_pubkey(req, key);
	if (challenge != NULL)
		X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, V_ASN1_UTF8STRING,
		                          (const unsigned char *)challenge, (int)strlen(challenge));
	if (challenge != NULL && twice)
		X509_REQ_add1_attr_by_NID(req, NID_pkcs9_unstructuredName, V_ASN1_UTF8STRING,
		                          (const unsigned char *)challenge, (int)strlen(challenge));
	X509_REQ_sign(req, sign_key, EVP_sha256());
	n = i2d_X509_REQ(req, &der);
	if (twice && n > 0) {
		hit = memmem(der, (size_t)n, unstructured_name, sizeof(unstructured_name));
		CHECK(hit != NULL);
		hit[sizeof(unstructured_name) - 1] = 0x07;
		X509_REQ_free(req);
		p = der;
		req = d2i_X509_REQ(NULL, &p, n);
		OPENSSL_free(der);
		der = NULL;
		CHECK_INT_EQ(X509_REQ_get_attr_count(req), 2);
		X509_REQ_sign(req, sign_key, EVP_sha256());
		n = i2d_X509_REQ(req, &der);
	}
	X509_REQ_free(req);
	*len = n > 0 ? (size_t)n : 0;
	return der;
}

/* A CSR whose challengePassword attribute holds two values. */
static unsigned char *make_csr_two_values(size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_ATTRIBUTE *a;
	unsigned char *der = NULL;
	int n;

	X509_REQ_set_pubkey(req, pki.client_key);
	a = X509_ATTRIBUTE_create_by_NID(NULL, NID_pkcs9_challengePassword, V_ASN1_UTF8STRING, "one", 3);
	X509_ATTRIBUTE_set1_data(a, V_ASN1_UTF8STRING, "two", 3);
	CHECK_INT_EQ(X509_ATTRIBUTE_count(a), 2);
	X509_REQ_add1_attr(req, a);
	X509_ATTRIBUTE_free(a);
	X509_REQ_sign(req, pki.client_key, EVP_sha256());
	n = i2d_X509_REQ(req, &der);
	X509_REQ_free(req);
	*len = n > 0 ? (size_t)n : 0;
	return der;
}

/* ---- the client's pkiMessage ---- */

enum tamper { T_NONE, T_SIGNATURE, T_SIGNED_ATTR, T_ENC_KEY, T_DETACHED };

struct req_opts {
	const char *type;   /* messageType text; NULL omits it */
	const char *tid;    /* NULL omits it */
	int tid_len;        /* 0: strlen(tid) */
	int nonce_len;      /* 0 omits it */
	int dup_tid;        /* transactionID twice */
	const EVP_MD *md;   /* NULL: SHA-256 */
	const char *cipher; /* NULL: AES-128-CBC */
	X509 *signer;       /* NULL: pki.client_self */
	EVP_PKEY *signer_key;
	X509 *recipient; /* NULL: pki.ra */
	X509 *recipient2;
	const unsigned char *content;
	size_t content_len;
	enum tamper tamper;
};

static int add_attr(PKCS7_SIGNER_INFO *si, const char *oid, int type, const void *bytes, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int ok = X509at_add1_attr_by_OBJ(&si->auth_attr, obj, type, bytes, len) != NULL;

	ASN1_OBJECT_free(obj);
	return ok;
}

static ASN1_TYPE *attr_value(STACK_OF(X509_ATTRIBUTE) * attrs, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_TYPE *t = NULL;
	int i = X509at_get_attr_by_OBJ(attrs, obj, -1);

	if (i >= 0)
		t = X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, i), 0);
	ASN1_OBJECT_free(obj);
	return t;
}

static unsigned char *envelope(const struct req_opts *o, size_t *len)
{
	OSSL_LIB_CTX *ctx = srv_scep_libctx();
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(ctx, o->cipher != NULL ? o->cipher : "AES-128-CBC", NULL);
	STACK_OF(X509) *to = sk_X509_new_null();
	BIO *in = BIO_new_mem_buf(o->content, (int)o->content_len);
	unsigned char *der = NULL;
	PKCS7 *env;
	int n;

	sk_X509_push(to, o->recipient != NULL ? o->recipient : pki.ra);
	if (o->recipient2 != NULL)
		sk_X509_push(to, o->recipient2);
	env = PKCS7_encrypt_ex(to, in, cipher, PKCS7_BINARY, ctx, NULL);
	CHECK(env != NULL);
	if (env != NULL && o->tamper == T_ENC_KEY) {
		PKCS7_RECIP_INFO *ri = sk_PKCS7_RECIP_INFO_value(env->d.enveloped->recipientinfo, 0);

		((unsigned char *)ASN1_STRING_get0_data(ri->enc_key))[10] ^= 0x55;
	}
	n = env != NULL ? i2d_PKCS7(env, &der) : -1;
	*len = n > 0 ? (size_t)n : 0;
	PKCS7_free(env);
	BIO_free(in);
	sk_X509_free(to);
	EVP_CIPHER_free(cipher);
	return der;
}

/* Build the pkiMessage; nonce gets the senderNonce used. Caller OPENSSL_free()s. */
static unsigned char *build_request(const struct req_opts *o, unsigned char nonce[16], size_t *len)
{
	size_t env_len;
	unsigned char *env = envelope(o, &env_len), *der = NULL, n8[32];
	X509 *signer = o->signer != NULL ? o->signer : pki.client_self;
	EVP_PKEY *key = o->signer_key != NULL ? o->signer_key : pki.client_key;
	PKCS7 *p7 = PKCS7_new();
	PKCS7_SIGNER_INFO *si;
	BIO *in = BIO_new_mem_buf(env, (int)env_len);
	int n;

	RAND_bytes(n8, sizeof(n8));
	memcpy(nonce, n8, 16);
	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_content_new(p7, NID_pkcs7_data);
	si = PKCS7_sign_add_signer(p7, signer, key, o->md != NULL ? o->md : EVP_sha256(), PKCS7_NOSMIMECAP);
	CHECK(si != NULL);
	if (o->type != NULL)
		add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, o->type, (int)strlen(o->type));
	if (o->tid != NULL)
		add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, o->tid,
		         o->tid_len > 0 ? o->tid_len : (int)strlen(o->tid));
	if (o->tid != NULL && o->dup_tid) {
		/* OpenSSL refuses to add a duplicate attribute; a hostile client is not so polite. */
		ASN1_OBJECT *obj = OBJ_txt2obj(OID_TRANSACTION_ID, 1);

		sk_X509_ATTRIBUTE_push(si->auth_attr,
		                       X509_ATTRIBUTE_create_by_OBJ(NULL, obj, V_ASN1_PRINTABLESTRING, o->tid,
		                                                    (int)strlen(o->tid)));
		ASN1_OBJECT_free(obj);
	}
	if (o->nonce_len > 0)
		add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, n8, o->nonce_len);
	if (o->tamper == T_DETACHED)
		PKCS7_set_detached(p7, 1);
	CHECK(PKCS7_final(p7, in, PKCS7_BINARY) == 1);
	if (o->tamper == T_SIGNATURE)
		((unsigned char *)ASN1_STRING_get0_data(si->enc_digest))[20] ^= 0x01;
	if (o->tamper == T_SIGNED_ATTR) {
		ASN1_TYPE *t = attr_value(si->auth_attr, OID_SENDER_NONCE);

		((unsigned char *)ASN1_STRING_get0_data(t->value.octet_string))[0] ^= 0x01;
		nonce[0] ^= 0x01;
	}
	n = i2d_PKCS7(p7, &der);
	*len = n > 0 ? (size_t)n : 0;
	PKCS7_free(p7);
	BIO_free(in);
	OPENSSL_free(env);
	return der;
}

/* ---- the client's checks on the CertRep ---- */

struct expect {
	const char *tid;
	const unsigned char *nonce;
	int digest_nid;
	int status;
	int fail_info;
	int cipher_nid;  /* SUCCESS: the envelope's cipher */
	X509 *recipient; /* SUCCESS: decrypt with this certificate ... */
	EVP_PKEY *rkey;  /* ... and key */
	X509 *issued;    /* SUCCESS: the first certificate must be this one */
	int n_certs;     /* SUCCESS: certificates in the degenerate PKCS#7 */
};

static int printable_eq(ASN1_TYPE *t, const char *s)
{
	return t != NULL && t->type == V_ASN1_PRINTABLESTRING &&
	       ASN1_STRING_length(t->value.printablestring) == (int)strlen(s) &&
	       memcmp(ASN1_STRING_get0_data(t->value.printablestring), s, strlen(s)) == 0;
}

static void check_success_content(BIO *content, const struct expect *e)
{
	const unsigned char *p, *der;
	long len = BIO_get_mem_data(content, (char **)&der);
	PKCS7 *env, *deg = NULL;
	BIO *plain = BIO_new(BIO_s_mem());

	p = der;
	env = d2i_PKCS7(NULL, &p, len);
	CHECK(env != NULL && PKCS7_type_is_enveloped(env));
	if (env == NULL || !PKCS7_type_is_enveloped(env))
		goto out;
	CHECK_INT_EQ(OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->algorithm), e->cipher_nid);
	CHECK_INT_EQ(PKCS7_decrypt(env, e->rkey, e->recipient, plain, 0), 1);
	len = BIO_get_mem_data(plain, (char **)&der);
	p = der;
	deg = d2i_PKCS7(NULL, &p, len);
	CHECK(deg != NULL && PKCS7_type_is_signed(deg));
	if (deg == NULL || !PKCS7_type_is_signed(deg))
		goto out;
	CHECK_INT_EQ(sk_X509_num(deg->d.sign->cert), e->n_certs);
	CHECK_INT_EQ(sk_PKCS7_SIGNER_INFO_num(deg->d.sign->signer_info), 0);
	CHECK(X509_cmp(sk_X509_value(deg->d.sign->cert, 0), e->issued) == 0);
out:
	PKCS7_free(deg);
	PKCS7_free(env);
	BIO_free(plain);
}

static void check_reply(const unsigned char *der, size_t len, const struct expect *e)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	X509_STORE *store = X509_STORE_new();
	BIO *content = BIO_new(BIO_s_mem());
	PKCS7_SIGNER_INFO *si;
	X509_ALGOR *dig, *sig;
	STACK_OF(X509_ATTRIBUTE) * attrs;
	ASN1_TYPE *sn, *rn;
	char num[12];

	CHECK(p7 != NULL && p == der + len && PKCS7_type_is_signed(p7));
	if (p7 == NULL || !PKCS7_type_is_signed(p7))
		goto out;
	/* The RA's signature, chained to the CA, over content that is present even when empty. */
	X509_STORE_add_cert(store, pki.ca);
	CHECK_INT_EQ(PKCS7_verify(p7, NULL, store, NULL, content, 0), 1);
	CHECK_INT_EQ(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)), 1);
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	PKCS7_SIGNER_INFO_get0_algs(si, NULL, &dig, &sig);
	CHECK_INT_EQ(OBJ_obj2nid(dig->algorithm), e->digest_nid);
	CHECK_INT_EQ(OBJ_obj2nid(sig->algorithm), NID_rsaEncryption); /* strongSwan accepts nothing else */
	attrs = PKCS7_get_signed_attributes(si);
	CHECK(printable_eq(attr_value(attrs, OID_MESSAGE_TYPE), "3"));
	CHECK(printable_eq(attr_value(attrs, OID_TRANSACTION_ID), e->tid));
	snprintf(num, sizeof(num), "%d", e->status);
	CHECK(printable_eq(attr_value(attrs, OID_PKI_STATUS), num));
	snprintf(num, sizeof(num), "%d", e->fail_info);
	if (e->status == SRV_SCEP_FAILURE)
		CHECK(printable_eq(attr_value(attrs, OID_FAIL_INFO), num));
	else
		CHECK(attr_value(attrs, OID_FAIL_INFO) == NULL);
	rn = attr_value(attrs, OID_RECIPIENT_NONCE);
	sn = attr_value(attrs, OID_SENDER_NONCE);
	CHECK(rn != NULL && rn->type == V_ASN1_OCTET_STRING &&
	      ASN1_STRING_length(rn->value.octet_string) == 16 &&
	      memcmp(ASN1_STRING_get0_data(rn->value.octet_string), e->nonce, 16) == 0);
	CHECK(sn != NULL && sn->type == V_ASN1_OCTET_STRING &&
	      ASN1_STRING_length(sn->value.octet_string) == 16 &&
	      memcmp(ASN1_STRING_get0_data(sn->value.octet_string), e->nonce, 16) != 0);
	if (e->status == SRV_SCEP_SUCCESS)
		check_success_content(content, e);
	else
		CHECK_INT_EQ(BIO_pending(content), 0);
out:
	BIO_free(content);
	X509_STORE_free(store);
	PKCS7_free(p7);
}

/* Issue a certificate for the CSR's key, as the server's CA would. */
static X509 *issue_for(const struct srv_scep_request *req)
{
	X509 *x = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_set_version(x, X509_VERSION_3);
	X509_set_issuer_name(x, X509_get_subject_name(pki.ca));
	X509_set_subject_name(x, X509_REQ_get_subject_name(req->csr));
	X509_set_pubkey(x, X509_REQ_get0_pubkey(req->csr));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_sign(x, pki.ca_key, EVP_sha256());
	return x;
}

/* ---- tests ---- */

static void check_pkcsreq(const char *cipher, int cipher_nid, int reply_cipher_nid, const EVP_MD *md,
                          int md_nid)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg, *rep = NULL;
	size_t csr_len, msg_len, rep_len;
	char err[256];
	struct req_opts o = { .type = "19", .tid = "8A3B0F", .nonce_len = 16, .md = md, .cipher = cipher };
	X509 *issued;

	csr = make_csr(pki.client_key, pki.client_key, "client", "s3cret-Challenge", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, err, sizeof(err)), SRV_SCEP_OK);
	if (err[0] != '\0')
		fprintf(stderr, "%s %s: %s\n", cipher, EVP_MD_get0_name(md), err);
	CHECK_INT_EQ(req.message_type, SRV_SCEP_PKCSREQ);
	CHECK_STR_EQ(req.transaction_id, "8A3B0F");
	CHECK(memcmp(req.sender_nonce, nonce, 16) == 0);
	CHECK_INT_EQ(req.digest_nid, md_nid);
	CHECK_INT_EQ(req.cipher_nid, cipher_nid);
	CHECK_INT_EQ(req.fail_info, -1);
	CHECK_STR_EQ(req.challenge, "s3cret-Challenge");
	CHECK(req.signer != NULL && X509_cmp(req.signer, pki.client_self) == 0);
	CHECK(req.csr != NULL && EVP_PKEY_eq(X509_REQ_get0_pubkey(req.csr), pki.client_key) == 1);
	if (req.csr == NULL)
		goto out;
	/* The challenge has left the CSR: neither the attribute nor its bytes remain. */
	CHECK_INT_EQ(X509_REQ_get_attr_by_NID(req.csr, NID_pkcs9_challengePassword, -1), -1);
	{
		unsigned char *der = NULL;
		int n = i2d_X509_REQ(req.csr, &der);

		CHECK(n > 0 && memmem(der, (size_t)n, "s3cret", 6) == NULL);
		OPENSSL_free(der);
	}
	issued = issue_for(&req);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, issued, NULL, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, err, sizeof(err)),
	             0);
	check_reply(rep, rep_len,
	            &(struct expect){ .tid = "8A3B0F",
	                              .nonce = nonce,
	                              .digest_nid = md_nid,
	                              .status = SRV_SCEP_SUCCESS,
	                              .cipher_nid = reply_cipher_nid,
	                              .recipient = pki.client_self,
	                              .rkey = pki.client_key,
	                              .issued = issued,
	                              .n_certs = 1 });
	X509_free(issued);
out:
	free(rep);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	OPENSSL_free(csr);
}

static void test_pkcsreq_algorithms(void)
{
	check_pkcsreq("AES-128-CBC", NID_aes_128_cbc, NID_aes_128_cbc, EVP_sha256(), NID_sha256);
	check_pkcsreq("AES-256-CBC", NID_aes_256_cbc, NID_aes_256_cbc, EVP_sha256(), NID_sha256);
	check_pkcsreq("AES-128-CBC", NID_aes_128_cbc, NID_aes_128_cbc, EVP_sha1(), NID_sha1);
	check_pkcsreq("AES-256-CBC", NID_aes_256_cbc, NID_aes_256_cbc, EVP_sha1(), NID_sha1);
	check_pkcsreq("DES-EDE3-CBC", NID_des_ede3_cbc, NID_des_ede3_cbc, EVP_sha256(), NID_sha256);
	check_pkcsreq("DES-EDE3-CBC", NID_des_ede3_cbc, NID_des_ede3_cbc, EVP_sha1(), NID_sha1);
	check_pkcsreq("AES-192-CBC", NID_aes_192_cbc, NID_aes_192_cbc, EVP_sha512(), NID_sha512);
	/* micromdm scepclient: single DES and SHA-1. Answered with DES-EDE3-CBC, never single DES. */
	check_pkcsreq("DES-CBC", NID_des_cbc, NID_des_ede3_cbc, EVP_sha1(), NID_sha1);
}

/* micromdm envelopes to every certificate GetCACert returned: RA and CA. */
static void test_two_recipients(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg;
	size_t csr_len, msg_len;
	struct req_opts o = {
		.type = "19", .tid = "two", .nonce_len = 16, .recipient = pki.ca, .recipient2 = pki.ra
	};

	csr = make_csr(pki.client_key, pki.client_key, "client", "pw", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	CHECK_STR_EQ(req.challenge, "pw");
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	OPENSSL_free(csr);
}

static void test_renewalreq(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg, *rep = NULL;
	size_t csr_len, msg_len, rep_len;
	char err[256];
	struct req_opts o = { .type = "17",
		              .tid = "renew-1",
		              .nonce_len = 16,
		              .signer = pki.client_issued,
		              .signer_key = pki.client_key };
	X509 *issued;

	/* A new key, signed with the current certificate and its key. */
	csr = make_csr(pki.client2_key, pki.client2_key, "client", NULL, 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, err, sizeof(err)), SRV_SCEP_OK);
	CHECK_INT_EQ(req.message_type, SRV_SCEP_RENEWALREQ);
	CHECK(req.challenge == NULL);
	CHECK(req.csr != NULL && EVP_PKEY_eq(X509_REQ_get0_pubkey(req.csr), pki.client2_key) == 1);
	CHECK_INT_EQ(srv_scep_signer_issued_by(&req, pki.ca, err, sizeof(err)), 0);
	CHECK_INT_EQ(srv_scep_signer_issued_by(&req, pki.other_ra, err, sizeof(err)), -1);
	if (req.csr != NULL) {
		/* The answer is enveloped to the old certificate, the one that signed the request. */
		issued = issue_for(&req);
		CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, issued, NULL, pki.ra,
		                                  pki.ra_key, &rep, &rep_len, err, sizeof(err)),
		             0);
		check_reply(rep, rep_len,
		            &(struct expect){ .tid = "renew-1",
		                              .nonce = nonce,
		                              .digest_nid = NID_sha256,
		                              .status = SRV_SCEP_SUCCESS,
		                              .cipher_nid = NID_aes_128_cbc,
		                              .recipient = pki.client_issued,
		                              .rkey = pki.client_key,
		                              .issued = issued,
		                              .n_certs = 1 });
		X509_free(issued);
		free(rep);
	}
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);

	/* A self-signed signer is not a certificate of ours. */
	o.signer = pki.client_self;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	CHECK_INT_EQ(srv_scep_signer_issued_by(&req, pki.ca, err, sizeof(err)), -1);
	CHECK(strstr(err, "signer certificate") != NULL);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	OPENSSL_free(csr);
}

/* IssuerAndSubject, the CertPoll content, encoded by hand: SEQUENCE { Name, Name }. */
static unsigned char *issuer_and_subject(X509_NAME *issuer, X509_NAME *subject, size_t *len)
{
	unsigned char *a = NULL, *b = NULL, *der;
	int na = i2d_X509_NAME(issuer, &a), nb = i2d_X509_NAME(subject, &b);
	size_t body = (size_t)na + (size_t)nb;

	der = OPENSSL_malloc(body + 4);
	der[0] = 0x30;
	der[1] = 0x82;
	der[2] = (unsigned char)(body >> 8);
	der[3] = (unsigned char)body;
	memcpy(der + 4, a, (size_t)na);
	memcpy(der + 4 + na, b, (size_t)nb);
	*len = body + 4;
	OPENSSL_free(a);
	OPENSSL_free(b);
	return der;
}

static void test_certpoll_getcert(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *content = NULL, *msg, *rep = NULL;
	size_t content_len, msg_len, rep_len;
	struct req_opts o = { .type = "20", .tid = "poll-1", .nonce_len = 16 };
	PKCS7_ISSUER_AND_SERIAL *ias = PKCS7_ISSUER_AND_SERIAL_new();
	int n;

	content = issuer_and_subject(X509_get_subject_name(pki.ca), X509_get_subject_name(pki.client_self),
	                             &content_len);
	o.content = content;
	o.content_len = content_len;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	CHECK_INT_EQ(req.message_type, SRV_SCEP_CERTPOLL);
	CHECK(req.issuer != NULL && X509_NAME_cmp(req.issuer, X509_get_subject_name(pki.ca)) == 0);
	CHECK(req.subject != NULL && X509_NAME_cmp(req.subject, X509_get_subject_name(pki.client_self)) == 0);
	CHECK(req.csr == NULL && req.challenge == NULL);
	/* Still pending: a PENDING CertRep. */
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_PENDING, -1, NULL, NULL, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, NULL, 0),
	             0);
	check_reply(
	    rep, rep_len,
	    &(struct expect){
	        .tid = "poll-1", .nonce = nonce, .digest_nid = NID_sha256, .status = SRV_SCEP_PENDING });
	free(rep);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	OPENSSL_free(content);

	/* GetCert: IssuerAndSerialNumber. */
	X509_NAME_set(&ias->issuer, X509_get_subject_name(pki.ca));
	ASN1_INTEGER_set(ias->serial, 4242);
	content = NULL;
	n = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &content);
	o.type = "21";
	o.content = content;
	o.content_len = (size_t)n;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	CHECK_INT_EQ(req.message_type, SRV_SCEP_GETCERT);
	CHECK(req.serial != NULL && ASN1_INTEGER_get(req.serial) == 4242);
	CHECK(req.issuer != NULL && X509_NAME_cmp(req.issuer, X509_get_subject_name(pki.ca)) == 0);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);

	/* GetCert content sent as a CertPoll: refused, still answerable. */
	content_len = (size_t)n;
	o.type = "20";
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_REFUSE);
	CHECK_INT_EQ(req.fail_info, SRV_SCEP_BAD_REQUEST);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	OPENSSL_free(content);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
}

/* Parse o's message and expect result r with failInfo fi; a refused one must still be answerable and the
 * FAILURE answer must check out like any other. */
static void expect_refused(struct req_opts o, enum srv_scep_result r, int fi, const char *what)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *msg, *rep = NULL;
	size_t msg_len, rep_len;
	char err[256];
	enum srv_scep_result got;

	msg = build_request(&o, nonce, &msg_len);
	got = srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, err, sizeof(err));
	if (got != r || req.fail_info != fi)
		fprintf(stderr, "%s: result %d failInfo %d (%s)\n", what, got, req.fail_info, err);
	CHECK_INT_EQ(got, r);
	CHECK_INT_EQ(req.fail_info, fi);
	CHECK(err[0] != '\0');
	CHECK(req.challenge == NULL);
	if (r == SRV_SCEP_REFUSE) {
		CHECK_STR_EQ(req.transaction_id, o.tid);
		CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_FAILURE, req.fail_info, NULL, NULL, pki.ra,
		                                  pki.ra_key, &rep, &rep_len, err, sizeof(err)),
		             0);
		check_reply(rep, rep_len,
		            &(struct expect){ .tid = o.tid,
		                              .nonce = nonce,
		                              .digest_nid = o.md == EVP_sha1() ? NID_sha1 : NID_sha256,
		                              .status = SRV_SCEP_FAILURE,
		                              .fail_info = fi });
		free(rep);
	}
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
}

/* An EC key is certified through an RSA transport certificate (RFC 8894 2.3): the CSR is signed by the EC
 * key, the pkiMessage by a self-signed RSA certificate of another key. The server takes the CSR's key for
 * the certificate and envelopes the answer to the signer; an EC signer itself is refused with badAlg. */
static void test_ec_key_rsa_transport(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg, *rep = NULL;
	size_t csr_len, msg_len, rep_len;
	char err[256];
	struct req_opts o = { .type = "19", .tid = "EC-1", .nonce_len = 16 };
	X509 *issued = NULL;

	csr = make_csr(pki.ec_key, pki.ec_key, "ec client", "pw", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	o.signer = pki.client_self; /* RSA, self-signed, not the CSR's key */
	o.signer_key = pki.client_key;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, err, sizeof(err)), SRV_SCEP_OK);
	CHECK(req.signer != NULL && X509_cmp(req.signer, pki.client_self) == 0);
	CHECK(req.csr != NULL && EVP_PKEY_eq(X509_REQ_get0_pubkey(req.csr), pki.ec_key) == 1);
	CHECK(req.challenge != NULL && strcmp(req.challenge, "pw") == 0);
	if (req.csr == NULL)
		goto out;
	issued = issue_for(&req);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, issued, NULL, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, err, sizeof(err)),
	             0);
	/* PKCS#7 key transport to the RSA signer; the certificate inside carries the EC key */
	check_reply(rep, rep_len,
	            &(struct expect){ .tid = "EC-1",
	                              .nonce = nonce,
	                              .digest_nid = NID_sha256,
	                              .status = SRV_SCEP_SUCCESS,
	                              .cipher_nid = NID_aes_128_cbc,
	                              .recipient = pki.client_self,
	                              .rkey = pki.client_key,
	                              .issued = issued,
	                              .n_certs = 1 });
	CHECK_INT_EQ(EVP_PKEY_eq(X509_get0_pubkey(issued), pki.ec_key), 1);
out:
	X509_free(issued);
	free(rep);
	srv_scep_request_clear(&req);
	OPENSSL_free(msg);
	/* the same request signed with the EC key itself */
	o.signer = pki.ec_self;
	o.signer_key = pki.ec_key;
	expect_refused(o, SRV_SCEP_REFUSE, SRV_SCEP_BAD_ALG, "EC signer");
	OPENSSL_free(csr);
}

static void test_refusals(void)
{
	unsigned char *csr, *badcsr, *twocsr, *twovalues;
	size_t csr_len, badcsr_len, twocsr_len, twovalues_len;
	struct req_opts o = { .type = "19", .tid = "T-1", .nonce_len = 16 };
	struct req_opts x;

	csr = make_csr(pki.client_key, pki.client_key, "client", "pw", 0, &csr_len);
	badcsr = make_csr(pki.client_key, pki.client2_key, "client", "pw", 0, &badcsr_len);
	twocsr = make_csr(pki.client_key, pki.client_key, "client", "pw", 1, &twocsr_len);
	twovalues = make_csr_two_values(&twovalues_len);
	o.content = csr;
	o.content_len = csr_len;

	x = o, x.tamper = T_SIGNATURE;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "wrong signature");
	x = o, x.tamper = T_SIGNED_ATTR;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "signed attribute changed");
	x = o, x.tamper = T_DETACHED;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "detached content");
	x = o, x.recipient = pki.other_ra;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "wrong recipient");
	x = o, x.tamper = T_ENC_KEY;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "damaged key transport");
	x = o, x.md = EVP_md5();
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_ALG, "MD5");
	x = o, x.cipher = "CAMELLIA-128-CBC";
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_ALG, "Camellia");
	x = o, x.content = badcsr, x.content_len = badcsr_len;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "CSR signed by another key");
	x = o, x.content = (const unsigned char *)"not a CSR at all", x.content_len = 16;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "garbage content");
	x = o, x.content = twocsr, x.content_len = twocsr_len;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "two challenges");
	x = o, x.content = twovalues, x.content_len = twovalues_len;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "challenge with two values");
	x = o, x.type = "22";
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "GetCRL");
	x = o, x.type = "3";
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "CertRep as request");
	x = o, x.type = "1x";
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "messageType not a number");
	x = o, x.type = NULL;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_REQUEST, "no messageType");
	x = o, x.md = EVP_sha1(), x.tamper = T_SIGNATURE;
	expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "wrong SHA-1 signature");

	/* Nobody to answer to: HTTP 400. */
	x = o, x.tid = NULL;
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "no transactionID");
	x = o, x.nonce_len = 0;
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "no senderNonce");
	x = o, x.nonce_len = 8;
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "short senderNonce");
	x = o, x.tid = "bad*id";
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "transactionID not printable");
	x = o, x.tid = "victim\0xyz", x.tid_len = 10; /* as a C string: "victim" */
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "transactionID with a NUL");
	x = o, x.dup_tid = 1;
	expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "two transactionIDs");
	{
		char longid[SRV_SCEP_TRANSACTION_ID_MAX + 2];

		memset(longid, 'A', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		x = o, x.tid = longid;
		expect_refused(x, SRV_SCEP_MALFORMED, SRV_SCEP_BAD_REQUEST, "transactionID too long");
		longid[SRV_SCEP_TRANSACTION_ID_MAX] = '\0';
		x = o, x.tid = longid, x.tamper = T_SIGNATURE;
		expect_refused(x, SRV_SCEP_REFUSE, SRV_SCEP_BAD_MESSAGE_CHECK, "longest transactionID");
	}
	OPENSSL_free(csr);
	OPENSSL_free(badcsr);
	OPENSSL_free(twocsr);
	OPENSSL_free(twovalues);
}

/* Bytes that are not a whole pkiMessage never get past the outer parse. */
static void test_garbage_truncated_oversized(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg, *big;
	size_t csr_len, msg_len, n;
	struct req_opts o = { .type = "19", .tid = "T-2", .nonce_len = 16 };
	int all_malformed = 1;
	char err[256];

	csr = make_csr(pki.client_key, pki.client_key, "client", "pw", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	/* Every truncation. */
	for (n = 0; n < msg_len; n++) {
		if (srv_scep_parse(msg, n, pki.ra, pki.ra_key, &req, NULL, 0) != SRV_SCEP_MALFORMED) {
			fprintf(stderr, "truncated to %zu bytes: not refused as malformed\n", n);
			all_malformed = 0;
		}
		srv_scep_request_clear(&req);
	}
	CHECK(all_malformed);
	/* A trailing byte. */
	big = OPENSSL_malloc(SRV_SCEP_MAX_MESSAGE + 1);
	memcpy(big, msg, msg_len);
	big[msg_len] = 0;
	CHECK_INT_EQ(srv_scep_parse(big, msg_len + 1, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_MALFORMED);
	srv_scep_request_clear(&req);
	/* Garbage. */
	RAND_bytes(big, 4096);
	CHECK_INT_EQ(srv_scep_parse(big, 4096, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_MALFORMED);
	srv_scep_request_clear(&req);
	CHECK_INT_EQ(srv_scep_parse(NULL, 0, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_MALFORMED);
	srv_scep_request_clear(&req);
	/* Over the cap: refused before parsing, even though it starts with a valid message. */
	CHECK_INT_EQ(
	    srv_scep_parse(big, SRV_SCEP_MAX_MESSAGE + 1, pki.ra, pki.ra_key, &req, err, sizeof(err)),
	    SRV_SCEP_MALFORMED);
	CHECK(strstr(err, "256 KiB") != NULL);
	srv_scep_request_clear(&req);
	/* The message itself still parses. */
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	srv_scep_request_clear(&req);
	/* An RA key that does not belong to the RA certificate is our fault: HTTP 500. */
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.other_key, &req, NULL, 0), SRV_SCEP_INTERNAL);
	srv_scep_request_clear(&req);
	OPENSSL_free(big);
	OPENSSL_free(msg);
	OPENSSL_free(csr);
}

static void test_reply_arguments(void)
{
	struct srv_scep_request req;
	unsigned char nonce[16], *csr, *msg, *rep = NULL;
	size_t csr_len, msg_len, rep_len;
	struct req_opts o = { .type = "19", .tid = "T-3", .nonce_len = 16 };
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *issued;
	char err[256];

	csr = make_csr(pki.client_key, pki.client_key, "client", "pw", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	CHECK_INT_EQ(srv_scep_parse(msg, msg_len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, NULL, NULL, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, err, sizeof(err)),
	             -1);
	CHECK(rep == NULL);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_FAILURE, 9, NULL, NULL, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, err, sizeof(err)),
	             -1);
	CHECK_INT_EQ(srv_scep_build_reply(&req, (enum srv_scep_pki_status)1, -1, NULL, NULL, pki.ra,
	                                  pki.ra_key, &rep, &rep_len, err, sizeof(err)),
	             -1);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_PENDING, -1, NULL, NULL, pki.ec_self, pki.ec_key,
	                                  &rep, &rep_len, err, sizeof(err)),
	             -1);
	CHECK(strstr(err, "RSA") != NULL);
	/* Every failInfo goes out as the client's number. */
	for (int fi = SRV_SCEP_BAD_ALG; fi <= SRV_SCEP_BAD_CERT_ID; fi++) {
		CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_FAILURE, fi, NULL, NULL, pki.ra, pki.ra_key,
		                                  &rep, &rep_len, err, sizeof(err)),
		             0);
		check_reply(rep, rep_len,
		            &(struct expect){ .tid = "T-3",
		                              .nonce = nonce,
		                              .digest_nid = NID_sha256,
		                              .status = SRV_SCEP_FAILURE,
		                              .fail_info = fi });
		free(rep);
	}
	/* SUCCESS with the chain: the issued certificate comes first (micromdm takes the first). */
	issued = issue_for(&req);
	sk_X509_push(chain, pki.ca);
	CHECK_INT_EQ(srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, issued, chain, pki.ra, pki.ra_key, &rep,
	                                  &rep_len, err, sizeof(err)),
	             0);
	check_reply(rep, rep_len,
	            &(struct expect){ .tid = "T-3",
	                              .nonce = nonce,
	                              .digest_nid = NID_sha256,
	                              .status = SRV_SCEP_SUCCESS,
	                              .cipher_nid = NID_aes_128_cbc,
	                              .recipient = pki.client_self,
	                              .rkey = pki.client_key,
	                              .issued = issued,
	                              .n_certs = 2 });
	free(rep);
	/* Two answers to one request carry different senderNonces. */
	{
		unsigned char *a = NULL, *b = NULL;
		size_t al, bl;

		srv_scep_build_reply(&req, SRV_SCEP_PENDING, -1, NULL, NULL, pki.ra, pki.ra_key, &a, &al,
		                     NULL, 0);
		srv_scep_build_reply(&req, SRV_SCEP_PENDING, -1, NULL, NULL, pki.ra, pki.ra_key, &b, &bl,
		                     NULL, 0);
		CHECK(a != NULL && b != NULL && (al != bl || memcmp(a, b, al) != 0));
		free(a);
		free(b);
	}
	X509_free(issued);
	sk_X509_free(chain);
	srv_scep_request_clear(&req);
	srv_scep_request_clear(NULL);
	OPENSSL_free(msg);
	OPENSSL_free(csr);
}

static void test_cacert_caps(void)
{
	unsigned char *der = NULL, *ca_der = NULL;
	const unsigned char *p;
	const char *type = NULL;
	size_t len;
	int n;
	PKCS7 *p7;

	CHECK_INT_EQ(srv_scep_cacert(pki.ca, NULL, &der, &len, &type), 0);
	CHECK_STR_EQ(type, "application/x-x509-ca-cert");
	n = i2d_X509(pki.ca, &ca_der);
	CHECK(der != NULL && (size_t)n == len && memcmp(der, ca_der, len) == 0);
	free(der);
	OPENSSL_free(ca_der);

	CHECK_INT_EQ(srv_scep_cacert(pki.ca, pki.ra, &der, &len, &type), 0);
	CHECK_STR_EQ(type, "application/x-x509-ca-ra-cert");
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	CHECK(p7 != NULL && PKCS7_type_is_signed(p7) && p == der + len);
	if (p7 != NULL && PKCS7_type_is_signed(p7)) {
		CHECK_INT_EQ(sk_X509_num(p7->d.sign->cert), 2);
		CHECK(X509_cmp(sk_X509_value(p7->d.sign->cert, 0), pki.ra) == 0);
		CHECK(X509_cmp(sk_X509_value(p7->d.sign->cert, 1), pki.ca) == 0);
		CHECK_INT_EQ(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	}
	PKCS7_free(p7);
	free(der);
	CHECK_INT_EQ(srv_scep_cacert(NULL, NULL, &der, &len, &type), -1);

	CHECK_STR_EQ(
	    srv_scep_caps(),
	    "POSTPKIOperation\nSHA-256\nSHA-384\nSHA-512\nSHA-1\nAES\nDES3\nRenewal\nSCEPStandard\n");
	CHECK_STR_EQ(srv_scep_message_type_name(19), "PKCSReq");
	CHECK_STR_EQ(srv_scep_message_type_name(99), "unknown");
	CHECK_STR_EQ(srv_scep_fail_info_name(SRV_SCEP_BAD_MESSAGE_CHECK), "badMessageCheck");
	CHECK_STR_EQ(srv_scep_fail_info_name(-1), "unknown");
}

static void test_base64(void)
{
	unsigned char *der = NULL, *msg, nonce[16], *csr;
	size_t len, msg_len, csr_len;
	struct req_opts o = { .type = "19", .tid = "T-4", .nonce_len = 16 };
	struct srv_scep_request req;
	char *b64, *wrapped;
	int n;

	CHECK_INT_EQ(srv_scep_message_from_base64("aGVsbG8=", 8, &der, &len), 0);
	CHECK(len == 5 && memcmp(der, "hello", 5) == 0);
	free(der);
	/* Line breaks every 64 characters (strongSwan GET) and '+' decoded to ' ' by a careless URL decoder.
	 */
	CHECK_INT_EQ(srv_scep_message_from_base64("+/8A\r\n /8A", 10, &der, &len), 0);
	CHECK(len == 6 && memcmp(der, "\xfb\xff\x00\xfb\xff\x00", 6) == 0);
	free(der);
	CHECK_INT_EQ(srv_scep_message_from_base64("aGVsbG8", 7, &der, &len), 0); /* padding optional */
	free(der);
	CHECK_INT_EQ(srv_scep_message_from_base64("aGVs*G8=", 8, &der, &len), -1);
	CHECK(der == NULL);
	CHECK_INT_EQ(srv_scep_message_from_base64("aGVsbG8=x", 9, &der, &len), -1);
	CHECK_INT_EQ(srv_scep_message_from_base64("a", 1, &der, &len), -1);
	CHECK_INT_EQ(srv_scep_message_from_base64("", 0, &der, &len), -1);

	/* A whole message through GET form. */
	csr = make_csr(pki.client_key, pki.client_key, "client", "pw", 0, &csr_len);
	o.content = csr;
	o.content_len = csr_len;
	msg = build_request(&o, nonce, &msg_len);
	b64 = OPENSSL_malloc(msg_len * 2 + 4);
	n = EVP_EncodeBlock((unsigned char *)b64, msg, (int)msg_len);
	wrapped = OPENSSL_malloc((size_t)n * 2);
	for (int i = 0, j = 0; i <= n; i++) {
		if (i > 0 && i % 64 == 0 && i < n)
			wrapped[j++] = '\n';
		wrapped[j++] = b64[i];
	}
	CHECK_INT_EQ(srv_scep_message_from_base64(wrapped, strlen(wrapped), &der, &len), 0);
	CHECK(len == msg_len && memcmp(der, msg, len) == 0);
	CHECK_INT_EQ(srv_scep_parse(der, len, pki.ra, pki.ra_key, &req, NULL, 0), SRV_SCEP_OK);
	srv_scep_request_clear(&req);
	free(der);
	OPENSSL_free(wrapped);
	OPENSSL_free(b64);
	OPENSSL_free(msg);
	OPENSSL_free(csr);

	/* Over the cap. */
	b64 = OPENSSL_malloc(2 * SRV_SCEP_MAX_MESSAGE + 8);
	memset(b64, 'A', 2 * SRV_SCEP_MAX_MESSAGE + 8);
	CHECK_INT_EQ(srv_scep_message_from_base64(b64, 2 * SRV_SCEP_MAX_MESSAGE + 8, &der, &len), -1);
	CHECK_INT_EQ(srv_scep_message_from_base64(b64, (SRV_SCEP_MAX_MESSAGE + 4) / 3 * 4, &der, &len), -1);
	OPENSSL_free(b64);
}

int main(void)
{
	pki_setup();
	test_pkcsreq_algorithms();
	test_two_recipients();
	test_renewalreq();
	test_certpoll_getcert();
	test_refusals();
	test_ec_key_rsa_transport();
	test_garbage_truncated_oversized();
	test_reply_arguments();
	test_cacert_caps();
	test_base64();
	pki_free();
	return check_done();
}
