/* certlink core: a computer-store renewal that keeps its key, for a person who is not root.
 *
 * The computer store's key is root's (0600) and the person's process never reads it. A renewal with a new
 * key needs it for nothing: the request goes as a PKCSReq that the renewal application's challenge
 * authorises (docs/protocol.md section 7, docs/security.md). A renewal that keeps its key needs one thing
 * from it, the PKCS#10 request's signature (proof of possession); the privileged helper makes that
 * signature and nothing else:
 *
 *     pkexec certlink-install-helper --sign-request SHA256 SUBJECT DIR
 *
 * DIR holds request.json: the names and the challenge of the request, not the request. As root,
 * cl_enroll_sign_staged() builds the request itself with the same code as every request (core/csr.c),
 * for the key of the computer-store certificate SHA256 as the computer store's records name it, checks
 * that its subject is SUBJECT (what the administrator read in the authentication message), and signs it.
 * It never signs bytes it is given, never a SCEP message, and decrypts nothing: the pkiMessage around the
 * request is signed with a throw-away transport key of the person's process, which also receives the
 * CertRep (core/scep.h key_elsewhere).
 */
#include "enroll-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "certinfo.h"
#include "csr.h"
#include "fileio.h"
#include "fingerprint.h"
#include "store.h"

#define SIGNED_REQUEST_MAX (64 * 1024)

/* ---- request.json, both sides ---- */

static bool add_list(cJSON *doc, const char *name, const char *const *items, size_t n)
{
	cJSON *list = cJSON_AddArrayToObject(doc, name);

	for (size_t i = 0; list && i < n; i++)
		if (!cJSON_AddItemToArray(list, cJSON_CreateString(items[i])))
			return false;
	return list != NULL;
}

/* The request's names and challenge as request.json; NULL when out of memory. Holds the challenge: the
 * caller wipes it. */
static char *request_json(const struct cl_csr_params *p)
{
	cJSON *doc = cJSON_CreateObject(), *subject = doc ? cJSON_AddArrayToObject(doc, "subject") : NULL;
	char *text = NULL;
	bool ok = subject != NULL;

	for (size_t i = 0; ok && i < p->subject_count; i++) {
		cJSON *rdn = cJSON_CreateArray();

		ok = rdn && cJSON_AddItemToArray(subject, rdn) &&
		     cJSON_AddItemToArray(rdn, cJSON_CreateString(p->subject[i].type)) &&
		     cJSON_AddItemToArray(rdn, cJSON_CreateString(p->subject[i].value));
	}
	ok = ok && add_list(doc, "san_dns", p->san_dns, p->san_dns_count) &&
	     add_list(doc, "san_email", p->san_email, p->san_email_count) &&
	     add_list(doc, "san_upn", p->san_upn, p->san_upn_count) &&
	     add_list(doc, "san_uri", p->san_uri, p->san_uri_count) &&
	     (!p->challenge || cJSON_AddStringToObject(doc, "challenge", p->challenge));
	if (ok)
		text = cJSON_PrintUnformatted(doc);
	/* the tree holds the challenge too */
	if (doc && p->challenge) {
		cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "challenge");

		if (cJSON_IsString(c))
			OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
	}
	cJSON_Delete(doc);
	return text;
}

/* Parsed request.json; strings point into doc. */
struct parsed_request {
	cJSON *doc;
	struct cl_csr_rdn rdn[CL_CSR_MAX_RDNS];
	const char *sans[4][CL_CSR_MAX_SANS];
	struct cl_csr_params p;
};

static enum cl_status parse_list(const cJSON *doc, const char *name, const char **out, size_t *n,
                                 struct cl_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, name), *e;

	*n = 0;
	if (!list)
		return CL_OK;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > CL_CSR_MAX_SANS)
		return cl_error_set(err, CL_E_LOCAL,
		                    "request.json: \"%s\" must be a list of at most %d names", name,
		                    CL_CSR_MAX_SANS);
	cJSON_ArrayForEach(e, list)
	{
		if (!cJSON_IsString(e))
			return cl_error_set(err, CL_E_LOCAL, "request.json: \"%s\" must hold strings", name);
		out[(*n)++] = e->valuestring;
	}
	return CL_OK;
}

/* The caps are checked here for the structure and by cl_csr_make() for every value. */
static enum cl_status parse_request(const char *json, size_t len, struct parsed_request *r,
                                    struct cl_error *err)
{
	const cJSON *subject, *rdn, *challenge;
	enum cl_status st = CL_OK;

	memset(r, 0, sizeof(*r));
	if (!json || len == 0 || len > CL_SIGN_REQUEST_MAX)
		return cl_error_set(err, CL_E_LOCAL, "request.json is missing or larger than %d octets",
		                    CL_SIGN_REQUEST_MAX);
	r->doc = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(r->doc))
		return cl_error_set(err, CL_E_LOCAL, "request.json is not a JSON object");
	subject = cJSON_GetObjectItemCaseSensitive(r->doc, "subject");
	if (!cJSON_IsArray(subject) || cJSON_GetArraySize(subject) > CL_CSR_MAX_RDNS)
		return cl_error_set(err, CL_E_LOCAL,
		                    "request.json: \"subject\" must be a list of at most %d RDNs",
		                    CL_CSR_MAX_RDNS);
	cJSON_ArrayForEach(rdn, subject)
	{
		const cJSON *type = cJSON_GetArrayItem(rdn, 0), *value = cJSON_GetArrayItem(rdn, 1);

		if (!cJSON_IsArray(rdn) || cJSON_GetArraySize(rdn) != 2 || !cJSON_IsString(type) ||
		    !cJSON_IsString(value))
			return cl_error_set(err, CL_E_LOCAL,
			                    "request.json: each subject RDN must be [TYPE, VALUE]");
		r->rdn[r->p.subject_count].type = type->valuestring;
		r->rdn[r->p.subject_count++].value = value->valuestring;
	}
	r->p.subject = r->rdn;
	st = parse_list(r->doc, "san_dns", r->sans[0], &r->p.san_dns_count, err);
	if (st == CL_OK)
		st = parse_list(r->doc, "san_email", r->sans[1], &r->p.san_email_count, err);
	if (st == CL_OK)
		st = parse_list(r->doc, "san_upn", r->sans[2], &r->p.san_upn_count, err);
	if (st == CL_OK)
		st = parse_list(r->doc, "san_uri", r->sans[3], &r->p.san_uri_count, err);
	r->p.san_dns = r->sans[0];
	r->p.san_email = r->sans[1];
	r->p.san_upn = r->sans[2];
	r->p.san_uri = r->sans[3];
	challenge = cJSON_GetObjectItemCaseSensitive(r->doc, "challenge");
	if (st == CL_OK && challenge && !cJSON_IsString(challenge))
		st = cl_error_set(err, CL_E_LOCAL, "request.json: \"challenge\" must be a string");
	r->p.challenge = challenge ? challenge->valuestring : NULL;
	return st;
}

static void parsed_request_clear(struct parsed_request *r)
{
	const cJSON *c = r->doc ? cJSON_GetObjectItemCaseSensitive(r->doc, "challenge") : NULL;

	if (cJSON_IsString(c))
		OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
	cJSON_Delete(r->doc);
	memset(r, 0, sizeof(*r));
}

/* ---- the person's side ---- */

/* Does the certificate file among C's locations carry KEY? */
static bool carries_key(const struct cl_certificate *c, EVP_PKEY *key)
{
	bool yes = false;

	for (size_t i = 0; i < c->locations.n && !yes; i++) {
		X509 *x = NULL;

		if (c->locations.items[i].kind == CL_LOC_CERTIFICATE &&
		    cl_certinfo_read_pem(c->locations.items[i].path, &x, NULL) == CL_OK)
			yes = EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1;
		X509_free(x);
	}
	ERR_clear_error();
	return yes;
}

/* The computer-store certificate whose key signs: the one this run renews, or, when a run that stopped after
 * the helper installed the new certificate and removed the old one (or part of it) resumes, a certificate of
 * the same server and user with this key (the new certificate itself). */
static enum cl_status signer_of(struct cl_flow *f, char fp[CL_FP_TEXT_SIZE], struct cl_error *err)
{
	struct cl_records *rec = NULL;
	const struct cl_certificate *c;
	enum cl_status st = cl_records_load(CL_STORE_COMPUTER, &rec, err);
	unsigned char raw[CL_FP_LEN];

	if (st != CL_OK)
		return st;
	c = cl_flow_renewed(f, rec);
	if (c && !carries_key(c, f->key)) /* part way through its removal */
		c = NULL;
	for (size_t i = 0; !c && i < rec->n_certs; i++) {
		const struct cl_certificate *o = rec->certs[i];

		if (o->server_host && strcmp(o->server_host, f->host) == 0 &&
		    o->server_port == (int)f->port && o->user && strcmp(o->user, f->user) == 0 &&
		    carries_key(o, f->key))
			c = o;
	}
	if (!c || !c->fingerprint || !cl_fp_parse(c->fingerprint, strlen(c->fingerprint), raw))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the key of certificate %s is no longer in the computer store: renew it "
		                  "with a new key",
		                  f->renewal_of);
	else
		cl_fp_format(raw, fp);
	cl_records_free(rec);
	return st;
}

static void unstage_request(const char *dir)
{
	char path[4096 + 32];

	snprintf(path, sizeof(path), "%s/request.json", dir);
	cl_fileio_delete_secret(path, NULL);
	rmdir(dir);
}

/* The helper's answer must be the request asked for: signed by f->key, with DRAFT's subject. */
static enum cl_status take_signed(struct cl_flow *f, X509_REQ *draft, const char *pem, size_t len,
                                  X509_REQ **out, struct cl_error *err)
{
	BIO *bio = len > 0 && len <= SIGNED_REQUEST_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!req || X509_REQ_verify(req, f->key) != 1 ||
	    EVP_PKEY_eq(X509_REQ_get0_pubkey(req), f->key) != 1 ||
	    X509_NAME_cmp(X509_REQ_get_subject_name(req), X509_REQ_get_subject_name(draft)) != 0) {
		cl_csr_free(req);
		ERR_clear_error();
		return cl_error_set(err, CL_E_LOCAL,
		                    "the install helper did not answer with the request signed by the "
		                    "computer store's key");
	}
	*out = req;
	return CL_OK;
}

enum cl_status cl_flow_reuse_key_unavailable(struct cl_error *err)
{
	cl_error_set(err, CL_E_LOCAL,
	             "renewing a computer-store certificate with the same key needs this computer's key, "
	             "which this program cannot ask an administrator to use: renew with a new key");
	cl_error_set_code(err, "reuse_key_unavailable");
	return CL_E_LOCAL;
}

enum cl_status cl_flow_sign_elevated(struct cl_flow *f, const struct cl_csr_params *p, X509_REQ **out,
                                     struct cl_error *err)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char dir[4096], path[4096 + 32], fp[CL_FP_TEXT_SIZE], subject[512];
	char *json = NULL, *pem = NULL;
	size_t pem_len = 0;
	X509_REQ *draft = NULL;
	enum cl_status st;

	*out = NULL;
	if (!f->opts->elevate_sign)
		return cl_flow_reuse_key_unavailable(err);
	st = cl_csr_make(p, f->key, &draft, err);
	if (st == CL_OK)
		st = cl_certinfo_name(X509_REQ_get_subject_name(draft), subject, sizeof(subject), err);
	if (st == CL_OK)
		st = signer_of(f, fp, err);
	if (st == CL_OK && !(json = request_json(p)))
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (st != CL_OK)
		goto out;
	snprintf(dir, sizeof(dir), "%s/certlink-stage-XXXXXX", base && base[0] == '/' ? base : "/tmp");
	if (!mkdtemp(dir)) { /* 0700, the person's: the helper checks both */
		st =
		    cl_error_set(err, CL_E_LOCAL, "creating a staging directory in %s", base ? base : "/tmp");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/request.json", dir);
	st = cl_fileio_write_new(path, json, strlen(json), 0600, err);
	if (st == CL_OK) {
		cl_flow_progress(f, CL_STAGE_ACTIVATE,
		                 "asking for permission to sign the renewal with this computer's key");
		st = f->opts->elevate_sign(f->opts->user_data, dir, fp, subject, &pem, &pem_len, err);
	}
	unstage_request(dir);
	if (st == CL_OK)
		st = take_signed(f, draft, pem, pem_len, out, err);
out:
	if (json)
		OPENSSL_clear_free(json, strlen(json));
	if (pem)
		OPENSSL_clear_free(pem, pem_len);
	cl_csr_free(draft);
	if (st != CL_OK)
		cl_error_prefix(err, "signing the request with the computer store's key");
	return st;
}

/* ---- the privileged side ---- */

static enum cl_status request_pem(X509_REQ *req, char **pem, size_t *len, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long n;

	if (!bio || !PEM_write_bio_X509_REQ(bio, req) || (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    !(*pem = malloc((size_t)n + 1))) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the signed request");
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return CL_OK;
}

enum cl_status cl_enroll_sign_staged(const char *request_json, size_t len, const char *sha256,
                                     const char *subject, char **pem, size_t *pem_len, struct cl_error *err)
{
	struct parsed_request r;
	unsigned char raw[CL_FP_LEN];
	char fp[CL_FP_HEX_SIZE], shown[512];
	EVP_PKEY *key = NULL;
	X509_REQ *req = NULL;
	enum cl_status st;

	*pem = NULL;
	*pem_len = 0;
	memset(&r, 0, sizeof(r));
	st = cl_store_check_allowed(CL_STORE_COMPUTER, err);
	if (st == CL_OK && (!sha256 || !cl_fp_parse(sha256, strlen(sha256), raw)))
		st = cl_error_set(err, CL_E_LOCAL, "not a SHA-256 fingerprint: %.100s", sha256 ? sha256 : "");
	if (st == CL_OK) {
		cl_fp_format_hex(raw, fp);
		st = parse_request(request_json, len, &r, err);
	}
	if (st == CL_OK)
		st = cl_flow_computer_key(fp, &key, NULL, err);
	if (st == CL_OK)
		st = cl_csr_build(&r.p, key, &req, err);
	if (st == CL_OK)
		st = cl_certinfo_name(X509_REQ_get_subject_name(req), shown, sizeof(shown), err);
	if (st == CL_OK && (!subject || strcmp(subject, shown) != 0))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the subject on the command line is not the request's (%.200s): the "
		                  "authentication message must name what is signed",
		                  shown);
	if (st == CL_OK)
		st = request_pem(req, pem, pem_len, err);
	cl_csr_free(req);
	EVP_PKEY_free(key);
	parsed_request_clear(&r);
	if (st != CL_OK)
		cl_error_prefix(err, "signing a renewal's request with the computer store's key");
	return st;
}
