/* certlink ui: the handler's GtkApplication.
 *
 * One enrollment per desktop session: the application is unique (D-Bus name org.certlink.Handler), and a
 * second click while one runs only brings the running window forward; the second process never runs the
 * flow. The link never goes through GApplication's command line: the first instance already has it parsed,
 * and a second one sends a plain "activate".
 */
#ifndef CERTLINK_HANDLER_APP_H
#define CERTLINK_HANDLER_APP_H

#include "link.h"

/* Run the window for a parsed link. Returns the process exit code, or -1 when there is no display (the caller
 * then falls back to the terminal). link must stay valid until it returns. */
int certlink_handler_app_run(const struct cl_link *link, const char *argv0);

#endif
