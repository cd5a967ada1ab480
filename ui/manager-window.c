/* certlink-manager: the main window (see manager-window.h). */
#include "manager-window.h"

#include <glib/gi18n-lib.h>

#include "manager-apid.h"
#include "manager-certlist.h"
#include "manager-flow.h"
#include "manager-settings.h"
#include "manager-ui.h"

/* How long a window opening on the certificate list waits for its records before its first frame. */
#define FIRST_LIST_WAIT_MS 100

struct _CertlinkManagerWindow {
	GtkApplicationWindow parent;
	GtkStack *stack;
	GtkWidget *back_button;
	CertlinkManagerCertList *certlist;
	CertlinkManagerApid *apid;
	CertlinkManagerSettings *settings;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerWindow, certlink_manager_window, GTK_TYPE_APPLICATION_WINDOW)

static void on_page_changed(GtkStack *stack, GParamSpec *pspec, CertlinkManagerWindow *self)
{
	const char *name = gtk_stack_get_visible_child_name(stack);
	GtkStackPage *page = gtk_stack_get_page(stack, gtk_stack_get_visible_child(stack));

	gtk_widget_set_visible(self->back_button, g_strcmp0(name, "home") != 0);
	gtk_window_set_title(GTK_WINDOW(self), gtk_stack_page_get_title(page));
	if (g_strcmp0(name, "certificates") == 0)
		certlink_manager_certlist_reload(self->certlist);
	else if (g_strcmp0(name, "apid") == 0)
		certlink_manager_apid_refresh(self->apid);
	else if (g_strcmp0(name, "settings") == 0)
		certlink_manager_settings_refresh(self->settings);
}

gboolean certlink_manager_window_show_page(CertlinkManagerWindow *self, const char *name)
{
	gboolean shown = gtk_widget_get_mapped(GTK_WIDGET(self));

	if (!name || !gtk_stack_get_child_by_name(self->stack, name))
		return FALSE;
	/* a window that opens on a page shows it at once, not a crossfade from the home page, and the
	 * certificate list with its records in its first frame unless reading them takes long */
	gtk_stack_set_visible_child_full(self->stack, name,
	                                 shown ? gtk_stack_get_transition_type(self->stack)
	                                       : GTK_STACK_TRANSITION_TYPE_NONE);
	if (!shown && g_strcmp0(name, "certificates") == 0)
		certlink_manager_certlist_wait_loaded(self->certlist, FIRST_LIST_WAIT_MS);
	return TRUE;
}

static void on_flow_finished(CertlinkManagerFlow *flow, gboolean changed, CertlinkManagerWindow *self)
{
	if (changed)
		certlink_manager_certlist_reload(self->certlist);
}

void certlink_manager_window_new_certificate(CertlinkManagerWindow *self)
{
	CertlinkManagerFlow *flow = certlink_manager_flow_new_wizard(GTK_WINDOW(self));

	g_signal_connect_object(flow, "finished", G_CALLBACK(on_flow_finished), self, 0);
	gtk_window_present(GTK_WINDOW(flow));
}

void certlink_manager_window_renew(CertlinkManagerWindow *self, const char *serial)
{
	certlink_manager_window_show_page(self, "certificates");
	certlink_manager_certlist_renew(self->certlist, serial);
}

static void page_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	certlink_manager_window_show_page(CERTLINK_MANAGER_WINDOW(widget), g_variant_get_string(param, NULL));
}

static void new_activated(GtkWidget *widget, const char *action, GVariant *param)
{
	certlink_manager_window_new_certificate(CERTLINK_MANAGER_WINDOW(widget));
}

static void certlink_manager_window_class_init(CertlinkManagerWindowClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	g_type_ensure(CERTLINK_TYPE_MANAGER_CERTLIST);
	g_type_ensure(CERTLINK_TYPE_MANAGER_APID);
	g_type_ensure(CERTLINK_TYPE_MANAGER_SETTINGS);
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-window.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerWindow, stack);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerWindow, back_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerWindow, certlist);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerWindow, apid);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerWindow, settings);
	gtk_widget_class_install_action(widget_class, "win.page", "s", page_activated);
	gtk_widget_class_install_action(widget_class, "win.new-certificate", NULL, new_activated);
}

static void certlink_manager_window_init(CertlinkManagerWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect(self->stack, "notify::visible-child", G_CALLBACK(on_page_changed), self);
	certlink_manager_ui_load_css();
}

GtkWidget *certlink_manager_window_new(GtkApplication *app)
{
	return g_object_new(CERTLINK_TYPE_MANAGER_WINDOW, "application", app, NULL);
}
