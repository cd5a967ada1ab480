/* certlink core: generating the enrollment key on a thread of its own.
 *
 * An RSA-2048 key takes OpenSSL 3.0 about a quarter of a second, more than a whole SCEP exchange, so the
 * flow starts the key as soon as the server's configuration names its type and collects it at activation.
 * An EC key is quick, but SCEP then signs with a throw-away RSA-2048 transport key (core/scep.h), which
 * this thread makes too.
 */
#include "enroll-keygen.h"

#include <string.h>

static void *keygen_main(void *data)
{
	struct cl_keygen *kg = data;

	static const struct cl_key_spec transport_spec = { CL_KEY_RSA, 2048 };

	kg->status = cl_key_generate(&kg->spec, &kg->key, &kg->err);
	/* a failure here only means cl_scep_enroll() makes the transport key itself */
	if (kg->status == CL_OK && kg->spec.type != CL_KEY_RSA &&
	    cl_key_generate(&transport_spec, &kg->transport, NULL) != CL_OK)
		kg->transport = NULL;
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

EVP_PKEY *cl_keygen_take_transport(struct cl_keygen *kg)
{
	EVP_PKEY *t;

	keygen_join(kg);
	t = kg->transport;
	kg->transport = NULL;
	return t;
}

void cl_keygen_discard(struct cl_keygen *kg)
{
	keygen_join(kg);
	EVP_PKEY_free(kg->key);
	EVP_PKEY_free(kg->transport);
	kg->key = kg->transport = NULL;
}
