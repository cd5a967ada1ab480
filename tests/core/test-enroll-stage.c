/* Unit tests of core/enroll-stage.c: what the privileged helper installs for an unprivileged person.
 *
 * The computer store is redirected (CERTLINK_SYSTEM_DIR) and its system trust tools are stand-ins, so the
 * real /var/lib and /etc are never touched. Checks that a good staging installs and records, and that every
 * staged input that could make root install something else is refused with nothing written.
 */
#include "check.h"
#include "testpki.h"
#include "tmpdir.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dirent.h>

#include "anchor.h"
#include "enroll.h"
#include "fileio.h"
#include "records.h"

static EVP_PKEY *ca_key;
static X509 *ca_cert;

/* The BIO's bytes as a C string (BIO memory is not NUL-terminated). */
static char *bio_string(BIO *b)
{
	char *data, *out;
	long len = BIO_get_mem_data(b, &data);

	out = malloc((size_t)len + 1);
	if (!out)
		abort();
	memcpy(out, data, (size_t)len);
	out[len] = '\0';
	return out;
}

static char *pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out;

	PEM_write_bio_X509(b, x);
	out = bio_string(b);
	BIO_free(b);
	return out;
}

static char *pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out;

	PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	out = bio_string(b);
	BIO_free(b);
	return out;
}

static const char meta[] =
    "{\"host\":\"eps.example.com\",\"port\":8443,\"user\":\"build01\",\"server_id\":\"a1\","
    "\"service_name\":\"Corp\",\"ca_sha256\":\"\",\"renewal_of\":\"\"}";

struct staging {
	char *key, *cert, *chain, *trust;
	struct cl_staged s;
};

static void stage(struct staging *g, EVP_PKEY *key, X509 *cert, X509 *chain, X509 *trust)
{
	memset(g, 0, sizeof(*g));
	g->key = pem_key(key);
	g->cert = pem_cert(cert);
	g->chain = chain ? pem_cert(chain) : strdup("");
	g->trust = trust ? pem_cert(trust) : strdup("");
	g->s.meta_json = meta;
	g->s.meta_len = strlen(meta);
	g->s.key_pem = g->key;
	g->s.key_len = strlen(g->key);
	g->s.cert_pem = g->cert;
	g->s.cert_len = strlen(g->cert);
	g->s.chain_pem = g->chain;
	g->s.chain_len = strlen(g->chain);
	g->s.trust_pem = g->trust;
	g->s.trust_len = strlen(g->trust);
}

static void unstage(struct staging *g)
{
	free(g->key);
	free(g->cert);
	free(g->chain);
	free(g->trust);
}

static size_t computer_certs(void)
{
	struct cl_records *rec = NULL;
	size_t n = 0;

	if (cl_records_load(CL_STORE_COMPUTER, &rec, NULL) == CL_OK && rec)
		n = rec->n_certs;
	cl_records_free(rec);
	return n;
}

static bool cacerts_empty(void)
{
	DIR *d = opendir(tmpdir_path("cacerts"));
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n == 0;
}

/* the certificate test_installs_and_records() installs, for test_anchor() */
static EVP_PKEY *installed_key;
static X509 *installed_cert;

static void test_installs_and_records(void)
{
	EVP_PKEY *key = installed_key = testpki_key("rsa");
	X509 *cert = installed_cert = testpki_leaf("build01", 0x5151, key, ca_cert, ca_key);
	struct cl_enroll_result r;
	struct cl_records *rec = NULL;
	struct cl_error err;
	struct staging g;
	struct stat st;

	/* trust.pem holds the issuing CA and meta.json no consent: installing the certificate never makes a
	 * trust anchor (before issue 9 it made every staged CA one) */
	stage(&g, key, cert, ca_cert, ca_cert);
	CHECK_INT_EQ(cl_enroll_install_staged(&g.s, &r, &err), CL_OK);
	CHECK_STR_EQ(r.serial, "5151");
	CHECK_STR_EQ(r.cn, "build01");
	CHECK_INT_EQ(r.store, CL_STORE_COMPUTER);
	CHECK_INT_EQ(r.trust_anchors, 0);
	CHECK(!cl_fileio_exists(tmpdir_path("sys/anchors")));
	CHECK(cacerts_empty());
	CHECK(strstr(r.cert_path, tmpdir_path("sys")) == r.cert_path);
	{
		char keypath[PATH_MAX];
		char *slash = strrchr(r.cert_path, '/');

		snprintf(keypath, sizeof(keypath), "%.*s/key.pem", slash ? (int)(slash - r.cert_path) : 0,
		         r.cert_path);
		CHECK(stat(keypath, &st) == 0 && (st.st_mode & 0777) == 0600);
	}
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	CHECK_INT_EQ(rec->n_certs, 1);
	CHECK_INT_EQ(rec->n_apps, 1);
	if (rec->n_certs == 1 && rec->n_apps == 1) {
		CHECK_STR_EQ(rec->certs[0]->serial, "5151");
		CHECK_STR_EQ(rec->certs[0]->server_host, "eps.example.com");
		CHECK_INT_EQ(rec->apps[0]->state, CL_APP_INSTALLED);
		CHECK_STR_EQ(rec->apps[0]->serial, "5151");
		CHECK(rec->certs[0]->locations.n >= 3);
		/* no CA in meta.json: the identity rested on system trust */
		CHECK_STR_EQ(rec->certs[0]->server_trust, "system");
		CHECK(rec->certs[0]->server_ca_fingerprint == NULL);
	}
	cl_records_free(rec);
	unstage(&g);
}

static char *fp_hex(X509 *x, char out[65])
{
	unsigned char md[32];
	unsigned int n = 32;

	X509_digest(x, EVP_sha256(), md, &n);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return out;
}

/* meta.json with a consent for the CA with fingerprint HEX (NULL: none). */
static const char *meta_with(const char *hex, const char *consent)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
	         "{\"host\":\"eps.example.com\",\"port\":8443,\"user\":\"build01\",\"server_id\":\"a1\","
	         "\"service_name\":\"Corp\",\"ca_sha256\":\"\",\"renewal_of\":\"\","
	         "\"trust_anchors\":[{\"sha256\":\"%s\",\"consent\":\"%s\"}]}",
	         hex, consent);
	return buf;
}

static void set_meta(struct staging *g, const char *m)
{
	g->s.meta_json = m;
	g->s.meta_len = strlen(m);
}

/* The anchor step (cl_enroll_trust_staged()): refusals first, each leaving nothing trusted. */
static void anchor_refused(struct staging *g, const char *sha256, const char *subject, const char *why)
{
	struct cl_enroll_result r;
	struct cl_error err;

	CHECK_INT_EQ(cl_enroll_trust_staged(&g->s, sha256, subject, &r, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, why) != NULL);
	if (!strstr(err.msg, why))
		fprintf(stderr, "  expected \"%s\" in: %s\n", why, err.msg);
	CHECK(!cl_fileio_exists(tmpdir_path("sys/anchors")));
	CHECK(cacerts_empty());
}

static void test_anchor(void)
{
	EVP_PKEY *key = installed_key, *rogue_key = testpki_key("ec"), *key2 = testpki_key("ec");
	X509 *cert = installed_cert; /* installed by test_installs_and_records() */
	X509 *fresh = testpki_leaf("build03", 0x5454, key2, ca_cert, ca_key); /* never installed */
	X509 *rogue = testpki_ca("Rogue CA", rogue_key);
	char ca_hex[65], rogue_hex[65], both[8192];
	struct cl_enroll_result r;
	struct cl_records *rec = NULL;
	struct cl_error err;
	struct staging g;
	char *ca_pem = pem_cert(ca_cert), *rogue_pem = pem_cert(rogue);

	fp_hex(ca_cert, ca_hex);
	fp_hex(rogue, rogue_hex);
	/* trust.pem holds the issuing CA and an unrelated one */
	stage(&g, key, cert, ca_cert, NULL);
	snprintf(both, sizeof(both), "%s%s", ca_pem, rogue_pem);
	free(g.trust);
	g.trust = strdup(both);
	g.s.trust_pem = g.trust;
	g.s.trust_len = strlen(g.trust);

	/* an unrelated CA, even one the person "agreed" to: it does not issue the certificate */
	set_meta(&g, meta_with(rogue_hex, "person"));
	anchor_refused(&g, rogue_hex, "CN=Rogue CA", "does not issue the staged certificate");
	/* the issuing CA, but no consent recorded for it */
	anchor_refused(&g, ca_hex, "CN=Stage Test CA", "nobody agreed");
	set_meta(&g, meta_with(ca_hex, "none"));
	anchor_refused(&g, ca_hex, "CN=Stage Test CA", "nobody agreed");
	set_meta(&g, meta);
	anchor_refused(&g, ca_hex, "CN=Stage Test CA", "nobody agreed");
	/* the message must name what is installed */
	set_meta(&g, meta_with(ca_hex, "person"));
	anchor_refused(&g, ca_hex, "CN=Friendly Corp CA", "subject on the command line");
	/* a fingerprint that is not staged, or not one */
	anchor_refused(&g, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	               "CN=Stage Test CA", "not among the staged trust anchors");
	anchor_refused(&g, "junk", "CN=Stage Test CA", "not a SHA-256 fingerprint");
	unstage(&g);
	/* a certificate that is not installed in the computer store */
	stage(&g, key2, fresh, ca_cert, ca_cert);
	set_meta(&g, meta_with(ca_hex, "person"));
	anchor_refused(&g, ca_hex, "CN=Stage Test CA", "install it first");
	unstage(&g);

	/* all rules kept: the CA becomes a trust anchor of the computer, recorded with the certificate */
	stage(&g, key, cert, ca_cert, ca_cert);
	set_meta(&g, meta_with(ca_hex, "person"));
	CHECK_INT_EQ(cl_enroll_trust_staged(&g.s, ca_hex, "CN=Stage Test CA", &r, &err), CL_OK);
	if (err.msg[0])
		fprintf(stderr, "trust: %s\n", err.msg);
	CHECK_INT_EQ(r.trust_anchors, 1);
	CHECK_STR_EQ(r.serial, "5151");
	{
		char anchor[128];

		/* the p11-kit stand-in (/bin/true) takes certlink's copy in the anchors directory */
		snprintf(anchor, sizeof(anchor), "sys/anchors/%s.pem", ca_hex);
		CHECK(cl_fileio_exists(tmpdir_path(anchor)));
	}
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	if (rec && rec->n_certs >= 1) {
		unsigned char md[32];
		unsigned int n = 32;

		X509_digest(ca_cert, EVP_sha256(), md, &n);
		CHECK(cl_anchor_in_locations(&rec->certs[0]->locations, md));
	}
	cl_records_free(rec);
	unstage(&g);
	free(ca_pem);
	free(rogue_pem);
	X509_free(cert);
	X509_free(fresh);
	X509_free(rogue);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	EVP_PKEY_free(rogue_key);
}

/* Each refusal leaves the computer store's records as they were. */
static void refused(struct staging *g, const char *why)
{
	struct cl_enroll_result r;
	struct cl_error err;
	size_t before = computer_certs();

	CHECK_INT_EQ(cl_enroll_install_staged(&g->s, &r, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, why) != NULL);
	if (!strstr(err.msg, why))
		fprintf(stderr, "  expected \"%s\" in: %s\n", why, err.msg);
	CHECK_INT_EQ(computer_certs(), before);
}

static void test_refusals(void)
{
	EVP_PKEY *key = testpki_key("ec"), *other = testpki_key("ec"), *rogue_key = testpki_key("ec");
	X509 *cert = testpki_leaf("build02", 0x5252, key, ca_cert, ca_key);
	X509 *rogue = testpki_ca("Rogue CA", rogue_key);
	X509 *leaf_as_anchor = testpki_leaf("not a CA", 0x5353, other, ca_cert, ca_key);
	struct staging g;

	stage(&g, other, cert, ca_cert, NULL);
	refused(&g, "does not match");
	unstage(&g);

	stage(&g, ca_key, ca_cert, ca_cert, NULL);
	refused(&g, "is a CA certificate");
	unstage(&g);

	stage(&g, key, cert, rogue, NULL);
	refused(&g, "issued the certificate");
	unstage(&g);

	stage(&g, key, cert, ca_cert, leaf_as_anchor);
	refused(&g, "not a CA certificate");
	unstage(&g);

	stage(&g, key, cert, ca_cert, NULL);
	g.s.meta_json = "{\"host\":\"x\",\"port\":0}";
	g.s.meta_len = strlen(g.s.meta_json);
	refused(&g, "bad port");
	g.s.meta_json = "not json";
	g.s.meta_len = strlen(g.s.meta_json);
	refused(&g, "not JSON");
	g.s.meta_json = meta;
	g.s.meta_len = strlen(meta);
	g.s.cert_len = CL_STAGED_FILE_MAX + 1;
	refused(&g, "too large");
	unstage(&g);

	X509_free(cert);
	X509_free(rogue);
	X509_free(leaf_as_anchor);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rogue_key);
}

/* Serial 5151 again: from another CA it installs beside the first; from the same CA (a different
 * certificate) it is refused before anything is written. */
static void test_same_serial(void)
{
	EVP_PKEY *key = testpki_key("ec"), *other_key = testpki_key("ec"), *k3 = testpki_key("ec");
	X509 *other_ca = testpki_ca("Other CA", other_key);
	X509 *cert = testpki_leaf("build01", 0x5151, key, other_ca, other_key);
	X509 *twin = testpki_leaf("build09", 0x5151, k3, ca_cert, ca_key);
	struct cl_enroll_result r;
	struct cl_records *rec = NULL;
	struct cl_error err;
	struct staging g;
	size_t before = computer_certs();

	stage(&g, key, cert, other_ca, NULL);
	CHECK_INT_EQ(cl_enroll_install_staged(&g.s, &r, &err), CL_OK);
	unstage(&g);
	CHECK_INT_EQ(computer_certs(), before + 1);
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	{
		struct cl_certificate *m[4];

		CHECK_INT_EQ(cl_records_match_certificates(rec, "5151", m, 4), 2);
	}
	cl_records_free(rec);

	stage(&g, k3, twin, ca_cert, NULL);
	refused(&g, "same issuer");
	unstage(&g);

	X509_free(cert);
	X509_free(twin);
	X509_free(other_ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(k3);
}

int main(void)
{
	tmpdir_make("enroll-stage");
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	setenv("CERTLINK_TRUST", "/bin/true", 1);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", "/bin/true", 1);
	setenv("CERTLINK_CA_CERTIFICATES_DIR", tmpdir_path("cacerts"), 1);
	mkdir(tmpdir_path("cacerts"), 0755);
	ca_key = testpki_key("rsa");
	ca_cert = testpki_ca("Stage Test CA", ca_key);
	test_installs_and_records();
	test_anchor();
	test_same_serial();
	test_refusals();
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	tmpdir_remove();
	return check_done();
}
