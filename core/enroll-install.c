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
#include "firefox-profiles.h"
#include "nssdb.h"
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
	old = st == CL_OK ? cl_flow_renewed(f, rec) : NULL;
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

static bool renewed_anchor(const struct cl_locations *renewed, X509 *ca)
{
	unsigned char fp[32];
	unsigned int len = 0;

	return X509_digest(ca, EVP_sha256(), fp, &len) && len == 32 && cl_anchor_in_locations(renewed, fp);
}

/* The profile's CAs that issue the new certificate, each decided by cl_anchor_decide(): installed when
 * consented (or, for an elevated install, collected with its consent for the privileged helper), noted in
 * the result when not. CAs that do not issue the certificate are never offered as anchors; a renewal asks
 * no question (its consents are the renewed certificate's). */
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
	/* A renewal keeps the anchors the renewed certificate had (recorded above) and asks about no other
	 * CA: that question belonged to the enrollment. */
	req.ask = f->opts->ask && !f->renewal_of[0] ? ask_anchor : NULL;
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
		} else if (later && renewed_anchor(&renewed, ca)) {
			/* the helper's install keeps the renewed certificate's anchors
			 * (cl_flow_keep_anchors()): nothing to ask an administrator for */
			f->result->trust_anchors++;
		} else if (later) {
			if (*n_later < CL_ENROLL_ANCHORS_MAX && X509_up_ref(ca)) {
				later[*n_later].ca = ca;
				later[(*n_later)++].consent = consent;
			}
		} else {
			size_t before = locs->n;

			st = cl_store_trust_ca(f->store, ca, NULL, consent, locs, err);
			if (st == CL_OK)
				f->result->trust_anchors++;
			for (size_t j = before; st == CL_OK && j < locs->n; j++)
				if (locs->items[j].kind == CL_LOC_FIREFOX_CA &&
				    cl_firefox_db_running(locs->items[j].path))
					f->result->firefox_restart++;
		}
	}
	cl_locations_clear(&renewed);
	return st;
}

struct add_cert_ctx {
	struct cl_flow *f;
	const struct cl_certinfo *info;
	const struct cl_locations *locs;
	const char *trust; /* how the server's identity was established: "system", "pin", "person" */
	const char *ca;    /* the CA it rests on (64 hex), or NULL */
};

enum cl_status cl_flow_check_clash(const struct cl_records *rec, const struct cl_certinfo *info,
                                   struct cl_error *err)
{
	for (size_t i = 0; i < rec->n_certs; i++) {
		const struct cl_certificate *c = rec->certs[i];

		if (strcmp(c->serial, info->serial) != 0 || !c->issuer ||
		    strcmp(c->issuer, info->issuer) != 0)
			continue;
		if (c->fingerprint && strcmp(c->fingerprint, info->sha256) == 0)
			continue; /* this very certificate: a resumed install replaces it */
		cl_error_set(
		    err, CL_E_LOCAL,
		    "another certificate with serial %s from the same issuer (%.200s) is already installed "
		    "(fingerprint %.16s): refusing to install a second one",
		    info->serial, info->issuer, c->fingerprint ? c->fingerprint : "?");
		cl_error_set_code(err, "certificate_clash");
		return CL_E_LOCAL;
	}
	return CL_OK;
}

enum cl_status cl_flow_record_certificate(struct cl_records *rec, const struct cl_certinfo *info,
                                          const char *host, int port, const char *user, const char *app_id,
                                          const char *server_trust, const char *server_ca,
                                          const struct cl_locations *locs, struct cl_error *err)
{
	struct cl_certificate *cert = cl_records_find_certificate_fp(rec, info->sha256);
	struct cl_locations kept = { NULL, 0 };
	enum cl_status st = cl_flow_check_clash(rec, info, err);

	if (st != CL_OK)
		return st;
	/* A resumed install of the same certificate: its new places replace the old record's, and what later
	 * steps recorded with it (trust anchors, connections and their files: the helper's --trust-anchor and
	 * --network) stays with it, so a delete still finds them. */
	for (size_t i = 0; cert && i < cert->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &cert->locations.items[i];
		bool again = !cl_location_kind_is_trust(l->kind) && l->kind != CL_LOC_NM_CONNECTION &&
		             l->kind != CL_LOC_NETWORK_FILE;

		for (size_t j = 0; j < locs->n && !again; j++)
			again = cl_location_equal(l, &locs->items[j]);
		if (!again)
			st = cl_locations_add(&kept, l->kind, l->path, l->nickname, err);
	}
	if (cert)
		cl_records_remove_certificate(rec, cert);
	cert = st == CL_OK ? cl_records_add_certificate(rec, info->serial, info->sha256, err) : NULL;
	if (st != CL_OK || !cert) {
		cl_locations_clear(&kept);
		return st != CL_OK ? st : err->status;
	}
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
		st = cl_records_set_string(&cert->application, app_id, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->server_host, host, err);
	if (st == CL_OK)
		st = cl_records_set_string(&cert->user, user, err);
	if (st == CL_OK && server_trust)
		st = cl_records_set_string(&cert->server_trust, server_trust, err);
	if (st == CL_OK && server_trust && server_ca)
		st = cl_records_set_string(&cert->server_ca_fingerprint, server_ca, err);
	if (st == CL_OK)
		st = cl_locations_append(&cert->locations, locs, err);
	if (st == CL_OK)
		st = cl_locations_append(&cert->locations, &kept, err);
	cl_locations_clear(&kept);
	return st;
}

static enum cl_status add_cert(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct add_cert_ctx *c = data;
	struct cl_flow *f = c->f;

	return cl_flow_record_certificate(rec, c->info, f->host, (int)f->port, f->user, f->app_id, c->trust,
	                                  c->ca, c->locs, err);
}

/* How the session established the server's identity, for the certificate's record (enroll-renew.c reads
 * it back when the certificate is renewed). */
static const char *identity_of(struct cl_flow *f, char ca[65])
{
	unsigned char fp[32];
	bool has_ca = false;
	enum cl_http_trust how = cl_http_trust_source(f->http, fp, &has_ca);

	ca[0] = '\0';
	/* a server remembered for its host and port rests on the CA the person confirmed */
	if (has_ca &&
	    (how == CL_HTTP_TRUST_PIN || how == CL_HTTP_TRUST_PERSON || how == CL_HTTP_TRUST_REMEMBERED)) {
		cl_fp_format_hex(fp, ca);
		return how == CL_HTTP_TRUST_PIN ? "pin" : "person";
	}
	return how == CL_HTTP_TRUST_SYSTEM ? "system" : NULL;
}

/* The new certificate could not be installed or recorded: take out what this run wrote, the CAs it made
 * trusted among them (not what another recorded certificate shares, such as a CA), so that no anchor stays
 * without a certificate that delete would take it out with; the next try asks again. The renewed
 * certificate's files, key, NSS entry, trust and record were never touched: NSS keeps both certificates
 * until one is removed by itself (store.h). SHA256: the new certificate's, or NULL when it was not
 * installed. */
static void undo_install(struct cl_flow *f, const struct cl_locations *installed, const char *sha256)
{
	struct cl_locations unused = { NULL, 0 };
	struct cl_records *rec = NULL;
	struct cl_error ignored;

	if (cl_records_load(f->store, &rec, &ignored) != CL_OK)
		rec = NULL;
	for (size_t i = 0; i < installed->n; i++) {
		const struct cl_location *l = &installed->items[i];

		if (!rec || !cl_records_location_in_use(rec, l, NULL))
			cl_locations_add(&unused, l->kind, l->path, l->nickname, &ignored);
	}
	if ((sha256 ? cl_store_remove_certificate(&unused, sha256, &ignored)
	            : cl_store_remove(&unused, &ignored)) != CL_OK)
		cl_flow_log(f, "undoing the install left something behind: %s", ignored.msg);
	cl_locations_clear(&unused);
	cl_records_free(rec);
}

struct drop_ctx {
	struct cl_flow *f;
	const char *nickname; /* the new certificate's own NSS nickname */
};

/* NSS filed the new certificate under the old one's nickname (one subject, one nickname), in ~/.pki/nssdb and
 * in each Firefox profile; with the old one gone it can have its own there (the name Firefox's certificate
 * chooser shows would otherwise carry the old serial). Best effort: the record keeps whichever nickname it
 * has. */
static void own_nickname(struct cl_flow *f, struct cl_records *rec, const char *nickname)
{
	struct cl_certificate *cert = cl_records_find_certificate_fp(rec, f->result_fp);
	struct cl_error why;
	bool renamed = false;

	for (size_t i = 0; cert && i < cert->locations.n; i++) {
		struct cl_location *l = &cert->locations.items[i];
		char *copy;

		if ((l->kind != CL_LOC_NSS_CERT && l->kind != CL_LOC_FIREFOX_CERT) || !l->nickname ||
		    strcmp(l->nickname, nickname) == 0)
			continue;
		if (cl_nssdb_rename_cert(l->path, f->result_fp, l->nickname, nickname, &renamed, &why) !=
		    CL_OK)
			cl_flow_log(f, "the renewed certificate keeps the NSS nickname \"%s\": %s",
			            l->nickname, why.msg);
		if (renamed && (copy = strdup(nickname)) != NULL) {
			free(l->nickname);
			l->nickname = copy;
			if (l->kind == CL_LOC_NSS_CERT)
				snprintf(f->result->nss_nickname, sizeof(f->result->nss_nickname), "%s",
				         nickname);
		}
	}
}

/* A renewed certificate leaves every place the new one does not also use, once the new one is recorded. */
static enum cl_status drop_old(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct drop_ctx *c = data;
	struct cl_flow *f = c->f;
	struct cl_certificate *old = cl_flow_renewed(f, rec);
	enum cl_status st;

	if (!old || (old->fingerprint && strcmp(old->fingerprint, f->result_fp) == 0))
		return CL_OK;
	st = cl_flow_forget_certificate(rec, old, err);
	if (st == CL_OK)
		own_nickname(f, rec, c->nickname);
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

/* The helper removes the certificate a renewal replaces once the new one is installed and has taken over
 * its connections; what it could not remove stays recorded with it, for a later delete (as here). */
static void note_replaced_left(struct cl_flow *f)
{
	struct cl_records *rec = NULL;

	if (!f->renewal_fp[0] || cl_records_load(f->store, &rec, NULL) != CL_OK)
		return;
	if (cl_records_find_certificate_fp(rec, f->renewal_fp))
		cl_flow_progress(
		    f, CL_STAGE_INSTALL,
		    "the replaced certificate %s is still installed in the computer store: delete "
		    "it once its network connections use the new one",
		    f->renewal_of);
	cl_records_free(rec);
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
	if (st == CL_OK)
		note_replaced_left(f);
	if (st == CL_OK) {
		fill_result(f, &info, &none);
		f->state = CL_APP_INSTALLED;
		st = cl_flow_record_save(f, NULL, err);
	}
	for (i = 0; i < n_later; i++)
		X509_free(later[i].ca);
	return st;
}

/* Before a file is written: the store must not hold another certificate with this issuer and serial. */
static enum cl_status check_store(struct cl_flow *f, const struct cl_certinfo *info, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	enum cl_status st = cl_records_load(f->store, &rec, err);

	if (st == CL_OK)
		st = cl_flow_check_clash(rec, info, err);
	cl_records_free(rec);
	return st;
}

/* Install and record the new certificate; for a renewal, only then remove the old one. A failure before the
 * record is written undoes the install and the trust this run gave, so the old certificate, its key, its NSS
 * entry and its trust stay as they were. */
static enum cl_status install_here(struct cl_flow *f, struct cl_error *err)
{
	struct cl_locations locs = { NULL, 0 }, installed = { NULL, 0 };
	struct cl_locations reuse = { NULL, 0 }; /* connections the new certificate takes over */
	struct cl_certinfo info;
	struct add_cert_ctx c = { f, &info, &locs, NULL, NULL };
	char nickname[160], ca[65];
	bool appended;
	enum cl_status st;

	st = cl_store_check_allowed(f->store, err);
	if (st == CL_OK)
		st = cl_certinfo_get(f->cert, &info, err);
	if (st == CL_OK)
		st = check_store(f, &info, err);
	if (st == CL_OK)
		st = trust_profile(f, &locs, NULL, NULL, err);
	/* a nickname of its own; NSS still files a certificate under an earlier one of the same subject,
	 * which the record notes, and each is removed by itself (store.h) */
	snprintf(nickname, sizeof(nickname), "certlink %.64s %s (%.8s)", f->host,
	         st == CL_OK ? info.serial : "", st == CL_OK ? info.sha256 : "");
	if (st == CL_OK)
		st = cl_flow_network_reuse(f->store, info.sha256, f->renewal_fp, f->host, (int)f->port,
		                           f->user, &reuse, err);
	if (st == CL_OK)
		st = cl_store_install(f->store, f->key, f->cert, f->chain, nickname, &installed, err);
	if (st != CL_OK) {
		undo_install(f, &locs, NULL); /* the anchors trust_profile() installed */
		goto out;
	}
	c.trust = identity_of(f, ca);
	c.ca = ca[0] ? ca : NULL;
	st = cl_locations_append(&locs, &installed, err);
	appended = st == CL_OK;
	if (st == CL_OK)
		st = cl_records_update(f->store, add_cert, &c, err);
	if (st != CL_OK) {
		/* the anchors and the install: LOCS holds both once appended */
		undo_install(f, appended ? &locs : &installed, info.sha256);
		if (!appended)
			undo_install(f, &locs, NULL);
		goto out;
	}
	fill_result(f, &info, &locs);
	cl_flow_copy(f->result_fp, sizeof(f->result_fp), info.sha256);
	/* The profile's networks use the new certificate (a renewal's take over the old one's connections).
	 */
	cl_flow_networks(f, &reuse);
	/* The new certificate is installed and recorded: now the old one may go. */
	if (f->renewal_of[0]) {
		struct drop_ctx dc = { f, nickname };
		struct cl_error left;

		/* what could not be removed stays recorded with the old certificate, for a later delete */
		if (cl_records_update(f->store, drop_old, &dc, &left) != CL_OK)
			cl_flow_progress(f, CL_STAGE_INSTALL,
			                 "the replaced certificate %s could not be removed everywhere: %s",
			                 f->renewal_of, left.msg);
	}
	f->state = CL_APP_INSTALLED;
	st = cl_flow_record_save(f, NULL, err);
out:
	cl_locations_clear(&locs);
	cl_locations_clear(&installed);
	cl_locations_clear(&reuse);
	return st;
}

enum cl_status cl_flow_install(struct cl_flow *f, struct cl_error *err)
{
	enum cl_status st;

	cl_flow_progress(f, CL_STAGE_INSTALL, "installing into the %s store", cl_store_kind_name(f->store));
	st = f->store != f->rec_store ? install_elevated(f, err) : install_here(f, err);
	if (st == CL_OK) {
		cl_secret_delete(f->rec_store, f->app_id, CL_SECRET_KEY, NULL);
		cl_secret_delete(f->rec_store, f->app_id, CL_SECRET_CHALLENGE, NULL);
	}
	if (st != CL_OK)
		cl_error_prefix(err, "installing");
	/* The certificate is issued and the key kept (state "issued"): a later run fetches it again and
	 * installs it, which front ends tell the person. */
	if (st == CL_E_LOCAL && !err->code[0])
		cl_error_set_code(err, "install_failed");
	return st;
}
