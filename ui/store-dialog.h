/* certlink ui: asks where the certificate goes when the link names no store.
 * Writes q->store and emits "answered" (TRUE, or FALSE for cancel). */
#ifndef CERTLINK_STORE_DIALOG_H
#define CERTLINK_STORE_DIALOG_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_STORE_DIALOG (certlink_store_dialog_get_type())
G_DECLARE_FINAL_TYPE(CertlinkStoreDialog, certlink_store_dialog, CERTLINK, STORE_DIALOG, GtkWindow)

/* q must stay valid until "answered" or destruction. */
GtkWidget *certlink_store_dialog_new(GtkWindow *parent, struct cl_question *q);

G_END_DECLS

#endif
