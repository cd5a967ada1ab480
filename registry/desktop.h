/* certlink registry: the freedesktop Desktop Entry files certlink writes, and their Exec quoting.
 *
 * Pure functions: text in, text out. The quoting follows the Desktop Entry Specification, "The Exec key":
 * an argument with a reserved character is wrapped in double quotes, and inside the quotes `"`, `` ` ``, `$`
 * and `\` are escaped with a backslash; `%` is written `%%`. Because the string-value escapes (`\\` for a
 * backslash) apply before the quoting rule, a backslash inside quotes ends up as four in the file.
 */
#ifndef CLR_DESKTOP_H
#define CLR_DESKTOP_H

#include <stddef.h>

#include "error.h"

/* Every file the registry writes carries this key (ignored by desktops and by systemd, which skip X- keys);
 * unregister removes a file only when the key is there, so it never deletes what someone else wrote. */
#define CLR_MARKER_KEY      "X-Certlink-Registered-By"
#define CLR_MARKER_REGISTER "certlink register-scheme"
/* The same files built into the certlink-desktop package (registry/gen-entries.c) say so, so that
 * register-scheme and unregister-scheme leave them to the package manager. */
#define CLR_MARKER_PACKAGE "package"

/* Who writes a file: certlink register-scheme at run time, or the build for the package. */
enum clr_origin {
	CLR_ORIGIN_REGISTER,
	CLR_ORIGIN_PACKAGE,
};

/* Checks that `path` can go into an Exec line: absolute, valid UTF-8, no control characters. */
enum cl_status clr_desktop_check_path(const char *path, struct cl_error *err);

/* Nonzero when `arg` holds a character the spec reserves, so it must be quoted in Exec. */
int clr_desktop_exec_needs_quoting(const char *arg);

/* Write `arg` as one Exec argument (quoted when needed, % doubled) into out[size]. */
enum cl_status clr_desktop_exec_quote(const char *arg, char *out, size_t size, struct cl_error *err);

/* The program (first argument) of the Exec key in [Desktop Entry], unescaped and unquoted, into out[size].
 * CL_E_LOCAL when there is no Exec key or it cannot be parsed. */
enum cl_status clr_desktop_exec_program(const char *entry, char *out, size_t size, struct cl_error *err);

/* Contents of certlink-handler.desktop for the handler at `handler_path`, marked as written by `origin`
 * (caller frees with free()). */
enum cl_status clr_desktop_handler_entry(const char *handler_path, enum clr_origin origin, char **out,
                                         struct cl_error *err);

/* Contents of the autostart entry that runs `certlink check-expiry --login` (caller frees with free()). */
enum cl_status clr_desktop_autostart_entry(const char *certlink_path, enum clr_origin origin, char **out,
                                           struct cl_error *err);

/* The marker line for `origin`: CLR_MARKER_KEY "=" value "\n". */
const char *clr_desktop_marker_line(enum clr_origin origin);

/* Nonzero when `contents` has a line starting with CLR_MARKER_KEY "=" (a file certlink wrote, at run time
 * or in the package). */
int clr_desktop_has_marker(const char *contents);

/* Nonzero when `contents` carries the package's marker (CLR_MARKER_KEY "=" CLR_MARKER_PACKAGE): a file the
 * package manager owns, which register-scheme and unregister-scheme never replace or remove. */
int clr_desktop_from_package(const char *contents);

#endif
