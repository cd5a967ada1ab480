/* certlink-server: invitations: certlink:// links with an optional invitation code or a passwordless one-time
 * token. Tokens and codes are stored as SHA-256 hashes; the link is shown once, at creation.
 */
#ifndef SRV_INVITES_H
#define SRV_INVITES_H

#include <sqlite3.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util.h"

struct srv_ca;

struct srv_invite_req {
	const char *user;  /* NULL: an invitation code anyone may use */
	const char *store; /* "user", "computer" or NULL (the person chooses) */
	int passwordless;
	int expires_days; /* 1-365 */
	const char *code; /* NULL: none; "": generate one; else this code (1-64 of [A-Za-z0-9_-]) */
};

struct srv_invite {
	char id[32];
	char user[260];
	char store[16];
	int passwordless;
	time_t expires;
	char app_id[32]; /* "" while unused */
	int revoked;
};

/* Create an invitation; *link (caller frees) is the certlink:// link with the CA pinned. */
enum cl_status srv_invite_create(sqlite3 *db, const struct srv_ca *ca, const struct srv_invite_req *req,
                                 struct srv_invite *out, char **link, struct srv_err *err);

/* Find a live passwordless invitation by token (used or not). Returns 1 when found. */
int srv_invite_by_token(sqlite3 *db, const char *token, struct srv_invite *out);

/* Check an invitation code for user and store: CL_OK with the invitation id, invalid_invitation_code, or
 * forbidden when the code's invitation is for the other store. */
enum cl_status srv_invite_check_code(sqlite3 *db, const char *code, const char *user, const char *store,
                                     char *inv_id, size_t n, struct srv_err *err);

/* The latest LIMIT invitations, newest first: {id, user (null: anyone with the code), store (null: the person
 * chooses), passwordless, code (whether it has an invitation code), created, expires, application (the one a
 * passwordless link made, or null), state}. State: "revoked", "used" (a passwordless link that made its
 * application), "expired" or "open". Never a token or a code: only their hashes are stored. */
cJSON *srv_invites_list(sqlite3 *db, int limit);

/* Revoke invitation ID: from now on its link and its code are refused as unknown (invalid_token,
 * invalid_invitation_code), also for the application a passwordless link already made, which stays as it is
 * for the administrator to approve, reject or revoke. CL_E_REFUSED not_found when there is no such
 * invitation; revoking twice is no error. */
enum cl_status srv_invite_revoke(sqlite3 *db, const char *id, struct srv_err *err);

#endif
