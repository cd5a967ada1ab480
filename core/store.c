/* certlink core: certificate stores and trust anchors (see store.h). */
#include "store.h"
#include "fileio.h"
#include "records.h"
#include "tool.h"

#include <ctype.h>
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
#define NSS_LIST_OUT        (64 * 1024) /* certutil -L listings */
#define NSS_DELETE_MAX      16          /* certificates one nickname can hold that we remove */

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

/* ---- external tools ---- */

/* Run ARGV; a tool that cannot be started or exits non-zero is CL_E_LOCAL naming WHAT. */
static enum cl_status run_ok(const char *const *argv, const char *what, struct cl_error *err)
{
	char out[TOOL_OUT];
	int code;

	if (cl_tool_run(argv, out, sizeof(out), &code, err) != CL_OK) {
		cl_error_prefix(err, "%s", what);
		return CL_E_LOCAL;
	}
	if (code != 0)
		return cl_error_set(err, CL_E_LOCAL, "%s: %s exited with status %d: %s", what, argv[0], code,
		                    cl_tool_last_line(out));
	return CL_OK;
}

/* The user's NSS database ("sql:DIR") when it exists (DIR/cert9.db), else NULL. */
static char *nss_db_if_present(void)
{
	char *dir = cl_paths_nssdb_dir(NULL), *db = NULL, *probe;

	probe = dir ? cl_paths_join(dir, "cert9.db", NULL) : NULL;
	if (probe && access(probe, R_OK | W_OK) == 0)
		db = cl_paths_nssdb(NULL);
	free(probe);
	free(dir);
	return db;
}

/* Is NICKNAME in the NSS database DB? (A database that cannot be opened has nothing in it.) */
static bool nss_has(const char *certutil, const char *db, const char *nickname)
{
	const char *argv[] = { certutil, "-L", "-d", db, "-n", nickname, NULL };
	int code = -1;

	return cl_tool_run(argv, NULL, 0, &code, NULL) == CL_OK && code == 0;
}

/* NSS files certificates with the same subject under one nickname: a certificate imported with the subject
 * of one already in the database joins that one's nickname, whatever its PKCS#12 friendly name says. So
 * after an import certlink looks up the nickname the certificate really got. */

/* Does PEM text (one or more certificates, as cl_tool_run() captured it) hold CERT? */
static bool pem_holds(char *pem, X509 *cert)
{
	bool found = false;
	size_t i, o = 0;
	BIO *bio;
	X509 *x;

	/* certutil ends base64 lines with CR LF; the capture shows each CR as '?', which base64 never has */
	for (i = 0; pem[i]; i++)
		if (pem[i] != '?')
			pem[o++] = pem[i];
	pem[o] = '\0';
	bio = BIO_new_mem_buf(pem, -1);
	while (bio && !found && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		found = X509_cmp(x, cert) == 0;
		X509_free(x);
	}
	ERR_clear_error(); /* the end of the PEM text is an error for OpenSSL */
	BIO_free(bio);
	return found;
}

/* A line of `certutil -L` is "NICKNAME   TRUST": cut the trust attributes (the last word) off in place. */
static char *listing_nickname(char *line)
{
	char *end = line + strlen(line);

	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	while (end > line && !isspace((unsigned char)end[-1]))
		end--;
	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return line;
}

/* The nickname under which DB holds CERT, into OUT (NICKNAME_MAX + 1 bytes); false when it is not there. */
static bool nss_find_nickname(const char *certutil, const char *db, X509 *cert, char *out)
{
	char *list = malloc(NSS_LIST_OUT), *pem = malloc(NSS_LIST_OUT), *line, *save = NULL;
	const char *argv[] = { certutil, "-L", "-d", db, NULL };
	bool found = false;
	int code = -1;

	if (!list || !pem || cl_tool_run(argv, list, NSS_LIST_OUT, &code, NULL) != CL_OK || code != 0)
		goto out;
	for (line = strtok_r(list, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		const char *nick = listing_nickname(line);
		const char *show[] = { certutil, "-L", "-d", db, "-n", nick, "-a", NULL };

		if (!valid_nickname(nick) || cl_tool_run(show, pem, NSS_LIST_OUT, &code, NULL) != CL_OK ||
		    code != 0)
			continue; /* the header lines, or something NSS will not show */
		if ((found = pem_holds(pem, cert)))
			snprintf(out, NICKNAME_MAX + 1, "%s", nick);
	}
out:
	free(list);
	free(pem);
	return found;
}

/* Import the PKCS#12 bundle P12 (password in the file PWFILE) into DB. CERT, when given, must then be in DB:
 * ACTUAL gets the nickname it is filed under (NICKNAME, or the nickname of an earlier certificate with the
 * same subject). */
static enum cl_status nss_import(const char *db, const char *p12, const char *pwfile, const char *nickname,
                                 X509 *cert, char *actual, struct cl_error *err)
{
	char *pk12util = cl_paths_tool_pk12util(err),
	     *certutil = pk12util ? cl_paths_tool_certutil(err) : NULL;
	enum cl_status st = CL_E_LOCAL;

	if (certutil) {
		/* -w: the bundle password from its 0600 file. -k /dev/null: the database's own password is
		 * empty (as Chromium creates it); a protected database fails here with a clear message. */
		const char *argv[] = { pk12util, "-i", p12, "-d", db, "-w", pwfile, "-k", "/dev/null", NULL };

		st = run_ok(argv, "importing into the NSS database", err);
		if (st == CL_OK && cert) {
			if (nss_has(certutil, db, nickname))
				snprintf(actual, NICKNAME_MAX + 1, "%s", nickname);
			else if (!nss_find_nickname(certutil, db, cert, actual))
				st = cl_error_set(
				    err, CL_E_LOCAL,
				    "importing into the NSS database %s: \"%s\" is not there after "
				    "pk12util",
				    db, nickname);
		}
	}
	free(pk12util);
	free(certutil);
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

static enum cl_status remove_nss(const struct cl_location *loc, struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	enum cl_status st = CL_OK;

	if (!certutil)
		return CL_E_LOCAL;
	if (nss_has(certutil, loc->path, loc->nickname)) {
		const char *del_key[] = { certutil,      "-F", "-d",        loc->path, "-n",
			                  loc->nickname, "-f", "/dev/null", NULL };
		const char *del_cert[] = { certutil, "-D", "-d", loc->path, "-n", loc->nickname, NULL };

		/* -F removes the key and its certificate; a CA (or a certificate whose key is gone) needs -D.
		 * A nickname can hold several certificates of one subject (see nss_import); the caller
		 * removes a location only when no other recorded certificate uses it, so all of them go. */
		for (int i = 0;
		     i < NSS_DELETE_MAX && st == CL_OK && nss_has(certutil, loc->path, loc->nickname); i++)
			if (loc->kind != CL_LOC_NSS_CERT ||
			    run_ok(del_key, "removing from the NSS database", NULL) != CL_OK)
				st = run_ok(del_cert, "removing from the NSS database", err);
		if (st == CL_OK && nss_has(certutil, loc->path, loc->nickname))
			st = cl_error_set(err, CL_E_LOCAL, "\"%s\" is still in the NSS database %s",
			                  loc->nickname, loc->path);
	}
	free(certutil);
	return st;
}

static enum cl_status update_ca_certificates(struct cl_error *err)
{
	char *tool = cl_paths_tool_update_ca(err);
	const char *argv[] = { tool, NULL };
	enum cl_status st;

	if (!tool)
		return CL_E_LOCAL;
	st = run_ok(argv, "updating the system trust store", err);
	free(tool);
	return st;
}

static enum cl_status remove_anchor(const struct cl_location *loc, struct cl_error *err)
{
	enum cl_status st;
	char *trust;

	if (loc->kind == CL_LOC_CA_CERTIFICATES) {
		if (unlink(loc->path) != 0) {
			if (errno == ENOENT)
				return CL_OK;
			return cl_error_set(err, CL_E_LOCAL, "removing %s: %s", loc->path, strerror(errno));
		}
		return update_ca_certificates(err);
	}
	trust = cl_paths_tool_trust(err);
	if (!trust)
		return CL_E_LOCAL;
	{
		const char *argv[] = { trust, "anchor", "--remove", loc->path, NULL };

		st = run_ok(argv, "removing the trust anchor", err);
	}
	free(trust);
	return st;
}

static enum cl_status remove_one(const struct cl_location *loc, struct cl_error *err)
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
		return remove_file(loc->path, err);
	case CL_LOC_NSS_CERT:
	case CL_LOC_NSS_CA:
		return remove_nss(loc, err);
	case CL_LOC_P11KIT_ANCHOR:
	case CL_LOC_CA_CERTIFICATES:
		return remove_anchor(loc, err);
	}
	return cl_error_set(err, CL_E_UNEXPECTED, "unknown location kind %d", (int)loc->kind);
}

static enum cl_status remove_filtered(const struct cl_locations *locations, bool trust_only,
                                      struct cl_error *err)
{
	struct cl_error first, one;
	int failed = 0;

	cl_error_clear(&first);
	for (size_t i = locations->n; i-- > 0;) {
		const struct cl_location *loc = &locations->items[i];

		if (trust_only && !cl_location_kind_is_trust(loc->kind))
			continue;
		cl_error_clear(&one);
		if (remove_one(loc, &one) != CL_OK && failed++ == 0)
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

enum cl_status cl_store_remove(const struct cl_locations *locations, struct cl_error *err)
{
	return remove_filtered(locations, false, err);
}

enum cl_status cl_store_untrust_ca(const struct cl_locations *locations, struct cl_error *err)
{
	return remove_filtered(locations, true, err);
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

/* Move the finished TMP directory to FINAL; an earlier FINAL (an interrupted install of the same serial)
 * is moved aside first and then overwritten and removed. */
static enum cl_status move_into_place(const char *certs, const char *tmp, const char *final,
                                      const char *serial, struct cl_error *err)
{
	unsigned char r[6];
	char old[PATH_MAX];

	if (rename(tmp, final) == 0)
		return cl_fileio_fsync_dir(certs, err);
	if (errno != EEXIST && errno != ENOTEMPTY)
		return cl_error_set(err, CL_E_LOCAL, "moving %s into place: %s", final, strerror(errno));
	if (RAND_bytes(r, sizeof(r)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "naming a temporary directory");
	snprintf(old, sizeof(old), "%s/.%s.old-%02x%02x%02x%02x%02x%02x", certs, serial, r[0], r[1], r[2],
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

/* Write the files into a fresh temporary directory beside FINAL, then move it into place. */
static enum cl_status install_files(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert,
                                    STACK_OF(X509) * chain, const char *serial, const char *nickname,
                                    struct cl_locations *done, struct cl_error *err)
{
	char *store = NULL, *certs = NULL, *final = NULL, tmp[PATH_MAX];
	struct bundle_files tf = { 0 }, ff = { 0 };
	enum cl_status st = CL_E_LOCAL;
	bool tmp_made = false;

	store = cl_paths_store_dir(kind, err);
	certs = store ? cl_paths_certs_dir(kind, err) : NULL;
	final = certs ? cl_paths_join(certs, serial, err) : NULL;
	if (!final || cl_fileio_mkdirs(store, dir_mode(kind), err) != CL_OK ||
	    cl_fileio_mkdirs(certs, dir_mode(kind), err) != CL_OK)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", certs, serial);
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
	    move_into_place(certs, tmp, final, serial, err) != CL_OK)
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

/* The PKCS#12 bundle and password file among LOCS, or NULL. */
static const char *location_path(const struct cl_locations *locs, enum cl_location_kind kind)
{
	for (size_t i = 0; locs && i < locs->n; i++)
		if (locs->items[i].kind == kind)
			return locs->items[i].path;
	return NULL;
}

/* Take the replaced certificate's NSS entries out of the way (see cl_store_install_replacing()). */
static void nss_unreplace(const struct cl_locations *replaces, const char *db)
{
	for (size_t i = 0; replaces && i < replaces->n; i++) {
		const struct cl_location *l = &replaces->items[i];

		if (l->kind == CL_LOC_NSS_CERT && strcmp(l->path, db) == 0)
			remove_nss(l, NULL);
	}
}

/* Best effort: put the replaced certificate back into the NSS database from its own bundle. */
static void nss_restore(const struct cl_locations *replaces, const char *db)
{
	const char *p12 = location_path(replaces, CL_LOC_PKCS12),
	           *pw = location_path(replaces, CL_LOC_PKCS12_PASSWORD);

	for (size_t i = 0; p12 && pw && i < replaces->n; i++)
		if (replaces->items[i].kind == CL_LOC_NSS_CERT && strcmp(replaces->items[i].path, db) == 0) {
			nss_import(db, p12, pw, replaces->items[i].nickname, NULL, NULL, NULL);
			break;
		}
}

enum cl_status cl_store_install_replacing(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert,
                                          STACK_OF(X509) * chain, const char *nickname,
                                          const struct cl_locations *replaces, struct cl_locations *locations,
                                          struct cl_error *err)
{
	struct cl_locations done = { 0 };
	char serial[41], defnick[64], actual[NICKNAME_MAX + 1], *db = NULL;
	enum cl_status st;

	if (cl_store_check_allowed(kind, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	if (!key || !cert || X509_check_private_key(cert, key) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL,
		                            "the private key does not match the certificate");
	if (cert_serial(cert, serial, err) != CL_OK)
		return CL_E_LOCAL;
	if (!nickname) {
		snprintf(defnick, sizeof(defnick), "certlink %s", serial);
		nickname = defnick;
	}
	if (!valid_nickname(nickname))
		return cl_error_set(err, CL_E_LOCAL, "invalid certificate nickname");
	st = install_files(kind, key, cert, chain, serial, nickname, &done, err);
	if (st == CL_OK && kind == CL_STORE_USER && (db = nss_db_if_present()) != NULL) {
		nss_unreplace(replaces, db);
		/* done.items: [0] directory, [1] key, [2] certificate, ... the bundle and its password last.
		 */
		st = nss_import(db, done.items[done.n - 2].path, done.items[done.n - 1].path, nickname, cert,
		                actual, err);
		if (st == CL_OK)
			st = cl_locations_add(&done, CL_LOC_NSS_CERT, db, actual, err);
		else
			nss_restore(replaces, db);
	}
	if (st == CL_OK)
		st = cl_locations_append(locations, &done, err);
	if (st != CL_OK) {
		cl_store_remove(&done, NULL);
		cl_error_prefix(err, "installing certificate %s", serial);
	}
	cl_locations_clear(&done);
	free(db);
	return st;
}

enum cl_status cl_store_install(enum cl_store_kind kind, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain,
                                const char *nickname, struct cl_locations *locations, struct cl_error *err)
{
	return cl_store_install_replacing(kind, key, cert, chain, nickname, NULL, locations, err);
}

/* ---- trust ---- */

/* Write CA as PEM to PATH unless the same PEM is already there. *created says whether this call made it. */
static enum cl_status put_ca_file(const char *path, X509 *ca, bool *created, struct cl_error *err)
{
	BIO *bio = pem_certs(ca, NULL);
	char *data = NULL, *old = NULL;
	enum cl_status st;
	long len;

	*created = false;
	if (!bio)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the CA certificate");
	len = BIO_get_mem_data(bio, &data);
	st = cl_fileio_read_optional(path, 64 * 1024, &old, NULL, NULL);
	if (st == CL_OK && old && strlen(old) == (size_t)len && memcmp(old, data, (size_t)len) == 0) {
		st = CL_OK; /* already there, byte for byte */
	} else {
		st = cl_fileio_replace(path, data, (size_t)len, 0644, err);
		*created = st == CL_OK;
	}
	free(old);
	BIO_free(bio);
	return st;
}

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

static enum cl_status trust_nss(const char *file, const char *nickname, struct cl_locations *done,
                                struct cl_locations *created, struct cl_error *err)
{
	char *db = nss_db_if_present(), *certutil = NULL;
	enum cl_status st = CL_OK;
	bool existed;

	if (!db)
		return CL_OK;
	certutil = cl_paths_tool_certutil(err);
	if (!certutil) {
		st = CL_E_LOCAL;
		goto out;
	}
	existed = nss_has(certutil, db, nickname);
	{
		const char *argv[] = { certutil, "-A",  "-d", db,   "-n", nickname,
			               "-t",     "C,,", "-a", "-i", file, NULL };

		st = run_ok(argv, "trusting the CA in the NSS database", err);
	}
	if (st == CL_OK)
		st = add_step(done, created, !existed, CL_LOC_NSS_CA, db, nickname, err);
out:
	free(certutil);
	free(db);
	return st;
}

/* A redirected computer store is a test: it must never reach the real system trust store. */
static enum cl_status system_trust_redirect_check(struct cl_error *err)
{
	static const char *const vars[] = { "CERTLINK_TRUST", "CERTLINK_UPDATE_CA_CERTIFICATES",
		                            "CERTLINK_CA_CERTIFICATES_DIR" };

	if (!cl_paths_system_dir_redirected())
		return CL_OK;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (!v || !*v)
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the computer store is redirected (CERTLINK_SYSTEM_DIR) but the system "
			    "trust store is not: set %s too",
			    vars[i]);
	}
	return CL_OK;
}

/* Fallback: /usr/local/share/ca-certificates/certlink-FP16.crt and update-ca-certificates. */
static enum cl_status trust_ca_certificates(X509 *ca, const char *fp, struct cl_locations *done,
                                            struct cl_locations *created, struct cl_error *err)
{
	char *dir = cl_paths_ca_certificates_dir(err), *path = NULL, name[64];
	enum cl_status st = CL_E_LOCAL;
	bool is_new = false;

	snprintf(name, sizeof(name), "certlink-%.16s.crt", fp);
	if (!dir || !(path = cl_paths_join(dir, name, err)) || cl_fileio_mkdirs(dir, 0755, err) != CL_OK ||
	    put_ca_file(path, ca, &is_new, err) != CL_OK)
		goto out;
	st = update_ca_certificates(err);
	if (st != CL_OK) {
		if (is_new)
			unlink(path);
		goto out;
	}
	st = add_step(done, created, is_new, CL_LOC_CA_CERTIFICATES, path, NULL, err);
out:
	free(dir);
	free(path);
	return st;
}

/* p11-kit first (`trust anchor --store`); Debian's p11-kit has no writable anchor location, so the
 * ca-certificates directory is the usual outcome there. */
static enum cl_status trust_system(X509 *ca, const char *file, const char *fp, struct cl_locations *done,
                                   struct cl_locations *created, struct cl_error *err)
{
	char *trust = cl_paths_tool_trust(err), out[TOOL_OUT], why[CL_ERROR_MSG_MAX];
	enum cl_status st;
	int code = -1;

	if (!trust)
		return CL_E_LOCAL;
	{
		const char *argv[] = { trust, "anchor", "--store", file, NULL };
		struct cl_error e;

		if (cl_tool_run(argv, out, sizeof(out), &code, &e) != CL_OK)
			snprintf(why, sizeof(why), "%s", e.msg);
		else
			snprintf(why, sizeof(why), "exit status %d: %.200s", code, cl_tool_last_line(out));
	}
	free(trust);
	if (code == 0)
		return add_step(done, created, true, CL_LOC_P11KIT_ANCHOR, file, NULL, err);
	st = trust_ca_certificates(ca, fp, done, created, err);
	if (st != CL_OK)
		cl_error_prefix(err, "p11-kit trust anchor failed (%s), and the fallback too", why);
	return st;
}

enum cl_status cl_store_trust_ca(enum cl_store_kind kind, X509 *ca, const char *nickname,
                                 struct cl_locations *locations, struct cl_error *err)
{
	struct cl_locations done = { 0 }, created = { 0 };
	char fp[65], defnick[64], name[80], *store = NULL, *dir = NULL, *file = NULL;
	enum cl_status st = CL_E_LOCAL;
	bool is_new = false;

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
	if (kind == CL_STORE_COMPUTER && system_trust_redirect_check(err) != CL_OK)
		return CL_E_LOCAL;
	snprintf(name, sizeof(name), "%s.pem", fp);
	store = cl_paths_store_dir(kind, err);
	dir = store ? cl_paths_trust_dir(kind, err) : NULL;
	file = dir ? cl_paths_join(dir, name, err) : NULL;
	if (!file || cl_fileio_mkdirs(store, dir_mode(kind), err) != CL_OK ||
	    cl_fileio_mkdirs(dir, dir_mode(kind), err) != CL_OK ||
	    put_ca_file(file, ca, &is_new, err) != CL_OK ||
	    add_step(&done, &created, is_new, CL_LOC_TRUST_FILE, file, NULL, err) != CL_OK)
		goto out;
	if (kind == CL_STORE_USER)
		st = trust_nss(file, nickname, &done, &created, err);
	else
		st = trust_system(ca, file, fp, &done, &created, err);
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
