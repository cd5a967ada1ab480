/* certlink core: which certificate a renewal replaces, and whether this run may renew it.
 *
 * A renewal signs a request with the current certificate's key and ends by removing that certificate, so it
 * is bound to the server that issued it: the record must name the same host and port, and the server must
 * prove the identity recorded at enrollment (the same CA, or system trust when that is how it was
 * established). The link cannot widen this: a renew link that names another server, another user, or pins
 * another CA is refused before any network contact, and nothing is sent, signed or removed. A person is
 * asked before a renewal starts (CL_ASK_CONFIRM_RENEW); zero-touch runs have their administrator's consent.
 */
#include "enroll-private.h"

#include <stdio.h>
#include <string.h>

#include "certinfo.h"
#include "fingerprint.h"
#include "store.h"

/* Refusals all carry one code, so front ends and tests can tell them from other local failures:
 * mismatch(err, cl_error_set(err, CL_E_LOCAL, ...)). */
static enum cl_status mismatch(struct cl_error *err, enum cl_status st)
{
	cl_error_set_code(err, "renewal_mismatch");
	return st;
}

static bool same_server(const struct cl_flow *f, const struct cl_certificate *c)
{
	return c->server_host && strcmp(c->server_host, f->host) == 0 && c->server_port == (int)f->port;
}

bool cl_flow_renewal_matches(const struct cl_flow *f, const struct cl_records *rec,
                             const struct cl_certificate *cert)
{
	const char *ca = cl_certificate_server_ca(rec, cert);
	unsigned char fp[32];

	if (!same_server(f, cert))
		return false;
	if (!f->have_pin)
		return true; /* the run connects with the recorded identity */
	return ca && cl_fp_parse(ca, strlen(ca), fp) && memcmp(fp, f->pin, sizeof(fp)) == 0;
}

enum cl_status cl_flow_renewal_target(struct cl_flow *f, const struct cl_records *rec,
                                      const struct cl_certificate *cert, struct cl_error *err)
{
	const char *ca = cl_certificate_server_ca(rec, cert);
	char where[300];
	unsigned char fp[32];

	snprintf(where, sizeof(where), "%s:%d", cert->server_host ? cert->server_host : "?",
	         cert->server_port);
	if (!same_server(f, cert))
		return mismatch(err, cl_error_set(err, CL_E_LOCAL,
		                                  "refusing to renew certificate %s at another server: it "
		                                  "was issued through %s; nothing was sent",
		                                  cert->serial, where));
	if (f->user[0] && cert->user && strcmp(f->user, cert->user) != 0)
		return mismatch(
		    err, cl_error_set(err, CL_E_LOCAL,
		                      "refusing to renew certificate %s for another user: it belongs to %s",
		                      cert->serial, cert->user));
	if (ca && !cl_fp_parse(ca, strlen(ca), fp))
		return cl_error_set(err, CL_E_LOCAL, "the record of certificate %s names no valid CA",
		                    cert->serial);
	if (f->have_pin && (!ca || memcmp(fp, f->pin, sizeof(fp)) != 0))
		return mismatch(
		    err,
		    cl_error_set(err, CL_E_LOCAL,
		                 "refusing to renew certificate %s: the link pins another CA than the one %s "
		                 "proved its identity with at enrollment; nothing was sent",
		                 cert->serial, where));
	cl_flow_copy(f->renewal_of, sizeof(f->renewal_of), cert->serial);
	cl_flow_copy(f->renewal_fp, sizeof(f->renewal_fp), cert->fingerprint);
	if (!f->user[0])
		cl_flow_copy(f->user, sizeof(f->user), cert->user);
	f->have_pin = ca != NULL;
	if (ca)
		memcpy(f->pin, fp, sizeof(fp));
	f->renewal_system = ca == NULL;
	f->store = rec->store;
	return CL_OK;
}

/* The certificates of REC a renew link for SERIAL could mean (by fingerprint when the run knows it). */
static size_t candidates(const struct cl_records *rec, const char *serial, const char *fingerprint,
                         struct cl_certificate **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rec->n_certs; i++) {
		struct cl_certificate *c = rec->certs[i];
		char norm[41];

		if (fingerprint ? !c->fingerprint || strcmp(c->fingerprint, fingerprint) != 0
		                : !cl_records_normalize_serial(serial, norm) || strcmp(norm, c->serial) != 0)
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

#define CANDIDATES_MAX 4

/* A renew link for a certificate that is gone because its renewal got as far as installing the new one
 * before the run stopped (a crash, a kill): the renewal's own application, still open, of the link's server
 * (and pinned CA), is resumed instead, from the person's records or root's. It carries the identity it was
 * made with. */
static bool unfinished(struct cl_flow *f, const char *serial, const char *fingerprint,
                       enum cl_store_kind store)
{
	struct cl_records *recs[2] = { NULL, NULL };
	char want[41], have[41];
	unsigned char fp[32];
	bool found = false;

	/* the application is the person's, or root's when root ran the renewal */
	if (!cl_records_normalize_serial(serial, want) ||
	    cl_records_load(CL_STORE_USER, &recs[0], NULL) != CL_OK)
		return false;
	if (cl_records_load(CL_STORE_COMPUTER, &recs[1], NULL) != CL_OK)
		recs[1] = NULL;
	for (size_t k = 0; k < 2 && !found; k++) {
		for (size_t i = 0; recs[k] && i < recs[k]->n_apps; i++) {
			const struct cl_application *a = recs[k]->apps[i];
			const char *ca = a->ca_fingerprint;

			if (!cl_app_state_is_open(a->state) || !a->renewal_of ||
			    !cl_records_normalize_serial(a->renewal_of, have) || strcmp(have, want) != 0 ||
			    (fingerprint && (!a->renewal_of_fingerprint ||
			                     strcmp(a->renewal_of_fingerprint, fingerprint) != 0)) ||
			    !a->server_host || strcmp(a->server_host, f->host) != 0 ||
			    a->server_port != (int)f->port || (store != CL_STORE_ASK && a->store != store) ||
			    (f->user[0] && (!a->user || strcmp(a->user, f->user) != 0)) ||
			    (ca && !cl_fp_parse(ca, strlen(ca), fp)) ||
			    (f->have_pin && (!ca || memcmp(fp, f->pin, sizeof(fp)) != 0)))
				continue;
			cl_flow_copy(f->renewal_of, sizeof(f->renewal_of), a->renewal_of);
			cl_flow_copy(f->renewal_fp, sizeof(f->renewal_fp), a->renewal_of_fingerprint);
			if (!f->user[0])
				cl_flow_copy(f->user, sizeof(f->user), a->user);
			f->have_pin = ca != NULL;
			if (ca)
				memcpy(f->pin, fp, sizeof(fp));
			f->renewal_system = ca == NULL;
			f->store = a->store;
			cl_flow_log(
			    f, "certificate %s is already replaced: resuming its renewal, application %s",
			    serial, a->id);
			found = true;
			break;
		}
	}
	cl_records_free(recs[0]);
	cl_records_free(recs[1]);
	return found;
}

enum cl_status cl_flow_renewal_from_link(struct cl_flow *f, const char *serial, const char *fingerprint,
                                         enum cl_store_kind store, struct cl_error *err)
{
	static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };
	struct cl_certificate *match[CANDIDATES_MAX], *here[CANDIDATES_MAX], *other = NULL;
	enum cl_store_kind match_in[CANDIDATES_MAX];
	struct cl_records *recs[2] = { NULL, NULL }, *match_rec = NULL, *other_rec = NULL;
	size_t n_match = 0;
	enum cl_status st;

	for (size_t k = 0; k < 2; k++) {
		size_t n;

		if (store != CL_STORE_ASK && store != kinds[k])
			continue;
		/* a computer store this account cannot read holds nothing it could renew */
		if (cl_records_load(kinds[k], &recs[k], NULL) != CL_OK)
			continue;
		n = candidates(recs[k], serial, fingerprint, here, CANDIDATES_MAX);
		for (size_t i = 0; i < n && i < CANDIDATES_MAX; i++) {
			if (!cl_flow_renewal_matches(f, recs[k], here[i])) {
				if (!other) {
					other = here[i];
					other_rec = recs[k];
				}
				continue;
			}
			if (n_match < CANDIDATES_MAX) {
				match[n_match] = here[i];
				match_in[n_match] = kinds[k];
			}
			n_match++;
			match_rec = recs[k];
		}
	}
	if (n_match > 1)
		st = cl_records_ambiguous(serial, match, match_in, n_match, err);
	else if (n_match == 1)
		st = cl_flow_renewal_target(f, match_rec, match[0], err);
	else if (other) /* recorded, but for another server or identity: the target check says which */
		st = cl_flow_renewal_target(f, other_rec, other, err);
	else if (unfinished(f, serial, fingerprint, store))
		st = CL_OK;
	else if (store == CL_STORE_ASK)
		st = cl_error_set(err, CL_E_LOCAL, "no certificate with serial %s is installed here", serial);
	else
		st = cl_error_set(err, CL_E_LOCAL,
		                  "no certificate with serial %s is installed in the %s store", serial,
		                  cl_store_kind_name(store));
	cl_records_free(recs[0]);
	cl_records_free(recs[1]);
	return st;
}

struct cl_certificate *cl_flow_renewed(const struct cl_flow *f, const struct cl_records *rec)
{
	char serial[41];

	if (!f->renewal_of[0] || !cl_records_normalize_serial(f->renewal_of, serial))
		return NULL;
	for (size_t i = 0; i < rec->n_certs; i++) {
		struct cl_certificate *c = rec->certs[i];

		/* an application recorded before fingerprints were kept: serial at the same server */
		if (f->renewal_fp[0] ? c->fingerprint && strcmp(c->fingerprint, f->renewal_fp) == 0
		                     : same_server(f, c) && strcmp(c->serial, serial) == 0)
			return c;
	}
	return NULL;
}

enum cl_status cl_flow_renewal_resumed(struct cl_flow *f, const struct cl_application *app,
                                       struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *c;
	enum cl_status st;

	if (f->renewal_fp[0] || !app->renewal_of)
		return CL_OK;
	cl_flow_copy(f->renewal_of, sizeof(f->renewal_of), app->renewal_of);
	cl_flow_copy(f->renewal_fp, sizeof(f->renewal_fp), app->renewal_of_fingerprint);
	st = cl_records_load(f->store, &rec, err);
	c = st == CL_OK ? cl_flow_renewed(f, rec) : NULL;
	/* gone since (deleted): the application still finishes, there is just nothing to replace */
	if (c)
		st = cl_flow_renewal_target(f, rec, c, err);
	cl_records_free(rec);
	return st;
}

enum cl_status cl_flow_renewal_load(struct cl_flow *f, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *c;
	enum cl_status st;
	/* the computer store's key is root's: the person's process never opens it (enroll-sign.c) */
	bool elevated = cl_flow_elevated(f);
	size_t i;

	if (!f->renewal_of[0] || f->old_cert)
		return CL_OK;
	if (elevated && f->opts->reuse_key && !f->opts->elevate_sign)
		return cl_flow_reuse_key_unavailable(err);
	st = cl_records_load(f->store, &rec, err);
	if (st != CL_OK)
		return st;
	c = cl_flow_renewed(f, rec);
	for (i = 0; c && i < c->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &c->locations.items[i];

		if (l->kind == CL_LOC_KEY && !f->old_key && !elevated)
			st = cl_key_load(l->path, &f->old_key, err);
		/* the same capped reader the manager uses, not a second uncapped one */
		if (l->kind == CL_LOC_CERTIFICATE && !f->old_cert)
			st = cl_certinfo_read_pem(l->path, &f->old_cert, err);
	}
	cl_records_free(rec);
	/* A resumed application needs nothing of a certificate that is gone, or part way through its removal
	 * (an install that stopped while removing it, a delete): its request goes as a PKCSReq (or the
	 * retransmission of one), with the recorded key or a new one; only keeping the key needs it before
	 * the key is recorded. */
	if ((st != CL_OK || !c || !f->old_cert || (!f->old_key && !elevated)) && f->app_id[0] &&
	    (f->state == CL_APP_ACTIVATED || f->state == CL_APP_ISSUED || !f->opts->reuse_key)) {
		cl_flow_log(
		    f, "the renewed certificate %s is no longer installed whole: finishing the application",
		    f->renewal_of);
		X509_free(f->old_cert);
		EVP_PKEY_free(f->old_key);
		f->old_cert = NULL;
		f->old_key = NULL;
		cl_error_clear(err);
		return CL_OK;
	}
	if (st == CL_OK && (!f->old_cert || (!f->old_key && !elevated)))
		st = cl_error_set(err, CL_E_LOCAL, "certificate %s to renew is not installed in the %s store",
		                  f->renewal_of, cl_store_kind_name(f->store));
	return st;
}

enum cl_status cl_flow_renewal_confirm(struct cl_flow *f, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *c;
	struct cl_question q;
	char fp[CL_FP_TEXT_SIZE] = "";
	unsigned char raw[32];
	enum cl_status st;

	if (!f->renewal_of[0] || !f->opts->ask)
		return CL_OK;
	st = cl_records_load(f->store, &rec, err);
	c = st == CL_OK ? cl_flow_renewed(f, rec) : NULL;
	/* a resumed renewal whose certificate is already replaced: confirmed when its application was made */
	if (st == CL_OK && !c && f->app_id[0]) {
		cl_records_free(rec);
		return CL_OK;
	}
	if (st == CL_OK && !c)
		st = cl_error_set(err, CL_E_LOCAL, "certificate %s to renew is not installed in the %s store",
		                  f->renewal_of, cl_store_kind_name(f->store));
	if (st == CL_OK) {
		if (c->fingerprint && cl_fp_parse(c->fingerprint, strlen(c->fingerprint), raw))
			cl_fp_format(raw, fp);
		memset(&q, 0, sizeof(q));
		q.kind = CL_ASK_CONFIRM_RENEW;
		q.subject = c->subject;
		q.issuer = c->issuer;
		q.serial = c->serial;
		q.fingerprint = fp[0] ? fp : NULL;
		q.not_after = (time_t)c->not_after;
		q.key_type = c->key_type;
		q.key_bits = c->key_bits;
		q.new_key = !f->opts->reuse_key;
		q.store = f->store;
		cl_flow_copy(q.user, sizeof(q.user), f->user);
		st = cl_flow_ask(f, &q, err);
		if (st == CL_E_CANCELLED) {
			cl_error_set(err, CL_E_CANCELLED,
			             "certificate %s was not renewed: nothing was sent and nothing changed",
			             c->serial);
			cl_error_set_code(err, "renewal_declined");
		}
	}
	cl_records_free(rec);
	return st;
}

enum cl_status cl_flow_renewal_check_server(struct cl_flow *f, struct cl_error *err)
{
	unsigned char fp[32];
	bool has_ca = false;
	enum cl_http_trust how;

	if (!f->renewal_of[0])
		return CL_OK;
	how = cl_http_trust_source(f->http, fp, &has_ca);
	if (f->renewal_system ? how == CL_HTTP_TRUST_SYSTEM
	                      : f->have_pin && has_ca && memcmp(fp, f->pin, sizeof(fp)) == 0)
		return CL_OK;
	return mismatch(
	    err,
	    cl_error_set(err, CL_E_LOCAL,
	                 "refusing to renew certificate %s: %s did not prove the identity it had when the "
	                 "certificate was issued; nothing was sent",
	                 f->renewal_of, f->host));
}
