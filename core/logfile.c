/* certlink core: the activity log (see logfile.h). */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "jsonfile.h"
#include "paths.h"

#define LOG_NAME "certlink.log"

char *cl_logfile_path(enum cl_store_kind store, struct cl_error *err)
{
	char *dir = store == CL_STORE_COMPUTER ? cl_paths_system_dir(err) : cl_paths_user_state_dir(err);
	char *path = dir ? cl_paths_join(dir, LOG_NAME, err) : NULL;

	free(dir);
	return path;
}

/* Past the cap, the current log becomes LOG.1 (replacing the older one). */
static void rotate(const char *path)
{
	struct stat st;
	char old[4200];

	if (stat(path, &st) != 0 || st.st_size < CL_LOGFILE_MAX_BYTES)
		return;
	if ((size_t)snprintf(old, sizeof(old), "%s.1", path) >= sizeof(old))
		return;
	rename(path, old);
}

enum cl_status cl_logfile_append(enum cl_store_kind store, const char *program, struct cl_error *err,
                                 const char *fmt, ...)
{
	char line[2048], when[21], *path, *dir, *p;
	enum cl_status st = CL_OK;
	va_list ap;
	int n, fd;

	path = cl_logfile_path(store, err);
	if (!path)
		return CL_E_LOCAL;
	dir = store == CL_STORE_COMPUTER ? cl_paths_system_dir(err) : cl_paths_user_state_dir(err);
	if (!dir || cl_fileio_mkdirs(dir, store == CL_STORE_COMPUTER ? 0755 : 0700, err) != CL_OK) {
		free(dir);
		free(path);
		return CL_E_LOCAL;
	}
	cl_jsonfile_format_time((int64_t)time(NULL), when);
	n = snprintf(line, sizeof(line), "%s %s[%ld]: ", when, program ? program : "certlink",
	             (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	for (p = line + n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	strcat(line, "\n");
	rotate(path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		st = cl_error_set(err, CL_E_LOCAL, "%s: %s", path, strerror(errno));
	else
		st = cl_fileio_write_all(fd, line, strlen(line), path, err);
	if (fd >= 0)
		close(fd);
	free(dir);
	free(path);
	return st;
}
