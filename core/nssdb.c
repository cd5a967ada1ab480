/* certlink core: NSS database operations (see nssdb.h). */
#include "nssdb.h"
#include "paths.h"
#include "tool.h"

#include <stdlib.h>
#include <unistd.h>

char *cl_nssdb_find(void)
{
	char *dir = cl_paths_nssdb_dir(NULL), *db = NULL, *probe;

	probe = dir ? cl_paths_join(dir, "cert9.db", NULL) : NULL;
	if (probe && access(probe, R_OK | W_OK) == 0)
		db = cl_paths_nssdb(NULL);
	free(probe);
	free(dir);
	return db;
}

bool cl_nssdb_has(const char *db, const char *nickname)
{
	char *certutil = cl_paths_tool_certutil(NULL);
	const char *argv[] = { certutil, "-L", "-d", db, "-n", nickname, NULL };
	int code = -1;
	bool found;

	found = certutil && cl_tool_run(argv, NULL, 0, &code, NULL) == CL_OK && code == 0;
	free(certutil);
	return found;
}

enum cl_status cl_nssdb_import_pkcs12(const char *db, const char *p12, const char *pwfile,
                                      const char *nickname, struct cl_error *err)
{
	char *pk12util = cl_paths_tool_pk12util(err);
	const char *argv[] = { pk12util, "-i", p12, "-d", db, "-w", pwfile, "-k", "/dev/null", NULL };
	enum cl_status st;

	if (!pk12util)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, "importing into the NSS database", err);
	free(pk12util);
	if (st == CL_OK && !cl_nssdb_has(db, nickname))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "importing into the NSS database %s: \"%s\" is not there after pk12util",
		                  db, nickname);
	return st;
}

enum cl_status cl_nssdb_add_ca(const char *db, const char *pemfile, const char *nickname,
                               struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	const char *argv[] = { certutil, "-A",  "-d", db,   "-n",    nickname,
		               "-t",     "C,,", "-a", "-i", pemfile, NULL };
	enum cl_status st;

	if (!certutil)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, "trusting the CA in the NSS database", err);
	free(certutil);
	return st;
}

enum cl_status cl_nssdb_remove(const char *db, const char *nickname, bool with_key, struct cl_error *err)
{
	char *certutil = cl_paths_tool_certutil(err);
	const char *del_key[] = { certutil, "-F", "-d", db, "-n", nickname, "-f", "/dev/null", NULL };
	const char *del_cert[] = { certutil, "-D", "-d", db, "-n", nickname, NULL };
	enum cl_status st = CL_OK;

	if (!certutil)
		return CL_E_LOCAL;
	if (cl_nssdb_has(db, nickname)) {
		/* -F removes the key and its certificate; a CA, or a certificate whose key is gone, needs -D.
		 */
		if (!with_key || cl_tool_run_ok(del_key, "removing from the NSS database", NULL) != CL_OK)
			st = cl_tool_run_ok(del_cert, "removing from the NSS database", err);
		if (st == CL_OK && cl_nssdb_has(db, nickname))
			st = cl_error_set(err, CL_E_LOCAL, "\"%s\" is still in the NSS database %s", nickname,
			                  db);
	}
	free(certutil);
	return st;
}
