/* certlink core: the operating system's trust store, for the computer store's CAs.
 *
 * First p11-kit (`trust anchor --store FILE`, removed with `trust anchor --remove FILE`); when that fails,
 * as it does on Debian 12 whose p11-kit has no writable anchor location, the ca-certificates way: a
 * certlink-FP16.crt file in /usr/local/share/ca-certificates and `update-ca-certificates`. Tools run with
 * posix_spawn (tool.h). Root only in practice; the paths and tools are overridable (docs/paths.md).
 */
#ifndef CL_SYSTRUST_H
#define CL_SYSTRUST_H

#include "error.h"
#include "location.h"

#include <stdbool.h>

#include <openssl/x509.h>

/* A computer store redirected by CERTLINK_SYSTEM_DIR is a test and must not reach the real trust store:
 * CL_E_LOCAL unless CERTLINK_TRUST, CERTLINK_UPDATE_CA_CERTIFICATES and CERTLINK_CA_CERTIFICATES_DIR are
 * all set too. CL_OK when not redirected. */
enum cl_status cl_systrust_check_redirect(struct cl_error *err);

/* Make CA (also in PEMFILE, certlink's own copy, which must stay while trusted; FP is its SHA-256 in hex) a
 * system trust anchor. Appends the one location used (CL_LOC_P11KIT_ANCHOR or CL_LOC_CA_CERTIFICATES) to
 * ADDED; *IS_NEW says whether this call created it (false when the same file was already there). */
enum cl_status cl_systrust_add(X509 *ca, const char *pemfile, const char *fp, struct cl_locations *added,
                               bool *is_new, struct cl_error *err);

/* Undo a CL_LOC_P11KIT_ANCHOR or CL_LOC_CA_CERTIFICATES location. A removed .crt file counts as done. */
enum cl_status cl_systrust_remove(const struct cl_location *loc, struct cl_error *err);

/* Write CA as PEM to PATH (0644) unless the same PEM is already there; *CREATED says which. Shared with
 * store.c for certlink's own trust files. */
enum cl_status cl_systrust_put_pem(const char *path, X509 *ca, bool *created, struct cl_error *err);

#endif
