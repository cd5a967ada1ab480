/* certlink-manager: one row of the certificate list: name, store and server, state, expiry, a Renew
 * button inside the notification window, and a menu with what can be done (certs.* actions of the list,
 * targeted at the entry's key). Rows are recycled: set_entry() rebuilds everything. */
#ifndef CERTLINK_MANAGER_ROW_H
#define CERTLINK_MANAGER_ROW_H

#include <gtk/gtk.h>

#include "manager-entry.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_ROW (certlink_manager_row_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerRow, certlink_manager_row, CERTLINK, MANAGER_ROW, GtkBox)

GtkWidget *certlink_manager_row_new(void);
void certlink_manager_row_set_entry(CertlinkManagerRow *self, CertlinkManagerEntry *entry);

G_END_DECLS

#endif
