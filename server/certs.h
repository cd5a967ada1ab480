/* certlink-server: records of issued certificates: listing, revocation, the revoked list for the CRL. */
#ifndef SRV_CERTS_H
#define SRV_CERTS_H

#include <sqlite3.h>

#include <cjson/cJSON.h>

#include "ca.h"
#include "util.h"

/* Admin view: [{"serial","subject","not_before","not_after","application","user","store","revoked",
 * "revoked_at", "superseded_at"}], newest first. */
cJSON *srv_certs_list(sqlite3 *db, int limit);
/* One certificate's admin view, or NULL when unknown. */
cJSON *srv_cert_json(sqlite3 *db, const char *serial);

/* Revoke (its own transaction). CL_E_REFUSED/not_found for an unknown serial; revoking twice is fine. */
enum cl_status srv_certs_revoke(sqlite3 *db, const char *serial, struct srv_err *err);

/* Every certificate the CRL lists (caller frees *out): revoked ones, and those a renewal replaced more than
 * renewal_revoke_days ago (reason superseded). */
enum cl_status srv_certs_revoked(sqlite3 *db, struct srv_revoked **out, size_t *n, struct cl_error *err);

/* A renewal replaced SERIAL now (inside the issuing transaction): after the grace of renewal_revoke_days it
 * is on the CRL. */
enum cl_status srv_certs_superseded(sqlite3 *db, const char *serial, struct cl_error *err);

/* The CRL distribution point for new certificates into out ("" for none): crl_url, else this server's
 * /ca.crl over the plain-HTTP listener when it runs, else over HTTPS (docs/server.md "Revocation"). */
void srv_certs_crl_url(sqlite3 *db, char *out, size_t n);

#endif
