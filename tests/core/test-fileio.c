/* Unit tests of core/fileio.c: modes from creation, O_EXCL/O_NOFOLLOW refusals, atomic replace surviving a
 * SIGKILL at every stage, mkdir -p modes, capped reads, lock timeout and release on death, secure delete. */
#include "check.h"
#include "fileio-private.h"
#include "fileio.h"
#include "tmpdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

static char *slurp(const char *path)
{
	char *buf = NULL;

	if (cl_fileio_read(path, 1 << 20, &buf, NULL, NULL) != CL_OK)
		return NULL;
	return buf;
}

static void test_create(void)
{
	struct cl_error err;
	const char *p = tmpdir_path("secret"), *link = tmpdir_path("link"), *target = tmpdir_path("target");
	int fd;

	umask(0);
	fd = cl_fileio_create_secret(p, &err);
	CHECK(fd >= 0);
	CHECK_INT_EQ(tmpdir_mode(p), 0600);
	CHECK_INT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	/* O_EXCL: an existing file is never reused. */
	CHECK_INT_EQ(cl_fileio_create_secret(p, &err), -1);
	CHECK_INT_EQ(err.status, CL_E_LOCAL);
	CHECK(strstr(err.msg, "File exists") != NULL);
	/* A planted symlink is refused and its target is not created. */
	CHECK_INT_EQ(symlink(target, link), 0);
	CHECK_INT_EQ(cl_fileio_create_secret(link, &err), -1);
	CHECK(!cl_fileio_exists(target));

	/* Exact modes whatever the umask. */
	umask(077);
	fd = cl_fileio_create(tmpdir_path("public"), 0644, &err);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("public")), 0644);
	umask(022);

	CHECK_INT_EQ(cl_fileio_write_new(tmpdir_path("new"), "hello", 5, 0640, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("new")), 0640);
	CHECK_INT_EQ(cl_fileio_write_new(tmpdir_path("new"), "again", 5, 0640, &err), CL_E_LOCAL);
	{
		char *s = slurp(tmpdir_path("new"));

		CHECK_STR_EQ(s, "hello");
		free(s);
	}
}

static int count_temps(const char *prefix)
{
	DIR *d = opendir(tmpdir_path(""));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

static void test_replace(void)
{
	struct cl_error err;
	char p[PATH_MAX];
	char *s;

	snprintf(p, sizeof(p), "%s", tmpdir_path("state.json"));

	CHECK_INT_EQ(cl_fileio_replace(p, "one", 3, 0644, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(p), 0644);
	CHECK_INT_EQ(cl_fileio_replace(p, "two", 3, 0600, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(p), 0600);
	s = slurp(p);
	CHECK_STR_EQ(s, "two");
	free(s);
	CHECK_INT_EQ(count_temps(".state.json.tmp-"), 0);

	/* A symlink at the path is replaced, its target untouched. */
	tmpdir_write(tmpdir_path("victim"), "precious");
	CHECK_INT_EQ(symlink(tmpdir_path("victim"), tmpdir_path("sl")), 0);
	CHECK_INT_EQ(cl_fileio_replace(tmpdir_path("sl"), "new", 3, 0600, &err), CL_OK);
	s = slurp(tmpdir_path("victim"));
	CHECK_STR_EQ(s, "precious");
	free(s);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sl")), 0600);

	/* Missing directory: a clear error. */
	CHECK_INT_EQ(cl_fileio_replace(tmpdir_path("nodir/x"), "x", 1, 0600, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "nodir") != NULL);

	/* Stale temps: only names of exactly the replace pattern are removed. */
	tmpdir_write(tmpdir_path(".state.json.tmp-AbC123"), "partial secret");
	tmpdir_write(tmpdir_path(".state.json.tmp-toolong1"), "keep");
	tmpdir_write(tmpdir_path(".other.tmp-AbC123"), "keep");
	cl_fileio_remove_stale_temps(p);
	CHECK(!cl_fileio_exists(tmpdir_path(".state.json.tmp-AbC123")));
	CHECK(cl_fileio_exists(tmpdir_path(".state.json.tmp-toolong1")));
	CHECK(cl_fileio_exists(tmpdir_path(".other.tmp-AbC123")));
}

static const char *crash_stage;

static void crash_hook(const char *stage)
{
	if (strcmp(stage, crash_stage) == 0)
		raise(SIGKILL);
}

/* A child replaces the file and is killed at STAGE; the file must hold the old or the new content. */
static void crash_at(const char *stage, const char *expect)
{
	const char *p = tmpdir_path("crash.txt");
	struct cl_error err;
	int status = 0;
	pid_t pid;
	char *s;

	CHECK_INT_EQ(cl_fileio_replace(p, "old content", 11, 0600, &err), CL_OK);
	pid = fork();
	if (pid == 0) {
		crash_stage = stage;
		cl_fileio_test_hook = crash_hook;
		cl_fileio_replace(p, "new content", 11, 0600, NULL);
		_exit(0);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	s = slurp(p);
	CHECK_STR_EQ(s, expect);
	free(s);
	cl_fileio_remove_stale_temps(p);
	CHECK_INT_EQ(count_temps(".crash.txt.tmp-"), 0);
}

static void test_crash(void)
{
	crash_at("temp-created", "old content");
	crash_at("temp-written", "old content");
	crash_at("temp-synced", "old content");
	crash_at("renamed", "new content");
}

static void test_mkdirs(void)
{
	struct cl_error err;

	umask(022);
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("a/b/c/"), 0700, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a/b")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a/b/c")), 0700);
	/* Existing directories are left as they are. */
	CHECK_INT_EQ(chmod(tmpdir_path("a/b"), 0755), 0);
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("a/b/d"), 0750, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a/b")), 0755);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a/b/d")), 0750);
	tmpdir_write(tmpdir_path("a/file"), "x");
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("a/file/sub"), 0700, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "not a directory") != NULL);
	CHECK_INT_EQ(cl_fileio_mkdirs("", 0700, &err), CL_E_LOCAL);

	/* A private directory loses group/other bits and must not be a symlink. */
	CHECK_INT_EQ(cl_fileio_private_dir(tmpdir_path("a/b"), &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("a/b")), 0700);
	CHECK_INT_EQ(symlink(tmpdir_path("a/b"), tmpdir_path("a/sl")), 0);
	CHECK_INT_EQ(cl_fileio_private_dir(tmpdir_path("a/sl"), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "symbolic link") != NULL);
}

static void test_read(void)
{
	struct cl_error err;
	char *buf = (char *)1;
	size_t len = 99;

	tmpdir_write(tmpdir_path("ten"), "0123456789");
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("ten"), 10, &buf, &len, &err), CL_OK);
	CHECK_STR_EQ(buf, "0123456789");
	CHECK_INT_EQ(len, 10);
	cl_fileio_free_secret(buf, len);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("ten"), 9, &buf, &len, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "too large") != NULL);
	CHECK(buf == NULL);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("missing"), 9, &buf, &len, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "No such file") != NULL);
	buf = (char *)1;
	CHECK_INT_EQ(cl_fileio_read_optional(tmpdir_path("missing"), 9, &buf, &len, &err), CL_OK);
	CHECK(buf == NULL);
	CHECK_INT_EQ(len, 0);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("a"), 9, &buf, &len, &err), CL_E_LOCAL);
	/* proc files report size 0: the buffer grows, and the cap still applies while growing. */
	CHECK_INT_EQ(cl_fileio_read("/proc/self/status", 1 << 16, &buf, &len, &err), CL_OK);
	CHECK(buf && strncmp(buf, "Name:", 5) == 0 && strlen(buf) == len);
	free(buf);
	CHECK_INT_EQ(cl_fileio_read("/proc/self/status", 300, &buf, &len, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "too large") != NULL);
	/* An empty file is fine, even with a zero cap. */
	tmpdir_write(tmpdir_path("empty"), "");
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("empty"), 0, &buf, &len, &err), CL_OK);
	CHECK_STR_EQ(buf, "");
	free(buf);
}

/* Text files certlink edits for the desktop (registry/): regular files without NUL; removal is durable. */
static void test_text_and_remove(void)
{
	const char *p = tmpdir_path("list.txt");
	struct cl_error err;
	char *text = (char *)1;
	bool removed = true;

	CHECK_INT_EQ(cl_fileio_read_text(tmpdir_path("missing"), 100, &text, &err), CL_OK);
	CHECK(text == NULL);
	CHECK_INT_EQ(cl_fileio_replace(p, "[Default Applications]\n", 23, 0644, &err), CL_OK);
	CHECK_INT_EQ(cl_fileio_read_text(p, 100, &text, &err), CL_OK);
	CHECK_STR_EQ(text, "[Default Applications]\n");
	free(text);
	CHECK_INT_EQ(cl_fileio_read_text(p, 10, &text, &err), CL_E_LOCAL);
	CHECK(text == NULL && strstr(err.msg, "too large") != NULL);
	CHECK_INT_EQ(cl_fileio_replace(p, "a\0b", 3, 0644, &err), CL_OK);
	CHECK_INT_EQ(cl_fileio_read_text(p, 100, &text, &err), CL_E_LOCAL);
	CHECK(text == NULL && strstr(err.msg, "NUL") != NULL);
	CHECK_INT_EQ(cl_fileio_read_text(tmpdir_path("a"), 100, &text, &err), CL_E_LOCAL); /* a directory */
	CHECK(strstr(err.msg, "not a regular file") != NULL);

	CHECK_INT_EQ(cl_fileio_remove(p, &removed, &err), CL_OK);
	CHECK(removed && !cl_fileio_exists(p));
	CHECK_INT_EQ(cl_fileio_remove(p, &removed, &err), CL_OK);
	CHECK(!removed);
	/* a symbolic link goes, its target stays */
	tmpdir_write(tmpdir_path("target"), "x");
	CHECK(symlink(tmpdir_path("target"), p) == 0);
	CHECK_INT_EQ(cl_fileio_remove(p, &removed, &err), CL_OK);
	CHECK(removed && !cl_fileio_exists(p) && cl_fileio_exists(tmpdir_path("target")));
	CHECK_INT_EQ(cl_fileio_remove(tmpdir_path("a"), NULL, &err), CL_E_LOCAL); /* a directory */
}

static void test_lock(void)
{
	const char *lp = tmpdir_path("records.lock");
	struct cl_error err;
	int ready[2], fd = -1, status;
	char c;
	pid_t pid;

	CHECK_INT_EQ(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		int cfd;

		if (cl_fileio_lock(lp, 0, &cfd, NULL) != CL_OK)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	CHECK_INT_EQ(read(ready[0], &c, 1), 1);
	CHECK_INT_EQ(tmpdir_mode(lp), 0600);
	/* Held by the child: a bounded wait fails with code "locked". */
	CHECK_INT_EQ(cl_fileio_lock(lp, 0, &fd, &err), CL_E_LOCAL);
	CHECK_STR_EQ(err.code, "locked");
	CHECK_INT_EQ(fd, -1);
	CHECK_INT_EQ(cl_fileio_lock(lp, 30, &fd, &err), CL_E_LOCAL);
	CHECK_STR_EQ(err.code, "locked");
	/* The holder dies without unlocking: the kernel releases the lock. */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK_INT_EQ(cl_fileio_lock(lp, 1000, &fd, &err), CL_OK);
	CHECK(fd >= 0);
	cl_fileio_unlock(fd);
	cl_fileio_unlock(-1);
	close(ready[0]);
	close(ready[1]);
	/* A symlinked lock file is refused. */
	CHECK_INT_EQ(symlink(lp, tmpdir_path("lock-link")), 0);
	CHECK_INT_EQ(cl_fileio_lock(tmpdir_path("lock-link"), 0, &fd, &err), CL_E_LOCAL);
}

static void test_delete_secret(void)
{
	const char *p = tmpdir_path("key.pem"), *alias = tmpdir_path("key-alias");
	struct cl_error err;
	char *s;
	size_t len;
	int zeros = 1;

	CHECK_INT_EQ(cl_fileio_write_new(p, "-----BEGIN PRIVATE KEY-----", 27, 0600, &err), CL_OK);
	/* A hard link shows the same blocks after the name is gone: they must have been overwritten. */
	CHECK_INT_EQ(link(p, alias), 0);
	CHECK_INT_EQ(cl_fileio_delete_secret(p, &err), CL_OK);
	CHECK(!cl_fileio_exists(p));
	CHECK_INT_EQ(cl_fileio_read(alias, 100, &s, &len, &err), CL_OK);
	CHECK_INT_EQ(len, 27);
	for (size_t i = 0; i < len; i++)
		zeros &= s[i] == 0;
	CHECK(zeros);
	free(s);
	/* Idempotent. */
	CHECK_INT_EQ(cl_fileio_delete_secret(p, &err), CL_OK);
	/* A symlink is removed; its target is neither overwritten nor removed. */
	tmpdir_write(tmpdir_path("precious"), "keep me");
	CHECK_INT_EQ(symlink(tmpdir_path("precious"), tmpdir_path("key-link")), 0);
	CHECK_INT_EQ(cl_fileio_delete_secret(tmpdir_path("key-link"), &err), CL_OK);
	CHECK(!cl_fileio_exists(tmpdir_path("key-link")));
	s = slurp(tmpdir_path("precious"));
	CHECK_STR_EQ(s, "keep me");
	free(s);
	/* Not a regular file: refused. */
	CHECK_INT_EQ(mkfifo(tmpdir_path("fifo"), 0600), 0);
	CHECK_INT_EQ(cl_fileio_delete_secret(tmpdir_path("fifo"), &err), CL_E_LOCAL);
	CHECK(cl_fileio_exists(tmpdir_path("fifo")));
}

int main(void)
{
	tmpdir_make("fileio");
	test_create();
	test_replace();
	test_crash();
	test_mkdirs();
	test_read();
	test_text_and_remove();
	test_lock();
	test_delete_secret();
	tmpdir_remove();
	return check_done();
}
