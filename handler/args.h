/* certlink-handler: command-line arguments.
 *
 * The handler is started by the desktop with one attacker-chosen string, so the accepted forms are few and
 * fixed: `LINK`, `--check LINK`, `--no-gui LINK`. Anything else is refused before the link is even parsed.
 */
#ifndef HANDLER_ARGS_H
#define HANDLER_ARGS_H

#include <stdbool.h>

#include "error.h"

enum handler_mode {
	HANDLER_ENROLL, /* run the enrollment */
	HANDLER_CHECK,  /* --check: validate and probe, enroll nothing */
};

struct handler_args {
	enum handler_mode mode;
	bool no_gui;
	const char *link; /* points into argv */
};

/* Fill args from argv. On a bad command line returns CL_E_LOCAL with a message naming the problem. */
enum cl_status handler_args_parse(int argc, char **argv, struct handler_args *args, struct cl_error *err);

#endif
