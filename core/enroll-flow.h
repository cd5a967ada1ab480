/* certlink core: one run of the enrollment flow and the helpers every step and the driver share
 * (enroll-flow.c): progress, debug log, questions, cancellation, and how the run records its application.
 * Not for front ends.
 *
 * The steps (enroll-steps.c, enroll-activate.c, enroll-install.c, enroll-stage.c) and the driver (enroll.c,
 * enroll-ops.c) use these; this module uses none of them, so the arrows run one way.
 */
#ifndef CL_ENROLL_FLOW_H
#define CL_ENROLL_FLOW_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "enroll-keygen.h"
#include "enroll.h"
#include "http.h"
#include "proto.h"
#include "records.h"

/* Everything one run of the flow knows. Secrets (password, token, app secret) are wiped in cl_flow_free(). */
struct cl_flow {
	const struct cl_enroll_opts *opts;
	struct cl_enroll_result *result;
	char host[256];
	unsigned port;
	enum cl_store_kind store; /* where the certificate goes */
	enum cl_store_kind
	    rec_store; /* where the application is recorded: the user's own records while a
	                * computer-store enrollment runs unprivileged (installed by the helper) */
	char user[65];
	char service_name[129];
	bool have_pin;
	unsigned char pin[32];
	bool pwless;
	char token[129];
	char password[257];
	bool have_password;
	char code[65], email[129], reason[257], device_note[129];
	/* The certificate this run renews (enroll-renew.c): its serial, which is what the server knows it by,
	 * and its SHA-256, which is what this computer knows it by. renewal_system: the server's identity was
	 * established by system trust at enrollment, so it must be again (no pin, no question). */
	char renewal_of[41];
	char renewal_fp[65];
	bool renewal_system;
	char result_fp[65]; /* SHA-256 of the certificate this run installed */

	struct cl_http *http;
	struct cl_proto_config config;
	bool have_config;

	/* the recorded application this run works on */
	char app_id[17];
	char server_id[65];
	enum cl_app_state state;
	char *secret; /* application bearer secret */
	size_t secret_len;
	char transaction_id[65];

	struct cl_keygen keygen;
	EVP_PKEY *key;
	/* key is only the public half: a computer-store renewal that keeps its key while not root, whose
	 * private key is root's and stays in the computer store (the privileged helper signs the request:
	 * enroll-sign.c) */
	bool key_elsewhere;
	X509 *old_cert;
	EVP_PKEY *old_key;
	X509 *cert;
	X509 *ca;
	STACK_OF(X509) * chain;
	STACK_OF(X509) * trust;          /* profile CAs to install as trust anchors */
	struct cl_proto_profile profile; /* the activation's CAs and networks (network.h) */
};

/* Copy src (NULL: "") into dst, truncated to size - 1 bytes. */
void cl_flow_copy(char *dst, size_t size, const char *src);
void cl_flow_progress(struct cl_flow *f, enum cl_stage stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_flow_log(struct cl_flow *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cl_flow_cancelled(const struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_ask(struct cl_flow *f, struct cl_question *q, struct cl_error *err);

/* Records: write the flow's view of its application (state, ids, transactionID) under the lock. */
enum cl_status cl_flow_record_new(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_record_save(struct cl_flow *f, const char *last_error, struct cl_error *err);
/* Load the recorded application id into the flow (state, ids, secret). */
enum cl_status cl_flow_record_load(struct cl_flow *f, const struct cl_application *app, struct cl_error *err);

#define CL_FLOW_SECRET_TOKEN "token" /* a passwordless invitation's token, until the apply is answered */
bool cl_flow_record_same_invitation(struct cl_flow *f, const struct cl_application *app);
/* Forget an application that was never answered (its record and secrets). */
enum cl_status cl_flow_record_drop(struct cl_flow *f, const char *app_id, struct cl_error *err);

/* The client_request_id recorded for the flow's application (for an idempotent apply). */
enum cl_status cl_flow_record_request_id(struct cl_flow *f, char out[64], struct cl_error *err);

/* Does this run install into the computer store through the privileged helper (not root)? Its records are
 * the person's, the store root's. */
bool cl_flow_elevated(const struct cl_flow *f);

void cl_flow_init(struct cl_flow *f, const struct cl_enroll_opts *opts, struct cl_enroll_result *result);
/* Wipe the run's secrets and free what it holds. */
void cl_flow_free(struct cl_flow *f);

#endif
