/* certlink-manager: the settings page (settings.h): expiry notifications (after expiry, before expiry and
 * how many days before), no proxy, key reuse on renewal, saved as soon as they change; the device details
 * as they are sent to servers (device.h); and the diagnostics archive (diag.h). */
#ifndef CERTLINK_MANAGER_SETTINGS_H
#define CERTLINK_MANAGER_SETTINGS_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_SETTINGS (certlink_manager_settings_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerSettings, certlink_manager_settings, CERTLINK, MANAGER_SETTINGS, GtkBox)

/* Load the settings file and the device details again. */
void certlink_manager_settings_refresh(CertlinkManagerSettings *self);

G_END_DECLS

#endif
