/* certlink command line: `certlink delete`, remove a certificate from every place it was installed (or a
 * recorded application) and its record. certlink-manager runs it through pkexec for the computer store
 * when the person is not root (ui/org.certlink.manager.policy). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "logfile.h"

static void usage(FILE *out)
{
	fputs(_("Usage: certlink delete [--store user|computer] SERIAL|APPLICATION\n"
	        "\n"
	        "Remove a certificate from every place certlink put it (files, NSS database,\n"
	        "trust anchors no other certificate needs) and forget it; or forget a recorded\n"
	        "application and its secrets. The computer store needs root.\n"
	        "\n"
	        "  --store STORE   look only in this store (default: the user store, then the\n"
	        "                  computer store)\n"
	        "  -h, --help      show this help\n"),
	      out);
}

int cli_cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cl_store_kind store = CL_STORE_ASK;
	struct cl_error err;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 's') {
			if (!cl_store_kind_parse(optarg, &store))
				return cli_usage_error("delete", _("--store must be user or computer"));
		} else if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		} else {
			return cli_usage_error("delete", _("unknown option"));
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("delete", _("name one certificate serial or application id"));
	cl_error_clear(&err);
	if (cl_enroll_delete(argv[optind], store, &err) != CL_OK) {
		cl_logfile_append(store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER, "certlink",
		                  NULL, "delete failed: %s", err.msg);
		return cli_fail(&err);
	}
	cl_logfile_append(store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER, "certlink", NULL,
	                  "deleted %s", argv[optind]);
	cli_info(_("deleted %s"), argv[optind]);
	return CLI_EXIT_OK;
}
