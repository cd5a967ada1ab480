/* certlink core: the computer store for a person who is not root.
 *
 * What every front end's `elevate` and `elevate_anchor` hooks (enroll.h) run. The flow stages the install
 * in a 0700 directory and calls the hook; this runs `pkexec certlink-install-helper --install DIR`
 * (posix_spawn, no shell), waits for it while honouring Cancel, and turns its exit status into a status the
 * person can act on. pkexec asks through the desktop's
 * polkit agent, or on the terminal. CERTLINK_PKEXEC and CERTLINK_INSTALL_HELPER override the two programs
 * (tests and build trees); neither gives any privilege by itself.
 */
#ifndef CL_ELEVATE_H
#define CL_ELEVATE_H

#include "cancel.h"
#include "error.h"

/* Run the helper on staging_dir through pkexec (--install: polkit action org.certlink.install). cancel may
 * be NULL. */
enum cl_status cl_elevate_install(const char *staging_dir, const struct cl_cancel *cancel,
                                  struct cl_error *err);

/* Make the staged CA with SHA256 and SUBJECT a trust anchor of the computer (--trust-anchor: polkit action
 * org.certlink.trust-anchor, an administrator every time, its message naming the CA). CL_E_CANCELLED when
 * the authentication was refused. */
enum cl_status cl_elevate_anchor(const char *staging_dir, const char *sha256, const char *subject,
                                 const struct cl_cancel *cancel, struct cl_error *err);

/* Make the profile's networks of the staged, installed certificate system connections (--network: polkit
 * action org.certlink.network). CL_E_CANCELLED when the authentication was refused; CL_E_LOCAL with a
 * message saying so when NetworkManager was not there (the helper wrote wpa_supplicant files instead). */
enum cl_status cl_elevate_network(const char *staging_dir, const struct cl_cancel *cancel,
                                  struct cl_error *err);

/* Have the helper sign a renewal's request with the key of the computer store's certificate SHA256
 * ("AB:CD:...") (--sign-request: polkit action org.certlink.sign-request, an administrator every time, its
 * message naming the certificate and SUBJECT). On CL_OK *REQUEST is what the helper wrote on its standard
 * output (PEM), *LEN octets, allocated with OPENSSL_malloc(): the caller checks it, wipes and frees it.
 * CL_E_CANCELLED when the authentication was refused. */
enum cl_status cl_elevate_sign(const char *staging_dir, const char *sha256, const char *subject,
                               const struct cl_cancel *cancel, char **request, size_t *len,
                               struct cl_error *err);

#endif
