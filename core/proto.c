/* certlink core: the enrollment protocol operations (see proto.h).
 *
 * Each operation builds its request body with the wiping JSON writer (passwords never pass through cJSON),
 * calls the established session, maps error replies per docs/protocol.md section 2, and hands the body to
 * the pure parser in proto-reply.c.
 */
#include "proto.h"

#include <libintl.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "json.h"

/* ---- error mapping ---- */

static enum cl_status status_for(long http, const char *code)
{
	if (http == 409 && strcmp(code, "not_approved") == 0)
		return CL_E_RETRY_LATER;
	if (http == 429 || http == 503)
		return CL_E_RETRY_LATER;
	if (http >= 400 && http <= 599)
		return CL_E_REFUSED;
	return CL_E_UNREACHABLE; /* 1xx, 3xx (redirects are not followed) or nonsense */
}

static const char *default_code(long http)
{
	switch (http) {
	case 400:
		return "bad_request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 409:
		return "conflict";
	case 429:
		return "busy";
	case 503:
		return "unavailable";
	default:
		return http >= 500 && http <= 599 ? "internal" : "bad_reply";
	}
}

enum cl_status cl_proto_map_error(long http_status, const char *body, size_t len, const char *what,
                                  long *retry_after, struct cl_error *err)
{
	struct cl_proto_error e;
	struct cl_error perr;
	bool parsed = body && cl_proto_parse_error(body, len, &e, &perr) == CL_OK;
	enum cl_status st = status_for(http_status, parsed ? e.code : "");

	what = dgettext("certlink", what); /* a CL_N_ literal, or a message already translated */
	if (retry_after)
		*retry_after = parsed ? e.retry_after : 0;
	if (parsed && e.message[0])
		cl_error_set(err, st, "%s: the server answered %ld %s: \"%s\"", what, http_status, e.code,
		             e.message);
	else if (parsed)
		cl_error_set(err, st, "%s: the server answered %ld %s", what, http_status, e.code);
	else
		cl_error_set(err, st, "%s: the server answered HTTP %ld", what, http_status);
	cl_error_set_code(err, parsed ? e.code : default_code(http_status));
	return st;
}

/* ---- calls ---- */

/* One request; a non-2xx reply becomes an error (and resp is freed). retry_after may be NULL. */
static enum cl_status call(struct cl_http *http, const char *path, const char *bearer, const char *json,
                           size_t max, const char *what, struct cl_http_response *resp, long *retry_after,
                           struct cl_error *err)
{
	enum cl_status st;

	what = dgettext("certlink", what); /* a CL_N_ literal, or a message already translated */
	if (json)
		st = cl_http_post_json(http, path, bearer, json, resp, err);
	else
		st = cl_http_get(http, path, bearer, max, resp, err);
	if (st != CL_OK) {
		cl_error_prefix(err, "%s", what);
		return st;
	}
	if (resp->status >= 200 && resp->status <= 299)
		return CL_OK;
	st = cl_proto_map_error(resp->status, resp->body, resp->body_len, what, retry_after, err);
	cl_http_response_free(resp);
	return st;
}

static bool valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > CL_PROTO_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_')
			return false;
	return true;
}

/* "/api/v1/applications/ID[/action]" for a checked id (no path injection through a stored id). */
static enum cl_status app_path(const char *id, const char *secret, const char *action, char *out, size_t size,
                               struct cl_error *err)
{
	if (!valid_id(id))
		return cl_error_set(err, CL_E_LOCAL, "application id is not 1-64 of A-Z a-z 0-9 - _");
	if (!secret || !*secret)
		return cl_error_set(err, CL_E_LOCAL, "application %s: no application secret", id);
	snprintf(out, size, "/api/v1/applications/%s%s%s", id, action ? "/" : "", action ? action : "");
	return CL_OK;
}

/* Parse an {"application"} reply and check it is about the application asked for (id may be NULL). */
static enum cl_status app_reply(struct cl_http_response *resp, const char *id, const char *what,
                                struct cl_proto_application *out, struct cl_error *err)
{
	enum cl_status st = cl_proto_parse_application(resp->body, resp->body_len, out, err);

	what = dgettext("certlink", what);
	cl_http_response_free(resp);
	if (st == CL_OK && id && strcmp(out->id, id) != 0) {
		cl_proto_application_clear(out);
		st = cl_json_bad(err, "the reply is about application %s, not %s", out->id, id);
	}
	if (st != CL_OK)
		cl_error_prefix(err, "%s", what);
	return st;
}

/* ---- configuration and CA ---- */

enum cl_status cl_proto_get_config(struct cl_http *http, struct cl_proto_config *out, struct cl_error *err)
{
	struct cl_http_response resp;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = cl_http_get(http, "/api/v1/config", NULL, 0, &resp, err);
	if (st == CL_OK && resp.status == 404) {
		cl_http_response_free(&resp);
		cl_error_set(err, CL_E_REFUSED, "this server does not speak certlink protocol 1");
		cl_error_set_code(err, "protocol_version");
		return CL_E_REFUSED;
	}
	if (st == CL_OK && (resp.status < 200 || resp.status > 299)) {
		st = cl_proto_map_error(resp.status, resp.body, resp.body_len,
		                        CL_N_("reading the configuration"), NULL, err);
		cl_http_response_free(&resp);
		return st;
	}
	if (st != CL_OK)
		return cl_error_prefix(err, "reading the configuration"), st;
	st = cl_proto_parse_config(resp.body, resp.body_len, out, err);
	cl_http_response_free(&resp);
	if (st != CL_OK)
		cl_error_prefix(err, "reading the configuration");
	return st;
}

enum cl_status cl_proto_get_ca(struct cl_http *http, struct cl_proto_ca *out, struct cl_error *err)
{
	struct cl_http_response resp;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = call(http, "/api/v1/ca", NULL, NULL, CL_HTTP_CA_BODY_MAX, CL_N_("reading the CA certificates"),
	          &resp, NULL, err);
	if (st != CL_OK)
		return st;
	st = cl_proto_parse_ca(resp.body, resp.body_len, out, err);
	cl_http_response_free(&resp);
	if (st != CL_OK)
		cl_error_prefix(err, CL_N_("reading the CA certificates"));
	return st;
}

/* ---- apply ---- */

static bool text_ok(const char *s, size_t min, size_t max)
{
	size_t chars;

	if (!s)
		return min == 0;
	return cl_utf8_valid(s, strlen(s), &chars) && chars >= min && chars <= max;
}

static enum cl_status check_apply(const struct cl_proto_apply *r, struct cl_error *err)
{
	if (!r->client_request_id || !*r->client_request_id || strlen(r->client_request_id) > 64)
		return cl_error_set(err, CL_E_LOCAL, "apply needs a client_request_id");
	if (!text_ok(r->user, 1, 64))
		return cl_error_set(err, CL_E_LOCAL, "the user ID must be 1 to 64 characters");
	if (!r->password == !r->invitation_token)
		return cl_error_set(err, CL_E_LOCAL,
		                    "apply needs exactly one of a password and an invitation token");
	if (r->password && !text_ok(r->password, 1, 256))
		return cl_error_set(err, CL_E_LOCAL, "the password must be 1 to 256 characters");
	if (!r->store || (strcmp(r->store, "user") != 0 && strcmp(r->store, "computer") != 0))
		return cl_error_set(err, CL_E_LOCAL, "the store must be \"user\" or \"computer\"");
	return CL_OK;
}

static const char *apply_body(const struct cl_proto_apply *r, struct cl_json_writer *w, struct cl_error *err)
{
	cl_json_writer_init(w, CL_HTTP_REQUEST_MAX);
	cl_json_write_str(w, "client_request_id", r->client_request_id);
	cl_json_write_str(w, "user", r->user);
	cl_json_write_str(w, "password", r->password);
	cl_json_write_str(w, "invitation_token", r->invitation_token);
	cl_json_write_str(w, "store", r->store);
	cl_json_write_str(w, "email", r->email);
	cl_json_write_str(w, "reason", r->reason);
	cl_json_write_str(w, "device_note", r->device_note);
	cl_json_write_str(w, "invitation_code", r->invitation_code);
	cl_json_write_str(w, "apid", r->apid);
	if (r->renewal_of)
		cl_json_write_str(w, "renewal_of", r->renewal_of);
	else
		cl_json_write_null(w, "renewal_of");
	return cl_json_writer_done(w, err);
}

enum cl_status cl_proto_apply(struct cl_http *http, const struct cl_proto_apply *req,
                              struct cl_proto_application *out, struct cl_error *err)
{
	struct cl_json_writer w = { 0 };
	struct cl_http_response resp;
	const char *body;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	if ((st = check_apply(req, err)) != CL_OK)
		return st;
	if (!(body = apply_body(req, &w, err))) {
		cl_json_writer_free(&w);
		return CL_E_LOCAL;
	}
	st = call(http, "/api/v1/applications", NULL, body, 0, CL_N_("applying"), &resp, NULL, err);
	cl_json_writer_free(&w);
	if (st != CL_OK)
		return st;
	st = app_reply(&resp, NULL, CL_N_("applying"), out, err);
	if (st == CL_OK && !out->secret[0]) {
		cl_proto_application_clear(out);
		st = cl_json_bad(err, "the apply reply has no application secret");
		cl_error_prefix(err, "applying");
	}
	return st;
}

/* ---- status, withdraw, reapply ---- */

enum cl_status cl_proto_status(struct cl_http *http, const char *id, const char *secret,
                               struct cl_proto_application *out, struct cl_error *err)
{
	struct cl_http_response resp;
	char path[128], what[128];
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	if ((st = app_path(id, secret, NULL, path, sizeof(path), err)) != CL_OK)
		return st;
	snprintf(what, sizeof(what), dgettext("certlink", "reading the state of application %s"), id);
	if ((st = call(http, path, secret, NULL, 0, what, &resp, NULL, err)) != CL_OK)
		return st;
	return app_reply(&resp, id, what, out, err);
}

/* POST a small body about one application to its ACTION and parse the {"application"} reply. WHAT is the
 * context of an error ("withdrawing application 42"), translated. */
static enum cl_status app_post(struct cl_http *http, const char *id, const char *secret, const char *action,
                               const char *what, struct cl_json_writer *w, struct cl_proto_application *out,
                               struct cl_error *err)
{
	struct cl_http_response resp;
	char path[128];
	const char *body = cl_json_writer_done(w, err);
	enum cl_status st;

	if (!body)
		return cl_error_prefix(err, "%s", what), CL_E_LOCAL;
	if ((st = app_path(id, secret, action, path, sizeof(path), err)) != CL_OK)
		return st;
	if ((st = call(http, path, secret, body, 0, what, &resp, NULL, err)) != CL_OK)
		return st;
	return app_reply(&resp, id, what, out, err);
}

enum cl_status cl_proto_withdraw(struct cl_http *http, const char *id, const char *secret,
                                 const char *password, struct cl_proto_application *out, struct cl_error *err)
{
	struct cl_json_writer w;
	char what[128];
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	cl_json_writer_init(&w, 4096);
	cl_json_write_str(&w, "password", password);
	snprintf(what, sizeof(what), dgettext("certlink", "withdrawing application %s"), id ? id : "");
	st = app_post(http, id, secret, "withdraw", what, &w, out, err);
	cl_json_writer_free(&w);
	return st;
}

enum cl_status cl_proto_reapply(struct cl_http *http, const char *id, const char *secret,
                                const struct cl_proto_reapply *changes, struct cl_proto_application *out,
                                struct cl_error *err)
{
	struct cl_json_writer w;
	char what[128];
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	cl_json_writer_init(&w, CL_HTTP_REQUEST_MAX);
	if (changes) {
		cl_json_write_str(&w, "reason", changes->reason);
		cl_json_write_str(&w, "email", changes->email);
		cl_json_write_str(&w, "device_note", changes->device_note);
	}
	snprintf(what, sizeof(what), dgettext("certlink", "re-applying application %s"), id ? id : "");
	st = app_post(http, id, secret, "reapply", what, &w, out, err);
	cl_json_writer_free(&w);
	return st;
}

/* ---- activate ---- */

static const char *device_body(const struct cl_proto_device *d, struct cl_json_writer *w,
                               struct cl_error *err)
{
	const char *v[] = { d->hostname, d->user, d->domain, d->mac,   d->serial,
		            d->vendor,   d->apid, d->os,     d->client };
	static const char *const names[] = { "hostname", "user", "domain", "mac",   "serial",
		                             "vendor",   "apid", "os",     "client" };

	cl_json_writer_init(w, CL_HTTP_REQUEST_MAX);
	cl_json_write_open(w, "device");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (v[i] && !text_ok(v[i], 0, 128)) {
			cl_error_set(err, CL_E_LOCAL, "device %s is longer than 128 characters or not UTF-8",
			             names[i]);
			return NULL;
		}
		cl_json_write_str(w, names[i], v[i]);
	}
	cl_json_write_close(w);
	return cl_json_writer_done(w, err);
}

enum cl_status cl_proto_activate(struct cl_http *http, const char *id, const char *secret,
                                 const struct cl_proto_device *device, struct cl_proto_activation *out,
                                 long *retry_after, struct cl_error *err)
{
	static const struct cl_proto_device none;
	struct cl_json_writer w = { 0 };
	struct cl_http_response resp;
	char path[128], what[128];
	const char *body;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	if (retry_after)
		*retry_after = 0;
	if ((st = app_path(id, secret, "activate", path, sizeof(path), err)) != CL_OK)
		return st;
	snprintf(what, sizeof(what), dgettext("certlink", "activating application %s"), id);
	if (!(body = device_body(device ? device : &none, &w, err))) {
		cl_json_writer_free(&w);
		return cl_error_prefix(err, "%s", what), CL_E_LOCAL;
	}
	st = call(http, path, secret, body, 0, what, &resp, retry_after, err);
	cl_json_writer_free(&w);
	if (st != CL_OK)
		return st;
	st = cl_proto_parse_activation(resp.body, resp.body_len, out, err);
	cl_http_response_free(&resp);
	/* a server names where SCEP goes: never another host or port, which it could use to make this client
	 * send requests anywhere (docs/protocol.md section 7) */
	if (st == CL_OK &&
	    (st = cl_proto_check_scep_url(out->scep_url, cl_http_base_url(http), err)) != CL_OK)
		cl_proto_activation_clear(out);
	if (st != CL_OK)
		cl_error_prefix(err, "%s", what);
	return st;
}
