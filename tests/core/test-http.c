/* Unit tests for core/http.c: one request against a scripted loopback responder (tests/lib/responder.h).
 *
 * Covers the reply cap (declared and undeclared length), timeouts, connection refused with retries,
 * 429/503 with Retry-After, cancellation during a sleep and during a transfer, the bearer header and its
 * absence from the debug log, header injection, proxy from the environment, and the backoff arithmetic.
 * TLS and server identity are tested against openssl s_server in tests/integration/test-http-tls.c.
 */
#include "http-private.h"

#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "responder.h"

static char url[128];

struct log {
	char text[64 * 1024];
	size_t len;
	int retries;
	long last_delay;
};

static void log_line(void *data, const char *line)
{
	struct log *l = data;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", line);

	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
}

static void on_retry(void *data, int attempt, int max, long delay_ms, const char *why)
{
	struct log *l = data;

	l->retries++;
	l->last_delay = delay_ms;
}

static struct cl_http_options quick(struct log *l)
{
	struct cl_http_options o = {
		.backoff_base_ms = 10, .no_proxy = true, .on_retry = on_retry, .retry_data = l
	};

	return o;
}

static enum cl_status run(const struct responder_step *steps, int n, struct cl_http_request *req,
                          struct cl_http_response *resp, struct cl_error *err, struct responder *r)
{
	enum cl_status st;

	if (!responder_start(r, steps, n, NULL))
		return CL_E_UNEXPECTED;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/config", r->port);
	req->url = url;
	st = cl_http_request(req, resp, err);
	responder_stop(r);
	return st;
}

static void test_get(void)
{
	static const struct responder_step steps[] = {
		{ .status = 200,
		  .headers = "Content-Type: application/json\r\n",
		  .body = "{\"protocol\":1}" },
	};
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o, .accept = "application/json" };
	struct cl_http_response resp;
	struct cl_error err;

	CHECK_INT_EQ(run(steps, 1, &req, &resp, &err, &r), CL_OK);
	CHECK_INT_EQ(resp.status, 200);
	CHECK_STR_EQ(resp.content_type, "application/json");
	CHECK_STR_EQ(resp.body, "{\"protocol\":1}");
	CHECK_INT_EQ(resp.body_len, 14);
	CHECK_INT_EQ(resp.attempts, 1);
	CHECK(responder_saw(&r, "GET /api/v1/config HTTP/1.1\r\n"));
	CHECK(responder_saw(&r, "Accept: application/json\r\n"));
	CHECK(responder_saw(&r, "User-Agent: certlink/"));
	CHECK(!responder_saw(&r, "Authorization"));
	cl_http_response_free(&resp);
	CHECK(resp.body == NULL && resp.status == 0);
	cl_http_response_free(NULL);
}

/* The bearer reaches the server; neither it nor the body reaches the debug log. */
static void test_post_bearer_debug(void)
{
	static const struct responder_step steps[] = { { .status = 201, .body = "{\"application\":{}}" } };
	static const char body[] = "{\"password\":\"hunter2-body\"}";
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .method = "POST", .bearer = "s3cret-bearer", .body = body };
	struct cl_http_response resp;
	struct cl_error err;

	o.debug = log_line;
	o.debug_data = &l;
	req.opts = &o;
	req.body_len = strlen(body);
	CHECK_INT_EQ(run(steps, 1, &req, &resp, &err, &r), CL_OK);
	CHECK_INT_EQ(resp.status, 201);
	CHECK(responder_saw(&r, "POST /api/v1/config HTTP/1.1\r\n"));
	CHECK(responder_saw(&r, "Authorization: Bearer s3cret-bearer\r\n"));
	CHECK(responder_saw(&r, "Content-Type: application/json; charset=utf-8\r\n"));
	CHECK(responder_saw(&r, body));
	CHECK(l.len > 0);
	CHECK(strstr(l.text, "> POST /api/v1/config") != NULL);
	CHECK(strstr(l.text, "> Authorization: [redacted]") != NULL);
	CHECK(strstr(l.text, "< HTTP/1.1 201") != NULL);
	CHECK(strstr(l.text, "s3cret-bearer") == NULL);
	CHECK(strstr(l.text, "hunter2-body") == NULL);
	CHECK(strstr(l.text, "application\":{}") == NULL);
	cl_http_response_free(&resp);
}

static void test_header_injection(void)
{
	struct cl_http_request req = { .url = "http://127.0.0.1:1/", .bearer = "x\r\nX-Evil: 1" };
	struct cl_http_response resp;
	struct cl_error err;

	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_LOCAL);
	req.bearer = NULL;
	req.method = "DELETE";
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_LOCAL);
	req.method = NULL;
	req.url = "file:///etc/passwd";
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_LOCAL);
	CHECK(resp.body == NULL);
}

static void test_cap(void)
{
	static const char kib[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; /* 64 B */
	struct responder_step declared[] = {
		{ .status = 200, .body = kib, .body_repeat = 16 * 1024 + 1 }
	}; /* 1 MiB + 64 B */
	struct responder_step streamed[] = {
		{ .status = 200, .body = kib, .body_repeat = 16 * 1024 + 1, .no_length = true }
	};
	struct responder_step exact[] = {
		{ .status = 200, .body = kib, .body_repeat = 16 * 1024, .no_length = true }
	};
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_error err;

	CHECK_INT_EQ(run(declared, 1, &req, &resp, &err, &r), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "reply_too_large");
	CHECK_INT_EQ(resp.attempts, 1); /* a too-large reply is final, not retried */
	CHECK_INT_EQ(run(streamed, 1, &req, &resp, &err, &r), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "reply_too_large");
	CHECK(resp.body == NULL || resp.body_len <= CL_HTTP_BODY_MAX);
	cl_http_response_free(&resp);
	CHECK_INT_EQ(run(exact, 1, &req, &resp, &err, &r), CL_OK);
	CHECK_INT_EQ(resp.body_len, CL_HTTP_BODY_MAX);
	cl_http_response_free(&resp);
	o.max_body = 100;
	exact[0].body_repeat = 2; /* 128 bytes over a 100 byte cap */
	CHECK_INT_EQ(run(exact, 1, &req, &resp, &err, &r), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "reply_too_large");
	cl_http_response_free(&resp);
}

static void test_timeout(void)
{
	static const struct responder_step steps[] = { { .hang = true } };
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_error err;

	o.timeout_ms = 300;
	o.max_attempts = 2;
	CHECK_INT_EQ(run(steps, 1, &req, &resp, &err, &r), CL_E_UNREACHABLE);
	CHECK_INT_EQ(resp.attempts, 2); /* a timeout is retried */
	CHECK_INT_EQ(l.retries, 1);
	CHECK(strstr(err.msg, "after 2 attempts") != NULL);
	/* The responder serves one connection at a time: the second attempt waits in the listen backlog. */
	CHECK_INT_EQ(atomic_load(&r.served), 1);
}

static void test_refused(void)
{
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_error err;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", responder_closed_port());
	req.url = url;
	o.max_attempts = 3;
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_UNREACHABLE);
	CHECK_INT_EQ(resp.attempts, 3);
	CHECK_INT_EQ(l.retries, 2);
	CHECK(l.last_delay >= 0 && l.last_delay <= 20); /* attempt 2: full jitter within [0, 2 * base] */
	CHECK(strstr(err.msg, "after 3 attempts") != NULL);
}

static void test_retry_after(void)
{
	static const struct responder_step steps[] = {
		{ .status = 503,
		  .headers = "Retry-After: 1\r\n",
		  .body = "{\"error\":{\"code\":\"unavailable\"}}" },
		{ .status = 200, .body = "ok" },
	};
	static const struct responder_step busy[] = { { .status = 429,
		                                        .body = "{\"error\":{\"code\":\"busy\"}}" } };
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_error err;

	CHECK_INT_EQ(run(steps, 2, &req, &resp, &err, &r), CL_OK);
	CHECK_INT_EQ(resp.status, 200);
	CHECK_INT_EQ(resp.attempts, 2);
	CHECK_INT_EQ(l.retries, 1);
	CHECK_INT_EQ(l.last_delay, 1000); /* the server's Retry-After, not the 10 ms backoff */
	CHECK_STR_EQ(resp.body, "ok");
	cl_http_response_free(&resp);

	/* Still busy after the last attempt: the reply comes back for the caller to map. */
	o.max_attempts = 3;
	CHECK_INT_EQ(run(busy, 1, &req, &resp, &err, &r), CL_OK);
	CHECK_INT_EQ(resp.status, 429);
	CHECK_INT_EQ(resp.attempts, 3);
	CHECK(strstr(resp.body, "busy") != NULL);
	cl_http_response_free(&resp);
}

struct canceller {
	struct cl_cancel *cancel;
	int after_ms;
};

static void *cancel_later(void *arg)
{
	struct canceller *c = arg;

	usleep((useconds_t)c->after_ms * 1000);
	cl_cancel_request(c->cancel);
	return NULL;
}

static enum cl_status run_cancelled(const struct responder_step *steps, struct cl_http_options *o,
                                    struct cl_http_response *resp, struct cl_error *err)
{
	struct cl_cancel cancel = { 0 };
	struct canceller c = { &cancel, 200 };
	struct cl_http_request req = { .opts = o };
	struct responder r;
	enum cl_status st;
	pthread_t t;

	o->cancel = &cancel;
	pthread_create(&t, NULL, cancel_later, &c);
	st = run(steps, 1, &req, resp, err, &r);
	pthread_join(t, NULL);
	o->cancel = NULL;
	return st;
}

/* Cancel ends a backoff sleep (Retry-After 100 s) and a transfer that hangs (60 s timeout): either would
 * run far past the ctest timeout if cancel did not work. */
static void test_cancel(void)
{
	static const struct responder_step busy[] = {
		{ .status = 503, .headers = "Retry-After: 100\r\n", .body = "" }
	};
	static const struct responder_step hang[] = { { .hang = true } };
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_response resp;
	struct cl_error err;
	struct cl_cancel done = { 0 };
	struct cl_http_request req = { .url = "http://127.0.0.1:1/", .opts = &o };

	CHECK_INT_EQ(run_cancelled(busy, &o, &resp, &err), CL_E_CANCELLED);
	CHECK_INT_EQ(l.last_delay, 100000);
	o.timeout_ms = 60000;
	CHECK_INT_EQ(run_cancelled(hang, &o, &resp, &err), CL_E_CANCELLED);
	CHECK_INT_EQ(resp.attempts, 1);
	cl_cancel_request(&done);
	o.cancel = &done;
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_CANCELLED); /* already cancelled: no attempt */
	CHECK_INT_EQ(resp.attempts, 0);
}

/* Without no_proxy the environment's proxy is used (here: nobody listens there); with it, never. */
static void test_proxy(void)
{
	static const struct responder_step steps[] = { { .status = 200, .body = "direct" } };
	char proxy[64];
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_error err;

	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", responder_closed_port());
	setenv("http_proxy", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	CHECK_INT_EQ(run(steps, 1, &req, &resp, &err, &r), CL_OK);
	CHECK_STR_EQ(resp.body, "direct");
	cl_http_response_free(&resp);
	o.no_proxy = false;
	o.max_attempts = 1;
	CHECK_INT_EQ(run(steps, 1, &req, &resp, &err, &r), CL_E_UNREACHABLE);
	CHECK_INT_EQ(atomic_load(&r.served), 0);
	unsetenv("http_proxy");
}

static void test_backoff(void)
{
	struct cl_http_options o = { 0 };

	CHECK_INT_EQ(cl_http_backoff_ms(&o, 1, 5, 0), 5000);
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 1, 100000, 0), 300000); /* Retry-After capped at 300 s */
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 1, 0, 0), 0);
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 1, 0, 0xffffffffu), 1000);   /* base 1 s */
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 3, 0, 0xffffffffu), 4000);   /* factor 2 */
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 30, 0, 0xffffffffu), 60000); /* cap 60 s */
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 3, 0, 0x80000000u), 2000);
	o.retry_after_cap_s = 10;
	CHECK_INT_EQ(cl_http_backoff_ms(&o, 1, 30, 0), 10000);
}

static void test_redact(void)
{
	char out[128];
	const char *auth = "Authorization: Bearer abc";

	cl_http_redact_header(auth, strlen(auth), out, sizeof(out));
	CHECK_STR_EQ(out, "Authorization: [redacted]");
	cl_http_redact_header("COOKIE: a=b", 11, out, sizeof(out));
	CHECK_STR_EQ(out, "COOKIE: [redacted]");
	cl_http_redact_header("Set-Cookie: s=1", 15, out, sizeof(out));
	CHECK_STR_EQ(out, "Set-Cookie: [redacted]");
	cl_http_redact_header("Content-Type: text/plain", 24, out, sizeof(out));
	CHECK_STR_EQ(out, "Content-Type: text/plain");
	cl_http_redact_header("Authorizationx", 14, out, sizeof(out));
	CHECK_STR_EQ(out, "Authorizationx");
}

/* A client keeps its connection between requests (HTTP keep-alive): three requests, one connection, and the
 * answers in order. cl_http_request() connects anew every time. */
static void test_client_keepalive(void)
{
	static const struct responder_step steps[] = {
		{ .status = 200, .body = "one", .keep_alive = true },
		{ .status = 200, .body = "two", .keep_alive = true },
		{ .status = 200, .body = "three", .keep_alive = true },
	};
	static const char *const want[] = { "one", "two", "three" };
	struct responder r;
	struct log l = { 0 };
	struct cl_http_options o = quick(&l);
	struct cl_http_request req = { .opts = &o };
	struct cl_http_response resp;
	struct cl_http_client *client;
	struct cl_error err;

	if (!responder_start(&r, steps, 3, NULL)) {
		CHECK(!"responder");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scep?operation=GetCACaps", r.port);
	req.url = url;
	client = cl_http_client_new(&err);
	CHECK(client != NULL);
	for (int i = 0; client && i < 3; i++) {
		req.method = i == 2 ? "POST" : "GET";
		req.content_type = i == 2 ? "application/x-pki-message" : NULL;
		req.body = i == 2 ? "msg" : NULL;
		req.body_len = i == 2 ? 3 : 0;
		CHECK_INT_EQ(cl_http_client_request(client, &req, &resp, &err), CL_OK);
		CHECK_INT_EQ(resp.status, 200);
		CHECK_STR_EQ(resp.body ? resp.body : "", want[i]);
		cl_http_response_free(&resp);
	}
	cl_http_client_free(client);
	cl_http_client_free(NULL);
	CHECK_INT_EQ(atomic_load(&r.served), 3);
	CHECK_INT_EQ(atomic_load(&r.connections), 1);
	CHECK(responder_saw(&r, "POST /scep?operation=GetCACaps HTTP/1.1\r\n"));
	responder_stop(&r);

	if (!responder_start(&r, steps, 3, NULL)) {
		CHECK(!"responder");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/scep", r.port);
	req = (struct cl_http_request){ .opts = &o, .url = url };
	for (int i = 0; i < 3; i++) {
		CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_OK);
		CHECK_STR_EQ(resp.body ? resp.body : "", want[i]);
		cl_http_response_free(&resp);
	}
	CHECK_INT_EQ(atomic_load(&r.connections), 3);
	responder_stop(&r);
}

int main(void)
{
	test_backoff();
	test_redact();
	test_get();
	test_post_bearer_debug();
	test_header_injection();
	test_cap();
	test_timeout();
	test_refused();
	test_retry_after();
	test_cancel();
	test_proxy();
	test_client_keepalive();
	return check_done();
}
