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

static void json_string(GString *json, const char *s)
{
	g_string_append_c(json, '"');
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(json, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			g_string_append_printf(json, "\\u%04x", (unsigned char)*p);
		else
			g_string_append_c(json, *p);
	}
	g_string_append_c(json, '"');
}

/* Does a wrapped line hold only one character a person reads (punctuation and spaces aside)? A title
 * whose last character sits on a line of its own ("...しています" + "す") reads as broken. */
static gboolean lone_character(const char *text, int start, int length)
{
	int letters = 0;

	for (const char *p = text + start; p < text + start + length; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (!g_unichar_isspace(c) && !g_unichar_ispunct(c))
			letters++;
	}
	return letters == 1;
}

/* Every mapped, wrapping label of W with a line (after its first) of one lone character: its text into
 * JSON, comma-separated. */
static void find_orphans(GtkWidget *w, GString *json)
{
	if (!gtk_widget_get_mapped(w))
		return;
	if (GTK_IS_LABEL(w) && gtk_label_get_wrap(GTK_LABEL(w))) {
		PangoLayout *layout = gtk_label_get_layout(GTK_LABEL(w));
		const char *text = pango_layout_get_text(layout);

		for (int i = 1; i < pango_layout_get_line_count(layout); i++) {
			PangoLayoutLine *line = pango_layout_get_line_readonly(layout, i);

			if (lone_character(text, line->start_index, line->length)) {
				if (json->len)
					g_string_append(json, ", ");
				json_string(json, text);
				break;
			}
		}
	}
	for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
		find_orphans(c, json);
}

static void write_window(FILE *f, GtkWindow *window)
{
	GtkWidget *w = GTK_WIDGET(window);
	int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);
	int min_w = 0, nat_w = 0, min_h = 0, nat_h = 0;
	const char *title = gtk_window_get_title(window);
	unsigned long xid = 0;
	GString *json = g_string_new(NULL), *orphans = g_string_new(NULL);

#ifdef GDK_WINDOWING_X11
	GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(window));

	if (surface && GDK_IS_X11_SURFACE(surface))
		xid = gdk_x11_surface_get_xid(surface);
#endif
	gtk_widget_measure(w, GTK_ORIENTATION_HORIZONTAL, -1, &min_w, &nat_w, NULL, NULL);
	gtk_widget_measure(w, GTK_ORIENTATION_VERTICAL, width, &min_h, &nat_h, NULL, NULL);
	json_string(json, title); /* escaped for JSON; the rest is UTF-8 already */
	find_orphans(w, orphans);
	fprintf(
	    f,
	    "{\"probe\": %u, \"title\": %s, \"type\": \"%s\", \"resizable\": %s, \"width\": %d, "
	    "\"height\": %d, \"min_width\": %d, \"nat_width\": %d, \"min_height\": %d, \"nat_height\": %d, "
	    "\"xid\": %lu, \"orphans\": [%s]}\n",
	    probe_count, json->str, G_OBJECT_TYPE_NAME(window),
	    gtk_window_get_resizable(window) ? "true" : "false", width, height, min_w, nat_w, min_h, nat_h,
	    xid, orphans->str);
	g_string_free(json, TRUE);
	g_string_free(orphans, TRUE);
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
