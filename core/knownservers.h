/* certlink core: servers the person told certlink to remember, each bound to its host and port.
 *
 * "Remember this server" (CL_HTTP_ANSWER_REMEMBER) records the SHA-256 of the CA the person confirmed for
 * exactly that host and port. A later session to the same host and port treats it like a pin in a link
 * (http-identity.c): the server must present a chain to that CA. It never makes any other host, or another
 * port of the same host, trusted: the CA is not an anchor (anchor.h). Older certlink wrote the confirmed CA
 * into a trust directory used for every host; those files are not read any more (docs/paths.md).
 *
 * STORE_DIR/known-servers.json (paths.h):
 *   {"version": 1, "servers": [{"host": "eps.example.com", "port": 8443, "ca_sha256": "5f3c...",
 *                               "subject": "CN=...", "added": "2026-01-01T00:00:00Z"}]}
 * Read with caps like every local file; a damaged file remembers nothing (and is replaced on the next
 * remember).
 */
#ifndef CL_KNOWNSERVERS_H
#define CL_KNOWNSERVERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

#define CL_KNOWN_SERVERS_MAX 256 /* entries kept; the oldest go first */

/* The CA fingerprint remembered for HOST:PORT in PATH (host compared without case); false when there is
 * none, or the file is missing or damaged. */
bool cl_known_servers_find(const char *path, const char *host, unsigned port, unsigned char sha256[32]);

/* Remember SHA256 (with SUBJECT, for people reading the file) for HOST:PORT in PATH, replacing an earlier
 * entry for the same host and port: under a lock, written atomically with mode 0600. The directory is
 * created with DIR_MODE when missing. */
enum cl_status cl_known_servers_remember(const char *path, mode_t dir_mode, const char *host, unsigned port,
                                         const unsigned char sha256[32], const char *subject,
                                         struct cl_error *err);

#endif
