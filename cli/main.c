/* certlink command line: the subcommand dispatch table, --help and --version.
 *
 * To add a subcommand: write cli/cmd-NAME.c with `int cli_cmd_NAME(int argc, char **argv)`, declare it in
 * cli.h and add one row to `commands` below. Nothing else dispatches.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help; /* one line, marked for translation */
};

static const struct cli_command commands[] = {
	{ "enroll", cli_cmd_enroll, N_("zero-touch enrollment: apply, activate and install a certificate") },
	{ "list", cli_cmd_list, N_("list recorded certificates and applications") },
	{ "show", cli_cmd_show, N_("show one certificate or application in detail") },
	{ "activate", cli_cmd_activate, N_("finish an application once it is approved") },
	{ "withdraw", cli_cmd_withdraw,
	  N_("withdraw an application (its certificate is revoked and removed)") },
	{ "reapply", cli_cmd_reapply, N_("apply again with a withdrawn or rejected application") },
	{ "renew", cli_cmd_renew, N_("renew a certificate now") },
	{ "delete", cli_cmd_delete, N_("remove a certificate from this computer") },
	{ "apid", cli_cmd_apid, N_("show this device's APID and the details sent to the server") },
	{ "kitting", cli_cmd_kitting,
	  N_("prepare this system as a master image (every clone its own APID)") },
	{ "check-expiry", cli_cmd_check_expiry,
	  N_("notify about certificates that expire soon or have expired") },
	{ "diagnostics", cli_cmd_diagnostics, N_("write an archive for support, without any secret") },
	{ "register-scheme", cli_cmd_register_scheme, N_("open certlink:// links with certlink-handler") },
	{ "unregister-scheme", cli_cmd_unregister_scheme, N_("remove what register-scheme installed") },
	{ "scheme-status", cli_cmd_scheme_status,
	  N_("show whether certlink:// links reach certlink-handler") },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, _("Usage: certlink COMMAND [OPTIONS]\n"
	               "       certlink COMMAND --help\n"
	               "\n"
	               "Commands:\n"));
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-20s %s\n", commands[i].name, _(commands[i].help));
	fprintf(out, _("\n"
	               "Options:\n"
	               "  -h, --help           show this help\n"
	               "  -V, --version        show the version\n"
	               "\n"
	               "Exit status (the shell's $? in brackets where it differs: it keeps 8 bits):\n"
	               "  0 success, 100 bad arguments or a local failure, 110 renewal not due,\n"
	               "  120 cancelled, 200 server unreachable or not trusted, 300 [44] the server\n"
	               "  refused or approval is outstanding, 1000 [232] unexpected error.\n"
	               "See docs/cli.md.\n"));
}

int main(int argc, char **argv)
{
	const char *name;

	cli_i18n_init();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("certlink %s\n", CERTLINK_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error(_("unknown command \"%s\""), name);
	fprintf(stderr, _("Try 'certlink --help'.\n"));
	return CLI_EXIT_USAGE;
}
