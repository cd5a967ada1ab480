/* certlink-handler --check LINK: for administrators testing invitation links.
 *
 * Validates the link and says what it asks for, what it leaves to the person, and where it points; enrolls
 * nothing, sends no credential.
 */
#ifndef HANDLER_LINKCHECK_H
#define HANDLER_LINKCHECK_H

#include "link.h"

/* Print the report on stdout. Returns the process exit code. */
int handler_linkcheck_run(const struct cl_link *link);

#endif
