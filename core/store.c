/* certlink core: certificate stores and trust anchors (see store.h). */
#include "store.h"
#include "certinfo.h"
#include "network.h"
#include "fileio.h"
#include "firefox.h"
#include "nssdb.h"
#include "records.h"
#include "systrust.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#define PKCS12_PASSWORD_LEN 24
#define NICKNAME_MAX        200
#define TOOL_OUT            2048

/* ---- small helpers ---- */

enum cl_status cl_store_check_allowed(enum cl_store_kind kind, struct cl_error *err)
{
	if (kind == CL_STORE_USER)
		return CL_OK;
	if (kind != CL_STORE_COMPUTER)
		return cl_error_set(err, CL_E_UNEXPECTED, "unknown store kind %d", (int)kind);
	if (geteuid() == 0 || cl_paths_system_dir_redirected())
		return CL_OK;
	return cl_error_set(
	    err, CL_E_LOCAL,
	    "the computer store needs administrator rights: run certlink as root (for example "
	    "with sudo or pkexec), or choose the user store");
}

static mode_t dir_mode(enum cl_store_kind kind)
{
	return (mode_t)cl_paths_store_dir_mode(kind);
}

static bool valid_nickname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NICKNAME_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static enum cl_status cert_serial(X509 *cert, char out[41], struct cl_error *err)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	bool ok = hex && cl_records_normalize_serial(hex, out);

	OPENSSL_free(hex);
	BN_free(bn);
	if (!ok)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the certificate's serial number is negative or too long");
	return CL_OK;
}

static enum cl_status cert_sha256(X509 *cert, char out[65], struct cl_error *err)
{
	unsigned char md[32];
	unsigned int len = sizeof(md);

	if (!X509_digest(cert, EVP_sha256(), md, &len) || len != 32)
		return cl_error_set_openssl(err, CL_E_LOCAL, "computing the certificate fingerprint");
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return CL_OK;
}

static char *join2(const char *dir, const char *name, struct cl_error *err)
{
	return cl_paths_join(dir, name, err);
}

/* Write what a PEM/DER writer put into BIO to a new file with MODE. The BIO is secure memory when it
 * holds a key, so it is wiped when freed. */
static enum cl_status write_bio(const char *path, BIO *bio, mode_t mode, struct cl_error *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	if (len <= 0)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding %s", path);
	return cl_fileio_write_new(path, data, (size_t)len, mode, err);
}

static enum cl_status write_key(const char *path, EVP_PKEY *key, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	enum cl_status st;

	if (!bio || !PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the private key");
	}
	st = write_bio(path, bio, 0600, err);
	BIO_free(bio);
	return st;
}

/* CERT (when set) followed by every certificate of CHAIN, PEM. */
static BIO *pem_certs(X509 *cert, STACK_OF(X509) * chain)
{
	BIO *bio = BIO_new(BIO_s_mem());
	bool ok = bio != NULL;

	if (ok && cert)
		ok = PEM_write_bio_X509(bio, cert) == 1;
	for (int i = 0; ok && chain && i < sk_X509_num(chain); i++)
		ok = PEM_write_bio_X509(bio, sk_X509_value(chain, i)) == 1;
	if (!ok) {
		BIO_free(bio);
		return NULL;
	}
	return bio;
}

static enum cl_status write_certs(const char *path, X509 *cert, STACK_OF(X509) * chain, struct cl_error *err)
{
	BIO *bio = pem_certs(cert, chain);
	enum cl_status st;

	if (!bio)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding %s", path);
	st = write_bio(path, bio, 0644, err);
	BIO_free(bio);
	return st;
}

/* 24 characters of the RFC 4648 base32 alphabet: 120 random bits, easy to read out and type. */
static enum cl_status random_password(char out[PKCS12_PASSWORD_LEN + 1], struct cl_error *err)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char raw[PKCS12_PASSWORD_LEN];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "generating the PKCS#12 password");
	for (int i = 0; i < PKCS12_PASSWORD_LEN; i++)
		out[i] = alphabet[raw[i] & 31];
	out[PKCS12_PASSWORD_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return CL_OK;
}

static enum cl_status write_pkcs12(const char *path, const char *pwpath, EVP_PKEY *key, X509 *cert,
                                   STACK_OF(X509) * chain, const char *nickname, struct cl_error *err)
{
	char pw[PKCS12_PASSWORD_LEN + 2];
	enum cl_status st = CL_E_LOCAL;
	PKCS12 *p12 = NULL;
	BIO *bio = NULL;

	if (random_password(pw, err) != CL_OK)
		return CL_E_LOCAL;
	/* OpenSSL 3 defaults: AES-256-CBC under PBKDF2 for key and certificates, HMAC-SHA256 MAC. */
	p12 = PKCS12_create(pw, nickname, key, cert, chain, 0, 0, 0, 0, 0);
	bio = BIO_new(BIO_s_secmem());
	if (!p12 || !bio || i2d_PKCS12_bio(bio, p12) != 1) {
		cl_error_set_openssl(err, CL_E_LOCAL, "building the PKCS#12 bundle");
		goto out;
	}
	if (write_bio(path, bio, 0600, err) != CL_OK)
		goto out;
	/* A final newline for people reading the file; pk12util and openssl read the first line. */
	strcat(pw, "\n");
	st = cl_fileio_write_new(pwpath, pw, strlen(pw), 0600, err);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	BIO_free(bio);
	PKCS12_free(p12);
	return st;
}

/* ---- removal ---- */

static enum cl_status remove_file(const char *path, struct cl_error *err)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return cl_error_set(err, CL_E_LOCAL, "removing %s: %s", path, strerror(errno));
	return CL_OK;
}

static enum cl_status remove_dir(const char *path, struct cl_error *err)
{
	if (rmdir(path) != 0 && errno != ENOENT)
		return cl_error_set(err, CL_E_LOCAL, "removing directory %s: %s", path, strerror(errno));
	return CL_OK;
}

static enum cl_status remove_one(const struct cl_location *loc, const char *cert_fp, struct cl_error *err)
{
	switch (loc->kind) {
	case CL_LOC_DIRECTORY:
		return remove_dir(loc->path, err);
	case CL_LOC_KEY:
	case CL_LOC_PKCS12:
	case CL_LOC_PKCS12_PASSWORD:
		return cl_fileio_delete_secret(loc->path, err);
	case CL_LOC_CERTIFICATE:
	case CL_LOC_CHAIN:
	case CL_LOC_TRUST_FILE:
	case CL_LOC_NETWORK_FILE:
		return remove_file(loc->path, err);
	case CL_LOC_NM_CONNECTION:
		return cl_network_remove(loc, err);
	case CL_LOC_NSS_CERT:
		/* NSS files every certificate of one subject under one nickname: the entry is this
		 * certificate, found by its fingerprint, and goes by its key ID, never by the nickname */
		if (!cert_fp)
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the NSS entry \"%s\" was left in %s: its certificate is unknown, so it "
			    "cannot be told from other certificates filed under that nickname",
			    loc->nickname, loc->path);
		return cl_nssdb_remove_cert(loc->path, cert_fp, true, err);
	case CL_LOC_NSS_CA:
		return cl_nssdb_remove(loc->path, loc->nickname, false, err);
	case CL_LOC_P11KIT_ANCHOR:
	case CL_LOC_CA_CERTIFICATES:
		return cl_systrust_remove(loc, err);
	case CL_LOC_FIREFOX_CERT:
	case CL_LOC_FIREFOX_CA:
	case CL_LOC_FIREFOX_CHAIN:
		return cl_firefox_remove(loc, cert_fp, err);
	}
	return cl_error_set(err, CL_E_UNEXPECTED, "unknown location kind %d", (int)loc->kind);
}

/* The SHA-256 of the certificate file among LOCATIONS, into OUT; false when there is none to read. */
static bool certificate_fp(const struct cl_locations *locations, char out[65])
{
	X509 *cert = NULL;
	bool ok = false;

	for (size_t i = 0; i < locations->n && !ok; i++)
		if (locations->items[i].kind == CL_LOC_CERTIFICATE &&
		    cl_certinfo_read_pem(locations->items[i].path, &cert, NULL) == CL_OK) {
			ok = cert_sha256(cert, out, NULL) == CL_OK;
			X509_free(cert);
			cert = NULL;
		}
	return ok;
}

enum which { TRUST_ONLY, CONNECTIONS_ONLY, ALL_BUT_CONNECTIONS };

static bool wanted(enum cl_location_kind kind, enum which which)
{
	switch (which) {
	case TRUST_ONLY:
		return cl_location_kind_is_trust(kind);
	case CONNECTIONS_ONLY:
		return kind == CL_LOC_NM_CONNECTION;
	case ALL_BUT_CONNECTIONS:
		return kind != CL_LOC_NM_CONNECTION;
	}
	return true;
}

static enum cl_status remove_filtered(const struct cl_locations *locations, enum which which,
                                      const char *cert_fp, struct cl_error *err)
{
	struct cl_error first, one;
	char fp[65];
	int failed = 0;

	cl_error_clear(&first);
	if (!cert_fp && certificate_fp(locations, fp))
		cert_fp = fp;
	for (size_t i = locations->n; i-- > 0;) {
		const struct cl_location *loc = &locations->items[i];

		if (!wanted(loc->kind, which))
			continue;
		cl_error_clear(&one);
		if (remove_one(loc, cert_fp, &one) != CL_OK && failed++ == 0)
			first = one;
	}
	if (!failed)
		return CL_OK;
	if (failed > 1)
		cl_error_prefix(&first, "%d places could not be cleaned; the first", failed);
	if (err)
		*err = first;
	return first.status;
}

/* Network connections first, and nothing else when one of them stays: a connection left behind must not
 * point at a certificate and key that are gone (NetworkManager not running: delete again later). */
enum cl_status cl_store_remove(const struct cl_locations *locations, struct cl_error *err)
{
	return cl_store_remove_certificate(locations, NULL, err);
}

enum cl_status cl_store_remove_certificate(const struct cl_locations *locations, const char *sha256,
                                           struct cl_error *err)
{
	const char *fp = sha256 && strlen(sha256) == 64 ? sha256 : NULL;
	enum cl_status st = remove_filtered(locations, CONNECTIONS_ONLY, fp, err);

	return st == CL_OK ? remove_filtered(locations, ALL_BUT_CONNECTIONS, fp, err) : st;
}

enum cl_status cl_store_untrust_ca(const struct cl_locations *locations, struct cl_error *err)
{
	return remove_filtered(locations, TRUST_ONLY, NULL, err);
}

/* Remove a flat directory of our own files, overwriting each first (it may hold a key). */
static void remove_tree(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char *path;

	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = cl_paths_join(dir, de->d_name, NULL);
		if (path)
			cl_fileio_delete_secret(path, NULL);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* ---- install ---- */

struct bundle_files {
	char *dir, *key, *cert, *chain, *p12, *pw;
};

static void bundle_files_free(struct bundle_files *f)
{
	free(f->dir);
	free(f->key);
	free(f->cert);
	free(f->chain);
	free(f->p12);
	free(f->pw);
}

static enum cl_status bundle_files_in(const char *dir, struct bundle_files *f, struct cl_error *err)
{
	memset(f, 0, sizeof(*f));
	if (!(f->dir = strdup(dir)) || !(f->key = join2(dir, "key.pem", err)) ||
	    !(f->cert = join2(dir, "cert.pem", err)) || !(f->chain = join2(dir, "chain.pem", err)) ||
	    !(f->p12 = join2(dir, "bundle.p12", err)) || !(f->pw = join2(dir, "bundle.p12.password", err))) {
		bundle_files_free(f);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	return CL_OK;
}

static enum cl_status write_bundle(const struct bundle_files *f, EVP_PKEY *key, X509 *cert,
                                   STACK_OF(X509) * chain, const char *nickname, struct cl_error *err)
{
	if (write_key(f->key, key, err) != CL_OK || write_certs(f->cert, cert, NULL, err) != CL_OK)
		return CL_E_LOCAL;
	if (chain && sk_X509_num(chain) > 0 && write_certs(f->chain, NULL, chain, err) != CL_OK)
		return CL_E_LOCAL;
	return write_pkcs12(f->p12, f->pw, key, cert, chain, nickname, err);
}

static enum cl_status bundle_locations(const struct bundle_files *f, bool with_chain, struct cl_locations *l,
                                       struct cl_error *err)
{
	if (cl_locations_add(l, CL_LOC_DIRECTORY, f->dir, NULL, err) != CL_OK ||
	    cl_locations_add(l, CL_LOC_KEY, f->key, NULL, err) != CL_OK ||
	    cl_locations_add(l, CL_LOC_CERTIFICATE, f->cert, NULL, err) != CL_OK ||
	    (with_chain && cl_locations_add(l, CL_LOC_CHAIN, f->chain, NULL, err) != CL_OK) ||
	    cl_locations_add(l, CL_LOC_PKCS12, f->p12, NULL, err) != CL_OK ||
	    cl_locations_add(l, CL_LOC_PKCS12_PASSWORD, f->pw, NULL, err) != CL_OK)
		return CL_E_LOCAL;
	return CL_OK;
}

/* Move the finished TMP directory to FINAL; an earlier FINAL (an interrupted install of the same
 * certificate: FINAL is named by its fingerprint) is moved aside first and then overwritten and removed. */
static enum cl_status move_into_place(const char *certs, const char *tmp, const char *final, const char *name,
                                      struct cl_error *err)
{
	unsigned char r[6];
	char old[PATH_MAX];

	if (rename(tmp, final) == 0)
		return cl_fileio_fsync_dir(certs, err);
	if (errno != EEXIST && errno != ENOTEMPTY)
		return cl_error_set(err, CL_E_LOCAL, "moving %s into place: %s", final, strerror(errno));
	if (RAND_bytes(r, sizeof(r)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "naming a temporary directory");
	snprintf(old, sizeof(old), "%s/.%.16s.old-%02x%02x%02x%02x%02x%02x", certs, name, r[0], r[1], r[2],
	         r[3], r[4], r[5]);
	if (rename(final, old) != 0)
		return cl_error_set(err, CL_E_LOCAL, "replacing %s: %s", final, strerror(errno));
	if (rename(tmp, final) != 0) {
		cl_error_set(err, CL_E_LOCAL, "replacing %s: %s", final, strerror(errno));
		rename(old, final); /* put the earlier installation back */
		return CL_E_LOCAL;
	}
	remove_tree(old);
	return cl_fileio_fsync_dir(certs, err);
}

/* An install of the certificate NAME that was interrupted (a crash, a kill) may have left its temporary
 * directory (.NAME16.tmp-*) or the earlier installation it was replacing (.NAME16.old-*) behind, a key among
 * their files: the next install of the same certificate removes them. */
static void remove_leftovers(const char *certs, const char *name)
{
	char tmp[32], old[32], *path;
	struct dirent *de;
	DIR *d = opendir(certs);

	snprintf(tmp, sizeof(tmp), ".%.16s.tmp-", name);
	snprintf(old, sizeof(old), ".%.16s.old-", name);
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, tmp, strlen(tmp)) != 0 && strncmp(de->d_name, old, strlen(old)) != 0)
			continue;
		if ((path = cl_paths_join(certs, de->d_name, NULL)) != NULL)
			remove_tree(path);
		free(path);
	}
	if (d)
		closedir(d);
}

/* Write the files into a fresh temporary directory beside FINAL (CERTS/NAME, NAME the certificate's
 * SHA-256: serials repeat across CAs, fingerprints do not), then move it into place. */
static enum cl_status install_files(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert,
                                    STACK_OF(X509) * chain, const char *name, const char *nickname,
                                    struct cl_locations *done, struct cl_error *err)
{
	char *store = NULL, *certs = NULL, *final = NULL, tmp[PATH_MAX];
	struct bundle_files tf = { 0 }, ff = { 0 };
	enum cl_status st = CL_E_LOCAL;
	bool tmp_made = false;

	store = cl_paths_store_dir(kind, err);
	certs = store ? cl_paths_certs_dir(kind, err) : NULL;
	final = certs ? cl_paths_join(certs, name, err) : NULL;
	if (!final || cl_fileio_mkdirs(store, dir_mode(kind), err) != CL_OK ||
	    cl_fileio_mkdirs(certs, dir_mode(kind), err) != CL_OK)
		goto out;
	remove_leftovers(certs, name);
	snprintf(tmp, sizeof(tmp), "%s/.%.16s.tmp-XXXXXX", certs, name);
	if (!mkdtemp(tmp)) {
		cl_error_set(err, CL_E_LOCAL, "creating a directory in %s: %s", certs, strerror(errno));
		goto out;
	}
	tmp_made = true;
	if (chmod(tmp, dir_mode(kind)) != 0) {
		cl_error_set(err, CL_E_LOCAL, "setting the mode of %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (bundle_files_in(tmp, &tf, err) != CL_OK || bundle_files_in(final, &ff, err) != CL_OK ||
	    write_bundle(&tf, key, cert, chain, nickname, err) != CL_OK ||
	    move_into_place(certs, tmp, final, name, err) != CL_OK)
		goto out;
	tmp_made = false;
	st = bundle_locations(&ff, chain && sk_X509_num(chain) > 0, done, err);
out:
	if (tmp_made)
		remove_tree(tmp);
	bundle_files_free(&tf);
	bundle_files_free(&ff);
	free(store);
	free(certs);
	free(final);
	return st;
}

enum cl_status cl_store_install(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain,
                                const char *nickname, struct cl_locations *locations, struct cl_error *err)
{
	struct cl_locations done = { 0 };
	char serial[41], fp[65], defnick[64], actual[NICKNAME_MAX + 1], *db = NULL;
	enum cl_status st;

	if (cl_store_check_allowed(kind, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	if (!key || !cert || X509_check_private_key(cert, key) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL,
		                            "the private key does not match the certificate");
	if (cert_serial(cert, serial, err) != CL_OK || cert_sha256(cert, fp, err) != CL_OK)
		return CL_E_LOCAL;
	if (!nickname) {
		snprintf(defnick, sizeof(defnick), "certlink %s", serial);
		nickname = defnick;
	}
	if (!valid_nickname(nickname))
		return cl_error_set(err, CL_E_LOCAL, "invalid certificate nickname");
	st = install_files(kind, key, cert, chain, fp, nickname, &done, err);
	if (st == CL_OK && kind == CL_STORE_USER && (db = cl_nssdb_find()) != NULL) {
		/* done.items: directory, key, certificate, [chain,] bundle, then the bundle's password. A
		 * certificate whose subject NSS already holds lands under that one's nickname (recorded as
		 * such); both stay, each removable by itself. */
		st = cl_nssdb_import_pkcs12_cert(db, done.items[done.n - 2].path, done.items[done.n - 1].path,
		                                 nickname, cert, actual, sizeof(actual), err);
		if (st == CL_OK)
			st = cl_locations_add(&done, CL_LOC_NSS_CERT, db, actual, err);
		else if (cl_nssdb_remove_cert(db, fp, true, NULL) != CL_OK)
			cl_error_prefix(err, "the NSS database keeps part of the import");
	}
	/* Firefox profiles have databases of their own (firefox.h); one that cannot take it is left out */
	if (st == CL_OK && kind == CL_STORE_USER)
		cl_firefox_import_all(&done, cert, nickname, &done);
	if (st == CL_OK)
		st = cl_locations_append(locations, &done, err);
	if (st != CL_OK) {
		cl_store_remove_certificate(&done, fp, NULL);
		cl_error_prefix(err, "installing certificate %s", serial);
	}
	cl_locations_clear(&done);
	free(db);
	return st;
}

/* ---- trust ---- */

/* Rollback list: only what this call created, so a CA another certificate already trusted stays. */
static enum cl_status add_step(struct cl_locations *done, struct cl_locations *created, bool is_new,
                               enum cl_location_kind kind, const char *path, const char *nickname,
                               struct cl_error *err)
{
	if (cl_locations_add(done, kind, path, nickname, err) != CL_OK)
		return CL_E_LOCAL;
	if (is_new && cl_locations_add(created, kind, path, nickname, err) != CL_OK)
		return CL_E_LOCAL;
	return CL_OK;
}

static enum cl_status trust_nss(X509 *ca, const char *file, const char *nickname, struct cl_locations *done,
                                struct cl_locations *created, struct cl_error *err)
{
	char *db = cl_nssdb_find(), actual[NICKNAME_MAX + 1];
	enum cl_status st = CL_OK;
	bool existed;

	if (!db)
		return CL_OK;
	/* A CA placed for a chain earlier (with a bundle, no trust flags) is in the database under a nickname
	 * of its own; adding it then only sets the trust, and the nickname that counts stays that one. */
	existed = cl_nssdb_nickname_of(db, ca, actual, sizeof(actual)) || cl_nssdb_has(db, nickname);
	st = cl_nssdb_add_ca(db, file, nickname, err);
	if (st == CL_OK && !cl_nssdb_nickname_of(db, ca, actual, sizeof(actual)))
		snprintf(actual, sizeof(actual), "%s", nickname);
	if (st == CL_OK)
		st = add_step(done, created, !existed, CL_LOC_NSS_CA, db, actual, err);
	free(db);
	return st;
}

static enum cl_status trust_system(X509 *ca, const char *file, const char *fp, struct cl_locations *done,
                                   struct cl_locations *created, struct cl_error *err)
{
	struct cl_locations added = { 0 };
	enum cl_status st;
	bool is_new = false;

	st = cl_systrust_add(ca, file, fp, &added, &is_new, err);
	if (st == CL_OK)
		st = add_step(done, created, is_new, added.items[0].kind, added.items[0].path, NULL, err);
	cl_locations_clear(&added);
	return st;
}

enum cl_status cl_store_trust_ca(enum cl_store_kind kind, X509 *ca, const char *nickname,
                                 enum cl_anchor_consent consent, struct cl_locations *locations,
                                 struct cl_error *err)
{
	struct cl_locations done = { 0 }, created = { 0 };
	char fp[65], defnick[64], name[80], *store = NULL, *dir = NULL, *file = NULL;
	enum cl_status st = CL_E_LOCAL;
	bool is_new = false;

	/* the structural guard of anchor.h: nothing becomes a trust anchor without a consent */
	if (consent == CL_ANCHOR_NONE)
		return cl_error_set(err, CL_E_UNEXPECTED,
		                    "a CA was to become a trust anchor without consent");
	if (cl_store_check_allowed(kind, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	if (!ca || cert_sha256(ca, fp, err) != CL_OK)
		return ca ? CL_E_LOCAL : cl_error_set(err, CL_E_UNEXPECTED, "no CA certificate");
	if (!nickname) {
		snprintf(defnick, sizeof(defnick), "certlink CA %.16s", fp);
		nickname = defnick;
	}
	if (!valid_nickname(nickname))
		return cl_error_set(err, CL_E_LOCAL, "invalid CA nickname");
	if (kind == CL_STORE_COMPUTER && cl_systrust_check_redirect(err) != CL_OK)
		return CL_E_LOCAL;
	snprintf(name, sizeof(name), "%s.pem", fp);
	store = cl_paths_store_dir(kind, err);
	dir = store ? cl_paths_anchors_dir(kind, err) : NULL;
	file = dir ? cl_paths_join(dir, name, err) : NULL;
	if (!file || cl_fileio_mkdirs(store, dir_mode(kind), err) != CL_OK ||
	    cl_fileio_mkdirs(dir, dir_mode(kind), err) != CL_OK ||
	    cl_systrust_put_pem(file, ca, &is_new, err) != CL_OK ||
	    add_step(&done, &created, is_new, CL_LOC_TRUST_FILE, file, NULL, err) != CL_OK)
		goto out;
	if (kind == CL_STORE_USER)
		st = trust_nss(ca, file, nickname, &done, &created, err);
	else
		st = trust_system(ca, file, fp, &done, &created, err);
	/* the same consent makes it trusted in the person's Firefox profiles (firefox.h), best effort */
	if (st == CL_OK && kind == CL_STORE_USER)
		cl_firefox_trust_all(ca, file, nickname, &done, &created);
	if (st == CL_OK)
		st = cl_locations_append(locations, &done, err);
out:
	if (st != CL_OK) {
		cl_store_remove(&created, NULL);
		cl_error_prefix(err, "trusting CA %.16s", fp);
	}
	cl_locations_clear(&done);
	cl_locations_clear(&created);
	free(store);
	free(dir);
	free(file);
	return st;
}

enum cl_status cl_store_pkcs12_password(const struct cl_locations *locations, char **out, size_t *len,
                                        struct cl_error *err)
{
	*out = NULL;
	for (size_t i = 0; i < locations->n; i++) {
		enum cl_status st;
		size_t n = 0;

		if (locations->items[i].kind != CL_LOC_PKCS12_PASSWORD)
			continue;
		st = cl_fileio_read(locations->items[i].path, 1024, out, &n, err);
		if (st != CL_OK)
			return st;
		while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r'))
			(*out)[--n] = '\0';
		if (len)
			*len = n;
		return CL_OK;
	}
	return cl_error_set(err, CL_E_LOCAL, "this certificate has no PKCS#12 bundle");
}
