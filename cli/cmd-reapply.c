/* certlink command line: `certlink reapply ID`, apply again with a withdrawn or rejected application
 * (core/enroll.h cl_enroll_reapply), and say where it stands now. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
    N_("Usage: certlink reapply ID [OPTIONS]\n"
       "\n"
       "Apply again with a withdrawn or rejected application. It goes back to\n"
       "pending (or approved, when the server approves automatically); then\n"
       "certlink activate ID installs the certificate once it is approved.\n"
       "\n"
       "  --reason TEXT           a new reason for the application\n"
       "  --email ADDRESS         a new e-mail address\n"
       "  --device-note TEXT      a new device note\n"
       "  --store user|computer   where the application is recorded (default: look in both)\n");

static const char help_end[] = N_("  -h, --help              show this help\n");

enum { OPT_REASON = 1, OPT_EMAIL, OPT_NOTE, OPT_STORE };

/* The application's recorded state after the operation, for the message. */
static const char *state_now(const char *id)
{
	struct cli_found found;
	const char *name = NULL;

	if (cli_find(id, CLI_STORES_ALL, &found) != 0)
		return NULL;
	if (found.app)
		name = cl_app_state_name(found.app->state);
	cli_found_clear(&found);
	return name;
}

int cli_cmd_reapply(int argc, char **argv)
{
	static const struct option longopts[] = { { "reason", required_argument, NULL, OPT_REASON },
		                                  { "email", required_argument, NULL, OPT_EMAIL },
		                                  { "device-note", required_argument, NULL, OPT_NOTE },
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  CLI_NET_OPTIONS,
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cl_enroll_opts opts;
	struct cl_error err;
	const char *state;
	int c, r;

	cli_run_init(&opts);
	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_REASON:
			opts.reason = optarg;
			break;
		case OPT_EMAIL:
			if (strlen(optarg) > 128)
				return cli_usage_error(argv[0], _("--email is at most 128 characters"));
			opts.email = optarg;
			break;
		case OPT_NOTE:
			opts.device_note = optarg;
			break;
		case OPT_STORE:
			if (!cl_store_kind_parse(optarg, &opts.store))
				return cli_usage_error(argv[0], _("--store must be user or computer"));
			break;
		case 'h':
			fputs(_(help), stdout);
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
	cl_error_clear(&err);
	if (cl_enroll_reapply(argv[optind], &opts, &err) != CL_OK)
		return cli_fail(&err);
	state = state_now(argv[optind]);
	cli_info(_("application %s is %s again; when it is approved, run `certlink activate %s`"),
	         argv[optind], state ? _(state) : _("recorded"), argv[optind]);
	return CLI_EXIT_OK;
}
