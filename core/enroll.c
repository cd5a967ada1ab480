/* certlink core: the enrollment flow's driver (cl_enroll_run).
 *
 * The steps live in enroll-steps.c (connect, apply, wait for approval), enroll-activate.c (activate, key,
 * SCEP) and enroll-install.c (install); enroll-renew.c decides which certificate a renewal replaces and
 * whether this run may; what they all share is in enroll-flow.c. This file decides which steps a run needs:
 * it finds a recorded application to resume, applies the renewal rule, asks before a renewal, and walks the
 * application from its recorded state to "installed".
 */
#include "enroll-private.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "secret.h"
#include "settings.h"
#include "store.h"

#define copy cl_flow_copy

/* The computer store is root's. Unprivileged, a front end that can elevate records the application in the
 * person's own records and hands the install step to the privileged helper; anything else is refused here,
 * before any network contact (zero-touch: exit 100). */
static enum cl_status flow_choose_records(struct cl_flow *f, struct cl_error *err)
{
	struct cl_error denied;

	f->rec_store = f->store;
	if (f->store != CL_STORE_COMPUTER || cl_store_check_allowed(CL_STORE_COMPUTER, &denied) == CL_OK)
		return CL_OK;
	if (!f->opts->elevate)
		return cl_error_set(err, CL_E_LOCAL, "%s", denied.msg);
	f->rec_store = CL_STORE_USER;
	return CL_OK;
}

/* Where, who, which store: from the link, then the options, then the person. */
static enum cl_status flow_setup(struct cl_flow *f, struct cl_error *err)
{
	const struct cl_enroll_opts *o = f->opts;
	const struct cl_link *l = o->link;
	struct cl_question q;
	enum cl_status st;

	if (l)
		cl_flow_progress(f, CL_STAGE_CHECK_LINK, "checking the invitation link");
	else
		cl_flow_progress(f, CL_STAGE_CHECK_LINK, "checking the options");
	if (l) {
		copy(f->host, sizeof(f->host), l->host);
		f->port = l->port;
		f->store = o->store != CL_STORE_ASK ? o->store : l->store;
		copy(f->user, sizeof(f->user), o->user ? o->user : l->user);
		copy(f->service_name, sizeof(f->service_name), l->name);
		f->have_pin = l->has_ca_fp;
		memcpy(f->pin, l->ca_fp, sizeof(f->pin));
		f->pwless = l->pwless;
		copy(f->token, sizeof(f->token), l->token);
		copy(f->code, sizeof(f->code), o->code ? o->code : l->code);
	} else {
		if (!o->host || !o->host[0])
			return cl_error_set(err, CL_E_LOCAL, "no server given");
		copy(f->host, sizeof(f->host), o->host);
		f->port = o->port > 0 ? (unsigned)o->port : 443;
		f->store = o->store;
		copy(f->user, sizeof(f->user), o->user);
		copy(f->code, sizeof(f->code), o->code);
	}
	if (f->port == 0 || f->port > 65535)
		return cl_error_set(err, CL_E_LOCAL, "port must be 1-65535");
	copy(f->email, sizeof(f->email), o->email);
	copy(f->reason, sizeof(f->reason), o->reason);
	copy(f->device_note, sizeof(f->device_note), o->device_note);
	if (o->password) {
		copy(f->password, sizeof(f->password), o->password);
		f->have_password = true;
	}
	/* A renew link names a certificate: it must be one of this server's, and its store is the store. */
	if (l && l->action == CL_LINK_RENEW) {
		st = cl_flow_renewal_from_link(f, l->serial, o->renew_fingerprint, f->store, err);
		if (st != CL_OK)
			return st;
	}
	if (f->store == CL_STORE_ASK && o->ask) {
		memset(&q, 0, sizeof(q));
		q.kind = CL_ASK_STORE;
		q.store = CL_STORE_USER;
		st = cl_flow_ask(f, &q, err);
		if (st != CL_OK)
			return st;
		f->store = q.store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER;
	} else if (f->store == CL_STORE_ASK) {
		f->store = CL_STORE_USER;
	}
	f->result->store = f->store;
	return flow_choose_records(f, err);
}

/* The zero-touch renewal rule (opts->renewal_rule): a valid certificate for this server (host, port, and
 * when the run pins a CA, that CA), user and store is renewed inside the notification window, and otherwise
 * left alone (CL_E_NOT_DUE) without contacting the server. Without the rule the run enrolls, and the result
 * says which valid certificates stay beside the new one. */
static enum cl_status flow_renewal_rule(struct cl_flow *f, struct cl_records *rec, struct cl_error *err)
{
	const struct cl_enroll_opts *o = f->opts;
	struct cl_certificate *best = NULL;
	struct cl_settings settings;
	time_t now = time(NULL);
	long days = o->notify_days;
	int valid = 0;
	size_t i;

	if (f->renewal_of[0])
		return CL_OK;
	for (i = 0; i < rec->n_certs; i++) {
		struct cl_certificate *c = rec->certs[i];

		if (!cl_flow_renewal_matches(f, rec, c))
			continue;
		if (f->user[0] && (!c->user || strcmp(c->user, f->user) != 0))
			continue;
		if (c->not_after <= now)
			continue;
		valid++;
		if (!best || c->not_after > best->not_after)
			best = c;
	}
	if (!best)
		return CL_OK;
	if (o->force_new || !(o->renewal_rule || o->renew)) {
		f->result->existing = valid;
		copy(f->result->existing_serial, sizeof(f->result->existing_serial), best->serial);
		f->result->existing_not_after = best->not_after;
		cl_flow_log(f, "enrolling beside %d valid certificate(s) of this server, the latest %s",
		            valid, best->serial);
		return CL_OK;
	}
	if (days <= 0) {
		cl_settings_load(&settings, NULL);
		days = settings.notify_days;
	}
	if (best->not_after - now > (time_t)days * 86400 && !o->renew)
		return cl_error_set(
		    err, CL_E_NOT_DUE,
		    "certificate %s is valid for %ld more days; renewal starts %ld days before expiry",
		    best->serial, (long)((best->not_after - now) / 86400), days);
	return cl_flow_renewal_target(f, rec, best, err);
}

/* May this run resume APP? A run that renews resumes only an application renewing the same certificate. */
static bool renews_the_same(const struct cl_flow *f, const struct cl_application *app)
{
	char a[41], b[41];

	if (!f->renewal_of[0])
		return true;
	if (!app->renewal_of || !cl_records_normalize_serial(app->renewal_of, a) ||
	    !cl_records_normalize_serial(f->renewal_of, b) || strcmp(a, b) != 0)
		return false;
	return !f->renewal_fp[0] || !app->renewal_of_fingerprint ||
	       strcmp(app->renewal_of_fingerprint, f->renewal_fp) == 0;
}

/* Find an application this run should resume instead of applying again. */
static enum cl_status flow_find_resume(struct cl_flow *f, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_application *app;
	enum cl_status st;

	st = cl_records_load(f->rec_store, &rec, err);
	if (st != CL_OK)
		return st;
	st = flow_renewal_rule(f, rec, err);
	app = st == CL_OK && !f->opts->force_new
	          ? cl_records_find_application_for(rec, f->host, (int)f->port, f->user[0] ? f->user : NULL,
	                                            f->store, true)
	          : NULL;
	if (app && !cl_flow_record_same_invitation(f, app)) {
		char stale[17];

		snprintf(stale, sizeof(stale), "%s", app->id);
		cl_flow_log(f, "dropping unanswered application %s of another invitation", stale);
		cl_records_free(rec);
		return cl_flow_record_drop(f, stale, err);
	}
	if (app && renews_the_same(f, app)) {
		cl_flow_log(f, "resuming application %s (%s)", app->id, cl_app_state_name(app->state));
		st = cl_flow_record_load(f, app, err);
		if (st == CL_OK)
			st = cl_flow_renewal_resumed(f, app, err);
	}
	cl_records_free(rec);
	return st;
}

/* Walk the application from its recorded state to installed. */
static enum cl_status flow_walk(struct cl_flow *f, struct cl_error *err)
{
	enum cl_status st = CL_OK;
	bool applied = f->state == CL_APP_NEW;

	if (applied)
		st = cl_flow_apply(f, err);
	/* The run that has just applied waits for approval; a resumed application is checked once and, still
	 * pending, reported at once, unless the caller asked to wait (opts->approval_timeout). */
	if (st == CL_OK && f->state == CL_APP_PENDING)
		st = applied || f->opts->approval_timeout > 0 ? cl_flow_wait_approval(f, err)
		                                              : cl_flow_check_approval(f, err);
	if (st == CL_OK && f->result->pending)
		return CL_OK;
	/* A resumed "issued" application has its certificate on the server only: SCEP retransmission fetches
	 * it again with the recorded key and transactionID. */
	if (st == CL_OK &&
	    (f->state == CL_APP_APPROVED || f->state == CL_APP_ACTIVATED || f->state == CL_APP_ISSUED))
		st = cl_flow_activate(f, err);
	if (st == CL_OK && f->state == CL_APP_ISSUED)
		st = cl_flow_install(f, err);
	if (st == CL_OK && f->state != CL_APP_INSTALLED)
		st = cl_error_set(err, CL_E_REFUSED, "the application is %s", cl_app_state_name(f->state));
	return st;
}

enum cl_status cl_enroll_run(const struct cl_enroll_opts *opts, struct cl_enroll_result *result,
                             struct cl_error *err)
{
	struct cl_flow f;
	enum cl_status st;

	cl_flow_init(&f, opts, result);
	st = flow_setup(&f, err);
	if (st == CL_OK)
		st = flow_find_resume(&f, err);
	/* the person sees what a renewal replaces before anything leaves this computer */
	if (st == CL_OK)
		st = cl_flow_renewal_confirm(&f, err);
	/* a renewal signs with the current key: one that cannot be read stops here, before any contact */
	if (st == CL_OK)
		st = cl_flow_renewal_load(&f, err);
	if (st == CL_OK)
		st = cl_flow_connect(&f, err);
	if (st == CL_OK)
		st = cl_flow_renewal_check_server(&f, err);
	if (st == CL_OK)
		st = flow_walk(&f, err);
	if (st != CL_OK && st != CL_E_NOT_DUE && f.app_id[0]) {
		struct cl_error ignored;

		/* Keep the reason with the application; its state stays where it was, so the next run
		 * resumes. */
		cl_flow_record_save(&f, err->msg, &ignored);
	}
	if (st == CL_OK && !result->pending)
		cl_flow_progress(&f, CL_STAGE_DONE, "certificate %s installed", result->serial);
	copy(result->app_id, sizeof(result->app_id), f.app_id);
	copy(result->user, sizeof(result->user), f.user);
	result->store = f.store;
	cl_flow_free(&f);
	return st;
}
