/* certlink-server: applications and their life cycle (see apps.h). */
#include "apps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "config.h"
#include "db.h"
#include "invites.h"
#include "throttle.h"
#include "users.h"

#define APP_COLUMNS                                                                                   \
	"id, user, store, state, client_request_id, email, reason, device_note, apid, invitation_id," \
	" renewal_of, cert_serial, device, activation, hold_released, created, updated"

void srv_app_clear(struct srv_app *app)
{
	if (!app)
		return;
	free(app->device);
	free(app->activation);
	memset(app, 0, sizeof(*app));
}

static char *col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

static void row_to_app(sqlite3_stmt *st, struct srv_app *a)
{
	srv_app_clear(a);
	srv_db_col_copy(st, 0, a->id, sizeof(a->id));
	srv_db_col_copy(st, 1, a->user, sizeof(a->user));
	srv_db_col_copy(st, 2, a->store, sizeof(a->store));
	srv_db_col_copy(st, 3, a->state, sizeof(a->state));
	srv_db_col_copy(st, 4, a->client_request_id, sizeof(a->client_request_id));
	srv_db_col_copy(st, 5, a->email, sizeof(a->email));
	srv_db_col_copy(st, 6, a->reason, sizeof(a->reason));
	srv_db_col_copy(st, 7, a->device_note, sizeof(a->device_note));
	srv_db_col_copy(st, 8, a->apid, sizeof(a->apid));
	srv_db_col_copy(st, 9, a->invitation_id, sizeof(a->invitation_id));
	srv_db_col_copy(st, 10, a->renewal_of, sizeof(a->renewal_of));
	srv_db_col_copy(st, 11, a->cert_serial, sizeof(a->cert_serial));
	a->device = col_dup(st, 12);
	a->activation = col_dup(st, 13);
	a->hold_released = sqlite3_column_int(st, 14);
	a->created = (time_t)sqlite3_column_int64(st, 15);
	a->updated = (time_t)sqlite3_column_int64(st, 16);
}

int srv_app_load(sqlite3 *db, const char *id, struct srv_app *out)
{
	sqlite3_stmt *st = srv_db_prepare(db, "SELECT " APP_COLUMNS " FROM applications WHERE id = ?", NULL);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_app(st, out);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int find_replay(sqlite3 *db, const char *user, const char *crid, struct srv_app *out)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "SELECT " APP_COLUMNS " FROM applications WHERE user = ? AND client_request_id = ?", NULL);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, crid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_app(st, out);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The key that application secrets derive from, created once per state dir. */
static int secret_key(sqlite3 *db, unsigned char key[32])
{
	char hex[80];
	size_t i;

	if (!srv_db_meta_get(db, "app_secret_key", hex, sizeof(hex))) {
		if (srv_random(key, 32) != 0)
			return -1;
		srv_hex(key, 32, hex);
		/* INSERT OR IGNORE: when two threads race, both then read the winner's key. */
		sqlite3_stmt *st =
		    srv_db_prepare(db, "INSERT OR IGNORE INTO meta(key, value) VALUES(?, ?)", NULL);
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, "app_secret_key", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
		if (!srv_db_meta_get(db, "app_secret_key", hex, sizeof(hex)))
			return -1;
	}
	if (strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (unsigned char)v;
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return 0;
}

int srv_app_secret(sqlite3 *db, const char *app_id, char out[48])
{
	unsigned char key[32], mac[32];
	unsigned int maclen = 0;
	char msg[96];
	int ok;

	if (secret_key(db, key) != 0)
		return -1;
	snprintf(msg, sizeof(msg), "certlink application secret v1:%s", app_id);
	ok = HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)msg, strlen(msg), mac, &maclen) != NULL;
	if (ok)
		srv_b64url_encode(mac, 32, out);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok ? 0 : -1;
}

int srv_app_secret_ok(sqlite3 *db, const char *app_id, const char *presented)
{
	char want[48];
	int ok;

	if (!presented || strlen(presented) != 43 || srv_app_secret(db, app_id, want) != 0)
		return 0;
	ok = CRYPTO_memcmp(want, presented, 43) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t<>\"\\,;");
}

enum cl_status srv_apps_check_field(sqlite3 *db, const char *name, const char *value, long max,
                                    struct srv_err *err)
{
	char use[SRV_CONFIG_VALUE_MAX];
	long n;

	srv_config_get(db, name, use, sizeof(use));
	if (!strcmp(use, "off"))
		return CL_OK;
	if (!value || !*value) {
		if (!strcmp(use, "required"))
			return srv_err_set(err, CL_E_REFUSED, "field_required", name, "%s is required.",
			                   name);
		return CL_OK;
	}
	n = srv_utf8_chars(value);
	if (n < 0)
		return srv_err_set(err, CL_E_REFUSED, "bad_request", name, "%s holds a control character.",
		                   name);
	if (n > max)
		return srv_err_set(err, CL_E_REFUSED, "field_too_long", name,
		                   "%s is longer than %ld characters.", name, max);
	if (!strcmp(name, "email") && !email_ok(value))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", name, "email is not an e-mail address.");
	return CL_OK;
}

/* Text from a field only when its prompt is on. */
static const char *field_value(sqlite3 *db, const char *name, const char *value)
{
	char use[SRV_CONFIG_VALUE_MAX];

	srv_config_get(db, name, use, sizeof(use));
	return strcmp(use, "off") ? value : NULL;
}

static int apid_registered(sqlite3 *db, const char *apid)
{
	sqlite3_stmt *st = srv_db_prepare(db, "SELECT 1 FROM apids WHERE apid = ?", NULL);
	int found;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, apid, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

static enum cl_status check_apply_input(sqlite3 *db, const struct srv_apply_in *in, struct srv_err *err)
{
	if (!in->client_request_id || !srv_is_token_chars(in->client_request_id, 64))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "client_request_id",
		                   "client_request_id is 1-64 of A-Z a-z 0-9 - _.");
	if (!in->user || !srv_user_name_ok(in->user))
		return srv_err_set(err, CL_E_REFUSED,
		                   in->user && srv_utf8_chars(in->user) > 64 ? "field_too_long"
		                                                             : "bad_request",
		                   "user", "user is 1-64 characters.");
	if (!in->password == !in->token)
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "password",
		                   "Send exactly one of password and invitation_token.");
	if (in->password && (srv_utf8_chars(in->password) < 1 || srv_utf8_chars(in->password) > 256))
		return srv_err_set(err, CL_E_REFUSED, "field_too_long", "password",
		                   "password is 1-256 characters.");
	if (in->token && !srv_is_token_chars(in->token, 128))
		return srv_err_set(err, CL_E_REFUSED, "invalid_token", NULL,
		                   "The invitation token is unknown, used or expired.");
	if (!in->store || (strcmp(in->store, "user") && strcmp(in->store, "computer")))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "store", "store is user or computer.");
	if (srv_apps_check_field(db, "email", in->email, SRV_EMAIL_MAX, err) ||
	    srv_apps_check_field(db, "reason", in->reason, SRV_REASON_MAX, err) ||
	    srv_apps_check_field(db, "device_note", in->device_note, SRV_DEVICE_NOTE_MAX, err) ||
	    srv_apps_check_field(db, "invitation_code", in->code, 64, err))
		return CL_E_REFUSED;
	if (in->apid && (srv_utf8_chars(in->apid) < 0 || srv_utf8_chars(in->apid) > SRV_APID_MAX))
		return srv_err_set(err, CL_E_REFUSED, "field_too_long", "apid",
		                   "apid is at most 64 characters.");
	if (in->renewal_of && (!*in->renewal_of || strlen(in->renewal_of) > 40 ||
	                       strspn(in->renewal_of, "0123456789abcdef") != strlen(in->renewal_of)))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", "renewal_of",
		                   "renewal_of is a lowercase hex serial number.");
	return CL_OK;
}

/* Credentials of a new application or of a replay: password, or the passwordless token (bound to app_id). */
static enum cl_status authenticate(sqlite3 *db, const struct srv_apply_in *in, const char *replay_app,
                                   struct srv_invite *inv, struct srv_err *err)
{
	int wait = srv_throttle_wait(in->user);
	time_t now = time(NULL);

	if (wait > 0) {
		err->retry_after = wait;
		return srv_err_set(err, CL_E_RETRY_LATER, "busy", NULL,
		                   "Too many failed attempts for this user; try again later.");
	}
	if (in->password) {
		if (srv_user_authenticate(db, in->user, in->password, NULL) != CL_OK) {
			srv_throttle_failed(in->user);
			return srv_err_set(err, CL_E_REFUSED, "invalid_credentials", NULL,
			                   "User ID or password is incorrect.");
		}
		srv_throttle_succeeded(in->user);
		return CL_OK;
	}
	if (!srv_config_bool(db, "passwordless") || !srv_invite_by_token(db, in->token, inv) ||
	    !inv->passwordless || inv->revoked || strcmp(inv->user, in->user) != 0 ||
	    (replay_app ? strcmp(inv->app_id, replay_app) != 0 : (inv->app_id[0] || inv->expires <= now))) {
		srv_throttle_failed(in->user);
		return srv_err_set(err, CL_E_REFUSED, "invalid_token", NULL,
		                   "The invitation token is unknown, used or expired.");
	}
	if (inv->store[0] && strcmp(inv->store, in->store) != 0)
		return srv_err_set(err, CL_E_REFUSED, "forbidden", NULL,
		                   "This invitation is for the %s store.", inv->store);
	return CL_OK;
}

static enum cl_status check_renewal(sqlite3 *db, const struct srv_apply_in *in, struct srv_err *err)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db,
	                   "SELECT 1 FROM certificates WHERE serial = ? AND user = ? AND store = ?"
	                   " AND revoked_at IS NULL",
	                   NULL);
	int ok;

	if (!st)
		return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "database error");
	sqlite3_bind_text(st, 1, in->renewal_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->store, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!ok)
		return srv_err_set(err, CL_E_REFUSED, "forbidden", NULL,
		                   "Certificate %s was not issued to this user and store, or is revoked.",
		                   in->renewal_of);
	return CL_OK;
}

static enum cl_status db_error(sqlite3 *db, int rc, const char *what, struct srv_err *err)
{
	struct cl_error e;

	srv_db_fail(db, rc, what, &e);
	return srv_err_set(err, e.status, e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL,
	                   "%s", e.msg);
}

static enum cl_status insert_app(sqlite3 *db, const struct srv_apply_in *in, const char *inv_id,
                                 const char *id, struct srv_err *err)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db,
	    "INSERT INTO applications(id, user, store, state, client_request_id, email, reason, device_note,"
	    " apid, invitation_id, renewal_of, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    NULL);
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	int rc;

	if (!st)
		return db_error(db, sqlite3_errcode(db), "preparing", err);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->store, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, srv_config_bool(db, "auto_approve") ? "approved" : "pending", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->client_request_id, -1, SQLITE_STATIC);
	srv_db_bind_text(st, 6, field_value(db, "email", in->email));
	srv_db_bind_text(st, 7, field_value(db, "reason", in->reason));
	srv_db_bind_text(st, 8, field_value(db, "device_note", in->device_note));
	srv_db_bind_text(st, 9, in->apid);
	srv_db_bind_text(st, 10, inv_id && *inv_id ? inv_id : NULL);
	srv_db_bind_text(st, 11, in->renewal_of);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int64(st, 13, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : db_error(db, rc, "storing the application", err);
}

static enum cl_status bind_token(sqlite3 *db, const char *inv_id, const char *app_id, struct srv_err *err)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "UPDATE invitations SET app_id = ? WHERE id = ? AND app_id IS NULL", NULL);
	int rc;

	if (!st)
		return db_error(db, sqlite3_errcode(db), "preparing", err);
	sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inv_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, rc, "binding the invitation", err);
	if (sqlite3_changes(db) != 1)
		return srv_err_set(err, CL_E_REFUSED, "invalid_token", NULL,
		                   "The invitation token is unknown, used or expired.");
	return CL_OK;
}

enum cl_status srv_apps_apply(sqlite3 *db, const struct srv_apply_in *in, struct srv_app *out, int *created,
                              struct srv_err *err)
{
	struct srv_invite inv = { 0 };
	char inv_id[32] = "", id[SRV_APP_ID_LEN + 1];
	int found;

	*created = 0;
	if (check_apply_input(db, in, err) != CL_OK)
		return err->e.status;
	found = find_replay(db, in->user, in->client_request_id, out);
	if (found < 0)
		return db_error(db, sqlite3_errcode(db), "looking up the application", err);
	/* A replay needs the same credentials, so the request id alone reveals nothing. */
	if (authenticate(db, in, found ? out->id : NULL, &inv, err) != CL_OK)
		return err->e.status;
	if (found)
		return CL_OK;
	if (in->apid && srv_config_bool(db, "apid_check") && !apid_registered(db, in->apid))
		return srv_err_set(err, CL_E_REFUSED, "apid_not_registered", NULL,
		                   "This device (APID) is not registered.");
	if (!in->apid && srv_config_bool(db, "apid_check"))
		return srv_err_set(err, CL_E_REFUSED, "field_required", "apid", "apid is required.");
	if (in->code && field_value(db, "invitation_code", in->code) &&
	    srv_invite_check_code(db, in->code, in->user, inv_id, sizeof(inv_id), err) != CL_OK)
		return err->e.status;
	if (in->token)
		snprintf(inv_id, sizeof(inv_id), "%s", inv.id);
	if (in->renewal_of && check_renewal(db, in, err) != CL_OK)
		return err->e.status;
	if (srv_random_hex(id, SRV_APP_ID_LEN) != 0)
		return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "no randomness");
	if (srv_db_begin(db, &err->e) != CL_OK)
		return srv_err_set(err, err->e.status, "unavailable", NULL, "%s", err->e.msg);
	/* Under the write lock: a concurrent replay with the same request id may have won the race. */
	found = find_replay(db, in->user, in->client_request_id, out);
	if (found == 0 && insert_app(db, in, inv_id, id, err) == CL_OK &&
	    (!in->token || bind_token(db, inv.id, id, err) == CL_OK) && srv_db_commit(db, &err->e) == CL_OK) {
		*created = 1;
		return srv_app_load(db, id, out) == 1 ? CL_OK : db_error(db, SQLITE_ERROR, "reloading", err);
	}
	srv_db_rollback(db);
	if (found == 1)
		return CL_OK;
	if (!err->e.code[0])
		srv_err_set(err, err->e.status ? err->e.status : CL_E_UNEXPECTED,
		            err->e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL, "%s",
		            err->e.msg);
	return err->e.status;
}

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

static cJSON *activation_doc(sqlite3 *db, const struct srv_app *app, const cJSON *device)
{
	char org[SRV_CONFIG_VALUE_MAX], type[16], size[16], cn_override[16];
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(device, "hostname");
	cJSON *doc = cJSON_CreateObject(), *subject, *rdn, *san, *key;
	const char *cn = app->user;

	srv_config_get(db, "organization", org, sizeof(org));
	srv_config_get(db, "key_type", type, sizeof(type));
	srv_config_get(db, "key_size", size, sizeof(size));
	srv_config_get(db, "cn_override", cn_override, sizeof(cn_override));
	/* A computer certificate is named after the machine when the client said which one it is. */
	if (!strcmp(app->store, "computer") && cJSON_IsString(host) && host->valuestring[0] &&
	    srv_utf8_chars(host->valuestring) <= 64)
		cn = host->valuestring;
	subject = cJSON_AddArrayToObject(doc, "subject");
	rdn = cJSON_CreateArray();
	cJSON_AddItemToArray(rdn, cJSON_CreateString("CN"));
	cJSON_AddItemToArray(rdn, cJSON_CreateString(cn));
	cJSON_AddItemToArray(subject, rdn);
	if (org[0]) {
		rdn = cJSON_CreateArray();
		cJSON_AddItemToArray(rdn, cJSON_CreateString("O"));
		cJSON_AddItemToArray(rdn, cJSON_CreateString(org));
		cJSON_AddItemToArray(subject, rdn);
	}
	san = cJSON_AddObjectToObject(doc, "san");
	cJSON_AddArrayToObject(san, "dns");
	cJSON *email = cJSON_AddArrayToObject(san, "email");
	if (app->email[0])
		cJSON_AddItemToArray(email, cJSON_CreateString(app->email));
	cJSON_AddArrayToObject(san, "upn");
	cJSON_AddArrayToObject(san, "uri");
	cJSON_AddStringToObject(doc, "cn_override", cn_override);
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
		return db_error(db, sqlite3_errcode(db), "preparing", err);
	srv_db_bind_text(st, 1, a);
	srv_db_bind_text(st, 2, b);
	srv_db_bind_text(st, 3, c);
	sqlite3_bind_int64(st, 4, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : db_error(db, rc, "updating", err);
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
	return srv_app_load(db, id, app) == 1 ? CL_OK : db_error(db, SQLITE_ERROR, "reloading", err);
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
	    !apid_registered(db, apid->valuestring))
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

enum cl_status srv_apps_withdraw(sqlite3 *db, struct srv_app *app, const char *password, char revoked[48],
                                 struct srv_err *err)
{
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	enum cl_status st;

	revoked[0] = '\0';
	if (srv_config_bool(db, "withdraw_requires_password")) {
		if (!password)
			return srv_err_set(err, CL_E_REFUSED, "field_required", "password",
			                   "Withdrawal needs the password.");
		if (srv_throttle_wait(app->user) > 0) {
			err->retry_after = srv_throttle_wait(app->user);
			return srv_err_set(err, CL_E_RETRY_LATER, "busy", NULL, "Too many failed attempts.");
		}
		if (srv_user_authenticate(db, app->user, password, NULL) != CL_OK) {
			srv_throttle_failed(app->user);
			return srv_err_set(err, CL_E_REFUSED, "invalid_credentials", NULL,
			                   "User ID or password is incorrect.");
		}
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
		st = exec_bound(db, "DELETE FROM challenges WHERE app_id = ?1", app->id, NULL, NULL, 0, err);
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
	st = exec_bound(db,
	                "UPDATE applications SET state = ?1, cert_serial = NULL, activation = NULL,"
	                " hold_released = 0, updated = ?4 WHERE id = ?2",
	                state, app->id, NULL, now, err);
	if (!st && email)
		st = exec_bound(db, "UPDATE applications SET email = ?1 WHERE id = ?2",
		                field_value(db, "email", email), app->id, NULL, 0, err);
	if (!st && reason)
		st = exec_bound(db, "UPDATE applications SET reason = ?1 WHERE id = ?2",
		                field_value(db, "reason", reason), app->id, NULL, 0, err);
	if (!st && device_note)
		st = exec_bound(db, "UPDATE applications SET device_note = ?1 WHERE id = ?2",
		                field_value(db, "device_note", device_note), app->id, NULL, 0, err);
	return commit_and_reload(db, st, app, err);
}

enum cl_status srv_apps_decide(sqlite3 *db, const char *id, enum srv_decision what, struct srv_app *out,
                               struct srv_err *err)
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
		if (!strcmp(s, "pending") || !strcmp(s, "rejected"))
			st = exec_bound(
			    db, "UPDATE applications SET state = 'approved', updated = ?4 WHERE id = ?1", id,
			    NULL, NULL, now, err);
		else if (strcmp(s, "approved") && strcmp(s, "issued"))
			st = srv_err_set(err, CL_E_REFUSED, "wrong_state", s, "Cannot approve in state %s.",
			                 s);
	} else if (what == SRV_REJECT) {
		if (!strcmp(s, "pending") || !strcmp(s, "approved")) {
			st = exec_bound(
			    db, "UPDATE applications SET state = 'rejected', updated = ?4 WHERE id = ?1", id,
			    NULL, NULL, now, err);
			if (!st)
				st = exec_bound(db, "DELETE FROM challenges WHERE app_id = ?1", id, NULL,
				                NULL, 0, err);
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
	    db, "SELECT " APP_COLUMNS " FROM applications ORDER BY created DESC, rowid DESC LIMIT ?", NULL);
	cJSON *arr = cJSON_CreateArray();
	struct srv_app app = { 0 };

	if (!st)
		return arr;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		row_to_app(st, &app);
		cJSON_AddItemToArray(arr, srv_app_admin_json(&app));
	}
	srv_app_clear(&app);
	sqlite3_finalize(st);
	return arr;
}
