/* certlink ui: fields dialog (see fields-dialog.h). */
#include "fields-dialog.h"

#include <glib/gi18n-lib.h>

#include "ui.h"

enum { FIELD_CODE, FIELD_EMAIL, FIELD_REASON, FIELD_NOTE, N_FIELDS };

struct _CertlinkFieldsDialog {
	GtkWindow parent_instance;

	GtkLabel *hint_label;
	GtkLabel *captions[N_FIELDS];
	GtkEntry *entries[N_FIELDS];

	struct cl_question *question;
	enum cl_field_use use[N_FIELDS];
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkFieldsDialog, certlink_fields_dialog, GTK_TYPE_WINDOW)

static const char *entry_text(CertlinkFieldsDialog *self, int i)
{
	return gtk_editable_get_text(GTK_EDITABLE(self->entries[i]));
}

static void update_ok(CertlinkFieldsDialog *self)
{
	gboolean complete = TRUE;

	for (int i = 0; i < N_FIELDS; i++)
		if (self->use[i] == CL_FIELD_REQUIRED && !entry_text(self, i)[0])
			complete = FALSE;
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "dialog.ok", complete);
}

static gboolean copy_field(CertlinkFieldsDialog *self, int i, char *dst, size_t size)
{
	const char *text = entry_text(self, i);

	if (self->use[i] == CL_FIELD_OFF)
		return TRUE;
	if (strlen(text) >= size)
		return FALSE;
	g_strlcpy(dst, text, size);
	return TRUE;
}

static void answer(CertlinkFieldsDialog *self, gboolean ok)
{
	struct cl_question *q = self->question;

	if (self->answered)
		return;
	if (ok) {
		for (int i = 0; i < N_FIELDS; i++)
			if (self->use[i] == CL_FIELD_REQUIRED && !entry_text(self, i)[0])
				return;
		/* max-length counts characters, the buffers bytes: a long non-ASCII text may still not fit.
		 */
		if (!copy_field(self, FIELD_CODE, q->code, sizeof(q->code)) ||
		    !copy_field(self, FIELD_EMAIL, q->email, sizeof(q->email)) ||
		    !copy_field(self, FIELD_REASON, q->reason, sizeof(q->reason)) ||
		    !copy_field(self, FIELD_NOTE, q->device_note, sizeof(q->device_note))) {
			gtk_label_set_text(self->hint_label, _("One of the answers is too long."));
			gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
			return;
		}
	}
	self->answered = TRUE;
	certlink_ui_emit_answered(GTK_WIDGET(self), ok);
}

static void ok_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_FIELDS_DIALOG(widget), TRUE);
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	answer(CERTLINK_FIELDS_DIALOG(widget), FALSE);
}

static gboolean on_close_request(GtkWindow *window)
{
	answer(CERTLINK_FIELDS_DIALOG(window), FALSE);
	return FALSE;
}

static void on_changed(GtkEditable *editable, CertlinkFieldsDialog *self)
{
	update_ok(self);
}

static void certlink_fields_dialog_class_init(CertlinkFieldsDialogClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_ui_ensure_resources();
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/fields-dialog.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkFieldsDialog, hint_label);
	gtk_widget_class_bind_template_child_full(
	    widget_class, "code_caption", FALSE, G_STRUCT_OFFSET(CertlinkFieldsDialog, captions[FIELD_CODE]));
	gtk_widget_class_bind_template_child_full(
	    widget_class, "email_caption", FALSE,
	    G_STRUCT_OFFSET(CertlinkFieldsDialog, captions[FIELD_EMAIL]));
	gtk_widget_class_bind_template_child_full(
	    widget_class, "reason_caption", FALSE,
	    G_STRUCT_OFFSET(CertlinkFieldsDialog, captions[FIELD_REASON]));
	gtk_widget_class_bind_template_child_full(
	    widget_class, "note_caption", FALSE, G_STRUCT_OFFSET(CertlinkFieldsDialog, captions[FIELD_NOTE]));
	gtk_widget_class_bind_template_child_full(widget_class, "code_entry", FALSE,
	                                          G_STRUCT_OFFSET(CertlinkFieldsDialog, entries[FIELD_CODE]));
	gtk_widget_class_bind_template_child_full(
	    widget_class, "email_entry", FALSE, G_STRUCT_OFFSET(CertlinkFieldsDialog, entries[FIELD_EMAIL]));
	gtk_widget_class_bind_template_child_full(
	    widget_class, "reason_entry", FALSE,
	    G_STRUCT_OFFSET(CertlinkFieldsDialog, entries[FIELD_REASON]));
	gtk_widget_class_bind_template_child_full(widget_class, "note_entry", FALSE,
	                                          G_STRUCT_OFFSET(CertlinkFieldsDialog, entries[FIELD_NOTE]));
	gtk_widget_class_bind_template_callback(widget_class, on_changed);
	gtk_widget_class_install_action(widget_class, "dialog.ok", NULL, ok_activated);
	gtk_widget_class_install_action(widget_class, "dialog.cancel", NULL, cancel_activated);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "dialog.cancel", NULL);
	certlink_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_fields_dialog_init(CertlinkFieldsDialog *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
}

static void setup_field(CertlinkFieldsDialog *self, int i, enum cl_field_use use, const char *caption,
                        const char *prefill)
{
	g_autofree char *text = NULL;

	self->use[i] = use;
	gtk_widget_set_visible(GTK_WIDGET(self->captions[i]), use != CL_FIELD_OFF);
	gtk_widget_set_visible(GTK_WIDGET(self->entries[i]), use != CL_FIELD_OFF);
	if (use == CL_FIELD_OFF)
		return;
	/* The caption keeps its mnemonic; "(optional)" is added so nobody wonders whether to fill it. */
	text = use == CL_FIELD_OPTIONAL ? g_strdup_printf(_("%s (optional)"), caption) : g_strdup(caption);
	gtk_label_set_text_with_mnemonic(self->captions[i], text);
	gtk_editable_set_text(GTK_EDITABLE(self->entries[i]), prefill);
}

GtkWidget *certlink_fields_dialog_new(GtkWindow *parent, struct cl_question *q)
{
	CertlinkFieldsDialog *self = g_object_new(CERTLINK_TYPE_FIELDS_DIALOG, "transient-for", parent, NULL);
	g_autofree char *note = NULL;

	self->question = q;
	if (q->device_note_label && q->device_note_label[0]) {
		/* The server's label is text, not a mnemonic: double every "_". */
		g_auto(GStrv) parts = g_strsplit(q->device_note_label, "_", -1);

		note = g_strjoinv("__", parts);
	}
	setup_field(self, FIELD_CODE, q->use_code, _("Invitation _code"), q->code);
	setup_field(self, FIELD_EMAIL, q->use_email, _("_E-mail address"), q->email);
	setup_field(self, FIELD_REASON, q->use_reason, _("_Reason"), q->reason);
	setup_field(self, FIELD_NOTE, q->use_device_note, note ? note : _("_Device note"), q->device_note);
	if (q->error_hint && q->error_hint[0]) {
		gtk_label_set_text(self->hint_label, q->error_hint);
		gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
	}
	for (int i = 0; i < N_FIELDS; i++) {
		if (self->use[i] != CL_FIELD_OFF) {
			gtk_widget_grab_focus(GTK_WIDGET(self->entries[i]));
			break;
		}
	}
	update_ok(self);
	return GTK_WIDGET(self);
}
