/* certlink-manager: the APID page: shows this device's APID (device.h), copies it to the clipboard, and
 * opens the mail program with a message that carries it (mailto: with a subject and the APID in the body). */
#ifndef CERTLINK_MANAGER_APID_H
#define CERTLINK_MANAGER_APID_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_APID (certlink_manager_apid_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerApid, certlink_manager_apid, CERTLINK, MANAGER_APID, GtkBox)

/* Read the APID (and host name) again, on a worker thread. */
void certlink_manager_apid_refresh(CertlinkManagerApid *self);

/* The mailto: URI for APID from HOST. Caller frees. */
char *certlink_manager_apid_mailto(const char *apid, const char *host);

G_END_DECLS

#endif
