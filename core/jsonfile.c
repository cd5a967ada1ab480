/* certlink core: capped JSON files (see jsonfile.h). */
#include "jsonfile.h"
#include "fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cl_jsonfile_depth(const char *buf, size_t len, int limit)
{
	int depth = 0, deepest = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (c == '\\')
				i++; /* the escaped character cannot end the string */
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > deepest)
				deepest = depth;
			if (deepest > limit)
				return limit + 1;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

cJSON *cl_jsonfile_parse(const char *buf, size_t len, int max_depth, const char *what, struct cl_error *err)
{
	const char *end = NULL;
	cJSON *json;

	if (memchr(buf, '\0', len)) {
		cl_error_set(err, CL_E_LOCAL, "%s: not JSON text (contains a NUL byte)", what);
		return NULL;
	}
	if (cl_jsonfile_depth(buf, len, max_depth) > max_depth) {
		cl_error_set(err, CL_E_LOCAL, "%s: JSON nested deeper than %d levels", what, max_depth);
		return NULL;
	}
	json = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!json) {
		cl_error_set(err, CL_E_LOCAL, "%s: invalid JSON near byte %zu", what,
		             end && end >= buf ? (size_t)(end - buf) : (size_t)0);
		return NULL;
	}
	while (end && (size_t)(end - buf) < len && strchr(" \t\r\n", *end))
		end++;
	if (end && (size_t)(end - buf) < len) {
		cl_error_set(err, CL_E_LOCAL, "%s: unexpected text after the JSON value at byte %zu", what,
		             (size_t)(end - buf));
		cJSON_Delete(json);
		return NULL;
	}
	return json;
}

enum cl_status cl_jsonfile_load(const char *path, size_t max_bytes, int max_depth, cJSON **out,
                                struct cl_error *err)
{
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if (cl_fileio_read_optional(path, max_bytes, &buf, &len, err) != CL_OK)
		return CL_E_LOCAL;
	if (!buf)
		return CL_OK;
	*out = cl_jsonfile_parse(buf, len, max_depth, path, err);
	free(buf);
	return *out ? CL_OK : CL_E_LOCAL;
}

enum cl_status cl_jsonfile_save(const char *path, const cJSON *json, mode_t mode, size_t max_bytes,
                                struct cl_error *err)
{
	enum cl_status st;
	char *text = cJSON_Print(json);
	size_t len;

	if (!text)
		return cl_error_set(err, CL_E_LOCAL, "out of memory printing %s", path);
	len = strlen(text);
	if (len + 1 > max_bytes) {
		free(text);
		return cl_error_set(err, CL_E_LOCAL, "%s would be %zu bytes, over its limit of %zu", path,
		                    len + 1, max_bytes);
	}
	text[len] = '\n'; /* replaces the NUL: the file is text with a final newline */
	st = cl_fileio_replace(path, text, len + 1, mode, err);
	free(text);
	return st;
}

/* NULL when absent or null; the member otherwise. */
static const cJSON *member(const cJSON *obj, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

	return m && !cJSON_IsNull(m) ? m : NULL;
}

static enum cl_status missing(const char *name, bool required, struct cl_error *err)
{
	if (required)
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" is missing", name);
	return CL_OK;
}

enum cl_status cl_jsonfile_get_string(const cJSON *obj, const char *name, size_t max, bool required,
                                      char **out, struct cl_error *err)
{
	const cJSON *m = member(obj, name);
	size_t len;
	char *copy;

	if (!m)
		return missing(name, required, err);
	if (!cJSON_IsString(m) || !m->valuestring)
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" must be a string", name);
	len = strlen(m->valuestring);
	if (len > max)
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" is longer than %zu bytes", name, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m->valuestring[i];

		if (c < 0x20 || c == 0x7f)
			return cl_error_set(err, CL_E_LOCAL, "member \"%s\" contains a control character",
			                    name);
	}
	copy = strdup(m->valuestring);
	if (!copy)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	free(*out);
	*out = copy;
	return CL_OK;
}

enum cl_status cl_jsonfile_get_int(const cJSON *obj, const char *name, int64_t min, int64_t max,
                                   bool required, int64_t *out, struct cl_error *err)
{
	const cJSON *m = member(obj, name);
	double v;

	if (!m)
		return missing(name, required, err);
	if (!cJSON_IsNumber(m))
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" must be a number", name);
	v = m->valuedouble;
	/* NaN fails both comparisons; the cast round trip rejects fractions. */
	if (!(v >= (double)min && v <= (double)max) || (double)(int64_t)v != v)
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" must be a whole number from %lld to %lld",
		                    name, (long long)min, (long long)max);
	*out = (int64_t)v;
	return CL_OK;
}

enum cl_status cl_jsonfile_get_bool(const cJSON *obj, const char *name, bool required, bool *out,
                                    struct cl_error *err)
{
	const cJSON *m = member(obj, name);

	if (!m)
		return missing(name, required, err);
	if (!cJSON_IsBool(m))
		return cl_error_set(err, CL_E_LOCAL, "member \"%s\" must be true or false", name);
	*out = cJSON_IsTrue(m);
	return CL_OK;
}

enum cl_status cl_jsonfile_get_time(const cJSON *obj, const char *name, bool required, int64_t *out,
                                    struct cl_error *err)
{
	const cJSON *m = member(obj, name);

	if (!m)
		return missing(name, required, err);
	if (!cJSON_IsString(m) || !m->valuestring || !cl_jsonfile_parse_time(m->valuestring, out))
		return cl_error_set(err, CL_E_LOCAL,
		                    "member \"%s\" must be a UTC time like 2026-11-25T10:00:00Z", name);
	return CL_OK;
}

bool cl_jsonfile_add_string(cJSON *obj, const char *name, const char *value)
{
	if (!value)
		return true;
	return cJSON_AddStringToObject(obj, name, value) != NULL;
}

bool cl_jsonfile_add_int(cJSON *obj, const char *name, int64_t value)
{
	return cJSON_AddNumberToObject(obj, name, (double)value) != NULL;
}

bool cl_jsonfile_add_bool(cJSON *obj, const char *name, bool value)
{
	return cJSON_AddBoolToObject(obj, name, value) != NULL;
}

bool cl_jsonfile_add_time(cJSON *obj, const char *name, int64_t t)
{
	char buf[21];

	if (t == 0)
		return cJSON_AddNullToObject(obj, name) != NULL;
	cl_jsonfile_format_time(t, buf);
	return cJSON_AddStringToObject(obj, name, buf) != NULL;
}

void cl_jsonfile_format_time(int64_t t, char out[21])
{
	time_t tt = (time_t)t;
	char buf[80];
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		strcpy(out, "1970-01-01T00:00:00Z");
		return;
	}
	/* The range check above makes this exactly 20 characters; buf's size keeps the compiler sure of it.
	 */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, buf, 20);
	out[20] = '\0';
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool cl_jsonfile_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	struct tm tm = { 0 };
	char check[21];
	time_t t;

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalizes 2026-02-30 to March: a round trip catches impossible dates. */
	cl_jsonfile_format_time((int64_t)t, check);
	if (strcmp(check, s) != 0)
		return false;
	*out = (int64_t)t;
	return true;
}
