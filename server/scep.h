/* certlink-server: the server side of SCEP (RFC 8894) messages: parsing a client's pkiMessage (PKCSReq,
 * RenewalReq, CertPoll, GetCert) and building the CertRep answer, GetCACaps and GetCACert bodies.
 *
 * Pure functions: bytes in, struct or bytes out, no I/O and no policy. The caller (HTTP routing, challenge
 * policy, issuance, idempotency per transactionID) lives elsewhere in server/.
 *
 * Who signs and decrypts: a separate RA certificate ("ra" below), RSA, keyUsage digitalSignature and
 * keyEncipherment, not a CA (basicConstraints CA:FALSE), issued by the CA. GetCACert then answers
 * application/x-x509-ca-ra-cert with the RA and the CA. micromdm scepclient, certmonger and strongSwan pki
 * all enroll through it with no extra configuration, while certmonger refuses CertReps signed by a lone CA
 * certificate; the CA keeps a plain CA keyUsage and may be EC. The functions also work with an RSA CA as
 * "ra". docs/scep-server.md has the client matrix and command lines.
 *
 * Algorithms: requests may use SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 and AES-128/192/256-CBC,
 * DES-EDE3-CBC or (decrypt only, for micromdm scepclient, which knows nothing else) single DES-CBC. The
 * answer uses the request's digest and cipher family: a DES-CBC request is answered with DES-EDE3-CBC.
 */
#ifndef SRV_SCEP_H
#define SRV_SCEP_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Largest pkiMessage srv_scep_parse() looks at; larger input is refused before any parsing. */
#define SRV_SCEP_MAX_MESSAGE (256 * 1024)
/* Longest transactionID accepted (characters). */
#define SRV_SCEP_TRANSACTION_ID_MAX 128
/* Longest challengePassword accepted (bytes of UTF-8). */
#define SRV_SCEP_CHALLENGE_MAX 255
#define SRV_SCEP_NONCE_LEN     16

/* messageType values (RFC 8894 3.2.1.2). */
enum srv_scep_message_type {
	SRV_SCEP_CERTREP = 3,
	SRV_SCEP_RENEWALREQ = 17,
	SRV_SCEP_PKCSREQ = 19,
	SRV_SCEP_CERTPOLL = 20,
	SRV_SCEP_GETCERT = 21,
};

/* pkiStatus values (RFC 8894 3.2.1.3). */
enum srv_scep_pki_status {
	SRV_SCEP_SUCCESS = 0,
	SRV_SCEP_FAILURE = 2,
	SRV_SCEP_PENDING = 3,
};

/* failInfo values (RFC 8894 3.2.1.4). */
enum srv_scep_fail_info {
	SRV_SCEP_BAD_ALG = 0,           /* unsupported digest, cipher or key type */
	SRV_SCEP_BAD_MESSAGE_CHECK = 1, /* signature, decryption or CSR self-signature failed */
	SRV_SCEP_BAD_REQUEST =
	    2, /* malformed, unsupported message type, not for this RA, refused by policy */
	SRV_SCEP_BAD_TIME = 3,
	SRV_SCEP_BAD_CERT_ID = 4, /* GetCert/CertPoll: no such certificate */
};

/* What srv_scep_parse() found. */
enum srv_scep_result {
	SRV_SCEP_OK = 0,    /* authenticated request: every field below is filled for its message type */
	SRV_SCEP_REFUSE,    /* answer with a FAILURE CertRep carrying req->fail_info (transaction_id and
	                       sender_nonce are filled, but NOT authenticated: answer, never store) */
	SRV_SCEP_MALFORMED, /* not even a transactionID and senderNonce to answer to: HTTP 400, no CertRep */
	SRV_SCEP_INTERNAL,  /* out of memory or an unusable RA key/certificate: HTTP 500 */
};

struct srv_scep_request {
	int message_type; /* enum srv_scep_message_type, or another number the client sent */
	char transaction_id[SRV_SCEP_TRANSACTION_ID_MAX + 1]; /* PrintableString characters only */
	unsigned char sender_nonce[SRV_SCEP_NONCE_LEN];
	X509 *signer;    /* the request's signer: self-signed (PKCSReq, CertPoll) or an existing certificate
	                    (RenewalReq; check it with srv_scep_signer_issued_by()). RSA. */
	X509_REQ *csr;   /* PKCSReq/RenewalReq: self-signature verified; the challengePassword attribute is
	                    removed   (and its bytes wiped), so the CSR's own signature no longer verifies */
	char *challenge; /* challengePassword as UTF-8, NULL when absent; secret, wiped by ..._clear() */
	int digest_nid;  /* digest of the request's signature (NID_sha256, ...), NID_undef if unknown */
	int cipher_nid;  /* content-encryption of the request (NID_aes_128_cbc, ...), NID_undef if unknown */
	X509_NAME *issuer;    /* CertPoll: issuerAndSubject.issuer; GetCert: issuerAndSerialNumber.issuer */
	X509_NAME *subject;   /* CertPoll: issuerAndSubject.subject */
	ASN1_INTEGER *serial; /* GetCert: issuerAndSerialNumber.serialNumber */
	int fail_info;        /* enum srv_scep_fail_info when the result is not SRV_SCEP_OK, else -1 */
};

/* Parse and check the pkiMessage der/len (the HTTP body of a POST, or the base64-decoded GET message):
 * size cap, outer signedData with exactly one signer, messageType/transactionID/senderNonce attributes,
 * supported digest, signature over the signed attributes with the signer certificate in the message, the
 * envelope addressed to ra_cert, supported cipher, decryption with ra_key, then the content: a CSR with a
 * valid self-signature (PKCSReq/RenewalReq), IssuerAndSubject (CertPoll) or IssuerAndSerialNumber (GetCert).
 * req is overwritten; release it with srv_scep_request_clear() whatever the result. errbuf (may be NULL) gets
 * a one-line reason for the log; it never contains the challenge. */
enum srv_scep_result srv_scep_parse(const unsigned char *der, size_t len, X509 *ra_cert, EVP_PKEY *ra_key,
                                    struct srv_scep_request *req, char *errbuf, size_t errlen);

/* Free everything req holds, wipe the challenge, and reset it to empty. Accepts NULL. */
void srv_scep_request_clear(struct srv_scep_request *req);

/* Build the CertRep for req, signed by ra_cert/ra_key with req's digest (SHA-256 when unknown): same
 * transactionID, recipientNonce = req's senderNonce, a fresh senderNonce, pkiStatus status, failInfo
 * fail_info when status is FAILURE. On SUCCESS, issued (followed by chain, may be NULL) goes into a
 * degenerate certs-only PKCS#7, enveloped to req->signer with req's cipher family. Usable for a SRV_SCEP_OK
 * request, and for a SRV_SCEP_REFUSE one with status FAILURE. *out is malloc()ed: free() it. Returns 0, or -1
 * with errbuf set. */
int srv_scep_build_reply(const struct srv_scep_request *req, enum srv_scep_pki_status status, int fail_info,
                         X509 *issued, STACK_OF(X509) * chain, X509 *ra_cert, EVP_PKEY *ra_key,
                         unsigned char **out, size_t *out_len, char *errbuf, size_t errlen);

/* The GetCACaps body (text/plain), one capability a line: POSTPKIOperation, SHA-256, SHA-384, SHA-512, SHA-1,
 * AES, DES3, Renewal, SCEPStandard. Static; do not free. */
const char *srv_scep_caps(void);

/* The GetCACert body: with ra NULL, the CA certificate's DER ("application/x-x509-ca-cert"); otherwise a
 * degenerate PKCS#7 with the RA then the CA certificate ("application/x-x509-ca-ra-cert"). *der is
 * malloc()ed: free() it. *content_type is static. Returns 0 or -1. */
int srv_scep_cacert(X509 *ca, X509 *ra, unsigned char **der, size_t *len, const char **content_type);

/* RenewalReq: does req->signer chain to ca and is it within its validity now? Returns 0, or -1 with errbuf
 * set. The caller still checks that the certificate belongs to the application and is not revoked. */
int srv_scep_signer_issued_by(const struct srv_scep_request *req, X509 *ca, char *errbuf, size_t errlen);

/* Decode a GET PKIOperation "message" parameter (already URL-decoded): base64 with line breaks or other
 * whitespace, where a space stands for a '+' that was not percent-encoded. At most SRV_SCEP_MAX_MESSAGE bytes
 * result. *der is malloc()ed: free() it. Returns 0 or -1. */
int srv_scep_message_from_base64(const char *text, size_t text_len, unsigned char **der, size_t *der_len);

/* Names for logs: "PKCSReq", "badRequest", ... ("unknown" otherwise). */
const char *srv_scep_message_type_name(int message_type);
const char *srv_scep_fail_info_name(int fail_info);

#endif
