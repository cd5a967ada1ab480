/* certlink registry: systemd unit contents for the daily expiry check (see units.h). */
#include "units.h"
#include "desktop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX (2 * 4096 + 8)

enum cl_status clr_units_quote_executable(const char *path, char *out, size_t size, struct cl_error *err)
{
	int quote = strpbrk(path, " \t;") != NULL;
	size_t n = 0;

	/* systemd refuses an executable name with quotes or backslashes (string_is_safe()), quoted or not. */
	if (strpbrk(path, "\"'\\"))
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "%s: systemd cannot run a program whose path contains a quote or a backslash", path);

#define PUT(c)                                                                           \
	do {                                                                             \
		if (n + 1 >= size)                                                       \
			return cl_error_set(err, CL_E_LOCAL, "ExecStart path too long"); \
		out[n++] = (c);                                                          \
	} while (0)

	if (quote)
		PUT('"');
	for (const char *p = path; *p; p++) {
		/* Specifiers apply to the executable name; $VAR substitution does not, so `$` stays as it is.
		 */
		if (*p == '%')
			PUT('%');
		PUT(*p);
	}
	if (quote)
		PUT('"');
#undef PUT
	out[n] = '\0';
	return CL_OK;
}

/* The first line of a unit: who wrote it and how it goes away again. */
static const char *origin_comment(enum clr_origin origin)
{
	return origin == CLR_ORIGIN_PACKAGE
	           ? "# Installed by the certlink-desktop package; removing the package removes it.\n"
	           : "# Written by certlink register-scheme; certlink unregister-scheme removes it.\n";
}

enum cl_status clr_units_service(const char *certlink_path, enum clr_origin origin, char **out,
                                 struct cl_error *err)
{
	char word[WORD_MAX];
	enum cl_status st;
	int rc;

	*out = NULL;
	if ((st = clr_desktop_check_path(certlink_path, err)) ||
	    (st = clr_units_quote_executable(certlink_path, word, sizeof(word), err)))
		return st;
	rc = asprintf(out,
	              "%s"
	              "[Unit]\n"
	              "Description=certlink certificate expiry check\n"
	              "%s\n"
	              "[Service]\n"
	              "Type=oneshot\n"
	              "ExecStart=%s check-expiry\n",
	              origin_comment(origin), clr_desktop_marker_line(origin), word);
	if (rc < 0) {
		*out = NULL;
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	return CL_OK;
}

enum cl_status clr_units_timer(enum clr_origin origin, char **out, struct cl_error *err)
{
	/* Persistent: a machine that was off at the scheduled time checks at the next boot or login.
	 * RandomizedDelaySec spreads a fleet's checks so they do not all reach the server at midnight. */
	int rc = asprintf(out,
	                  "%s"
	                  "[Unit]\n"
	                  "Description=Daily certlink certificate expiry check\n"
	                  "%s\n"
	                  "[Timer]\n"
	                  "OnCalendar=daily\n"
	                  "Persistent=true\n"
	                  "RandomizedDelaySec=1h\n"
	                  "\n"
	                  "[Install]\n"
	                  "WantedBy=timers.target\n",
	                  origin_comment(origin), clr_desktop_marker_line(origin));

	if (rc < 0) {
		*out = NULL;
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	return CL_OK;
}
