/* certlink core: who and what this device is, for the application and the administrator.
 *
 * The APID is a stable per-machine identifier the server can check: derived from /etc/machine-id with
 * HMAC-SHA256 so the machine-id itself is never sent, and therefore different on a clone whose machine-id
 * was regenerated. Without a machine-id a random APID is kept in /var/lib/misc/certlink-apid (outside the
 * package's files, so uninstalling or purging certlink keeps it). Host, user, domain, MAC, DMI vendor and
 * serial are read where readable (product_serial is root-only) and left empty otherwise. Every source is
 * overridable for tests (docs/paths.md).
 */
#ifndef CL_DEVICE_H
#define CL_DEVICE_H

#include "error.h"
#include "paths.h"

#include <stddef.h>

#define CL_DEVICE_APID_LEN  16  /* base32 characters */
#define CL_DEVICE_FIELD_MAX 128 /* the protocol's limit for each device member */

struct cl_device {
	char apid[CL_DEVICE_APID_LEN + 1];
	char hostname[CL_DEVICE_FIELD_MAX + 1]; /* short host name (before the first dot) */
	char user[CL_DEVICE_FIELD_MAX + 1];     /* login name of the effective user, without @domain */
	char domain[CL_DEVICE_FIELD_MAX + 1];   /* DNS or directory domain, "" when unknown */
	char mac[18];                           /* "00:11:22:33:44:55" of the primary interface, or "" */
	char vendor[CL_DEVICE_FIELD_MAX + 1];   /* DMI sys_vendor */
	char product[CL_DEVICE_FIELD_MAX + 1];  /* DMI product_name */
	char serial[CL_DEVICE_FIELD_MAX + 1];   /* DMI product_serial (readable by root only) */
	char os[CL_DEVICE_FIELD_MAX + 1];       /* PRETTY_NAME of os-release */
};

/* The APID: from the machine-id when there is a valid one, else the persisted fallback (created on first
 * use: system file when writable, else $XDG_STATE_HOME/certlink/apid). CL_E_LOCAL when neither works. */
enum cl_status cl_device_apid(char out[CL_DEVICE_APID_LEN + 1], struct cl_error *err);

/* Fill DEV with everything readable. Only a missing APID is an error; other members may be "". */
enum cl_status cl_device_identify(struct cl_device *dev, struct cl_error *err);

/* The application reason's prefix, "[host]/[user@domain]/[MAC]/[user|comp]:" (docs/protocol.md), followed
 * by " TYPED" when TYPED is set and not empty. "[user]" stands alone when the domain is unknown; '[', ']',
 * '/' and control characters inside a member become '_'. CL_E_LOCAL when OUT is too small. */
enum cl_status cl_device_reason(const struct cl_device *dev, enum cl_store_kind kind, const char *typed,
                                char *out, size_t outlen, struct cl_error *err);

#endif
