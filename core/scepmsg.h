/* certlink core: SCEP messages (RFC 8894) as bytes — pure functions, no I/O.
 *
 * Parsers take a server's reply (GetCACaps text, a CertRep pkiMessage and its envelope) and return a struct
 * or an error; each has a libFuzzer target under tests/fuzz/. Builders make the client's pkiMessages. The
 * certificates SCEP carries (GetCACert, the issued certificate) are core/scepcert.c; the enrollment flow
 * that strings it all together over HTTP is core/scep.c.
 *
 * Every input is capped before it is parsed: CL_SCEP_MAX_MESSAGE bytes for PKCS#7 and certificates,
 * CL_SCEP_MAX_CAPS bytes for GetCACaps, CL_SCEP_MAX_CERTS certificates per reply.
 */
#ifndef CL_SCEPMSG_H
#define CL_SCEPMSG_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

#define CL_SCEP_MAX_MESSAGE (256 * 1024)
#define CL_SCEP_MAX_CAPS    (8 * 1024)
#define CL_SCEP_MAX_CERTS   16
#define CL_SCEP_NONCE_LEN   16
#define CL_SCEP_TID_MAX     128 /* characters of a transactionID we accept back */
#define CL_SCEP_FP_LEN      32  /* SHA-256 */

enum cl_scep_message_type {
	CL_SCEP_CERTREP = 3,
	CL_SCEP_RENEWALREQ = 17,
	CL_SCEP_PKCSREQ = 19,
	CL_SCEP_CERTPOLL = 20,
};

enum cl_scep_pki_status {
	CL_SCEP_SUCCESS = 0,
	CL_SCEP_FAILURE = 2,
	CL_SCEP_PENDING = 3,
};

enum cl_scep_fail_info {
	CL_SCEP_BAD_ALG = 0,
	CL_SCEP_BAD_MESSAGE_CHECK = 1,
	CL_SCEP_BAD_REQUEST = 2,
	CL_SCEP_BAD_TIME = 3,
	CL_SCEP_BAD_CERT_ID = 4,
};

/* GetCACaps keywords (RFC 8894 3.5.2). SCEPStandard implies AES, POSTPKIOperation and SHA-256. */
enum {
	CL_SCEP_CAP_AES = 1u << 0,
	CL_SCEP_CAP_DES3 = 1u << 1,
	CL_SCEP_CAP_GET_NEXT_CA_CERT = 1u << 2,
	CL_SCEP_CAP_POST = 1u << 3,
	CL_SCEP_CAP_RENEWAL = 1u << 4,
	CL_SCEP_CAP_SHA1 = 1u << 5,
	CL_SCEP_CAP_SHA256 = 1u << 6,
	CL_SCEP_CAP_SHA512 = 1u << 7,
	CL_SCEP_CAP_STANDARD = 1u << 8,
};

/* d2i of a CMS/PKCS#7 ContentInfo of 1..CL_SCEP_MAX_MESSAGE bytes with nothing after it, or NULL. */
CMS_ContentInfo *cl_scepmsg_d2i_cms(const unsigned char *der, size_t len);

/* "PKCSReq", "CertRep", ...; "messageType N" style names are not returned: NULL for unknown types. */
const char *cl_scep_message_type_name(int type);
/* "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId"; NULL for other values. */
const char *cl_scep_fail_info_name(int fail_info);

/* GetCACaps: one keyword a line (CRLF or LF), case-insensitive, unknown keywords ignored. Sets *caps to the
 * CL_SCEP_CAP_* bits (SCEPStandard already expanded). CL_E_REFUSED for a body over CL_SCEP_MAX_CAPS. */
enum cl_status cl_scepmsg_parse_caps(const unsigned char *body, size_t len, unsigned *caps,
                                     struct cl_error *err);

/* What a client sends with, chosen from the capabilities: AES-256-CBC (AES-128-CBC when aes128 is set, the
 * fallback after a badAlg), else DES3 only when that is all the server offers; SHA-256, else SHA-512, else
 * SHA-1 only when that is all. Never single DES or MD5: CL_E_REFUSED when nothing acceptable is offered. */
struct cl_scepmsg_algs {
	const EVP_CIPHER *cipher;
	const EVP_MD *md;
	const char *cipher_name; /* "AES-256-CBC", "AES-128-CBC", "DES-EDE3-CBC" */
	const char *md_name;     /* "SHA-256", "SHA-512", "SHA-1" */
	bool post;               /* POSTPKIOperation offered */
};
enum cl_status cl_scepmsg_choose_algs(unsigned caps, bool aes128, struct cl_scepmsg_algs *out,
                                      struct cl_error *err);

/* A pkiMessage to build. Requests set message_type, transaction_id, sender_nonce, content (the PKCS#10 DER
 * or IssuerAndSubject DER), recipient, cipher, signer and md. pki_status, fail_info and recipient_nonce are
 * for CertRep (tests build server replies with them); -1 and NULL leave them out. content NULL: no
 * pkcsPKIEnvelope (a FAILURE or PENDING CertRep). */
struct cl_scepmsg_out {
	int message_type;
	const char *transaction_id;
	const unsigned char *sender_nonce;    /* CL_SCEP_NONCE_LEN bytes */
	const unsigned char *recipient_nonce; /* CL_SCEP_NONCE_LEN bytes or NULL */
	int pki_status;                       /* enum cl_scep_pki_status or -1 */
	int fail_info;                        /* enum cl_scep_fail_info or -1 */
	const unsigned char *content;
	size_t content_len;
	X509 *recipient;
	const EVP_CIPHER *cipher;
	X509 *signer_cert;
	EVP_PKEY *signer_key;
	const EVP_MD *md;
};

/* DER of the signed pkiMessage; caller frees with OPENSSL_free(). The envelope holds a copy of content
 * only in encrypted form; the plaintext passes through a wiped buffer. */
enum cl_status cl_scepmsg_build(const struct cl_scepmsg_out *msg, unsigned char **der, size_t *len,
                                struct cl_error *err);

/* A parsed pkiMessage. Owned; free with cl_scepmsg_in_clear(). */
struct cl_scepmsg_in {
	int message_type;
	char transaction_id[CL_SCEP_TID_MAX + 1];
	bool has_sender_nonce, has_recipient_nonce;
	unsigned char sender_nonce[CL_SCEP_NONCE_LEN];
	unsigned char recipient_nonce[CL_SCEP_NONCE_LEN];
	int pki_status; /* -1 when absent */
	int fail_info;  /* -1 when absent */
	char
	    fail_text[256]; /* failInfoText (RFC 8894), non-printable bytes replaced by '?'; "" when absent */
	unsigned char *envelope; /* DER of the pkcsPKIEnvelope, NULL when absent */
	size_t envelope_len;
	X509 *signer; /* the certificate that signed it (a reference into signers, or the embedded one) */
};

/* Parses a pkiMessage of at most CL_SCEP_MAX_MESSAGE bytes: a CMS SignedData over id-data with exactly one
 * signer whose signature verifies with a certificate of signers (NULL: with the message's own certificates,
 * which only a server-side test may want). CL_E_REFUSED for anything malformed, unsigned or badly signed. */
enum cl_status cl_scepmsg_parse(const unsigned char *der, size_t len, STACK_OF(X509) * signers,
                                struct cl_scepmsg_in *out, struct cl_error *err);
void cl_scepmsg_in_clear(struct cl_scepmsg_in *in);

/* The checks RFC 8894 asks of a CertRep answering our request: messageType 3, the same transactionID, our
 * senderNonce as recipientNonce, a known pkiStatus, a failInfo with FAILURE, an envelope with SUCCESS.
 * CL_E_REFUSED otherwise. */
enum cl_status cl_scepmsg_check_certrep(const struct cl_scepmsg_in *rep, const char *transaction_id,
                                        const unsigned char sender_nonce[CL_SCEP_NONCE_LEN],
                                        struct cl_error *err);

/* Decrypts a pkcsPKIEnvelope with key and the certificate it was encrypted to (cert NULL: every recipient is
 * tried with key). Caller frees *plain with
 * cl_scepmsg_plain_free(). The result is capped at CL_SCEP_MAX_MESSAGE bytes. *cipher_nid (may be NULL)
 * tells what the sender encrypted with. Accepted: AES-CBC and DES3, and single DES because servers such as
 * micromdm's encrypt CertReps with it: a CertRep envelope holds only public certificates, whose integrity
 * the signature and cl_scepcert_pick_issued() check, so DES costs no secrecy there. Requests certlink sends
 * never use DES (cl_scepmsg_choose_algs()). */
enum cl_status cl_scepmsg_decrypt(const unsigned char *envelope, size_t len, EVP_PKEY *key, X509 *cert,
                                  unsigned char **plain, size_t *plain_len, int *cipher_nid,
                                  struct cl_error *err);
void cl_scepmsg_plain_free(unsigned char *plain, size_t len);

/* IssuerAndSubject (the CertPoll content) as DER; caller frees with OPENSSL_free(). */
enum cl_status cl_scepmsg_issuer_and_subject(const X509_NAME *issuer, const X509_NAME *subject,
                                             unsigned char **der, size_t *len, struct cl_error *err);

#endif
