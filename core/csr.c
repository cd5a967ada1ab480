/* certlink core: PKCS#10 certificate requests for SCEP (see csr.h). */
#include "csr.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

struct rdn_type {
	const char *name;
	int nid;
	size_t max_chars;
};

static const struct rdn_type rdn_types[] = {
	{ "CN", NID_commonName, CL_CSR_MAX_VALUE },
	{ "O", NID_organizationName, CL_CSR_MAX_VALUE },
	{ "OU", NID_organizationalUnitName, CL_CSR_MAX_VALUE },
	{ "C", NID_countryName, 2 },
	{ "ST", NID_stateOrProvinceName, CL_CSR_MAX_VALUE },
	{ "L", NID_localityName, CL_CSR_MAX_VALUE },
	{ "emailAddress", NID_pkcs9_emailAddress, 128 },
};

/* Number of characters in a NUL-terminated UTF-8 string, or -1 if it is not well-formed UTF-8 or holds a
 * control character. Overlong forms, surrogates and values above U+10FFFF are refused. */
static long utf8_chars(const char *s, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		unsigned c = *p, cp, len;

		if ((size_t)(p - (const unsigned char *)s) >= max_bytes)
			return -1;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07;
		else
			return -1;
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return -1;
		p += len;
		n++;
	}
	return n;
}

/* Printable ASCII without space: what DNS names, e-mail addresses and URIs in a SAN may hold here. */
static int ascii_token(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return 1;
}

static int printable_string(const char *s)
{
	for (; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			continue;
		if (!strchr(" '()+,-./:=?", *s))
			return 0;
	}
	return 1;
}

static enum cl_status add_subject(X509_REQ *req, const struct cl_csr_params *p, struct cl_error *err)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);

	if (p->subject_count > CL_CSR_MAX_RDNS)
		return cl_error_set(err, CL_E_LOCAL, "the subject has %zu RDNs (at most %d)",
		                    p->subject_count, CL_CSR_MAX_RDNS);
	for (size_t i = 0; i < p->subject_count; i++) {
		const struct cl_csr_rdn *rdn = &p->subject[i];
		const struct rdn_type *t = NULL;
		long chars;

		for (size_t j = 0; rdn->type && j < sizeof(rdn_types) / sizeof(rdn_types[0]); j++)
			if (strcmp(rdn->type, rdn_types[j].name) == 0)
				t = &rdn_types[j];
		if (!t)
			return cl_error_set(err, CL_E_LOCAL, "subject RDN %zu has an unknown type", i + 1);
		chars = rdn->value ? utf8_chars(rdn->value, 4 * t->max_chars) : -1;
		if (chars < 1 || (size_t)chars > t->max_chars)
			return cl_error_set(err, CL_E_LOCAL,
			                    "subject %s is empty, not UTF-8 or longer than %zu "
			                    "characters",
			                    t->name, t->max_chars);
		if ((t->nid == NID_countryName || t->nid == NID_pkcs9_emailAddress) &&
		    !ascii_token(rdn->value, t->max_chars))
			return cl_error_set(err, CL_E_LOCAL, "subject %s must be ASCII", t->name);
		/* loc -1, set 0: append a new single-valued RDN, keeping the server's order. */
		if (!X509_NAME_add_entry_by_NID(name, t->nid, MBSTRING_UTF8,
		                                (const unsigned char *)rdn->value, -1, -1, 0))
			return cl_error_set_openssl(err, CL_E_LOCAL, "subject %s", t->name);
	}
	return CL_OK;
}

static enum cl_status push_ia5(GENERAL_NAMES *gens, int kind, const char *value, const char *what,
                               struct cl_error *err)
{
	GENERAL_NAME *gen = NULL;
	ASN1_IA5STRING *s = NULL;

	if (!value || !ascii_token(value, CL_CSR_MAX_SAN))
		return cl_error_set(err, CL_E_LOCAL, "SAN %s is empty, too long or not printable ASCII",
		                    what);
	if (!(gen = GENERAL_NAME_new()) || !(s = ASN1_IA5STRING_new()) ||
	    !ASN1_STRING_set(s, value, (int)strlen(value)))
		goto fail;
	GENERAL_NAME_set0_value(gen, kind, s);
	s = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen))
		goto fail;
	return CL_OK;
fail:
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(gen);
	return cl_error_set_openssl(err, CL_E_LOCAL, "SAN %s", what);
}

static enum cl_status push_upn(GENERAL_NAMES *gens, const char *value, struct cl_error *err)
{
	GENERAL_NAME *gen = NULL;
	ASN1_OBJECT *oid = NULL;
	ASN1_TYPE *val = NULL;
	ASN1_UTF8STRING *s = NULL;
	long chars = value ? utf8_chars(value, CL_CSR_MAX_SAN) : -1;

	if (chars < 1)
		return cl_error_set(err, CL_E_LOCAL, "SAN upn is empty, too long or not UTF-8");
	if (!(gen = GENERAL_NAME_new()) || !(oid = OBJ_dup(OBJ_nid2obj(NID_ms_upn))) ||
	    !(val = ASN1_TYPE_new()) || !(s = ASN1_UTF8STRING_new()) ||
	    !ASN1_STRING_set(s, value, (int)strlen(value)))
		goto fail;
	ASN1_TYPE_set(val, V_ASN1_UTF8STRING, s);
	s = NULL;
	if (!GENERAL_NAME_set0_othername(gen, oid, val))
		goto fail;
	oid = NULL;
	val = NULL;
	if (!sk_GENERAL_NAME_push(gens, gen))
		goto fail;
	return CL_OK;
fail:
	ASN1_UTF8STRING_free(s);
	ASN1_TYPE_free(val);
	ASN1_OBJECT_free(oid);
	GENERAL_NAME_free(gen);
	return cl_error_set_openssl(err, CL_E_LOCAL, "SAN upn");
}

static enum cl_status add_sans(X509_REQ *req, const struct cl_csr_params *p, struct cl_error *err)
{
	const struct {
		const char *const *items;
		size_t count;
		int kind;
		const char *what;
	} kinds[] = {
		{ p->san_dns, p->san_dns_count, GEN_DNS, "dns" },
		{ p->san_email, p->san_email_count, GEN_EMAIL, "email" },
		{ p->san_upn, p->san_upn_count, GEN_OTHERNAME, "upn" },
		{ p->san_uri, p->san_uri_count, GEN_URI, "uri" },
	};
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	enum cl_status st = CL_OK;
	int critical;

	if (!gens)
		return cl_error_set_openssl(err, CL_E_LOCAL, "SANs");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && st == CL_OK; k++) {
		if (kinds[k].count > CL_CSR_MAX_SANS) {
			st = cl_error_set(err, CL_E_LOCAL, "%zu SANs of kind %s (at most %d)", kinds[k].count,
			                  kinds[k].what, CL_CSR_MAX_SANS);
			break;
		}
		for (size_t i = 0; i < kinds[k].count && st == CL_OK; i++)
			st = kinds[k].kind == GEN_OTHERNAME
			         ? push_upn(gens, kinds[k].items[i], err)
			         : push_ia5(gens, kinds[k].kind, kinds[k].items[i], kinds[k].what, err);
	}
	if (st != CL_OK || sk_GENERAL_NAME_num(gens) == 0)
		goto out;
	/* RFC 5280 4.2.1.6: with an empty subject the SAN extension is critical. */
	critical = X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0;
	if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, critical, X509V3_ADD_DEFAULT) != 1 ||
	    !X509_REQ_add_extensions(req, exts))
		st = cl_error_set_openssl(err, CL_E_LOCAL, "adding the SAN extension");
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	return st;
}

static enum cl_status add_challenge(X509_REQ *req, const char *challenge, struct cl_error *err)
{
	size_t len;
	int type;

	if (!challenge)
		return CL_OK;
	len = strnlen(challenge, CL_CSR_MAX_CHALLENGE + 1);
	if (len == 0 || len > CL_CSR_MAX_CHALLENGE || utf8_chars(challenge, CL_CSR_MAX_CHALLENGE) < 1)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the challenge is empty, longer than %d bytes or not UTF-8",
		                    CL_CSR_MAX_CHALLENGE);
	/* PrintableString when it can be (what older SCEP servers expect), else UTF8String (base64url has
	 * '_'). */
	type = printable_string(challenge) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
	if (!X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, type,
	                               (const unsigned char *)challenge, (int)len))
		return cl_error_set_openssl(err, CL_E_LOCAL, "adding the challenge");
	return CL_OK;
}

enum cl_status cl_csr_make(const struct cl_csr_params *params, EVP_PKEY *key, X509_REQ **out,
                           struct cl_error *err)
{
	X509_REQ *req = X509_REQ_new();
	enum cl_status st;

	*out = NULL;
	if (!req || !X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_pubkey(req, key)) {
		st = cl_error_set_openssl(err, CL_E_LOCAL, "building the certificate request");
		goto fail;
	}
	if ((st = add_subject(req, params, err)) != CL_OK || (st = add_sans(req, params, err)) != CL_OK ||
	    (st = add_challenge(req, params->challenge, err)) != CL_OK)
		goto fail;
	*out = req;
	return CL_OK;
fail:
	cl_error_prefix(err, "certificate request");
	cl_csr_free(req);
	return st;
}

enum cl_status cl_csr_build(const struct cl_csr_params *params, EVP_PKEY *key, X509_REQ **out,
                            struct cl_error *err)
{
	X509_REQ *req = NULL;
	enum cl_status st = cl_csr_make(params, key, &req, err);

	*out = NULL;
	if (st != CL_OK)
		return st;
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
		st = cl_error_set_openssl(err, CL_E_LOCAL, "signing the certificate request");
		cl_error_prefix(err, "certificate request");
		cl_csr_free(req);
		return st;
	}
	*out = req;
	return CL_OK;
}

void cl_csr_free(X509_REQ *req)
{
	int loc = -1;

	if (!req)
		return;
	while ((loc = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, loc)) >= 0) {
		X509_ATTRIBUTE *attr = X509_REQ_get_attr(req, loc);

		for (int i = 0; i < X509_ATTRIBUTE_count(attr); i++) {
			ASN1_TYPE *t = X509_ATTRIBUTE_get0_type(attr, i);

			if (t && t->type != V_ASN1_BOOLEAN && t->type != V_ASN1_NULL &&
			    t->type != V_ASN1_OBJECT && t->value.asn1_string && t->value.asn1_string->data)
				OPENSSL_cleanse(t->value.asn1_string->data,
				                (size_t)t->value.asn1_string->length);
		}
	}
	X509_REQ_free(req);
}

enum cl_status cl_csr_to_der(X509_REQ *req, unsigned char **der, size_t *len, struct cl_error *err)
{
	unsigned char *buf = NULL;
	int n = i2d_X509_REQ(req, &buf);

	*der = NULL;
	*len = 0;
	if (n <= 0)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the certificate request");
	*der = buf;
	*len = (size_t)n;
	return CL_OK;
}

void cl_csr_der_free(unsigned char *der, size_t len)
{
	OPENSSL_clear_free(der, len);
}
