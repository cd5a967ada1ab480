/* certlink core: establishing the enrollment server's identity (docs/protocol.md section 3).
 *
 * Order: the link's pin (an unverified probe fetches GET /api/v1/ca; the certificate matching the pin, and
 * the presented chain must verify against it, becomes the session's only anchor: a pinned link is not
 * also allowed to pass on system trust); else system trust and the consented trust anchors (anchor.h; a
 * verified probe); else a CA remembered for exactly this host and port (knownservers.h; checked like a
 * pin); else the person's yes (the presented chain's CA is shown through the question callback, and
 * becomes the only anchor). A pin that does not match is refused, never turned into a question; a
 * remembered CA the server no longer presents leads to the question (or, with nobody to ask, a refusal).
 *
 * The unverified probe is a fixed GET without credentials or body on its own libcurl handle (so no TLS
 * session or connection of it is reused); http.c refuses anything else on an unverified transfer.
 */
#include "http-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certinfo.h"
#include "fingerprint.h"
#include "knownservers.h"
#include "proto.h"

#define CHAIN_DEPTH_MAX 8

/* ---- certificates ---- */

static STACK_OF(X509) * load_chain(const char *pem)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x;

	while (chain && bio && sk_X509_num(chain) < CHAIN_DEPTH_MAX &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(chain, x))
			X509_free(x);
	ERR_clear_error();
	BIO_free(bio);
	return chain;
}

static X509 *x509_from_pem(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

static bool fingerprint(X509 *x, unsigned char out[32])
{
	unsigned int n = 0;

	return X509_digest(x, EVP_sha256(), out, &n) && n == 32;
}

static bool issued_by(X509 *subject, X509 *issuer)
{
	EVP_PKEY *key = X509_get0_pubkey(issuer);

	return X509_check_issued(issuer, subject) == X509_V_OK && key && X509_verify(subject, key) == 1;
}

/* The CA that a person is asked about: climb from the top of the presented chain through the server's CA
 * list to a self-signed certificate, or as far as the issuers go. Returns a new reference or NULL. */
static X509 *chain_anchor(STACK_OF(X509) * chain, const struct cl_proto_ca *ca)
{
	X509 *top = sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1) : NULL, *next;

	if (!top || !X509_up_ref(top))
		return NULL;
	for (int depth = 0; depth < CHAIN_DEPTH_MAX && !issued_by(top, top); depth++) {
		next = NULL;
		for (size_t i = 0; i < ca->n && !next; i++) {
			next = x509_from_pem(ca->certs[i].pem);
			if (next && !issued_by(top, next)) {
				X509_free(next);
				next = NULL;
			}
		}
		if (!next)
			break;
		X509_free(top);
		top = next;
	}
	ERR_clear_error();
	return top;
}

/* Verify the presented chain (leaf first) against exactly one anchor, host name or IP matching. */
static enum cl_status verify_chain(STACK_OF(X509) * chain, X509 *anchor, const char *host,
                                   struct cl_error *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	unsigned char ip[16];
	X509_VERIFY_PARAM *param;
	int ok = 0;

	if (store && ctx && sk_X509_num(chain) > 0 && X509_STORE_add_cert(store, anchor) &&
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain)) {
		param = X509_STORE_CTX_get0_param(ctx);
		/* The anchor may be an intermediate (libcurl verifies partial chains too). */
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
		X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
		if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(param, host);
		else
			X509_VERIFY_PARAM_set1_host(param, host, 0);
		ok = X509_verify_cert(ctx);
	}
	if (ok != 1)
		cl_error_set(err, CL_E_UNREACHABLE,
		             "the server's certificate for %s does not verify against that CA: %s", host,
		             ctx ? X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx))
		                 : "no memory");
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok == 1 ? CL_OK : CL_E_UNREACHABLE;
}

/* ---- probe ---- */

/* GET /api/v1/ca over a connection whose peer is not verified, on a handle of its own. Fills chain (what
 * the peer presented) and, when the reply is a valid CA list, ca. need_ca: a missing or bad list is an
 * error (pin), else it is tolerated (question). */
static enum cl_status probe(struct cl_http *h, bool need_ca, STACK_OF(X509) * *chain, struct cl_proto_ca *ca,
                            struct cl_error *err)
{
	const char *what = dgettext("certlink", "fetching the server's CA certificates");
	struct cl_http_options o = h->opts;
	struct cl_http_request req = { .method = "GET", .accept = "application/json", .opts = &o };
	struct cl_http_tls tls = { .unverified_probe = true, .want_chain = true };
	struct cl_http_response resp;
	CURL *c = curl_easy_init();
	char url[400];
	enum cl_status st;

	memset(ca, 0, sizeof(*ca));
	snprintf(url, sizeof(url), "%s/api/v1/ca", h->base_url);
	req.url = url;
	o.max_body = CL_HTTP_CA_BODY_MAX;
	st = c ? cl_http_perform(c, &req, &tls, &resp, err)
	       : cl_error_set(err, CL_E_LOCAL, "cannot start libcurl");
	curl_easy_cleanup(c);
	*chain = load_chain(tls.chain_pem);
	free(tls.chain_pem);
	if (st != CL_OK) {
		cl_error_prefix(err, "%s", what);
		return st;
	}
	if (resp.status != 200)
		st = cl_proto_map_error(resp.status, resp.body, resp.body_len, what, NULL, err);
	else if ((st = cl_proto_parse_ca(resp.body, resp.body_len, ca, err)) != CL_OK)
		cl_error_prefix(err, "%s", what);
	cl_http_response_free(&resp);
	if (st != CL_OK && !need_ca) {
		cl_proto_ca_clear(ca); /* the question only needs the presented chain */
		st = CL_OK;
	}
	if (st == CL_OK && (!*chain || sk_X509_num(*chain) == 0)) {
		cl_error_set(err, CL_E_UNREACHABLE, "the server at %s presented no certificate", h->base_url);
		cl_error_set_code(err, "tls_verify");
		st = CL_E_UNREACHABLE;
	}
	return st;
}

/* ---- deciding ---- */

static void free_chain(STACK_OF(X509) * chain)
{
	sk_X509_pop_free(chain, X509_free);
}

static char *x509_to_pem(X509 *x)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy = NULL;
	long n;

	if (bio && PEM_write_bio_X509(bio, x) && (n = BIO_get_mem_data(bio, &data)) > 0 &&
	    (copy = malloc((size_t)n + 1)) != NULL) {
		memcpy(copy, data, (size_t)n);
		copy[n] = '\0';
	}
	BIO_free(bio);
	return copy;
}

/* From now on verify against ANCHOR alone: the identity rests on this one CA, so nothing the system or
 * another anchor vouches for may stand in for it (docs/links.md, `ca=`). */
static enum cl_status adopt(struct cl_http *h, X509 *anchor, enum cl_http_trust source, struct cl_error *err)
{
	char *pem = x509_to_pem(anchor);
	enum cl_status st;

	if (!pem || !fingerprint(anchor, h->ca_sha256)) {
		free(pem);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	st = cl_http_set_trust(h, false, pem, err);
	free(pem);
	if (st == CL_OK) {
		h->has_ca = true;
		h->trust = source;
	}
	return st;
}

static enum cl_status refuse(struct cl_error *err, const char *code, enum cl_status status)
{
	cl_error_set_code(err, code);
	return status;
}

/* The certificate with fingerprint PIN: from the server's CA list, else from the presented chain. New
 * reference. */
static X509 *find_pinned(const unsigned char pin[32], const struct cl_proto_ca *ca, STACK_OF(X509) * chain)
{
	unsigned char fp[32];

	for (size_t i = 0; i < ca->n; i++)
		if (memcmp(ca->certs[i].sha256, pin, 32) == 0)
			return x509_from_pem(ca->certs[i].pem);
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		if (fingerprint(x, fp) && memcmp(fp, pin, 32) == 0 && X509_up_ref(x))
			return x;
	}
	return NULL;
}

/* The server must present a chain to the CA with fingerprint PIN (the link's, or the one remembered for
 * this host and port: SOURCE says which). */
static enum cl_status establish_pinned(struct cl_http *h, const unsigned char pin[32],
                                       enum cl_http_trust source, struct cl_error *err)
{
	bool link = source == CL_HTTP_TRUST_PIN;
	STACK_OF(X509) *chain = NULL;
	struct cl_proto_ca ca;
	X509 *anchor = NULL;
	enum cl_status st = probe(h, true, &chain, &ca, err);

	if (st == CL_OK && !(anchor = find_pinned(pin, &ca, chain))) {
		if (link)
			cl_error_set(
			    err, CL_E_UNREACHABLE,
			    "none of the CA certificates of %s matches the fingerprint in the link: refusing "
			    "to talk to this server",
			    h->base_url);
		else
			cl_error_set(
			    err, CL_E_UNREACHABLE,
			    "none of the CA certificates of %s matches the CA remembered for it: not talking "
			    "to it without asking again",
			    h->base_url);
		st = refuse(err, "pin_mismatch", CL_E_UNREACHABLE);
	}
	if (st == CL_OK && verify_chain(chain, anchor, h->host, err) != CL_OK) {
		if (link)
			cl_error_prefix(err, "the link's pinned CA does not vouch for %s", h->base_url);
		else
			cl_error_prefix(err, "the CA remembered for %s does not vouch for it", h->base_url);
		st = refuse(err, "pin_mismatch", CL_E_UNREACHABLE);
	}
	if (st == CL_OK)
		st = adopt(h, anchor, source, err);
	X509_free(anchor);
	free_chain(chain);
	cl_proto_ca_clear(&ca);
	return st;
}

/* A verified GET /api/v1/ca against system trust and the consented anchors; any HTTP reply will do. */
static enum cl_status verified_probe(struct cl_http *h, struct cl_error *err)
{
	struct cl_http_options o = h->opts;
	struct cl_http_request req = { .method = "GET", .accept = "application/json", .opts = &o };
	struct cl_http_tls tls = { 0 };
	struct cl_http_response resp;
	char url[400];
	enum cl_status st = cl_http_set_trust(h, true, NULL, err);

	if (st != CL_OK)
		return st;
	snprintf(url, sizeof(url), "%s/api/v1/ca", h->base_url);
	req.url = url;
	tls.ca_pem = h->trust_pem;
	tls.ca_pem_len = h->trust_pem_len;
	o.max_body = CL_HTTP_CA_BODY_MAX;
	st = cl_http_perform(h->curl, &req, &tls, &resp, err);
	cl_http_response_free(&resp);
	return st;
}

/* ---- the person's yes ---- */

static void describe(const struct cl_http *h, X509 *anchor, struct cl_http_peer *peer)
{
	unsigned char fp[32] = { 0 };

	memset(peer, 0, sizeof(*peer));
	peer->host = h->host;
	peer->port = h->port;
	fingerprint(anchor, fp);
	cl_fp_format(fp, peer->sha256);
	/* escaped: a hostile CA's name must read on screen as it is in the certificate */
	cl_certinfo_name(X509_get_subject_name(anchor), peer->subject, sizeof(peer->subject), NULL);
	cl_certinfo_name(X509_get_issuer_name(anchor), peer->issuer, sizeof(peer->issuer), NULL);
}

/* Remember the confirmed CA for this host and port only (knownservers.h). */
static enum cl_status remember(const struct cl_http *h, const struct cl_http_peer *peer, struct cl_error *err)
{
	return cl_known_servers_remember(h->remember_file, (mode_t)h->remember_dir_mode, h->host, h->port,
	                                 h->ca_sha256, peer->subject, err);
}

static enum cl_status ask_person(struct cl_http *h, X509 *anchor, struct cl_error *err)
{
	struct cl_http_peer peer;
	enum cl_http_answer answer;
	enum cl_status st;

	describe(h, anchor, &peer);
	answer = h->ask(h->ask_data, &peer);
	/* A Cancel pressed while the question was open wins over whatever the callback returned. */
	if (cl_cancel_requested(h->opts.cancel))
		return cl_error_set(err, CL_E_CANCELLED, "cancelled");
	if (answer != CL_HTTP_ANSWER_ONCE && answer != CL_HTTP_ANSWER_REMEMBER) {
		cl_error_set(err, CL_E_CANCELLED, "you did not trust the server %s", h->base_url);
		return refuse(err, "declined", CL_E_CANCELLED);
	}
	fingerprint(anchor, h->ca_sha256);
	if (answer == CL_HTTP_ANSWER_REMEMBER && h->remember_file && (st = remember(h, &peer, err)) != CL_OK)
		return st;
	return adopt(h, anchor, CL_HTTP_TRUST_PERSON, err);
}

static enum cl_status establish_by_person(struct cl_http *h, struct cl_error *err)
{
	STACK_OF(X509) *chain = NULL;
	struct cl_proto_ca ca;
	X509 *anchor = NULL;
	enum cl_status st;

	if (!h->ask) {
		cl_error_set(
		    err, CL_E_UNREACHABLE,
		    "server identity could not be established: the certificate of %s is not trusted and "
		    "the link pins no CA",
		    h->base_url);
		return refuse(err, "identity_unknown", CL_E_UNREACHABLE);
	}
	st = probe(h, false, &chain, &ca, err);
	if (st == CL_OK && !(anchor = chain_anchor(chain, &ca))) {
		cl_error_set(err, CL_E_UNREACHABLE, "the server at %s presented no usable certificate",
		             h->base_url);
		st = refuse(err, "tls_verify", CL_E_UNREACHABLE);
	}
	/* Never ask about a certificate that would fail anyway (another host's, expired). */
	if (st == CL_OK && verify_chain(chain, anchor, h->host, err) != CL_OK)
		st = refuse(err, "tls_verify", CL_E_UNREACHABLE);
	if (st == CL_OK)
		st = ask_person(h, anchor, err);
	X509_free(anchor);
	free_chain(chain);
	cl_proto_ca_clear(&ca);
	return st;
}

/* One line for --debug: how the identity was decided (never anything secret). */
static void say(const struct cl_http *h, const char *what, const char *detail)
{
	char line[CL_ERROR_MSG_MAX + 128];

	if (!h->opts.debug)
		return;
	snprintf(line, sizeof(line), "* server identity of %s: %s%s%s", h->base_url, what, detail ? ": " : "",
	         detail ? detail : "");
	h->opts.debug(h->opts.debug_data, line);
}

static const char *const trust_names[] = {
	[CL_HTTP_TRUST_NONE] = "not established",
	[CL_HTTP_TRUST_SYSTEM] = "trusted by the system or a consented trust anchor",
	[CL_HTTP_TRUST_PIN] = "the link's pinned CA",
	[CL_HTTP_TRUST_PERSON] = "confirmed by the person",
	[CL_HTTP_TRUST_REMEMBERED] = "the CA remembered for this host and port",
};

/* Not trusted by the system: the CA remembered for exactly this host and port, else the person. */
static enum cl_status establish_untrusted(struct cl_http *h, struct cl_error *err)
{
	unsigned char remembered[32];
	enum cl_status st;
	bool found = false;

	for (char **f = h->known_servers; !found && f && *f; f++)
		found = cl_known_servers_find(*f, h->host, h->port, remembered);
	if (!found)
		return establish_by_person(h, err);
	st = establish_pinned(h, remembered, CL_HTTP_TRUST_REMEMBERED, err);
	if (st != CL_E_UNREACHABLE || strcmp(err->code, "pin_mismatch") != 0)
		return st;
	/* the server no longer presents the remembered CA: ask again, showing what it presents now */
	say(h, "the remembered CA does not match", err->msg);
	if (!h->ask)
		return st;
	cl_error_clear(err);
	return establish_by_person(h, err);
}

enum cl_status cl_http_establish(struct cl_http *h, struct cl_error *err)
{
	struct cl_error e;
	enum cl_status st;

	cl_error_clear(&e);
	if (!h)
		return cl_error_set(err, CL_E_LOCAL, "no server session");
	if (h->trust != CL_HTTP_TRUST_NONE)
		return CL_OK;
	if (h->have_pin) {
		st = establish_pinned(h, h->pin, CL_HTTP_TRUST_PIN, &e);
	} else {
		st = verified_probe(h, &e);
		if (st == CL_OK) {
			h->trust = CL_HTTP_TRUST_SYSTEM;
		} else if (strcmp(e.code, "tls_verify") == 0) {
			say(h, "not trusted", e.msg);
			st = establish_untrusted(h, &e);
		}
	}
	if (st != CL_OK) {
		h->trust = CL_HTTP_TRUST_NONE;
		h->has_ca = false;
		say(h, "refused", e.msg);
		if (err)
			*err = e;
		return st;
	}
	say(h, trust_names[h->trust], NULL);
	cl_error_clear(err);
	return CL_OK;
}
