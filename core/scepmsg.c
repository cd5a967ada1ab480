/* certlink core: SCEP messages as bytes (see scepmsg.h). Pure: no I/O, no global state. */
#include "scepmsg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* SCEP's signed attributes (RFC 8894 3.2.1.2 and 3.3.2.2). Objects are made per message instead of
 * registered with OBJ_create(), so nothing global changes and threads need no lock. */
enum attr {
	A_MESSAGE_TYPE,
	A_PKI_STATUS,
	A_FAIL_INFO,
	A_SENDER_NONCE,
	A_RECIPIENT_NONCE,
	A_TRANSACTION_ID,
	A_FAIL_TEXT,
	A_COUNT,
};

static const char *const attr_oid[A_COUNT] = {
	[A_MESSAGE_TYPE] = "2.16.840.1.113733.1.9.2",
	[A_PKI_STATUS] = "2.16.840.1.113733.1.9.3",
	[A_FAIL_INFO] = "2.16.840.1.113733.1.9.4",
	[A_SENDER_NONCE] = "2.16.840.1.113733.1.9.5",
	[A_RECIPIENT_NONCE] = "2.16.840.1.113733.1.9.6",
	[A_TRANSACTION_ID] = "2.16.840.1.113733.1.9.7",
	[A_FAIL_TEXT] = "1.3.6.1.5.5.7.24.1",
};

struct oids {
	ASN1_OBJECT *o[A_COUNT];
};

static void oids_free(struct oids *ids)
{
	for (int i = 0; i < A_COUNT; i++)
		ASN1_OBJECT_free(ids->o[i]);
}

static enum cl_status oids_load(struct oids *ids, struct cl_error *err)
{
	memset(ids, 0, sizeof(*ids));
	for (int i = 0; i < A_COUNT; i++) {
		if (!(ids->o[i] = OBJ_txt2obj(attr_oid[i], 1))) {
			oids_free(ids);
			return cl_error_set_openssl(err, CL_E_UNEXPECTED, "SCEP attribute OIDs");
		}
	}
	return CL_OK;
}

const char *cl_scep_message_type_name(int type)
{
	switch (type) {
	case CL_SCEP_CERTREP:
		return "CertRep";
	case CL_SCEP_RENEWALREQ:
		return "RenewalReq";
	case CL_SCEP_PKCSREQ:
		return "PKCSReq";
	case CL_SCEP_CERTPOLL:
		return "CertPoll";
	}
	return NULL;
}

const char *cl_scep_fail_info_name(int fail_info)
{
	static const char *const names[] = { "badAlg", "badMessageCheck", "badRequest", "badTime",
		                             "badCertId" };

	if (fail_info >= 0 && fail_info < (int)(sizeof(names) / sizeof(names[0])))
		return names[fail_info];
	return NULL;
}

/* ---- GetCACaps ---- */

static const struct {
	const char *word;
	unsigned bits;
} cap_words[] = {
	{ "AES", CL_SCEP_CAP_AES },
	{ "DES3", CL_SCEP_CAP_DES3 },
	{ "GetNextCACert", CL_SCEP_CAP_GET_NEXT_CA_CERT },
	{ "POSTPKIOperation", CL_SCEP_CAP_POST },
	{ "Renewal", CL_SCEP_CAP_RENEWAL },
	{ "SHA-1", CL_SCEP_CAP_SHA1 },
	{ "SHA-256", CL_SCEP_CAP_SHA256 },
	{ "SHA-512", CL_SCEP_CAP_SHA512 },
	{ "SCEPStandard", CL_SCEP_CAP_STANDARD | CL_SCEP_CAP_AES | CL_SCEP_CAP_POST | CL_SCEP_CAP_SHA256 },
};

static unsigned cap_bits(const unsigned char *w, size_t len)
{
	for (size_t i = 0; i < sizeof(cap_words) / sizeof(cap_words[0]); i++)
		if (strlen(cap_words[i].word) == len &&
		    strncasecmp(cap_words[i].word, (const char *)w, len) == 0)
			return cap_words[i].bits;
	return 0;
}

enum cl_status cl_scepmsg_parse_caps(const unsigned char *body, size_t len, unsigned *caps,
                                     struct cl_error *err)
{
	size_t i = 0;

	*caps = 0;
	if (len > CL_SCEP_MAX_CAPS)
		return cl_error_set(err, CL_E_REFUSED, "GetCACaps reply is larger than %d bytes",
		                    CL_SCEP_MAX_CAPS);
	while (i < len) {
		size_t start = i, end;

		while (i < len && body[i] != '\n')
			i++;
		end = i++;
		while (start < end && isspace(body[start]))
			start++;
		while (end > start && isspace(body[end - 1]))
			end--;
		*caps |= cap_bits(body + start, end - start);
	}
	return CL_OK;
}

enum cl_status cl_scepmsg_choose_algs(unsigned caps, bool aes128, struct cl_scepmsg_algs *out,
                                      struct cl_error *err)
{
	memset(out, 0, sizeof(*out));
	if (caps & CL_SCEP_CAP_AES) {
		out->cipher = aes128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
		out->cipher_name = aes128 ? "AES-128-CBC" : "AES-256-CBC";
	} else if (caps & CL_SCEP_CAP_DES3) {
		out->cipher = EVP_des_ede3_cbc();
		out->cipher_name = "DES-EDE3-CBC";
	} else {
		return cl_error_set(err, CL_E_REFUSED,
		                    "the SCEP server offers neither AES nor DES3 "
		                    "(certlink never uses single DES)");
	}
	if (caps & CL_SCEP_CAP_SHA256) {
		out->md = EVP_sha256();
		out->md_name = "SHA-256";
	} else if (caps & CL_SCEP_CAP_SHA512) {
		out->md = EVP_sha512();
		out->md_name = "SHA-512";
	} else if (caps & CL_SCEP_CAP_SHA1) {
		out->md = EVP_sha1();
		out->md_name = "SHA-1";
	} else {
		return cl_error_set(err, CL_E_REFUSED,
		                    "the SCEP server offers neither SHA-2 nor SHA-1 "
		                    "(certlink never uses MD5)");
	}
	out->post = (caps & CL_SCEP_CAP_POST) != 0;
	return CL_OK;
}

/* ---- certificates ---- */

static CMS_ContentInfo *d2i_cms_exact(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if (len == 0 || len > CL_SCEP_MAX_MESSAGE)
		return NULL;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (cms && p != der + len) {
		CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

enum cl_status cl_scepmsg_parse_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *out,
                                      struct cl_error *err)
{
	CMS_ContentInfo *cms;
	STACK_OF(X509) * certs;
	int n;

	*out = NULL;
	if (len > CL_SCEP_MAX_MESSAGE)
		return cl_error_set(err, CL_E_REFUSED, "PKCS#7 is larger than %d bytes", CL_SCEP_MAX_MESSAGE);
	cms = d2i_cms_exact(der, len);
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
	if (cl_scepmsg_parse_certs(body, len, &certs, err) != CL_OK) {
		cl_error_prefix(err, "GetCACert reply");
		return NULL;
	}
	return certs;
}

enum cl_status cl_scepmsg_parse_cacert(const unsigned char *body, size_t len, const char *content_type,
                                       const unsigned char ca_sha256[CL_SCEP_FP_LEN],
                                       struct cl_scepmsg_ca *out, struct cl_error *err)
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
	cl_scepmsg_ca_clear(out);
	return CL_E_REFUSED;
}

void cl_scepmsg_ca_clear(struct cl_scepmsg_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->ca);
	X509_free(ca->recipient);
	sk_X509_pop_free(ca->signers, X509_free);
	sk_X509_pop_free(ca->certs, X509_free);
	memset(ca, 0, sizeof(*ca));
}

/* ---- building pkiMessages ---- */

static enum cl_status envelope(const struct cl_scepmsg_out *msg, unsigned char **der, int *der_len,
                               struct cl_error *err)
{
	STACK_OF(X509) *recips = sk_X509_new_null();
	BIO *in = BIO_new_mem_buf(msg->content, (int)msg->content_len);
	CMS_ContentInfo *env = NULL;
	enum cl_status st = CL_OK;

	*der = NULL;
	if (!recips || !in || !sk_X509_push(recips, msg->recipient) ||
	    !(env = CMS_encrypt(recips, in, msg->cipher, CMS_BINARY)) ||
	    (*der_len = i2d_CMS_ContentInfo(env, der)) <= 0)
		st = cl_error_set_openssl(err, CL_E_LOCAL, "encrypting the SCEP request");
	CMS_ContentInfo_free(env);
	BIO_free(in);
	sk_X509_free(recips);
	return st;
}

static int add_string_attr(CMS_SignerInfo *si, const ASN1_OBJECT *obj, int type, const void *data, int len)
{
	return CMS_signed_add1_attr_by_OBJ(si, obj, type, data, len);
}

static int add_number_attr(CMS_SignerInfo *si, const ASN1_OBJECT *obj, int value)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", value);

	return add_string_attr(si, obj, V_ASN1_PRINTABLESTRING, buf, n);
}

static int add_attrs(CMS_SignerInfo *si, const struct oids *ids, const struct cl_scepmsg_out *msg)
{
	if (!add_number_attr(si, ids->o[A_MESSAGE_TYPE], msg->message_type) ||
	    !add_string_attr(si, ids->o[A_TRANSACTION_ID], V_ASN1_PRINTABLESTRING, msg->transaction_id,
	                     (int)strlen(msg->transaction_id)) ||
	    !add_string_attr(si, ids->o[A_SENDER_NONCE], V_ASN1_OCTET_STRING, msg->sender_nonce,
	                     CL_SCEP_NONCE_LEN))
		return 0;
	if (msg->recipient_nonce && !add_string_attr(si, ids->o[A_RECIPIENT_NONCE], V_ASN1_OCTET_STRING,
	                                             msg->recipient_nonce, CL_SCEP_NONCE_LEN))
		return 0;
	if (msg->pki_status >= 0 && !add_number_attr(si, ids->o[A_PKI_STATUS], msg->pki_status))
		return 0;
	if (msg->fail_info >= 0 && !add_number_attr(si, ids->o[A_FAIL_INFO], msg->fail_info))
		return 0;
	return 1;
}

enum cl_status cl_scepmsg_build(const struct cl_scepmsg_out *msg, unsigned char **der, size_t *len,
                                struct cl_error *err)
{
	unsigned char *env = NULL;
	int env_len = 0, n;
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	BIO *data = NULL;
	struct oids ids;
	enum cl_status st;

	*der = NULL;
	*len = 0;
	if (!msg->transaction_id || strlen(msg->transaction_id) > CL_SCEP_TID_MAX || !msg->sender_nonce)
		return cl_error_set(err, CL_E_LOCAL, "SCEP message without a valid transactionID or nonce");
	if ((st = oids_load(&ids, err)) != CL_OK)
		return st;
	if (msg->content && (st = envelope(msg, &env, &env_len, err)) != CL_OK)
		goto out;
	st = CL_E_LOCAL;
	if (!(cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY)) ||
	    !(si = CMS_add1_signer(cms, msg->signer_cert, msg->signer_key, msg->md,
	                           CMS_BINARY | CMS_NOSMIMECAP)) ||
	    !add_attrs(si, &ids, msg)) {
		cl_error_set_openssl(err, st, "signing the SCEP message");
		goto out;
	}
	/* No envelope (FAILURE, PENDING): the content is absent and the digest is over the empty string. */
	if (!env && !CMS_set_detached(cms, 1))
		goto fail;
	data = env ? BIO_new_mem_buf(env, env_len) : BIO_new_mem_buf("", 0);
	if (!data || !CMS_final(cms, data, NULL, CMS_BINARY) || (n = i2d_CMS_ContentInfo(cms, der)) <= 0)
		goto fail;
	*len = (size_t)n;
	st = CL_OK;
	goto out;
fail:
	cl_error_set_openssl(err, st, "signing the SCEP message");
out:
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(env);
	oids_free(&ids);
	return st;
}

/* ---- parsing pkiMessages ---- */

static const ASN1_STRING *attr_value(const CMS_SignerInfo *si, const ASN1_OBJECT *obj, int type, int *bad)
{
	const ASN1_STRING *s;

	if (CMS_signed_get_attr_by_OBJ(si, obj, -1) < 0)
		return NULL;
	/* -3: exactly one such attribute, with exactly one value, of this type */
	s = CMS_signed_get0_data_by_OBJ(si, obj, -3, type);
	if (!s)
		*bad = 1;
	return s;
}

static int number_attr(const CMS_SignerInfo *si, const ASN1_OBJECT *obj, int *bad)
{
	const ASN1_STRING *s = attr_value(si, obj, V_ASN1_PRINTABLESTRING, bad);
	const unsigned char *d;
	int len, v = 0;

	if (!s)
		return -1;
	d = ASN1_STRING_get0_data(s);
	len = ASN1_STRING_length(s);
	if (len < 1 || len > 3) {
		*bad = 1;
		return -1;
	}
	for (int i = 0; i < len; i++) {
		if (d[i] < '0' || d[i] > '9') {
			*bad = 1;
			return -1;
		}
		v = v * 10 + (d[i] - '0');
	}
	return v;
}

static void nonce_attr(const CMS_SignerInfo *si, const ASN1_OBJECT *obj, unsigned char out[CL_SCEP_NONCE_LEN],
                       bool *has, int *bad)
{
	const ASN1_STRING *s = attr_value(si, obj, V_ASN1_OCTET_STRING, bad);

	*has = false;
	if (!s)
		return;
	if (ASN1_STRING_length(s) != CL_SCEP_NONCE_LEN) {
		*bad = 1;
		return;
	}
	memcpy(out, ASN1_STRING_get0_data(s), CL_SCEP_NONCE_LEN);
	*has = true;
}

static void text_attr(const CMS_SignerInfo *si, const ASN1_OBJECT *obj, int type, char *out, size_t size,
                      int *bad)
{
	const ASN1_STRING *s = attr_value(si, obj, type, bad);
	const unsigned char *d;
	size_t len;

	out[0] = '\0';
	if (!s)
		return;
	d = ASN1_STRING_get0_data(s);
	len = (size_t)ASN1_STRING_length(s);
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	out[len] = '\0';
}

static int read_attrs(const CMS_SignerInfo *si, const struct oids *ids, struct cl_scepmsg_in *out)
{
	const ASN1_STRING *tid;
	int bad = 0;

	out->message_type = number_attr(si, ids->o[A_MESSAGE_TYPE], &bad);
	out->pki_status = number_attr(si, ids->o[A_PKI_STATUS], &bad);
	out->fail_info = number_attr(si, ids->o[A_FAIL_INFO], &bad);
	nonce_attr(si, ids->o[A_SENDER_NONCE], out->sender_nonce, &out->has_sender_nonce, &bad);
	nonce_attr(si, ids->o[A_RECIPIENT_NONCE], out->recipient_nonce, &out->has_recipient_nonce, &bad);
	text_attr(si, ids->o[A_FAIL_TEXT], V_ASN1_UTF8STRING, out->fail_text, sizeof(out->fail_text), &bad);
	tid = attr_value(si, ids->o[A_TRANSACTION_ID], V_ASN1_PRINTABLESTRING, &bad);
	if (!tid || ASN1_STRING_length(tid) < 1 || ASN1_STRING_length(tid) > CL_SCEP_TID_MAX)
		return 0;
	memcpy(out->transaction_id, ASN1_STRING_get0_data(tid), (size_t)ASN1_STRING_length(tid));
	out->transaction_id[ASN1_STRING_length(tid)] = '\0';
	return !bad && out->message_type >= 0;
}

/* MD5 is refused even when the signature verifies. */
static int digest_acceptable(CMS_SignerInfo *si)
{
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj = NULL;
	int nid;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	if (!dig)
		return 0;
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	nid = OBJ_obj2nid(obj);
	return nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 || nid == NID_sha384 ||
	       nid == NID_sha512;
}

static enum cl_status verify(CMS_ContentInfo *cms, CMS_SignerInfo *si, STACK_OF(X509) * signers,
                             struct cl_scepmsg_in *out, struct cl_error *err)
{
	BIO *content = BIO_new(BIO_s_mem());
	BIO *dcont = CMS_is_detached(cms) ? BIO_new_mem_buf("", 0) : NULL;
	unsigned flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | (signers ? CMS_NOINTERN : 0);
	enum cl_status st = CL_E_REFUSED;
	BUF_MEM *mem = NULL;
	X509 *signer = NULL;

	/* CMS_NO_SIGNER_CERT_VERIFY: the signer must be one of the certificates given (the pinned CA or an RA
	 * chaining to it), which is stronger than a chain check and accepts a CA whose keyUsage lacks
	 * digitalSignature. */
	if (!content || (CMS_is_detached(cms) && !dcont)) {
		cl_error_set_openssl(err, CL_E_UNEXPECTED, "SCEP reply");
		goto out;
	}
	if (CMS_verify(cms, signers, NULL, dcont, content, flags) != 1) {
		cl_error_set_openssl(err, CL_E_REFUSED,
		                     "SCEP reply signature does not verify with the CA or RA");
		goto out;
	}
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	if (!signer || !X509_up_ref(signer)) {
		cl_error_set(err, CL_E_REFUSED, "SCEP reply signer unknown");
		goto out;
	}
	out->signer = signer;
	BIO_get_mem_ptr(content, &mem);
	if (mem && mem->length > 0) {
		if (!(out->envelope = OPENSSL_memdup(mem->data, mem->length))) {
			cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
			goto out;
		}
		out->envelope_len = mem->length;
	}
	st = CL_OK;
out:
	BIO_free(dcont);
	BIO_free(content);
	return st;
}

enum cl_status cl_scepmsg_parse(const unsigned char *der, size_t len, STACK_OF(X509) * signers,
                                struct cl_scepmsg_in *out, struct cl_error *err)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	CMS_SignerInfo *si;
	struct oids ids;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	out->message_type = out->pki_status = out->fail_info = -1;
	if (len > CL_SCEP_MAX_MESSAGE)
		return cl_error_set(err, CL_E_REFUSED, "SCEP reply is larger than %d bytes",
		                    CL_SCEP_MAX_MESSAGE);
	if ((st = oids_load(&ids, err)) != CL_OK)
		return st;
	st = CL_E_REFUSED;
	cms = d2i_cms_exact(der, len);
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		cl_error_set_openssl(err, st, "SCEP reply is not a PKCS#7 SignedData message");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		cl_error_set(err, st, "SCEP reply has %d signers (1 expected)", sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (!read_attrs(si, &ids, out)) {
		cl_error_set(err, st,
		             "SCEP reply has a missing or malformed messageType, transactionID, pkiStatus, "
		             "failInfo or nonce");
		goto out;
	}
	if (!digest_acceptable(si)) {
		cl_error_set(err, st, "SCEP reply is signed with a digest certlink does not accept (MD5?)");
		goto out;
	}
	st = verify(cms, si, signers, out, err);
out:
	if (st != CL_OK)
		cl_scepmsg_in_clear(out);
	CMS_ContentInfo_free(cms);
	oids_free(&ids);
	return st;
}

void cl_scepmsg_in_clear(struct cl_scepmsg_in *in)
{
	if (!in)
		return;
	OPENSSL_free(in->envelope);
	X509_free(in->signer);
	memset(in, 0, sizeof(*in));
	in->message_type = in->pki_status = in->fail_info = -1;
}

enum cl_status cl_scepmsg_check_certrep(const struct cl_scepmsg_in *rep, const char *transaction_id,
                                        const unsigned char sender_nonce[CL_SCEP_NONCE_LEN],
                                        struct cl_error *err)
{
	if (rep->message_type != CL_SCEP_CERTREP)
		return cl_error_set(err, CL_E_REFUSED, "SCEP reply has messageType %d, not CertRep (3)",
		                    rep->message_type);
	if (strcmp(rep->transaction_id, transaction_id) != 0)
		return cl_error_set(err, CL_E_REFUSED, "SCEP reply is for another transactionID");
	if (!rep->has_recipient_nonce ||
	    CRYPTO_memcmp(rep->recipient_nonce, sender_nonce, CL_SCEP_NONCE_LEN) != 0)
		return cl_error_set(err, CL_E_REFUSED,
		                    "SCEP reply's recipientNonce is not our senderNonce "
		                    "(a replayed or foreign reply)");
	if (!rep->has_sender_nonce)
		return cl_error_set(err, CL_E_REFUSED, "SCEP reply has no senderNonce");
	switch (rep->pki_status) {
	case CL_SCEP_SUCCESS:
		if (!rep->envelope)
			return cl_error_set(err, CL_E_REFUSED,
			                    "SCEP reply says SUCCESS but holds no certificate");
		return CL_OK;
	case CL_SCEP_FAILURE:
	case CL_SCEP_PENDING:
		return CL_OK;
	}
	return cl_error_set(err, CL_E_REFUSED, "SCEP reply has pkiStatus %d (0, 2 or 3 expected)",
	                    rep->pki_status);
}

/* ---- the reply's content ---- */

/* The content-encryption algorithm of an EnvelopedData, read with the PKCS#7 structures (CMS has no getter).
 */
/* One DER header at *p (not past END): tag, class and content length; *p moves to the content. Definite
 * lengths only, and the content must fit. */
static bool der_header(const unsigned char **p, const unsigned char *end, int *tag, int *cls, long *len)
{
	int r;

	if (*p >= end)
		return false;
	r = ASN1_get_object(p, len, tag, cls, end - *p);
	return !(r & 0x80) && r != 0x21 && *len >= 0 && *len <= end - *p;
}

/* Enter the element at *p when it has TAG (universal, or context-specific when CTX): *p moves to its
 * content and *end to the content's end. */
static bool der_enter(const unsigned char **p, const unsigned char **end, int want, bool ctx)
{
	int tag, cls;
	long len;

	if (!der_header(p, *end, &tag, &cls, &len) || tag != want ||
	    cls != (ctx ? V_ASN1_CONTEXT_SPECIFIC : V_ASN1_UNIVERSAL))
		return false;
	*end = *p + len;
	return true;
}

/* Step over the element at *p when it has TAG; false (and *p unchanged) otherwise. */
static bool der_skip(const unsigned char **p, const unsigned char *end, int want, bool ctx)
{
	const unsigned char *q = *p, *e = end;

	if (!der_enter(&q, &e, want, ctx))
		return false;
	*p = e;
	return true;
}

/* The content-encryption algorithm of a DER EnvelopedData ContentInfo (RFC 5652 section 6.1), read from
 * the DER itself: PKCS#7 parsing knows only key-transport recipients, and an envelope to an EC key has a
 * key-agreement recipient. NID_undef for anything else. */
static int envelope_cipher(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len, *oid;
	ASN1_OBJECT *obj = NULL;
	int nid = NID_undef;

	if (len > CL_SCEP_MAX_MESSAGE)
		return NID_undef;
	if (!der_enter(&p, &end, V_ASN1_SEQUENCE, false))
		return NID_undef;
	oid = p;
	if (!der_skip(&p, end, V_ASN1_OBJECT, false) || !(obj = d2i_ASN1_OBJECT(NULL, &oid, p - oid)) ||
	    OBJ_obj2nid(obj) != NID_pkcs7_enveloped)
		goto out;
	if (!der_enter(&p, &end, 0, true) || !der_enter(&p, &end, V_ASN1_SEQUENCE, false) ||
	    !der_skip(&p, end, V_ASN1_INTEGER, false))
		goto out;
	der_skip(&p, end, 0, true); /* originatorInfo, optional */
	if (!der_skip(&p, end, V_ASN1_SET, false) || !der_enter(&p, &end, V_ASN1_SEQUENCE, false) ||
	    !der_skip(&p, end, V_ASN1_OBJECT, false) || !der_enter(&p, &end, V_ASN1_SEQUENCE, false))
		goto out;
	oid = p;
	if (!der_skip(&p, end, V_ASN1_OBJECT, false))
		goto out;
	ASN1_OBJECT_free(obj);
	obj = d2i_ASN1_OBJECT(NULL, &oid, p - oid);
	nid = obj ? OBJ_obj2nid(obj) : NID_undef;
out:
	ASN1_OBJECT_free(obj);
	return nid;
}

/* Single DES lives in OpenSSL's legacy provider. It is loaded into a library context of its own, used for
 * this one decryption, so nothing else in the process can pick DES up. */
struct legacy {
	OSSL_LIB_CTX *ctx;
	OSSL_PROVIDER *def, *legacy;
};

static void legacy_free(struct legacy *l)
{
	if (l->legacy)
		OSSL_PROVIDER_unload(l->legacy);
	if (l->def)
		OSSL_PROVIDER_unload(l->def);
	OSSL_LIB_CTX_free(l->ctx);
	memset(l, 0, sizeof(*l));
}

static int legacy_load(struct legacy *l)
{
	memset(l, 0, sizeof(*l));
	if ((l->ctx = OSSL_LIB_CTX_new()) && (l->def = OSSL_PROVIDER_load(l->ctx, "default")) &&
	    (l->legacy = OSSL_PROVIDER_load(l->ctx, "legacy")))
		return 1;
	legacy_free(l);
	return 0;
}

enum cl_status cl_scepmsg_decrypt(const unsigned char *envelope, size_t len, EVP_PKEY *key, X509 *cert,
                                  unsigned char **plain, size_t *plain_len, int *cipher_nid,
                                  struct cl_error *err)
{
	int nid = envelope_cipher(envelope, len);
	struct legacy legacy = { 0 };
	CMS_ContentInfo *cms = NULL;
	const unsigned char *p = envelope;
	BIO *out = BIO_new(BIO_s_secmem());
	enum cl_status st = CL_E_REFUSED;
	BUF_MEM *mem = NULL;

	*plain = NULL;
	*plain_len = 0;
	if (cipher_nid)
		*cipher_nid = nid;
	switch (nid) {
	case NID_aes_128_cbc:
	case NID_aes_192_cbc:
	case NID_aes_256_cbc:
	case NID_des_ede3_cbc:
		break;
	case NID_des_cbc:
		if (!legacy_load(&legacy)) {
			cl_error_set_openssl(err, st,
			                     "SCEP envelope uses single DES and OpenSSL's legacy provider "
			                     "is not available");
			goto out;
		}
		break;
	case NID_undef:
		cl_error_set_openssl(err, st, "SCEP envelope is not a PKCS#7 EnvelopedData");
		goto out;
	default:
		cl_error_set(err, st, "SCEP envelope is encrypted with %s, which certlink does not accept",
		             OBJ_nid2sn(nid));
		goto out;
	}
	if (!(cms = CMS_ContentInfo_new_ex(legacy.ctx, NULL)) || !d2i_CMS_ContentInfo(&cms, &p, (long)len) ||
	    p != envelope + len || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		cl_error_set_openssl(err, st, "SCEP envelope is not a PKCS#7 EnvelopedData");
		goto out;
	}
	if (!out || CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) != 1) {
		cl_error_set_openssl(err, st, "SCEP envelope does not decrypt with our key");
		goto out;
	}
	BIO_get_mem_ptr(out, &mem);
	if (!mem || mem->length == 0 || mem->length > CL_SCEP_MAX_MESSAGE) {
		cl_error_set(err, st, "SCEP envelope content is empty or larger than %d bytes",
		             CL_SCEP_MAX_MESSAGE);
		goto out;
	}
	if (!(*plain = OPENSSL_memdup(mem->data, mem->length))) {
		cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
		goto out;
	}
	*plain_len = mem->length;
	st = CL_OK;
out:
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	legacy_free(&legacy);
	return st;
}

void cl_scepmsg_plain_free(unsigned char *plain, size_t len)
{
	OPENSSL_clear_free(plain, len);
}

enum cl_status cl_scepmsg_pick_issued(STACK_OF(X509) * certs, const EVP_PKEY *want,
                                      const struct cl_scepmsg_ca *ca, X509 **out, struct cl_error *err)
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

enum cl_status cl_scepmsg_self_signed(EVP_PKEY *key, const X509_NAME *subject, const EVP_MD *md, X509 **out,
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
	     X509_sign(x, key, md) > 0;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return cl_error_set_openssl(err, CL_E_LOCAL, "making the SCEP signer certificate");
	}
	*out = x;
	return CL_OK;
}

enum cl_status cl_scepmsg_issuer_and_subject(const X509_NAME *issuer, const X509_NAME *subject,
                                             unsigned char **der, size_t *len, struct cl_error *err)
{
	int li = i2d_X509_NAME(issuer, NULL), ls = i2d_X509_NAME(subject, NULL), total;
	unsigned char *buf, *p;

	*der = NULL;
	*len = 0;
	if (li <= 0 || ls <= 0 || (total = ASN1_object_size(1, li + ls, V_ASN1_SEQUENCE)) <= 0 ||
	    !(buf = OPENSSL_malloc((size_t)total)))
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding IssuerAndSubject");
	p = buf;
	ASN1_put_object(&p, 1, li + ls, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	i2d_X509_NAME(issuer, &p);
	i2d_X509_NAME(subject, &p);
	*der = buf;
	*len = (size_t)(p - buf);
	return CL_OK;
}
