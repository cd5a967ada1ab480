/* certlink-manager: the confirmation page (see manager-summary.h). */
#include "manager-summary.h"

#include <glib/gi18n-lib.h>

#include "manager-entry.h"
#include "manager-ui.h"

struct _CertlinkManagerSummary {
	GtkBox parent;
	GtkLabel *sum_server, *sum_store, *sum_user, *sum_code, *sum_email, *sum_reason, *sum_note;
	GtkWidget *apply_button;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerSummary, certlink_manager_summary, GTK_TYPE_BOX)

enum { SIGNAL_BACK, N_SIGNALS };
static guint signals[N_SIGNALS];

static void answer(CertlinkManagerSummary *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	certlink_manager_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void apply_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_SUMMARY(w), TRUE);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_SUMMARY(w), FALSE);
}

static void back_activated(GtkWidget *w, const char *action, GVariant *param)
{
	g_signal_emit(w, signals[SIGNAL_BACK], 0);
}

static void certlink_manager_summary_class_init(CertlinkManagerSummaryClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-summary.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, CertlinkManagerSummary, name)
	BIND(sum_server);
	BIND(sum_store);
	BIND(sum_user);
	BIND(sum_code);
	BIND(sum_email);
	BIND(sum_reason);
	BIND(sum_note);
	BIND(apply_button);
#undef BIND
	gtk_widget_class_install_action(widget_class, "summary.apply", NULL, apply_activated);
	gtk_widget_class_install_action(widget_class, "summary.cancel", NULL, cancel_activated);
	gtk_widget_class_install_action(widget_class, "summary.back", NULL, back_activated);
	certlink_manager_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
	signals[SIGNAL_BACK] = g_signal_new("back", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
	                                    NULL, NULL, G_TYPE_NONE, 0);
}

static void certlink_manager_summary_init(CertlinkManagerSummary *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

/* A row of the grid: its value, and the caption beside it (the value's previous sibling). */
static void set_row(GtkLabel *value, enum cl_field_use use, const char *text, const char *caption)
{
	GtkWidget *cap = gtk_widget_get_prev_sibling(GTK_WIDGET(value));

	gtk_label_set_text(value, text && *text ? text : "—");
	gtk_widget_set_visible(GTK_WIDGET(value), use != CL_FIELD_OFF);
	if (cap) {
		if (caption && GTK_IS_LABEL(cap))
			gtk_label_set_text(GTK_LABEL(cap), caption);
		gtk_widget_set_visible(cap, use != CL_FIELD_OFF);
	}
}

GtkWidget *certlink_manager_summary_new(const struct cl_question *q)
{
	CertlinkManagerSummary *self = g_object_new(CERTLINK_TYPE_MANAGER_SUMMARY, NULL);
	char *server =
	    g_strdup_printf("%s (%s:%d)", q->service_name ? q->service_name : q->host, q->host, q->port);

	gtk_label_set_text(self->sum_server, server);
	gtk_label_set_text(self->sum_store, certlink_manager_store_label(q->store));
	gtk_label_set_text(self->sum_user, q->user[0] ? q->user : "—");
	set_row(self->sum_code, q->use_code, q->code, NULL);
	set_row(self->sum_email, q->use_email, q->email, NULL);
	set_row(self->sum_reason, q->use_reason, q->reason, NULL);
	/* the device note under the name the server gave it */
	set_row(self->sum_note, q->use_device_note, q->device_note,
	        q->device_note_label && *q->device_note_label ? q->device_note_label : NULL);
	g_free(server);
	g_object_set_data(G_OBJECT(self), CERTLINK_MANAGER_FOCUS_KEY, self->apply_button);
	return GTK_WIDGET(self);
}
