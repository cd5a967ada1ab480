/* certlink-server: what apps.c shares with appflow.c (the application record and small helpers). */
#ifndef SRV_APPS_PRIVATE_H
#define SRV_APPS_PRIVATE_H

#include "apps.h"

#define SRV_APP_COLUMNS                                                                               \
	"id, user, store, state, client_request_id, email, reason, device_note, apid, invitation_id," \
	" renewal_of, cert_serial, device, activation, hold_released, created, updated, computer_name"

/* Fill app from a row selected with SRV_APP_COLUMNS. */
void srv_apps_row(sqlite3_stmt *st, struct srv_app *app);
/* A failed SQLite call as a protocol error (unavailable or internal). */
enum cl_status srv_apps_db_error(sqlite3 *db, int rc, const char *what, struct srv_err *err);
/* value when the prompt name is not off, else NULL. */
const char *srv_apps_field_value(sqlite3 *db, const char *name, const char *value);
/* 1 when apid is registered. */
int srv_apps_apid_registered(sqlite3 *db, const char *apid);

#endif
