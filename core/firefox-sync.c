/* certlink core: Firefox profiles made after an enrollment (see firefox-sync.h). */
#include "firefox-sync.h"
#include "anchor.h"
#include "certinfo.h"
#include "firefox.h"
#include "logfile.h"
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct sync_ctx {
	const struct cl_firefox_profiles *profiles;
	struct cl_firefox_sync_report *report;
};

static const struct cl_location *first_of(const struct cl_certificate *c, enum cl_location_kind kind)
{
	for (size_t i = 0; i < c->locations.n; i++)
		if (c->locations.items[i].kind == kind)
			return &c->locations.items[i];
	return NULL;
}

static void left_out(const struct cl_firefox_profile *p, const struct cl_certificate *c,
                     const struct cl_error *why, struct sync_ctx *ctx)
{
	ctx->report->left_out++;
	cl_logfile_append(CL_STORE_USER, program_invocation_short_name, NULL,
	                  "Firefox profile %s left out for certificate %s: %s", p->dir, c->serial, why->msg);
}

/* The CAs C's record holds a consent for, trusted in profile P (appended to C's locations). */
static enum cl_status trust_anchors(const struct cl_firefox_profile *p, struct cl_certificate *c,
                                    struct sync_ctx *ctx, struct cl_error *err)
{
	enum cl_status st = CL_OK;

	if (cl_firefox_has(&c->locations, CL_LOC_FIREFOX_CA, p))
		return CL_OK; /* an earlier sync trusted them there, and then the import failed */
	for (size_t i = 0; i < c->locations.n && st == CL_OK; i++) {
		char *file = c->locations.items[i].kind == CL_LOC_TRUST_FILE
		                 ? strdup(c->locations.items[i].path)
		                 : NULL;
		unsigned char md[32];
		unsigned int len = 0;
		X509 *ca = NULL;
		bool created;

		if (file && cl_certinfo_read_pem(file, &ca, NULL) == CL_OK &&
		    X509_digest(ca, EVP_sha256(), md, &len) && len == 32 &&
		    cl_anchor_in_locations(&c->locations, md)) {
			st = cl_firefox_trust(p, ca, file, NULL, &c->locations, &created, err);
			ctx->report->trusted += st == CL_OK;
		}
		X509_free(ca);
		free(file);
	}
	return st;
}

/* A copy of the path of C's first location of KIND, or NULL. (Copies: C's locations grow below.) */
static char *path_of(const struct cl_certificate *c, enum cl_location_kind kind)
{
	const struct cl_location *l = first_of(c, kind);

	return l ? strdup(l->path) : NULL;
}

static void sync_one(struct cl_certificate *c, struct sync_ctx *ctx)
{
	char *file = path_of(c, CL_LOC_CERTIFICATE), *p12 = path_of(c, CL_LOC_PKCS12),
	     *pw = path_of(c, CL_LOC_PKCS12_PASSWORD), nickname[256];
	const struct cl_location *nss = first_of(c, CL_LOC_NSS_CERT);
	struct cl_error why;
	X509 *cert = NULL;

	/* NSS finds the certificate by its content when it got another nickname (an earlier one's) */
	snprintf(nickname, sizeof(nickname), "%s", nss && nss->nickname ? nss->nickname : "");
	if (!nickname[0])
		snprintf(nickname, sizeof(nickname), "certlink %s", c->serial);
	if (!file || !p12 || !pw || cl_certinfo_read_pem(file, &cert, NULL) != CL_OK)
		goto out; /* nothing to import from */
	for (size_t i = 0; i < ctx->profiles->n; i++) {
		const struct cl_firefox_profile *p = &ctx->profiles->items[i];

		if (cl_firefox_has(&c->locations, CL_LOC_FIREFOX_CERT, p))
			continue;
		cl_error_clear(&why);
		if (trust_anchors(p, c, ctx, &why) == CL_OK &&
		    cl_firefox_import(p, p12, pw, cert, nickname, &c->locations, &why) == CL_OK)
			ctx->report->added++;
		else
			left_out(p, c, &why, ctx);
	}
out:
	X509_free(cert);
	free(file);
	free(p12);
	free(pw);
}

static enum cl_status sync_records(struct cl_records *rec, void *data, struct cl_error *err)
{
	(void)err;
	for (size_t i = 0; i < rec->n_certs; i++)
		sync_one(rec->certs[i], data);
	return CL_OK;
}

enum cl_status cl_firefox_sync(struct cl_firefox_sync_report *report, struct cl_error *err)
{
	struct cl_firefox_profiles *profiles = calloc(1, sizeof(*profiles));
	struct sync_ctx ctx = { profiles, report };
	struct cl_records *rec = NULL;
	bool work = false;
	enum cl_status st;

	memset(report, 0, sizeof(*report));
	if (!profiles)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	cl_firefox_find(profiles);
	report->profiles = profiles->n;
	/* look first without the lock: most runs find every profile already done */
	st = profiles->n ? cl_records_load(CL_STORE_USER, &rec, err) : CL_OK;
	for (size_t i = 0; rec && i < rec->n_certs && !work; i++)
		for (size_t j = 0; j < profiles->n && !work; j++)
			work = first_of(rec->certs[i], CL_LOC_PKCS12) &&
			       !cl_firefox_has(&rec->certs[i]->locations, CL_LOC_FIREFOX_CERT,
			                       &profiles->items[j]);
	cl_records_free(rec);
	if (st == CL_OK && work)
		st = cl_records_update(CL_STORE_USER, sync_records, &ctx, err);
	free(profiles);
	return st;
}
