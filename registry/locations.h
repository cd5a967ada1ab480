/* certlink registry: where the desktop integration files go, per user or for every user.
 *
 * User scope follows the XDG Base Directory spec ($XDG_DATA_HOME, $XDG_CONFIG_HOME, else under $HOME).
 * System scope uses the freedesktop system locations, each with an override so that tests and image builds
 * can point them elsewhere without root (docs/desktop-integration.md):
 *
 *   CERTLINK_SYSTEM_APPS_DIR    certlink-handler.desktop        default <datadir>/applications
 *   CERTLINK_SYSTEM_CONFIG_DIR  mimeapps.list, autostart/       default /etc/xdg
 *   CERTLINK_SYSTEM_UNIT_DIR    systemd user units (global)     default /etc/systemd/user
 *
 * The certlink-desktop package installs the same files where a distribution puts them: the handler entry and
 * a mimeapps.list in <datadir>/applications, the autostart entry in /etc/xdg/autostart, and the units in
 * the systemd user unit directory of the install prefix (<prefix>/lib/systemd/user), enabled for every user
 * by the same timers.target.wants link. Those are read (never written) to report system-wide registration:
 *
 *   CERTLINK_SYSTEM_VENDOR_UNIT_DIR  the package's systemd user units  default <prefix>/lib/systemd/user
 */
#ifndef CLR_LOCATIONS_H
#define CLR_LOCATIONS_H

#include <limits.h>

#include "error.h"

#define CLR_DESKTOP_ID     "certlink-handler.desktop"
#define CLR_SCHEME_MIME    "x-scheme-handler/certlink"
#define CLR_AUTOSTART_NAME "certlink-check-expiry.desktop"
#define CLR_SERVICE_NAME   "certlink-check-expiry.service"
#define CLR_TIMER_NAME     "certlink-check-expiry.timer"

/* Files the registry reads (its own entries, mimeapps.list) are capped at this size before parsing. */
#define CLR_FILE_MAX (1024 * 1024)

enum clr_scope {
	CLR_SCOPE_USER,
	CLR_SCOPE_SYSTEM,
};

struct clr_locations {
	enum clr_scope scope;
	int overridden;                  /* system scope: a CERTLINK_SYSTEM_* override is set */
	char apps_dir[PATH_MAX];         /* .../applications */
	char desktop_file[PATH_MAX];     /* apps_dir/certlink-handler.desktop */
	char mimeapps_list[PATH_MAX];    /* $XDG_CONFIG_HOME/mimeapps.list or /etc/xdg/mimeapps.list */
	char autostart_dir[PATH_MAX];    /* $XDG_CONFIG_HOME/autostart or /etc/xdg/autostart */
	char autostart_file[PATH_MAX];   /* autostart_dir/certlink-check-expiry.desktop */
	char unit_dir[PATH_MAX];         /* $XDG_CONFIG_HOME/systemd/user or /etc/systemd/user */
	char service_file[PATH_MAX];     /* unit_dir/certlink-check-expiry.service */
	char timer_file[PATH_MAX];       /* unit_dir/certlink-check-expiry.timer */
	char timer_wants_dir[PATH_MAX];  /* unit_dir/timers.target.wants */
	char timer_wants_link[PATH_MAX]; /* timer_wants_dir/certlink-check-expiry.timer */
	/* system scope only ("" in user scope): where the package's files are */
	char vendor_mimeapps_list[PATH_MAX]; /* apps_dir/mimeapps.list, the distribution's defaults */
	char vendor_service_file[PATH_MAX];  /* <prefix>/lib/systemd/user/certlink-check-expiry.service */
	char vendor_timer_file[PATH_MAX];    /* <prefix>/lib/systemd/user/certlink-check-expiry.timer */
	char data_home[PATH_MAX];            /* user scope: resolved $XDG_DATA_HOME ("" in system scope) */
	char config_home[PATH_MAX];          /* user scope: resolved $XDG_CONFIG_HOME ("" in system scope) */
};

/* Resolve every path for `scope` from the environment. Relative XDG values are ignored, as the spec says;
 * a relative CERTLINK_SYSTEM_* override is an error. */
enum cl_status clr_locations_resolve(enum clr_scope scope, struct clr_locations *paths, struct cl_error *err);

/* The default system applications directory when CERTLINK_SYSTEM_APPS_DIR is not set: the install prefix's
 * datadir when it is /usr/share or /usr/local/share, else /usr/local/share/applications, because a .desktop
 * file is only found in a directory on the default $XDG_DATA_DIRS. */
const char *clr_locations_default_system_apps_dir(void);

#endif
