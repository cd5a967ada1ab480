/* certlink ui: asks whether to renew a certificate, showing what will be replaced.
 *
 * Shows the certificate (subject, issuer, serial, fingerprint, expiry), its key and whether the renewal
 * makes a new one, the store, the server and the user ID (q is CL_ASK_CONFIRM_RENEW). Cancel is the default
 * and has the focus: nothing has been sent when this is asked. Emits "answered" (TRUE for renew, FALSE for
 * cancel).
 */
#ifndef CERTLINK_RENEW_DIALOG_H
#define CERTLINK_RENEW_DIALOG_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_RENEW_DIALOG (certlink_renew_dialog_get_type())
G_DECLARE_FINAL_TYPE(CertlinkRenewDialog, certlink_renew_dialog, CERTLINK, RENEW_DIALOG, GtkWindow)

/* q (CL_ASK_CONFIRM_RENEW) must stay valid until "answered" or destruction. */
GtkWidget *certlink_renew_dialog_new(GtkWindow *parent, struct cl_question *q);

G_END_DECLS

#endif
