/* certlink-handler: gettext for the terminal side, which must build without GLib.
 *
 * GETTEXT_PACKAGE ("certlink") and LOCALEDIR come from CMake. GTK code uses <glib/gi18n-lib.h> instead, with
 * the same domain, so both halves share one catalogue.
 */
#ifndef HANDLER_I18N_H
#define HANDLER_I18N_H

#include <libintl.h>

#ifndef _
#define _(s) dgettext(GETTEXT_PACKAGE, s)
#endif
#ifndef N_
#define N_(s) (s)
#endif

#endif
