/* certlink-manager: work on the computer store for a person who is not root, through polkit.
 *
 * Runs `pkexec BINDIR/certlink delete --store computer ID` (policy org.certlink.manager.policy, action
 * org.certlink.manager.delete-computer-certificate, limited to that program and subcommand). polkit asks
 * for the administrator's password in its own dialog; the manager never sees it. $CERTLINK_PKEXEC and
 * $CERTLINK_CLI (absolute paths) replace pkexec and certlink for tests.
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
