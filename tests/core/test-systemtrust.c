/* Opt-in test of the computer store's real system trust store (p11-kit `trust`, update-ca-certificates).
 *
 * Skipped (exit 77) unless run as root with CERTLINK_TEST_SYSTEM_TRUST=1. Even then it never changes the
 * machine: a child process enters a private mount namespace, bind-mounts throwaway copies over /etc/ssl,
 * /etc/ca-certificates, /usr/local/share/ca-certificates and /usr/share/ca-certificates, and trusts and
 * untrusts a fresh CA there with the real tools. The parent checks afterwards that the real system bundle
 * is byte for byte what it was. Run:  sudo CERTLINK_TEST_SYSTEM_TRUST=1 build/tests/core/test-systemtrust
 */
#include "check.h"
#include "fileio.h"
#include "store.h"
#include "testpki.h"
#include "tmpdir.h"
#include "tool.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#define BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static const char *const shadowed[] = { "/etc/ssl", "/etc/ca-certificates",
	                                "/usr/local/share/ca-certificates", "/usr/share/ca-certificates" };

static int sh_run(const char *const *argv, char *out, size_t outlen)
{
	struct cl_error err;
	int code = -1;

	if (cl_tool_run(argv, out, outlen, &code, &err) != CL_OK)
		fprintf(stderr, "%s\n", err.msg);
	return code;
}

/* Copy each shadowed directory into the temp dir and bind-mount the copy over it (this namespace only). */
static int enter_throwaway_namespace(void)
{
	char copy[PATH_MAX], src[PATH_MAX + 2];

	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		perror("unshare/mount");
		return -1;
	}
	for (size_t i = 0; i < sizeof(shadowed) / sizeof(shadowed[0]); i++) {
		const char *argv[] = { "/bin/cp", "-a", src, copy, NULL };
		struct cl_error err;

		snprintf(copy, sizeof(copy), "%s%s", tmpdir_path("shadow"), shadowed[i]);
		snprintf(src, sizeof(src), "%s/.", shadowed[i]);
		if (cl_fileio_mkdirs(copy, 0755, &err) != CL_OK || sh_run(argv, NULL, 0) != 0 ||
		    mount(copy, shadowed[i], NULL, MS_BIND, NULL) != 0) {
			fprintf(stderr, "shadowing %s failed\n", shadowed[i]);
			return -1;
		}
	}
	return 0;
}

static bool bundle_has(X509 *ca)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL, *bundle = NULL;
	bool found;

	PEM_write_bio_X509(mem, ca);
	BIO_write(mem, "", 1);
	BIO_get_mem_data(mem, &pem);
	cl_fileio_read(BUNDLE, 16 << 20, &bundle, NULL, NULL);
	/* update-ca-certificates copies each PEM body verbatim into the bundle. */
	found = pem && bundle && strstr(bundle, pem + strlen("-----BEGIN CERTIFICATE-----\n")) != NULL;
	free(bundle);
	BIO_free(mem);
	return found;
}

static bool trust_lists(const char *label)
{
	const char *argv[] = { "/usr/bin/trust", "list", "--filter=ca-anchors", NULL };
	static char out[1 << 20];

	return sh_run(argv, out, sizeof(out)) == 0 && strstr(out, label) != NULL;
}

/* Runs in the namespace; returns the number of failed checks. */
static int in_namespace(void)
{
	EVP_PKEY *key = testpki_key("ec");
	X509 *ca = testpki_ca("certlink system trust test CA", key);
	struct cl_locations l = { 0 };
	struct cl_error err;

	if (enter_throwaway_namespace() != 0)
		return 1;
	/* The computer store's own files go to the temp dir; the trust tools and directory are the real ones.
	 */
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	setenv("CERTLINK_TRUST", "/usr/bin/trust", 1);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", "/usr/sbin/update-ca-certificates", 1);
	setenv("CERTLINK_CA_CERTIFICATES_DIR", "/usr/local/share/ca-certificates", 1);

	CHECK(!bundle_has(ca));
	CHECK_INT_EQ(cl_store_trust_ca(CL_STORE_COMPUTER, ca, NULL, CL_ANCHOR_ADMINISTRATOR, &l, &err),
	             CL_OK);
	if (l.n != 2)
		fprintf(stderr, "trust: %s\n", err.msg);
	CHECK_INT_EQ(l.n, 2);
	printf("system trust went through: %s\n",
	       l.n == 2 ? cl_location_kind_name(l.items[1].kind) : "nothing");
	CHECK(bundle_has(ca));
	CHECK(trust_lists("certlink system trust test CA"));
	CHECK_INT_EQ(cl_store_untrust_ca(&l, &err), CL_OK);
	CHECK(!bundle_has(ca));
	CHECK(!trust_lists("certlink system trust test CA"));
	cl_locations_clear(&l);
	X509_free(ca);
	EVP_PKEY_free(key);
	return check_done();
}

int main(void)
{
	const char *opt = getenv("CERTLINK_TEST_SYSTEM_TRUST");
	char *before = NULL, *after = NULL;
	int status = 0;
	pid_t pid;

	if (!opt || strcmp(opt, "1") != 0 || geteuid() != 0) {
		printf("skipped: opt-in, needs root and CERTLINK_TEST_SYSTEM_TRUST=1\n");
		return 77;
	}
	tmpdir_make("systemtrust");
	cl_fileio_read(BUNDLE, 16 << 20, &before, NULL, NULL);
	pid = fork();
	if (pid == 0) {
		int failed = in_namespace();

		fflush(stdout);
		_exit(failed);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The real system store is untouched. */
	cl_fileio_read(BUNDLE, 16 << 20, &after, NULL, NULL);
	CHECK(before && after && strcmp(before, after) == 0);
	free(before);
	free(after);
	tmpdir_remove();
	return check_done();
}
