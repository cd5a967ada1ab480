/* certlink core: JSON documents on disk, read with caps and written atomically.
 *
 * Local state files (records, settings, results) can be edited or damaged by anyone with access to the
 * account, so they are parsed like untrusted input: size-capped before reading, nesting depth checked
 * before cJSON sees the text, every member type-checked and string-length-capped on the way out.
 */
#ifndef CL_JSONFILE_H
#define CL_JSONFILE_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Parse LEN bytes as exactly one JSON value. Refuses NUL bytes, trailing garbage and nesting deeper than
 * MAX_DEPTH (checked by a scan before parsing, so deep input never reaches cJSON's recursion). WHAT names
 * the input in messages. Returns a tree (free with cJSON_Delete) or NULL with err set (CL_E_LOCAL). */
cJSON *cl_jsonfile_parse(const char *buf, size_t len, int max_depth, const char *what, struct cl_error *err);

/* The deepest nesting of arrays/objects in BUF (strings and escapes respected); stops counting once
 * past LIMIT and returns LIMIT + 1. */
int cl_jsonfile_depth(const char *buf, size_t len, int limit);

/* Read PATH (at most MAX_BYTES) and parse it. A missing file is CL_OK with *out == NULL. */
enum cl_status cl_jsonfile_load(const char *path, size_t max_bytes, int max_depth, cJSON **out,
                                struct cl_error *err);

/* Print JSON (formatted, trailing newline) and replace PATH atomically with MODE. Refuses to write more
 * than MAX_BYTES, so a saved file can always be loaded again. */
enum cl_status cl_jsonfile_save(const char *path, const cJSON *json, mode_t mode, size_t max_bytes,
                                struct cl_error *err);

/* Typed members of OBJ. A missing member or JSON null leaves *out at its default and is CL_OK unless
 * REQUIRED; a member of the wrong type, a string longer than MAX bytes or containing control characters,
 * or a number out of range is CL_E_LOCAL naming the member. */
enum cl_status cl_jsonfile_get_string(const cJSON *obj, const char *name, size_t max, bool required,
                                      char **out, struct cl_error *err);
enum cl_status cl_jsonfile_get_int(const cJSON *obj, const char *name, int64_t min, int64_t max,
                                   bool required, int64_t *out, struct cl_error *err);
enum cl_status cl_jsonfile_get_bool(const cJSON *obj, const char *name, bool required, bool *out,
                                    struct cl_error *err);
/* An RFC 3339 UTC time string (see cl_jsonfile_parse_time) as Unix time. */
enum cl_status cl_jsonfile_get_time(const cJSON *obj, const char *name, bool required, int64_t *out,
                                    struct cl_error *err);

/* Add NAME: VALUE to OBJ, skipping a NULL string. Return false when out of memory. */
bool cl_jsonfile_add_string(cJSON *obj, const char *name, const char *value);
bool cl_jsonfile_add_int(cJSON *obj, const char *name, int64_t value);
bool cl_jsonfile_add_bool(cJSON *obj, const char *name, bool value);
/* Adds the time as RFC 3339 UTC; 0 means "never" and adds null. */
bool cl_jsonfile_add_time(cJSON *obj, const char *name, int64_t t);

/* RFC 3339 UTC ("2026-11-25T10:00:00Z") to and from Unix time. Format writes 21 bytes including the NUL;
 * parse accepts exactly that shape and returns false for anything else. */
void cl_jsonfile_format_time(int64_t t, char out[21]);
bool cl_jsonfile_parse_time(const char *s, int64_t *out);

#endif
