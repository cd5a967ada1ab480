/* certlink-handler: command-line arguments (see args.h). */
#include "args.h"

#include <string.h>

#include "i18n.h"

/* A link never starts with "-" (argument injection) nor with white space (docs/links.md). The link parser
 * checks this again; refusing here too keeps the message about the command line. */
static bool looks_like_option(const char *s)
{
	return s[0] == '-' || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' ||
	       s[0] == '\f';
}

enum cl_status handler_args_parse(int argc, char **argv, struct handler_args *args, struct cl_error *err)
{
	memset(args, 0, sizeof(*args));
	args->mode = HANDLER_ENROLL;

	if (argc == 2) {
		if (looks_like_option(argv[1]))
			return cl_error_set(err, CL_E_LOCAL,
			                    _("a link cannot start with \"-\" or white space"));
		args->link = argv[1];
		return CL_OK;
	}
	if (argc == 3) {
		if (strcmp(argv[1], "--check") == 0)
			args->mode = HANDLER_CHECK;
		else if (strcmp(argv[1], "--no-gui") == 0)
			args->no_gui = true;
		else if (argv[1][0] == '-')
			return cl_error_set(
			    err, CL_E_LOCAL,
			    _("unknown option; the only forms are: LINK, --check LINK, --no-gui LINK"));
		else
			return cl_error_set(err, CL_E_LOCAL,
			                    _("exactly one link is accepted, %d arguments were given"),
			                    argc - 1);
		if (looks_like_option(argv[2]))
			return cl_error_set(err, CL_E_LOCAL,
			                    _("a link cannot start with \"-\" or white space"));
		args->link = argv[2];
		return CL_OK;
	}
	if (argc < 2)
		return cl_error_set(err, CL_E_LOCAL,
		                    _("no link given; usage: certlink-handler [--check|--no-gui] LINK"));
	return cl_error_set(err, CL_E_LOCAL, _("exactly one link is accepted, %d arguments were given"),
	                    argc - 1);
}
