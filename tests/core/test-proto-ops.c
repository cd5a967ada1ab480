/* Unit tests for the protocol operations (core/proto.c) over a real TLS session: an in-process TLS
 * responder (tests/lib/responder.h) with a self-signed certificate for 127.0.0.1 that the session trusts
 * through a certlink trust directory. Each case scripts the replies and checks what the client sent (method,
 * path, bearer, body) and what it made of the answer (result struct, status and code per section 2).
 */
#include "proto.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "responder.h"

static struct cl_error err;
static char tmp[] = "/tmp/certlink-proto-ops-XXXXXX";
static SSL_CTX *tls;
static struct responder r;

#define SECRET            "n2Qw3vX0Zq8kYt5Lm1Rb7Hc4Jd6Fs9Ga"
#define APP(state, extra) "{\"application\":{\"id\":\"a7f3c29e1d\",\"state\":\"" state "\"" extra "}}"

/* A self-signed certificate for IP 127.0.0.1, written to TMP/trust/server.pem, served by the responder. */
static bool make_tls(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	X509V3_CTX ctx;
	X509_EXTENSION *san;
	char path[256];
	FILE *f;
	bool ok;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(x, san, -1);
	X509_EXTENSION_free(san);
	X509_sign(x, key, EVP_sha256());
	snprintf(path, sizeof(path), "%s/trust", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/trust/server.pem", tmp);
	ok = (f = fopen(path, "w")) && PEM_write_X509(f, x);
	if (f)
		fclose(f);
	tls = SSL_CTX_new(TLS_server_method());
	ok = ok && tls && SSL_CTX_use_certificate(tls, x) == 1 && SSL_CTX_use_PrivateKey(tls, key) == 1;
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

/* Start the responder with the verified probe's reply first, then steps; return an established session. */
static struct cl_http *session(const struct responder_step *steps, int n)
{
	static struct responder_step script[8];
	static char trust[300];
	static const char *dirs[] = { trust, NULL };
	struct cl_http_config c = { .host = "127.0.0.1",
		                    .anchor_dirs = dirs,
		                    .system_ca_file = "/nonexistent" };
	struct cl_http *h;

	snprintf(trust, sizeof(trust), "%s/trust", tmp);
	script[0] = (struct responder_step){ .status = 200, .body = "{\"certificates\":[]}" };
	for (int i = 0; i < n && i < 7; i++)
		script[i + 1] = steps[i];
	if (!responder_start(&r, script, n + 1, tls))
		return NULL;
	c.port = (unsigned)r.port;
	c.opts.no_proxy = true;
	c.opts.max_attempts = 2;
	c.opts.backoff_base_ms = 10;
	h = cl_http_new(&c, &err);
	if (h && cl_http_establish(h, &err) != CL_OK) {
		fprintf(stderr, "establish: %s\n", err.msg);
		cl_http_free(h);
		h = NULL;
	}
	return h;
}

static void done(struct cl_http *h)
{
	cl_http_free(h);
	responder_stop(&r);
}

static void test_config(void)
{
	struct responder_step ok[] = {
		{ .status = 200, .body = "{\"protocol\":1,\"key\":{\"type\":\"rsa\",\"bits\":3072}}" }
	};
	struct responder_step missing[] = { { .status = 404, .body = "not here" } };
	struct cl_proto_config c;
	struct cl_proto_ca ca;
	struct cl_http *h;

	h = session(ok, 1);
	CHECK_INT_EQ(cl_proto_get_config(h, &c, &err), CL_OK);
	CHECK_INT_EQ(c.key.bits, 3072);
	done(h);
	CHECK(responder_saw(&r, "GET /api/v1/config HTTP/1.1"));
	CHECK(responder_saw(&r, "Accept: application/json"));

	h = session(missing, 1);
	CHECK_INT_EQ(cl_proto_get_config(h, &c, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "protocol_version");
	CHECK_STR_EQ(err.msg, "this server does not speak certlink protocol 1");
	done(h);

	h = session(missing, 1);
	CHECK_INT_EQ(cl_proto_get_ca(h, &ca, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "not_found");
	done(h);
}

static void test_apply(void)
{
	struct responder_step created[] = { { .status = 201,
		                              .body = APP("pending", ",\"secret\":\"" SECRET "\"") } };
	struct responder_step nosecret[] = { { .status = 201, .body = APP("pending", "") } };
	struct responder_step denied[] = {
		{ .status = 401,
		  .body = "{\"error\":{\"code\":\"invalid_credentials\",\"message\":\"User ID "
		          "or password is incorrect.\"}}" }
	};
	struct cl_proto_apply req = {
		.client_request_id = "0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11",
		.user = "alice",
		.password = "correct \"horse\"",
		.store = "user",
		.reason = "[pc01]/[alice@corp.example]/[00:11:22:33:44:55]/[user]: new laptop",
		.apid = "K7Q2M4XR9T3VWZ5B"
	};
	struct cl_proto_application a;
	struct cl_http *h;

	h = session(created, 1);
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_OK);
	CHECK_STR_EQ(a.secret, SECRET);
	CHECK_STR_EQ(a.id, "a7f3c29e1d");
	done(h);
	CHECK(responder_saw(&r, "POST /api/v1/applications HTTP/1.1"));
	CHECK(responder_saw(&r, "Content-Type: application/json; charset=utf-8"));
	CHECK(responder_saw(
	    &r, "{\"client_request_id\":\"0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11\",\"user\":\"alice\","
	        "\"password\":\"correct \\\"horse\\\"\",\"store\":\"user\",\"reason\":\"[pc01]/"
	        "[alice@corp.example]/[00:11:22:33:44:55]/[user]: new laptop\",\"apid\":"
	        "\"K7Q2M4XR9T3VWZ5B\",\"renewal_of\":null}"));
	CHECK(!responder_saw(&r, "invitation_token"));
	CHECK(!responder_saw(&r, "Authorization"));
	cl_proto_application_clear(&a);

	h = session(nosecret, 1);
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "bad_reply");
	done(h);

	h = session(denied, 1);
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "invalid_credentials");
	CHECK(strstr(err.msg, "User ID or password is incorrect.") != NULL);
	done(h);

	/* Refused before sending: both credentials, or a bad store. */
	h = session(created, 1);
	req.invitation_token = "q3Vb0xZ2rT8kLmN4pQ7sW1yA";
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_E_LOCAL);
	req.invitation_token = NULL;
	req.store = "root";
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_E_LOCAL);
	done(h);
	CHECK(!responder_saw(&r, "POST"));
}

static void test_status(void)
{
	struct responder_step ok[] = { { .status = 200, .body = APP("approved", ",\"retry_after\":0") } };
	struct responder_step other[] = {
		{ .status = 200, .body = "{\"application\":{\"id\":\"zzz\",\"state\":\"approved\"}}" }
	};
	struct responder_step busy[] = { { .status = 503,
		                           .headers = "Retry-After: 1\r\n",
		                           .body =
		                               "{\"error\":{\"code\":\"unavailable\",\"retry_after\":1}}" } };
	struct cl_proto_application a;
	struct cl_http *h;

	h = session(ok, 1);
	CHECK_INT_EQ(cl_proto_status(h, "a7f3c29e1d", SECRET, &a, &err), CL_OK);
	CHECK_INT_EQ(a.state, CL_PROTO_APPROVED);
	done(h);
	CHECK(responder_saw(&r, "GET /api/v1/applications/a7f3c29e1d HTTP/1.1"));
	CHECK(responder_saw(&r, "Authorization: Bearer " SECRET "\r\n"));

	h = session(other, 1);
	CHECK_INT_EQ(cl_proto_status(h, "a7f3c29e1d", SECRET, &a, &err), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "bad_reply");
	CHECK_INT_EQ(a.id[0], '\0');
	done(h);

	/* 503 on both attempts: retry later. */
	h = session(busy, 1);
	CHECK_INT_EQ(cl_proto_status(h, "a7f3c29e1d", SECRET, &a, &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "unavailable");
	done(h);
	CHECK_INT_EQ(atomic_load(&r.served), 3); /* probe + 2 attempts */

	/* A stored id cannot inject a path; a missing secret is not sent as an empty bearer. */
	h = session(ok, 1);
	CHECK_INT_EQ(cl_proto_status(h, "../admin/applications", SECRET, &a, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_proto_status(h, "a7f3c29e1d", "", &a, &err), CL_E_LOCAL);
	done(h);
	CHECK(!responder_saw(&r, "/api/v1/applications"));
}

static void test_activate(void)
{
	struct responder_step waiting[] = {
		{ .status = 409,
		  .body = "{\"error\":{\"code\":\"not_approved\",\"message\":\"Waiting for "
		          "approval.\",\"retry_after\":5}}" }
	};
	struct responder_step ok[] = {
		{ .status = 200,
		  .body = "{\"scep\":{\"url\":\"http://127.0.0.1/scep\",\"ca_sha256\":"
		          "\"5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab\","
		          "\"challenge\":\"yq8Y3Yb9cQ2l7mX1vT0rNw\"},\"subject\":[[\"CN\",\"alice\"]],"
		          "\"key\":{\"type\":\"rsa\",\"bits\":2048}}" }
	};
	/* a SCEP URL on another host: the reply is refused and its challenge never kept */
	struct responder_step foreign[] = {
		{ .status = 200,
		  .body = "{\"scep\":{\"url\":\"https://127.0.0.2/scep\",\"ca_sha256\":"
		          "\"5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab\","
		          "\"challenge\":\"yq8Y3Yb9cQ2l7mX1vT0rNw\"},\"subject\":[[\"CN\",\"alice\"]],"
		          "\"key\":{\"type\":\"rsa\",\"bits\":2048}}" }
	};
	struct responder_step rejected[] = { { .status = 409,
		                               .body = "{\"error\":{\"code\":\"rejected\"}}" } };
	struct cl_proto_device dev = {
		.hostname = "pc01", .user = "alice", .mac = "00:11:22:33:44:55", .client = "certlink 0.1.0"
	};
	static struct cl_proto_activation act;
	long retry_after = -1;
	struct cl_http *h;

	h = session(waiting, 1);
	CHECK_INT_EQ(cl_proto_activate(h, "a7f3c29e1d", SECRET, &dev, &act, &retry_after, &err),
	             CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "not_approved");
	CHECK_INT_EQ(retry_after, 5);
	done(h);
	CHECK_INT_EQ(atomic_load(&r.served), 2); /* 409 is not retried by the transport */
	CHECK(responder_saw(&r, "POST /api/v1/applications/a7f3c29e1d/activate HTTP/1.1"));
	CHECK(responder_saw(
	    &r, "{\"device\":{\"hostname\":\"pc01\",\"user\":\"alice\",\"mac\":\"00:11:22:33:44:55\","
	        "\"client\":\"certlink 0.1.0\"}}"));

	h = session(ok, 1);
	CHECK_INT_EQ(cl_proto_activate(h, "a7f3c29e1d", SECRET, NULL, &act, NULL, &err), CL_OK);
	CHECK_STR_EQ(act.challenge, "yq8Y3Yb9cQ2l7mX1vT0rNw");
	CHECK_STR_EQ(act.subject[0].value, "alice");
	cl_proto_activation_clear(&act);
	done(h);
	CHECK(responder_saw(&r, "{\"device\":{}}"));

	h = session(foreign, 1);
	CHECK_INT_EQ(cl_proto_activate(h, "a7f3c29e1d", SECRET, NULL, &act, NULL, &err), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "scep_url_foreign");
	CHECK(strstr(err.msg, "https://127.0.0.2/scep") != NULL);
	CHECK_STR_EQ(act.challenge, "");
	CHECK_STR_EQ(act.scep_url, "");
	done(h);

	h = session(rejected, 1);
	CHECK_INT_EQ(cl_proto_activate(h, "a7f3c29e1d", SECRET, &dev, &act, &retry_after, &err),
	             CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "rejected");
	done(h);
}

static void test_withdraw_reapply(void)
{
	struct responder_step withdrawn[] = {
		{ .status = 200, .body = APP("withdrawn", ",\"revoked_serial\":\"4f1a22c9\"") }
	};
	struct responder_step pending[] = { { .status = 200, .body = APP("pending", ",\"retry_after\":5") } };
	struct cl_proto_reapply changes = { .reason = "second try" };
	struct cl_proto_application a;
	struct cl_http *h;

	h = session(withdrawn, 1);
	CHECK_INT_EQ(cl_proto_withdraw(h, "a7f3c29e1d", SECRET, NULL, &a, &err), CL_OK);
	CHECK_STR_EQ(a.revoked_serial, "4f1a22c9");
	done(h);
	CHECK(responder_saw(&r, "POST /api/v1/applications/a7f3c29e1d/withdraw HTTP/1.1"));
	CHECK(responder_saw(&r, "\r\n\r\n{}"));

	h = session(withdrawn, 1);
	CHECK_INT_EQ(cl_proto_withdraw(h, "a7f3c29e1d", SECRET, "pw", &a, &err), CL_OK);
	done(h);
	CHECK(responder_saw(&r, "\r\n\r\n{\"password\":\"pw\"}"));

	h = session(pending, 1);
	CHECK_INT_EQ(cl_proto_reapply(h, "a7f3c29e1d", SECRET, &changes, &a, &err), CL_OK);
	CHECK_INT_EQ(a.state, CL_PROTO_PENDING);
	CHECK_INT_EQ(a.retry_after, 5);
	done(h);
	CHECK(responder_saw(&r, "POST /api/v1/applications/a7f3c29e1d/reapply HTTP/1.1"));
	CHECK(responder_saw(&r, "\r\n\r\n{\"reason\":\"second try\"}"));
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(tmp) || !make_tls()) {
		fprintf(stderr, "cannot set up TLS fixtures in %s\n", tmp);
		return 1;
	}
	test_config();
	test_apply();
	test_status();
	test_activate();
	test_withdraw_reapply();
	SSL_CTX_free(tls);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmp);
	return check_done();
}
