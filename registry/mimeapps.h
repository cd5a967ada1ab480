/* certlink registry: reading and editing mimeapps.list (freedesktop "Association between MIME types and
 * applications"), the file that names the default handler of x-scheme-handler/certlink.
 *
 * Pure functions on text. Only the one key in [Default Applications] is touched; every other line, comment
 * and group is kept byte for byte, so editing someone's mimeapps.list never loses their other choices.
 */
#ifndef CLR_MIMEAPPS_H
#define CLR_MIMEAPPS_H

#include <stddef.h>

/* Copy the first desktop ID listed for `mime` in [Default Applications] into out[size].
 * Returns 1 when there is one, 0 when there is none (out is ""), -1 when it does not fit. */
int clr_mimeapps_get_default(const char *text, const char *mime, char *out, size_t size);

/* New text with `id` first in the [Default Applications] list of `mime` (other IDs kept after it as
 * fallbacks); adds the key, and the group, when missing. Caller frees; NULL when out of memory. */
char *clr_mimeapps_set_default(const char *text, const char *mime, const char *id);

/* New text with `id` removed from the [Default Applications] list of `mime`; a key left without IDs is
 * removed. *changed tells whether `id` was there. Caller frees; NULL when out of memory. */
char *clr_mimeapps_remove_default(const char *text, const char *mime, const char *id, int *changed);

#endif
