/* libFuzzer target for server/scep.c: any bytes as a SCEP pkiMessage, the way certlink-server receives them.
 *
 * The first byte picks the entry point, so that mutations also reach the parsers behind the signature check,
 * which a mutated message almost never passes:
 *   0x30 ...   the whole input is a pkiMessage (DER): srv_scep_parse() with the fixture RA below
 *   'B' ...    the rest is a GET "message" parameter: srv_scep_message_from_base64(), then srv_scep_parse()
 *   'C'/'R'/'P'/'G' ...  the rest is decrypted content of a PKCSReq/RenewalReq/CertPoll/GetCert
 * Seeds (corpus/scep-request/) are messages that micromdm scepclient, strongSwan pki and certmonger sent to
 * a server holding the fixture RA, so they decrypt here, and their decrypted contents.
 *
 * Every broken property of the result abort()s, so libFuzzer keeps the input.
 */
#include "scep.h"
#include "scep-private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Test fixture only: an RA certificate and key made for this fuzz target (20 years, "certlink fuzz
 * fixture"), trusted by nothing. The seeds are enveloped to it. */
static const char fixture_ra_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                     "MIIDUjCCAjqgAwIBAgIUdJIU1vyOYu3VLFGNRNxKoFx3EgMwDQYJKoZIhvcNAQEL\n"
                                     "BQAwMjEeMBwGA1UECgwVY2VydGxpbmsgZnV6eiBmaXh0dXJlMRAwDgYDVQQDDAdG\n"
                                     "dXp6IENBMB4XDTI2MTEyNTIzMDIyMFoXDTQ2MTEyMDIzMDIyMFowMjEeMBwGA1UE\n"
                                     "CgwVY2VydGxpbmsgZnV6eiBmaXh0dXJlMRAwDgYDVQQDDAdGdXp6IFJBMIIBIjAN\n"
                                     "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAiNF/m037XhmiN9TK7DYUARz/IHV3\n"
                                     "IlWRG4L2xhArM/bPIzSfCl9+p0ZH/WBP/y2tKveJTnE183CKb3jpHqIhPpPzz514\n"
                                     "TJ1QdavhjQhrAz3LjoKZJ8v0nx8tk3GZ7nMImGYlIx829o7hWtvRc7Iy5mwwZEDy\n"
                                     "rByTHbZrbMAM2mY+LoyfAXgjhdpz60GSzx8PZJhVMmdCG35vIqQP1CdzZ1iBHEya\n"
                                     "W9UZo8msar4CRtomnVZ4FhG2YEm9U58kcZcj5fHcur4dAW82IJLY+OJL1Fi8avRr\n"
                                     "YiboN+Gzi4LkK16KTslxD20ACcwQMsf6dUw+yOL5l/L0yBuksHZ4QLSVkQIDAQAB\n"
                                     "o2AwXjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIFoDAdBgNVHQ4EFgQUyu4g\n"
                                     "n6XNRPDR2doxBNO9qDoWafcwHwYDVR0jBBgwFoAUGx/vg2MB2YC2vaTk5ZvhTGG5\n"
                                     "y1wwDQYJKoZIhvcNAQELBQADggEBAIBXdIAy5+GgBUiHGItU7Qjm+FH66GS5txkh\n"
                                     "iLWMIDBGtv+X6K35xlmWPHGsgc26KqXZsTpX7wWLwcFHV0uSc67I+mJuLXSo4zdW\n"
                                     "0FFmPHqDHjPvAOAu9OHzQo8fbqWIFgaxfum3VEho+HZnWMlhuh8rZ6yqH1ILzSZk\n"
                                     "gD4qwynLUCLF2RSTHCz/tsCz5VpTk7kAPNnT2ESeJyCyg+yN/wpR71fTMQ/PU8r+\n"
                                     "OpzXAIN1YIrhm/tT/V1LcnGnmVqJbyjn80FiyHQvThBdxN982lJLHSag8BX89ey8\n"
                                     "GfrfwTmn6P8uMe13uAfr+6JxEhrrMBx3Bi7kOIqzBVYnbphv1iM=\n"
                                     "-----END CERTIFICATE-----\n";
static const char fixture_ra_key[] = "-----BEGIN PRIVATE KEY-----\n"
                                     "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCI0X+bTfteGaI3\n"
                                     "1MrsNhQBHP8gdXciVZEbgvbGECsz9s8jNJ8KX36nRkf9YE//La0q94lOcTXzcIpv\n"
                                     "eOkeoiE+k/PPnXhMnVB1q+GNCGsDPcuOgpkny/SfHy2TcZnucwiYZiUjHzb2juFa\n"
                                     "29FzsjLmbDBkQPKsHJMdtmtswAzaZj4ujJ8BeCOF2nPrQZLPHw9kmFUyZ0Ibfm8i\n"
                                     "pA/UJ3NnWIEcTJpb1RmjyaxqvgJG2iadVngWEbZgSb1TnyRxlyPl8dy6vh0BbzYg\n"
                                     "ktj44kvUWLxq9GtiJug34bOLguQrXopOyXEPbQAJzBAyx/p1TD7I4vmX8vTIG6Sw\n"
                                     "dnhAtJWRAgMBAAECggEADFzg0tXbsTuv+6tF2E0FJvoZqBNRK+gvM90UQx6mJryG\n"
                                     "KExalB9/pGoOenvT0q8sCvpB3RWP/lK0oaC7cN4N0regA+o62vJqmS1qNLoWYF06\n"
                                     "ueJ9aBoO/TteHQj6c7BPjiTJtYgeKW6M+K6s+Q84t/c98qsnOmvdE8XeZF3gs3HA\n"
                                     "mKsOg2lOdMt5u8n8SOiHhuArY+uf5RV83hD45LgzrhIfTsugYoPiYe++Iz6xWWUU\n"
                                     "x3HjN9LRqMEqZfFWitEz6QiBusReUaFT8dnHM4jJQ1Yy47TBnTOW4XXiwD1rQOMT\n"
                                     "zua9Xh2cuJfxL0f2cGwPtykDmtV0VvvwOpAU6+Z22QKBgQC9p4XDcbEL1JTijeHn\n"
                                     "Cdzx09IwY8thQfRFA4iJiksHApxK2vgu7mNL1nBvtWWi2sSuWjLpTEu0ECa+R/yU\n"
                                     "WWgIJUCYh8m1jrt7rPwP8nlzcD1YmM1p0bHtLYxeTficBjmVuIfaPrWmfkq3Duaq\n"
                                     "C1cqYwdJBvJ6ros19P3YWEtq+QKBgQC4rkBA1Wl+2DgYXrh3eQfuasAiWZM2n9gZ\n"
                                     "RTzNYGrWMmRisuABZqKToNlh7fePvl/T8LFkbMY4dHJARM0g39RAbZ0+wwudWZcU\n"
                                     "gdWVsVFwmNO7iav2AfKFZljCtVlTG1VJ1ice+noRcgOvH/jobiEEPfgO9veNqJJc\n"
                                     "/1E+QivNWQKBgF7SpmeMrYeLtxD6/WqlnMlwLdQx4Rr0fewPkzGpak/L91bZ2mKk\n"
                                     "oBLn2XmQyYs+ND40LOZGVkdmF+jlVxzZAtGnxn88zRYwkf6JA9H5Ws3j3Vgxtepl\n"
                                     "hL9gGaGA/H8OAbag95Of7PScikCye5OjbeZsctUJWy0JneLRZiXIJ5UJAoGAWBNK\n"
                                     "M2FUEZlej0jFIr1G6g5hGUCs85Uhw1OA3tWHviWEOInkSObAzDUe1xRdR2FcZEBa\n"
                                     "6XDyy8PFJR9q0K3OlPdx0ZfFd0JdyfrteJl7JH7OI5dRul5NYg9gb2N7eSYE89S9\n"
                                     "DYoZIy7D0QYnd/nlpxdCsShZAWcOfmmJPm7iYukCgYEAjlNwjVsSVC9NAVHtJGiJ\n"
                                     "Ez6VMh0LvOLHCLHe/Un6CGSAAdU6IkN5xrvXN5S4RNC5KhJSLtj0WV4pmmSlD/00\n"
                                     "eaRjf335/3YtASpv1y+LHb4hZ1DLPizWGZOP0SjxXN7eGlUHLsfpLtWgaIL7MHxy\n"
                                     "qKkSx8P6UKnsZGI5mFDF9co=\n"
                                     "-----END PRIVATE KEY-----\n";

static X509 *ra;
static EVP_PKEY *ra_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO *b = BIO_new_mem_buf(fixture_ra_pem, -1);

	ra = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(fixture_ra_key, -1);
	ra_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (ra == NULL || ra_key == NULL)
		abort();
	return 0;
}

static int printable(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* What the request may hold after a result of r. */
static void check_content(const struct srv_scep_request *req)
{
	switch (req->message_type) {
	case SRV_SCEP_PKCSREQ:
	case SRV_SCEP_RENEWALREQ:
		if (req->csr == NULL ||
		    X509_REQ_get_attr_by_NID(req->csr, NID_pkcs9_challengePassword, -1) >= 0)
			abort();
		if (req->challenge != NULL && strlen(req->challenge) > SRV_SCEP_CHALLENGE_MAX)
			abort();
		break;
	case SRV_SCEP_CERTPOLL:
		if (req->issuer == NULL || req->subject == NULL)
			abort();
		break;
	case SRV_SCEP_GETCERT:
		if (req->issuer == NULL || req->serial == NULL)
			abort();
		break;
	default:
		abort();
	}
}

static void check_result(enum srv_scep_result r, const struct srv_scep_request *req, const char *err)
{
	switch (r) {
	case SRV_SCEP_OK:
		if (req->fail_info != -1)
			abort();
		check_content(req);
		break;
	case SRV_SCEP_REFUSE:
	case SRV_SCEP_MALFORMED:
		if (req->fail_info < SRV_SCEP_BAD_ALG || req->fail_info > SRV_SCEP_BAD_CERT_ID ||
		    err[0] == '\0')
			abort();
		if (req->challenge != NULL)
			abort();
		break;
	case SRV_SCEP_INTERNAL: /* out of memory */
		break;
	default:
		abort();
	}
}

static void parse_message(const uint8_t *data, size_t size)
{
	struct srv_scep_request req;
	unsigned char *out = NULL;
	size_t out_len;
	char err[256];
	enum srv_scep_result r = srv_scep_parse(data, size, ra, ra_key, &req, err, sizeof(err));

	check_result(r, &req, err);
	if ((r == SRV_SCEP_OK || r == SRV_SCEP_REFUSE) &&
	    (!printable(req.transaction_id) || strlen(req.transaction_id) > SRV_SCEP_TRANSACTION_ID_MAX))
		abort();
	if (r == SRV_SCEP_OK) {
		if (req.signer == NULL)
			abort();
		/* An accepted request can always be answered: envelope something to its signer. */
		if (srv_scep_build_reply(&req, SRV_SCEP_SUCCESS, -1, req.signer, NULL, ra, ra_key, &out,
		                         &out_len, err, sizeof(err)) != 0)
			abort();
		free(out);
	}
	srv_scep_request_clear(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_scep_request req;
	unsigned char *der;
	size_t der_len;
	char err[256];
	enum srv_scep_result r;

	if (size == 0)
		return 0;
	switch (data[0]) {
	case 0x30:
		parse_message(data, size);
		break;
	case 'B':
		if (srv_scep_message_from_base64((const char *)data + 1, size - 1, &der, &der_len) == 0) {
			if (der_len == 0 || der_len > SRV_SCEP_MAX_MESSAGE)
				abort();
			parse_message(der, der_len);
			free(der);
		}
		break;
	case 'C':
	case 'R':
	case 'P':
	case 'G':
		memset(&req, 0, sizeof(req));
		req.message_type = data[0] == 'C'   ? SRV_SCEP_PKCSREQ
		                   : data[0] == 'R' ? SRV_SCEP_RENEWALREQ
		                   : data[0] == 'P' ? SRV_SCEP_CERTPOLL
		                                    : SRV_SCEP_GETCERT;
		req.fail_info = -1;
		err[0] = '\0';
		r = srv_scep_parse_content(&req, data + 1, size - 1, err, sizeof(err));
		check_result(r, &req, err);
		srv_scep_request_clear(&req);
		break;
	default:
		break;
	}
	return 0;
}
