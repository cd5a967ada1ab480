/* certlink core: state shared by the files of the enrollment flow (enroll*.c). Not for front ends. */
#ifndef CL_ENROLL_PRIVATE_H
#define CL_ENROLL_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "anchor.h"
#include "enroll.h"
#include "http.h"
#include "key.h"
#include "proto.h"
#include "records.h"

/* A key generated on a thread of its own while the flow talks to the server (RSA keys take a while). For an
 * EC key the thread also makes the RSA transport key SCEP signs with (core/scep.h). */
struct cl_keygen {
	pthread_t thread;
	bool started;
	struct cl_key_spec spec;
	EVP_PKEY *key;
	EVP_PKEY *transport; /* NULL unless spec is not RSA (or its generation failed: SCEP then makes one) */
	enum cl_status status;
	struct cl_error err;
};

void cl_keygen_start(struct cl_keygen *kg, const struct cl_key_spec *spec);
/* Wait for the key; when spec differs from what was started, generate spec instead. *out owned by caller. */
enum cl_status cl_keygen_take(struct cl_keygen *kg, const struct cl_key_spec *spec, EVP_PKEY **out,
                              struct cl_error *err);
/* Wait for the thread and take the transport key it made, or NULL. Caller frees. */
EVP_PKEY *cl_keygen_take_transport(struct cl_keygen *kg);
void cl_keygen_discard(struct cl_keygen *kg);

/* Everything one run of the flow knows. Secrets (password, token, app secret) are wiped in flow_free. */
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
	char renewal_of[41];

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
	X509 *old_cert;
	EVP_PKEY *old_key;
	X509 *cert;
	X509 *ca;
	STACK_OF(X509) * chain;
	STACK_OF(X509) * trust; /* profile CAs to install as trust anchors */
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

/* Steps (enroll-steps.c) */
enum cl_status cl_flow_connect(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_apply(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_wait_approval(struct cl_flow *f, struct cl_error *err);
/* enroll-activate.c */
enum cl_status cl_flow_activate(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_install(struct cl_flow *f, struct cl_error *err);
/* Record an installed certificate (enroll-install.c), for the flow and for the privileged helper. */
struct cl_certinfo;
enum cl_status cl_flow_record_certificate(struct cl_records *rec, const struct cl_certinfo *info,
                                          const char *host, int port, const char *user, const char *app_id,
                                          const struct cl_locations *locs, struct cl_error *err);
/* A profile CA that may become a trust anchor, with the consent that allows it (anchor.h). */
struct cl_flow_anchor {
	X509 *ca;
	enum cl_anchor_consent consent;
};

/* Note in the result that CA, offered as a trust anchor, was not installed as one (enroll-install.c). */
void cl_flow_note_anchor_not_installed(struct cl_flow *f, X509 *ca);

/* enroll-stage.c: stage for the privileged helper and call opts->elevate; then, for each of ANCHORS,
 * opts->elevate_anchor (its own polkit action). An anchor that is not installed (no hook, authentication
 * refused, the helper refused it) is noted in the result; it does not fail the install. */
enum cl_status cl_flow_install_elevated(struct cl_flow *f, const struct cl_flow_anchor *anchors, size_t n,
                                        struct cl_error *err);

void cl_flow_init(struct cl_flow *f, const struct cl_enroll_opts *opts, struct cl_enroll_result *result);
void cl_flow_free(struct cl_flow *f);

#endif
