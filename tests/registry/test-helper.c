/* Unit tests of registry/helper.c: argv passed verbatim, a clean environment, exit status and output. */
#include "check.h"
#include "helper.h"

#include <stdlib.h>

int main(void)
{
	struct clr_helper_result res;
	struct cl_error err;

	setenv("LD_PRELOAD", "/nonexistent/evil.so", 1);
	setenv("BROWSER", "evil", 1);
	setenv("IFS", "x", 1);
	setenv("XDG_DATA_HOME", "/from/caller", 1);
	setenv("XDG_CONFIG_HOME", "/from/caller/config", 1);

	/* env prints the environment it got: only the passed variables and the overrides. */
	const char *env_argv[] = { "env", NULL };
	const char *override[] = { "XDG_DATA_HOME=/overridden", "XDG_CONFIG_HOME=", NULL };
	CHECK_INT_EQ(clr_helper_run(env_argv, override, &res, NULL), CL_OK);
	CHECK_INT_EQ(res.exit_status, 0);
	CHECK(strstr(res.out, "XDG_DATA_HOME=/overridden\n") != NULL);
	CHECK(strstr(res.out, "/from/caller") == NULL); /* "NAME=" removes NAME */
	CHECK(strstr(res.out, "LD_PRELOAD") == NULL);
	CHECK(strstr(res.out, "BROWSER") == NULL);
	CHECK(strstr(res.out, "IFS") == NULL);
	CHECK(strstr(res.out, "PATH=") != NULL);

	/* One argument with spaces and shell characters arrives as one argument: no shell in between. */
	const char *printf_argv[] = { "printf", "[%s]", "a b;$(echo no)'\"", NULL };
	CHECK_INT_EQ(clr_helper_run(printf_argv, NULL, &res, NULL), CL_OK);
	CHECK_STR_EQ(res.out, "[a b;$(echo no)'\"]");

	/* stdin is /dev/null: cat ends at once with nothing. */
	const char *cat_argv[] = { "cat", NULL };
	CHECK_INT_EQ(clr_helper_run(cat_argv, NULL, &res, NULL), CL_OK);
	CHECK_INT_EQ(res.exit_status, 0);
	CHECK_STR_EQ(res.out, "");

	/* Exit status and standard error. */
	const char *ls_argv[] = { "ls", "/nonexistent-certlink-test", NULL };
	char why[300];
	CHECK_INT_EQ(clr_helper_run(ls_argv, NULL, &res, NULL), CL_OK);
	CHECK(res.exit_status != 0);
	CHECK(strstr(res.err, "nonexistent-certlink-test") != NULL);
	CHECK(strstr(clr_helper_describe(&res, why, sizeof(why)), "exit status") != NULL);

	/* A program that is not installed. */
	const char *missing_argv[] = { "certlink-no-such-helper", NULL };
	cl_error_clear(&err);
	CHECK_INT_EQ(clr_helper_run(missing_argv, NULL, &res, &err), CL_E_LOCAL);
	CHECK(res.not_found);
	CHECK(strstr(err.msg, "not installed") != NULL);

	/* Output larger than the buffer is truncated, and the child is still reaped (no hang). */
	const char *seq_argv[] = { "seq", "1", "100000", NULL };
	CHECK_INT_EQ(clr_helper_run(seq_argv, NULL, &res, NULL), CL_OK);
	CHECK_INT_EQ(res.exit_status, 0);
	CHECK_INT_EQ(strlen(res.out), sizeof(res.out) - 1);
	return check_done();
}
