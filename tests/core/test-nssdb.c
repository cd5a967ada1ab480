/* Tests of core/nssdb.c against real temporary NSS databases (certutil/pk12util from libnss3-tools):
 * finding the database, importing a bundle, trusting a CA, idempotent removal, and a password-protected
 * database failing with the tool's message instead of prompting; removing exactly one certificate (and its
 * key, unless another certificate uses it) when NSS files several of one subject under one nickname. */
#include "check.h"
#include "fileio.h"
#include "nssdb.h"
#include "testpki.h"
#include "tmpdir.h"
#include "tool.h"

#include <openssl/pkcs12.h>

static char db[PATH_MAX], lockeddb[PATH_MAX];

static int certutil_new(const char *dir, const char *pwfile)
{
	char spec[PATH_MAX + 8];
	const char *empty[] = { "/usr/bin/certutil", "-N", "-d", spec, "--empty-password", NULL };
	const char *locked[] = { "/usr/bin/certutil", "-N", "-d", spec, "-f", pwfile, NULL };
	int code = -1;

	snprintf(spec, sizeof(spec), "sql:%s", dir);
	mkdir(dir, 0700);
	cl_tool_run(pwfile ? locked : empty, NULL, 0, &code, NULL);
	return code;
}

static void write_p12(const char *path, const char *pw, EVP_PKEY *key, X509 *cert, const char *name)
{
	PKCS12 *p12 = PKCS12_create(pw, name, key, cert, NULL, 0, 0, 0, 0, 0);
	BIO *bio = BIO_new_file(path, "wb");

	if (!p12 || !bio || i2d_PKCS12_bio(bio, p12) != 1)
		abort();
	BIO_free(bio);
	PKCS12_free(p12);
}

static void test_find(void)
{
	char *found;

	setenv("CERTLINK_NSSDB", tmpdir_path("nssdb"), 1);
	CHECK(cl_nssdb_find() == NULL); /* no database yet */
	CHECK_INT_EQ(certutil_new(tmpdir_path("nssdb"), NULL), 0);
	found = cl_nssdb_find();
	CHECK_STR_EQ(found, db);
	free(found);
}

static void test_import_and_remove(void)
{
	EVP_PKEY *cakey = testpki_key("ec"), *key = testpki_key("ec");
	X509 *ca = testpki_ca("nssdb test CA", cakey), *cert = testpki_leaf("dave", 9, key, ca, cakey);
	struct cl_error err;
	BIO *bio;

	write_p12(tmpdir_path("b.p12"), "Secret2", key, cert, "certlink dave 9");
	tmpdir_write(tmpdir_path("b.pw"), "Secret2\n");
	CHECK(!cl_nssdb_has(db, "certlink dave 9"));
	CHECK_INT_EQ(
	    cl_nssdb_import_pkcs12(db, tmpdir_path("b.p12"), tmpdir_path("b.pw"), "certlink dave 9", &err),
	    CL_OK);
	CHECK(cl_nssdb_has(db, "certlink dave 9"));
	/* Again: harmless. */
	CHECK_INT_EQ(
	    cl_nssdb_import_pkcs12(db, tmpdir_path("b.p12"), tmpdir_path("b.pw"), "certlink dave 9", &err),
	    CL_OK);
	/* A wrong bundle password: pk12util's message, nothing imported under the other name. */
	tmpdir_write(tmpdir_path("wrong.pw"), "nope\n");
	CHECK_INT_EQ(cl_nssdb_import_pkcs12(db, tmpdir_path("b.p12"), tmpdir_path("wrong.pw"), "x", &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "importing into the NSS database") != NULL);
	/* The friendly name must be what the caller expects. */
	CHECK_INT_EQ(
	    cl_nssdb_import_pkcs12(db, tmpdir_path("b.p12"), tmpdir_path("b.pw"), "another name", &err),
	    CL_E_LOCAL);
	CHECK(strstr(err.msg, "is not there after pk12util") != NULL);

	bio = BIO_new_file(tmpdir_path("ca.pem"), "w");
	PEM_write_bio_X509(bio, ca);
	BIO_free(bio);
	CHECK_INT_EQ(cl_nssdb_add_ca(db, tmpdir_path("ca.pem"), "certlink CA test", &err), CL_OK);
	CHECK(cl_nssdb_has(db, "certlink CA test"));

	CHECK_INT_EQ(cl_nssdb_remove(db, "certlink dave 9", true, &err), CL_OK);
	CHECK(!cl_nssdb_has(db, "certlink dave 9"));
	CHECK_INT_EQ(cl_nssdb_remove(db, "certlink dave 9", true, &err), CL_OK); /* already gone */
	CHECK_INT_EQ(cl_nssdb_remove(db, "certlink CA test", false, &err), CL_OK);
	CHECK(!cl_nssdb_has(db, "certlink CA test"));

	/* A password-protected database: a clear failure, no prompt (stdin is /dev/null). */
	tmpdir_write(tmpdir_path("db.pw"), "dbpass\n");
	CHECK_INT_EQ(certutil_new(tmpdir_path("locked"), tmpdir_path("db.pw")), 0);
	CHECK_INT_EQ(cl_nssdb_import_pkcs12(lockeddb, tmpdir_path("b.p12"), tmpdir_path("b.pw"),
	                                    "certlink dave 9", &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "exited with status") != NULL);
	CHECK(!cl_nssdb_has(lockeddb, "certlink dave 9"));
	CHECK(!cl_nssdb_has("sql:/nonexistent/db", "certlink dave 9"));

	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
}

/* NSS files certificates of one subject under one nickname: the second import lands under the first's
 * nickname, the _cert import reports that, and removal takes every certificate under it. */
static void test_same_subject(void)
{
	EVP_PKEY *cakey = testpki_key("ec"), *k1 = testpki_key("ec"), *k2 = testpki_key("ec");
	X509 *ca = testpki_ca("nssdb test CA 2", cakey), *c1 = testpki_leaf("erin", 21, k1, ca, cakey),
	     *c2 = testpki_leaf("erin", 22, k2, ca, cakey);
	char actual[256];
	struct cl_error err;

	write_p12(tmpdir_path("e1.p12"), "pw1", k1, c1, "certlink erin 21");
	write_p12(tmpdir_path("e2.p12"), "pw2", k2, c2, "certlink erin 22");
	tmpdir_write(tmpdir_path("e1.pw"), "pw1\n");
	tmpdir_write(tmpdir_path("e2.pw"), "pw2\n");
	CHECK_INT_EQ(cl_nssdb_import_pkcs12_cert(db, tmpdir_path("e1.p12"), tmpdir_path("e1.pw"),
	                                         "certlink erin 21", c1, actual, sizeof(actual), &err),
	             CL_OK);
	CHECK_STR_EQ(actual, "certlink erin 21");
	CHECK_INT_EQ(cl_nssdb_import_pkcs12_cert(db, tmpdir_path("e2.p12"), tmpdir_path("e2.pw"),
	                                         "certlink erin 22", c2, actual, sizeof(actual), &err),
	             CL_OK);
	CHECK_STR_EQ(actual, "certlink erin 21");
	CHECK(!cl_nssdb_has(db, "certlink erin 22"));
	CHECK(cl_nssdb_nickname_of(db, c2, actual, sizeof(actual)));
	CHECK(!cl_nssdb_nickname_of(db, ca, actual, sizeof(actual)));
	/* The strict import still insists on the friendly name. */
	CHECK_INT_EQ(
	    cl_nssdb_import_pkcs12(db, tmpdir_path("e2.p12"), tmpdir_path("e2.pw"), "certlink erin 22", &err),
	    CL_E_LOCAL);
	CHECK_INT_EQ(cl_nssdb_remove(db, "certlink erin 21", true, &err), CL_OK);
	CHECK(!cl_nssdb_nickname_of(db, c1, actual, sizeof(actual)));
	CHECK(!cl_nssdb_nickname_of(db, c2, actual, sizeof(actual)));

	X509_free(c1);
	X509_free(c2);
	X509_free(ca);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(cakey);
}

/* What `certutil -K` lists (key IDs and nicknames). */
static const char *keys_listed(void)
{
	static char out[16384];
	const char *argv[] = { "/usr/bin/certutil", "-K", "-d", db, "-f", "/dev/null", NULL };
	int code = -1;

	out[0] = '\0';
	cl_tool_run(argv, out, sizeof(out), &code, NULL);
	return out;
}

static void sha256_hex(X509 *cert, char out[65])
{
	unsigned char md[32];

	X509_digest(cert, EVP_sha256(), md, NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void import(const char *name, EVP_PKEY *key, X509 *cert, char *actual, size_t size)
{
	struct cl_error err;
	char p12[PATH_MAX], pw[PATH_MAX + 4];

	snprintf(p12, sizeof(p12), "%s", tmpdir_path(name));
	snprintf(pw, sizeof(pw), "%s.pw", p12);
	write_p12(p12, "pw", key, cert, name);
	tmpdir_write(pw, "pw\n");
	CHECK_INT_EQ(cl_nssdb_import_pkcs12_cert(db, p12, pw, name, cert, actual, size, &err), CL_OK);
}

/* The key ID certlink computes is the one NSS gives the key (certutil -K), for RSA and EC keys. */
static void test_key_id(void)
{
	EVP_PKEY *cakey = testpki_key("ec"), *rsa = testpki_key("rsa"), *ec = testpki_key("ec");
	X509 *ca = testpki_ca("nssdb test CA 3", cakey), *c1 = testpki_leaf("gus", 31, rsa, ca, cakey),
	     *c2 = testpki_leaf("hal", 32, ec, ca, cakey);
	char id1[41], id2[41], actual[256], fp1[65], fp2[65];
	struct cl_error err;

	CHECK(cl_nssdb_key_id(c1, id1) && cl_nssdb_key_id(c2, id2));
	CHECK(strcmp(id1, id2) != 0);
	CHECK(!strstr(keys_listed(), id1));
	import("certlink gus 31", rsa, c1, actual, sizeof(actual));
	import("certlink hal 32", ec, c2, actual, sizeof(actual));
	CHECK(strstr(keys_listed(), id1) != NULL);
	CHECK(strstr(keys_listed(), id2) != NULL);
	sha256_hex(c1, fp1);
	sha256_hex(c2, fp2);
	CHECK_INT_EQ(cl_nssdb_remove_cert(db, fp1, true, &err), CL_OK);
	CHECK_INT_EQ(cl_nssdb_remove_cert(db, fp2, true, &err), CL_OK);
	CHECK(!strstr(keys_listed(), "gus 31") && !strstr(keys_listed(), "hal 32"));
	X509_free(c1);
	X509_free(c2);
	X509_free(ca);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(cakey);
}

/* Two certificates of one subject share a nickname; removing one by its fingerprint takes exactly that
 * certificate and its key, in either order, and never the other. */
static void test_remove_one_of_a_subject(void)
{
	EVP_PKEY *cakey = testpki_key("ec"), *k1 = testpki_key("rsa"), *k2 = testpki_key("rsa");
	X509 *ca = testpki_ca("nssdb test CA 4", cakey), *c1 = testpki_leaf("ivy", 41, k1, ca, cakey),
	     *c2 = testpki_leaf("ivy", 42, k2, ca, cakey);
	char id1[41], id2[41], fp1[65], fp2[65], nick1[256], nick2[256], where[256];
	struct cl_error err;

	CHECK(cl_nssdb_key_id(c1, id1) && cl_nssdb_key_id(c2, id2));
	sha256_hex(c1, fp1);
	sha256_hex(c2, fp2);
	for (int order = 0; order < 2; order++) {
		import("certlink ivy 41", k1, c1, nick1, sizeof(nick1));
		import("certlink ivy 42", k2, c2, nick2, sizeof(nick2));
		CHECK_STR_EQ(nick2, nick1); /* NSS: one subject, one nickname */
		CHECK(strstr(keys_listed(), id1) && strstr(keys_listed(), id2));
		CHECK_INT_EQ(cl_nssdb_remove_cert(db, order ? fp2 : fp1, true, &err), CL_OK);
		CHECK(cl_nssdb_nickname_of(db, order ? c1 : c2, where, sizeof(where)));
		CHECK(!cl_nssdb_nickname_of(db, order ? c2 : c1, where, sizeof(where)));
		CHECK(strstr(keys_listed(), order ? id1 : id2) != NULL);
		CHECK(strstr(keys_listed(), order ? id2 : id1) == NULL);
		/* already gone: nothing to do, nothing else touched */
		CHECK_INT_EQ(cl_nssdb_remove_cert(db, order ? fp2 : fp1, true, &err), CL_OK);
		CHECK(cl_nssdb_nickname_of(db, order ? c1 : c2, where, sizeof(where)));
		CHECK_INT_EQ(cl_nssdb_remove_cert(db, order ? fp1 : fp2, true, &err), CL_OK);
		CHECK(!cl_nssdb_nickname_of(db, c1, where, sizeof(where)));
		CHECK(!cl_nssdb_nickname_of(db, c2, where, sizeof(where)));
		CHECK(!strstr(keys_listed(), id1) && !strstr(keys_listed(), id2));
	}
	X509_free(c1);
	X509_free(c2);
	X509_free(ca);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(cakey);
}

/* A renewal that kept its key: two certificates of one subject with one key (one key ID). Removing the old
 * one leaves the new one and the key; removing the last one takes the key. */
static void test_remove_shared_key(void)
{
	EVP_PKEY *cakey = testpki_key("ec"), *k = testpki_key("ec");
	X509 *ca = testpki_ca("nssdb test CA 5", cakey), *old = testpki_leaf("jo", 51, k, ca, cakey),
	     *renewed = testpki_leaf("jo", 52, k, ca, cakey);
	char id[41], fp_old[65], fp_new[65], nick[256], where[256];
	struct cl_error err;

	CHECK(cl_nssdb_key_id(old, id));
	sha256_hex(old, fp_old);
	sha256_hex(renewed, fp_new);
	import("certlink jo 51", k, old, nick, sizeof(nick));
	import("certlink jo 52", k, renewed, nick, sizeof(nick));
	CHECK(cl_nssdb_nickname_of(db, old, where, sizeof(where)));
	CHECK(cl_nssdb_nickname_of(db, renewed, where, sizeof(where)));
	CHECK_INT_EQ(cl_nssdb_remove_cert(db, fp_old, true, &err), CL_OK);
	CHECK(!cl_nssdb_nickname_of(db, old, where, sizeof(where)));
	CHECK(cl_nssdb_nickname_of(db, renewed, where, sizeof(where)));
	CHECK(strstr(keys_listed(), id) != NULL); /* the renewed certificate still has its key */
	CHECK_INT_EQ(cl_nssdb_remove_cert(db, fp_new, true, &err), CL_OK);
	CHECK(!cl_nssdb_nickname_of(db, renewed, where, sizeof(where)));
	CHECK(strstr(keys_listed(), id) == NULL);
	X509_free(old);
	X509_free(renewed);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cakey);
}

int main(void)
{
	tmpdir_make("nssdb");
	snprintf(db, sizeof(db), "sql:%s", tmpdir_path("nssdb"));
	snprintf(lockeddb, sizeof(lockeddb), "sql:%s", tmpdir_path("locked"));
	test_find();
	test_import_and_remove();
	test_same_subject();
	test_key_id();
	test_remove_one_of_a_subject();
	test_remove_shared_key();
	tmpdir_remove();
	return check_done();
}
