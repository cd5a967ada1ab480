/* certlink core: private keys (see key.h). */
#include "key.h"

#include "fileio.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

struct curve {
	int bits;
	const char *name;   /* as the protocol writes it */
	const char *ossl;   /* OpenSSL's group name */
	const char *ossl_b; /* OpenSSL's other spelling of the same group */
};

static const struct curve curves[] = {
	{ 256, "P-256", "prime256v1", "P-256" },
	{ 384, "P-384", "secp384r1", "P-384" },
};

static const struct curve *curve_by_bits(int bits)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].bits == bits)
			return &curves[i];
	return NULL;
}

static int rsa_bits_ok(long bits)
{
	return bits == 2048 || bits == 3072 || bits == 4096;
}

enum cl_status cl_key_spec_parse(const char *type, long bits, const char *curve, struct cl_key_spec *out,
                                 struct cl_error *err)
{
	if (type && strcmp(type, "rsa") == 0) {
		if (!rsa_bits_ok(bits))
			return cl_error_set(err, CL_E_REFUSED,
			                    "the server asks for an RSA key of %ld bits; "
			                    "certlink makes 2048, 3072 or 4096",
			                    bits);
		out->type = CL_KEY_RSA;
		out->bits = (int)bits;
		return CL_OK;
	}
	if (type && strcmp(type, "ec") == 0) {
		for (size_t i = 0; curve && i < sizeof(curves) / sizeof(curves[0]); i++) {
			if (strcmp(curve, curves[i].name) == 0) {
				out->type = CL_KEY_EC;
				out->bits = curves[i].bits;
				return CL_OK;
			}
		}
		return cl_error_set(err, CL_E_REFUSED,
		                    "the server asks for an EC key on a curve certlink "
		                    "does not support (P-256 and P-384 are)");
	}
	return cl_error_set(err, CL_E_REFUSED,
	                    "the server asks for a key type certlink does not know "
	                    "(rsa and ec are)");
}

void cl_key_spec_describe(const struct cl_key_spec *spec, char out[CL_KEY_DESC_SIZE])
{
	const struct curve *c;

	if (spec->type == CL_KEY_RSA && spec->bits > 0) {
		snprintf(out, CL_KEY_DESC_SIZE, "RSA %d", spec->bits);
		return;
	}
	if (spec->type == CL_KEY_EC && (c = curve_by_bits(spec->bits)) != NULL) {
		snprintf(out, CL_KEY_DESC_SIZE, "EC %s", c->name);
		return;
	}
	snprintf(out, CL_KEY_DESC_SIZE, "unsupported key");
}

enum cl_status cl_key_get_spec(const EVP_PKEY *key, struct cl_key_spec *out, struct cl_error *err)
{
	char group[64];
	size_t len = 0;

	if (!key)
		return cl_error_set(err, CL_E_LOCAL, "no key");
	if (EVP_PKEY_is_a(key, "RSA")) {
		out->type = CL_KEY_RSA;
		out->bits = EVP_PKEY_get_bits(key);
		return CL_OK;
	}
	if (EVP_PKEY_is_a(key, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		                                    &len))
			return cl_error_set_openssl(err, CL_E_LOCAL, "reading the key's curve");
		for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
			if (strcmp(group, curves[i].ossl) == 0 || strcmp(group, curves[i].ossl_b) == 0) {
				out->type = CL_KEY_EC;
				out->bits = curves[i].bits;
				return CL_OK;
			}
		}
		return cl_error_set(err, CL_E_LOCAL, "EC keys on curve %s are not supported", group);
	}
	return cl_error_set(err, CL_E_LOCAL, "%s keys are not supported", EVP_PKEY_get0_type_name(key));
}

void cl_key_describe(const EVP_PKEY *key, char out[CL_KEY_DESC_SIZE])
{
	struct cl_key_spec spec = { 0 };

	if (cl_key_get_spec(key, &spec, NULL) != CL_OK) {
		snprintf(out, CL_KEY_DESC_SIZE, "unsupported key");
		return;
	}
	cl_key_spec_describe(&spec, out);
}

enum cl_status cl_key_generate(const struct cl_key_spec *spec, EVP_PKEY **out, struct cl_error *err)
{
	const struct curve *c;
	EVP_PKEY *key = NULL;

	*out = NULL;
	if (spec->type == CL_KEY_RSA && rsa_bits_ok(spec->bits))
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)spec->bits);
	else if (spec->type == CL_KEY_EC && (c = curve_by_bits(spec->bits)) != NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->ossl);
	else
		return cl_error_set(err, CL_E_LOCAL, "cannot generate an unsupported key kind");
	if (!key)
		return cl_error_set_openssl(err, CL_E_LOCAL, "generating a key");
	*out = key;
	return CL_OK;
}

enum cl_status cl_key_check(const EVP_PKEY *key, const struct cl_key_spec *spec, struct cl_error *err)
{
	struct cl_key_spec have = { 0 };
	char have_s[CL_KEY_DESC_SIZE], want_s[CL_KEY_DESC_SIZE];
	enum cl_status st;

	cl_key_spec_describe(spec, want_s);
	st = cl_key_get_spec(key, &have, err);
	if (st != CL_OK) {
		cl_error_prefix(err, "the existing key cannot be used (the server asks for %s)", want_s);
		return CL_E_REFUSED;
	}
	if (have.type == spec->type && have.bits == spec->bits)
		return CL_OK;
	cl_key_spec_describe(&have, have_s);
	return cl_error_set(err, CL_E_REFUSED, "the existing key is %s but the server now asks for %s",
	                    have_s, want_s);
}

/* Secrets go into a secure-memory BIO, whose buffer OpenSSL wipes when it is freed. */
static BIO *secret_bio(void)
{
	return BIO_new(BIO_s_secmem());
}

enum cl_status cl_key_save(const EVP_PKEY *key, const char *path, struct cl_error *err)
{
	BIO *bio = secret_bio();
	BUF_MEM *mem = NULL;
	enum cl_status st;

	if (!bio)
		return cl_error_set_openssl(err, CL_E_LOCAL, "saving the key");
	/* PEM_write_bio_PrivateKey() writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3. */
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    BIO_get_mem_ptr(bio, &mem) <= 0) {
		st = cl_error_set_openssl(err, CL_E_LOCAL, "encoding the key");
		goto out;
	}
	/* 0600 from creation, O_EXCL|O_NOFOLLOW, removed again if writing fails. */
	st = cl_fileio_write_new(path, mem->data, mem->length, 0600, err);
	if (st != CL_OK)
		cl_error_prefix(err, "saving the key");
out:
	BIO_free(bio);
	return st;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	return -1; /* certlink's keys are unencrypted; never prompt on a terminal */
}

enum cl_status cl_key_load(const char *path, EVP_PKEY **out, struct cl_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	enum cl_status st;

	*out = NULL;
	if ((st = cl_fileio_read(path, CL_KEY_FILE_MAX, &buf, &len, err)) != CL_OK) {
		cl_error_prefix(err, "reading the key");
		return st;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio || !(*out = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL)))
		st = cl_error_set_openssl(err, CL_E_LOCAL, "reading key %s", path);
	BIO_free(bio);
	cl_fileio_free_secret(buf, len);
	return st;
}
