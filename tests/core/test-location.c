/* Unit tests of core/location.c: kind names, list operations, JSON round trip and validation. */
#include "check.h"
#include "location.h"

static void test_kinds(void)
{
	enum cl_location_kind k;

	for (int i = CL_LOC_DIRECTORY; i <= CL_LOC_FIREFOX_CHAIN; i++) {
		CHECK(cl_location_kind_parse(cl_location_kind_name((enum cl_location_kind)i), &k));
		CHECK_INT_EQ(k, i);
	}
	CHECK_STR_EQ(cl_location_kind_name(CL_LOC_P11KIT_ANCHOR), "p11-kit-anchor");
	CHECK_STR_EQ(cl_location_kind_name((enum cl_location_kind)0), "unknown");
	CHECK_STR_EQ(cl_location_kind_name((enum cl_location_kind)99), "unknown");
	CHECK(!cl_location_kind_parse("unknown", &k));
	CHECK(!cl_location_kind_parse(NULL, &k));
	CHECK(cl_location_kind_is_secret(CL_LOC_KEY) && cl_location_kind_is_secret(CL_LOC_PKCS12_PASSWORD));
	CHECK(!cl_location_kind_is_secret(CL_LOC_CERTIFICATE));
	CHECK(cl_location_kind_is_nss(CL_LOC_NSS_CA) && !cl_location_kind_is_nss(CL_LOC_TRUST_FILE));
	CHECK(cl_location_kind_is_trust(CL_LOC_CA_CERTIFICATES) &&
	      !cl_location_kind_is_trust(CL_LOC_NSS_CERT));
	/* a network's RADIUS CA file is no trust anchor, and no kind of the networks is a secret */
	CHECK(!cl_location_kind_is_trust(CL_LOC_NETWORK_FILE) &&
	      !cl_location_kind_is_secret(CL_LOC_NETWORK_FILE));
	CHECK(!cl_location_kind_is_trust(CL_LOC_NM_CONNECTION) &&
	      !cl_location_kind_is_nss(CL_LOC_NM_CONNECTION));
	/* Firefox profiles: NSS databases (a nickname, "sql:" paths); only the CA entry is trust */
	CHECK_STR_EQ(cl_location_kind_name(CL_LOC_FIREFOX_CERT), "firefox-certificate");
	CHECK_STR_EQ(cl_location_kind_name(CL_LOC_FIREFOX_CA), "firefox-ca");
	CHECK(cl_location_kind_is_nss(CL_LOC_FIREFOX_CERT) && cl_location_kind_is_nss(CL_LOC_FIREFOX_CA));
	CHECK(cl_location_kind_is_trust(CL_LOC_FIREFOX_CA) &&
	      !cl_location_kind_is_trust(CL_LOC_FIREFOX_CERT));
	CHECK(cl_location_kind_is_nss(CL_LOC_FIREFOX_CHAIN) &&
	      !cl_location_kind_is_trust(CL_LOC_FIREFOX_CHAIN));
}

static void test_round_trip(void)
{
	struct cl_locations a = { 0 }, b = { 0 };
	struct cl_error err;
	cJSON *j;

	CHECK_INT_EQ(
	    cl_locations_add(&a, CL_LOC_KEY, "/h/.local/share/certlink/certs/4f/key.pem", NULL, &err), CL_OK);
	CHECK_INT_EQ(cl_locations_add(&a, CL_LOC_NSS_CERT, "sql:/h/.pki/nssdb", "certlink alice 4f", &err),
	             CL_OK);
	j = cl_locations_to_json(&a);
	CHECK(j != NULL);
	CHECK_INT_EQ(cl_locations_from_json(j, &b, &err), CL_OK);
	CHECK_INT_EQ(b.n, 2);
	CHECK(b.n == 2 && cl_location_equal(&a.items[0], &b.items[0]) &&
	      cl_location_equal(&a.items[1], &b.items[1]));
	CHECK(b.n == 2 && !cl_location_equal(&a.items[0], &b.items[1]));
	CHECK(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "nickname") == NULL);
	cJSON_Delete(j);
	CHECK_INT_EQ(cl_locations_append(&b, &a, &err), CL_OK);
	CHECK_INT_EQ(b.n, 4);
	cl_locations_clear(&b);
	CHECK_INT_EQ(b.n, 0);
	CHECK(b.items == NULL);
	cl_locations_clear(NULL);

	/* The cap. */
	for (int i = 0; i < CL_LOCATIONS_MAX; i++)
		CHECK_INT_EQ(cl_locations_add(&b, CL_LOC_CHAIN, "/x", NULL, &err), CL_OK);
	CHECK_INT_EQ(cl_locations_add(&b, CL_LOC_CHAIN, "/x", NULL, &err), CL_E_LOCAL);
	cl_locations_clear(&b);
	cl_locations_clear(&a);
}

static enum cl_status parse(const char *text)
{
	struct cl_locations l = { 0 };
	struct cl_error err;
	cJSON *j = cJSON_Parse(text);
	enum cl_status st = cl_locations_from_json(j, &l, &err);

	cl_locations_clear(&l);
	cJSON_Delete(j);
	return st;
}

static void test_validation(void)
{
	CHECK_INT_EQ(parse("[{\"kind\":\"key\",\"path\":\"/k\"}]"), CL_OK);
	CHECK_INT_EQ(parse("[]"), CL_OK);
	CHECK_INT_EQ(parse("{}"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[1]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"rootkit\",\"path\":\"/k\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"key\",\"path\":\"relative/k\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"key\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"key\",\"path\":\"/k\",\"nickname\":\"n\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"nss-ca\",\"path\":\"sql:/db\",\"nickname\":\"CA\"}]"), CL_OK);
	CHECK_INT_EQ(parse("[{\"kind\":\"nss-ca\",\"path\":\"sql:/db\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"nss-ca\",\"path\":\"/db\",\"nickname\":\"CA\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"nss-ca\",\"path\":\"sql:/db\",\"nickname\":\"\"}]"), CL_E_LOCAL);
	CHECK_INT_EQ(parse("[{\"kind\":\"key\",\"path\":\"/k\\u0001\"}]"), CL_E_LOCAL);
}

int main(void)
{
	test_kinds();
	test_round_trip();
	test_validation();
	return check_done();
}
