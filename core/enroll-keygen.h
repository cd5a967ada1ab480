/* certlink core: the enrollment key, generated on a thread of its own while the flow talks to the server
 * (enroll-keygen.c). Not for front ends. */
#ifndef CL_ENROLL_KEYGEN_H
#define CL_ENROLL_KEYGEN_H

#include <pthread.h>
#include <stdbool.h>

#include <openssl/evp.h>

#include "error.h"
#include "key.h"

/* A key generated on a thread of its own while the flow talks to the server (RSA keys take a while). For an
 * EC key the thread also makes the RSA transport key SCEP signs with (core/scep.h). */
struct cl_keygen {
	pthread_t thread;
	bool started;
	struct cl_key_spec spec;
	EVP_PKEY *key;
	EVP_PKEY *transport; /* NULL unless spec is not RSA (or its generation failed: SCEP then makes one) */
	enum cl_status status;
	struct cl_error err;
};

void cl_keygen_start(struct cl_keygen *kg, const struct cl_key_spec *spec);
/* Wait for the key; when spec differs from what was started, generate spec instead. *out owned by caller. */
enum cl_status cl_keygen_take(struct cl_keygen *kg, const struct cl_key_spec *spec, EVP_PKEY **out,
                              struct cl_error *err);
/* Wait for the thread and take the transport key it made, or NULL. Caller frees. */
EVP_PKEY *cl_keygen_take_transport(struct cl_keygen *kg);
void cl_keygen_discard(struct cl_keygen *kg);

#endif
