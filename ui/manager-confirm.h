/* certlink-manager: asks before something that cannot be undone (Cancel is the default and has the
 * focus), or tells something with a single Close button. Emits "response" (gboolean accepted) once, then
 * closes itself. */
#ifndef CERTLINK_MANAGER_CONFIRM_H
#define CERTLINK_MANAGER_CONFIRM_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_CONFIRM (certlink_manager_confirm_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerConfirm, certlink_manager_confirm, CERTLINK, MANAGER_CONFIRM, GtkWindow)

/* ACCEPT NULL: a message with Close only. DESTRUCTIVE styles the accept button as such. */
CertlinkManagerConfirm *certlink_manager_confirm_new(GtkWindow *parent, const char *heading, const char *body,
                                                     const char *accept, gboolean destructive);

G_END_DECLS

#endif
