/* certlink core: the person's Firefox profiles, as Firefox lists them.
 *
 * Firefox keeps the list in profiles.ini: in $XDG_CONFIG_HOME/mozilla/firefox when a recent Firefox (Debian's
 * firefox-esr 153 does) sets up an account that has no ~/.mozilla, in ~/.mozilla/firefox otherwise,
 * ~/snap/firefox/common/.mozilla/firefox for Ubuntu's Snap and ~/.var/app/org.mozilla.firefox/... for the
 * Flathub Flatpak. A profile counts when its directory exists and belongs to the person (the effective user).
 * The file is the person's own and read with a size cap; nothing in it is run or trusted beyond being a
 * directory to look in.
 */
#ifndef CL_FIREFOX_PROFILES_H
#define CL_FIREFOX_PROFILES_H

#include "location.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* At most this many profiles are looked at; a profiles.ini larger than CL_FIREFOX_INI_MAX is skipped. */
#define CL_FIREFOX_PROFILES_MAX 32
#define CL_FIREFOX_INI_MAX      (64 * 1024)

struct cl_firefox_profile {
	char dir[PATH_MAX];    /* absolute, as resolved by realpath() */
	char db[PATH_MAX + 4]; /* "sql:" DIR */
};

struct cl_firefox_profiles {
	struct cl_firefox_profile items[CL_FIREFOX_PROFILES_MAX];
	size_t n;
};

/* The profile directories profiles.ini TEXT names, ROOT being the directory that holds it: for every
 * [ProfileN] section with a Path, ROOT/Path when IsRelative=1, Path itself when IsRelative=0 and it is
 * absolute. A section without IsRelative is skipped (Firefox stops there too). Pure: no file is touched, the
 * directories are not checked. Calls FN(DIR, DATA) for each. */
void cl_firefox_parse_ini(const char *text, const char *root, void (*fn)(const char *dir, void *data),
                          void *data);

/* The person's profiles now (see above), without duplicates. Missing places are no error. */
void cl_firefox_find(struct cl_firefox_profiles *out);

/* Is a Firefox running on the profile whose database is DB ("sql:DIR", as in a location)? Firefox keeps
 * DIR/lock, a symbolic link to "ADDRESS:+PID", while it runs; one left behind by a Firefox that crashed
 * names a process that is gone. A running Firefox reads trust flags at its start only (NSS keeps them in
 * memory), so a CA trusted while it runs is trusted from its next start. */
bool cl_firefox_db_running(const char *db);

/* Is there a location of KIND for PROFILE's database among LOCS? */
bool cl_firefox_has(const struct cl_locations *locs, enum cl_location_kind kind,
                    const struct cl_firefox_profile *profile);

#endif
