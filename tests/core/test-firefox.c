/* Tests of core/firefox.c against real profile databases (certutil/pk12util from libnss3-tools): an import
 * records the certificate and the chain's CA it placed, into a database made for a profile never started;
 * trust records the consented CA; removal takes out the certificate by itself, keeps a chain CA another
 * certificate with a key still needs (or that something trusts), turns a trusted CA that is still needed back
 * into a chain certificate, and treats a profile that is gone as done; a profile with a primary password or
 * an old-format database is refused with a message and keeps nothing. */
#include "check.h"
#include "fileio.h"
#include "firefox.h"
#include "testpki.h"
#include "tmpdir.h"
#include "tool.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

static EVP_PKEY *cakey, *k1, *k2;
static X509 *ca, *c1, *c2;

static void profile_in(struct cl_firefox_profile *p, const char *name)
{
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path(name), 0700, NULL), CL_OK);
	CHECK(realpath(tmpdir_path(name), p->dir) != NULL);
	snprintf(p->db, sizeof(p->db), "sql:%s", p->dir);
}

static void write_p12(const char *name, EVP_PKEY *key, X509 *cert, const char *friendly)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS12 *p12;
	BIO *bio;
	char path[PATH_MAX];

	sk_X509_push(chain, ca);
	p12 = PKCS12_create("bundle pw", friendly, key, cert, chain, 0, 0, 0, 0, 0);
	snprintf(path, sizeof(path), "%s.p12", tmpdir_path(name));
	bio = BIO_new_file(path, "wb");
	if (!p12 || !bio || i2d_PKCS12_bio(bio, p12) != 1)
		abort();
	BIO_free(bio);
	PKCS12_free(p12);
	sk_X509_free(chain);
	snprintf(path, sizeof(path), "%s.pw", tmpdir_path(name));
	tmpdir_write(path, "bundle pw\n");
}

static const char *p12(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s.p12", tmpdir_path(name));
	return path;
}

static const char *pw(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s.pw", tmpdir_path(name));
	return path;
}

/* certutil -L of PROFILE into OUT. */
static void listing(const struct cl_firefox_profile *p, char *out, size_t size)
{
	const char *argv[] = { "/usr/bin/certutil", "-L", "-d", p->db, NULL };
	int code = -1;

	out[0] = '\0';
	cl_tool_run(argv, out, size, &code, NULL);
}

/* Is there a line in LIST (certutil -L) for NICK whose trust attributes are TRUST? certutil pads the
 * nickname column and the trust column with spaces. */
static bool line_with(const char *list, const char *nick, const char *trust)
{
	size_t nlen = strlen(nick), tlen = strlen(trust);

	for (const char *line = list; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		const char *rest = line + nlen, *end = line + strcspn(line, "\n");

		if (strncmp(line, nick, nlen) != 0 || rest >= end || *rest != ' ')
			continue;
		while (rest < end && *rest == ' ')
			rest++;
		while (end > rest && (end[-1] == ' ' || end[-1] == '\r'))
			end--;
		if ((size_t)(end - rest) == tlen && strncmp(rest, trust, tlen) == 0)
			return true;
	}
	return false;
}

static const struct cl_location *find(const struct cl_locations *l, enum cl_location_kind kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == kind)
			return &l->items[i];
	return NULL;
}

static void sha256(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	X509_digest(x, EVP_sha256(), md, &len);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_import_and_remove(void)
{
	struct cl_firefox_profile p;
	struct cl_locations one = { NULL, 0 }, two = { NULL, 0 };
	const struct cl_location *chain;
	char list[8192], fp1[65], fp2[65];
	struct cl_error err;

	sha256(c1, fp1);
	sha256(c2, fp2);
	profile_in(&p, "fresh.default");
	/* never started: no database yet, one is made */
	CHECK_INT_EQ(cl_firefox_import(&p, p12("one"), pw("one"), c1, "certlink ff 1", &one, &err), CL_OK);
	CHECK(cl_fileio_exists(tmpdir_path("fresh.default/cert9.db")));
	CHECK(cl_fileio_exists(tmpdir_path("fresh.default/key4.db")));
	listing(&p, list, sizeof(list));
	CHECK(line_with(list, "certlink ff 1", "u,u,u"));
	/* the chain's CA came along without trust, and is recorded before the certificate (removed after it)
	 */
	CHECK_INT_EQ(one.n, 2);
	CHECK(one.n == 2 && one.items[0].kind == CL_LOC_FIREFOX_CHAIN &&
	      one.items[1].kind == CL_LOC_FIREFOX_CERT);
	chain = find(&one, CL_LOC_FIREFOX_CHAIN);
	CHECK(chain && line_with(list, chain->nickname, ",,"));
	CHECK(cl_firefox_has(&one, CL_LOC_FIREFOX_CERT, &p));

	/* a second certificate of the same subject: NSS files it under the first one's nickname; the CA was
	 * already there but issues it, so it is recorded for it too */
	CHECK_INT_EQ(cl_firefox_import(&p, p12("two"), pw("two"), c2, "certlink ff 2", &two, &err), CL_OK);
	CHECK(find(&two, CL_LOC_FIREFOX_CERT) &&
	      strcmp(find(&two, CL_LOC_FIREFOX_CERT)->nickname, "certlink ff 1") == 0);
	CHECK(find(&two, CL_LOC_FIREFOX_CHAIN) &&
	      strcmp(find(&two, CL_LOC_FIREFOX_CHAIN)->nickname, chain->nickname) == 0);

	/* remove the first: it alone goes; the CA stays, the second still needs it */
	CHECK_INT_EQ(cl_firefox_remove(&one.items[1], fp1, &err), CL_OK);
	CHECK_INT_EQ(cl_firefox_remove(&one.items[0], NULL, &err), CL_OK);
	listing(&p, list, sizeof(list));
	CHECK(line_with(list, "certlink ff 1", "u,u,u")); /* the second, under the shared nickname */
	CHECK(line_with(list, chain->nickname, ",,"));
	/* without its fingerprint a certificate entry cannot be told from the others: refused, nothing goes
	 */
	CHECK_INT_EQ(cl_firefox_remove(&two.items[two.n - 1], NULL, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "its certificate is unknown") != NULL);
	CHECK_INT_EQ(cl_firefox_remove(&two.items[two.n - 1], fp2, &err), CL_OK);
	CHECK_INT_EQ(cl_firefox_remove(find(&two, CL_LOC_FIREFOX_CHAIN), NULL, &err), CL_OK);
	listing(&p, list, sizeof(list));
	CHECK(strstr(list, "certlink ff 1") == NULL);
	CHECK(strstr(list, chain->nickname) == NULL); /* nothing needs it now */
	/* already gone: fine */
	CHECK_INT_EQ(cl_firefox_remove(&two.items[two.n - 1], fp2, &err), CL_OK);
	cl_locations_clear(&one);
	cl_locations_clear(&two);
}

static void test_trust(void)
{
	struct cl_firefox_profile p;
	struct cl_locations locs = { NULL, 0 }, cert = { NULL, 0 };
	char list[8192], fp1[65];
	struct cl_error err;
	bool created = false;
	BIO *bio = BIO_new_file(tmpdir_path("ca.pem"), "w");

	PEM_write_bio_X509(bio, ca);
	BIO_free(bio);
	sha256(c1, fp1);
	profile_in(&p, "trusting.default");
	CHECK_INT_EQ(cl_firefox_trust(&p, ca, tmpdir_path("ca.pem"), NULL, &locs, &created, &err), CL_OK);
	CHECK(created);
	CHECK(locs.n == 1 && locs.items[0].kind == CL_LOC_FIREFOX_CA &&
	      strncmp(locs.items[0].nickname, "certlink CA ", 12) == 0);
	listing(&p, list, sizeof(list));
	CHECK(locs.n == 1 && line_with(list, locs.items[0].nickname, "C,,"));
	/* the consented CA is there first; the import records it as the certificate's chain too */
	CHECK_INT_EQ(cl_firefox_import(&p, p12("one"), pw("one"), c1, "certlink ff 1", &cert, &err), CL_OK);
	CHECK(find(&cert, CL_LOC_FIREFOX_CHAIN) != NULL);
	/* trusted: the chain entry does not take it away */
	CHECK_INT_EQ(cl_firefox_remove(find(&cert, CL_LOC_FIREFOX_CHAIN), NULL, &err), CL_OK);
	listing(&p, list, sizeof(list));
	CHECK(line_with(list, locs.items[0].nickname, "C,,"));
	/* the trust goes while the certificate needs the CA: it stays for the chain, without trust */
	CHECK_INT_EQ(cl_firefox_remove(&locs.items[0], NULL, &err), CL_OK);
	listing(&p, list, sizeof(list));
	CHECK(line_with(list, locs.items[0].nickname, ",,"));
	/* and goes with the last certificate that needs it */
	CHECK_INT_EQ(cl_firefox_remove(find(&cert, CL_LOC_FIREFOX_CERT), fp1, &err), CL_OK);
	CHECK_INT_EQ(cl_firefox_remove(find(&cert, CL_LOC_FIREFOX_CHAIN), NULL, &err), CL_OK);
	listing(&p, list, sizeof(list));
	CHECK(strstr(list, "certlink") == NULL);
	cl_locations_clear(&locs);
	cl_locations_clear(&cert);
}

static void test_left_out(void)
{
	struct cl_firefox_profile locked, old, gone;
	struct cl_locations locs = { NULL, 0 };
	const char *argv[] = { "/usr/bin/certutil", "-N", "-d", NULL, "-f", NULL, NULL };
	char list[8192];
	struct cl_error err;
	int code = -1;

	/* a primary password: pk12util cannot import without it, and nothing stays */
	profile_in(&locked, "locked.default");
	tmpdir_write(tmpdir_path("primary.pw"), "the person's own\n");
	argv[3] = locked.db;
	argv[5] = tmpdir_path("primary.pw");
	cl_tool_run(argv, NULL, 0, &code, NULL);
	CHECK_INT_EQ(code, 0);
	CHECK_INT_EQ(cl_firefox_import(&locked, p12("one"), pw("one"), c1, "certlink ff 1", &locs, &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(locs.n, 0);
	listing(&locked, list, sizeof(list));
	CHECK(strstr(list, "certlink") == NULL && strstr(list, "CA") == NULL);

	/* the old dbm format: left for Firefox to convert */
	profile_in(&old, "old.default");
	tmpdir_write(tmpdir_path("old.default/cert8.db"), "");
	CHECK_INT_EQ(cl_firefox_import(&old, p12("one"), pw("one"), c1, "certlink ff 1", &locs, &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "old format") != NULL);
	CHECK(!cl_fileio_exists(tmpdir_path("old.default/cert9.db")));
	CHECK_INT_EQ(locs.n, 0);

	/* a profile that is gone took its entries with it */
	profile_in(&gone, "gone.default");
	CHECK_INT_EQ(cl_locations_add(&locs, CL_LOC_FIREFOX_CERT, gone.db, "certlink ff 1", &err), CL_OK);
	rmdir(gone.dir);
	CHECK_INT_EQ(cl_firefox_remove(&locs.items[0], "00", &err), CL_OK);
	cl_locations_clear(&locs);
}

/* import_all finds the profiles of $HOME and takes the bundle from the certificate's own locations */
static void test_all_profiles(void)
{
	struct cl_locations have = { NULL, 0 };
	struct cl_error err;
	char ini[PATH_MAX];

	setenv("HOME", tmpdir_path("home"), 1);
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_STATE_HOME", tmpdir_path("home/.local/state"), 1);
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("home/.mozilla/firefox/a.default"), 0700, NULL), CL_OK);
	CHECK_INT_EQ(cl_fileio_mkdirs(tmpdir_path("home/.mozilla/firefox/b.default"), 0700, NULL), CL_OK);
	snprintf(ini, sizeof(ini), "%s", tmpdir_path("home/.mozilla/firefox/profiles.ini"));
	tmpdir_write(ini,
	             "[Profile0]\nIsRelative=1\nPath=a.default\n[Profile1]\nIsRelative=1\nPath=b.default\n");
	CHECK_INT_EQ(cl_firefox_import_all(&have, c1, "certlink ff 1", &have), 0); /* no bundle among them */
	CHECK_INT_EQ(cl_locations_add(&have, CL_LOC_PKCS12, p12("one"), NULL, &err), CL_OK);
	CHECK_INT_EQ(cl_locations_add(&have, CL_LOC_PKCS12_PASSWORD, pw("one"), NULL, &err), CL_OK);
	CHECK_INT_EQ(cl_firefox_import_all(&have, c1, "certlink ff 1", &have), 2);
	CHECK_INT_EQ(have.n, 2 + 2 * 2);
	/* again: every profile has it already */
	CHECK_INT_EQ(cl_firefox_import_all(&have, c1, "certlink ff 1", &have), 0);
	cl_locations_clear(&have);
}

int main(void)
{
	tmpdir_make("firefox-nss");
	cakey = testpki_key("ec");
	k1 = testpki_key("rsa");
	k2 = testpki_key("ec");
	ca = testpki_ca("firefox test CA", cakey);
	c1 = testpki_leaf("gwen", 31, k1, ca, cakey);
	c2 = testpki_leaf("gwen", 32, k2, ca, cakey);
	write_p12("one", k1, c1, "certlink ff 1");
	write_p12("two", k2, c2, "certlink ff 2");
	test_import_and_remove();
	test_trust();
	test_left_out();
	test_all_profiles();
	X509_free(c1);
	X509_free(c2);
	X509_free(ca);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(cakey);
	tmpdir_remove();
	return check_done();
}
