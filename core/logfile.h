/* certlink core: the activity log the diagnostics archive carries.
 *
 * Front ends append one line per thing worth knowing later (an operation and its outcome, a notification
 * sent) to $XDG_STATE_HOME/certlink/certlink.log, or SYSTEM_DIR/certlink.log for a process working on the
 * computer store as root. Lines are "TIME PROGRAM[PID]: MESSAGE"; control characters in the message become
 * '?'. The file is 0600 and rotated to certlink.log.1 past CL_LOGFILE_MAX_BYTES. Callers never pass a
 * password, challenge, token or key (cl_error messages never hold one); diagnostics scrubs anyway.
 */
#ifndef CL_LOGFILE_H
#define CL_LOGFILE_H

#include "error.h"
#include "store-kind.h"

#define CL_LOGFILE_MAX_BYTES (256 * 1024)

/* The log of STORE's side: the user's, or the computer store's. Caller frees. */
char *cl_logfile_path(enum cl_store_kind store, struct cl_error *err);

/* Append a line to the log of STORE's side. Best effort for callers that cannot do anything about a
 * failure: the status says whether the line was written. */
enum cl_status cl_logfile_append(enum cl_store_kind store, const char *program, struct cl_error *err,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
