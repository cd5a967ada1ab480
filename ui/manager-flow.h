/* certlink-manager: the window a network operation runs in. The New-certificate wizard asks for server
 * and port, then runs the enrollment flow (core/enroll.h) on a worker thread: its questions (trust, store,
 * user and password, invitation code, e-mail, reason, device note, then the confirmation) appear as pages,
 * then progress, then the result. Activate, withdraw, re-apply and renew run the same way. Emits "finished"
 * (gboolean changed: records may have changed) when the window closes. */
#ifndef CERTLINK_MANAGER_FLOW_H
#define CERTLINK_MANAGER_FLOW_H

#include <gtk/gtk.h>

#include "store-kind.h"

G_BEGIN_DECLS

typedef enum {
	CERTLINK_FLOW_NEW,
	CERTLINK_FLOW_ACTIVATE,
	CERTLINK_FLOW_WITHDRAW,
	CERTLINK_FLOW_REAPPLY,
	CERTLINK_FLOW_RENEW,
} CertlinkFlowOp;

#define CERTLINK_TYPE_MANAGER_FLOW (certlink_manager_flow_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerFlow, certlink_manager_flow, CERTLINK, MANAGER_FLOW, GtkWindow)

CertlinkManagerFlow *certlink_manager_flow_new_wizard(GtkWindow *parent);

/* Run OP on the recorded application or certificate ID (serial or local id) of STORE (CL_STORE_ASK:
 * either); NAME is what the person calls it. Starts right away. */
CertlinkManagerFlow *certlink_manager_flow_new_operation(GtkWindow *parent, CertlinkFlowOp op, const char *id,
                                                         enum cl_store_kind store, const char *name);

G_END_DECLS

#endif
