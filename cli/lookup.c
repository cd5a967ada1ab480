/* certlink command line: finding a recorded certificate or application by serial, fingerprint prefix or
 * local id (cli.h). Two CAs can issue the same serial: an id that names more than one certificate, in one
 * store or across both, is refused with the list to choose from (core/records.h cl_records_resolve()). */
#include "cli.h"

#include <string.h>

static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };

/* Fill FOUND from REC when ID names something in it; REC is then owned by FOUND. -1: ambiguous in REC. */
static int find_in(struct cl_records *rec, enum cl_store_kind kind, const char *id, struct cli_found *found,
                   struct cl_error *err)
{
	struct cl_certificate *cert = NULL;
	struct cl_application *app = NULL;

	if (cl_records_resolve(rec, id, &app, &cert, err) != CL_OK)
		return -1;
	if (!cert && !app)
		return 0;
	found->rec = rec;
	found->store = kind;
	found->cert = cert;
	found->app = app;
	return 1;
}

static int find(const char *id, enum cli_stores stores, struct cli_found *found, bool quiet)
{
	struct cli_found hit[2];
	struct cl_records *rec;
	struct cl_error err;
	size_t i, n = 0;

	memset(found, 0, sizeof(*found));
	memset(hit, 0, sizeof(hit));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int r;

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
		r = find_in(rec, kinds[i], id, &hit[n], &err);
		if (r <= 0)
			cl_records_free(rec);
		if (r < 0) {
			cli_found_clear(&hit[0]);
			return quiet ? CLI_EXIT_USAGE : cli_fail(&err);
		}
		n += (size_t)r;
	}
	if (n == 2 && hit[0].cert && hit[1].cert) {
		struct cl_certificate *both[2] = { hit[0].cert, hit[1].cert };

		cl_records_ambiguous(id, both, kinds, 2, &err);
		cli_found_clear(&hit[0]);
		cli_found_clear(&hit[1]);
		return quiet ? CLI_EXIT_USAGE : cli_fail(&err);
	}
	if (n > 0) {
		*found = hit[0];
		if (n == 2)
			cli_found_clear(&hit[1]);
		return 0;
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
