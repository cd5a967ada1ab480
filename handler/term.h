/* certlink-handler: the enrollment in a terminal (no display, or --no-gui).
 *
 * Same flow as the window: progress lines on stderr, questions on /dev/tty (password without echo), Ctrl-C
 * cancels at any stage. Needs no GTK, so a handler built without GTK is this alone.
 */
#ifndef HANDLER_TERM_H
#define HANDLER_TERM_H

#include "link.h"

/* Run the enrollment for a parsed link. Returns the process exit code (docs: cl_status_exit_code()). */
int handler_term_run(const struct cl_link *link);

#endif
