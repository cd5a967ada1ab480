/* certlink registry: what is registered, where, and whether the desktop would use it. */
#ifndef CLR_STATUS_H
#define CLR_STATUS_H

#include <limits.h>

#include "error.h"
#include "locations.h"

struct clr_file_status {
	char path[PATH_MAX];
	int present;
	int ours;    /* carries certlink's marker key */
	int package; /* ... with the value of the certlink-desktop package: the package manager owns it */
};

struct clr_scope_status {
	struct clr_file_status desktop, autostart, service, timer;
	int timer_enabled;            /* timers.target.wants/ holds a link to the timer */
	char exec_path[PATH_MAX];     /* the program in the desktop file's Exec, "" when none */
	int exec_exists;              /* exec_path exists */
	int exec_executable;          /* exec_path is a regular file this user may execute */
	char mimeapps_default[256];   /* first default for x-scheme-handler/certlink in this scope's
	                                 mimeapps.list (system scope: /etc/xdg's, else the package's) */
	char mimeapps_file[PATH_MAX]; /* the mimeapps.list that default came from, "" when none */
	int packaged;                 /* system scope: the handler entry is the certlink-desktop package's */
	char error[CL_ERROR_MSG_MAX]; /* why this scope could not be examined, "" when it could */
};

struct clr_status {
	struct clr_scope_status user, system;
	int xdg_mime_found;         /* xdg-mime is installed */
	char xdg_mime_default[256]; /* what `xdg-mime query default x-scheme-handler/certlink` printed */
	int default_is_ours;        /* ... and it is certlink-handler.desktop */
	int registered;             /* a handler entry exists, is the default, and its Exec is executable */
};

/* Examine both scopes and ask xdg-mime which handler it would pick. Fails only when the user paths cannot
 * be resolved; a system scope that cannot be examined says why in system.error. For every user, a file
 * register-scheme --system wrote in /etc is reported where there is one, else the package's (its units in
 * <prefix>/lib/systemd/user, its mimeapps.list in the applications directory). */
enum cl_status clr_status_query(struct clr_status *st, struct cl_error *err);

#endif
