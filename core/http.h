/* certlink core: HTTP(S) transport and the server session.
 *
 * Two layers:
 *  - cl_http_request(): one request to a full http:// or https:// URL, with a reply size cap, timeouts,
 *    retries with backoff (docs/protocol.md section 2), cancellation, and TLS verification always on
 *    (system trust, or exactly the PEM trust anchors the caller passes). Used for SCEP and anything else
 *    that has a URL.
 *  - struct cl_http: a session bound to one enrollment server (host:port). It establishes the server's
 *    identity first (docs/protocol.md section 3: a pinned CA, else system trust and the trust anchors a
 *    person or administrator agreed to, else a CA remembered for exactly this host and port, else the
 *    person's yes), and refuses every request until that is done. A pinned, remembered or confirmed CA is
 *    then the session's only anchor: system trust is not added to it. Only the session's internal probe
 *    (GET /api/v1/ca, no credentials, no body) ever talks to an unverified peer.
 *
 * All calls block; front ends run them on a worker thread and cancel them through struct cl_cancel.
 * Nothing here logs bodies, passwords, tokens or Authorization headers.
 */
#ifndef CL_HTTP_H
#define CL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "cancel.h"
#include "error.h"

#define CL_HTTP_BODY_MAX     (1024 * 1024)     /* default reply cap (protocol.md section 1) */
#define CL_HTTP_CA_BODY_MAX  (4 * 1024 * 1024) /* reply cap for GET /api/v1/ca */
#define CL_HTTP_REQUEST_MAX  (64 * 1024)       /* largest JSON body the client sends */
#define CL_HTTP_CONTENT_JSON "application/json; charset=utf-8"

/* Debug output for --debug: one line of libcurl's connection log or of a request/response header block,
 * already stripped of bodies, Authorization/Cookie headers and TLS data. */
typedef void (*cl_http_debug_fn)(void *data, const char *line);

/* Called before sleeping for a retry: attempt that failed (1-based), max attempts, delay, and why
 * ("connection failed: ...", "server busy (HTTP 503)"). For "server busy, retrying in 30 s" progress. */
typedef void (*cl_http_retry_fn)(void *data, int attempt, int max_attempts, long delay_ms, const char *why);

/* Knobs shared by every request. All-zero means the documented defaults. */
struct cl_http_options {
	size_t max_body;         /* reply cap in bytes; 0: CL_HTTP_BODY_MAX */
	long connect_timeout_ms; /* 0: 15 s */
	long timeout_ms;         /* whole transfer of one attempt; 0: 60 s */
	int max_attempts;        /* 0: 6; 1: no retries */
	long backoff_base_ms;    /* 0: 1000 (tests shorten it) */
	long backoff_cap_ms;     /* 0: 60000 */
	long retry_after_cap_s;  /* largest Retry-After honoured; 0: 300 */
	bool no_proxy;           /* ignore http_proxy/https_proxy from the environment */
	struct cl_cancel *cancel;
	cl_http_debug_fn debug;
	void *debug_data;
	cl_http_retry_fn on_retry;
	void *retry_data;
};

struct cl_http_request {
	const char *method;       /* "GET" or "POST"; NULL: GET */
	const char *url;          /* full http:// or https:// URL; no redirects are followed */
	const char *bearer;       /* secret for "Authorization: Bearer"; NULL: none. Wiped after use. */
	const char *content_type; /* of body; NULL: CL_HTTP_CONTENT_JSON */
	const void *body;         /* POST body, may hold secrets (caller owns and wipes it) */
	size_t body_len;
	const char *accept; /* Accept header; NULL: none */
	/* Trust anchors for https: PEM certificates that replace system trust for this request. NULL: the
	 * system trust store. Verification of peer and host name is on either way. */
	const void *ca_pem;
	size_t ca_pem_len;
	const struct cl_http_options *opts; /* NULL: defaults */
};

struct cl_http_response {
	long status;            /* HTTP status code */
	char content_type[128]; /* "" when the server sent none */
	char *body;             /* NUL-terminated (the NUL is not counted); wiped on free: may hold secrets */
	size_t body_len;
	long retry_after; /* seconds from the Retry-After header, 0 when absent */
	int attempts;     /* attempts made */
};

/* Perform a request, retrying connection failures, 429 and 503 with exponential backoff and full jitter
 * (or the server's Retry-After, capped). CL_OK means a complete reply arrived: check resp->status (a 429 or
 * 503 left after the last attempt is returned as such). Errors: CL_E_UNREACHABLE (connection, timeout, TLS
 * verification: code "tls_verify", reply over the cap: code "reply_too_large"), CL_E_CANCELLED,
 * CL_E_LOCAL (bad arguments). resp is always initialised; free it with cl_http_response_free(). */
enum cl_status cl_http_request(const struct cl_http_request *req, struct cl_http_response *resp,
                               struct cl_error *err);

/* Wipe and free the body; leaves resp empty. Accepts NULL. */
void cl_http_response_free(struct cl_http_response *resp);

/* A client that keeps its libcurl handle between requests, so that requests to the same server reuse the
 * open connection (HTTP keep-alive, and the TLS session for https) instead of connecting anew: SCEP sends
 * GetCACaps, GetCACert and PKIOperation through one. Requests are those of cl_http_request(). One thread
 * at a time. */
struct cl_http_client;

/* NULL with err set when libcurl cannot be initialised or memory is short. Free with
 * cl_http_client_free() (accepts NULL), which closes the connection. */
struct cl_http_client *cl_http_client_new(struct cl_error *err);
enum cl_status cl_http_client_request(struct cl_http_client *client, const struct cl_http_request *req,
                                      struct cl_http_response *resp, struct cl_error *err);
void cl_http_client_free(struct cl_http_client *client);

/* ---- Server session: identity first, then requests (docs/protocol.md section 3) ---- */

enum cl_http_answer {
	CL_HTTP_ANSWER_NO = 0,   /* the default: refuse */
	CL_HTTP_ANSWER_ONCE,     /* trust this CA for this server for this run */
	CL_HTTP_ANSWER_REMEMBER, /* and remember it for this host and port (knownservers.h), for nothing else
	                          */
};

/* What a front end shows when asking whether to trust a server. Valid during the callback only. */
struct cl_http_peer {
	const char *host;
	unsigned port;
	char sha256[96];   /* the CA certificate's SHA-256, uppercase "5F:3C:..." */
	char subject[256]; /* the CA's subject, RFC 2253 */
	char issuer[256];  /* the CA's issuer, RFC 2253 */
};

/* The question callback, called on the worker thread; it may block until the person answers. */
typedef enum cl_http_answer (*cl_http_ask_fn)(void *data, const struct cl_http_peer *peer);

enum cl_http_trust {
	CL_HTTP_TRUST_NONE = 0,   /* not established */
	CL_HTTP_TRUST_SYSTEM,     /* system trust or the consented anchors of anchor_dirs */
	CL_HTTP_TRUST_PIN,        /* the link's pinned CA */
	CL_HTTP_TRUST_PERSON,     /* the person said yes */
	CL_HTTP_TRUST_REMEMBERED, /* the CA remembered for this host and port */
};

struct cl_http_config {
	const char *host; /* as parsed from the link: no brackets for IPv6 */
	unsigned port;    /* 1-65535 */
	bool have_pin;
	unsigned char pin[32]; /* SHA-256 of the CA certificate's DER */
	/* Directories of trust anchors a person or administrator agreed to (anchor.h), *.pem files, trusted
	 * like the system store for every server; NULL-terminated, may be NULL. */
	const char *const *anchor_dirs;
	/* Files of servers remembered for one host and port each (knownservers.h); NULL-terminated. */
	const char *const *known_servers;
	const char *remember_file;  /* where ANSWER_REMEMBER writes; NULL: REMEMBER acts as ONCE */
	unsigned remember_dir_mode; /* mode of its directory when it has to be created; 0: 0700 */
	const char *system_ca_file; /* NULL: libcurl's default bundle; tests point it elsewhere */
	cl_http_ask_fn ask;         /* NULL (zero-touch): no question, refuse */
	void *ask_data;
	struct cl_http_options opts;
};

/* A session belongs to one thread at a time (the worker that runs the enrollment); sessions on different
 * threads are independent. Only cl_cancel_request() on its options' token may come from another thread. */
struct cl_http;

/* Create a session (no network yet). Copies cfg. Caller frees with cl_http_free(). NULL on bad input. */
struct cl_http *cl_http_new(const struct cl_http_config *cfg, struct cl_error *err);

/* Establish the server's identity. Idempotent once it succeeded. Errors: CL_E_UNREACHABLE (code
 * "pin_mismatch" for a pin that does not match, "identity_unknown" when no trust and no yes is possible
 * (a CA remembered for this host and port that the server no longer presents included),
 * "tls_verify" for a chain that fails checks), CL_E_CANCELLED (cancelled, or the person said no: code
 * "declined"). */
enum cl_status cl_http_establish(struct cl_http *http, struct cl_error *err);

/* How the identity was established; CL_HTTP_TRUST_NONE before. When sha256 is non-NULL and the identity
 * rests on one CA certificate (pin, remembered or person), copies its fingerprint and returns true in
 * *has_ca. */
enum cl_http_trust cl_http_trust_source(const struct cl_http *http, unsigned char sha256[32], bool *has_ca);

/* GET or POST path (starting with "/") on the session's server. Fails with CL_E_UNEXPECTED before
 * cl_http_establish() succeeded. max_body 0: the session default. Otherwise as cl_http_request(). */
enum cl_status cl_http_get(struct cl_http *http, const char *path, const char *bearer, size_t max_body,
                           struct cl_http_response *resp, struct cl_error *err);
enum cl_status cl_http_post_json(struct cl_http *http, const char *path, const char *bearer, const char *json,
                                 struct cl_http_response *resp, struct cl_error *err);

/* The established trust anchors as PEM, for cl_http_request() to other URLs of this server (SCEP over
 * https): the system bundle and the consented anchors, or only the one pinned, remembered or confirmed CA.
 * NULL before establishment. Owned by the session. */
const char *cl_http_trust_pem(const struct cl_http *http, size_t *len);

/* "https://host:port" (IPv6 in brackets). Owned by the session. */
const char *cl_http_base_url(const struct cl_http *http);

void cl_http_free(struct cl_http *http);

#endif
