/* certlink core: describing a certificate (see certinfo.h). */
#include "certinfo.h"
#include "fileio.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

enum cl_status cl_certinfo_name(const X509_NAME *name, char *out, size_t size, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy;
	long len;

	if (size)
		out[0] = '\0';
	if (!bio || X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "printing a certificate name");
	}
	len = BIO_get_mem_data(bio, &data);
	copy = malloc(len > 0 ? (size_t)len + 1 : 1);
	if (!copy) {
		BIO_free(bio);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	if (len > 0)
		memcpy(copy, data, (size_t)len);
	copy[len > 0 ? len : 0] = '\0';
	/* UTF-8 stays readable; what would make it read otherwise (format, bidirectional and C1 control
	 * characters, which OpenSSL leaves alone without ESC_MSB) becomes a visible escape */
	cl_text_escape(copy, out, size, 0);
	free(copy);
	BIO_free(bio);
	return CL_OK;
}

static enum cl_status time_of(const ASN1_TIME *t, int64_t *out, struct cl_error *err)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return cl_error_set(err, CL_E_LOCAL, "certificate has an unreadable validity time");
	*out = (int64_t)timegm(&tm);
	return CL_OK;
}

static enum cl_status serial_of(X509 *cert, char out[41], struct cl_error *err)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *text = bn ? BN_bn2hex(bn) : NULL;
	const char *p = text;
	size_t i;

	BN_free(bn);
	if (!text)
		return cl_error_set_openssl(err, CL_E_LOCAL, "reading the certificate's serial number");
	while (p[0] == '0' && p[1])
		p++;
	if (strlen(p) > 40) {
		OPENSSL_free(text);
		return cl_error_set(err, CL_E_LOCAL, "certificate serial number is longer than 20 octets");
	}
	for (i = 0; p[i]; i++)
		out[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
	out[i] = '\0';
	OPENSSL_free(text);
	return CL_OK;
}

static void key_of(X509 *cert, struct cl_certinfo *info)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	int id = pk ? EVP_PKEY_get_base_id(pk) : 0;

	snprintf(info->key_type, sizeof(info->key_type), "%s",
	         id == EVP_PKEY_RSA  ? "rsa"
	         : id == EVP_PKEY_EC ? "ec"
	                             : "other");
	info->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
}

static void sans_of(X509 *cert, char *out, size_t size)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const char *kind = g->type == GEN_DNS     ? "DNS"
		                   : g->type == GEN_EMAIL ? "email"
		                   : g->type == GEN_URI   ? "URI"
		                                          : NULL;
		const ASN1_IA5STRING *s = g->d.ia5;
		int n;

		if (!kind)
			continue;
		n = snprintf(out + used, size - used, "%s%s:%.*s", used ? ", " : "", kind, s->length,
		             (const char *)s->data);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	GENERAL_NAMES_free(names);
	cl_text_escape(out, out, size, 0);
}

enum cl_status cl_certinfo_get(X509 *cert, struct cl_certinfo *info, struct cl_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	enum cl_status st;

	memset(info, 0, sizeof(*info));
	st = serial_of(cert, info->serial, err);
	if (st == CL_OK)
		st = cl_certinfo_name(X509_get_subject_name(cert), info->subject, sizeof(info->subject), err);
	if (st == CL_OK)
		st = cl_certinfo_name(X509_get_issuer_name(cert), info->issuer, sizeof(info->issuer), err);
	if (st == CL_OK)
		st = time_of(X509_get0_notBefore(cert), &info->not_before, err);
	if (st == CL_OK)
		st = time_of(X509_get0_notAfter(cert), &info->not_after, err);
	if (st != CL_OK)
		return st;
	key_of(cert, info);
	if (!X509_digest(cert, EVP_sha256(), md, &len))
		return cl_error_set_openssl(err, CL_E_LOCAL, "fingerprinting the certificate");
	hex(md, len, info->sha256);
	if (!X509_digest(cert, EVP_sha1(), md, &len))
		return cl_error_set_openssl(err, CL_E_LOCAL, "fingerprinting the certificate");
	hex(md, len, info->sha1);
	sans_of(cert, info->sans, sizeof(info->sans));
	return CL_OK;
}

enum cl_status cl_certinfo_read_pem(const char *path, X509 **out, struct cl_error *err)
{
	char *text = NULL;
	size_t len = 0;
	BIO *bio;

	*out = NULL;
	/* capped before OpenSSL sees it: a store file can be replaced by anyone with the account */
	if (cl_fileio_read(path, 256 * 1024, &text, &len, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		*out = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(text);
	if (!*out)
		return cl_error_set_openssl(err, CL_E_LOCAL, "reading a certificate from %s", path);
	return CL_OK;
}

enum cl_status cl_certinfo_text(X509 *cert, char **out, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	*out = NULL;
	if (!bio || X509_print_ex(bio, cert, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, 0) != 1 ||
	    PEM_write_bio_X509(bio, cert) != 1) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "printing the certificate");
	}
	len = BIO_get_mem_data(bio, &data);
	*out = malloc((size_t)len + 1);
	if (*out) {
		memcpy(*out, data, (size_t)len);
		(*out)[len] = '\0';
	}
	BIO_free(bio);
	if (!*out)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	return CL_OK;
}
