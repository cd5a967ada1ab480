/* certlink-manager: shared setup (see manager-ui.h). */
#include "manager-ui.h"

#include "manager-resources.h"

void certlink_manager_ui_init_class(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		certlink_manager_register_resource();
		g_once_init_leave(&done, 1);
	}
}

void certlink_manager_ui_load_css(void)
{
	static gboolean loaded;
	GdkDisplay *display = gdk_display_get_default();
	GtkCssProvider *provider;

	if (loaded || !display)
		return;
	certlink_manager_ui_init_class();
	provider = gtk_css_provider_new();
	gtk_css_provider_load_from_resource(provider, "/org/certlink/manager/manager.css");
	gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(provider),
	                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(provider);
	loaded = TRUE;
}

void certlink_manager_ui_add_answered_signal(GType type)
{
	g_signal_new("answered", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
	             G_TYPE_BOOLEAN);
}

void certlink_manager_ui_emit_answered(GtkWidget *page, gboolean ok)
{
	g_signal_emit_by_name(page, "answered", ok);
}

char *certlink_manager_ui_format_time(gint64 t)
{
	GDateTime *dt;
	char *text;

	if (t <= 0)
		return g_strdup("—");
	dt = g_date_time_new_from_unix_local(t);
	if (!dt)
		return g_strdup("?");
	text = g_date_time_format(dt, "%Y-%m-%d %H:%M");
	g_date_time_unref(dt);
	return text;
}
