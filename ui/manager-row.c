/* certlink-manager: a certificate list row (see manager-row.h). */
#include "manager-row.h"

#include <glib/gi18n-lib.h>

#include "manager-ui.h"

struct _CertlinkManagerRow {
	GtkBox parent;
	GtkImage *icon;
	GtkLabel *title_label;
	GtkLabel *subtitle_label;
	GtkLabel *state_label;
	GtkLabel *expiry_label;
	GtkWidget *renew_button;
	GtkMenuButton *menu_button;
	CertlinkManagerEntry *entry;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerRow, certlink_manager_row, GTK_TYPE_BOX)

static const char *const state_classes[] = { "state-ok", "state-warn", "state-bad", "state-wait" };

static const char *state_class(CertlinkEntryState s)
{
	switch (s) {
	case CERTLINK_ENTRY_INSTALLED:
		return "state-ok";
	case CERTLINK_ENTRY_EXPIRING:
	case CERTLINK_ENTRY_IN_PROGRESS:
		return "state-warn";
	case CERTLINK_ENTRY_EXPIRED:
	case CERTLINK_ENTRY_WITHDRAWN:
	case CERTLINK_ENTRY_REJECTED:
	case CERTLINK_ENTRY_FAILED:
		return "state-bad";
	case CERTLINK_ENTRY_PENDING:
	case CERTLINK_ENTRY_APPROVED:
		break;
	}
	return "state-wait";
}

static void add_item(GMenu *menu, const char *label, const char *action, const char *key)
{
	GMenuItem *item = g_menu_item_new(label, NULL);

	g_menu_item_set_action_and_target_value(item, action, g_variant_new_string(key));
	g_menu_append_item(menu, item);
	g_object_unref(item);
}

/* What the row menu offers for an entry in its state. */
static GMenuModel *build_menu(CertlinkManagerEntry *e)
{
	GMenu *menu = g_menu_new(), *danger = g_menu_new();
	const char *key = certlink_manager_entry_get_key(e);
	CertlinkEntryState s = certlink_manager_entry_get_state(e);

	add_item(menu, _("Details"), "certs.details", key);
	if (certlink_manager_entry_get_kind(e) == CERTLINK_ENTRY_APPLICATION) {
		if (s == CERTLINK_ENTRY_PENDING || s == CERTLINK_ENTRY_APPROVED ||
		    s == CERTLINK_ENTRY_IN_PROGRESS)
			add_item(menu, _("Activate"), "certs.activate", key);
		if (s == CERTLINK_ENTRY_WITHDRAWN || s == CERTLINK_ENTRY_REJECTED)
			add_item(menu, _("Re-apply"), "certs.reapply", key);
		if (s == CERTLINK_ENTRY_PENDING || s == CERTLINK_ENTRY_APPROVED ||
		    s == CERTLINK_ENTRY_IN_PROGRESS)
			add_item(danger, _("Withdraw"), "certs.withdraw", key);
	} else {
		const struct cl_certificate *c = certlink_manager_entry_get_certificate(e);

		if (s == CERTLINK_ENTRY_INSTALLED)
			add_item(menu, _("Renew"), "certs.renew", key);
		add_item(menu,
		         c->notify ? _("Turn off expiry notifications") : _("Turn on expiry notifications"),
		         c->notify ? "certs.notify-off" : "certs.notify-on", key);
		if (certlink_manager_entry_has_application(e))
			add_item(danger, _("Withdraw"), "certs.withdraw", key);
	}
	add_item(danger, _("Delete"), "certs.delete", key);
	g_menu_append_section(menu, NULL, G_MENU_MODEL(danger));
	g_object_unref(danger);
	return G_MENU_MODEL(menu);
}

void certlink_manager_row_set_entry(CertlinkManagerRow *self, CertlinkManagerEntry *e)
{
	const struct cl_certificate *c = certlink_manager_entry_get_certificate(e);
	const struct cl_application *a = certlink_manager_entry_get_application(e);
	CertlinkEntryState s = certlink_manager_entry_get_state(e);
	const char *store = certlink_manager_store_label(certlink_manager_entry_get_store(e));
	char *subtitle, *expiry, *when;
	size_t i;

	gtk_label_set_text(self->title_label, certlink_manager_entry_get_title(e));
	if (c) {
		subtitle = g_strdup_printf(_("%s · serial %s · %s:%d"), store, c->serial,
		                           c->server_host ? c->server_host : "?", c->server_port);
		when = certlink_manager_ui_format_time(c->not_after);
		expiry =
		    g_strdup_printf(s == CERTLINK_ENTRY_EXPIRED ? _("Expired %s") : _("Expires %s"), when);
		g_free(when);
	} else {
		subtitle = g_strdup_printf(_("%s · application %s · %s:%d"), store, a->id, a->server_host,
		                           a->server_port);
		when = certlink_manager_ui_format_time(a->created);
		expiry = g_strdup_printf(_("Applied %s"), when);
		g_free(when);
	}
	gtk_label_set_text(self->subtitle_label, subtitle);
	gtk_label_set_text(self->expiry_label, expiry);
	gtk_label_set_text(self->state_label, certlink_manager_entry_state_label(e));
	for (i = 0; i < G_N_ELEMENTS(state_classes); i++)
		gtk_widget_remove_css_class(GTK_WIDGET(self->state_label), state_classes[i]);
	gtk_widget_add_css_class(GTK_WIDGET(self->state_label), state_class(s));
	gtk_image_set_from_icon_name(self->icon, c ? "security-high" : "document-send");
	gtk_widget_set_visible(self->renew_button,
	                       s == CERTLINK_ENTRY_EXPIRING || s == CERTLINK_ENTRY_EXPIRED);
	/* target first: the action takes a parameter, and a name without one would not match */
	gtk_actionable_set_action_target(GTK_ACTIONABLE(self->renew_button), "s",
	                                 certlink_manager_entry_get_key(e));
	gtk_actionable_set_action_name(GTK_ACTIONABLE(self->renew_button), "certs.renew");
	/* the menu is built when it opens: a popover per bound row would make a long list slow to fill */
	g_set_object(&self->entry, e);
	gtk_menu_button_set_menu_model(self->menu_button, NULL);
	g_free(subtitle);
	g_free(expiry);
}

static void create_popup(GtkMenuButton *button, gpointer data)
{
	CertlinkManagerRow *self = CERTLINK_MANAGER_ROW(data);
	GMenuModel *menu;

	if (!self->entry)
		return;
	menu = build_menu(self->entry);
	gtk_menu_button_set_menu_model(button, menu);
	g_object_unref(menu);
}

static void certlink_manager_row_dispose(GObject *object)
{
	g_clear_object(&CERTLINK_MANAGER_ROW(object)->entry);
	G_OBJECT_CLASS(certlink_manager_row_parent_class)->dispose(object);
}

static void certlink_manager_row_class_init(CertlinkManagerRowClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->dispose = certlink_manager_row_dispose;
	certlink_manager_ui_init_class();
	gtk_widget_class_set_template_from_resource(widget_class, "/org/certlink/manager/manager-row.ui");
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, icon);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, title_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, subtitle_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, state_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, expiry_label);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, renew_button);
	gtk_widget_class_bind_template_child(widget_class, CertlinkManagerRow, menu_button);
}

static void certlink_manager_row_init(CertlinkManagerRow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	gtk_menu_button_set_create_popup_func(self->menu_button, create_popup, self, NULL);
}

GtkWidget *certlink_manager_row_new(void)
{
	return g_object_new(CERTLINK_TYPE_MANAGER_ROW, NULL);
}
