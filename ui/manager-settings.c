/* certlink-manager: the settings page (see manager-settings.h). */
#include "manager-settings.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "device.h"
#include "diag.h"
#include "manager-ui.h"
#include "settings.h"

struct _CertlinkManagerSettings {
	GtkBox parent;
	GtkSwitch *expired_switch;
	GtkSwitch *before_switch;
	GtkSpinButton *days_spin;
	GtkSwitch *proxy_switch;
	GtkSwitch *reuse_switch;
	GtkSwitch *result_switch;
	GtkLabel *saved_label;
	GtkLabel *mac_label, *host_label, *serial_label, *vendor_label, *product_label, *os_label;
	GtkLabel *diag_label;
	gboolean loading; /* setting widgets from the file: do not save */
};

G_DEFINE_FINAL_TYPE(CertlinkManagerSettings, certlink_manager_settings, GTK_TYPE_BOX)

static void save(CertlinkManagerSettings *self)
{
	struct cl_settings s;
	struct cl_error err;

	if (self->loading)
		return;
	cl_settings_load(&s, NULL);
	s.notify_expired = gtk_switch_get_active(self->expired_switch);
	s.notify_before = gtk_switch_get_active(self->before_switch);
	s.notify_days = gtk_spin_button_get_value_as_int(self->days_spin);
	s.no_proxy = gtk_switch_get_active(self->proxy_switch);
	s.reuse_key = gtk_switch_get_active(self->reuse_switch);
	s.notify_result = gtk_switch_get_active(self->result_switch);
	gtk_widget_set_sensitive(GTK_WIDGET(self->days_spin), s.notify_before);
	if (cl_settings_save(&s, &err) == CL_OK)
		gtk_label_set_text(self->saved_label, _("Settings saved."));
	else
		gtk_label_set_text(self->saved_label, err.msg);
}

/* ---- device details ---- */

struct identity {
	struct cl_device dev;
	struct cl_error err;
};

static void identify_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct identity *id = data;

	g_task_return_int(task, cl_device_identify(&id->dev, &id->err));
}

static void set_value(GtkLabel *label, const char *value, const char *missing)
{
	gtk_label_set_text(label, value && *value ? value : missing);
}

static void on_identified(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerSettings *self = CERTLINK_MANAGER_SETTINGS(source);
	struct identity *id = g_task_get_task_data(G_TASK(res));
	const char *unknown = _("(not available)");

	g_task_propagate_int(G_TASK(res), NULL);
	set_value(self->mac_label, id->dev.mac, unknown);
	set_value(self->host_label, id->dev.hostname, unknown);
	/* product_serial is readable by root only: say so rather than leave a blank */
	set_value(self->serial_label, id->dev.serial,
	          geteuid() == 0 ? unknown : _("(readable by the administrator only; not sent)"));
	set_value(self->vendor_label, id->dev.vendor, unknown);
	set_value(self->product_label, id->dev.product, unknown);
	set_value(self->os_label, id->dev.os, unknown);
}

void certlink_manager_settings_refresh(CertlinkManagerSettings *self)
{
	struct cl_settings s;
	struct cl_error err;
	GTask *task;

	self->loading = TRUE;
	if (cl_settings_load(&s, &err) != CL_OK)
		gtk_label_set_text(self->saved_label, err.msg);
	else
		gtk_label_set_text(self->saved_label, "");
	gtk_switch_set_active(self->expired_switch, s.notify_expired);
	gtk_switch_set_active(self->before_switch, s.notify_before);
	gtk_spin_button_set_value(self->days_spin, s.notify_days);
	gtk_widget_set_sensitive(GTK_WIDGET(self->days_spin), s.notify_before);
	gtk_switch_set_active(self->proxy_switch, s.no_proxy);
	gtk_switch_set_active(self->reuse_switch, s.reuse_key);
	gtk_switch_set_active(self->result_switch, s.notify_result);
	self->loading = FALSE;
	task = g_task_new(self, NULL, on_identified, NULL);
	g_task_set_task_data(task, g_new0(struct identity, 1), g_free);
	g_task_run_in_thread(task, identify_in_thread);
	g_object_unref(task);
}

/* ---- diagnostics ---- */

struct diag {
	char *path;
	char *program;
	struct cl_error err;
};

static void diag_free(gpointer p)
{
	struct diag *d = p;

	g_free(d->path);
	g_free(d->program);
	g_free(d);
}

static void diag_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct diag *d = data;

	g_task_return_int(task, cl_diag_write(d->path, d->program, &d->err));
}

static void on_diag_written(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerSettings *self = CERTLINK_MANAGER_SETTINGS(source);
	struct diag *d = g_task_get_task_data(G_TASK(res));
	char *text;

	if (g_task_propagate_int(G_TASK(res), NULL) == CL_OK)
		text = g_strdup_printf(_("Saved to %s"), d->path);
	else
		text = g_strdup(d->err.msg);
	gtk_label_set_text(self->diag_label, text);
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.diagnostics", TRUE);
	g_free(text);
}

static void diagnostics_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerSettings *self = CERTLINK_MANAGER_SETTINGS(w);
	const char *dir = g_get_user_special_dir(G_USER_DIRECTORY_DOCUMENTS);
	GDateTime *now = g_date_time_new_now_local();
	char *name = g_date_time_format(now, "certlink-diagnostics-%Y%m%d-%H%M%S.tar.gz");
	struct diag *d = g_new0(struct diag, 1);
	GTask *task;

	/* the documents folder when there is one, else home: where a person looks for a file to attach */
	if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR))
		dir = g_get_home_dir();
	d->path = g_build_filename(dir, name, NULL);
	d->program =
	    g_strdup_printf("certlink-manager %s, GTK %u.%u.%u", CERTLINK_VERSION, gtk_get_major_version(),
	                    gtk_get_minor_version(), gtk_get_micro_version());
	gtk_label_set_text(self->diag_label, _("Writing…"));
	gtk_widget_action_set_enabled(w, "settings.diagnostics", FALSE);
	task = g_task_new(self, NULL, on_diag_written, NULL);
	g_task_set_task_data(task, d, diag_free);
	g_task_run_in_thread(task, diag_in_thread);
	g_object_unref(task);
	g_free(name);
	g_date_time_unref(now);
}

static void certlink_manager_settings_class_init(CertlinkManagerSettingsClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-settings.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, CertlinkManagerSettings, name)
	BIND(expired_switch);
	BIND(before_switch);
	BIND(days_spin);
	BIND(proxy_switch);
	BIND(reuse_switch);
	BIND(result_switch);
	BIND(saved_label);
	BIND(mac_label);
	BIND(host_label);
	BIND(serial_label);
	BIND(vendor_label);
	BIND(product_label);
	BIND(os_label);
	BIND(diag_label);
#undef BIND
	gtk_widget_class_install_action(widget_class, "settings.diagnostics", NULL, diagnostics_activated);
}

static void certlink_manager_settings_init(CertlinkManagerSettings *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect_swapped(self->expired_switch, "notify::active", G_CALLBACK(save), self);
	g_signal_connect_swapped(self->before_switch, "notify::active", G_CALLBACK(save), self);
	g_signal_connect_swapped(self->days_spin, "value-changed", G_CALLBACK(save), self);
	g_signal_connect_swapped(self->proxy_switch, "notify::active", G_CALLBACK(save), self);
	g_signal_connect_swapped(self->reuse_switch, "notify::active", G_CALLBACK(save), self);
	g_signal_connect_swapped(self->result_switch, "notify::active", G_CALLBACK(save), self);
}
