/* certlink core: PKCS#10 certificate requests for SCEP.
 *
 * The activation reply (docs/protocol.md section 5) names the subject as RDNs in order, the SANs by kind, and
 * a one-time challenge. cl_csr_build() turns those into a request signed with SHA-256 by the new key; the
 * challenge goes into the challengePassword attribute. Inputs are checked against the protocol's limits
 * before anything is encoded.
 */
#ifndef CL_CSR_H
#define CL_CSR_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

#define CL_CSR_MAX_RDNS      16
#define CL_CSR_MAX_SANS      16  /* per kind */
#define CL_CSR_MAX_VALUE     64  /* characters of an RDN value; emailAddress 128 */
#define CL_CSR_MAX_SAN       255 /* bytes of one SAN */
#define CL_CSR_MAX_CHALLENGE 255 /* bytes (ub-challengePassword is 255 characters) */

struct cl_csr_rdn {
	const char *type;  /* "CN", "O", "OU", "C", "ST", "L" or "emailAddress" */
	const char *value; /* UTF-8 */
};

struct cl_csr_params {
	const struct cl_csr_rdn *subject; /* in order, first is the outermost (most significant) */
	size_t subject_count;
	const char *const *san_dns; /* DNS names (ASCII) */
	size_t san_dns_count;
	const char *const *san_email; /* rfc822Name (ASCII) */
	size_t san_email_count;
	const char *const *san_upn; /* otherName msUPN 1.3.6.1.4.1.311.20.2.3 (UTF-8) */
	size_t san_upn_count;
	const char *const *san_uri; /* uniformResourceIdentifier (ASCII) */
	size_t san_uri_count;
	const char *challenge; /* one-time SCEP challenge, or NULL; the caller keeps and wipes its buffer */
};

/* Builds and signs (SHA-256) a request for key. CL_E_LOCAL for input outside the limits above, naming the
 * offending item. Free with cl_csr_free(), which wipes the challenge copy. */
enum cl_status cl_csr_build(const struct cl_csr_params *params, EVP_PKEY *key, X509_REQ **out,
                            struct cl_error *err);

/* The same request, not signed: KEY may be a public key (the privileged helper signs a renewal's request
 * with the computer store's key, which the person's process never holds). For its subject and for
 * comparison only; it is not a request a server accepts. Free with cl_csr_free(). */
enum cl_status cl_csr_make(const struct cl_csr_params *params, EVP_PKEY *key, X509_REQ **out,
                           struct cl_error *err);

/* Wipes the challengePassword attribute, then frees. Accepts NULL. */
void cl_csr_free(X509_REQ *req);

/* DER of req in a buffer the caller frees with cl_csr_der_free(), which wipes it (it holds the challenge). */
enum cl_status cl_csr_to_der(X509_REQ *req, unsigned char **der, size_t *len, struct cl_error *err);
void cl_csr_der_free(unsigned char *der, size_t len);

#endif
