/* Unit tests of core/tool.c: no shell, output capture and truncation, exit codes, refusals. */
#include "check.h"
#include "tool.h"

static void test_no_shell(void)
{
	const char *argv[] = { "/bin/echo", "a b; touch /tmp/certlink-never $(id)", NULL };
	struct cl_error err;
	char out[256];
	int code;

	CHECK_INT_EQ(cl_tool_run(argv, out, sizeof(out), &code, &err), CL_OK);
	CHECK_INT_EQ(code, 0);
	/* Arguments arrive verbatim: nothing was expanded or split. */
	CHECK_STR_EQ(out, "a b; touch /tmp/certlink-never $(id)\n");
	CHECK_STR_EQ(cl_tool_last_line(out), "a b; touch /tmp/certlink-never $(id)");
}

static void test_exit_and_stderr(void)
{
	const char *argv[] = { "/bin/sh", "-c", "echo first; echo 'the error' >&2; printf 'bell\\a'; exit 3",
		               NULL };
	const char *fals[] = { "/bin/false", NULL };
	const char *killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	const char *stdin_null[] = { "/bin/cat", NULL };
	struct cl_error err;
	char out[256];
	int code;

	CHECK_INT_EQ(cl_tool_run(argv, out, sizeof(out), &code, &err), CL_OK);
	CHECK_INT_EQ(code, 3);
	CHECK_STR_EQ(out, "first\nthe error\nbell?");
	CHECK_STR_EQ(cl_tool_last_line(out), "bell?");
	CHECK_INT_EQ(cl_tool_run(fals, NULL, 0, &code, &err), CL_OK);
	CHECK_INT_EQ(code, 1);
	CHECK_INT_EQ(cl_tool_run(killed, out, sizeof(out), &code, &err), CL_OK);
	CHECK_INT_EQ(code, 128 + 9);
	/* stdin is /dev/null: a tool that reads a password from the terminal gets EOF instead of hanging. */
	CHECK_INT_EQ(cl_tool_run(stdin_null, out, sizeof(out), &code, &err), CL_OK);
	CHECK_INT_EQ(code, 0);
	CHECK_STR_EQ(out, "");
}

static void test_large_output(void)
{
	const char *argv[] = { "/usr/bin/seq", "1", "200000", NULL };
	struct cl_error err;
	char out[16];
	int code;

	/* Over a megabyte of output: kept to the buffer, the rest drained, no deadlock. */
	CHECK_INT_EQ(cl_tool_run(argv, out, sizeof(out), &code, &err), CL_OK);
	CHECK_INT_EQ(code, 0);
	CHECK_STR_EQ(out, "1\n2\n3\n4\n5\n6\n7\n8");
}

static void test_refused(void)
{
	const char *missing[] = { "/nonexistent/certutil", NULL };
	const char *relative[] = { "certutil", NULL };
	const char *notexec[] = { "/etc/passwd", NULL };
	struct cl_error err;
	int code;

	CHECK_INT_EQ(cl_tool_run(missing, NULL, 0, &code, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "cannot run /nonexistent/certutil") != NULL);
	CHECK_INT_EQ(cl_tool_run(relative, NULL, 0, &code, &err), CL_E_UNEXPECTED);
	CHECK_INT_EQ(cl_tool_run(notexec, NULL, 0, &code, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "Permission denied") != NULL);
}

static void test_run_ok(void)
{
	const char *ok[] = { "/bin/true", NULL };
	const char *fails[] = { "/bin/sh", "-c", "echo noise; echo 'certutil: bad database' >&2; exit 255",
		                NULL };
	const char *missing[] = { "/nonexistent/pk12util", NULL };
	struct cl_error err;

	CHECK_INT_EQ(cl_tool_run_ok(ok, "doing nothing", &err), CL_OK);
	CHECK_INT_EQ(cl_tool_run_ok(fails, "listing", &err), CL_E_LOCAL);
	CHECK_STR_EQ(err.msg, "listing: /bin/sh exited with status 255: certutil: bad database");
	CHECK_INT_EQ(cl_tool_run_ok(missing, "importing", &err), CL_E_LOCAL);
	CHECK(strncmp(err.msg, "importing: cannot run /nonexistent/pk12util", 43) == 0);
}

int main(void)
{
	test_run_ok();
	test_no_shell();
	test_exit_and_stderr();
	test_large_output();
	test_refused();
	return check_done();
}
