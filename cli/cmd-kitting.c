/* certlink command line: `certlink kitting`, prepare this system as a master disk image (core/kitting.h):
 * remove the stored APID and the computer store's machine-bound state, check that /etc/machine-id will be
 * regenerated at first boot (and empty it with --empty-machine-id), and say what to do next. */
#include "cli.h"

#include <stdio.h>

#include "kitting.h"

static const char help[] =
    N_("Usage: certlink kitting [--empty-machine-id] [--remove-certificates] [--check]\n"
       "\n"
       "Prepare this system as a master image for cloning (as root), so that every\n"
       "machine made from it has its own APID: remove the stored APID and the computer\n"
       "store's applications, secrets and result files, and check that /etc/machine-id\n"
       "will be generated anew at first boot. Home directories are not touched.\n"
       "\n"
       "  --empty-machine-id      empty /etc/machine-id, as systemd documents for images\n"
       "  --remove-certificates   also delete the computer store's certificates (clones\n"
       "                          would share their keys); without it kitting refuses\n"
       "                          while there are any\n"
       "  --check                 only report what is there; change nothing\n"
       "  -h, --help              show this help\n"
       "\n"
       "Exit status: 0 the image is ready, 100 not ready (what is left is named) or a\n"
       "local failure.\n");

enum { OPT_EMPTY = 1, OPT_REMOVE_CERTS, OPT_CHECK };

static const char *machine_id_words(enum cl_machine_id_state st)
{
	switch (st) {
	case CL_MACHINE_ID_MISSING:
		return _("missing: systemd creates a new one at first boot");
	case CL_MACHINE_ID_EMPTY:
		return _("empty: systemd writes a new one at first boot");
	case CL_MACHINE_ID_UNINITIALIZED:
		return _("\"uninitialized\": systemd writes a new one at first boot");
	case CL_MACHINE_ID_SET:
		return _("holds this machine's ID: every clone would have the same ID and the same APID");
	case CL_MACHINE_ID_INVALID:
		break;
	}
	return _("holds something that is not a machine ID: certlink does not use it, and systemd does not "
	         "replace it");
}

static void report(const struct cl_kitting_opts *o, const struct cl_kitting_report *r)
{
	const char *done = o->check_only ? _("found") : _("removed");

	if (r->certificates)
		printf(_("computer store certificates: %zu, %zu left\n"), r->certificates,
		       r->certificates_left);
	printf(_("application records (%s): %zu\n"), done, r->applications);
	printf(_("pending secret files (%s): %zu\n"), done, r->secrets);
	printf(_("result files (%s): %s\n"), done, r->result_files ? _("yes") : _("no"));
	printf(_("APID file %s (%s): %s\n"), r->apid_path, done, r->apid_file ? _("yes") : _("no"));
	printf("%s: %s%s\n", r->machine_id_path, machine_id_words(r->machine_id),
	       r->machine_id_emptied ? _(" (emptied now)") : "");
}

static void next_steps(const struct cl_kitting_report *r)
{
	if (r->ready) {
		printf(_(
		    "\nThe image is ready. Shut this system down now and capture the image; do not run "
		    "certlink or\nboot it again before that (a new machine-id and APID would be made). Each "
		    "clone gets its\nown machine-id at first boot, and so its own APID (certlink apid shows "
		    "it). Files of\nindividual users (~/.local/state/certlink/apid) are not touched: remove "
		    "them too if any\naccount in the image used certlink without a machine-id.\n"));
		return;
	}
	if (r->machine_id == CL_MACHINE_ID_SET || r->machine_id == CL_MACHINE_ID_INVALID)
		printf(
		    _("\nNot ready: %s must be emptied so that each clone gets its own machine-id at first "
		      "boot.\nRun certlink kitting --empty-machine-id (or: truncate -s 0 %s), as "
		      "machine-id(5) "
		      "describes\nfor images.\n"),
		    r->machine_id_path, r->machine_id_path);
	if (r->certificates_left)
		printf(_("\nNot ready: the computer store still holds certificates issued to this machine; "
		         "delete them\n(certlink delete ID --store computer) or run kitting with "
		         "--remove-certificates.\n"));
}

int cli_cmd_kitting(int argc, char **argv)
{
	static const struct option longopts[] = { { "empty-machine-id", no_argument, NULL, OPT_EMPTY },
		                                  { "remove-certificates", no_argument, NULL,
		                                    OPT_REMOVE_CERTS },
		                                  { "check", no_argument, NULL, OPT_CHECK },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cl_kitting_opts o = { 0 };
	struct cl_kitting_report r;
	struct cl_error err;
	int c;

	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_EMPTY:
			o.empty_machine_id = true;
			break;
		case OPT_REMOVE_CERTS:
			o.remove_certificates = true;
			break;
		case OPT_CHECK:
			o.check_only = true;
			break;
		case 'h':
			fputs(_(help), stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], _("unexpected argument \"%s\""), argv[optind]);
	if (o.check_only && (o.empty_machine_id || o.remove_certificates))
		return cli_usage_error(argv[0], _("--check changes nothing: it cannot be combined with "
		                                  "--empty-machine-id or --remove-certificates"));
	cl_error_clear(&err);
	if (cl_kitting_run(&o, &r, &err) != CL_OK)
		return cli_fail(&err);
	report(&o, &r);
	next_steps(&r);
	return r.ready ? CLI_EXIT_OK : cl_status_exit_code(CL_E_LOCAL);
}
