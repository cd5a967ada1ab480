/* libFuzzer target for core/scepmsg.c cl_scepcert_parse_cacert(): any bytes as a GetCACert reply.
 *
 * Input: one byte choosing the content type (ca-cert, ca-ra-cert, none, other), then the body. The pinned
 * fingerprint is that of the seed corpus's CA (a micromdm scepserver depot made for the seeds), so mutations
 * that keep the CA reach selection of the RA. Accepted: the CA has the pinned fingerprint and is a signer,
 * the recipient has an RSA key, at most CL_SCEP_MAX_CERTS certificates. Refused: CL_E_REFUSED, a message, and
 * nothing left in the struct. Broken properties abort().
 */
#include "scepcert.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SHA-256 of tests/fuzz/corpus/scep-cacert/micromdm-der after its first byte */
static const unsigned char pin[CL_SCEP_FP_LEN] = {
	0x00, 0x52, 0x2b, 0xf8, 0xe8, 0x30, 0x52, 0xe7, 0x09, 0xda, 0x8e, 0x7b, 0xf5, 0xf0, 0x74, 0x2c,
	0xd0, 0x13, 0x60, 0x4a, 0xc3, 0x6d, 0x2c, 0xdd, 0x18, 0x70, 0xf1, 0xef, 0x7b, 0x3b, 0xd8, 0x9a,
};

static const char *const types[] = { "application/x-x509-ca-cert", "application/x-x509-ca-ra-cert", NULL,
	                             "text/plain" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cl_scepcert_ca empty;
	struct cl_scepcert_ca ca;
	struct cl_error err;
	unsigned char fp[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	enum cl_status st;

	if (size < 1)
		return 0;
	cl_error_clear(&err);
	st = cl_scepcert_parse_cacert(data + 1, size - 1, types[data[0] % 4], pin, &ca, &err);
	if (st != CL_OK) {
		if (st != CL_E_REFUSED || err.msg[0] == '\0' || memcmp(&ca, &empty, sizeof(ca)) != 0)
			abort();
		return 0;
	}
	if (!ca.ca || !ca.recipient || !ca.signers || !ca.certs)
		abort();
	if (sk_X509_num(ca.certs) < 1 || sk_X509_num(ca.certs) > CL_SCEP_MAX_CERTS)
		abort();
	if (sk_X509_num(ca.signers) < 1 || X509_cmp(sk_X509_value(ca.signers, 0), ca.ca) != 0)
		abort();
	if (!X509_digest(ca.ca, EVP_sha256(), fp, &n) || n != CL_SCEP_FP_LEN || memcmp(fp, pin, n) != 0)
		abort();
	if (!X509_get0_pubkey(ca.recipient) || !EVP_PKEY_is_a(X509_get0_pubkey(ca.recipient), "RSA"))
		abort();
	cl_scepcert_ca_clear(&ca);
	return 0;
}
