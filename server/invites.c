/* certlink-server: invitations (see invites.h). */
#include "invites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "ca.h"
#include "link.h"
#include "config.h"
#include "db.h"
#include "users.h"

/* The invitation link, built by core's canonical formatter (docs/links.md), so the server never writes a link
 * certlink would refuse. */
static char *make_link(sqlite3 *db, const struct srv_ca *ca, const struct srv_invite_req *req,
                       const char *code, const char *token)
{
	struct cl_link link;
	struct cl_error err;
	struct srv_public pub;
	char service[SRV_CONFIG_VALUE_MAX], *out = malloc(CL_LINK_MAX + 1);
	unsigned char ip[16];
	size_t i;

	if (!out)
		return NULL;
	cl_link_clear(&link);
	srv_config_public(db, &pub);
	srv_config_get(db, "service_name", service, sizeof(service));
	for (i = 0; pub.host[i] && i < CL_LINK_HOST_MAX; i++)
		link.host[i] =
		    (char)(pub.host[i] >= 'A' && pub.host[i] <= 'Z' ? pub.host[i] - 'A' + 'a' : pub.host[i]);
	link.host[i] = '\0';
	link.host_is_ip = inet_pton(AF_INET, link.host, ip) == 1 || inet_pton(AF_INET6, link.host, ip) == 1;
	link.port = pub.port;
	link.store = !req->store                       ? CL_STORE_ASK
	             : !strcmp(req->store, "computer") ? CL_STORE_COMPUTER
	                                               : CL_STORE_USER;
	link.pwless = req->passwordless;
	snprintf(link.user, sizeof(link.user), "%s", req->user ? req->user : "");
	snprintf(link.code, sizeof(link.code), "%s", code ? code : "");
	snprintf(link.token, sizeof(link.token), "%s", token ? token : "");
	snprintf(link.name, sizeof(link.name), "%.*s", (int)sizeof(link.name) - 1, service);
	link.has_ca_fp = cl_fp_parse(ca->fp_hex, strlen(ca->fp_hex), link.ca_fp);
	if (cl_link_format(&link, out, CL_LINK_MAX + 1, &err) != CL_OK) {
		srv_log("invitation link: %s", err.msg);
		free(out);
		out = NULL;
	}
	cl_link_clear(&link);
	return out;
}

static enum cl_status check_req(sqlite3 *db, const struct srv_invite_req *req, struct srv_err *err)
{
	if (req->user && !srv_user_name_ok(req->user))
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "user", "A user ID is 1-64 characters.");
	if (req->user && !srv_user_exists(db, req->user))
		return srv_err_set(err, CL_E_LOCAL, "not_found", "user", "No user \"%s\".", req->user);
	if (req->store && strcmp(req->store, "user") && strcmp(req->store, "computer"))
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "store",
		                   "store is user, computer or null.");
	if (req->expires_days < 1 || req->expires_days > 365)
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "expires_days", "expires_days is 1-365.");
	if (req->passwordless && !req->user)
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "user",
		                   "A passwordless invitation is for one user.");
	if (req->passwordless && !srv_config_bool(db, "passwordless"))
		return srv_err_set(err, CL_E_REFUSED, "forbidden", NULL,
		                   "Passwordless invitations are off (config passwordless).");
	if (req->code && req->code[0] && !srv_is_token_chars(req->code, 64))
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "code",
		                   "An invitation code is 1-64 of A-Z a-z 0-9 - _.");
	if (!req->passwordless && !req->code && !req->user)
		return srv_err_set(err, CL_E_LOCAL, "bad_request", "user",
		                   "An invitation needs a user, a code, or both.");
	return CL_OK;
}

enum cl_status srv_invite_create(sqlite3 *db, const struct srv_ca *ca, const struct srv_invite_req *req,
                                 struct srv_invite *out, char **link, struct srv_err *err)
{
	char *token = NULL, code_buf[16], token_hash[65], code_hash[65];
	const char *code = req->code;
	sqlite3_stmt *st = NULL;
	enum cl_status status;
	struct cl_error dberr;
	int rc;

	*link = NULL;
	memset(out, 0, sizeof(*out));
	if (check_req(db, req, err) != CL_OK)
		return err->e.status;
	if (code && !code[0]) {
		/* Generated codes avoid look-alike characters: people type them. */
		static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
		unsigned char raw[10];
		size_t i;
		if (srv_random(raw, sizeof(raw)) != 0)
			return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "no randomness");
		for (i = 0; i < sizeof(raw); i++)
			code_buf[i] = alphabet[raw[i] % 32];
		code_buf[sizeof(raw)] = '\0';
		code = code_buf;
	}
	if (req->passwordless && !(token = srv_token_new(24)))
		return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "no randomness");
	if (token)
		srv_sha256_hex(token, strlen(token), token_hash);
	if (code)
		srv_sha256_hex(code, strlen(code), code_hash);
	if (srv_random_hex(out->id, 12) != 0) {
		srv_free_secret(token);
		return srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "no randomness");
	}
	out->expires = time(NULL) + (time_t)req->expires_days * 86400;
	out->passwordless = req->passwordless;
	snprintf(out->user, sizeof(out->user), "%s", req->user ? req->user : "");
	snprintf(out->store, sizeof(out->store), "%s", req->store ? req->store : "");
	*link = make_link(db, ca, req, code, token);
	st = *link ? srv_db_prepare(
	                 db,
	                 "INSERT INTO invitations(id, user, store, passwordless, token_hash, code, created,"
	                 " expires) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
	                 &dberr)
	           : NULL;
	if (!st) {
		status = srv_err_set(err, CL_E_UNEXPECTED, "internal", NULL, "%s",
		                     *link ? dberr.msg : "the link is too long");
		srv_free_secret(token);
		srv_free_secret(*link);
		*link = NULL;
		return status;
	}
	sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
	srv_db_bind_text(st, 2, req->user);
	srv_db_bind_text(st, 3, req->store);
	sqlite3_bind_int(st, 4, req->passwordless);
	srv_db_bind_text(st, 5, token ? token_hash : NULL);
	srv_db_bind_text(st, 6, code ? code_hash : NULL);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 8, (sqlite3_int64)out->expires);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	srv_free_secret(token);
	status = CL_OK;
	if (rc != SQLITE_DONE) {
		srv_db_fail(db, rc, "storing the invitation", &dberr);
		status = srv_err_set(err, dberr.status, "internal", NULL, "%s", dberr.msg);
		srv_free_secret(*link);
		*link = NULL;
	}
	return status;
}

static void row_to_invite(sqlite3_stmt *st, struct srv_invite *out)
{
	srv_db_col_copy(st, 0, out->id, sizeof(out->id));
	srv_db_col_copy(st, 1, out->user, sizeof(out->user));
	srv_db_col_copy(st, 2, out->store, sizeof(out->store));
	out->passwordless = sqlite3_column_int(st, 3);
	out->expires = (time_t)sqlite3_column_int64(st, 4);
	srv_db_col_copy(st, 5, out->app_id, sizeof(out->app_id));
	out->revoked = sqlite3_column_int(st, 6);
}

int srv_invite_by_token(sqlite3 *db, const char *token, struct srv_invite *out)
{
	char hash[65];
	sqlite3_stmt *st;
	int found = 0;

	srv_sha256_hex(token, strlen(token), hash);
	st = srv_db_prepare(db,
	                    "SELECT id, user, store, passwordless, expires, app_id, revoked FROM invitations"
	                    " WHERE token_hash = ?",
	                    NULL);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		row_to_invite(st, out);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

enum cl_status srv_invite_check_code(sqlite3 *db, const char *code, const char *user, const char *store,
                                     char *inv_id, size_t n, struct srv_err *err)
{
	char hash[65], other[16] = "";
	sqlite3_stmt *st;
	int found = 0;

	srv_sha256_hex(code, strlen(code), hash);
	/* The newest live invitation with this code for this user (or anyone) and this store (or either). */
	st = srv_db_prepare(db,
	                    "SELECT id, store FROM invitations WHERE code = ? AND revoked = 0 AND expires > ?"
	                    " AND (user IS NULL OR user = ?) ORDER BY store IS NOT NULL AND store <> ?,"
	                    " created DESC LIMIT 1",
	                    NULL);
	if (st) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, store, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			srv_db_col_copy(st, 0, inv_id, n);
			srv_db_col_copy(st, 1, other, sizeof(other));
			found = 1;
		}
		sqlite3_finalize(st);
	}
	if (!found)
		return srv_err_set(err, CL_E_REFUSED, "invalid_invitation_code", NULL,
		                   "The invitation code is wrong or has expired.");
	/* As for passwordless tokens: an invitation for one store does not enrol the other. */
	if (other[0] && strcmp(other, store) != 0)
		return srv_err_set(err, CL_E_REFUSED, "forbidden", NULL,
		                   "This invitation is for the %s store.", other);
	return CL_OK;
}

cJSON *srv_invites_list(sqlite3 *db, int limit)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db,
	                   "SELECT id, user, store, passwordless, code IS NOT NULL, created, expires,"
	                   " app_id, revoked FROM invitations ORDER BY created DESC, rowid DESC"
	                   " LIMIT ?",
	                   NULL);
	cJSON *arr = cJSON_CreateArray(), *o;
	time_t now = time(NULL), expires;
	char ts[21];

	if (!st || !arr) {
		sqlite3_finalize(st);
		return arr;
	}
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *user = (const char *)sqlite3_column_text(st, 1);
		const char *store = (const char *)sqlite3_column_text(st, 2);
		const char *app = (const char *)sqlite3_column_text(st, 7);

		if (!(o = cJSON_CreateObject()))
			break;
		cJSON_AddItemToArray(arr, o);
		expires = (time_t)sqlite3_column_int64(st, 6);
		cJSON_AddStringToObject(o, "id", (const char *)sqlite3_column_text(st, 0));
		if (user && user[0])
			cJSON_AddStringToObject(o, "user", user);
		else
			cJSON_AddNullToObject(o, "user");
		if (store && store[0])
			cJSON_AddStringToObject(o, "store", store);
		else
			cJSON_AddNullToObject(o, "store");
		cJSON_AddBoolToObject(o, "passwordless", sqlite3_column_int(st, 3));
		cJSON_AddBoolToObject(o, "code", sqlite3_column_int(st, 4));
		srv_time_fmt((time_t)sqlite3_column_int64(st, 5), ts);
		cJSON_AddStringToObject(o, "created", ts);
		srv_time_fmt(expires, ts);
		cJSON_AddStringToObject(o, "expires", ts);
		if (app && app[0])
			cJSON_AddStringToObject(o, "application", app);
		else
			cJSON_AddNullToObject(o, "application");
		cJSON_AddStringToObject(o, "state",
		                        sqlite3_column_int(st, 8) ? "revoked"
		                        : app && app[0]           ? "used"
		                        : expires <= now          ? "expired"
		                                                  : "open");
	}
	sqlite3_finalize(st);
	return arr;
}

enum cl_status srv_invite_revoke(sqlite3 *db, const char *id, struct srv_err *err)
{
	sqlite3_stmt *st = srv_db_prepare(db, "UPDATE invitations SET revoked = 1 WHERE id = ?", &err->e);
	int rc;

	if (!st)
		return srv_err_set(err, err->e.status, "internal", NULL, "%s", err->e.msg);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		srv_db_fail(db, rc, "revoking the invitation", &err->e);
		return srv_err_set(err, err->e.status,
		                   err->e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL, "%s",
		                   err->e.msg);
	}
	if (sqlite3_changes(db) == 0)
		return srv_err_set(err, CL_E_REFUSED, "not_found", NULL, "No invitation with ID %s.", id);
	return CL_OK;
}
