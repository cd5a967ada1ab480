/* Unit test of ui/manager-elevate.c: the manager deletes from the computer store through pkexec and the
 * privileged helper the polkit policy names (LIBEXECDIR/certlink/certlink-install-helper --delete ID), and
 * reports a refused or dismissed authentication. A stand-in pkexec records its arguments and runs them (or
 * refuses with pkexec's own exit status 126); the helper is the real one, on a redirected computer store
 * (a root caller without pkexec keeps its environment). */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fileio.h"
#include "manager-elevate.h"
#include "records.h"
#include "tmpdir.h"

struct outcome {
	gboolean done, ok;
	char *message;
};

static void on_done(GObject *source, GAsyncResult *res, gpointer data)
{
	struct outcome *o = data;

	o->ok = certlink_manager_elevate_finish(res, &o->message);
	o->done = TRUE;
}

static struct outcome run(const char *id)
{
	struct outcome o = { FALSE, FALSE, NULL };

	certlink_manager_elevate_delete(id, on_done, &o);
	while (!o.done)
		g_main_context_iteration(NULL, TRUE);
	return o;
}

static enum cl_status seed(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct cl_certificate *c = cl_records_add_certificate(rec, "abc123", NULL, err);

	if (!c)
		return err->status;
	cl_records_set_string(&c->subject, "CN=pc01", NULL);
	return cl_locations_add(&c->locations, CL_LOC_CERTIFICATE, data, NULL, err);
}

static void write_script(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, 0755);
}

int main(int argc, char **argv)
{
	char script[8192], *args = NULL, *cert = NULL;
	struct cl_records *rec = NULL;
	struct cl_error err;
	struct outcome o;

	if (argc != 2) {
		fprintf(stderr, "usage: test-manager-elevate PATH-OF-CERTLINK-INSTALL-HELPER\n");
		return 2;
	}
	tmpdir_make("elevate");
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("system"), 1);
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("XDG_STATE_HOME", tmpdir_path("state"), 1);
	setenv("CERTLINK_INSTALL_HELPER", argv[1], 1);
	cert = g_strdup(tmpdir_path("system/pc01.pem"));
	cl_fileio_mkdirs(tmpdir_path("system"), 0755, NULL);
	cl_fileio_write_new(cert, "-----BEGIN CERTIFICATE-----\n", 28, 0644, NULL);
	CHECK_INT_EQ(cl_records_update(CL_STORE_COMPUTER, seed, cert, &err), CL_OK);

	/* granted: pkexec runs the command it was given */
	snprintf(script, sizeof(script), "#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s\nexec \"$@\"\n",
	         tmpdir_path("args"));
	write_script(tmpdir_path("pkexec"), script);
	setenv("CERTLINK_PKEXEC", tmpdir_path("pkexec"), 1);
	o = run("ABC123");
	CHECK(o.ok);
	CHECK(cl_fileio_read(tmpdir_path("args"), 4096, &args, NULL, NULL) == CL_OK);
	snprintf(script, sizeof(script), "%s\n--delete\nABC123\n", argv[1]);
	CHECK_STR_EQ(args, script);
	CHECK(!cl_fileio_exists(cert));
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	CHECK(rec && rec->n_certs == 0);
	cl_records_free(rec);
	g_free(o.message);

	/* dismissed or refused: pkexec's 126, said in the person's words */
	write_script(tmpdir_path("pkexec"), "#!/bin/sh\nexit 126\n");
	o = run("abc123");
	CHECK(!o.ok);
	CHECK_STR_EQ(o.message, "Administrator rights were not granted.");
	g_free(o.message);

	/* the helper refuses (nothing recorded by that id): its message comes through */
	snprintf(script, sizeof(script), "#!/bin/sh\nexec \"$@\"\n");
	write_script(tmpdir_path("pkexec"), script);
	o = run("ffff");
	CHECK(!o.ok);
	CHECK(o.message && strstr(o.message, "no application or certificate \"ffff\" is recorded"));
	g_free(o.message);

	free(args);
	g_free(cert);
	tmpdir_remove();
	return check_done();
}
