/* certlink core: the SCEP client (RFC 8894) — enroll and renew with a one-time challenge.
 *
 * cl_scep_enroll() runs one SCEP transaction against the activation's scep.url: GetCACaps, GetCACert (the CA
 * is the certificate whose SHA-256 activation named), PKCSReq (or RenewalReq), CertPoll while the server
 * answers PENDING, and returns the issued certificate once every check of docs/protocol.md section 7 passed.
 *
 * Resume after a crash (docs/protocol.md section 8): the caller persists the key and the transactionID
 * before the first request, and on the next run calls cl_scep_enroll() again with the same key, the same
 * transactionID and a request for the same key. The server then returns the certificate it already issued,
 * or issues it now. See cl_scep_transaction_id_from_key() for which transactionID to choose.
 *
 * Who signs the pkiMessage (and so receives the encrypted CertRep): the current certificate for a renewal
 * whose certificate has an RSA key (RenewalReq); otherwise a self-signed certificate (PKCSReq) of the key
 * being certified when that key is RSA, or of a throw-away RSA "transport" key when it is not (EC): SCEP
 * servers accept only RSA signers and answer with RSA key transport. The PKCS#10 inside is always signed
 * by the key being certified. The transport key is never stored: a resend after a crash may sign with a
 * new one, and the server recognises the retransmission by transactionID and the request's public key.
 *
 * HTTP goes through struct cl_scep_transport so the protocol logic runs in tests without a network; the
 * default transport is core/http.h cl_http_request(). Byte-level message work is core/scepmsg.c.
 */
#ifndef CL_SCEP_H
#define CL_SCEP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cancel.h"
#include "error.h"
#include "http.h"
#include "scepcert.h"
#include "scepmsg.h"

#define CL_SCEP_TID_SIZE 65 /* 64 hex digits + NUL */
#define CL_SCEP_POLL_DEFAULT                                                          \
	900 /* seconds of CertPoll when the caller gives none (approval_poll.timeout) \
	     */
#define CL_SCEP_CONTENT_MESSAGE "application/x-pki-message"

/* One HTTP exchange as SCEP needs it. body NULL: GET url; else POST body with content_type. The reply is
 * at most max_body bytes (a larger one is an error). On CL_OK, reply is filled and the caller frees it
 * with cl_scep_http_reply_clear(); HTTP errors are a CL_OK with reply->status != 200. */
struct cl_scep_http_reply {
	long status;
	char content_type[128];
	unsigned char *body; /* malloc()ed */
	size_t len;
};

struct cl_scep_transport {
	enum cl_status (*request)(void *ctx, const char *url, const char *content_type,
	                          const unsigned char *body, size_t len, size_t max_body,
	                          struct cl_scep_http_reply *reply, struct cl_error *err);
	void *ctx;
};

void cl_scep_http_reply_clear(struct cl_scep_http_reply *reply);

struct cl_scep_params {
	const char *url;                /* scep.url from activation */
	const unsigned char *ca_sha256; /* CL_SCEP_FP_LEN bytes: scep.ca_sha256 (cl_fp_parse) */
	EVP_PKEY *key;                  /* the key the certificate is for */
	/* key is only the public half: its private key is held elsewhere (the computer store's key, which the
	 * privileged helper used to sign csr), so a transport key signs the pkiMessage and receives the
	 * CertRep, as for a key that is not RSA. */
	bool key_elsewhere;
	X509_REQ *csr;                             /* for key, from cl_csr_build(); holds the challenge */
	const char *transaction_id;                /* 1..CL_SCEP_TID_MAX printable characters, persisted */
	X509 *renew_cert;                          /* renewal: the current certificate ... */
	EVP_PKEY *renew_key;                       /* ... and its key; both NULL for a first enrollment */
	EVP_PKEY *transport_key;                   /* RSA; signs when neither key nor renew_key is RSA. NULL:
	                                              made here (RSA 2048) when needed. Not owned. */
	unsigned poll_timeout;                     /* seconds of CertPoll in all; 0: CL_SCEP_POLL_DEFAULT */
	const struct cl_scep_transport *transport; /* NULL: cl_http_request() */
	struct cl_cancel *cancel;                  /* may be NULL */
	/* Waits between CertPolls; NULL: sleep, waking early on cancel. Tests pass one that returns at once.
	 * Returns CL_E_CANCELLED to stop. */
	enum cl_status (*wait)(void *ctx, unsigned seconds, struct cl_error *err);
	void *wait_ctx;
	/* Protocol steps for --debug and progress ("GetCACaps: ...", "PENDING: next CertPoll in 5 s").
	 * Never secrets. May be NULL. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

struct cl_scep_result {
	X509 *cert;             /* the issued certificate (public key equals params->key's) */
	X509 *ca;               /* the CA it chains to (the pinned one) */
	STACK_OF(X509) * chain; /* other certificates the server sent with it, possibly empty */
	int request_type;       /* CL_SCEP_PKCSREQ or CL_SCEP_RENEWALREQ as sent */
	bool transport_signed;  /* signed with a transport key (the key is not RSA), not the key itself */
	int polls;              /* CertPolls sent */
	char cipher[16];        /* "AES-256-CBC", ... as used */
	char digest[16];        /* "SHA-256", ... as used */
};

/* Runs the transaction. CL_OK: result filled, caller frees with cl_scep_result_clear().
 * Errors carry the operation: "SCEP PKCSReq: server answered FAILURE badRequest" (CL_E_REFUSED for every
 * refusal or failed check; CL_E_UNREACHABLE for the network; CL_E_RETRY_LATER when still PENDING after
 * poll_timeout or HTTP 5xx; CL_E_CANCELLED; CL_E_LOCAL for bad params, e.g. csr not for key). */
enum cl_status cl_scep_enroll(const struct cl_scep_params *params, struct cl_scep_result *result,
                              struct cl_error *err);
void cl_scep_result_clear(struct cl_scep_result *result);

/* The two setup steps on their own (the flow may show the CA before enrolling). */
enum cl_status cl_scep_get_caps(const char *url, const struct cl_scep_transport *transport, unsigned *caps,
                                struct cl_error *err);
enum cl_status cl_scep_get_ca(const char *url, const struct cl_scep_transport *transport,
                              const unsigned char ca_sha256[CL_SCEP_FP_LEN], struct cl_scepcert_ca *ca,
                              struct cl_error *err);

/* transactionID = 64 lowercase hex digits of SHA-256 over the key's DER SubjectPublicKeyInfo, the
 * derivation RFC 8894 suggests: a retransmission after a crash finds the same ID from the key alone. Use it
 * for a new key. A renewal that keeps its key must not reuse the ID of the earlier enrollment (the server
 * would answer with the old certificate, docs/protocol.md section 7): use cl_scep_transaction_id_random()
 * and persist it. */
enum cl_status cl_scep_transaction_id_from_key(EVP_PKEY *key, char out[CL_SCEP_TID_SIZE],
                                               struct cl_error *err);
enum cl_status cl_scep_transaction_id_random(char out[CL_SCEP_TID_SIZE], struct cl_error *err);

/* How the default transport talks: core/http.h requests with these settings. All zero: system trust for an
 * https scep.url, no proxy override, not cancellable. */
struct cl_scep_http {
	struct cl_cancel *cancel;
	const void *ca_pem; /* trust anchors (PEM) for an https scep.url: the CA established for the server */
	size_t ca_pem_len;
	bool no_proxy;
	cl_http_debug_fn debug; /* --debug output of the HTTP layer; may be NULL */
	void *debug_data;
	struct cl_http_client *client; /* made by the first request and kept, so GetCACaps, GetCACert and the
	                                  PKIOperations share one connection; cl_scep_http_clear() frees it. A
	                                  caller may set a session's (cl_http_session_client()) */
};

/* The default transport: requests with http's settings through one cl_http_client kept in http (NULL: all
 * zero, and a new connection for each request). http is not copied: it must outlive the transport; release
 * it with cl_scep_http_clear() when the transaction is over. */
void cl_scep_transport_default(struct cl_scep_transport *transport, struct cl_scep_http *http);
/* Close the connection the default transport kept open. The settings stay. Accepts NULL. */
void cl_scep_http_clear(struct cl_scep_http *http);

#endif
