/* certlink core: HTTP internals shared by http.c, http-session.c and the unit tests. Not for front ends. */
#ifndef CL_HTTP_PRIVATE_H
#define CL_HTTP_PRIVATE_H

#include <curl/curl.h>

#include "http.h"

/* How one transfer treats TLS. The unverified probe exists only inside the session (http-session.c):
 * it is never reachable through a public function that takes a URL, a bearer token or a body. */
struct cl_http_tls {
	const void *ca_pem; /* replaces system trust when set */
	size_t ca_pem_len;
	bool unverified_probe; /* peer not verified: GET only, no bearer, no body (asserted) */
	bool want_chain;       /* collect the presented chain into chain_pem */
	char *chain_pem;       /* out: concatenated PEM of the peer's chain, caller frees */
};

/* One request with retries on a caller-owned easy handle (reset before each attempt, which keeps its
 * connection cache). */
enum cl_status cl_http_perform(CURL *curl, const struct cl_http_request *req, struct cl_http_tls *tls,
                               struct cl_http_response *resp, struct cl_error *err);

/* Delay before the next attempt after `attempt` failed (1-based): the server's Retry-After (seconds, capped)
 * when given, else full jitter over min(cap, base * 2^(attempt-1)). rnd is a uniform random 32-bit value. */
long cl_http_backoff_ms(const struct cl_http_options *opts, int attempt, long retry_after_s, unsigned rnd);

/* Redact one header line for the debug log: Authorization, Proxy-Authorization, Cookie and Set-Cookie
 * values become "[redacted]". Writes a NUL-terminated line into out. */
void cl_http_redact_header(const char *line, size_t len, char *out, size_t out_size);

/* A server session (http.h). Shared by http-session.c (anchors, requests) and http-identity.c. */
struct cl_http {
	char *host;
	unsigned port;
	bool have_pin;
	unsigned char pin[32];
	char **anchor_dirs;   /* NULL-terminated copy */
	char **known_servers; /* NULL-terminated copy */
	char *remember_file;
	unsigned remember_dir_mode;
	char *system_ca_file;
	cl_http_ask_fn ask;
	void *ask_data;
	struct cl_http_options opts;
	char base_url[300];
	CURL *curl;
	enum cl_http_trust trust;
	bool has_ca;
	unsigned char ca_sha256[32];
	char *trust_pem; /* anchors in force */
	size_t trust_pem_len;
};

/* Set the anchors in force: with SYSTEM the system bundle and the consented anchors of anchor_dirs, then
 * extra_pem (one CA) when non-NULL. A pinned, remembered or confirmed CA goes alone (SYSTEM false). */
enum cl_status cl_http_set_trust(struct cl_http *h, bool system, const char *extra_pem, struct cl_error *err);

/* Process-wide libcurl initialisation, once (thread-safe). */
bool cl_http_global_init(void);

#endif
