/* Unit tests of core/settings.c: defaults, the 1-120 day range, round trip, damaged and partial files. */
#include "check.h"
#include "fileio.h"
#include "settings.h"
#include "tmpdir.h"

#include <stdlib.h>

static void test_defaults_and_range(void)
{
	struct cl_settings s;
	struct cl_error err;

	cl_settings_defaults(&s);
	CHECK(s.notify_expired && s.notify_before && !s.no_proxy && !s.reuse_key && s.notify_result);
	CHECK_INT_EQ(s.notify_days, 14);
	CHECK_INT_EQ(cl_settings_validate(&s, &err), CL_OK);
	s.notify_days = 1;
	CHECK_INT_EQ(cl_settings_validate(&s, &err), CL_OK);
	s.notify_days = 120;
	CHECK_INT_EQ(cl_settings_validate(&s, &err), CL_OK);
	s.notify_days = 0;
	CHECK_INT_EQ(cl_settings_validate(&s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "from 1 to 120") != NULL);
	s.notify_days = 121;
	CHECK_INT_EQ(cl_settings_validate(&s, &err), CL_E_LOCAL);
	/* Out of range is never saved. */
	CHECK_INT_EQ(cl_settings_save(&s, &err), CL_E_LOCAL);
	CHECK(!cl_fileio_exists(tmpdir_path("config/certlink/settings.json")));
}

static void test_round_trip(void)
{
	struct cl_settings s, back;
	struct cl_error err;

	/* No file: defaults, no error. */
	back.notify_days = 99;
	CHECK_INT_EQ(cl_settings_load(&back, &err), CL_OK);
	CHECK_INT_EQ(back.notify_days, 14);

	cl_settings_defaults(&s);
	s.notify_expired = false;
	s.notify_days = 30;
	s.no_proxy = true;
	s.reuse_key = true;
	s.notify_result = false;
	CHECK_INT_EQ(cl_settings_save(&s, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("config/certlink")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("config/certlink/settings.json")), 0600);
	CHECK_INT_EQ(cl_settings_load(&back, &err), CL_OK);
	CHECK(!back.notify_expired && back.notify_before && back.no_proxy && back.reuse_key &&
	      !back.notify_result);
	CHECK_INT_EQ(back.notify_days, 30);
}

static void test_damaged(void)
{
	const char *p = tmpdir_path("config/certlink/settings.json");
	struct cl_settings s;
	struct cl_error err;

	/* Missing members take defaults; unknown members are ignored. */
	tmpdir_write(p, "{\"notify_days\": 7, \"future_option\": [1, 2]}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_OK);
	CHECK_INT_EQ(s.notify_days, 7);
	CHECK(s.notify_expired && s.notify_before && !s.reuse_key);

	/* Out of range or wrong type: an error naming the file, and the defaults. */
	tmpdir_write(p, "{\"notify_days\": 500, \"no_proxy\": true}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "settings.json") != NULL && strstr(err.msg, "notify_days") != NULL);
	CHECK_INT_EQ(s.notify_days, 14);
	CHECK(!s.no_proxy);
	tmpdir_write(p, "{\"no_proxy\": \"yes\"}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "no_proxy") != NULL);
	tmpdir_write(p, "[true]");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	tmpdir_write(p, "{\"notify_days\": 7.5}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	tmpdir_write(p, "{{{{{{{{{{");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "deeper") != NULL);
}

int main(void)
{
	tmpdir_make("settings");
	setenv("XDG_CONFIG_HOME", tmpdir_path("config"), 1);
	test_defaults_and_range();
	test_round_trip();
	test_damaged();
	tmpdir_remove();
	return check_done();
}
