/* certlink-manager: the certificate list page: every certificate and application of both stores
 * (GtkListView over a GListStore of entries), loaded on a worker thread, and the row operations: details,
 * delete, activate, withdraw, re-apply, renew and the per-certificate notification switch. */
#ifndef CERTLINK_MANAGER_CERTLIST_H
#define CERTLINK_MANAGER_CERTLIST_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CERTLINK_TYPE_MANAGER_CERTLIST (certlink_manager_certlist_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerCertList, certlink_manager_certlist, CERTLINK, MANAGER_CERTLIST, GtkBox)

/* Read the records again (on a worker thread) and show them; emits "loaded" when shown. */
void certlink_manager_certlist_reload(CertlinkManagerCertList *self);

/* For a window about to show this page: wait at most MAX_MS for the load that is running and show its
 * records now, so the window's first frame has them (a slow load shows the spinner as before). */
void certlink_manager_certlist_wait_loaded(CertlinkManagerCertList *self, guint max_ms);

/* Replace what the list shows by ENTRIES (CertlinkManagerEntry), in one model change. */
void certlink_manager_certlist_set_entries(CertlinkManagerCertList *self, GPtrArray *entries);

/* Start renewing the certificate SERIAL (either store). */
void certlink_manager_certlist_renew(CertlinkManagerCertList *self, const char *serial);

G_END_DECLS

#endif
