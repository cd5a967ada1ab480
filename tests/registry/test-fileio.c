/* Unit tests of registry/fileio.c: atomic replacement, capped reads, directory creation. Works in a fresh
 * directory under the build tree (the current directory ctest gives it). */
#include "check.h"
#include "fileio.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	char dir[] = "fileio-XXXXXX", path[256], sub[256], *text = NULL;
	struct cl_error err;
	struct stat st;
	int missing = 0, removed = 0;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CHECK_INT_EQ(clr_file_mkdirs(path, 0700, NULL), CL_OK);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK_INT_EQ(clr_file_mkdirs(path, 0700, NULL), CL_OK); /* existing: fine */

	snprintf(path, sizeof(path), "%s/a/file.desktop", dir);
	CHECK_INT_EQ(clr_file_write_atomic(path, "one\n", 4, 0644, NULL), CL_OK);
	CHECK_INT_EQ(clr_file_write_atomic(path, "two\n", 4, 0640, NULL), CL_OK);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK_INT_EQ(clr_file_read(path, 100, &text, &missing, NULL), CL_OK);
	CHECK_STR_EQ(text, "two\n");
	free(text);
	/* No temporary left behind: the directory holds b/ and the file only. */
	snprintf(sub, sizeof(sub), "%s/a", dir);
	CHECK_INT_EQ(count_entries(sub), 2);

	cl_error_clear(&err);
	CHECK_INT_EQ(clr_file_read(path, 3, &text, &missing, &err), CL_E_LOCAL);
	CHECK(text == NULL && !missing);
	CHECK(strstr(err.msg, "larger") != NULL);
	CHECK_INT_EQ(clr_file_write_atomic(path, "a\0b", 3, 0644, NULL), CL_OK);
	CHECK_INT_EQ(clr_file_read(path, 100, &text, &missing, NULL), CL_E_LOCAL); /* NUL inside */

	CHECK_INT_EQ(clr_file_remove(path, &removed, NULL), CL_OK);
	CHECK(removed);
	CHECK_INT_EQ(clr_file_remove(path, &removed, NULL), CL_OK);
	CHECK(!removed);
	CHECK_INT_EQ(clr_file_read(path, 100, &text, &missing, NULL), CL_E_LOCAL);
	CHECK(missing);
	/* A directory in the way is an error, not a silent success. */
	snprintf(path, sizeof(path), "%s/a/b", dir);
	CHECK_INT_EQ(clr_file_read(path, 100, &text, &missing, NULL), CL_E_LOCAL);
	snprintf(path, sizeof(path), "%s/nodir/file", dir);
	CHECK_INT_EQ(clr_file_write_atomic(path, "x", 1, 0644, NULL), CL_E_LOCAL);

	char dn[16];
	CHECK_INT_EQ(clr_file_dirname("/a/b", dn, sizeof(dn)), 0);
	CHECK_STR_EQ(dn, "/a");
	CHECK_INT_EQ(clr_file_dirname("/a", dn, sizeof(dn)), 0);
	CHECK_STR_EQ(dn, "/");
	CHECK_INT_EQ(clr_file_dirname("/aaaaaaaaaaaaaaaaaaaa/b", dn, sizeof(dn)), -1);
	return check_done();
}
