/* certlink command line: `certlink delete SERIAL`, remove a certificate from every place it was installed
 * and forget it (core/enroll.h cl_enroll_delete). Local only: the server is not told, and the certificate
 * stays valid there until it expires or is withdrawn. */
#include "cli.h"

#include <stdio.h>

static const char help[] =
    N_("Usage: certlink delete SERIAL [--store user|computer]\n"
       "\n"
       "Remove a certificate from this computer: its key, certificate, chain and\n"
       "PKCS#12 files, its NSS entry, and the CAs installed for it that no other\n"
       "certificate needs; then its record and its application's record. The\n"
       "server is not contacted (certlink withdraw revokes at the server).\n"
       "The computer store needs root.\n"
       "\n"
       "  --store user|computer   which store (default: look in both, the user store first)\n"
       "  -h, --help              show this help\n");

static void usage(void)
{
	fputs(_(help), stdout);
}

static int run(struct cli_op_run *r)
{
	struct cl_error err;

	cl_error_clear(&err);
	if (cl_enroll_delete(r->id, r->opts.store, &err) != CL_OK)
		return cli_fail(&err);
	cli_info(_("%s deleted"), r->id);
	return CLI_EXIT_OK;
}

int cli_cmd_delete(int argc, char **argv)
{
	static const struct cli_op op = {
		.missing_id = N_("name one certificate serial"),
		.help = usage,
		.run = run,
	};

	return cli_op_main(&op, NULL, argc, argv);
}
