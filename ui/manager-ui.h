/* certlink-manager: what the manager's widgets share: the bundled templates and style sheet, and the
 * "answered" signal of the question pages. */
#ifndef CERTLINK_MANAGER_UI_H
#define CERTLINK_MANAGER_UI_H

#include <gtk/gtk.h>

/* Register the GResource bundle; idempotent, call from class_init. */
void certlink_manager_ui_init_class(void);

/* Load the style sheet for the default display; idempotent. */
void certlink_manager_ui_load_css(void);

/* Add "answered" (gboolean ok) to a question page class, and emit it. */
void certlink_manager_ui_add_answered_signal(GType type);
void certlink_manager_ui_emit_answered(GtkWidget *page, gboolean ok);

/* Object data key under which a question page names the widget that gets the focus when it shows. */
#define CERTLINK_MANAGER_FOCUS_KEY "certlink-manager-focus"

/* Local date and time for people ("2026-11-25 10:00"); "—" for 0. Caller frees. */
char *certlink_manager_ui_format_time(gint64 t);

#endif
