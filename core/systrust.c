/* certlink core: system trust anchors (see systrust.h). */
#include "systrust.h"
#include "fileio.h"
#include "paths.h"
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

enum cl_status cl_systrust_check_redirect(struct cl_error *err)
{
	static const char *const vars[] = { "CERTLINK_TRUST", "CERTLINK_UPDATE_CA_CERTIFICATES",
		                            "CERTLINK_CA_CERTIFICATES_DIR" };

	if (!cl_paths_system_dir_redirected())
		return CL_OK;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (!v || !*v)
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the computer store is redirected (CERTLINK_SYSTEM_DIR) but the system "
			    "trust store is not: set %s too",
			    vars[i]);
	}
	return CL_OK;
}

enum cl_status cl_systrust_put_pem(const char *path, X509 *ca, bool *created, struct cl_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *old = NULL;
	enum cl_status st = CL_OK;
	long len;

	*created = false;
	if (!bio || PEM_write_bio_X509(bio, ca) != 1) {
		BIO_free(bio);
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the CA certificate");
	}
	len = BIO_get_mem_data(bio, &data);
	cl_fileio_read_optional(path, 64 * 1024, &old, NULL, NULL);
	if (!old || strlen(old) != (size_t)len || memcmp(old, data, (size_t)len) != 0) {
		st = cl_fileio_replace(path, data, (size_t)len, 0644, err);
		*created = st == CL_OK;
	}
	free(old);
	BIO_free(bio);
	return st;
}

static enum cl_status update_ca_certificates(struct cl_error *err)
{
	char *tool = cl_paths_tool_update_ca(err);
	const char *argv[] = { tool, NULL };
	enum cl_status st;

	if (!tool)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, CL_N_("updating the system trust store"), err);
	free(tool);
	return st;
}

/* The fallback: CA_DIR/certlink-FP16.crt, then update-ca-certificates. */
static enum cl_status add_ca_certificates(X509 *ca, const char *fp, struct cl_locations *added, bool *is_new,
                                          struct cl_error *err)
{
	char *dir = cl_paths_ca_certificates_dir(err), *path = NULL, name[64];
	enum cl_status st = CL_E_LOCAL;

	snprintf(name, sizeof(name), "certlink-%.16s.crt", fp);
	if (!dir || !(path = cl_paths_join(dir, name, err)) || cl_fileio_mkdirs(dir, 0755, err) != CL_OK ||
	    cl_systrust_put_pem(path, ca, is_new, err) != CL_OK)
		goto out;
	st = update_ca_certificates(err);
	if (st != CL_OK) {
		if (*is_new)
			unlink(path);
		goto out;
	}
	st = cl_locations_add(added, CL_LOC_CA_CERTIFICATES, path, NULL, err);
out:
	free(dir);
	free(path);
	return st;
}

enum cl_status cl_systrust_add(X509 *ca, const char *pemfile, const char *fp, struct cl_locations *added,
                               bool *is_new, struct cl_error *err)
{
	char *trust = cl_paths_tool_trust(err), out[2048], why[CL_ERROR_MSG_MAX];
	const char *argv[] = { trust, "anchor", "--store", pemfile, NULL };
	struct cl_error e;
	enum cl_status st;
	int code = -1;

	*is_new = false;
	if (!trust)
		return CL_E_LOCAL;
	if (cl_tool_run(argv, out, sizeof(out), &code, &e) != CL_OK)
		snprintf(why, sizeof(why), "%s", e.msg);
	else
		snprintf(why, sizeof(why), "exit status %d: %.200s", code, cl_tool_last_line(out));
	free(trust);
	if (code == 0) {
		*is_new = true;
		return cl_locations_add(added, CL_LOC_P11KIT_ANCHOR, pemfile, NULL, err);
	}
	st = add_ca_certificates(ca, fp, added, is_new, err);
	if (st != CL_OK)
		cl_error_prefix(err, "p11-kit trust anchor failed (%s), and the fallback too", why);
	return st;
}

enum cl_status cl_systrust_remove(const struct cl_location *loc, struct cl_error *err)
{
	enum cl_status st;
	char *trust;

	if (loc->kind == CL_LOC_CA_CERTIFICATES) {
		if (unlink(loc->path) != 0) {
			if (errno == ENOENT)
				return CL_OK;
			return cl_error_set(err, CL_E_LOCAL, "removing %s: %s", loc->path, strerror(errno));
		}
		return update_ca_certificates(err);
	}
	if (loc->kind != CL_LOC_P11KIT_ANCHOR)
		return cl_error_set(err, CL_E_UNEXPECTED, "not a system trust location");
	trust = cl_paths_tool_trust(err);
	if (!trust)
		return CL_E_LOCAL;
	{
		const char *argv[] = { trust, "anchor", "--remove", loc->path, NULL };

		st = cl_tool_run_ok(argv, CL_N_("removing the trust anchor"), err);
	}
	free(trust);
	return st;
}
