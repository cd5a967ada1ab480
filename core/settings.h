/* certlink core: the person's settings ($XDG_CONFIG_HOME/certlink/settings.json, docs/paths.md).
 *
 * Read by every front end, written by certlink-manager. Missing members take their defaults so an older
 * file keeps working; unknown members are ignored (a newer certlink may add some). Saved atomically.
 */
#ifndef CL_SETTINGS_H
#define CL_SETTINGS_H

#include "error.h"

#include <stdbool.h>

#define CL_SETTINGS_NOTIFY_DAYS_MIN 1
#define CL_SETTINGS_NOTIFY_DAYS_MAX 120

struct cl_settings {
	bool notify_expired; /* tell the person about expired certificates (default on) */
	bool notify_before;  /* tell the person before a certificate expires (default on) */
	int notify_days;     /* how many days before (default 14, 1-120) */
	bool no_proxy;       /* connect directly, ignoring proxy settings (default off) */
	bool reuse_key;      /* renew with the current key when the server allows it (default off) */
	bool notify_result;  /* a zero-touch run (certlink enroll, activate, renew) tells the people logged in
	                        at this computer its result with a desktop notification (default on) */
};

/* The defaults above. */
void cl_settings_defaults(struct cl_settings *s);

/* CL_OK when every member is in range; otherwise CL_E_LOCAL naming the member. */
enum cl_status cl_settings_validate(const struct cl_settings *s, struct cl_error *err);

/* Load the settings file into S (defaults when there is no file). A damaged or out-of-range file is
 * CL_E_LOCAL naming it, and S holds the defaults, so a caller may report the error and carry on. */
enum cl_status cl_settings_load(struct cl_settings *s, struct cl_error *err);

/* Validate, then replace the settings file atomically (0600; the directory is created 0700). */
enum cl_status cl_settings_save(const struct cl_settings *s, struct cl_error *err);

#endif
