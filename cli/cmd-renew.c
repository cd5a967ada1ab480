/* certlink command line: `certlink renew SERIAL`, renew one installed certificate now (core/enroll.h
 * cl_enroll_renew): a renewal application at the server that issued it, with a new key or, with
 * --reuse-key, the current one; the new certificate replaces the old one everywhere it was installed. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
    N_("Usage: certlink renew SERIAL [OPTIONS]\n"
       "\n"
       "Renew an installed certificate now, at the server that issued it. The new\n"
       "certificate is installed and the old one removed. Unlike certlink enroll,\n"
       "this does not wait for the renewal window. The server asks for the password.\n"
       "\n"
       "  --reuse-key             keep the current key (when the server allows it)\n"
       "  --new-key               make a new key, whatever the settings say (default)\n");

static const char help_tail[] =
    N_("  --approval-timeout SEC  how long to wait for approval (default: the server's)\n"
       "  --store user|computer   where the certificate is installed (default: look in both)\n");

static const char help_end[] =
    N_("  -h, --help              show this help\n"
       "\n"
       "Exit status as for certlink enroll; the result file is written the same way.\n");

enum { OPT_REUSE = 1, OPT_NEWKEY, OPT_TIMEOUT, OPT_STORE };

int cli_cmd_renew(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_PASSWORD_OPTIONS,
		                                  { "reuse-key", no_argument, NULL, OPT_REUSE },
		                                  { "new-key", no_argument, NULL, OPT_NEWKEY },
		                                  { "approval-timeout", required_argument, NULL,
		                                    OPT_TIMEOUT },
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  CLI_NO_NETWORK_OPTION,
		                                  CLI_RESULT_OPTIONS,
		                                  CLI_NET_OPTIONS,
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cli_password pw = { 0 };
	struct cl_enroll_opts opts;
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;
	long n;
	int c, r;

	cli_run_init(&opts);
	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_REUSE:
			opts.reuse_key = true;
			break;
		case OPT_NEWKEY:
			opts.reuse_key = false;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_number(optarg, 1, 86400, &n))
				return cli_usage_error(argv[0],
				                       _("--approval-timeout must be 1-86400 seconds"));
			opts.approval_timeout = (int)n;
			break;
		case OPT_STORE:
			if (!cl_store_kind_parse(optarg, &opts.store))
				return cli_usage_error(argv[0], _("--store must be user or computer"));
			break;
		case CLI_OPT_NO_NOTIFY:
			cli_notify_set(false);
			break;
		case 'h':
			fputs(_(help), stdout);
			fputs(_(CLI_PASSWORD_HELP), stdout);
			fputs(_(help_tail), stdout);
			fputs(_(CLI_NO_NETWORK_HELP), stdout);
			fputs(_(CLI_RESULT_HELP), stdout);
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
	if ((r = cli_check_store(opts.store)) != 0)
		return r;
	if (argc - optind != 1)
		r = cli_usage_error(argv[0], _("name one certificate serial"));
	else
		r = cli_password_load(&pw, argv[0], &opts.password);
	if (r == 0) {
		cl_error_clear(&err);
		memset(&result, 0, sizeof(result));
		st = cl_enroll_renew(argv[optind], &opts, &result, &err);
		r = cli_run_finish(&result, st, &err);
	}
	cli_password_clear(&pw);
	return r;
}
