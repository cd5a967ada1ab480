/* certlink registry: running the freedesktop helpers (update-desktop-database, xdg-mime, systemctl).
 *
 * posix_spawn, never a shell: the argument vector goes to the program as it is. The child gets stdin from
 * /dev/null and a clean environment: only the variables the helpers need to find the same directories the
 * registry uses (PATH, HOME, the XDG variables, the session bus, the desktop name, the locale), each of
 * them overridable by the caller, and nothing else (no LD_PRELOAD, no IFS, no BROWSER).
 */
#ifndef CLR_HELPER_H
#define CLR_HELPER_H

#include <stddef.h>

#include "error.h"

struct clr_helper_result {
	int not_found;   /* the program is not installed (not in PATH) */
	int exit_status; /* its exit status, or 128 + signal number */
	char out[4096];  /* standard output, NUL-terminated, truncated to fit */
	char err[1024];  /* standard error, NUL-terminated, truncated to fit */
};

/* Run argv[0] (a bare name is looked up in $PATH, else /usr/local/bin:/usr/bin:/bin) with argv and wait.
 * `env_override` is NULL or a NULL-terminated list of "NAME=value" that replace or add to the clean
 * environment ("NAME=" with nothing after removes NAME). Returns CL_OK when the program ran, whatever its
 * exit status; CL_E_LOCAL when it could not be started (res->not_found when it is not installed). */
enum cl_status clr_helper_run(const char *const argv[], const char *const env_override[],
                              struct clr_helper_result *res, struct cl_error *err);

/* The first line of res->err with the exit status, for error messages, written into buf[size]; returns buf.
 */
const char *clr_helper_describe(const struct clr_helper_result *res, char *buf, size_t size);

#endif
