/* certlink-server: the /scep endpoint (see scepd.h). */
#include "scepd.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "ca.h"
#include "db.h"
#include "issue.h"
#include "util.h"

#ifndef SRV_NO_SCEP
#include "scep.h"

static void reply(struct srv_request *hreq, struct srv_response *resp, const struct srv_scep_request *req,
                  enum srv_scep_pki_status status, int fail_info, X509 *cert)
{
	const struct srv_ca *ca = hreq->srv->ca;
	STACK_OF(X509) *chain = sk_X509_new_null();
	unsigned char *out = NULL;
	size_t len = 0;
	char why[256] = "";

	if (chain)
		sk_X509_push(chain, ca->cert);
	if (srv_scep_build_reply(req, status, fail_info, cert, chain, ca->ra_cert, ca->ra_key, &out, &len,
	                         why, sizeof(why)) != 0) {
		srv_log("scep: building CertRep failed: %s", why);
		srv_resp_error(resp, 500, "internal", "Could not build the SCEP reply.", 0);
	} else {
		srv_resp_body(resp, 200, "application/x-pki-message", (char *)out, len);
	}
	sk_X509_free(chain);
}

static void get_cert(struct srv_request *hreq, struct srv_response *resp, const struct srv_scep_request *req,
                     sqlite3 *db)
{
	const struct srv_ca *ca = hreq->srv->ca;
	sqlite3_stmt *st;
	X509 *x = NULL;
	BIGNUM *bn = req->serial ? ASN1_INTEGER_to_BN(req->serial, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL, serial[48];
	size_t i, o = 0;

	/* Lowercase without leading zeros, as stored. */
	for (i = 0; hex && hex[i] && o + 1 < sizeof(serial); i++) {
		if (o == 0 && hex[i] == '0' && hex[i + 1])
			continue;
		serial[o++] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	}
	serial[o] = '\0';
	OPENSSL_free(hex);
	BN_free(bn);
	st = req->issuer && X509_NAME_cmp(req->issuer, X509_get_subject_name(ca->cert)) == 0
	         ? srv_db_prepare(db, "SELECT der FROM certificates WHERE serial = ?", NULL)
	         : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *p = sqlite3_column_blob(st, 0);
			x = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0));
		}
		sqlite3_finalize(st);
	}
	srv_log("scep: GetCert %s: %s", serial, x ? "found" : "unknown");
	reply(hreq, resp, req, x ? SRV_SCEP_SUCCESS : SRV_SCEP_FAILURE, SRV_SCEP_BAD_CERT_ID, x);
	X509_free(x);
}

static void pki_operation(struct srv_request *hreq, struct srv_response *resp, const unsigned char *der,
                          size_t len)
{
	const struct srv_ca *ca = hreq->srv->ca;
	struct srv_scep_request req;
	struct srv_issue_in in = { 0 };
	struct srv_issue_out out = { 0 };
	struct cl_error err = { 0 };
	char why[256] = "";
	enum srv_scep_result res;
	sqlite3 *db;

	memset(&req, 0, sizeof(req));
	res = srv_scep_parse(der, len, ca->ra_cert, ca->ra_key, &req, why, sizeof(why));
	if (res == SRV_SCEP_MALFORMED) {
		srv_log("scep: malformed request: %s", why);
		srv_resp_error(resp, 400, "bad_request", "Not a SCEP pkiMessage this server can read.", 0);
		goto out;
	}
	if (res == SRV_SCEP_INTERNAL) {
		srv_log("scep: internal error: %s", why);
		srv_resp_error(resp, 500, "internal", "Internal server error.", 0);
		goto out;
	}
	if (res == SRV_SCEP_REFUSE) {
		srv_log("scep: tx=%s refused (%s): %s", req.transaction_id,
		        srv_scep_fail_info_name(req.fail_info), why);
		reply(hreq, resp, &req, SRV_SCEP_FAILURE, req.fail_info, NULL);
		goto out;
	}
	db = srv_db_thread(&err);
	if (!db) {
		srv_resp_fail(resp, &err);
		goto out;
	}
	if (req.message_type == SRV_SCEP_GETCERT) {
		get_cert(hreq, resp, &req, db);
		goto out;
	}
	if (req.message_type == SRV_SCEP_RENEWALREQ &&
	    srv_scep_signer_issued_by(&req, ca->cert, why, sizeof(why))) {
		srv_log("scep: tx=%s RenewalReq signer refused: %s", req.transaction_id, why);
		reply(hreq, resp, &req, SRV_SCEP_FAILURE, SRV_SCEP_BAD_MESSAGE_CHECK, NULL);
		goto out;
	}
	in.message_type = req.message_type;
	in.transaction_id = req.transaction_id;
	in.csr = req.csr;
	in.signer = req.signer;
	in.challenge = req.challenge;
	if (srv_issue(db, ca, &in, &out, &err) != CL_OK) {
		srv_resp_fail(resp, &err);
		goto out;
	}
	srv_log("scep: %s tx=%s app=%s %s: %s", srv_scep_message_type_name(req.message_type),
	        req.transaction_id, out.app_id[0] ? out.app_id : "-",
	        out.status == SRV_ISSUE_SUCCESS   ? "SUCCESS"
	        : out.status == SRV_ISSUE_PENDING ? "PENDING"
	                                          : srv_scep_fail_info_name(out.fail_info),
	        out.why);
	reply(hreq, resp, &req, (enum srv_scep_pki_status)out.status, out.fail_info, out.cert);
	X509_free(out.cert);
out:
	srv_scep_request_clear(&req);
}

#else
/* Built without the SCEP message layer (server/scep.c): say so instead of pretending. */
void srv_scepd_handle(struct srv_request *req, struct srv_response *resp)
{
	srv_resp_error(resp, 503, "unavailable", "This server was built without its SCEP message layer.",
	               3600);
}
#endif

#ifndef SRV_NO_SCEP
void srv_scepd_handle(struct srv_request *req, struct srv_response *resp)
{
	const char *op = srv_req_arg(req, "operation");
	int is_get = !strcmp(req->method, "GET"), is_post = !strcmp(req->method, "POST");
	unsigned char *der = NULL;
	size_t len = 0;

	if (!is_get && !is_post) {
		srv_resp_error(resp, 405, "method_not_allowed", "SCEP takes GET or POST.", 0);
		return;
	}
	if (!op) {
		srv_resp_error(resp, 400, "bad_request", "The operation parameter is missing.", 0);
	} else if (!strcmp(op, "GetCACaps")) {
		srv_resp_text(resp, 200, "text/plain", srv_scep_caps());
	} else if (!strcmp(op, "GetCACert")) {
		const char *ct = NULL;
		if (srv_scep_cacert(req->srv->ca->cert, req->srv->ca->ra_cert, &der, &len, &ct) != 0)
			srv_resp_error(resp, 500, "internal", "Could not encode the CA certificates.", 0);
		else
			srv_resp_body(resp, 200, ct, (char *)der, len);
	} else if (!strcmp(op, "PKIOperation") && is_post) {
		if (req->body_len == 0)
			srv_resp_error(resp, 400, "bad_request", "PKIOperation needs a pkiMessage body.", 0);
		else
			pki_operation(req, resp, (const unsigned char *)req->body, req->body_len);
	} else if (!strcmp(op, "PKIOperation")) {
		const char *msg = srv_req_arg(req, "message");
		if (!msg || srv_scep_message_from_base64(msg, strlen(msg), &der, &len) != 0) {
			srv_resp_error(resp, 400, "bad_request",
			               "PKIOperation needs a base64 message parameter.", 0);
		} else {
			pki_operation(req, resp, der, len);
			free(der);
		}
	} else {
		srv_resp_error(resp, 400, "bad_request", "Unknown SCEP operation.", 0);
	}
}
#endif
