/* certlink-server: the SCEP issuance policy (docs/protocol.md section 7): find the application by its
 * one-time challenge, check it is approved and that subject and key match the activation, then issue and, in
 * the same transaction, consume the challenge and record the certificate and the transactionID. A
 * retransmitted transactionID gets the certificate already issued, never a second one. Holding issuance
 * answers PENDING until the administrator releases the application.
 */
#ifndef SRV_ISSUE_H
#define SRV_ISSUE_H

#include <sqlite3.h>

#include <openssl/x509.h>

#include "ca.h"
#include "error.h"

/* RFC 8894 numbers, the same as scep.h's. */
enum srv_issue_status { SRV_ISSUE_SUCCESS = 0, SRV_ISSUE_FAILURE = 2, SRV_ISSUE_PENDING = 3 };
enum {
	SRV_FAIL_BAD_ALG = 0,
	SRV_FAIL_BAD_MESSAGE_CHECK = 1,
	SRV_FAIL_BAD_REQUEST = 2,
	SRV_FAIL_BAD_CERT_ID = 4
};

struct srv_issue_in {
	int message_type; /* 17 RenewalReq, 19 PKCSReq, 20 CertPoll */
	const char *transaction_id;
	X509_REQ *csr;         /* 17/19 */
	X509 *signer;          /* 17: the certificate being renewed (already checked to chain to the CA) */
	const char *challenge; /* 17/19, may be NULL */
};

struct srv_issue_out {
	enum srv_issue_status status;
	int fail_info;
	X509 *cert;      /* SUCCESS: caller frees */
	char app_id[32]; /* the application, when one was found */
	char why[256];   /* for the log */
};

/* Decide and record. Returns CL_OK with out filled, CL_E_RETRY_LATER when the database stayed busy, or
 * CL_E_UNEXPECTED. */
enum cl_status srv_issue(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                         struct srv_issue_out *out, struct cl_error *err);

#endif
