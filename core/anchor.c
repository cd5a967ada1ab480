/* certlink core: consent for trust anchors (see anchor.h). */
#include "anchor.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "certinfo.h"
#include "fileio.h"
#include "fingerprint.h"

#define ANCHORS_DIR_NAME "anchors"

static const char *const consent_names[] = {
	[CL_ANCHOR_NONE] = "none",
	[CL_ANCHOR_PERSON] = "person",
	[CL_ANCHOR_ADMINISTRATOR] = "administrator",
	[CL_ANCHOR_RECORDED] = "recorded",
};

const char *cl_anchor_consent_name(enum cl_anchor_consent consent)
{
	if ((unsigned)consent < sizeof(consent_names) / sizeof(consent_names[0]))
		return consent_names[consent];
	return "none";
}

bool cl_anchor_consent_parse(const char *name, enum cl_anchor_consent *out)
{
	for (size_t i = 0; name && i < sizeof(consent_names) / sizeof(consent_names[0]); i++)
		if (strcmp(name, consent_names[i]) == 0) {
			*out = (enum cl_anchor_consent)i;
			return true;
		}
	return false;
}

/* The name a consented anchor's file has in the anchors directory: HEX.pem. */
static void anchor_file_name(const unsigned char sha256[32], char out[CL_FP_HEX_SIZE + 4])
{
	char hex[CL_FP_HEX_SIZE];

	cl_fp_format_hex(sha256, hex);
	memcpy(out, hex, 64);
	memcpy(out + 64, ".pem", 5);
}

bool cl_anchor_in_locations(const struct cl_locations *locs, const unsigned char sha256[32])
{
	char name[CL_FP_HEX_SIZE + 4], tail[sizeof(ANCHORS_DIR_NAME) + CL_FP_HEX_SIZE + 5];

	anchor_file_name(sha256, name);
	snprintf(tail, sizeof(tail), "/" ANCHORS_DIR_NAME "/%s", name);
	for (size_t i = 0; locs && i < locs->n; i++) {
		const char *path = locs->items[i].path;
		size_t n = path ? strlen(path) : 0;

		if (locs->items[i].kind == CL_LOC_TRUST_FILE && n > strlen(tail) &&
		    strcmp(path + n - strlen(tail), tail) == 0)
			return true;
	}
	return false;
}

bool cl_anchor_installed(enum cl_store_kind kind, const unsigned char sha256[32])
{
	char name[CL_FP_HEX_SIZE + 4], *dir = cl_paths_anchors_dir(kind, NULL), *path;
	bool found;

	anchor_file_name(sha256, name);
	path = dir ? cl_paths_join(dir, name, NULL) : NULL;
	found = path && cl_fileio_exists(path);
	free(path);
	free(dir);
	return found;
}

bool cl_anchor_issues(X509 *anchor, X509 *cert, STACK_OF(X509) * chain)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (anchor && cert && store && ctx && X509_STORE_add_cert(store, anchor) &&
	    X509_STORE_CTX_init(ctx, store, cert, chain)) {
		X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);

		/* the anchor may be an intermediate; the question is who issued, not whether it is valid now
		 */
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
		ok = X509_verify_cert(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok == 1;
}

static bool listed(const unsigned char fp[32], const unsigned char (*admin)[32], size_t n)
{
	for (size_t i = 0; admin && i < n; i++)
		if (memcmp(admin[i], fp, 32) == 0)
			return true;
	return false;
}

enum cl_status cl_anchor_decide(const struct cl_anchor_request *req, enum cl_anchor_consent *out,
                                struct cl_error *err)
{
	unsigned char fp[32];
	unsigned int len = 0;
	char text[CL_FP_TEXT_SIZE], subject[512];
	enum cl_status st;
	bool yes = false;

	*out = CL_ANCHOR_NONE;
	if (!req->ca || !X509_digest(req->ca, EVP_sha256(), fp, &len) || len != 32)
		return cl_error_set_openssl(err, CL_E_LOCAL, "fingerprinting a CA");
	if (cl_anchor_installed(req->store, fp) || cl_anchor_in_locations(req->renewed, fp)) {
		*out = CL_ANCHOR_RECORDED;
		return CL_OK;
	}
	if (listed(fp, req->admin, req->n_admin)) {
		*out = CL_ANCHOR_ADMINISTRATOR;
		return CL_OK;
	}
	if (!req->ask)
		return CL_OK;
	cl_fp_format(fp, text);
	cl_certinfo_name(X509_get_subject_name(req->ca), subject, sizeof(subject), NULL);
	st = req->ask(req->ask_data, subject, text, &yes, err);
	if (st != CL_OK)
		return st;
	*out = yes ? CL_ANCHOR_PERSON : CL_ANCHOR_NONE;
	return CL_OK;
}
