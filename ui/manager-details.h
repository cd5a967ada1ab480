/* certlink-manager: the details of one certificate (subject, issuer, serial, validity, key, fingerprints,
 * SANs, where it is stored, the notification switch; the whole certificate on request) or application
 * (server, user, state, ids, dates, last error). Emits "changed" when the switch changed the records. */
#ifndef CERTLINK_MANAGER_DETAILS_H
#define CERTLINK_MANAGER_DETAILS_H

#include <gtk/gtk.h>

#include "manager-entry.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_DETAILS (certlink_manager_details_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerDetails, certlink_manager_details, CERTLINK, MANAGER_DETAILS, GtkWindow)

CertlinkManagerDetails *certlink_manager_details_new(GtkWindow *parent, CertlinkManagerEntry *entry);

G_END_DECLS

#endif
