/* certlink ui: the handler's GtkApplication (see handler-app.h). */
#include "handler-app.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>
#include <stdio.h>

#include "enroll.h"
#include "settings.h"
#include "progress-window.h"
#include "size-probe.h"
#include "ui.h"

#define HANDLER_APP_ID "org.certlink.Handler"

struct handler_app {
	const struct cl_link *link;
	struct cl_enroll_opts opts;
	CertlinkProgressWindow *window;
	int exit_code;
};

static void on_finished(CertlinkProgressWindow *window, int code, struct handler_app *h)
{
	h->exit_code = code;
}

static void on_activate(GApplication *app, struct handler_app *h)
{
	const char *service;

	/* A second click lands here as a remote "activate": show what is running, start nothing. */
	if (h->window) {
		gtk_window_present(GTK_WINDOW(h->window));
		return;
	}
	certlink_ui_load_css();
	service = h->link->name[0] ? h->link->name : h->link->host;
	h->window = certlink_progress_window_new(GTK_APPLICATION(app), service);
	g_object_add_weak_pointer(G_OBJECT(h->window), (gpointer *)&h->window);
	g_signal_connect(h->window, "finished", G_CALLBACK(on_finished), h);
	gtk_window_present(GTK_WINDOW(h->window));
	certlink_progress_window_start(h->window, &h->opts);
}

int certlink_handler_app_run(const struct cl_link *link, const char *argv0)
{
	struct handler_app h = { 0 };
	struct cl_settings settings;
	g_autoptr(GtkApplication) app = NULL;
	g_autoptr(GError) error = NULL;
	char *argv[] = { (char *)argv0, NULL };

	/* Without a display variable GTK cannot open one; do not even load it (a terminal run stays light).
	 */
	if (!g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY"))
		return -1;
	if (!gtk_init_check())
		return -1;
	certlink_ui_size_probe_install();

	h.link = link;
	h.exit_code = cl_status_exit_code(CL_E_CANCELLED);
	h.opts.link = link;
	h.opts.store = CL_STORE_ASK;
	/* the person's setting (the manager's Settings, docs/manager.md): a renewal keeps the key */
	if (cl_settings_load(&settings, NULL) == CL_OK)
		h.opts.reuse_key = settings.reuse_key;

	app = gtk_application_new(HANDLER_APP_ID, G_APPLICATION_DEFAULT_FLAGS);
	g_signal_connect(app, "activate", G_CALLBACK(on_activate), &h);
	if (!g_application_register(G_APPLICATION(app), NULL, &error)) {
		/* No session bus: run alone rather than not at all. */
		g_printerr("certlink-handler: %s\n", error->message);
		g_application_set_flags(G_APPLICATION(app), G_APPLICATION_NON_UNIQUE);
	} else if (g_application_get_is_remote(G_APPLICATION(app))) {
		fprintf(stderr,
		        _("certlink-handler: an enrollment is already running; its window was brought "
		          "forward.\n"));
		g_application_activate(G_APPLICATION(app));
		return 0;
	}
	/* Only argv[0]: the link never reaches GApplication's option parsing. */
	g_application_run(G_APPLICATION(app), 1, argv);
	return h.exit_code;
}
