/* certlink core: the one place that decides whether a CA becomes a trust anchor.
 *
 * A trust anchor is trusted for everything: a CA with NSS trust flags "C,," makes Chromium trust it for every
 * web site, one in the system store makes every program on the computer trust it, and one in certlink's
 * anchors directory makes certlink trust every server that chains to it. So a CA becomes one only with a
 * consent (docs/security.md):
 *   person         the person said yes after seeing the CA's subject and SHA-256 fingerprint (the window,
 *                  the terminal, the manager: the CL_ASK_TRUST_CA question);
 *   administrator  a zero-touch run was given exactly this SHA-256 (`certlink enroll --install-ca FP`);
 *   recorded       the CA is already a consented anchor of this store (its file is in the anchors
 *                  directory), or the certificate being renewed had it as its anchor.
 * A fingerprint pinned in a link (`ca=`), a CA that signed the server's TLS certificate, a CA the person
 * trusted for one connection, and a zero-touch run without the option are not consent.
 *
 * What is not an anchor can still be placed where the certificate needs its chain (store.h: chain.pem, the
 * PKCS#12 bundle, the NSS database without trust flags), and a program that needs a CA for one purpose only
 * (a NetworkManager connection's RADIUS CA file) uses such a file, never an anchor. Only CAs that issue the
 * enrolled certificate's chain are ever offered as anchors.
 *
 * The consent is recorded with the certificate: the anchor's file in the store's anchors directory is one
 * of its locations (records.h), so delete removes it when no other certificate uses it and renewal carries
 * it over without asking again.
 */
#ifndef CL_ANCHOR_H
#define CL_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "error.h"
#include "location.h"
#include "paths.h"

enum cl_anchor_consent {
	CL_ANCHOR_NONE = 0,
	CL_ANCHOR_PERSON,
	CL_ANCHOR_ADMINISTRATOR,
	CL_ANCHOR_RECORDED,
};

/* "none", "person", "administrator", "recorded". */
const char *cl_anchor_consent_name(enum cl_anchor_consent consent);
bool cl_anchor_consent_parse(const char *name, enum cl_anchor_consent *out);

/* The question to the person: subject (escaped, core/text.h) and fingerprint ("AB:CD:..."). Sets *yes;
 * CL_E_CANCELLED when the whole run was cancelled. */
typedef enum cl_status (*cl_anchor_ask_fn)(void *data, const char *subject, const char *fingerprint,
                                           bool *yes, struct cl_error *err);

struct cl_anchor_request {
	X509 *ca;
	enum cl_store_kind store;         /* where the anchor would go */
	const unsigned char (*admin)[32]; /* --install-ca fingerprints; may be NULL */
	size_t n_admin;
	const struct cl_locations *renewed; /* the renewed certificate's locations, or NULL */
	cl_anchor_ask_fn ask;               /* NULL: nobody can be asked */
	void *ask_data;
};

/* Decide whether REQ->ca may become a trust anchor: recorded, then administrator, then the person's
 * answer; CL_ANCHOR_NONE when none applies. Errors only for a cancelled run or a CA that cannot be
 * fingerprinted. */
enum cl_status cl_anchor_decide(const struct cl_anchor_request *req, enum cl_anchor_consent *out,
                                struct cl_error *err);

/* Does ANCHOR issue CERT's chain: CERT verifies through CHAIN (may be NULL) up to ANCHOR (a root, or an
 * intermediate the chain ends in)? Times are not checked (a wrong clock must not change the answer). */
bool cl_anchor_issues(X509 *anchor, X509 *cert, STACK_OF(X509) * chain);

/* Is SHA256 a consented anchor in LOCS (its file in a store's anchors directory)? Files of the trust
 * directory older certlink wrote without consent do not count. */
bool cl_anchor_in_locations(const struct cl_locations *locs, const unsigned char sha256[32]);

/* Is SHA256 a consented anchor of store KIND now? */
bool cl_anchor_installed(enum cl_store_kind kind, const unsigned char sha256[32]);

#endif
