/* certlink command line: `certlink diagnostics`, one archive for support (core/diag.h): versions,
 * settings, records, logs and the last result, never a password, challenge, token or key. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "diag.h"

static void usage(FILE *out)
{
	fputs(_("Usage: certlink diagnostics [--output FILE]\n"
	        "\n"
	        "Write one archive (.tar.gz) with versions, settings, records, recent logs and the\n"
	        "last result file, for your administrator. Passwords, application secrets,\n"
	        "challenges, invitation tokens and private keys are left out.\n"
	        "\n"
	        "  --output FILE       where to write it (default:\n"
	        "                      certlink-diagnostics-DATE-TIME.tar.gz in this directory)\n"
	        "  -h, --help          show this help\n"),
	      out);
}

int cli_cmd_diagnostics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char def[64], program[64];
	const char *output = NULL;
	struct cl_error err;
	time_t now = time(NULL);
	struct tm tm;
	int c;

	optind = 0;
	while ((c = cli_next_option(argc, argv, opts)) != -1) {
		if (c == 'o') {
			output = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		} else {
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("diagnostics", _("unexpected argument \"%s\""), argv[optind]);
	if (!output) {
		localtime_r(&now, &tm);
		strftime(def, sizeof(def), "certlink-diagnostics-%Y%m%d-%H%M%S.tar.gz", &tm);
		output = def;
	}
	snprintf(program, sizeof(program), "certlink %s", CERTLINK_VERSION);
	cl_error_clear(&err);
	if (cl_diag_write(output, program, &err) != CL_OK)
		return cli_fail(&err);
	cli_info(_("wrote %s"), output);
	return CLI_EXIT_OK;
}
