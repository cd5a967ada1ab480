/* certlink ui: store dialog (see store-dialog.h). */
#include "store-dialog.h"

#include "ui.h"

struct _CertlinkStoreDialog {
	GtkWindow parent_instance;

	GtkCheckButton *user_radio;
	GtkCheckButton *computer_radio;

	struct cl_question *question;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkStoreDialog, certlink_store_dialog, GTK_TYPE_WINDOW)

static void answer(CertlinkStoreDialog *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	if (ok)
		self->question->store =
		    gtk_check_button_get_active(self->computer_radio) ? CL_STORE_COMPUTER : CL_STORE_USER;
	certlink_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void ok_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_STORE_DIALOG(widget), TRUE);
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_STORE_DIALOG(widget), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	answer(CERTLINK_STORE_DIALOG(window), FALSE);
	return FALSE;
}

static void certlink_store_dialog_class_init(CertlinkStoreDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_ui_ensure_resources();
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/store-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkStoreDialog, user_radio);
	gtk_widget_class_bind_template_child(widget_class, CertlinkStoreDialog, computer_radio);
	gtk_widget_class_install_action(widget_class, "dialog.ok", NULL, ok_activated);
	gtk_widget_class_install_action(widget_class, "dialog.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
	certlink_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_store_dialog_init(CertlinkStoreDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *certlink_store_dialog_new(GtkWindow *parent, struct cl_question *q)
{
	CertlinkStoreDialog *self = g_object_new(CERTLINK_TYPE_STORE_DIALOG, "transient-for", parent, NULL);

	self->question = q;
	return GTK_WIDGET(self);
}
