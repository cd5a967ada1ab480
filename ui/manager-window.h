/* certlink-manager: the main window: home (new certificate, certificate list, APID, settings) and the
 * pages it leads to. The window's title follows the page shown. */
#ifndef CERTLINK_MANAGER_WINDOW_H
#define CERTLINK_MANAGER_WINDOW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_WINDOW (certlink_manager_window_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerWindow, certlink_manager_window, CERTLINK, MANAGER_WINDOW,
                     GtkApplicationWindow)

GtkWidget *certlink_manager_window_new(GtkApplication *app);

/* "home", "certificates", "apid" or "settings"; FALSE for another name. */
gboolean certlink_manager_window_show_page(CertlinkManagerWindow *self, const char *name);

/* Open the New-certificate wizard. */
void certlink_manager_window_new_certificate(CertlinkManagerWindow *self);

/* Show the certificate list and start renewing SERIAL (from a notification's click). */
void certlink_manager_window_renew(CertlinkManagerWindow *self, const char *serial);

G_END_DECLS

#endif
