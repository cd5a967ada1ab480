/* certlink-server: the application life cycle after apply: activation with a one-time challenge, withdrawal,
 * re-application, the administrator's decisions and the admin view (see apps.h). */
#include "apps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps-private.h"
#include "config.h"
#include "db.h"
#include "login.h"
#include "users.h"

static enum cl_status state_refusal(const struct srv_app *app, sqlite3 *db, struct srv_err *err)
{
	if (!strcmp(app->state, "pending")) {
		err->retry_after = (int)srv_config_long(db, "approval_poll_interval");
		return srv_err_set(err, CL_E_RETRY_LATER, "not_approved", NULL,
		                   "The application is waiting for approval.");
	}
	if (!strcmp(app->state, "rejected"))
		return srv_err_set(err, CL_E_REFUSED, "rejected", NULL,
		                   "The administrator rejected the application.");
	if (!strcmp(app->state, "withdrawn"))
		return srv_err_set(err, CL_E_REFUSED, "withdrawn", NULL, "The application was withdrawn.");
	return srv_err_set(err, CL_E_REFUSED, "wrong_state", app->state, "Not possible in state %s.",
	                   app->state);
}

/* 24 characters of [A-Za-z0-9] (about 143 bits): PrintableString-safe for every SCEP client. */
static char *challenge_new(void)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[64];
	char *out = malloc(25);
	size_t i, o = 0;

	while (out && o < 24) {
		if (srv_random(raw, sizeof(raw)) != 0) {
			free(out);
			return NULL;
		}
		for (i = 0; i < sizeof(raw) && o < 24; i++)
			if (raw[i] < 248) /* 248 = 4 * 62: no modulo bias */
				out[o++] = alnum[raw[i] % 62];
	}
	if (out)
		out[24] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return out;
}

static void add_rdn(cJSON *subject, const char *type, const char *value)
{
	cJSON *rdn = cJSON_CreateArray();

	cJSON_AddItemToArray(rdn, cJSON_CreateString(type));
	cJSON_AddItemToArray(rdn, cJSON_CreateString(value));
	cJSON_AddItemToArray(subject, rdn);
}

/* The computer name of a computer-store application: the one an administrator approved, else, only when
 * auto_approve_computer_name is on, the one the client reports now (recorded, so the administrator sees it);
 * "" when there is none. Called inside the activation's transaction. */
static const char *computer_name(sqlite3 *db, struct srv_app *app, const cJSON *device)
{
	const char *host = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(device, "hostname"));

	if (strcmp(app->store, "computer") != 0)
		return "";
	if (!app->computer_name[0] && host && srv_config_bool(db, "auto_approve_computer_name")) {
		if (srv_hostname_ok(host))
			snprintf(app->computer_name, sizeof(app->computer_name), "%s", host);
		else
			srv_log(
			    "application %s: reported computer name is not a host name; CN is the user ID",
			    app->id);
	}
	return app->computer_name;
}

/* What activation tells the client to ask for, and what issuance holds the request to: names only from what
 * the server knows and an administrator approved (docs/protocol.md section 5, docs/scep-server.md). The CN
 * is the approved computer name for the computer store, else the user ID; the one e-mail SAN is the user's
 * address in the user directory; what the person typed into the e-mail prompt is only shown to the
 * administrator. cn_override is "allowed" only when there is a choice: the client may then put any name of
 * cn_choices into the CN. */
static cJSON *activation_doc(sqlite3 *db, struct srv_app *app, const cJSON *device)
{
	char org[SRV_CONFIG_VALUE_MAX], type[16], size[16], cn_override[16], email[SRV_EMAIL_MAX + 8];
	cJSON *doc = cJSON_CreateObject(), *subject, *san, *key, *emails, *choices;
	const char *host = computer_name(db, app, device);
	int choice = host[0] && strcmp(host, app->user) != 0;

	srv_config_get(db, "organization", org, sizeof(org));
	srv_config_get(db, "key_type", type, sizeof(type));
	srv_config_get(db, "key_size", size, sizeof(size));
	srv_config_get(db, "cn_override", cn_override, sizeof(cn_override));
	subject = cJSON_AddArrayToObject(doc, "subject");
	add_rdn(subject, "CN", host[0] ? host : app->user);
	if (org[0])
		add_rdn(subject, "O", org);
	san = cJSON_AddObjectToObject(doc, "san");
	cJSON_AddArrayToObject(san, "dns");
	emails = cJSON_AddArrayToObject(san, "email");
	if (srv_user_email(db, app->user, email, sizeof(email)))
		cJSON_AddItemToArray(emails, cJSON_CreateString(email));
	cJSON_AddArrayToObject(san, "upn");
	cJSON_AddArrayToObject(san, "uri");
	choice = choice && !strcmp(cn_override, "allowed");
	cJSON_AddStringToObject(doc, "cn_override", choice ? "allowed" : "forbidden");
	if (choice) {
		choices = cJSON_AddArrayToObject(doc, "cn_choices");
		cJSON_AddItemToArray(choices, cJSON_CreateString(host));
		cJSON_AddItemToArray(choices, cJSON_CreateString(app->user));
	}
	key = cJSON_AddObjectToObject(doc, "key");
	cJSON_AddStringToObject(key, "type", type);
	if (!strcmp(type, "rsa"))
		cJSON_AddNumberToObject(key, "bits", strtol(size, NULL, 10));
	else
		cJSON_AddStringToObject(key, "curve", size);
	return doc;
}

static enum cl_status exec_bound(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c,
                                 sqlite3_int64 n, struct srv_err *err)
{
	sqlite3_stmt *st = srv_db_prepare(db, sql, NULL);
	int rc;

	if (!st)
		return srv_apps_db_error(db, sqlite3_errcode(db), "preparing", err);
	srv_db_bind_text(st, 1, a);
	srv_db_bind_text(st, 2, b);
	srv_db_bind_text(st, 3, c);
	sqlite3_bind_int64(st, 4, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : srv_apps_db_error(db, rc, "updating", err);
}

/* Withdrawal, rejection and re-application end every request of the application that was not answered with
 * a certificate: its challenges go, and a SCEP request the server holds (hold_issuance) is cancelled, so
 * that it is never issued afterwards, even when the application is approved again and released; the client
 * needs a new challenge from a new activation. Inside the caller's transaction, which also serialises this
 * with an issuance in flight (srv_issue runs in one BEGIN IMMEDIATE transaction too). */
static enum cl_status end_requests(sqlite3 *db, const char *app_id, struct srv_err *err)
{
	enum cl_status st =
	    exec_bound(db, "DELETE FROM challenges WHERE app_id = ?1", app_id, NULL, NULL, 0, err);

	if (!st)
		st = exec_bound(
		    db,
		    "UPDATE scep_transactions SET state = 'cancelled' WHERE app_id = ?1 AND state ="
		    " 'pending'",
		    app_id, NULL, NULL, 0, err);
	return st;
}

/* Run body inside one transaction; reload app afterwards. */
static enum cl_status commit_and_reload(sqlite3 *db, enum cl_status st, struct srv_app *app,
                                        struct srv_err *err)
{
	char id[32];

	if (st == CL_OK && srv_db_commit(db, &err->e) != CL_OK)
		st = srv_err_set(err, err->e.status,
		                 err->e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL, "%s",
		                 err->e.msg);
	if (st != CL_OK) {
		srv_db_rollback(db);
		return st;
	}
	snprintf(id, sizeof(id), "%s", app->id);
	return srv_app_load(db, id, app) == 1 ? CL_OK : srv_apps_db_error(db, SQLITE_ERROR, "reloading", err);
}

static enum cl_status begin(sqlite3 *db, struct srv_app *app, struct srv_err *err)
{
	char id[32];

	if (srv_db_begin(db, &err->e) != CL_OK)
		return srv_err_set(err, err->e.status,
		                   err->e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL, "%s",
		                   err->e.msg);
	/* Re-read under the write lock: the state may have moved since the caller loaded it. */
	snprintf(id, sizeof(id), "%s", app->id);
	if (srv_app_load(db, id, app) != 1) {
		srv_db_rollback(db);
		return srv_err_set(err, CL_E_REFUSED, "not_found", NULL, "No such application.");
	}
	return CL_OK;
}

enum cl_status srv_apps_activate(sqlite3 *db, struct srv_app *app, const cJSON *device, char **challenge,
                                 time_t *expires, struct srv_err *err)
{
	const cJSON *apid = cJSON_GetObjectItemCaseSensitive(device, "apid");
	char *device_text = NULL, *act_text = NULL, hash[65];
	enum cl_status st;
	cJSON *doc;
	time_t now = time(NULL);

	*challenge = NULL;
	if (cJSON_IsString(apid) && srv_config_bool(db, "apid_check") &&
	    !srv_apps_apid_registered(db, apid->valuestring))
		return srv_err_set(err, CL_E_REFUSED, "apid_not_registered", NULL,
		                   "This device (APID) is not registered.");
	if (begin(db, app, err) != CL_OK)
		return err->e.status;
	if (!strcmp(app->state, "issued")) {
		srv_db_rollback(db);
		return CL_OK;
	}
	if (strcmp(app->state, "approved") != 0) {
		srv_db_rollback(db);
		return state_refusal(app, db, err);
	}
	doc = activation_doc(db, app, device);
	act_text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	device_text = device ? cJSON_PrintUnformatted(device) : NULL;
	*challenge = challenge_new();
	*expires = now + srv_config_long(db, "challenge_lifetime");
	if (!act_text || !*challenge) {
		st = srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "out of memory");
		goto out;
	}
	srv_sha256_hex(*challenge, strlen(*challenge), hash);
	/* The previous challenge of this application (only) stops working. */
	st = exec_bound(db, "DELETE FROM challenges WHERE app_id = ?1 AND used = 0", app->id, NULL, NULL, 0,
	                err);
	if (!st)
		st = exec_bound(db,
		                "INSERT INTO challenges(hash, app_id, created, expires)"
		                " VALUES(?1, ?2, CAST(strftime('%s', 'now') AS INTEGER), ?4)",
		                hash, app->id, NULL, (sqlite3_int64)*expires, err);
	if (!st)
		st = exec_bound(db,
		                "UPDATE applications SET activation = ?1, device = COALESCE(?2, device),"
		                " updated = ?4 WHERE id = ?3",
		                act_text, device_text, app->id, (sqlite3_int64)now, err);
	if (!st && app->computer_name[0])
		st = exec_bound(db, "UPDATE applications SET computer_name = ?1 WHERE id = ?2",
		                app->computer_name, app->id, NULL, 0, err);
	st = commit_and_reload(db, st, app, err);
out:
	if (st != CL_OK) {
		srv_db_rollback(db);
		srv_free_secret(*challenge);
		*challenge = NULL;
	}
	free(act_text);
	free(device_text);
	return st;
}

enum cl_status srv_apps_withdraw(sqlite3 *db, struct srv_app *app, const char *password, const char *addr,
                                 char revoked[48], struct srv_err *err)
{
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	enum cl_status st;

	revoked[0] = '\0';
	if (srv_config_bool(db, "withdraw_requires_password")) {
		if (!password)
			return srv_err_set(err, CL_E_REFUSED, "field_required", "password",
			                   "Withdrawal needs the password.");
		if (srv_login_password(db, app->user, password, addr, err) != CL_OK)
			return err->e.status;
	}
	if (begin(db, app, err) != CL_OK)
		return err->e.status;
	if (!strcmp(app->state, "withdrawn")) {
		srv_db_rollback(db);
		return CL_OK;
	}
	if (!strcmp(app->state, "rejected")) {
		srv_db_rollback(db);
		return srv_err_set(err, CL_E_REFUSED, "wrong_state", app->state,
		                   "A rejected application cannot be "
		                   "withdrawn.");
	}
	st = CL_OK;
	if (app->cert_serial[0]) {
		st = exec_bound(
		    db, "UPDATE certificates SET revoked_at = ?4 WHERE serial = ?1 AND revoked_at IS NULL",
		    app->cert_serial, NULL, NULL, now, err);
		snprintf(revoked, 48, "%s", app->cert_serial);
	}
	if (!st)
		st = end_requests(db, app->id, err);
	if (!st)
		st = exec_bound(db,
		                "UPDATE applications SET state = 'withdrawn', hold_released = 0, updated = ?4"
		                " WHERE id = ?1",
		                app->id, NULL, NULL, now, err);
	return commit_and_reload(db, st, app, err);
}

enum cl_status srv_apps_reapply(sqlite3 *db, struct srv_app *app, const char *email, const char *reason,
                                const char *device_note, struct srv_err *err)
{
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	enum cl_status st;
	const char *state = srv_config_bool(db, "auto_approve") ? "approved" : "pending";

	if ((email && srv_apps_check_field(db, "email", email, SRV_EMAIL_MAX, err)) ||
	    (reason && srv_apps_check_field(db, "reason", reason, SRV_REASON_MAX, err)) ||
	    (device_note && srv_apps_check_field(db, "device_note", device_note, SRV_DEVICE_NOTE_MAX, err)))
		return err->e.status;
	if (begin(db, app, err) != CL_OK)
		return err->e.status;
	if (!strcmp(app->state, "pending") || !strcmp(app->state, "approved")) {
		srv_db_rollback(db);
		return CL_OK;
	}
	if (strcmp(app->state, "withdrawn") && strcmp(app->state, "rejected")) {
		srv_db_rollback(db);
		return srv_err_set(
		    err, CL_E_REFUSED, "wrong_state", app->state,
		    "Re-application is possible after withdrawal or rejection, not in state %s.", app->state);
	}
	st = end_requests(db, app->id, err);
	if (!st)
		st = exec_bound(db,
		                "UPDATE applications SET state = ?1, cert_serial = NULL, activation = NULL,"
		                " hold_released = 0, computer_name = NULL, updated = ?4 WHERE id = ?2",
		                state, app->id, NULL, now, err);
	if (!st && email)
		st = exec_bound(db, "UPDATE applications SET email = ?1 WHERE id = ?2",
		                srv_apps_field_value(db, "email", email), app->id, NULL, 0, err);
	if (!st && reason)
		st = exec_bound(db, "UPDATE applications SET reason = ?1 WHERE id = ?2",
		                srv_apps_field_value(db, "reason", reason), app->id, NULL, 0, err);
	if (!st && device_note)
		st = exec_bound(db, "UPDATE applications SET device_note = ?1 WHERE id = ?2",
		                srv_apps_field_value(db, "device_note", device_note), app->id, NULL, 0, err);
	return commit_and_reload(db, st, app, err);
}

static enum cl_status approve(sqlite3 *db, struct srv_app *app, const char *name, sqlite3_int64 now,
                              struct srv_err *err)
{
	const char *s = app->state;

	if (name && strcmp(app->store, "computer") != 0)
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "computer_name",
		                   "A computer name is approved for computer-store applications only.");
	if (name && !srv_hostname_ok(name))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "computer_name",
		                   "A computer name is a host name: letters, digits, hyphens and dots.");
	if (!strcmp(s, "pending") || !strcmp(s, "rejected") || (name && !strcmp(s, "approved")))
		return exec_bound(db,
		                  "UPDATE applications SET state = 'approved', computer_name = COALESCE(?2,"
		                  " computer_name), updated = ?4 WHERE id = ?1",
		                  app->id, name, NULL, now, err);
	if (strcmp(s, "approved") && strcmp(s, "issued"))
		return srv_err_set(err, CL_E_REFUSED, "wrong_state", s, "Cannot approve in state %s.", s);
	if (name && strcmp(name, app->computer_name) != 0)
		return srv_err_set(err, CL_E_REFUSED, "wrong_state", s,
		                   "The certificate is issued; its computer name cannot change.");
	return CL_OK;
}

enum cl_status srv_apps_decide(sqlite3 *db, const char *id, enum srv_decision what, const char *computer_name,
                               struct srv_app *out, struct srv_err *err)
{
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	enum cl_status st = CL_OK;
	const char *s;

	srv_app_clear(out);
	snprintf(out->id, sizeof(out->id), "%s", id);
	if (begin(db, out, err) != CL_OK)
		return err->e.status;
	s = out->state;
	if (what == SRV_APPROVE) {
		st = approve(db, out, computer_name && *computer_name ? computer_name : NULL, now, err);
	} else if (what == SRV_REJECT) {
		if (!strcmp(s, "pending") || !strcmp(s, "approved")) {
			st = exec_bound(
			    db,
			    "UPDATE applications SET state = 'rejected', hold_released = 0, updated = ?4"
			    " WHERE id = ?1",
			    id, NULL, NULL, now, err);
			if (!st)
				st = end_requests(db, id, err);
		} else if (strcmp(s, "rejected")) {
			st = srv_err_set(err, CL_E_REFUSED, "wrong_state", s,
			                 "Cannot reject in state %s (revoke the certificate instead).", s);
		}
	} else {
		if (!strcmp(s, "approved"))
			st = exec_bound(
			    db, "UPDATE applications SET hold_released = 1, updated = ?4 WHERE id = ?1", id,
			    NULL, NULL, now, err);
		else if (strcmp(s, "issued"))
			st = srv_err_set(err, CL_E_REFUSED, "wrong_state", s,
			                 "Nothing to release in state %s.", s);
	}
	return commit_and_reload(db, st, out, err);
}

static void add_time(cJSON *obj, const char *name, time_t t)
{
	char ts[21];

	srv_time_fmt(t, ts);
	cJSON_AddStringToObject(obj, name, ts);
}

static void add_text(cJSON *obj, const char *name, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(obj, name, v);
	else
		cJSON_AddNullToObject(obj, name);
}

cJSON *srv_app_admin_json(const struct srv_app *app)
{
	cJSON *o = cJSON_CreateObject(), *dev = app->device ? cJSON_Parse(app->device) : NULL;

	cJSON_AddStringToObject(o, "id", app->id);
	cJSON_AddStringToObject(o, "user", app->user);
	cJSON_AddStringToObject(o, "store", app->store);
	cJSON_AddStringToObject(o, "state", app->state);
	add_time(o, "created", app->created);
	add_time(o, "updated", app->updated);
	add_text(o, "reason", app->reason);
	add_text(o, "email", app->email);
	add_text(o, "device_note", app->device_note);
	add_text(o, "apid", app->apid);
	add_text(o, "renewal_of", app->renewal_of);
	add_text(o, "certificate_serial", app->cert_serial);
	add_text(o, "invitation", app->invitation_id);
	add_text(o, "computer_name", app->computer_name);
	cJSON_AddBoolToObject(o, "released", app->hold_released);
	if (dev)
		cJSON_AddItemToObject(o, "device", dev);
	else
		cJSON_AddNullToObject(o, "device");
	return o;
}

cJSON *srv_apps_list(sqlite3 *db, int limit)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "SELECT " SRV_APP_COLUMNS " FROM applications ORDER BY created DESC, rowid DESC LIMIT ?",
	    NULL);
	cJSON *arr = cJSON_CreateArray();
	struct srv_app app = { 0 };

	if (!st)
		return arr;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		srv_apps_row(st, &app);
		cJSON_AddItemToArray(arr, srv_app_admin_json(&app));
	}
	srv_app_clear(&app);
	sqlite3_finalize(st);
	return arr;
}
