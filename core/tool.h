/* certlink core: running external tools (certutil, pk12util, trust, update-ca-certificates).
 *
 * Always posix_spawn() of an absolute path with an argument vector: never a shell, so nothing in a name or
 * path is ever interpreted. Secrets never go on the argument vector or in the environment; tools that need
 * a password read it from a 0600 file (see store.c).
 */
#ifndef CL_TOOL_H
#define CL_TOOL_H

#include "error.h"

#include <stddef.h>

/* Run ARGV[0] (an absolute path) with ARGV (NULL-terminated), stdin from /dev/null, stdout and stderr
 * captured together into OUT (NUL-terminated, at most OUTMAX - 1 bytes kept, control characters other
 * than newline replaced by '?', the rest drained so the tool never blocks). OUT may be NULL. On CL_OK
 * *exit_code is the tool's exit status, or 128 + the signal that killed it. CL_E_LOCAL when the tool could
 * not be started (missing, not executable). */
enum cl_status cl_tool_run(const char *const argv[], char *out, size_t outmax, int *exit_code,
                           struct cl_error *err);

/* Run ARGV[0] (an absolute path) with INPUT (LEN octets, no secret) on its standard input and its standard
 * output into OUT (NUL-terminated, at most OUTMAX - 1 octets kept, the rest drained); standard error goes
 * to /dev/null. For certlink's own helpers, which answer in JSON (core/network.c). *exit_code as for
 * cl_tool_run(). CL_E_LOCAL when the program could not be started. */
enum cl_status cl_tool_run_io(const char *const argv[], const char *input, size_t len, char *out,
                              size_t outmax, int *exit_code, struct cl_error *err);

/* cl_tool_run(), then a tool that exits non-zero is CL_E_LOCAL too: "WHAT: TOOL exited with status N:
 * LAST LINE OF ITS OUTPUT". */
enum cl_status cl_tool_run_ok(const char *const argv[], const char *what, struct cl_error *err);

/* The last non-empty line of OUT (a tool's message is usually there), in OUT's own storage. */
const char *cl_tool_last_line(char *out);

#endif
