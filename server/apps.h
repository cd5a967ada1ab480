/* certlink-server: applications and their life cycle (docs/protocol.md section 5): apply (with idempotent
 * replay), application secrets, approval, activation with a one-time SCEP challenge, withdrawal (revoking the
 * certificate), re-application and the administrator's decisions. Each state change is one transaction.
 */
#ifndef SRV_APPS_H
#define SRV_APPS_H

#include <sqlite3.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util.h"

#define SRV_APP_ID_LEN        12
#define SRV_EMAIL_MAX         128
#define SRV_REASON_MAX        256
#define SRV_DEVICE_NOTE_MAX   128
#define SRV_APID_MAX          64
#define SRV_DEVICE_MEMBER_MAX 128

struct srv_app {
	char id[32];
	char user[260];
	char store[16];
	char state[16]; /* pending, approved, issued, rejected, withdrawn */
	char client_request_id[80];
	char email[520];
	char reason[1040];
	char device_note[520];
	char apid[260];
	char invitation_id[32];
	char renewal_of[48];
	char cert_serial[48];
	char computer_name[260]; /* the computer name an administrator approved (computer store), "" for none
	                          */
	char *device;            /* JSON object text or NULL */
	char *activation;        /* JSON object text or NULL: subject, san, key, cn_override */
	int hold_released;
	time_t created, updated;
};

void srv_app_clear(struct srv_app *app);
/* 1 found, 0 not found, -1 database error. */
int srv_app_load(sqlite3 *db, const char *id, struct srv_app *out);

struct srv_apply_in {
	const char *client_request_id, *user, *password, *token, *store;
	const char *email, *reason, *device_note, *code, *apid, *renewal_of;
	const char *addr; /* the client's address for the login throttle (NULL: a local caller) */
};

/* Apply. *created is 1 for a new application, 0 for an idempotent replay. */
enum cl_status srv_apps_apply(sqlite3 *db, const struct srv_apply_in *in, struct srv_app *out, int *created,
                              struct srv_err *err);

/* The application secret (base64url, 43 characters) into out[48]; derived, never stored. 0 or -1. */
int srv_app_secret(sqlite3 *db, const char *app_id, char out[48]);
/* 1 when presented is the secret of app_id (constant time). */
int srv_app_secret_ok(sqlite3 *db, const char *app_id, const char *presented);

/* Activate: for an approved application store device (may be NULL) and a fresh challenge (*challenge, caller
 * frees with srv_free_secret; the previous one of this application is invalidated). For an issued one
 * *challenge stays NULL. app is reloaded with the activation document. */
enum cl_status srv_apps_activate(sqlite3 *db, struct srv_app *app, const cJSON *device, char **challenge,
                                 time_t *expires, struct srv_err *err);

/* Withdraw (revoking an issued certificate: serial into revoked[48], "" when none). addr is the client's
 * address for the login throttle when the password is needed. */
enum cl_status srv_apps_withdraw(sqlite3 *db, struct srv_app *app, const char *password, const char *addr,
                                 char revoked[48], struct srv_err *err);

/* Re-apply from withdrawn or rejected; NULL fields stay as they were. */
enum cl_status srv_apps_reapply(sqlite3 *db, struct srv_app *app, const char *email, const char *reason,
                                const char *device_note, struct srv_err *err);

enum srv_decision { SRV_APPROVE, SRV_REJECT, SRV_RELEASE };
/* The administrator's approve, reject or release (of a held SCEP issuance). computer_name (approve of a
 * computer-store application only, may be NULL) is the computer name the administrator approves as the
 * certificate's CN; it may also be given to an approved application not yet issued. */
enum cl_status srv_apps_decide(sqlite3 *db, const char *id, enum srv_decision what, const char *computer_name,
                               struct srv_app *out, struct srv_err *err);

/* The admin view of one application / of all (newest first, at most limit). */
cJSON *srv_app_admin_json(const struct srv_app *app);
cJSON *srv_apps_list(sqlite3 *db, int limit);

/* Validate an optional prompt field against its configuration (off|optional|required) and limit. */
enum cl_status srv_apps_check_field(sqlite3 *db, const char *name, const char *value, long max,
                                    struct srv_err *err);

#endif
