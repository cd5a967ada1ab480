/* certlink-manager: deleting from the computer store for a person who is not root, through polkit.
 *
 * Runs `pkexec LIBEXECDIR/certlink/certlink-install-helper --delete ID`: the handler's privileged helper
 * (handler/install-helper.c, polkit action org.certlink.install), which installs for the handler and the
 * wizard and deletes for the manager. polkit asks for the administrator's password in its own dialog; the
 * manager never sees it. $CERTLINK_PKEXEC and $CERTLINK_INSTALL_HELPER (absolute paths) replace the two
 * programs for tests, as for the handler; neither gives any privilege by itself.
 */
#ifndef CERTLINK_MANAGER_ELEVATE_H
#define CERTLINK_MANAGER_ELEVATE_H

#include <gio/gio.h>

G_BEGIN_DECLS

void certlink_manager_elevate_delete(const char *id, GAsyncReadyCallback callback, gpointer user_data);

/* TRUE when deleted; else *message (caller frees) says why: refused or dismissed, or certlink's error. */
gboolean certlink_manager_elevate_finish(GAsyncResult *res, char **message);

G_END_DECLS

#endif
