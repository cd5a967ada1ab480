/* certlink ui: renewal confirmation dialog (see renew-dialog.h). */
#include "renew-dialog.h"

#include <glib/gi18n-lib.h>

#include "ui.h"
#include "words.h"

struct _CertlinkRenewDialog {
	GtkWindow parent_instance;

	GtkLabel *subject_label;
	GtkLabel *issuer_label;
	GtkLabel *serial_label;
	GtkLabel *fingerprint_label;
	GtkLabel *expiry_label;
	GtkLabel *key_label;
	GtkLabel *store_label;
	GtkLabel *server_label;
	GtkLabel *user_label;
	GtkButton *cancel_button;

	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkRenewDialog, certlink_renew_dialog, GTK_TYPE_WINDOW)

static void answer(CertlinkRenewDialog *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	certlink_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void renew_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_RENEW_DIALOG(widget), TRUE);
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_RENEW_DIALOG(widget), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	answer(CERTLINK_RENEW_DIALOG(window), FALSE);
	return FALSE;
}

static void certlink_renew_dialog_class_init(CertlinkRenewDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_ui_ensure_resources();
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/renew-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, subject_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, issuer_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, serial_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, fingerprint_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, expiry_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, key_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, store_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, server_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, user_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkRenewDialog, cancel_button);
	gtk_widget_class_install_action(widget_class, "dialog.renew", NULL, renew_activated);
	gtk_widget_class_install_action(widget_class, "dialog.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
	certlink_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_renew_dialog_init(CertlinkRenewDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

static char *expiry_text(time_t not_after)
{
	g_autoptr(GDateTime) until = not_after ? g_date_time_new_from_unix_local((gint64)not_after) : NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *date = until ? g_date_time_format(until, "%Y-%m-%d %H:%M") : NULL;
	gint64 days;

	if (!date)
		return g_strdup("?");
	days = g_date_time_difference(until, now) / G_TIME_SPAN_DAY;
	if (days < 0)
		return g_strdup_printf(_("%s (expired)"), date);
	return g_strdup_printf(
	    g_dngettext(GETTEXT_PACKAGE, "%s (in %d day)", "%s (in %d days)", (gulong)days), date, (int)days);
}

static char *key_text(const struct cl_question *q)
{
	g_autofree char *key = q->key_bits > 0
	                           ? g_strdup_printf(_("%s, %d bits"), cl_words_key(q->key_type), q->key_bits)
	                           : g_strdup(cl_words_key(q->key_type));

	return g_strdup_printf("%s\n%s", key,
	                       q->new_key ? _("The renewed certificate gets a new key.")
	                                  : _("The renewed certificate keeps this key."));
}

GtkWidget *certlink_renew_dialog_new(GtkWindow *parent, struct cl_question *q)
{
	CertlinkRenewDialog *self = g_object_new(CERTLINK_TYPE_RENEW_DIALOG, "transient-for", parent, NULL);
	g_autofree char *expiry = expiry_text(q->not_after);
	g_autofree char *key = key_text(q);
	g_autofree char *server = q->service_name && q->host && g_strcmp0(q->service_name, q->host) != 0
	                              ? g_strdup_printf("%s (%s:%d)", q->service_name, q->host, q->port)
	                              : g_strdup_printf("%s:%d", q->host ? q->host : "?", q->port);

	gtk_label_set_text(self->subject_label, q->subject ? q->subject : "?");
	gtk_label_set_text(self->issuer_label, q->issuer ? q->issuer : "?");
	gtk_label_set_text(self->serial_label, q->serial ? q->serial : "?");
	gtk_label_set_text(self->fingerprint_label, q->fingerprint ? q->fingerprint : "?");
	gtk_label_set_text(self->expiry_label, expiry);
	gtk_label_set_text(self->key_label, key);
	gtk_label_set_text(self->store_label, cl_words_store(q->store));
	gtk_label_set_text(self->server_label, server);
	gtk_label_set_text(self->user_label, q->user[0] ? q->user : "?");
	gtk_widget_grab_focus(GTK_WIDGET(self->cancel_button));
	return GTK_WIDGET(self);
}
