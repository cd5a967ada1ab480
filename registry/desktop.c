/* certlink registry: Desktop Entry contents and Exec quoting (see desktop.h). */
#include "desktop.h"
#include "locations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Exec value is capped well below PATH_MAX * 4 (the worst quoting growth) plus the field code. */
#define EXEC_MAX (4 * 4096 + 64)

static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned char c = *s;
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

enum cl_status clr_desktop_check_path(const char *path, struct cl_error *err)
{
	if (!path || path[0] != '/')
		return cl_error_set(err, CL_E_LOCAL, "\"%s\" is not an absolute path", path ? path : "");
	if (strlen(path) >= 4096)
		return cl_error_set(err, CL_E_LOCAL, "path is too long");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return cl_error_set(err, CL_E_LOCAL, "path contains a control character");
	if (!utf8_valid((const unsigned char *)path))
		return cl_error_set(err, CL_E_LOCAL,
		                    "path is not valid UTF-8, which a .desktop file requires");
	return CL_OK;
}

int clr_desktop_exec_needs_quoting(const char *arg)
{
	/* The spec's reserved characters: space, tab, newline, " ' \ > < ~ | & ; $ * ? # ( ) and backtick. */
	return arg[0] == '\0' || strpbrk(arg, " \t\n\"'\\><~|&;$*?#()`") != NULL;
}

enum cl_status clr_desktop_exec_quote(const char *arg, char *out, size_t size, struct cl_error *err)
{
	int quote = clr_desktop_exec_needs_quoting(arg);
	size_t n = 0;

#define PUT(c)                                                                          \
	do {                                                                            \
		if (n + 1 >= size)                                                      \
			return cl_error_set(err, CL_E_LOCAL, "Exec argument too long"); \
		out[n++] = (c);                                                         \
	} while (0)

	if (quote)
		PUT('"');
	for (const char *p = arg; *p; p++) {
		switch (*p) {
		case '%':
			PUT('%');
			PUT('%');
			break;
		case '\\':
			/* quoting level "\\", then string level doubles each backslash */
			PUT('\\');
			PUT('\\');
			PUT('\\');
			PUT('\\');
			break;
		case '"':
		case '`':
		case '$':
			/* quoting level "\x"; the backslash doubles at the string level */
			PUT('\\');
			PUT('\\');
			PUT(*p);
			break;
		default:
			PUT(*p);
		}
	}
	if (quote)
		PUT('"');
#undef PUT
	out[n] = '\0';
	return CL_OK;
}

/* Undo the string-value escapes (\s \n \t \r \\) in place. */
static void unescape_string(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 's':
			*w++ = ' ';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'r':
			*w++ = '\r';
			break;
		default:
			/* "\\" gives "\"; an unknown escape is kept as written */
			if (*r != '\\')
				*w++ = '\\';
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Find "Key=" in [Desktop Entry] and copy its raw value into out[size]; 0 when found. */
static int entry_value(const char *entry, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	int in_group = 0;

	for (const char *line = entry; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t len = strcspn(line, "\n");
		const char *p = line + klen;

		if (line[0] == '[') {
			in_group =
			    len == strlen("[Desktop Entry]") && strncmp(line, "[Desktop Entry]", len) == 0;
			continue;
		}
		if (!in_group || strncmp(line, key, klen) != 0)
			continue;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, "\n");
		if (len >= size)
			return -1;
		memcpy(out, p, len);
		out[len] = '\0';
		return 0;
	}
	return -1;
}

enum cl_status clr_desktop_exec_program(const char *entry, char *out, size_t size, struct cl_error *err)
{
	char *value = malloc(EXEC_MAX);
	const char *r;
	size_t n = 0;
	enum cl_status st = CL_OK;

	if (!value)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (entry_value(entry, "Exec", value, EXEC_MAX) < 0) {
		st = cl_error_set(err, CL_E_LOCAL, "no Exec key in [Desktop Entry]");
		goto out;
	}
	unescape_string(value);
	r = value;
	if (*r == '"') {
		for (r++; *r && *r != '"'; r++) {
			if (*r == '\\' && r[1] && strchr("\"`$\\", r[1]))
				r++;
			if (n + 1 >= size)
				goto too_long;
			out[n++] = *r;
			if (*r == '%' && r[1] == '%')
				r++;
		}
		if (*r != '"') {
			st = cl_error_set(err, CL_E_LOCAL, "unterminated quote in Exec");
			goto out;
		}
	} else {
		for (; *r && *r != ' ' && *r != '\t'; r++) {
			if (n + 1 >= size)
				goto too_long;
			out[n++] = *r;
			if (*r == '%' && r[1] == '%')
				r++;
		}
	}
	out[n] = '\0';
	if (n == 0)
		st = cl_error_set(err, CL_E_LOCAL, "empty Exec program");
	goto out;
too_long:
	st = cl_error_set(err, CL_E_LOCAL, "Exec program too long");
out:
	free(value);
	return st;
}

static enum cl_status alloc_failed(char **out, int rc, struct cl_error *err)
{
	if (rc >= 0)
		return CL_OK;
	*out = NULL;
	return cl_error_set(err, CL_E_LOCAL, "out of memory");
}

const char *clr_desktop_marker_line(enum clr_origin origin)
{
	return origin == CLR_ORIGIN_PACKAGE ? CLR_MARKER_KEY "=" CLR_MARKER_PACKAGE "\n"
	                                    : CLR_MARKER_KEY "=" CLR_MARKER_REGISTER "\n";
}

enum cl_status clr_desktop_handler_entry(const char *handler_path, enum clr_origin origin, char **out,
                                         struct cl_error *err)
{
	char exec[EXEC_MAX];
	enum cl_status st;
	int rc;

	*out = NULL;
	if ((st = clr_desktop_check_path(handler_path, err)) ||
	    (st = clr_desktop_exec_quote(handler_path, exec, sizeof(exec), err)))
		return st;
	/* NoDisplay: the handler is started by links, not from the application menu. */
	rc = asprintf(out,
	              "[Desktop Entry]\n"
	              "Type=Application\n"
	              "Version=1.4\n"
	              "Name=certlink Certificate Enrollment\n"
	              "Name[ja]=certlink 証明書の登録\n"
	              "Comment=Enroll a certificate from a certlink:// invitation link\n"
	              "Comment[ja]=certlink:// 招待リンクから証明書を登録します\n"
	              "Exec=%s %%u\n"
	              "Icon=certlink\n"
	              "Terminal=false\n"
	              "NoDisplay=true\n"
	              "MimeType=" CLR_SCHEME_MIME ";\n"
	              "Categories=Settings;Security;\n"
	              "%s",
	              exec, clr_desktop_marker_line(origin));
	return alloc_failed(out, rc, err);
}

enum cl_status clr_desktop_autostart_entry(const char *certlink_path, enum clr_origin origin, char **out,
                                           struct cl_error *err)
{
	char exec[EXEC_MAX];
	enum cl_status st;
	int rc;

	*out = NULL;
	if ((st = clr_desktop_check_path(certlink_path, err)) ||
	    (st = clr_desktop_exec_quote(certlink_path, exec, sizeof(exec), err)))
		return st;
	/* Visible in the desktop's "startup applications" settings, so a person can switch it off there. */
	rc = asprintf(out,
	              "[Desktop Entry]\n"
	              "Type=Application\n"
	              "Version=1.4\n"
	              "Name=certlink Certificate Expiry Check\n"
	              "Name[ja]=certlink 証明書の有効期限の確認\n"
	              "Comment=Warn at login about certificates that expire soon\n"
	              "Comment[ja]=ログイン時に期限が近い証明書を知らせます\n"
	              "Exec=%s check-expiry --login\n"
	              "Icon=certlink\n"
	              "Terminal=false\n"
	              "%s",
	              exec, clr_desktop_marker_line(origin));
	return alloc_failed(out, rc, err);
}

/* The value of the first marker line, or NULL. */
static const char *marker_value(const char *contents)
{
	static const char key[] = CLR_MARKER_KEY "=";

	for (const char *line = contents; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, key, sizeof(key) - 1) == 0)
			return line + sizeof(key) - 1;
	return NULL;
}

int clr_desktop_has_marker(const char *contents)
{
	return marker_value(contents) != NULL;
}

int clr_desktop_from_package(const char *contents)
{
	const char *v = marker_value(contents);
	size_t len = strlen(CLR_MARKER_PACKAGE);

	return v && strncmp(v, CLR_MARKER_PACKAGE, len) == 0 &&
	       (v[len] == '\n' || v[len] == '\r' || v[len] == '\0');
}
