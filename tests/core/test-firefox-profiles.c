/* Tests of core/firefox-profiles.c: reading profiles.ini as Firefox writes it (relative and absolute
 * paths, the sections that are not profiles, a section Firefox would stop at, CR LF, long and odd lines), and
 * finding the profiles of a home in every place Firefox keeps the list (a directory that is gone, a
 * duplicate and a symbolic link to a profile count once), and whether a Firefox runs on a profile. */
#include "check.h"
#include "fileio.h"
#include "firefox-profiles.h"
#include "tmpdir.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct seen {
	char dirs[8][PATH_MAX];
	int n;
};

static void collect(const char *dir, void *data)
{
	struct seen *s = data;

	if (s->n < 8)
		snprintf(s->dirs[s->n++], PATH_MAX, "%s", dir);
}

static void test_parse(void)
{
	struct seen s = { 0 };
	static const char ini[] =
	    "[Install4F96D1932A9F858E]\nDefault=abc.default-esr\nLocked=1\n\n"
	    "[Profile1]\nName=work\nIsRelative=0\nPath=/srv/profiles/work\n\n"
	    "[Profile0]\r\nName=default-esr\r\nIsRelative=1\r\nPath=abc.default-esr\r\n"
	    "Default=1\r\n\n"
	    "[General]\nStartWithLastProfile=1\nVersion=2\nPath=not-a-profile\nIsRelative=1\n"
	    "[BackgroundTasksProfiles]\nPath=bg\nIsRelative=1\n"
	    "[Profile2]\nName=no flag\nPath=nothing\n"
	    "[Profile3]\n ; a comment\n  Path = Profiles/x y.default  \nIsRelative = 1\n"
	    "[Profile4]\nIsRelative=0\nPath=relative-but-marked-absolute\n"
	    "[Profile5]\nIsRelative=1\nPath=/absolute/marked/relative\n"
	    "[Profile6]\nIsRelative=1\nPath=ctl\001char\n"
	    "[Profile7]\nIsRelative=1\nPath=last";

	cl_firefox_parse_ini(ini, "/h/.mozilla/firefox", collect, &s);
	CHECK_INT_EQ(s.n, 4);
	CHECK_STR_EQ(s.dirs[0], "/srv/profiles/work");
	CHECK_STR_EQ(s.dirs[1], "/h/.mozilla/firefox/abc.default-esr");
	CHECK_STR_EQ(s.dirs[2], "/h/.mozilla/firefox/Profiles/x y.default");
	CHECK_STR_EQ(s.dirs[3], "/h/.mozilla/firefox/last"); /* no newline at the end */

	memset(&s, 0, sizeof(s));
	cl_firefox_parse_ini("", "/h", collect, &s);
	cl_firefox_parse_ini("[Profile0\nIsRelative=1\nPath=x\n", "/h", collect, &s); /* not a section */
	cl_firefox_parse_ini(NULL, "/h", collect, &s);
	CHECK_INT_EQ(s.n, 0);
	{
		/* a line longer than any path is not a line Firefox wrote: ignored, the rest still read */
		size_t big = PATH_MAX + 200;
		char *text = malloc(big + 64);

		strcpy(text, "[Profile0]\nIsRelative=1\nPath=");
		memset(text + strlen(text), 'a', big);
		strcpy(text + 29 + big, "\n[Profile1]\nIsRelative=1\nPath=ok\n");
		cl_firefox_parse_ini(text, "/h", collect, &s);
		CHECK_INT_EQ(s.n, 1);
		CHECK_STR_EQ(s.dirs[0], "/h/ok");
		free(text);
	}
}

static void mkdirs(const char *path)
{
	CHECK_INT_EQ(cl_fileio_mkdirs(path, 0700, NULL), CL_OK);
}

static void write_ini(const char *root, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/profiles.ini", root);
	tmpdir_write(path, text);
}

static void test_find(void)
{
	struct cl_firefox_profiles *p = calloc(1, sizeof(*p));
	char home[PATH_MAX], real_a[PATH_MAX], real_b[PATH_MAX], real_c[PATH_MAX];
	struct cl_locations locs = { NULL, 0 };
	struct cl_error err;

	snprintf(home, sizeof(home), "%s", tmpdir_path("home"));
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	cl_firefox_find(p);
	CHECK_INT_EQ(p->n, 0); /* no Firefox here */

	mkdirs(tmpdir_path("home/.mozilla/firefox/a.default-esr"));
	mkdirs(tmpdir_path("home/.config/mozilla/firefox/Profiles/b.default-release"));
	mkdirs(tmpdir_path("home/snap/firefox/common/.mozilla/firefox/c.snap"));
	CHECK(symlink(tmpdir_path("home/.mozilla/firefox/a.default-esr"), tmpdir_path("home/alias")) == 0);
	write_ini(tmpdir_path("home/.mozilla/firefox"),
	          "[Profile0]\nIsRelative=1\nPath=a.default-esr\n[Profile1]\nIsRelative=1\nPath=gone\n");
	write_ini(tmpdir_path("home/.config/mozilla/firefox"),
	          "[Profile0]\nIsRelative=1\nPath=Profiles/b.default-release\n"
	          "[Profile1]\nIsRelative=0\nPath=/dev/null\n");
	write_ini(tmpdir_path("home/snap/firefox/common/.mozilla/firefox"),
	          "[Profile0]\nIsRelative=1\nPath=c.snap\n");
	{
		/* a second listing of profile a, through a symbolic link: one profile */
		char text[PATH_MAX + 64];

		snprintf(text, sizeof(text), "[Profile0]\nIsRelative=0\nPath=%s\n",
		         tmpdir_path("home/alias"));
		mkdirs(tmpdir_path("home/.var/app/org.mozilla.firefox/.mozilla/firefox"));
		write_ini(tmpdir_path("home/.var/app/org.mozilla.firefox/.mozilla/firefox"), text);
	}
	CHECK(realpath(tmpdir_path("home/.mozilla/firefox/a.default-esr"), real_a) != NULL);
	CHECK(realpath(tmpdir_path("home/.config/mozilla/firefox/Profiles/b.default-release"), real_b) !=
	      NULL);
	CHECK(realpath(tmpdir_path("home/snap/firefox/common/.mozilla/firefox/c.snap"), real_c) != NULL);

	cl_firefox_find(p);
	CHECK_INT_EQ(p->n, 3);
	CHECK_STR_EQ(p->items[0].dir, real_b); /* $XDG_CONFIG_HOME's list first */
	CHECK_STR_EQ(p->items[1].dir, real_a);
	CHECK_STR_EQ(p->items[2].dir, real_c);
	CHECK(strncmp(p->items[1].db, "sql:", 4) == 0 && strcmp(p->items[1].db + 4, real_a) == 0);

	/* XDG_CONFIG_HOME moves the first place */
	setenv("XDG_CONFIG_HOME", tmpdir_path("home/elsewhere"), 1);
	cl_firefox_find(p);
	CHECK_INT_EQ(p->n, 2);
	unsetenv("XDG_CONFIG_HOME");

	CHECK_INT_EQ(cl_locations_add(&locs, CL_LOC_FIREFOX_CA, p->items[0].db, "x", &err), CL_OK);
	CHECK(cl_firefox_has(&locs, CL_LOC_FIREFOX_CA, &p->items[0]));
	CHECK(!cl_firefox_has(&locs, CL_LOC_FIREFOX_CERT, &p->items[0]));
	CHECK(!cl_firefox_has(NULL, CL_LOC_FIREFOX_CA, &p->items[0]));
	cl_locations_clear(&locs);

	setenv("HOME", "relative/home", 1);
	cl_firefox_find(p);
	CHECK_INT_EQ(p->n, 0);
	free(p);
}

/* A Firefox runs on a profile while its lock names a live process; a lock a crashed Firefox left, a lock
 * of another form and no lock at all do not count. */
static void test_running(void)
{
	char db[PATH_MAX], target[64];
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	CHECK(gone > 0 && waitpid(gone, NULL, 0) == gone); /* reaped: its pid names nobody now */
	mkdirs(tmpdir_path("running"));
	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("running"));
	CHECK(!cl_firefox_db_running(db)); /* no lock */
	snprintf(target, sizeof(target), "127.0.0.1:+%ld", (long)getpid());
	CHECK(symlink(target, tmpdir_path("running/lock")) == 0);
	CHECK(cl_firefox_db_running(db));
	CHECK(!cl_firefox_db_running(tmpdir_path("running"))); /* not a "sql:" database */
	snprintf(target, sizeof(target), "127.0.0.1:+%ld", (long)gone);
	CHECK(unlink(tmpdir_path("running/lock")) == 0 && symlink(target, tmpdir_path("running/lock")) == 0);
	CHECK(!cl_firefox_db_running(db));
	CHECK(unlink(tmpdir_path("running/lock")) == 0 &&
	      symlink("127.0.0.1:+12x", tmpdir_path("running/lock")) == 0);
	CHECK(!cl_firefox_db_running(db));
	CHECK(unlink(tmpdir_path("running/lock")) == 0 &&
	      symlink("127.0.0.1:", tmpdir_path("running/lock")) == 0);
	CHECK(!cl_firefox_db_running(db));
}

int main(void)
{
	tmpdir_make("firefox");
	test_parse();
	test_find();
	test_running();
	tmpdir_remove();
	return check_done();
}
