/* certlink-manager: the trust question page (see manager-ask-trust.h). */
#include "manager-ask-trust.h"

#include <glib/gi18n-lib.h>

#include "manager-ui.h"

struct _CertlinkManagerAskTrust {
	GtkBox parent;
	GtkLabel *heading_label;
	GtkLabel *explain_label;
	GtkLabel *host_caption;
	GtkLabel *host_label;
	GtkLabel *subject_label;
	GtkLabel *issuer_caption;
	GtkLabel *issuer_label;
	GtkLabel *fingerprint_label;
	GtkCheckButton *remember_check;
	GtkWidget *cancel_button;
	GtkWidget *skip_button;
	GtkButton *trust_button;
	struct cl_question *q;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerAskTrust, certlink_manager_ask_trust, GTK_TYPE_BOX)

static void answer(CertlinkManagerAskTrust *self, gboolean ok, enum cl_trust_answer trust)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	self->q->trust = trust;
	certlink_manager_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void trust_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerAskTrust *self = CERTLINK_MANAGER_ASK_TRUST(w);

	/* a trust anchor lasts by nature; a server is trusted for this run unless the person says remember */
	answer(self, TRUE,
	       self->q->kind == CL_ASK_TRUST_CA || gtk_check_button_get_active(self->remember_check)
	           ? CL_TRUST_REMEMBER
	           : CL_TRUST_ONCE);
}

static void skip_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_TRUST(w), TRUE, CL_TRUST_NO);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_TRUST(w), FALSE, CL_TRUST_NO);
}

static void certlink_manager_ask_trust_class_init(CertlinkManagerAskTrustClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-ask-trust.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, explain_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, host_caption);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, host_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, subject_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, issuer_caption);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, issuer_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, fingerprint_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, remember_check);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, cancel_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, skip_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskTrust, trust_button);
	gtk_widget_class_install_action(widget_class, "ask.trust", NULL, trust_activated);
	gtk_widget_class_install_action(widget_class, "ask.skip", NULL, skip_activated);
	gtk_widget_class_install_action(widget_class, "ask.cancel", NULL, cancel_activated);
	certlink_manager_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_manager_ask_trust_init(CertlinkManagerAskTrust *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *certlink_manager_ask_trust_new(struct cl_question *q)
{
	CertlinkManagerAskTrust *self = g_object_new(CERTLINK_TYPE_MANAGER_ASK_TRUST, NULL);
	char *text, *host;

	self->q = q;
	gtk_label_set_text(self->subject_label, q->subject ? q->subject : "");
	gtk_label_set_text(self->fingerprint_label, q->fingerprint ? q->fingerprint : "");
	host = g_strdup_printf("%s:%d", q->host ? q->host : "", q->port);
	gtk_label_set_text(self->host_label, host);
	if (q->kind == CL_ASK_TRUST_SERVER) {
		gtk_label_set_text(self->heading_label, _("Do you trust this server?"));
		text = g_strdup_printf(
		    _("certlink cannot confirm that %s is the enrollment server it claims to be. "
		      "Compare the fingerprint below with the one your administrator gave you, and "
		      "trust the server only if they are the same."),
		    host);
		gtk_label_set_text(self->explain_label, text);
		g_free(text);
		gtk_label_set_text(self->issuer_label, q->issuer ? q->issuer : "");
		gtk_button_set_label(self->trust_button, _("Trust this server"));
		gtk_widget_set_visible(self->skip_button, FALSE);
	} else {
		gtk_label_set_text(self->heading_label, _("Install a trusted certificate authority?"));
		gtk_label_set_text(
		    self->explain_label,
		    _("The server asks to install this certificate authority as trusted, so that "
		      "other programs accept the certificates it issues. Install it only if you "
		      "know it belongs to your organisation."));
		gtk_button_set_label(self->trust_button, _("Install"));
		gtk_widget_set_visible(GTK_WIDGET(self->remember_check), FALSE);
		gtk_widget_set_visible(GTK_WIDGET(self->issuer_caption), FALSE);
		gtk_widget_set_visible(GTK_WIDGET(self->issuer_label), FALSE);
	}
	g_free(host);
	/* Cancel is the safe default */
	g_object_set_data(G_OBJECT(self), CERTLINK_MANAGER_FOCUS_KEY, self->cancel_button);
	return GTK_WIDGET(self);
}
