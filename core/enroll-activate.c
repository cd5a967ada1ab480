/* certlink core: the enrollment flow's last steps: activate (device details in, SCEP parameters out), the
 * key and the request, SCEP, then installing the certificate and the CAs the profile names.
 *
 * Resume rule: the key and the transactionID are recorded before the first SCEP message, so a run that
 * finds an application "activated" sends the same request again and the server answers with the
 * certificate it already issued (docs/protocol.md sections 7 and 8).
 */
#include "enroll-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "certinfo.h"
#include "csr.h"
#include "device.h"
#include "fingerprint.h"
#include "scep.h"
#include "secret.h"
#include "store.h"

static void device_for_proto(const struct cl_device *d, struct cl_proto_device *p)
{
	memset(p, 0, sizeof(*p));
	p->hostname = d->hostname[0] ? d->hostname : NULL;
	p->user = d->user[0] ? d->user : NULL;
	p->domain = d->domain[0] ? d->domain : NULL;
	p->mac = d->mac[0] ? d->mac : NULL;
	p->serial = d->serial[0] ? d->serial : NULL;
	p->vendor = d->vendor[0] ? d->vendor : NULL;
	p->apid = d->apid[0] ? d->apid : NULL;
	p->os = d->os[0] ? d->os : NULL;
	p->client = "certlink " CERTLINK_VERSION;
}

/* The application's key, recorded before the first SCEP message. A computer-store renewal that keeps its
 * key while not root records the public key only (f->key_elsewhere): the private one stays root's. */
static enum cl_status key_to_secret(struct cl_flow *f, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *pem = NULL;
	long len;
	enum cl_status st;

	if (!bio ||
	    !(f->key_elsewhere ? PEM_write_bio_PUBKEY(bio, f->key)
	                       : PEM_write_bio_PKCS8PrivateKey(bio, f->key, NULL, NULL, 0, NULL, NULL))) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the new key");
	}
	len = BIO_get_mem_data(bio, &pem);
	st = cl_secret_put(f->rec_store, f->app_id, CL_SECRET_KEY, pem, (size_t)len, err);
	BIO_free(bio);
	return st;
}

static enum cl_status key_from_secret(struct cl_flow *f, struct cl_error *err)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;
	enum cl_status st = cl_secret_get(f->rec_store, f->app_id, CL_SECRET_KEY, &pem, &len, err);

	if (st != CL_OK)
		return st;
	bio = BIO_new_mem_buf(pem, (int)len);
	f->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	/* only the public key: the computer store's key of a renewal that keeps it (key_to_secret()) */
	if (!f->key && bio && cl_flow_elevated(f) && BIO_reset(bio) == 1 &&
	    (f->key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) != NULL) {
		ERR_clear_error();
		f->key_elsewhere = true;
	}
	BIO_free(bio);
	cl_secret_free(pem, len);
	if (!f->key)
		return cl_error_set_openssl(err, CL_E_LOCAL, "reading the recorded key of application %s",
		                            f->app_id);
	return CL_OK;
}

/* The key for this activation: recorded (resume), the existing one (renewal that keeps its key), or new. */
static enum cl_status choose_key(struct cl_flow *f, const struct cl_proto_activation *act,
                                 struct cl_error *err)
{
	struct cl_key_spec spec;
	enum cl_status st;

	st = cl_key_spec_parse(act->key.type, act->key.bits, act->key.curve, &spec, err);
	if (st != CL_OK)
		return st;
	if ((f->state == CL_APP_ACTIVATED || f->state == CL_APP_ISSUED) && f->transaction_id[0] &&
	    cl_secret_exists(f->rec_store, f->app_id, CL_SECRET_KEY)) {
		st = key_from_secret(f, err);
		return st == CL_OK ? cl_key_check(f->key, &spec, err) : st;
	}
	/* Issued to a key this computer did not keep: a new key could only ask for a second certificate,
	 * which the server refuses without a challenge. */
	if (act->issued_serial[0]) {
		cl_error_set(
		    err, CL_E_LOCAL,
		    "the server already issued certificate %s for application %s, but the key it was "
		    "issued for is not recorded on this computer; withdraw the application and apply "
		    "again",
		    act->issued_serial, f->app_id);
		cl_error_set_code(err, "issued_key_lost");
		return CL_E_LOCAL;
	}
	if (f->opts->reuse_key && f->renewal_of[0] && (f->old_key || f->old_cert)) {
		/* not root: the computer store's key stays root's, the certificate says which it is */
		EVP_PKEY *existing = f->old_key ? f->old_key : X509_get0_pubkey(f->old_cert);

		st = existing ? cl_key_check(existing, &spec, err)
		              : cl_error_set_openssl(err, CL_E_LOCAL, "reading the certificate's key");
		if (st != CL_OK) {
			cl_error_prefix(err, "renewing with the existing key");
			return st;
		}
		EVP_PKEY_up_ref(existing);
		f->key = existing;
		f->key_elsewhere = !f->old_key;
		/* the old transactionID belongs to the old certificate: a fresh one for the renewal */
		st = cl_scep_transaction_id_random(f->transaction_id, err);
	} else {
		st = cl_keygen_take(&f->keygen, &spec, &f->key, err);
		if (st == CL_OK)
			st = cl_scep_transaction_id_from_key(f->key, f->transaction_id, err);
	}
	if (st == CL_OK)
		st = key_to_secret(f, err);
	if (st == CL_OK) {
		f->state = CL_APP_ACTIVATED;
		st = cl_flow_record_save(f, NULL, err);
	}
	return st;
}

static void override_cn(struct cl_flow *f, const struct cl_proto_activation *act, struct cl_csr_rdn *rdn,
                        size_t n, char *value, size_t size)
{
	struct cl_device dev;
	size_t i;

	if (!f->opts->cn_override || !act->cn_override)
		return;
	memset(&dev, 0, sizeof(dev));
	cl_device_identify(&dev, NULL);
	snprintf(value, size, "%s", f->store == CL_STORE_COMPUTER ? dev.hostname : dev.user);
	for (i = 0; i < n && value[0]; i++)
		if (strcmp(rdn[i].type, "CN") == 0)
			rdn[i].value = value;
}

static enum cl_status build_csr(struct cl_flow *f, const struct cl_proto_activation *act, X509_REQ **csr,
                                struct cl_error *err)
{
	struct cl_csr_rdn rdn[CL_PROTO_RDN_MAX];
	struct cl_csr_params p;
	char cn[CL_DEVICE_FIELD_MAX + 1] = "";
	size_t i;

	for (i = 0; i < act->n_subject; i++) {
		rdn[i].type = act->subject[i].type;
		rdn[i].value = act->subject[i].value;
	}
	override_cn(f, act, rdn, act->n_subject, cn, sizeof(cn));
	memset(&p, 0, sizeof(p));
	p.subject = rdn;
	p.subject_count = act->n_subject;
	p.san_dns = (const char *const *)act->san_dns.v;
	p.san_dns_count = act->san_dns.n;
	p.san_email = (const char *const *)act->san_email.v;
	p.san_email_count = act->san_email.n;
	p.san_upn = (const char *const *)act->san_upn.v;
	p.san_upn_count = act->san_upn.n;
	p.san_uri = (const char *const *)act->san_uri.v;
	p.san_uri_count = act->san_uri.n;
	/* none for a certificate already issued: the server recognises the retransmission by transactionID */
	p.challenge = act->challenge[0] ? act->challenge : NULL;
	if (f->key_elsewhere)
		return cl_flow_sign_elevated(f, &p, csr, err);
	return cl_csr_build(&p, f->key, csr, err);
}

static void scep_log(void *ctx, const char *line)
{
	cl_flow_log(ctx, "scep: %s", line);
}

static enum cl_status run_scep(struct cl_flow *f, const struct cl_proto_activation *act, X509_REQ *csr,
                               struct cl_error *err)
{
	struct cl_scep_http http = { .cancel = f->opts->cancel, .no_proxy = f->opts->no_proxy };
	struct cl_scep_transport transport;
	struct cl_scep_params p;
	struct cl_scep_result r;
	EVP_PKEY *transport_key = cl_keygen_take_transport(&f->keygen);
	enum cl_status st;

	/* SCEP through the established session's trust, so an https SCEP URL is held to the same identity,
	 * and over the session's connection when it is the same server (no handshake of its own). */
	http.ca_pem = cl_http_trust_pem(f->http, &http.ca_pem_len);
	http.client = cl_http_session_client(f->http);
	cl_scep_transport_default(&transport, &http);
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.url = act->scep_url;
	p.ca_sha256 = act->scep_ca_sha256;
	p.key = f->key;
	p.key_elsewhere = f->key_elsewhere;
	p.csr = csr;
	p.transaction_id = f->transaction_id;
	/* A RenewalReq is signed with the current key, and its CertRep is encrypted to it: only where this
	 * process holds that key. A computer-store renewal while not root goes as a PKCSReq that the renewal
	 * application's challenge authorises (docs/security.md). */
	p.renew_cert = f->renewal_of[0] && f->old_key ? f->old_cert : NULL;
	p.renew_key = f->renewal_of[0] && f->old_cert ? f->old_key : NULL;
	p.transport_key = transport_key; /* NULL (resume, kept key): cl_scep_enroll() makes one if needed */
	p.poll_timeout = (unsigned)(f->config.poll_timeout > 0 ? f->config.poll_timeout : 0);
	p.transport = &transport;
	p.cancel = f->opts->cancel;
	p.log = scep_log;
	p.log_ctx = f;
	st = cl_scep_enroll(&p, &r, err);
	if (st == CL_OK) {
		f->cert = r.cert;
		f->ca = r.ca;
		f->chain = r.chain;
		r.cert = r.ca = NULL;
		r.chain = NULL;
		cl_flow_log(f, "SCEP used %s and %s%s", r.cipher, r.digest,
		            r.transport_signed ? ", signed with an RSA transport key" : "");
	}
	cl_scep_result_clear(&r);
	cl_scep_http_clear(&http);
	EVP_PKEY_free(transport_key);
	return st;
}

/* A retransmission must bring back the certificate the server recorded for the application, never
 * another one. */
static enum cl_status check_issued(struct cl_flow *f, const char *issued_serial, struct cl_error *err)
{
	struct cl_certinfo info;
	char want[41];

	if (cl_certinfo_get(f->cert, &info, err) != CL_OK)
		return err->status;
	if (cl_records_normalize_serial(issued_serial, want) && strcmp(info.serial, want) == 0)
		return CL_OK;
	return cl_error_set(err, CL_E_REFUSED,
	                    "the server issued certificate %s for this application but sent certificate %s",
	                    issued_serial, info.serial);
}

static enum cl_status keep_profile(struct cl_flow *f, const struct cl_proto_activation *act,
                                   struct cl_error *err)
{
	size_t i;

	f->trust = sk_X509_new_null();
	for (i = 0; f->trust && i < act->n_trust; i++) {
		BIO *bio = BIO_new_mem_buf(act->trust[i].pem, -1);
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

		BIO_free(bio);
		if (!x || !sk_X509_push(f->trust, x)) {
			X509_free(x);
			return cl_error_set_openssl(err, CL_E_UNREACHABLE, "reading the profile's CA %zu",
			                            i + 1);
		}
	}
	return f->trust ? cl_flow_keep_networks(f, act, err) : cl_error_set(err, CL_E_LOCAL, "out of memory");
}

enum cl_status cl_flow_activate(struct cl_flow *f, struct cl_error *err)
{
	struct cl_proto_activation act;
	struct cl_proto_device pdev;
	struct cl_device dev;
	X509_REQ *csr = NULL;
	long retry_after = 0;
	enum cl_status st;

	cl_flow_progress(f, CL_STAGE_ACTIVATE, "activating the application");
	memset(&dev, 0, sizeof(dev));
	cl_device_identify(&dev, NULL);
	device_for_proto(&dev, &pdev);
	memset(&act, 0, sizeof(act));
	st = cl_flow_renewal_load(f, err);
	if (st == CL_OK)
		st = cl_proto_activate(f->http, f->server_id, f->secret, &pdev, &act, &retry_after, err);
	if (st == CL_OK)
		st = choose_key(f, &act, err);
	if (st == CL_OK)
		st = build_csr(f, &act, &csr, err);
	if (st == CL_OK && act.issued_serial[0])
		cl_flow_progress(f, CL_STAGE_ACTIVATE,
		                 "fetching certificate %s, which the server already issued",
		                 act.issued_serial);
	else if (st == CL_OK)
		cl_flow_progress(f, CL_STAGE_ACTIVATE, "requesting the certificate");
	if (st == CL_OK)
		st = run_scep(f, &act, csr, err);
	if (st == CL_OK && act.issued_serial[0])
		st = check_issued(f, act.issued_serial, err);
	if (st == CL_OK)
		st = keep_profile(f, &act, err);
	if (st == CL_OK) {
		f->state = CL_APP_ISSUED;
		st = cl_flow_record_save(f, NULL, err);
	}
	cl_csr_free(csr);
	cl_proto_activation_clear(&act);
	return st;
}
