/* certlink core: installing and removing certificates, keys and trust anchors.
 *
 * User store: files under $XDG_DATA_HOME/certlink/certs/FINGERPRINT/ and, when the person has one, the NSS
 * database (~/.pki/nssdb, used by Chromium and other NSS programs), and each Firefox profile's own NSS
 * database (firefox.h: best effort, a profile that cannot take it is left out). Computer store: files under
 * /var/lib/certlink/certs/FINGERPRINT/, root only. FINGERPRINT is the certificate's SHA-256 in 64 lowercase
 * hex digits: two CAs can issue the same serial, so a serial would let one certificate's files overwrite
 * another's. (Certificates installed before keep the SERIAL directory their records name.)
 *
 * Two different things happen to the issuing CA, and only one of them makes it trusted:
 *  - chain placement (cl_store_install): the CA goes where the certificate needs its chain to be presented:
 *    chain.pem beside the certificate, the PKCS#12 bundle, and the NSS databases without trust flags
 *    (",,": pk12util imports the bundle's CAs so). Nothing trusts anything because of it.
 *  - trust anchor (cl_store_trust_ca): certlink's anchors directory plus the NSS databases (~/.pki/nssdb
 *    and the Firefox profiles) with "C,," (user) or the system trust store (computer: p11-kit
 *    `trust anchor`, falling back to /usr/local/share/ca-certificates + update-ca-certificates). Only with
 *    a consent (anchor.h).
 *
 * Every step reports what it wrote as locations (location.h); the caller records them with the certificate
 * and later hands them to cl_store_remove(). Install and trust are all or nothing: on failure, what was
 * already written is removed again. The NSS database is driven by nssdb.h and the system trust store by
 * systrust.h (tools run with posix_spawn, never a shell); the PKCS#12 password reaches pk12util through
 * its 0600 file, never the command line. See docs/paths.md.
 */
#ifndef CL_STORE_H
#define CL_STORE_H

#include "anchor.h"
#include "error.h"
#include "location.h"
#include "paths.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

/* May this process write store KIND? The user store always; the computer store only as root, or when
 * CERTLINK_SYSTEM_DIR redirects it (tests). CL_E_LOCAL with a message saying what to do otherwise. */
enum cl_status cl_store_check_allowed(enum cl_store_kind kind, struct cl_error *err);

/* Install KEY and CERT (and CHAIN, the issuing CAs, may be NULL) into store KIND (FP: the certificate's
 * SHA-256, 64 lowercase hex):
 *   CERTS_DIR/FP/key.pem             private key, PKCS#8 PEM, 0600 from creation
 *   CERTS_DIR/FP/cert.pem            certificate, PEM
 *   CERTS_DIR/FP/chain.pem           the chain, PEM (only when CHAIN has certificates)
 *   CERTS_DIR/FP/bundle.p12          key + certificate + chain, PKCS#12 (AES-256, PBKDF2), 0600
 *   CERTS_DIR/FP/bundle.p12.password a random password for the bundle (24 characters), 0600
 * and, for the user store when the NSS database exists, key and certificate into it under NICKNAME.
 * NICKNAME (also the bundle's friendly name) may be NULL for "certlink SERIAL"; it must be 1-200
 * printable characters and not start with '-'. NSS files a certificate whose subject it already holds under
 * that certificate's nickname: the location records the nickname it really got, and removal goes by the
 * certificate, never by the nickname, so the two stay side by side until one is removed. An earlier
 * installation of the same certificate is replaced (a resumed install); no other certificate's files are
 * touched. The key must match the certificate. All or nothing: on failure what this call wrote is removed
 * again. Appends the locations to LOCATIONS. */
enum cl_status cl_store_install(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain,
                                const char *nickname, struct cl_locations *locations, struct cl_error *err);

/* Make CA a trust anchor for store KIND: certlink's anchors directory (ANCHORS_DIR/SHA256.pem, which
 * also records that it was consented, anchor.h) and the NSS database with trust "C,," (user), or the
 * system trust store (computer). CONSENT must be one (cl_anchor_decide()): CL_ANCHOR_NONE is refused
 * with CL_E_UNEXPECTED and nothing is written. NICKNAME may be NULL for "certlink CA <first 16 hex digits
 * of the SHA-256>"; a CA already in the NSS database keeps the nickname it has there, which is the one
 * recorded. Appends the locations to LOCATIONS.
 * A computer store redirected by CERTLINK_SYSTEM_DIR refuses to touch the real system trust store: it
 * needs CERTLINK_TRUST, CERTLINK_UPDATE_CA_CERTIFICATES and CERTLINK_CA_CERTIFICATES_DIR set as well. */
enum cl_status cl_store_trust_ca(enum cl_store_kind kind, X509 *ca, const char *nickname,
                                 enum cl_anchor_consent consent, struct cl_locations *locations,
                                 struct cl_error *err);

/* Undo LOCATIONS in reverse order: files overwritten (secrets) or unlinked, directories removed when
 * empty, NSS entries deleted, trust anchors removed, NetworkManager connections deleted (network.h).
 * Something already gone counts as removed. Goes on after a failure and returns the first error (with the
 * number of places that could not be cleaned), except that connections go first and a connection that
 * cannot be removed stops the rest: it would otherwise use a certificate and key that are gone. The NSS
 * entry of a certificate (CL_LOC_NSS_CERT) is that certificate only, found by the SHA-256 of the
 * certificate file among LOCATIONS, and removed with its key by their ID (nssdb.h
 * cl_nssdb_remove_cert()): other certificates under the same nickname stay, and so does a key another
 * certificate still uses. */
enum cl_status cl_store_remove(const struct cl_locations *locations, struct cl_error *err);

/* cl_store_remove() of a recorded certificate whose SHA-256 (64 hex) the record knows, so its NSS entry is
 * found even when its certificate file is gone. */
enum cl_status cl_store_remove_certificate(const struct cl_locations *locations, const char *sha256,
                                           struct cl_error *err);

/* cl_store_remove() of only the trust locations in LOCATIONS (cl_location_kind_is_trust()). */
enum cl_status cl_store_untrust_ca(const struct cl_locations *locations, struct cl_error *err);

/* The PKCS#12 bundle's password, from its CL_LOC_PKCS12_PASSWORD location in LOCATIONS (for a front end
 * that shows it on request). Free with cl_fileio_free_secret(). CL_E_LOCAL when there is none. */
enum cl_status cl_store_pkcs12_password(const struct cl_locations *locations, char **out, size_t *len,
                                        struct cl_error *err);

#endif
