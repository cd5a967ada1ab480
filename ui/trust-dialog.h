/* certlink ui: asks whether to trust a server whose identity is not established, or a CA to install.
 *
 * Shows host, subject, issuer and SHA-256 fingerprint; Cancel is the default button and has the focus.
 * On a choice it writes q->trust and emits "answered" (TRUE for trust, FALSE for cancel).
 */
#ifndef CERTLINK_TRUST_DIALOG_H
#define CERTLINK_TRUST_DIALOG_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_TRUST_DIALOG (certlink_trust_dialog_get_type())
G_DECLARE_FINAL_TYPE(CertlinkTrustDialog, certlink_trust_dialog, CERTLINK, TRUST_DIALOG, GtkWindow)

/* q (CL_ASK_TRUST_SERVER or CL_ASK_TRUST_CA) must stay valid until "answered" or destruction. */
GtkWidget *certlink_trust_dialog_new(GtkWindow *parent, struct cl_question *q);

G_END_DECLS

#endif
