/* certlink core: the enrollment flow's first steps: connect (establish the server's identity, read its
 * configuration), apply (or re-send the recorded apply), and wait for approval. */
#include "enroll-private.h"

#include <libintl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "device.h"
#include "paths.h"
#include "secret.h"

struct trust_ctx {
	struct cl_flow *f;
};

static enum cl_http_answer ask_trust(void *data, const struct cl_http_peer *peer)
{
	struct cl_flow *f = data;
	struct cl_question q;
	struct cl_error ignored;

	memset(&q, 0, sizeof(q));
	q.kind = CL_ASK_TRUST_SERVER;
	q.fingerprint = peer->sha256;
	q.subject = peer->subject;
	q.issuer = peer->issuer;
	q.trust = CL_TRUST_NO;
	if (cl_flow_ask(f, &q, &ignored) != CL_OK)
		return CL_HTTP_ANSWER_NO;
	switch (q.trust) {
	case CL_TRUST_ONCE:
		return CL_HTTP_ANSWER_ONCE;
	case CL_TRUST_REMEMBER:
		return CL_HTTP_ANSWER_REMEMBER;
	case CL_TRUST_NO:
		break;
	}
	return CL_HTTP_ANSWER_NO;
}

static void http_debug(void *data, const char *line)
{
	cl_flow_log(data, "http: %s", line);
}

static void http_retry(void *data, int attempt, int max, long delay_ms, const char *why)
{
	struct cl_flow *f = data;

	if (f->opts->progress)
		f->opts->progress(f->opts->user_data, CL_STAGE_CONNECT, why);
	cl_flow_log(f, "attempt %d of %d failed (%s); retrying in %ld ms", attempt, max, why, delay_ms);
}

/* The user's entry first, then the computer's; NULL entries (no HOME) dropped. */
static void both_stores(char *(*path_of)(enum cl_store_kind, struct cl_error *), char *out[3])
{
	out[0] = path_of(CL_STORE_USER, NULL);
	out[1] = path_of(CL_STORE_COMPUTER, NULL);
	out[2] = NULL;
	if (!out[0]) {
		out[0] = out[1];
		out[1] = NULL;
	}
}

enum cl_status cl_flow_connect(struct cl_flow *f, struct cl_error *err)
{
	char *dirs[3], *known[3], *remember;
	struct cl_http_config cfg;
	enum cl_status st = CL_OK;

	cl_flow_progress(f, CL_STAGE_CONNECT, "connecting to %s port %u", f->host, f->port);
	memset(&cfg, 0, sizeof(cfg));
	/* the anchors a person or administrator agreed to count like the system store; a server remembered
	 * by the person counts for its own host and port only */
	both_stores(cl_paths_anchors_dir, dirs);
	both_stores(cl_paths_known_servers_file, known);
	/* remembered where this process keeps its own records (the person's, for an elevated install) */
	remember = cl_paths_known_servers_file(f->rec_store, NULL);
	cfg.host = f->host;
	cfg.port = f->port;
	cfg.have_pin = f->have_pin;
	memcpy(cfg.pin, f->pin, sizeof(cfg.pin));
	cfg.anchor_dirs = (const char *const *)dirs;
	cfg.known_servers = (const char *const *)known;
	cfg.remember_file = remember;
	cfg.remember_dir_mode = cl_paths_store_dir_mode(f->rec_store);
	cfg.system_ca_file = getenv("CERTLINK_SYSTEM_CA_FILE");
	/* A certificate enrolled with a server the system trusts is renewed only with a server the system
	 * trusts: no question that would let a look-alike in. */
	cfg.ask = f->opts->ask && !f->renewal_system ? ask_trust : NULL;
	cfg.ask_data = f;
	cfg.opts.no_proxy = f->opts->no_proxy;
	cfg.opts.max_attempts = f->opts->max_attempts;
	cfg.opts.timeout_ms = f->opts->timeout > 0 ? (long)f->opts->timeout * 1000 : 0;
	if (cfg.opts.timeout_ms && cfg.opts.timeout_ms < 15000)
		cfg.opts.connect_timeout_ms = cfg.opts.timeout_ms;
	cfg.opts.cancel = f->opts->cancel;
	cfg.opts.debug = f->opts->debug ? http_debug : NULL;
	cfg.opts.debug_data = f;
	cfg.opts.on_retry = http_retry;
	cfg.opts.retry_data = f;
	f->http = cl_http_new(&cfg, err);
	if (!f->http)
		st = err->status ? err->status : CL_E_LOCAL;
	if (st == CL_OK)
		st = cl_http_establish(f->http, err);
	if (st == CL_OK)
		st = cl_proto_get_config(f->http, &f->config, err);
	if (st == CL_OK) {
		f->have_config = true;
		if (!f->service_name[0])
			cl_flow_copy(f->service_name, sizeof(f->service_name), f->config.service_name);
	}
	free(dirs[0]);
	free(dirs[1]);
	free(known[0]);
	free(known[1]);
	free(remember);
	if (st != CL_OK)
		cl_error_prefix(err, "connecting to %s:%u", f->host, f->port);
	return st;
}

static void login_user(char *out, size_t size)
{
	struct passwd *pw = getpwuid(getuid());

	snprintf(out, size, "%s", pw && pw->pw_name ? pw->pw_name : "");
}

/* The password, unless the link is passwordless. Asks when the run may ask and has none. */
static enum cl_status need_credentials(struct cl_flow *f, const char *hint, struct cl_error *err)
{
	struct cl_question q;
	enum cl_status st;

	if (f->pwless && !hint)
		return CL_OK;
	if (f->have_password && !hint && f->user[0])
		return CL_OK;
	if (!f->opts->ask) {
		if (!f->user[0])
			login_user(f->user, sizeof(f->user));
		if (f->have_password)
			return CL_OK;
		return cl_error_set(err, CL_E_LOCAL,
		                    "a password is needed (give one with --password-file, "
		                    "--password-stdin or CERTLINK_PASSWORD)");
	}
	memset(&q, 0, sizeof(q));
	q.kind = CL_ASK_CREDENTIALS;
	q.error_hint = hint;
	snprintf(q.user, sizeof(q.user), "%s", f->user);
	st = cl_flow_ask(f, &q, err);
	if (st == CL_OK) {
		snprintf(f->user, sizeof(f->user), "%s", q.user);
		memcpy(f->password, q.password, sizeof(f->password));
		f->have_password = true;
		f->pwless = false;
	}
	OPENSSL_cleanse(q.password, sizeof(q.password));
	if (st == CL_OK && !f->user[0])
		st = cl_error_set(err, CL_E_LOCAL, "a user ID is needed");
	return st;
}

static bool missing(const struct cl_proto_field *fld, const char *value)
{
	return fld->use == CL_PROTO_USE_REQUIRED && !value[0];
}

static enum cl_field_use use_of(const struct cl_proto_field *fld)
{
	return fld->use == CL_PROTO_USE_REQUIRED   ? CL_FIELD_REQUIRED
	       : fld->use == CL_PROTO_USE_OPTIONAL ? CL_FIELD_OPTIONAL
	                                           : CL_FIELD_OFF;
}

/* The fields the server requires and nobody gave: asked together in one question. */
static enum cl_status need_fields(struct cl_flow *f, const char *hint, struct cl_error *err)
{
	const struct cl_proto_config *c = &f->config;
	struct cl_question q;
	enum cl_status st;

	if (!hint && !(f->opts->confirm_apply && f->opts->ask) && !missing(&c->invitation_code, f->code) &&
	    !missing(&c->email, f->email) && !missing(&c->reason, f->reason) &&
	    !missing(&c->device_note, f->device_note))
		return CL_OK;
	if (!f->opts->ask)
		return cl_error_set(err, CL_E_LOCAL, "the server requires fields that were not given%s%s",
		                    hint ? ": " : "", hint ? hint : "");
	memset(&q, 0, sizeof(q));
	q.kind = CL_ASK_FIELDS;
	q.error_hint = hint;
	q.use_code = use_of(&c->invitation_code);
	q.use_email = use_of(&c->email);
	q.use_reason = use_of(&c->reason);
	q.use_device_note = use_of(&c->device_note);
	q.device_note_label = c->device_note.label[0] ? c->device_note.label : NULL;
	q.store = f->store; /* shown: what the application will name */
	snprintf(q.user, sizeof(q.user), "%s", f->user);
	snprintf(q.code, sizeof(q.code), "%s", f->code);
	snprintf(q.email, sizeof(q.email), "%s", f->email);
	snprintf(q.reason, sizeof(q.reason), "%s", f->reason);
	snprintf(q.device_note, sizeof(q.device_note), "%s", f->device_note);
	st = cl_flow_ask(f, &q, err);
	if (st != CL_OK)
		return st;
	snprintf(f->code, sizeof(f->code), "%s", q.code);
	snprintf(f->email, sizeof(f->email), "%s", q.email);
	snprintf(f->reason, sizeof(f->reason), "%s", q.reason);
	snprintf(f->device_note, sizeof(f->device_note), "%s", q.device_note);
	return CL_OK;
}

static const char *field(const struct cl_proto_field *fld, const char *value)
{
	return fld->use != CL_PROTO_USE_OFF && value[0] ? value : NULL;
}

static enum cl_status send_apply(struct cl_flow *f, const char *request_id, struct cl_proto_application *out,
                                 struct cl_error *err)
{
	const struct cl_proto_config *c = &f->config;
	struct cl_device dev;
	struct cl_proto_apply req;
	char reason[600];
	enum cl_status st;

	memset(&dev, 0, sizeof(dev));
	cl_device_identify(&dev, NULL);
	if (cl_device_reason(&dev, f->store, f->reason, reason, sizeof(reason), err) != CL_OK)
		return err->status;
	memset(&req, 0, sizeof(req));
	req.client_request_id = request_id;
	req.user = f->user;
	req.password = f->pwless ? NULL : f->password;
	req.invitation_token = f->pwless ? f->token : NULL;
	req.store = cl_store_kind_name(f->store);
	req.email = field(&c->email, f->email);
	req.reason = c->reason.use != CL_PROTO_USE_OFF ? reason : NULL;
	req.device_note = field(&c->device_note, f->device_note);
	req.invitation_code = field(&c->invitation_code, f->code);
	req.apid = dev.apid[0] ? dev.apid : NULL;
	req.renewal_of = f->renewal_of[0] ? f->renewal_of : NULL;
	st = cl_proto_apply(f->http, &req, out, err);
	OPENSSL_cleanse(reason, sizeof(reason));
	return st;
}

/* What the server said about the apply: ask again for what can be asked, or stop. */
static enum cl_status retry_apply(struct cl_flow *f, int *tries, struct cl_error *err)
{

	if (++*tries > 3 || !f->opts->ask || err->status != CL_E_REFUSED)
		return err->status;
	if (strcmp(err->code, "invalid_credentials") == 0)
		return need_credentials(f, dgettext("certlink", "The user ID or password is incorrect."),
		                        err);
	if (strcmp(err->code, "field_required") == 0 || strcmp(err->code, "invalid_invitation_code") == 0 ||
	    strcmp(err->code, "field_too_long") == 0) {
		char hint[CL_ERROR_MSG_MAX];

		snprintf(hint, sizeof(hint), "%s", err->msg);
		return need_fields(f, hint, err);
	}
	return err->status;
}

static enum cl_app_state app_state(enum cl_proto_state s)
{
	switch (s) {
	case CL_PROTO_PENDING:
		return CL_APP_PENDING;
	case CL_PROTO_APPROVED:
		return CL_APP_APPROVED;
	case CL_PROTO_ISSUED:
		return CL_APP_APPROVED; /* the certificate is fetched again by activate + SCEP retransmission
		                         */
	case CL_PROTO_REJECTED:
		return CL_APP_REJECTED;
	case CL_PROTO_WITHDRAWN:
		return CL_APP_WITHDRAWN;
	}
	return CL_APP_FAILED;
}

static enum cl_status store_applied(struct cl_flow *f, struct cl_proto_application *app, struct cl_error *err)
{
	enum cl_status st;

	snprintf(f->server_id, sizeof(f->server_id), "%s", app->id);
	cl_secret_free(f->secret, f->secret_len);
	f->secret_len = strlen(app->secret);
	f->secret = OPENSSL_strndup(app->secret, f->secret_len);
	if (!f->secret)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	st = cl_secret_put(f->rec_store, f->app_id, CL_SECRET_APP_SECRET, f->secret, f->secret_len, err);
	if (st != CL_OK)
		return st;
	f->state = app_state(app->state);
	st = cl_flow_record_save(f, NULL, err);
	if (st == CL_OK)
		cl_secret_delete(f->rec_store, f->app_id, CL_FLOW_SECRET_TOKEN, NULL);
	return st;
}

enum cl_status cl_flow_apply(struct cl_flow *f, struct cl_error *err)
{
	struct cl_proto_application app;
	struct cl_key_spec spec;
	char request_id[64];
	enum cl_status st;
	int tries = 0;

	cl_flow_progress(f, CL_STAGE_APPLY, "applying as %s",
	                 f->user[0] ? f->user : dgettext("certlink", "(login user)"));
	st = need_credentials(f, NULL, err);
	if (st == CL_OK)
		st = need_fields(f, NULL, err);
	if (st == CL_OK && !f->user[0])
		login_user(f->user, sizeof(f->user));
	/* Key generation runs beside apply and approval: RSA keys take a noticeable time. */
	if (st == CL_OK &&
	    cl_key_spec_parse(f->config.key.type, f->config.key.bits, f->config.key.curve, &spec, NULL) ==
	        CL_OK &&
	    !f->opts->reuse_key)
		cl_keygen_start(&f->keygen, &spec);
	if (st == CL_OK && !f->app_id[0])
		st = cl_flow_record_new(f, err);
	if (st == CL_OK)
		st = cl_flow_record_request_id(f, request_id, err);
	while (st == CL_OK) {
		memset(&app, 0, sizeof(app));
		st = send_apply(f, request_id, &app, err);
		if (st == CL_OK) {
			st = store_applied(f, &app, err);
			cl_proto_application_clear(&app);
			break;
		}
		cl_proto_application_clear(&app);
		st = retry_apply(f, &tries, err);
	}
	/* A refused apply leaves nothing at the server: forget the record instead of resuming it later. */
	if (st == CL_E_REFUSED && f->state == CL_APP_NEW && f->app_id[0]) {
		struct cl_error ignored;

		if (cl_flow_record_drop(f, f->app_id, &ignored) == CL_OK)
			f->app_id[0] = '\0';
	}
	return st;
}

static enum cl_status poll_once(struct cl_flow *f, long *retry_after, struct cl_error *err)
{
	struct cl_proto_application app;
	enum cl_status st;

	memset(&app, 0, sizeof(app));
	st = cl_proto_status(f->http, f->server_id, f->secret, &app, err);
	if (st == CL_OK) {
		*retry_after = app.retry_after;
		if (app.state != CL_PROTO_PENDING) {
			f->state = app_state(app.state);
			st = cl_flow_record_save(f, NULL, err);
		}
	}
	cl_proto_application_clear(&app);
	return st;
}

/* What the status said once it is no longer pending. */
static enum cl_status approval_outcome(struct cl_flow *f, enum cl_status st, struct cl_error *err)
{
	if (st == CL_OK && f->state == CL_APP_REJECTED)
		st = cl_error_set(err, CL_E_REFUSED, "the administrator rejected the application");
	else if (st == CL_OK && f->state == CL_APP_WITHDRAWN)
		st = cl_error_set(err, CL_E_REFUSED, "the application was withdrawn");
	if (st != CL_OK)
		cl_error_prefix(err, "waiting for approval");
	return st;
}

/* The person stopped waiting: the application stays pending at the server and on record, so say that
 * (front ends tell the person it can be activated later), not that nothing happened. */
static enum cl_status cancelled_pending(struct cl_error *err)
{
	cl_error_set(err, CL_E_CANCELLED,
	             "stopped waiting for approval: the application stays on record and can be activated "
	             "once it is approved");
	cl_error_set_code(err, "cancelled_pending");
	return CL_E_CANCELLED;
}

enum cl_status cl_flow_wait_approval(struct cl_flow *f, struct cl_error *err)
{
	long timeout = f->opts->approval_timeout > 0 ? f->opts->approval_timeout : f->config.poll_timeout;
	long interval = f->config.poll_interval > 0 ? f->config.poll_interval : 5;
	long waited = 0, retry_after = 0;
	enum cl_status st;

	cl_flow_progress(f, CL_STAGE_WAIT_APPROVAL,
	                 "waiting for the administrator to approve the application");
	for (;;) {
		st = poll_once(f, &retry_after, err);
		if (st == CL_E_CANCELLED)
			return cancelled_pending(err);
		if (st != CL_OK || f->state != CL_APP_PENDING)
			break;
		if (waited >= timeout) {
			f->result->pending = true;
			cl_flow_progress(
			    f, CL_STAGE_WAIT_APPROVAL,
			    "not approved yet; the application is kept and can be activated later");
			return CL_OK;
		}
		if (retry_after > interval)
			interval = retry_after;
		if (cl_cancel_sleep(f->opts->cancel, (unsigned long)interval * 1000))
			return cancelled_pending(err);
		waited += interval;
		interval = interval * 3 / 2 > 60 ? 60 : interval * 3 / 2;
	}
	return approval_outcome(f, st, err);
}

enum cl_status cl_flow_check_approval(struct cl_flow *f, struct cl_error *err)
{
	long retry_after = 0;
	enum cl_status st;

	cl_flow_progress(f, CL_STAGE_WAIT_APPROVAL, "checking whether the application was approved");
	st = poll_once(f, &retry_after, err);
	if (st == CL_OK && f->state == CL_APP_PENDING) {
		f->result->pending = true;
		cl_flow_progress(f, CL_STAGE_WAIT_APPROVAL,
		                 "the application is still waiting for the administrator's approval");
		return CL_OK;
	}
	return approval_outcome(f, st, err);
}
