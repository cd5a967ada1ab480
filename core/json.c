/* certlink core: bounded JSON reading and a wiping JSON writer (see json.h). */
#include "json.h"

#include <libintl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

enum cl_status cl_json_bad(struct cl_error *err, const char *fmt, ...)
{
	char detail[CL_ERROR_MSG_MAX - 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), dgettext("certlink", fmt), ap); /* translated like core/error.c */
	va_end(ap);
	cl_error_set(err, CL_E_UNREACHABLE, "the server's reply is not valid: %s", detail);
	cl_error_set_code(err, "bad_reply");
	return CL_E_UNREACHABLE;
}

/* One pass over the raw text: nesting depth outside strings, raw control characters (JSON forbids them in
 * strings, and outside strings only \t \n \r are white space) and \u0000 (cJSON would cut the string). */
static bool scan(const char *t, size_t len, size_t *max_depth)
{
	size_t depth = 0;
	bool in_str = false;

	*max_depth = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20 && (in_str || (c != '\t' && c != '\n' && c != '\r')))
			return false;
		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				if (t[i + 1] == 'u' && i + 5 < len && strncmp(t + i + 2, "0000", 4) == 0)
					return false;
				i++;
			} else if (c == '"') {
				in_str = false;
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > *max_depth)
				*max_depth = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

size_t cl_json_depth(const char *text, size_t len)
{
	size_t depth;

	scan(text, len, &depth);
	return depth;
}

/* After parsing: depth again (belt and braces), member counts and duplicate names. */
static enum cl_status check_tree(const cJSON *node, int depth, struct cl_error *err)
{
	int members = 0;

	if (depth > CL_JSON_DEPTH_MAX)
		return cl_json_bad(err, "nested deeper than %d levels", CL_JSON_DEPTH_MAX);
	for (const cJSON *c = node->child; c; c = c->next) {
		if (++members > CL_JSON_MEMBERS_MAX)
			return cl_json_bad(err, "more than %d members in one object or array",
			                   CL_JSON_MEMBERS_MAX);
		if (cJSON_IsObject(node))
			for (const cJSON *d = node->child; d != c; d = d->next)
				if (d->string && c->string && strcmp(d->string, c->string) == 0)
					return cl_json_bad(err, "member \"%.64s\" appears twice", c->string);
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && check_tree(c, depth + 1, err) != CL_OK)
			return CL_E_UNREACHABLE;
	}
	return CL_OK;
}

static bool only_space(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return true;
}

enum cl_status cl_json_parse(const char *text, size_t len, size_t max_len, cJSON **out, struct cl_error *err)
{
	const char *end = NULL;
	size_t depth;
	cJSON *root;

	*out = NULL;
	if (!text || len == 0)
		return cl_json_bad(err, "empty");
	if (len > max_len)
		return cl_json_bad(err, "larger than %zu bytes", max_len);
	if (!scan(text, len, &depth))
		return cl_json_bad(err, "control character or NUL in the JSON text");
	if (depth > CL_JSON_DEPTH_MAX)
		return cl_json_bad(err, "nested deeper than %d levels", CL_JSON_DEPTH_MAX);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root || !end || !only_space(end, text + len)) {
		cl_json_free(root);
		return cl_json_bad(err, "not JSON");
	}
	if (!cJSON_IsObject(root) || check_tree(root, 1, err) != CL_OK) {
		if (!cJSON_IsObject(root))
			cl_json_bad(err, "not a JSON object");
		cl_json_free(root);
		return CL_E_UNREACHABLE;
	}
	*out = root;
	return CL_OK;
}

static void wipe_tree(cJSON *node)
{
	for (; node; node = node->next) {
		if (node->valuestring)
			OPENSSL_cleanse(node->valuestring, strlen(node->valuestring));
		if (node->string)
			OPENSSL_cleanse(node->string, strlen(node->string));
		wipe_tree(node->child);
	}
}

void cl_json_free(cJSON *root)
{
	if (!root)
		return;
	wipe_tree(root->child);
	if (root->valuestring)
		OPENSSL_cleanse(root->valuestring, strlen(root->valuestring));
	cJSON_Delete(root);
}

/* Length of the UTF-8 sequence starting with byte c and its smallest code point; 0 if c cannot start one. */
static size_t utf8_seq(unsigned char c, unsigned *min)
{
	if (c < 0x80)
		return *min = 0, 1;
	if (c >= 0xc2 && c <= 0xdf)
		return *min = 0x80, 2;
	if (c >= 0xe0 && c <= 0xef)
		return *min = 0x800, 3;
	if (c >= 0xf0 && c <= 0xf4)
		return *min = 0x10000, 4;
	return 0;
}

bool cl_utf8_valid(const char *s, size_t len, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (size_t i = 0; i < len; n++) {
		unsigned min, cp;
		size_t k = utf8_seq(p[i], &min);

		if (k == 0 || i + k > len)
			return false;
		cp = k == 1 ? p[i] : p[i] & (0x7f >> k);
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	if (chars)
		*chars = n;
	return true;
}

static bool has_controls(const char *s, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		bool space = *p == '\n' || *p == '\r' || *p == '\t';

		if ((*p < 0x20 && !(space && (flags & CL_JSON_MULTILINE))) || *p == 0x7f)
			return true;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls U+0080-U+009F */
			return true;
	}
	return false;
}

enum cl_status cl_json_check_str(const cJSON *node, const char *what, unsigned flags, size_t min, size_t max,
                                 struct cl_error *err)
{
	size_t chars;

	if (!cJSON_IsString(node) || !node->valuestring)
		return cl_json_bad(err, "%s is not a string", what);
	if (!cl_utf8_valid(node->valuestring, strlen(node->valuestring), &chars))
		return cl_json_bad(err, "%s is not valid UTF-8", what);
	if (has_controls(node->valuestring, flags))
		return cl_json_bad(err, "%s contains a control character", what);
	if (chars < min || chars > max)
		return cl_json_bad(err, "%s must be %zu to %zu characters long, not %zu", what, min, max,
		                   chars);
	return CL_OK;
}

/* The member, or NULL when it is absent (or null and nullable); an error when required and absent. */
static enum cl_status member(const cJSON *obj, const char *name, unsigned flags, const cJSON **node,
                             struct cl_error *err)
{
	*node = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (*node && cJSON_IsNull(*node) && (flags & CL_JSON_NULLABLE))
		*node = NULL;
	if (!*node && (flags & CL_JSON_REQUIRED))
		return cl_json_bad(err, "member \"%s\" is missing", name);
	return CL_OK;
}

enum cl_status cl_json_get_str(const cJSON *obj, const char *name, unsigned flags, size_t min, size_t max,
                               char *out, size_t out_size, bool *present, struct cl_error *err)
{
	const cJSON *node;
	char what[96];

	if (present)
		*present = false;
	if (out_size < max * 4 + 1 || out_size == 0)
		return cl_error_set(err, CL_E_UNEXPECTED, "buffer too small for member \"%s\"", name);
	out[0] = '\0';
	if (member(obj, name, flags, &node, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!node)
		return CL_OK;
	snprintf(what, sizeof(what), "member \"%s\"", name);
	if (cl_json_check_str(node, what, flags, min, max, err) != CL_OK)
		return CL_E_UNREACHABLE;
	memcpy(out, node->valuestring, strlen(node->valuestring) + 1);
	if (present)
		*present = true;
	return CL_OK;
}

enum cl_status cl_json_get_strdup(const cJSON *obj, const char *name, unsigned flags, size_t min, size_t max,
                                  char **out, struct cl_error *err)
{
	const cJSON *node;
	char what[96];

	*out = NULL;
	if (member(obj, name, flags, &node, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!node)
		return CL_OK;
	snprintf(what, sizeof(what), "member \"%s\"", name);
	if (cl_json_check_str(node, what, flags, min, max, err) != CL_OK)
		return CL_E_UNREACHABLE;
	*out = strdup(node->valuestring);
	if (!*out)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	return CL_OK;
}

enum cl_status cl_json_get_int(const cJSON *obj, const char *name, unsigned flags, long min, long max,
                               long def, long *out, struct cl_error *err)
{
	const cJSON *node;
	double v;

	*out = def;
	if (member(obj, name, flags, &node, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!node)
		return CL_OK;
	v = node->valuedouble;
	if (!cJSON_IsNumber(node) || !isfinite(v) || v != floor(v))
		return cl_json_bad(err, "member \"%s\" is not an integer", name);
	if (v < (double)min || v > (double)max)
		return cl_json_bad(err, "member \"%s\" must be %ld to %ld", name, min, max);
	*out = (long)v;
	return CL_OK;
}

enum cl_status cl_json_get_bool(const cJSON *obj, const char *name, unsigned flags, bool def, bool *out,
                                struct cl_error *err)
{
	const cJSON *node;

	*out = def;
	if (member(obj, name, flags, &node, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!node)
		return CL_OK;
	if (!cJSON_IsBool(node))
		return cl_json_bad(err, "member \"%s\" is not true or false", name);
	*out = cJSON_IsTrue(node);
	return CL_OK;
}

enum cl_status cl_json_get_node(const cJSON *obj, const char *name, unsigned flags, bool want_array,
                                const cJSON **out, struct cl_error *err)
{
	if (member(obj, name, flags, out, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (*out && (want_array ? !cJSON_IsArray(*out) : !cJSON_IsObject(*out))) {
		*out = NULL;
		return cl_json_bad(err, "member \"%s\" is not %s", name,
		                   want_array ? "an array" : "an object");
	}
	return CL_OK;
}

/* ---- writer ---- */

static void put(struct cl_json_writer *w, const char *s, size_t n)
{
	if (w->failed || n > w->cap - w->len - 1) {
		w->failed = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void put_string(struct cl_json_writer *w, const char *s)
{
	char esc[8];

	if (!cl_utf8_valid(s, strlen(s), NULL)) {
		w->failed = true;
		return;
	}
	put(w, "\"", 1);
	for (; *s && !w->failed; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		} else {
			put(w, s, 1);
		}
	}
	put(w, "\"", 1);
	OPENSSL_cleanse(esc, sizeof(esc));
}

static void put_key(struct cl_json_writer *w, const char *name)
{
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	put_string(w, name);
	put(w, ":", 1);
}

void cl_json_writer_init(struct cl_json_writer *w, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = malloc(cap);
	w->cap = cap;
	w->failed = !w->buf || cap < 3;
	w->first[0] = true;
	put(w, "{", 1);
}

void cl_json_write_str(struct cl_json_writer *w, const char *name, const char *value)
{
	if (!value)
		return;
	put_key(w, name);
	put_string(w, value);
}

void cl_json_write_null(struct cl_json_writer *w, const char *name)
{
	put_key(w, name);
	put(w, "null", 4);
}

void cl_json_write_int(struct cl_json_writer *w, const char *name, long value)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%ld", value);

	put_key(w, name);
	put(w, num, (size_t)n);
}

void cl_json_write_bool(struct cl_json_writer *w, const char *name, bool value)
{
	put_key(w, name);
	put(w, value ? "true" : "false", value ? 4 : 5);
}

void cl_json_write_open(struct cl_json_writer *w, const char *name)
{
	put_key(w, name);
	put(w, "{", 1);
	if (w->depth + 1 >= CL_JSON_DEPTH_MAX) {
		w->failed = true;
		return;
	}
	w->first[++w->depth] = true;
}

void cl_json_write_close(struct cl_json_writer *w)
{
	put(w, "}", 1);
	if (w->depth == 0)
		w->failed = true;
	else
		w->depth--;
}

const char *cl_json_writer_done(struct cl_json_writer *w, struct cl_error *err)
{
	if (w->depth != 0)
		w->failed = true;
	put(w, "}", 1);
	if (w->failed) {
		cl_error_set(err, CL_E_LOCAL, "request body: invalid UTF-8 or larger than %zu bytes", w->cap);
		return NULL;
	}
	return w->buf;
}

void cl_json_writer_free(struct cl_json_writer *w)
{
	if (w->buf)
		OPENSSL_clear_free(w->buf, w->cap);
	memset(w, 0, sizeof(*w));
}
