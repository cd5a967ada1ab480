/* certlink-handler: the program the desktop starts for a certlink:// link.
 *
 * Thin on purpose: check the command line, parse the link (refusing it before any network contact), then
 * hand it to the GTK window when there is a display, else to the terminal. The link is never given to a
 * shell or to GApplication's own option parser.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "linkcheck.h"
#include "i18n.h"
#include "link.h"
#include "term.h"
#include "words.h"
#ifdef CERTLINK_HAVE_GTK
#include "handler-app.h"
#endif

int main(int argc, char **argv)
{
	struct handler_args args;
	struct cl_link link;
	struct cl_error err;
	int code;

	const char *localedir = getenv("CERTLINK_LOCALEDIR"); /* the build tree's catalogs, as cli/ and ui/ */

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, localedir && localedir[0] == '/' ? localedir : LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	cl_error_clear(&err);

	if (handler_args_parse(argc, argv, &args, &err) != CL_OK) {
		fprintf(stderr, _("certlink-handler: refused: %s\n"), err.msg);
		return cl_status_exit_code(CL_E_LOCAL);
	}
	if (cl_link_parse(args.link, &link, &err) != CL_OK) {
		struct cl_advice a = cl_words_refused_link();

		fprintf(stderr, _("certlink-handler: refused link: %s\n  %s\n  %s\n"), err.msg, a.title,
		        a.action);
		cl_link_clear(&link);
		return cl_status_exit_code(CL_E_LOCAL);
	}

	if (args.mode == HANDLER_CHECK)
		code = handler_linkcheck_run(&link);
#ifdef CERTLINK_HAVE_GTK
	else if (!args.no_gui && (code = certlink_handler_app_run(&link, argv[0])) >= 0)
		; /* the window ran */
#endif
	else
		code = handler_term_run(&link);
	cl_link_clear(&link);
	return code;
}
