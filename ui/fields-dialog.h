/* certlink ui: asks for what the server configuration requires or offers: invitation code, e-mail, reason,
 * device note (with the server's label). Only the fields the question uses are shown; Continue stays off
 * until every required one is filled. Writes the answers into q and emits "answered". */
#ifndef CERTLINK_FIELDS_DIALOG_H
#define CERTLINK_FIELDS_DIALOG_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_FIELDS_DIALOG (certlink_fields_dialog_get_type())
G_DECLARE_FINAL_TYPE(CertlinkFieldsDialog, certlink_fields_dialog, CERTLINK, FIELDS_DIALOG, GtkWindow)

/* q must stay valid until "answered" or destruction. */
GtkWidget *certlink_fields_dialog_new(GtkWindow *parent, struct cl_question *q);

G_END_DECLS

#endif
