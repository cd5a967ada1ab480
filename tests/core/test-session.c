/* Unit tests of core/session.c: which people a zero-touch run tells its result. The selection rule (graphical
 * logins first, then logged-in normal accounts, then normal accounts with a session bus; never root), and,
 * as root, the whole search over a utmp file and a RUN_USER_DIR made here (CERTLINK_UTMP,
 * CERTLINK_RUN_USER_DIR): only a directory and a bus socket that belong to the account count. */
#include "check.h"
#include "session-private.h"
#include "tmpdir.h"

#include <pwd.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <utmpx.h>

#define NOBODY 65534

static struct cl_session cand(uid_t uid, const char *user)
{
	struct cl_session c;

	memset(&c, 0, sizeof(c));
	c.uid = uid;
	snprintf(c.user, sizeof(c.user), "%s", user);
	return c;
}

static struct cl_session_login login(const char *user, const char *line, const char *host)
{
	struct cl_session_login l;

	memset(&l, 0, sizeof(l));
	snprintf(l.user, sizeof(l.user), "%s", user);
	snprintf(l.line, sizeof(l.line), "%s", line);
	snprintf(l.host, sizeof(l.host), "%s", host);
	return l;
}

static void test_graphical(void)
{
	struct cl_session_login l;

	l = login("alice", ":0", "");
	CHECK(cl_session_login_graphical(&l));
	l = login("alice", "tty2", ":1");
	CHECK(cl_session_login_graphical(&l));
	l = login("alice", "seat0", "");
	CHECK(cl_session_login_graphical(&l));
	l = login("bob", "pts/0", "192.0.2.7");
	CHECK(!cl_session_login_graphical(&l));
	l = login("bob", "tty1", "");
	CHECK(!cl_session_login_graphical(&l));
	l = login("bob", "seatX", "");
	CHECK(!cl_session_login_graphical(&l));
}

static void test_select(void)
{
	struct cl_session c[5];
	struct cl_session_login logins[3];
	size_t n;

	/* alice at the desktop, bob over SSH, the display manager's account, root: alice only. */
	c[0] = cand(1001, "bob");
	c[1] = cand(1000, "alice");
	c[2] = cand(117, "Debian-gdm");
	c[3] = cand(0, "root");
	logins[0] = login("bob", "pts/0", "192.0.2.7");
	logins[1] = login("alice", "tty2", ":0");
	logins[2] = login("root", ":1", "");
	n = cl_session_select(c, 4, logins, 3, CL_SESSION_MAX);
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(c[0].user, "alice");
	CHECK(c[0].graphical);

	/* Nobody at a desktop: the logged-in normal accounts (bob), not an account with only a bus. */
	c[0] = cand(1001, "bob");
	c[1] = cand(1000, "alice");
	c[2] = cand(117, "Debian-gdm");
	n = cl_session_select(c, 3, logins, 1, CL_SESSION_MAX);
	CHECK_INT_EQ(n, 1);
	CHECK_STR_EQ(c[0].user, "bob");
	CHECK(!c[0].graphical);

	/* No utmp entry at all (a desktop that writes none): every normal account with a bus, in order. */
	c[0] = cand(1001, "bob");
	c[1] = cand(117, "Debian-gdm");
	c[2] = cand(1000, "alice");
	c[3] = cand(0, "root");
	n = cl_session_select(c, 4, NULL, 0, CL_SESSION_MAX);
	CHECK_INT_EQ(n, 2);
	CHECK_STR_EQ(c[0].user, "bob");
	CHECK_STR_EQ(c[1].user, "alice");

	/* Two people at desktops: both, at most MAX. */
	c[0] = cand(1000, "alice");
	c[1] = cand(1002, "carol");
	c[2] = cand(1001, "bob");
	logins[0] = login("alice", ":0", "");
	logins[1] = login("carol", "seat1", "");
	logins[2] = login("bob", "pts/3", "");
	CHECK_INT_EQ(cl_session_select(c, 3, logins, 3, CL_SESSION_MAX), 2);
	CHECK_STR_EQ(c[0].user, "alice");
	CHECK_STR_EQ(c[1].user, "carol");
	c[0] = cand(1000, "alice");
	c[1] = cand(1002, "carol");
	CHECK_INT_EQ(cl_session_select(c, 2, logins, 3, 1), 1);

	/* root alone, or only system accounts: nobody. */
	c[0] = cand(0, "root");
	c[1] = cand(117, "Debian-gdm");
	logins[0] = login("root", ":0", "");
	CHECK_INT_EQ(cl_session_select(c, 2, logins, 1, CL_SESSION_MAX), 0);
	CHECK_INT_EQ(cl_session_select(c, 0, logins, 1, CL_SESSION_MAX), 0);
}

static void add_login(const char *user, const char *line, const char *host, short type)
{
	struct utmpx u;

	memset(&u, 0, sizeof(u));
	u.ut_type = type;
	u.ut_pid = getpid();
	snprintf(u.ut_id, sizeof(u.ut_id), "%.3s", line);
	strncpy(u.ut_user, user, sizeof(u.ut_user));
	strncpy(u.ut_line, line, sizeof(u.ut_line));
	strncpy(u.ut_host, host, sizeof(u.ut_host));
	setutxent();
	CHECK(pututxline(&u) != NULL);
	endutxent();
}

static void make_bus(const char *dir, uid_t owner)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	mkdir(dir, 0700);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/bus", dir);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK(chown(sa.sun_path, owner, owner) == 0);
	CHECK(chown(dir, owner, owner) == 0);
}

/* As root, over a made-up computer: nobody at ":0" with a bus of its own; a bus directory that is a link,
 * one that belongs to someone else, and one without a socket are not sessions. */
static void test_find_as_root(void)
{
	struct cl_session s[CL_SESSION_MAX];
	struct cl_error err;
	char want[PATH_MAX + 32];
	size_t n = 99;

	if (geteuid() != 0 || !getpwuid(NOBODY)) {
		printf("# test_find_as_root skipped: needs root and the nobody account\n");
		return;
	}
	tmpdir_write(tmpdir_path("utmp"), "");
	setenv("CERTLINK_UTMP", tmpdir_path("utmp"), 1);
	setenv("CERTLINK_RUN_USER_DIR", tmpdir_path("run-user"), 1);
	CHECK(utmpxname(tmpdir_path("utmp")) == 0);
	mkdir(tmpdir_path("run-user"), 0755);

	/* no bus anywhere: nobody to tell, not an error */
	CHECK_INT_EQ(cl_session_find(s, CL_SESSION_MAX, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);

	make_bus(tmpdir_path("run-user/65534"), NOBODY);
	add_login("nobody", ":0", "", USER_PROCESS);
	add_login("daemon", ":1", "", DEAD_PROCESS);
	/* uid 1 (daemon): its directory belongs to root */
	make_bus(tmpdir_path("run-user/1"), 0);
	/* 65533: a link to nobody's directory */
	CHECK(symlink(tmpdir_path("run-user/65534"), tmpdir_path("run-user/65533")) == 0);
	/* 2 (bin): a directory of its own without a socket */
	mkdir(tmpdir_path("run-user/2"), 0700);
	CHECK(chown(tmpdir_path("run-user/2"), 2, 2) == 0);
	CHECK_INT_EQ(cl_session_find(s, CL_SESSION_MAX, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(s[0].uid, NOBODY);
	CHECK_INT_EQ(s[0].gid, getpwuid(NOBODY)->pw_gid);
	CHECK_STR_EQ(s[0].user, "nobody");
	CHECK(s[0].graphical);
	snprintf(want, sizeof(want), "unix:path=%s", tmpdir_path("run-user/65534/bus"));
	CHECK_STR_EQ(s[0].bus, want);
	CHECK_STR_EQ(s[0].runtime_dir, tmpdir_path("run-user/65534"));

	/* nobody's bus socket replaced by a file: no longer a session */
	unlink(tmpdir_path("run-user/65534/bus"));
	tmpdir_write(tmpdir_path("run-user/65534/bus"), "");
	CHECK(chown(tmpdir_path("run-user/65534/bus"), NOBODY, NOBODY) == 0);
	CHECK_INT_EQ(cl_session_find(s, CL_SESSION_MAX, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);
	unsetenv("CERTLINK_UTMP");
	unsetenv("CERTLINK_RUN_USER_DIR");
}

/* Not root: the run itself, on its own session bus. */
static void test_find_self(void)
{
	struct cl_session s[CL_SESSION_MAX];
	struct cl_error err;
	size_t n = 0;
	pid_t pid;
	int status = 0;

	if (geteuid() == 0) {
		/* the rule for a person's own run, tried as nobody in a child */
		if (!getpwuid(NOBODY)) {
			printf("# test_find_self skipped: no nobody account\n");
			return;
		}
		pid = fork();
		if (pid == 0) {
			if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
				_exit(3);
			setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/own-bus", 1);
			setenv("CERTLINK_RUN_USER_DIR", "/nonexistent", 1);
			if (cl_session_find(s, CL_SESSION_MAX, &n, &err) != CL_OK || n != 1 ||
			    s[0].uid != NOBODY || strcmp(s[0].bus, "unix:path=/nonexistent/own-bus") != 0)
				_exit(1);
			unsetenv("DBUS_SESSION_BUS_ADDRESS");
			if (cl_session_find(s, CL_SESSION_MAX, &n, &err) != CL_OK || n != 0)
				_exit(2);
			_exit(0);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		return;
	}
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/own-bus", 1);
	CHECK_INT_EQ(cl_session_find(s, CL_SESSION_MAX, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(s[0].uid, getuid());
	CHECK_STR_EQ(s[0].bus, "unix:path=/nonexistent/own-bus");
}

int main(void)
{
	tmpdir_make("session");
	chmod(tmpdir_path(""), 0755);
	test_graphical();
	test_select();
	test_find_as_root();
	test_find_self();
	tmpdir_remove();
	return check_done();
}
