/* certlink core: the person's Firefox profiles, each with an NSS database of its own.
 *
 * Firefox does not read ~/.pki/nssdb: every profile keeps its certificates and keys in cert9.db and key4.db
 * in the profile directory. So a user-store certificate goes into each profile's database as well, the same
 * way as into ~/.pki/nssdb (pk12util, the database password empty as Firefox creates it), and the issuing
 * CA follows the same rule as there (anchor.h): it arrives as the bundle's chain certificate without trust
 * flags, and becomes trusted for TLS ("C,,") only with a consent. Every import is a location
 * (CL_LOC_FIREFOX_CERT, CL_LOC_FIREFOX_CA, path "sql:PROFILE_DIR"), so delete and renewal take out exactly
 * what was put in: a certificate by its SHA-256 and key ID (nssdb.h cl_nssdb_remove_cert()), never by
 * nickname. docs/desktop-integration.md explains why importing was chosen over a PKCS#11 module.
 *
 * The profiles are those Firefox lists (firefox-profiles.h). A profile Firefox has never started gets an
 * empty database first (what Firefox would create). The chain's CA certificates an import places in a
 * profile are recorded too (CL_LOC_FIREFOX_CHAIN) and go when no certificate there needs them any more. All
 * of this is best effort: a profile that cannot take a certificate (a primary password, an old-format or
 * damaged database) is left out, the reason goes to the activity log (logfile.h), and the next sync
 * (firefox-sync.h) tries again. NSS's sql: databases are SQLite with its locking, made for several processes
 * at once, so changing them while Firefox runs is safe, and a running Firefox sees a new certificate at its
 * next TLS handshake.
 */
#ifndef CL_FIREFOX_H
#define CL_FIREFOX_H

#include "error.h"
#include "firefox-profiles.h"
#include "location.h"

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

/* Import the key and certificate CERT of the PKCS#12 file P12 (password in PWFILE) into PROFILE's database,
 * creating the database when the profile has none yet, and append a CL_LOC_FIREFOX_CERT with the nickname
 * NSS really gave it (NICKNAME, or an earlier certificate's of the same subject) to OUT. On failure nothing
 * of the import stays in the database. */
enum cl_status cl_firefox_import(const struct cl_firefox_profile *profile, const char *p12,
                                 const char *pwfile, X509 *cert, const char *nickname,
                                 struct cl_locations *out, struct cl_error *err);

/* Make CA (also in PEMFILE) trusted for TLS servers ("C,,") in PROFILE's database under NICKNAME (NULL:
 * "certlink CA <first 16 hex digits of its SHA-256>", as cl_store_trust_ca() names it), only for a CA with a
 * consent (the caller is cl_store_trust_ca() or the sync of a recorded anchor). Appends a CL_LOC_FIREFOX_CA
 * to OUT; *CREATED says whether the CA was not in the database before (a rollback removes only those). */
enum cl_status cl_firefox_trust(const struct cl_firefox_profile *profile, X509 *ca, const char *pemfile,
                                const char *nickname, struct cl_locations *out, bool *created,
                                struct cl_error *err);

/* cl_firefox_import() of the PKCS#12 bundle among the locations HAVE (CL_LOC_PKCS12 and its
 * CL_LOC_PKCS12_PASSWORD) into every profile of cl_firefox_find() that has no CL_LOC_FIREFOX_CERT among
 * HAVE, appending to OUT (which may be HAVE); a profile that fails is logged and left out. Returns how
 * many took it. */
size_t cl_firefox_import_all(const struct cl_locations *have, X509 *cert, const char *nickname,
                             struct cl_locations *out);

/* cl_firefox_trust() into every profile, appending to OUT, and to CREATED those the CA is new in; a profile
 * that fails is logged and left out. Returns how many trust it now. */
size_t cl_firefox_trust_all(X509 *ca, const char *pemfile, const char *nickname, struct cl_locations *out,
                            struct cl_locations *created);

/* Undo a CL_LOC_FIREFOX_CERT (the certificate whose SHA-256 is CERT_SHA256, with its key) or a
 * CL_LOC_FIREFOX_CA (by its nickname, as for ~/.pki/nssdb). A profile or database that is gone counts as
 * removed. CL_E_LOCAL when the entry is still there afterwards, or CERT_SHA256 is NULL for a certificate. */
enum cl_status cl_firefox_remove(const struct cl_location *loc, const char *cert_sha256,
                                 struct cl_error *err);

#endif
