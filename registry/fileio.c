/* certlink registry: atomic file replacement and capped reads (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int clr_file_dirname(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (!slash)
		return snprintf(dir, size, ".") < (int)size ? 0 : -1;
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= size)
		return -1;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return 0;
}

enum cl_status clr_file_read(const char *path, size_t max, char **out, int *missing, struct cl_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	if (missing)
		*missing = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && missing)
			*missing = 1;
		return cl_error_set(err, CL_E_LOCAL, "cannot open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s is not a regular file", path);
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s is larger than %zu bytes", path, max);
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "out of memory reading %s", path);
	}
	/* The size can change under us; read until EOF but never past the cap. */
	while (len <= max && (n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cl_error_set(err, CL_E_LOCAL, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
		if (len > max) {
			cl_error_set(err, CL_E_LOCAL, "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	if (memchr(buf, '\0', len)) {
		cl_error_set(err, CL_E_LOCAL, "%s contains a NUL byte", path);
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	return CL_OK;
fail:
	close(fd);
	free(buf);
	return err ? err->status : CL_E_LOCAL;
}

enum cl_status clr_file_mkdirs(const char *dir, mode_t mode, struct cl_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);
	struct stat st;

	if (len == 0 || len >= sizeof(buf))
		return cl_error_set(err, CL_E_LOCAL, "directory name too long: %s", dir);
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return cl_error_set(err, CL_E_LOCAL, "cannot create directory %s: %s", buf,
			                    strerror(errno));
		if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
			return cl_error_set(err, CL_E_LOCAL, "%s is not a directory", buf);
		*p = saved;
		if (saved == '\0')
			break;
	}
	return CL_OK;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	if (clr_file_dirname(path, dir, sizeof(dir)) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

enum cl_status clr_file_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
                                     struct cl_error *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base = strrchr(path, '/');
	int fd;

	base = base ? base + 1 : path;
	if (clr_file_dirname(path, dir, sizeof(dir)) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp))
		return cl_error_set(err, CL_E_LOCAL, "file name too long: %s", path);
	/* A dot-file temporary: update-desktop-database and systemd ignore names that do not end in
	 * .desktop/.service/.timer, so a crash never leaves a half-registered handler behind. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "cannot create a file in %s: %s", dir, strerror(errno));
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		cl_error_set(err, CL_E_LOCAL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return CL_E_LOCAL;
	}
	if (close(fd) < 0) {
		cl_error_set(err, CL_E_LOCAL, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return CL_E_LOCAL;
	}
	if (rename(tmp, path) < 0) {
		cl_error_set(err, CL_E_LOCAL, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		return CL_E_LOCAL;
	}
	if (fsync_dir(path) < 0)
		return cl_error_set(err, CL_E_LOCAL, "cannot sync the directory of %s: %s", path,
		                    strerror(errno));
	return CL_OK;
}

enum cl_status clr_file_remove(const char *path, int *removed, struct cl_error *err)
{
	if (removed)
		*removed = 0;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return CL_OK;
		return cl_error_set(err, CL_E_LOCAL, "cannot remove %s: %s", path, strerror(errno));
	}
	if (removed)
		*removed = 1;
	if (fsync_dir(path) < 0)
		return cl_error_set(err, CL_E_LOCAL, "cannot sync the directory of %s: %s", path,
		                    strerror(errno));
	return CL_OK;
}
