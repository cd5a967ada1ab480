/* certlink core: the facts about a certificate that records, the manager window and the command line show.
 * Pure: reads an X509, does no I/O. */
#ifndef CL_CERTINFO_H
#define CL_CERTINFO_H

#include <stdint.h>

#include <openssl/x509.h>

#include "error.h"

struct cl_certinfo {
	char serial[41];    /* lowercase hex, no leading zeros */
	char subject[512];  /* RFC 2253 */
	char issuer[512];   /* RFC 2253 */
	int64_t not_before; /* Unix time */
	int64_t not_after;
	char key_type[8]; /* "rsa", "ec" or "other" */
	int key_bits;
	char sha256[65]; /* hex of the DER's SHA-256 */
	char sha1[41];
	char sans[1024]; /* "DNS:a, email:b, ..." or "" */
};

/* NAME as one RFC 2253 line, UTF-8 kept readable, with control, format and bidirectional characters
 * escaped (core/text.h) so that it reads as the certificate says; cut at a character boundary to SIZE. */
enum cl_status cl_certinfo_name(const X509_NAME *name, char *out, size_t size, struct cl_error *err);

/* Fill info from cert. CL_E_LOCAL for a certificate that cannot be described (no serial, bad times). */
enum cl_status cl_certinfo_get(X509 *cert, struct cl_certinfo *info, struct cl_error *err);

/* Read the first PEM certificate of a file (at most 256 KiB). Caller frees with X509_free(). */
enum cl_status cl_certinfo_read_pem(const char *path, X509 **out, struct cl_error *err);

/* OpenSSL's text dump of the whole certificate followed by its PEM, for a person who asks to see all of
 * it. Caller frees *out with free(). */
enum cl_status cl_certinfo_text(X509 *cert, char **out, struct cl_error *err);

#endif
