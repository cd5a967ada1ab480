/* certlink-server: records of issued certificates (see certs.h). */
#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"

#define CERT_COLUMNS "serial, subject, not_after, app_id, user, store, revoked_at, not_before, superseded_at"
#define SRV_STR_(x)  #x
#define SRV_STR(x)   SRV_STR_(x)

static cJSON *row_json(sqlite3_stmt *st)
{
	cJSON *o = cJSON_CreateObject();
	char ts[21];

	cJSON_AddStringToObject(o, "serial", (const char *)sqlite3_column_text(st, 0));
	cJSON_AddStringToObject(o, "subject", (const char *)sqlite3_column_text(st, 1));
	srv_time_fmt((time_t)sqlite3_column_int64(st, 7), ts);
	cJSON_AddStringToObject(o, "not_before", ts);
	srv_time_fmt((time_t)sqlite3_column_int64(st, 2), ts);
	cJSON_AddStringToObject(o, "not_after", ts);
	if (sqlite3_column_type(st, 3) == SQLITE_NULL)
		cJSON_AddNullToObject(o, "application");
	else
		cJSON_AddStringToObject(o, "application", (const char *)sqlite3_column_text(st, 3));
	cJSON_AddStringToObject(o, "user", (const char *)sqlite3_column_text(st, 4));
	cJSON_AddStringToObject(o, "store", (const char *)sqlite3_column_text(st, 5));
	cJSON_AddBoolToObject(o, "revoked", sqlite3_column_type(st, 6) != SQLITE_NULL);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		srv_time_fmt((time_t)sqlite3_column_int64(st, 6), ts);
		cJSON_AddStringToObject(o, "revoked_at", ts);
	}
	if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
		srv_time_fmt((time_t)sqlite3_column_int64(st, 8), ts);
		cJSON_AddStringToObject(o, "superseded_at", ts);
	}
	return o;
}

cJSON *srv_certs_list(sqlite3 *db, int limit)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "SELECT " CERT_COLUMNS " FROM certificates ORDER BY not_before DESC, rowid DESC LIMIT ?",
	    NULL);
	cJSON *arr = cJSON_CreateArray();

	if (!st)
		return arr;
	sqlite3_bind_int(st, 1, limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		cJSON_AddItemToArray(arr, row_json(st));
	sqlite3_finalize(st);
	return arr;
}

cJSON *srv_cert_json(sqlite3 *db, const char *serial)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT " CERT_COLUMNS " FROM certificates WHERE serial = ?", NULL);
	cJSON *o = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = row_json(st);
	sqlite3_finalize(st);
	return o;
}

enum cl_status srv_certs_revoke(sqlite3 *db, const char *serial, struct srv_err *err)
{
	sqlite3_stmt *st = srv_db_prepare(db,
	                                  "UPDATE certificates SET revoked_at = COALESCE(revoked_at, ?)"
	                                  " WHERE serial = ?",
	                                  &err->e);
	int rc;

	if (!st)
		return srv_err_set(err, err->e.status, "internal", NULL, "%s", err->e.msg);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		srv_db_fail(db, rc, "revoking", &err->e);
		return srv_err_set(err, err->e.status,
		                   err->e.status == CL_E_RETRY_LATER ? "unavailable" : "internal", NULL, "%s",
		                   err->e.msg);
	}
	if (sqlite3_changes(db) == 0)
		return srv_err_set(err, CL_E_REFUSED, "not_found", NULL, "No certificate with serial %s.",
		                   serial);
	return CL_OK;
}

/* Revoked by an administrator or a withdrawal (no reason given), or replaced by a renewal more than
 * renewal_revoke_days ago (reason superseded, dated when the grace ended). */
enum cl_status srv_certs_revoked(sqlite3 *db, struct srv_revoked **out, size_t *n, struct cl_error *err)
{
	sqlite3_int64 grace = (sqlite3_int64)srv_config_long(db, "renewal_revoke_days") * 86400;
	sqlite3_stmt *st = srv_db_prepare(
	    db,
	    "SELECT serial, revoked_at, -1 FROM certificates WHERE revoked_at IS NOT NULL"
	    " UNION ALL SELECT serial, superseded_at + ?1, " SRV_STR(
	        SRV_CRL_REASON_SUPERSEDED) " FROM certificates WHERE revoked_at IS NULL AND superseded_at IS "
	                                   "NOT NULL AND superseded_at + ?1 <= ?2",
	    err);
	struct srv_revoked *list = NULL, *grown;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return err->status;
	sqlite3_bind_int64(st, 1, grace);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				free(list);
				sqlite3_finalize(st);
				return cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
			}
			list = grown;
		}
		srv_db_col_copy(st, 0, list[count].serial, sizeof(list[count].serial));
		list[count].when = (time_t)sqlite3_column_int64(st, 1);
		list[count].reason = sqlite3_column_int(st, 2);
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(list);
		return srv_db_fail(db, rc, "listing revoked certificates", err);
	}
	*out = list;
	*n = count;
	return CL_OK;
}

enum cl_status srv_certs_superseded(sqlite3 *db, const char *serial, struct cl_error *err)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "UPDATE certificates SET superseded_at = ? WHERE serial = ? AND superseded_at IS NULL", err);
	int rc;

	if (!st)
		return err->status;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : srv_db_fail(db, rc, "marking a renewed certificate", err);
}

void srv_certs_crl_url(sqlite3 *db, char *out, size_t n)
{
	struct srv_public pub;
	char v[SRV_CONFIG_VALUE_MAX];
	int v6;

	srv_config_get(db, "crl_url", v, sizeof(v));
	if (!strcmp(v, "off")) {
		out[0] = '\0';
		return;
	}
	if (v[0]) {
		snprintf(out, n, "%s", v);
		return;
	}
	srv_config_public(db, &pub);
	v6 = strchr(pub.host, ':') != NULL;
	/* plain HTTP where the server offers it: a CRL is signed, and a relying party fetching it over TLS
	 * would need this very CA's revocation state to trust the connection (RFC 5280 4.2.1.13) */
	if (pub.scep_http_port)
		snprintf(out, n, "http://%s%s%s:%u/ca.crl", v6 ? "[" : "", pub.host, v6 ? "]" : "",
		         pub.scep_http_port);
	else
		snprintf(out, n, "https://%s%s%s:%u/ca.crl", v6 ? "[" : "", pub.host, v6 ? "]" : "",
		         pub.port);
}
