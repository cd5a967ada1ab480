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

enum { OPT_REUSE = 1, OPT_NEWKEY };

static void usage(void)
{
	fputs(_(help), stdout);
	fputs(_(CLI_PASSWORD_HELP), stdout);
	fputs(_(help_tail), stdout);
	fputs(_(CLI_NET_HELP), stdout);
	fputs(_(help_end), stdout);
}

static int option(struct cli_op_run *r, int c, const char *arg)
{
	(void)arg;
	switch (c) {
	case OPT_REUSE:
		r->opts.reuse_key = true;
		return 0;
	case OPT_NEWKEY:
		r->opts.reuse_key = false;
		return 0;
	}
	return CLI_EXIT_USAGE;
}

static int run(struct cli_op_run *r)
{
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;

	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));
	st = cl_enroll_renew(r->id, &r->opts, &result, &err);
	return cli_run_finish(&result, st, &err);
}

int cli_cmd_renew(int argc, char **argv)
{
	static const struct option own[] = { { "reuse-key", no_argument, NULL, OPT_REUSE },
		                             { "new-key", no_argument, NULL, OPT_NEWKEY },
		                             { NULL, 0, NULL, 0 } };
	static const struct cli_op op = {
		.takes = CLI_OP_PASSWORD | CLI_OP_NET | CLI_OP_APPROVAL,
		.own = own,
		.missing_id = N_("name one certificate serial"),
		.help = usage,
		.option = option,
		.run = run,
	};

	return cli_op_main(&op, NULL, argc, argv);
}
