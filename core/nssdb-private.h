/* certlink core: an NSS database opened in this process through libnss3 (nssdb-session.c), for nssdb.c.
 * Not for front ends: they use nssdb.h.
 *
 * NSS is initialised once per process without a database of its own; each operation opens the database
 * it names as a PKCS#11 slot of its own (SECMOD_OpenUserDB), works on that slot only and closes it again,
 * so several databases (~/.pki/nssdb, Firefox profiles) can be used one after the other, and a database
 * another program has open (Chromium, Firefox) is shared the way NSS shares its SQLite databases. One
 * database is open at a time in the process: cl_nss_db_open() takes a process-wide lock that
 * cl_nss_db_close() releases.
 */
#ifndef CL_NSSDB_PRIVATE_H
#define CL_NSSDB_PRIVATE_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct cl_nss_db;

/* Open DB ("sql:DIR", or DIR) for reading, or with WRITE for changes. DIR/cert9.db must exist: a missing
 * database is never created. CL_E_LOCAL with a message otherwise. Close with cl_nss_db_close(). */
enum cl_status cl_nss_db_open(const char *db, bool write, struct cl_nss_db **out, struct cl_error *err);
void cl_nss_db_close(struct cl_nss_db *d); /* accepts NULL */

/* Before keys are read or written: the database's password must be empty (as Chromium creates it; a
 * database without one gets an empty one, as pk12util -k /dev/null did). A protected database is
 * CL_E_LOCAL, never a prompt. */
enum cl_status cl_nss_db_login(struct cl_nss_db *d, struct cl_error *err);

/* One certificate of the database and the nickname (PKCS#11 label) it has there. */
struct cl_nss_cert {
	X509 *cert;
	char nick[256];
};

/* Every certificate of the database, in OUT (N of them); free with cl_nss_certs_free(). */
enum cl_status cl_nss_db_list(struct cl_nss_db *d, struct cl_nss_cert **out, size_t *n, struct cl_error *err);
void cl_nss_certs_free(struct cl_nss_cert *list, size_t n);

/* The nickname CERT has in the database (compared by DER), into OUT; false when it is not there. */
bool cl_nss_db_nickname_of(struct cl_nss_db *d, X509 *cert, char *out, size_t size);

/* Add CERT. Its nickname: the one certificates of its subject already have there (NSS files one subject
 * under one nickname), else NICKNAME, else (NULL) one NSS makes from the subject for a CA, made unique in
 * the database. TRUST ("C,,": a trust anchor for TLS servers) or NULL for none. A certificate already there
 * keeps its nickname (and gets TRUST when given). ACTUAL (SIZE bytes) gets the nickname it has. */
enum cl_status cl_nss_db_add_cert(struct cl_nss_db *d, X509 *cert, const char *nickname, const char *trust,
                                  char *actual, size_t size, struct cl_error *err);

/* Add the private key KEY under NICKNAME, with the ID NSS gives the key of a certificate (SHA-1 of PUB,
 * the RSA modulus or the EC point, PUBLEN bytes), so a certificate for it finds it. A key already there
 * under that ID is left as it is. Needs cl_nss_db_login(). The key's encoding is wiped after use. */
enum cl_status cl_nss_db_add_key(struct cl_nss_db *d, EVP_PKEY *key, const unsigned char *pub, size_t publen,
                                 const char *nickname, struct cl_error *err);

/* Give CERT (compared by DER) the nickname TO. CL_E_LOCAL when it is not in the database. */
enum cl_status cl_nss_db_rename(struct cl_nss_db *d, X509 *cert, const char *to, struct cl_error *err);

#endif
