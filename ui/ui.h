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

/* Set a wrapping label's TEXT with line breaks a person reads well, at the width the nearest ancestor with a
 * width-request gives it (the dialogs' content boxes ask for the window's width). A heading that needs two
 * lines breaks at the space that makes them most even, else its lines are about as long as each other; a
 * message keeps its width unless its last line would hold one lone character (Japanese wraps between any
 * two characters: "...ください" + "い。"), then it is a little narrower. The breaks are newlines (a space
 * before one stays, so the text without them is TEXT); measured again once the label is mapped, in its
 * final font. */
void certlink_ui_heading_set_text(GtkLabel *label, const char *text);
void certlink_ui_message_set_text(GtkLabel *label, const char *text);

/* UNIX_TIME as the locale's full date ("4 December 2027", 「2027年12月4日」), never an ambiguous short form
 * such as 12/04/27. NULL for a time GLib cannot represent; caller frees. */
char *certlink_ui_format_date(gint64 unix_time);

#endif
