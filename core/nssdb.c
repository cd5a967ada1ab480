/* certlink core: NSS database operations (see nssdb.h). */
#include "nssdb.h"
#include "paths.h"
#include "tool.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define LIST_OUT   (64 * 1024) /* certutil -L listings */
#define DELETE_MAX 16          /* certificates under one nickname that cl_nssdb_remove() takes out */

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

/* Does PEM text (one or more certificates, as cl_tool_run() captured it) hold CERT? */
static bool pem_holds(char *pem, X509 *cert)
{
	bool found = false;
	size_t i, o = 0;
	BIO *bio;
	X509 *x;

	/* certutil ends base64 lines with CR LF; the capture shows each CR as '?', which base64 never has */
	for (i = 0; pem[i]; i++)
		if (pem[i] != '?')
			pem[o++] = pem[i];
	pem[o] = '\0';
	bio = BIO_new_mem_buf(pem, -1);
	while (bio && !found && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		found = X509_cmp(x, cert) == 0;
		X509_free(x);
	}
	ERR_clear_error(); /* the end of the PEM text is an error for OpenSSL */
	BIO_free(bio);
	return found;
}

/* A line of `certutil -L` is "NICKNAME   TRUST": cut the trust attributes (the last word) off in place. */
static char *listing_nickname(char *line)
{
	char *end = line + strlen(line);

	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	while (end > line && !isspace((unsigned char)end[-1]))
		end--;
	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return line;
}

bool cl_nssdb_nickname_of(const char *db, X509 *cert, char *out, size_t size)
{
	char *certutil = cl_paths_tool_certutil(NULL), *list = malloc(LIST_OUT), *pem = malloc(LIST_OUT);
	const char *argv[] = { certutil, "-L", "-d", db, NULL };
	char *line, *save = NULL;
	bool found = false;
	int code = -1;

	if (!certutil || !list || !pem || cl_tool_run(argv, list, LIST_OUT, &code, NULL) != CL_OK ||
	    code != 0)
		goto out;
	for (line = strtok_r(list, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		const char *nick = listing_nickname(line);
		const char *show[] = { certutil, "-L", "-d", db, "-n", nick, "-a", NULL };

		if (!nick[0] || nick[0] == '-' || cl_tool_run(show, pem, LIST_OUT, &code, NULL) != CL_OK ||
		    code != 0)
			continue; /* the header lines, or something NSS will not show */
		if ((found = pem_holds(pem, cert)))
			snprintf(out, size, "%s", nick);
	}
out:
	free(certutil);
	free(list);
	free(pem);
	return found;
}

enum cl_status cl_nssdb_import_pkcs12_cert(const char *db, const char *p12, const char *pwfile,
                                           const char *nickname, X509 *cert, char *actual, size_t size,
                                           struct cl_error *err)
{
	char *pk12util = cl_paths_tool_pk12util(err);
	const char *argv[] = { pk12util, "-i", p12, "-d", db, "-w", pwfile, "-k", "/dev/null", NULL };
	enum cl_status st;

	if (!pk12util)
		return CL_E_LOCAL;
	st = cl_tool_run_ok(argv, "importing into the NSS database", err);
	free(pk12util);
	if (st != CL_OK)
		return st;
	if (cl_nssdb_has(db, nickname)) {
		snprintf(actual, size, "%s", nickname);
		return CL_OK;
	}
	if (cl_nssdb_nickname_of(db, cert, actual, size))
		return CL_OK;
	return cl_error_set(err, CL_E_LOCAL,
	                    "importing into the NSS database %s: \"%s\" is not there after pk12util", db,
	                    nickname);
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
		for (int i = 0; i < DELETE_MAX && st == CL_OK && cl_nssdb_has(db, nickname); i++)
			if (!with_key ||
			    cl_tool_run_ok(del_key, "removing from the NSS database", NULL) != CL_OK)
				st = cl_tool_run_ok(del_cert, "removing from the NSS database", err);
		if (st == CL_OK && cl_nssdb_has(db, nickname))
			st = cl_error_set(err, CL_E_LOCAL, "\"%s\" is still in the NSS database %s", nickname,
			                  db);
	}
	free(certutil);
	return st;
}
