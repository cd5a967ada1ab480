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

enum { OPT_REASON = 1, OPT_EMAIL, OPT_NOTE };

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

static void usage(void)
{
	fputs(_(help), stdout);
	fputs(_(CLI_NET_HELP), stdout);
	fputs(_(help_end), stdout);
}

static int option(struct cli_op_run *r, int c, const char *arg)
{
	switch (c) {
	case OPT_REASON:
		r->opts.reason = arg;
		return 0;
	case OPT_EMAIL:
		if (strlen(arg) > 128)
			return cli_usage_error("reapply", _("--email is at most 128 characters"));
		r->opts.email = arg;
		return 0;
	case OPT_NOTE:
		r->opts.device_note = arg;
		return 0;
	}
	return CLI_EXIT_USAGE;
}

static int run(struct cli_op_run *r)
{
	struct cl_error err;
	const char *state;

	cl_error_clear(&err);
	if (cl_enroll_reapply(r->id, &r->opts, &err) != CL_OK)
		return cli_fail(&err);
	state = state_now(r->id);
	cli_info(_("application %s is %s again; when it is approved, run `certlink activate %s`"), r->id,
	         state ? _(state) : _("recorded"), r->id);
	return CLI_EXIT_OK;
}

int cli_cmd_reapply(int argc, char **argv)
{
	static const struct option own[] = { { "reason", required_argument, NULL, OPT_REASON },
		                             { "email", required_argument, NULL, OPT_EMAIL },
		                             { "device-note", required_argument, NULL, OPT_NOTE },
		                             { NULL, 0, NULL, 0 } };
	static const struct cli_op op = {
		.takes = CLI_OP_NET,
		.own = own,
		.missing_id = N_("name one application id"),
		.help = usage,
		.option = option,
		.run = run,
	};

	return cli_op_main(&op, NULL, argc, argv);
}
