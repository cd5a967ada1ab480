/* certlink registry: the systemd user service and timer that run `certlink check-expiry` once a day.
 *
 * Pure functions: text out. ExecStart quoting follows systemd.service(5), "Command lines", for the one word
 * certlink needs quoted, the executable: double quotes around white space or `;`, `%` (specifiers) written
 * `%%`, `$` as it is (environment substitution does not apply to the executable name). systemd refuses an
 * executable name with a quote or a backslash in it, so such a path is an error.
 */
#ifndef CLR_UNITS_H
#define CLR_UNITS_H

#include <stddef.h>

#include "desktop.h"
#include "error.h"

/* Write `path` as the executable word of ExecStart into out[size]. `path` must pass
 * clr_desktop_check_path(); CL_E_LOCAL when systemd cannot run it (quote or backslash). */
enum cl_status clr_units_quote_executable(const char *path, char *out, size_t size, struct cl_error *err);

/* Contents of certlink-check-expiry.service running `certlink_path check-expiry`, marked as written by
 * `origin` (caller frees). */
enum cl_status clr_units_service(const char *certlink_path, enum clr_origin origin, char **out,
                                 struct cl_error *err);

/* Contents of certlink-check-expiry.timer: daily, Persistent=true, wanted by timers.target (caller frees). */
enum cl_status clr_units_timer(enum clr_origin origin, char **out, struct cl_error *err);

#endif
