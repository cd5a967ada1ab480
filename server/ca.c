/* certlink-server: the certificate authority (see ca.h). */
#include "ca.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util.h"

#define CA_DAYS   3650
#define TLS_DAYS  397
#define TLS_RENEW (30L * 86400)
#define FILE_MAX  (64 * 1024)

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static EVP_PKEY *keygen(int ec, int bits)
{
	return ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
	          : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

static int set_random_serial(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (srv_random(raw, sizeof(raw)) != 0)
		return 0;
	raw[0] &= 0x7f; /* positive, and at most 128 bits */
	raw[0] |= 0x01; /* never zero or short */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate skeleton: serial, validity, subject, issuer, key, SKI and AKI. */
static X509 *cert_new(const X509_NAME *subject, X509 *issuer, EVP_PKEY *pub, int days)
{
	X509 *x = X509_new();

	if (!x || !X509_set_version(x, 2) || !set_random_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -300) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) ||
	    !X509_set_pubkey(x, pub))
		goto fail;
	if (!add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static X509_NAME *name_cn(const char *cn, const char *o)
{
	X509_NAME *n = X509_NAME_new();

	if (n && o && !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0))
		goto fail;
	if (n && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		return n;
fail:
	X509_NAME_free(n);
	return NULL;
}

static X509 *make_ca(EVP_PKEY *key)
{
	char cn[64], tag[9];
	X509_NAME *name;
	X509 *x = NULL;

	if (srv_random_hex(tag, 8) != 0)
		return NULL;
	snprintf(cn, sizeof(cn), "certlink-server CA %s", tag);
	name = name_cn(cn, "certlink");
	if (name)
		x = cert_new(name, NULL, key, CA_DAYS);
	X509_NAME_free(name);
	/* certmonger refuses a CA without digitalSignature; SCEP clients check CertRep signatures with it. */
	if (x && add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
	    add_ext(x, x, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") &&
	    X509_sign(x, key, EVP_sha256()))
		return x;
	X509_free(x);
	return NULL;
}

static X509 *make_ra(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key)
{
	X509_NAME *name = name_cn("certlink-server SCEP RA", "certlink");
	X509 *x = name ? cert_new(name, ca, key, CA_DAYS) : NULL;

	X509_NAME_free(name);
	if (x && add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
	    X509_sign(x, ca_key, EVP_sha256()))
		return x;
	X509_free(x);
	return NULL;
}

static int is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static X509 *make_tls(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const struct srv_ca_opts *opts)
{
	X509_NAME *name = name_cn(opts->n_hostnames ? opts->hostnames[0] : "localhost", NULL);
	X509 *x = name ? cert_new(name, ca, key, TLS_DAYS) : NULL;
	char san[4096] = "DNS:localhost,IP:127.0.0.1,IP:::1";
	size_t i, len;

	X509_NAME_free(name);
	for (i = 0; i < opts->n_hostnames; i++) {
		len = strlen(san);
		snprintf(san + len, sizeof(san) - len, ",%s:%s", is_ip(opts->hostnames[i]) ? "IP" : "DNS",
		         opts->hostnames[i]);
	}
	if (x && add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
	    add_ext(x, ca, NID_key_usage, "critical,digitalSignature") &&
	    add_ext(x, ca, NID_ext_key_usage, "serverAuth") && add_ext(x, ca, NID_subject_alt_name, san) &&
	    X509_sign(x, ca_key, EVP_sha256()))
		return x;
	X509_free(x);
	return NULL;
}

static char *pem_of(int (*writer)(BIO *, const void *), const void *obj)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && writer(b, obj) && (n = BIO_get_mem_data(b, &data)) > 0 && (out = malloc((size_t)n + 1))) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	if (b) {
		/* The memory BIO may hold a private key: wipe before release. */
		BUF_MEM *mem = NULL;
		BIO_get_mem_ptr(b, &mem);
		if (mem && mem->data)
			OPENSSL_cleanse(mem->data, mem->length);
	}
	BIO_free(b);
	return out;
}

static int write_cert_bio(BIO *b, const void *x)
{
	return PEM_write_bio_X509(b, (X509 *)x);
}

static int write_key_bio(BIO *b, const void *k)
{
	return PEM_write_bio_PrivateKey(b, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

static enum cl_status save(const char *dir, const char *name, const void *obj, int is_key,
                           struct cl_error *err)
{
	char *path = path_in(dir, name);
	char *pem = pem_of(is_key ? write_key_bio : write_cert_bio, obj);
	enum cl_status st;

	if (!path || !pem)
		st = cl_error_set_openssl(err, CL_E_UNEXPECTED, "encoding %s", name);
	else
		st = srv_file_write_atomic(path, pem, strlen(pem), is_key ? 0600 : 0644, err);
	free(path);
	srv_free_secret(pem);
	return st;
}

static enum cl_status load(const char *dir, const char *name, void **obj, int is_key, struct cl_error *err)
{
	char *path = path_in(dir, name), *pem = NULL;
	size_t len = 0;
	BIO *b;

	if (!path)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (srv_file_read(path, FILE_MAX, &pem, &len, err) != CL_OK) {
		free(path);
		return CL_E_LOCAL;
	}
	b = BIO_new_mem_buf(pem, (int)len);
	*obj = !b       ? NULL
	       : is_key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
	                : (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (!*obj) {
		cl_error_set_openssl(err, CL_E_LOCAL, "reading %s", path);
		free(path);
		return CL_E_LOCAL;
	}
	free(path);
	return CL_OK;
}

static int tls_fits(X509 *tls, const struct srv_ca_opts *opts)
{
	size_t i;

	if (X509_cmp_time(X509_get0_notAfter(tls), &(time_t){ time(NULL) + TLS_RENEW }) <= 0)
		return 0;
	for (i = 0; i < opts->n_hostnames; i++) {
		const char *h = opts->hostnames[i];
		if (is_ip(h) ? X509_check_ip_asc(tls, h, 0) != 1 : X509_check_host(tls, h, 0, 0, NULL) != 1)
			return 0;
	}
	return 1;
}

static enum cl_status create_all(const char *dir, const struct srv_ca_opts *opts, struct srv_ca *ca,
                                 struct cl_error *err)
{
	/* Keys first, the CA certificate last: ca.pem is what marks a state dir as initialised. */
	ca->key = keygen(opts->ec, 3072);
	ca->cert = ca->key ? make_ca(ca->key) : NULL;
	ca->ra_key = keygen(0, 2048);
	ca->ra_cert = ca->cert && ca->ra_key ? make_ra(ca->cert, ca->key, ca->ra_key) : NULL;
	if (!ca->ra_cert)
		return cl_error_set_openssl(err, CL_E_UNEXPECTED, "creating the CA");
	if (save(dir, "ca.key", ca->key, 1, err) || save(dir, "ra.key", ca->ra_key, 1, err) ||
	    save(dir, "ra.pem", ca->ra_cert, 0, err) || save(dir, "ca.pem", ca->cert, 0, err))
		return CL_E_LOCAL;
	return CL_OK;
}

static enum cl_status setup_tls(const char *dir, const struct srv_ca_opts *opts, struct srv_ca *ca,
                                struct cl_error *err)
{
	EVP_PKEY *key = NULL;
	X509 *tls = NULL;
	char *cert_pem;
	enum cl_status st = CL_OK;
	char *path = path_in(dir, "tls.pem");

	if (path && access(path, F_OK) == 0 && load(dir, "tls.pem", (void **)&tls, 0, err) == CL_OK &&
	    load(dir, "tls.key", (void **)&key, 1, err) == CL_OK && tls_fits(tls, opts)) {
		/* keep */
	} else {
		X509_free(tls);
		EVP_PKEY_free(key);
		key = keygen(1, 0);
		tls = key ? make_tls(ca->cert, ca->key, key, opts) : NULL;
		if (!tls)
			st = cl_error_set_openssl(err, CL_E_UNEXPECTED, "creating the TLS certificate");
		else if (save(dir, "tls.key", key, 1, err) || save(dir, "tls.pem", tls, 0, err))
			st = CL_E_LOCAL;
	}
	free(path);
	if (st == CL_OK) {
		cert_pem = pem_of(write_cert_bio, tls);
		ca->tls_key_pem = pem_of(write_key_bio, key);
		if (cert_pem && ca->tls_key_pem &&
		    asprintf(&ca->tls_chain_pem, "%s%s", cert_pem, ca->cert_pem) < 0)
			ca->tls_chain_pem = NULL;
		free(cert_pem);
		if (!ca->tls_chain_pem || !ca->tls_key_pem)
			st = cl_error_set(err, CL_E_UNEXPECTED, "encoding the TLS certificate");
	}
	X509_free(tls);
	EVP_PKEY_free(key);
	return st;
}

enum cl_status srv_ca_load_or_create(const char *dir, const struct srv_ca_opts *opts, struct srv_ca **out,
                                     int *created, struct cl_error *err)
{
	struct srv_ca *ca = calloc(1, sizeof(*ca));
	char *marker = path_in(dir, "ca.pem");
	unsigned char md[32];
	unsigned int mdlen = 0;
	enum cl_status st;

	*created = 0;
	if (!ca || !marker) {
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
		goto out;
	}
	if (access(marker, F_OK) == 0) {
		st = load(dir, "ca.pem", (void **)&ca->cert, 0, err);
		if (!st)
			st = load(dir, "ca.key", (void **)&ca->key, 1, err);
		if (!st)
			st = load(dir, "ra.pem", (void **)&ca->ra_cert, 0, err);
		if (!st)
			st = load(dir, "ra.key", (void **)&ca->ra_key, 1, err);
		if (!st && (X509_check_private_key(ca->cert, ca->key) != 1 ||
		            X509_check_private_key(ca->ra_cert, ca->ra_key) != 1))
			st = cl_error_set_openssl(err, CL_E_LOCAL, "%s: a key does not match its certificate",
			                          dir);
	} else if (opts->load_only) {
		st = cl_error_set(err, CL_E_LOCAL,
		                  "%s is not a certlink-server state dir yet (run `certlink-server init`)",
		                  dir);
	} else {
		st = create_all(dir, opts, ca, err);
		*created = st == CL_OK;
	}
	if (st)
		goto out;
	ca->cert_pem = pem_of(write_cert_bio, ca->cert);
	X509_digest(ca->cert, EVP_sha256(), md, &mdlen);
	srv_hex(md, 32, ca->fp_hex);
	srv_name_text(X509_get_subject_name(ca->cert), ca->subject, sizeof(ca->subject));
	if (!ca->cert_pem)
		st = cl_error_set(err, CL_E_UNEXPECTED, "encoding the CA");
	else if (!opts->load_only)
		st = setup_tls(dir, opts, ca, err);
out:
	free(marker);
	if (st) {
		srv_ca_free(ca);
		ca = NULL;
	}
	*out = ca;
	return st;
}

void srv_ca_free(struct srv_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	X509_free(ca->ra_cert);
	EVP_PKEY_free(ca->ra_key);
	free(ca->cert_pem);
	free(ca->tls_chain_pem);
	srv_free_secret(ca->tls_key_pem);
	free(ca);
}

static int add_san(X509 *x, X509 *issuer, const struct srv_san *san)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	size_t i;
	int ok = 1;

	if (!names)
		return 0;
	for (i = 0; ok && san && i < san->n_email + san->n_dns; i++) {
		GENERAL_NAME *gn = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		int is_email = i < san->n_email;
		const char *v = is_email ? san->email[i] : san->dns[i - san->n_email];
		ok = gn && s && ASN1_STRING_set(s, v, -1);
		if (ok) {
			GENERAL_NAME_set0_value(gn, is_email ? GEN_EMAIL : GEN_DNS, s);
			s = NULL;
			ok = sk_GENERAL_NAME_push(names, gn) > 0;
			if (ok)
				gn = NULL;
		}
		ASN1_IA5STRING_free(s);
		GENERAL_NAME_free(gn);
	}
	if (ok && sk_GENERAL_NAME_num(names) > 0)
		ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(names);
	(void)issuer;
	return ok;
}

enum cl_status srv_ca_issue(const struct srv_ca *ca, const X509_NAME *subject, EVP_PKEY *pub,
                            const struct srv_san *san, int days, const char *crl_url, X509 **out,
                            struct cl_error *err)
{
	const char *ku = EVP_PKEY_is_a(pub, "RSA") ? "critical,digitalSignature,keyEncipherment"
	                                           : "critical,digitalSignature";
	X509 *x = cert_new(subject, ca->cert, pub, days);
	char cdp[300];

	snprintf(cdp, sizeof(cdp), "URI:%s", crl_url ? crl_url : "");
	if (x && add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") &&
	    add_ext(x, ca->cert, NID_key_usage, ku) &&
	    add_ext(x, ca->cert, NID_ext_key_usage, "clientAuth") && add_san(x, ca->cert, san) &&
	    (!crl_url || !crl_url[0] || add_ext(x, ca->cert, NID_crl_distribution_points, cdp)) &&
	    X509_sign(x, ca->key, EVP_sha256())) {
		*out = x;
		return CL_OK;
	}
	X509_free(x);
	return cl_error_set_openssl(err, CL_E_UNEXPECTED, "issuing a certificate");
}

void srv_ca_serial_hex(const X509 *cert, char *out, size_t n)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	size_t i;

	snprintf(out, n, "%s", hex ? hex : "0");
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'F')
			out[i] = (char)(out[i] - 'A' + 'a');
	/* BN_bn2hex pads to whole bytes; the protocol has no leading zeros. */
	while (out[0] == '0' && out[1]) {
		memmove(out, out + 1, strlen(out));
	}
	OPENSSL_free(hex);
	BN_free(bn);
}

int srv_pubkey_sha256(EVP_PKEY *pub, char out[65])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pub, &der);

	if (len <= 0)
		return -1;
	srv_sha256_hex(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

static int add_crl_number(X509_CRL *crl)
{
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	int ok = num && ASN1_INTEGER_set_int64(num, (int64_t)time(NULL)) &&
	         X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) == 1;

	ASN1_INTEGER_free(num);
	return ok;
}

enum cl_status srv_ca_crl(const struct srv_ca *ca, const struct srv_revoked *revoked, size_t n,
                          unsigned char **der, size_t *len, struct cl_error *err)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	size_t i;
	int ok, dlen;

	ok = crl && t && X509_CRL_set_version(crl, 1) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) && X509_gmtime_adj(t, 0) &&
	     X509_CRL_set1_lastUpdate(crl, t) && X509_time_adj_ex(t, 7, 0, NULL) &&
	     X509_CRL_set1_nextUpdate(crl, t);
	for (i = 0; ok && i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		BIGNUM *bn = NULL;
		ASN1_INTEGER *serial = NULL;
		ASN1_TIME *when = ASN1_TIME_set(NULL, revoked[i].when);
		ASN1_ENUMERATED *reason = NULL;

		ok = r && when && BN_hex2bn(&bn, revoked[i].serial) &&
		     (serial = BN_to_ASN1_INTEGER(bn, NULL)) && X509_REVOKED_set_serialNumber(r, serial) &&
		     X509_REVOKED_set_revocationDate(r, when);
		if (ok && revoked[i].reason >= 0)
			ok = (reason = ASN1_ENUMERATED_new()) &&
			     ASN1_ENUMERATED_set(reason, revoked[i].reason) &&
			     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0) == 1;
		ASN1_ENUMERATED_free(reason);
		ok = ok && X509_CRL_add0_revoked(crl, r);
		if (ok)
			r = NULL;
		X509_REVOKED_free(r);
		ASN1_INTEGER_free(serial);
		ASN1_TIME_free(when);
		BN_free(bn);
	}
	ok = ok && X509_CRL_sort(crl) && add_crl_number(crl) && X509_CRL_sign(crl, ca->key, EVP_sha256());
	*der = NULL;
	if (ok && (dlen = i2d_X509_CRL(crl, der)) > 0)
		*len = (size_t)dlen;
	else
		ok = 0;
	X509_CRL_free(crl);
	ASN1_TIME_free(t);
	return ok ? CL_OK : cl_error_set_openssl(err, CL_E_UNEXPECTED, "signing the CRL");
}

void srv_name_text(const X509_NAME *name, char *out, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;

	out[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) > 0)
		snprintf(out, n, "%.*s", (int)len, data);
	BIO_free(b);
}
