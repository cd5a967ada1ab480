/* certlink registry: registering certlink-handler as the desktop's handler of certlink:// links.
 *
 * Register writes, per user or for every user (docs/desktop-integration.md):
 *   - certlink-handler.desktop (MimeType=x-scheme-handler/certlink) in the applications directory, then
 *     update-desktop-database on that directory;
 *   - the default association x-scheme-handler/certlink=certlink-handler.desktop in mimeapps.list (user:
 *     `xdg-mime default`; system: certlink edits /etc/xdg/mimeapps.list, since xdg-mime only writes the
 *     caller's own $XDG_CONFIG_HOME/mimeapps.list, even as root);
 *   - the expiry check: an autostart entry running `certlink check-expiry --login`, and a systemd user
 *     service + daily timer running `certlink check-expiry`.
 * Unregister removes exactly those files (each carries a marker key; a file without it is left alone) and
 * the default association when it names certlink-handler.desktop.
 *
 * The certlink-desktop package installs the same registration for every user (its files carry the marker
 * with the value "package"). Those belong to the package manager: register --system then writes nothing
 * and says so, and unregister --system leaves them and says how to remove the package.
 *
 * Library code: nothing is printed. What a person should know but is not an error (a helper that is not
 * installed, a timer that could not be enabled) comes back as notes.
 */
#ifndef CLR_REGISTRY_H
#define CLR_REGISTRY_H

#include "error.h"
#include "locations.h"

#define CLR_NOTES_MAX 12
#define CLR_NOTE_LEN  640

struct clr_notes {
	int count;
	char text[CLR_NOTES_MAX][CLR_NOTE_LEN];
	/* system scope: the certlink-desktop package provides the registration for every user, so register
	 * wrote nothing and unregister left the package's files (a note says so) */
	int by_package;
};

/* Append a note (dropped when the list is full). notes may be NULL. */
void clr_notes_add(struct clr_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct clr_register_options {
	enum clr_scope scope;
	const char *handler_path;  /* absolute path of certlink-handler, an existing executable */
	const char *certlink_path; /* absolute path of certlink, for the expiry check entries */
};

/* Check that `paths` may be written by this process: system scope needs root unless an override points
 * the system directories elsewhere. CL_E_LOCAL with a message saying what to do otherwise. */
enum cl_status clr_check_scope_allowed(const struct clr_locations *paths, struct cl_error *err);

/* Register (or re-register: files certlink wrote before are replaced). Refuses, before writing anything,
 * when a target file exists that certlink did not write. */
enum cl_status clr_register(const struct clr_register_options *opt, struct clr_notes *notes,
                            struct cl_error *err);

/* Nonzero when the certlink-desktop package's handler entry is installed for every user (the system
 * scope's certlink-handler.desktop carries the package's marker). */
int clr_packaged(void);

/* Remove what clr_register() wrote in `scope`. Nothing registered is not an error. */
enum cl_status clr_unregister(enum clr_scope scope, struct clr_notes *notes, struct cl_error *err);

#endif
