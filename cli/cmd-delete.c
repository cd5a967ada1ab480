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

enum { OPT_STORE = 1 };

int cli_cmd_delete(int argc, char **argv)
{
	static const struct option longopts[] = { { "store", required_argument, NULL, OPT_STORE },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	enum cl_store_kind store = CL_STORE_ASK;
	struct cl_error err;
	int c, r;

	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_STORE:
			if (!cl_store_kind_parse(optarg, &store))
				return cli_usage_error(argv[0], _("--store must be user or computer"));
			break;
		case 'h':
			fputs(_(help), stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(argv[0], _("name one certificate serial"));
	if ((r = cli_check_store(store)) != 0)
		return r;
	cl_error_clear(&err);
	if (cl_enroll_delete(argv[optind], store, &err) != CL_OK)
		return cli_fail(&err);
	cli_info(_("%s deleted"), argv[optind]);
	return CLI_EXIT_OK;
}
