/* Unit tests of core/error.c: statuses, exit codes, context prefixes, OpenSSL queue draining. */
#include "check.h"
#include "error.h"

#include <openssl/err.h>
#include <openssl/pem.h>

static void test_exit_codes(void)
{
	CHECK_INT_EQ(cl_status_exit_code(CL_OK), 0);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_LOCAL), 100);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_NOT_DUE), 110);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_CANCELLED), 120);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_UNREACHABLE), 200);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_RETRY_LATER), 200);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_REFUSED), 300);
	CHECK_INT_EQ(cl_status_exit_code(CL_E_UNEXPECTED), 1000);
	CHECK_INT_EQ(cl_status_exit_code((enum cl_status)99), 1000);
	CHECK_STR_EQ(cl_status_name(CL_E_REFUSED), "refused");
	CHECK_STR_EQ(cl_status_name((enum cl_status)99), "unexpected");
}

static void test_prefix(void)
{
	struct cl_error err;

	cl_error_clear(&err);
	CHECK_INT_EQ(err.status, CL_OK);
	CHECK_INT_EQ(cl_error_set(&err, CL_E_REFUSED, "server answered %s", "FAILURE badRequest"), CL_E_REFUSED);
	cl_error_prefix(&err, "SCEP PKCSReq");
	cl_error_prefix(&err, "activating application %d", 42);
	CHECK_STR_EQ(err.msg, "activating application 42: SCEP PKCSReq: server answered FAILURE badRequest");
	CHECK_INT_EQ(err.status, CL_E_REFUSED);
	cl_error_set_code(&err, "invalid_password");
	CHECK_STR_EQ(err.code, "invalid_password");
	CHECK_INT_EQ(cl_error_set(NULL, CL_E_LOCAL, "ignored"), CL_E_LOCAL);
}

static void test_openssl_drain(void)
{
	struct cl_error err;
	BIO *bio = BIO_new_mem_buf("not a certificate", -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

	CHECK(x == NULL);
	cl_error_set_openssl(&err, CL_E_LOCAL, "reading CA");
	CHECK(strncmp(err.msg, "reading CA: ", 12) == 0);
	CHECK(strstr(err.msg, "PEM") != NULL);
	CHECK_INT_EQ(ERR_peek_error(), 0);
	BIO_free(bio);
}

int main(void)
{
	test_exit_codes();
	test_prefix();
	test_openssl_drain();
	return check_done();
}
