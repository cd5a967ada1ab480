/* certlink tests: a throwaway directory per test executable, removed at the end.
 *
 * tmpdir_make() creates a fresh directory under $TMPDIR (or /tmp) and returns its path; tmpdir_path()
 * joins a name to it in one of 16 static rotating buffers (copy a path that must live longer);
 * tmpdir_remove() deletes the tree (rm -rf, without
 * following symbolic links).
 */
#ifndef CL_TMPDIR_H
#define CL_TMPDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir_root_[PATH_MAX];

static inline const char *tmpdir_make(const char *tag)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir_root_, sizeof(tmpdir_root_), "%s/certlink-%s-XXXXXX", base && *base ? base : "/tmp",
	         tag);
	if (!mkdtemp(tmpdir_root_)) {
		perror("mkdtemp");
		exit(2);
	}
	return tmpdir_root_;
}

static inline const char *tmpdir_path(const char *name)
{
	static char bufs[16][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % 16];

	if ((size_t)snprintf(b, PATH_MAX, "%s/%s", tmpdir_root_, name) >= PATH_MAX)
		abort();
	return b;
}

static inline int tmpdir_rm_one_(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void tmpdir_remove(void)
{
	if (tmpdir_root_[0])
		nftw(tmpdir_root_, tmpdir_rm_one_, 16, FTW_DEPTH | FTW_PHYS);
}

/* Mode bits (07777) of PATH without following a final symlink, or -1. */
static inline int tmpdir_mode(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Write a small fixture file (mode 0644), creating it or truncating it. */
static inline void tmpdir_write(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

#endif
