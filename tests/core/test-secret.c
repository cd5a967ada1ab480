/* Unit tests of core/secret.c: modes of the pending directory and files, round trips, refusal of unsafe
 * names, removal that leaves other applications' secrets alone. */
#include "check.h"
#include "fileio.h"
#include "secret.h"
#include "tmpdir.h"

#include <stdlib.h>

static void test_round_trip(void)
{
	struct cl_error err;
	char *s = NULL;
	size_t len = 0;

	CHECK(!cl_secret_exists(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET));
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET, "n2Qw3vX0", 8, &err), CL_OK);
	CHECK(cl_secret_exists(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET));
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("data/certlink")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("data/certlink/pending")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("data/certlink/pending/a1b2.secret")), 0600);
	CHECK_INT_EQ(cl_secret_get(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET, &s, &len, &err), CL_OK);
	CHECK_STR_EQ(s, "n2Qw3vX0");
	CHECK_INT_EQ(len, 8);
	cl_secret_free(s, len);
	/* Replace. */
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET, "other", 5, &err), CL_OK);
	CHECK_INT_EQ(cl_secret_get(CL_STORE_USER, "a1b2", CL_SECRET_APP_SECRET, &s, &len, &err), CL_OK);
	CHECK_STR_EQ(s, "other");
	cl_secret_free(s, len);

	/* Missing secret: an error with a code the caller can test. */
	CHECK_INT_EQ(cl_secret_get(CL_STORE_USER, "a1b2", CL_SECRET_CHALLENGE, &s, &len, &err), CL_E_LOCAL);
	CHECK_STR_EQ(err.code, "missing");
	CHECK(s == NULL);

	/* Computer store: its own root (0755) and pending directory (0700). */
	CHECK_INT_EQ(cl_secret_put(CL_STORE_COMPUTER, "c3", CL_SECRET_KEY, "KEY", 3, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys")), 0755);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys/pending")), 0700);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys/pending/c3.key")), 0600);

	/* A pending directory loosened by someone is tightened again. */
	CHECK_INT_EQ(chmod(tmpdir_path("data/certlink/pending"), 0755), 0);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "a1b2", CL_SECRET_CHALLENGE, "yq8Y", 4, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("data/certlink/pending")), 0700);
}

static void test_refused(void)
{
	struct cl_error err;
	char big[CL_SECRET_MAX + 1];

	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "../etc", "secret", "x", 1, &err), CL_E_UNEXPECTED);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "a.b", "secret", "x", 1, &err), CL_E_UNEXPECTED);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "", "secret", "x", 1, &err), CL_E_UNEXPECTED);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ok", "../../x", "x", 1, &err), CL_E_UNEXPECTED);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ok", "Secret", "x", 1, &err), CL_E_UNEXPECTED);
	CHECK(!cl_fileio_exists(tmpdir_path("data/certlink/pending/ok.Secret")));
	memset(big, 'x', sizeof(big));
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ok", "secret", big, sizeof(big), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "too large") != NULL);
	/* A symlink planted in place of the pending directory is refused. */
	CHECK_INT_EQ(rename(tmpdir_path("sys/pending"), tmpdir_path("sys/real-pending")), 0);
	CHECK_INT_EQ(symlink(tmpdir_path("elsewhere"), tmpdir_path("sys/pending")), 0);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_COMPUTER, "c3", CL_SECRET_KEY, "KEY", 3, &err), CL_E_LOCAL);
}

static void test_delete(void)
{
	struct cl_error err;

	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ab", "secret", "1", 1, &err), CL_OK);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ab", "key", "2", 1, &err), CL_OK);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "ab-c", "secret", "3", 1, &err), CL_OK);
	CHECK_INT_EQ(cl_secret_put(CL_STORE_USER, "abc", "secret", "4", 1, &err), CL_OK);
	tmpdir_write(tmpdir_path("data/certlink/pending/.ab.key.tmp-Xy12Zz"), "stale");
	CHECK_INT_EQ(cl_secret_delete(CL_STORE_USER, "ab", "secret", &err), CL_OK);
	CHECK(!cl_secret_exists(CL_STORE_USER, "ab", "secret"));
	CHECK(cl_secret_exists(CL_STORE_USER, "ab", "key"));
	CHECK_INT_EQ(cl_secret_delete(CL_STORE_USER, "ab", "secret", &err), CL_OK);
	CHECK_INT_EQ(cl_secret_delete_all(CL_STORE_USER, "ab", &err), CL_OK);
	CHECK(!cl_secret_exists(CL_STORE_USER, "ab", "key"));
	CHECK(!cl_fileio_exists(tmpdir_path("data/certlink/pending/.ab.key.tmp-Xy12Zz")));
	/* Applications whose ids share a prefix are untouched. */
	CHECK(cl_secret_exists(CL_STORE_USER, "ab-c", "secret"));
	CHECK(cl_secret_exists(CL_STORE_USER, "abc", "secret"));
	CHECK(cl_secret_exists(CL_STORE_USER, "a1b2", "challenge"));
	CHECK_INT_EQ(cl_secret_delete_all(CL_STORE_USER, "never-seen", &err), CL_OK);
}

int main(void)
{
	tmpdir_make("secret");
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	test_round_trip();
	test_refused();
	test_delete();
	tmpdir_remove();
	return check_done();
}
