/* certlink core: the person's NSS database (~/.pki/nssdb: Chromium and other NSS programs).
 *
 * Driven through certutil and pk12util from libnss3-tools, run with posix_spawn (tool.h), never a shell.
 * The database's own password must be empty (as Chromium creates it): every call passes /dev/null as the
 * password file, so a protected database fails with the tool's message instead of prompting. A PKCS#12
 * bundle's password is read by pk12util from its 0600 file (-w FILE), never from the command line.
 */
#ifndef CL_NSSDB_H
#define CL_NSSDB_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

/* The database ("sql:DIR", cl_paths_nssdb()) when DIR/cert9.db exists and is writable, else NULL.
 * Caller frees. */
char *cl_nssdb_find(void);

/* Does DB list NICKNAME? (A database that cannot be opened lists nothing.) */
bool cl_nssdb_has(const char *db, const char *nickname);

/* Import the key and certificate of the PKCS#12 file P12, whose password is in PWFILE, and check that
 * NICKNAME (the bundle's friendly name) is there afterwards. Importing the same bundle again is harmless. */
enum cl_status cl_nssdb_import_pkcs12(const char *db, const char *p12, const char *pwfile,
                                      const char *nickname, struct cl_error *err);

/* NSS files certificates of one subject under one nickname: a certificate whose subject is already in DB
 * joins that certificate's nickname, whatever its PKCS#12 friendly name says. This import looks CERT up
 * afterwards and puts the nickname it really got (NICKNAME, or the earlier certificate's) into ACTUAL
 * (SIZE bytes). CL_E_LOCAL as above when CERT is not in DB after the import. */
enum cl_status cl_nssdb_import_pkcs12_cert(const char *db, const char *p12, const char *pwfile,
                                           const char *nickname, X509 *cert, char *actual, size_t size,
                                           struct cl_error *err);

/* The nickname under which DB holds CERT (compared by DER), into OUT (SIZE bytes); false when absent. */
bool cl_nssdb_nickname_of(const char *db, X509 *cert, char *out, size_t size);

/* Add the CA certificate in PEMFILE as NICKNAME, trusted for TLS servers ("C,,"). */
enum cl_status cl_nssdb_add_ca(const char *db, const char *pemfile, const char *nickname,
                               struct cl_error *err);

/* Remove NICKNAME: with WITH_KEY its private key too (certutil -F), else the certificate (certutil -D).
 * Every certificate under the nickname goes (several of one subject share it): for CA entries, whose
 * nicknames are their own. Already gone is CL_OK; still there afterwards is CL_E_LOCAL. */
enum cl_status cl_nssdb_remove(const char *db, const char *nickname, bool with_key, struct cl_error *err);

/* The ID NSS gives a certificate's key and the certificate (PKCS#11 CKA_ID): SHA-1 of the RSA modulus or of
 * the EC public point, as 40 lowercase hex digits. false for another key type. */
bool cl_nssdb_key_id(X509 *cert, char out[41]);

/* Remove exactly the certificate whose SHA-256 is SHA256 (64 hex), never another filed under the same
 * nickname, and with WITH_KEY its private key, unless another certificate in DB uses that key (a renewal
 * that kept its key): certutil -D and -F -k on "pkcs11:id=KEY-ID", never on a nickname. Certificates that
 * share the key ID are put back (certutil -A) if NSS took them out. Already gone is CL_OK; the certificate,
 * or its key when it was to go, still there afterwards is CL_E_LOCAL. */
enum cl_status cl_nssdb_remove_cert(const char *db, const char *sha256, bool with_key, struct cl_error *err);

/* Give the certificate whose SHA-256 is SHA256 the nickname TO, when it is the only certificate in DB under
 * the nickname FROM (certutil --rename): a renewed certificate that NSS filed under the nickname of the one
 * it replaced gets its own once that one is gone. *RENAMED says whether it was done; a certificate that
 * shares FROM with another is left as it is (CL_OK). */
enum cl_status cl_nssdb_rename_cert(const char *db, const char *sha256, const char *from, const char *to,
                                    bool *renamed, struct cl_error *err);

#endif
