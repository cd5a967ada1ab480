/* certlink-server: the enrollment API (see api.h). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps.h"
#include "ca.h"
#include "certs.h"
#include "config.h"
#include "networks.h"
#include "db.h"

static const struct {
	const char *code;
	unsigned status;
} statuses[] = {
	{ "bad_request", 400 },
	{ "field_required", 400 },
	{ "field_too_long", 400 },
	{ "invalid_credentials", 401 },
	{ "invalid_token", 401 },
	{ "invalid_secret", 401 },
	{ "invalid_invitation_code", 403 },
	{ "apid_not_registered", 403 },
	{ "forbidden", 403 },
	{ "not_found", 404 },
	{ "method_not_allowed", 405 },
	{ "not_approved", 409 },
	{ "rejected", 409 },
	{ "withdrawn", 409 },
	{ "wrong_state", 409 },
	{ "too_large", 413 },
	{ "unsupported_media_type", 415 },
	{ "busy", 429 },
	{ "internal", 500 },
	{ "unavailable", 503 },
};

void srv_api_refuse(struct srv_response *resp, const struct srv_err *err)
{
	const char *code = err->e.code[0] ? err->e.code : "internal";
	const char *member = NULL;
	unsigned status = 500;
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(statuses[i].code, code))
			status = statuses[i].status;
	if (status == 500 || status == 503)
		srv_log("%s: %s", code, err->e.msg);
	if (status == 500) {
		srv_resp_error(resp, 500, "internal", "Internal server error.", 0);
		return;
	}
	if (!strcmp(code, "wrong_state"))
		member = "state";
	else if (err->detail[0])
		member = "field";
	resp->retry_after = err->retry_after > 0 ? err->retry_after : 0;
	srv_resp_error_field(resp, status, code, err->e.msg, member, err->detail[0] ? err->detail : NULL);
}

int srv_api_string(const cJSON *obj, const char *name, const char **out, struct srv_response *resp)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	char msg[96];

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item)) {
		snprintf(msg, sizeof(msg), "%s must be a string.", name);
		srv_resp_error_field(resp, 400, "bad_request", msg, "field", name);
		return -1;
	}
	*out = item->valuestring;
	return 1;
}

static void get_config(struct srv_response *resp, sqlite3 *db)
{
	char v[SRV_CONFIG_VALUE_MAX], type[16], size[16];
	cJSON *doc = cJSON_CreateObject(), *fields, *f, *key, *o;
	static const char *const names[] = { "email", "reason", "device_note", "invitation_code" };
	static const int maxes[] = { 128, 256, 128, 64 };
	size_t i;

	cJSON_AddNumberToObject(doc, "protocol", 1);
	cJSON_AddStringToObject(doc, "server", "certlink-server " CERTLINK_VERSION);
	srv_config_get(db, "service_name", v, sizeof(v));
	cJSON_AddStringToObject(doc, "service_name", v);
	cJSON_AddBoolToObject(doc, "auto_approve", srv_config_bool(db, "auto_approve"));
	cJSON_AddBoolToObject(doc, "passwordless", srv_config_bool(db, "passwordless"));
	cJSON_AddBoolToObject(doc, "apid_check", srv_config_bool(db, "apid_check"));
	fields = cJSON_AddObjectToObject(doc, "fields");
	for (i = 0; i < 4; i++) {
		f = cJSON_AddObjectToObject(fields, names[i]);
		srv_config_get(db, names[i], v, sizeof(v));
		cJSON_AddStringToObject(f, "use", v);
		cJSON_AddNumberToObject(f, "max", maxes[i]);
		if (!strcmp(names[i], "device_note")) {
			srv_config_get(db, "device_note_label", v, sizeof(v));
			cJSON_AddStringToObject(f, "label", v);
		}
	}
	srv_config_get(db, "key_type", type, sizeof(type));
	srv_config_get(db, "key_size", size, sizeof(size));
	key = cJSON_AddObjectToObject(doc, "key");
	cJSON_AddStringToObject(key, "type", type);
	if (!strcmp(type, "rsa"))
		cJSON_AddNumberToObject(key, "bits", strtol(size, NULL, 10));
	else
		cJSON_AddStringToObject(key, "curve", size);
	o = cJSON_AddObjectToObject(doc, "renewal");
	srv_config_get(db, "renewal_same_key", v, sizeof(v));
	cJSON_AddStringToObject(o, "same_key", v);
	cJSON_AddNumberToObject(o, "window_days", (double)srv_config_long(db, "renewal_window_days"));
	cJSON_AddBoolToObject(doc, "withdraw_requires_password",
	                      srv_config_bool(db, "withdraw_requires_password"));
	o = cJSON_AddObjectToObject(doc, "approval_poll");
	cJSON_AddNumberToObject(o, "interval", (double)srv_config_long(db, "approval_poll_interval"));
	cJSON_AddNumberToObject(o, "timeout", (double)srv_config_long(db, "approval_poll_timeout"));
	srv_resp_json(resp, 200, doc);
}

static cJSON *ca_entry(const struct srv_ca *ca, int with_role)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "pem", ca->cert_pem);
	cJSON_AddStringToObject(c, "sha256", ca->fp_hex);
	cJSON_AddStringToObject(c, "subject", ca->subject);
	if (with_role)
		cJSON_AddStringToObject(c, "role", "root");
	return c;
}

static void get_ca(struct srv_request *req, struct srv_response *resp)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "certificates");

	cJSON_AddItemToArray(arr, ca_entry(req->srv->ca, 1));
	srv_resp_json(resp, 200, doc);
}

static void get_crl(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	struct srv_revoked *list = NULL;
	unsigned char *der = NULL;
	struct cl_error err;
	size_t n = 0, len = 0;
	char *copy;

	if (srv_certs_revoked(db, &list, &n, &err) != CL_OK ||
	    srv_ca_crl(req->srv->ca, list, n, &der, &len, &err) != CL_OK) {
		free(list);
		srv_resp_fail(resp, &err);
		return;
	}
	free(list);
	copy = malloc(len);
	if (copy)
		memcpy(copy, der, len);
	OPENSSL_free(der);
	srv_resp_body(resp, 200, "application/pkix-crl", copy, copy ? len : 0);
}

static cJSON *app_doc(const struct srv_app *app, sqlite3 *db, const char *secret)
{
	cJSON *doc = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(doc, "application");
	char ts[21];

	cJSON_AddStringToObject(a, "id", app->id);
	cJSON_AddStringToObject(a, "state", app->state);
	if (secret)
		cJSON_AddStringToObject(a, "secret", secret);
	srv_time_fmt(app->created, ts);
	cJSON_AddStringToObject(a, "created", ts);
	srv_time_fmt(app->updated, ts);
	cJSON_AddStringToObject(a, "updated", ts);
	if (app->cert_serial[0])
		cJSON_AddStringToObject(a, "certificate_serial", app->cert_serial);
	else
		cJSON_AddNullToObject(a, "certificate_serial");
	cJSON_AddNumberToObject(
	    a, "retry_after",
	    !strcmp(app->state, "pending") ? (double)srv_config_long(db, "approval_poll_interval") : 0);
	return doc;
}

static void apply(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	struct srv_apply_in in = { 0 };
	struct srv_app app = { 0 };
	struct srv_err err = { 0 };
	const cJSON *renewal;
	char secret[48];
	int created = 0;
	cJSON *body = srv_req_json(req, resp);

	if (!body)
		return;
	renewal = cJSON_GetObjectItemCaseSensitive(body, "renewal_of");
	if (srv_api_string(body, "client_request_id", &in.client_request_id, resp) < 0 ||
	    srv_api_string(body, "user", &in.user, resp) < 0 ||
	    srv_api_string(body, "password", &in.password, resp) < 0 ||
	    srv_api_string(body, "invitation_token", &in.token, resp) < 0 ||
	    srv_api_string(body, "store", &in.store, resp) < 0 ||
	    srv_api_string(body, "email", &in.email, resp) < 0 ||
	    srv_api_string(body, "reason", &in.reason, resp) < 0 ||
	    srv_api_string(body, "device_note", &in.device_note, resp) < 0 ||
	    srv_api_string(body, "invitation_code", &in.code, resp) < 0 ||
	    srv_api_string(body, "apid", &in.apid, resp) < 0 ||
	    srv_api_string(body, "renewal_of", &in.renewal_of, resp) < 0)
		goto out;
	(void)renewal;
	in.addr = req->addr;
	if (!in.client_request_id || !in.user || !in.store) {
		srv_resp_error_field(resp, 400, "bad_request",
		                     "client_request_id, user and store are required.", "field",
		                     !in.client_request_id ? "client_request_id"
		                     : !in.user            ? "user"
		                                           : "store");
		goto out;
	}
	if (srv_apps_apply(db, &in, &app, &created, &err) != CL_OK) {
		srv_api_refuse(resp, &err);
		goto out;
	}
	if (srv_app_secret(db, app.id, secret) != 0) {
		srv_log("internal error: cannot derive the application secret");
		srv_resp_error(resp, 500, "internal", "Internal server error.", 0);
		goto out;
	}
	if (created)
		srv_log("api: application %s by %s (%s) %s", app.id, app.user, app.store, app.state);
	srv_resp_json(resp, created ? 201 : 200, app_doc(&app, db, secret));
	OPENSSL_cleanse(secret, sizeof(secret));
out:
	srv_app_clear(&app);
	cJSON_Delete(body);
}

/* Load the application named in the path and check its secret; answers and returns 0 on failure. */
static int authorize(struct srv_request *req, struct srv_response *resp, sqlite3 *db, const char *id,
                     struct srv_app *app)
{
	const char *secret = srv_req_bearer(req);
	int found = srv_is_token_chars(id, 64) ? srv_app_load(db, id, app) : 0;

	if (found < 0) {
		srv_resp_error(resp, 503, "unavailable", "The server is busy; try again shortly.", 2);
		return 0;
	}
	if (!found) {
		srv_resp_error(resp, 404, "not_found", "No such application.", 0);
		return 0;
	}
	if (!srv_app_secret_ok(db, app->id, secret)) {
		srv_resp_error(resp, 401, "invalid_secret", "The application secret is wrong.", 0);
		return 0;
	}
	return 1;
}

static int device_ok(const cJSON *device, struct srv_response *resp)
{
	const cJSON *m;
	long n;

	if (!device)
		return 1;
	if (!cJSON_IsObject(device)) {
		srv_resp_error_field(resp, 400, "bad_request", "device must be an object.", "field",
		                     "device");
		return 0;
	}
	if (cJSON_GetArraySize(device) > 32) {
		srv_resp_error_field(resp, 400, "bad_request", "device has too many members.", "field",
		                     "device");
		return 0;
	}
	cJSON_ArrayForEach(m, device)
	{
		if (!cJSON_IsString(m)) {
			srv_resp_error_field(resp, 400, "bad_request", "device members are strings.", "field",
			                     m->string);
			return 0;
		}
		n = srv_utf8_chars(m->valuestring);
		if (n < 0 || n > SRV_DEVICE_MEMBER_MAX || srv_utf8_chars(m->string) > 64) {
			srv_resp_error_field(resp, 400, n < 0 ? "bad_request" : "field_too_long",
			                     "device members are at most 128 characters of text.", "field",
			                     m->string);
			return 0;
		}
	}
	return 1;
}

static void activate(struct srv_request *req, struct srv_response *resp, sqlite3 *db, struct srv_app *app)
{
	struct srv_err err = { 0 };
	struct srv_public pub;
	char *challenge = NULL, url[400], transport[16], ts[21];
	time_t expires = 0;
	cJSON *body = srv_req_json(req, resp), *doc, *scep, *act, *item;
	const cJSON *device;
	int v6;

	if (!body)
		return;
	device = cJSON_GetObjectItemCaseSensitive(body, "device");
	if (cJSON_IsNull(device))
		device = NULL;
	if (!device_ok(device, resp))
		goto out;
	if (srv_apps_activate(db, app, device, &challenge, &expires, &err) != CL_OK) {
		srv_api_refuse(resp, &err);
		goto out;
	}
	srv_config_public(db, &pub);
	srv_config_get(db, "scep_transport", transport, sizeof(transport));
	v6 = strchr(pub.host, ':') != NULL;
	if (!strcmp(transport, "http") && pub.scep_http_port)
		snprintf(url, sizeof(url), "http://%s%s%s:%u/scep", v6 ? "[" : "", pub.host, v6 ? "]" : "",
		         pub.scep_http_port);
	else
		snprintf(url, sizeof(url), "https://%s%s%s:%u/scep", v6 ? "[" : "", pub.host, v6 ? "]" : "",
		         pub.port);
	doc = cJSON_CreateObject();
	scep = cJSON_AddObjectToObject(doc, "scep");
	cJSON_AddStringToObject(scep, "url", url);
	cJSON_AddStringToObject(scep, "ca_sha256", req->srv->ca->fp_hex);
	if (challenge) {
		cJSON_AddStringToObject(scep, "challenge", challenge);
		srv_time_fmt(expires, ts);
		cJSON_AddStringToObject(scep, "challenge_expires", ts);
	}
	act = cJSON_Parse(app->activation ? app->activation : "{}");
	cJSON_ArrayForEach(item, act)
	{
		if (item->string)
			cJSON_AddItemToObject(doc, item->string, cJSON_Duplicate(item, 1));
	}
	cJSON_Delete(act);
	cJSON_AddItemToObject(doc, "profile", srv_networks_profile(db, req->srv->ca, app->store));
	if (!strcmp(app->state, "issued"))
		cJSON_AddStringToObject(doc, "issued_serial", app->cert_serial);
	srv_resp_json(resp, 200, doc);
out:
	srv_free_secret(challenge);
	cJSON_Delete(body);
}

static void withdraw(struct srv_request *req, struct srv_response *resp, sqlite3 *db, struct srv_app *app)
{
	struct srv_err err = { 0 };
	char revoked[48];
	const char *password;
	cJSON *body = srv_req_json(req, resp), *doc, *a;

	if (!body)
		return;
	if (srv_api_string(body, "password", &password, resp) >= 0) {
		if (srv_apps_withdraw(db, app, password, req->addr, revoked, &err) != CL_OK) {
			srv_api_refuse(resp, &err);
		} else {
			doc = cJSON_CreateObject();
			a = cJSON_AddObjectToObject(doc, "application");
			cJSON_AddStringToObject(a, "id", app->id);
			cJSON_AddStringToObject(a, "state", app->state);
			if (revoked[0])
				cJSON_AddStringToObject(a, "revoked_serial", revoked);
			else
				cJSON_AddNullToObject(a, "revoked_serial");
			srv_log("api: application %s withdrawn%s%s", app->id, revoked[0] ? ", revoked " : "",
			        revoked);
			srv_resp_json(resp, 200, doc);
		}
	}
	cJSON_Delete(body);
}

static void reapply(struct srv_request *req, struct srv_response *resp, sqlite3 *db, struct srv_app *app)
{
	struct srv_err err = { 0 };
	const char *email, *reason, *note;
	cJSON *body = srv_req_json(req, resp), *doc, *a;

	if (!body)
		return;
	if (srv_api_string(body, "email", &email, resp) >= 0 &&
	    srv_api_string(body, "reason", &reason, resp) >= 0 &&
	    srv_api_string(body, "device_note", &note, resp) >= 0) {
		if (srv_apps_reapply(db, app, email, reason, note, &err) != CL_OK) {
			srv_api_refuse(resp, &err);
		} else {
			doc = cJSON_CreateObject();
			a = cJSON_AddObjectToObject(doc, "application");
			cJSON_AddStringToObject(a, "id", app->id);
			cJSON_AddStringToObject(a, "state", app->state);
			cJSON_AddNumberToObject(a, "retry_after",
			                        !strcmp(app->state, "pending")
			                            ? (double)srv_config_long(db, "approval_poll_interval")
			                            : 0);
			srv_resp_json(resp, 200, doc);
		}
	}
	cJSON_Delete(body);
}

static int method_is(struct srv_request *req, struct srv_response *resp, const char *method)
{
	if (!strcmp(req->method, method))
		return 1;
	srv_resp_header(resp, "Allow", method);
	srv_resp_error(resp, 405, "method_not_allowed", "Method not allowed.", 0);
	return 0;
}

static void application_routes(struct srv_request *req, struct srv_response *resp, sqlite3 *db,
                               const char *rest)
{
	struct srv_app app = { 0 };
	char id[80];
	const char *slash = strchr(rest, '/'), *action = slash ? slash + 1 : "";
	size_t idlen = slash ? (size_t)(slash - rest) : strlen(rest);

	if (idlen == 0 || idlen >= sizeof(id)) {
		srv_resp_error(resp, 404, "not_found", "No such application.", 0);
		return;
	}
	memcpy(id, rest, idlen);
	id[idlen] = '\0';
	if (strcmp(action, "") && strcmp(action, "activate") && strcmp(action, "withdraw") &&
	    strcmp(action, "reapply")) {
		srv_resp_error(resp, 404, "not_found", "No such endpoint.", 0);
		return;
	}
	if (!method_is(req, resp, *action ? "POST" : "GET") || !authorize(req, resp, db, id, &app))
		goto out;
	if (!*action)
		srv_resp_json(resp, 200, app_doc(&app, db, NULL));
	else if (!strcmp(action, "activate"))
		activate(req, resp, db, &app);
	else if (!strcmp(action, "withdraw"))
		withdraw(req, resp, db, &app);
	else
		reapply(req, resp, db, &app);
out:
	srv_app_clear(&app);
}

void srv_api_handle(struct srv_request *req, struct srv_response *resp)
{
	const char *p = req->path;
	struct cl_error err = { 0 };
	sqlite3 *db = srv_db_thread(&err);

	if (!db) {
		srv_resp_fail(resp, &err);
		return;
	}
	if (!strcmp(p, "/api/v1/config")) {
		if (method_is(req, resp, "GET"))
			get_config(resp, db);
	} else if (!strcmp(p, "/api/v1/ca")) {
		if (method_is(req, resp, "GET"))
			get_ca(req, resp);
	} else if (!strcmp(p, "/ca.pem")) {
		if (method_is(req, resp, "GET"))
			srv_resp_text(resp, 200, "application/x-pem-file", req->srv->ca->cert_pem);
	} else if (!strcmp(p, "/ca.crl")) {
		if (method_is(req, resp, "GET"))
			get_crl(req, resp, db);
	} else if (!strcmp(p, "/api/v1/applications")) {
		if (method_is(req, resp, "POST"))
			apply(req, resp, db);
	} else if (!strncmp(p, "/api/v1/applications/", 21)) {
		application_routes(req, resp, db, p + 21);
	} else {
		srv_resp_error(resp, 404, "not_found", "No such endpoint.", 0);
	}
}
