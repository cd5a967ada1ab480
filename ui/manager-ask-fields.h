/* certlink-manager: question page for CL_ASK_FIELDS: invitation code, e-mail (at most 128 characters),
 * reason and device note (under the server's own label), each shown only when the server uses it and
 * required ones marked. With CONFIRM (the wizard's confirm_apply run) a summary of the whole application
 * follows, and Apply sends it. Writes the answers into q and emits "answered". */
#ifndef CERTLINK_MANAGER_ASK_FIELDS_H
#define CERTLINK_MANAGER_ASK_FIELDS_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_ASK_FIELDS (certlink_manager_ask_fields_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerAskFields, certlink_manager_ask_fields, CERTLINK, MANAGER_ASK_FIELDS,
                     GtkBox)

GtkWidget *certlink_manager_ask_fields_new(struct cl_question *q, gboolean confirm);

G_END_DECLS

#endif
