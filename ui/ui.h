/* certlink ui: what every widget of the ui library shares.
 *
 * The .ui templates live in one GResource bundle (certlink-ui.gresource.xml) registered on first use. The
 * question dialogs share one signal shape, "answered" (gboolean ok), emitted after they wrote their answer.
 */
#ifndef CERTLINK_UI_H
#define CERTLINK_UI_H

#include <gtk/gtk.h>

/* Register the bundled templates and style sheet; idempotent, call from class_init. */
void certlink_ui_ensure_resources(void);

/* Load the style sheet for the default display; idempotent, call once a display is open. */
void certlink_ui_load_css(void);

/* Add the "answered" (gboolean ok) signal to a dialog class, and emit it. */
void certlink_ui_add_answered_signal(GType type);
void certlink_ui_emit_answered(GtkWidget *dialog, gboolean ok);

/* UNIX_TIME as the locale's full date ("4 December 2027", 「2027年12月4日」), never an ambiguous short form
 * such as 12/04/27. NULL for a time GLib cannot represent; caller frees. */
char *certlink_ui_format_date(gint64 unix_time);

#endif
