/* certlink tests: a SCEP server in the test process, for tests/core/test-scep*.c.
 *
 * A test CA (keyUsage keyCertSign+cRLSign only, as many real CAs and micromdm's have), an optional RA, and
 * a fake transport that answers GetCACaps, GetCACert and PKIOperation the way a server would, records what
 * the client sent, and can be told to answer PENDING, FAILURE, or a tampered CertRep. The server side uses
 * core/scepmsg.c to read requests and build replies; the interop tests check the same code against
 * micromdm's independent implementation.
 */
#ifndef CL_SCEP_FIXTURE_H
#define CL_SCEP_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cancel.h"
#include "check.h"
#include "key.h"
#include "scep.h"
#include "scepcert.h"
#include "scepmsg.h"

static inline EVP_PKEY *fx_rsa(void)
{
	static const struct cl_key_spec spec = { CL_KEY_RSA, 2048 };
	EVP_PKEY *k = NULL;

	if (cl_key_generate(&spec, &k, NULL) != CL_OK)
		abort();
	return k;
}

static inline X509 *fx_issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int ca,
                             const char *ku)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pub);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	if (ca) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (ku) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, ku);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(x, issuer_key, EVP_sha256()))
		abort();
	X509_NAME_free(name);
	return x;
}

static inline void fx_fingerprint(X509 *x, unsigned char fp[CL_SCEP_FP_LEN])
{
	unsigned n = 0;

	X509_digest(x, EVP_sha256(), fp, &n);
}

/* A degenerate certs-only PKCS#7, as servers send certificates. */
static inline unsigned char *fx_certs_p7(X509 **certs, int n, size_t *len)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	int l;

	PKCS7_set_type(p7, NID_pkcs7_signed);
	PKCS7_content_new(p7, NID_pkcs7_data);
	for (int i = 0; i < n; i++)
		PKCS7_add_certificate(p7, certs[i]);
	l = i2d_PKCS7(p7, &der);
	PKCS7_free(p7);
	*len = l > 0 ? (size_t)l : 0;
	return der;
}

enum fx_tamper {
	FX_NONE,
	FX_WRONG_TID,
	FX_WRONG_NONCE,
	FX_NO_RECIPIENT_NONCE,
	FX_WRONG_TYPE,
	FX_FOREIGN_SIGNER, /* signed by a key/certificate the client does not trust */
	FX_GARBAGE,
	FX_TRUNCATED,
	FX_OVERSIZED,
	FX_BAD_STATUS,
	FX_SUCCESS_EMPTY,
	FX_OTHER_KEY,    /* issue a certificate for another key */
	FX_OTHER_CA,     /* issue a certificate from another CA */
	FX_FLIPPED_BYTE, /* one byte of a valid reply changed */
	FX_HTTP_500,
	FX_HTTP_404,
};

struct fake {
	/* the server */
	EVP_PKEY *ca_key, *ra_key, *other_key;
	X509 *ca, *ra, *other_ca;
	const char *caps;
	int with_ra;    /* GetCACert: PKCS#7 with RA and CA */
	int foreign_ra; /* ... plus an RA certificate from another CA, listed first */
	int pending;    /* PENDING answers before the final one */
	int fail_info;  /* -1: SUCCESS; else FAILURE with this failInfo */
	int bad_alg_for_aes256;
	enum fx_tamper tamper;
	const EVP_CIPHER *reply_cipher;
	struct cl_cancel
	    *cancel_on_pending; /* requested when a PENDING is sent: "Cancel" pressed meanwhile */
	/* what the client sent */
	int requests, gets, posts;
	int types[64];
	int envelope_nid[64];
	int digest_nid;
	char tid[CL_SCEP_TID_MAX + 1];
	int tid_changed;
	X509_REQ *csr;
	X509 *req_signer;
	X509_NAME *poll_issuer, *poll_subject;
	X509 *issued; /* kept per transaction: a retransmission gets the same certificate */
	char issued_tid[CL_SCEP_TID_MAX + 1];
};

static inline void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ca_key = fx_rsa();
	f->ra_key = fx_rsa();
	f->other_key = fx_rsa();
	f->ca = fx_issue(f->ca_key, "Test SCEP CA", NULL, f->ca_key, 1, "critical,keyCertSign,cRLSign");
	f->ra = fx_issue(f->ra_key, "Test SCEP RA", f->ca, f->ca_key, 0,
	                 "critical,digitalSignature,keyEncipherment");
	f->other_ca =
	    fx_issue(f->other_key, "Other CA", NULL, f->other_key, 1, "critical,keyCertSign,cRLSign");
	f->caps = "POSTPKIOperation\nSHA-256\nSHA-1\nAES\nDES3\nRenewal\nSCEPStandard\n";
	f->fail_info = -1;
	f->reply_cipher = EVP_aes_128_cbc();
}

static inline void fake_reset(struct fake *f)
{
	X509_REQ_free(f->csr);
	X509_free(f->req_signer);
	X509_NAME_free(f->poll_issuer);
	X509_NAME_free(f->poll_subject);
	X509_free(f->issued);
	f->csr = NULL;
	f->req_signer = NULL;
	f->poll_issuer = f->poll_subject = NULL;
	f->issued = NULL;
	f->issued_tid[0] = '\0';
	f->requests = f->gets = f->posts = 0;
	f->tid[0] = '\0';
	f->tid_changed = 0;
	f->pending = 0;
	f->fail_info = -1;
	f->bad_alg_for_aes256 = 0;
	f->tamper = FX_NONE;
	f->cancel_on_pending = NULL;
	f->with_ra = f->foreign_ra = 0;
	f->reply_cipher = EVP_aes_128_cbc();
	f->caps = "POSTPKIOperation\nSHA-256\nSHA-1\nAES\nDES3\nRenewal\nSCEPStandard\n";
}

static inline void fake_free(struct fake *f)
{
	fake_reset(f);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->ra_key);
	EVP_PKEY_free(f->other_key);
	X509_free(f->ca);
	X509_free(f->ra);
	X509_free(f->other_ca);
}

static inline enum cl_status fx_reply(struct cl_scep_http_reply *r, long status, const char *type,
                                      const void *body, size_t len)
{
	r->status = status;
	snprintf(r->content_type, sizeof(r->content_type), "%s", type);
	r->body = malloc(len + 1);
	memcpy(r->body, body, len);
	r->len = len;
	return CL_OK;
}

static inline int fx_digest_nid(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	X509_ALGOR *dig = NULL;
	const ASN1_OBJECT *obj = NULL;
	int nid = NID_undef;

	if (cms && sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) == 1) {
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), NULL, NULL,
		                         &dig, NULL);
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		nid = OBJ_obj2nid(obj);
	}
	CMS_ContentInfo_free(cms);
	return nid;
}

/* The message of a GET PKIOperation: percent-decoded, then base64. */
static inline unsigned char *fx_get_message(const char *url, size_t *len)
{
	const char *m = strstr(url, "&message=");
	char *b64;
	unsigned char *der;
	size_t n = 0;
	int l, pad = 0;

	if (!m)
		return NULL;
	m += 9;
	b64 = calloc(1, strlen(m) + 1);
	for (const char *p = m; *p; p++) {
		unsigned v;

		if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1) {
			b64[n++] = (char)v;
			p += 2;
		} else {
			b64[n++] = *p;
		}
	}
	der = malloc(n);
	l = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n);
	while (n > 0 && b64[n - 1] == '=') {
		pad++;
		n--;
	}
	free(b64);
	*len = l > 0 ? (size_t)(l - pad) : 0;
	return der;
}

static inline void fx_record_content(struct fake *f, const struct cl_scepmsg_in *in)
{
	EVP_PKEY *key = f->with_ra ? f->ra_key : f->ca_key;
	X509 *cert = f->with_ra ? f->ra : f->ca;
	unsigned char *plain = NULL;
	const unsigned char *p;
	size_t plain_len = 0;
	int nid = NID_undef;

	if (cl_scepmsg_decrypt(in->envelope, in->envelope_len, key, cert, &plain, &plain_len, &nid, NULL) !=
	    CL_OK)
		return;
	f->envelope_nid[f->requests - 1] = nid;
	p = plain;
	if (in->message_type == CL_SCEP_CERTPOLL) {
		long l;
		int tag, cls;

		/* IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name } */
		if (ASN1_get_object(&p, &l, &tag, &cls, (long)plain_len) == V_ASN1_CONSTRUCTED &&
		    tag == V_ASN1_SEQUENCE) {
			X509_NAME_free(f->poll_issuer);
			X509_NAME_free(f->poll_subject);
			f->poll_issuer = d2i_X509_NAME(NULL, &p, l);
			f->poll_subject = d2i_X509_NAME(NULL, &p, (long)(plain + plain_len - p));
		}
	} else {
		X509_REQ_free(f->csr);
		f->csr = d2i_X509_REQ(NULL, &p, (long)plain_len);
	}
	cl_scepmsg_plain_free(plain, plain_len);
}

/* The certificate to return: the one already issued to this transactionID, or a new one. */
static inline X509 *fx_issued(struct fake *f)
{
	EVP_PKEY *pub;
	X509_NAME *subj;
	char cn[256] = "x";
	X509 *x;

	if (f->issued && strcmp(f->issued_tid, f->tid) == 0 && f->tamper == FX_NONE)
		return f->issued;
	if (!f->csr)
		return NULL;
	pub = f->tamper == FX_OTHER_KEY ? f->other_key : X509_REQ_get0_pubkey(f->csr);
	subj = X509_REQ_get_subject_name(f->csr);
	X509_NAME_get_text_by_NID(subj, NID_commonName, cn, sizeof(cn));
	x = f->tamper == FX_OTHER_CA ? fx_issue(pub, cn, f->other_ca, f->other_key, 0, NULL)
	                             : fx_issue(pub, cn, f->ca, f->ca_key, 0, "critical,digitalSignature");
	X509_free(f->issued);
	f->issued = x;
	snprintf(f->issued_tid, sizeof(f->issued_tid), "%s", f->tid);
	return x;
}

static inline enum cl_status fx_pki_operation(struct fake *f, const unsigned char *der, size_t len,
                                              struct cl_scep_http_reply *r)
{
	struct cl_scepmsg_in in;
	unsigned char nonce[CL_SCEP_NONCE_LEN], other_nonce[CL_SCEP_NONCE_LEN], *out = NULL, *certs = NULL;
	size_t out_len = 0, certs_len = 0;
	struct cl_scepmsg_out rep = {
		.message_type = CL_SCEP_CERTREP, .sender_nonce = nonce, .fail_info = -1, .md = EVP_sha256()
	};
	X509 *issued;
	enum cl_status st;

	if (f->tamper == FX_HTTP_500)
		return fx_reply(r, 500, "text/plain", "oops", 4);
	if (f->tamper == FX_HTTP_404)
		return fx_reply(r, 404, "text/plain", "no", 2);
	/* a server verifies with the certificate in the request itself */
	if (cl_scepmsg_parse(der, len, NULL, &in, NULL) != CL_OK)
		return fx_reply(r, 400, "text/plain", "bad", 3);
	f->requests++;
	f->types[f->requests - 1] = in.message_type;
	if (f->tid[0] && strcmp(f->tid, in.transaction_id) != 0)
		f->tid_changed = 1;
	snprintf(f->tid, sizeof(f->tid), "%s", in.transaction_id);
	X509_free(f->req_signer);
	f->req_signer = in.signer;
	X509_up_ref(in.signer);
	f->digest_nid = fx_digest_nid(der, len);
	fx_record_content(f, &in);
	RAND_bytes(nonce, sizeof(nonce));
	RAND_bytes(other_nonce, sizeof(other_nonce));
	rep.transaction_id = f->tamper == FX_WRONG_TID ? "not-your-transaction" : in.transaction_id;
	rep.recipient_nonce = f->tamper == FX_WRONG_NONCE          ? other_nonce
	                      : f->tamper == FX_NO_RECIPIENT_NONCE ? NULL
	                                                           : in.sender_nonce;
	if (f->tamper == FX_WRONG_TYPE)
		rep.message_type = CL_SCEP_PKCSREQ;
	rep.signer_cert = f->with_ra ? f->ra : f->ca;
	rep.signer_key = f->with_ra ? f->ra_key : f->ca_key;
	if (f->tamper == FX_FOREIGN_SIGNER) {
		rep.signer_cert = f->other_ca;
		rep.signer_key = f->other_key;
	}
	if (!EVP_PKEY_is_a(X509_get0_pubkey(in.signer), "RSA")) {
		/* like certlink-server and micromdm's scepserver: only RSA signers, whose key takes the
		 * CertRep's RSA key transport */
		rep.pki_status = CL_SCEP_FAILURE;
		rep.fail_info = CL_SCEP_BAD_ALG;
	} else if (f->bad_alg_for_aes256 && f->envelope_nid[f->requests - 1] == NID_aes_256_cbc) {
		rep.pki_status = CL_SCEP_FAILURE;
		rep.fail_info = CL_SCEP_BAD_ALG;
	} else if (f->pending > 0) {
		f->pending--;
		rep.pki_status = CL_SCEP_PENDING;
		cl_cancel_request(f->cancel_on_pending);
	} else if (f->fail_info >= 0) {
		rep.pki_status = CL_SCEP_FAILURE;
		rep.fail_info = f->fail_info;
	} else {
		rep.pki_status = f->tamper == FX_BAD_STATUS ? 7 : CL_SCEP_SUCCESS;
		if (f->tamper != FX_SUCCESS_EMPTY && (issued = fx_issued(f)) != NULL) {
			X509 *list[2] = { issued, f->ca };

			certs = fx_certs_p7(list, 2, &certs_len);
			rep.content = certs;
			rep.content_len = certs_len;
			rep.recipient = in.signer; /* encrypted to the request's signer */
			rep.cipher = f->reply_cipher;
		}
	}
	st = cl_scepmsg_build(&rep, &out, &out_len, NULL);
	cl_scepmsg_in_clear(&in);
	OPENSSL_free(certs);
	if (st != CL_OK)
		return fx_reply(r, 500, "text/plain", "build", 5);
	switch (f->tamper) {
	case FX_GARBAGE:
		memset(out, 'A', out_len);
		break;
	case FX_TRUNCATED:
		out_len /= 2;
		break;
	case FX_FLIPPED_BYTE:
		out[out_len - 40] ^= 0x01; /* inside the signature value */
		break;
	case FX_OVERSIZED: {
		unsigned char *big = calloc(1, CL_SCEP_MAX_MESSAGE + 1);

		memcpy(big, out, out_len);
		fx_reply(r, 200, "application/x-pki-message", big, CL_SCEP_MAX_MESSAGE + 1);
		free(big);
		OPENSSL_free(out);
		return CL_OK;
	}
	default:
		break;
	}
	fx_reply(r, 200, "application/x-pki-message", out, out_len);
	OPENSSL_free(out);
	return CL_OK;
}

static inline enum cl_status fake_request(void *ctx, const char *url, const char *content_type,
                                          const unsigned char *body, size_t len, size_t max_body,
                                          struct cl_scep_http_reply *r, struct cl_error *err)
{
	struct fake *f = ctx;
	enum cl_status st;

	memset(r, 0, sizeof(*r));
	if (body)
		f->posts++;
	else
		f->gets++;
	if (strstr(url, "operation=GetCACaps"))
		st = fx_reply(r, 200, "text/plain", f->caps, strlen(f->caps));
	else if (strstr(url, "operation=GetCACert") && !f->with_ra) {
		unsigned char *der = NULL;
		int l = i2d_X509(f->ca, &der);

		st = fx_reply(r, 200, "application/x-x509-ca-cert", der, (size_t)l);
		OPENSSL_free(der);
	} else if (strstr(url, "operation=GetCACert")) {
		X509 *list[3] = { f->ra, f->ca, NULL };
		EVP_PKEY *k = NULL;
		size_t l = 0;
		unsigned char *der;

		if (f->foreign_ra) { /* an RA-looking certificate from another CA, listed first */
			k = fx_rsa();
			list[2] = list[1];
			list[1] = list[0];
			list[0] = fx_issue(k, "Foreign RA", f->other_ca, f->other_key, 0,
			                   "critical,digitalSignature,keyEncipherment");
		}
		der = fx_certs_p7(list, f->foreign_ra ? 3 : 2, &l);
		st = fx_reply(r, 200, "application/x-x509-ca-ra-cert", der, l);
		OPENSSL_free(der);
		if (f->foreign_ra)
			X509_free(list[0]);
		EVP_PKEY_free(k);
	} else if (strstr(url, "operation=PKIOperation")) {
		size_t n = 0;
		unsigned char *der = body ? NULL : fx_get_message(url, &n);

		if (body && strcmp(content_type, "application/x-pki-message") != 0)
			st = fx_reply(r, 415, "text/plain", "type", 4);
		else
			st = fx_pki_operation(f, body ? body : der, body ? len : n, r);
		free(der);
	} else {
		st = fx_reply(r, 404, "text/plain", "?", 1);
	}
	if (st == CL_OK && r->len > max_body) {
		cl_scep_http_reply_clear(r);
		return cl_error_set(err, CL_E_REFUSED, "reply larger than %zu bytes", max_body);
	}
	return st;
}

#endif
