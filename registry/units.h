/* certlink registry: the systemd user service and timer that run `certlink check-expiry` once a day.
 *
 * Pure functions: text out. ExecStart quoting follows systemd.service(5), "Command lines": a word with
 * white space, quotes or backslashes is double-quoted with C-style escapes inside, `%` (specifiers) is
 * written `%%` and `$` (environment substitution) `$$`.
 */
#ifndef CLR_UNITS_H
#define CLR_UNITS_H

#include <stddef.h>

#include "error.h"

/* Write `arg` as one ExecStart word into out[size]. `arg` must pass clr_desktop_check_path(). */
enum cl_status clr_units_quote(const char *arg, char *out, size_t size, struct cl_error *err);

/* Contents of certlink-check-expiry.service running `certlink_path check-expiry` (caller frees). */
enum cl_status clr_units_service(const char *certlink_path, char **out, struct cl_error *err);

/* Contents of certlink-check-expiry.timer: daily, Persistent=true, wanted by timers.target (caller frees). */
enum cl_status clr_units_timer(char **out, struct cl_error *err);

#endif
