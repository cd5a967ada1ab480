/* certlink core: one HTTP(S) request with caps, timeouts, retries and cancellation (see http.h).
 *
 * The server session (identity, trust) lives in http-session.c on top of cl_http_perform().
 */
#include "http-private.h"

#include <libintl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 15000L
#define DEFAULT_TIMEOUT_MS         60000L
#define DEFAULT_MAX_ATTEMPTS       6
#define DEFAULT_BACKOFF_BASE_MS    1000L
#define DEFAULT_BACKOFF_CAP_MS     60000L
#define DEFAULT_RETRY_AFTER_CAP_S  300L

/* State of one attempt, shared with libcurl's callbacks. */
struct xfer {
	struct cl_http_response *resp;
	size_t max;   /* reply cap */
	size_t alloc; /* bytes allocated for resp->body */
	bool too_large;
	bool out_of_memory;
	const struct cl_http_options *opts;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static bool global_ok;

static void global_init_once(void)
{
	global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

bool cl_http_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_ok;
}

void cl_http_response_free(struct cl_http_response *resp)
{
	if (!resp)
		return;
	if (resp->body)
		OPENSSL_clear_free(resp->body, resp->body_len + 1);
	memset(resp, 0, sizeof(*resp));
}

/* Grow the body buffer without realloc(): the old buffer may hold a secret and is wiped before free. */
static bool body_reserve(struct xfer *x, size_t add)
{
	struct cl_http_response *r = x->resp;
	size_t need = r->body_len + add + 1, size = x->alloc ? x->alloc : 4096;
	char *grown;

	if (need <= x->alloc)
		return true;
	while (size < need)
		size = size > x->max ? need : size * 2;
	if (size > x->max + 1)
		size = x->max + 1;
	grown = malloc(size);
	if (!grown)
		return false;
	if (r->body) {
		memcpy(grown, r->body, r->body_len);
		OPENSSL_clear_free(r->body, x->alloc);
	}
	r->body = grown;
	x->alloc = size;
	return true;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t n = size * nmemb;

	/* Check the cap before writing: a reply over it is refused as a whole, never truncated. */
	if (n > x->max - x->resp->body_len) {
		x->too_large = true;
		return 0;
	}
	if (!body_reserve(x, n)) {
		x->out_of_memory = true;
		return 0;
	}
	memcpy(x->resp->body + x->resp->body_len, ptr, n);
	x->resp->body_len += n;
	x->resp->body[x->resp->body_len] = '\0';
	return n;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct xfer *x = data;

	return cl_cancel_requested(x->opts->cancel) ? 1 : 0;
}

static bool header_is_secret(const char *line, size_t len)
{
	static const char *const names[] = { "authorization:", "proxy-authorization:", "cookie:",
		                             "set-cookie:" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (len >= n && strncasecmp(line, names[i], n) == 0)
			return true;
	}
	return false;
}

void cl_http_redact_header(const char *line, size_t len, char *out, size_t out_size)
{
	const char *colon;

	if (out_size == 0)
		return;
	if (header_is_secret(line, len)) {
		colon = memchr(line, ':', len);
		snprintf(out, out_size, "%.*s: [redacted]", (int)(colon - line), line);
		return;
	}
	snprintf(out, out_size, "%.*s", (int)len, line);
}

/* Hand a block of text to the debug callback line by line, without line ends; headers are redacted. */
static void debug_lines(const struct cl_http_options *o, const char *prefix, const char *text, size_t len,
                        bool headers)
{
	char line[512], out[540];

	while (len > 0) {
		const char *eol = memchr(text, '\n', len);
		size_t n = eol ? (size_t)(eol - text) : len, skip = eol ? n + 1 : n;

		while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == '\n'))
			n--;
		if (n > 0) {
			if (headers)
				cl_http_redact_header(text, n, line, sizeof(line));
			else
				snprintf(line, sizeof(line), "%.*s", (int)n, text);
			snprintf(out, sizeof(out), "%s%s", prefix, line);
			o->debug(o->debug_data, out);
		}
		text += skip;
		len -= skip;
	}
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *userp)
{
	const struct xfer *x = userp;

	/* Bodies and TLS records are never shown: they carry passwords, secrets and challenges. */
	if (type == CURLINFO_TEXT)
		debug_lines(x->opts, "* ", data, size, false);
	else if (type == CURLINFO_HEADER_OUT)
		debug_lines(x->opts, "> ", data, size, true);
	else if (type == CURLINFO_HEADER_IN)
		debug_lines(x->opts, "< ", data, size, true);
	return 0;
}

static bool has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static struct curl_slist *add_header(struct curl_slist *list, bool *ok, const char *name, const char *value)
{
	char buf[1024];
	struct curl_slist *next;
	int n;

	if (!*ok || !value)
		return list;
	n = snprintf(buf, sizeof(buf), "%s: %s", name, value);
	next = n > 0 && (size_t)n < sizeof(buf) ? curl_slist_append(list, buf) : NULL;
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!next) {
		*ok = false;
		return list;
	}
	return next;
}

/* Header strings may hold the bearer secret: wipe them before libcurl frees them. */
static void headers_free(struct curl_slist *list)
{
	for (struct curl_slist *h = list; h; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
	curl_slist_free_all(list);
}

static struct curl_slist *build_headers(const struct cl_http_request *req, bool post, bool *ok)
{
	struct curl_slist *list = NULL;
	char bearer[600];
	int n;

	*ok = true;
	list = add_header(list, ok, "Expect", ""); /* no 100-continue round trip */
	list = add_header(list, ok, "Accept", req->accept);
	if (post)
		list = add_header(list, ok, "Content-Type",
		                  req->content_type ? req->content_type : CL_HTTP_CONTENT_JSON);
	if (req->bearer) {
		n = snprintf(bearer, sizeof(bearer), "Bearer %s", req->bearer);
		if (n < 0 || (size_t)n >= sizeof(bearer))
			*ok = false;
		list = add_header(list, ok, "Authorization", bearer);
		OPENSSL_cleanse(bearer, sizeof(bearer));
	}
	return list;
}

static enum cl_status check_request(const struct cl_http_request *req, const struct cl_http_tls *tls,
                                    bool *post, struct cl_error *err)
{
	*post = req->method && strcmp(req->method, "POST") == 0;
	if (!req->url || (req->method && !*post && strcmp(req->method, "GET") != 0))
		return cl_error_set(err, CL_E_LOCAL, "HTTP request needs a URL and GET or POST");
	if (has_control(req->bearer) || has_control(req->content_type) || has_control(req->accept))
		return cl_error_set(err, CL_E_LOCAL, "HTTP header value with a control character");
	if (req->body_len > CL_HTTP_REQUEST_MAX && (!req->content_type || strstr(req->content_type, "json")))
		return cl_error_set(err, CL_E_LOCAL, "request body over %d bytes", CL_HTTP_REQUEST_MAX);
	/* The unverified probe must never carry anything but a plain GET. */
	if (tls && tls->unverified_probe && (*post || req->bearer || req->body))
		return cl_error_set(err, CL_E_UNEXPECTED, "refusing to send data to an unverified server");
	return CL_OK;
}

static long opt_or(long v, long def)
{
	return v > 0 ? v : def;
}

static CURLcode set_tls(CURL *c, const struct cl_http_tls *tls)
{
	CURLcode rc = CURLE_OK;
	bool verify = !(tls && tls->unverified_probe);

	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (tls && tls->want_chain)
		rc |= curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	if (tls && tls->ca_pem) {
		struct curl_blob blob = { (void *)tls->ca_pem, tls->ca_pem_len, CURL_BLOB_COPY };

		/* The blob is the whole trust: it replaces the default bundle, and the hashed directory too.
		 */
		rc |= curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
		rc |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	return rc;
}

static CURLcode set_transfer(CURL *c, const struct cl_http_request *req, bool post, struct xfer *x,
                             struct curl_slist *headers)
{
	const struct cl_http_options *o = x->opts;
	CURLcode rc = CURLE_OK;

	rc |= curl_easy_setopt(c, CURLOPT_URL, req->url);
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "certlink/" CERTLINK_VERSION);
	rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                       opt_or(o->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS));
	rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opt_or(o->timeout_ms, DEFAULT_TIMEOUT_MS));
	rc |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	rc |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	rc |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	if (o->no_proxy) {
		rc |= curl_easy_setopt(c, CURLOPT_PROXY, "");
		rc |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	}
	if (o->debug) {
		rc |= curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		rc |= curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		rc |= curl_easy_setopt(c, CURLOPT_DEBUGDATA, x);
	}
	if (post) {
		rc |= curl_easy_setopt(c, CURLOPT_POST, 1L);
		rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else {
		rc |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	return rc;
}

/* The URL for messages: scheme, host and path, never the query (SCEP GET carries a message there). */
static void url_for_message(const char *url, char *out, size_t size)
{
	size_t n = strcspn(url, "?#");

	snprintf(out, size, "%.*s", (int)(n > 200 ? 200 : n), url);
}

static bool curl_code_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static enum cl_status curl_failure(CURLcode rc, const char *errbuf, const struct cl_http_request *req,
                                   const struct xfer *x, bool *retry, struct cl_error *err)
{
	char url[256];
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	url_for_message(req->url, url, sizeof(url));
	*retry = false;
	if (rc == CURLE_ABORTED_BY_CALLBACK && cl_cancel_requested(x->opts->cancel))
		return cl_error_set(err, CL_E_CANCELLED, "%s: cancelled", url);
	if (x->out_of_memory)
		return cl_error_set(err, CL_E_LOCAL, "%s: out of memory", url);
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		cl_error_set(err, CL_E_UNREACHABLE, "%s: the server's reply is larger than %zu bytes", url,
		             x->max);
		cl_error_set_code(err, "reply_too_large");
		return CL_E_UNREACHABLE;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_ISSUER_ERROR) {
		cl_error_set(err, CL_E_UNREACHABLE, "%s: the server's certificate is not trusted: %s", url,
		             why);
		cl_error_set_code(err, "tls_verify");
		return CL_E_UNREACHABLE;
	}
	if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
	    rc == CURLE_BAD_FUNCTION_ARGUMENT)
		return cl_error_set(err, CL_E_LOCAL, "%s: %s", url, why);
	*retry = curl_code_retryable(rc);
	return cl_error_set(err, CL_E_UNREACHABLE, "%s: %s", url, why);
}

static void collect_chain(CURL *c, struct cl_http_tls *tls)
{
	struct curl_certinfo *ci = NULL;
	size_t len = 0;

	free(tls->chain_pem); /* keep only the last attempt's chain */
	tls->chain_pem = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci)
		return;
	for (int i = 0; i < ci->num_of_certs; i++)
		for (struct curl_slist *s = ci->certinfo[i]; s; s = s->next)
			if (strncmp(s->data, "Cert:", 5) == 0) {
				size_t n = strlen(s->data + 5);
				char *grown = realloc(tls->chain_pem, len + n + 2);

				if (!grown)
					return;
				tls->chain_pem = grown;
				memcpy(grown + len, s->data + 5, n);
				len += n;
				grown[len++] = '\n';
				grown[len] = '\0';
			}
}

static void collect_reply(CURL *c, struct cl_http_response *resp)
{
	char *ctype = NULL;
	curl_off_t retry_after = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
		snprintf(resp->content_type, sizeof(resp->content_type), "%s", ctype);
	if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		resp->retry_after = retry_after > 86400 ? 86400 : (long)retry_after;
}

/* One attempt. *retry says whether another attempt may help (connection failure, 429, 503). */
static enum cl_status attempt_once(CURL *c, const struct cl_http_request *req, struct cl_http_tls *tls,
                                   const struct cl_http_options *o, struct cl_http_response *resp,
                                   bool *retry, struct cl_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct xfer x = { .resp = resp, .opts = o, .max = o->max_body ? o->max_body : CL_HTTP_BODY_MAX };
	struct curl_slist *headers;
	bool post, ok;
	enum cl_status st;
	CURLcode rc;

	*retry = false;
	if ((st = check_request(req, tls, &post, err)) != CL_OK)
		return st;
	headers = build_headers(req, post, &ok);
	curl_easy_reset(c);
	rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (!ok || (rc | set_transfer(c, req, post, &x, headers) | set_tls(c, tls)) != CURLE_OK) {
		headers_free(headers);
		return cl_error_set(err, CL_E_LOCAL, "cannot set up the HTTP request");
	}
	rc = curl_easy_perform(c);
	headers_free(headers);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (tls && tls->want_chain)
		collect_chain(c, tls);
	if (rc != CURLE_OK)
		return curl_failure(rc, errbuf, req, &x, retry, err);
	collect_reply(c, resp);
	*retry = resp->status == 429 || resp->status == 503;
	return CL_OK;
}

long cl_http_backoff_ms(const struct cl_http_options *opts, int attempt, long retry_after_s, unsigned rnd)
{
	long cap = opt_or(opts->backoff_cap_ms, DEFAULT_BACKOFF_CAP_MS);
	long ceiling = opt_or(opts->backoff_base_ms, DEFAULT_BACKOFF_BASE_MS);
	long ra_cap = opt_or(opts->retry_after_cap_s, DEFAULT_RETRY_AFTER_CAP_S);

	if (retry_after_s > 0)
		return (retry_after_s < ra_cap ? retry_after_s : ra_cap) * 1000L;
	for (int i = 1; i < attempt && ceiling < cap; i++)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	/* Full jitter: uniform in [0, ceiling], so clients that failed together do not return together. */
	return (long)((unsigned long long)rnd * (unsigned long long)(ceiling + 1) >> 32);
}

static unsigned random32(void)
{
	unsigned r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0x80000000u; /* no randomness: the middle of the range still backs off */
	return r;
}

static void describe_retry(const struct cl_http_response *resp, const struct cl_error *err, char *why,
                           size_t n)
{
	if (resp->status == 429 || resp->status == 503)
		snprintf(why, n, dgettext("certlink", "server busy (HTTP %ld)"), resp->status);
	else
		snprintf(why, n, dgettext("certlink", "connection failed: %s"), err ? err->msg : "");
}

static bool wait_before_retry(const struct cl_http_options *o, int attempt, int max,
                              const struct cl_http_response *resp, const struct cl_error *err)
{
	long delay = cl_http_backoff_ms(o, attempt, resp->retry_after, random32());
	char why[CL_ERROR_MSG_MAX + 64];

	describe_retry(resp, err, why, sizeof(why));
	if (o->on_retry)
		o->on_retry(o->retry_data, attempt, max, delay, why);
	if (o->debug) {
		char line[CL_ERROR_MSG_MAX + 128];

		snprintf(line, sizeof(line), "* attempt %d/%d: %s; retrying in %ld ms", attempt, max, why,
		         delay);
		o->debug(o->debug_data, line);
	}
	return !cl_cancel_sleep(o->cancel, (unsigned long)delay);
}

enum cl_status cl_http_perform(CURL *curl, const struct cl_http_request *req, struct cl_http_tls *tls,
                               struct cl_http_response *resp, struct cl_error *err)
{
	static const struct cl_http_options defaults;
	const struct cl_http_options *o = req->opts ? req->opts : &defaults;
	int max = o->max_attempts > 0 ? o->max_attempts : DEFAULT_MAX_ATTEMPTS;
	enum cl_status st;
	bool retry;

	memset(resp, 0, sizeof(*resp));
	for (int attempt = 1;; attempt++) {
		if (cl_cancel_requested(o->cancel))
			return cl_error_set(err, CL_E_CANCELLED, "cancelled");
		cl_http_response_free(resp);
		st = attempt_once(curl, req, tls, o, resp, &retry, err);
		resp->attempts = attempt;
		if (!retry || attempt >= max)
			break;
		if (!wait_before_retry(o, attempt, max, resp, st == CL_OK ? NULL : err))
			return cl_error_set(err, CL_E_CANCELLED, "cancelled");
	}
	if (st == CL_OK)
		cl_error_clear(err); /* an earlier attempt's failure is not the result */
	else if (resp->attempts > 1)
		cl_error_prefix(err, "after %d attempts", resp->attempts);
	return st;
}

struct cl_http_client *cl_http_client_new(struct cl_error *err)
{
	struct cl_http_client *c = calloc(1, sizeof(*c));

	if (!c || !cl_http_global_init() || !(c->curl = curl_easy_init())) {
		free(c);
		cl_error_set(err, CL_E_LOCAL, "cannot initialise libcurl");
		return NULL;
	}
	return c;
}

void cl_http_client_free(struct cl_http_client *client)
{
	if (!client || client->borrowed)
		return;
	curl_easy_cleanup(client->curl);
	free(client);
}

enum cl_status cl_http_client_request(struct cl_http_client *client, const struct cl_http_request *req,
                                      struct cl_http_response *resp, struct cl_error *err)
{
	struct cl_http_tls tls = { .ca_pem = req ? req->ca_pem : NULL,
		                   .ca_pem_len = req ? req->ca_pem_len : 0 };

	if (resp)
		memset(resp, 0, sizeof(*resp));
	if (!client || !req || !resp)
		return cl_error_set(err, CL_E_LOCAL, "HTTP request without client, request or response");
	/* cl_http_perform() resets the handle's options before each attempt; the reset keeps the open
	 * connection, which the next request to the same host and port (and TLS settings) reuses. */
	return cl_http_perform(client->curl, req, &tls, resp, err);
}

enum cl_status cl_http_request(const struct cl_http_request *req, struct cl_http_response *resp,
                               struct cl_error *err)
{
	struct cl_http_client *client;
	enum cl_status st;

	if (resp)
		memset(resp, 0, sizeof(*resp));
	if (!req || !resp)
		return cl_error_set(err, CL_E_LOCAL, "HTTP request without request or response");
	if (!(client = cl_http_client_new(err)))
		return CL_E_LOCAL;
	st = cl_http_client_request(client, req, resp, err);
	cl_http_client_free(client);
	return st;
}
