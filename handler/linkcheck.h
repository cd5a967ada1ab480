/* certlink-handler --check LINK: for administrators testing invitation links.
 *
 * Validates the link, reaches the server, and reports its identity and trust status (trusted, pinned CA
 * matching, or what the person would be shown) and what the person would be asked (from the link and the
 * server's public configuration). Enrolls nothing, sends no credential, remembers no trust.
 */
#ifndef HANDLER_LINKCHECK_H
#define HANDLER_LINKCHECK_H

#include "link.h"

/* Print the report on stdout. Returns the process exit code. */
int handler_linkcheck_run(const struct cl_link *link);

#endif
