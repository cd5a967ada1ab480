/* certlink core: the enrollment flow's install step: the profile's CAs as trust anchors (only with a
 * consent, anchor.h), the key and certificate (with its chain) into the store, the certificate's record,
 * and for a renewal the old certificate out. */
#include "enroll-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "anchor.h"
#include "certinfo.h"
#include "fingerprint.h"
#include "secret.h"
#include "store.h"

/* The question to the person (anchor.h): in the window, the terminal, the manager. A "no", a closed
 * dialog, or nobody to ask (a terminal handler without a terminal) all mean "not installed"; only the run's
 * own Cancel stops the run. */
static enum cl_status ask_anchor(void *data, const char *subject, const char *fingerprint, bool *yes,
                                 struct cl_error *err)
{
	struct cl_flow *f = data;
	struct cl_question q;
	enum cl_status st;

	memset(&q, 0, sizeof(q));
	q.kind = CL_ASK_TRUST_CA;
	q.fingerprint = fingerprint;
	q.subject = subject;
	q.store = f->store; /* shown: who will trust it (this person, or every user of the computer) */
	q.trust = CL_TRUST_NO;
	st = cl_flow_ask(f, &q, err);
	*yes = st == CL_OK && q.trust != CL_TRUST_NO;
	if (st != CL_OK && !cl_cancel_requested(f->opts->cancel)) {
		cl_flow_log(f, "trust question not answered (%s): the CA is not installed", err->msg);
		cl_error_clear(err);
		st = CL_OK;
	}
	return st;
}

/* The renewed certificate's locations (its recorded anchors carry their consent over), into OUT. */
static enum cl_status renewed_anchors(struct cl_flow *f, struct cl_locations *out, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *old;
	enum cl_status st;

	if (!f->renewal_of[0])
		return CL_OK;
	st = cl_records_load(f->store, &rec, err);
	old = st == CL_OK ? cl_records_find_certificate(rec, f->renewal_of) : NULL;
	if (old)
		st = cl_locations_append(out, &old->locations, err);
	cl_records_free(rec);
	return st;
}

void cl_flow_note_anchor_not_installed(struct cl_flow *f, X509 *ca)
{
	struct cl_enroll_result *r = f->result;
	unsigned char fp[32];
	unsigned int len = 0;

	if (r->trust_not_installed < CL_ENROLL_ANCHORS_MAX && X509_digest(ca, EVP_sha256(), fp, &len) &&
	    len == 32)
		cl_fp_format_hex(fp, r->trust_not_installed_sha256[r->trust_not_installed]);
	r->trust_not_installed++;
}

/* The profile's CAs that issue the new certificate, each decided by cl_anchor_decide(): installed when
 * consented (or, for an elevated install, collected with its consent for the privileged helper), noted in
 * the result when not. CAs that do not issue the certificate are never offered as anchors. */
static enum cl_status trust_profile(struct cl_flow *f, struct cl_locations *locs,
                                    struct cl_flow_anchor *later, size_t *n_later, struct cl_error *err)
{
	struct cl_locations renewed = { NULL, 0 };
	struct cl_anchor_request req;
	enum cl_status st = renewed_anchors(f, &renewed, err);
	int i;

	memset(&req, 0, sizeof(req));
	req.store = f->store;
	req.admin = f->opts->install_ca;
	req.n_admin = f->opts->n_install_ca;
	req.renewed = &renewed;
	req.ask = f->opts->ask ? ask_anchor : NULL;
	req.ask_data = f;
	for (i = 0; f->trust && i < sk_X509_num(f->trust) && st == CL_OK; i++) {
		X509 *ca = sk_X509_value(f->trust, i);
		enum cl_anchor_consent consent = CL_ANCHOR_NONE;

		if (!cl_anchor_issues(ca, f->cert, f->chain)) {
			cl_flow_log(
			    f, "profile CA %d does not issue the certificate: not offered as a trust anchor",
			    i + 1);
			continue;
		}
		req.ca = ca;
		st = cl_anchor_decide(&req, &consent, err);
		if (st != CL_OK)
			break;
		cl_flow_log(f, "profile CA %d as a trust anchor: consent %s", i + 1,
		            cl_anchor_consent_name(consent));
		if (consent == CL_ANCHOR_NONE) {
			cl_flow_note_anchor_not_installed(f, ca);
		} else if (later) {
			if (*n_later < CL_ENROLL_ANCHORS_MAX && X509_up_ref(ca)) {
				later[*n_later].ca = ca;
				later[(*n_later)++].consent = consent;
			}
		} else {
			st = cl_store_trust_ca(f->store, ca, NULL, consent, locs, err);
			if (st == CL_OK)
				f->result->trust_anchors++;
		}
	}
	cl_locations_clear(&renewed);
	return st;
}

struct add_cert_ctx {
	struct cl_flow *f;
	const struct cl_certinfo *info;
	const struct cl_locations *locs;
};

enum cl_status cl_flow_record_certificate(struct cl_records *rec, const struct cl_certinfo *info,
                                          const char *host, int port, const char *user, const char *app_id,
                                          const struct cl_locations *locs, struct cl_error *err)
{
	struct cl_certificate *cert = cl_records_add_certificate(rec, info->serial, err);
	enum cl_status st;

	if (!cert)
		return err->status;
	cert->not_before = info->not_before;
	cert->not_after = info->not_after;
	cert->key_bits = info->key_bits;
	cert->server_port = port;
	cert->notify = true;
	st = cl_records_set_string(&cert->subject, info->subject, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->issuer, info->issuer, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->key_type, info->key_type, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->fingerprint, info->sha256, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->application, app_id, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->server_host, host, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->user, user, err);
	if (st == CL_OK)
		st = cl_locations_append(&cert->locations, locs, err);
	return st;
}

static enum cl_status add_cert(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct add_cert_ctx *c = data;
	struct cl_flow *f = c->f;

	return cl_flow_record_certificate(rec, c->info, f->host, (int)f->port, f->user, f->app_id, c->locs,
	                                  err);
}

/* The places of the certificate being renewed that no other recorded certificate uses: the store takes its
 * NSS entry out of the way of the new one (cl_store_install_replacing()). Empty when nothing is renewed. */
static enum cl_status renewed_locations(struct cl_flow *f, struct cl_locations *out, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *old;
	enum cl_status st;
	size_t i;

	if (!f->renewal_of[0])
		return CL_OK;
	st = cl_records_load(f->store, &rec, err);
	old = st == CL_OK ? cl_records_find_certificate(rec, f->renewal_of) : NULL;
	for (i = 0; old && i < old->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &old->locations.items[i];

		if (!cl_records_location_in_use(rec, l, old))
			st = cl_locations_add(out, l->kind, l->path, l->nickname, err);
	}
	cl_records_free(rec);
	return st;
}

/* A renewed certificate leaves every place the new one does not also use. */
static enum cl_status drop_old(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct cl_flow *f = data;
	struct cl_certificate *old = cl_records_find_certificate(rec, f->renewal_of);
	struct cl_locations unused = { NULL, 0 };
	enum cl_status st = CL_OK;
	size_t i;

	if (!old || strcmp(old->serial, f->result->serial) == 0)
		return CL_OK;
	for (i = 0; i < old->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &old->locations.items[i];

		if (!cl_records_location_in_use(rec, l, old))
			st = cl_locations_add(&unused, l->kind, l->path, l->nickname, err);
	}
	if (st == CL_OK)
		st = cl_store_remove(&unused, err);
	cl_locations_clear(&unused);
	if (st == CL_OK)
		cl_records_remove_certificate(rec, old->serial);
	return st;
}

static void fill_result(struct cl_flow *f, const struct cl_certinfo *info, const struct cl_locations *locs)
{
	struct cl_enroll_result *r = f->result;
	size_t i;

	snprintf(r->serial, sizeof(r->serial), "%s", info->serial);
	snprintf(r->subject, sizeof(r->subject), "%s", info->subject);
	snprintf(r->issuer, sizeof(r->issuer), "%s", info->issuer);
	X509_NAME_get_text_by_NID(X509_get_subject_name(f->cert), NID_commonName, r->cn, sizeof(r->cn));
	r->not_after = (time_t)info->not_after;
	r->store = f->store;
	for (i = 0; i < locs->n; i++) {
		const struct cl_location *l = &locs->items[i];

		if (l->kind == CL_LOC_CERTIFICATE)
			snprintf(r->cert_path, sizeof(r->cert_path), "%s", l->path);
		if (l->kind == CL_LOC_NSS_CERT) {
			r->nss_imported = true;
			snprintf(r->nss_nickname, sizeof(r->nss_nickname), "%s",
			         l->nickname ? l->nickname : "");
		}
	}
}

/* Unprivileged, computer store: the privileged helper installs and records; the person's records keep the
 * application, now installed. Anchors the person agreed to go through the helper's own polkit action, one
 * by one (cl_flow_install_elevated()). */
static enum cl_status install_elevated(struct cl_flow *f, struct cl_error *err)
{
	struct cl_flow_anchor later[CL_ENROLL_ANCHORS_MAX];
	struct cl_locations none = { NULL, 0 };
	struct cl_certinfo info;
	size_t n_later = 0, i;
	enum cl_status st;

	st = cl_certinfo_get(f->cert, &info, err);
	if (st == CL_OK)
		st = trust_profile(f, &none, later, &n_later, err);
	if (st == CL_OK)
		st = cl_flow_install_elevated(f, later, n_later, err);
	if (st == CL_OK) {
		fill_result(f, &info, &none);
		f->state = CL_APP_INSTALLED;
		st = cl_flow_record_save(f, NULL, err);
	}
	for (i = 0; i < n_later; i++)
		X509_free(later[i].ca);
	return st;
}

enum cl_status cl_flow_install(struct cl_flow *f, struct cl_error *err)
{
	struct cl_locations locs = { NULL, 0 }, replaces = { NULL, 0 };
	struct cl_certinfo info;
	struct add_cert_ctx c = { f, &info, &locs };
	char nickname[128];
	enum cl_status st;

	cl_flow_progress(f, CL_STAGE_INSTALL, "installing into the %s store", cl_store_kind_name(f->store));
	if (f->store != f->rec_store) {
		st = install_elevated(f, err);
		goto secrets;
	}
	st = cl_store_check_allowed(f->store, err);
	if (st == CL_OK)
		st = cl_certinfo_get(f->cert, &info, err);
	if (st == CL_OK)
		st = trust_profile(f, &locs, NULL, NULL, err);
	snprintf(nickname, sizeof(nickname), "certlink %.64s %s", f->host, st == CL_OK ? info.serial : "");
	if (st == CL_OK)
		st = renewed_locations(f, &replaces, err);
	if (st == CL_OK)
		st = cl_store_install_replacing(f->store, f->key, f->cert, f->chain, nickname, &replaces,
		                                &locs, err);
	if (st == CL_OK) {
		fill_result(f, &info, &locs);
		st = cl_records_update(f->store, add_cert, &c, err);
	}
	if (st == CL_OK && f->renewal_of[0])
		st = cl_records_update(f->store, drop_old, f, err);
	if (st == CL_OK) {
		f->state = CL_APP_INSTALLED;
		st = cl_flow_record_save(f, NULL, err);
	}
	cl_locations_clear(&locs);
	cl_locations_clear(&replaces);
secrets:
	if (st == CL_OK) {
		cl_secret_delete(f->rec_store, f->app_id, CL_SECRET_KEY, NULL);
		cl_secret_delete(f->rec_store, f->app_id, CL_SECRET_CHALLENGE, NULL);
	}
	if (st != CL_OK)
		cl_error_prefix(err, "installing");
	return st;
}
