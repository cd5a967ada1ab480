/* certlink-manager: the APID page (see manager-apid.h). */
#include "manager-apid.h"

#include <glib/gi18n-lib.h>

#include "device.h"
#include "manager-ui.h"

struct _CertlinkManagerApid {
	GtkBox parent;
	GtkLabel *apid_label;
	GtkLabel *status_label;
	char apid[CL_DEVICE_APID_LEN + 1];
	char host[CL_DEVICE_FIELD_MAX + 1];
};

G_DEFINE_FINAL_TYPE(CertlinkManagerApid, certlink_manager_apid, GTK_TYPE_BOX)

struct identity {
	struct cl_device dev;
	struct cl_error err;
};

static void identify_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct identity *id = data;

	g_task_return_int(task, cl_device_identify(&id->dev, &id->err));
}

static void on_identified(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerApid *self = CERTLINK_MANAGER_APID(source);
	struct identity *id = g_task_get_task_data(G_TASK(res));
	gboolean ok = g_task_propagate_int(G_TASK(res), NULL) == CL_OK;

	g_strlcpy(self->apid, ok ? id->dev.apid : "", sizeof(self->apid));
	g_strlcpy(self->host, id->dev.hostname, sizeof(self->host));
	gtk_label_set_text(self->apid_label, ok ? self->apid : "—");
	gtk_label_set_text(self->status_label, ok ? "" : id->err.msg);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "apid.copy", ok);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "apid.mail", ok);
}

void certlink_manager_apid_refresh(CertlinkManagerApid *self)
{
	GTask *task = g_task_new(self, NULL, on_identified, NULL);

	g_task_set_task_data(task, g_new0(struct identity, 1), g_free);
	g_task_run_in_thread(task, identify_in_thread);
	g_object_unref(task);
}

char *certlink_manager_apid_mailto(const char *apid, const char *host)
{
	const char *name = host && *host ? host : _("my computer");
	/* TRANSLATORS: the subject of the mail that sends this computer's APID to the administrator */
	char *subject = g_strdup_printf(_("certlink APID for %s"), name);
	char *body =
	    g_strdup_printf(_("Hello,\n\nthis is the certlink APID of %s, the identifier my administrator "
	                      "registers so that this computer can get certificates:\n\n%s\n"),
	                    name, apid);
	char *s = g_uri_escape_string(subject, NULL, FALSE), *b = g_uri_escape_string(body, NULL, FALSE);
	char *uri = g_strdup_printf("mailto:?subject=%s&body=%s", s, b);

	g_free(subject);
	g_free(body);
	g_free(s);
	g_free(b);
	return uri;
}

static void copy_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerApid *self = CERTLINK_MANAGER_APID(w);

	gdk_clipboard_set_text(gtk_widget_get_clipboard(w), self->apid);
	gtk_label_set_text(self->status_label, _("The APID was copied to the clipboard."));
}

static void on_launched(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerApid *self = CERTLINK_MANAGER_APID(data);
	GError *error = NULL;

	if (!g_app_info_launch_default_for_uri_finish(res, &error)) {
		char *text = g_strdup_printf(_("No mail program could be opened: %s"), error->message);

		gtk_label_set_text(self->status_label, text);
		g_free(text);
		g_error_free(error);
	} else {
		gtk_label_set_text(self->status_label,
		                   _("A new message with the APID was opened in your mail program."));
	}
	g_object_unref(self);
}

static void mail_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerApid *self = CERTLINK_MANAGER_APID(w);
	char *uri = certlink_manager_apid_mailto(self->apid, self->host);
	GdkAppLaunchContext *ctx = gdk_display_get_app_launch_context(gtk_widget_get_display(w));

	g_app_info_launch_default_for_uri_async(uri, G_APP_LAUNCH_CONTEXT(ctx), NULL, on_launched,
	                                        g_object_ref(self));
	g_object_unref(ctx);
	g_free(uri);
}

static void certlink_manager_apid_class_init(CertlinkManagerApidClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-apid.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerApid, apid_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerApid, status_label);
	gtk_widget_class_install_action(widget_class, "apid.copy", NULL, copy_activated);
	gtk_widget_class_install_action(widget_class, "apid.mail", NULL, mail_activated);
}

static void certlink_manager_apid_init(CertlinkManagerApid *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "apid.copy", FALSE);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "apid.mail", FALSE);
}
