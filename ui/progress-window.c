/* certlink ui: the handler's progress window (see progress-window.h). */
#include "progress-window.h"

#include <stdlib.h>
#include <glib/gi18n-lib.h>

#include "credentials-dialog.h"
#include "enroll-runner.h"
#include "fields-dialog.h"
#include "renew-dialog.h"
#include "store-dialog.h"
#include "trust-dialog.h"
#include "label-wrap.h"
#include "ui.h"
#include "words.h"

#define N_ROWS CL_STAGE_DONE /* one row per stage before "done" */

struct _CertlinkProgressWindow {
	GtkApplicationWindow parent_instance;

	GtkLabel *title_label;
	GtkStack *stack;
	GtkLabel *marks[N_ROWS];
	GtkLabel *stages[N_ROWS];
	GtkLabel *detail_label;
	GtkLabel *approval_label;
	GtkLabel *result_title;
	GtkLabel *result_action;
	GtkLabel *result_detail;
	GtkButton *manager_button;
	GtkButton *close_button;
	GtkButton *cancel_button;

	CertlinkEnrollRunner *runner;
	GtkWidget *dialog; /* the open question, or NULL */
	int current;       /* the stage shown as current */
	gboolean held;     /* holding the GApplication while the flow runs */
	GApplication *app;
};

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(CertlinkProgressWindow, certlink_progress_window, GTK_TYPE_APPLICATION_WINDOW)

static void set_row(CertlinkProgressWindow *self, int row, const char *mark, const char *state)
{
	static const char *const states[] = { "stage-done", "stage-current", "stage-pending",
		                              "stage-failed" };

	gtk_label_set_text(self->marks[row], mark);
	for (size_t i = 0; i < G_N_ELEMENTS(states); i++) {
		gtk_widget_remove_css_class(GTK_WIDGET(self->marks[row]), states[i]);
		gtk_widget_remove_css_class(GTK_WIDGET(self->stages[row]), states[i]);
	}
	gtk_widget_add_css_class(GTK_WIDGET(self->marks[row]), state);
	gtk_widget_add_css_class(GTK_WIDGET(self->stages[row]), state);
}

static void show_stage(CertlinkProgressWindow *self, int stage)
{
	self->current = stage;
	for (int row = 0; row < N_ROWS; row++) {
		if (row < stage)
			set_row(self, row, "✓", "stage-done");
		else if (row == stage)
			set_row(self, row, "→", "stage-current");
		else
			set_row(self, row, "○", "stage-pending");
	}
}

static void on_stage(CertlinkEnrollRunner *runner, guint stage, const char *detail,
                     CertlinkProgressWindow *self)
{
	if (stage > CL_STAGE_DONE)
		return;
	show_stage(self, (int)stage);
	gtk_label_set_text(self->detail_label, detail ? detail : "");
	/* While waiting for approval, closing is as good as cancelling and the person should know it. */
	gtk_widget_set_visible(GTK_WIDGET(self->approval_label), stage == CL_STAGE_WAIT_APPROVAL);
	gtk_widget_set_visible(GTK_WIDGET(self->close_button), stage == CL_STAGE_WAIT_APPROVAL);
}

static void on_answered(GtkWidget *dialog, gboolean ok, CertlinkProgressWindow *self)
{
	certlink_enroll_runner_answer(self->runner, ok ? CL_OK : CL_E_CANCELLED);
	if (self->dialog == dialog)
		self->dialog = NULL;
	gtk_window_destroy(GTK_WINDOW(dialog));
}

static void on_question(CertlinkEnrollRunner *runner, gpointer data, CertlinkProgressWindow *self)
{
	struct cl_question *q = data;
	GtkWindow *parent = GTK_WINDOW(self);
	GtkWidget *dialog = NULL;

	switch (q->kind) {
	case CL_ASK_TRUST_SERVER:
	case CL_ASK_TRUST_CA:
		dialog = certlink_trust_dialog_new(parent, q);
		break;
	case CL_ASK_STORE:
		dialog = certlink_store_dialog_new(parent, q);
		break;
	case CL_ASK_CREDENTIALS:
		dialog = certlink_credentials_dialog_new(parent, q);
		break;
	case CL_ASK_FIELDS:
		dialog = certlink_fields_dialog_new(parent, q);
		break;
	case CL_ASK_CONFIRM_RENEW:
		dialog = certlink_renew_dialog_new(parent, q);
		break;
	}
	if (!dialog) {
		certlink_enroll_runner_answer(self->runner, CL_E_CANCELLED);
		return;
	}
	self->dialog = dialog;
	g_signal_connect(dialog, "answered", G_CALLBACK(on_answered), self);
	gtk_window_present(GTK_WINDOW(dialog));
}

static void show_result(CertlinkProgressWindow *self, const char *title, const char *action,
                        const char *detail)
{
	gtk_label_set_text(self->result_title, title);
	certlink_label_wrap_message(self->result_action, action);
	gtk_label_set_text(self->result_detail, detail);
	gtk_widget_set_visible(GTK_WIDGET(self->result_action), action[0] != '\0');
	gtk_widget_set_visible(GTK_WIDGET(self->result_detail), detail[0] != '\0');
	gtk_stack_set_visible_child_name(self->stack, "result");
	gtk_widget_set_visible(GTK_WIDGET(self->cancel_button), FALSE);
	gtk_widget_set_visible(GTK_WIDGET(self->close_button), TRUE);
	gtk_widget_set_visible(GTK_WIDGET(self->manager_button), TRUE);
	gtk_window_set_default_widget(GTK_WINDOW(self), GTK_WIDGET(self->close_button));
	gtk_widget_grab_focus(GTK_WIDGET(self->close_button));
}

static void show_installed(CertlinkProgressWindow *self, const struct cl_enroll_result *r)
{
	g_autoptr(GString) detail = g_string_new(NULL);
	g_autofree char *action = NULL;

	action = g_strdup_printf(_("Your certificate was installed in %s."), cl_words_store(r->store));
	g_string_append_printf(detail, _("Certificate: %s\n"), r->subject);
	g_string_append_printf(detail, _("Issued by: %s\n"), r->issuer);
	g_string_append_printf(detail, _("Serial number: %s\n"), r->serial);
	if (r->not_after > 0) {
		g_autofree char *date = certlink_ui_format_date(r->not_after);

		if (date)
			g_string_append_printf(detail, _("Valid until: %s\n"), date);
	}
	if (r->cert_path[0])
		g_string_append_printf(detail, _("File: %s\n"), r->cert_path);
	if (r->nss_imported)
		g_string_append_printf(detail, _("Browsers: available as “%s”\n"), r->nss_nickname);
	if (r->trust_anchors > 0)
		g_string_append_printf(
		    detail,
		    g_dngettext(GETTEXT_PACKAGE, "%d certificate authority added as trusted\n",
		                "%d certificate authorities added as trusted\n", r->trust_anchors),
		    r->trust_anchors);
	if (r->trust_not_installed > 0)
		g_string_append_printf(
		    detail,
		    g_dngettext(GETTEXT_PACKAGE,
		                "%d certificate authority not added as trusted (nobody agreed)\n",
		                "%d certificate authorities not added as trusted (nobody agreed)\n",
		                r->trust_not_installed),
		    r->trust_not_installed);
	if (r->firefox_restart > 0)
		g_string_append_printf(detail, "%s\n", cl_words_firefox_restart());
	{
		char *networks = cl_words_network(&r->network);

		if (networks)
			g_string_append(detail, networks);
		free(networks);
	}
	if (detail->len > 0 && detail->str[detail->len - 1] == '\n')
		g_string_truncate(detail, detail->len - 1);
	if (r->existing > 0) { /* an invitation enrolls beside a valid certificate: say both are there */
		char text[512];
		char *both;

		cl_words_existing(r, text, sizeof(text));
		both = g_strconcat(action, "\n", text, NULL);
		g_free(action);
		action = both;
	}
	show_result(self, _("Certificate installed"), action, detail->str);
}

static void show_failed(CertlinkProgressWindow *self, const struct cl_error *err)
{
	struct cl_advice advice = cl_words_advice(err);

	if (self->current >= 0 && self->current < N_ROWS)
		set_row(self, self->current, "✗", "stage-failed");
	show_result(self, advice.title, advice.action, err->msg);
}

static void on_finished(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkProgressWindow *self = data; /* a strong reference taken in start() */
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status status;
	int code;

	status = certlink_enroll_runner_finish(CERTLINK_ENROLL_RUNNER(source), res, &result, &err);
	code = cl_status_exit_code(status);
	if (!self->runner) /* the window was closed and disposed: nothing left to show */
		goto out;
	if (self->dialog) {
		gtk_window_destroy(GTK_WINDOW(self->dialog));
		self->dialog = NULL;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->approval_label), FALSE);
	if (status == CL_OK && result.pending) {
		show_result(self, _("Waiting for approval"),
		            _("Your application was sent and is waiting for the administrator's approval. It "
		              "stays on "
		              "record: click the link again later, or open Certificate Manager, to finish."),
		            "");
	} else if (status == CL_OK) {
		show_stage(self, CL_STAGE_DONE);
		show_installed(self, &result);
	} else {
		show_failed(self, &err);
	}
out:
	g_signal_emit(self, signals[SIGNAL_FINISHED], 0, code);
	if (self->held) {
		self->held = FALSE;
		g_application_release(self->app);
		g_clear_object(&self->app);
	}
	explicit_bzero(&result, sizeof(result));
	g_object_unref(self);
}

void certlink_progress_window_start(CertlinkProgressWindow *self, const struct cl_enroll_opts *opts)
{
	GApplication *app = G_APPLICATION(gtk_window_get_application(GTK_WINDOW(self)));

	if (app) {
		/* Kept in our own reference: a disposed window no longer knows its application. */
		self->app = g_object_ref(app);
		g_application_hold(app);
		self->held = TRUE;
	}
	show_stage(self, CL_STAGE_CHECK_LINK);
	certlink_enroll_runner_start(self->runner, opts, on_finished, g_object_ref(self));
}

static void cancel_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	CertlinkProgressWindow *self = CERTLINK_PROGRESS_WINDOW(widget);

	gtk_widget_set_sensitive(GTK_WIDGET(self->cancel_button), FALSE);
	gtk_label_set_text(self->detail_label, _("Cancelling…"));
	certlink_enroll_runner_cancel(self->runner);
}

static void open_manager_activated(GtkWidget *widget, const char *name, GVariant *param)
{
	CertlinkProgressWindow *self = CERTLINK_PROGRESS_WINDOW(widget);
	char *argv[] = { (char *)"certlink-manager", NULL };
	g_autoptr(GError) error = NULL;

	/* No shell, no link on the command line: the manager reads the records itself. */
	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &error)) {
		g_autofree char *text =
		    g_strdup_printf(_("Certificate Manager could not be started: %s"), error->message);

		gtk_label_set_text(self->result_detail, text);
		gtk_widget_set_visible(GTK_WIDGET(self->result_detail), TRUE);
		return;
	}
	gtk_window_close(GTK_WINDOW(self));
}

static gboolean on_close_request(GtkWindow *window)
{
	CertlinkProgressWindow *self = CERTLINK_PROGRESS_WINDOW(window);

	/* The flow stops at its next check point; the held application waits for it before exiting. */
	certlink_enroll_runner_cancel(self->runner);
	return GTK_WINDOW_CLASS(certlink_progress_window_parent_class)->close_request
	           ? GTK_WINDOW_CLASS(certlink_progress_window_parent_class)->close_request(window)
	           : FALSE;
}

static void certlink_progress_window_dispose(GObject *object)
{
	CertlinkProgressWindow *self = CERTLINK_PROGRESS_WINDOW(object);

	if (self->runner) {
		g_signal_handlers_disconnect_by_data(self->runner, self);
		certlink_enroll_runner_cancel(self->runner);
		g_clear_object(&self->runner);
	}
	if (self->dialog) {
		gtk_window_destroy(GTK_WINDOW(self->dialog));
		self->dialog = NULL;
	}
	gtk_widget_dispose_template(GTK_WIDGET(self), CERTLINK_TYPE_PROGRESS_WINDOW);
	G_OBJECT_CLASS(certlink_progress_window_parent_class)->dispose(object);
}

static void certlink_progress_window_class_init(CertlinkProgressWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	static const char *const mark_ids[N_ROWS] = { "mark_0", "mark_1", "mark_2",
		                                      "mark_3", "mark_4", "mark_5" };
	static const char *const stage_ids[N_ROWS] = { "stage_0", "stage_1", "stage_2",
		                                       "stage_3", "stage_4", "stage_5" };

	certlink_ui_ensure_resources();
	object_class->dispose = certlink_progress_window_dispose;
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/ui/progress-window.ui");
	for (int i = 0; i < N_ROWS; i++) {
		gtk_widget_class_bind_template_child_full(widget_class, mark_ids[i], FALSE,
		                                          G_STRUCT_OFFSET(CertlinkProgressWindow, marks) +
		                                              (gssize)(i * sizeof(GtkLabel *)));
		gtk_widget_class_bind_template_child_full(widget_class, stage_ids[i], FALSE,
		                                          G_STRUCT_OFFSET(CertlinkProgressWindow, stages) +
		                                              (gssize)(i * sizeof(GtkLabel *)));
	}
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, title_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, stack);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, detail_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, approval_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, result_title);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, result_action);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, result_detail);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, manager_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, close_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkProgressWindow, cancel_button);
	gtk_widget_class_install_action(widget_class, "progress.cancel", NULL, cancel_activated);
	gtk_widget_class_install_action(widget_class, "progress.open-manager", NULL, open_manager_activated);
	signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void certlink_progress_window_init(CertlinkProgressWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	for (int i = 0; i < N_ROWS; i++)
		gtk_label_set_text(self->stages[i], cl_words_stage((enum cl_stage)i));
	self->current = -1;
	self->runner = certlink_enroll_runner_new();
	g_signal_connect(self->runner, "stage", G_CALLBACK(on_stage), self);
	g_signal_connect(self->runner, "question", G_CALLBACK(on_question), self);
}

CertlinkProgressWindow *certlink_progress_window_new(GtkApplication *app, const char *service)
{
	CertlinkProgressWindow *self = g_object_new(CERTLINK_TYPE_PROGRESS_WINDOW, "application", app, NULL);
	g_autofree char *title = g_strdup_printf(_("Getting a certificate from %s"), service);

	certlink_label_wrap_heading(self->title_label, title);
	return self;
}
