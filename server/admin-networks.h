/* certlink-server: the admin page's "Networks and revocation" section: the 802.1X networks of each store
 * (networks.h), the RADIUS servers' CA, the CRL's address and the grace after which a certificate that a
 * renewal replaced is revoked. Kept apart from admin.c, which owns sessions, CSRF and the rest of the page.
 */
#ifndef SRV_ADMIN_NETWORKS_H
#define SRV_ADMIN_NETWORKS_H

#include <sqlite3.h>

#include "error.h"

/* A field of the posted form, or NULL. */
typedef const char *(*srv_form_get)(void *form, const char *name);

/* The section's HTML (everything escaped; forms carry CSRF). Caller frees; NULL when out of memory. */
char *srv_admin_networks_html(sqlite3 *db, const char *csrf);

/* A posted form of the section (ACTION "network-add", "network-remove", "network-ca", "revocation"), after
 * admin.c checked the session and the CSRF token: 0 done, 1 refused with the reason in err, -1 not one of
 * the section's actions. */
int srv_admin_networks_post(sqlite3 *db, const char *action, srv_form_get get, void *form,
                            struct cl_error *err);

#endif
