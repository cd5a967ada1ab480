/* certlink ui: asks for user ID and password (a link that is not passwordless).
 * Writes q->user and q->password and emits "answered" (TRUE, or FALSE for cancel). The password entry is
 * cleared once copied, and the copy lives only in q (wiped by the runner after the flow took it). */
#ifndef CERTLINK_CREDENTIALS_DIALOG_H
#define CERTLINK_CREDENTIALS_DIALOG_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_CREDENTIALS_DIALOG (certlink_credentials_dialog_get_type())
G_DECLARE_FINAL_TYPE(CertlinkCredentialsDialog, certlink_credentials_dialog, CERTLINK, CREDENTIALS_DIALOG,
                     GtkWindow)

/* q must stay valid until "answered" or destruction. */
GtkWidget *certlink_credentials_dialog_new(GtkWindow *parent, struct cl_question *q);

G_END_DECLS

#endif
