/* certlink core: preparing a master disk image (see kitting.h). */
#include "kitting.h"
#include "enroll.h"
#include "fileio.h"
#include "paths.h"
#include "records.h"
#include "secret.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MACHINE_ID_MAX 64

enum cl_machine_id_state cl_kitting_machine_id_state(const char *path)
{
	char *text = NULL;
	size_t len = 0, n;
	enum cl_machine_id_state st;

	if (cl_fileio_read_optional(path, MACHINE_ID_MAX, &text, &len, NULL) != CL_OK)
		return CL_MACHINE_ID_INVALID;
	if (!text)
		return CL_MACHINE_ID_MISSING;
	n = strcspn(text, "\n");
	if (len == 0)
		st = CL_MACHINE_ID_EMPTY;
	else if (n == 13 && strncmp(text, "uninitialized", 13) == 0)
		st = CL_MACHINE_ID_UNINITIALIZED;
	else if (n == 32 && strspn(text, "0123456789abcdef") == 32 && strspn(text, "0") != 32)
		st = CL_MACHINE_ID_SET;
	else
		st = CL_MACHINE_ID_INVALID;
	free(text);
	return st;
}

/* Empty the machine-id file in place (its mode and owner stay; systemd writes the new ID into it at
 * first boot). A symbolic link is refused rather than followed. */
static enum cl_status empty_machine_id(const char *path, struct cl_error *err)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "emptying %s: %s", path, strerror(errno));
	if (fsync(fd) != 0) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "emptying %s: %s", path, strerror(errno));
	}
	close(fd);
	return CL_OK;
}

/* Forget every application of the computer store, with its secrets. */
static enum cl_status forget_applications(struct cl_records *rec, void *data, struct cl_error *err)
{
	size_t *count = data;

	while (rec->n_apps > 0) {
		char id[80];

		snprintf(id, sizeof(id), "%s", rec->apps[0]->id);
		if (cl_secret_delete_all(CL_STORE_COMPUTER, id, err) != CL_OK)
			return CL_E_LOCAL;
		cl_records_remove_application(rec, id);
		(*count)++;
	}
	return CL_OK;
}

/* Overwrite and remove every file left in the pending directory (secrets of applications the records no
 * longer name, a crash's temporaries), then the directory. COUNT gets the number of files; with DRY only
 * counted. */
static enum cl_status sweep_pending(bool dry, size_t *count, struct cl_error *err)
{
	char *dir = cl_paths_pending_dir(CL_STORE_COMPUTER, err), path[PATH_MAX];
	enum cl_status st = CL_OK;
	struct dirent *de;
	DIR *d;

	if (!dir)
		return CL_E_LOCAL;
	d = opendir(dir);
	if (!d) {
		st = errno == ENOENT ? CL_OK
		                     : cl_error_set(err, CL_E_LOCAL, "opening %s: %s", dir, strerror(errno));
		free(dir);
		return st;
	}
	while (st == CL_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		(*count)++;
		if (dry)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			st = cl_error_set(err, CL_E_LOCAL, "path too long in %s", dir);
		else
			st = cl_fileio_delete_secret(path, err);
	}
	closedir(d);
	if (st == CL_OK && !dry && rmdir(dir) != 0 && errno != ENOENT)
		st = cl_error_set(err, CL_E_LOCAL, "removing %s: %s", dir, strerror(errno));
	free(dir);
	return st;
}

static enum cl_status remove_results(bool dry, bool *found, struct cl_error *err)
{
	static const enum cl_result_format formats[] = { CL_RESULT_FORMAT_JSON, CL_RESULT_FORMAT_TEXT };
	enum cl_status st = CL_OK;

	for (size_t i = 0; st == CL_OK && i < 2; i++) {
		char *path = cl_paths_result_file(CL_STORE_COMPUTER, formats[i], err);
		bool removed = false;

		if (!path)
			return CL_E_LOCAL;
		if (dry)
			removed = cl_fileio_exists(path);
		else
			st = cl_fileio_remove(path, &removed, err);
		*found |= removed;
		free(path);
	}
	return st;
}

/* The certificates (by fingerprint, else serial) of the computer store, for deletion or the refusal. */
static enum cl_status list_certificates(char (**ids)[80], size_t *n, struct cl_error *err)
{
	struct cl_records *rec = NULL;

	*ids = NULL;
	*n = 0;
	if (cl_records_load(CL_STORE_COMPUTER, &rec, err) != CL_OK)
		return CL_E_LOCAL;
	*ids = calloc(rec->n_certs ? rec->n_certs : 1, sizeof(**ids));
	if (!*ids) {
		cl_records_free(rec);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	for (size_t i = 0; i < rec->n_certs; i++)
		snprintf((*ids)[i], sizeof((*ids)[i]), "%s",
		         rec->certs[i]->fingerprint ? rec->certs[i]->fingerprint : rec->certs[i]->serial);
	*n = rec->n_certs;
	cl_records_free(rec);
	return CL_OK;
}

static enum cl_status computer_store(const struct cl_kitting_opts *o, struct cl_kitting_report *r,
                                     struct cl_error *err)
{
	char(*ids)[80] = NULL, names[512] = "";
	enum cl_status st;
	size_t n, i;

	if ((st = list_certificates(&ids, &n, err)) != CL_OK)
		return st;
	r->certificates = r->certificates_left = n;
	if (n > 0 && !o->remove_certificates && !o->check_only) {
		for (i = 0; i < n && strlen(names) + 24 < sizeof(names); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%.16s",
			         i ? ", " : "", ids[i]);
		free(ids);
		st = cl_error_set(
		    err, CL_E_LOCAL,
		    "the computer store holds %zu certificate(s) issued to this machine (%s%s); every "
		    "clone would share their keys. Delete them first (certlink delete ID --store "
		    "computer) or let kitting do it (--remove-certificates); nothing was changed",
		    n, names, i < n ? ", ..." : "");
		cl_error_set_code(err, "kitting_certificates");
		return st;
	}
	for (i = 0; st == CL_OK && i < n && o->remove_certificates && !o->check_only; i++)
		if ((st = cl_enroll_delete(ids[i], CL_STORE_COMPUTER, err)) == CL_OK)
			r->certificates_left--;
	free(ids);
	if (st != CL_OK)
		return st;
	if (o->check_only) {
		struct cl_records *rec = NULL;

		if (cl_records_load(CL_STORE_COMPUTER, &rec, err) != CL_OK)
			return CL_E_LOCAL;
		r->applications = rec->n_apps;
		cl_records_free(rec);
	} else if ((st = cl_records_update(CL_STORE_COMPUTER, forget_applications, &r->applications, err)) !=
	           CL_OK) {
		return st;
	}
	if ((st = sweep_pending(o->check_only, &r->secrets, err)) != CL_OK)
		return st;
	return remove_results(o->check_only, &r->result_files, err);
}

static bool set(const char *var)
{
	const char *v = getenv(var);

	return v && *v;
}

enum cl_status cl_kitting_run(const struct cl_kitting_opts *o, struct cl_kitting_report *r,
                              struct cl_error *err)
{
	char *mid = NULL, *apid = NULL;
	enum cl_status st;
	bool removed = false;

	memset(r, 0, sizeof(*r));
	if ((st = cl_store_check_allowed(CL_STORE_COMPUTER, err)) != CL_OK)
		return st;
	/* A redirected computer store is a test (docs/paths.md): it never reaches the real machine-id or APID
	 * file by forgetting to redirect them as well. */
	if (cl_paths_system_dir_redirected() &&
	    (!set("CERTLINK_MACHINE_ID_FILE") || !set("CERTLINK_APID_FILE")))
		return cl_error_set(err, CL_E_LOCAL,
		                    "CERTLINK_SYSTEM_DIR is set (a test): set CERTLINK_MACHINE_ID_FILE and "
		                    "CERTLINK_APID_FILE as well");
	mid = cl_paths_machine_id_file(err);
	apid = mid ? cl_paths_apid_file(err) : NULL;
	if (!apid) {
		st = CL_E_LOCAL;
		goto out;
	}
	snprintf(r->machine_id_path, sizeof(r->machine_id_path), "%s", mid);
	snprintf(r->apid_path, sizeof(r->apid_path), "%s", apid);
	/* The store first: a refusal there leaves everything as it was. */
	if ((st = computer_store(o, r, err)) != CL_OK)
		goto out;
	if (o->check_only) {
		r->apid_file = cl_fileio_exists(apid);
	} else {
		if ((st = cl_fileio_remove(apid, &removed, err)) != CL_OK)
			goto out;
		r->apid_file = removed;
	}
	r->machine_id = cl_kitting_machine_id_state(mid);
	if (o->empty_machine_id && !o->check_only && r->machine_id != CL_MACHINE_ID_MISSING &&
	    r->machine_id != CL_MACHINE_ID_EMPTY) {
		if ((st = empty_machine_id(mid, err)) != CL_OK)
			goto out;
		r->machine_id_emptied = true;
		r->machine_id = cl_kitting_machine_id_state(mid);
	}
	r->ready = (r->machine_id == CL_MACHINE_ID_MISSING || r->machine_id == CL_MACHINE_ID_EMPTY ||
	            r->machine_id == CL_MACHINE_ID_UNINITIALIZED) &&
	           r->certificates_left == 0 &&
	           (!o->check_only || (!r->apid_file && r->applications == 0 && r->secrets == 0));
out:
	free(mid);
	free(apid);
	return st;
}
