/* certlink-manager: question page: the user store or the computer store (CL_ASK_STORE). The computer store
 * is offered only to a process that may write it. Writes q->store and emits "answered". */
#ifndef CERTLINK_MANAGER_ASK_STORE_H
#define CERTLINK_MANAGER_ASK_STORE_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_ASK_STORE (certlink_manager_ask_store_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerAskStore, certlink_manager_ask_store, CERTLINK, MANAGER_ASK_STORE, GtkBox)

GtkWidget *certlink_manager_ask_store_new(struct cl_question *q);

G_END_DECLS

#endif
