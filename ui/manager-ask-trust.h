/* certlink-manager: question page: trust a server whose identity certlink could not establish
 * (CL_ASK_TRUST_SERVER: host, subject, issuer, SHA-256; Cancel is the default), or install a CA from the
 * server's profile as a trust anchor (CL_ASK_TRUST_CA). Writes q->trust and emits "answered" (FALSE: cancel
 * the whole run). */
#ifndef CERTLINK_MANAGER_ASK_TRUST_H
#define CERTLINK_MANAGER_ASK_TRUST_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_ASK_TRUST (certlink_manager_ask_trust_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerAskTrust, certlink_manager_ask_trust, CERTLINK, MANAGER_ASK_TRUST, GtkBox)

/* Q must stay valid until "answered" or destruction. */
GtkWidget *certlink_manager_ask_trust_new(struct cl_question *q);

G_END_DECLS

#endif
