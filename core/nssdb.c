/* certlink core: NSS database operations (see nssdb.h). */
#include "nssdb.h"
#include "paths.h"
#include "tool.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "fileio.h"

#define LIST_OUT   (64 * 1024) /* certutil -L listings */
#define DELETE_MAX 16          /* certificates under one nickname that cl_nssdb_remove() takes out */

char *cl_nssdb_find(void)
{
	char *dir = cl_paths_nssdb_dir(NULL), *db = NULL, *probe;

	probe = dir ? cl_paths_join(dir, "cert9.db", NULL) : NULL;
	if (probe && access(probe, R_OK | W_OK) == 0)
		db = cl_paths_nssdb(NULL);
	free(probe);
	free(dir);
	return db;
}

bool cl_nssdb_has(const char *db, const char *nickname)
{
	char *certutil = cl_paths_tool_certutil(NULL);
	const char *argv[] = { certutil, "-L", "-d", db, "-n", nickname, NULL };
	int code = -1;
	bool found;

	found = certutil && cl_tool_run(argv, NULL, 0, &code, NULL) == CL_OK && code == 0;
	free(certutil);
	return found;
}

enum cl_status cl_nssdb_import_pkcs12(const char *db, const char *p12, const char *pwfile,
                                      const char *nickname, struct cl_error *err)
{
	char *pk12util = cl_paths_tool_pk12util(err);
	const char *argv[] = { pk12util, "-i", p12, "-d", db, "-w", pwfile, "-k", "/dev/null", NULL };
	enum cl_status st;

	if (!pk12util)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, CL_N_("importing into the NSS database"), err);
	free(pk12util);
	if (st == CL_OK && !cl_nssdb_has(db, nickname))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "importing into the NSS database %s: \"%s\" is not there after pk12util",
		                  db, nickname);
	return st;
}

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

bool cl_nssdb_nickname_of(const char *db, X509 *cert, char *out, size_t size)
{
	char *certutil = cl_paths_tool_certutil(NULL), *list = malloc(LIST_OUT), *pem = malloc(LIST_OUT);
	const char *argv[] = { certutil, "-L", "-d", db, NULL };
	char *line, *save = NULL;
	bool found = false;
	int code = -1;

	if (!certutil || !list || !pem || cl_tool_run(argv, list, LIST_OUT, &code, NULL) != CL_OK ||
	    code != 0)
		goto out;
	for (line = strtok_r(list, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		const char *nick = listing_nickname(line);
		const char *show[] = { certutil, "-L", "-d", db, "-n", nick, "-a", NULL };

		if (!nick[0] || nick[0] == '-' || cl_tool_run(show, pem, LIST_OUT, &code, NULL) != CL_OK ||
		    code != 0)
			continue; /* the header lines, or something NSS will not show */
		if ((found = pem_holds(pem, cert)))
			snprintf(out, size, "%s", nick);
	}
out:
	free(certutil);
	free(list);
	free(pem);
	return found;
}

enum cl_status cl_nssdb_import_pkcs12_cert(const char *db, const char *p12, const char *pwfile,
                                           const char *nickname, X509 *cert, char *actual, size_t size,
                                           struct cl_error *err)
{
	char *pk12util = cl_paths_tool_pk12util(err);
	const char *argv[] = { pk12util, "-i", p12, "-d", db, "-w", pwfile, "-k", "/dev/null", NULL };
	enum cl_status st;

	if (!pk12util)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, CL_N_("importing into the NSS database"), err);
	free(pk12util);
	if (st != CL_OK)
		return st;
	if (cl_nssdb_has(db, nickname)) {
		snprintf(actual, size, "%s", nickname);
		return CL_OK;
	}
	if (cl_nssdb_nickname_of(db, cert, actual, size))
		return CL_OK;
	return cl_error_set(err, CL_E_LOCAL,
	                    "importing into the NSS database %s: \"%s\" is not there after pk12util", db,
	                    nickname);
}

enum cl_status cl_nssdb_add_ca(const char *db, const char *pemfile, const char *nickname,
                               struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	const char *argv[] = { certutil, "-A",  "-d", db,   "-n",    nickname,
		               "-t",     "C,,", "-a", "-i", pemfile, NULL };
	enum cl_status st;

	if (!certutil)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, CL_N_("trusting the CA in the NSS database"), err);
	free(certutil);
	return st;
}

enum cl_status cl_nssdb_remove(const char *db, const char *nickname, bool with_key, struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	const char *del_key[] = { certutil, "-F", "-d", db, "-n", nickname, "-f", "/dev/null", NULL };
	const char *del_cert[] = { certutil, "-D", "-d", db, "-n", nickname, NULL };
	enum cl_status st = CL_OK;

	if (!certutil)
		return CL_E_LOCAL;
	if (cl_nssdb_has(db, nickname)) {
		/* -F removes the key and its certificate; a CA, or a certificate whose key is gone, needs -D.
		 */
		for (int i = 0; i < DELETE_MAX && st == CL_OK && cl_nssdb_has(db, nickname); i++)
			if (!with_key ||
			    cl_tool_run_ok(del_key, CL_N_("removing from the NSS database"), NULL) != CL_OK)
				st = cl_tool_run_ok(del_cert, CL_N_("removing from the NSS database"), err);
		if (st == CL_OK && cl_nssdb_has(db, nickname))
			st = cl_error_set(err, CL_E_LOCAL, "\"%s\" is still in the NSS database %s", nickname,
			                  db);
	}
	free(certutil);
	return st;
}

/* ---- removing one certificate: by its key ID, never by nickname ---- */

bool cl_nssdb_key_id(X509 *cert, char out[41])
{
	EVP_PKEY *pk = cert ? X509_get0_pubkey(cert) : NULL;
	unsigned char buf[1024], md[SHA_DIGEST_LENGTH];
	size_t len = 0;
	BIGNUM *n = NULL;

	if (!pk)
		return false;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		/* NSS: the modulus as an unsigned big-endian number, without leading zeros */
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) &&
		    BN_num_bytes(n) <= (int)sizeof(buf))
			len = (size_t)BN_bn2bin(n, buf);
		BN_free(n);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		/* NSS: the public point as the certificate encodes it (04 || X || Y) */
		if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf),
		                                     &len))
			len = 0;
	}
	ERR_clear_error();
	if (len == 0 || !SHA1(buf, len, md))
		return false;
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

struct nss_entry {
	char nick[256];
	char fp[65];
	char id[41];
	X509 *cert;
};

struct nss_entries {
	struct nss_entry *items;
	size_t n, cap;
};

static void entries_free(struct nss_entries *l)
{
	for (size_t i = 0; i < l->n; i++)
		X509_free(l->items[i].cert);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static bool entries_add(struct nss_entries *l, const char *nick, X509 *cert)
{
	struct nss_entry *e;
	unsigned char md[32];

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct nss_entry *items = realloc(l->items, cap * sizeof(*items));

		if (!items)
			return false;
		l->items = items;
		l->cap = cap;
	}
	e = &l->items[l->n];
	memset(e, 0, sizeof(*e));
	snprintf(e->nick, sizeof(e->nick), "%s", nick);
	if (!X509_digest(cert, EVP_sha256(), md, NULL))
		return false;
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(e->fp + 2 * i, 3, "%02x", md[i]);
	if (!cl_nssdb_key_id(cert, e->id))
		e->id[0] = '\0';
	e->cert = cert;
	l->n++;
	return true;
}

/* The certificates of PEM text (as cl_tool_run() captured certutil's output) into OUT under NICK. */
static bool entries_add_pem(struct nss_entries *out, const char *nick, char *pem)
{
	size_t i, o = 0;
	bool ok = true;
	BIO *bio;
	X509 *x;

	for (i = 0; pem[i]; i++) /* CR LF line ends show as '?', which base64 never has */
		if (pem[i] != '?')
			pem[o++] = pem[i];
	pem[o] = '\0';
	bio = BIO_new_mem_buf(pem, -1);
	while (ok && bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		ok = entries_add(out, nick, x);
		if (!ok)
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	return ok && bio;
}

/* Every certificate in DB with the nickname NSS files it under. */
static enum cl_status entries_list(const char *certutil, const char *db, struct nss_entries *out,
                                   struct cl_error *err)
{
	char *list = malloc(LIST_OUT), *pem = malloc(LIST_OUT), *line, *save = NULL;
	const char *argv[] = { certutil, "-L", "-d", db, NULL };
	enum cl_status st = CL_OK;
	int code = -1;

	memset(out, 0, sizeof(*out));
	if (!list || !pem)
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	else if (cl_tool_run(argv, list, LIST_OUT, &code, err) != CL_OK)
		st = CL_E_LOCAL;
	else if (code != 0)
		st = cl_error_set(err, CL_E_LOCAL,
		                  "listing the NSS database %s: certutil exited with status %d", db, code);
	for (line = st == CL_OK ? strtok_r(list, "\n", &save) : NULL; line && st == CL_OK;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *nick = listing_nickname(line);
		const char *show[] = { certutil, "-L", "-d", db, "-n", nick, "-a", NULL };
		bool seen = false;

		for (size_t i = 0; i < out->n && !seen; i++)
			seen = strcmp(out->items[i].nick, nick) == 0;
		if (seen || !nick[0] || nick[0] == '-' ||
		    cl_tool_run(show, pem, LIST_OUT, &code, NULL) != CL_OK || code != 0)
			continue; /* one nickname lists each of its certificates; header lines */
		if (!entries_add_pem(out, nick, pem))
			st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	free(list);
	free(pem);
	if (st != CL_OK)
		entries_free(out);
	return st;
}

static const struct nss_entry *entries_find(const struct nss_entries *l, const char *fp)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].fp, fp) == 0)
			return &l->items[i];
	return NULL;
}

static size_t entries_with_id(const struct nss_entries *l, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += strcmp(l->items[i].id, id) == 0;
	return n;
}

/* Put CERT back under NICK (certutil -A of a temporary PEM file: the certificate is public). */
static enum cl_status put_back(const char *certutil, const char *db, const char *nick, X509 *cert,
                               struct cl_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], file[PATH_MAX + 16];
	const char *argv[] = { certutil, "-A", "-d", db, "-n", nick, "-t", ",,", "-a", "-i", file, NULL };
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	enum cl_status st;

	snprintf(dir, sizeof(dir), "%s/certlink-nss-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!bio || !PEM_write_bio_X509(bio, cert) || (len = BIO_get_mem_data(bio, &data)) <= 0 ||
	    !mkdtemp(dir)) {
		BIO_free(bio);
		return cl_error_set(err, CL_E_LOCAL, "putting a certificate back into the NSS database");
	}
	snprintf(file, sizeof(file), "%s/cert.pem", dir);
	st = cl_fileio_write_new(file, data, (size_t)len, 0600, err);
	if (st == CL_OK)
		st = cl_tool_run_ok(argv, CL_N_("putting a certificate back into the NSS database"), err);
	unlink(file);
	rmdir(dir);
	BIO_free(bio);
	return st;
}

static bool key_listed(const char *certutil, const char *db, const char *id)
{
	const char *argv[] = { certutil, "-K", "-d", db, "-f", "/dev/null", NULL };
	char *out = malloc(LIST_OUT);
	int code = -1;
	bool found = out && cl_tool_run(argv, out, LIST_OUT, &code, NULL) == CL_OK && strstr(out, id);

	free(out);
	return found;
}

/* Take out every certificate with key ID ID (certutil -D picks one of them per call), then put back those
 * that are not TARGET. */
static enum cl_status delete_by_id(const char *certutil, const char *db, const char *id, const char *uri,
                                   const char *target, const struct nss_entries *before, struct cl_error *err)
{
	const char *del[] = { certutil, "-D", "-d", db, "-n", uri, NULL };
	struct nss_entries now = { 0 };
	enum cl_status st = CL_OK;

	for (int i = 0; i < DELETE_MAX && st == CL_OK; i++) {
		st = entries_list(certutil, db, &now, err);
		if (st != CL_OK || entries_with_id(&now, id) == 0)
			break;
		entries_free(&now);
		st = cl_tool_run_ok(del, CL_N_("removing from the NSS database"), err);
	}
	for (size_t i = 0; i < before->n && st == CL_OK; i++) {
		const struct nss_entry *e = &before->items[i];

		if (strcmp(e->id, id) == 0 && strcmp(e->fp, target) != 0 && !entries_find(&now, e->fp))
			st = put_back(certutil, db, e->nick, e->cert, err);
	}
	entries_free(&now);
	return st;
}

enum cl_status cl_nssdb_remove_cert(const char *db, const char *sha256, bool with_key, struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err), uri[16 + 3 * 20], id[41];
	struct nss_entries before = { 0 }, after = { 0 };
	const struct nss_entry *target;
	enum cl_status st;
	bool shared;

	if (!certutil)
		return CL_E_LOCAL;
	st = entries_list(certutil, db, &before, err);
	target = st == CL_OK ? entries_find(&before, sha256) : NULL;
	if (!target)
		goto out; /* already gone (or the database cannot be listed: the error says so) */
	if (!target->id[0]) {
		st = cl_error_set(
		    err, CL_E_LOCAL,
		    "certificate %.16s in the NSS database %s has a key of a type certlink cannot "
		    "remove by its ID",
		    sha256, db);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", target->id);
	snprintf(uri, sizeof(uri), "pkcs11:id=");
	for (size_t i = 0; i < 20; i++)
		snprintf(uri + strlen(uri), 4, "%%%.2s", id + 2 * i);
	shared = entries_with_id(&before, id) > 1;
	st = delete_by_id(certutil, db, id, uri, sha256, &before, err);
	if (st == CL_OK && with_key && !shared && key_listed(certutil, db, id)) {
		const char *del_key[] = { certutil, "-F", "-d", db, "-k", id, "-f", "/dev/null", NULL };

		st = cl_tool_run_ok(del_key, CL_N_("removing a key from the NSS database"), err);
	}
	if (st == CL_OK)
		st = entries_list(certutil, db, &after, err);
	if (st == CL_OK && entries_find(&after, sha256))
		st = cl_error_set(err, CL_E_LOCAL, "certificate %.16s is still in the NSS database %s",
		                  sha256, db);
	for (size_t i = 0; st == CL_OK && i < before.n; i++)
		if (strcmp(before.items[i].fp, sha256) != 0 && !entries_find(&after, before.items[i].fp))
			st = cl_error_set(
			    err, CL_E_LOCAL,
			    "removing certificate %.16s took certificate %.16s out of the NSS database %s",
			    sha256, before.items[i].fp, db);
	if (st == CL_OK && with_key && !shared && key_listed(certutil, db, id))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the key of certificate %.16s is still in the NSS database %s", sha256, db);
out:
	entries_free(&before);
	entries_free(&after);
	free(certutil);
	return st;
}

enum cl_status cl_nssdb_rename_cert(const char *db, const char *sha256, const char *from, const char *to,
                                    bool *renamed, struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	const char *argv[] = { certutil, "-d", db, "--rename", "-n", from, "--new-n", to, NULL };
	struct nss_entries now = { 0 };
	const struct nss_entry *e;
	size_t under = 0;
	enum cl_status st;

	*renamed = false;
	if (!certutil)
		return CL_E_LOCAL;
	st = entries_list(certutil, db, &now, err);
	for (size_t i = 0; st == CL_OK && i < now.n; i++)
		under += strcmp(now.items[i].nick, from) == 0;
	e = st == CL_OK ? entries_find(&now, sha256) : NULL;
	if (e && strcmp(e->nick, from) == 0 && under == 1 && strcmp(from, to) != 0) {
		st = cl_tool_run_ok(argv, CL_N_("renaming the certificate in the NSS database"), err);
		entries_free(&now);
		if (st == CL_OK)
			st = entries_list(certutil, db, &now, err);
		e = st == CL_OK ? entries_find(&now, sha256) : NULL;
		*renamed = e && strcmp(e->nick, to) == 0;
		if (st == CL_OK && !*renamed)
			st = cl_error_set(err, CL_E_LOCAL,
			                  "certificate %.16s is not called \"%s\" in the NSS database %s "
			                  "after certutil --rename",
			                  sha256, to, db);
	}
	entries_free(&now);
	free(certutil);
	return st;
}
