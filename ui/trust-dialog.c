/* certlink ui: trust dialog (see trust-dialog.h). */
#include "trust-dialog.h"

#include <glib/gi18n-lib.h>

#include "ui.h"

struct _CertlinkTrustDialog {
	GtkWindow parent_instance;

	GtkLabel *heading_label;
	GtkLabel *explain_label;
	GtkLabel *host_caption;
	GtkLabel *host_label;
	GtkLabel *subject_label;
	GtkLabel *issuer_caption;
	GtkLabel *issuer_label;
	GtkLabel *fingerprint_label;
	GtkCheckButton *remember_check;
	GtkButton *cancel_button;
	GtkButton *trust_button;

	struct cl_question *question;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkTrustDialog, certlink_trust_dialog, GTK_TYPE_WINDOW)

static void answer(CertlinkTrustDialog *self, gboolean ok)
{
	gboolean is_ca = self->question->kind == CL_ASK_TRUST_CA;

	if (self->answered)
		return;
	self->answered = TRUE;
	if (ok && is_ca)
		self->question->trust =
		    CL_TRUST_REMEMBER; /* installing a trust anchor is lasting by nature */
	else if (ok)
		self->question->trust =
		    gtk_check_button_get_active(self->remember_check) ? CL_TRUST_REMEMBER : CL_TRUST_ONCE;
	else
		self->question->trust = CL_TRUST_NO;
	/* For a CA, "Don't Trust" (or closing the dialog) is an answer, not a cancel: the certificate is
	 * installed without the CA as a trust anchor. For a server, no means the run stops. */
	certlink_ui_emit_answered(GTK_WIDGET(self), ok || is_ca);
}

static void trust_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_TRUST_DIALOG(widget), TRUE);
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_TRUST_DIALOG(widget), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	answer(CERTLINK_TRUST_DIALOG(window), FALSE);
	return FALSE;
}

static void certlink_trust_dialog_class_init(CertlinkTrustDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

	certlink_ui_ensure_resources();
	window_class->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/trust-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, explain_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, host_caption);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, host_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, subject_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, issuer_caption);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, issuer_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, fingerprint_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, remember_check);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, cancel_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkTrustDialog, trust_button);
	gtk_widget_class_install_action(widget_class, "dialog.trust", NULL, trust_activated);
	gtk_widget_class_install_action(widget_class, "dialog.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
	certlink_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_trust_dialog_init(CertlinkTrustDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *certlink_trust_dialog_new(GtkWindow *parent, struct cl_question *q)
{
	CertlinkTrustDialog *self = g_object_new(CERTLINK_TYPE_TRUST_DIALOG, "transient-for", parent, NULL);
	g_autofree char *host = NULL;

	self->question = q;
	if (q->kind == CL_ASK_TRUST_SERVER) {
		host = g_strdup_printf("%s:%d", q->host ? q->host : "?", q->port);
		gtk_label_set_text(self->heading_label, _("This server's identity could not be confirmed"));
		gtk_label_set_text(
		    self->explain_label,
		    _("Nothing has been sent to it yet. Continue only if your administrator gave you "
		      "exactly this fingerprint; otherwise press Cancel."));
		gtk_label_set_text(self->host_label, host);
	} else {
		gtk_window_set_title(GTK_WINDOW(self), _("Trust a certificate authority"));
		gtk_label_set_text(self->heading_label, _("Install this certificate authority as trusted?"));
		gtk_label_set_text(
		    self->explain_label,
		    q->store == CL_STORE_COMPUTER
		        ? _("Every program and every user of this computer would then trust every "
		            "certificate it "
		            "issues, for any web site or server, and an administrator's password is asked. "
		            "Your "
		            "certificate is installed either way. Trust it only if your administrator told "
		            "you "
		            "to and the fingerprint is the one you were given.")
		        : _("Your programs, web browsers among them, would then trust every certificate it "
		            "issues, for any web site or server. Your certificate is installed either way. "
		            "Trust "
		            "it only if your administrator told you to and the fingerprint is the one you "
		            "were "
		            "given."));
		gtk_button_set_label(self->cancel_button, _("_Don't Trust"));
		gtk_button_set_label(self->trust_button, _("_Trust"));
		gtk_widget_set_visible(GTK_WIDGET(self->host_caption), FALSE);
		gtk_widget_set_visible(GTK_WIDGET(self->host_label), FALSE);
		gtk_widget_set_visible(GTK_WIDGET(self->remember_check), FALSE);
	}
	gtk_label_set_text(self->subject_label, q->subject ? q->subject : "");
	gtk_label_set_text(self->issuer_label, q->issuer ? q->issuer : "");
	gtk_widget_set_visible(GTK_WIDGET(self->issuer_caption), q->issuer && q->issuer[0]);
	gtk_widget_set_visible(GTK_WIDGET(self->issuer_label), q->issuer && q->issuer[0]);
	gtk_label_set_text(self->fingerprint_label, q->fingerprint ? q->fingerprint : "");
	gtk_widget_grab_focus(GTK_WIDGET(self->cancel_button));
	return GTK_WIDGET(self);
}
