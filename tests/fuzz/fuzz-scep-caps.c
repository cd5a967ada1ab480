/* libFuzzer target for core/scepmsg.c cl_scepmsg_parse_caps(): any bytes as a GetCACaps reply.
 *
 * A reply within the cap always parses (unknown words are ignored); only known bits are set, SCEPStandard
 * brings AES, POSTPKIOperation and SHA-256 with it, and the algorithm choice never lands on anything but
 * AES/DES3 and SHA-2/SHA-1. A reply over the cap is refused with a message. Broken properties abort().
 */
#include "scepmsg.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_CAPS                                                                                \
	(CL_SCEP_CAP_AES | CL_SCEP_CAP_DES3 | CL_SCEP_CAP_GET_NEXT_CA_CERT | CL_SCEP_CAP_POST | \
	 CL_SCEP_CAP_RENEWAL | CL_SCEP_CAP_SHA1 | CL_SCEP_CAP_SHA256 | CL_SCEP_CAP_SHA512 |     \
	 CL_SCEP_CAP_STANDARD)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_scepmsg_algs algs;
	struct cl_error err;
	unsigned caps = 0;
	enum cl_status st;

	cl_error_clear(&err);
	st = cl_scepmsg_parse_caps(data, size, &caps, &err);
	if (size > CL_SCEP_MAX_CAPS) {
		if (st != CL_E_REFUSED || caps != 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (st != CL_OK || (caps & ~ALL_CAPS))
		abort();
	if ((caps & CL_SCEP_CAP_STANDARD) &&
	    (caps & (CL_SCEP_CAP_AES | CL_SCEP_CAP_POST | CL_SCEP_CAP_SHA256)) !=
	        (CL_SCEP_CAP_AES | CL_SCEP_CAP_POST | CL_SCEP_CAP_SHA256))
		abort();
	for (int aes128 = 0; aes128 < 2; aes128++) {
		st = cl_scepmsg_choose_algs(caps, aes128, &algs, &err);
		if (st == CL_OK) {
			if (algs.cipher != EVP_aes_256_cbc() && algs.cipher != EVP_aes_128_cbc() &&
			    algs.cipher != EVP_des_ede3_cbc())
				abort();
			if (algs.md != EVP_sha256() && algs.md != EVP_sha512() && algs.md != EVP_sha1())
				abort();
			if ((caps & CL_SCEP_CAP_AES) && algs.cipher == EVP_des_ede3_cbc())
				abort();
			if ((caps & CL_SCEP_CAP_SHA256) && algs.md != EVP_sha256())
				abort();
		} else if (st != CL_E_REFUSED ||
		           ((caps & (CL_SCEP_CAP_AES | CL_SCEP_CAP_DES3)) &&
		            (caps & (CL_SCEP_CAP_SHA1 | CL_SCEP_CAP_SHA256 | CL_SCEP_CAP_SHA512)))) {
			abort();
		}
	}
	return 0;
}
