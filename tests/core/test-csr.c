/* Unit tests of core/csr.c: what a CA reads from the request — subject RDNs in the server's order, SANs of
 * each kind, the challengePassword, a SHA-256 signature by the key — and the input limits. The request is
 * checked after a DER round trip, the way a server sees it. */
#include "check.h"
#include "csr.h"
#include "key.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>

static X509_REQ *round_trip(X509_REQ *req)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	struct cl_error err;
	X509_REQ *back;

	CHECK_INT_EQ(cl_csr_to_der(req, &der, &len, &err), CL_OK);
	p = der;
	back = d2i_X509_REQ(NULL, &p, (long)len);
	CHECK(back != NULL);
	CHECK(p == der + len);
	cl_csr_der_free(der, len);
	return back;
}

static void check_entry(X509_NAME *name, int idx, int nid, const char *value, int asn1_type)
{
	X509_NAME_ENTRY *e = X509_NAME_get_entry(name, idx);
	ASN1_STRING *s;

	CHECK(e != NULL);
	if (!e)
		return;
	s = X509_NAME_ENTRY_get_data(e);
	CHECK_INT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), nid);
	CHECK_INT_EQ(ASN1_STRING_length(s), strlen(value));
	CHECK(memcmp(ASN1_STRING_get0_data(s), value, strlen(value)) == 0);
	CHECK_INT_EQ(ASN1_STRING_type(s), asn1_type);
	/* one attribute per RDN: each entry opens a new set */
	CHECK_INT_EQ(X509_NAME_ENTRY_set(e), idx);
}

static ASN1_STRING *challenge_of(X509_REQ *req, int *count)
{
	int loc = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;

	*count = 0;
	if (loc < 0)
		return NULL;
	*count = 1 + (X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, loc) >= 0);
	attr = X509_REQ_get_attr(req, loc);
	CHECK_INT_EQ(X509_ATTRIBUTE_count(attr), 1);
	t = X509_ATTRIBUTE_get0_type(attr, 0);
	return t ? t->value.asn1_string : NULL;
}

static void test_full_request(EVP_PKEY *key, int sig_nid)
{
	static const struct cl_csr_rdn subject[] = {
		{ "C", "JP" },          { "ST", "Tokyo" },
		{ "L", "Chiyoda" },     { "O", "Example Corp" },
		{ "OU", "Dev" },        { "OU", "Lab" },
		{ "CN", "alice 山田" }, { "emailAddress", "alice@example.com" },
	};
	static const char *const dns[] = { "pc01.corp.example", "pc01" };
	static const char *const email[] = { "alice@example.com" };
	static const char *const upn[] = { "alice@corp.example" };
	static const char *const uri[] = { "urn:uuid:0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11" };
	char challenge[] = "yq8Y3Yb9cQ2l7mX1vT0r_w";
	struct cl_csr_params p = {
		.subject = subject,
		.subject_count = 8,
		.san_dns = dns,
		.san_dns_count = 2,
		.san_email = email,
		.san_email_count = 1,
		.san_upn = upn,
		.san_upn_count = 1,
		.san_uri = uri,
		.san_uri_count = 1,
		.challenge = challenge,
	};
	X509_REQ *req = NULL, *back;
	struct cl_error err;
	X509_NAME *name;
	STACK_OF(X509_EXTENSION) * exts;
	GENERAL_NAMES *gens;
	ASN1_STRING *ch;
	EVP_PKEY *pub;
	int crit = -1, count, md_nid = 0, pk_nid = 0;

	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	if (!req)
		return;
	back = round_trip(req);
	cl_csr_free(req);
	if (!back)
		return;

	/* signed by the key, with SHA-256 */
	pub = X509_REQ_get0_pubkey(back);
	CHECK(pub && EVP_PKEY_eq(pub, key) == 1);
	CHECK_INT_EQ(X509_REQ_verify(back, key), 1);
	CHECK_INT_EQ(X509_REQ_get_signature_nid(back), sig_nid);
	CHECK(OBJ_find_sigid_algs(X509_REQ_get_signature_nid(back), &md_nid, &pk_nid));
	CHECK_INT_EQ(md_nid, NID_sha256);
	CHECK_INT_EQ(X509_REQ_get_version(back), X509_REQ_VERSION_1);

	/* subject: the server's order, one RDN each, the string types CAs expect */
	name = X509_REQ_get_subject_name(back);
	CHECK_INT_EQ(X509_NAME_entry_count(name), 8);
	check_entry(name, 0, NID_countryName, "JP", V_ASN1_PRINTABLESTRING);
	check_entry(name, 1, NID_stateOrProvinceName, "Tokyo", V_ASN1_UTF8STRING);
	check_entry(name, 2, NID_localityName, "Chiyoda", V_ASN1_UTF8STRING);
	check_entry(name, 3, NID_organizationName, "Example Corp", V_ASN1_UTF8STRING);
	check_entry(name, 4, NID_organizationalUnitName, "Dev", V_ASN1_UTF8STRING);
	check_entry(name, 5, NID_organizationalUnitName, "Lab", V_ASN1_UTF8STRING);
	check_entry(name, 6, NID_commonName, "alice 山田", V_ASN1_UTF8STRING);
	check_entry(name, 7, NID_pkcs9_emailAddress, "alice@example.com", V_ASN1_IA5STRING);

	/* SANs, in kind order dns, email, upn, uri */
	exts = X509_REQ_get_extensions(back);
	CHECK_INT_EQ(sk_X509_EXTENSION_num(exts), 1);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	CHECK(gens != NULL);
	CHECK_INT_EQ(crit, 0);
	CHECK_INT_EQ(sk_GENERAL_NAME_num(gens), 5);
	if (gens && sk_GENERAL_NAME_num(gens) == 5) {
		static const int kinds[] = { GEN_DNS, GEN_DNS, GEN_EMAIL, GEN_OTHERNAME, GEN_URI };
		static const char *const values[] = { "pc01.corp.example", "pc01", "alice@example.com",
			                              "alice@corp.example",
			                              "urn:uuid:0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11" };

		for (int i = 0; i < 5; i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			int kind;
			void *v = GENERAL_NAME_get0_value(g, &kind);
			ASN1_STRING *s = v;

			CHECK_INT_EQ(kind, kinds[i]);
			if (kind == GEN_OTHERNAME) {
				ASN1_OBJECT *oid = NULL;
				ASN1_TYPE *val = NULL;

				CHECK(GENERAL_NAME_get0_otherName(g, &oid, &val));
				CHECK_INT_EQ(OBJ_obj2nid(oid), NID_ms_upn);
				CHECK(val && val->type == V_ASN1_UTF8STRING);
				s = val ? val->value.utf8string : NULL;
			}
			CHECK(s && ASN1_STRING_length(s) == (int)strlen(values[i]) &&
			      memcmp(ASN1_STRING_get0_data(s), values[i], strlen(values[i])) == 0);
		}
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

	/* the challenge, once; UTF8String because '_' is not a PrintableString character */
	ch = challenge_of(back, &count);
	CHECK_INT_EQ(count, 1);
	CHECK(ch != NULL);
	if (ch) {
		CHECK_INT_EQ(ASN1_STRING_type(ch), V_ASN1_UTF8STRING);
		CHECK_INT_EQ(ASN1_STRING_length(ch), strlen(challenge));
		CHECK(memcmp(ASN1_STRING_get0_data(ch), challenge, strlen(challenge)) == 0);
	}
	/* the caller's buffer is the caller's: the builder neither wiped nor kept it */
	CHECK_STR_EQ(challenge, "yq8Y3Yb9cQ2l7mX1vT0r_w");
	X509_REQ_free(back);
}

static void test_minimal_request(EVP_PKEY *key)
{
	static const struct cl_csr_rdn subject[] = { { "CN", "pc01" } };
	struct cl_csr_params p = { .subject = subject, .subject_count = 1, .challenge = "Secret-123" };
	X509_REQ *req = NULL, *back;
	STACK_OF(X509_EXTENSION) * exts;
	struct cl_error err;
	ASN1_STRING *ch;
	int count;

	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	back = req ? round_trip(req) : NULL;
	cl_csr_free(req);
	if (!back)
		return;
	exts = X509_REQ_get_extensions(back); /* no SANs, no extension request */
	CHECK_INT_EQ(sk_X509_EXTENSION_num(exts), 0);
	CHECK_INT_EQ(X509_REQ_get_attr_by_NID(back, NID_ext_req, -1), -1);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ch = challenge_of(back, &count);
	CHECK(ch && ASN1_STRING_type(ch) == V_ASN1_PRINTABLESTRING);
	X509_REQ_free(back);

	/* no challenge: no attribute */
	p.challenge = NULL;
	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	CHECK(req && X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1) < 0);
	cl_csr_free(req);
}

static void test_empty_subject_san_critical(EVP_PKEY *key)
{
	static const char *const dns[] = { "pc01.corp.example" };
	struct cl_csr_params p = { .san_dns = dns, .san_dns_count = 1 };
	X509_REQ *req = NULL;
	STACK_OF(X509_EXTENSION) * exts;
	struct cl_error err;
	GENERAL_NAMES *gens;
	int crit = -1;

	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	exts = req ? X509_REQ_get_extensions(req) : NULL;
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	CHECK(gens != NULL);
	CHECK_INT_EQ(crit, 1);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	cl_csr_free(req);
}

static void expect_refused(EVP_PKEY *key, const struct cl_csr_params *p, const char *words)
{
	X509_REQ *req = (X509_REQ *)1;
	struct cl_error err;

	CHECK_INT_EQ(cl_csr_build(p, key, &req, &err), CL_E_LOCAL);
	CHECK(req == NULL);
	if (!strstr(err.msg, words))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, words);
	CHECK(strstr(err.msg, words) != NULL);
}

static void test_limits(EVP_PKEY *key)
{
	struct cl_csr_rdn many[CL_CSR_MAX_RDNS + 1], one[1];
	const char *names[CL_CSR_MAX_SANS + 1];
	char long_cn[CL_CSR_MAX_VALUE + 2], long_ch[CL_CSR_MAX_CHALLENGE + 2], jp64[64 * 3 + 1] = "";
	struct cl_csr_params p = { 0 };
	X509_REQ *req = NULL;
	struct cl_error err;

	for (int i = 0; i <= CL_CSR_MAX_RDNS; i++)
		many[i] = (struct cl_csr_rdn){ "OU", "x" };
	p.subject = many;
	p.subject_count = CL_CSR_MAX_RDNS + 1;
	expect_refused(key, &p, "17 RDNs");
	p.subject_count = CL_CSR_MAX_RDNS;
	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	cl_csr_free(req);

	p.subject = one;
	p.subject_count = 1;
	one[0] = (struct cl_csr_rdn){ "DC", "example" };
	expect_refused(key, &p, "unknown type");
	one[0] = (struct cl_csr_rdn){ "CN", "" };
	expect_refused(key, &p, "CN is empty");
	memset(long_cn, 'a', sizeof(long_cn) - 1);
	long_cn[sizeof(long_cn) - 1] = '\0';
	one[0] = (struct cl_csr_rdn){ "CN", long_cn };
	expect_refused(key, &p, "longer than 64");
	for (int i = 0; i < 64; i++)
		strcat(jp64, "山");
	one[0] = (struct cl_csr_rdn){ "CN", jp64 }; /* 64 characters, 192 bytes: allowed */
	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	cl_csr_free(req);
	one[0] = (struct cl_csr_rdn){ "CN", "bad \xc3\x28 utf8" };
	expect_refused(key, &p, "not UTF-8");
	one[0] = (struct cl_csr_rdn){ "CN", "overlong \xc0\xaf" };
	expect_refused(key, &p, "not UTF-8");
	one[0] = (struct cl_csr_rdn){ "CN", "line\nbreak" };
	expect_refused(key, &p, "CN");
	one[0] = (struct cl_csr_rdn){ "C", "JPN" };
	expect_refused(key, &p, "C is empty");
	one[0] = (struct cl_csr_rdn){ "emailAddress", "山田@example.com" };
	expect_refused(key, &p, "must be ASCII");
	one[0] = (struct cl_csr_rdn){ "CN", "ok" };

	for (int i = 0; i <= CL_CSR_MAX_SANS; i++)
		names[i] = "pc01.example";
	p.san_dns = names;
	p.san_dns_count = CL_CSR_MAX_SANS + 1;
	expect_refused(key, &p, "17 SANs of kind dns");
	p.san_dns_count = 1;
	names[0] = "has space.example";
	expect_refused(key, &p, "SAN dns");
	names[0] = "pc01.example";
	p.san_uri = names;
	p.san_uri_count = 1;
	names[1] = NULL;
	p.san_email = names + 1;
	p.san_email_count = 1;
	expect_refused(key, &p, "SAN email");
	p.san_email_count = 0;
	p.san_upn = names + 1;
	p.san_upn_count = 1;
	expect_refused(key, &p, "SAN upn");
	p.san_upn_count = 0;

	memset(long_ch, 'c', sizeof(long_ch) - 1);
	long_ch[sizeof(long_ch) - 1] = '\0';
	p.challenge = long_ch;
	expect_refused(key, &p, "challenge");
	p.challenge = "";
	expect_refused(key, &p, "challenge");
	long_ch[CL_CSR_MAX_CHALLENGE] = '\0'; /* exactly 255 bytes: allowed */
	p.challenge = long_ch;
	CHECK_INT_EQ(cl_csr_build(&p, key, &req, &err), CL_OK);
	cl_csr_free(req);
	cl_csr_free(NULL);
	cl_csr_der_free(NULL, 0);
}

int main(void)
{
	struct cl_key_spec rsa = { CL_KEY_RSA, 2048 }, ec = { CL_KEY_EC, 256 };
	EVP_PKEY *rsa_key = NULL, *ec_key = NULL;
	struct cl_error err;

	CHECK_INT_EQ(cl_key_generate(&rsa, &rsa_key, &err), CL_OK);
	CHECK_INT_EQ(cl_key_generate(&ec, &ec_key, &err), CL_OK);
	test_full_request(rsa_key, NID_sha256WithRSAEncryption);
	test_full_request(ec_key, NID_ecdsa_with_SHA256);
	test_minimal_request(rsa_key);
	test_empty_subject_san_critical(ec_key);
	test_limits(ec_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	return check_done();
}
