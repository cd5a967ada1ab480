/* certlink core: the certificate a renewal replaces leaves the store.
 *
 * Once the new certificate is installed and recorded, the old one goes from every place no other recorded
 * certificate uses (its files, its key unless the new certificate keeps it, its NSS entry, trust anchors
 * the new one does not carry over, connections the new one did not take over) and then its record: the
 * flow does it for the store it writes itself (enroll-install.c), the privileged helper for a person who is
 * not root (enroll-stage.c). The helper runs as root on what that person staged, so before it removes
 * anything it holds the replacement to what makes it one: the old certificate is the computer store's, of
 * the same server and user, and the CA that issued it, as the computer store keeps it in the old
 * certificate's own chain, signed the new one. A staging directory cannot name another certificate to
 * remove, nor pair a certificate of its own making with a key of the computer store.
 *
 * Every step is safe to interrupt: the records are written atomically after what they name is gone
 * (something already gone counts as removed), and until then the old certificate stays recorded with what
 * is left of it, so the next run (a resumed install, or a delete) finishes the job.
 */
#include "enroll-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "anchor.h"
#include "certinfo.h"
#include "fileio.h"
#include "fingerprint.h"
#include "key.h"
#include "store.h"

enum cl_status cl_flow_forget_certificate(struct cl_records *rec, struct cl_certificate *cert,
                                          struct cl_error *err)
{
	struct cl_locations unused = { NULL, 0 };
	enum cl_status st = CL_OK;
	size_t i;

	if (!cert)
		return CL_OK;
	for (i = 0; i < cert->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &cert->locations.items[i];

		if (!cl_records_location_in_use(rec, l, cert))
			st = cl_locations_add(&unused, l->kind, l->path, l->nickname, err);
	}
	if (st == CL_OK)
		st = cl_store_remove_certificate(&unused, cert->fingerprint, err);
	cl_locations_clear(&unused);
	if (st == CL_OK)
		cl_records_remove_certificate(rec, cert);
	return st;
}

struct retire_ctx {
	const char *old_fp, *new_fp;
};

static enum cl_status retire(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct retire_ctx *c = data;
	struct cl_certificate *old = cl_records_find_certificate_fp(rec, c->old_fp);
	struct cl_certificate *new = cl_records_find_certificate_fp(rec, c->new_fp);
	enum cl_status st;

	if (!new)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the new certificate %.16s is not recorded: the one it replaces stays",
		                    c->new_fp);
	st = cl_flow_forget_certificate(rec, old, err);
	if (st == CL_OK && new->replaces) { /* done: nothing is being replaced any more */
		free(new->replaces);
		new->replaces = NULL;
	}
	return st;
}

enum cl_status cl_flow_retire(enum cl_store_kind store, const char *old_fp, const char *new_fp,
                              struct cl_error *err)
{
	struct retire_ctx c = { old_fp, new_fp };

	if (!old_fp || !old_fp[0] || !new_fp || strcmp(old_fp, new_fp) == 0)
		return CL_OK;
	return cl_records_update(store, retire, &c, err);
}

/* The file of kind KIND among C's locations, or NULL. */
static const char *location_of(const struct cl_certificate *c, enum cl_location_kind kind)
{
	for (size_t i = 0; i < c->locations.n; i++)
		if (c->locations.items[i].kind == kind)
			return c->locations.items[i].path;
	return NULL;
}

/* Did the CA that issued OLD (found in OLD's own chain file, as the store keeps it) sign CERT? */
static bool same_issuing_ca(const struct cl_certificate *old, X509 *cert)
{
	const char *cert_path = location_of(old, CL_LOC_CERTIFICATE);
	const char *chain_path = location_of(old, CL_LOC_CHAIN);
	X509 *old_x = NULL, *ca;
	BIO *bio = NULL;
	char *pem = NULL;
	size_t len = 0;
	bool same = false;

	if (!cert_path || !chain_path || cl_certinfo_read_pem(cert_path, &old_x, NULL) != CL_OK ||
	    cl_fileio_read(chain_path, CL_STAGED_FILE_MAX, &pem, &len, NULL) != CL_OK ||
	    !(bio = BIO_new_mem_buf(pem, (int)len)))
		goto out;
	for (int n = 0; !same && n < 16 && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL; n++) {
		EVP_PKEY *pub = X509_get0_pubkey(ca);

		same = pub && X509_check_issued(ca, old_x) == X509_V_OK && X509_verify(old_x, pub) == 1 &&
		       X509_check_issued(ca, cert) == X509_V_OK && X509_verify(cert, pub) == 1;
		X509_free(ca);
	}
out:
	BIO_free(bio);
	free(pem);
	X509_free(old_x);
	ERR_clear_error();
	return same;
}

enum cl_status cl_flow_replaced(const struct cl_records *rec, const char *old_fp, X509 *cert,
                                const char *new_fp, const char *host, int port, const char *user,
                                struct cl_certificate **old, struct cl_error *err)
{
	const struct cl_certificate *new_rec;
	struct cl_certificate *c;
	time_t old_from;
	bool verified;

	*old = NULL;
	if (!old_fp || !old_fp[0] || strcmp(old_fp, new_fp) == 0)
		return CL_OK;
	c = cl_records_find_certificate_fp(rec, old_fp);
	if (!c) /* gone already: nothing to replace */
		return CL_OK;
	if (!c->server_host || strcmp(c->server_host, host) != 0 || c->server_port != port || !c->user ||
	    strcmp(c->user, user) != 0)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the certificate %.16s the staged renewal replaces is not of the same "
		                    "server and user: nothing is replaced",
		                    old_fp);
	/* a renewal is not older than what it replaces (X509_cmp_time(): -1 earlier or equal, 0 error) */
	old_from = (time_t)c->not_before - 1;
	if (X509_cmp_time(X509_get0_notBefore(cert), &old_from) <= 0)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "the staged certificate is older than the certificate %.16s it would replace: "
		    "nothing is replaced",
		    old_fp);
	/* checked when the new certificate was recorded (cl_certificate replaces), before any of the old
	 * one's files went: an interrupted removal is finished without them */
	new_rec = cl_records_find_certificate_fp(rec, new_fp);
	verified = new_rec && new_rec->replaces && strcmp(new_rec->replaces, old_fp) == 0;
	if (!verified && !same_issuing_ca(c, cert))
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "the staged certificate is not issued by the CA of the certificate %.16s it "
		    "would replace: nothing is replaced",
		    old_fp);
	*old = c;
	return CL_OK;
}

enum cl_status cl_flow_keep_anchors(const struct cl_certificate *old, X509 *cert, STACK_OF(X509) * chain,
                                    struct cl_locations *locs, int *kept, struct cl_error *err)
{
	enum cl_status st = CL_OK;

	for (size_t i = 0; old && i < old->locations.n && st == CL_OK; i++) {
		const struct cl_location *l = &old->locations.items[i];
		unsigned char fp[CL_FP_LEN];
		unsigned int n = 0;
		X509 *ca = NULL;

		if (l->kind != CL_LOC_TRUST_FILE || cl_certinfo_read_pem(l->path, &ca, NULL) != CL_OK)
			continue;
		/* a consented anchor of the old certificate that issues the new one: already an anchor of the
		 * store, now recorded with the new certificate too, so removing the old one keeps it */
		if (X509_digest(ca, EVP_sha256(), fp, &n) && cl_anchor_in_locations(&old->locations, fp) &&
		    cl_anchor_issues(ca, cert, chain)) {
			st = cl_store_trust_ca(CL_STORE_COMPUTER, ca, NULL, CL_ANCHOR_RECORDED, locs, err);
			if (st == CL_OK && kept)
				(*kept)++;
		}
		X509_free(ca);
	}
	ERR_clear_error();
	return st;
}

enum cl_status cl_flow_computer_key(const char *fp, EVP_PKEY **key, X509 **cert, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	const struct cl_certificate *c;
	enum cl_status st = cl_records_load(CL_STORE_COMPUTER, &rec, err);
	const char *key_path = NULL, *cert_path = NULL;
	unsigned char sha[CL_FP_LEN];
	unsigned int n = 0;
	char hex[CL_FP_HEX_SIZE];
	X509 *x = NULL;

	*key = NULL;
	if (cert)
		*cert = NULL;
	c = st == CL_OK ? cl_records_find_certificate_fp(rec, fp) : NULL;
	if (st == CL_OK && (!c || !c->server_host))
		st = cl_error_set(err, CL_E_LOCAL, "no certificate %.16s is recorded in the computer store",
		                  fp);
	if (st == CL_OK) {
		key_path = location_of(c, CL_LOC_KEY);
		cert_path = location_of(c, CL_LOC_CERTIFICATE);
		if (!key_path || !cert_path)
			st = cl_error_set(err, CL_E_LOCAL,
			                  "certificate %.16s has no key file in the computer store", fp);
	}
	if (st == CL_OK)
		st = cl_certinfo_read_pem(cert_path, &x, err);
	if (st == CL_OK)
		st = cl_key_load(key_path, key, err);
	cl_records_free(rec);
	/* the files must still be what the record says: the certificate FP, and its key */
	if (st == CL_OK && (!X509_digest(x, EVP_sha256(), sha, &n) || n != CL_FP_LEN))
		st = cl_error_set_openssl(err, CL_E_LOCAL, "fingerprinting the recorded certificate");
	if (st == CL_OK) {
		cl_fp_format_hex(sha, hex);
		if (strcmp(hex, fp) != 0)
			st = cl_error_set(err, CL_E_LOCAL,
			                  "the certificate file of %.16s in the computer store is another "
			                  "certificate",
			                  fp);
	}
	if (st == CL_OK && X509_check_private_key(x, *key) != 1)
		st = cl_error_set(err, CL_E_LOCAL, "the key file of %.16s is not the certificate's key", fp);
	ERR_clear_error();
	if (st != CL_OK) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	if (st == CL_OK && cert)
		*cert = x;
	else
		X509_free(x);
	return st;
}
