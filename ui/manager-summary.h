/* certlink-manager: the wizard's confirmation page. Shows what the application will name (server, store,
 * user ID) and the answers to CL_ASK_FIELDS (invitation code, e-mail, reason, and the device note under the
 * server's label), each only when the server uses it. Emits "answered" (TRUE: apply, FALSE: cancel) or
 * "back" (the person wants to change the answers). */
#ifndef CERTLINK_MANAGER_SUMMARY_H
#define CERTLINK_MANAGER_SUMMARY_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_SUMMARY (certlink_manager_summary_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerSummary, certlink_manager_summary, CERTLINK, MANAGER_SUMMARY, GtkBox)

/* Q is read when the page is made (the answers the fields dialog wrote into it). */
GtkWidget *certlink_manager_summary_new(const struct cl_question *q);

G_END_DECLS

#endif
