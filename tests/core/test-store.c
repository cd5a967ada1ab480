/* Tests of core/store.c with real files and a real temporary NSS database, checked the way a person would:
 * file modes with stat, key and bundle contents with OpenSSL, NSS contents with `certutil -L` and
 * `certutil -K` from libnss3-tools.
 *
 * The computer store's system trust store is never touched: CERTLINK_TRUST and
 * CERTLINK_UPDATE_CA_CERTIFICATES point at fake tools that log their arguments (proving the command lines
 * certlink builds), and CERTLINK_CA_CERTIFICATES_DIR at a directory of the test. The real system store is
 * exercised by tests/core/system-trust.sh, an opt-in run as root in a throwaway mount namespace. */
#include "check.h"
#include "fileio.h"
#include "nssdb.h"
#include "store.h"
#include "testpki.h"
#include "tmpdir.h"
#include "tool.h"

#include <dirent.h>
#include <openssl/pkcs12.h>
#include <sys/wait.h>

static EVP_PKEY *ca_key;
static X509 *ca_cert;
static char fp[65];
static unsigned char ca_fp[32];

static char *slurp(const char *path)
{
	char *buf = NULL;

	cl_fileio_read(path, 1 << 20, &buf, NULL, NULL);
	return buf;
}

static bool contains(const char *path, const char *needle)
{
	char *s = slurp(path);
	bool found = s && strstr(s, needle) != NULL;

	free(s);
	return found;
}

/* Run a tool of the test (certutil, openssl) and return its exit code; OUT gets its output. */
static int run(char *out, size_t outlen, const char *const *argv)
{
	struct cl_error err;
	int code = -1;

	if (cl_tool_run(argv, out, outlen, &code, &err) != CL_OK)
		fprintf(stderr, "%s\n", err.msg);
	return code;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

/* BASE/certs/SHA256-OF-CERT[/FILE] under the test directory: where the store puts a certificate. */
static const char *cert_file(const char *base, X509 *cert, const char *file)
{
	unsigned char md[32];
	unsigned int n = 32;
	char hex[65], name[PATH_MAX];

	X509_digest(cert, EVP_sha256(), md, &n);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(name, sizeof(name), "%s/certs/%s%s%s", base, hex, file ? "/" : "", file ? file : "");
	return tmpdir_path(name);
}

static void fake_tool(const char *name, const char *log, const char *exitfile, const char *extra)
{
	char script[4096];
	const char *path = tmpdir_path(name);

	snprintf(script, sizeof(script),
	         "#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\n%s\n"
	         "if [ -s '%s' ]; then echo 'p11-kit: no configured writable location to store anchors'; "
	         "exit $(cat '%s'); fi\nexit 0\n",
	         log, extra, exitfile, exitfile);
	tmpdir_write(path, script);
	chmod(path, 0755);
}

static void set_exit(const char *exitfile, const char *code)
{
	tmpdir_write(tmpdir_path(exitfile), code);
}

/* Does `certutil -L` list NICKNAME (with trust flags TRUST, when given)? */
static bool nss_lists(const char *nickname, const char *trust)
{
	static char db[PATH_MAX];
	const char *argv[] = { "/usr/bin/certutil", "-L", "-d", db, NULL };
	size_t n = strlen(nickname);
	char out[8192];

	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("nssdb"));
	if (run(out, sizeof(out), argv) != 0)
		return false;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		const char *flags = line + n;

		if (strncmp(line, nickname, n) != 0 || *flags != ' ')
			continue;
		flags += strspn(flags, " ");
		if (!trust || strncmp(flags, trust, strlen(trust)) == 0)
			return true;
	}
	return false;
}

static bool nss_has_key(const char *nickname)
{
	static char db[PATH_MAX];
	const char *argv[] = { "/usr/bin/certutil", "-K", "-d", db, "-f", "/dev/null", NULL };
	char out[8192];

	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("nssdb"));
	run(out, sizeof(out), argv);
	return strstr(out, nickname) != NULL;
}

/* Does the NSS database hold this very certificate (under whatever nickname)? */
static bool nss_holds(X509 *cert)
{
	char db[PATH_MAX + 8], nick[256];

	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("nssdb"));
	return cl_nssdb_nickname_of(db, cert, nick, sizeof(nick));
}

/* Does it hold the key of CERT (by the key ID NSS gives it)? */
static bool nss_has_key_of(X509 *cert)
{
	char id[41];

	return cl_nssdb_key_id(cert, id) && nss_has_key(id);
}

static const struct cl_location *find_kind(const struct cl_locations *l, enum cl_location_kind kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == kind)
			return &l->items[i];
	return NULL;
}

static void test_user_files(void)
{
	EVP_PKEY *key = testpki_key("ec"), *k2 = NULL;
	X509 *cert = testpki_leaf("alice", 0x4f1a22c9, key, ca_cert, ca_key), *c2 = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null(), *ca2 = NULL;
	struct cl_locations l = { 0 };
	struct cl_error err;
	char dir[PATH_MAX], *pw = NULL, out[4096];
	size_t pwlen = 0;
	PKCS12 *p12;
	BIO *bio;

	snprintf(dir, sizeof(dir), "%s", cert_file("data/certlink", cert, NULL));
	sk_X509_push(chain, ca_cert);
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, chain, "certlink alice", &l, &err), CL_OK);
	CHECK_INT_EQ(l.n, 6); /* no NSS database yet */
	CHECK(find_kind(&l, CL_LOC_NSS_CERT) == NULL);
	CHECK(l.n > 0 && l.items[0].kind == CL_LOC_DIRECTORY && strcmp(l.items[0].path, dir) == 0);
	CHECK_INT_EQ(tmpdir_mode(dir), 0700);
	CHECK_INT_EQ(tmpdir_mode(cert_file("data/certlink", cert, "key.pem")), 0600);
	CHECK_INT_EQ(tmpdir_mode(cert_file("data/certlink", cert, "bundle.p12")), 0600);
	CHECK_INT_EQ(tmpdir_mode(cert_file("data/certlink", cert, "bundle.p12.password")), 0600);
	CHECK_INT_EQ(tmpdir_mode(cert_file("data/certlink", cert, "cert.pem")), 0644);
	CHECK_INT_EQ(tmpdir_mode(cert_file("data/certlink", cert, "chain.pem")), 0644);
	/* PKCS#8, unencrypted, and the key that matches the certificate. */
	CHECK(contains(cert_file("data/certlink", cert, "key.pem"), "-----BEGIN PRIVATE KEY-----"));
	bio = BIO_new_file(cert_file("data/certlink", cert, "key.pem"), "r");
	k2 = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	CHECK(k2 && X509_check_private_key(cert, k2) == 1);
	EVP_PKEY_free(k2);
	bio = BIO_new_file(cert_file("data/certlink", cert, "cert.pem"), "r");
	c2 = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	CHECK(c2 && X509_cmp(c2, cert) == 0);
	X509_free(c2);
	CHECK(contains(cert_file("data/certlink", cert, "chain.pem"), "-----BEGIN CERTIFICATE-----"));

	/* The bundle opens with the recorded password and holds key, certificate and chain. */
	CHECK_INT_EQ(cl_store_pkcs12_password(&l, &pw, &pwlen, &err), CL_OK);
	CHECK_INT_EQ(pwlen, 24);
	CHECK(pw && strspn(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 24);
	bio = BIO_new_file(cert_file("data/certlink", cert, "bundle.p12"), "rb");
	p12 = bio ? d2i_PKCS12_bio(bio, NULL) : NULL;
	BIO_free(bio);
	k2 = NULL;
	c2 = NULL;
	CHECK(p12 && PKCS12_parse(p12, pw, &k2, &c2, &ca2) == 1);
	CHECK(k2 && c2 && X509_check_private_key(c2, k2) == 1 && X509_cmp(c2, cert) == 0);
	CHECK(ca2 && sk_X509_num(ca2) == 1 && X509_cmp(sk_X509_value(ca2, 0), ca_cert) == 0);
	CHECK(c2 && X509_alias_get0(c2, NULL) &&
	      strcmp((const char *)X509_alias_get0(c2, NULL), "certlink alice") == 0);
	EVP_PKEY_free(k2);
	X509_free(c2);
	sk_X509_pop_free(ca2, X509_free);
	PKCS12_free(p12);
	cl_fileio_free_secret(pw, pwlen);
	/* Strong defaults, as openssl itself reports them; the password is read from its file. */
	{
		char pass[PATH_MAX + 8];
		const char *argv[] = {
			"/usr/bin/openssl", "pkcs12", "-info",
			"-noout",           "-in",    cert_file("data/certlink", cert, "bundle.p12"),
			"-passin",          pass,     NULL
		};

		snprintf(pass, sizeof(pass), "file:%s",
		         cert_file("data/certlink", cert, "bundle.p12.password"));
		CHECK_INT_EQ(run(out, sizeof(out), argv), 0);
		CHECK(strstr(out, "AES-256-CBC") != NULL);
		CHECK(strstr(out, "PBKDF2") != NULL);
	}

	/* Remove: every file and the directory go; the certs directory stays. */
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
	CHECK(!cl_fileio_exists(dir));
	CHECK(cl_fileio_exists(tmpdir_path("data/certlink/certs")));
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 0);
	/* Again: already gone counts as removed. */
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
	cl_locations_clear(&l);
	sk_X509_free(chain);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void make_nssdb(void)
{
	static char db[PATH_MAX];
	const char *argv[] = { "/usr/bin/certutil", "-N", "-d", db, "--empty-password", NULL };
	char out[1024];

	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("nssdb"));
	mkdir(tmpdir_path("nssdb"), 0700);
	CHECK_INT_EQ(run(out, sizeof(out), argv), 0);
	CHECK(cl_fileio_exists(tmpdir_path("nssdb/cert9.db")));
}

static void test_user_nss(void)
{
	EVP_PKEY *key = testpki_key("rsa");
	X509 *cert = testpki_leaf("bob", 0x2a, key, ca_cert, ca_key);
	struct cl_locations l = { 0 }, t = { 0 }, t2 = { 0 };
	const struct cl_location *nss;
	struct cl_error err;

	make_nssdb();
	CHECK(!nss_lists("certlink bob 2a", NULL));
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "certlink bob 2a", &l, &err), CL_OK);
	if (l.n == 0)
		fprintf(stderr, "install: %s\n", err.msg);
	CHECK_INT_EQ(l.n, 6); /* directory, key, certificate, bundle, password, NSS; no chain */
	nss = find_kind(&l, CL_LOC_NSS_CERT);
	CHECK(nss && strncmp(nss->path, "sql:/", 5) == 0 && strcmp(nss->nickname, "certlink bob 2a") == 0);
	CHECK(nss_lists("certlink bob 2a", "u,u,u"));
	CHECK(nss_has_key("certlink bob 2a"));

	/* No consent, no anchor: refused before anything is written (core/anchor.h). */
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_USER, ca_cert, NULL, CL_ANCHOR_NONE, &t, &err),
	             CL_E_UNEXPECTED);
	CHECK_INT_EQ(t.n, 0);
	CHECK(!cl_fileio_exists(tmpdir_path("data/certlink/anchors")));
	{
		char name[64];

		snprintf(name, sizeof(name), "certlink CA %.16s", fp);
		CHECK(!nss_lists(name, NULL));
	}

	/* CA trust: certlink's anchors directory and the NSS database with C,, */
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_USER, ca_cert, NULL, CL_ANCHOR_PERSON, &t, &err), CL_OK);
	CHECK_INT_EQ(t.n, 2);
	CHECK(t.n == 2 && t.items[0].kind == CL_LOC_TRUST_FILE && t.items[1].kind == CL_LOC_NSS_CA);
	{
		char name[128];

		snprintf(name, sizeof(name), "data/certlink/anchors/%s.pem", fp);
		CHECK(t.n > 0 && strcmp(t.items[0].path, tmpdir_path(name)) == 0);
		CHECK_INT_EQ(tmpdir_mode(tmpdir_path(name)), 0644);
		snprintf(name, sizeof(name), "certlink CA %.16s", fp);
		CHECK(nss_lists(name, "C,,"));
		/* Trusting again is harmless and reports the same places. */
		CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_USER, ca_cert, NULL, CL_ANCHOR_PERSON, &t2, &err),
		             CL_OK);
		CHECK(t2.n == 2 && cl_location_equal(&t.items[0], &t2.items[0]) &&
		      cl_location_equal(&t.items[1], &t2.items[1]));
		CHECK_INT_EQ(cl_store_untrust_ca(&t, &err), CL_OK);
		CHECK(!nss_lists(name, NULL));
		CHECK(!cl_fileio_exists(t.items[0].path));
	}

	/* Remove takes key and certificate out of the database. */
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
	CHECK(!nss_lists("certlink bob 2a", NULL));
	CHECK(!nss_has_key("certlink bob 2a"));
	CHECK(!cl_fileio_exists(cert_file("data/certlink", cert, NULL)));
	cl_locations_clear(&l);
	cl_locations_clear(&t);
	cl_locations_clear(&t2);
	X509_free(cert);
	EVP_PKEY_free(key);
}

static void test_resume_and_rollback(void)
{
	EVP_PKEY *key = testpki_key("ec"), *other = testpki_key("ec");
	X509 *cert = testpki_leaf("carol", 0x77, key, ca_cert, ca_key);
	struct cl_locations l = { 0 }, l2 = { 0 };
	struct cl_error err;

	/* Installing the same certificate again (a resumed install) replaces it cleanly. */
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "certlink carol 77", &l, &err), CL_OK);
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "certlink carol 77", &l2, &err), CL_OK);
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 1); /* no .old or .tmp leftovers */
	CHECK_INT_EQ(count_entries(cert_file("data/certlink", cert, NULL)), 4);
	CHECK(nss_lists("certlink carol 77", "u,u,u"));
	CHECK_INT_EQ(cl_store_remove(&l2, &err), CL_OK);
	CHECK(!nss_lists("certlink carol 77", NULL));
	cl_locations_clear(&l);
	cl_locations_clear(&l2);

	/* An install killed part way left its temporary directory (with a key) and the earlier installation
	 * it was replacing; the next install of the same certificate removes both, and nothing of another
	 * one. */
	{
		char hex[65], path[PATH_MAX];
		const char *certs = tmpdir_path("data/certlink/certs"),
		           *dir = cert_file("data/certlink", cert, NULL);
		FILE *fh;

		snprintf(hex, sizeof(hex), "%s", dir + strlen(dir) - 64);
		for (size_t i = 0; i < 3; i++) {
			if (i < 2)
				snprintf(path, sizeof(path), "%s/.%.16s.%s", certs, hex,
				         i == 0 ? "tmp-ab12CD" : "old-0a0b0c0d0e0f");
			else
				snprintf(path, sizeof(path), "%s/.0123456789abcdef.tmp-XyZ123", certs);
			CHECK_INT_EQ(mkdir(path, 0700), 0);
			strncat(path, "/key.pem", sizeof(path) - strlen(path) - 1);
			fh = fopen(path, "w");
			if (fh)
				fclose(fh);
		}
		CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "certlink carol 77", &l, &err),
		             CL_OK);
		CHECK_INT_EQ(count_entries(certs),
		             1 + 1); /* the certificate and the other certificate's leftover */
		snprintf(path, sizeof(path), "%s/.0123456789abcdef.tmp-XyZ123/key.pem", certs);
		CHECK(access(path, F_OK) == 0);
		unlink(path);
		path[strlen(path) - strlen("/key.pem")] = '\0';
		rmdir(path);
		CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
		cl_locations_clear(&l);
	}

	/* A key that does not match: refused before anything is written. */
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, other, cert, NULL, NULL, &l, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "does not match") != NULL);
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 0);
	/* Unsafe nicknames. */
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "-d", &l, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "a\nb", &l, &err), CL_E_LOCAL);
	CHECK_INT_EQ(l.n, 0);

	/* The NSS import failing (the person's database has a password, which certlink never asks for):
	 * everything already written is taken back. */
	{
		static char locked[PATH_MAX + 8];
		const char *argv[] = { "/usr/bin/certutil",      "-N", "-d", locked, "-f",
			               tmpdir_path("locked.pw"), NULL };
		char out[1024];

		snprintf(locked, sizeof(locked), "sql:%s", tmpdir_path("locked-nssdb"));
		mkdir(tmpdir_path("locked-nssdb"), 0700);
		tmpdir_write(tmpdir_path("locked.pw"), "dbpass\n");
		CHECK_INT_EQ(run(out, sizeof(out), argv), 0);
		setenv("CERTLINK_NSSDB", tmpdir_path("locked-nssdb"), 1);
		CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, NULL, "certlink carol 77", &l, &err),
		             CL_E_LOCAL);
		CHECK(strstr(err.msg, "installing certificate 77: importing into the NSS database") != NULL);
		CHECK(strstr(err.msg, "is protected by a password") != NULL);
		CHECK_INT_EQ(l.n, 0);
		CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 0);
		setenv("CERTLINK_NSSDB", tmpdir_path("nssdb"), 1);
		CHECK(!nss_lists("certlink carol 77", NULL));
	}

	cl_locations_clear(&l);
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* Chain placement is not trust: the chain's CA reaches the NSS database through the bundle without trust
 * flags; made an anchor afterwards, it keeps its nickname, gets "C,," and loses it again on untrust. */
static void test_chain_is_not_trust(void)
{
	EVP_PKEY *key = testpki_key("ec");
	X509 *cert = testpki_leaf("carol", 0x77, key, ca_cert, ca_key);
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct cl_locations l = { 0 }, t = { 0 };
	const struct cl_location *nss_ca;
	struct cl_error err;

	/* the database test_user_nss() made */
	sk_X509_push(chain, ca_cert);
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, key, cert, chain, "certlink carol 77", &l, &err), CL_OK);
	CHECK(nss_lists("certlink Test CA", ",,"));
	CHECK(!nss_lists("certlink Test CA", "C,,"));
	CHECK(find_kind(&l, CL_LOC_NSS_CA) == NULL && find_kind(&l, CL_LOC_TRUST_FILE) == NULL);
	CHECK(find_kind(&l, CL_LOC_CHAIN) != NULL);

	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_USER, ca_cert, NULL, CL_ANCHOR_PERSON, &t, &err), CL_OK);
	nss_ca = find_kind(&t, CL_LOC_NSS_CA);
	CHECK(nss_ca && strcmp(nss_ca->nickname, "certlink Test CA") == 0);
	CHECK(nss_lists("certlink Test CA", "C,,"));
	CHECK(cl_anchor_in_locations(&t, ca_fp));
	CHECK(!cl_anchor_in_locations(&l, ca_fp));
	CHECK(cl_anchor_installed(CL_STORE_USER, ca_fp));
	CHECK_INT_EQ(cl_store_untrust_ca(&t, &err), CL_OK);
	CHECK(!nss_lists("certlink Test CA", "C,,"));
	CHECK(!cl_anchor_installed(CL_STORE_USER, ca_fp));
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
	cl_locations_clear(&l);
	cl_locations_clear(&t);
	sk_X509_free(chain);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Two CAs issued serial 4242 (to the same person): both install side by side, neither's files touch the
 * other's, and removing one leaves the other whole, in the files and in NSS. */
static void test_same_serial_two_cas(void)
{
	EVP_PKEY *ca2_key = testpki_key("ec"), *k1 = testpki_key("rsa"), *k2 = testpki_key("rsa"), *back;
	X509 *ca2 = testpki_ca("certlink Other CA", ca2_key);
	X509 *c1 = testpki_leaf("dave", 0x4242, k1, ca_cert, ca_key),
	     *c2 = testpki_leaf("dave", 0x4242, k2, ca2, ca2_key);
	struct cl_locations l1 = { 0 }, l2 = { 0 };
	struct cl_error err;
	char key1[PATH_MAX];
	BIO *bio;

	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, k1, c1, NULL, "certlink dave 4242 one", &l1, &err),
	             CL_OK);
	CHECK_INT_EQ(cl_store_install(CL_STORE_USER, k2, c2, NULL, "certlink dave 4242 two", &l2, &err),
	             CL_OK);
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 2);
	snprintf(key1, sizeof(key1), "%s", cert_file("data/certlink", c1, "key.pem"));
	bio = BIO_new_file(key1, "r");
	back = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	CHECK(back && EVP_PKEY_eq(back, k1) == 1); /* the first key is still the first key */
	EVP_PKEY_free(back);
	CHECK(nss_has_key("certlink dave 4242 one") || nss_has_key("certlink dave 4242 two"));

	/* NSS files both under the first one's nickname, each with its own key. */
	CHECK_STR_EQ(find_kind(&l2, CL_LOC_NSS_CERT)->nickname, "certlink dave 4242 one");
	CHECK(nss_holds(c1) && nss_holds(c2));
	CHECK(nss_has_key_of(c1) && nss_has_key_of(c2));
	/* The second one could not be recorded: undoing its whole install, its NSS entry included (the same
	 * nickname, another certificate), takes out exactly the second certificate and its key. */
	CHECK_INT_EQ(cl_store_remove(&l2, &err), CL_OK);
	CHECK(nss_lists("certlink dave 4242 one", "u,u,u"));
	CHECK(nss_holds(c1) && !nss_holds(c2));
	CHECK(nss_has_key_of(c1) && !nss_has_key_of(c2));
	CHECK(!cl_fileio_exists(cert_file("data/certlink", c2, NULL)));
	CHECK(cl_fileio_exists(key1) && cl_fileio_exists(cert_file("data/certlink", c1, "cert.pem")));
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 1);
	CHECK_INT_EQ(cl_store_remove(&l1, &err), CL_OK);
	CHECK_INT_EQ(count_entries(tmpdir_path("data/certlink/certs")), 0);
	CHECK(!nss_holds(c1) && !nss_has_key_of(c1));
	cl_locations_clear(&l1);
	cl_locations_clear(&l2);
	X509_free(c1);
	X509_free(c2);
	X509_free(ca2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(ca2_key);
}

static void test_computer(void)
{
	EVP_PKEY *key = testpki_key("ec");
	X509 *cert = testpki_leaf("pc01", 0x1234, key, ca_cert, ca_key);
	struct cl_locations l = { 0 }, t = { 0 };
	char log_trust[PATH_MAX], anchor[PATH_MAX], crt[PATH_MAX], line[PATH_MAX + 64];
	struct cl_error err;

	snprintf(log_trust, sizeof(log_trust), "%s", tmpdir_path("log-trust"));
	snprintf(anchor, sizeof(anchor), "%s/%s.pem", tmpdir_path("sys/anchors"), fp);
	snprintf(crt, sizeof(crt), "%s/certlink-%.16s.crt", tmpdir_path("cacerts"), fp);
	fake_tool("bin-trust", log_trust, tmpdir_path("trust-exit"), "");
	fake_tool("bin-update", tmpdir_path("log-update"), tmpdir_path("update-exit"),
	          "ls \"$CERTLINK_CA_CERTIFICATES_DIR\" >> \"$CERTLINK_CA_CERTIFICATES_DIR/../log-update\"");
	setenv("CERTLINK_TRUST", tmpdir_path("bin-trust"), 1);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", tmpdir_path("bin-update"), 1);
	setenv("CERTLINK_CA_CERTIFICATES_DIR", tmpdir_path("cacerts"), 1);

	/* Files only, never the NSS database (which exists). */
	CHECK_INT_EQ(cl_store_install(CL_STORE_COMPUTER, key, cert, NULL, NULL, &l, &err), CL_OK);
	CHECK_INT_EQ(l.n, 5);
	CHECK(find_kind(&l, CL_LOC_NSS_CERT) == NULL);
	CHECK(!nss_lists("certlink 1234", NULL));
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys")), 0755);
	CHECK_INT_EQ(tmpdir_mode(cert_file("sys", cert, NULL)), 0755);
	CHECK_INT_EQ(tmpdir_mode(cert_file("sys", cert, "key.pem")), 0600);
	CHECK_INT_EQ(tmpdir_mode(cert_file("sys", cert, "bundle.p12")), 0600);
	CHECK_INT_EQ(tmpdir_mode(cert_file("sys", cert, "cert.pem")), 0644);
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_OK);
	CHECK(!cl_fileio_exists(cert_file("sys", cert, NULL)));
	cl_locations_clear(&l);

	/* p11-kit accepts the anchor: `trust anchor --store FILE` with certlink's copy. */
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_COMPUTER, ca_cert, NULL, CL_ANCHOR_ADMINISTRATOR, &t, &err),
	             CL_OK);
	CHECK(t.n == 2 && t.items[1].kind == CL_LOC_P11KIT_ANCHOR && strcmp(t.items[1].path, anchor) == 0);
	snprintf(line, sizeof(line), "anchor --store %s\n", anchor);
	CHECK(contains(log_trust, line));
	CHECK(contains(anchor, "-----BEGIN CERTIFICATE-----"));
	CHECK_INT_EQ(cl_store_untrust_ca(&t, &err), CL_OK);
	snprintf(line, sizeof(line), "anchor --remove %s\n", anchor);
	CHECK(contains(log_trust, line));
	CHECK(!cl_fileio_exists(anchor));
	cl_locations_clear(&t);

	/* p11-kit has no writable location (Debian): the ca-certificates directory + update-ca-certificates.
	 */
	set_exit("trust-exit", "1");
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_COMPUTER, ca_cert, NULL, CL_ANCHOR_ADMINISTRATOR, &t, &err),
	             CL_OK);
	CHECK(t.n == 2 && t.items[1].kind == CL_LOC_CA_CERTIFICATES && strcmp(t.items[1].path, crt) == 0);
	CHECK_INT_EQ(tmpdir_mode(crt), 0644);
	CHECK(contains(crt, "-----BEGIN CERTIFICATE-----"));
	/* update-ca-certificates ran after the file was in place. */
	snprintf(line, sizeof(line), "certlink-%.16s.crt", fp);
	CHECK(contains(tmpdir_path("log-update"), line));
	CHECK_INT_EQ(cl_store_untrust_ca(&t, &err), CL_OK);
	CHECK(!cl_fileio_exists(crt));
	CHECK(!cl_fileio_exists(anchor));
	cl_locations_clear(&t);

	/* Both fail: a message naming both, and nothing left behind. */
	set_exit("update-exit", "2");
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_COMPUTER, ca_cert, NULL, CL_ANCHOR_ADMINISTRATOR, &t, &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "no configured writable location") != NULL);
	CHECK(strstr(err.msg, "updating the system trust store") != NULL);
	CHECK_INT_EQ(t.n, 0);
	CHECK(!cl_fileio_exists(crt));
	CHECK(!cl_fileio_exists(anchor));
	set_exit("update-exit", "");
	set_exit("trust-exit", "");

	/* Redirected store without redirected system trust: refused, so a test can never reach /etc. */
	unsetenv("CERTLINK_UPDATE_CA_CERTIFICATES");
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_COMPUTER, ca_cert, NULL, CL_ANCHOR_ADMINISTRATOR, &t, &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "set CERTLINK_UPDATE_CA_CERTIFICATES too") != NULL);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", tmpdir_path("bin-update"), 1);

	cl_locations_clear(&t);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* Not root and not redirected: the computer store is refused with a message saying what to do. */
static void test_not_allowed(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		EVP_PKEY *key = testpki_key("ec");
		X509 *cert = testpki_leaf("x", 5, key, ca_cert, ca_key);
		struct cl_locations l = { 0 };
		struct cl_error err;
		int bad = 0;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(90);
		unsetenv("CERTLINK_SYSTEM_DIR");
		bad |= cl_store_check_allowed(CL_STORE_COMPUTER, &err) != CL_E_LOCAL;
		bad |= strstr(err.msg, "administrator rights") == NULL;
		bad |= cl_store_check_allowed(CL_STORE_USER, &err) != CL_OK;
		bad |= cl_store_install(CL_STORE_COMPUTER, key, cert, NULL, NULL, &l, &err) != CL_E_LOCAL;
		bad |= cl_store_trust_ca(CL_STORE_COMPUTER, ca_cert, NULL, CL_ANCHOR_PERSON, &l, &err) !=
		       CL_E_LOCAL;
		bad |= l.n != 0;
		_exit(bad ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_INT_EQ(WEXITSTATUS(status), 0);
}

static void test_remove_errors(void)
{
	struct cl_locations l = { 0 };
	struct cl_error err;

	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("full/dir"), 0700, &err), CL_OK);
	tmpdir_write(tmpdir_path("full/dir/user-file"), "not ours");
	tmpdir_write(tmpdir_path("full/cert.pem"), "x");
	cl_locations_add(&l, CL_LOC_DIRECTORY, tmpdir_path("full/dir"), NULL, NULL);
	cl_locations_add(&l, CL_LOC_CERTIFICATE, tmpdir_path("full/cert.pem"), NULL, NULL);
	/* The directory is not empty: reported, but the rest is still removed. */
	CHECK_INT_EQ(cl_store_remove(&l, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "full/dir") != NULL);
	CHECK(!cl_fileio_exists(tmpdir_path("full/cert.pem")));
	CHECK(cl_fileio_exists(tmpdir_path("full/dir/user-file")));
	CHECK_INT_EQ(cl_store_pkcs12_password(&l, &(char *){ NULL }, NULL, &err), CL_E_LOCAL);
	cl_locations_clear(&l);
}

int main(void)
{
	tmpdir_make("store");
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	setenv("CERTLINK_NSSDB", tmpdir_path("nssdb"), 1);
	/* Even before test_computer sets them: no path of this test may reach the real trust store. */
	setenv("CERTLINK_TRUST", "/nonexistent/trust", 1);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", "/nonexistent/update-ca-certificates", 1);
	setenv("CERTLINK_CA_CERTIFICATES_DIR", tmpdir_path("cacerts"), 1);
	ca_key = testpki_key("ec");
	ca_cert = testpki_ca("certlink Test CA", ca_key);
	{
		unsigned char md[32];
		unsigned int n = 32;

		X509_digest(ca_cert, EVP_sha256(), md, &n);
		memcpy(ca_fp, md, 32);
		for (int i = 0; i < 32; i++)
			snprintf(fp + 2 * i, 3, "%02x", md[i]);
	}
	test_user_files();
	test_user_nss();
	test_chain_is_not_trust();
	test_resume_and_rollback();
	test_same_serial_two_cas();
	test_computer();
	test_not_allowed();
	test_remove_errors();
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	if (getenv("CERTLINK_TEST_KEEP"))
		printf("kept %s\n", tmpdir_path(""));
	else
		tmpdir_remove();
	return check_done();
}
