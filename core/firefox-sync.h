/* certlink core: bringing Firefox profiles made after an enrollment up to date.
 *
 * An enrollment puts the certificate into the Firefox profiles that exist then (firefox.h). A profile the
 * person creates later, or one that was left out (a primary password, a database in the old format), gets it
 * here: `certlink check-expiry` runs this at every login and daily (docs/desktop-integration.md). For every
 * installed user-store certificate and every profile without its CL_LOC_FIREFOX_CERT, the CAs the record
 * holds a consent for (anchor.h: a file in the anchors directory among its locations) are trusted there
 * first, then the certificate is imported from its PKCS#12 bundle; the new locations are recorded with the
 * certificate, so delete and renewal reach that profile too. A profile that has the location is left alone,
 * even when the person has since removed the certificate there in Firefox.
 */
#ifndef CL_FIREFOX_SYNC_H
#define CL_FIREFOX_SYNC_H

#include "error.h"

#include <stddef.h>

struct cl_firefox_sync_report {
	size_t profiles; /* Firefox profiles found */
	size_t added;    /* certificates imported into a profile */
	size_t trusted;  /* consented CAs trusted in a profile */
	size_t left_out; /* imports that failed (logged; tried again next time) */
};

/* Sync the user store's certificates into the person's Firefox profiles (above). Takes the records lock for
 * the imports. CL_E_LOCAL when the records cannot be read or written; a profile that fails is only counted.
 */
enum cl_status cl_firefox_sync(struct cl_firefox_sync_report *report, struct cl_error *err);

#endif
