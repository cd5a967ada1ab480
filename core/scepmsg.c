/* certlink core: SCEP messages as bytes (see scepmsg.h). Pure: no I/O, no global state. */
#include "scepmsg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

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

/* ---- DER ---- */

CMS_ContentInfo *cl_scepmsg_d2i_cms(const unsigned char *der, size_t len)
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
	cms = cl_scepmsg_d2i_cms(der, len);
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
static int envelope_cipher(const PKCS7 *p7)
{
	if (p7 && PKCS7_type_is_enveloped(p7) && p7->d.enveloped && p7->d.enveloped->enc_data &&
	    p7->d.enveloped->enc_data->algorithm)
		return OBJ_obj2nid(p7->d.enveloped->enc_data->algorithm->algorithm);
	return NID_undef;
}

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

/* The same, read from the DER of an EnvelopedData ContentInfo (RFC 5652 section 6.1) for an envelope that
 * PKCS#7 cannot parse: one to an EC key has a key-agreement recipient (ECDH), which only CMS knows.
 * NID_undef for anything else. */
static int envelope_cipher_der(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len, *oid;
	ASN1_OBJECT *obj = NULL;
	int nid = NID_undef;

	if (len > CL_SCEP_MAX_MESSAGE || !der_enter(&p, &end, V_ASN1_SEQUENCE, false))
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

/* The content-encryption key, from the RSA key transport addressed to cert (any, when cert is NULL). */
static int unwrap_cek(const PKCS7_ENVELOPE *env, EVP_PKEY *key, X509 *cert, unsigned char *cek,
                      size_t *cek_len)
{
	size_t size = *cek_len;

	for (int i = 0; i < sk_PKCS7_RECIP_INFO_num(env->recipientinfo); i++) {
		PKCS7_RECIP_INFO *ri = sk_PKCS7_RECIP_INFO_value(env->recipientinfo, i);
		EVP_PKEY_CTX *pctx;
		int ok;

		if (!ri->issuer_and_serial || !ri->enc_key || !ri->key_enc_algor ||
		    OBJ_obj2nid(ri->key_enc_algor->algorithm) != NID_rsaEncryption)
			continue;
		if (cert &&
		    (X509_NAME_cmp(ri->issuer_and_serial->issuer, X509_get_issuer_name(cert)) != 0 ||
		     ASN1_INTEGER_cmp(ri->issuer_and_serial->serial, X509_get0_serialNumber(cert)) != 0))
			continue;
		pctx = EVP_PKEY_CTX_new(key, NULL);
		*cek_len = size;
		ok = pctx && EVP_PKEY_decrypt_init(pctx) > 0 &&
		     EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_decrypt(pctx, cek, cek_len, ri->enc_key->data, (size_t)ri->enc_key->length) > 0;
		EVP_PKEY_CTX_free(pctx);
		if (ok)
			return 1;
	}
	return 0;
}

/* Single DES, which servers such as micromdm's use for CertReps. The key transport is decrypted with our key
 * as usual; only the DES-CBC step runs in a library context holding nothing but OpenSSL's legacy provider,
 * made for this call, so nothing else in the process can pick DES up. (CMS_decrypt() in such a context
 * would also re-import the key and seed a second random generator: several milliseconds more.) */
static enum cl_status decrypt_des(const PKCS7 *p7, EVP_PKEY *key, X509 *cert, BIO *out, struct cl_error *err)
{
	const PKCS7_ENC_CONTENT *ec = p7->d.enveloped->enc_data;
	unsigned char cek[1024], iv[8], *plain = NULL; /* RSA decryption wants room for a whole block */
	size_t cek_len = sizeof(cek);
	int n1 = 0, n2 = 0, ok = 0;
	OSSL_LIB_CTX *ctx = NULL;
	OSSL_PROVIDER *legacy = NULL;
	EVP_CIPHER *des = NULL;
	EVP_CIPHER_CTX *cctx = NULL;

	if (!ec->enc_data || ec->enc_data->length < 8 || ec->enc_data->length % 8 != 0 ||
	    ASN1_TYPE_get_octetstring(ec->algorithm->parameter, iv, sizeof(iv)) != (int)sizeof(iv) ||
	    OBJ_obj2nid(ec->content_type) != NID_pkcs7_data)
		return cl_error_set(err, CL_E_REFUSED, "SCEP envelope (DES) is malformed");
	if (!unwrap_cek(p7->d.enveloped, key, cert, cek, &cek_len) || cek_len != 8) {
		OPENSSL_cleanse(cek, sizeof(cek));
		return cl_error_set_openssl(err, CL_E_REFUSED, "SCEP envelope does not decrypt with our key");
	}
	if (!(ctx = OSSL_LIB_CTX_new()) || !(legacy = OSSL_PROVIDER_load(ctx, "legacy")) ||
	    !(des = EVP_CIPHER_fetch(ctx, "DES-CBC", NULL))) {
		cl_error_set_openssl(err, CL_E_REFUSED,
		                     "SCEP envelope uses single DES and OpenSSL's legacy provider "
		                     "is not available");
		goto out;
	}
	plain = OPENSSL_malloc((size_t)ec->enc_data->length + 8);
	ok = plain && (cctx = EVP_CIPHER_CTX_new()) && EVP_DecryptInit_ex2(cctx, des, cek, iv, NULL) &&
	     EVP_DecryptUpdate(cctx, plain, &n1, ec->enc_data->data, ec->enc_data->length) &&
	     EVP_DecryptFinal_ex(cctx, plain + n1, &n2) && BIO_write(out, plain, n1 + n2) == n1 + n2;
	if (!ok)
		cl_error_set_openssl(err, CL_E_REFUSED, "SCEP envelope does not decrypt with our key");
out:
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_clear_free(plain, ec->enc_data->length + 8);
	EVP_CIPHER_CTX_free(cctx);
	EVP_CIPHER_free(des);
	if (legacy)
		OSSL_PROVIDER_unload(legacy);
	OSSL_LIB_CTX_free(ctx);
	return ok ? CL_OK : CL_E_REFUSED;
}

static enum cl_status decrypt_cms(const unsigned char *envelope, size_t len, EVP_PKEY *key, X509 *cert,
                                  BIO *out, struct cl_error *err)
{
	CMS_ContentInfo *cms = cl_scepmsg_d2i_cms(envelope, len);
	enum cl_status st = CL_OK;

	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped)
		st = cl_error_set_openssl(err, CL_E_REFUSED, "SCEP envelope is not a PKCS#7 EnvelopedData");
	else if (CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) != 1)
		st = cl_error_set_openssl(err, CL_E_REFUSED, "SCEP envelope does not decrypt with our key");
	CMS_ContentInfo_free(cms);
	return st;
}

enum cl_status cl_scepmsg_decrypt(const unsigned char *envelope, size_t len, EVP_PKEY *key, X509 *cert,
                                  unsigned char **plain, size_t *plain_len, int *cipher_nid,
                                  struct cl_error *err)
{
	const unsigned char *p = envelope;
	PKCS7 *p7 = len <= CL_SCEP_MAX_MESSAGE ? d2i_PKCS7(NULL, &p, (long)len) : NULL;
	int nid = p7 && p == envelope + len ? envelope_cipher(p7) : envelope_cipher_der(envelope, len);
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
		st = out ? decrypt_cms(envelope, len, key, cert, out, err) : CL_E_UNEXPECTED;
		break;
	case NID_des_cbc:
		if (!p7 || p != envelope + len)
			cl_error_set(err, st, "SCEP envelope uses single DES without RSA key transport");
		else
			st = out ? decrypt_des(p7, key, cert, out, err) : CL_E_UNEXPECTED;
		break;
	case NID_undef:
		cl_error_set_openssl(err, st, "SCEP envelope is not a PKCS#7 EnvelopedData");
		break;
	default:
		cl_error_set(err, st, "SCEP envelope is encrypted with %s, which certlink does not accept",
		             OBJ_nid2sn(nid));
		break;
	}
	if (st != CL_OK)
		goto out;
	st = CL_E_REFUSED;
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
	PKCS7_free(p7);
	return st;
}

void cl_scepmsg_plain_free(unsigned char *plain, size_t len)
{
	OPENSSL_clear_free(plain, len);
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
