/* certlink-server: the admin token and the admin JSON API (docs/protocol.md section 9, see admin.h). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "apps.h"
#include "certs.h"
#include "config.h"
#include "db.h"
#include "invites.h"
#include "login.h"
#include "users.h"

enum cl_status srv_admin_token_reset(sqlite3 *db, char **token, struct cl_error *err)
{
	char hash[65];

	*token = srv_token_new(32);
	if (!*token)
		return cl_error_set(err, CL_E_UNEXPECTED, "no randomness");
	srv_sha256_hex(*token, strlen(*token), hash);
	if (srv_db_begin(db, err) != CL_OK || srv_db_meta_set(db, "admin_token_sha256", hash, err) != CL_OK ||
	    sqlite3_exec(db, "DELETE FROM sessions", NULL, NULL, NULL) != SQLITE_OK ||
	    srv_db_commit(db, err) != CL_OK) {
		srv_db_rollback(db);
		srv_free_secret(*token);
		*token = NULL;
		return err && err->status ? err->status : CL_E_UNEXPECTED;
	}
	return CL_OK;
}

int srv_admin_token_exists(sqlite3 *db)
{
	char want[80];

	return srv_db_meta_get(db, "admin_token_sha256", want, sizeof(want)) && strlen(want) == 64;
}

int srv_admin_token_ok(sqlite3 *db, const char *token)
{
	char want[80], got[65];

	if (!token || strlen(token) > 256 || !srv_db_meta_get(db, "admin_token_sha256", want, sizeof(want)) ||
	    strlen(want) != 64)
		return 0;
	srv_sha256_hex(token, strlen(token), got);
	return CRYPTO_memcmp(want, got, 64) == 0;
}

static void one_app(struct srv_response *resp, const struct srv_app *app)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddItemToObject(doc, "application", srv_app_admin_json(app));
	srv_resp_json(resp, 200, doc);
}

static void decide(struct srv_request *req, struct srv_response *resp, sqlite3 *db, const char *id,
                   const char *action)
{
	enum srv_decision what = !strcmp(action, "approve")  ? SRV_APPROVE
	                         : !strcmp(action, "reject") ? SRV_REJECT
	                                                     : SRV_RELEASE;
	struct srv_app app = { 0 };
	struct srv_err err = { 0 };
	cJSON *body = srv_req_json(req, resp);
	const char *name = NULL;

	if (!body || srv_api_string(body, "computer_name", &name, resp) < 0)
		goto out;
	if (name && what != SRV_APPROVE) {
		srv_resp_error_field(resp, 400, "bad_request", "computer_name goes with approve.", "field",
		                     "computer_name");
		goto out;
	}
	if (srv_apps_decide(db, id, what, name, &app, &err) != CL_OK) {
		srv_api_refuse(resp, &err);
	} else {
		srv_log("admin: %s application %s%s%s", action, id, name ? " as " : "", name ? name : "");
		one_app(resp, &app);
	}
out:
	srv_app_clear(&app);
	cJSON_Delete(body);
}

static void invite(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	struct srv_invite_req in = { 0 };
	struct srv_invite inv;
	struct srv_err err = { 0 };
	cJSON *body = srv_req_json(req, resp), *doc, *o;
	const cJSON *pwless, *days, *code;
	char *link = NULL, ts[21];

	if (!body)
		return;
	pwless = cJSON_GetObjectItemCaseSensitive(body, "passwordless");
	days = cJSON_GetObjectItemCaseSensitive(body, "expires_days");
	code = cJSON_GetObjectItemCaseSensitive(body, "code");
	if (srv_api_string(body, "user", &in.user, resp) < 0 ||
	    srv_api_string(body, "store", &in.store, resp) < 0)
		goto out;
	if ((pwless && !cJSON_IsBool(pwless) && !cJSON_IsNull(pwless)) ||
	    (days && !cJSON_IsNumber(days) && !cJSON_IsNull(days)) ||
	    (code && !cJSON_IsString(code) && !cJSON_IsBool(code) && !cJSON_IsNull(code))) {
		srv_resp_error(
		    resp, 400, "bad_request",
		    "passwordless is a boolean, expires_days a number, code a string, true or null.", 0);
		goto out;
	}
	in.passwordless = cJSON_IsTrue(pwless);
	in.expires_days =
	    cJSON_IsNumber(days)
	        ? (days->valuedouble >= 1 && days->valuedouble <= 365 ? (int)days->valuedouble : 0)
	        : 7;
	in.code = cJSON_IsString(code) ? code->valuestring : cJSON_IsTrue(code) ? "" : NULL;
	if (srv_invite_create(db, req->srv->ca, &in, &inv, &link, &err) != CL_OK) {
		srv_api_refuse(resp, &err);
		goto out;
	}
	srv_log("admin: invitation %s for %s", inv.id, in.user ? in.user : "(code)");
	doc = cJSON_CreateObject();
	o = cJSON_AddObjectToObject(doc, "invitation");
	cJSON_AddStringToObject(o, "id", inv.id);
	cJSON_AddStringToObject(o, "link", link);
	srv_time_fmt(inv.expires, ts);
	cJSON_AddStringToObject(o, "expires", ts);
	srv_resp_json(resp, 201, doc);
out:
	srv_free_secret(link);
	cJSON_Delete(body);
}

static void user_refused(struct srv_response *resp, const struct cl_error *err)
{
	struct srv_err e = { 0 };

	if (err->status == CL_E_REFUSED) {
		srv_resp_error(resp, strstr(err->msg, "already") ? 409 : 404,
		               strstr(err->msg, "already") ? "wrong_state" : "not_found", err->msg, 0);
		return;
	}
	srv_err_set(&e, err->status, err->status == CL_E_LOCAL ? "bad_request" : "internal", NULL, "%s",
	            err->msg);
	srv_api_refuse(resp, &e);
}

static void add_user(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	cJSON *body = srv_req_json(req, resp), *doc, *u;
	const char *user, *password, *email;
	struct cl_error err = { 0 };

	if (!body)
		return;
	if (srv_api_string(body, "user", &user, resp) >= 0 &&
	    srv_api_string(body, "password", &password, resp) >= 0 &&
	    srv_api_string(body, "email", &email, resp) >= 0) {
		if (!user) {
			srv_resp_error_field(resp, 400, "bad_request", "user is required.", "field", "user");
		} else if (srv_user_add(db, user, password, email, &err) != CL_OK) {
			user_refused(resp, &err);
		} else {
			doc = cJSON_CreateObject();
			u = cJSON_AddObjectToObject(doc, "user");
			cJSON_AddStringToObject(u, "name", user);
			if (email)
				cJSON_AddStringToObject(u, "email", email);
			else
				cJSON_AddNullToObject(u, "email");
			srv_resp_json(resp, 201, doc);
		}
	}
	cJSON_Delete(body);
}

/* POST /users/{name} {"email": ADDR|null}: the user directory's e-mail address of a user. */
static void set_user(struct srv_request *req, struct srv_response *resp, sqlite3 *db, const char *name)
{
	cJSON *body = srv_req_json(req, resp), *doc, *u;
	const char *email;
	struct cl_error err = { 0 };

	if (!body)
		return;
	if (!cJSON_GetObjectItemCaseSensitive(body, "email")) {
		srv_resp_error_field(resp, 400, "bad_request", "email is required (null removes it).",
		                     "field", "email");
	} else if (srv_api_string(body, "email", &email, resp) >= 0) {
		if (srv_user_set_email(db, name, email, &err) != CL_OK) {
			user_refused(resp, &err);
		} else {
			srv_log("admin: e-mail of %s %s", name, email ? "set" : "removed");
			doc = cJSON_CreateObject();
			u = cJSON_AddObjectToObject(doc, "user");
			cJSON_AddStringToObject(u, "name", name);
			if (email)
				cJSON_AddStringToObject(u, "email", email);
			else
				cJSON_AddNullToObject(u, "email");
			srv_resp_json(resp, 200, doc);
		}
	}
	cJSON_Delete(body);
}

static void set_config(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	cJSON *body = srv_req_json(req, resp), *item;
	struct cl_error err = { 0 };

	if (!body)
		return;
	cJSON_ArrayForEach(item, body)
	{
		char num[32];
		const char *v = cJSON_IsString(item)  ? item->valuestring
		                : cJSON_IsTrue(item)  ? "true"
		                : cJSON_IsFalse(item) ? "false"
		                                      : NULL;
		if (cJSON_IsNumber(item)) {
			snprintf(num, sizeof(num), "%ld", (long)item->valuedouble);
			v = num;
		}
		if (!v || srv_config_set(db, item->string, v, &err) != CL_OK) {
			srv_resp_error_field(resp, 400, "bad_request",
			                     v ? err.msg : "Values are strings, numbers or booleans.",
			                     "field", item->string);
			cJSON_Delete(body);
			return;
		}
	}
	cJSON_Delete(body);
	srv_resp_json(resp, 200, cJSON_CreateObject());
}

static void get_config(struct srv_response *resp, sqlite3 *db)
{
	const struct srv_config_key *k;
	cJSON *doc = cJSON_CreateObject(), *cfg = cJSON_AddObjectToObject(doc, "config");
	char *v;

	for (k = srv_config_keys(); k->name; k++) {
		v = srv_config_dup(db, k->name);
		cJSON_AddStringToObject(cfg, k->name, v ? v : "");
		free(v);
	}
	srv_resp_json(resp, 200, doc);
}

static void add_apid(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	cJSON *body = srv_req_json(req, resp);
	const char *apid;
	sqlite3_stmt *st;

	if (!body)
		return;
	if (srv_api_string(body, "apid", &apid, resp) >= 0) {
		if (!apid || srv_utf8_chars(apid) < 1 || srv_utf8_chars(apid) > 64) {
			srv_resp_error_field(resp, 400, "bad_request", "apid is 1-64 characters.", "field",
			                     "apid");
		} else if ((st = srv_db_prepare(db, "INSERT OR IGNORE INTO apids(apid, created) VALUES(?, ?)",
		                                NULL))) {
			sqlite3_bind_text(st, 1, apid, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
			if (sqlite3_step(st) == SQLITE_DONE)
				srv_resp_json(resp, 201, cJSON_CreateObject());
			else
				srv_resp_error(resp, 503, "unavailable", "The server is busy.", 2);
			sqlite3_finalize(st);
		}
	}
	cJSON_Delete(body);
}

/* Counters of the login path and of the HTTP layer, so that tests, benchmarks and administrators can see what
 * the throttle and the overload answers did. */
static void stats(struct srv_request *req, struct srv_response *resp)
{
	struct srv_login_stats s;
	cJSON *doc = cJSON_CreateObject(), *o = cJSON_AddObjectToObject(doc, "login");
	const struct srv_server *srv = req->srv;

	srv_login_stats(&s);
	cJSON_AddNumberToObject(o, "password_checks", (double)s.password_checks);
	cJSON_AddNumberToObject(o, "cache_hits", (double)s.cache_hits);
	cJSON_AddNumberToObject(o, "failed", (double)s.failed);
	cJSON_AddNumberToObject(o, "refused_address", (double)s.refused_address);
	cJSON_AddNumberToObject(o, "refused_name", (double)s.refused_name);
	cJSON_AddNumberToObject(o, "refused_user", (double)s.refused_user);
	cJSON_AddNumberToObject(o, "refused_busy", (double)s.refused_busy);
	o = cJSON_AddObjectToObject(doc, "http");
	cJSON_AddNumberToObject(o, "connections", (double)atomic_load(&srv->conns_total));
	cJSON_AddNumberToObject(o, "requests", (double)atomic_load(&srv->requests_total));
	cJSON_AddNumberToObject(o, "shed", (double)atomic_load(&srv->shed_total));
	cJSON_AddNumberToObject(o, "abandoned", (double)atomic_load(&srv->abandoned_total));
	srv_resp_json(resp, 200, doc);
}

static int is(struct srv_request *req, const char *method)
{
	return !strcmp(req->method, method);
}

/* "{id}/{action}" under a collection. */
static int split(const char *rest, char *id, size_t n, const char **action)
{
	const char *slash = strchr(rest, '/');

	if (!slash || slash == rest || (size_t)(slash - rest) >= n || strchr(slash + 1, '/'))
		return 0;
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = '\0';
	*action = slash + 1;
	return 1;
}

void srv_admin_api_handle(struct srv_request *req, struct srv_response *resp)
{
	const char *p = req->path + strlen("/api/v1/admin"), *action = NULL;
	struct cl_error err = { 0 };
	sqlite3 *db = srv_db_thread(&err);
	char id[80];
	cJSON *doc;

	if (!db) {
		srv_resp_fail(resp, &err);
		return;
	}
	if (!srv_admin_token_ok(db, srv_req_bearer(req))) {
		srv_resp_header(resp, "WWW-Authenticate", "Bearer");
		srv_resp_error(resp, 401, "invalid_credentials", "The admin token is wrong.", 0);
		return;
	}
	if (!strcmp(p, "/applications") && is(req, "GET")) {
		doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "applications", srv_apps_list(db, 10000));
		srv_resp_json(resp, 200, doc);
	} else if (!strncmp(p, "/applications/", 14) && is(req, "POST") &&
	           split(p + 14, id, sizeof(id), &action) &&
	           (!strcmp(action, "approve") || !strcmp(action, "reject") || !strcmp(action, "release"))) {
		decide(req, resp, db, id, action);
	} else if (!strcmp(p, "/invitations") && is(req, "POST")) {
		invite(req, resp, db);
	} else if (!strcmp(p, "/invitations") && is(req, "GET")) {
		doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "invitations", srv_invites_list(db, 10000));
		srv_resp_json(resp, 200, doc);
	} else if (!strncmp(p, "/invitations/", 13) && is(req, "POST") &&
	           split(p + 13, id, sizeof(id), &action) && !strcmp(action, "revoke")) {
		struct srv_err e = { 0 };
		if (srv_invite_revoke(db, id, &e) != CL_OK) {
			srv_api_refuse(resp, &e);
		} else {
			srv_log("admin: invitation %s revoked", id);
			doc = cJSON_CreateObject();
			cJSON_AddStringToObject(doc, "revoked", id);
			srv_resp_json(resp, 200, doc);
		}
	} else if (!strcmp(p, "/certificates") && is(req, "GET")) {
		doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "certificates", srv_certs_list(db, 10000));
		srv_resp_json(resp, 200, doc);
	} else if (!strncmp(p, "/certificates/", 14) && is(req, "POST") &&
	           split(p + 14, id, sizeof(id), &action) && !strcmp(action, "revoke")) {
		struct srv_err e = { 0 };
		if (srv_certs_revoke(db, id, &e) != CL_OK) {
			srv_api_refuse(resp, &e);
		} else {
			srv_log("admin: revoked %s", id);
			doc = cJSON_CreateObject();
			cJSON_AddItemToObject(doc, "certificate", srv_cert_json(db, id));
			srv_resp_json(resp, 200, doc);
		}
	} else if (!strcmp(p, "/users") && is(req, "POST")) {
		add_user(req, resp, db);
	} else if (!strcmp(p, "/users") && is(req, "GET")) {
		doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "users", srv_users_list(db));
		srv_resp_json(resp, 200, doc);
	} else if (!strncmp(p, "/users/", 7) && is(req, "POST") && p[7] && !strchr(p + 7, '/')) {
		set_user(req, resp, db, p + 7);
	} else if (!strcmp(p, "/config") && is(req, "GET")) {
		get_config(resp, db);
	} else if (!strcmp(p, "/config") && is(req, "POST")) {
		set_config(req, resp, db);
	} else if (!strcmp(p, "/stats") && is(req, "GET")) {
		stats(req, resp);
	} else if (!strcmp(p, "/apids") && is(req, "POST")) {
		add_apid(req, resp, db);
	} else {
		srv_resp_error(resp, 404, "not_found", "No such admin endpoint or method.", 0);
	}
}
