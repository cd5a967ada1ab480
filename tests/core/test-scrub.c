/* Unit tests of core/scrub.c: known values, assignments in logs, JSON and links, PEM private keys, URL
 * user info, and what must survive (ordinary words, error codes, public certificates). */
#include "check.h"
#include "scrub.h"

#include <stdlib.h>

static char *scrub(const char *text, const char *const *secrets, size_t n)
{
	return cl_scrub_text(text, strlen(text), secrets, n);
}

static void expect(const char *text, const char *want)
{
	char *got = scrub(text, NULL, 0);

	CHECK_STR_EQ(got, want);
	free(got);
}

static void test_patterns(void)
{
	expect("password=hunter22 next", "password=[removed] next");
	expect("PASSWORD: hunter22", "PASSWORD: [removed]");
	expect("{\"password\": \"a b\\\"c\", \"user\": \"al\"}",
	       "{\"password\": \"[removed]\", \"user\": \"al\"}");
	expect("app_secret = 'n2Qw3vX0'", "app_secret = '[removed]'");
	expect("certlink://h:1/enroll?v=1&token=q3Vb0xZ2&user=bob",
	       "certlink://h:1/enroll?v=1&token=[removed]&user=bob");
	expect("challengePassword:yq8Y3Yb9", "challengePassword:[removed]");
	expect("proxy http://bob:pw@proxy:3128/ ok", "proxy http://[removed]@proxy:3128/ ok");
	/* survives */
	expect("{\"code\": \"invalid_token\"}", "{\"code\": \"invalid_token\"}");
	expect("the password is wrong", "the password is wrong");
	expect("https://host/path@x", "https://host/path@x");
	expect("kind: key, path: /k/key.pem", "kind: key, path: /k/key.pem");
	expect("", "");
	/* PEM */
	expect("a\n-----BEGIN PRIVATE KEY-----\nMIIEvQ\nAAAA\n-----END PRIVATE KEY-----\nb",
	       "a\n[removed private key]\nb");
	expect("-----BEGIN EC PRIVATE KEY-----\nMHc\n", "[removed private key]");
	expect("-----BEGIN ENCRYPTED PRIVATE KEY-----\nX\n-----END ENCRYPTED PRIVATE KEY-----",
	       "[removed private key]");
	expect("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	       "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
}

static void test_known_values(void)
{
	const char *secrets[] = { "S3cr3tVal", "abc", NULL, "yq8Y3Yb9cQ2l" };
	char *got = scrub("x S3cr3tVal y S3cr3tVal abc yq8Y3Yb9cQ2lZZ", secrets, 4);

	CHECK_STR_EQ(got, "x [removed] y [removed] abc [removed]ZZ");
	free(got);
	/* NUL bytes do not hide what follows */
	got = cl_scrub_text("a\0password=zz", 13, NULL, 0);
	CHECK_STR_EQ(got, "a?password=[removed]");
	free(got);
}

static void test_json(void)
{
	cJSON *j = cJSON_Parse(
	    "{\"user\":\"al\",\"secret\":\"x\",\"nested\":{\"challenge\":\"y\",\"list\":[{\"token\":1}]},"
	    "\"notify\":true,\"private_key\":null}");
	char *text;

	cl_scrub_json(j);
	text = cJSON_PrintUnformatted(j);
	CHECK_STR_EQ(text,
	             "{\"user\":\"al\",\"secret\":\"[removed]\",\"nested\":{\"challenge\":\"[removed]\","
	             "\"list\":[{\"token\":\"[removed]\"}]},\"notify\":true,\"private_key\":null}");
	free(text);
	cJSON_Delete(j);
	CHECK(cl_scrub_is_secret_name("CERTLINK_PASSWORD"));
	CHECK(cl_scrub_is_secret_name("Client_Secret"));
	CHECK(!cl_scrub_is_secret_name("notify_days"));
}

int main(void)
{
	test_patterns();
	test_known_values();
	test_json();
	return check_done();
}
