/* Unit tests for the protocol reply parsers (core/proto-reply.c), the error mapping (core/proto.c) and the
 * bounded JSON reader and writer (core/json.c): good replies from docs/protocol.md, and bad ones that are
 * too deep, too long, of the wrong type, missing members, truncated or not JSON at all.
 */
#include "json.h"
#include "proto.h"

#include <stdarg.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"

static struct cl_error err;

#define CL_TEST_FP "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab"
#define CL_TEST_33 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/* A self-signed EC certificate as PEM (JSON-escaped newlines in pem_json), and its SHA-256 in hex. */
static char pem[4096], pem_json[4096], pem_hex[65];

static void make_cert(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char fp[32];
	unsigned int n;
	char *data;
	long len;
	size_t j = 0;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	PEM_write_bio_X509(bio, x);
	len = BIO_get_mem_data(bio, &data);
	snprintf(pem, sizeof(pem), "%.*s", (int)len, data);
	for (size_t i = 0; pem[i] && j < sizeof(pem_json) - 3; i++) {
		if (pem[i] == '\n') {
			pem_json[j++] = '\\';
			pem_json[j++] = 'n';
		} else {
			pem_json[j++] = pem[i];
		}
	}
	pem_json[j] = '\0';
	X509_digest(x, EVP_sha256(), fp, &n);
	for (int i = 0; i < 32; i++)
		snprintf(pem_hex + 2 * i, 3, "%02x", fp[i]);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* printf into a static buffer (a few KiB is plenty here). */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	static char buf[2][64 * 1024];
	static int which;
	va_list ap;

	which ^= 1;
	va_start(ap, f);
	vsnprintf(buf[which], sizeof(buf[which]), f, ap);
	va_end(ap);
	return buf[which];
}

static char *repeat(const char *s, int n)
{
	size_t len = strlen(s);
	char *out = malloc(len * (size_t)n + 1);

	for (int i = 0; i < n; i++)
		memcpy(out + len * (size_t)i, s, len);
	out[len * (size_t)n] = '\0';
	return out;
}

/* ---- json ---- */

static enum cl_status parse_json(const char *text)
{
	cJSON *root = NULL;
	enum cl_status st = cl_json_parse(text, strlen(text), CL_HTTP_BODY_MAX, &root, &err);

	cl_json_free(root);
	return st;
}

static void test_json_limits(void)
{
	char *open = repeat("[", 15), *close = repeat("]", 15), *deep;

	CHECK_INT_EQ(parse_json("{}"), CL_OK);
	CHECK_INT_EQ(parse_json(" {\"a\": 1}\n"), CL_OK);
	CHECK_INT_EQ(parse_json("[]"), CL_E_UNREACHABLE); /* root must be an object */
	CHECK_STR_EQ(err.code, "bad_reply");
	CHECK_INT_EQ(parse_json("{} x"), CL_E_UNREACHABLE);
	CHECK_INT_EQ(parse_json("{\"a\":1,\"a\":2}"), CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "twice") != NULL);
	CHECK_INT_EQ(parse_json("{\"a\":\"x\ty\"}"), CL_E_UNREACHABLE); /* raw control in a string */
	CHECK_INT_EQ(parse_json("{\"a\":\"x\\u0000y\"}"), CL_E_UNREACHABLE);
	CHECK_INT_EQ(parse_json("{\"a\":\"x\\u0001y\"}"), CL_OK); /* escaped: the getters refuse it */
	CHECK_INT_EQ(parse_json(""), CL_E_UNREACHABLE);
	CHECK_INT_EQ(parse_json("{\"a\":"), CL_E_UNREACHABLE);
	deep = (char *)fmt("{\"a\":%s%s}", open, close); /* 16 levels: allowed */
	CHECK_INT_EQ(cl_json_depth(deep, strlen(deep)), 16);
	CHECK_INT_EQ(parse_json(deep), CL_OK);
	deep = (char *)fmt("{\"a\":[%s%s]}", open, close); /* 17 levels */
	CHECK_INT_EQ(parse_json(deep), CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "deeper") != NULL);
	CHECK_INT_EQ(cl_json_depth("{\"[[[[\":1}", 10), 1); /* brackets in strings do not count */
	free(open);
	free(close);
	{
		char *huge = repeat("[", 200000);

		CHECK_INT_EQ(parse_json(huge), CL_E_UNREACHABLE); /* refused before cJSON recurses */
		free(huge);
	}
	{
		char *big = malloc(CL_HTTP_BODY_MAX + 2);
		cJSON *root;

		memset(big, ' ', CL_HTTP_BODY_MAX + 1);
		big[0] = '{';
		big[CL_HTTP_BODY_MAX] = '}';
		big[CL_HTTP_BODY_MAX + 1] = '\0';
		CHECK_INT_EQ(cl_json_parse(big, CL_HTTP_BODY_MAX + 1, CL_HTTP_BODY_MAX, &root, &err),
		             CL_E_UNREACHABLE);
		CHECK_INT_EQ(cl_json_parse(big, CL_HTTP_BODY_MAX + 1, CL_HTTP_BODY_MAX + 1, &root, &err),
		             CL_OK);
		cl_json_free(root);
		free(big);
	}
}

static void test_utf8(void)
{
	size_t n = 0;

	CHECK(cl_utf8_valid("abc", 3, &n) && n == 3);
	CHECK(cl_utf8_valid("\xe8\xa8\xbc\xe6\x98\x8e", 6, &n) && n == 2); /* 証明 */
	CHECK(cl_utf8_valid("\xf0\x9f\x94\x91", 4, &n) && n == 1);
	CHECK(!cl_utf8_valid("\xc0\x80", 2, NULL));         /* overlong NUL */
	CHECK(!cl_utf8_valid("\xe0\x80\xaf", 3, NULL));     /* overlong */
	CHECK(!cl_utf8_valid("\xed\xa0\x80", 3, NULL));     /* surrogate */
	CHECK(!cl_utf8_valid("\xf4\x90\x80\x80", 4, NULL)); /* above U+10FFFF */
	CHECK(!cl_utf8_valid("\xe8\xa8", 2, NULL));         /* truncated */
	CHECK(!cl_utf8_valid("\x80", 1, NULL));
}

static void test_json_writer(void)
{
	struct cl_json_writer w;
	const char *out;
	cJSON *root;

	cl_json_writer_init(&w, 1024);
	cl_json_write_str(&w, "a", "q\"b\\s\n\x01 \xe8\xa8\xbc");
	cl_json_write_str(&w, "skipped", NULL);
	cl_json_write_null(&w, "n");
	cl_json_write_int(&w, "i", -42);
	cl_json_write_bool(&w, "t", true);
	cl_json_write_open(&w, "o");
	cl_json_write_bool(&w, "f", false);
	cl_json_write_close(&w);
	out = cl_json_writer_done(&w, &err);
	CHECK_STR_EQ(out, "{\"a\":\"q\\\"b\\\\s\\u000a\\u0001 \xe8\xa8\xbc\",\"n\":null,\"i\":-42,\"t\":true,"
	                  "\"o\":{\"f\":false}}");
	root = out ? cJSON_Parse(out) : NULL;
	CHECK(root && strcmp(cJSON_GetObjectItem(root, "a")->valuestring, "q\"b\\s\n\x01 \xe8\xa8\xbc") == 0);
	cJSON_Delete(root);
	cl_json_writer_free(&w);
	CHECK(w.buf == NULL);

	cl_json_writer_init(&w, 1024);
	cl_json_write_str(&w, "bad", "\xc0\x80");
	CHECK(cl_json_writer_done(&w, &err) == NULL);
	CHECK_INT_EQ(err.status, CL_E_LOCAL);
	cl_json_writer_free(&w);
	cl_json_writer_init(&w, 16);
	cl_json_write_str(&w, "long", "0123456789");
	CHECK(cl_json_writer_done(&w, &err) == NULL);
	cl_json_writer_free(&w);
	cl_json_writer_init(&w, 64);
	cl_json_write_open(&w, "unclosed");
	CHECK(cl_json_writer_done(&w, &err) == NULL);
	cl_json_writer_free(&w);
}

/* ---- config ---- */

static const char config_example[] =
    "{\"protocol\": 1, \"server\": \"certlink-server 0.1.0\", \"service_name\": \"Example Corp "
    "certificates\","
    " \"auto_approve\": false, \"passwordless\": true, \"apid_check\": false,"
    " \"fields\": {\"email\": {\"use\": \"optional\", \"max\": 128}, \"reason\": {\"use\": \"required\", "
    "\"max\": 256},"
    " \"device_note\": {\"use\": \"optional\", \"max\": 128, \"label\": \"Asset tag\"},"
    " \"invitation_code\": {\"use\": \"off\"}},"
    " \"key\": {\"type\": \"rsa\", \"bits\": 2048}, \"renewal\": {\"same_key\": \"allowed\", "
    "\"window_days\": 14},"
    " \"withdraw_requires_password\": false, \"approval_poll\": {\"interval\": 5, \"timeout\": 900},"
    " \"future_member\": {\"x\": [1, {\"y\": null}]}}";

static enum cl_status config(const char *text, struct cl_proto_config *c)
{
	return cl_proto_parse_config(text, strlen(text), c, &err);
}

#define KEY "\"key\":{\"type\":\"rsa\",\"bits\":2048}"

static void test_config(void)
{
	struct cl_proto_config c;
	char *name;

	CHECK_INT_EQ(config(config_example, &c), CL_OK);
	CHECK_INT_EQ(c.protocol, 1);
	CHECK_STR_EQ(c.server, "certlink-server 0.1.0");
	CHECK_STR_EQ(c.service_name, "Example Corp certificates");
	CHECK(c.passwordless && !c.auto_approve && !c.apid_check);
	CHECK_INT_EQ(c.email.use, CL_PROTO_USE_OPTIONAL);
	CHECK_INT_EQ(c.reason.use, CL_PROTO_USE_REQUIRED);
	CHECK_INT_EQ(c.reason.max, 256);
	CHECK_STR_EQ(c.device_note.label, "Asset tag");
	CHECK_INT_EQ(c.invitation_code.use, CL_PROTO_USE_OFF);
	CHECK_STR_EQ(c.key.type, "rsa");
	CHECK_INT_EQ(c.key.bits, 2048);
	CHECK(c.renewal_same_key);
	CHECK_INT_EQ(c.renewal_window_days, 14);
	CHECK_INT_EQ(c.poll_interval, 5);
	CHECK_INT_EQ(c.poll_timeout, 900);

	/* Defaults for everything optional. */
	CHECK_INT_EQ(config("{\"protocol\":1,\"key\":{\"type\":\"ec\",\"curve\":\"P-384\"}}", &c), CL_OK);
	CHECK_STR_EQ(c.key.curve, "P-384");
	CHECK_INT_EQ(c.email.use, CL_PROTO_USE_OFF);
	CHECK(!c.renewal_same_key && !c.withdraw_requires_password);
	CHECK_INT_EQ(c.poll_interval, CL_PROTO_POLL_DEFAULT);

	/* Text the person reads reads as the server sent it: format, bidirectional and control characters in
	 * the service name and a field label become visible escapes (core/text.h). */
	CHECK_INT_EQ(
	    config("{\"protocol\":1," KEY ",\"service_name\":\"Corp\u202efdp.exe\","
	           "\"fields\":{\"device_note\":{\"use\":\"required\",\"label\":\"Asset\u200btag\"}}}",
	           &c),
	    CL_OK);
	CHECK_STR_EQ(c.service_name, "Corp<U+202E>fdp.exe");
	CHECK_STR_EQ(c.device_note.label, "Asset<U+200B>tag");

	/* Another major version is refused, not misread. */
	CHECK_INT_EQ(config("{\"protocol\":2," KEY "}", &c), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "protocol_version");
	CHECK_INT_EQ(c.protocol, 0); /* cleared on error */

	/* Missing members and wrong types. */
	CHECK_INT_EQ(config("{" KEY "}", &c), CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "\"protocol\" is missing") != NULL);
	CHECK_INT_EQ(config("{\"protocol\":1}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":\"1\"," KEY "}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1.5," KEY "}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"key\":[]}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"auto_approve\":\"yes\"," KEY "}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"fields\":{\"email\":{\"use\":\"maybe\"}}," KEY "}", &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"fields\":{\"email\":{\"max\":5}}," KEY "}", &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    config("{\"protocol\":1,\"fields\":{\"reason\":{\"use\":\"required\",\"max\":0}}," KEY "}", &c),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"renewal\":{\"same_key\":\"sometimes\"}," KEY "}", &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"approval_poll\":{\"interval\":0}," KEY "}", &c),
	             CL_E_UNREACHABLE);

	/* E-mail is at most 128 whatever the server says. */
	CHECK_INT_EQ(
	    config("{\"protocol\":1,\"fields\":{\"email\":{\"use\":\"required\",\"max\":1000}}," KEY "}", &c),
	    CL_OK);
	CHECK_INT_EQ(c.email.max, 128);

	/* Lengths count characters: 128 three-octet characters fit, 129 ASCII do not. */
	name = repeat("\xe8\xa8\xbc", 128);
	CHECK_INT_EQ(config(fmt("{\"protocol\":1,\"service_name\":\"%s\"," KEY "}", name), &c), CL_OK);
	CHECK_INT_EQ(strlen(c.service_name), 384);
	free(name);
	name = repeat("a", 129);
	CHECK_INT_EQ(config(fmt("{\"protocol\":1,\"service_name\":\"%s\"," KEY "}", name), &c),
	             CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "service_name") != NULL);
	free(name);
	CHECK_INT_EQ(config("{\"protocol\":1,\"service_name\":\"a\\u001bb\"," KEY "}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"service_name\":\"a\\u0085b\"," KEY "}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(config("{\"protocol\":1,\"service_name\":\"\xff\"," KEY "}", &c), CL_E_UNREACHABLE);

	/* Every truncation of a good reply is refused cleanly. */
	for (size_t n = 0; n + 1 < sizeof(config_example) - 1; n++)
		if (cl_proto_parse_config(config_example, n, &c, &err) == CL_OK) {
			CHECK(!"a truncated config parsed");
			break;
		}
}

/* ---- errors ---- */

static void test_error(void)
{
	struct cl_proto_error e;
	const char *ok =
	    "{\"error\":{\"code\":\"invalid_credentials\",\"message\":\"User ID or password is incorrect.\","
	    "\"retry_after\":0}}";
	char *msg = repeat("m", 513);
	long ra = -1;

	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_OK);
	CHECK_STR_EQ(e.code, "invalid_credentials");
	CHECK_STR_EQ(e.message, "User ID or password is incorrect.");
	ok = "{\"error\":{\"code\":\"wrong_state\",\"state\":\"withdrawn\",\"field\":\"reason\"}}";
	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_OK);
	CHECK_STR_EQ(e.state, "withdrawn");
	CHECK_STR_EQ(e.field, "reason");
	ok = fmt("{\"error\":{\"code\":\"x\",\"message\":\"%s\"}}", msg);
	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_E_UNREACHABLE);
	/* a server message is shown on one line, and as it reads */
	ok = "{\"error\":{\"code\":\"x\",\"message\":\"Denied.\\nInstalled OK \u2066\u200d\"}}";
	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_OK);
	CHECK_STR_EQ(e.message, "Denied.<U+000A>Installed OK <U+2066><U+200D>");
	ok = "{\"error\":{\"code\":\"a b\"}}";
	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_E_UNREACHABLE);
	ok = "{\"error\":\"denied\"}";
	CHECK_INT_EQ(cl_proto_parse_error(ok, strlen(ok), &e, &err), CL_E_UNREACHABLE);
	free(msg);

	/* Section 2 mapping. */
	ok = "{\"error\":{\"code\":\"invalid_credentials\",\"message\":\"User ID or password is "
	     "incorrect.\"}}";
	CHECK_INT_EQ(cl_proto_map_error(401, ok, strlen(ok), "applying", &ra, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "invalid_credentials");
	CHECK_STR_EQ(err.msg,
	             "applying: the server answered 401 invalid_credentials: \"User ID or password is "
	             "incorrect.\"");
	ok = "{\"error\":{\"code\":\"not_approved\",\"retry_after\":7}}";
	CHECK_INT_EQ(cl_proto_map_error(409, ok, strlen(ok), "activating", &ra, &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "not_approved");
	CHECK_INT_EQ(ra, 7);
	ok = "{\"error\":{\"code\":\"rejected\"}}";
	CHECK_INT_EQ(cl_proto_map_error(409, ok, strlen(ok), "activating", &ra, &err), CL_E_REFUSED);
	CHECK_INT_EQ(ra, 0);
	CHECK_INT_EQ(cl_proto_map_error(503, NULL, 0, "applying", NULL, &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "unavailable");
	CHECK_INT_EQ(cl_proto_map_error(429, "<html>", 6, "applying", NULL, &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "busy");
	CHECK_INT_EQ(cl_proto_map_error(500, "oops", 4, "applying", NULL, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "internal");
	CHECK_INT_EQ(cl_proto_map_error(302, NULL, 0, "applying", NULL, &err), CL_E_UNREACHABLE);
}

/* ---- CA list ---- */

static enum cl_status ca(const char *text, struct cl_proto_ca *out)
{
	return cl_proto_parse_ca(text, strlen(text), out, &err);
}

static void test_ca(void)
{
	struct cl_proto_ca c;
	unsigned char zero[32] = { 0 };
	const char *item =
	    fmt("{\"pem\":\"%s\",\"sha256\":\"%s\",\"subject\":\"CN=Test CA\",\"role\":\"root\"}", pem_json,
	        pem_hex);
	char many[40000];
	size_t n;

	CHECK_INT_EQ(ca(fmt("{\"certificates\":[%s]}", item), &c), CL_OK);
	CHECK_INT_EQ(c.n, 1);
	CHECK_STR_EQ(c.certs[0].pem, pem);
	CHECK_STR_EQ(c.certs[0].subject, "CN=Test CA");
	CHECK_INT_EQ(c.certs[0].role, CL_PROTO_CA_ROOT);
	CHECK(memcmp(c.certs[0].sha256, zero, 32) != 0);
	cl_proto_ca_clear(&c);

	/* The fingerprint is computed; a claimed one must agree. Without a claim the computed one stands. */
	CHECK_INT_EQ(ca(fmt("{\"certificates\":[{\"pem\":\"%s\",\"sha256\":\"%064d\"}]}", pem_json, 0), &c),
	             CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "does not match") != NULL);
	CHECK_INT_EQ(ca(fmt("{\"certificates\":[{\"pem\":\"%s\",\"role\":\"intermediate\"}]}", pem_json), &c),
	             CL_OK);
	CHECK_INT_EQ(c.certs[0].role, CL_PROTO_CA_INTERMEDIATE);
	cl_proto_ca_clear(&c);
	CHECK_INT_EQ(ca(fmt("{\"certificates\":[{\"pem\":\"%s\",\"role\":\"leaf\"}]}", pem_json), &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca(fmt("{\"certificates\":[{\"pem\":\"%s%s\"}]}", pem_json, pem_json), &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca("{\"certificates\":[{\"pem\":\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END "
	                "CERTIFICATE-----\\n\"}]}",
	                &c),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca("{\"certificates\":[{\"sha256\":\"00\"}]}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca("{\"certificates\":{}}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca("{\"certs\":[]}", &c), CL_E_UNREACHABLE);
	CHECK_INT_EQ(ca("{\"certificates\":[]}", &c), CL_OK);
	CHECK_INT_EQ(c.n, 0);

	/* At most 8. */
	n = (size_t)snprintf(many, sizeof(many), "{\"certificates\":[");
	for (int i = 0; i < 9; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s{\"pem\":\"%s\"}", i ? "," : "",
		                      pem_json);
	snprintf(many + n, sizeof(many) - n, "]}");
	CHECK_INT_EQ(ca(many, &c), CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "more than 8") != NULL);
	CHECK_INT_EQ(c.n, 0);
}

/* ---- application ---- */

static enum cl_status app(const char *text, struct cl_proto_application *out)
{
	return cl_proto_parse_application(text, strlen(text), out, &err);
}

static void test_application(void)
{
	struct cl_proto_application a;
	char *id65 = repeat("a", 65);

	CHECK_INT_EQ(
	    app("{\"application\":{\"id\":\"a7f3c29e1d\",\"state\":\"pending\","
	        "\"secret\":\"n2Qw3vX0Zq8kYt5Lm1Rb7Hc4Jd6Fs9Ga\",\"created\":\"2026-11-25T10:00:00Z\","
	        "\"retry_after\":5}}",
	        &a),
	    CL_OK);
	CHECK_STR_EQ(a.id, "a7f3c29e1d");
	CHECK_INT_EQ(a.state, CL_PROTO_PENDING);
	CHECK_STR_EQ(a.secret, "n2Qw3vX0Zq8kYt5Lm1Rb7Hc4Jd6Fs9Ga");
	CHECK_STR_EQ(a.created, "2026-11-25T10:00:00Z");
	CHECK_INT_EQ(a.retry_after, 5);
	cl_proto_application_clear(&a);
	CHECK(a.secret[0] == '\0' && a.id[0] == '\0');

	CHECK_INT_EQ(app("{\"application\":{\"id\":\"a7f3c29e1d\",\"state\":\"approved\",\"created\":\"2026-"
	                 "11-25T10:00:"
	                 "00Z\",\"updated\":\"2026-11-25T10:03:12.5Z\",\"certificate_serial\":null,\"retry_"
	                 "after\":0}}",
	                 &a),
	             CL_OK);
	CHECK_INT_EQ(a.state, CL_PROTO_APPROVED);
	CHECK_STR_EQ(a.certificate_serial, "");
	CHECK_STR_EQ(a.secret, "");
	CHECK_INT_EQ(
	    app("{\"application\":{\"id\":\"x\",\"state\":\"withdrawn\",\"revoked_serial\":\"004F1A22C9\"}}",
	        &a),
	    CL_OK);
	CHECK_STR_EQ(a.revoked_serial, "4f1a22c9");
	CHECK_STR_EQ(cl_proto_state_name(a.state), "withdrawn");

	CHECK_INT_EQ(app("{\"application\":{\"id\":\"../admin\",\"state\":\"pending\"}}", &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(app(fmt("{\"application\":{\"id\":\"%s\",\"state\":\"pending\"}}", id65), &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"application\":{\"id\":\"x\",\"state\":\"frozen\"}}", &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"application\":{\"id\":\"x\"}}", &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"application\":{\"id\":1,\"state\":\"pending\"}}", &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"application\":{\"id\":\"x\",\"state\":\"pending\",\"secret\":\"short\"}}", &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    app("{\"application\":{\"id\":\"x\",\"state\":\"pending\",\"secret\":\"n2Qw3vX0Zq8kYt5Lm1Rb7Hc4J "
	        "d6Fs9Ga\"}}",
	        &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    app("{\"application\":{\"id\":\"x\",\"state\":\"pending\",\"created\":\"yesterday\"}}", &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    app("{\"application\":{\"id\":\"x\",\"state\":\"issued\",\"certificate_serial\":\"xyz\"}}", &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"application\":{\"id\":\"x\",\"state\":\"pending\",\"retry_after\":-1}}", &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(app("{\"app\":{}}", &a), CL_E_UNREACHABLE);
	free(id65);
}

/* ---- activation ---- */

static const char *activation(const char *scep, const char *subject, const char *extra)
{
	return fmt(
	    "{\"scep\":%s,\"subject\":%s,\"san\":{\"dns\":[],\"email\":[\"alice@example.com\"],\"upn\":[],"
	    "\"uri\":[]},\"cn_override\":\"allowed\",\"key\":{\"type\":\"rsa\",\"bits\":2048}%s}",
	    scep, subject, extra);
}

#define SCEP_OK                                                                               \
	"{\"url\":\"https://eps.example.com/scep\",\"ca_sha256\":"                            \
	"\"5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab\",\"challenge\":" \
	"\"yq8Y3Yb9cQ2l7mX1vT0rNw\","                                                         \
	"\"challenge_expires\":\"2026-11-25T11:00:00Z\"}"
#define SUBJECT_OK "[[\"CN\",\"alice\"],[\"O\",\"Example Corp\"]]"

static enum cl_status act(const char *text, struct cl_proto_activation *out)
{
	return cl_proto_parse_activation(text, strlen(text), out, &err);
}

static void test_activation(void)
{
	struct cl_proto_activation a;
	const char *profile =
	    fmt(",\"profile\":{\"trust\":[{\"pem\":\"%s\",\"sha256\":\"%s\",\"subject\":\"CN=Test "
	        "CA\"}],\"wifi\":{\"ssid\":\"CorpWiFi\",\"eap\":\"tls\",\"server_names\":[\"radius."
	        "example.com\"],\"ca_sha256\":\"%s\"}},\"issued_serial\":\"4F1A22C9\"",
	        pem_json, pem_hex, pem_hex);
	char *long_cn = repeat("c", 65), *long_mail = repeat("m", 128), sans[4096];
	size_t n;

	CHECK_INT_EQ(act(activation(SCEP_OK, SUBJECT_OK, profile), &a), CL_OK);
	CHECK_STR_EQ(a.scep_url, "https://eps.example.com/scep");
	CHECK_INT_EQ(a.scep_ca_sha256[0], 0x5f);
	CHECK_INT_EQ(a.scep_ca_sha256[31], 0xab);
	CHECK_STR_EQ(a.challenge, "yq8Y3Yb9cQ2l7mX1vT0rNw");
	CHECK_STR_EQ(a.challenge_expires, "2026-11-25T11:00:00Z");
	CHECK_INT_EQ(a.n_subject, 2);
	CHECK_STR_EQ(a.subject[1].type, "O");
	CHECK_STR_EQ(a.subject[1].value, "Example Corp");
	CHECK_INT_EQ(a.san_email.n, 1);
	CHECK_STR_EQ(a.san_email.v[0], "alice@example.com");
	CHECK_INT_EQ(a.san_dns.n, 0);
	CHECK(a.cn_override);
	CHECK_STR_EQ(a.key.type, "rsa");
	CHECK_INT_EQ(a.n_trust, 1);
	CHECK_STR_EQ(a.trust[0].pem, pem);
	/* the older profile.wifi is read as one WPA2-Enterprise network checking exact names */
	CHECK_INT_EQ(a.networks.n, 1);
	CHECK_STR_EQ(a.networks.v[0].ssids[0].ssid, "CorpWiFi");
	CHECK(a.networks.v[0].kind == CL_PROTO_NET_WIFI && a.networks.v[0].security == CL_PROTO_NET_WPA2);
	CHECK_STR_EQ(a.networks.v[0].altsubject_matches[0], "DNS:radius.example.com");
	CHECK(a.networks.v[0].ca_index == 0 && a.networks.v[0].autoconnect);
	CHECK_STR_EQ(a.issued_serial, "4f1a22c9");
	cl_proto_activation_clear(&a);
	CHECK(a.challenge[0] == '\0' && a.n_trust == 0 && a.san_email.n == 0);

	/* Minimal: no san, no profile, cn_override absent means forbidden. */
	CHECK_INT_EQ(
	    act("{\"scep\":" SCEP_OK ",\"subject\":[],\"key\":{\"type\":\"ec\",\"curve\":\"P-256\"}}", &a),
	    CL_OK);
	CHECK(!a.cn_override && a.networks.n == 0 && a.n_trust == 0);
	cl_proto_activation_clear(&a);

	/* The SCEP part. */
	CHECK_INT_EQ(act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"5f\",\"challenge\":\"c\"}",
	                            SUBJECT_OK, ""),
	                 &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    act(activation("{\"url\":\"ftp://x/scep/\",\"ca_sha256\":\"" CL_TEST_FP "\",\"challenge\":\"c\"}",
	                   SUBJECT_OK, ""),
	        &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"" CL_TEST_FP "\"}", SUBJECT_OK, ""),
	        &a),
	    CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "challenge") != NULL);
	/* An issued application's document has no challenge (the issuance used it): fine with issued_serial.
	 */
	CHECK_INT_EQ(act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"" CL_TEST_FP "\"}",
	                            SUBJECT_OK, ",\"issued_serial\":\"0A3F\""),
	                 &a),
	             CL_OK);
	CHECK_STR_EQ(a.challenge, "");
	CHECK_STR_EQ(a.issued_serial, "a3f");
	cl_proto_activation_clear(&a);
	CHECK_INT_EQ(
	    act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"" CL_TEST_FP "\",\"challenge\":null}",
	                   SUBJECT_OK, ",\"issued_serial\":null"),
	        &a),
	    CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "challenge") != NULL);
	CHECK_INT_EQ(act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"" CL_TEST_FP
	                            "\",\"challenge\":\"a b\"}",
	                            SUBJECT_OK, ""),
	                 &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation("{\"url\":\"https://x/scep\",\"ca_sha256\":\"" CL_TEST_FP
	                            "\",\"challenge\":\"c\"}",
	                            SUBJECT_OK, ""),
	                 &a),
	             CL_OK);
	cl_proto_activation_clear(&a);

	/* Subject rules. */
	CHECK_INT_EQ(act(activation(SCEP_OK, "[[\"SN\",\"x\"]]", ""), &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, "[[\"CN\"]]", ""), &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, "[[\"CN\",\"\"]]", ""), &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, "[\"CN=alice\"]", ""), &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, fmt("[[\"CN\",\"%s\"]]", long_cn), ""), &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, fmt("[[\"emailAddress\",\"%s\"]]", long_mail), ""), &a), CL_OK);
	cl_proto_activation_clear(&a);
	n = (size_t)snprintf(sans, sizeof(sans), "[");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(sans + n, sizeof(sans) - n, "%s[\"OU\",\"u%d\"]", i ? "," : "", i);
	snprintf(sans + n, sizeof(sans) - n, "]");
	CHECK_INT_EQ(act(activation(SCEP_OK, sans, ""), &a), CL_E_UNREACHABLE);

	/* SAN and profile rules. */
	n = (size_t)snprintf(sans, sizeof(sans),
	                     "{\"scep\":" SCEP_OK ",\"subject\":[],\"key\":{\"type\":\"rsa\"},"
	                     "\"san\":{\"dns\":[");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(sans + n, sizeof(sans) - n, "%s\"h%d.example\"", i ? "," : "", i);
	snprintf(sans + n, sizeof(sans) - n, "]}}");
	CHECK_INT_EQ(act(sans, &a), CL_E_UNREACHABLE);
	CHECK_INT_EQ(act(activation(SCEP_OK, SUBJECT_OK,
	                            ",\"profile\":{\"wifi\":{\"ssid\":\"" CL_TEST_33 "\","
	                            "\"eap\":\"tls\"}}"),
	                 &a),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    act(activation(SCEP_OK, SUBJECT_OK, ",\"profile\":{\"wifi\":{\"ssid\":\"x\",\"eap\":\"peap\"}}"),
	        &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    act(activation(SCEP_OK, SUBJECT_OK, ",\"profile\":{\"trust\":[{\"pem\":\"junk\"}]}"), &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    act("{\"scep\":" SCEP_OK ",\"subject\":[],\"key\":{\"type\":\"rsa\"},\"cn_override\":true}", &a),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(act("{\"scep\":" SCEP_OK ",\"subject\":[]}", &a), CL_E_UNREACHABLE); /* no key */
	free(long_cn);
	free(long_mail);
}

/* Where SCEP may go: only the enrollment server's own origin (docs/protocol.md section 7). */
static void test_scep_origin(void)
{
	static const struct {
		const char *url, *server;
		bool ok;
	} cases[] = {
		{ "https://eps.example.com:8443/scep", "https://eps.example.com:8443", true },
		{ "HTTPS://EPS.Example.com:8443/scep?operation=GetCACaps", "https://eps.example.com:8443",
		  true },
		{ "https://eps.example.com/scep", "https://eps.example.com:443", true },
		{ "http://eps.example.com:8080/scep", "https://eps.example.com:8443", true },
		{ "http://eps.example.com/scep", "https://eps.example.com:8443", true },
		{ "https://[::1]:8443/scep", "https://[::1]:8443", true },
		{ "https://127.0.0.1:8443/scep", "https://127.0.0.1:8443", true },
		/* another host, another https port, look-alikes */
		{ "https://evil.example.net:8443/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com:9443/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com.evil.net:8443/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com:8443@evil.example.net/scep", "https://eps.example.com:8443",
		  false },
		{ "https://user@eps.example.com:8443/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com:08443/scep", "https://eps.example.com:8443", false },
		{ "https://eps.example.com:/scep", "https://eps.example.com:8443", false },
		{ "https://localhost:8443/scep", "https://127.0.0.1:8443", false },
		{ "http://127.0.0.1:631/scep", "https://eps.example.com:8443", false },
		{ "http://169.254.169.254/latest", "https://eps.example.com:8443", false },
		{ "https://[::2]:8443/scep", "https://[::1]:8443", false },
		{ "ftp://eps.example.com:8443/scep", "https://eps.example.com:8443", false },
		{ "/scep", "https://eps.example.com:8443", false },
		{ "", "https://eps.example.com:8443", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cl_status st;

		cl_error_clear(&err);
		st = cl_proto_check_scep_url(cases[i].url, cases[i].server, &err);
		CHECK_INT_EQ(st, cases[i].ok ? CL_OK : CL_E_UNREACHABLE);
		if (!cases[i].ok) {
			CHECK_STR_EQ(err.code, "scep_url_foreign");
			CHECK(strstr(err.msg, "nothing was sent there") != NULL);
		}
		if ((st == CL_OK) != cases[i].ok)
			fprintf(stderr, "  SCEP URL %s for server %s\n", cases[i].url, cases[i].server);
	}
}

/* profile.networks (docs/protocol.md section 6): WPA2/WPA3-Enterprise Wi-Fi with several SSIDs, wired
 * 802.1X, EAP-TLS with the RADIUS server's CA from the profile and a server name check. */
static const char *with_networks(const char *networks)
{
	return activation(
	    SCEP_OK, SUBJECT_OK,
	    fmt(",\"profile\":{\"trust\":[{\"pem\":\"%s\"}],\"networks\":%s}", pem_json, networks));
}

static enum cl_status net(const char *one)
{
	struct cl_proto_activation a;
	enum cl_status st = act(with_networks(fmt("[%s]", one)), &a);

	cl_proto_activation_clear(&a);
	return st;
}

#define WIFI                                                                                                 \
	"{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\",\"ssids\":[{\"ssid\":\"Corp\"}" \
	"],"

static void test_networks(void)
{
	struct cl_proto_activation a;
	struct cl_proto_profile p;
	const char *ca = fmt("\"ca_sha256\":\"%s\"", pem_hex);
	char ca_field[128];
	const char *doc;

	snprintf(ca_field, sizeof(ca_field), "%s", ca);
	CHECK_INT_EQ(
	    act(with_networks(fmt(
	            "[{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa3-enterprise\","
	            "\"ssids\":[{\"ssid\":\"CorpWiFi\"},{\"ssid\":\"Corp Hidden\",\"hidden\":true}],%s,"
	            "\"domain_suffix_match\":\"radius.example.com\"},"
	            "{\"type\":\"wired\",\"eap\":\"tls\",\"identity\":\"host/pc01\",%s,\"autoconnect\":false,"
	            "\"altsubject_matches\":[\"DNS:radius.example.com\",\"EMAIL:radius@example.com\"]}]",
	            ca_field, ca_field)),
	        &a),
	    CL_OK);
	CHECK_INT_EQ(a.networks.n, 2);
	CHECK(a.networks.v[0].kind == CL_PROTO_NET_WIFI && a.networks.v[0].security == CL_PROTO_NET_WPA3);
	CHECK_INT_EQ(a.networks.v[0].n_ssids, 2);
	CHECK_STR_EQ(a.networks.v[0].ssids[1].ssid, "Corp Hidden");
	CHECK(!a.networks.v[0].ssids[0].hidden && a.networks.v[0].ssids[1].hidden);
	CHECK_STR_EQ(a.networks.v[0].domain_suffix_match, "radius.example.com");
	CHECK(a.networks.v[0].autoconnect && a.networks.v[0].identity[0] == '\0');
	CHECK(a.networks.v[1].kind == CL_PROTO_NET_WIRED && a.networks.v[1].n_ssids == 0);
	CHECK_STR_EQ(a.networks.v[1].identity, "host/pc01");
	CHECK_INT_EQ(a.networks.v[1].n_altsubject, 2);
	CHECK_STR_EQ(a.networks.v[1].altsubject_matches[1], "EMAIL:radius@example.com");
	CHECK(!a.networks.v[1].autoconnect);
	CHECK(a.networks.v[1].ca_index == 0 && a.networks.v[1].ca_sha256[0] == a.trust[0].sha256[0]);
	cl_proto_activation_clear(&a);

	/* No server certificate check: refused, saying why. */
	CHECK_INT_EQ(net(fmt(WIFI "%s}", ca_field)), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "network_unchecked");
	CHECK(strstr(err.msg, "no server certificate check") && strstr(err.msg, "(Corp)") &&
	      strstr(err.msg, "any access point"));
	CHECK_INT_EQ(net(fmt(WIFI "%s,\"altsubject_matches\":[]}", ca_field)), CL_E_UNREACHABLE);
	/* The RADIUS CA must be one the profile delivers, and there must be one. */
	CHECK_INT_EQ(net(WIFI "\"domain_suffix_match\":\"example.com\"}"), CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "ca_sha256") != NULL);
	CHECK_INT_EQ(net(WIFI "\"ca_sha256\":\"" CL_TEST_FP "\",\"domain_suffix_match\":\"example.com\"}"),
	             CL_E_UNREACHABLE);
	CHECK(strstr(err.msg, "names no CA that the profile delivers") != NULL);
	/* Member rules. */
	CHECK_INT_EQ(net(fmt(WIFI "%s,\"domain_suffix_match\":\"example.com\"}", ca_field)), CL_OK);
	CHECK_INT_EQ(net(fmt(WIFI "%s,\"domain_suffix_match\":\".example.com\"}", ca_field)),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(net(fmt(WIFI "%s,\"altsubject_matches\":[\"DNS:a.example;DNS:evil\"]}", ca_field)),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(net(fmt(WIFI "%s,\"altsubject_matches\":[\"CN:radius\"]}", ca_field)), CL_E_UNREACHABLE);
	CHECK_INT_EQ(net(fmt("{\"type\":\"wifi\",\"eap\":\"tls\",\"ssids\":[{\"ssid\":\"C\"}],%s,"
	                     "\"domain_suffix_match\":\"example.com\"}",
	                     ca_field)),
	             CL_E_UNREACHABLE); /* no security */
	CHECK(strstr(err.msg, "security") != NULL);
	CHECK_INT_EQ(net(fmt("{\"type\":\"wifi\",\"eap\":\"peap\",\"security\":\"wpa2-enterprise\","
	                     "\"ssids\":[{\"ssid\":\"C\"}],%s,\"domain_suffix_match\":\"example.com\"}",
	                     ca_field)),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(net(fmt("{\"type\":\"wired\",\"eap\":\"tls\",\"ssids\":[{\"ssid\":\"C\"}],%s,"
	                     "\"domain_suffix_match\":\"example.com\"}",
	                     ca_field)),
	             CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    net(fmt("{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\","
	            "\"ssids\":[{\"ssid\":\"" CL_TEST_33 "\"}],%s,\"domain_suffix_match\":\"e.com\"}",
	            ca_field)),
	    CL_E_UNREACHABLE);
	CHECK_INT_EQ(
	    net(fmt("{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\","
	            "\"ssids\":[{\"ssid\":\"Corp\\u202eiFW\"}],%s,\"domain_suffix_match\":\"e.com\"}",
	            ca_field)),
	    CL_E_UNREACHABLE); /* an SSID that does not read as sent */
	CHECK_INT_EQ(
	    net(fmt("{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\","
	            "\"ssids\":[{\"ssid\":\"C\"},{\"ssid\":\"C\"}],%s,\"domain_suffix_match\":\"e.com\"}",
	            ca_field)),
	    CL_E_UNREACHABLE);
	/* Two wired networks are one connection twice. */
	doc = fmt("{\"type\":\"wired\",\"eap\":\"tls\",%s,\"domain_suffix_match\":\"e.com\"}", ca_field);
	CHECK_INT_EQ(act(with_networks(fmt("[%s,%s]", doc, doc)), &a), CL_E_UNREACHABLE);
	cl_proto_activation_clear(&a);

	/* A profile on its own (staged for the privileged helper; the reference server's own check). */
	doc = fmt("{\"trust\":[{\"pem\":\"%s\"}],\"networks\":[{\"type\":\"wired\",\"eap\":\"tls\",%s,"
	          "\"domain_suffix_match\":\"example.com\"}]}",
	          pem_json, ca_field);
	CHECK_INT_EQ(cl_proto_parse_profile(doc, strlen(doc), &p, &err), CL_OK);
	CHECK(p.n_trust == 1 && p.networks.n == 1 && p.networks.v[0].kind == CL_PROTO_NET_WIRED);
	cl_proto_profile_clear(&p);
	CHECK(p.n_trust == 0 && p.networks.n == 0);
	doc =
	    fmt("{\"networks\":[{\"type\":\"wired\",\"eap\":\"tls\",%s,\"domain_suffix_match\":\"e.com\"}]}",
	        ca_field);
	CHECK_INT_EQ(cl_proto_parse_profile(doc, strlen(doc), &p, &err), CL_E_UNREACHABLE);
	CHECK(p.n_trust == 0 && p.networks.n == 0);
	/* The older profile.wifi without server names is refused too. */
	CHECK_INT_EQ(act(activation(SCEP_OK, SUBJECT_OK,
	                            fmt(",\"profile\":{\"trust\":[{\"pem\":\"%s\"}],\"wifi\":{\"ssid\":\"W\","
	                                "\"eap\":\"tls\",%s}}",
	                                pem_json, ca_field)),
	                 &a),
	             CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "network_unchecked");
	cl_proto_activation_clear(&a);
}

int main(void)
{
	make_cert();
	test_json_limits();
	test_utf8();
	test_json_writer();
	test_config();
	test_error();
	test_ca();
	test_application();
	test_activation();
	test_networks();
	test_scep_origin();
	return check_done();
}
