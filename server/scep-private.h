/* certlink-server: SCEP internals shared with the unit tests and the fuzz target. */
#ifndef SRV_SCEP_PRIVATE_H
#define SRV_SCEP_PRIVATE_H

#include <openssl/types.h>
#include <openssl/x509.h>

#include "scep.h"

/* The library context every SCEP object is made in: default provider, plus legacy for single-DES
 * requests when it is installed. Created once, thread-safe; NULL when OpenSSL cannot make one. */
OSSL_LIB_CTX *srv_scep_libctx(void);

/* The single value of the attribute with dotted oid in attrs: 1 found (*value set), 0 absent, -1 present
 * twice or with several values. */
int srv_scep_attr_get(const STACK_OF(X509_ATTRIBUTE) * attrs, const char *oid, ASN1_TYPE **value);

/* The last step of srv_scep_parse(): the decrypted content der/len as req->message_type says (a CSR,
 * IssuerAndSubject or IssuerAndSerialNumber). Lets the fuzz target reach the content parsers, which a
 * mutated message never reaches past the signature check. */
enum srv_scep_result srv_scep_parse_content(struct srv_scep_request *req, const unsigned char *der,
                                            size_t len, char *errbuf, size_t errlen);

#endif
