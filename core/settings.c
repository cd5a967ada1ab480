/* certlink core: user settings (see settings.h). */
#include "settings.h"
#include "fileio.h"
#include "jsonfile.h"
#include "paths.h"

#include <stdlib.h>
#include <string.h>

#define SETTINGS_MAX_BYTES (64 * 1024)
#define SETTINGS_MAX_DEPTH 4

void cl_settings_defaults(struct cl_settings *s)
{
	s->notify_expired = true;
	s->notify_before = true;
	s->notify_days = 14;
	s->no_proxy = false;
	s->reuse_key = false;
	s->notify_result = true;
}

enum cl_status cl_settings_validate(const struct cl_settings *s, struct cl_error *err)
{
	if (s->notify_days < CL_SETTINGS_NOTIFY_DAYS_MIN || s->notify_days > CL_SETTINGS_NOTIFY_DAYS_MAX)
		return cl_error_set(err, CL_E_LOCAL, "notify_days must be from %d to %d days, not %d",
		                    CL_SETTINGS_NOTIFY_DAYS_MIN, CL_SETTINGS_NOTIFY_DAYS_MAX, s->notify_days);
	return CL_OK;
}

static enum cl_status from_json(const cJSON *j, struct cl_settings *s, struct cl_error *err)
{
	int64_t days = s->notify_days;

	if (!cJSON_IsObject(j))
		return cl_error_set(err, CL_E_LOCAL, "not a JSON object");
	if (cl_jsonfile_get_bool(j, "notify_expired", false, &s->notify_expired, err) != CL_OK ||
	    cl_jsonfile_get_bool(j, "notify_before", false, &s->notify_before, err) != CL_OK ||
	    cl_jsonfile_get_int(j, "notify_days", CL_SETTINGS_NOTIFY_DAYS_MIN, CL_SETTINGS_NOTIFY_DAYS_MAX,
	                        false, &days, err) != CL_OK ||
	    cl_jsonfile_get_bool(j, "no_proxy", false, &s->no_proxy, err) != CL_OK ||
	    cl_jsonfile_get_bool(j, "reuse_key", false, &s->reuse_key, err) != CL_OK ||
	    cl_jsonfile_get_bool(j, "notify_result", false, &s->notify_result, err) != CL_OK)
		return CL_E_LOCAL;
	s->notify_days = (int)days;
	return CL_OK;
}

enum cl_status cl_settings_load(struct cl_settings *s, struct cl_error *err)
{
	char *path = cl_paths_settings_file(err);
	struct cl_settings loaded;
	enum cl_status st;
	cJSON *j = NULL;

	cl_settings_defaults(s);
	if (!path)
		return CL_E_LOCAL;
	st = cl_jsonfile_load(path, SETTINGS_MAX_BYTES, SETTINGS_MAX_DEPTH, &j, err);
	if (st == CL_OK && j) {
		loaded = *s;
		st = from_json(j, &loaded, err);
		if (st == CL_OK)
			*s = loaded;
		else
			cl_error_prefix(err, "%s", path);
	}
	cJSON_Delete(j);
	free(path);
	return st;
}

enum cl_status cl_settings_save(const struct cl_settings *s, struct cl_error *err)
{
	char *dir = NULL, *path = NULL;
	enum cl_status st = CL_E_LOCAL;
	cJSON *j = NULL;

	if (cl_settings_validate(s, err) != CL_OK)
		return CL_E_LOCAL;
	dir = cl_paths_user_config_dir(err);
	path = dir ? cl_paths_settings_file(err) : NULL;
	if (!path || cl_fileio_mkdirs(dir, 0700, err) != CL_OK)
		goto out;
	j = cJSON_CreateObject();
	if (!j || !cl_jsonfile_add_bool(j, "notify_expired", s->notify_expired) ||
	    !cl_jsonfile_add_bool(j, "notify_before", s->notify_before) ||
	    !cl_jsonfile_add_int(j, "notify_days", s->notify_days) ||
	    !cl_jsonfile_add_bool(j, "no_proxy", s->no_proxy) ||
	    !cl_jsonfile_add_bool(j, "reuse_key", s->reuse_key) ||
	    !cl_jsonfile_add_bool(j, "notify_result", s->notify_result)) {
		cl_error_set(err, CL_E_LOCAL, "out of memory");
		goto out;
	}
	st = cl_jsonfile_save(path, j, 0600, SETTINGS_MAX_BYTES, err);
out:
	cJSON_Delete(j);
	free(dir);
	free(path);
	return st;
}
