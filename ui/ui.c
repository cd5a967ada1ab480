/* certlink ui: shared setup of the ui library (see ui.h). */
#include "ui.h"

#include <glib/gi18n-lib.h>

#include "certlink-ui-resources.h"

void certlink_ui_ensure_resources(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		certlink_ui_register_resource();
		g_once_init_leave(&done, 1);
	}
}

void certlink_ui_load_css(void)
{
	static gboolean loaded;
	GtkCssProvider *provider;
	GdkDisplay *display = gdk_display_get_default();

	if (loaded || !display)
		return;
	certlink_ui_ensure_resources();
	provider = gtk_css_provider_new();
	gtk_css_provider_load_from_resource(provider, "/org/certlink/ui/style.css");
	gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(provider),
	                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(provider);
	loaded = TRUE;
}

void certlink_ui_add_answered_signal(GType type)
{
	g_signal_new("answered", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
	             G_TYPE_BOOLEAN);
}

void certlink_ui_emit_answered(GtkWidget *dialog, gboolean ok)
{
	g_signal_emit_by_name(dialog, "answered", ok);
}

char *certlink_ui_format_date(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(unix_time);

	if (!dt)
		return NULL;
	/* TRANSLATORS: a full date in g_date_time_format() codes: "4 December 2027"; Japanese writes
	 * "%Y年%-m月%-d日". %B is the month's name in the locale. */
	/* xgettext:no-c-format */
	return g_date_time_format(dt, _("%-d %B %Y"));
}
