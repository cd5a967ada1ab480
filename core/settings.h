/* certlink core: the person's settings ($XDG_CONFIG_HOME/certlink/settings.json, docs/paths.md), over the
 * administrator's presets for every user (/etc/certlink/settings.json, the same format).
 *
 * Read by every front end, written by certlink-manager. Three layers, each member taken from the last that
 * has it: the defaults below, the system file, the person's file. Missing members take the layer below so
 * an older file keeps working; unknown members are ignored (a newer certlink may add some). Only the
 * person's file is written (atomically); core never writes the system file.
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

/* Load the settings into S: defaults, then the system file, then the person's file (a missing file, or no
 * home directory to find the person's, adds nothing). A damaged or out-of-range file is CL_E_LOCAL naming
 * it, and S holds what the layers below it gave, so a caller may report the error and carry on. */
enum cl_status cl_settings_load(struct cl_settings *s, struct cl_error *err);

/* The administrator's presets alone (defaults, then the system file): what certlink-manager compares a
 * person's choices with. Errors as for cl_settings_load(). */
enum cl_status cl_settings_load_system(struct cl_settings *s, struct cl_error *err);

/* The system file's "renewal_password_file" (an absolute path; the person's file cannot set it): where
 * zero-touch renewals of computer-store certificates read the password (certlink renew --all-due,
 * docs/cli.md). *path is a new string (free with free()), or NULL when not set. CL_E_LOCAL for a damaged file
 * or a relative path. */
enum cl_status cl_settings_renewal_password_file(char **path, struct cl_error *err);

/* Validate, then replace the settings file atomically (0600; the directory is created 0700). */
enum cl_status cl_settings_save(const struct cl_settings *s, struct cl_error *err);

#endif
