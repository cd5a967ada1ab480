/* certlink-server: SCEP (RFC 8894) messages, server side. See scep.h for the contract. */
#include "scep.h"
#include "scep-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

/* SCEP attribute OIDs (RFC 8894 3.2.1, id-VeriSign 2.16.840.1.113733.1.9.x). */
#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"

/* IssuerAndSubject (RFC 8894 3.3.3), the CertPoll content. */
typedef struct {
	X509_NAME *issuer;
	X509_NAME *subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

/* Single DES lives in OpenSSL's legacy provider. We load it into a library context of our own instead of
 * the process default, so the rest of the server never gets legacy algorithms by accident. */
static CRYPTO_ONCE scep_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_LIB_CTX *scep_ctx;

static void scep_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx == NULL)
		return;
	if (OSSL_PROVIDER_load(ctx, "default") == NULL) {
		OSSL_LIB_CTX_free(ctx);
		return;
	}
	/* Without the legacy provider, DES-CBC requests are refused with badAlg; everything else works. */
	(void)OSSL_PROVIDER_load(ctx, "legacy");
	ERR_clear_error();
	scep_ctx = ctx;
}

OSSL_LIB_CTX *srv_scep_libctx(void)
{
	if (!CRYPTO_THREAD_run_once(&scep_once, scep_init))
		return NULL;
	return scep_ctx;
}

static void set_err(char *errbuf, size_t errlen, int with_openssl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Format a one-line reason; with_openssl appends the most recent OpenSSL error. Drains the queue. */
static void set_err(char *errbuf, size_t errlen, int with_openssl, const char *fmt, ...)
{
	unsigned long e = with_openssl ? ERR_peek_last_error() : 0;
	va_list ap;
	size_t n;

	if (errbuf != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
		n = strlen(errbuf);
		if (e != 0 && n + 3 < errlen) {
			memcpy(errbuf + n, ": ", 3);
			ERR_error_string_n(e, errbuf + n + 2, errlen - n - 2);
		}
	}
	ERR_clear_error();
}

static enum srv_scep_result refuse(struct srv_scep_request *req, int fail_info, char *errbuf, size_t errlen,
                                   const char *what)
{
	req->fail_info = fail_info;
	set_err(errbuf, errlen, 1, "%s", what);
	return SRV_SCEP_REFUSE;
}

static enum srv_scep_result malformed(struct srv_scep_request *req, char *errbuf, size_t errlen,
                                      const char *what)
{
	req->fail_info = SRV_SCEP_BAD_REQUEST;
	set_err(errbuf, errlen, 1, "%s", what);
	return SRV_SCEP_MALFORMED;
}

static enum srv_scep_result internal(struct srv_scep_request *req, char *errbuf, size_t errlen,
                                     const char *what)
{
	req->fail_info = SRV_SCEP_BAD_REQUEST;
	set_err(errbuf, errlen, 1, "%s", what);
	return SRV_SCEP_INTERNAL;
}

/* The single value of the signed attribute oid: 1 found, 0 absent, -1 present twice or multi-valued. */
int srv_scep_attr_get(const STACK_OF(X509_ATTRIBUTE) * attrs, const char *oid, ASN1_TYPE **value)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	X509_ATTRIBUTE *found = NULL;
	int i, ret = 0;

	*value = NULL;
	if (obj == NULL)
		return -1;
	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(attrs, i);

		if (OBJ_cmp(X509_ATTRIBUTE_get0_object(a), obj) != 0)
			continue;
		if (found != NULL || X509_ATTRIBUTE_count(a) != 1) {
			ret = -1;
			goto out;
		}
		found = a;
	}
	if (found != NULL) {
		*value = X509_ATTRIBUTE_get0_type(found, 0);
		ret = *value != NULL ? 1 : -1;
	}
out:
	ASN1_OBJECT_free(obj);
	return ret;
}

/* PrintableString characters (X.680 41.4), so a transactionID is safe in a database and a log line, and is
 * not cut short by a NUL when used as a C string (strchr() finds the terminator, hence c != 0). */
static int printable_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr(" '()+,-./:=?", c) != NULL);
}

/* messageType, transactionID and senderNonce: without the last two nobody can be answered. */
static enum srv_scep_result read_attrs(PKCS7_SIGNER_INFO *si, struct srv_scep_request *req, char *errbuf,
                                       size_t errlen)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = PKCS7_get_signed_attributes(si);
	ASN1_TYPE *tid, *nonce, *type;
	const unsigned char *s;
	int i, n, v;

	if (srv_scep_attr_get(attrs, OID_TRANSACTION_ID, &tid) != 1 || tid->type != V_ASN1_PRINTABLESTRING)
		return malformed(req, errbuf, errlen, "transactionID missing or not a PrintableString");
	n = ASN1_STRING_length(tid->value.printablestring);
	s = ASN1_STRING_get0_data(tid->value.printablestring);
	if (n < 1 || n > SRV_SCEP_TRANSACTION_ID_MAX)
		return malformed(req, errbuf, errlen, "transactionID empty or too long");
	for (i = 0; i < n; i++)
		if (!printable_char(s[i]))
			return malformed(req, errbuf, errlen, "transactionID has a non-printable character");
	if (srv_scep_attr_get(attrs, OID_SENDER_NONCE, &nonce) != 1 || nonce->type != V_ASN1_OCTET_STRING ||
	    ASN1_STRING_length(nonce->value.octet_string) != SRV_SCEP_NONCE_LEN)
		return malformed(req, errbuf, errlen, "senderNonce missing or not 16 octets");
	memcpy(req->transaction_id, s, (size_t)n);
	req->transaction_id[n] = '\0';
	memcpy(req->sender_nonce, ASN1_STRING_get0_data(nonce->value.octet_string), SRV_SCEP_NONCE_LEN);

	if (srv_scep_attr_get(attrs, OID_MESSAGE_TYPE, &type) != 1 || type->type != V_ASN1_PRINTABLESTRING)
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "messageType missing");
	n = ASN1_STRING_length(type->value.printablestring);
	s = ASN1_STRING_get0_data(type->value.printablestring);
	for (i = 0, v = 0; i < n && i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	if (n < 1 || i != n)
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "messageType is not a number");
	req->message_type = v;
	return SRV_SCEP_OK;
}

static int digest_supported(int nid)
{
	return nid == NID_sha1 || nid == NID_sha224 || nid == NID_sha256 || nid == NID_sha384 ||
	       nid == NID_sha512;
}

static int cipher_supported(int nid)
{
	return nid == NID_aes_128_cbc || nid == NID_aes_192_cbc || nid == NID_aes_256_cbc ||
	       nid == NID_des_ede3_cbc || nid == NID_des_cbc;
}

/* Decode the outer signedData; on success *p7 and *si are set. */
static enum srv_scep_result parse_outer(const unsigned char *der, size_t len, PKCS7 **p7,
                                        PKCS7_SIGNER_INFO **si, struct srv_scep_request *req, char *errbuf,
                                        size_t errlen)
{
	const unsigned char *p = der;
	STACK_OF(PKCS7_SIGNER_INFO) * sis;

	*p7 = PKCS7_new_ex(srv_scep_libctx(), NULL);
	if (*p7 == NULL)
		return internal(req, errbuf, errlen, "out of memory");
	if (d2i_PKCS7(p7, &p, (long)len) == NULL || p != der + len)
		return malformed(req, errbuf, errlen, "not a DER PKCS#7 message (or trailing bytes)");
	if (!PKCS7_type_is_signed(*p7) || (*p7)->d.sign == NULL)
		return malformed(req, errbuf, errlen, "PKCS#7 message is not signedData");
	sis = PKCS7_get_signer_info(*p7);
	if (sk_PKCS7_SIGNER_INFO_num(sis) != 1)
		return malformed(req, errbuf, errlen, "signedData must have exactly one signer");
	*si = sk_PKCS7_SIGNER_INFO_value(sis, 0);
	if (PKCS7_get_signed_attributes(*si) == NULL)
		return malformed(req, errbuf, errlen, "signer has no signed attributes");
	return SRV_SCEP_OK;
}

/* Verify the signature with the signer certificate carried in the message; *content gets the signed
 * content (the DER envelope). */
static enum srv_scep_result check_signature(PKCS7 *p7, PKCS7_SIGNER_INFO *si, struct srv_scep_request *req,
                                            BIO **content, char *errbuf, size_t errlen)
{
	STACK_OF(X509) * signers;
	X509_ALGOR *dig = NULL;
	EVP_PKEY *pub;

	PKCS7_SIGNER_INFO_get0_algs(si, NULL, &dig, NULL);
	req->digest_nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
	if (!digest_supported(req->digest_nid))
		return refuse(req, SRV_SCEP_BAD_ALG, errbuf, errlen, "unsupported digest algorithm");
	signers = PKCS7_get0_signers(p7, NULL, 0);
	if (signers == NULL || sk_X509_num(signers) != 1) {
		sk_X509_free(signers);
		return refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen,
		              "signer certificate not in message");
	}
	req->signer = sk_X509_value(signers, 0);
	X509_up_ref(req->signer);
	sk_X509_free(signers);
	pub = X509_get0_pubkey(req->signer);
	/* The reply is enveloped to this key with RSA key transport, as every SCEP client expects. An EC key
	 * being certified does not sign the pkiMessage: the client signs with a self-signed RSA "transport"
	 * certificate instead (RFC 8894 2.3 lets the signing certificate's key differ from the request's),
	 * and only the CSR inside is signed by the EC key. */
	if (pub == NULL || !EVP_PKEY_is_a(pub, "RSA"))
		return refuse(req, SRV_SCEP_BAD_ALG, errbuf, errlen, "signer key is not RSA");
	if (!PKCS7_get_detached(p7) && PKCS7_get_octet_string(p7->d.sign->contents) == NULL)
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "signed content is not data");
	*content = BIO_new(BIO_s_mem());
	if (*content == NULL)
		return internal(req, errbuf, errlen, "out of memory");
	if (PKCS7_verify(p7, NULL, NULL, NULL, *content, PKCS7_NOVERIFY | PKCS7_BINARY) != 1)
		return refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen, "signature does not verify");
	return SRV_SCEP_OK;
}

static int recipient_is(PKCS7_RECIP_INFO *ri, X509 *cert)
{
	return X509_NAME_cmp(ri->issuer_and_serial->issuer, X509_get_issuer_name(cert)) == 0 &&
	       ASN1_INTEGER_cmp(ri->issuer_and_serial->serial, X509_get0_serialNumber(cert)) == 0;
}

/* Decode the envelope, check algorithms and recipient, decrypt into *plain (a secure-heap BIO: the CSR
 * holds the challenge). */
static enum srv_scep_result open_envelope(BIO *content, X509 *ra_cert, EVP_PKEY *ra_key,
                                          struct srv_scep_request *req, BIO **plain, char *errbuf,
                                          size_t errlen)
{
	enum srv_scep_result r = SRV_SCEP_OK;
	const unsigned char *p, *der;
	STACK_OF(PKCS7_RECIP_INFO) * ris;
	PKCS7 *env;
	long len;
	int i, ours = 0;

	len = BIO_get_mem_data(content, (char **)&der);
	p = der;
	env = PKCS7_new_ex(srv_scep_libctx(), NULL);
	if (env == NULL)
		return internal(req, errbuf, errlen, "out of memory");
	if (len <= 0 || d2i_PKCS7(&env, &p, len) == NULL || p != der + len || !PKCS7_type_is_enveloped(env)) {
		r = refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen,
		           "signed content is not a DER envelopedData");
		goto out;
	}
	if (OBJ_obj2nid(env->d.enveloped->enc_data->content_type) != NID_pkcs7_data) {
		r = refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "enveloped content is not data");
		goto out;
	}
	req->cipher_nid = OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->algorithm);
	if (!cipher_supported(req->cipher_nid)) {
		r = refuse(req, SRV_SCEP_BAD_ALG, errbuf, errlen, "unsupported content-encryption algorithm");
		goto out;
	}
	ris = env->d.enveloped->recipientinfo;
	for (i = 0; i < sk_PKCS7_RECIP_INFO_num(ris); i++) {
		PKCS7_RECIP_INFO *ri = sk_PKCS7_RECIP_INFO_value(ris, i);

		if (!recipient_is(ri, ra_cert))
			continue;
		if (OBJ_obj2nid(ri->key_enc_algor->algorithm) != NID_rsaEncryption) {
			r = refuse(req, SRV_SCEP_BAD_ALG, errbuf, errlen,
			           "key transport is not rsaEncryption");
			goto out;
		}
		ours = 1;
	}
	if (!ours) {
		r = refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "envelope is not addressed to our RA");
		goto out;
	}
	*plain = BIO_new(BIO_s_secmem());
	if (*plain == NULL) {
		r = internal(req, errbuf, errlen, "out of memory");
		goto out;
	}
	/* One answer for every decryption failure (RSA, padding, garbage): no oracle for the key transport.
	 */
	if (PKCS7_decrypt(env, ra_key, ra_cert, *plain, 0) != 1)
		r = refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen, "envelope does not decrypt");
out:
	PKCS7_free(env);
	return r;
}

/* Move the challengePassword out of the CSR into req->challenge, wiping the copy in the CSR. */
static enum srv_scep_result take_challenge(struct srv_scep_request *req, char *errbuf, size_t errlen)
{
	int idx = X509_REQ_get_attr_by_NID(req->csr, NID_pkcs9_challengePassword, -1);
	unsigned char *utf8 = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_STRING *str;
	ASN1_TYPE *t;
	int n;

	if (idx < 0)
		return SRV_SCEP_OK;
	if (X509_REQ_get_attr_by_NID(req->csr, NID_pkcs9_challengePassword, idx) >= 0)
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "two challengePassword attributes");
	attr = X509_REQ_get_attr(req->csr, idx);
	t = X509_ATTRIBUTE_count(attr) == 1 ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	if (t == NULL || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	                  t->type != V_ASN1_IA5STRING && t->type != V_ASN1_T61STRING &&
	                  t->type != V_ASN1_BMPSTRING && t->type != V_ASN1_UNIVERSALSTRING))
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "challengePassword is not a string");
	str = t->value.asn1_string;
	n = ASN1_STRING_to_UTF8(&utf8, str);
	if (n < 0 || n > SRV_SCEP_CHALLENGE_MAX || memchr(utf8, '\0', (size_t)n) != NULL) {
		OPENSSL_clear_free(utf8, n > 0 ? (size_t)n : 0);
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "challengePassword unusable");
	}
	req->challenge = OPENSSL_zalloc((size_t)n + 1);
	if (req->challenge == NULL) {
		OPENSSL_clear_free(utf8, (size_t)n);
		return internal(req, errbuf, errlen, "out of memory");
	}
	memcpy(req->challenge, utf8, (size_t)n);
	OPENSSL_clear_free(utf8, (size_t)n);
	OPENSSL_cleanse((unsigned char *)ASN1_STRING_get0_data(str), (size_t)ASN1_STRING_length(str));
	X509_ATTRIBUTE_free(X509_REQ_delete_attr(req->csr, idx));
	return SRV_SCEP_OK;
}

static enum srv_scep_result read_csr(struct srv_scep_request *req, const unsigned char *der, long len,
                                     char *errbuf, size_t errlen)
{
	const unsigned char *p = der;
	EVP_PKEY *pub;

	req->csr = d2i_X509_REQ(NULL, &p, len);
	if (req->csr == NULL || p != der + len)
		return refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen, "content is not a DER CSR");
	pub = X509_REQ_get0_pubkey(req->csr);
	if (pub == NULL || X509_REQ_verify(req->csr, pub) != 1)
		return refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen,
		              "CSR self-signature does not verify");
	return take_challenge(req, errbuf, errlen);
}

static enum srv_scep_result read_poll(struct srv_scep_request *req, const unsigned char *der, long len,
                                      char *errbuf, size_t errlen)
{
	const unsigned char *p = der;
	SCEP_ISSUER_AND_SUBJECT *ias;

	ias =
	    (SCEP_ISSUER_AND_SUBJECT *)ASN1_item_d2i(NULL, &p, len, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	if (ias == NULL || p != der + len) {
		ASN1_item_free((ASN1_VALUE *)ias, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "content is not IssuerAndSubject");
	}
	req->issuer = ias->issuer;
	req->subject = ias->subject;
	ias->issuer = ias->subject = NULL;
	ASN1_item_free((ASN1_VALUE *)ias, ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT));
	return SRV_SCEP_OK;
}

static enum srv_scep_result read_getcert(struct srv_scep_request *req, const unsigned char *der, long len,
                                         char *errbuf, size_t errlen)
{
	const unsigned char *p = der;
	PKCS7_ISSUER_AND_SERIAL *ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p, len);

	if (ias == NULL || p != der + len) {
		PKCS7_ISSUER_AND_SERIAL_free(ias);
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen,
		              "content is not IssuerAndSerialNumber");
	}
	req->issuer = ias->issuer;
	req->serial = ias->serial;
	ias->issuer = NULL;
	ias->serial = NULL;
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return SRV_SCEP_OK;
}

enum srv_scep_result srv_scep_parse_content(struct srv_scep_request *req, const unsigned char *der,
                                            size_t len, char *errbuf, size_t errlen)
{
	if (len == 0 || len > SRV_SCEP_MAX_MESSAGE)
		return refuse(req, SRV_SCEP_BAD_MESSAGE_CHECK, errbuf, errlen,
		              "envelope is empty or too large");
	switch (req->message_type) {
	case SRV_SCEP_PKCSREQ:
	case SRV_SCEP_RENEWALREQ:
		return read_csr(req, der, (long)len, errbuf, errlen);
	case SRV_SCEP_CERTPOLL:
		return read_poll(req, der, (long)len, errbuf, errlen);
	case SRV_SCEP_GETCERT:
		return read_getcert(req, der, (long)len, errbuf, errlen);
	default:
		return refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "unsupported messageType");
	}
}

enum srv_scep_result srv_scep_parse(const unsigned char *der, size_t len, X509 *ra_cert, EVP_PKEY *ra_key,
                                    struct srv_scep_request *req, char *errbuf, size_t errlen)
{
	enum srv_scep_result r;
	PKCS7_SIGNER_INFO *si = NULL;
	PKCS7 *p7 = NULL;
	BIO *content = NULL, *plain = NULL;
	const unsigned char *plain_der;
	long plain_len;

	memset(req, 0, sizeof(*req));
	req->fail_info = -1;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (der == NULL || len == 0 || len > SRV_SCEP_MAX_MESSAGE)
		return malformed(req, errbuf, errlen, len == 0 ? "empty message" : "message over 256 KiB");
	if (ra_cert == NULL || ra_key == NULL || srv_scep_libctx() == NULL ||
	    !X509_check_private_key(ra_cert, ra_key))
		return internal(req, errbuf, errlen, "RA certificate and key unusable or not a pair");
	if ((r = parse_outer(der, len, &p7, &si, req, errbuf, errlen)) != SRV_SCEP_OK ||
	    (r = read_attrs(si, req, errbuf, errlen)) != SRV_SCEP_OK ||
	    (r = check_signature(p7, si, req, &content, errbuf, errlen)) != SRV_SCEP_OK)
		goto out;
	if (req->message_type != SRV_SCEP_PKCSREQ && req->message_type != SRV_SCEP_RENEWALREQ &&
	    req->message_type != SRV_SCEP_CERTPOLL && req->message_type != SRV_SCEP_GETCERT) {
		r = refuse(req, SRV_SCEP_BAD_REQUEST, errbuf, errlen, "unsupported messageType");
		goto out;
	}
	if ((r = open_envelope(content, ra_cert, ra_key, req, &plain, errbuf, errlen)) != SRV_SCEP_OK)
		goto out;
	plain_len = BIO_get_mem_data(plain, (char **)&plain_der);
	if ((r = srv_scep_parse_content(req, plain_der, plain_len > 0 ? (size_t)plain_len : 0, errbuf,
	                                errlen)) != SRV_SCEP_OK)
		goto out;
	req->fail_info = -1;
out:
	BIO_free(plain);
	BIO_free(content);
	PKCS7_free(p7);
	return r;
}

void srv_scep_request_clear(struct srv_scep_request *req)
{
	if (req == NULL)
		return;
	X509_free(req->signer);
	X509_REQ_free(req->csr);
	if (req->challenge != NULL)
		OPENSSL_clear_free(req->challenge, strlen(req->challenge));
	X509_NAME_free(req->issuer);
	X509_NAME_free(req->subject);
	ASN1_INTEGER_free(req->serial);
	memset(req, 0, sizeof(*req));
	req->fail_info = -1;
}

const char *srv_scep_message_type_name(int message_type)
{
	switch (message_type) {
	case SRV_SCEP_CERTREP:
		return "CertRep";
	case SRV_SCEP_RENEWALREQ:
		return "RenewalReq";
	case SRV_SCEP_PKCSREQ:
		return "PKCSReq";
	case SRV_SCEP_CERTPOLL:
		return "CertPoll";
	case SRV_SCEP_GETCERT:
		return "GetCert";
	default:
		return "unknown";
	}
}

const char *srv_scep_fail_info_name(int fail_info)
{
	static const char *const names[] = { "badAlg", "badMessageCheck", "badRequest", "badTime",
		                             "badCertId" };

	return fail_info >= 0 && fail_info <= SRV_SCEP_BAD_CERT_ID ? names[fail_info] : "unknown";
}

/* The answer's cipher: the request's, except single DES, which we only ever decrypt. */
static int reply_cipher_nid(int request_nid)
{
	if (request_nid == NID_des_cbc || request_nid == NID_des_ede3_cbc)
		return NID_des_ede3_cbc;
	return cipher_supported(request_nid) ? request_nid : NID_aes_128_cbc;
}

/* A degenerate certs-only signedData holding first, then the certificates of rest (may be NULL). */
static PKCS7 *degenerate(X509 *first, STACK_OF(X509) * rest)
{
	PKCS7 *p7 = PKCS7_new_ex(srv_scep_libctx(), NULL);
	int i, ok;

	ok = p7 != NULL && PKCS7_set_type(p7, NID_pkcs7_signed) && PKCS7_content_new(p7, NID_pkcs7_data) &&
	     PKCS7_set_detached(p7, 1) && PKCS7_add_certificate(p7, first);
	for (i = 0; ok && i < sk_X509_num(rest); i++)
		ok = PKCS7_add_certificate(p7, sk_X509_value(rest, i));
	if (!ok) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

/* i2d into a malloc()ed buffer. */
static int der_of(PKCS7 *p7, unsigned char **out, size_t *out_len)
{
	unsigned char *buf = NULL;
	int n = i2d_PKCS7(p7, &buf);

	*out = NULL;
	if (n <= 0)
		return -1;
	*out = malloc((size_t)n);
	if (*out != NULL) {
		memcpy(*out, buf, (size_t)n);
		*out_len = (size_t)n;
	}
	OPENSSL_free(buf);
	return *out != NULL ? 0 : -1;
}

/* The pkcsPKIEnvelope of a SUCCESS: issued (+ chain) in a degenerate PKCS#7, enveloped to the request's
 * signer. Returns a memory BIO with the DER envelope, or NULL. */
static BIO *success_content(const struct srv_scep_request *req, X509 *issued, STACK_OF(X509) * chain)
{
	EVP_CIPHER *cipher =
	    EVP_CIPHER_fetch(srv_scep_libctx(), OBJ_nid2sn(reply_cipher_nid(req->cipher_nid)), NULL);
	STACK_OF(X509) *to = sk_X509_new_null();
	PKCS7 *deg = degenerate(issued, chain), *env = NULL;
	BIO *in = NULL, *out = NULL;
	unsigned char *der = NULL;
	int n;

	if (cipher == NULL || to == NULL || deg == NULL || !sk_X509_push(to, req->signer))
		goto out;
	n = i2d_PKCS7(deg, &der);
	if (n <= 0 || (in = BIO_new_mem_buf(der, n)) == NULL)
		goto out;
	env = PKCS7_encrypt_ex(to, in, cipher, PKCS7_BINARY, srv_scep_libctx(), NULL);
	out = BIO_new(BIO_s_mem());
	if (env == NULL || out == NULL || i2d_PKCS7_bio(out, env) != 1) {
		BIO_free(out);
		out = NULL;
	}
out:
	EVP_CIPHER_free(cipher);
	sk_X509_free(to);
	PKCS7_free(deg);
	PKCS7_free(env);
	BIO_free(in);
	OPENSSL_free(der);
	return out;
}

static int add_attr(PKCS7_SIGNER_INFO *si, const char *oid, int type, const void *bytes, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int ok = obj != NULL && X509at_add1_attr_by_OBJ(&si->auth_attr, obj, type, bytes, len) != NULL;

	ASN1_OBJECT_free(obj);
	return ok;
}

static int add_certrep_attrs(PKCS7_SIGNER_INFO *si, const struct srv_scep_request *req,
                             enum srv_scep_pki_status status, int fail_info)
{
	unsigned char nonce[SRV_SCEP_NONCE_LEN];
	char num[12];
	int ok;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return 0;
	ok = add_attr(si, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "3", 1) &&
	     add_attr(si, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, req->transaction_id,
	              (int)strlen(req->transaction_id)) &&
	     add_attr(si, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce, sizeof(nonce)) &&
	     add_attr(si, OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, req->sender_nonce, SRV_SCEP_NONCE_LEN);
	snprintf(num, sizeof(num), "%d", (int)status);
	ok = ok && add_attr(si, OID_PKI_STATUS, V_ASN1_PRINTABLESTRING, num, (int)strlen(num));
	if (ok && status == SRV_SCEP_FAILURE) {
		snprintf(num, sizeof(num), "%d", fail_info);
		ok = add_attr(si, OID_FAIL_INFO, V_ASN1_PRINTABLESTRING, num, (int)strlen(num));
	}
	return ok;
}

static int check_reply_args(const struct srv_scep_request *req, enum srv_scep_pki_status status,
                            int fail_info, X509 *issued, X509 *ra_cert, EVP_PKEY *ra_key, char *errbuf,
                            size_t errlen)
{
	const char *why = NULL;

	if (req == NULL || req->transaction_id[0] == '\0')
		why = "no transactionID to answer";
	else if (ra_cert == NULL || ra_key == NULL || !EVP_PKEY_is_a(ra_key, "RSA"))
		why = "the RA key must be RSA";
	else if (status == SRV_SCEP_SUCCESS && (issued == NULL || req->signer == NULL))
		why = "SUCCESS needs the issued certificate and the request's signer";
	else if (status == SRV_SCEP_FAILURE &&
	         (fail_info < SRV_SCEP_BAD_ALG || fail_info > SRV_SCEP_BAD_CERT_ID))
		why = "FAILURE needs a failInfo";
	else if (status != SRV_SCEP_SUCCESS && status != SRV_SCEP_FAILURE && status != SRV_SCEP_PENDING)
		why = "unknown pkiStatus";
	else if (srv_scep_libctx() == NULL)
		why = "OpenSSL library context unavailable";
	if (why != NULL)
		set_err(errbuf, errlen, 0, "%s", why);
	return why == NULL ? 0 : -1;
}

int srv_scep_build_reply(const struct srv_scep_request *req, enum srv_scep_pki_status status, int fail_info,
                         X509 *issued, STACK_OF(X509) * chain, X509 *ra_cert, EVP_PKEY *ra_key,
                         unsigned char **out, size_t *out_len, char *errbuf, size_t errlen)
{
	int digest = req != NULL && digest_supported(req->digest_nid) ? req->digest_nid : NID_sha256;
	PKCS7_SIGNER_INFO *si;
	EVP_MD *md = NULL;
	PKCS7 *p7 = NULL;
	BIO *content = NULL;
	int ret = -1;

	*out = NULL;
	*out_len = 0;
	if (check_reply_args(req, status, fail_info, issued, ra_cert, ra_key, errbuf, errlen) != 0)
		return -1;
	/* FAILURE and PENDING carry empty data rather than none: certmonger's PKCS7_verify() refuses a
	 * signedData without content. */
	content = status == SRV_SCEP_SUCCESS ? success_content(req, issued, chain) : BIO_new(BIO_s_mem());
	if (content == NULL) {
		set_err(errbuf, errlen, 1, "enveloping the certificate to the request's signer failed");
		goto out;
	}
	md = EVP_MD_fetch(srv_scep_libctx(), OBJ_nid2sn(digest), NULL);
	p7 = PKCS7_new_ex(srv_scep_libctx(), NULL);
	if (md == NULL || p7 == NULL || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data) ||
	    (si = PKCS7_sign_add_signer(p7, ra_cert, ra_key, md, PKCS7_NOSMIMECAP)) == NULL ||
	    !add_certrep_attrs(si, req, status, fail_info) || PKCS7_final(p7, content, PKCS7_BINARY) != 1 ||
	    der_of(p7, out, out_len) != 0) {
		set_err(errbuf, errlen, 1, "signing the CertRep failed");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_free(md);
	PKCS7_free(p7);
	BIO_free(content);
	return ret;
}

/* SHA-384 and SHA-512 are verified anyway; listing them also matters to strongSwan 5.9.8 (Debian 12), whose
 * pki --scep tests capability bits by enum value, so its AES check looks at the SHA-384 line. */
const char *srv_scep_caps(void)
{
	return "POSTPKIOperation\nSHA-256\nSHA-384\nSHA-512\nSHA-1\nAES\nDES3\nRenewal\nSCEPStandard\n";
}

int srv_scep_cacert(X509 *ca, X509 *ra, unsigned char **der, size_t *len, const char **content_type)
{
	STACK_OF(X509) * rest;
	unsigned char *buf = NULL;
	PKCS7 *p7;
	int n, ret;

	*der = NULL;
	*len = 0;
	if (ca == NULL)
		return -1;
	if (ra == NULL) {
		*content_type = "application/x-x509-ca-cert";
		n = i2d_X509(ca, &buf);
		if (n <= 0 || (*der = malloc((size_t)n)) == NULL) {
			OPENSSL_free(buf);
			return -1;
		}
		memcpy(*der, buf, (size_t)n);
		*len = (size_t)n;
		OPENSSL_free(buf);
		return 0;
	}
	*content_type = "application/x-x509-ca-ra-cert";
	rest = sk_X509_new_null();
	p7 = rest != NULL && sk_X509_push(rest, ca) ? degenerate(ra, rest) : NULL;
	ret = p7 != NULL ? der_of(p7, der, len) : -1;
	PKCS7_free(p7);
	sk_X509_free(rest);
	return ret;
}

int srv_scep_signer_issued_by(const struct srv_scep_request *req, X509 *ca, char *errbuf, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -1;

	if (req == NULL || req->signer == NULL || ca == NULL) {
		set_err(errbuf, errlen, 0, "no signer certificate or CA");
		goto out;
	}
	if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, ca) ||
	    !X509_STORE_CTX_init(ctx, store, req->signer, NULL)) {
		set_err(errbuf, errlen, 1, "out of memory");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		set_err(errbuf, errlen, 0, "signer certificate: %s",
		        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ret;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == ' ' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int srv_scep_message_from_base64(const char *text, size_t text_len, unsigned char **der, size_t *der_len)
{
	unsigned char *buf;
	unsigned int acc = 0;
	size_t i, n = 0, bits = 0, pad = 0;
	int v;

	*der = NULL;
	*der_len = 0;
	if (text == NULL || text_len > 2 * (size_t)SRV_SCEP_MAX_MESSAGE)
		return -1;
	buf = malloc(text_len / 4 * 3 + 3);
	if (buf == NULL)
		return -1;
	for (i = 0; i < text_len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r' || c == '\n' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (n == 0 || n > SRV_SCEP_MAX_MESSAGE || pad > 2 || bits >= 6)
		goto bad;
	*der = buf;
	*der_len = n;
	return 0;
bad:
	free(buf);
	return -1;
}
