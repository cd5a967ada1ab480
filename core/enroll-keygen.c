/* certlink core: generating the enrollment key on a thread of its own.
 *
 * An RSA-2048 key takes OpenSSL 3.0 about a quarter of a second, more than a whole SCEP exchange, so the
 * flow starts the key as soon as the server's configuration names its type and collects it at activation.
 */
#include "enroll-private.h"

#include <string.h>

static void *keygen_main(void *data)
{
	struct cl_keygen *kg = data;

	kg->status = cl_key_generate(&kg->spec, &kg->key, &kg->err);
	return NULL;
}

void cl_keygen_start(struct cl_keygen *kg, const struct cl_key_spec *spec)
{
	if (kg->started)
		return;
	memset(kg, 0, sizeof(*kg));
	kg->spec = *spec;
	kg->started = pthread_create(&kg->thread, NULL, keygen_main, kg) == 0;
}

static void keygen_join(struct cl_keygen *kg)
{
	if (kg->started)
		pthread_join(kg->thread, NULL);
	kg->started = false;
}

enum cl_status cl_keygen_take(struct cl_keygen *kg, const struct cl_key_spec *spec, EVP_PKEY **out,
                              struct cl_error *err)
{
	bool same = kg->started && kg->spec.type == spec->type && kg->spec.bits == spec->bits;

	keygen_join(kg);
	if (same && kg->status == CL_OK && kg->key) {
		*out = kg->key;
		kg->key = NULL;
		return CL_OK;
	}
	EVP_PKEY_free(kg->key);
	kg->key = NULL;
	return cl_key_generate(spec, out, err);
}

void cl_keygen_discard(struct cl_keygen *kg)
{
	keygen_join(kg);
	EVP_PKEY_free(kg->key);
	kg->key = NULL;
}
