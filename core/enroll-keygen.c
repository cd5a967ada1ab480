/* certlink core: generating the enrollment key on threads of their own.
 *
 * An RSA-2048 key takes OpenSSL 3.0 between a tenth and a quarter of a second, longer than everything the
 * flow says to the server before it needs the key, so the flow begins one at the click, before the server
 * has named the kind it wants (issue 14): RSA 2048 is what servers usually ask for, and when they ask for
 * EC the same key signs SCEP as the throw-away RSA transport key (core/scep.h), which has to be made
 * anyway. Only a server asking for a larger RSA key makes the early key useless; that key is then made
 * once the server has named it, as before.
 */
#include "enroll-keygen.h"

#include <string.h>

static const struct cl_key_spec rsa2048 = { CL_KEY_RSA, 2048 };

static bool same_spec(const struct cl_key_spec *a, const struct cl_key_spec *b)
{
	return a->type == b->type && a->bits == b->bits;
}

static void *job_main(void *data)
{
	struct cl_keygen_job *job = data;

	job->status = cl_key_generate(&job->spec, &job->key, &job->err);
	return NULL;
}

/* Once per job: a key taken is never made again behind the flow's back. */
static void job_start(struct cl_keygen_job *job, const struct cl_key_spec *spec)
{
	if (job->started || job->spec.type)
		return;
	memset(job, 0, sizeof(*job));
	job->spec = *spec;
	job->started = pthread_create(&job->thread, NULL, job_main, job) == 0;
}

/* Wait for the job; its key (or NULL: not begun, failed) goes to the caller. */
static EVP_PKEY *job_take(struct cl_keygen_job *job)
{
	EVP_PKEY *key;

	if (job->started)
		pthread_join(job->thread, NULL);
	job->started = false;
	key = job->status == CL_OK ? job->key : NULL;
	if (!key)
		EVP_PKEY_free(job->key);
	job->key = NULL;
	return key;
}

void cl_keygen_start_early(struct cl_keygen *kg)
{
	job_start(&kg->rsa, &rsa2048);
}

void cl_keygen_start(struct cl_keygen *kg, const struct cl_key_spec *spec)
{
	if (same_spec(spec, &rsa2048)) {
		job_start(&kg->rsa, &rsa2048);
		return;
	}
	job_start(&kg->key, spec);
	if (spec->type != CL_KEY_RSA) /* SCEP's transport key */
		job_start(&kg->rsa, &rsa2048);
}

enum cl_status cl_keygen_take(struct cl_keygen *kg, const struct cl_key_spec *spec, EVP_PKEY **out,
                              struct cl_error *err)
{
	struct cl_keygen_job *job = same_spec(spec, &rsa2048) ? &kg->rsa : &kg->key;
	bool begun = job->started && same_spec(&job->spec, spec);

	*out = begun ? job_take(job) : NULL;
	if (job == &kg->rsa)
		kg->rsa_taken = *out != NULL;
	if (*out)
		return CL_OK;
	return cl_key_generate(spec, out, err);
}

EVP_PKEY *cl_keygen_take_transport(struct cl_keygen *kg)
{
	EVP_PKEY *other = job_take(&kg->key);

	EVP_PKEY_free(other); /* not taken as the certificate's key: nobody's */
	return kg->rsa_taken ? NULL : job_take(&kg->rsa);
}

void cl_keygen_discard(struct cl_keygen *kg)
{
	EVP_PKEY_free(job_take(&kg->rsa));
	EVP_PKEY_free(job_take(&kg->key));
}
