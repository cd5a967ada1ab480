/* certlink-server: application records, apply (with idempotent replay) and application secrets (see apps.h).
 */
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
#include "login.h"
#include "users.h"
#include "apps-private.h"

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

void srv_apps_row(sqlite3_stmt *st, struct srv_app *a)
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
	srv_db_col_copy(st, 17, a->computer_name, sizeof(a->computer_name));
}

int srv_app_load(sqlite3 *db, const char *id, struct srv_app *out)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT " SRV_APP_COLUMNS " FROM applications WHERE id = ?", NULL);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		srv_apps_row(st, out);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int find_replay(sqlite3 *db, const char *user, const char *crid, struct srv_app *out)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "SELECT " SRV_APP_COLUMNS " FROM applications WHERE user = ? AND client_request_id = ?",
	    NULL);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, crid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		srv_apps_row(st, out);
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
	if (!strcmp(name, "email") && !srv_email_ok(value))
		return srv_err_set(err, CL_E_REFUSED, "bad_request", name, "email is not an e-mail address.");
	return CL_OK;
}

/* Text from a field only when its prompt is on. */
const char *srv_apps_field_value(sqlite3 *db, const char *name, const char *value)
{
	char use[SRV_CONFIG_VALUE_MAX];

	srv_config_get(db, name, use, sizeof(use));
	return strcmp(use, "off") ? value : NULL;
}

int srv_apps_apid_registered(sqlite3 *db, const char *apid)
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
		return srv_err_set(err, CL_E_REFUSED,
		                   srv_utf8_chars(in->password) > 256 ? "field_too_long" : "bad_request",
		                   "password", "password is 1-256 characters of text.");
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
	time_t now = time(NULL);

	if (in->password)
		return srv_login_password(db, in->user, in->password, in->addr, err);
	if (srv_login_token_check(db, in->user, in->addr, err) != CL_OK)
		return err->e.status;
	if (!srv_config_bool(db, "passwordless") || !srv_invite_by_token(db, in->token, inv) ||
	    !inv->passwordless || inv->revoked || strcmp(inv->user, in->user) != 0 ||
	    (replay_app ? strcmp(inv->app_id, replay_app) != 0 : (inv->app_id[0] || inv->expires <= now))) {
		srv_login_token_failed(db, in->user, in->addr);
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
	/* a certificate a renewal replaced is on the CRL once its grace is over: as good as revoked */
	sqlite3_stmt *st =
	    srv_db_prepare(db,
	                   "SELECT 1 FROM certificates WHERE serial = ? AND user = ? AND store = ?"
	                   " AND revoked_at IS NULL AND (superseded_at IS NULL OR superseded_at + ? > ?)",
	                   NULL);
	int ok;

	if (!st)
		return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "database error");
	sqlite3_bind_text(st, 1, in->renewal_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->store, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)srv_config_long(db, "renewal_revoke_days") * 86400);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!ok)
		return srv_err_set(err, CL_E_REFUSED, "forbidden", NULL,
		                   "Certificate %s was not issued to this user and store, or is revoked.",
		                   in->renewal_of);
	return CL_OK;
}

enum cl_status srv_apps_db_error(sqlite3 *db, int rc, const char *what, struct srv_err *err)
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
		return srv_apps_db_error(db, sqlite3_errcode(db), "preparing", err);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, in->store, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, srv_config_bool(db, "auto_approve") ? "approved" : "pending", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, in->client_request_id, -1, SQLITE_STATIC);
	srv_db_bind_text(st, 6, srv_apps_field_value(db, "email", in->email));
	srv_db_bind_text(st, 7, srv_apps_field_value(db, "reason", in->reason));
	srv_db_bind_text(st, 8, srv_apps_field_value(db, "device_note", in->device_note));
	srv_db_bind_text(st, 9, in->apid);
	srv_db_bind_text(st, 10, inv_id && *inv_id ? inv_id : NULL);
	srv_db_bind_text(st, 11, in->renewal_of);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int64(st, 13, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : srv_apps_db_error(db, rc, "storing the application", err);
}

static enum cl_status bind_token(sqlite3 *db, const char *inv_id, const char *app_id, struct srv_err *err)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "UPDATE invitations SET app_id = ? WHERE id = ? AND app_id IS NULL", NULL);
	int rc;

	if (!st)
		return srv_apps_db_error(db, sqlite3_errcode(db), "preparing", err);
	sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inv_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return srv_apps_db_error(db, rc, "binding the invitation", err);
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
		return srv_apps_db_error(db, sqlite3_errcode(db), "looking up the application", err);
	/* A replay needs the same credentials, so the request id alone reveals nothing. */
	if (authenticate(db, in, found ? out->id : NULL, &inv, err) != CL_OK)
		return err->e.status;
	if (found)
		return CL_OK;
	if (in->apid && srv_config_bool(db, "apid_check") && !srv_apps_apid_registered(db, in->apid))
		return srv_err_set(err, CL_E_REFUSED, "apid_not_registered", NULL,
		                   "This device (APID) is not registered.");
	if (!in->apid && srv_config_bool(db, "apid_check"))
		return srv_err_set(err, CL_E_REFUSED, "field_required", "apid", "apid is required.");
	if (in->code && srv_apps_field_value(db, "invitation_code", in->code) &&
	    srv_invite_check_code(db, in->code, in->user, in->store, inv_id, sizeof(inv_id), err) != CL_OK)
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
		return srv_app_load(db, id, out) == 1 ? CL_OK
		                                      : srv_apps_db_error(db, SQLITE_ERROR, "reloading", err);
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
