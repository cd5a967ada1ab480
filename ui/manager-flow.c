/* certlink-manager: wizard and operation window (see manager-flow.h). */
#include "manager-flow.h"

#include <stdlib.h>
#include <glib/gi18n-lib.h>
#include <openssl/crypto.h>

#include "enroll.h"
#include "logfile.h"
#include "credentials-dialog.h"
#include "elevate.h"
#include "fields-dialog.h"
#include "renew-dialog.h"
#include "manager-entry.h"
#include "manager-job.h"
#include "manager-summary.h"
#include "manager-ui.h"
#include "label-wrap.h"
#include "settings.h"
#include "store-dialog.h"
#include "trust-dialog.h"
#include "words.h"

/* What the worker runs: copied in, so the window may change while it runs. */
struct call {
	CertlinkFlowOp op;
	char id[65];
	char host[256];
	int port;
};

struct _CertlinkManagerFlow {
	GtkWindow parent;
	GtkLabel *heading_label;
	GtkStack *stack;
	GtkEditable *host_entry;
	GtkSpinButton *port_spin;
	GtkBox *question_box;
	GtkSpinner *spinner;
	GtkLabel *stage_label;
	GtkLabel *detail_label;
	GtkImage *result_icon;
	GtkLabel *result_title;
	GtkLabel *result_detail;
	GtkWidget *close_button;
	GtkWidget *next_button;

	CertlinkFlowOp op;
	char *id;
	char *name;
	enum cl_store_kind store;
	CertlinkManagerJob *job;
	GtkWidget *question;        /* the confirmation page on show, or NULL */
	GtkWidget *dialog;          /* the question dialog on show, or NULL */
	struct cl_question *asking; /* the question the worker waits on, or NULL */
	gboolean ran;
	gboolean close_when_done;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerFlow, certlink_manager_flow, GTK_TYPE_WINDOW)

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *op_title(CertlinkFlowOp op)
{
	switch (op) {
	case CERTLINK_FLOW_NEW:
		return _("New certificate");
	case CERTLINK_FLOW_ACTIVATE:
		return _("Activate the application");
	case CERTLINK_FLOW_WITHDRAW:
		return _("Withdraw");
	case CERTLINK_FLOW_REAPPLY:
		return _("Re-apply");
	case CERTLINK_FLOW_RENEW:
		return _("Renew the certificate");
	}
	return "";
}

static const char *op_log_name(CertlinkFlowOp op)
{
	static const char *const names[] = { "new certificate", "activate", "withdraw", "re-apply", "renew" };

	return (unsigned)op < G_N_ELEMENTS(names) ? names[op] : "?";
}

/* ---- the worker side ---- */

static enum cl_status run_call(const struct cl_enroll_opts *opts, struct cl_enroll_result *result,
                               struct cl_error *err, gpointer data)
{
	struct call *c = data;
	struct cl_enroll_opts o = *opts;

	switch (c->op) {
	case CERTLINK_FLOW_NEW:
		o.host = c->host;
		o.port = c->port;
		return cl_enroll_run(&o, result, err);
	case CERTLINK_FLOW_ACTIVATE:
		return cl_enroll_activate(c->id, &o, result, err);
	case CERTLINK_FLOW_WITHDRAW:
		return cl_enroll_withdraw(c->id, &o, err);
	case CERTLINK_FLOW_REAPPLY:
		return cl_enroll_reapply(c->id, &o, err);
	case CERTLINK_FLOW_RENEW:
		return cl_enroll_renew(c->id, &o, result, err);
	}
	return cl_error_set(err, CL_E_UNEXPECTED, "unknown operation");
}

/* ---- progress and questions on the main loop ---- */

static void on_progress(CertlinkManagerJob *job, int stage, const char *detail, CertlinkManagerFlow *self)
{
	gtk_label_set_text(self->stage_label, cl_words_stage((enum cl_stage)stage));
	gtk_label_set_text(self->detail_label, detail);
}

/* The worker waits for this question: let it go on (or stop), and show progress again. */
static void answer_job(CertlinkManagerFlow *self, gboolean ok)
{
	self->asking = NULL;
	certlink_manager_job_answer(self->job, ok ? CL_OK : CL_E_CANCELLED);
	gtk_stack_set_visible_child_name(self->stack, "progress");
}

static void close_question(CertlinkManagerFlow *self)
{
	if (self->dialog) {
		GtkWidget *d = self->dialog;

		self->dialog = NULL;
		g_signal_handlers_disconnect_by_data(d, self);
		gtk_window_destroy(GTK_WINDOW(d));
	}
	if (self->question) {
		gtk_box_remove(self->question_box, self->question);
		self->question = NULL;
	}
}

static void open_dialog(CertlinkManagerFlow *self, struct cl_question *q);

static void on_summary_answered(GtkWidget *page, gboolean ok, CertlinkManagerFlow *self)
{
	close_question(self);
	answer_job(self, ok);
}

static void on_summary_back(GtkWidget *page, CertlinkManagerFlow *self)
{
	struct cl_question *q = self->asking;

	close_question(self);
	if (q)
		open_dialog(self, q);
}

/* The wizard's confirmation, in the window itself, before the application is sent. */
static void show_summary(CertlinkManagerFlow *self, struct cl_question *q)
{
	GtkWidget *page = certlink_manager_summary_new(q);

	self->question = page;
	g_signal_connect(page, "answered", G_CALLBACK(on_summary_answered), self);
	g_signal_connect(page, "back", G_CALLBACK(on_summary_back), self);
	gtk_box_append(self->question_box, page);
	gtk_stack_set_visible_child_name(self->stack, "question");
	gtk_widget_grab_focus(g_object_get_data(G_OBJECT(page), CERTLINK_MANAGER_FOCUS_KEY));
}

static void on_dialog_answered(GtkWidget *dialog, gboolean ok, CertlinkManagerFlow *self)
{
	struct cl_question *q = self->asking;

	if (dialog != self->dialog || !q)
		return;
	close_question(self);
	if (ok && q->kind == CL_ASK_FIELDS && self->op == CERTLINK_FLOW_NEW)
		show_summary(self, q);
	else
		answer_job(self, ok);
}

/* The handler's question dialogs (ui/ *-dialog.c): the same questions, asked the same way, in every
 * front end. They write their answers into q. */
static void open_dialog(CertlinkManagerFlow *self, struct cl_question *q)
{
	GtkWindow *parent = GTK_WINDOW(self);
	GtkWidget *d = NULL;

	switch (q->kind) {
	case CL_ASK_TRUST_SERVER:
	case CL_ASK_TRUST_CA:
		d = certlink_trust_dialog_new(parent, q);
		break;
	case CL_ASK_STORE:
		d = certlink_store_dialog_new(parent, q);
		break;
	case CL_ASK_CREDENTIALS:
		d = certlink_credentials_dialog_new(parent, q);
		break;
	case CL_ASK_FIELDS:
		d = certlink_fields_dialog_new(parent, q);
		break;
	case CL_ASK_CONFIRM_RENEW:
		d = certlink_renew_dialog_new(parent, q);
		break;
	}
	if (!d) {
		answer_job(self, FALSE);
		return;
	}
	self->dialog = d;
	g_signal_connect(d, "answered", G_CALLBACK(on_dialog_answered), self);
	gtk_window_present(GTK_WINDOW(d));
}

static void on_question(CertlinkManagerJob *job, gpointer data, CertlinkManagerFlow *self)
{
	struct cl_question *q = data;

	self->asking = q;
	/* a server that asks for no field at all: nothing to fill in, straight to the confirmation */
	if (q->kind == CL_ASK_FIELDS && self->op == CERTLINK_FLOW_NEW && !q->use_code && !q->use_email &&
	    !q->use_reason && !q->use_device_note)
		show_summary(self, q);
	else
		open_dialog(self, q);
}

/* The computer store for a person who is not root: the handler's privileged helper through pkexec. */
static enum cl_status on_elevate(void *user_data, const char *staging_dir, struct cl_error *err)
{
	return cl_elevate_install(staging_dir,
	                          certlink_manager_job_get_cancel(CERTLINK_MANAGER_JOB(user_data)), err);
}

static enum cl_status on_elevate_anchor(void *user_data, const char *staging_dir, const char *sha256,
                                        const char *subject, struct cl_error *err)
{
	return cl_elevate_anchor(staging_dir, sha256, subject,
	                         certlink_manager_job_get_cancel(CERTLINK_MANAGER_JOB(user_data)), err);
}

static enum cl_status on_elevate_network(void *user_data, const char *staging_dir, struct cl_error *err)
{
	return cl_elevate_network(staging_dir,
	                          certlink_manager_job_get_cancel(CERTLINK_MANAGER_JOB(user_data)), err);
}

static enum cl_status on_elevate_sign(void *user_data, const char *staging_dir, const char *sha256,
                                      const char *subject, char **request, size_t *len, struct cl_error *err)
{
	return cl_elevate_sign(staging_dir, sha256, subject,
	                       certlink_manager_job_get_cancel(CERTLINK_MANAGER_JOB(user_data)), request, len,
	                       err);
}

/* ---- the result ---- */

static void show_result(CertlinkManagerFlow *self, const char *icon, const char *title, const char *detail)
{
	gtk_spinner_stop(self->spinner);
	gtk_image_set_from_icon_name(self->result_icon, icon);
	gtk_label_set_text(self->result_title, title);
	certlink_label_wrap_message(self->result_detail, detail);
	gtk_stack_set_visible_child_name(self->stack, "result");
	gtk_widget_grab_focus(self->close_button);
}

static void show_success(CertlinkManagerFlow *self, const struct cl_enroll_result *r)
{
	char *detail, *until;

	if (self->op == CERTLINK_FLOW_WITHDRAW) {
		detail = g_strdup_printf(
		    _("“%s” was withdrawn at the server. A certificate it had is revoked and "
		      "removed from this computer. You can re-apply from the certificate list."),
		    self->name);
		show_result(self, "emblem-ok-symbolic", _("Withdrawn"), detail);
	} else if (self->op == CERTLINK_FLOW_REAPPLY) {
		detail = g_strdup_printf(_("The application “%s” was sent again. Once it is approved, choose "
		                           "Activate in the certificate list."),
		                         self->name);
		show_result(self, "emblem-ok-symbolic", _("Re-applied"), detail);
	} else if (r->pending) {
		detail = g_strdup(
		    _("The administrator has to approve your application. It stays in the certificate "
		      "list: choose Activate there once it is approved."));
		show_result(self, "document-send", _("Your application is waiting for approval"), detail);
	} else {
		g_autofree char *anchors = NULL;

		until = certlink_manager_ui_format_time(r->not_after);
		if (r->trust_anchors > 0 || r->trust_not_installed > 0)
			anchors =
			    g_strdup_printf(_("\nCertificate authorities added as trusted: %d, not added "
			                      "(nobody agreed): %d"),
			                    r->trust_anchors, r->trust_not_installed);
		if (r->firefox_restart > 0) {
			char *both =
			    g_strdup_printf("%s\n%s", anchors ? anchors : "", cl_words_firefox_restart());

			g_free(anchors);
			anchors = both;
		}
		detail = g_strdup_printf(
		    _("“%s” (serial %s) is installed in the %s, valid until %s.\nFile: %s%s%s%s"),
		    r->cn[0] ? r->cn : r->subject, r->serial, certlink_manager_store_words(r->store), until,
		    r->cert_path, r->nss_imported ? _("\nNSS database: ") : "",
		    r->nss_imported ? r->nss_nickname : "", anchors ? anchors : "");
		g_free(until);
		if (r->existing > 0) { /* a new certificate beside a valid one of the same server */
			char text[512];
			char *both;

			cl_words_existing(r, text, sizeof(text));
			both = g_strconcat(detail, "\n", text, NULL);
			g_free(detail);
			detail = both;
		}
		{
			char *networks = cl_words_network(&r->network);

			if (networks && networks[0]) {
				char *both = g_strdup_printf("%s\n%s", detail, networks);

				g_free(detail);
				detail = both;
			}
			free(networks);
		}
		show_result(self, "emblem-ok-symbolic",
		            self->op == CERTLINK_FLOW_RENEW ? _("The certificate was renewed")
		                                            : _("The certificate is installed"),
		            detail);
	}
	g_free(detail);
}

static void on_done(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(data);
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st = certlink_manager_job_finish(self->job, res, &result, &err);
	enum cl_store_kind side = result.store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER;

	self->asking = NULL;
	close_question(self);
	if (st == CL_OK) {
		cl_logfile_append(side, "certlink-manager", NULL, "%s %s: %s", op_log_name(self->op),
		                  self->id ? self->id : self->name,
		                  result.pending     ? "waiting for approval"
		                  : result.serial[0] ? result.serial
		                                     : "done");
		show_success(self, &result);
	} else if (st == CL_E_CANCELLED && g_strcmp0(err.code, "cancelled_pending") == 0) {
		/* the application was sent: it stays pending at the server and in the list */
		cl_logfile_append(side, "certlink-manager", NULL, "%s %s: stopped waiting for approval",
		                  op_log_name(self->op), self->id ? self->id : self->name);
		show_result(
		    self, "document-send", _("Your application is waiting for approval"),
		    _("You stopped waiting, but the application stays at the server and in the "
		      "certificate list. Once the administrator approves it, choose Activate there."));
	} else if (st == CL_E_CANCELLED) {
		show_result(self, "process-stop-symbolic", _("Cancelled"), _("Nothing more was done."));
	} else {
		cl_logfile_append(side, "certlink-manager", NULL, "%s %s failed: %s", op_log_name(self->op),
		                  self->id ? self->id : self->name, err.msg);
		show_result(self, "dialog-error-symbolic", _("That did not work"), err.msg);
	}
	OPENSSL_cleanse(&result, sizeof(result));
	if (self->close_when_done) {
		/* closed while it ran: the list shows what was done (an application sent stays pending) */
		g_signal_emit(self, signals[SIGNAL_FINISHED], 0, self->ran);
		gtk_window_destroy(GTK_WINDOW(self));
	}
	g_object_unref(self);
}

static void start(CertlinkManagerFlow *self, struct call *c)
{
	struct cl_enroll_opts opts;
	struct cl_settings settings;

	cl_settings_load(&settings, NULL);
	memset(&opts, 0, sizeof(opts));
	opts.store = self->store;
	opts.no_proxy = settings.no_proxy;
	opts.reuse_key = settings.reuse_key;
	opts.notify_days = settings.notify_days;
	opts.confirm_apply = self->op == CERTLINK_FLOW_NEW;
	opts.elevate = on_elevate;
	opts.elevate_anchor = on_elevate_anchor;
	opts.elevate_network = on_elevate_network;
	opts.elevate_sign = on_elevate_sign;
	/* the wizard waits for approval a short while, then the application stays on record for Activate;
	 * Activate itself answers at once whether approval is still outstanding */
	if (self->op == CERTLINK_FLOW_NEW || self->op == CERTLINK_FLOW_RENEW)
		opts.approval_timeout = 20;
	c->op = self->op;
	g_strlcpy(c->id, self->id ? self->id : "", sizeof(c->id));
	self->ran = TRUE;
	gtk_label_set_text(self->stage_label, _("Starting"));
	gtk_label_set_text(self->detail_label, "");
	gtk_spinner_start(self->spinner);
	gtk_stack_set_visible_child_name(self->stack, "progress");
	certlink_manager_job_start(self->job, &opts, run_call, c, g_free, on_done, g_object_ref(self));
}

/* ---- actions ---- */

static void next_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(w);
	char *host = g_strstrip(g_strdup(gtk_editable_get_text(self->host_entry)));
	struct call *c;

	if (!host[0]) {
		g_free(host);
		gtk_widget_grab_focus(GTK_WIDGET(self->host_entry));
		return;
	}
	c = g_new0(struct call, 1);
	g_strlcpy(c->host, host, sizeof(c->host));
	c->port = gtk_spin_button_get_value_as_int(self->port_spin);
	g_free(host);
	start(self, c);
}

static void cancel_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(w);

	gtk_label_set_text(self->stage_label, _("Cancelling…"));
	certlink_manager_job_cancel(self->job);
}

static void update_next(CertlinkManagerFlow *self)
{
	gtk_widget_action_set_enabled(GTK_WIDGET(self), "flow.next",
	                              gtk_editable_get_text(self->host_entry)[0]);
}

static gboolean on_close_request(GtkWindow *window)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(window);

	/* the worker may be inside the core: stop it, and close once it returned */
	if (certlink_manager_job_is_running(self->job)) {
		self->close_when_done = TRUE;
		certlink_manager_job_cancel(self->job);
		return TRUE;
	}
	g_signal_emit(self, signals[SIGNAL_FINISHED], 0, self->ran);
	return FALSE;
}

static void certlink_manager_flow_dispose(GObject *object)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(object);

	if (self->job)
		certlink_manager_job_cancel(self->job);
	g_clear_object(&self->job);
	if (self->dialog) {
		g_signal_handlers_disconnect_by_data(self->dialog, self);
		gtk_window_destroy(GTK_WINDOW(self->dialog));
		self->dialog = NULL;
	}
	gtk_widget_dispose_template(GTK_WIDGET(object), CERTLINK_TYPE_MANAGER_FLOW);
	G_OBJECT_CLASS(certlink_manager_flow_parent_class)->dispose(object);
}

static void certlink_manager_flow_finalize(GObject *object)
{
	CertlinkManagerFlow *self = CERTLINK_MANAGER_FLOW(object);

	g_free(self->id);
	g_free(self->name);
	G_OBJECT_CLASS(certlink_manager_flow_parent_class)->finalize(object);
}

static void certlink_manager_flow_class_init(CertlinkManagerFlowClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = certlink_manager_flow_dispose;
	G_OBJECT_CLASS(klass)->finalize = certlink_manager_flow_finalize;
	GTK_WINDOW_CLASS(klass)->close_request = on_close_request;
	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-flow.ui");
#define BIND(name) gtk_widget_class_bind_template_child(widget_class, CertlinkManagerFlow, name)
	BIND(heading_label);
	BIND(stack);
	BIND(host_entry);
	BIND(port_spin);
	BIND(question_box);
	BIND(spinner);
	BIND(stage_label);
	BIND(detail_label);
	BIND(result_icon);
	BIND(result_title);
	BIND(result_detail);
	BIND(close_button);
	BIND(next_button);
#undef BIND
	gtk_widget_class_install_action(widget_class, "flow.next", NULL, next_activated);
	gtk_widget_class_install_action(widget_class, "flow.cancel", NULL, cancel_activated);
	signals[SIGNAL_FINISHED] = g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void certlink_manager_flow_init(CertlinkManagerFlow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	self->job = certlink_manager_job_new();
	g_signal_connect(self->job, "progress", G_CALLBACK(on_progress), self);
	g_signal_connect(self->job, "question", G_CALLBACK(on_question), self);
	g_signal_connect_swapped(self->host_entry, "changed", G_CALLBACK(update_next), self);
}

static CertlinkManagerFlow *flow_new(GtkWindow *parent, CertlinkFlowOp op)
{
	CertlinkManagerFlow *self = g_object_new(CERTLINK_TYPE_MANAGER_FLOW, "transient-for", parent, NULL);

	self->op = op;
	gtk_window_set_title(GTK_WINDOW(self), op_title(op));
	certlink_label_wrap_heading(self->heading_label, op_title(op));
	return self;
}

CertlinkManagerFlow *certlink_manager_flow_new_wizard(GtkWindow *parent)
{
	CertlinkManagerFlow *self = flow_new(parent, CERTLINK_FLOW_NEW);

	self->store = CL_STORE_ASK;
	self->name = g_strdup("");
	update_next(self);
	gtk_stack_set_visible_child_name(self->stack, "server");
	gtk_window_set_default_widget(GTK_WINDOW(self), self->next_button);
	gtk_widget_grab_focus(GTK_WIDGET(self->host_entry));
	return self;
}

CertlinkManagerFlow *certlink_manager_flow_new_operation(GtkWindow *parent, CertlinkFlowOp op, const char *id,
                                                         enum cl_store_kind store, const char *name)
{
	CertlinkManagerFlow *self = flow_new(parent, op);
	/* TRANSLATORS: a window title: what is done ("Renew the certificate"), and to what ("alice (Corp)")
	 */
	char *heading = g_strdup_printf(_("%s: %s"), op_title(op), name);

	self->id = g_strdup(id);
	self->name = g_strdup(name);
	self->store = store;
	/* the window names what it works on, as a task switcher shows it */
	gtk_window_set_title(GTK_WINDOW(self), heading);
	certlink_label_wrap_heading(self->heading_label, heading);
	g_free(heading);
	start(self, g_new0(struct call, 1));
	return self;
}
