/* certlink core: the diagnostics archive a person sends to their administrator.
 *
 * One .tar.gz with a directory certlink-diagnostics/: versions, device identity (as sent to servers),
 * settings, both stores' records and file listings (names and modes only), the activity logs, the last
 * result files and the certlink environment overrides. Left out on purpose: the pending/ secrets
 * directory, key, PKCS#12 and password files, and every environment variable but an allow-list. Everything
 * written is also scrubbed (scrub.h) with the actual secret values of this account read from those files
 * and from secret-ish environment variables, so a secret that slipped into a log or a hand-edited file is
 * removed too. The archive is packed by `tar -czf` (posix_spawn, $CERTLINK_TAR or /usr/bin/tar).
 */
#ifndef CL_DIAG_H
#define CL_DIAG_H

#include "error.h"

/* Write the archive to OUTPUT (replaced if it exists). PROGRAM names the front end and its libraries for
 * versions.txt ("certlink-manager 0.1.0, GTK 4.8.3"), or NULL. CL_E_LOCAL naming what failed. */
enum cl_status cl_diag_write(const char *output, const char *program, struct cl_error *err);

#endif
