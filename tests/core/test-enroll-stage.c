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

#include "enroll.h"
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

static void test_installs_and_records(void)
{
	EVP_PKEY *key = testpki_key("rsa");
	X509 *cert = testpki_leaf("build01", 0x5151, key, ca_cert, ca_key);
	struct cl_enroll_result r;
	struct cl_records *rec = NULL;
	struct cl_error err;
	struct staging g;
	struct stat st;

	stage(&g, key, cert, ca_cert, ca_cert);
	CHECK_INT_EQ(cl_enroll_install_staged(&g.s, &r, &err), CL_OK);
	CHECK_STR_EQ(r.serial, "5151");
	CHECK_STR_EQ(r.cn, "build01");
	CHECK_INT_EQ(r.store, CL_STORE_COMPUTER);
	CHECK_INT_EQ(r.trust_anchors, 1);
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
	X509_free(cert);
	EVP_PKEY_free(key);
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
	test_same_serial();
	test_refusals();
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	tmpdir_remove();
	return check_done();
}
