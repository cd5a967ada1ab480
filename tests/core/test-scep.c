/* Unit tests of core/scep.c: the SCEP transaction against an in-process server (scep-fixture.h).
 *
 * What a CA would see (message types, transactionID, algorithms, the request and its challenge, the signer),
 * what the client does with PENDING (the 5, 10, 20, 40, 60 ... backoff, its cap, cancel), FAILURE (failInfo
 * by name), and every CertRep it must refuse: wrong transactionID, wrong nonce, wrong type, foreign or broken
 * signature, garbage, truncated, oversized, a certificate for another key or from another CA. */
#include "check.h"
#include "csr.h"
#include "scep-fixture.h"

#include <openssl/rand.h>

struct waits {
	unsigned seconds[32];
	int n;
	int cancel_at; /* 1-based wait that returns CL_E_CANCELLED; 0: never */
};

static enum cl_status record_wait(void *ctx, unsigned seconds, struct cl_error *err)
{
	struct waits *w = ctx;

	if (w->n < 32)
		w->seconds[w->n] = seconds;
	w->n++;
	if (w->cancel_at && w->n == w->cancel_at)
		return cl_error_set(err, CL_E_CANCELLED, "cancelled");
	return CL_OK;
}

static struct fake F;
static EVP_PKEY *KEY; /* the requester's key */
static X509_REQ *CSR; /* for KEY, with challenge */
static unsigned char FP[CL_SCEP_FP_LEN];
static char TID[CL_SCEP_TID_SIZE];

static const char CHALLENGE[] = "yq8Y3Yb9cQ2l7mX1vT0r_w";

static void setup(void)
{
	static const struct cl_csr_rdn subject[] = { { "O", "Example Corp" }, { "CN", "alice" } };
	struct cl_csr_params cp = { .subject = subject, .subject_count = 2, .challenge = CHALLENGE };
	struct cl_error err;

	fake_init(&F);
	fx_fingerprint(F.ca, FP);
	KEY = fx_rsa();
	if (cl_csr_build(&cp, KEY, &CSR, &err) != CL_OK)
		abort();
	if (cl_scep_transaction_id_from_key(KEY, TID, &err) != CL_OK)
		abort();
}

static struct cl_scep_params params(struct cl_scep_transport *t, struct waits *w)
{
	struct cl_scep_params p = {
		.url = "https://scep.example/scep",
		.ca_sha256 = FP,
		.key = KEY,
		.csr = CSR,
		.transaction_id = TID,
		.transport = t,
		.wait = record_wait,
		.wait_ctx = w,
	};

	t->request = fake_request;
	t->ctx = &F;
	memset(w, 0, sizeof(*w));
	return p;
}

static int chains_to_ca(X509 *cert)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, F.ca);
	X509_STORE_CTX_init(ctx, store, cert, NULL);
	ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static int csr_challenge_is(X509_REQ *req, const char *want)
{
	int loc = req ? X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1) : -1;
	ASN1_TYPE *t;

	if (loc < 0)
		return 0;
	t = X509_ATTRIBUTE_get0_type(X509_REQ_get_attr(req, loc), 0);
	return t && ASN1_STRING_length(t->value.asn1_string) == (int)strlen(want) &&
	       memcmp(ASN1_STRING_get0_data(t->value.asn1_string), want, strlen(want)) == 0;
}

static void test_enroll_post(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	if (!res.cert) {
		fprintf(stderr, "%s\n", err.msg);
		return;
	}
	/* the certificate: our key, chains to the CA */
	CHECK_INT_EQ(EVP_PKEY_eq(X509_get0_pubkey(res.cert), KEY), 1);
	CHECK(chains_to_ca(res.cert));
	CHECK_INT_EQ(X509_cmp(res.ca, F.ca), 0);
	CHECK_INT_EQ(sk_X509_num(res.chain), 1); /* the CA the server sent along */
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK_INT_EQ(res.polls, 0);
	CHECK_STR_EQ(res.cipher, "AES-256-CBC");
	CHECK_STR_EQ(res.digest, "SHA-256");
	/* what the server saw */
	CHECK_INT_EQ(F.requests, 1);
	CHECK_INT_EQ(F.types[0], CL_SCEP_PKCSREQ);
	CHECK_INT_EQ(F.posts, 1);
	CHECK_STR_EQ(F.tid, TID);
	CHECK_INT_EQ(F.envelope_nid[0], NID_aes_256_cbc);
	CHECK_INT_EQ(F.digest_nid, NID_sha256);
	CHECK(F.csr && X509_REQ_verify(F.csr, KEY) == 1);
	CHECK(csr_challenge_is(F.csr, CHALLENGE));
	/* signed with a self-signed certificate of the new key, with the request's subject */
	CHECK(F.req_signer && EVP_PKEY_eq(X509_get0_pubkey(F.req_signer), KEY) == 1);
	CHECK(F.req_signer &&
	      X509_NAME_cmp(X509_get_subject_name(F.req_signer), X509_REQ_get_subject_name(CSR)) == 0);
	CHECK(F.req_signer &&
	      X509_NAME_cmp(X509_get_issuer_name(F.req_signer), X509_get_subject_name(F.req_signer)) == 0);
	/* RFC 8894 2.3: keyUsage digitalSignature and keyEncipherment */
	CHECK(F.req_signer &&
	      (X509_get_key_usage(F.req_signer) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) ==
	          (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
	CHECK(!res.transport_signed);
	cl_scep_result_clear(&res);
	CHECK(res.cert == NULL);
}

static void test_enroll_get_and_legacy_algs(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	/* no POSTPKIOperation: GET with the message base64 in the URL */
	fake_reset(&F);
	F.caps = "SHA-256\nAES\n";
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(F.posts, 0);
	CHECK_INT_EQ(F.requests, 1);
	CHECK_INT_EQ(F.envelope_nid[0], NID_aes_256_cbc);
	cl_scep_result_clear(&res);

	/* a server that offers only DES3 and SHA-1 gets them, and a reply in single DES is read */
	fake_reset(&F);
	F.caps = "DES3\r\nSHA-1\r\nPOSTPKIOperation\r\n";
	F.reply_cipher = EVP_des_ede3_cbc();
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(F.envelope_nid[0], NID_des_ede3_cbc);
	CHECK_INT_EQ(F.digest_nid, NID_sha1);
	CHECK_STR_EQ(res.cipher, "DES-EDE3-CBC");
	CHECK_STR_EQ(res.digest, "SHA-1");
	cl_scep_result_clear(&res);

	/* nothing but what certlink never uses: refused before anything is sent */
	fake_reset(&F);
	F.caps = "POSTPKIOperation\nSHA-256\n";
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "never uses single DES") != NULL);
	CHECK_INT_EQ(F.requests, 0);
	fake_reset(&F);
	F.caps = "AES\nPOSTPKIOperation\n";
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "never uses MD5") != NULL);
	CHECK_INT_EQ(F.requests, 0);
}

static void test_bad_alg_steps_down(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	fake_reset(&F);
	F.bad_alg_for_aes256 = 1;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(F.requests, 2);
	CHECK_INT_EQ(F.envelope_nid[0], NID_aes_256_cbc);
	CHECK_INT_EQ(F.envelope_nid[1], NID_aes_128_cbc);
	CHECK_STR_EQ(res.cipher, "AES-128-CBC");
	CHECK_INT_EQ(F.tid_changed, 0);
	cl_scep_result_clear(&res);
}

static void test_ra(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	/* CA + RA: the request is encrypted to the RA (the fixture decrypts with the RA key) and the RA's
	 * CertRep signature is accepted */
	fake_reset(&F);
	F.with_ra = 1;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK(F.csr != NULL);
	CHECK(res.cert && chains_to_ca(res.cert));
	cl_scep_result_clear(&res);

	/* an RA-looking certificate from another CA is neither encrypted to nor trusted */
	fake_reset(&F);
	F.with_ra = 1;
	F.foreign_ra = 1;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK(F.csr != NULL);
	cl_scep_result_clear(&res);
}

static void test_pending_then_success(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	fake_reset(&F);
	F.pending = 3;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(res.polls, 3);
	CHECK_INT_EQ(w.n, 3);
	CHECK_INT_EQ(w.seconds[0], 5);
	CHECK_INT_EQ(w.seconds[1], 10);
	CHECK_INT_EQ(w.seconds[2], 20);
	CHECK_INT_EQ(F.requests, 4);
	CHECK_INT_EQ(F.types[0], CL_SCEP_PKCSREQ);
	CHECK_INT_EQ(F.types[1], CL_SCEP_CERTPOLL);
	CHECK_INT_EQ(F.types[3], CL_SCEP_CERTPOLL);
	CHECK_INT_EQ(F.tid_changed, 0); /* every poll has the request's transactionID */
	/* CertPoll carries IssuerAndSubject: the CA's name and ours */
	CHECK(F.poll_issuer && X509_NAME_cmp(F.poll_issuer, X509_get_subject_name(F.ca)) == 0);
	CHECK(F.poll_subject && X509_NAME_cmp(F.poll_subject, X509_REQ_get_subject_name(CSR)) == 0);
	CHECK(res.cert && EVP_PKEY_eq(X509_get0_pubkey(res.cert), KEY) == 1);
	cl_scep_result_clear(&res);
}

static void test_pending_cap_and_cancel(void)
{
	static const unsigned want[] = { 5, 10, 20, 40, 60, 60, 60, 60, 60 };
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	/* 5+10+20+40+60*5 = 375 s of waiting fit in 400; one more 60 would not */
	fake_reset(&F);
	F.pending = 1000;
	p.poll_timeout = 400;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_RETRY_LATER);
	CHECK_INT_EQ(w.n, 9);
	for (int i = 0; i < 9 && i < w.n; i++)
		CHECK_INT_EQ(w.seconds[i], want[i]);
	CHECK(strstr(err.msg, "still answers PENDING after 375 s") != NULL);
	CHECK(strncmp(err.msg, "SCEP CertPoll: ", 15) == 0);
	CHECK(res.cert == NULL);

	/* the default cap is 900 s */
	fake_reset(&F);
	F.pending = 1000;
	p.poll_timeout = 0;
	memset(&w, 0, sizeof(w));
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_RETRY_LATER);
	CHECK_INT_EQ(w.n, 17); /* 75 + 60 * 13 = 855 <= 900 */

	/* cancel while waiting */
	fake_reset(&F);
	F.pending = 1000;
	memset(&w, 0, sizeof(w));
	w.cancel_at = 2;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_CANCELLED);
	CHECK_INT_EQ(w.n, 2);
	CHECK_INT_EQ(F.requests, 2);
}

static void test_cancel_default_wait(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_cancel cancel;
	struct cl_error err;

	/* cancelled before anything is sent: no PKIOperation */
	cl_cancel_init(&cancel);
	cl_cancel_request(&cancel);
	fake_reset(&F);
	p.cancel = &cancel;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_CANCELLED);
	CHECK_INT_EQ(F.requests, 0);

	/* the default wait (no wait hook) sleeps on the cancel token: Cancel during PENDING ends the wait
	 * itself (its own message), not the next CertPoll after a full 5 s sleep */
	cl_cancel_init(&cancel);
	fake_reset(&F);
	F.pending = 1000;
	F.cancel_on_pending = &cancel;
	p.wait = NULL;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_CANCELLED);
	CHECK_INT_EQ(F.requests, 1);
	CHECK_STR_EQ(err.msg, "SCEP PKCSReq: cancelled while waiting for the next CertPoll");
}

static void test_failure_names(void)
{
	static const char *const names[] = { "badAlg", "badMessageCheck", "badRequest", "badTime",
		                             "badCertId" };
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;
	char want[128];

	for (int i = 0; i < 5; i++) {
		fake_reset(&F);
		F.caps = "POSTPKIOperation\nSHA-256\nDES3\n"; /* no AES: badAlg is final */
		F.fail_info = i;
		CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_REFUSED);
		snprintf(want, sizeof(want), "SCEP PKCSReq: server answered FAILURE %s", names[i]);
		CHECK_STR_EQ(err.msg, want);
		CHECK_STR_EQ(err.code, names[i]);
	}
	fake_reset(&F);
	F.fail_info = 9;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.msg, "SCEP PKCSReq: server answered FAILURE failInfo 9");
}

static void expect_refused(enum fx_tamper tamper, enum cl_status want, const char *words)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;

	fake_reset(&F);
	F.tamper = tamper;
	cl_error_clear(&err);
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), want);
	CHECK(res.cert == NULL);
	cl_scep_result_clear(&res);
	if (!strstr(err.msg, words))
		fprintf(stderr, "tamper %d: \"%s\" lacks \"%s\"\n", tamper, err.msg, words);
	CHECK(strstr(err.msg, words) != NULL);
	CHECK(strncmp(err.msg, "SCEP PKCSReq: ", 14) == 0);
}

static void test_tampered_replies(void)
{
	expect_refused(FX_WRONG_TID, CL_E_REFUSED, "another transactionID");
	expect_refused(FX_WRONG_NONCE, CL_E_REFUSED, "recipientNonce is not our senderNonce");
	expect_refused(FX_NO_RECIPIENT_NONCE, CL_E_REFUSED, "recipientNonce is not our senderNonce");
	expect_refused(FX_WRONG_TYPE, CL_E_REFUSED, "messageType 19, not CertRep (3)");
	expect_refused(FX_FOREIGN_SIGNER, CL_E_REFUSED, "signature does not verify");
	expect_refused(FX_FLIPPED_BYTE, CL_E_REFUSED, "signature does not verify");
	expect_refused(FX_GARBAGE, CL_E_REFUSED, "not a PKCS#7 SignedData");
	expect_refused(FX_TRUNCATED, CL_E_REFUSED, "not a PKCS#7 SignedData");
	expect_refused(FX_OVERSIZED, CL_E_REFUSED, "larger than 262144 bytes");
	expect_refused(FX_BAD_STATUS, CL_E_REFUSED, "pkiStatus 7");
	expect_refused(FX_SUCCESS_EMPTY, CL_E_REFUSED, "SUCCESS but holds no certificate");
	expect_refused(FX_OTHER_KEY, CL_E_REFUSED, "no certificate for our key");
	expect_refused(FX_OTHER_CA, CL_E_REFUSED, "does not chain to the CA");
	expect_refused(FX_HTTP_500, CL_E_RETRY_LATER, "HTTP 500");
	expect_refused(FX_HTTP_404, CL_E_REFUSED, "HTTP 404");
}

static void test_wrong_ca_fingerprint(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;
	unsigned char other[CL_SCEP_FP_LEN];

	fake_reset(&F);
	memcpy(other, FP, sizeof(other));
	other[31] ^= 1;
	p.ca_sha256 = other;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_REFUSED);
	CHECK(strstr(err.msg, "SCEP GetCACert: none of the 1 certificates") != NULL);
	CHECK_INT_EQ(F.requests, 0); /* the challenge never left */
}

static void test_renewal(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result first, res;
	struct cl_error err;
	char tid[CL_SCEP_TID_SIZE];
	EVP_PKEY *new_key = fx_rsa();
	static const struct cl_csr_rdn subject[] = { { "CN", "alice" } };
	struct cl_csr_params cp = { .subject = subject,
		                    .subject_count = 1,
		                    .challenge = "renewal-challenge" };
	X509_REQ *csr = NULL;

	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, &first, &err), CL_OK);
	if (!first.cert)
		return;

	/* RenewalReq: new key, signed with the current certificate and key, reply encrypted to it */
	CHECK_INT_EQ(cl_csr_build(&cp, new_key, &csr, &err), CL_OK);
	CHECK_INT_EQ(cl_scep_transaction_id_random(tid, &err), CL_OK);
	fake_reset(&F);
	p.key = new_key;
	p.csr = csr;
	p.transaction_id = tid;
	p.renew_cert = first.cert;
	p.renew_key = KEY;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(res.request_type, CL_SCEP_RENEWALREQ);
	CHECK_INT_EQ(F.types[0], CL_SCEP_RENEWALREQ);
	CHECK(F.req_signer && X509_cmp(F.req_signer, first.cert) == 0);
	CHECK(csr_challenge_is(F.csr, "renewal-challenge"));
	CHECK(res.cert && EVP_PKEY_eq(X509_get0_pubkey(res.cert), new_key) == 1);
	cl_scep_result_clear(&res);

	/* no Renewal capability: a PKCSReq signed with the current certificate (RFC 8894 2.3) */
	fake_reset(&F);
	F.caps = "POSTPKIOperation\nSHA-256\nAES\n";
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK(F.req_signer && X509_cmp(F.req_signer, first.cert) == 0);
	cl_scep_result_clear(&res);

	/* a certificate and key that do not belong together */
	p.renew_key = new_key;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	p.renew_cert = NULL;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);

	cl_scep_result_clear(&first);
	cl_csr_free(csr);
	EVP_PKEY_free(new_key);
}

/* A computer-store renewal that keeps its key while not root: the process holds the public key only (the
 * privileged helper signed the request with the private one), so a transport key signs the pkiMessage and
 * receives the CertRep, and the certificate is still for the request's key. */
static void test_key_elsewhere(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;
	unsigned char *spki = NULL;
	const unsigned char *in;
	int len = i2d_PUBKEY(KEY, &spki);
	EVP_PKEY *pub;

	in = spki;
	pub = len > 0 ? d2i_PUBKEY(NULL, &in, len) : NULL;
	OPENSSL_free(spki);
	CHECK(pub != NULL);
	if (!pub)
		return;
	fake_reset(&F);
	p.key = pub;
	p.key_elsewhere = true;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK(res.transport_signed);
	/* the signer is a throw-away key, not the request's; the request itself is the one signed by KEY */
	CHECK(F.req_signer && EVP_PKEY_eq(X509_get0_pubkey(F.req_signer), KEY) != 1);
	CHECK(F.csr && X509_REQ_verify(F.csr, KEY) == 1);
	CHECK(res.cert && EVP_PKEY_eq(X509_get0_pubkey(res.cert), KEY) == 1);
	cl_scep_result_clear(&res);
	/* without the flag a public key cannot sign: refused before anything is sent */
	fake_reset(&F);
	p.key_elsewhere = false;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "missing private key") != NULL);
	CHECK_INT_EQ(F.requests, 0);
	EVP_PKEY_free(pub);
}

static void test_resume_same_transaction(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result a, b;
	struct cl_error err;
	char tid_again[CL_SCEP_TID_SIZE];

	/* A crash after sending: the next run derives the same transactionID from the persisted key and
	 * resends; the server (like certlink-server) answers with the certificate it already issued. */
	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, &a, &err), CL_OK);
	CHECK_INT_EQ(cl_scep_transaction_id_from_key(KEY, tid_again, &err), CL_OK);
	CHECK_STR_EQ(tid_again, TID);
	F.requests = 0;
	p.transaction_id = tid_again;
	CHECK_INT_EQ(cl_scep_enroll(&p, &b, &err), CL_OK);
	CHECK_INT_EQ(F.tid_changed, 0);
	CHECK(a.cert && b.cert && X509_cmp(a.cert, b.cert) == 0);
	cl_scep_result_clear(&a);
	cl_scep_result_clear(&b);
}

static void test_transaction_ids(void)
{
	char a[CL_SCEP_TID_SIZE], b[CL_SCEP_TID_SIZE], want[CL_SCEP_TID_SIZE];
	unsigned char *spki = NULL, md[32];
	int len = i2d_PUBKEY(KEY, &spki);
	struct cl_error err;

	EVP_Digest(spki, (size_t)len, md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	OPENSSL_free(spki);
	CHECK_INT_EQ(cl_scep_transaction_id_from_key(KEY, a, &err), CL_OK);
	CHECK_STR_EQ(a, want);
	CHECK_INT_EQ(cl_scep_transaction_id_random(a, &err), CL_OK);
	CHECK_INT_EQ(cl_scep_transaction_id_random(b, &err), CL_OK);
	CHECK_INT_EQ(strlen(a), 64);
	CHECK_INT_EQ(strspn(a, "0123456789abcdef"), 64);
	CHECK(strcmp(a, b) != 0);
}

static void test_bad_params(void)
{
	struct cl_scep_transport t;
	struct waits w;
	struct cl_scep_params p = params(&t, &w);
	struct cl_scep_result res;
	struct cl_error err;
	EVP_PKEY *other = fx_rsa();
	char long_tid[CL_SCEP_TID_MAX + 2];

	fake_reset(&F);
	p.key = other; /* the request is for KEY */
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "not for the given key") != NULL);
	p.key = KEY;
	memset(long_tid, 'a', sizeof(long_tid) - 1);
	long_tid[sizeof(long_tid) - 1] = '\0';
	p.transaction_id = long_tid;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	p.transaction_id = NULL;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	CHECK_INT_EQ(F.requests + F.gets + F.posts, 0);
	EVP_PKEY_free(other);
}

int main(void)
{
	setup();
	test_enroll_post();
	test_enroll_get_and_legacy_algs();
	test_bad_alg_steps_down();
	test_ra();
	test_pending_then_success();
	test_pending_cap_and_cancel();
	test_cancel_default_wait();
	test_failure_names();
	test_tampered_replies();
	test_wrong_ca_fingerprint();
	test_renewal();
	test_key_elsewhere();
	test_resume_same_transaction();
	test_transaction_ids();
	test_bad_params();
	fake_free(&F);
	cl_csr_free(CSR);
	EVP_PKEY_free(KEY);
	return check_done();
}
