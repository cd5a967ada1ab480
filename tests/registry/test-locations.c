/* Unit tests of registry/locations.c: XDG resolution and the system overrides. */
#include "check.h"
#include "locations.h"

#include <stdlib.h>

static void clear_env(void)
{
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("CERTLINK_SYSTEM_APPS_DIR");
	unsetenv("CERTLINK_SYSTEM_CONFIG_DIR");
	unsetenv("CERTLINK_SYSTEM_UNIT_DIR");
}

int main(void)
{
	struct clr_locations p;
	struct cl_error err;

	clear_env();
	setenv("HOME", "/home/alice", 1);
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_USER, &p, NULL), CL_OK);
	CHECK_STR_EQ(p.desktop_file, "/home/alice/.local/share/applications/certlink-handler.desktop");
	CHECK_STR_EQ(p.mimeapps_list, "/home/alice/.config/mimeapps.list");
	CHECK_STR_EQ(p.autostart_file, "/home/alice/.config/autostart/certlink-check-expiry.desktop");
	CHECK_STR_EQ(p.service_file, "/home/alice/.config/systemd/user/certlink-check-expiry.service");
	CHECK_STR_EQ(p.timer_file, "/home/alice/.config/systemd/user/certlink-check-expiry.timer");
	CHECK_STR_EQ(p.timer_wants_link,
	             "/home/alice/.config/systemd/user/timers.target.wants/certlink-check-expiry.timer");

	setenv("XDG_DATA_HOME", "/x/data", 1);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_USER, &p, NULL), CL_OK);
	CHECK_STR_EQ(p.apps_dir, "/x/data/applications");
	CHECK_STR_EQ(p.mimeapps_list, "/x/config/mimeapps.list");
	CHECK_STR_EQ(p.unit_dir, "/x/config/systemd/user");

	/* The spec says a relative XDG value is invalid and must be ignored. */
	setenv("XDG_DATA_HOME", "relative/data", 1);
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_USER, &p, NULL), CL_OK);
	CHECK_STR_EQ(p.apps_dir, "/home/alice/.local/share/applications");

	clear_env();
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_SYSTEM, &p, NULL), CL_OK);
	CHECK(!p.overridden);
	CHECK_STR_EQ(p.apps_dir, clr_locations_default_system_apps_dir());
	CHECK(strcmp(p.apps_dir, "/usr/share/applications") == 0 ||
	      strcmp(p.apps_dir, "/usr/local/share/applications") == 0);
	CHECK_STR_EQ(p.mimeapps_list, "/etc/xdg/mimeapps.list");
	CHECK_STR_EQ(p.autostart_file, "/etc/xdg/autostart/certlink-check-expiry.desktop");
	CHECK_STR_EQ(p.timer_file, "/etc/systemd/user/certlink-check-expiry.timer");

	setenv("CERTLINK_SYSTEM_APPS_DIR", "/t/apps", 1);
	setenv("CERTLINK_SYSTEM_CONFIG_DIR", "/t/xdg", 1);
	setenv("CERTLINK_SYSTEM_UNIT_DIR", "/t/units", 1);
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_SYSTEM, &p, NULL), CL_OK);
	CHECK(p.overridden);
	CHECK_STR_EQ(p.desktop_file, "/t/apps/certlink-handler.desktop");
	CHECK_STR_EQ(p.mimeapps_list, "/t/xdg/mimeapps.list");
	CHECK_STR_EQ(p.autostart_file, "/t/xdg/autostart/certlink-check-expiry.desktop");
	CHECK_STR_EQ(p.service_file, "/t/units/certlink-check-expiry.service");

	cl_error_clear(&err);
	setenv("CERTLINK_SYSTEM_UNIT_DIR", "units", 1);
	CHECK_INT_EQ(clr_locations_resolve(CLR_SCOPE_SYSTEM, &p, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "CERTLINK_SYSTEM_UNIT_DIR") != NULL);
	return check_done();
}
