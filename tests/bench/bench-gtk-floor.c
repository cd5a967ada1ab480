/* bench-gtk-floor: the floor for certlink's window benchmarks: the smallest GTK 4 application that shows a
 * window, as GTK's own "Getting started" writes it (a GtkApplication that registers on the session bus, one
 * GtkApplicationWindow with a title and a label). Whatever a certlink window takes beyond this program on
 * the same machine and display is certlink's own start-up (tests/bench/README.md).
 */
#include <gtk/gtk.h>

static void on_activate(GtkApplication *app, gpointer data)
{
	GtkWidget *window = gtk_application_window_new(app);

	(void)data;
	gtk_window_set_title(GTK_WINDOW(window), "GTK floor");
	gtk_window_set_default_size(GTK_WINDOW(window), 480, 320);
	gtk_window_set_child(GTK_WINDOW(window), gtk_label_new("Hello"));
	gtk_window_present(GTK_WINDOW(window));
}

int main(int argc, char **argv)
{
	GtkApplication *app = gtk_application_new("org.certlink.BenchFloor", G_APPLICATION_DEFAULT_FLAGS);
	int status;

	g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
	status = g_application_run(G_APPLICATION(app), argc, argv);
	g_object_unref(app);
	return status;
}
