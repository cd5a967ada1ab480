/* certlink-server: the HTTP layer on libmicrohttpd: listeners (HTTPS, optional plain-HTTP SCEP), request body
 * accumulation with hard caps, overload answers, the request and response helpers and the JSON error helper
 * every module answers with. Which module answers a path is not decided here: the server is given a
 * struct srv_routes (routes.c), so this file imports no handler.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "overload.h"

#define SRV_JSON_BODY_MAX  (64 * 1024)
#define SRV_SCEP_BODY_MAX  (256 * 1024)
#define SRV_JSON_DEPTH_MAX 16

struct srv_ca;

struct srv_server;
struct srv_request;
struct srv_response;

/* What answers requests: route fills the response; body_cap is the largest body accepted for a path. */
struct srv_routes {
	void (*route)(struct srv_request *req, struct srv_response *resp);
	size_t (*body_cap)(const char *url);
};

/* One listener's identity, handed to libmicrohttpd as the callbacks' closure. */
struct srv_listener {
	struct srv_server *srv;
	int plain;
};

/* The running server: shared read-only state after start, plus counters. */
struct srv_server {
	const char *state_dir;
	struct srv_ca *ca;
	const struct srv_routes *routes;
	const char *listen; /* listen address as given */
	unsigned port;      /* HTTPS port in use */
	unsigned scep_port; /* plain-HTTP SCEP port in use, 0 when off */
	unsigned threads;
	unsigned max_open;     /* open connections above this get 503 */
	atomic_int open_conns; /* connections open right now */
	/* Since start, for the admin stats: connections accepted (each one TLS handshake on the HTTPS
	 * listener), requests answered, requests answered 503 because of max_open, and connections closed
	 * unanswered because their client had already given up. */
	atomic_ulong conns_total, requests_total, shed_total, abandoned_total;
	struct srv_overload overload; /* Retry-After of the 503s above max_open */
	void *tls_ticket_key; /* gnutls_datum_t: the TLS session ticket key (http.c); secret, wiped at stop */
	struct MHD_Daemon *https;
	struct MHD_Daemon *http;
	struct srv_listener tls_listener, plain_listener;
};

struct srv_request {
	struct srv_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	int plain;     /* arrived on the plain-HTTP SCEP listener */
	char addr[64]; /* the client's address as the login throttle keys it: IPv4, or an IPv6 /64 prefix */
	char *body;    /* NUL-terminated, body_len bytes */
	size_t body_len;
	size_t body_cap; /* hard cap for this route */
	int too_large;
};

#define SRV_HDR_MAX 8

struct srv_response {
	unsigned status;
	char *body; /* malloc'd, freed by the HTTP layer */
	size_t len;
	const char *content_type;
	int retry_after; /* >0: Retry-After header */
	int no_store;
	const char *hdr_name[SRV_HDR_MAX];
	char *hdr_value[SRV_HDR_MAX]; /* malloc'd */
	int n_hdr;
};

/* Start the listeners described by srv (port 0: any free port; srv->port is filled in). */
enum cl_status srv_http_start(struct srv_server *srv, unsigned https_port, int scep_http, unsigned scep_port,
                              struct cl_error *err);
void srv_http_stop(struct srv_server *srv);

/* The throttle's key of a peer address into out[64]: IPv4 text (also for IPv4-mapped IPv6), IPv6 as its /64
 * prefix ("2001:db8:1:2::/64": one site usually holds a whole /64), "unknown" otherwise. */
void srv_addr_key(const struct sockaddr *sa, char out[64]);

/* Request helpers. */
const char *srv_req_header(struct srv_request *req, const char *name);
const char *srv_req_arg(struct srv_request *req, const char *name);
/* The bearer token of the Authorization header, or NULL. */
const char *srv_req_bearer(struct srv_request *req);
/* A cookie's value, or NULL. */
const char *srv_req_cookie(struct srv_request *req, const char *name);

/* Parse the request body as a JSON object (an empty body is {}). On failure answers 400/413/415 into resp and
 * returns NULL. Caller frees with cJSON_Delete. */
cJSON *srv_req_json(struct srv_request *req, struct srv_response *resp);

/* Response helpers. set_body takes ownership of body. */
void srv_resp_body(struct srv_response *resp, unsigned status, const char *content_type, char *body,
                   size_t len);
void srv_resp_text(struct srv_response *resp, unsigned status, const char *content_type, const char *text);
/* Answer with a JSON document (takes ownership of json, deletes it). */
void srv_resp_json(struct srv_response *resp, unsigned status, cJSON *json);
/* The protocol's error object; field/state may be NULL ("field" or "state" member when set). */
void srv_resp_error(struct srv_response *resp, unsigned status, const char *code, const char *message,
                    int retry_after);
void srv_resp_error_field(struct srv_response *resp, unsigned status, const char *code, const char *message,
                          const char *member, const char *value);
/* Answer an internal status (CL_E_RETRY_LATER -> 503 unavailable, else 500 internal) and log err. */
void srv_resp_fail(struct srv_response *resp, const struct cl_error *err);
void srv_resp_header(struct srv_response *resp, const char *name, const char *value);

/* JSON nesting depth of text (outside strings); -1 when unbalanced. */
int srv_json_depth(const char *text, size_t len);

#endif
