/* certlink-manager: details window (see manager-details.h). */
#include "manager-details.h"

#include <glib/gi18n-lib.h>

#include "certinfo.h"
#include "expiry.h"
#include "location.h"
#include "manager-ui.h"
#include "text.h"
#include "words.h"

struct _CertlinkManagerDetails {
	GtkWindow parent;
	GtkLabel *heading_label;
	GtkGrid *grid;
	GtkWidget *notify_box;
	GtkSwitch *notify_switch;
	GtkWidget *full_expander;
	GtkTextView *full_text;
	int rows;
	CertlinkManagerEntry *entry;
	gboolean setting_up;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerDetails, certlink_manager_details, GTK_TYPE_WINDOW)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void add_row(CertlinkManagerDetails *self, const char *name, const char *value, gboolean mono)
{
	/* Values come from records and certificates, that is from servers (and from records an older certlink
	 * wrote unescaped): shown so that they read as they are (core/text.h). */
	size_t size = value ? strlen(value) * 9 + 1 : 1;
	g_autofree char *shown = g_malloc(size);
	GtkWidget *n, *v;

	cl_text_escape(value ? value : "", shown, size, CL_TEXT_KEEP_NEWLINES);
	n = gtk_label_new(name);
	v = gtk_label_new(*shown ? shown : "—");

	gtk_label_set_xalign(GTK_LABEL(n), 0);
	gtk_label_set_yalign(GTK_LABEL(n), 0);
	gtk_widget_add_css_class(n, "field-name");
	gtk_label_set_xalign(GTK_LABEL(v), 0);
	gtk_label_set_wrap(GTK_LABEL(v), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(v), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_selectable(GTK_LABEL(v), TRUE);
	gtk_widget_set_focusable(v, FALSE); /* a focused selectable label selects all of itself */
	gtk_widget_set_hexpand(v, TRUE);
	if (mono)
		gtk_widget_add_css_class(v, "mono");
	gtk_grid_attach(self->grid, n, 0, self->rows, 1, 1);
	gtk_grid_attach(self->grid, v, 1, self->rows, 1, 1);
	self->rows++;
}

static void add_time(CertlinkManagerDetails *self, const char *name, gint64 t)
{
	char *text = certlink_manager_ui_format_time(t);

	add_row(self, name, text, FALSE);
	g_free(text);
}

/* "aa:bb:cc..." for a hex digest: easier to compare by eye with what other tools show. */
static char *colons(const char *hex)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; hex && hex[i]; i += 2) {
		if (i)
			g_string_append_c(s, ':');
		g_string_append_len(s, hex + i, hex[i + 1] ? 2 : 1);
		if (!hex[i + 1])
			break;
	}
	return g_string_free(s, FALSE);
}

static const char *location_words(enum cl_location_kind kind)
{
	switch (kind) {
	case CL_LOC_DIRECTORY:
		return _("Directory");
	case CL_LOC_KEY:
		return _("Private key");
	case CL_LOC_CERTIFICATE:
		return _("Certificate file");
	case CL_LOC_CHAIN:
		return _("CA chain file");
	case CL_LOC_PKCS12:
		return _("PKCS#12 bundle");
	case CL_LOC_PKCS12_PASSWORD:
		return _("PKCS#12 password file");
	case CL_LOC_NSS_CERT:
		return _("NSS database");
	case CL_LOC_NSS_CA:
		return _("NSS database (trusted CA)");
	case CL_LOC_TRUST_FILE:
		return _("certlink trust anchor");
	case CL_LOC_P11KIT_ANCHOR:
		return _("System trust (p11-kit)");
	case CL_LOC_CA_CERTIFICATES:
		return _("System trust (ca-certificates)");
	case CL_LOC_NETWORK_FILE:
		return _("Network settings file");
	case CL_LOC_NM_CONNECTION:
		return _("NetworkManager connection");
	case CL_LOC_FIREFOX_CERT:
		return _("Firefox profile");
	case CL_LOC_FIREFOX_CA:
		return _("Firefox profile (trusted CA)");
	case CL_LOC_FIREFOX_CHAIN:
		return _("Firefox profile (CA for the chain)");
	}
	return "?";
}

static void show_locations(CertlinkManagerDetails *self, const struct cl_certificate *c)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < c->locations.n; i++) {
		const struct cl_location *l = &c->locations.items[i];

		if (l->kind == CL_LOC_DIRECTORY || l->kind == CL_LOC_NM_CONNECTION)
			continue;
		g_string_append_printf(s, "%s%s: %s%s%s%s", s->len ? "\n" : "", location_words(l->kind),
		                       l->path, l->nickname ? " (“" : "", l->nickname ? l->nickname : "",
		                       l->nickname ? "”)" : "");
	}
	add_row(self, _("Stored in"), s->str, FALSE);
	g_string_free(s, TRUE);
}

/* The NetworkManager connections this certificate backs (core/network.h), by name. */
static void show_connections(CertlinkManagerDetails *self, const struct cl_certificate *c)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < c->locations.n; i++) {
		const struct cl_location *l = &c->locations.items[i];

		if (l->kind == CL_LOC_NM_CONNECTION)
			g_string_append_printf(s, "%s%s", s->len ? "\n" : "",
			                       l->nickname ? l->nickname : l->path);
	}
	if (s->len)
		add_row(self, _("Network connections"), s->str, FALSE);
	g_string_free(s, TRUE);
}

static const char *certificate_file(const struct cl_certificate *c)
{
	for (size_t i = 0; i < c->locations.n; i++)
		if (c->locations.items[i].kind == CL_LOC_CERTIFICATE)
			return c->locations.items[i].path;
	return NULL;
}

static void show_certificate(CertlinkManagerDetails *self, CertlinkManagerEntry *e)
{
	const struct cl_certificate *c = certlink_manager_entry_get_certificate(e);
	const char *file = certificate_file(c);
	struct cl_certinfo info;
	struct cl_error err;
	X509 *x = NULL;
	char *text = NULL, *key, *fp, *server;
	gboolean have = FALSE;

	/* the file is what is installed; the record is the fallback when the file is gone */
	if (file && cl_certinfo_read_pem(file, &x, &err) == CL_OK && cl_certinfo_get(x, &info, &err) == CL_OK)
		have = TRUE;
	add_row(self, _("Subject"), have ? info.subject : c->subject, FALSE);
	add_row(self, _("Issuer"), have ? info.issuer : c->issuer, FALSE);
	add_row(self, _("Serial number"), c->serial, TRUE);
	add_time(self, _("Valid from"), have ? info.not_before : c->not_before);
	add_time(self, _("Valid until"), have ? info.not_after : c->not_after);
	add_row(self, _("State"), certlink_manager_entry_state_label(e), FALSE);
	/* "RSA, 2048 bits", as a person reads the key type (not the record's "rsa") */
	key = g_strdup_printf(_("%s, %d bits"), cl_words_key(have ? info.key_type : c->key_type),
	                      have ? info.key_bits : c->key_bits);
	add_row(self, _("Key"), key, FALSE);
	fp = colons(have ? info.sha256 : c->fingerprint);
	add_row(self, _("SHA-256 fingerprint"), fp, TRUE);
	g_free(fp);
	if (have) {
		fp = colons(info.sha1);
		add_row(self, _("SHA-1 fingerprint"), fp, TRUE);
		g_free(fp);
		add_row(self, _("Subject alternative names"), info.sans, FALSE);
	}
	add_row(self, _("Store"), certlink_manager_store_label(certlink_manager_entry_get_store(e)), FALSE);
	show_connections(self, c);
	show_locations(self, c);
	server = c->server_host ? g_strdup_printf("%s:%d", c->server_host, c->server_port) : g_strdup("");
	add_row(self, _("Enrollment server"), server, FALSE);
	add_row(self, _("User ID"), c->user, FALSE);
	g_free(server);
	if (!have)
		add_row(self, _("Problem"), err.msg, FALSE);
	if (have && cl_certinfo_text(x, &text, &err) == CL_OK)
		gtk_text_buffer_set_text(gtk_text_view_get_buffer(self->full_text), text, -1);
	gtk_widget_set_visible(self->full_expander, have);
	free(text);
	X509_free(x);
	self->setting_up = TRUE;
	gtk_switch_set_active(self->notify_switch, c->notify);
	self->setting_up = FALSE;
}

static void show_application(CertlinkManagerDetails *self, CertlinkManagerEntry *e)
{
	const struct cl_application *a = certlink_manager_entry_get_application(e);
	char *server = g_strdup_printf("%s:%d", a->server_host, a->server_port);

	add_row(self, _("State"), certlink_manager_entry_state_label(e), FALSE);
	add_row(self, _("Enrollment server"), server, FALSE);
	add_row(self, _("Service"), a->server_name, FALSE);
	add_row(self, _("User ID"), a->user, FALSE);
	add_row(self, _("Store"), certlink_manager_store_label(a->store), FALSE);
	add_row(self, _("Application"), a->id, TRUE);
	add_row(self, _("Application at the server"), a->server_id, TRUE);
	add_time(self, _("Applied"), a->created);
	add_time(self, _("Last change"), a->updated);
	if (a->renewal_of)
		add_row(self, _("Renews certificate"), a->renewal_of, TRUE);
	if (a->serial)
		add_row(self, _("Serial number"), a->serial, TRUE);
	if (a->last_error)
		add_row(self, _("Last error"), a->last_error, FALSE);
	g_free(server);
	gtk_widget_set_visible(self->notify_box, FALSE);
	gtk_widget_set_visible(self->full_expander, FALSE);
}

/* ---- the switch ---- */

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

static void on_notify_done(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkManagerDetails *self = CERTLINK_MANAGER_DETAILS(source);
	struct notify_ctx *c = g_task_get_task_data(G_TASK(res));

	if (g_task_propagate_int(G_TASK(res), NULL) != CL_OK) {
		g_warning("%s", c->err.msg);
		self->setting_up = TRUE;
		gtk_switch_set_active(self->notify_switch, !c->on);
		self->setting_up = FALSE;
		return;
	}
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void on_switch(GtkSwitch *sw, GParamSpec *pspec, CertlinkManagerDetails *self)
{
	struct notify_ctx *c;
	GTask *task;

	if (self->setting_up)
		return;
	c = g_new0(struct notify_ctx, 1);
	g_strlcpy(c->serial, certlink_manager_entry_get_id(self->entry), sizeof(c->serial));
	c->store = certlink_manager_entry_get_store(self->entry);
	c->on = gtk_switch_get_active(sw);
	task = g_task_new(self, NULL, on_notify_done, NULL);
	g_task_set_task_data(task, c, g_free);
	g_task_run_in_thread(task, notify_in_thread);
	g_object_unref(task);
}

static void certlink_manager_details_dispose(GObject *object)
{
	g_clear_object(&CERTLINK_MANAGER_DETAILS(object)->entry);
	G_OBJECT_CLASS(certlink_manager_details_parent_class)->dispose(object);
}

static void certlink_manager_details_class_init(CertlinkManagerDetailsClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = certlink_manager_details_dispose;
	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-details.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, heading_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, grid);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, notify_box);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, notify_switch);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, full_expander);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerDetails, full_text);
	gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void certlink_manager_details_init(CertlinkManagerDetails *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect(self->notify_switch, "notify::active", G_CALLBACK(on_switch), self);
}

CertlinkManagerDetails *certlink_manager_details_new(GtkWindow *parent, CertlinkManagerEntry *entry)
{
	CertlinkManagerDetails *self =
	    g_object_new(CERTLINK_TYPE_MANAGER_DETAILS, "transient-for", parent, NULL);
	char *title;

	self->entry = g_object_ref(entry);
	gtk_label_set_text(self->heading_label, certlink_manager_entry_get_title(entry));
	if (certlink_manager_entry_get_kind(entry) == CERTLINK_ENTRY_CERTIFICATE)
		show_certificate(self, entry);
	else
		show_application(self, entry);
	title = g_strdup_printf(_("Details: %s"), certlink_manager_entry_get_title(entry));
	gtk_window_set_title(GTK_WINDOW(self), title);
	g_free(title);
	return self;
}
