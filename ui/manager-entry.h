/* certlink-manager: one row of the certificate list, a certificate or an application certlink knows.
 *
 * Built from a records snapshot (records.h) on a worker thread; immutable afterwards, so rows and dialogs
 * read it from the main thread without locks. An operation reloads the list instead of changing entries.
 */
#ifndef CERTLINK_MANAGER_ENTRY_H
#define CERTLINK_MANAGER_ENTRY_H

#include <gio/gio.h>

#include "records.h"

G_BEGIN_DECLS

typedef enum {
	CERTLINK_ENTRY_CERTIFICATE,
	CERTLINK_ENTRY_APPLICATION,
} CertlinkEntryKind;

/* What the list shows in its state column, and which operations the row menu offers. */
typedef enum {
	CERTLINK_ENTRY_PENDING,     /* waiting for approval */
	CERTLINK_ENTRY_APPROVED,    /* approved, not activated yet */
	CERTLINK_ENTRY_IN_PROGRESS, /* new, activated or issued: a run stopped half-way */
	CERTLINK_ENTRY_WITHDRAWN,
	CERTLINK_ENTRY_REJECTED,
	CERTLINK_ENTRY_FAILED,
	CERTLINK_ENTRY_INSTALLED,
	CERTLINK_ENTRY_EXPIRING, /* installed, inside the notification window */
	CERTLINK_ENTRY_EXPIRED,
} CertlinkEntryState;

#define CERTLINK_TYPE_MANAGER_ENTRY (certlink_manager_entry_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerEntry, certlink_manager_entry, CERTLINK, MANAGER_ENTRY, GObject)

/* Entries for every certificate, and every application not represented by its installed certificate, of
 * both stores; NOW and NOTIFY_DAYS decide expiring/expired. A store whose records cannot be read is named
 * in *problem (caller frees; NULL when none) and left out. Applications first, then certificates by
 * expiry. */
GPtrArray *certlink_manager_entries_load(gint64 now, int notify_days, char **problem);

CertlinkEntryKind certlink_manager_entry_get_kind(CertlinkManagerEntry *self);
CertlinkEntryState certlink_manager_entry_get_state(CertlinkManagerEntry *self);
enum cl_store_kind certlink_manager_entry_get_store(CertlinkManagerEntry *self);
/* The id operations take: the serial of a certificate, the local id of an application. */
const char *certlink_manager_entry_get_id(CertlinkManagerEntry *self);
/* What the core operations (renew, withdraw, delete) are given: the certificate's SHA-256 fingerprint, which
 * names exactly one certificate even when two CAs issued the same serial; else the id above. */
const char *certlink_manager_entry_get_ref(CertlinkManagerEntry *self);
/* "store:fingerprint" (or "store:id"), unique in the list (an action target). */
const char *certlink_manager_entry_get_key(CertlinkManagerEntry *self);
/* The subject's CN (certificate), "user @ host" (application). */
const char *certlink_manager_entry_get_title(CertlinkManagerEntry *self);
/* What a window about the entry is called: its title and the service it came from, "alice (Example Corp
 * enrollment)", the server's host and port when the service gave no name. Caller frees. */
char *certlink_manager_entry_describe(CertlinkManagerEntry *self);
/* A copy of the record it came from: exactly one of these is non-NULL. Owned by the entry. */
const struct cl_certificate *certlink_manager_entry_get_certificate(CertlinkManagerEntry *self);
const struct cl_application *certlink_manager_entry_get_application(CertlinkManagerEntry *self);
/* For certificates: its application's state when it still has one recorded (for withdraw). */
gboolean certlink_manager_entry_has_application(CertlinkManagerEntry *self);
gint64 certlink_manager_entry_get_days_left(CertlinkManagerEntry *self);

/* Words for people. */
const char *certlink_manager_entry_state_label(CertlinkManagerEntry *self);
const char *certlink_manager_store_label(enum cl_store_kind store); /* "User store" */
const char *certlink_manager_store_words(enum cl_store_kind store); /* in a sentence: "user store" */

G_END_DECLS

#endif
