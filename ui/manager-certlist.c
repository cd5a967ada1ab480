/* certlink-manager: the certificate list page (see manager-certlist.h). */
#include "manager-certlist.h"

#include <glib/gi18n-lib.h>

#include "enroll.h"
#include "expiry.h"
#include "manager-confirm.h"
#include "manager-details.h"
#include "manager-elevate.h"
#include "manager-entry.h"
#include "manager-flow.h"
#include "manager-row.h"
#include "manager-ui.h"
#include "settings.h"
#include "store.h"

struct _CertlinkManagerCertList {
	GtkBox parent;
	GtkLabel *count_label;
	GtkLabel *problem_label;
	GtkStack *list_stack;
	GtkSpinner *spinner;
	GtkListView *list_view;
	GListStore *store;
	GCancellable *loading;
	gboolean reload_again;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerCertList, certlink_manager_certlist, GTK_TYPE_BOX)

enum { SIGNAL_LOADED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- loading ---- */

struct loaded {
	GPtrArray *entries;
	char *problem;
};

static void loaded_free(gpointer p)
{
	struct loaded *l = p;

	if (l->entries)
		g_ptr_array_unref(l->entries);
	g_free(l->problem);
	g_free(l);
}

static void load_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct loaded *l = g_new0(struct loaded, 1);
	struct cl_settings settings;

	cl_settings_load(&settings, NULL); /* defaults when damaged: the settings page reports that */
	l->entries = certlink_manager_entries_load(g_get_real_time() / G_USEC_PER_SEC, settings.notify_days,
	                                           &l->problem);
	g_task_return_pointer(task, l, loaded_free);
}

void certlink_manager_certlist_set_entries(CertlinkManagerCertList *self, GPtrArray *entries)
{
	guint n = g_list_model_get_n_items(G_LIST_MODEL(self->store));
	char *count;

	g_list_store_splice(self->store, 0, n, entries->pdata, entries->len);
	count =
	    g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u item", "%u items", entries->len), entries->len);
	gtk_label_set_text(self->count_label, count);
	g_free(count);
	gtk_stack_set_visible_child_name(self->list_stack, entries->len ? "list" : "empty");
}

static void on_loaded(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerCertList *self;
	GError *error = NULL;
	struct loaded *l = g_task_propagate_pointer(G_TASK(res), &error);

	if (!l) { /* cancelled: the page is gone */
		g_clear_error(&error);
		return;
	}
	self = CERTLINK_MANAGER_CERTLIST(source);
	g_clear_object(&self->loading);
	gtk_spinner_stop(self->spinner);
	certlink_manager_certlist_set_entries(self, l->entries);
	gtk_label_set_text(self->problem_label, l->problem ? l->problem : "");
	gtk_widget_set_visible(GTK_WIDGET(self->problem_label), l->problem != NULL);
	loaded_free(l);
	g_signal_emit(self, signals[SIGNAL_LOADED], 0);
	if (self->reload_again) {
		self->reload_again = FALSE;
		certlink_manager_certlist_reload(self);
	}
}

void certlink_manager_certlist_reload(CertlinkManagerCertList *self)
{
	GTask *task;

	if (self->loading) { /* one load at a time; the newest state wins */
		self->reload_again = TRUE;
		return;
	}
	self->loading = g_cancellable_new();
	if (g_list_model_get_n_items(G_LIST_MODEL(self->store)) == 0) {
		gtk_stack_set_visible_child_name(self->list_stack, "loading");
		gtk_spinner_start(self->spinner);
	}
	task = g_task_new(self, self->loading, on_loaded, NULL);
	g_task_set_return_on_cancel(task, TRUE);
	g_task_run_in_thread(task, load_in_thread);
	g_object_unref(task);
}

/* ---- finding the entry an action names ---- */

static CertlinkManagerEntry *find_key(CertlinkManagerCertList *self, const char *key)
{
	guint i, n = g_list_model_get_n_items(G_LIST_MODEL(self->store));

	for (i = 0; i < n; i++) {
		CertlinkManagerEntry *e = g_list_model_get_item(G_LIST_MODEL(self->store), i);

		if (g_strcmp0(certlink_manager_entry_get_key(e), key) == 0)
			return e; /* a reference */
		g_object_unref(e);
	}
	return NULL;
}

static GtkWindow *window_of(CertlinkManagerCertList *self)
{
	GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));

	return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
}

static void show_error(CertlinkManagerCertList *self, const char *heading, const char *message)
{
	CertlinkManagerConfirm *d =
	    certlink_manager_confirm_new(window_of(self), heading, message, NULL, FALSE);

	gtk_window_present(GTK_WINDOW(d));
}

/* ---- operations that run in the flow window ---- */

static void on_flow_finished(CertlinkManagerFlow *flow, gboolean changed, CertlinkManagerCertList *self)
{
	if (changed)
		certlink_manager_certlist_reload(self);
}

static void start_flow(CertlinkManagerCertList *self, CertlinkFlowOp op, CertlinkManagerEntry *e)
{
	g_autofree char *name = certlink_manager_entry_describe(e);
	CertlinkManagerFlow *flow =
	    certlink_manager_flow_new_operation(window_of(self), op, certlink_manager_entry_get_ref(e),
	                                        certlink_manager_entry_get_store(e), name);

	g_signal_connect_object(flow, "finished", G_CALLBACK(on_flow_finished), self, 0);
	gtk_window_present(GTK_WINDOW(flow));
}

static void activate_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));

	if (e)
		start_flow(self, CERTLINK_FLOW_ACTIVATE, e);
	g_clear_object(&e);
}

static void reapply_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));

	if (e)
		start_flow(self, CERTLINK_FLOW_REAPPLY, e);
	g_clear_object(&e);
}

static void renew_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));

	if (e)
		start_flow(self, CERTLINK_FLOW_RENEW, e);
	g_clear_object(&e);
}

/* What a person calls the certificate with SERIAL ("alice (Example Corp enrollment)"), for a window opened
 * from outside the list (a notification names only the serial); the serial when none is recorded. */
static char *describe_serial(const char *serial)
{
	struct cl_settings settings;
	g_autoptr(GPtrArray) entries = NULL;
	char *name = NULL;

	cl_settings_load(&settings, NULL);
	entries =
	    certlink_manager_entries_load(g_get_real_time() / G_USEC_PER_SEC, settings.notify_days, NULL);
	for (guint i = 0; i < entries->len && !name; i++) {
		CertlinkManagerEntry *e = entries->pdata[i];

		if (certlink_manager_entry_get_kind(e) == CERTLINK_ENTRY_CERTIFICATE &&
		    g_strcmp0(certlink_manager_entry_get_id(e), serial) == 0)
			name = certlink_manager_entry_describe(e);
	}
	return name ? name : g_strdup(serial);
}

void certlink_manager_certlist_renew(CertlinkManagerCertList *self, const char *serial)
{
	CertlinkManagerFlow *flow;
	g_autofree char *name = NULL;
	char norm[41];

	if (!cl_records_normalize_serial(serial, norm)) {
		show_error(self, _("Cannot renew"), _("That is not a certificate serial number."));
		return;
	}
	name = describe_serial(norm);
	flow = certlink_manager_flow_new_operation(window_of(self), CERTLINK_FLOW_RENEW, norm, CL_STORE_ASK,
	                                           name);
	g_signal_connect_object(flow, "finished", G_CALLBACK(on_flow_finished), self, 0);
	gtk_window_present(GTK_WINDOW(flow));
}

struct confirm_ctx {
	CertlinkManagerCertList *self;
	CertlinkManagerEntry *entry;
	CertlinkFlowOp op; /* withdraw */
	gboolean delete;
};

static void confirm_ctx_free(gpointer p)
{
	struct confirm_ctx *c = p;

	g_object_unref(c->self);
	g_object_unref(c->entry);
	g_free(c);
}

static void confirm_ctx_notify(gpointer data, GClosure *closure)
{
	confirm_ctx_free(data);
}

static void start_delete(CertlinkManagerCertList *self, CertlinkManagerEntry *e);

static void on_confirmed(CertlinkManagerConfirm *d, gboolean yes, gpointer data)
{
	struct confirm_ctx *c = data;

	if (yes && c->delete)
		start_delete(c->self, c->entry);
	else if (yes)
		start_flow(c->self, c->op, c->entry);
}

static void ask_first(CertlinkManagerCertList *self, CertlinkManagerEntry *e, gboolean delete,
                      const char *heading, const char *body, const char *accept)
{
	CertlinkManagerConfirm *d =
	    certlink_manager_confirm_new(window_of(self), heading, body, accept, TRUE);
	struct confirm_ctx *c = g_new0(struct confirm_ctx, 1);

	c->self = g_object_ref(self);
	c->entry = g_object_ref(e);
	c->op = CERTLINK_FLOW_WITHDRAW;
	c->delete = delete;
	g_signal_connect_data(d, "response", G_CALLBACK(on_confirmed), c, confirm_ctx_notify, 0);
	gtk_window_present(GTK_WINDOW(d));
}

static void withdraw_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));
	char *body;

	if (!e)
		return;
	if (certlink_manager_entry_get_kind(e) == CERTLINK_ENTRY_CERTIFICATE)
		body = g_strdup_printf(
		    _("The server revokes the certificate “%s” (serial %s), and certlink removes it "
		      "from this computer. You can re-apply later."),
		    certlink_manager_entry_get_title(e), certlink_manager_entry_get_id(e));
	else
		body = g_strdup_printf(
		    _("The application “%s” is withdrawn at the server. You can re-apply later."),
		    certlink_manager_entry_get_title(e));
	ask_first(self, e, FALSE, _("Withdraw?"), body, _("Withdraw"));
	g_free(body);
	g_object_unref(e);
}

/* ---- delete ---- */

struct delete_ctx {
	char *id;
	enum cl_store_kind store;
	struct cl_error err;
};

static void delete_ctx_free(gpointer p)
{
	struct delete_ctx *c = p;

	g_free(c->id);
	g_free(c);
}

static void delete_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct delete_ctx *c = data;

	g_task_return_int(task, cl_enroll_delete(c->id, c->store, &c->err));
}

static void on_deleted(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(source);
	struct delete_ctx *c = g_task_get_task_data(G_TASK(res));
	enum cl_status st = (enum cl_status)g_task_propagate_int(G_TASK(res), NULL);

	if (st != CL_OK)
		show_error(self, _("The certificate could not be deleted"), c->err.msg);
	certlink_manager_certlist_reload(self);
}

static void on_elevated(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(data);
	char *message = NULL;

	if (!certlink_manager_elevate_finish(res, &message))
		show_error(self, _("The certificate could not be deleted"), message);
	g_free(message);
	certlink_manager_certlist_reload(self);
	g_object_unref(self);
}

static void start_delete(CertlinkManagerCertList *self, CertlinkManagerEntry *e)
{
	enum cl_store_kind store = certlink_manager_entry_get_store(e);
	struct delete_ctx *c;
	GTask *task;

	/* the computer store belongs to root: ask for the administrator's rights through polkit */
	if (store == CL_STORE_COMPUTER && cl_store_check_allowed(CL_STORE_COMPUTER, NULL) != CL_OK) {
		certlink_manager_elevate_delete(certlink_manager_entry_get_ref(e), on_elevated,
		                                g_object_ref(self));
		return;
	}
	c = g_new0(struct delete_ctx, 1);
	c->id = g_strdup(certlink_manager_entry_get_ref(e));
	c->store = store;
	task = g_task_new(self, NULL, on_deleted, NULL);
	g_task_set_task_data(task, c, delete_ctx_free);
	g_task_run_in_thread(task, delete_in_thread);
	g_object_unref(task);
}

static void delete_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));
	const char *store;
	char *body;

	if (!e)
		return;
	store = certlink_manager_store_words(certlink_manager_entry_get_store(e));
	if (certlink_manager_entry_get_kind(e) == CERTLINK_ENTRY_CERTIFICATE)
		body = g_strdup_printf(
		    _("“%s” (serial %s) is removed from the %s and from every place certlink put it: "
		      "its files, the NSS database, and trust anchors no other certificate needs. "
		      "This cannot be undone."),
		    certlink_manager_entry_get_title(e), certlink_manager_entry_get_id(e), store);
	else
		body = g_strdup_printf(
		    _("The application “%s” is forgotten on this computer, with its secrets. It is "
		      "not withdrawn at the server."),
		    certlink_manager_entry_get_title(e));
	ask_first(self, e, TRUE, _("Delete?"), body, _("Delete"));
	g_free(body);
	g_object_unref(e);
}

/* ---- details and the notification switch ---- */

static void details_activated(GtkWidget *w, const char *action, GVariant *param)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(w);
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));

	if (e) {
		CertlinkManagerDetails *d = certlink_manager_details_new(window_of(self), e);

		g_signal_connect_object(d, "changed", G_CALLBACK(certlink_manager_certlist_reload), self,
		                        G_CONNECT_SWAPPED);
		gtk_window_present(GTK_WINDOW(d));
	}
	g_clear_object(&e);
}

struct notify_ctx {
	char serial[41];
	enum cl_store_kind store;
	gboolean on;
	struct cl_error err;
};

static void notify_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	struct notify_ctx *c = data;

	g_task_return_int(task, cl_expiry_set_notify(c->store, c->serial, c->on, &c->err));
}

static void on_notify_set(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(source);
	struct notify_ctx *c = g_task_get_task_data(G_TASK(res));

	if (g_task_propagate_int(G_TASK(res), NULL) != CL_OK)
		show_error(self, _("The setting could not be saved"), c->err.msg);
	certlink_manager_certlist_reload(self);
}

static void set_notify(CertlinkManagerCertList *self, GVariant *param, gboolean on)
{
	CertlinkManagerEntry *e = find_key(self, g_variant_get_string(param, NULL));
	struct notify_ctx *c;
	GTask *task;

	if (!e || certlink_manager_entry_get_kind(e) != CERTLINK_ENTRY_CERTIFICATE) {
		g_clear_object(&e);
		return;
	}
	c = g_new0(struct notify_ctx, 1);
	g_strlcpy(c->serial, certlink_manager_entry_get_id(e), sizeof(c->serial));
	c->store = certlink_manager_entry_get_store(e);
	c->on = on;
	task = g_task_new(self, NULL, on_notify_set, NULL);
	g_task_set_task_data(task, c, g_free);
	g_task_run_in_thread(task, notify_in_thread);
	g_object_unref(task);
	g_object_unref(e);
}

static void notify_on_activated(GtkWidget *w, const char *action, GVariant *param)
{
	set_notify(CERTLINK_MANAGER_CERTLIST(w), param, TRUE);
}

static void notify_off_activated(GtkWidget *w, const char *action, GVariant *param)
{
	set_notify(CERTLINK_MANAGER_CERTLIST(w), param, FALSE);
}

static void refresh_activated(GtkWidget *w, const char *action, GVariant *param)
{
	certlink_manager_certlist_reload(CERTLINK_MANAGER_CERTLIST(w));
}

/* ---- list plumbing ---- */

static void setup_row(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
	gtk_list_item_set_child(item, certlink_manager_row_new());
	gtk_list_item_set_activatable(item, FALSE);
}

static void bind_row(GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
	certlink_manager_row_set_entry(CERTLINK_MANAGER_ROW(gtk_list_item_get_child(item)),
	                               CERTLINK_MANAGER_ENTRY(gtk_list_item_get_item(item)));
}

static void certlink_manager_certlist_dispose(GObject *object)
{
	CertlinkManagerCertList *self = CERTLINK_MANAGER_CERTLIST(object);

	if (self->loading)
		g_cancellable_cancel(self->loading);
	g_clear_object(&self->loading);
	gtk_widget_dispose_template(GTK_WIDGET(object), CERTLINK_TYPE_MANAGER_CERTLIST);
	G_OBJECT_CLASS(certlink_manager_certlist_parent_class)->dispose(object);
}

static void certlink_manager_certlist_finalize(GObject *object)
{
	g_clear_object(&CERTLINK_MANAGER_CERTLIST(object)->store);
	G_OBJECT_CLASS(certlink_manager_certlist_parent_class)->finalize(object);
}

static void certlink_manager_certlist_class_init(CertlinkManagerCertListClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = certlink_manager_certlist_dispose;
	G_OBJECT_CLASS(klass)->finalize = certlink_manager_certlist_finalize;
	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class,
	                                            "/org/certlink/manager/manager-certlist.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerCertList, count_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerCertList, problem_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerCertList, list_stack);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerCertList, spinner);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerCertList, list_view);
	gtk_widget_class_install_action(widget_class, "certs.refresh", NULL, refresh_activated);
	gtk_widget_class_install_action(widget_class, "certs.details", "s", details_activated);
	gtk_widget_class_install_action(widget_class, "certs.delete", "s", delete_activated);
	gtk_widget_class_install_action(widget_class, "certs.activate", "s", activate_activated);
	gtk_widget_class_install_action(widget_class, "certs.withdraw", "s", withdraw_activated);
	gtk_widget_class_install_action(widget_class, "certs.reapply", "s", reapply_activated);
	gtk_widget_class_install_action(widget_class, "certs.renew", "s", renew_activated);
	gtk_widget_class_install_action(widget_class, "certs.notify-on", "s", notify_on_activated);
	gtk_widget_class_install_action(widget_class, "certs.notify-off", "s", notify_off_activated);
	signals[SIGNAL_LOADED] = g_signal_new("loaded", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
	                                      NULL, NULL, G_TYPE_NONE, 0);
}

static void certlink_manager_certlist_init(CertlinkManagerCertList *self)
{
	GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
	GtkNoSelection *selection;

	gtk_widget_init_template(GTK_WIDGET(self));
	self->store = g_list_store_new(CERTLINK_TYPE_MANAGER_ENTRY);
	selection = gtk_no_selection_new(G_LIST_MODEL(g_object_ref(self->store)));
	g_signal_connect(factory, "setup", G_CALLBACK(setup_row), NULL);
	g_signal_connect(factory, "bind", G_CALLBACK(bind_row), NULL);
	gtk_list_view_set_factory(self->list_view, factory);
	gtk_list_view_set_model(self->list_view, GTK_SELECTION_MODEL(selection));
	g_object_unref(factory);
	g_object_unref(selection);
	gtk_stack_set_visible_child_name(self->list_stack, "empty");
}
