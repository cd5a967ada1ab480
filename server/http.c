/* certlink-server: the HTTP layer on libmicrohttpd (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "ca.h"
#include "util.h"

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result send_response(struct srv_request *req, struct srv_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char num[16];
	int i;

	if (!resp->status)
		srv_resp_error(resp, 500, "internal", "The server did not answer.", 0);
	r = MHD_create_response_from_buffer(resp->len, resp->body ? resp->body : (void *)"",
	                                    resp->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(resp->body);
		return MHD_NO;
	}
	resp->body = NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        resp->content_type ? resp->content_type : "text/plain; charset=utf-8");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (resp->no_store || !strncmp(req->path, "/api/", 5) || !strncmp(req->path, "/admin", 6))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (resp->retry_after > 0) {
		snprintf(num, sizeof(num), "%d", resp->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	for (i = 0; i < resp->n_hdr; i++) {
		MHD_add_response_header(r, resp->hdr_name[i], resp->hdr_value[i]);
		free(resp->hdr_value[i]);
	}
	resp->n_hdr = 0;
	ret = MHD_queue_response(req->conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	struct srv_listener *lis = cls;
	struct srv_server *srv = lis->srv;
	struct srv_request *req = *con_cls;
	struct srv_response resp = { 0 };
	const char *clen;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		req->srv = srv;
		req->conn = conn;
		req->method = method;
		req->path = url;
		req->plain = lis->plain;
		req->body_cap = srv->routes->body_cap(url);
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		srv_addr_key(ci ? ci->client_addr : NULL, req->addr);
		/* Shed load before reading anything: a client retries after Retry-After (docs/protocol.md).
		 */
		atomic_fetch_add(&srv->requests_total, 1);
		if (atomic_load(&srv->open_conns) > (int)srv->max_open) {
			atomic_fetch_add(&srv->shed_total, 1);
			srv_resp_error(&resp, 503, "unavailable", "The server is busy; try again shortly.",
			               srv_overload_retry_after(&srv->overload, mono_now()));
			srv_resp_header(&resp, MHD_HTTP_HEADER_CONNECTION, "close");
			return send_response(req, &resp);
		}
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > req->body_cap) {
			srv_resp_error(&resp, 413, "too_large", "The request body is over the limit.", 0);
			return send_response(req, &resp);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->too_large || req->body_len + n > req->body_cap) {
			req->too_large = 1;
			return MHD_YES;
		}
		char *nb = realloc(req->body, req->body_len + n + 1);
		if (!nb)
			return MHD_NO;
		req->body = nb;
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (req->too_large)
		srv_resp_error(&resp, 413, "too_large", "The request body is over the limit.", 0);
	else
		srv->routes->route(req, &resp);
	return send_response(req, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct srv_request *req = *con_cls;

	if (!req)
		return;
	if (req->body) {
		/* Bodies carry passwords and challenges. */
		OPENSSL_cleanse(req->body, req->body_len);
		free(req->body);
	}
	free(req);
	*con_cls = NULL;
}

/* TLS session resumption (RFC 8446 section 2.2, RFC 5077): a client that comes back (the next connection of
 * one enrollment, or after a 503) resumes with a ticket instead of a full handshake. The ticket key is
 * random, made at start, kept in memory only and wiped at stop; GnuTLS derives rotating keys from it. MHD has
 * no option for tickets, but announces each connection before its handshake starts. */
#define TICKET_LIFETIME_S 600

static void enable_tickets(struct srv_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session = ci ? (gnutls_session_t)ci->tls_session : NULL;

	if (!session || !srv->tls_ticket_key ||
	    gnutls_session_ticket_enable_server(session, srv->tls_ticket_key) != GNUTLS_E_SUCCESS)
		return;
	gnutls_db_set_cache_expiration(session, TICKET_LIFETIME_S);
}

/* 1 when the client has already closed its side: in a burst a connection can wait in the accept queue longer
 * than its client's connect timeout, and the client is gone before the server looks at it. Its ClientHello is
 * still in the socket, so the TLS handshake would be computed for nobody (a full ECDHE and signature each: at
 * 10,000 clients at once, most of the server's handshakes). Such a connection is shut down before the
 * handshake starts; libmicrohttpd then reads end-of-file and closes it. */
static char abandoned_marker;

static int client_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p = { .fd = ci ? ci->connect_fd : -1, .events = POLLRDHUP };

	if (p.fd < 0 || poll(&p, 1, 0) != 1 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		return 0;
	shutdown(p.fd, SHUT_RDWR);
	return 1;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct srv_server *srv = ((struct srv_listener *)cls)->srv;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&srv->open_conns, 1);
		if (client_gone(conn)) {
			atomic_fetch_add(&srv->abandoned_total, 1);
			*socket_context =
			    &abandoned_marker; /* frees no capacity worth measuring when it closes */
			return;
		}
		atomic_fetch_add(&srv->conns_total, 1);
		if (!((struct srv_listener *)cls)->plain)
			enable_tickets(srv, conn);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&srv->open_conns, 1);
		if (*socket_context != &abandoned_marker)
			srv_overload_closed(&srv->overload, mono_now());
	}
}

/* libmicrohttpd hands its own format strings over; they are not ours to check. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	srv_log("http: %s", line);
}
#pragma GCC diagnostic pop

static struct MHD_Daemon *start_one(struct srv_server *srv, unsigned port, int tls, unsigned *bound,
                                    struct cl_error *err)
{
	struct sockaddr_in6 a6 = { 0 };
	struct sockaddr_in a4 = { 0 };
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct srv_listener *lis = tls ? &srv->tls_listener : &srv->plain_listener;

	if (inet_pton(AF_INET, srv->listen, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, srv->listen, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		cl_error_set(err, CL_E_LOCAL, "--listen needs an IP address, not \"%s\"", srv->listen);
		return NULL;
	}
	if (tls)
		flags |= MHD_USE_TLS;
	lis->srv = srv;
	lis->plain = !tls;
	d = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, on_request, lis, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE, srv->threads, MHD_OPTION_CONNECTION_LIMIT,
	    srv->max_open * 2 + 16, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, lis,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u, tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END,
	    srv->ca->tls_key_pem, MHD_OPTION_HTTPS_MEM_CERT, srv->ca->tls_chain_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_END);
	if (!d) {
		cl_error_set(err, CL_E_LOCAL, "cannot listen on %s port %u", srv->listen, port);
		return NULL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*bound = info ? info->port : port;
	return d;
}

enum cl_status srv_http_start(struct srv_server *srv, unsigned https_port, int scep_http, unsigned scep_port,
                              struct cl_error *err)
{
	srv_overload_init(&srv->overload, srv->max_open);
	srv->tls_ticket_key = calloc(1, sizeof(gnutls_datum_t));
	if (srv->tls_ticket_key &&
	    gnutls_session_ticket_key_generate(srv->tls_ticket_key) != GNUTLS_E_SUCCESS) {
		free(srv->tls_ticket_key);
		srv->tls_ticket_key = NULL; /* no resumption: every connection a full handshake */
	}
	srv->https = start_one(srv, https_port, 1, &srv->port, err);
	if (!srv->https)
		return CL_E_LOCAL;
	if (scep_http) {
		srv->http = start_one(srv, scep_port, 0, &srv->scep_port, err);
		if (!srv->http) {
			srv_http_stop(srv);
			return CL_E_LOCAL;
		}
	}
	return CL_OK;
}

void srv_http_stop(struct srv_server *srv)
{
	if (srv->http)
		MHD_stop_daemon(srv->http);
	if (srv->https)
		MHD_stop_daemon(srv->https);
	if (srv->http || srv->https)
		srv_overload_destroy(&srv->overload);
	srv->http = srv->https = NULL;
	if (srv->tls_ticket_key) {
		gnutls_datum_t *key = srv->tls_ticket_key;
		gnutls_memset(key->data, 0, key->size);
		gnutls_free(key->data);
		free(key);
		srv->tls_ticket_key = NULL;
	}
}

void srv_addr_key(const struct sockaddr *sa, char out[64])
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	snprintf(out, 64, "unknown");
	if (sa && sa->sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text)))
			snprintf(out, 64, "%s", text);
	} else if (sa && sa->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			if (inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof(text)))
				snprintf(out, 64, "%s", text);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, text, sizeof(text)))
			snprintf(out, 64, "%s/64", text);
	}
}

const char *srv_req_header(struct srv_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *srv_req_arg(struct srv_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *srv_req_bearer(struct srv_request *req)
{
	const char *h = srv_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

const char *srv_req_cookie(struct srv_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

int srv_json_depth(const char *text, size_t len)
{
	int depth = 0, max = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
				return -1;
		}
	}
	return depth == 0 ? max : -1;
}

cJSON *srv_req_json(struct srv_request *req, struct srv_response *resp)
{
	const char *ct = srv_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	cJSON *json;
	int depth;

	if (req->body_len == 0)
		return cJSON_CreateObject();
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		srv_resp_error(resp, 415, "unsupported_media_type", "The body must be application/json.", 0);
		return NULL;
	}
	if (strlen(req->body) != req->body_len) {
		srv_resp_error(resp, 400, "bad_request", "The body holds a NUL byte.", 0);
		return NULL;
	}
	depth = srv_json_depth(req->body, req->body_len);
	if (depth > SRV_JSON_DEPTH_MAX) {
		srv_resp_error(resp, 400, "bad_request", "JSON nested too deeply.", 0);
		return NULL;
	}
	json = depth < 0 ? NULL : cJSON_ParseWithLength(req->body, req->body_len);
	if (!json || !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		srv_resp_error(resp, 400, "bad_request", "The body is not a JSON object.", 0);
		return NULL;
	}
	return json;
}

void srv_resp_body(struct srv_response *resp, unsigned status, const char *content_type, char *body,
                   size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = body;
	resp->len = len;
}

void srv_resp_text(struct srv_response *resp, unsigned status, const char *content_type, const char *text)
{
	char *copy = strdup(text);

	srv_resp_body(resp, status, content_type, copy, copy ? strlen(copy) : 0);
}

void srv_resp_json(struct srv_response *resp, unsigned status, cJSON *json)
{
	char *text = json ? cJSON_PrintUnformatted(json) : NULL;

	cJSON_Delete(json);
	if (!text) {
		srv_resp_text(resp, 500, "application/json; charset=utf-8",
		              "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
		return;
	}
	srv_resp_body(resp, status, "application/json; charset=utf-8", text, strlen(text));
}

void srv_resp_error_field(struct srv_response *resp, unsigned status, const char *code, const char *message,
                          const char *member, const char *value)
{
	cJSON *doc = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(doc, "error");

	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	if (resp->retry_after > 0 || status == 429 || status == 503)
		cJSON_AddNumberToObject(e, "retry_after", resp->retry_after > 0 ? resp->retry_after : 1);
	if (member && value)
		cJSON_AddStringToObject(e, member, value);
	if ((status == 429 || status == 503) && resp->retry_after <= 0)
		resp->retry_after = 1;
	srv_resp_json(resp, status, doc);
}

void srv_resp_error(struct srv_response *resp, unsigned status, const char *code, const char *message,
                    int retry_after)
{
	resp->retry_after = retry_after;
	srv_resp_error_field(resp, status, code, message, NULL, NULL);
}

void srv_resp_fail(struct srv_response *resp, const struct cl_error *err)
{
	if (err->status == CL_E_RETRY_LATER) {
		srv_resp_error(resp, 503, "unavailable", "The server is busy; try again shortly.", 2);
		return;
	}
	srv_log("internal error: %s", err->msg);
	srv_resp_error(resp, 500, "internal", "Internal server error.", 0);
}

void srv_resp_header(struct srv_response *resp, const char *name, const char *value)
{
	if (resp->n_hdr >= SRV_HDR_MAX)
		return;
	resp->hdr_value[resp->n_hdr] = strdup(value);
	if (!resp->hdr_value[resp->n_hdr])
		return;
	resp->hdr_name[resp->n_hdr++] = name;
}
