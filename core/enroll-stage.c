/* certlink core: the computer store for an unprivileged person (enroll.h, `elevate`).
 *
 * The flow runs as the person; only installing needs root. So the flow stages what it would install in a
 * fresh 0700 directory, the front end runs the privileged helper on it through pkexec, and the helper calls
 * cl_enroll_install_staged(), which checks everything again (it runs as root on input from an unprivileged
 * process) and installs and records into the computer store. For a renewal it also removes the certificate
 * the new one replaces (enroll-replace.c), at the end of the install or, when that certificate's network
 * connections are to be taken over, at the end of the network step.
 */
#include "enroll-private.h"

#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "anchor.h"
#include "certinfo.h"
#include "fileio.h"
#include "fingerprint.h"
#include "jsonfile.h"
#include "store.h"

static enum cl_status pem_of(X509 *x, BIO *out, struct cl_error *err)
{
	if (!PEM_write_bio_X509(out, x))
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding a certificate");
	return CL_OK;
}

static enum cl_status write_bio(const char *dir, const char *name, BIO *bio, bool secret,
                                struct cl_error *err)
{
	char path[4096 + 32];
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cl_fileio_write_new(path, data, (size_t)len, secret ? 0600 : 0644, err);
}

static enum cl_status stage_certs(struct cl_flow *f, const char *dir, const struct cl_flow_anchor *anchors,
                                  size_t n, struct cl_error *err)
{
	BIO *cert = BIO_new(BIO_s_mem()), *chain = BIO_new(BIO_s_mem()), *trust = BIO_new(BIO_s_mem());
	enum cl_status st = cert && chain && trust ? CL_OK : cl_error_set(err, CL_E_LOCAL, "out of memory");
	int i;

	if (st == CL_OK)
		st = pem_of(f->cert, cert, err);
	for (i = 0; st == CL_OK && f->chain && i < sk_X509_num(f->chain); i++)
		st = pem_of(sk_X509_value(f->chain, i), chain, err);
	if (st == CL_OK && f->ca && (!f->chain || sk_X509_num(f->chain) == 0))
		st = pem_of(f->ca, chain, err);
	for (i = 0; st == CL_OK && (size_t)i < n; i++)
		st = pem_of(anchors[i].ca, trust, err);
	if (st == CL_OK)
		st = write_bio(dir, "cert.pem", cert, false, err);
	if (st == CL_OK)
		st = write_bio(dir, "chain.pem", chain, false, err);
	if (st == CL_OK)
		st = write_bio(dir, "trust.pem", trust, false, err);
	BIO_free(cert);
	BIO_free(chain);
	BIO_free(trust);
	return st;
}

static enum cl_status stage_key(struct cl_flow *f, const char *dir, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	enum cl_status st;

	if (!bio || !PEM_write_bio_PKCS8PrivateKey(bio, f->key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the key");
	}
	st = write_bio(dir, "key.pem", bio, true, err);
	BIO_free(bio);
	return st;
}

/* meta.json's "trust_anchors": each staged anchor's SHA-256 and the consent for it (anchor.h), which the
 * helper checks again before it makes one a trust anchor of the computer. */
static bool add_anchor_consents(cJSON *m, const struct cl_flow_anchor *anchors, size_t n)
{
	cJSON *list = cJSON_AddArrayToObject(m, "trust_anchors");

	for (size_t i = 0; list && i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		unsigned char sha[32];
		unsigned int len = 0;
		char hex[65];

		if (!e || !cJSON_AddItemToArray(list, e) ||
		    !X509_digest(anchors[i].ca, EVP_sha256(), sha, &len))
			return false;
		cl_fp_format_hex(sha, hex);
		if (!cJSON_AddStringToObject(e, "sha256", hex) ||
		    !cJSON_AddStringToObject(e, "consent", cl_anchor_consent_name(anchors[i].consent)))
			return false;
	}
	return list != NULL;
}

static enum cl_status stage_meta(struct cl_flow *f, const char *dir, const struct cl_flow_anchor *anchors,
                                 size_t n, struct cl_error *err)
{
	cJSON *m = cJSON_CreateObject();
	char path[4096 + 32], fp[65] = "";
	unsigned char sha[32];
	bool has_ca = false;
	char *text;
	enum cl_status st;
	enum cl_http_trust how = cl_http_trust_source(f->http, sha, &has_ca);

	if (has_ca)
		cl_fp_format_hex(sha, fp);
	if (!m || !cJSON_AddStringToObject(m, "host", f->host) ||
	    !cJSON_AddNumberToObject(m, "port", f->port) || !cJSON_AddStringToObject(m, "user", f->user) ||
	    !cJSON_AddStringToObject(m, "server_id", f->server_id) ||
	    !cJSON_AddStringToObject(m, "service_name", f->service_name) ||
	    !cJSON_AddStringToObject(m, "ca_sha256", fp) ||
	    !cJSON_AddStringToObject(m, "renewal_of", f->renewal_of) ||
	    !cJSON_AddStringToObject(m, "renewal_of_fingerprint", f->renewal_fp) ||
	    !cJSON_AddBoolToObject(m, "reuse_key", f->key_elsewhere) ||
	    !cJSON_AddStringToObject(m, "server_trust",
	                             how == CL_HTTP_TRUST_PIN ? "pin"
	                             : how == CL_HTTP_TRUST_PERSON || how == CL_HTTP_TRUST_REMEMBERED
	                                 ? "person"
	                                 : "system") ||
	    !add_anchor_consents(m, anchors, n) || !(text = cJSON_PrintUnformatted(m))) {
		cJSON_Delete(m);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	st = cl_fileio_write_new(path, text, strlen(text), 0644, err);
	cJSON_free(text);
	cJSON_Delete(m);
	return st;
}

/* network.json: the profile's CAs and networks (a profile document, proto.h) and the certificate a renewal
 * replaces, whose connections the new one takes over; for the helper's --network. Only when there is
 * something to apply and a hook to apply it with. */
static bool wants_networks(const struct cl_flow *f)
{
	return f->profile.networks.n > 0 && !f->opts->no_network && f->opts->elevate_network;
}

static enum cl_status stage_networks(struct cl_flow *f, const char *dir, struct cl_error *err)
{
	char path[4096 + 32], *text = wants_networks(f) ? cl_proto_profile_json(&f->profile) : NULL;
	cJSON *doc = text ? cJSON_Parse(text) : NULL;
	char *out = NULL;
	enum cl_status st = CL_OK;

	if (!wants_networks(f))
		return CL_OK;
	if (!doc || (f->renewal_fp[0] && !cJSON_AddStringToObject(doc, "renews", f->renewal_fp)) ||
	    !(out = cJSON_PrintUnformatted(doc)))
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	snprintf(path, sizeof(path), "%s/network.json", dir);
	if (st == CL_OK)
		st = cl_fileio_write_new(path, out, strlen(out), 0644, err);
	cJSON_Delete(doc);
	free(text);
	free(out);
	return st;
}

/* The networks as system connections, through the helper's own polkit action; the report names the
 * connections the profile makes (their names do not depend on who makes them). */
static void elevate_networks(struct cl_flow *f, const char *dir)
{
	struct cl_network_report *r = &f->result->network;
	struct cl_network_target t;
	struct cl_error e;
	enum cl_status st;

	memset(&t, 0, sizeof(t));
	t.service = f->service_name;
	t.host = f->host;
	cl_network_plan(&f->profile.networks, &t, r);
	if (f->profile.networks.n == 0)
		return;
	if (f->opts->no_network) {
		r->skipped = true;
		return;
	}
	if (!f->opts->elevate_network || cl_cancel_requested(f->opts->cancel)) {
		snprintf(
		    r->note, sizeof(r->note), "%s",
		    dgettext("certlink", "this program cannot set up the computer's network connections"));
		return;
	}
	cl_error_clear(&e);
	cl_flow_progress(f, CL_STAGE_INSTALL,
	                 "asking for permission to set up this computer's network connections");
	st = f->opts->elevate_network(f->opts->user_data, dir, &e);
	if (st == CL_OK)
		r->applied = r->planned;
	else
		snprintf(r->note, sizeof(r->note), "%.*s", (int)sizeof(r->note) - 1, e.msg);
}

static void unstage(const char *dir)
{
	static const char *const names[] = { "key.pem",   "cert.pem",  "chain.pem",
		                             "trust.pem", "meta.json", "network.json" };
	char path[4096 + 32];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (i == 0)
			cl_fileio_delete_secret(path, NULL);
		else
			unlink(path);
	}
	rmdir(dir);
}

/* The anchors the person agreed to, each through the helper's own polkit action (always an administrator,
 * the CA named in the message). One not installed is noted and the next is tried. */
static void elevate_anchors(struct cl_flow *f, const char *dir, const struct cl_flow_anchor *anchors,
                            size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char fp[CL_FP_TEXT_SIZE], subject[512];
		unsigned char sha[32];
		unsigned int len = 0;
		struct cl_error e;
		enum cl_status st = CL_E_LOCAL;

		cl_error_clear(&e);
		if (f->opts->elevate_anchor && !cl_cancel_requested(f->opts->cancel) &&
		    X509_digest(anchors[i].ca, EVP_sha256(), sha, &len)) {
			cl_fp_format(sha, fp);
			cl_certinfo_name(X509_get_subject_name(anchors[i].ca), subject, sizeof(subject),
			                 NULL);
			cl_flow_progress(
			    f, CL_STAGE_INSTALL,
			    "asking for permission to make a certificate authority trusted on this "
			    "computer");
			st = f->opts->elevate_anchor(f->opts->user_data, dir, fp, subject, &e);
		}
		if (st == CL_OK) {
			f->result->trust_anchors++;
		} else {
			if (e.msg[0])
				cl_flow_log(f, "trust anchor not installed: %s", e.msg);
			cl_flow_note_anchor_not_installed(f, anchors[i].ca);
		}
	}
}

enum cl_status cl_flow_install_elevated(struct cl_flow *f, const struct cl_flow_anchor *anchors, size_t n,
                                        struct cl_error *err)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char dir[4096];
	enum cl_status st;

	snprintf(dir, sizeof(dir), "%s/certlink-stage-XXXXXX", base && base[0] == '/' ? base : "/tmp");
	if (!mkdtemp(dir)) /* 0700, owned by the person: the helper checks both */
		return cl_error_set(err, CL_E_LOCAL, "creating a staging directory in %s",
		                    base ? base : "/tmp");
	/* a renewal that keeps its key has no key here: the helper takes the computer store's own */
	st = f->key_elsewhere ? CL_OK : stage_key(f, dir, err);
	if (st == CL_OK)
		st = stage_certs(f, dir, anchors, n, err);
	if (st == CL_OK)
		st = stage_meta(f, dir, anchors, n, err);
	if (st == CL_OK)
		st = stage_networks(f, dir, err);
	if (st == CL_OK) {
		cl_flow_progress(f, CL_STAGE_INSTALL,
		                 "asking for permission to install into the computer store");
		st = f->opts->elevate(f->opts->user_data, dir, err);
	}
	if (st == CL_OK)
		elevate_anchors(f, dir, anchors, n);
	if (st == CL_OK)
		elevate_networks(f, dir);
	unstage(dir);
	return st;
}

/* ---- the privileged side ---- */

struct staged_consent {
	unsigned char sha256[32];
	enum cl_anchor_consent consent;
};

struct staged_parsed {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain;
	STACK_OF(X509) * trust;
	char host[256], user[65], server_id[65], service[129], ca_sha256[65], renewal_of[41], server_trust[8];
	char renewal_fp[65]; /* the certificate the staged one replaces, 64 lowercase hex, or "" */
	bool reuse_key;      /* no staged key: the certificate keeps the computer store's key it replaces */
	int port;
	struct staged_consent consents[CL_ENROLL_ANCHORS_MAX];
	size_t n_consents;
};

static enum cl_status read_certs(const char *pem, size_t len, STACK_OF(X509) * *out, struct cl_error *err)
{
	BIO *bio;
	X509 *x;

	*out = sk_X509_new_null();
	if (!*out)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (!pem || !len)
		return CL_OK;
	if (len > CL_STAGED_FILE_MAX || !(bio = BIO_new_mem_buf(pem, (int)len)))
		return cl_error_set(err, CL_E_LOCAL, "staged certificates are too large");
	while (sk_X509_num(*out) < 16 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		sk_X509_push(*out, x);
	BIO_free(bio);
	ERR_clear_error();
	return CL_OK;
}

static enum cl_status meta_string(const cJSON *m, const char *name, size_t max, char *out, size_t size,
                                  struct cl_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, name);

	if (!cJSON_IsString(v) || strlen(v->valuestring) > max || strlen(v->valuestring) >= size)
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json: \"%s\" is missing or too long", name);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return CL_OK;
}

/* "trust_anchors": [{"sha256": HEX, "consent": NAME}], optional; at most CL_ENROLL_ANCHORS_MAX. */
static enum cl_status parse_consents(const cJSON *m, struct staged_parsed *p, struct cl_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(m, "trust_anchors"), *e;

	if (!list)
		return CL_OK;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > CL_ENROLL_ANCHORS_MAX)
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad \"trust_anchors\"");
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *fp = cJSON_GetObjectItemCaseSensitive(e, "sha256");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "consent");
		struct staged_consent *out = &p->consents[p->n_consents];

		if (!cJSON_IsString(fp) || strlen(fp->valuestring) != 64 ||
		    !cl_fp_parse(fp->valuestring, 64, out->sha256) || !cJSON_IsString(c) ||
		    !cl_anchor_consent_parse(c->valuestring, &out->consent))
			return cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad \"trust_anchors\" entry");
		p->n_consents++;
	}
	return CL_OK;
}

/* "renewal_of_fingerprint": the certificate a renewal replaces (64 hex or ""), and "reuse_key": whether the
 * new certificate keeps its key; both optional. */
static enum cl_status parse_renewal(const cJSON *m, struct staged_parsed *p, struct cl_error *err)
{
	const cJSON *fp = cJSON_GetObjectItemCaseSensitive(m, "renewal_of_fingerprint");
	const cJSON *reuse = cJSON_GetObjectItemCaseSensitive(m, "reuse_key");
	unsigned char raw[32];

	if (fp && (!cJSON_IsString(fp) || (fp->valuestring[0] && (strlen(fp->valuestring) != 64 ||
	                                                          !cl_fp_parse(fp->valuestring, 64, raw)))))
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad \"renewal_of_fingerprint\"");
	if (reuse && !cJSON_IsBool(reuse))
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad \"reuse_key\"");
	if (fp && fp->valuestring[0])
		cl_fp_format_hex(raw, p->renewal_fp);
	p->reuse_key = cJSON_IsTrue(reuse);
	if (p->reuse_key && !p->renewal_fp[0])
		return cl_error_set(err, CL_E_LOCAL,
		                    "staged meta.json: only a renewal keeps a key of the computer store");
	return CL_OK;
}

static enum cl_status parse_meta(const struct cl_staged *s, struct staged_parsed *p, struct cl_error *err)
{
	cJSON *m;
	const cJSON *port;
	enum cl_status st;

	if (!s->meta_json || s->meta_len > 16384)
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json is missing or too large");
	m = cJSON_ParseWithLength(s->meta_json, s->meta_len);
	if (!m)
		return cl_error_set(err, CL_E_LOCAL, "staged meta.json is not JSON");
	port = cJSON_GetObjectItemCaseSensitive(m, "port");
	st = cJSON_IsNumber(port) && port->valuedouble >= 1 && port->valuedouble <= 65535
	         ? CL_OK
	         : cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad port");
	p->port = st == CL_OK ? (int)port->valuedouble : 0;
	if (st == CL_OK)
		st = meta_string(m, "host", 253, p->host, sizeof(p->host), err);
	if (st == CL_OK)
		st = meta_string(m, "user", 64, p->user, sizeof(p->user), err);
	if (st == CL_OK)
		st = meta_string(m, "server_id", 64, p->server_id, sizeof(p->server_id), err);
	if (st == CL_OK)
		st = meta_string(m, "service_name", 128, p->service, sizeof(p->service), err);
	if (st == CL_OK)
		st = meta_string(m, "ca_sha256", 64, p->ca_sha256, sizeof(p->ca_sha256), err);
	if (st == CL_OK)
		st = meta_string(m, "renewal_of", 40, p->renewal_of, sizeof(p->renewal_of), err);
	/* how the server's identity was established; a flow from before it was staged says nothing, which
	 * counts as what the CA fingerprint implies */
	if (st == CL_OK && cJSON_GetObjectItemCaseSensitive(m, "server_trust"))
		st = meta_string(m, "server_trust", 6, p->server_trust, sizeof(p->server_trust), err);
	if (st == CL_OK && !p->server_trust[0])
		snprintf(p->server_trust, sizeof(p->server_trust), "%s", p->ca_sha256[0] ? "pin" : "system");
	if (st == CL_OK && (strcmp(p->server_trust, "system") == 0) != !p->ca_sha256[0])
		st = cl_error_set(err, CL_E_LOCAL, "staged meta.json: server_trust and ca_sha256 disagree");
	if (st == CL_OK && strcmp(p->server_trust, "system") != 0 && strcmp(p->server_trust, "pin") != 0 &&
	    strcmp(p->server_trust, "person") != 0)
		st = cl_error_set(err, CL_E_LOCAL, "staged meta.json: bad server_trust");
	if (st == CL_OK)
		st = parse_renewal(m, p, err);
	if (st == CL_OK)
		st = parse_consents(m, p, err);
	cJSON_Delete(m);
	return st;
}

/* The certificate must be for the staged key and issued by a certificate of the staged chain; trust
 * anchors must be CA certificates. */
static enum cl_status check_staged(struct staged_parsed *p, struct cl_error *err)
{
	int i;
	bool issued = false;

	if (X509_check_ca(p->cert) != 0)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the staged certificate is a CA certificate, not an end entity");
	if (X509_check_private_key(p->cert, p->key) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "the staged key does not match the certificate");
	for (i = 0; i < sk_X509_num(p->chain) && !issued; i++) {
		X509 *ca = sk_X509_value(p->chain, i);

		issued = X509_check_issued(ca, p->cert) == X509_V_OK &&
		         X509_verify(p->cert, X509_get0_pubkey(ca)) == 1;
	}
	if (!issued)
		return cl_error_set(err, CL_E_LOCAL, "no staged CA certificate issued the certificate");
	for (i = 0; i < sk_X509_num(p->trust); i++)
		if (X509_check_ca(sk_X509_value(p->trust, i)) < 1)
			return cl_error_set(err, CL_E_LOCAL, "a staged trust anchor is not a CA certificate");
	ERR_clear_error();
	return CL_OK;
}

/* No staged key: a renewal that keeps its key (meta.json "reuse_key"). The key is the computer store's own:
 * the staged certificate's when it is installed already (a resumed install, the later steps), else the
 * certificate it replaces, which it must genuinely replace (cl_flow_replaced(): same server, user and
 * issuing CA). check_staged() then holds the certificate to that key. */
static enum cl_status reused_key(struct staged_parsed *p, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *old = NULL, *mine;
	unsigned char sha[32];
	unsigned int len = 0;
	char own[65];
	enum cl_status st;

	if (!p->reuse_key)
		return cl_error_set(err, CL_E_LOCAL, "key.pem is missing");
	if (!X509_digest(p->cert, EVP_sha256(), sha, &len) || len != 32)
		return cl_error_set_openssl(err, CL_E_LOCAL, "fingerprinting the staged certificate");
	cl_fp_format_hex(sha, own);
	st = cl_records_load(CL_STORE_COMPUTER, &rec, err);
	mine = st == CL_OK ? cl_records_find_certificate_fp(rec, own) : NULL;
	/* installed already: its own key, and its record must not change hands (server, user) on the way */
	if (mine && (!mine->server_host || strcmp(mine->server_host, p->host) != 0 ||
	             mine->server_port != p->port || !mine->user || strcmp(mine->user, p->user) != 0))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the staged certificate is installed for another server or user");
	if (mine) {
		cl_records_free(rec);
		return st == CL_OK ? cl_flow_computer_key(own, &p->key, NULL, err) : st;
	}
	if (st == CL_OK)
		st = cl_flow_replaced(rec, p->renewal_fp, p->cert, own, p->host, p->port, p->user, &old, err);
	if (st == CL_OK && !old)
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the key the staged certificate keeps is not in the computer store");
	cl_records_free(rec);
	return st == CL_OK ? cl_flow_computer_key(p->renewal_fp, &p->key, NULL, err) : st;
}

static int no_passphrase(char *buf, int size, int rwflag, void *data)
{
	return 0;
}

static enum cl_status parse_staged(const struct cl_staged *s, struct staged_parsed *p, struct cl_error *err)
{
	BIO *bio;
	STACK_OF(X509) *certs = NULL;
	enum cl_status st;

	if (!s->cert_pem || s->key_len > CL_STAGED_FILE_MAX || s->cert_len > CL_STAGED_FILE_MAX)
		return cl_error_set(err, CL_E_LOCAL, "the staged key or certificate is missing or too large");
	if (s->key_pem) {
		bio = BIO_new_mem_buf(s->key_pem, (int)s->key_len);
		/* never a passphrase prompt from a root process: an encrypted key is refused */
		p->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
		BIO_free(bio);
		if (!p->key)
			return cl_error_set_openssl(err, CL_E_LOCAL, "reading the staged key");
	}
	st = read_certs(s->cert_pem, s->cert_len, &certs, err);
	if (st == CL_OK && sk_X509_num(certs) != 1)
		st = cl_error_set(err, CL_E_LOCAL, "cert.pem must hold exactly one certificate");
	if (st == CL_OK)
		p->cert = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	if (st == CL_OK)
		st = read_certs(s->chain_pem, s->chain_len, &p->chain, err);
	if (st == CL_OK)
		st = read_certs(s->trust_pem, s->trust_len, &p->trust, err);
	if (st == CL_OK)
		st = parse_meta(s, p, err);
	if (st == CL_OK && !p->key)
		st = reused_key(p, err);
	return st == CL_OK ? check_staged(p, err) : st;
}

static void staged_parsed_free(struct staged_parsed *p)
{
	EVP_PKEY_free(p->key);
	X509_free(p->cert);
	sk_X509_pop_free(p->chain, X509_free);
	sk_X509_pop_free(p->trust, X509_free);
	memset(p, 0, sizeof(*p));
}

struct record_ctx {
	struct staged_parsed *p;
	const struct cl_certinfo *info;
	const struct cl_locations *locs;
	const char *replaces; /* the certificate it replaces (checked), or "" */
};

static enum cl_status record_staged(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct record_ctx *c = data;
	struct cl_application *app = cl_records_add_application(rec, err);
	enum cl_status st = app ? CL_OK : err->status;

	if (st == CL_OK) {
		app->server_port = c->p->port;
		app->store = CL_STORE_COMPUTER;
		app->state = CL_APP_INSTALLED;
		st = cl_records_set_string(&app->server_host, c->p->host, err);
	}
	if (st == CL_OK)
		st = cl_records_set_string(&app->user, c->p->user, err);
	if (st == CL_OK && c->p->server_id[0])
		st = cl_records_set_string(&app->server_id, c->p->server_id, err);
	if (st == CL_OK && c->p->ca_sha256[0])
		st = cl_records_set_string(&app->ca_fingerprint, c->p->ca_sha256, err);
	if (st == CL_OK)
		st = cl_records_set_string(&app->serial, c->info->serial, err);
	if (st == CL_OK)
		st = cl_flow_record_certificate(rec, c->info, c->p->host, c->p->port, c->p->user, app->id,
		                                c->p->server_trust,
		                                c->p->ca_sha256[0] ? c->p->ca_sha256 : NULL, c->locs, err);
	/* the replacement was checked now, while the old certificate's files are whole */
	if (st == CL_OK && c->replaces[0])
		st = cl_records_set_string(&cl_records_find_certificate_fp(rec, c->info->sha256)->replaces,
		                           c->replaces, err);
	return st;
}

/* Does OLD hold connections that the helper's --network step takes over (network.json is staged)? Then that
 * step removes OLD once they use the new certificate; otherwise the install does. */
static bool takes_over_later(const struct cl_staged *s, const struct cl_certificate *old)
{
	for (size_t i = 0; s->network_json && old && i < old->locations.n; i++)
		if (old->locations.items[i].kind == CL_LOC_NM_CONNECTION)
			return true;
	return false;
}

/* The renewed certificate leaves the computer store (cl_flow_retire()); why it could not, into RESULT. */
static void retire_staged(const char *old_fp, const char *old_serial, const char *new_fp,
                          struct cl_enroll_result *result)
{
	struct cl_error e;

	cl_error_clear(&e);
	if (cl_flow_retire(CL_STORE_COMPUTER, old_fp, new_fp, &e) == CL_OK)
		cl_flow_copy(result->replaced, sizeof(result->replaced), old_serial);
	else
		snprintf(result->replaced_note, sizeof(result->replaced_note), "%s: %.*s", old_serial,
		         (int)sizeof(result->replaced_note) - 48, e.msg);
}

enum cl_status cl_enroll_install_staged(const struct cl_staged *staged, struct cl_enroll_result *result,
                                        struct cl_error *err)
{
	struct staged_parsed p;
	struct cl_locations locs = { NULL, 0 }, installed = { NULL, 0 };
	struct cl_certinfo info;
	char nickname[160], old_fp[65] = "", old_serial[41] = "";
	struct record_ctx c = { &p, &info, &locs, old_fp };
	struct cl_records *rec = NULL;
	struct cl_certificate *old = NULL;
	bool later = false;
	enum cl_status st;
	int i;

	memset(&p, 0, sizeof(p));
	memset(result, 0, sizeof(*result));
	st = cl_store_check_allowed(CL_STORE_COMPUTER, err);
	if (st == CL_OK)
		st = parse_staged(staged, &p, err);
	if (st == CL_OK)
		st = cl_certinfo_get(p.cert, &info, err);
	/* another certificate with this issuer and serial: refused before anything is written */
	if (st == CL_OK)
		st = cl_records_load(CL_STORE_COMPUTER, &rec, err);
	if (st == CL_OK)
		st = cl_flow_check_clash(rec, &info, err);
	/* a renewal: the certificate it replaces, held to being that (same server, user and issuing CA); its
	 * consented anchors that issue the new certificate stay anchors, recorded with the new one */
	if (st == CL_OK)
		st = cl_flow_replaced(rec, p.renewal_fp, p.cert, info.sha256, p.host, p.port, p.user, &old,
		                      err);
	if (st == CL_OK && old) {
		cl_flow_copy(old_fp, sizeof(old_fp), old->fingerprint);
		cl_flow_copy(old_serial, sizeof(old_serial), old->serial);
		later = takes_over_later(staged, old);
		st = cl_flow_keep_anchors(old, p.cert, p.chain, &locs, &result->trust_anchors, err);
	}
	cl_records_free(rec);
	/* never a new trust anchor here: each has its own command and polkit action
	 * (cl_enroll_trust_staged()) */
	if (st == CL_OK) {
		snprintf(nickname, sizeof(nickname), "certlink %.64s %s (%.8s)", p.host, info.serial,
		         info.sha256);
		st = cl_store_install(CL_STORE_COMPUTER, p.key, p.cert, p.chain, nickname, &installed, err);
	}
	if (st == CL_OK) {
		st = cl_locations_append(&locs, &installed, err);
		if (st == CL_OK)
			st = cl_records_update(CL_STORE_COMPUTER, record_staged, &c, err);
		if (st != CL_OK) /* not recorded: nothing of this install may stay behind */
			cl_store_remove(&installed, NULL);
	}
	/* Installed and recorded: now the old certificate may go, unless its connections are still to be
	 * taken over (the --network step removes it then). */
	if (st == CL_OK && old_fp[0] && !later)
		retire_staged(old_fp, old_serial, info.sha256, result);
	if (st == CL_OK) {
		result->store = CL_STORE_COMPUTER;
		result->not_after = (time_t)info.not_after;
		cl_flow_copy(result->serial, sizeof(result->serial), info.serial);
		cl_flow_copy(result->subject, sizeof(result->subject), info.subject);
		cl_flow_copy(result->issuer, sizeof(result->issuer), info.issuer);
		cl_flow_copy(result->user, sizeof(result->user), p.user);
		X509_NAME_get_text_by_NID(X509_get_subject_name(p.cert), NID_commonName, result->cn,
		                          sizeof(result->cn));
		for (i = 0; i < (int)locs.n; i++)
			if (locs.items[i].kind == CL_LOC_CERTIFICATE)
				cl_flow_copy(result->cert_path, sizeof(result->cert_path),
				             locs.items[i].path);
	}
	cl_locations_clear(&locs);
	cl_locations_clear(&installed);
	staged_parsed_free(&p);
	if (st != CL_OK)
		cl_error_prefix(err, "installing into the computer store");
	return st;
}

/* ---- a trust anchor of the computer, for a staged and installed certificate ---- */

/* The staged CA with fingerprint FP, and the consent meta.json records for it. */
static X509 *staged_anchor(const struct staged_parsed *p, const unsigned char fp[32],
                           enum cl_anchor_consent *consent)
{
	X509 *found = NULL;

	*consent = CL_ANCHOR_NONE;
	for (int i = 0; !found && i < sk_X509_num(p->trust); i++) {
		unsigned char sha[32];
		unsigned int len = 0;

		if (X509_digest(sk_X509_value(p->trust, i), EVP_sha256(), sha, &len) &&
		    memcmp(sha, fp, 32) == 0)
			found = sk_X509_value(p->trust, i);
	}
	for (size_t i = 0; found && i < p->n_consents; i++)
		if (memcmp(p->consents[i].sha256, fp, 32) == 0)
			*consent = p->consents[i].consent;
	return found;
}

/* Every check the helper makes before an anchor, each refusal saying which rule it broke. */
static enum cl_status check_anchor(const struct staged_parsed *p, const char *sha256, const char *subject,
                                   X509 **anchor, enum cl_anchor_consent *consent, struct cl_error *err)
{
	unsigned char fp[32];
	char shown[512];

	if (!sha256 || !cl_fp_parse(sha256, strlen(sha256), fp))
		return cl_error_set(err, CL_E_LOCAL, "not a SHA-256 fingerprint: %.100s",
		                    sha256 ? sha256 : "");
	*anchor = staged_anchor(p, fp, consent);
	if (!*anchor)
		return cl_error_set(err, CL_E_LOCAL, "the CA %.100s is not among the staged trust anchors",
		                    sha256);
	if (*consent == CL_ANCHOR_NONE)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "nobody agreed to make the CA %.100s a trust anchor (meta.json records no "
		    "consent for it)",
		    sha256);
	if (!cl_anchor_issues(*anchor, p->cert, p->chain))
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "the CA %.100s does not issue the staged certificate: only the CA of its own "
		    "chain can become a trust anchor",
		    sha256);
	cl_certinfo_name(X509_get_subject_name(*anchor), shown, sizeof(shown), NULL);
	if (!subject || strcmp(subject, shown) != 0)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "the subject on the command line is not the CA's (%.200s): the authentication "
		    "message must name what is installed",
		    shown);
	return CL_OK;
}

struct anchor_record_ctx {
	const char *fingerprint; /* the certificate's, lowercase hex */
	const struct cl_locations *add;
};

/* Add the anchor's places to the installed certificate's record, so deleting it removes them. */
static enum cl_status record_anchor(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct anchor_record_ctx *c = data;
	struct cl_certificate *cert = NULL;
	enum cl_status st = CL_OK;

	for (size_t i = 0; i < rec->n_certs && !cert; i++)
		if (rec->certs[i]->fingerprint && strcmp(rec->certs[i]->fingerprint, c->fingerprint) == 0)
			cert = rec->certs[i];
	if (!cert)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "the staged certificate is not installed in the computer store: install it "
		    "first");
	for (size_t i = 0; i < c->add->n && st == CL_OK; i++) {
		bool have = false;

		for (size_t j = 0; j < cert->locations.n && !have; j++)
			have = cl_location_equal(&cert->locations.items[j], &c->add->items[i]);
		if (!have)
			st = cl_locations_add(&cert->locations, c->add->items[i].kind, c->add->items[i].path,
			                      c->add->items[i].nickname, err);
	}
	return st;
}

static bool certificate_recorded(const char *fingerprint)
{
	struct cl_records *rec = NULL;
	bool found = false;

	if (cl_records_load(CL_STORE_COMPUTER, &rec, NULL) != CL_OK)
		return false;
	for (size_t i = 0; i < rec->n_certs && !found; i++)
		found = rec->certs[i]->fingerprint && strcmp(rec->certs[i]->fingerprint, fingerprint) == 0;
	cl_records_free(rec);
	return found;
}

enum cl_status cl_enroll_trust_staged(const struct cl_staged *staged, const char *sha256, const char *subject,
                                      struct cl_enroll_result *result, struct cl_error *err)
{
	struct staged_parsed p;
	struct cl_locations locs = { NULL, 0 };
	struct cl_certinfo info;
	struct anchor_record_ctx c = { info.sha256, &locs };
	enum cl_anchor_consent consent = CL_ANCHOR_NONE;
	X509 *anchor = NULL;
	enum cl_status st;

	memset(&p, 0, sizeof(p));
	memset(result, 0, sizeof(*result));
	memset(&info, 0, sizeof(info));
	st = cl_store_check_allowed(CL_STORE_COMPUTER, err);
	if (st == CL_OK)
		st = parse_staged(staged, &p, err);
	if (st == CL_OK)
		st = cl_certinfo_get(p.cert, &info, err);
	if (st == CL_OK)
		st = check_anchor(&p, sha256, subject, &anchor, &consent, err);
	if (st == CL_OK && !certificate_recorded(info.sha256))
		st = cl_error_set(
		    err, CL_E_LOCAL,
		    "the staged certificate is not installed in the computer store: install it first");
	if (st == CL_OK)
		st = cl_store_trust_ca(CL_STORE_COMPUTER, anchor, NULL, consent, &locs, err);
	if (st == CL_OK && (st = cl_records_update(CL_STORE_COMPUTER, record_anchor, &c, err)) != CL_OK)
		cl_store_untrust_ca(&locs, NULL); /* not recorded: not left behind either */
	if (st == CL_OK) {
		result->store = CL_STORE_COMPUTER;
		result->trust_anchors = 1;
		cl_flow_copy(result->serial, sizeof(result->serial), info.serial);
		cl_certinfo_name(X509_get_subject_name(anchor), result->issuer, sizeof(result->issuer), NULL);
	}
	cl_locations_clear(&locs);
	staged_parsed_free(&p);
	if (st != CL_OK)
		cl_error_prefix(err, "making a certificate authority trusted on this computer");
	return st;
}

/* ---- the profile's networks as system connections, for a staged and installed certificate ---- */

/* network.json's "renews": the certificate whose connections the new one takes over. It must be a computer
 * store certificate of the same server. */
static enum cl_status staged_renews(const struct cl_staged *s, const struct staged_parsed *p, char out[65],
                                    struct cl_error *err)
{
	cJSON *doc = cJSON_ParseWithLength(s->network_json, s->network_len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "renews");
	struct cl_records *rec = NULL;
	struct cl_certificate *old;
	enum cl_status st = CL_OK;
	unsigned char fp[32];

	out[0] = '\0';
	if (v && (!cJSON_IsString(v) || strlen(v->valuestring) != 64 || !cl_fp_parse(v->valuestring, 64, fp)))
		st = cl_error_set(err, CL_E_LOCAL, "staged network.json: bad \"renews\"");
	if (st == CL_OK && v) {
		cl_fp_format_hex(fp, out);
		st = cl_records_load(CL_STORE_COMPUTER, &rec, err);
		old = st == CL_OK ? cl_records_find_certificate_fp(rec, out) : NULL;
		if (st == CL_OK && old &&
		    (!old->server_host || strcmp(old->server_host, p->host) != 0 ||
		     old->server_port != p->port))
			st =
			    cl_error_set(err, CL_E_LOCAL,
			                 "the certificate network.json renews is not from the staged server");
		cl_records_free(rec);
	}
	cJSON_Delete(doc);
	return st;
}

static void retire_after_networks(const struct staged_parsed *p, const struct cl_certinfo *info,
                                  struct cl_enroll_result *result)
{
	struct cl_records *rec = NULL;
	struct cl_certificate *old = NULL;
	char old_fp[65] = "", old_serial[41] = "";
	struct cl_error e;

	cl_error_clear(&e);
	if (!p->renewal_fp[0] || cl_records_load(CL_STORE_COMPUTER, &rec, &e) != CL_OK)
		return;
	if (cl_flow_replaced(rec, p->renewal_fp, p->cert, info->sha256, p->host, p->port, p->user, &old,
	                     &e) != CL_OK)
		snprintf(result->replaced_note, sizeof(result->replaced_note), "%.*s",
		         (int)sizeof(result->replaced_note) - 1, e.msg);
	if (old) {
		cl_flow_copy(old_fp, sizeof(old_fp), old->fingerprint);
		cl_flow_copy(old_serial, sizeof(old_serial), old->serial);
	}
	cl_records_free(rec);
	if (old_fp[0])
		retire_staged(old_fp, old_serial, info->sha256, result);
}

enum cl_status cl_enroll_network_staged(const struct cl_staged *staged, struct cl_enroll_result *result,
                                        struct cl_error *err)
{
	struct staged_parsed p;
	struct cl_proto_profile profile;
	struct cl_locations reuse = { NULL, 0 };
	struct cl_network_target t;
	struct cl_certinfo info;
	char renews[65] = "", cn[129] = "";
	enum cl_status st;

	memset(&p, 0, sizeof(p));
	memset(&profile, 0, sizeof(profile));
	memset(result, 0, sizeof(*result));
	st = cl_store_check_allowed(CL_STORE_COMPUTER, err);
	if (st == CL_OK && (!staged->network_json || staged->network_len > CL_STAGED_FILE_MAX))
		st = cl_error_set(err, CL_E_LOCAL, "network.json is missing or too large");
	if (st == CL_OK)
		st = parse_staged(staged, &p, err);
	if (st == CL_OK)
		st = cl_certinfo_get(p.cert, &info, err);
	/* the same rules as an activation's profile: a checked server name, CAs the profile delivers */
	if (st == CL_OK &&
	    cl_proto_parse_profile(staged->network_json, staged->network_len, &profile, err) != CL_OK)
		st = CL_E_LOCAL, cl_error_prefix(err, "staged network.json");
	if (st == CL_OK && !certificate_recorded(info.sha256))
		st = cl_error_set(
		    err, CL_E_LOCAL,
		    "the staged certificate is not installed in the computer store: install it first");
	if (st == CL_OK)
		st = staged_renews(staged, &p, renews, err);
	if (st == CL_OK)
		st = cl_flow_network_reuse(CL_STORE_COMPUTER, info.sha256, renews, p.host, p.port, p.user,
		                           &reuse, err);
	if (st == CL_OK) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(p.cert), NID_commonName, cn, sizeof(cn));
		memset(&t, 0, sizeof(t));
		t.cn = cn;
		t.user_id = p.user;
		t.service = p.service;
		t.host = p.host;
		t.port = p.port;
		st = cl_flow_networks_for(CL_STORE_COMPUTER, info.sha256, &profile, &t, &reuse,
		                          &result->network, err);
	}
	/* The connections use the new certificate (or NetworkManager was not there): the certificate it
	 * replaces goes now, as the install would have done without connections to take over. */
	if (st == CL_OK)
		retire_after_networks(&p, &info, result);
	if (st == CL_OK) {
		result->store = CL_STORE_COMPUTER;
		cl_flow_copy(result->serial, sizeof(result->serial), info.serial);
	}
	cl_locations_clear(&reuse);
	cl_proto_profile_clear(&profile);
	staged_parsed_free(&p);
	if (st != CL_OK)
		cl_error_prefix(err, "setting up this computer's network connections");
	return st;
}
