/* certlink core: the zero-touch result file.
 *
 * After each unattended run the command line writes what happened where a deployment script or a
 * management agent can read it (docs/paths.md: $XDG_STATE_HOME/certlink/result.{json,txt} for the user
 * store, /var/lib/certlink/result.{json,txt} for the computer store). It names the outcome, the
 * certificate and the exit code; it has no member for a password, challenge, token or key, and the message
 * must be a cl_error message, which never holds one. Written atomically, so a reader never sees half.
 */
#ifndef CL_RESULT_H
#define CL_RESULT_H

#include "error.h"
#include "network.h"
#include "paths.h"

#include <stdint.h>

enum cl_result_outcome {
	CL_RESULT_SUCCEEDED,
	CL_RESULT_FAILED,
	CL_RESULT_CANCELED,
	CL_RESULT_NOT_EXECUTED, /* nothing to do, e.g. renewal not due */
};

struct cl_result {
	int64_t date; /* when the run ended (Unix time); 0 means now */
	enum cl_result_outcome outcome;
	const char *user; /* user ID at the server, or NULL */
	enum cl_store_kind store;
	const char *cn;      /* subject CN of the certificate, or NULL */
	const char *serial;  /* its serial (hex), or NULL */
	int64_t expiry;      /* its notAfter (Unix time), 0 when none */
	int exit_code;       /* the process exit code (cl_status_exit_code) */
	const char *message; /* what happened, for people; NULL when there is nothing to say */
	/* CAs made trust anchors, and the SHA-256 (hex) of the CAs offered as anchors that were not: without
	 * a person to ask, only `--install-ca FINGERPRINT` makes one an anchor (core/anchor.h). */
	int trust_anchors;
	const char *const *ca_not_installed;
	size_t n_ca_not_installed;
	/* The profile's networks (network.h), or NULL when the profile has none. */
	const struct cl_network_report *network;
};

/* "succeeded", "failed", "canceled", "not executed". */
const char *cl_result_outcome_name(enum cl_result_outcome outcome);

/* The file's text in FORMAT (pure: no I/O). JSON members: date, result, user, store, cn, serial, expiry
 * (RFC 3339 UTC or null), exit_code, message, trust_anchors_installed (a number),
 * trust_anchors_not_installed (an array of SHA-256 hex strings) and, when the profile has networks,
 * networks (an array of {"name", "network", "uuid" (or null), "configured", "updated"}), network_message
 * (why none was configured, or null) and network_files (the wpa_supplicant files written instead). Text: one
 * "name: value" line each, in that order (lists comma-separated; a network as "NAME [UUID]"), with control
 * characters in values replaced. Caller frees. NULL
 * with err set when out of memory. */
char *cl_result_format(const struct cl_result *r, enum cl_result_format format, struct cl_error *err);

/* Write the result atomically (mode 0644) to PATH, or when PATH is NULL to the documented file of
 * R->store in FORMAT. The computer store's file needs the rights cl_store_check_allowed() asks for. */
enum cl_status cl_result_write(const struct cl_result *r, enum cl_result_format format, const char *path,
                               struct cl_error *err);

#endif
