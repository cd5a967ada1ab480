/* certlink core: the enrollment key, generated on threads of their own while the flow talks to the server
 * (enroll-keygen.c). Not for front ends. */
#ifndef CL_ENROLL_KEYGEN_H
#define CL_ENROLL_KEYGEN_H

#include <pthread.h>
#include <stdbool.h>

#include <openssl/evp.h>

#include "error.h"
#include "key.h"

/* One key generated on a thread of its own. */
struct cl_keygen_job {
	pthread_t thread;
	bool started;
	struct cl_key_spec spec;
	EVP_PKEY *key;
	enum cl_status status;
	struct cl_error err;
};

/* The keys of one enrollment: an RSA 2048 key begun at the click, before the server has named its key
 * (RSA 2048 is what servers usually ask for, and the RSA transport key SCEP signs with when the key is EC,
 * core/scep.h), and, when the server names another kind, that key. Zeroed before use (cl_flow_init()). */
struct cl_keygen {
	struct cl_keygen_job rsa; /* RSA 2048 */
	struct cl_keygen_job key; /* the server's kind, when it is not RSA 2048 */
	bool rsa_taken;           /* the RSA 2048 key became the certificate's key */
};

/* At the click: begin the RSA 2048 key. */
void cl_keygen_start_early(struct cl_keygen *kg);
/* Once the server named SPEC: begin what is still missing (the RSA 2048 key for SPEC RSA 2048 or as
 * transport key beside an EC key; a key of SPEC otherwise). */
void cl_keygen_start(struct cl_keygen *kg, const struct cl_key_spec *spec);
/* Wait for the key of SPEC; when it was not begun (or its thread failed), generate it now. *out owned by
 * the caller. */
enum cl_status cl_keygen_take(struct cl_keygen *kg, const struct cl_key_spec *spec, EVP_PKEY **out,
                              struct cl_error *err);
/* Wait for the threads and take the RSA 2048 key when the certificate's key is not it (SCEP's transport
 * key), or NULL. Caller frees. */
EVP_PKEY *cl_keygen_take_transport(struct cl_keygen *kg);
/* Wait for the threads and free what nobody took (EVP_PKEY_free() wipes private keys). */
void cl_keygen_discard(struct cl_keygen *kg);

#endif
