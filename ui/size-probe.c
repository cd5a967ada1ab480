/* certlink ui: window sizes for the GUI tests (see size-probe.h). */
#include "size-probe.h"

#include <glib-unix.h>
#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif
#include <signal.h>
#include <stdio.h>

static char *probe_path;
static unsigned probe_count;

static void write_window(FILE *f, GtkWindow *window)
{
	GtkWidget *w = GTK_WIDGET(window);
	int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	int min_w = 0, nat_w = 0, min_h = 0, nat_h = 0;
	const char *title = gtk_window_get_title(window);
	unsigned long xid = 0;
	g_autofree char *quoted = NULL;
	GString *json = g_string_new(NULL);

#ifdef GDK_WINDOWING_X11
	GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(window));

	if (surface && GDK_IS_X11_SURFACE(surface))
		xid = gdk_x11_surface_get_xid(surface);
#endif
	gtk_widget_measure(w, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
	gtk_widget_measure(w, GTK_ORIENTATION_VERTICAL, width, &min_h, &nat_h, NULL, NULL);
	/* the title as JSON: escape what JSON needs, the rest is UTF-8 already */
	for (const char *p = title ? title : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(json, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			g_string_append_printf(json, "\\u%04x", (unsigned char)*p);
		else
			g_string_append_c(json, *p);
	}
	fprintf(
	    f,
	    "{\"probe\": %u, \"title\": \"%s\", \"type\": \"%s\", \"resizable\": %s, \"width\": %d, "
	    "\"height\": %d, \"min_width\": %d, \"nat_width\": %d, \"min_height\": %d, \"nat_height\": %d, "
	    "\"xid\": %lu}\n",
	    probe_count, json->str, G_OBJECT_TYPE_NAME(window),
	    gtk_window_get_resizable(window) ? "true" : "false", width, height, min_w, nat_w, min_h, nat_h,
	    xid);
	g_string_free(json, TRUE);
}

static gboolean on_probe(gpointer data)
{
	GListModel *windows = gtk_window_get_toplevels();
	FILE *f = fopen(probe_path, "ae");

	if (!f)
		return G_SOURCE_CONTINUE;
	probe_count++;
	for (guint i = 0; i < g_list_model_get_n_items(windows); i++) {
		GtkWindow *window = g_list_model_get_item(windows, i);

		if (gtk_widget_get_mapped(GTK_WIDGET(window)))
			write_window(f, window);
		g_object_unref(window);
	}
	fprintf(f, "{\"probe\": %u, \"done\": true}\n", probe_count);
	fclose(f);
	return G_SOURCE_CONTINUE;
}

void certlink_ui_size_probe_install(void)
{
	const char *path = g_getenv("CERTLINK_UI_SIZE_PROBE");

	if (probe_path || !path || !g_path_is_absolute(path))
		return;
	probe_path = g_strdup(path);
	g_unix_signal_add(SIGUSR1, on_probe, NULL);
}
