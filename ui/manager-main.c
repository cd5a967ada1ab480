/* certlink-manager: the program. Parses the command line, sets up translations and opens the window.
 *
 *   certlink-manager [--renew SERIAL] [--page home|certificates|new|apid|settings]
 *
 * One instance per session (GtkApplication, org.certlink.Manager): a second start, such as a click on an
 * expiry notification (`certlink-manager --renew SERIAL`), is handed to the running window.
 */
#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>
#include <locale.h>

#include "manager-window.h"
#include "size-probe.h"

static CertlinkManagerWindow *window_of(GtkApplication *app)
{
	GtkWindow *w = gtk_application_get_active_window(app);
	GList *l;

	if (CERTLINK_IS_MANAGER_WINDOW(w))
		return CERTLINK_MANAGER_WINDOW(w);
	for (l = gtk_application_get_windows(app); l; l = l->next)
		if (CERTLINK_IS_MANAGER_WINDOW(l->data))
			return CERTLINK_MANAGER_WINDOW(l->data);
	return CERTLINK_MANAGER_WINDOW(certlink_manager_window_new(app));
}

static int on_command_line(GApplication *app, GApplicationCommandLine *cmdline, gpointer data)
{
	GVariantDict *opts = g_application_command_line_get_options_dict(cmdline);
	CertlinkManagerWindow *win = window_of(GTK_APPLICATION(app));
	const char *renew = NULL, *page = NULL;

	g_variant_dict_lookup(opts, "renew", "&s", &renew);
	g_variant_dict_lookup(opts, "page", "&s", &page);
	gtk_window_present(GTK_WINDOW(win));
	if (renew) {
		certlink_manager_window_renew(win, renew);
	} else if (g_strcmp0(page, "new") == 0) {
		certlink_manager_window_new_certificate(win);
	} else if (page && !certlink_manager_window_show_page(win, page)) {
		g_application_command_line_printerr(cmdline, _("certlink-manager: unknown page \"%s\"\n"),
		                                    page);
		return 100;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ "renew", 0, 0, G_OPTION_ARG_STRING, NULL,
		  N_("Renew the certificate with this serial number"), N_("SERIAL") },
		{ "page", 0, 0, G_OPTION_ARG_STRING, NULL,
		  N_("Open a page: home, certificates, new, apid or settings"), N_("PAGE") },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	const char *localedir = g_getenv("CERTLINK_LOCALEDIR");
	GtkApplication *app;
	int status;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE,
	               localedir && g_path_is_absolute(localedir) ? localedir : CERTLINK_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_set_application_name(_("Certificate Manager"));
	app = gtk_application_new("org.certlink.Manager", G_APPLICATION_HANDLES_COMMAND_LINE);
	g_application_add_main_option_entries(G_APPLICATION(app), entries);
	g_application_set_option_context_summary(
	    G_APPLICATION(app), _("Apply for, renew and manage certificates with certlink."));
	g_signal_connect(app, "command-line", G_CALLBACK(on_command_line), NULL);
	certlink_ui_size_probe_install();
	status = g_application_run(G_APPLICATION(app), argc, argv);
	g_object_unref(app);
	return status;
}
