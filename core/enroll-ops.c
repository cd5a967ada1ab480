/* certlink core: operations on what certlink has recorded: activate a pending application, withdraw,
 * re-apply, renew a certificate, delete. The manager window and the command line call these; each finds
 * its application or certificate in the records (either store), reconnects to the recorded server with the
 * recorded trust, and reuses the flow's steps. */
#include "enroll-private.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fingerprint.h"
#include "secret.h"
#include "store.h"

/* Where the id lives: a local application id, a certificate serial or fingerprint prefix, in the given
 * store or either. */
struct found {
	enum cl_store_kind store;
	struct cl_records *rec;
	struct cl_application *app;
	struct cl_certificate *cert;
};

static void found_free(struct found *fd)
{
	cl_records_free(fd->rec);
	memset(fd, 0, sizeof(*fd));
}

/* ID in the store KIND's records: CL_OK with out filled (rec owned by out) or out->rec NULL when it is not
 * there; an error when it names several certificates. */
static enum cl_status find_in(enum cl_store_kind kind, const char *id, struct found *out,
                              struct cl_error *err)
{
	struct cl_records *rec = NULL;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	if (cl_records_load(kind, &rec, NULL) != CL_OK || !rec)
		return CL_OK;
	st = cl_records_resolve(rec, id, &out->app, &out->cert, err);
	if (st != CL_OK || (!out->app && !out->cert)) {
		cl_records_free(rec);
		memset(out, 0, sizeof(*out));
		return st;
	}
	out->store = kind;
	out->rec = rec;
	return CL_OK;
}

/* Both stores are looked in: the same serial in each is two certificates, and which one is meant is the
 * person's to say (a fingerprint prefix, or the store), never certlink's to guess. */
static enum cl_status find(const char *id, enum cl_store_kind store, struct found *out, struct cl_error *err)
{
	struct found user, computer;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	memset(&user, 0, sizeof(user));
	memset(&computer, 0, sizeof(computer));
	if (!id || !id[0])
		return cl_error_set(err, CL_E_LOCAL, "no application or certificate given");
	st = store != CL_STORE_COMPUTER ? find_in(CL_STORE_USER, id, &user, err) : CL_OK;
	if (st == CL_OK && store != CL_STORE_USER)
		st = find_in(CL_STORE_COMPUTER, id, &computer, err);
	if (st == CL_OK && user.rec && computer.rec && user.cert && computer.cert) {
		struct cl_certificate *both[2] = { user.cert, computer.cert };
		enum cl_store_kind kinds[2] = { CL_STORE_USER, CL_STORE_COMPUTER };

		st = cl_records_ambiguous(id, both, kinds, 2, err);
	}
	if (st == CL_OK && (user.rec || computer.rec)) {
		*out = user.rec ? user : computer;
		if (user.rec)
			found_free(&computer);
		return CL_OK;
	}
	found_free(&user);
	found_free(&computer);
	if (st != CL_OK)
		return st;
	return cl_error_set(err, CL_E_LOCAL, "no application or certificate \"%s\" is recorded", id);
}

/* A flow for a recorded application or certificate: server, user and store from the record. */
static enum cl_status flow_from(struct cl_flow *f, const struct found *fd, struct cl_error *err)
{
	const char *host = fd->app ? fd->app->server_host : fd->cert->server_host;
	int port = fd->app ? fd->app->server_port : fd->cert->server_port;
	const char *user = fd->app ? fd->app->user : fd->cert->user;

	if (!host || port <= 0 || port > 65535)
		return cl_error_set(err, CL_E_LOCAL, "the record does not say which server it came from");
	cl_flow_copy(f->host, sizeof(f->host), host);
	f->port = (unsigned)port;
	f->store = fd->store;
	f->rec_store = fd->store;
	f->result->store = fd->store;
	cl_flow_copy(f->user, sizeof(f->user), f->opts->user ? f->opts->user : user);
	if (f->opts->password) {
		cl_flow_copy(f->password, sizeof(f->password), f->opts->password);
		f->have_password = true;
	}
	if (fd->app)
		return cl_flow_record_load(f, fd->app, err);
	return CL_OK;
}

/* An application that installs (activate): one the person recorded for the computer store while not root
 * installs there through the privileged helper, as the run that made it would have (not into the person's
 * store, where its record is); a renewal's application resumes for the certificate it replaces. */
static enum cl_status flow_to_install(struct cl_flow *f, const struct found *fd, struct cl_error *err)
{
	struct cl_error denied;

	if (fd->store == CL_STORE_USER && fd->app->store == CL_STORE_COMPUTER) {
		if (cl_store_check_allowed(CL_STORE_COMPUTER, &denied) != CL_OK && !f->opts->elevate)
			return cl_error_set(err, CL_E_LOCAL, "%s", denied.msg);
		f->store = CL_STORE_COMPUTER;
		f->result->store = CL_STORE_COMPUTER;
	}
	return cl_flow_renewal_resumed(f, fd->app, err);
}

/* Common start of every operation: find, build the flow, connect. */
static enum cl_status start(struct cl_flow *f, const char *id, const struct cl_enroll_opts *opts,
                            struct cl_enroll_result *result, bool install, struct cl_error *err)
{
	struct found fd;
	enum cl_status st;

	cl_flow_init(f, opts, result);
	st = find(id, opts->store, &fd, err);
	if (st == CL_OK && (!fd.app || !fd.app->server_id))
		st = cl_error_set(err, CL_E_LOCAL, "\"%s\" has no application at the server", id);
	if (st == CL_OK)
		st = flow_from(f, &fd, err);
	if (st == CL_OK && install)
		st = flow_to_install(f, &fd, err);
	found_free(&fd);
	if (st == CL_OK)
		st = cl_flow_connect(f, err);
	return st;
}

enum cl_status cl_enroll_activate(const char *id, const struct cl_enroll_opts *opts,
                                  struct cl_enroll_result *result, struct cl_error *err)
{
	struct cl_flow f;
	enum cl_status st = start(&f, id, opts, result, true, err);

	/* Activating answers at once: one status check, no waiting unless the caller asked for it. */
	if (st == CL_OK && f.state == CL_APP_PENDING)
		st = opts->approval_timeout > 0 ? cl_flow_wait_approval(&f, err)
		                                : cl_flow_check_approval(&f, err);
	if (st == CL_OK && !result->pending &&
	    (f.state == CL_APP_APPROVED || f.state == CL_APP_ACTIVATED || f.state == CL_APP_ISSUED))
		st = cl_flow_activate(&f, err);
	if (st == CL_OK && !result->pending && f.state == CL_APP_ISSUED)
		st = cl_flow_install(&f, err);
	else if (st == CL_OK && !result->pending && f.state != CL_APP_INSTALLED)
		st = cl_error_set(err, CL_E_REFUSED, "application %s is %s", id, cl_app_state_name(f.state));
	cl_flow_copy(result->app_id, sizeof(result->app_id), f.app_id);
	cl_flow_free(&f);
	return st;
}

/* The certificate application DATA (its local id) produced, found by the application: serials repeat. */
static enum cl_status forget_cert(struct cl_records *rec, void *data, struct cl_error *err)
{
	return cl_flow_forget_certificate(rec, cl_records_find_certificate_of(rec, data), err);
}

static enum cl_status server_state(struct cl_flow *f, const struct cl_proto_application *app,
                                   struct cl_error *err)
{
	switch (app->state) {
	case CL_PROTO_PENDING:
		f->state = CL_APP_PENDING;
		break;
	case CL_PROTO_APPROVED:
	case CL_PROTO_ISSUED:
		f->state = CL_APP_APPROVED;
		break;
	case CL_PROTO_REJECTED:
		f->state = CL_APP_REJECTED;
		break;
	case CL_PROTO_WITHDRAWN:
		f->state = CL_APP_WITHDRAWN;
		break;
	}
	return cl_flow_record_save(f, NULL, err);
}

enum cl_status cl_enroll_withdraw(const char *id, const struct cl_enroll_opts *opts, struct cl_error *err)
{
	struct cl_enroll_result result;
	struct cl_proto_application app;
	struct cl_flow f;
	enum cl_status st = start(&f, id, opts, &result, false, err);

	memset(&app, 0, sizeof(app));
	if (st == CL_OK && f.config.withdraw_requires_password && !f.have_password && opts->ask) {
		struct cl_question q;

		memset(&q, 0, sizeof(q));
		q.kind = CL_ASK_CREDENTIALS;
		cl_flow_copy(q.user, sizeof(q.user), f.user);
		st = cl_flow_ask(&f, &q, err);
		memcpy(f.password, q.password, sizeof(f.password));
		f.have_password = st == CL_OK;
		OPENSSL_cleanse(q.password, sizeof(q.password));
	}
	if (st == CL_OK)
		st = cl_proto_withdraw(f.http, f.server_id, f.secret,
		                       f.config.withdraw_requires_password ? f.password : NULL, &app, err);
	if (st == CL_OK)
		st = server_state(&f, &app, err);
	/* the server revoked the certificate: a revoked certificate is no use in the store */
	if (st == CL_OK && result.serial[0])
		st = cl_records_update(f.store, forget_cert, f.app_id, err);
	cl_proto_application_clear(&app);
	cl_flow_free(&f);
	if (st != CL_OK)
		cl_error_prefix(err, "withdrawing %s", id);
	return st;
}

enum cl_status cl_enroll_reapply(const char *id, const struct cl_enroll_opts *opts, struct cl_error *err)
{
	struct cl_enroll_result result;
	struct cl_proto_reapply changes = { opts->reason, opts->email, opts->device_note };
	struct cl_proto_application app;
	struct cl_flow f;
	enum cl_status st = start(&f, id, opts, &result, false, err);

	memset(&app, 0, sizeof(app));
	if (st == CL_OK)
		st = cl_proto_reapply(f.http, f.server_id, f.secret, &changes, &app, err);
	if (st == CL_OK)
		st = server_state(&f, &app, err);
	cl_proto_application_clear(&app);
	cl_flow_free(&f);
	if (st != CL_OK)
		cl_error_prefix(err, "re-applying %s", id);
	return st;
}

enum cl_status cl_enroll_renew(const char *id, const struct cl_enroll_opts *opts,
                               struct cl_enroll_result *result, struct cl_error *err)
{
	struct cl_enroll_opts o = *opts;
	struct found fd;
	struct cl_link link;
	enum cl_status st = find(id, opts->store, &fd, err);

	memset(&link, 0, sizeof(link));
	if (st == CL_OK && !fd.cert)
		st = cl_error_set(err, CL_E_LOCAL, "\"%s\" is not an installed certificate", id);
	if (st == CL_OK && (!fd.cert->server_host || fd.cert->server_port <= 0))
		st = cl_error_set(err, CL_E_LOCAL, "certificate %s does not say which server issued it", id);
	if (st == CL_OK) {
		/* the record's server, user and store; its identity comes from the record too
		 * (enroll-renew.c), so nothing here can point the renewal anywhere else */
		link.action = CL_LINK_RENEW;
		cl_flow_copy(link.host, sizeof(link.host), fd.cert->server_host);
		link.port = (unsigned)fd.cert->server_port;
		cl_flow_copy(link.user, sizeof(link.user), fd.cert->user);
		cl_flow_copy(link.serial, sizeof(link.serial), fd.cert->serial);
		link.store = fd.store;
		o.link = &link;
		o.store = fd.store;
		o.renew = true;
		o.renew_fingerprint = fd.cert->fingerprint;
		st = cl_enroll_run(&o, result, err);
	}
	found_free(&fd);
	return st;
}

struct delete_ctx {
	const char *id;
	char app_id[17];
};

static enum cl_status delete_records(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct delete_ctx *c = data;
	struct cl_application *app = NULL;
	struct cl_certificate *cert = NULL;
	enum cl_status st = cl_records_resolve(rec, c->id, &app, &cert, err);

	if (st == CL_OK && cert)
		st = cl_flow_forget_certificate(rec, cert, err);
	if (st == CL_OK && app) {
		snprintf(c->app_id, sizeof(c->app_id), "%s", app->id);
		cl_records_remove_application(rec, app->id);
	}
	return st;
}

enum cl_status cl_enroll_delete(const char *id, enum cl_store_kind store, struct cl_error *err)
{
	struct delete_ctx c = { id, "" };
	struct found fd;
	enum cl_status st = find(id, store, &fd, err);

	if (st == CL_OK)
		st = cl_store_check_allowed(fd.store, err);
	if (st == CL_OK)
		st = cl_records_update(fd.store, delete_records, &c, err);
	if (st == CL_OK && c.app_id[0])
		cl_secret_delete_all(fd.store, c.app_id, NULL);
	found_free(&fd);
	if (st != CL_OK)
		cl_error_prefix(err, "deleting %s", id);
	return st;
}
