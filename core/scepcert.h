/* certlink core: the certificates of a SCEP exchange (RFC 8894) — pure functions, no I/O.
 *
 * GetCACert's reply (the CA selected by the fingerprint activation named, the RA or CA to encrypt to, the
 * certificates allowed to sign CertReps), the certificate list of a SUCCESS CertRep and the certificate in
 * it that is ours, and the throw-away self-signed certificate a PKCSReq is signed with. Inputs are capped
 * as in scepmsg.h (CL_SCEP_MAX_MESSAGE bytes, CL_SCEP_MAX_CERTS certificates).
 */
#ifndef CL_SCEPCERT_H
#define CL_SCEPCERT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "scepmsg.h"

/* The CA as GetCACert gave it, after cl_scepcert_parse_cacert(). Owned; free with cl_scepcert_ca_clear(). */
struct cl_scepcert_ca {
	X509 *ca;                 /* the certificate whose SHA-256 is the activation's scep.ca_sha256 */
	X509 *recipient;          /* encrypt requests to this: an RA allowing keyEncipherment, else the CA */
	STACK_OF(X509) * signers; /* may sign CertReps: the CA and every RA certificate chaining to it */
	STACK_OF(X509) * certs;   /* every certificate of the reply, to build chains with */
};

/* GetCACert: content_type "application/x-x509-ca-cert" (one DER certificate) or
 * "application/x-x509-ca-ra-cert" (degenerate PKCS#7); anything else is sniffed (DER certificate, then
 * PKCS#7). CL_E_REFUSED when no certificate has the fingerprint ca_sha256, or the encryption certificate
 * has no RSA key. An RA is accepted only when it chains to that CA. */
enum cl_status cl_scepcert_parse_cacert(const unsigned char *body, size_t len, const char *content_type,
                                        const unsigned char ca_sha256[CL_SCEP_FP_LEN],
                                        struct cl_scepcert_ca *out, struct cl_error *err);
void cl_scepcert_ca_clear(struct cl_scepcert_ca *ca);

/* A degenerate certificates-only PKCS#7/CMS SignedData: 1..CL_SCEP_MAX_CERTS certificates. Caller frees with
 * sk_X509_pop_free(*out, X509_free). */
enum cl_status cl_scepcert_parse_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *out,
                                       struct cl_error *err);

/* From the certificates of a SUCCESS reply, the one whose public key is want; it must chain to ca->ca
 * (intermediates from the reply or GetCACert). Caller frees *out with X509_free(). CL_E_REFUSED otherwise. */
enum cl_status cl_scepcert_pick_issued(STACK_OF(X509) * certs, const EVP_PKEY *want,
                                       const struct cl_scepcert_ca *ca, X509 **out, struct cl_error *err);

/* A throw-away self-signed certificate of key with subject, to sign a PKCSReq (RFC 8894 2.3): keyUsage
 * digitalSignature and keyEncipherment, valid from an hour ago for a week. key is the key being certified
 * when that is RSA, else a throw-away RSA transport key (core/scep.h). */
enum cl_status cl_scepcert_self_signed(EVP_PKEY *key, const X509_NAME *subject, const EVP_MD *md, X509 **out,
                                       struct cl_error *err);

#endif
