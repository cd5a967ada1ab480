/* certlink-manager: the credentials question page (see manager-ask-credentials.h). */
#include "manager-ask-credentials.h"

#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>

#include "manager-ui.h"

struct _CertlinkManagerAskCredentials {
	GtkBox parent;
	GtkLabel *heading_label;
	GtkLabel *hint_label;
	GtkEditable *user_entry;
	GtkEditable *password_entry;
	GtkWidget *continue_button;
	struct cl_question *q;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerAskCredentials, certlink_manager_ask_credentials, GTK_TYPE_BOX)

static void answer(CertlinkManagerAskCredentials *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	if (ok) {
		g_strlcpy(self->q->user, gtk_editable_get_text(self->user_entry), sizeof(self->q->user));
		g_strlcpy(self->q->password, gtk_editable_get_text(self->password_entry),
		          sizeof(self->q->password));
	}
	gtk_editable_set_text(self->password_entry, "");
	certlink_manager_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void update(CertlinkManagerAskCredentials *self)
{
	gboolean ready =
	    gtk_editable_get_text(self->user_entry)[0] && gtk_editable_get_text(self->password_entry)[0];

	gtk_widget_action_set_enabled(GTK_WIDGET(self), "ask.continue", ready);
}

static void continue_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_CREDENTIALS(w), TRUE);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_CREDENTIALS(w), FALSE);
}

static void on_activate(GtkWidget *entry, CertlinkManagerAskCredentials *self)
{
	if (gtk_widget_is_sensitive(self->continue_button))
		answer(self, TRUE);
}

static void certlink_manager_ask_credentials_class_init(CertlinkManagerAskCredentialsClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-ask-credentials.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskCredentials, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskCredentials, hint_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskCredentials, user_entry);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskCredentials, password_entry);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskCredentials, continue_button);
	gtk_widget_class_install_action(widget_class, "ask.continue", NULL, continue_activated);
	gtk_widget_class_install_action(widget_class, "ask.cancel", NULL, cancel_activated);
	certlink_manager_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_manager_ask_credentials_init(CertlinkManagerAskCredentials *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect_swapped(self->user_entry, "changed", G_CALLBACK(update), self);
	g_signal_connect_swapped(self->password_entry, "changed", G_CALLBACK(update), self);
	g_signal_connect(self->user_entry, "activate", G_CALLBACK(on_activate), self);
	g_signal_connect(self->password_entry, "activate", G_CALLBACK(on_activate), self);
}

GtkWidget *certlink_manager_ask_credentials_new(struct cl_question *q)
{
	CertlinkManagerAskCredentials *self = g_object_new(CERTLINK_TYPE_MANAGER_ASK_CREDENTIALS, NULL);
	char *heading = g_strdup_printf(_("Sign in to %s"), q->service_name ? q->service_name : q->host);

	self->q = q;
	gtk_label_set_text(self->heading_label, heading);
	g_free(heading);
	if (q->error_hint) {
		gtk_label_set_text(self->hint_label, q->error_hint);
		gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
	}
	gtk_editable_set_text(self->user_entry, q->user);
	OPENSSL_cleanse(q->password, sizeof(q->password));
	update(self);
	g_object_set_data(G_OBJECT(self), CERTLINK_MANAGER_FOCUS_KEY,
	                  q->user[0] ? (gpointer)self->password_entry : (gpointer)self->user_entry);
	return GTK_WIDGET(self);
}
