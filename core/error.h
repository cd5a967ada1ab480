/* certlink core: error objects.
 *
 * A fallible core function returns an enum cl_status and fills a struct cl_error with the same status and
 * a human message written where the failure happened. Callers add context on the way up with
 * cl_error_prefix(). Only main() turns a status into an exit code (cl_status_exit_code()).
 */
#ifndef CL_ERROR_H
#define CL_ERROR_H

#include <stddef.h>

enum cl_status {
	CL_OK = 0,
	CL_E_LOCAL,       /* bad input or arguments, local failure (exit 100) */
	CL_E_NOT_DUE,     /* renewal not needed yet (exit 110) */
	CL_E_CANCELLED,   /* the person or the caller cancelled (exit 120) */
	CL_E_UNREACHABLE, /* no connection, timeout, TLS failure, identity not established (exit 200) */
	CL_E_REFUSED,     /* the server answered and said no (exit 300) */
	CL_E_RETRY_LATER, /* the server is busy or not ready; retrying later may work (exit 200) */
	CL_E_UNEXPECTED,  /* a bug or an impossible state (exit 1000) */
};

#define CL_ERROR_MSG_MAX 1024

struct cl_error {
	enum cl_status status;
	char code[48]; /* machine-readable server or core code, "" when none */
	char msg[CL_ERROR_MSG_MAX];
};

/* Reset to CL_OK with an empty message. Accepts NULL. */
void cl_error_clear(struct cl_error *err);

/* Set status and message; returns status so callers can `return cl_error_set(...)`. err may be NULL. */
enum cl_status cl_error_set(struct cl_error *err, enum cl_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like cl_error_set(), then appends OpenSSL's error queue (draining it) to the message. */
enum cl_status cl_error_set_openssl(struct cl_error *err, enum cl_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context: "activating application 42: " + existing message. Keeps the status. */
void cl_error_prefix(struct cl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks a literal that is passed on as context ("applying", "importing into the NSS database") and used in
 * a message later: xgettext extracts it (keyword CL_N_, po/update-pot.cmake), and the function that puts it
 * into the message translates it (dgettext, domain "certlink"), so a Japanese message has a Japanese prefix.
 */
#define CL_N_(s) (s)

/* Set the machine-readable code (copied, truncated to fit). */
void cl_error_set_code(struct cl_error *err, const char *code);

/* The documented exit code for a status: 0, 100, 110, 120, 200, 300 or 1000. */
int cl_status_exit_code(enum cl_status status);

/* A stable lowercase name for a status ("ok", "local", "cancelled", ...). */
const char *cl_status_name(enum cl_status status);

#endif
