/* certlink-server: records of issued certificates: listing, revocation, the revoked list for the CRL. */
#ifndef SRV_CERTS_H
#define SRV_CERTS_H

#include <sqlite3.h>

#include <cjson/cJSON.h>

#include "ca.h"
#include "util.h"

/* Admin view: [{"serial","subject","not_after","application","user","store","revoked"}], newest first. */
cJSON *srv_certs_list(sqlite3 *db, int limit);
/* One certificate's admin view, or NULL when unknown. */
cJSON *srv_cert_json(sqlite3 *db, const char *serial);

/* Revoke (its own transaction). CL_E_REFUSED/not_found for an unknown serial; revoking twice is fine. */
enum cl_status srv_certs_revoke(sqlite3 *db, const char *serial, struct srv_err *err);

/* All revoked certificates (caller frees *out). */
enum cl_status srv_certs_revoked(sqlite3 *db, struct srv_revoked **out, size_t *n, struct cl_error *err);

#endif
