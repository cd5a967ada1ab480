/* Tests of core/enroll-keygen.c: the RSA 2048 key begun at the click is the certificate's key when the
 * server asks for RSA 2048, SCEP's transport key when it asks for EC, and neither when it asks for a larger
 * RSA key (which is then made as asked); a key nobody takes is freed (LeakSanitizer checks that). */
#include "check.h"
#include "enroll-keygen.h"

#include <openssl/evp.h>

static bool is(EVP_PKEY *key, const char *type, int bits)
{
	return key && EVP_PKEY_is_a(key, type) && EVP_PKEY_get_bits(key) == bits;
}

static void test_rsa2048_begun_early(void)
{
	const struct cl_key_spec spec = { CL_KEY_RSA, 2048 };
	struct cl_keygen kg = { 0 };
	EVP_PKEY *key = NULL, *transport;
	struct cl_error err;

	cl_keygen_start_early(&kg);
	CHECK(kg.rsa.started);
	cl_keygen_start(&kg, &spec); /* the server's policy: what was begun */
	CHECK(!kg.key.started);
	CHECK_INT_EQ(cl_keygen_take(&kg, &spec, &key, &err), CL_OK);
	CHECK(is(key, "RSA", 2048));
	transport = cl_keygen_take_transport(&kg);
	CHECK(transport == NULL); /* the key is RSA: SCEP signs with it */
	cl_keygen_discard(&kg);
	EVP_PKEY_free(key);
}

static void test_ec_uses_early_key_as_transport(void)
{
	const struct cl_key_spec spec = { CL_KEY_EC, 256 };
	struct cl_keygen kg = { 0 };
	EVP_PKEY *key = NULL, *transport;
	struct cl_error err;

	cl_keygen_start_early(&kg);
	cl_keygen_start(&kg, &spec);
	CHECK(kg.key.started);
	CHECK_INT_EQ(cl_keygen_take(&kg, &spec, &key, &err), CL_OK);
	CHECK(is(key, "EC", 256));
	transport = cl_keygen_take_transport(&kg);
	CHECK(is(transport, "RSA", 2048));
	CHECK(cl_keygen_take_transport(&kg) == NULL); /* taken once */
	cl_keygen_discard(&kg);
	EVP_PKEY_free(key);
	EVP_PKEY_free(transport);
}

static void test_larger_rsa_made_as_asked(void)
{
	const struct cl_key_spec spec = { CL_KEY_RSA, 3072 };
	struct cl_keygen kg = { 0 };
	EVP_PKEY *key = NULL;
	struct cl_error err;

	cl_keygen_start_early(&kg);
	cl_keygen_start(&kg, &spec);
	CHECK_INT_EQ(cl_keygen_take(&kg, &spec, &key, &err), CL_OK);
	CHECK(is(key, "RSA", 3072));
	cl_keygen_discard(&kg); /* the early RSA 2048 key: nobody's, freed */
	EVP_PKEY_free(key);
}

static void test_not_begun_and_discarded(void)
{
	const struct cl_key_spec spec = { CL_KEY_EC, 384 };
	struct cl_keygen kg = { 0 };
	EVP_PKEY *key = NULL;
	struct cl_error err;

	/* a resumed application never began a key: taking one makes it now */
	CHECK_INT_EQ(cl_keygen_take(&kg, &spec, &key, &err), CL_OK);
	CHECK(is(key, "EC", 384));
	CHECK(cl_keygen_take_transport(&kg) == NULL);
	EVP_PKEY_free(key);
	/* a run that stops before activation (pending approval, an error) */
	memset(&kg, 0, sizeof(kg));
	cl_keygen_start_early(&kg);
	cl_keygen_discard(&kg);
	CHECK(!kg.rsa.started && kg.rsa.key == NULL);
}

int main(void)
{
	test_rsa2048_begun_early();
	test_ec_uses_early_key_as_transport();
	test_larger_rsa_made_as_asked();
	test_not_begun_and_discarded();
	return check_done();
}
