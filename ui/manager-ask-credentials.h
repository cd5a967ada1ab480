/* certlink-manager: question page: user ID and password (CL_ASK_CREDENTIALS), with the server's reason for
 * asking again. Writes q->user and q->password and emits "answered"; the entry is cleared once copied and
 * the copy lives only in q, which the core wipes. */
#ifndef CERTLINK_MANAGER_ASK_CREDENTIALS_H
#define CERTLINK_MANAGER_ASK_CREDENTIALS_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_ASK_CREDENTIALS (certlink_manager_ask_credentials_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerAskCredentials, certlink_manager_ask_credentials, CERTLINK,
                     MANAGER_ASK_CREDENTIALS, GtkBox)

GtkWidget *certlink_manager_ask_credentials_new(struct cl_question *q);

G_END_DECLS

#endif
