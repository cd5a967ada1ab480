/* certlink-server: administration: the admin token, the admin JSON API under /api/v1/admin/ (adminapi.c) and
 * the admin web page under /admin (admin.c).
 */
#ifndef SRV_ADMIN_H
#define SRV_ADMIN_H

#include <sqlite3.h>

#include "http.h"

/* Create a new admin token (replacing any previous one and ending all admin sessions). *token is shown once;
 * caller frees with srv_free_secret(). */
enum cl_status srv_admin_token_reset(sqlite3 *db, char **token, struct cl_error *err);
/* 1 when an admin token exists. */
int srv_admin_token_exists(sqlite3 *db);
/* 1 when token is the admin token (constant time). */
int srv_admin_token_ok(sqlite3 *db, const char *token);

void srv_admin_api_handle(struct srv_request *req, struct srv_response *resp);
void srv_admin_page_handle(struct srv_request *req, struct srv_response *resp);
void srv_admin_page_index(struct srv_request *req, struct srv_response *resp);

#endif
