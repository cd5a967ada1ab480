/* certlink-manager: confirmation and message dialog (see manager-confirm.h). */
#include "manager-confirm.h"

#include <glib/gi18n-lib.h>

#include "manager-ui.h"

struct _CertlinkManagerConfirm {
	GtkWindow parent;
	GtkLabel *heading_label;
	GtkLabel *body_label;
	GtkButton *cancel_button;
	GtkButton *accept_button;
	gboolean responded;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerConfirm, certlink_manager_confirm, GTK_TYPE_WINDOW)

enum { SIGNAL_RESPONSE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void respond(CertlinkManagerConfirm *self, gboolean yes)
{
	if (self->responded)
		return;
	self->responded = TRUE;
	g_signal_emit(self, signals[SIGNAL_RESPONSE], 0, yes);
	gtk_window_destroy(GTK_WINDOW(self));
}

static void accept_activated(GtkWidget *w, const char *action, GVariant *param)
{
	respond(CERTLINK_MANAGER_CONFIRM(w), TRUE);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	respond(CERTLINK_MANAGER_CONFIRM(w), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	CertlinkManagerConfirm *self = CERTLINK_MANAGER_CONFIRM(window);

	if (!self->responded) {
		self->responded = TRUE;
		g_signal_emit(self, signals[SIGNAL_RESPONSE], 0, FALSE);
	}
	return FALSE;
}

static void certlink_manager_confirm_class_init(CertlinkManagerConfirmClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-confirm.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerConfirm, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerConfirm, body_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerConfirm, cancel_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerConfirm, accept_button);
	gtk_widget_class_install_action(widget_class, "confirm.accept", NULL, accept_activated);
	gtk_widget_class_install_action(widget_class, "confirm.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "confirm.cancel", NULL);
	signals[SIGNAL_RESPONSE] = g_signal_new("response", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void certlink_manager_confirm_init(CertlinkManagerConfirm *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

CertlinkManagerConfirm *certlink_manager_confirm_new(GtkWindow *parent, const char *heading, const char *body,
                                                     const char *accept, gboolean destructive)
{
	CertlinkManagerConfirm *self =
	    g_object_new(CERTLINK_TYPE_MANAGER_CONFIRM, "transient-for", parent, "title", heading, NULL);

	gtk_label_set_text(self->heading_label, heading);
	gtk_label_set_text(self->body_label, body ? body : "");
	if (accept) {
		gtk_button_set_label(self->accept_button, accept);
		gtk_widget_add_css_class(GTK_WIDGET(self->accept_button),
		                         destructive ? "destructive-action" : "suggested-action");
		gtk_window_set_default_widget(GTK_WINDOW(self), GTK_WIDGET(self->cancel_button));
		gtk_widget_grab_focus(GTK_WIDGET(self->cancel_button));
	} else {
		/* a message: one button that closes it */
		gtk_widget_set_visible(GTK_WIDGET(self->accept_button), FALSE);
		gtk_button_set_label(self->cancel_button, _("Close"));
		gtk_window_set_default_widget(GTK_WINDOW(self), GTK_WIDGET(self->cancel_button));
	}
	return self;
}
