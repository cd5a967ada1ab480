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

static void usage(void)
{
	fputs(_(help), stdout);
	fputs(_(CLI_PASSWORD_HELP), stdout);
	fputs(_(help_tail), stdout);
	fputs(_(CLI_NET_HELP), stdout);
	fputs(_(help_end), stdout);
}

static int run(struct cli_op_run *r)
{
	struct cl_error err;

	cl_error_clear(&err);
	if (cl_enroll_withdraw(r->id, &r->opts, &err) != CL_OK)
		return cli_fail(&err);
	cli_info(_("%s withdrawn"), r->id);
	return CLI_EXIT_OK;
}

int cli_cmd_withdraw(int argc, char **argv)
{
	static const struct cli_op op = {
		.takes = CLI_OP_PASSWORD | CLI_OP_NET,
		.missing_id = N_("name one application id or certificate serial"),
		.help = usage,
		.run = run,
	};

	return cli_op_main(&op, NULL, argc, argv);
}
