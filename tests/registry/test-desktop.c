/* Unit tests of registry/desktop.c: Exec quoting per the Desktop Entry spec, and the entries written. */
#include "check.h"
#include "desktop.h"

#include <stdlib.h>

/* Quote, embed in an entry, parse back: the program must come back unchanged. */
static void round_trip(const char *path)
{
	char *entry = NULL, back[4096];
	struct cl_error err;

	cl_error_clear(&err);
	CHECK_INT_EQ(clr_desktop_handler_entry(path, CLR_ORIGIN_REGISTER, &entry, &err), CL_OK);
	CHECK_INT_EQ(clr_desktop_exec_program(entry ? entry : "", back, sizeof(back), &err), CL_OK);
	CHECK_STR_EQ(back, path);
	free(entry);
}

static void check_quote(const char *arg, const char *want)
{
	char out[256];

	CHECK_INT_EQ(clr_desktop_exec_quote(arg, out, sizeof(out), NULL), CL_OK);
	CHECK_STR_EQ(out, want);
}

static void test_quote(void)
{
	/* Nothing reserved: written as it is, so even launchers that ignore quotes can run it. */
	check_quote("/usr/bin/certlink-handler", "/usr/bin/certlink-handler");
	check_quote("/opt/certlink-1.0/bin/h_x+y=z,@", "/opt/certlink-1.0/bin/h_x+y=z,@");
	/* Reserved characters: quoted; inside quotes " ` $ \ are backslash-escaped, and every backslash
	 * is doubled again by the string escape rule. */
	check_quote("/opt/my apps/h", "\"/opt/my apps/h\"");
	check_quote("/a\"b", "\"/a\\\\\"b\"");
	check_quote("/a$b", "\"/a\\\\$b\"");
	check_quote("/a`b", "\"/a\\\\`b\"");
	check_quote("/a\\b", "\"/a\\\\\\\\b\"");
	check_quote("/a'b", "\"/a'b\"");
	check_quote("/a;b", "\"/a;b\"");
	check_quote("/a~b(c)", "\"/a~b(c)\"");
	/* % is a field code everywhere, quoted or not. */
	check_quote("/a%b", "/a%%b");
	check_quote("/a %b", "\"/a %%b\"");
	CHECK(clr_desktop_exec_needs_quoting("/a b"));
	CHECK(clr_desktop_exec_needs_quoting("/a#b"));
	CHECK(!clr_desktop_exec_needs_quoting("/usr/bin/x"));
	/* Too small an output buffer is an error, not a truncated path. */
	char small[8];
	CHECK_INT_EQ(clr_desktop_exec_quote("/usr/bin/certlink-handler", small, sizeof(small), NULL),
	             CL_E_LOCAL);
}

static void test_round_trip(void)
{
	round_trip("/usr/bin/certlink-handler");
	round_trip("/opt/my apps/certlink-handler");
	round_trip("/tmp/we ird $dir \"q\" 100% `b` \\x's/certlink-handler");
	round_trip("/tmp/\\\\double/h");
	round_trip("/tmp/日本語/h");
}

static void test_refused_paths(void)
{
	char *entry = (char *)1;
	struct cl_error err;

	cl_error_clear(&err);
	CHECK_INT_EQ(clr_desktop_handler_entry("certlink-handler", CLR_ORIGIN_REGISTER, &entry, &err),
	             CL_E_LOCAL);
	CHECK(entry == NULL);
	CHECK(strstr(err.msg, "absolute") != NULL);
	CHECK_INT_EQ(clr_desktop_handler_entry("/tmp/a\nb", CLR_ORIGIN_REGISTER, &entry, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "control") != NULL);
	CHECK_INT_EQ(clr_desktop_handler_entry("/tmp/a\tb", CLR_ORIGIN_REGISTER, &entry, &err), CL_E_LOCAL);
	CHECK_INT_EQ(clr_desktop_handler_entry("/tmp/\xff", CLR_ORIGIN_REGISTER, &entry, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "UTF-8") != NULL);
	CHECK_INT_EQ(clr_desktop_handler_entry("/tmp/\xc0\xaf", CLR_ORIGIN_REGISTER, &entry, &err),
	             CL_E_LOCAL); /* overlong "/" */
	CHECK_INT_EQ(clr_desktop_handler_entry("/tmp/\xed\xa0\x80", CLR_ORIGIN_REGISTER, &entry, &err),
	             CL_E_LOCAL); /* surrogate */
	CHECK_INT_EQ(clr_desktop_autostart_entry("", CLR_ORIGIN_REGISTER, &entry, &err), CL_E_LOCAL);
}

static void test_handler_entry(void)
{
	char *e = NULL;

	CHECK_INT_EQ(clr_desktop_handler_entry("/usr/bin/certlink-handler", CLR_ORIGIN_REGISTER, &e, NULL),
	             CL_OK);
	if (!e)
		return;
	CHECK(strncmp(e, "[Desktop Entry]\n", 16) == 0);
	CHECK(strstr(e, "\nType=Application\n") != NULL);
	CHECK(strstr(e, "\nExec=/usr/bin/certlink-handler %u\n") != NULL);
	CHECK(strstr(e, "\nMimeType=x-scheme-handler/certlink;\n") != NULL);
	CHECK(strstr(e, "\nNoDisplay=true\n") != NULL);
	CHECK(strstr(e, "\nTerminal=false\n") != NULL);
	CHECK(strstr(e, "\nName[ja]=") != NULL);
	CHECK(strstr(e, "\nIcon=certlink\n") != NULL);
	CHECK(strstr(e, "\nCategories=") != NULL);
	CHECK(clr_desktop_has_marker(e));
	free(e);

	CHECK_INT_EQ(clr_desktop_autostart_entry("/usr/bin/certlink", CLR_ORIGIN_REGISTER, &e, NULL), CL_OK);
	if (!e)
		return;
	CHECK(strstr(e, "\nExec=/usr/bin/certlink check-expiry --login\n") != NULL);
	CHECK(clr_desktop_has_marker(e));
	CHECK(!clr_desktop_from_package(e));
	free(e);
}

/* The package's files are the same entries with the package's marker, which register-scheme leaves alone. */
static void test_package_origin(void)
{
	char *reg = NULL, *pkg = NULL, *at;

	CHECK_INT_EQ(clr_desktop_handler_entry("/usr/bin/certlink-handler", CLR_ORIGIN_REGISTER, &reg, NULL),
	             CL_OK);
	CHECK_INT_EQ(clr_desktop_handler_entry("/usr/bin/certlink-handler", CLR_ORIGIN_PACKAGE, &pkg, NULL),
	             CL_OK);
	if (!reg || !pkg)
		goto out;
	CHECK(clr_desktop_has_marker(pkg) && clr_desktop_from_package(pkg));
	CHECK(strstr(pkg, "\nX-Certlink-Registered-By=package\n") != NULL);
	/* everything before the marker is the same */
	at = strstr(pkg, "X-Certlink-Registered-By=");
	CHECK(at && strncmp(reg, pkg, (size_t)(at - pkg)) == 0);
	CHECK(!clr_desktop_from_package("[Desktop Entry]\nX-Certlink-Registered-By=packaged\n"));
	CHECK(clr_desktop_from_package("[Desktop Entry]\nX-Certlink-Registered-By=package"));
out:
	free(reg);
	free(pkg);
}

static void test_exec_program(void)
{
	char out[256];

	/* Exec outside [Desktop Entry] does not count; spaces around = are allowed. */
	CHECK_INT_EQ(
	    clr_desktop_exec_program("[Desktop Action x]\nExec=/bad\n[Desktop Entry]\nExec = /good %u\n", out,
	                             sizeof(out), NULL),
	    CL_OK);
	CHECK_STR_EQ(out, "/good");
	CHECK_INT_EQ(clr_desktop_exec_program("[Desktop Entry]\nExecX=/bad\n", out, sizeof(out), NULL),
	             CL_E_LOCAL);
	CHECK_INT_EQ(
	    clr_desktop_exec_program("[Desktop Entry]\nExec=\"/open quote\n", out, sizeof(out), NULL),
	    CL_E_LOCAL);
	CHECK_INT_EQ(clr_desktop_exec_program("[Desktop Entry]\nExec=\n", out, sizeof(out), NULL),
	             CL_E_LOCAL);
	/* \s is a space after the string escapes, so unquoted it ends the program; quoted it does not. */
	CHECK_INT_EQ(clr_desktop_exec_program("[Desktop Entry]\nExec=/a\\sb %u\n", out, sizeof(out), NULL),
	             CL_OK);
	CHECK_STR_EQ(out, "/a");
	CHECK_INT_EQ(
	    clr_desktop_exec_program("[Desktop Entry]\nExec=\"/a\\sb\" %u\n", out, sizeof(out), NULL), CL_OK);
	CHECK_STR_EQ(out, "/a b");
	CHECK(!clr_desktop_has_marker("[Desktop Entry]\n# X-Certlink-Registered-By=x\nName=x\n"));
	CHECK(clr_desktop_has_marker("[Desktop Entry]\nX-Certlink-Registered-By=x"));
}

int main(void)
{
	test_quote();
	test_round_trip();
	test_refused_paths();
	test_handler_entry();
	test_package_origin();
	test_exec_program();
	return check_done();
}
