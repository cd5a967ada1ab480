/* certlink core: how close a certificate is to expiry, and when the person is told about it.
 *
 * The manager window shows a certificate as installed, expiring (inside the notification window) or expired
 * (cl_certificate_state(), records.h); `certlink check-expiry` sends desktop notifications by these rules:
 *   - before expiry: inside the window (settings notify_days), at most once per local calendar day;
 *   - after expiry: at every login (check-expiry --login), not on the daily timer;
 *   - never for a certificate whose switch is off, nor when the matching global switch is off.
 * Each certificate's switch and last notification time are in its records (records.h). The computer
 * store belongs to root: an account that cannot write its directory keeps its own switch and time for those
 * certificates in $XDG_STATE_HOME/certlink/computer-notices.json (the "overlay"), so one person turning
 * notifications off never changes what another sees.
 */
#ifndef CL_EXPIRY_H
#define CL_EXPIRY_H

#include "error.h"
#include "records.h"
#include "settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whole days left, rounded down; negative once expired. */
int64_t cl_expiry_days_left(int64_t not_after, int64_t now);

enum cl_notice {
	CL_NOTICE_NONE = 0,
	CL_NOTICE_EXPIRING,
	CL_NOTICE_EXPIRED,
};

/* The rule above for one certificate at NOW (local calendar days use the TZ of the process). LOGIN: this
 * check runs at login. Pure. */
enum cl_notice cl_expiry_notice(const struct cl_certificate *cert, const struct cl_settings *s, int64_t now,
                                bool login);

/* One notification to send. */
struct cl_expiry_item {
	enum cl_store_kind store;
	enum cl_notice notice;
	char serial[41];
	char subject[512];
	int64_t not_after;
};

/* The notifications due at NOW in both stores (a store without records contributes nothing). *out is a
 * new array (free with free()), possibly empty. A damaged records file is skipped and named in err while
 * the other store is still checked: the return is CL_E_LOCAL then, with the items found. */
enum cl_status cl_expiry_collect(const struct cl_settings *s, int64_t now, bool login,
                                 struct cl_expiry_item **out, size_t *n, struct cl_error *err);

/* Record that ITEMS were shown at NOW (last_notified), in the records or, for a computer store this
 * account cannot write, in the overlay. */
enum cl_status cl_expiry_mark(const struct cl_expiry_item *items, size_t n, int64_t now,
                              struct cl_error *err);

/* Turn one certificate's notifications on or off (same place rule as cl_expiry_mark). CL_E_LOCAL when
 * the certificate is not recorded in STORE. */
enum cl_status cl_expiry_set_notify(enum cl_store_kind store, const char *serial, bool on,
                                    struct cl_error *err);

/* Apply the overlay to a computer store snapshot from cl_records_load() when this account cannot write
 * the computer store; does nothing otherwise. A damaged overlay is ignored (it only holds preferences). */
void cl_expiry_apply_overlay(struct cl_records *rec);

#endif
