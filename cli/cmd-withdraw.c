/* certlink command line: `certlink withdraw ID`, withdraw a recorded application at the server
 * (core/enroll.h cl_enroll_withdraw). The server revokes a certificate already issued for it, so certlink
 * removes that certificate from every place it was installed. */
#include "cli.h"

#include <stdio.h>

static const char help[] = N_("Usage: certlink withdraw ID [OPTIONS]\n"
                              "\n"
                              "Withdraw an application at the enrollment server. ID is an application id or\n"
                              "the serial of the certificate it produced. A certificate already issued is\n"
                              "revoked by the server and removed from this computer. certlink reapply ID\n"
                              "applies again with the same application.\n"
                              "\n"
                              "The password is needed only when the server asks for it on withdrawal:\n");

static const char help_tail[] =
    N_("  --store user|computer   where the application is recorded (default: look in both)\n");

static const char help_end[] = N_("  -h, --help              show this help\n");

enum { OPT_STORE = 1 };

int cli_cmd_withdraw(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_PASSWORD_OPTIONS,
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  CLI_NET_OPTIONS,
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cli_password pw = { 0 };
	struct cl_enroll_opts opts;
	struct cl_error err;
	int c, r;

	cli_run_init(&opts);
	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_STORE:
			if (!cl_store_kind_parse(optarg, &opts.store))
				return cli_usage_error(argv[0], _("--store must be user or computer"));
			break;
		case 'h':
			fputs(_(help), stdout);
			fputs(_(CLI_PASSWORD_HELP), stdout);
			fputs(_(help_tail), stdout);
			fputs(_(CLI_NET_HELP), stdout);
			fputs(_(help_end), stdout);
			return CLI_EXIT_OK;
		default:
			if (cli_password_option(&pw, c, optarg))
				break;
			if ((r = cli_net_option(&opts, argv[0], c, optarg)) == 0)
				break;
			return r > 0 ? r : CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(argv[0], _("name one application id or certificate serial"));
	if ((r = cli_check_store(opts.store)) != 0)
		return r;
	r = cli_password_load(&pw, argv[0], &opts.password);
	if (r == 0) {
		cl_error_clear(&err);
		if (cl_enroll_withdraw(argv[optind], &opts, &err) != CL_OK)
			r = cli_fail(&err);
		else
			cli_info(_("%s withdrawn"), argv[optind]);
	}
	cli_password_clear(&pw);
	return r;
}
