/* certlink core: per-application secret files (see secret.h). */
#include "secret.h"
#include "fileio.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_token(const char *s, size_t max, bool upper_ok)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      (upper_ok && ((c >= 'A' && c <= 'Z') || c == '_'))))
			return false;
	}
	return n >= 1 && n <= max;
}

/* The pending directory (created when CREATE) and, when NAME is set, the secret's path in it. */
static char *secret_path(enum cl_store_kind kind, const char *app_id, const char *name, bool create,
                         struct cl_error *err)
{
	char *store = NULL, *dir = NULL, *out = NULL, file[128];

	if (!valid_token(app_id, 64, true)) {
		cl_error_set(err, CL_E_UNEXPECTED, "invalid application id for a secret");
		return NULL;
	}
	if (name && !valid_token(name, 32, false)) {
		cl_error_set(err, CL_E_UNEXPECTED, "invalid secret name");
		return NULL;
	}
	store = cl_paths_store_dir(kind, err);
	dir = store ? cl_paths_pending_dir(kind, err) : NULL;
	if (!dir)
		goto out;
	if (create && (cl_fileio_mkdirs(store, cl_paths_store_dir_mode(kind), err) != CL_OK ||
	               cl_fileio_private_dir(dir, err) != CL_OK))
		goto out;
	if (!name) {
		out = dir;
		dir = NULL;
		goto out;
	}
	snprintf(file, sizeof(file), "%s.%s", app_id, name);
	out = cl_paths_join(dir, file, err);
out:
	free(store);
	free(dir);
	return out;
}

enum cl_status cl_secret_put(enum cl_store_kind kind, const char *app_id, const char *name, const void *data,
                             size_t len, struct cl_error *err)
{
	char *path;
	enum cl_status st;

	if (len > CL_SECRET_MAX)
		return cl_error_set(err, CL_E_LOCAL, "secret %s is too large (%zu bytes)", name, len);
	path = secret_path(kind, app_id, name, true, err);
	if (!path)
		return err ? err->status : CL_E_LOCAL;
	st = cl_fileio_replace(path, data, len, 0600, err);
	free(path);
	return st;
}

enum cl_status cl_secret_get(enum cl_store_kind kind, const char *app_id, const char *name, char **out,
                             size_t *len, struct cl_error *err)
{
	char *path = secret_path(kind, app_id, name, false, err);
	enum cl_status st;

	*out = NULL;
	if (!path)
		return err ? err->status : CL_E_LOCAL;
	st = cl_fileio_read_optional(path, CL_SECRET_MAX, out, len, err);
	if (st == CL_OK && !*out) {
		st = cl_error_set(err, CL_E_LOCAL, "the %s of application %s is missing (%s)", name, app_id,
		                  path);
		cl_error_set_code(err, "missing");
	}
	free(path);
	return st;
}

bool cl_secret_exists(enum cl_store_kind kind, const char *app_id, const char *name)
{
	char *path = secret_path(kind, app_id, name, false, NULL);
	bool found = path && cl_fileio_exists(path);

	free(path);
	return found;
}

enum cl_status cl_secret_delete(enum cl_store_kind kind, const char *app_id, const char *name,
                                struct cl_error *err)
{
	char *path = secret_path(kind, app_id, name, false, err);
	enum cl_status st;

	if (!path)
		return err ? err->status : CL_E_LOCAL;
	st = cl_fileio_delete_secret(path, err);
	free(path);
	return st;
}

/* "APP.NAME" or a replace temp ".APP.NAME.tmp-XXXXXX" of this application. */
static bool belongs_to(const char *entry, const char *app_id)
{
	size_t n = strlen(app_id);

	if (entry[0] == '.')
		entry++;
	return strncmp(entry, app_id, n) == 0 && entry[n] == '.';
}

enum cl_status cl_secret_delete_all(enum cl_store_kind kind, const char *app_id, struct cl_error *err)
{
	char *dir = secret_path(kind, app_id, NULL, false, err), *path;
	enum cl_status st = CL_OK;
	struct dirent *de;
	DIR *d;

	if (!dir)
		return err ? err->status : CL_E_LOCAL;
	d = opendir(dir);
	if (!d) {
		free(dir);
		return CL_OK; /* no pending directory: nothing to remove */
	}
	while ((de = readdir(d)) != NULL) {
		if (!belongs_to(de->d_name, app_id))
			continue;
		path = cl_paths_join(dir, de->d_name, err);
		if (!path || cl_fileio_delete_secret(path, err) != CL_OK)
			st = CL_E_LOCAL;
		free(path);
	}
	closedir(d);
	free(dir);
	return st;
}

void cl_secret_free(char *buf, size_t len)
{
	cl_fileio_free_secret(buf, len);
}
