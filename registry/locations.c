/* certlink registry: resolution of the user and system desktop integration paths (see locations.h). */
#include "locations.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CERTLINK_DATADIR
#define CERTLINK_DATADIR "/usr/local/share"
#endif
#ifndef CERTLINK_USER_UNIT_DIR
#define CERTLINK_USER_UNIT_DIR "/usr/local/lib/systemd/user"
#endif

const char *clr_locations_default_system_apps_dir(void)
{
	if (strcmp(CERTLINK_DATADIR, "/usr/share") == 0)
		return "/usr/share/applications";
	return "/usr/local/share/applications";
}

static enum cl_status join(char *out, size_t size, struct cl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum cl_status join(char *out, size_t size, struct cl_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return cl_error_set(err, CL_E_LOCAL, "path too long: %s...", out);
	return CL_OK;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

/* An XDG base directory: the variable when it is an absolute path, else $HOME/fallback. */
static enum cl_status xdg_dir(const char *var, const char *fallback, char *out, size_t size,
                              struct cl_error *err)
{
	const char *value = getenv(var);
	const char *home;

	if (value && value[0] == '/')
		return join(out, size, err, "%s", value);
	home = home_dir();
	if (!home)
		return cl_error_set(err, CL_E_LOCAL, "neither %s nor HOME is set to an absolute path", var);
	return join(out, size, err, "%s/%s", home, fallback);
}

/* A system directory: the override variable when set (must be absolute), else the default. */
static enum cl_status system_dir(const char *var, const char *def, char *out, size_t size, int *overridden,
                                 struct cl_error *err)
{
	const char *value = getenv(var);

	if (value && value[0]) {
		if (value[0] != '/')
			return cl_error_set(err, CL_E_LOCAL, "%s must be an absolute path, not \"%s\"", var,
			                    value);
		*overridden = 1;
		return join(out, size, err, "%s", value);
	}
	return join(out, size, err, "%s", def);
}

enum cl_status clr_locations_resolve(enum clr_scope scope, struct clr_locations *p, struct cl_error *err)
{
	char config_dir[PATH_MAX], vendor_units[PATH_MAX];
	int ignored = 0;
	enum cl_status st;

	memset(p, 0, sizeof(*p));
	p->scope = scope;
	if (scope == CLR_SCOPE_USER) {
		if ((st =
		         xdg_dir("XDG_DATA_HOME", ".local/share", p->data_home, sizeof(p->data_home), err)) ||
		    (st = xdg_dir("XDG_CONFIG_HOME", ".config", p->config_home, sizeof(p->config_home),
		                  err)) ||
		    (st = join(p->apps_dir, sizeof(p->apps_dir), err, "%s/applications", p->data_home)) ||
		    (st = join(config_dir, sizeof(config_dir), err, "%s", p->config_home)) ||
		    (st = join(p->unit_dir, sizeof(p->unit_dir), err, "%s/systemd/user", p->config_home)))
			return st;
	} else {
		if ((st = system_dir("CERTLINK_SYSTEM_APPS_DIR", clr_locations_default_system_apps_dir(),
		                     p->apps_dir, sizeof(p->apps_dir), &p->overridden, err)) ||
		    (st = system_dir("CERTLINK_SYSTEM_CONFIG_DIR", "/etc/xdg", config_dir, sizeof(config_dir),
		                     &p->overridden, err)) ||
		    (st = system_dir("CERTLINK_SYSTEM_UNIT_DIR", "/etc/systemd/user", p->unit_dir,
		                     sizeof(p->unit_dir), &p->overridden, err)) ||
		    /* only read, so it does not count as redirecting where --system writes */
		    (st = system_dir("CERTLINK_SYSTEM_VENDOR_UNIT_DIR", CERTLINK_USER_UNIT_DIR, vendor_units,
		                     sizeof(vendor_units), &ignored, err)) ||
		    (st = join(p->vendor_mimeapps_list, sizeof(p->vendor_mimeapps_list), err,
		               "%s/mimeapps.list", p->apps_dir)) ||
		    (st = join(p->vendor_service_file, sizeof(p->vendor_service_file), err,
		               "%s/" CLR_SERVICE_NAME, vendor_units)) ||
		    (st = join(p->vendor_timer_file, sizeof(p->vendor_timer_file), err, "%s/" CLR_TIMER_NAME,
		               vendor_units)))
			return st;
	}
	if ((st = join(p->desktop_file, sizeof(p->desktop_file), err, "%s/" CLR_DESKTOP_ID, p->apps_dir)) ||
	    (st = join(p->mimeapps_list, sizeof(p->mimeapps_list), err, "%s/mimeapps.list", config_dir)) ||
	    (st = join(p->autostart_dir, sizeof(p->autostart_dir), err, "%s/autostart", config_dir)) ||
	    (st = join(p->autostart_file, sizeof(p->autostart_file), err, "%s/" CLR_AUTOSTART_NAME,
	               p->autostart_dir)) ||
	    (st = join(p->service_file, sizeof(p->service_file), err, "%s/" CLR_SERVICE_NAME, p->unit_dir)) ||
	    (st = join(p->timer_file, sizeof(p->timer_file), err, "%s/" CLR_TIMER_NAME, p->unit_dir)) ||
	    (st = join(p->timer_wants_dir, sizeof(p->timer_wants_dir), err, "%s/timers.target.wants",
	               p->unit_dir)) ||
	    (st = join(p->timer_wants_link, sizeof(p->timer_wants_link), err, "%s/" CLR_TIMER_NAME,
	               p->timer_wants_dir)))
		return st;
	return CL_OK;
}
