/* certlink core: certlink:// invitation links (docs/links.md).
 *
 * cl_link_parse() turns an untrusted link into a struct cl_link, or refuses it as a whole with CL_E_LOCAL and
 * a message naming the broken rule. cl_link_format() builds the canonical link for a struct (the reference
 * server prints invitations with it). Both are pure: no I/O, and no heap beyond uriparser's parse tree.
 * Error messages never repeat parameter values, so they are safe to show and to log.
 */
#ifndef CL_LINK_H
#define CL_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "fingerprint.h"
#include "store-kind.h"

#define CL_LINK_MAX          2048 /* octets in a whole link */
#define CL_LINK_PARAMS_MAX   16   /* parameters in a link, unknown ones included */
#define CL_LINK_NAME_MAX     16   /* octets in a parameter name */
#define CL_LINK_VALUE_MAX    256  /* octets in any value after decoding */
#define CL_LINK_HOST_MAX     253  /* octets in a host name without its final dot */
#define CL_LINK_TEXT_MAX     64   /* characters in user, code and name */
#define CL_LINK_TOKEN_MIN    16
#define CL_LINK_TOKEN_MAX    128
#define CL_LINK_SERIAL_MAX   40 /* hex digits */
#define CL_LINK_DEFAULT_PORT 443

enum cl_link_action {
	CL_LINK_ENROLL = 0, /* /enroll: apply for a new certificate */
	CL_LINK_RENEW,      /* /renew: renew the certificate named by serial */
};

/* A parsed link. Text fields are NUL-terminated UTF-8 without control characters, "" when absent. */
struct cl_link {
	enum cl_link_action action;
	char host[CL_LINK_HOST_MAX + 1]; /* lowercase, no final dot, IPv6 without brackets */
	bool host_is_ip;                 /* host is an IPv4 or IPv6 literal */
	unsigned int port;               /* 1-65535, CL_LINK_DEFAULT_PORT when absent */
	enum cl_store_kind store;        /* CL_STORE_ASK when absent */
	bool pwless;                     /* passwordless: token is set */
	char user[CL_LINK_VALUE_MAX + 1];
	char code[CL_LINK_TEXT_MAX + 1];
	char token[CL_LINK_TOKEN_MAX + 1]; /* secret: wiped by cl_link_clear(), never logged */
	char name[CL_LINK_VALUE_MAX + 1];
	char serial[CL_LINK_SERIAL_MAX + 1]; /* hex as written; renew links only */
	unsigned char ca_fp[CL_FP_LEN];      /* SHA-256 of the CA certificate's DER, when has_ca_fp */
	bool has_ca_fp;
	size_t n_unknown; /* ignored unknown parameters, in link order */
	char unknown[CL_LINK_PARAMS_MAX][CL_LINK_NAME_MAX + 1];
};

/* Parses text (a NUL-terminated link) into out. On refusal returns CL_E_LOCAL with the reason in err and
 * leaves out cleared; CL_E_UNEXPECTED only when memory runs out. Call cl_link_clear(out) when done. */
enum cl_status cl_link_parse(const char *text, struct cl_link *out, struct cl_error *err);

/* Wipes the whole struct (the token with OPENSSL_cleanse) and resets it to an empty enroll link on port 443
 * with the store left to ask. Accepts NULL. */
void cl_link_clear(struct cl_link *link);

/* Writes the canonical link for link into out (size octets, CL_LINK_MAX + 1 is always enough): parameters in
 * a fixed order, v=1 first, only unreserved characters unencoded, a space as "+", the port only when not
 * 443, ca as 64 lowercase hex digits. Unknown parameter names are not written. The result is checked by
 * parsing it back: CL_E_LOCAL if the fields do not make a valid link that parses to the same fields (for
 * example an uppercase host, or pwless without a token), or if the link or out would be too long. */
enum cl_status cl_link_format(const struct cl_link *link, char *out, size_t size, struct cl_error *err);

/* True when a and b have the same fields, unknown parameter names aside. */
bool cl_link_equal(const struct cl_link *a, const struct cl_link *b);

/* "enroll" or "renew"; "unknown" for any other value. Static string. */
const char *cl_link_action_name(enum cl_link_action action);

#endif
