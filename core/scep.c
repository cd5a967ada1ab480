/* certlink core: the SCEP client (see scep.h). */
#include "scep.h"

#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

#include "cancel.h"
#include "csr.h"
#include "http.h"
#include "key.h"

#define CAPS_OP   "GetCACaps"
#define CACERT_OP "GetCACert"
#define PKI_OP    "PKIOperation"
#define URL_MAX   (128 * 1024) /* a GET PKIOperation carries the message base64 in the URL */

void cl_scep_http_reply_clear(struct cl_scep_http_reply *reply)
{
	if (!reply)
		return;
	free(reply->body);
	memset(reply, 0, sizeof(*reply));
}

void cl_scep_result_clear(struct cl_scep_result *result)
{
	if (!result)
		return;
	X509_free(result->cert);
	X509_free(result->ca);
	sk_X509_pop_free(result->chain, X509_free);
	memset(result, 0, sizeof(*result));
}

static void logf_(const struct cl_scep_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(const struct cl_scep_params *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!p || !p->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->log(p->log_ctx, line);
}

/* ---- HTTP ---- */

static char *op_url(const char *base, const char *op, const char *message)
{
	const char *sep = strchr(base, '?') ? "&" : "?";
	size_t len = strlen(base) + strlen(op) + 32 + (message ? strlen(message) : 0);
	char *url;

	if (len > URL_MAX || !(url = malloc(len)))
		return NULL;
	snprintf(url, len, "%s%soperation=%s%s%s", base, sep, op, message ? "&message=" : "",
	         message ? message : "");
	return url;
}

/* base64, then percent-encoded for a query string (RFC 8894 4.1: '+', '/' and '=' escaped). */
static char *url_base64(const unsigned char *der, size_t len)
{
	size_t b64_len = 4 * ((len + 2) / 3);
	unsigned char *b64 = malloc(b64_len + 1);
	char *out = malloc(3 * b64_len + 1), *o = out;

	if (!b64 || !out || len > INT32_MAX / 2) {
		free(b64);
		free(out);
		return NULL;
	}
	EVP_EncodeBlock(b64, der, (int)len);
	for (size_t i = 0; i < b64_len; i++) {
		if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=')
			o += sprintf(o, "%%%02X", b64[i]);
		else
			*o++ = (char)b64[i];
	}
	*o = '\0';
	free(b64);
	return out;
}

/* One exchange; the reply must be HTTP 200. HTTP 5xx and 429 may pass: CL_E_RETRY_LATER. */
static enum cl_status exchange(const struct cl_scep_transport *t, const char *url, const char *content_type,
                               const unsigned char *body, size_t len, size_t max,
                               struct cl_scep_http_reply *reply, struct cl_error *err)
{
	enum cl_status st;

	memset(reply, 0, sizeof(*reply));
	st = t->request(t->ctx, url, content_type, body, len, max, reply, err);
	if (st != CL_OK)
		return st;
	if (reply->status == 200)
		return CL_OK;
	st = reply->status >= 500 || reply->status == 429 ? CL_E_RETRY_LATER : CL_E_REFUSED;
	cl_error_set(err, st, "server answered HTTP %ld", reply->status);
	cl_scep_http_reply_clear(reply);
	return st;
}

static void resolve_transport(const struct cl_scep_transport *in, struct cl_scep_transport *out,
                              struct cl_scep_http *http)
{
	if (in)
		*out = *in;
	else
		cl_scep_transport_default(out, http);
}

enum cl_status cl_scep_get_caps(const char *url, const struct cl_scep_transport *transport, unsigned *caps,
                                struct cl_error *err)
{
	struct cl_scep_http_reply reply;
	struct cl_scep_transport t;
	char *u = op_url(url, CAPS_OP, NULL);
	enum cl_status st;

	*caps = 0;
	resolve_transport(transport, &t, NULL);
	if (!u)
		return cl_error_set(err, CL_E_LOCAL, "SCEP " CAPS_OP ": URL too long");
	st = exchange(&t, u, NULL, NULL, 0, CL_SCEP_MAX_CAPS, &reply, err);
	free(u);
	if (st == CL_OK)
		st = cl_scepmsg_parse_caps(reply.body, reply.len, caps, err);
	cl_scep_http_reply_clear(&reply);
	if (st != CL_OK)
		cl_error_prefix(err, "SCEP " CAPS_OP);
	return st;
}

enum cl_status cl_scep_get_ca(const char *url, const struct cl_scep_transport *transport,
                              const unsigned char ca_sha256[CL_SCEP_FP_LEN], struct cl_scepcert_ca *ca,
                              struct cl_error *err)
{
	struct cl_scep_http_reply reply;
	struct cl_scep_transport t;
	char *u = op_url(url, CACERT_OP, NULL);
	enum cl_status st;

	memset(ca, 0, sizeof(*ca));
	resolve_transport(transport, &t, NULL);
	if (!u)
		return cl_error_set(err, CL_E_LOCAL, "SCEP " CACERT_OP ": URL too long");
	st = exchange(&t, u, NULL, NULL, 0, CL_SCEP_MAX_MESSAGE, &reply, err);
	free(u);
	if (st == CL_OK)
		st = cl_scepcert_parse_cacert(reply.body, reply.len, reply.content_type, ca_sha256, ca, err);
	cl_scep_http_reply_clear(&reply);
	if (st != CL_OK)
		cl_error_prefix(err, "SCEP " CACERT_OP);
	return st;
}

/* ---- transactionID ---- */

static void hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

enum cl_status cl_scep_transaction_id_from_key(EVP_PKEY *key, char out[CL_SCEP_TID_SIZE],
                                               struct cl_error *err)
{
	unsigned char *spki = NULL, md[32];
	int len = i2d_PUBKEY(key, &spki);
	int ok = len > 0 && EVP_Digest(spki, (size_t)len, md, NULL, EVP_sha256(), NULL);

	OPENSSL_free(spki);
	if (!ok)
		return cl_error_set_openssl(err, CL_E_LOCAL, "deriving the SCEP transactionID");
	hex(md, sizeof(md), out);
	return CL_OK;
}

enum cl_status cl_scep_transaction_id_random(char out[CL_SCEP_TID_SIZE], struct cl_error *err)
{
	unsigned char rnd[32];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "making a SCEP transactionID");
	hex(rnd, sizeof(rnd), out);
	return CL_OK;
}

/* ---- the transaction ---- */

/* Everything one transaction holds; released by txn_clear(). */
struct txn {
	const struct cl_scep_params *p;
	struct cl_scep_transport t;
	struct cl_scep_http http; /* the default transport's settings when params->transport is NULL */
	unsigned caps;
	struct cl_scepmsg_algs algs;
	struct cl_scepcert_ca ca;
	X509 *signer_cert;       /* self-signed (PKCSReq) or the current certificate (renewal) */
	EVP_PKEY *signer_key;    /* not owned */
	EVP_PKEY *own_transport; /* a transport key made here (params gave none), freed with the txn */
	bool transport;          /* signer_key is a transport key */
	unsigned char *csr_der;  /* holds the challenge: wiped */
	size_t csr_len;
	unsigned char *poll_der; /* IssuerAndSubject for CertPoll */
	size_t poll_len;
	int type;       /* message type being sent */
	const char *op; /* its name for messages */
};

static void txn_clear(struct txn *x)
{
	cl_scep_http_clear(&x->http);
	cl_scepcert_ca_clear(&x->ca);
	X509_free(x->signer_cert);
	EVP_PKEY_free(x->own_transport);
	cl_csr_der_free(x->csr_der, x->csr_len);
	OPENSSL_free(x->poll_der);
}

static enum cl_status check_params(const struct cl_scep_params *p, struct cl_error *err)
{
	EVP_PKEY *req_key;
	size_t tid_len;

	if (!p->url || !p->ca_sha256 || !p->key || !p->csr || !p->transaction_id)
		return cl_error_set(err, CL_E_LOCAL,
		                    "SCEP: url, CA fingerprint, key, request and transactionID "
		                    "are required");
	if (!p->renew_cert != !p->renew_key)
		return cl_error_set(err, CL_E_LOCAL,
		                    "SCEP: a renewal needs both the current certificate and key");
	tid_len = strnlen(p->transaction_id, CL_SCEP_TID_MAX + 1);
	if (tid_len == 0 || tid_len > CL_SCEP_TID_MAX)
		return cl_error_set(err, CL_E_LOCAL, "SCEP: transactionID must be 1 to %d characters",
		                    CL_SCEP_TID_MAX);
	req_key = X509_REQ_get0_pubkey(p->csr);
	if (!req_key || EVP_PKEY_eq(req_key, p->key) != 1)
		return cl_error_set(err, CL_E_LOCAL,
		                    "SCEP: the certificate request is not for the given key");
	if (p->renew_cert && X509_check_private_key(p->renew_cert, p->renew_key) != 1) {
		ERR_clear_error();
		return cl_error_set(err, CL_E_LOCAL, "SCEP: the current certificate and key do not match");
	}
	if (p->transport_key && !EVP_PKEY_is_a(p->transport_key, "RSA"))
		return cl_error_set(err, CL_E_LOCAL, "SCEP: the transport key must be RSA");
	return CL_OK;
}

static void log_caps(const struct txn *x)
{
	logf_(x->p, "GetCACaps:%s%s%s%s%s%s%s%s%s", x->caps & CL_SCEP_CAP_STANDARD ? " SCEPStandard" : "",
	      x->caps & CL_SCEP_CAP_POST ? " POSTPKIOperation" : "",
	      x->caps & CL_SCEP_CAP_RENEWAL ? " Renewal" : "", x->caps & CL_SCEP_CAP_AES ? " AES" : "",
	      x->caps & CL_SCEP_CAP_DES3 ? " DES3" : "", x->caps & CL_SCEP_CAP_SHA512 ? " SHA-512" : "",
	      x->caps & CL_SCEP_CAP_SHA256 ? " SHA-256" : "", x->caps & CL_SCEP_CAP_SHA1 ? " SHA-1" : "",
	      x->caps ? "" : " (none)");
}

/* Which certificate signs the pkiMessage, and so receives the CertRep. RFC 8894 section 2.3: the client
 * signs with "an appropriate existing certificate" (for a RenewalReq, the one being renewed) or else with "a
 * locally generated self-signed certificate", which "SHOULD use the same subject name and key as in the
 * PKCS #10 request", and "if the key being certified allows encryption, then the CA's CertResp will use the
 * same certificate's public key when encrypting the response". An EC key cannot receive the RSA key
 * transport SCEP servers encrypt with, and they refuse ECDSA-signed pkiMessages (certlink-server with
 * badAlg; micromdm's scepserver is RSA-only), so for a key that is not RSA a throw-away RSA transport key
 * signs in the self-signed certificate's place and decrypts the CertRep. The PKCS#10 inside stays signed by
 * the key being certified (proof of possession), and cl_scepcert_pick_issued() checks that the certificate
 * issued carries that key, not the transport key. An EC certificate being renewed cannot sign either: the
 * renewal then goes as a PKCSReq signed like a first enrollment, authorised by the renewal application's
 * challenge in the request (docs/protocol.md section 7). So does a key whose private half is not here
 * (key_elsewhere): a transport key signs, the request inside carries the helper's signature. */
static enum cl_status choose_signer(struct txn *x, struct cl_error *err)
{
	static const struct cl_key_spec transport_spec = { CL_KEY_RSA, 2048 };
	const struct cl_scep_params *p = x->p;
	enum cl_status st;

	if (p->renew_cert && EVP_PKEY_is_a(p->renew_key, "RSA")) {
		/* without the Renewal capability, a PKCSReq signed with the current certificate (2.3) */
		x->type = x->caps & CL_SCEP_CAP_RENEWAL ? CL_SCEP_RENEWALREQ : CL_SCEP_PKCSREQ;
		if (!X509_up_ref(p->renew_cert))
			return cl_error_set(err, CL_E_UNEXPECTED, "SCEP: certificate reference");
		x->signer_cert = p->renew_cert;
		x->signer_key = p->renew_key;
		return CL_OK;
	}
	x->type = CL_SCEP_PKCSREQ;
	if (p->renew_cert)
		logf_(p,
		      "the current certificate's key is not RSA: renewing with a PKCSReq that the renewal's "
		      "challenge authorises");
	if (EVP_PKEY_is_a(p->key, "RSA") && !p->key_elsewhere) {
		x->signer_key = p->key;
	} else if (p->transport_key) {
		x->signer_key = p->transport_key;
		x->transport = true;
	} else {
		if ((st = cl_key_generate(&transport_spec, &x->own_transport, err)) != CL_OK) {
			cl_error_prefix(err, "SCEP transport key");
			return st;
		}
		x->signer_key = x->own_transport;
		x->transport = true;
	}
	if (x->transport)
		logf_(p, "%s: signing with a throw-away RSA transport key",
		      p->key_elsewhere ? "the key is the computer store's" : "the key is not RSA");
	return cl_scepcert_self_signed(x->signer_key, X509_REQ_get_subject_name(p->csr), x->algs.md,
	                               &x->signer_cert, err);
}

static enum cl_status setup(struct txn *x, struct cl_error *err)
{
	const struct cl_scep_params *p = x->p;
	enum cl_status st;

	if ((st = cl_scep_get_caps(p->url, &x->t, &x->caps, err)) != CL_OK)
		return st;
	log_caps(x);
	if ((st = cl_scepmsg_choose_algs(x->caps, false, &x->algs, err)) != CL_OK) {
		cl_error_prefix(err, "SCEP");
		return st;
	}
	if ((st = cl_scep_get_ca(p->url, &x->t, p->ca_sha256, &x->ca, err)) != CL_OK)
		return st;
	logf_(p, "GetCACert: %d certificate(s), CA found by fingerprint, encrypting to the %s",
	      sk_X509_num(x->ca.certs), x->ca.recipient == x->ca.ca ? "CA" : "RA");
	if ((st = choose_signer(x, err)) != CL_OK)
		return st;
	x->op = cl_scep_message_type_name(x->type);
	return cl_csr_to_der(p->csr, &x->csr_der, &x->csr_len, err);
}

/* Sends one pkiMessage of type x->type and returns the verified, checked CertRep. */
static enum cl_status send_message(struct txn *x, struct cl_scepmsg_in *rep, struct cl_error *err)
{
	unsigned char nonce[CL_SCEP_NONCE_LEN], *der = NULL;
	size_t der_len = 0;
	struct cl_scepmsg_out msg = {
		.message_type = x->type,
		.transaction_id = x->p->transaction_id,
		.sender_nonce = nonce,
		.pki_status = -1,
		.fail_info = -1,
		.content = x->type == CL_SCEP_CERTPOLL ? x->poll_der : x->csr_der,
		.content_len = x->type == CL_SCEP_CERTPOLL ? x->poll_len : x->csr_len,
		.recipient = x->ca.recipient,
		.cipher = x->algs.cipher,
		.signer_cert = x->signer_cert,
		.signer_key = x->signer_key,
		.md = x->algs.md,
	};
	struct cl_scep_http_reply reply = { 0 };
	char *url = NULL, *b64 = NULL;
	enum cl_status st;

	if (cl_cancel_requested(x->p->cancel))
		return cl_error_set(err, CL_E_CANCELLED, "cancelled");
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "making a nonce");
	if ((st = cl_scepmsg_build(&msg, &der, &der_len, err)) != CL_OK)
		return st;
	if (x->algs.post) {
		url = op_url(x->p->url, PKI_OP, NULL);
	} else if ((b64 = url_base64(der, der_len)) != NULL) {
		url = op_url(x->p->url, PKI_OP, b64);
	}
	if (!url) {
		st = cl_error_set(err, CL_E_LOCAL, "the SCEP message does not fit in a URL");
		goto out;
	}
	logf_(x->p, "%s: %zu bytes, %s/%s, HTTP %s", x->op, der_len, x->algs.cipher_name, x->algs.md_name,
	      x->algs.post ? "POST" : "GET");
	st = x->algs.post ? exchange(&x->t, url, CL_SCEP_CONTENT_MESSAGE, der, der_len, CL_SCEP_MAX_MESSAGE,
	                             &reply, err)
	                  : exchange(&x->t, url, NULL, NULL, 0, CL_SCEP_MAX_MESSAGE, &reply, err);
	if (st != CL_OK)
		goto out;
	if (strncasecmp(reply.content_type, CL_SCEP_CONTENT_MESSAGE, strlen(CL_SCEP_CONTENT_MESSAGE)) != 0)
		logf_(x->p, "%s: reply content type is \"%.64s\", parsing it anyway", x->op,
		      reply.content_type);
	if ((st = cl_scepmsg_parse(reply.body, reply.len, x->ca.signers, rep, err)) != CL_OK)
		goto out;
	if ((st = cl_scepmsg_check_certrep(rep, x->p->transaction_id, nonce, err)) != CL_OK)
		cl_scepmsg_in_clear(rep);
out:
	cl_scep_http_reply_clear(&reply);
	free(url);
	free(b64);
	OPENSSL_free(der);
	return st;
}

static enum cl_status take_certificate(struct txn *x, const struct cl_scepmsg_in *rep,
                                       struct cl_scep_result *res, struct cl_error *err)
{
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	STACK_OF(X509) *certs = NULL;
	int nid = NID_undef;
	enum cl_status st;

	/* The CertRep is encrypted to the certificate that signed the request. */
	st = cl_scepmsg_decrypt(rep->envelope, rep->envelope_len, x->signer_key, x->signer_cert, &plain,
	                        &plain_len, &nid, err);
	if (nid != NID_undef)
		logf_(x->p, "%s: reply encrypted with %s", x->op, OBJ_nid2sn(nid));
	if (st == CL_OK)
		st = cl_scepcert_parse_certs(plain, plain_len, &certs, err);
	if (st == CL_OK)
		st = cl_scepcert_pick_issued(certs, x->p->key, &x->ca, &res->cert, err);
	if (st == CL_OK && (!(res->chain = sk_X509_new_null()) || !X509_up_ref(x->ca.ca)))
		st = cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
	if (st == CL_OK) {
		res->ca = x->ca.ca;
		for (int i = 0; i < sk_X509_num(certs); i++) {
			X509 *c = sk_X509_value(certs, i);

			if (X509_cmp(c, res->cert) != 0 && X509_up_ref(c) && !sk_X509_push(res->chain, c))
				X509_free(c);
		}
	}
	sk_X509_pop_free(certs, X509_free);
	cl_scepmsg_plain_free(plain, plain_len);
	return st;
}

static enum cl_status default_wait(void *ctx, unsigned seconds, struct cl_error *err);

/* 5, 10, 20, 40, 60, 60, ... seconds (docs/protocol.md section 7). */
static unsigned next_interval(unsigned previous)
{
	if (previous == 0)
		return 5;
	return previous >= 30 ? 60 : previous * 2;
}

static enum cl_status failure(const struct txn *x, const struct cl_scepmsg_in *rep, struct cl_error *err)
{
	const char *name = cl_scep_fail_info_name(rep->fail_info);
	char what[32];

	if (name)
		snprintf(what, sizeof(what), "%s", name);
	else if (rep->fail_info < 0)
		snprintf(what, sizeof(what), "%s", dgettext("certlink", "(no failInfo)"));
	else
		snprintf(what, sizeof(what), "failInfo %d", rep->fail_info);
	cl_error_set(err, CL_E_REFUSED, "server answered FAILURE %s%s%s%s", what,
	             rep->fail_text[0] ? " (\"" : "", rep->fail_text, rep->fail_text[0] ? "\")" : "");
	cl_error_set_code(err, name ? name : "scep_failure");
	return CL_E_REFUSED;
}

static enum cl_status run(struct txn *x, struct cl_scep_result *res, struct cl_error *err)
{
	const struct cl_scep_params *p = x->p;
	unsigned timeout = p->poll_timeout ? p->poll_timeout : CL_SCEP_POLL_DEFAULT, waited = 0, interval = 0;
	bool tried_aes128 = false;
	struct cl_scepmsg_in rep;
	enum cl_status st;

	for (;;) {
		if ((st = send_message(x, &rep, err)) != CL_OK)
			return st;
		if (rep.pki_status == CL_SCEP_SUCCESS) {
			st = take_certificate(x, &rep, res, err);
			cl_scepmsg_in_clear(&rep);
			return st;
		}
		if (rep.pki_status == CL_SCEP_FAILURE) {
			/* "AES" in GetCACaps names AES-128 (RFC 8894); we send AES-256 first and step down
			 * once. */
			if (rep.fail_info == CL_SCEP_BAD_ALG && x->algs.cipher == EVP_aes_256_cbc() &&
			    !tried_aes128 && x->type != CL_SCEP_CERTPOLL) {
				tried_aes128 = true;
				cl_scepmsg_in_clear(&rep);
				logf_(p, "%s: FAILURE badAlg with AES-256-CBC, retrying with AES-128-CBC",
				      x->op);
				if ((st = cl_scepmsg_choose_algs(x->caps, true, &x->algs, err)) != CL_OK)
					return st;
				continue;
			}
			st = failure(x, &rep, err);
			cl_scepmsg_in_clear(&rep);
			return st;
		}
		cl_scepmsg_in_clear(&rep); /* PENDING */
		interval = next_interval(interval);
		if (waited + interval > timeout)
			return cl_error_set(err, CL_E_RETRY_LATER,
			                    "server still answers PENDING after %u s; the "
			                    "request stays recorded, try again later",
			                    waited);
		logf_(p, "%s: PENDING, next CertPoll in %u s", x->op, interval);
		st = p->wait ? p->wait(p->wait_ctx, interval, err) : default_wait(p->cancel, interval, err);
		if (st != CL_OK)
			return st;
		waited += interval;
		if (!x->poll_der && (st = cl_scepmsg_issuer_and_subject(
		                         X509_get_subject_name(x->ca.ca), X509_REQ_get_subject_name(p->csr),
		                         &x->poll_der, &x->poll_len, err)) != CL_OK)
			return st;
		x->type = CL_SCEP_CERTPOLL;
		x->op = cl_scep_message_type_name(x->type);
		res->polls++;
	}
}

enum cl_status cl_scep_enroll(const struct cl_scep_params *params, struct cl_scep_result *result,
                              struct cl_error *err)
{
	struct txn x = { .p = params };
	enum cl_status st;

	memset(result, 0, sizeof(*result));
	if ((st = check_params(params, err)) != CL_OK)
		return st;
	x.http.cancel = params->cancel;
	resolve_transport(params->transport, &x.t, &x.http);
	st = setup(&x, err);
	if (st == CL_OK) {
		result->request_type = x.type;
		result->transport_signed = x.transport;
		st = run(&x, result, err);
		if (st != CL_OK && x.op)
			cl_error_prefix(err, "SCEP %s", x.op);
	}
	if (st == CL_OK) {
		snprintf(result->cipher, sizeof(result->cipher), "%s", x.algs.cipher_name);
		snprintf(result->digest, sizeof(result->digest), "%s", x.algs.md_name);
		logf_(params, "%s: SUCCESS after %d CertPoll(s)",
		      cl_scep_message_type_name(result->request_type), result->polls);
	} else {
		cl_scep_result_clear(result);
	}
	txn_clear(&x);
	return st;
}

/* ---- default transport and wait ---- */

static enum cl_status http_request(void *ctx, const char *url, const char *content_type,
                                   const unsigned char *body, size_t len, size_t max_body,
                                   struct cl_scep_http_reply *reply, struct cl_error *err)
{
	static const struct cl_scep_http none;
	struct cl_scep_http *h = ctx;
	const struct cl_scep_http *set = h ? h : &none;
	struct cl_http_options opts = {
		.max_body = max_body,
		.no_proxy = set->no_proxy,
		.cancel = set->cancel,
		.debug = set->debug,
		.debug_data = set->debug_data,
	};
	struct cl_http_request req = {
		.method = body ? "POST" : "GET",
		.url = url,
		.content_type = content_type,
		.body = body,
		.body_len = len,
		.ca_pem = set->ca_pem,
		.ca_pem_len = set->ca_pem_len,
		.opts = &opts,
	};
	struct cl_http_response resp;
	enum cl_status st;

	if (h && !h->client && !(h->client = cl_http_client_new(err)))
		return CL_E_LOCAL;
	st = h ? cl_http_client_request(h->client, &req, &resp, err) : cl_http_request(&req, &resp, err);
	memset(reply, 0, sizeof(*reply));
	if (st == CL_OK) {
		/* the body moves over: SCEP replies hold no secret, so it need not be wiped on the way */
		reply->status = resp.status;
		snprintf(reply->content_type, sizeof(reply->content_type), "%s", resp.content_type);
		reply->body = (unsigned char *)resp.body;
		reply->len = resp.body_len;
		resp.body = NULL;
		resp.body_len = 0;
		if (!reply->body && !(reply->body = calloc(1, 1)))
			st = cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
	}
	cl_http_response_free(&resp);
	return st;
}

void cl_scep_transport_default(struct cl_scep_transport *transport, struct cl_scep_http *http)
{
	transport->request = http_request;
	transport->ctx = http;
}

void cl_scep_http_clear(struct cl_scep_http *http)
{
	if (!http)
		return;
	cl_http_client_free(http->client);
	http->client = NULL;
}

static enum cl_status default_wait(void *ctx, unsigned seconds, struct cl_error *err)
{
	if (cl_cancel_sleep(ctx, 1000UL * seconds))
		return cl_error_set(err, CL_E_CANCELLED, "cancelled while waiting for the next CertPoll");
	return CL_OK;
}
