/* certlink core: bounded JSON reading and a small JSON writer for secrets.
 *
 * Reading: cl_json_parse() caps the size, refuses nesting deeper than CL_JSON_DEPTH_MAX before cJSON sees the
 * text, and after parsing refuses duplicate member names and oversized objects. The getters check type,
 * range, UTF-8 and length (in characters) of every member a parser uses; a failure is CL_E_UNREACHABLE with
 * code "bad_reply" naming the member (the server's reply is unusable; retrying later may help).
 * cl_json_free() wipes every string before freeing, since replies carry secrets and challenges.
 *
 * Writing: struct cl_json_writer builds a request body in one buffer that is wiped on free, so a password
 * never lands in memory we cannot wipe (cJSON's printer makes copies).
 */
#ifndef CL_JSON_H
#define CL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"

#define CL_JSON_DEPTH_MAX   16
#define CL_JSON_MEMBERS_MAX 256

/* Flags for string getters. */
#define CL_JSON_REQUIRED  0x1 /* missing member is an error (else: out is "" / NULL) */
#define CL_JSON_NULLABLE  0x2 /* JSON null is accepted as absent */
#define CL_JSON_MULTILINE 0x4 /* allow \n, \r and \t (PEM, messages) */

/* Deepest nesting of [ and { in text, outside strings. Pure; tolerates any bytes. */
size_t cl_json_depth(const char *text, size_t len);

/* Parse a reply: at most max_len bytes, nesting <= CL_JSON_DEPTH_MAX, root must be an object, at most
 * CL_JSON_MEMBERS_MAX members per object, no duplicate names. Caller frees *out with cl_json_free(). */
enum cl_status cl_json_parse(const char *text, size_t len, size_t max_len, cJSON **out, struct cl_error *err);

/* Wipe all strings in the tree, then free it. Accepts NULL. */
void cl_json_free(cJSON *root);

/* Valid UTF-8 without overlongs or surrogates; *chars gets the number of code points. */
bool cl_utf8_valid(const char *s, size_t len, size_t *chars);

/* A string member with min..max characters copied into out (out_size must hold max * 4 + 1 bytes, else
 * CL_E_UNEXPECTED). Control characters are refused (except \n \r \t with CL_JSON_MULTILINE), as are C1
 * controls. *present (may be NULL) says whether a value was copied. */
enum cl_status cl_json_get_str(const cJSON *obj, const char *name, unsigned flags, size_t min, size_t max,
                               char *out, size_t out_size, bool *present, struct cl_error *err);

/* As cl_json_get_str(), into a new buffer (caller frees; wipe if secret). *out is NULL when absent. */
enum cl_status cl_json_get_strdup(const cJSON *obj, const char *name, unsigned flags, size_t min, size_t max,
                                  char **out, struct cl_error *err);

/* An integral number in [min, max]; def when absent and not required. */
enum cl_status cl_json_get_int(const cJSON *obj, const char *name, unsigned flags, long min, long max,
                               long def, long *out, struct cl_error *err);

enum cl_status cl_json_get_bool(const cJSON *obj, const char *name, unsigned flags, bool def, bool *out,
                                struct cl_error *err);

/* The member as an object (or array with want_array); *out NULL when absent and not required. */
enum cl_status cl_json_get_node(const cJSON *obj, const char *name, unsigned flags, bool want_array,
                                const cJSON **out, struct cl_error *err);

/* Check a string element of an array (or any string node) like cl_json_get_str(); what names it in errors. */
enum cl_status cl_json_check_str(const cJSON *node, const char *what, unsigned flags, size_t min, size_t max,
                                 struct cl_error *err);

/* Set CL_E_UNREACHABLE, code "bad_reply", message "the server's reply is not valid: ...". */
enum cl_status cl_json_bad(struct cl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct cl_json_writer {
	char *buf;
	size_t len, cap;
	bool failed; /* out of room, bad UTF-8 or nesting too deep: cl_json_writer_done() fails */
	int depth;
	bool first[CL_JSON_DEPTH_MAX];
};

/* Start a writer of at most cap bytes, with the root object opened. */
void cl_json_writer_init(struct cl_json_writer *w, size_t cap);
/* "name": "value" (value NULL: nothing written), "name": null, "name": 123, "name": true. */
void cl_json_write_str(struct cl_json_writer *w, const char *name, const char *value);
void cl_json_write_null(struct cl_json_writer *w, const char *name);
void cl_json_write_int(struct cl_json_writer *w, const char *name, long value);
void cl_json_write_bool(struct cl_json_writer *w, const char *name, bool value);
/* "name": { ... } */
void cl_json_write_open(struct cl_json_writer *w, const char *name);
void cl_json_write_close(struct cl_json_writer *w);
/* Close the root object. Returns the NUL-terminated text (owned by w) or NULL with err set. */
const char *cl_json_writer_done(struct cl_json_writer *w, struct cl_error *err);
/* Wipe and free. */
void cl_json_writer_free(struct cl_json_writer *w);

#endif
