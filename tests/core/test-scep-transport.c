/* Unit tests of core/scep.c: keys that are not RSA (EC P-256, P-384) enroll through a throw-away RSA
 * transport key (RFC 8894 2.3), against the in-process server of scep-fixture.h, which like real SCEP
 * servers answers FAILURE badAlg to a pkiMessage signed with anything but RSA.
 *
 * What a CA would see: the PKCS#10 signed by the EC key (proof of possession), the pkiMessage signed by a
 * self-signed RSA certificate of another key with the request's subject and keyUsage digitalSignature +
 * keyEncipherment; the CertRep encrypted to that RSA key; the certificate returned carrying the EC key.
 * A resend after a crash signs with a new transport key and still gets the same certificate. Renewals: an
 * RSA certificate signs a RenewalReq whatever the new key; an EC certificate cannot, so the renewal is a
 * PKCSReq signed like a first enrollment. */
#include "check.h"
#include "csr.h"
#include "scep-fixture.h"

static struct fake F;
static unsigned char FP[CL_SCEP_FP_LEN];

static EVP_PKEY *ec_key(int bits)
{
	struct cl_key_spec spec = { CL_KEY_EC, bits };
	EVP_PKEY *k = NULL;

	if (cl_key_generate(&spec, &k, NULL) != CL_OK)
		abort();
	return k;
}

/* A request for key with the subject CN=alice and challenge; *tid derived from key. */
static X509_REQ *request_for(EVP_PKEY *key, const char *challenge, char tid[CL_SCEP_TID_SIZE])
{
	static const struct cl_csr_rdn subject[] = { { "CN", "alice" } };
	struct cl_csr_params cp = { .subject = subject, .subject_count = 1, .challenge = challenge };
	X509_REQ *csr = NULL;

	if (cl_csr_build(&cp, key, &csr, NULL) != CL_OK ||
	    cl_scep_transaction_id_from_key(key, tid, NULL) != CL_OK)
		abort();
	return csr;
}

static enum cl_status no_wait(void *ctx, unsigned seconds, struct cl_error *err)
{
	(void)ctx;
	(void)seconds;
	(void)err;
	return CL_OK;
}

static struct cl_scep_params params(struct cl_scep_transport *t, EVP_PKEY *key, X509_REQ *csr,
                                    const char *tid)
{
	struct cl_scep_params p = {
		.url = "http://scep.example/scep",
		.ca_sha256 = FP,
		.key = key,
		.csr = csr,
		.transaction_id = tid,
		.transport = t,
		.wait = no_wait,
	};

	t->request = fake_request;
	t->ctx = &F;
	return p;
}

/* The signer a transport key makes: RSA, not the key being certified, self-signed with the request's
 * subject, keyUsage digitalSignature and keyEncipherment (RFC 8894 2.3). */
static void check_transport_signer(X509 *signer, EVP_PKEY *key, X509_REQ *csr)
{
	EVP_PKEY *pub = signer ? X509_get0_pubkey(signer) : NULL;

	CHECK(pub != NULL && EVP_PKEY_is_a(pub, "RSA"));
	CHECK(pub != NULL && EVP_PKEY_get_bits(pub) == 2048);
	CHECK(pub != NULL && EVP_PKEY_eq(pub, key) != 1);
	if (!signer)
		return;
	CHECK_INT_EQ(X509_NAME_cmp(X509_get_subject_name(signer), X509_REQ_get_subject_name(csr)), 0);
	CHECK_INT_EQ(X509_NAME_cmp(X509_get_issuer_name(signer), X509_get_subject_name(signer)), 0);
	CHECK_INT_EQ(X509_verify(signer, pub), 1);
	CHECK((X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) ==
	      (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
}

static void check_issued_for(const struct cl_scep_result *res, EVP_PKEY *key)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	CHECK(res->cert != NULL && EVP_PKEY_eq(X509_get0_pubkey(res->cert), key) == 1);
	X509_STORE_add_cert(store, F.ca);
	CHECK(res->cert && X509_STORE_CTX_init(ctx, store, res->cert, NULL) == 1 &&
	      X509_verify_cert(ctx) == 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

/* EC P-256 and P-384: PKCSReq signed by a transport key made inside cl_scep_enroll(); then a resend of the
 * same transaction (a crash before the certificate was stored) with a new transport key. */
static void test_ec_first_enrollment(int bits)
{
	EVP_PKEY *key = ec_key(bits);
	char tid[CL_SCEP_TID_SIZE];
	X509_REQ *csr = request_for(key, "ec-challenge", tid);
	struct cl_scep_transport t;
	struct cl_scep_params p = params(&t, key, csr, tid);
	struct cl_scep_result a, b;
	struct cl_error err;
	X509 *first_signer = NULL;

	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, &a, &err), CL_OK);
	if (!a.cert)
		fprintf(stderr, "EC %d: %s\n", bits, err.msg);
	CHECK(a.transport_signed);
	CHECK_INT_EQ(a.request_type, CL_SCEP_PKCSREQ);
	CHECK_INT_EQ(F.requests, 1);
	CHECK_INT_EQ(F.types[0], CL_SCEP_PKCSREQ);
	CHECK_STR_EQ(F.tid, tid);
	/* the PKCS#10 is the EC key's own, proof of possession, with the challenge */
	CHECK(F.csr && EVP_PKEY_eq(X509_REQ_get0_pubkey(F.csr), key) == 1 &&
	      X509_REQ_verify(F.csr, key) == 1);
	check_transport_signer(F.req_signer, key, csr);
	check_issued_for(&a, key);
	first_signer = F.req_signer;
	X509_up_ref(first_signer);

	/* the resend: same key, same transactionID, a new transport key; the same certificate back */
	p.transaction_id = tid;
	CHECK_INT_EQ(cl_scep_enroll(&p, &b, &err), CL_OK);
	CHECK_INT_EQ(F.tid_changed, 0);
	CHECK(F.req_signer && X509_cmp(F.req_signer, first_signer) != 0);
	check_transport_signer(F.req_signer, key, csr);
	CHECK(a.cert && b.cert && X509_cmp(a.cert, b.cert) == 0);
	X509_free(first_signer);
	cl_scep_result_clear(&a);
	cl_scep_result_clear(&b);
	cl_csr_free(csr);
	EVP_PKEY_free(key);
}

/* A transport key from the caller (the flow makes it beside the EC key) is the one that signs; a PENDING
 * answer is polled with the same signer; an RSA key being certified needs none and signs itself; a transport
 * key that is not RSA is the caller's mistake. */
static void test_given_transport_key(void)
{
	EVP_PKEY *key = ec_key(256), *transport = fx_rsa(), *rsa = fx_rsa();
	char tid[CL_SCEP_TID_SIZE], rsa_tid[CL_SCEP_TID_SIZE];
	X509_REQ *csr = request_for(key, "c1", tid), *rsa_csr = request_for(rsa, "c2", rsa_tid);
	struct cl_scep_transport t;
	struct cl_scep_params p = params(&t, key, csr, tid);
	struct cl_scep_result res;
	struct cl_error err;

	fake_reset(&F);
	F.pending = 2;
	p.transport_key = transport;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK(res.transport_signed);
	CHECK_INT_EQ(res.polls, 2);
	CHECK_INT_EQ(F.types[2], CL_SCEP_CERTPOLL);
	CHECK(F.req_signer && EVP_PKEY_eq(X509_get0_pubkey(F.req_signer), transport) == 1);
	check_issued_for(&res, key);
	cl_scep_result_clear(&res);

	fake_reset(&F);
	p = params(&t, rsa, rsa_csr, rsa_tid);
	p.transport_key = transport;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_OK);
	CHECK(!res.transport_signed);
	CHECK(F.req_signer && EVP_PKEY_eq(X509_get0_pubkey(F.req_signer), rsa) == 1);
	check_issued_for(&res, rsa);
	cl_scep_result_clear(&res);

	fake_reset(&F);
	p = params(&t, key, csr, tid);
	p.transport_key = key;
	CHECK_INT_EQ(cl_scep_enroll(&p, &res, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "transport key must be RSA") != NULL);
	CHECK_INT_EQ(F.gets + F.posts, 0);
	cl_csr_free(csr);
	cl_csr_free(rsa_csr);
	EVP_PKEY_free(key);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(transport);
}

/* Enrolls key and returns its result (the certificate to renew later). */
static void enroll(EVP_PKEY *key, struct cl_scep_result *res)
{
	char tid[CL_SCEP_TID_SIZE];
	X509_REQ *csr = request_for(key, "first", tid);
	struct cl_scep_transport t;
	struct cl_scep_params p = params(&t, key, csr, tid);
	struct cl_error err;

	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, res, &err), CL_OK);
	cl_csr_free(csr);
}

/* Renews cur_cert/cur_key with new_key: what went out and who signed it. */
static void renew(X509 *cur_cert, EVP_PKEY *cur_key, EVP_PKEY *new_key, struct cl_scep_result *res)
{
	char tid[CL_SCEP_TID_SIZE];
	X509_REQ *csr = request_for(new_key, "renewal-challenge", tid);
	struct cl_scep_transport t;
	struct cl_scep_params p = params(&t, new_key, csr, tid);
	struct cl_error err;

	CHECK_INT_EQ(cl_scep_transaction_id_random(tid, &err), CL_OK);
	p.renew_cert = cur_cert;
	p.renew_key = cur_key;
	fake_reset(&F);
	CHECK_INT_EQ(cl_scep_enroll(&p, res, &err), CL_OK);
	if (!res->cert)
		fprintf(stderr, "renewal: %s\n", err.msg);
	CHECK(F.csr && EVP_PKEY_eq(X509_REQ_get0_pubkey(F.csr), new_key) == 1);
	check_issued_for(res, new_key);
	cl_csr_free(csr);
}

static void test_renewals(void)
{
	EVP_PKEY *ec1 = ec_key(256), *ec2 = ec_key(384), *rsa1 = fx_rsa(), *rsa2 = fx_rsa();
	struct cl_scep_result ec_cert, rsa_cert, res;

	enroll(ec1, &ec_cert);
	enroll(rsa1, &rsa_cert);
	if (!ec_cert.cert || !rsa_cert.cert)
		goto out;

	/* EC certificate, new EC key: a PKCSReq signed by a transport key, although the server offers
	 * Renewal; the renewal's challenge authorises it */
	renew(ec_cert.cert, ec1, ec2, &res);
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK_INT_EQ(F.types[0], CL_SCEP_PKCSREQ);
	CHECK(res.transport_signed);
	check_transport_signer(F.req_signer, ec2, F.csr);
	CHECK(F.req_signer && X509_cmp(F.req_signer, ec_cert.cert) != 0);
	cl_scep_result_clear(&res);

	/* EC certificate, same key kept: the same */
	renew(ec_cert.cert, ec1, ec1, &res);
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK(res.transport_signed);
	check_transport_signer(F.req_signer, ec1, F.csr);
	cl_scep_result_clear(&res);

	/* EC certificate, new RSA key: a PKCSReq signed by the new key itself */
	renew(ec_cert.cert, ec1, rsa2, &res);
	CHECK_INT_EQ(res.request_type, CL_SCEP_PKCSREQ);
	CHECK(!res.transport_signed);
	CHECK(F.req_signer && EVP_PKEY_eq(X509_get0_pubkey(F.req_signer), rsa2) == 1);
	cl_scep_result_clear(&res);

	/* RSA certificate, new EC key: a RenewalReq signed by the current certificate, which receives the
	 * CertRep; the certificate carries the EC key */
	renew(rsa_cert.cert, rsa1, ec2, &res);
	CHECK_INT_EQ(res.request_type, CL_SCEP_RENEWALREQ);
	CHECK_INT_EQ(F.types[0], CL_SCEP_RENEWALREQ);
	CHECK(!res.transport_signed);
	CHECK(F.req_signer && X509_cmp(F.req_signer, rsa_cert.cert) == 0);
	cl_scep_result_clear(&res);
out:
	cl_scep_result_clear(&ec_cert);
	cl_scep_result_clear(&rsa_cert);
	EVP_PKEY_free(ec1);
	EVP_PKEY_free(ec2);
	EVP_PKEY_free(rsa1);
	EVP_PKEY_free(rsa2);
}

int main(void)
{
	fake_init(&F);
	fx_fingerprint(F.ca, FP);
	test_ec_first_enrollment(256);
	test_ec_first_enrollment(384);
	test_given_transport_key();
	test_renewals();
	fake_free(&F);
	return check_done();
}
