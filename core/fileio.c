/* certlink core: safe file helpers (see fileio.h). */
#include "fileio.h"
#include "fileio-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

void (*cl_fileio_test_hook)(const char *stage);

static void hook(const char *stage)
{
	if (cl_fileio_test_hook)
		cl_fileio_test_hook(stage);
}

static enum cl_status sys_error(struct cl_error *err, const char *what, const char *path)
{
	return cl_error_set(err, CL_E_LOCAL, "%s %s: %s", what, path, strerror(errno));
}

/* Split PATH into its directory (into DIR, "." when none) and return the final component. */
static const char *split_path(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		strcpy(dir, ".");
		return path;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/name": the directory is "/" */
	if (n >= PATH_MAX)
		n = PATH_MAX - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}

int cl_fileio_create(const char *path, mode_t mode, struct cl_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);

	if (fd < 0) {
		sys_error(err, "creating", path);
		return -1;
	}
	/* open() applied the umask and at most 0600; now set exactly what the caller asked for. */
	if (fchmod(fd, mode) != 0) {
		sys_error(err, "setting the mode of", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int cl_fileio_create_secret(const char *path, struct cl_error *err)
{
	return cl_fileio_create(path, 0600, err);
}

enum cl_status cl_fileio_write_all(int fd, const void *buf, size_t len, const char *what,
                                   struct cl_error *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sys_error(err, "writing", what);
		p += n;
		len -= (size_t)n;
	}
	return CL_OK;
}

static enum cl_status sync_close(int fd, const char *path, struct cl_error *err)
{
	if (fsync(fd) != 0) {
		sys_error(err, "syncing", path);
		close(fd);
		return CL_E_LOCAL;
	}
	if (close(fd) != 0)
		return sys_error(err, "closing", path);
	return CL_OK;
}

enum cl_status cl_fileio_write_new(const char *path, const void *data, size_t len, mode_t mode,
                                   struct cl_error *err)
{
	int fd = cl_fileio_create(path, mode, err);

	if (fd < 0)
		return CL_E_LOCAL;
	if (cl_fileio_write_all(fd, data, len, path, err) != CL_OK) {
		close(fd);
		cl_fileio_delete_secret(path, NULL);
		return CL_E_LOCAL;
	}
	if (sync_close(fd, path, err) != CL_OK) {
		cl_fileio_delete_secret(path, NULL);
		return CL_E_LOCAL;
	}
	return CL_OK;
}

enum cl_status cl_fileio_fsync_dir(const char *dir, struct cl_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum cl_status st = CL_OK;

	if (fd < 0)
		return sys_error(err, "opening directory", dir);
	if (fsync(fd) != 0)
		st = sys_error(err, "syncing directory", dir);
	close(fd);
	return st;
}

#define TEMP_INFIX ".tmp-"

enum cl_status cl_fileio_replace(const char *path, const void *data, size_t len, mode_t mode,
                                 struct cl_error *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base = split_path(path, dir);
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s/.%s" TEMP_INFIX "XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return cl_error_set(err, CL_E_LOCAL, "path too long: %s", path);
	/* mkostemp creates 0600 with O_EXCL: nobody else can read the content while it is written. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return sys_error(err, "creating a temporary file for", path);
	hook("temp-created");
	if (cl_fileio_write_all(fd, data, len, tmp, err) != CL_OK)
		goto fail_open;
	hook("temp-written");
	if (fchmod(fd, mode) != 0) {
		sys_error(err, "setting the mode of", tmp);
		goto fail_open;
	}
	if (sync_close(fd, tmp, err) != CL_OK)
		goto fail_closed;
	hook("temp-synced");
	if (rename(tmp, path) != 0) {
		sys_error(err, "renaming into place", path);
		goto fail_closed;
	}
	hook("renamed");
	return cl_fileio_fsync_dir(dir, err);

fail_open:
	close(fd);
fail_closed:
	cl_fileio_delete_secret(tmp, NULL);
	return CL_E_LOCAL;
}

void cl_fileio_remove_stale_temps(const char *path)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 8], victim[PATH_MAX];
	const char *base = split_path(path, dir);
	struct dirent *de;
	size_t plen;
	DIR *d;
	int n;

	n = snprintf(prefix, sizeof(prefix), ".%s" TEMP_INFIX, base);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return;
	plen = (size_t)n;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 || strlen(de->d_name) != plen + 6)
			continue;
		n = snprintf(victim, sizeof(victim), "%s/%s", dir, de->d_name);
		if (n > 0 && (size_t)n < sizeof(victim))
			cl_fileio_delete_secret(victim, NULL);
	}
	closedir(d);
}

/* One mkdir; a directory we create gets exactly MODE whatever the umask. */
static enum cl_status mkdir_one(const char *path, mode_t mode, struct cl_error *err)
{
	struct stat st;

	if (mkdir(path, mode) == 0) {
		if (chmod(path, mode) != 0)
			return sys_error(err, "setting the mode of", path);
		return CL_OK;
	}
	if (errno != EEXIST)
		return sys_error(err, "creating directory", path);
	if (stat(path, &st) != 0)
		return sys_error(err, "checking", path);
	if (!S_ISDIR(st.st_mode))
		return cl_error_set(err, CL_E_LOCAL, "%s exists and is not a directory", path);
	return CL_OK;
}

enum cl_status cl_fileio_mkdirs(const char *path, mode_t mode, struct cl_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return cl_error_set(err, CL_E_LOCAL, "invalid directory path");
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir_one(buf, mode, err) != CL_OK)
			return CL_E_LOCAL;
		*p = '/';
	}
	return mkdir_one(buf, mode, err);
}

enum cl_status cl_fileio_private_dir(const char *path, struct cl_error *err)
{
	struct stat st;

	if (cl_fileio_mkdirs(path, 0700, err) != CL_OK)
		return CL_E_LOCAL;
	if (lstat(path, &st) != 0)
		return sys_error(err, "checking", path);
	if (!S_ISDIR(st.st_mode))
		return cl_error_set(err, CL_E_LOCAL, "%s is not a directory (a symbolic link is refused)",
		                    path);
	if (st.st_uid != geteuid())
		return cl_error_set(err, CL_E_LOCAL, "%s belongs to another user (uid %u)", path,
		                    (unsigned)st.st_uid);
	if ((st.st_mode & 077) && chmod(path, 0700) != 0)
		return sys_error(err, "restricting the mode of", path);
	return CL_OK;
}

/* Grow *buf from *cap to NEWCAP without leaving the old contents in freed memory. */
static int grow(char **buf, size_t *cap, size_t used, size_t newcap)
{
	char *nb = malloc(newcap);

	if (!nb)
		return -1;
	memcpy(nb, *buf, used);
	OPENSSL_cleanse(*buf, *cap);
	free(*buf);
	*buf = nb;
	*cap = newcap;
	return 0;
}

static enum cl_status read_fd(int fd, const char *path, size_t max, char **out, size_t *outlen,
                              struct cl_error *err)
{
	struct stat st;
	size_t cap, used = 0;
	char *buf;

	if (fstat(fd, &st) != 0)
		return sys_error(err, "checking", path);
	if (S_ISDIR(st.st_mode))
		return cl_error_set(err, CL_E_LOCAL, "%s is a directory", path);
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
		return cl_error_set(err, CL_E_LOCAL, "%s is too large (%lld bytes, at most %zu)", path,
		                    (long long)st.st_size, max);
	/* sysfs and proc files report size 0 or 4096: start small and grow. */
	cap = (S_ISREG(st.st_mode) && st.st_size > 0) ? (size_t)st.st_size + 1 : 256;
	if (cap > max + 1)
		cap = max + 1;
	buf = malloc(cap);
	if (!buf)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	for (;;) {
		ssize_t n;

		if (used + 1 == cap) {
			/* Full: probe one byte before growing, so a file of exactly the expected size (or of
			 * exactly MAX bytes) is not reallocated or refused. */
			char probe;

			n = read(fd, &probe, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				break;
			if (n < 0) {
				cl_fileio_free_secret(buf, used);
				return sys_error(err, "reading", path);
			}
			if (cap == max + 1) {
				cl_fileio_free_secret(buf, used);
				return cl_error_set(err, CL_E_LOCAL, "%s is too large (over %zu bytes)", path,
				                    max);
			}
			if (grow(&buf, &cap, used, cap * 2 > max + 1 ? max + 1 : cap * 2) != 0) {
				cl_fileio_free_secret(buf, used);
				return cl_error_set(err, CL_E_LOCAL, "out of memory");
			}
			buf[used++] = probe;
			OPENSSL_cleanse(&probe, 1);
			continue;
		}
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cl_fileio_free_secret(buf, used);
			return sys_error(err, "reading", path);
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*out = buf;
	if (outlen)
		*outlen = used;
	return CL_OK;
}

static enum cl_status read_common(const char *path, size_t max, char **out, size_t *len, bool optional,
                                  struct cl_error *err)
{
	enum cl_status st;
	int fd;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (optional && errno == ENOENT)
			return CL_OK;
		return sys_error(err, "opening", path);
	}
	st = read_fd(fd, path, max, out, len, err);
	close(fd);
	return st;
}

enum cl_status cl_fileio_read(const char *path, size_t max, char **out, size_t *len, struct cl_error *err)
{
	return read_common(path, max, out, len, false, err);
}

enum cl_status cl_fileio_read_optional(const char *path, size_t max, char **out, size_t *len,
                                       struct cl_error *err)
{
	return read_common(path, max, out, len, true, err);
}

enum cl_status cl_fileio_read_text(const char *path, size_t max, char **out, struct cl_error *err)
{
	struct stat st;
	size_t len = 0;

	*out = NULL;
	/* A FIFO would block the open; anything but a regular file is not a text file we edit. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return cl_error_set(err, CL_E_LOCAL, "%s is not a regular file", path);
	if (cl_fileio_read_optional(path, max, out, &len, err) != CL_OK)
		return CL_E_LOCAL;
	if (*out && memchr(*out, '\0', len)) {
		free(*out);
		*out = NULL;
		return cl_error_set(err, CL_E_LOCAL, "%s contains a NUL byte", path);
	}
	return CL_OK;
}

void cl_fileio_free_secret(char *buf, size_t len)
{
	if (!buf)
		return;
	OPENSSL_cleanse(buf, len + 1);
	free(buf);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum cl_status cl_fileio_lock(const char *lockpath, unsigned timeout_ms, int *fd_out, struct cl_error *err)
{
	long long deadline = now_ms() + timeout_ms;
	long delay_ms = 5;
	int fd;

	*fd_out = -1;
	fd = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return sys_error(err, "opening lock file", lockpath);
	for (;;) {
		long long left;
		struct timespec ts;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			sys_error(err, "locking", lockpath);
			close(fd);
			return CL_E_LOCAL;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			close(fd);
			cl_error_set(err, CL_E_LOCAL, "another certlink process holds %s; try again later",
			             lockpath);
			cl_error_set_code(err, "locked");
			return CL_E_LOCAL;
		}
		if (delay_ms > left)
			delay_ms = (long)left;
		ts.tv_sec = delay_ms / 1000;
		ts.tv_nsec = (delay_ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		if (delay_ms < 100)
			delay_ms *= 2;
	}
	*fd_out = fd;
	return CL_OK;
}

void cl_fileio_unlock(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}

enum cl_status cl_fileio_delete_secret(const char *path, struct cl_error *err)
{
	static const char zeros[4096];
	char dir[PATH_MAX];
	struct stat st;
	off_t left;
	int fd;

	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return CL_OK;
		if (errno != ELOOP)
			return sys_error(err, "opening", path);
		/* A symbolic link: remove the link, never overwrite what it points to. */
		if (unlink(path) != 0 && errno != ENOENT)
			return sys_error(err, "removing", path);
		return CL_OK;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s is not a regular file; not removed", path);
	}
	for (left = st.st_size; left > 0;) {
		size_t chunk = left > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)left;

		if (cl_fileio_write_all(fd, zeros, chunk, path, err) != CL_OK) {
			close(fd);
			return CL_E_LOCAL;
		}
		left -= (off_t)chunk;
	}
	if (sync_close(fd, path, err) != CL_OK)
		return CL_E_LOCAL;
	if (unlink(path) != 0 && errno != ENOENT)
		return sys_error(err, "removing", path);
	split_path(path, dir);
	return cl_fileio_fsync_dir(dir, err);
}

enum cl_status cl_fileio_remove(const char *path, bool *removed, struct cl_error *err)
{
	char dir[PATH_MAX];

	if (removed)
		*removed = false;
	if (unlink(path) != 0)
		return errno == ENOENT ? CL_OK : sys_error(err, "removing", path);
	if (removed)
		*removed = true;
	split_path(path, dir);
	return cl_fileio_fsync_dir(dir, err);
}

bool cl_fileio_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
