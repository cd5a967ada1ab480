/* certlink command line: finding a recorded certificate or application by serial or local id (cli.h). */
#include "cli.h"

#include <string.h>

static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };

/* Fill FOUND from REC when ID names something in it; REC is then owned by FOUND. */
static bool find_in(struct cl_records *rec, enum cl_store_kind kind, const char *id, struct cli_found *found)
{
	struct cl_certificate *cert = cl_records_find_certificate(rec, id);
	struct cl_application *app = NULL;

	if (cert && cert->application)
		app = cl_records_find_application(rec, cert->application);
	if (!cert) {
		app = cl_records_find_application(rec, id);
		if (!app)
			return false;
		if (app->serial)
			cert = cl_records_find_certificate(rec, app->serial);
	}
	found->rec = rec;
	found->store = kind;
	found->cert = cert;
	found->app = app;
	return true;
}

static int find(const char *id, enum cli_stores stores, struct cli_found *found, bool quiet)
{
	struct cl_records *rec;
	struct cl_error err;
	size_t i;

	memset(found, 0, sizeof(*found));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!cli_stores_has(stores, kinds[i]))
			continue;
		rec = NULL;
		if (cl_records_load(kinds[i], &rec, &err) != CL_OK) {
			if (quiet)
				continue;
			/* Another store may still have it; a store named explicitly must be readable. */
			if (stores != CLI_STORES_ALL)
				return cli_fail(&err);
			cli_note(_("the %s store's records cannot be read: %s"), cl_store_kind_name(kinds[i]),
			         err.msg);
			continue;
		}
		if (find_in(rec, kinds[i], id, found))
			return 0;
		cl_records_free(rec);
	}
	if (quiet)
		return CLI_EXIT_USAGE;
	cli_error(_("no certificate or application \"%s\" is recorded%s; see certlink list"), id,
	          stores == CLI_STORES_USER       ? _(" in the user store")
	          : stores == CLI_STORES_COMPUTER ? _(" in the computer store")
	                                          : "");
	return CLI_EXIT_USAGE;
}

int cli_find(const char *id, enum cli_stores stores, struct cli_found *found)
{
	return find(id, stores, found, false);
}

int cli_find_quiet(const char *id, enum cli_stores stores, struct cli_found *found)
{
	return find(id, stores, found, true);
}

void cli_found_clear(struct cli_found *found)
{
	cl_records_free(found->rec);
	memset(found, 0, sizeof(*found));
}
