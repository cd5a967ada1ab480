/* Unit tests of handler/args.c: the only command lines certlink-handler accepts. */
#include "args.h"
#include "check.h"

static enum cl_status parse(int argc, const char *a1, const char *a2, const char *a3,
                            struct handler_args *args)
{
	char *argv[] = { (char *)"certlink-handler", (char *)a1, (char *)a2, (char *)a3, NULL };
	struct cl_error err;

	cl_error_clear(&err);
	return handler_args_parse(argc, argv, args, &err);
}

int main(void)
{
	struct handler_args a;
	const char *link = "certlink://eps.example.com/enroll";

	CHECK_INT_EQ(parse(2, link, NULL, NULL, &a), CL_OK);
	CHECK_INT_EQ(a.mode, HANDLER_ENROLL);
	CHECK(!a.no_gui);
	CHECK_STR_EQ(a.link, link);

	CHECK_INT_EQ(parse(3, "--check", link, NULL, &a), CL_OK);
	CHECK_INT_EQ(a.mode, HANDLER_CHECK);
	CHECK_STR_EQ(a.link, link);

	CHECK_INT_EQ(parse(3, "--no-gui", link, NULL, &a), CL_OK);
	CHECK_INT_EQ(a.mode, HANDLER_ENROLL);
	CHECK(a.no_gui);

	CHECK_INT_EQ(parse(1, NULL, NULL, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(2, "--help", NULL, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(2, "-", NULL, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(2, " certlink://x/enroll", NULL, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(2, "\tcertlink://x/enroll", NULL, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(3, "--check", "--no-gui", NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(3, "--check", "-x", NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(3, "--verbose", link, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(3, link, link, NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(3, link, "--check", NULL, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(4, "--no-gui", "--check", link, &a), CL_E_LOCAL);
	CHECK_INT_EQ(parse(4, "--check", link, link, &a), CL_E_LOCAL);
	CHECK(a.link == NULL);
	return check_done();
}
