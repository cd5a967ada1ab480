/* certlink core: one run of the enrollment flow (enroll-flow.h): progress, the debug log, questions,
 * cancellation, and the run's record of its application.
 *
 * The flow writes its state before and after every step, so a crash leaves a record the next run resumes
 * from (docs/protocol.md section 8). The application secret lives in a 0600 secret file, never in records.
 */
#include "enroll-flow.h"

#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "fingerprint.h"
#include "secret.h"

const char *cl_stage_name(enum cl_stage stage)
{
	static const char *const names[] = {
		[CL_STAGE_CHECK_LINK] = "Checking the link",
		[CL_STAGE_CONNECT] = "Connecting",
		[CL_STAGE_APPLY] = "Applying",
		[CL_STAGE_WAIT_APPROVAL] = "Waiting for approval",
		[CL_STAGE_ACTIVATE] = "Activating",
		[CL_STAGE_INSTALL] = "Installing",
		[CL_STAGE_DONE] = "Done",
	};

	if ((unsigned)stage < sizeof(names) / sizeof(names[0]))
		return names[stage];
	return "";
}

void cl_flow_progress(struct cl_flow *f, enum cl_stage stage, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	/* Translated like error messages (core/error.c); the front end has bound the domain. */
	vsnprintf(detail, sizeof(detail), dgettext("certlink", fmt), ap);
	va_end(ap);
	if (f->opts->progress)
		f->opts->progress(f->opts->user_data, stage, detail);
	cl_flow_log(f, "%s: %s", cl_stage_name(stage), detail);
}

void cl_flow_log(struct cl_flow *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!f->opts->debug || !f->opts->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->opts->log_fn(f->opts->user_data, line);
}

bool cl_flow_cancelled(const struct cl_flow *f, struct cl_error *err)
{
	if (!cl_cancel_requested(f->opts->cancel))
		return false;
	cl_error_set(err, CL_E_CANCELLED, "cancelled");
	return true;
}

enum cl_status cl_flow_ask(struct cl_flow *f, struct cl_question *q, struct cl_error *err)
{
	enum cl_status st;

	if (!f->opts->ask)
		return cl_error_set(err, CL_E_LOCAL, "a question needs an answer but this run cannot ask");
	q->host = f->host;
	q->port = (int)f->port;
	q->service_name = f->service_name[0] ? f->service_name : f->host;
	st = f->opts->ask(f->opts->user_data, q);
	if (st == CL_E_CANCELLED || cl_cancel_requested(f->opts->cancel))
		return cl_error_set(err, CL_E_CANCELLED, "cancelled");
	if (st != CL_OK)
		return cl_error_set(err, st, "the question was not answered");
	return CL_OK;
}

bool cl_flow_elevated(const struct cl_flow *f)
{
	return f->store != f->rec_store;
}

void cl_flow_init(struct cl_flow *f, const struct cl_enroll_opts *opts, struct cl_enroll_result *result)
{
	memset(f, 0, sizeof(*f));
	f->opts = opts;
	f->result = result;
	memset(result, 0, sizeof(*result));
	f->state = CL_APP_NEW;
}

void cl_flow_free(struct cl_flow *f)
{
	cl_keygen_discard(&f->keygen);
	cl_http_free(f->http);
	OPENSSL_cleanse(f->password, sizeof(f->password));
	OPENSSL_cleanse(f->token, sizeof(f->token));
	cl_secret_free(f->secret, f->secret_len);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->old_key);
	X509_free(f->old_cert);
	X509_free(f->cert);
	X509_free(f->ca);
	sk_X509_pop_free(f->chain, X509_free);
	sk_X509_pop_free(f->trust, X509_free);
	cl_proto_profile_clear(&f->profile);
	memset(f, 0, sizeof(*f));
}

void cl_flow_copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- the run's record of its application ---- */

static enum cl_status make_uuid(char out[37], struct cl_error *err)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "generating a request id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return CL_OK;
}

struct new_ctx {
	struct cl_flow *f;
	const char *request_id;
};

static enum cl_status add_app(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct new_ctx *c = data;
	struct cl_flow *f = c->f;
	struct cl_application *app = cl_records_add_application(rec, err);
	enum cl_status st;

	if (!app)
		return err->status;
	app->server_port = (int)f->port;
	app->store = f->store;
	app->state = CL_APP_NEW;
	st = cl_records_set_string(&app->server_host, f->host, err);
	if (st == CL_OK)
		st = cl_records_set_string(&app->user, f->user, err);
	if (st == CL_OK)
		st = cl_records_set_string(&app->client_request_id, c->request_id, err);
	if (st == CL_OK && f->service_name[0])
		st = cl_records_set_string(&app->server_name, f->service_name, err);
	if (st == CL_OK && f->renewal_of[0])
		st = cl_records_set_string(&app->renewal_of, f->renewal_of, err);
	if (st == CL_OK && f->renewal_fp[0])
		st = cl_records_set_string(&app->renewal_of_fingerprint, f->renewal_fp, err);
	if (st == CL_OK)
		snprintf(f->app_id, sizeof(f->app_id), "%s", app->id);
	return st;
}

enum cl_status cl_flow_record_new(struct cl_flow *f, struct cl_error *err)
{
	char request_id[37];
	struct new_ctx c = { f, request_id };
	enum cl_status st;

	st = make_uuid(request_id, err);
	if (st == CL_OK)
		st = cl_records_update(f->rec_store, add_app, &c, err);
	/* A passwordless apply is replayed after a crash with the same one-time token: keep it until
	 * answered. */
	if (st == CL_OK && f->pwless)
		st = cl_secret_put(f->rec_store, f->app_id, CL_FLOW_SECRET_TOKEN, f->token, strlen(f->token),
		                   err);
	if (st != CL_OK)
		cl_error_prefix(err, "recording the application");
	return st;
}

struct save_ctx {
	struct cl_flow *f;
	const char *last_error;
};

static enum cl_status save_app(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct save_ctx *c = data;
	struct cl_flow *f = c->f;
	struct cl_application *app = cl_records_find_application(rec, f->app_id);
	enum cl_status st = CL_OK;

	if (!app)
		return cl_error_set(err, CL_E_LOCAL, "application %s is no longer recorded", f->app_id);
	if (f->server_id[0])
		st = cl_records_set_string(&app->server_id, f->server_id, err);
	if (st == CL_OK && f->transaction_id[0])
		st = cl_records_set_string(&app->transaction_id, f->transaction_id, err);
	if (st == CL_OK && f->user[0] && (!app->user || !app->user[0]))
		st = cl_records_set_string(&app->user, f->user, err);
	if (st == CL_OK && !app->ca_fingerprint && f->http) {
		unsigned char fp[32];
		char hex[65];
		bool has_ca = false;

		/* the CA the identity rests on (pin or the person's yes), so later operations pin it too */
		cl_http_trust_source(f->http, fp, &has_ca);
		if (has_ca) {
			cl_fp_format_hex(fp, hex);
			st = cl_records_set_string(&app->ca_fingerprint, hex, err);
		}
	}
	if (st == CL_OK && f->result->serial[0])
		st = cl_records_set_string(&app->serial, f->result->serial, err);
	if (st == CL_OK)
		st = cl_application_set_state(app, f->state, c->last_error, err);
	return st;
}

enum cl_status cl_flow_record_save(struct cl_flow *f, const char *last_error, struct cl_error *err)
{
	struct save_ctx c = { f, last_error };
	enum cl_status st = cl_records_update(f->rec_store, save_app, &c, err);

	if (st != CL_OK)
		cl_error_prefix(err, "recording application %s", f->app_id);
	return st;
}

enum cl_status cl_flow_record_load(struct cl_flow *f, const struct cl_application *app, struct cl_error *err)
{
	snprintf(f->app_id, sizeof(f->app_id), "%s", app->id);
	snprintf(f->server_id, sizeof(f->server_id), "%s", app->server_id ? app->server_id : "");
	snprintf(f->transaction_id, sizeof(f->transaction_id), "%s",
	         app->transaction_id ? app->transaction_id : "");
	if (app->user && !f->user[0])
		snprintf(f->user, sizeof(f->user), "%s", app->user);
	if (app->renewal_of && !f->renewal_of[0])
		snprintf(f->renewal_of, sizeof(f->renewal_of), "%s", app->renewal_of);
	if (app->server_name && !f->service_name[0])
		snprintf(f->service_name, sizeof(f->service_name), "%s", app->server_name);
	if (app->serial)
		snprintf(f->result->serial, sizeof(f->result->serial), "%s", app->serial);
	if (app->ca_fingerprint && !f->have_pin)
		f->have_pin = cl_fp_parse(app->ca_fingerprint, strlen(app->ca_fingerprint), f->pin);
	f->state = app->state;
	if (f->state == CL_APP_NEW || !f->server_id[0])
		return CL_OK;
	cl_secret_free(f->secret, f->secret_len);
	f->secret = NULL;
	if (cl_secret_get(f->rec_store, f->app_id, CL_SECRET_APP_SECRET, &f->secret, &f->secret_len, err) !=
	    CL_OK) {
		cl_error_prefix(err, "resuming application %s", f->app_id);
		return err->status;
	}
	return CL_OK;
}

enum cl_status cl_flow_record_request_id(struct cl_flow *f, char out[64], struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_application *app;
	enum cl_status st = cl_records_load(f->rec_store, &rec, err);

	if (st != CL_OK)
		return st;
	app = cl_records_find_application(rec, f->app_id);
	if (!app || !app->client_request_id)
		st = cl_error_set(err, CL_E_LOCAL, "application %s has no request id", f->app_id);
	else
		snprintf(out, 64, "%s", app->client_request_id);
	cl_records_free(rec);
	return st;
}

/* A recorded application that was never answered belongs to this run only if it was made with the same
 * invitation token; an application from another invitation is dropped, not replayed with the wrong token. */
bool cl_flow_record_same_invitation(struct cl_flow *f, const struct cl_application *app)
{
	char *token = NULL;
	size_t len = 0;
	bool same;

	if (app->state != CL_APP_NEW || !f->pwless)
		return true;
	if (cl_secret_get(f->rec_store, app->id, CL_FLOW_SECRET_TOKEN, &token, &len, NULL) != CL_OK)
		return false;
	same = len == strlen(f->token) && CRYPTO_memcmp(token, f->token, len) == 0;
	cl_secret_free(token, len);
	return same;
}

static enum cl_status drop_app(struct cl_records *rec, void *data, struct cl_error *err)
{
	cl_records_remove_application(rec, data);
	return CL_OK;
}

enum cl_status cl_flow_record_drop(struct cl_flow *f, const char *app_id, struct cl_error *err)
{
	char id[17];

	snprintf(id, sizeof(id), "%s", app_id);
	cl_secret_delete_all(f->rec_store, id, NULL);
	return cl_records_update(f->rec_store, drop_app, id, err);
}
