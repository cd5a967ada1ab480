/* certlink command line: `certlink activate ID`, finish a recorded application once it is approved:
 * activate, key, SCEP, install (core/enroll.h cl_enroll_activate). Resumes whatever step a crash or an
 * earlier run stopped at; writes the result file like enroll. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
    N_("Usage: certlink activate ID [OPTIONS]\n"
       "\n"
       "Finish an application once the administrator approved it: activate it, create\n"
       "the key, get the certificate and install it. ID is the application id that\n"
       "certlink list and the \"waiting for approval\" message show. The application's\n"
       "secret was recorded when it was made, so no password is needed.\n"
       "\n"
       "  --approval-timeout SEC  wait this long for an application still pending\n"
       "                          (default: do not wait; say at once that approval\n"
       "                          is outstanding)\n"
       "  --store user|computer   where the application is recorded (default: look in both)\n"
       "  --install-ca SHA256     install the server's CA with exactly this SHA-256 as a trust\n"
       "                          anchor (repeatable); without it no CA becomes trusted\n");

static const char help_end[] =
    N_("  -h, --help              show this help\n"
       "\n"
       "Exit status as for certlink enroll: 0 installed, 300 [44] still waiting for\n"
       "approval or refused, 200 server unreachable, 100 no such application.\n");

enum { OPT_TIMEOUT = 1, OPT_STORE, OPT_INSTALL_CA };

/* Activating an installed application has nothing left to do: say so without contacting the server. */
static bool already_installed(const char *id, enum cl_store_kind store)
{
	struct cli_found found;
	bool done = false;

	if (cli_find_quiet(id,
	                   store == CL_STORE_USER       ? CLI_STORES_USER
	                   : store == CL_STORE_COMPUTER ? CLI_STORES_COMPUTER
	                                                : CLI_STORES_ALL,
	                   &found) != 0)
		return false; /* the core reports an unknown id */
	if (found.app && found.app->state == CL_APP_INSTALLED && found.cert) {
		cli_info(_("application %s is already installed: certificate %s"), found.app->id,
		         found.cert->serial);
		done = true;
	}
	cli_found_clear(&found);
	return done;
}

int cli_cmd_activate(int argc, char **argv)
{
	static const struct option longopts[] = { { "approval-timeout", required_argument, NULL,
		                                    OPT_TIMEOUT },
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  CLI_RESULT_OPTIONS,
		                                  { "install-ca", required_argument, NULL, OPT_INSTALL_CA },
		                                  CLI_NO_NETWORK_OPTION,
		                                  CLI_NET_OPTIONS,
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cl_enroll_opts opts;
	struct cli_install_ca install_ca = { 0 };
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;
	long n;
	int c, r;

	cli_run_init(&opts);
	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
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
		case OPT_INSTALL_CA:
			if ((r = cli_install_ca_option(&install_ca, &opts, argv[0], optarg)) != 0)
				return r;
			break;
		case 'h':
			fputs(_(help), stdout);
			fputs(_(CLI_NO_NETWORK_HELP), stdout);
			fputs(_(CLI_RESULT_HELP), stdout);
			fputs(_(CLI_NET_HELP), stdout);
			fputs(_(help_end), stdout);
			return CLI_EXIT_OK;
		default:
			if ((r = cli_net_option(&opts, argv[0], c, optarg)) == 0)
				break;
			return r > 0 ? r : CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(argv[0], _("name one application id"));
	if ((r = cli_check_store(opts.store)) != 0)
		return r;
	if (already_installed(argv[optind], opts.store))
		return CLI_EXIT_OK;
	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));
	st = cl_enroll_activate(argv[optind], &opts, &result, &err);
	return cli_run_finish(&result, st, &err);
}
