/* Unit tests of core/settings.c: defaults, the 1-120 day range, round trip, damaged and partial files, the
 * administrator's presets (CERTLINK_ETC_DIR/settings.json) under the person's file. */
#include "check.h"
#include "fileio.h"
#include "settings.h"
#include "tmpdir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The administrator presets for every user; a person's own file overrides member by member. */
static void test_system_layer(void)
{
	char sys[PATH_MAX], user[PATH_MAX], *pwfile = NULL, *text = NULL;
	struct cl_settings s;
	struct cl_error err;

	snprintf(sys, sizeof(sys), "%s", tmpdir_path("etc/settings.json"));
	snprintf(user, sizeof(user), "%s", tmpdir_path("config/certlink/settings.json"));
	CHECK(mkdir(tmpdir_path("etc"), 0755) == 0);
	unlink(user);
	tmpdir_write(sys, "{\"notify_days\": 30, \"no_proxy\": true, \"notify_expired\": false,"
	                  " \"renewal_password_file\": \"/etc/certlink/renewal-password\"}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_OK);
	CHECK_INT_EQ(s.notify_days, 30);
	CHECK(s.no_proxy && !s.notify_expired && s.notify_before && !s.reuse_key);
	tmpdir_write(user, "{\"notify_days\": 7, \"notify_expired\": true}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_OK);
	CHECK_INT_EQ(s.notify_days, 7);
	CHECK(s.notify_expired && s.no_proxy); /* no_proxy: the administrator's, the person did not set it */
	CHECK_INT_EQ(cl_settings_load_system(&s, &err), CL_OK);
	CHECK_INT_EQ(s.notify_days, 30);

	/* A system service has no HOME: the presets apply, without an error. */
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_OK);
	CHECK_INT_EQ(s.notify_days, 30);
	setenv("XDG_CONFIG_HOME", tmpdir_path("config"), 1);

	/* A damaged system file is named; the person's file still applies over the defaults. */
	tmpdir_write(sys, "{\"notify_days\": 0}");
	CHECK_INT_EQ(cl_settings_load(&s, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "etc/settings.json") != NULL && strstr(err.msg, "notify_days") != NULL);
	CHECK_INT_EQ(s.notify_days, 7);
	CHECK(!s.no_proxy);
	/* Saving writes the person's file only. */
	CHECK_INT_EQ(cl_settings_save(&s, &err), CL_OK);
	CHECK_INT_EQ(cl_fileio_read(sys, 4096, &text, NULL, &err), CL_OK);
	CHECK(text && strstr(text, "\"notify_days\": 0") != NULL);
	free(text);

	/* The renewal password file: the system file's, absolute; the person's file cannot set it. */
	tmpdir_write(sys, "{\"renewal_password_file\": \"/etc/certlink/renewal-password\"}");
	tmpdir_write(user, "{\"renewal_password_file\": \"/home/eve/pw\"}");
	CHECK_INT_EQ(cl_settings_renewal_password_file(&pwfile, &err), CL_OK);
	CHECK(pwfile && strcmp(pwfile, "/etc/certlink/renewal-password") == 0);
	free(pwfile);
	tmpdir_write(sys, "{\"notify_days\": 9}");
	CHECK_INT_EQ(cl_settings_renewal_password_file(&pwfile, &err), CL_OK);
	CHECK(pwfile == NULL);
	tmpdir_write(sys, "{\"renewal_password_file\": \"relative/pw\"}");
	CHECK_INT_EQ(cl_settings_renewal_password_file(&pwfile, &err), CL_E_LOCAL);
	CHECK(pwfile == NULL && strstr(err.msg, "absolute") != NULL);
	unlink(sys);
	unlink(user);
	CHECK_INT_EQ(cl_settings_renewal_password_file(&pwfile, &err), CL_OK);
	CHECK(pwfile == NULL);
}

int main(void)
{
	tmpdir_make("settings");
	setenv("XDG_CONFIG_HOME", tmpdir_path("config"), 1);
	setenv("CERTLINK_ETC_DIR", tmpdir_path("etc"), 1);
	test_defaults_and_range();
	test_round_trip();
	test_damaged();
	test_system_layer();
	tmpdir_remove();
	return check_done();
}
