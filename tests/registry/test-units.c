/* Unit tests of registry/units.c: the systemd service and timer, and ExecStart quoting. */
#include "check.h"
#include "desktop.h"
#include "units.h"

#include <stdlib.h>

static void check_quote(const char *path, const char *want)
{
	char out[256];

	CHECK_INT_EQ(clr_units_quote_executable(path, out, sizeof(out), NULL), CL_OK);
	CHECK_STR_EQ(out, want);
}

int main(void)
{
	char out[256], *text = NULL;
	struct cl_error err;

	check_quote("/usr/bin/certlink", "/usr/bin/certlink");
	check_quote("/opt/my apps/certlink", "\"/opt/my apps/certlink\"");
	check_quote("/opt/a;b/certlink", "\"/opt/a;b/certlink\"");
	/* % is a specifier even in the executable name; $ is not substituted there, so it stays. */
	check_quote("/opt/100%/certlink", "/opt/100%%/certlink");
	check_quote("/opt/a $b/certlink", "\"/opt/a $b/certlink\"");
	cl_error_clear(&err);
	CHECK_INT_EQ(clr_units_quote_executable("/opt/a\"b/certlink", out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "quote") != NULL);
	CHECK_INT_EQ(clr_units_quote_executable("/opt/a'b/certlink", out, sizeof(out), NULL), CL_E_LOCAL);
	CHECK_INT_EQ(clr_units_quote_executable("/opt/a\\b/certlink", out, sizeof(out), NULL), CL_E_LOCAL);

	CHECK_INT_EQ(clr_units_service("/usr/bin/certlink", CLR_ORIGIN_REGISTER, &text, NULL), CL_OK);
	if (text) {
		CHECK(strstr(text, "\n[Service]\nType=oneshot\nExecStart=/usr/bin/certlink check-expiry\n") !=
		      NULL);
		CHECK(clr_desktop_has_marker(text));
		free(text);
	}
	CHECK_INT_EQ(clr_units_service("relative/certlink", CLR_ORIGIN_REGISTER, &text, NULL), CL_E_LOCAL);
	CHECK(text == NULL);

	CHECK_INT_EQ(clr_units_timer(CLR_ORIGIN_REGISTER, &text, NULL), CL_OK);
	if (text) {
		CHECK(strstr(text, "\nOnCalendar=daily\n") != NULL);
		CHECK(strstr(text, "\nPersistent=true\n") != NULL);
		CHECK(strstr(text, "\n[Install]\nWantedBy=timers.target\n") != NULL);
		CHECK(clr_desktop_has_marker(text));
		free(text);
	}
	return check_done();
}
