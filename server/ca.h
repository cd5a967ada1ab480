/* certlink-server: the certificate authority: CA, SCEP RA and TLS certificates in the state dir, issuance,
 * serial numbers and the CRL.
 *
 * State dir files: ca.key/ca.pem (the CA), ra.key/ra.pem (the SCEP RA: encryption and CertRep signatures),
 * tls.key/tls.pem (the HTTPS server certificate, signed by the CA). Keys are PKCS#8 PEM, mode 0600.
 */
#ifndef SRV_CA_H
#define SRV_CA_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

struct srv_ca {
	X509 *cert;
	EVP_PKEY *key;
	X509 *ra_cert;
	EVP_PKEY *ra_key;
	char *cert_pem;      /* the CA certificate, PEM */
	char *tls_chain_pem; /* TLS certificate followed by the CA certificate */
	char *tls_key_pem;   /* secret: wiped on free */
	char fp_hex[65];     /* SHA-256 of the CA certificate's DER */
	char subject[256];   /* RFC 2253 text */
};

struct srv_ca_opts {
	const char *const *hostnames; /* extra TLS names (DNS names or IP addresses) */
	size_t n_hostnames;
	int ec;        /* CA key: P-256 when set, RSA 3072 otherwise */
	int load_only; /* never create anything; no TLS material (admin command line) */
};

/* Load the CA from dir, creating CA, RA and TLS certificate on first use (*created = 1). A TLS certificate
 * that lacks a requested name or expires within 30 days is replaced. */
enum cl_status srv_ca_load_or_create(const char *dir, const struct srv_ca_opts *opts, struct srv_ca **out,
                                     int *created, struct cl_error *err);
void srv_ca_free(struct srv_ca *ca);

/* Subject alternative names of an issued certificate. */
struct srv_san {
	const char *const *email;
	size_t n_email;
	const char *const *dns;
	size_t n_dns;
};

/* Issue an end-entity certificate (clientAuth) for pub with subject and san, valid for days, with a CRL
 * distribution point at crl_url (NULL or "": none). Caller frees. */
enum cl_status srv_ca_issue(const struct srv_ca *ca, const X509_NAME *subject, EVP_PKEY *pub,
                            const struct srv_san *san, int days, const char *crl_url, X509 **out,
                            struct cl_error *err);

/* Serial as lowercase hex without leading zeros into out (at least 41 bytes). */
void srv_ca_serial_hex(const X509 *cert, char *out, size_t n);

/* SHA-256 of the DER SubjectPublicKeyInfo, 64 hex digits. Returns 0 or -1. */
int srv_pubkey_sha256(EVP_PKEY *pub, char out[65]);

/* One revoked certificate for the CRL; reason is a CRLReason (RFC 5280 5.3.1), -1 for none. */
struct srv_revoked {
	char serial[48];
	time_t when;
	int reason;
};

#define SRV_CRL_REASON_SUPERSEDED 4

/* A DER CRL signed by the CA listing revoked, valid for 7 days. Caller frees *der with OPENSSL_free. */
enum cl_status srv_ca_crl(const struct srv_ca *ca, const struct srv_revoked *revoked, size_t n,
                          unsigned char **der, size_t *len, struct cl_error *err);

/* The text form of a name (RFC 2253) into out. */
void srv_name_text(const X509_NAME *name, char *out, size_t n);

#endif
