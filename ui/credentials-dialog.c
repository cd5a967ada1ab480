/* certlink ui: credentials dialog (see credentials-dialog.h). */
#include "credentials-dialog.h"

#include <glib/gi18n-lib.h>

#include "ui.h"

struct _CertlinkCredentialsDialog {
	GtkWindow parent_instance;

	GtkLabel *heading_label;
	GtkLabel *hint_label;
	GtkEntry *user_entry;
	GtkPasswordEntry *password_entry;

	struct cl_question *question;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkCredentialsDialog, certlink_credentials_dialog, GTK_TYPE_WINDOW)

static void update_ok(CertlinkCredentialsDialog *self)
{
	const char *user = gtk_editable_get_text(GTK_EDITABLE(self->user_entry));
	const char *password = gtk_editable_get_text(GTK_EDITABLE(self->password_entry));

	gtk_widget_action_set_enabled(GTK_WIDGET(self), "dialog.ok", user[0] && password[0]);
}

static void answer(CertlinkCredentialsDialog *self, gboolean ok)
{
	struct cl_question *q = self->question;

	if (self->answered)
		return;
	if (ok) {
		const char *user = gtk_editable_get_text(GTK_EDITABLE(self->user_entry));
		const char *password = gtk_editable_get_text(GTK_EDITABLE(self->password_entry));

		if (!user[0] || !password[0])
			return;
		if (strlen(user) >= sizeof(q->user) || strlen(password) >= sizeof(q->password)) {
			gtk_label_set_text(self->hint_label, _("That is too long."));
			gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
			return;
		}
		g_strlcpy(q->user, user, sizeof(q->user));
		g_strlcpy(q->password, password, sizeof(q->password));
	}
	self->answered = TRUE;
	gtk_editable_set_text(GTK_EDITABLE(self->password_entry), "");
	certlink_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void ok_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_CREDENTIALS_DIALOG(widget), TRUE);
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_CREDENTIALS_DIALOG(widget), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	answer(CERTLINK_CREDENTIALS_DIALOG(window), FALSE);
	return FALSE;
}

static void on_changed(GtkEditable *editable, CertlinkCredentialsDialog *self)
{
	update_ok(self);
}

static void certlink_credentials_dialog_class_init(CertlinkCredentialsDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_ui_ensure_resources();
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/credentials-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkCredentialsDialog, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkCredentialsDialog, hint_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkCredentialsDialog, user_entry);
	gtk_widget_class_bind_template_child(widget_class, CertlinkCredentialsDialog, password_entry);
	gtk_widget_class_bind_template_callback(widget_class, on_changed);
	gtk_widget_class_install_action(widget_class, "dialog.ok", NULL, ok_activated);
	gtk_widget_class_install_action(widget_class, "dialog.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
	certlink_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_credentials_dialog_init(CertlinkCredentialsDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	update_ok(self);
}

GtkWidget *certlink_credentials_dialog_new(GtkWindow *parent, struct cl_question *q)
{
	CertlinkCredentialsDialog *self =
	    g_object_new(CERTLINK_TYPE_CREDENTIALS_DIALOG, "transient-for", parent, NULL);
	g_autofree char *heading = NULL;

	self->question = q;
	heading = g_strdup_printf(_("Sign in to %s"), q->service_name ? q->service_name
	                                              : q->host       ? q->host
	                                                              : "");
	gtk_label_set_text(self->heading_label, heading);
	if (q->error_hint && q->error_hint[0]) {
		gtk_label_set_text(self->hint_label, q->error_hint);
		gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
	}
	gtk_editable_set_text(GTK_EDITABLE(self->user_entry), q->user);
	gtk_widget_grab_focus(q->user[0] ? GTK_WIDGET(self->password_entry) : GTK_WIDGET(self->user_entry));
	update_ok(self);
	return GTK_WIDGET(self);
}
