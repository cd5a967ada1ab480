/* certlink-manager: the store question page (see manager-ask-store.h). */
#include "manager-ask-store.h"

#include "manager-ui.h"
#include "store.h"

struct _CertlinkManagerAskStore {
	GtkBox parent;
	GtkCheckButton *user_check;
	GtkCheckButton *computer_check;
	GtkWidget *computer_note;
	GtkWidget *continue_button;
	struct cl_question *q;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerAskStore, certlink_manager_ask_store, GTK_TYPE_BOX)

static void answer(CertlinkManagerAskStore *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	self->q->store =
	    gtk_check_button_get_active(self->computer_check) ? CL_STORE_COMPUTER : CL_STORE_USER;
	certlink_manager_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void continue_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_STORE(w), TRUE);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_STORE(w), FALSE);
}

static void certlink_manager_ask_store_class_init(CertlinkManagerAskStoreClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-ask-store.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskStore, user_check);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskStore, computer_check);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskStore, computer_note);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskStore, continue_button);
	gtk_widget_class_install_action(widget_class, "ask.continue", NULL, continue_activated);
	gtk_widget_class_install_action(widget_class, "ask.cancel", NULL, cancel_activated);
	certlink_manager_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_manager_ask_store_init(CertlinkManagerAskStore *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

GtkWidget *certlink_manager_ask_store_new(struct cl_question *q)
{
	CertlinkManagerAskStore *self = g_object_new(CERTLINK_TYPE_MANAGER_ASK_STORE, NULL);
	gboolean computer_ok = cl_store_check_allowed(CL_STORE_COMPUTER, NULL) == CL_OK;

	self->q = q;
	gtk_widget_set_sensitive(GTK_WIDGET(self->computer_check), computer_ok);
	gtk_widget_set_visible(self->computer_note, !computer_ok);
	gtk_check_button_set_active(
	    computer_ok && q->store == CL_STORE_COMPUTER ? self->computer_check : self->user_check, TRUE);
	g_object_set_data(G_OBJECT(self), CERTLINK_MANAGER_FOCUS_KEY, self->continue_button);
	return GTK_WIDGET(self);
}
