/* certlink-manager: entries of the certificate list (see manager-entry.h). */
#include "manager-entry.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "expiry.h"
#include "text.h"

/* A loaded records document, shared by the entries that point into it. */
typedef struct {
	struct cl_records *rec;
} Snapshot;

static void snapshot_clear(gpointer p)
{
	cl_records_free(((Snapshot *)p)->rec);
}

struct _CertlinkManagerEntry {
	GObject parent;
	Snapshot *snapshot; /* atomic rc box */
	const struct cl_certificate *cert;
	const struct cl_application *app;
	gboolean has_app;
	CertlinkEntryState state;
	gint64 days_left;
	char *key;
	char *title;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerEntry, certlink_manager_entry, G_TYPE_OBJECT)

static void certlink_manager_entry_finalize(GObject *object)
{
	CertlinkManagerEntry *self = CERTLINK_MANAGER_ENTRY(object);

	g_atomic_rc_box_release_full(self->snapshot, snapshot_clear);
	g_free(self->key);
	g_free(self->title);
	G_OBJECT_CLASS(certlink_manager_entry_parent_class)->finalize(object);
}

static void certlink_manager_entry_class_init(CertlinkManagerEntryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = certlink_manager_entry_finalize;
}

static void certlink_manager_entry_init(CertlinkManagerEntry *self)
{
}

/* The CN of an RFC 2253 subject, else the subject. */
static char *common_name(const char *subject)
{
	const char *p;

	for (p = subject; p && *p; p++)
		if ((p == subject || p[-1] == ',') && strncmp(p, "CN=", 3) == 0)
			return g_strndup(p + 3, strcspn(p + 3, ","));
	return g_strdup(subject && *subject ? subject : "?");
}

static CertlinkEntryState app_state(enum cl_app_state s)
{
	switch (s) {
	case CL_APP_PENDING:
		return CERTLINK_ENTRY_PENDING;
	case CL_APP_APPROVED:
		return CERTLINK_ENTRY_APPROVED;
	case CL_APP_WITHDRAWN:
		return CERTLINK_ENTRY_WITHDRAWN;
	case CL_APP_REJECTED:
		return CERTLINK_ENTRY_REJECTED;
	case CL_APP_FAILED:
		return CERTLINK_ENTRY_FAILED;
	case CL_APP_INSTALLED:
		return CERTLINK_ENTRY_INSTALLED;
	case CL_APP_NEW:
	case CL_APP_ACTIVATED:
	case CL_APP_ISSUED:
		break;
	}
	return CERTLINK_ENTRY_IN_PROGRESS;
}

/* S as it reads (what a server put in its name may hide characters); caller frees */
static char *shown(const char *s)
{
	size_t size;
	char *out;

	if (!cl_text_needs_escape(s, 0))
		return g_strdup(s);
	size = strlen(s) * 9 + 1;
	out = g_malloc(size);
	cl_text_escape(s, out, size, 0);
	return out;
}

static CertlinkManagerEntry *entry_new(Snapshot *snap, const struct cl_certificate *cert,
                                       const struct cl_application *app)
{
	CertlinkManagerEntry *self = g_object_new(CERTLINK_TYPE_MANAGER_ENTRY, NULL);

	self->snapshot = g_atomic_rc_box_acquire(snap);
	self->cert = cert;
	self->app = app;
	/* unique in the list: serials repeat across CAs, fingerprints do not */
	self->key = g_strdup_printf("%s:%s", cl_store_kind_name(snap->rec->store),
	                            cert ? (cert->fingerprint ? cert->fingerprint : cert->serial) : app->id);
	if (cert)
		self->title = common_name(cert->subject);
	else
		self->title = g_strdup_printf("%s @ %s", app->user ? app->user : "?",
		                              app->server_name ? app->server_name : app->server_host);
	/* a title that reads as it is, whatever a server (or an older certlink's records) put there */
	if (cl_text_needs_escape(self->title, 0)) {
		char *escaped = shown(self->title);

		g_free(self->title);
		self->title = escaped;
	}
	return self;
}

static gint compare(gconstpointer a, gconstpointer b)
{
	CertlinkManagerEntry *x = *(CertlinkManagerEntry **)a, *y = *(CertlinkManagerEntry **)b;

	if (!!x->cert != !!y->cert)
		return x->cert ? 1 : -1;
	if (x->cert)
		return x->cert->not_after < y->cert->not_after ? -1 : x->cert->not_after > y->cert->not_after;
	return x->app->created > y->app->created ? -1 : x->app->created < y->app->created;
}

static void add_store(GPtrArray *out, enum cl_store_kind kind, gint64 now, int days, GString *problems)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	Snapshot *snap;
	size_t i;

	if (cl_records_load(kind, &rec, &err) != CL_OK) {
		g_string_append_printf(problems, "%s%s", problems->len ? "\n" : "", err.msg);
		return;
	}
	cl_expiry_apply_overlay(rec);
	snap = g_atomic_rc_box_new0(Snapshot);
	snap->rec = rec;
	for (i = 0; i < rec->n_certs; i++) {
		const struct cl_certificate *c = rec->certs[i];
		CertlinkManagerEntry *e = entry_new(snap, c, NULL);

		e->has_app = c->application && cl_records_find_application(rec, c->application) != NULL;
		e->days_left = cl_expiry_days_left(c->not_after, now);
		switch (cl_certificate_state(c, now, days)) {
		case CL_CERT_INSTALLED:
			e->state = CERTLINK_ENTRY_INSTALLED;
			break;
		case CL_CERT_EXPIRING:
			e->state = CERTLINK_ENTRY_EXPIRING;
			break;
		case CL_CERT_EXPIRED:
			e->state = CERTLINK_ENTRY_EXPIRED;
			break;
		}
		g_ptr_array_add(out, e);
	}
	for (i = 0; i < rec->n_apps; i++) {
		const struct cl_application *a = rec->apps[i];
		CertlinkManagerEntry *e;

		/* an installed application is shown as its certificate */
		if (cl_records_find_certificate_of(rec, a->id))
			continue;
		if (a->state == CL_APP_INSTALLED)
			continue;
		e = entry_new(snap, NULL, a);
		e->has_app = TRUE;
		e->state = app_state(a->state);
		g_ptr_array_add(out, e);
	}
	g_atomic_rc_box_release_full(snap, snapshot_clear);
}

GPtrArray *certlink_manager_entries_load(gint64 now, int notify_days, char **problem)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
	GString *problems = g_string_new(NULL);

	add_store(out, CL_STORE_USER, now, notify_days, problems);
	add_store(out, CL_STORE_COMPUTER, now, notify_days, problems);
	g_ptr_array_sort(out, compare);
	if (problem)
		*problem = problems->len ? g_strdup(problems->str) : NULL;
	g_string_free(problems, TRUE);
	return out;
}

CertlinkEntryKind certlink_manager_entry_get_kind(CertlinkManagerEntry *self)
{
	return self->cert ? CERTLINK_ENTRY_CERTIFICATE : CERTLINK_ENTRY_APPLICATION;
}

CertlinkEntryState certlink_manager_entry_get_state(CertlinkManagerEntry *self)
{
	return self->state;
}

enum cl_store_kind certlink_manager_entry_get_store(CertlinkManagerEntry *self)
{
	return self->snapshot->rec->store;
}

const char *certlink_manager_entry_get_id(CertlinkManagerEntry *self)
{
	return self->cert ? self->cert->serial : self->app->id;
}

const char *certlink_manager_entry_get_ref(CertlinkManagerEntry *self)
{
	if (self->cert && self->cert->fingerprint)
		return self->cert->fingerprint;
	return certlink_manager_entry_get_id(self);
}

const char *certlink_manager_entry_get_key(CertlinkManagerEntry *self)
{
	return self->key;
}

const char *certlink_manager_entry_get_title(CertlinkManagerEntry *self)
{
	return self->title;
}

char *certlink_manager_entry_describe(CertlinkManagerEntry *self)
{
	const struct cl_application *a = self->app;
	g_autofree char *service = NULL;

	if (!a && self->cert && self->cert->application)
		a = cl_records_find_application(self->snapshot->rec, self->cert->application);
	if (a && a->server_name && a->server_name[0])
		service = shown(a->server_name);
	else if (a && a->server_host)
		service = g_strdup_printf("%s:%d", a->server_host, a->server_port);
	else if (self->cert && self->cert->server_host)
		service = g_strdup_printf("%s:%d", self->cert->server_host, self->cert->server_port);
	if (!service || self->cert == NULL)
		return g_strdup(self->title); /* an application's title names user and service already */
	/* TRANSLATORS: a certificate in a window title: its name (common name) and the service that issued it
	 */
	return g_strdup_printf(_("%s (%s)"), self->title, service);
}

const struct cl_certificate *certlink_manager_entry_get_certificate(CertlinkManagerEntry *self)
{
	return self->cert;
}

const struct cl_application *certlink_manager_entry_get_application(CertlinkManagerEntry *self)
{
	return self->app;
}

gboolean certlink_manager_entry_has_application(CertlinkManagerEntry *self)
{
	return self->has_app;
}

gint64 certlink_manager_entry_get_days_left(CertlinkManagerEntry *self)
{
	return self->days_left;
}

const char *certlink_manager_entry_state_label(CertlinkManagerEntry *self)
{
	switch (self->state) {
	case CERTLINK_ENTRY_PENDING:
		return _("Pending approval");
	case CERTLINK_ENTRY_APPROVED:
		return _("Approved");
	case CERTLINK_ENTRY_IN_PROGRESS:
		return _("Not finished");
	case CERTLINK_ENTRY_WITHDRAWN:
		return _("Withdrawn");
	case CERTLINK_ENTRY_REJECTED:
		return _("Rejected");
	case CERTLINK_ENTRY_FAILED:
		return _("Failed");
	case CERTLINK_ENTRY_INSTALLED:
		return _("Installed");
	case CERTLINK_ENTRY_EXPIRING:
		return _("Expiring soon");
	case CERTLINK_ENTRY_EXPIRED:
		return _("Expired");
	}
	return "";
}

const char *certlink_manager_store_label(enum cl_store_kind store)
{
	return store == CL_STORE_COMPUTER ? _("Computer store") : _("User store");
}

const char *certlink_manager_store_words(enum cl_store_kind store)
{
	return store == CL_STORE_COMPUTER ? _("computer store") : _("user store");
}
