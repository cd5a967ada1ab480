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

enum { OPT_INSTALL_CA = 1 };

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

static void usage(void)
{
	fputs(_(help), stdout);
	fputs(_(CLI_NO_NETWORK_HELP), stdout);
	fputs(_(CLI_RESULT_HELP), stdout);
	fputs(_(CLI_NET_HELP), stdout);
	fputs(_(help_end), stdout);
}

/* --install-ca SHA256: the CAs an administrator allows to become trust anchors (r->data, which outlives
 * r->opts: opts points into it). */
static int option(struct cli_op_run *r, int c, const char *arg)
{
	if (c == OPT_INSTALL_CA)
		return cli_install_ca_option(r->data, &r->opts, "activate", arg);
	return CLI_EXIT_USAGE;
}

static int run(struct cli_op_run *r)
{
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;

	if (already_installed(r->id, r->opts.store))
		return CLI_EXIT_OK;
	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));
	st = cl_enroll_activate(r->id, &r->opts, &result, &err);
	return cli_run_finish(&result, st, &err);
}

int cli_cmd_activate(int argc, char **argv)
{
	static const struct option own[] = { { "install-ca", required_argument, NULL, OPT_INSTALL_CA },
		                             { NULL, 0, NULL, 0 } };
	static const struct cli_op op = {
		.takes = CLI_OP_NET | CLI_OP_APPROVAL | CLI_OP_RESULT | CLI_OP_NETWORKS,
		.own = own,
		.missing_id = N_("name one application id"),
		.help = usage,
		.option = option,
		.run = run,
	};
	struct cli_install_ca install_ca = { 0 };

	return cli_op_main(&op, &install_ca, argc, argv);
}
