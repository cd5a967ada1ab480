/* libFuzzer target for core/scepmsg.c: any bytes as a CertRep, through every step the client takes.
 *
 * cl_scepmsg_parse() with the seed CA as the only allowed signer, then cl_scepmsg_check_certrep() (with the
 * reply's own transactionID and recipientNonce, so a mutated reply gets past the parts a fuzzer cannot
 * know), then for SUCCESS the envelope: cl_scepmsg_decrypt() with the seed run's requester key,
 * cl_scepcert_parse_certs() and cl_scepcert_pick_issued(). The seeds are real micromdm scepserver replies
 * (SUCCESS, and FAILURE badRequest) to tests/interop/scep-enroll --save-replies. Every refusal must be
 * CL_E_REFUSED with a message and leave nothing allocated; an accepted reply must hold the invariants
 * below. Broken properties abort().
 */
#include "scepcert.h"
#include "scepmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The CA of the scepserver depot the seeds came from. */
static const char fuzz_ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                  "MIIDNzCCAh+gAwIBAgIBATANBgkqhkiG9w0BAQsFADA9MQswCQYDVQQGEwJVUzEc\n"
                                  "MBoGA1UEChMTY2VydGxpbmsgZnV6eiBzZWVkczEQMA4GA1UECxMHU0NFUCBDQTAe\n"
                                  "Fw0yNjExMjUyMzA1MDZaFw0zNjExMjUyMzA1MDZaMD0xCzAJBgNVBAYTAlVTMRww\n"
                                  "GgYDVQQKExNjZXJ0bGluayBmdXp6IHNlZWRzMRAwDgYDVQQLEwdTQ0VQIENBMIIB\n"
                                  "IjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu8dgXL6jvQYEdUgGHzvtoJiO\n"
                                  "topeYVabNj4SQxqIE+alzfpvNTHdEDG8Hv4R1BKWVR2jv48ZbpKaDKjQdtvCj999\n"
                                  "8VqOAwGhdspcWtSgN+deh0POIb7mTgkGLUD3g4yHlmvTo/0sHw+QYc/NS8im7aZ+\n"
                                  "vcax21hhAIb+aiXBwXS16GmN9lXdAvLEtQ11Djp5k9EJZ+U5aI2CWYAP9skabRRq\n"
                                  "Jlul+x/kEvwl9BXCVNYEp7EG5/5DOpGvkmImkgKZmhVBOO+vAtJGJS2xsdhNbq7t\n"
                                  "J8KMzuN98hD3aWEB4F3ARRtrbxAPO/wJpm7Q4xVAwvtD9tzv7UTBhlto6u+rowID\n"
                                  "AQABo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4E\n"
                                  "FgQUYsG+SP3pGBRtzgoGf3MkpHPJLxwwDQYJKoZIhvcNAQELBQADggEBAEpzGQBq\n"
                                  "hE3xZImsv8Jnp81aem8l5Gr+o5yL0KpmlUlt0IJuamdIpYujRsXCgaYhF9fhGTbO\n"
                                  "9lnySI+6LQfsEAfDhY5BhJsILgJxl+kioGWhqUEnzR7FzFDmbfPURscdihpMPlkT\n"
                                  "hZquuiGDEn0Aaq9Yk/XCiLPu4Or3OgzITkCNCSx1MFsRn2hf0QX3RCnsMYPUaKEl\n"
                                  "mxAHsHVKkMN+BF/s8Pxbs326HLlYbeVSURLfjJgOqLROKXgGZ7izzh05hvIGG8fF\n"
                                  "oavoKgmC7t+xQTHujQjTEwElVPKCVCA4oxMAYKp7OLDOfNmy6NJHRztljZRO+GK3\n"
                                  "sAaD/Hkp6XMWyEk=\n"
                                  "-----END CERTIFICATE-----\n";

/* The requester key of the seed run: a throw-away test key, not a secret. */
static const char fuzz_key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                   "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCR6vaBonhImawV\n"
                                   "miUr2a4IK/TO/9XhZ3tbQLS1STjpxKW1GvDdjUadAs/8ogDzVOXWiwJS7DVduOH9\n"
                                   "085DWLX7CeZ6vzQfq3nSGIEnKVvtKi6He1LnO3UkN0TYvqipuxCONogU05HYT8Q2\n"
                                   "ALnXNO4rQc7vSpOJ8w7iZJ6c5cTmbsLT4sFTDQhz63DeM6wDX4qRRPLCy55IaXUQ\n"
                                   "Il/86I+ybs2JhChm9WPP923Eg7vK0jsvl2xJDzAtDucqP/3VyzuoU+KylKIj+rQr\n"
                                   "RDFGSKknTzLSelAKN2zMrkZBKYTSDH16zCMntj9oCxv6y6NVGJw2QB+GDsrED42q\n"
                                   "OJ1Dxib3AgMBAAECggEAJIrXvgJOpjvZ5TULvw4OL9y2O8rFKORN973eI5JZTu3g\n"
                                   "49iB3rIdL3//T1DQ9R9bSd3ZMKQX/0coTXVoL+R8+ofxsObGanH6mZtqaMDKVTwd\n"
                                   "l+9SBTeWMAIpWzBwM8V1sW/Fp5WObkIXrMCEyfjm9m1OIg4mocL9hMPXFwrRwzUz\n"
                                   "/t7JD4sAh1kbql8eaNscTJ8ooiqt+YmiKu7W8blbyyoWu9ycjulM8tVv1o9Mqs2+\n"
                                   "qZ5hYXNnFkTU0iLbqiBkCprDBJp+lBs2Jnk4kENsE9BeR2JdgJHQC0EB5RzvLl2E\n"
                                   "jp6PJ493ujDs+o6n6RQC9scfg942A36RpVlATq09wQKBgQDGEaqbQs45y1QRCqGr\n"
                                   "ag0LQcFotnozIIicPIt3IgRX6fOvVOSGRNX83oGm/seIxUQX+znTdpLvT1oeg7OA\n"
                                   "Hm8vaHazB9ScHsxPpQSygcXLn4uouNCj2veCrjdGEpgojpwUx1wOsF5AFbGE+PJj\n"
                                   "7/yg3Fls1S0yWPgznqSimeyQNwKBgQC8mH+ahRKIFp3U5YTfUj4RyVty4VVO25xg\n"
                                   "fuiW+RmN9gNP9qnX6BXPxj17J2wlwwwbPnTubwln26gF+V7k0YIumJZ2q6uQZyea\n"
                                   "hXZcL/kRh6nNMMbNqpm5q8Xedxm+Wo9RP1VRScfMYmXU4F2ek8mB6NK0bCVMvfgd\n"
                                   "ZOqbdog/QQKBgHwWYU334n8utTIf+P0M6bMdtO/HMnOJdEx9Wdp/Az2YokQ76Rd9\n"
                                   "VJqhQ5S9lYBIJcroZ2flp1Qp4ImxdOlVJ88JoSO0Siys1s8m0PSMfMB+6d4AOyYM\n"
                                   "bnf+cT6DM7Rk87/IzhGdyM5ZSOfHlwOpPBoDMjsOqswaFRUx1G7SA/StAoGAfaYg\n"
                                   "RcNo4FApIWE1EFBL2C/OBJDJ9DruSX/j2Enn06PW+xx8dcNDXOVXqshODi6Pz0ri\n"
                                   "PsStgItgu3Iz3cETuZWhkTi4mgGP6iwG+k5f42T+JR3dJcMGniQqNRgmh6LwHxJR\n"
                                   "9lFwkuPvsk81MGSH+UwzrU7r3uAmAPduMtta1MECgYAHo5l1S0BZK3sYjke5Khaq\n"
                                   "YEDuIfZre+fkIp4kblORPtFUTJoIvSfr9kddHIDsb+eh6WE/u6vh/ehydbwt+WgY\n"
                                   "GeLeZUjEjOvwnid4//C3YR0RstqEeHnRd3NS11YpfesmD8DEitGkh4Y6IG3wVe2b\n"
                                   "NVnHY23/p82edTpHIknO0A==\n"
                                   "-----END PRIVATE KEY-----\n";

static STACK_OF(X509) * signers;
static struct cl_scepcert_ca ca;
static EVP_PKEY *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO *b = BIO_new_mem_buf(fuzz_ca_pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	unsigned char *der = NULL, fp[CL_SCEP_FP_LEN];
	unsigned n = 0;
	int len;

	BIO_free(b);
	b = BIO_new_mem_buf(fuzz_key_pem, -1);
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	len = x ? i2d_X509(x, &der) : 0;
	if (!x || !key || len <= 0 || !X509_digest(x, EVP_sha256(), fp, &n) ||
	    cl_scepcert_parse_cacert(der, (size_t)len, NULL, fp, &ca, NULL) != CL_OK)
		abort();
	signers = ca.signers;
	OPENSSL_free(der);
	X509_free(x);
	return 0;
}

static void refused(enum cl_status st, const struct cl_error *err)
{
	if (st != CL_E_REFUSED || err->msg[0] == '\0')
		abort();
}

static void envelope(const struct cl_scepmsg_in *in)
{
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	STACK_OF(X509) *certs = NULL;
	X509 *issued = NULL;
	struct cl_error err;
	enum cl_status st;

	st = cl_scepmsg_decrypt(in->envelope, in->envelope_len, key, NULL, &plain, &plain_len, NULL, &err);
	if (st != CL_OK) {
		refused(st, &err);
		if (plain)
			abort();
		return;
	}
	if (!plain || plain_len == 0 || plain_len > CL_SCEP_MAX_MESSAGE)
		abort();
	st = cl_scepcert_parse_certs(plain, plain_len, &certs, &err);
	if (st == CL_OK) {
		if (sk_X509_num(certs) < 1 || sk_X509_num(certs) > CL_SCEP_MAX_CERTS)
			abort();
		st = cl_scepcert_pick_issued(certs, key, &ca, &issued, &err);
		if (st == CL_OK && (!issued || EVP_PKEY_eq(X509_get0_pubkey(issued), key) != 1))
			abort();
	}
	if (st != CL_OK)
		refused(st, &err);
	X509_free(issued);
	sk_X509_pop_free(certs, X509_free);
	cl_scepmsg_plain_free(plain, plain_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char zero[CL_SCEP_NONCE_LEN];
	struct cl_scepmsg_in in;
	struct cl_error err;
	enum cl_status st;

	cl_error_clear(&err);
	st = cl_scepmsg_parse(data, size, signers, &in, &err);
	if (st != CL_OK) {
		refused(st, &err);
		if (in.envelope || in.signer)
			abort();
		return 0;
	}
	if (in.message_type < 0 || in.message_type > 999 || !in.signer ||
	    !memchr(in.transaction_id, '\0', sizeof(in.transaction_id)) || in.transaction_id[0] == '\0' ||
	    (in.envelope == NULL) != (in.envelope_len == 0))
		abort();
	if (X509_cmp(in.signer, ca.ca) != 0)
		abort(); /* the only signer allowed */
	st = cl_scepmsg_check_certrep(&in, in.transaction_id,
	                              in.has_recipient_nonce ? in.recipient_nonce : zero, &err);
	if (st != CL_OK)
		refused(st, &err);
	else if (in.pki_status == CL_SCEP_SUCCESS)
		envelope(&in);
	else if (in.pki_status != CL_SCEP_FAILURE && in.pki_status != CL_SCEP_PENDING)
		abort();
	cl_scepmsg_in_clear(&in);
	return 0;
}
