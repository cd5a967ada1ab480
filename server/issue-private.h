/* certlink-server: the two halves of srv_issue() (issue.h), for the unit tests: signing before the write
 * lock, and deciding under it. srv_issue() is srv_issue_presign(), srv_issue_decide(), srv_presigned_clear().
 */
#ifndef SRV_ISSUE_PRIVATE_H
#define SRV_ISSUE_PRIVATE_H

#include "issue.h"

#define SRV_PRESIGNED_CRL_URL_MAX 300

/* A certificate signed before the write lock was taken, and what it was made from. */
struct srv_presigned {
	char app_id[32];
	char *activation; /* the application's activation (subject, SANs, key) */
	char pubkey[65];  /* SHA-256 of the request's key */
	char cn[260];     /* the CN chosen from the request */
	long days;
	char crl_url[SRV_PRESIGNED_CRL_URL_MAX]; /* the distribution point, "" for none */
	X509 *cert;
};

/* Without the write lock and without writing: when in looks like a new request that will be issued at once,
 * sign its certificate into pre (pre->cert stays NULL otherwise). */
void srv_issue_presign(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                       struct srv_presigned *pre);
/* Decide and record in one write transaction, as srv_issue(). The certificate in pre (may be NULL) is issued
 * only when the transaction finds the application, activation, request key, CN, validity and CRL distribution
 * point it was made from;
 * otherwise it is dropped and the certificate is signed under the lock. */
enum cl_status srv_issue_decide(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                                struct srv_presigned *pre, struct srv_issue_out *out, struct cl_error *err);
void srv_presigned_clear(struct srv_presigned *pre);

#endif
