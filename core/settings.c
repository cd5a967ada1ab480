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

/* Apply the members of the file at PATH on top of S; S is unchanged when the file is damaged. */
static enum cl_status apply_file(const char *path, struct cl_settings *s, struct cl_error *err)
{
	struct cl_settings loaded = *s;
	enum cl_status st;
	cJSON *j = NULL;

	st = cl_jsonfile_load(path, SETTINGS_MAX_BYTES, SETTINGS_MAX_DEPTH, &j, err);
	if (st == CL_OK && j) {
		st = from_json(j, &loaded, err);
		if (st == CL_OK)
			*s = loaded;
		else
			cl_error_prefix(err, "%s", path);
	}
	cJSON_Delete(j);
	return st;
}

enum cl_status cl_settings_load_system(struct cl_settings *s, struct cl_error *err)
{
	char *path = cl_paths_system_settings_file(err);
	enum cl_status st;

	cl_settings_defaults(s);
	if (!path)
		return CL_E_LOCAL;
	st = apply_file(path, s, err);
	free(path);
	return st;
}

/* Can this process have a settings file of its own? A system service runs without HOME; then only the
 * administrator's presets apply, and that is not an error. */
static bool has_user_config(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	return (xdg && xdg[0] == '/') || (home && home[0] == '/');
}

enum cl_status cl_settings_load(struct cl_settings *s, struct cl_error *err)
{
	enum cl_status st = cl_settings_load_system(s, err), ust;
	struct cl_error uerr;
	char *path;

	if (!has_user_config())
		return st;
	cl_error_clear(&uerr);
	path = cl_paths_settings_file(&uerr);
	ust = path ? apply_file(path, s, &uerr) : CL_E_LOCAL;
	free(path);
	/* Report the first damaged layer; the other still applies. */
	if (st == CL_OK && ust != CL_OK) {
		if (err)
			*err = uerr;
		st = ust;
	}
	return st;
}

enum cl_status cl_settings_renewal_password_file(char **out, struct cl_error *err)
{
	char *path = cl_paths_system_settings_file(err), *value = NULL;
	enum cl_status st;
	cJSON *j = NULL;

	*out = NULL;
	if (!path)
		return CL_E_LOCAL;
	st = cl_jsonfile_load(path, SETTINGS_MAX_BYTES, SETTINGS_MAX_DEPTH, &j, err);
	if (st == CL_OK && j &&
	    cl_jsonfile_get_string(j, "renewal_password_file", 4095, false, &value, err) != CL_OK)
		st = CL_E_LOCAL;
	if (st == CL_OK && value && value[0] != '/')
		st = cl_error_set(err, CL_E_LOCAL,
		                  "renewal_password_file must be an absolute path, not \"%.64s\"", value);
	if (st == CL_OK) {
		*out = value;
		value = NULL;
	} else {
		cl_error_prefix(err, "%s", path);
	}
	free(value);
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
