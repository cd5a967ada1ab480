/* certlink-server: invitations (see invites.h). */
#include "invites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "config.h"
#include "db.h"
#include "users.h"

#define LINK_MAX 2048

static void append_encoded(char *out, size_t n, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(out);
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p && len + 4 < n; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			out[len++] = (char)*p;
		} else if (*p == ' ') {
			out[len++] = '+';
		} else {
			out[len++] = '%';
			out[len++] = hex[*p >> 4];
			out[len++] = hex[*p & 15];
		}
	}
	out[len] = '\0';
}

char *srv_link_format(const char *host, unsigned port, const char *const *names, const char *const *values,
                      size_t n)
{
	char *out = calloc(1, LINK_MAX + 1);
	size_t i, len;
	int v6 = strchr(host, ':') != NULL;

	if (!out)
		return NULL;
	snprintf(out, LINK_MAX, "certlink://%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	len = strlen(out);
	if (port != 443)
		snprintf(out + len, LINK_MAX - len, ":%u", port);
	len = strlen(out);
	snprintf(out + len, LINK_MAX - len, "/enroll");
	for (i = 0; i < n; i++) {
		len = strlen(out);
		snprintf(out + len, LINK_MAX - len, "%c%s=", i ? '&' : '?', names[i]);
		append_encoded(out, LINK_MAX, values[i]);
	}
	if (strlen(out) >= LINK_MAX - 4) {
		free(out);
		return NULL;
	}
	return out;
}

static char *make_link(sqlite3 *db, const struct srv_ca *ca, const struct srv_invite_req *req,
                       const char *code, const char *token)
{
	const char *names[8], *values[8];
	char service[SRV_CONFIG_VALUE_MAX];
	struct srv_public pub;
	size_t n = 0;

	srv_config_public(db, &pub);
	srv_config_get(db, "service_name", service, sizeof(service));
	names[n] = "v", values[n++] = "1";
	if (req->store)
		names[n] = "store", values[n++] = req->store;
	if (req->passwordless)
		names[n] = "pwless", values[n++] = "1";
	if (req->user)
		names[n] = "user", values[n++] = req->user;
	if (code)
		names[n] = "code", values[n++] = code;
	if (token)
		names[n] = "token", values[n++] = token;
	names[n] = "ca", values[n++] = ca->fp_hex;
	names[n] = "name", values[n++] = service;
	return srv_link_format(pub.host, pub.port, names, values, n);
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

enum cl_status srv_invite_check_code(sqlite3 *db, const char *code, const char *user, char *inv_id, size_t n,
                                     struct srv_err *err)
{
	char hash[65];
	sqlite3_stmt *st;
	int found = 0;

	srv_sha256_hex(code, strlen(code), hash);
	st = srv_db_prepare(db,
	                    "SELECT id FROM invitations WHERE code = ? AND revoked = 0 AND expires > ?"
	                    " AND (user IS NULL OR user = ?) ORDER BY created DESC LIMIT 1",
	                    NULL);
	if (st) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			srv_db_col_copy(st, 0, inv_id, n);
			found = 1;
		}
		sqlite3_finalize(st);
	}
	if (!found)
		return srv_err_set(err, CL_E_REFUSED, "invalid_invitation_code", NULL,
		                   "The invitation code is wrong or has expired.");
	return CL_OK;
}
