/* certlink-manager: the fields and confirmation page (see manager-ask-fields.h). */
#include "manager-ask-fields.h"

#include <glib/gi18n-lib.h>

#include "manager-entry.h"
#include "manager-ui.h"

struct field {
	GtkLabel *caption;
	GtkEditable *entry;
	GtkLabel *summary;
	enum cl_field_use use;
};

enum { F_CODE, F_EMAIL, F_REASON, F_NOTE, N_FIELDS };

struct _CertlinkManagerAskFields {
	GtkBox parent;
	GtkStack *stack;
	GtkLabel *explain_label;
	GtkLabel *hint_label;
	GtkWidget *required_label;
	GtkWidget *continue_button;
	GtkLabel *code_caption, *email_caption, *reason_caption, *note_caption;
	GtkEditable *code_entry, *email_entry, *reason_entry, *note_entry;
	GtkLabel *sum_server, *sum_store, *sum_user, *sum_code, *sum_email, *sum_reason, *sum_note;
	struct field f[N_FIELDS];
	struct cl_question *q;
	gboolean confirm;
	gboolean answered;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerAskFields, certlink_manager_ask_fields, GTK_TYPE_BOX)

static const char *text_of(CertlinkManagerAskFields *self, int i)
{
	return gtk_editable_get_text(self->f[i].entry);
}

static void answer(CertlinkManagerAskFields *self, gboolean ok)
{
	if (self->answered)
		return;
	self->answered = TRUE;
	if (ok) {
		g_strlcpy(self->q->code, text_of(self, F_CODE), sizeof(self->q->code));
		g_strlcpy(self->q->email, text_of(self, F_EMAIL), sizeof(self->q->email));
		g_strlcpy(self->q->reason, text_of(self, F_REASON), sizeof(self->q->reason));
		g_strlcpy(self->q->device_note, text_of(self, F_NOTE), sizeof(self->q->device_note));
	}
	certlink_manager_ui_emit_answered(GTK_WIDGET(self), ok);
}

static gboolean blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return !*s;
}

static void update(CertlinkManagerAskFields *self)
{
	const char *email = text_of(self, F_EMAIL);
	gboolean ready = TRUE;
	int i;

	for (i = 0; i < N_FIELDS; i++)
		if (self->f[i].use == CL_FIELD_REQUIRED && blank(text_of(self, i)))
			ready = FALSE;
	/* a plain check that catches typing slips; the server decides what it accepts */
	if (self->f[F_EMAIL].use != CL_FIELD_OFF && email[0] && (!strchr(email, '@') || strchr(email, ' ')))
		ready = FALSE;
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "ask.continue", ready);
}

static void continue_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerAskFields *self = CERTLINK_MANAGER_ASK_FIELDS(w);
	int i;

	if (!self->confirm) {
		answer(self, TRUE);
		return;
	}
	for (i = 0; i < N_FIELDS; i++)
		gtk_label_set_text(self->f[i].summary, text_of(self, i)[0] ? text_of(self, i) : "—");
	gtk_stack_set_visible_child_name(self->stack, "summary");
}

static void apply_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_FIELDS(w), TRUE);
}

static void back_activated(GtkWidget *w, const char *action, GVariant *param)
{
	gtk_stack_set_visible_child_name(CERTLINK_MANAGER_ASK_FIELDS(w)->stack, "form");
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	answer(CERTLINK_MANAGER_ASK_FIELDS(w), FALSE);
}

static void certlink_manager_ask_fields_class_init(CertlinkManagerAskFieldsClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-ask-fields.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, CertlinkManagerAskFields, name)
	BIND(stack);
	BIND(explain_label);
	BIND(hint_label);
	BIND(required_label);
	BIND(continue_button);
	BIND(code_caption);
	BIND(email_caption);
	BIND(reason_caption);
	BIND(note_caption);
	BIND(code_entry);
	BIND(email_entry);
	BIND(reason_entry);
	BIND(note_entry);
	BIND(sum_server);
	BIND(sum_store);
	BIND(sum_user);
	BIND(sum_code);
	BIND(sum_email);
	BIND(sum_reason);
	BIND(sum_note);
#undef BIND
	gtk_widget_class_install_action(widget_class, "ask.continue", NULL, continue_activated);
	gtk_widget_class_install_action(widget_class, "ask.apply", NULL, apply_activated);
	gtk_widget_class_install_action(widget_class, "ask.back", NULL, back_activated);
	gtk_widget_class_install_action(widget_class, "ask.cancel", NULL, cancel_activated);
	certlink_manager_ui_add_answered_signal(G_TYPE_FROM_CLASS(klass));
}

static void certlink_manager_ask_fields_init(CertlinkManagerAskFields *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->f[F_CODE] =
	    (struct field){ self->code_caption, self->code_entry, self->sum_code, CL_FIELD_OFF };
	self->f[F_EMAIL] =
	    (struct field){ self->email_caption, self->email_entry, self->sum_email, CL_FIELD_OFF };
	self->f[F_REASON] =
	    (struct field){ self->reason_caption, self->reason_entry, self->sum_reason, CL_FIELD_OFF };
	self->f[F_NOTE] =
	    (struct field){ self->note_caption, self->note_entry, self->sum_note, CL_FIELD_OFF };
	for (int i = 0; i < N_FIELDS; i++)
		g_signal_connect_swapped(self->f[i].entry, "changed", G_CALLBACK(update), self);
}

static void set_field(CertlinkManagerAskFields *self, int i, enum cl_field_use use, const char *caption,
                      const char *summary_caption, const char *value)
{
	struct field *f = &self->f[i];
	char *text = g_strdup_printf("%s%s", caption, use == CL_FIELD_REQUIRED ? " *" : "");
	/* the summary's caption is the label's neighbour in the grid: reuse the caption without mnemonic */
	GtkWidget *sum_caption = gtk_widget_get_prev_sibling(GTK_WIDGET(f->summary));

	f->use = use;
	gtk_label_set_text_with_mnemonic(f->caption, text);
	gtk_editable_set_text(f->entry, value);
	gtk_widget_set_visible(GTK_WIDGET(f->caption), use != CL_FIELD_OFF);
	gtk_widget_set_visible(GTK_WIDGET(f->entry), use != CL_FIELD_OFF);
	gtk_widget_set_visible(GTK_WIDGET(f->summary), use != CL_FIELD_OFF);
	if (sum_caption) {
		/* the summary keeps its own plain caption, except for a name the server chose */
		if (summary_caption && GTK_IS_LABEL(sum_caption))
			gtk_label_set_text(GTK_LABEL(sum_caption), summary_caption);
		gtk_widget_set_visible(sum_caption, use != CL_FIELD_OFF);
	}
	g_free(text);
}

GtkWidget *certlink_manager_ask_fields_new(struct cl_question *q, gboolean confirm)
{
	CertlinkManagerAskFields *self = g_object_new(CERTLINK_TYPE_MANAGER_ASK_FIELDS, NULL);
	gboolean any = q->use_code || q->use_email || q->use_reason || q->use_device_note;
	gboolean required = q->use_code == CL_FIELD_REQUIRED || q->use_email == CL_FIELD_REQUIRED ||
	                    q->use_reason == CL_FIELD_REQUIRED || q->use_device_note == CL_FIELD_REQUIRED;
	char *server, *note_caption;

	self->q = q;
	self->confirm = confirm;
	set_field(self, F_CODE, q->use_code, _("Invitation _code"), NULL, q->code);
	set_field(self, F_EMAIL, q->use_email, _("_E-mail address"), NULL, q->email);
	set_field(self, F_REASON, q->use_reason, _("_Reason"), NULL, q->reason);
	/* the server names the device note itself ("Asset tag"); no mnemonic in a name it chose */
	note_caption = q->device_note_label ? g_strdup(q->device_note_label) : g_strdup(_("_Device note"));
	if (q->device_note_label)
		for (char *p = note_caption; *p; p++)
			if (*p == '_')
				*p = ' ';
	set_field(self, F_NOTE, q->use_device_note, note_caption, q->device_note_label, q->device_note);
	g_free(note_caption);
	gtk_label_set_text(self->explain_label,
	                   any ? _("The enrollment server asks for the following. Your administrator sees it "
	                           "with your application.")
	                       : _("The enrollment server asks for nothing more."));
	gtk_widget_set_visible(self->required_label, required);
	if (q->error_hint) {
		gtk_label_set_text(self->hint_label, q->error_hint);
		gtk_widget_set_visible(GTK_WIDGET(self->hint_label), TRUE);
	}
	server = g_strdup_printf("%s (%s:%d)", q->service_name ? q->service_name : q->host, q->host, q->port);
	gtk_label_set_text(self->sum_server, server);
	g_free(server);
	gtk_label_set_text(self->sum_store, certlink_manager_store_label(q->store));
	gtk_label_set_text(self->sum_user, q->user[0] ? q->user : "—");
	update(self);
	for (int i = 0; i < N_FIELDS; i++)
		if (self->f[i].use != CL_FIELD_OFF) {
			g_object_set_data(G_OBJECT(self), CERTLINK_MANAGER_FOCUS_KEY, self->f[i].entry);
			break;
		}
	/* nothing to fill in: go straight to the summary */
	if (confirm && !any)
		continue_activated(GTK_WIDGET(self), NULL, NULL);
	return GTK_WIDGET(self);
}
