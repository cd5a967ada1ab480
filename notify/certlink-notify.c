/* certlink-notify: shows desktop notifications for `certlink check-expiry` and acts on clicks, and the
 * result of a zero-touch `certlink enroll`, `activate` or `renew`.
 *
 *   certlink-notify [--app-name NAME] --run PROGRAM [--wait SECONDS] -- SERIAL SUMMARY BODY ...
 *   certlink-notify [--app-name NAME] --info [--result] -- KEY SUMMARY BODY ...
 *
 * Talks org.freedesktop.Notifications on the session bus with GDBus (no GTK). For each triple it sends one
 * notification whose default action (a click) and "Renew" button run `PROGRAM --renew SERIAL` (no shell).
 * It prints "sent SERIAL" for each notification the service accepted, then closes standard output so its
 * caller can record them, and stays until every notification is closed, or SECONDS have passed. With
 * --info the notifications have no actions and it exits as soon as they are sent (the command line runs
 * it as the person it tells, from a root script that must not wait for a click). --result: the result of a
 * zero-touch run, which the person may have turned off (their settings' notify_result, core/settings.h,
 * certlink-manager's settings page): then nothing is sent and it prints "off KEY" for each.
 * Exit status: 0 sent (some or all), 2 bad arguments, 3 no session bus or notification service.
 * The texts come translated from check-expiry; the body is escaped for servers that read markup in it.
 */
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "settings.h"

#define EXIT_USAGE      2
#define EXIT_NO_SERVICE 3

struct shown {
	guint32 id;
	char *serial;
	gboolean closed;
};

struct state {
	GMainLoop *loop;
	const char *program;
	GPtrArray *shown; /* struct shown */
};

static void shown_free(gpointer p)
{
	struct shown *s = p;

	g_free(s->serial);
	g_free(s);
}

static struct shown *find(struct state *st, guint32 id)
{
	for (guint i = 0; i < st->shown->len; i++) {
		struct shown *s = g_ptr_array_index(st->shown, i);

		if (s->id == id)
			return s;
	}
	return NULL;
}

static void quit_when_all_closed(struct state *st)
{
	for (guint i = 0; i < st->shown->len; i++)
		if (!((struct shown *)g_ptr_array_index(st->shown, i))->closed)
			return;
	g_main_loop_quit(st->loop);
}

static void run_renewal(struct state *st, const char *serial)
{
	const char *argv[] = { st->program, "--renew", serial, NULL };
	GError *error = NULL;

	if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &error)) {
		g_printerr("certlink-notify: %s: %s\n", st->program, error->message);
		g_error_free(error);
	}
}

static void on_signal(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                      const char *name, GVariant *params, gpointer data)
{
	struct state *st = data;
	struct shown *s;
	guint32 id = 0, reason = 0;
	const char *action = NULL;

	if (g_strcmp0(name, "ActionInvoked") == 0 && g_variant_is_of_type(params, G_VARIANT_TYPE("(us)"))) {
		g_variant_get(params, "(u&s)", &id, &action);
		s = find(st, id);
		if (s && (g_strcmp0(action, "default") == 0 || g_strcmp0(action, "renew") == 0))
			run_renewal(st, s->serial);
	} else if (g_strcmp0(name, "NotificationClosed") == 0 &&
	           g_variant_is_of_type(params, G_VARIANT_TYPE("(uu)"))) {
		g_variant_get(params, "(uu)", &id, &reason);
		s = find(st, id);
		if (s) {
			s->closed = TRUE;
			quit_when_all_closed(st);
		}
	}
}

static gboolean on_timeout(gpointer data)
{
	g_main_loop_quit(((struct state *)data)->loop);
	return G_SOURCE_REMOVE;
}

/* Whether the server reads markup in bodies (then text must be escaped; else it is shown as it is). */
static gboolean body_markup(GDBusConnection *bus)
{
	GVariant *reply = g_dbus_connection_call_sync(
	    bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
	    "org.freedesktop.Notifications", "GetCapabilities", NULL, G_VARIANT_TYPE("(as)"),
	    G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
	const char **caps = NULL;
	gboolean markup = FALSE;

	if (!reply)
		return TRUE; /* unknown: escaping is the safe side */
	g_variant_get(reply, "(^a&s)", &caps);
	for (size_t i = 0; caps && caps[i]; i++)
		markup |= g_strcmp0(caps[i], "body-markup") == 0;
	g_free(caps);
	g_variant_unref(reply);
	return markup;
}

/* One Notify call; the id, or 0 when the service refused or is missing. */
static guint32 send_one(GDBusConnection *bus, const char *app, const char *summary, const char *body,
                        gboolean markup, gboolean renew, GError **error)
{
	GVariantBuilder actions, hints;
	char *escaped = markup ? g_markup_escape_text(body, -1) : g_strdup(body);
	GVariant *reply;
	guint32 id = 0;

	g_variant_builder_init(&actions, G_VARIANT_TYPE("as"));
	if (renew) {
		g_variant_builder_add(&actions, "s", "default");
		g_variant_builder_add(&actions, "s", _("Renew"));
		g_variant_builder_add(&actions, "s", "renew");
		g_variant_builder_add(&actions, "s", _("Renew"));
	}
	g_variant_builder_init(&hints, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&hints, "{sv}", "urgency", g_variant_new_byte(1));
	g_variant_builder_add(&hints, "{sv}", "desktop-entry", g_variant_new_string("certlink-manager"));
	reply = g_dbus_connection_call_sync(
	    bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
	    "org.freedesktop.Notifications", "Notify",
	    g_variant_new("(susssasa{sv}i)", app, 0, "security-medium", summary, escaped, &actions, &hints,
	                  -1),
	    G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
	g_free(escaped);
	if (reply) {
		g_variant_get(reply, "(u)", &id);
		g_variant_unref(reply);
	}
	return id;
}

int main(int argc, char **argv)
{
	const char *app = "certlink", *localedir = g_getenv("CERTLINK_LOCALEDIR");
	struct state st = { NULL, NULL, NULL };
	GDBusConnection *bus;
	GError *error = NULL;
	gboolean markup, info = FALSE, result = FALSE;
	long wait = 3600;
	int i, sent = 0;
	guint sub;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, localedir && localedir[0] == '/' ? localedir : CERTLINK_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--app-name") == 0 && i + 1 < argc)
			app = argv[++i];
		else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc)
			st.program = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--info") == 0)
			info = TRUE;
		else if (strcmp(argv[i], "--result") == 0)
			result = TRUE;
		else
			break;
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || (info ? st.program != NULL : !st.program) ||
	    (result && !info) || (st.program && st.program[0] != '/') || (argc - i - 1) % 3 != 0 ||
	    wait < 0) {
		g_printerr("usage: certlink-notify [--app-name NAME] --run /PROGRAM [--wait SECONDS] -- "
		           "SERIAL SUMMARY BODY ...\n"
		           "       certlink-notify [--app-name NAME] --info [--result] -- KEY SUMMARY BODY "
		           "...\n");
		return EXIT_USAGE;
	}
	if (result) {
		struct cl_settings s;
		struct cl_error err;

		/* a damaged file leaves what the layers below it gave (the default: on), as everywhere */
		if (cl_settings_load(&s, &err) != CL_OK)
			g_printerr("certlink-notify: %s\n", err.msg);
		if (!s.notify_result) {
			for (i = i + 1; i + 2 < argc; i += 3)
				printf("off %s\n", argv[i]);
			return 0;
		}
	}
	if (info)
		wait = 0; /* no actions: nothing to wait for */
	bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	if (!bus) {
		g_printerr("certlink-notify: no session bus: %s\n", error->message);
		g_error_free(error);
		return EXIT_NO_SERVICE;
	}
	st.loop = g_main_loop_new(NULL, FALSE);
	st.shown = g_ptr_array_new_with_free_func(shown_free);
	/* subscribe before sending, so a click right away is not missed */
	sub = g_dbus_connection_signal_subscribe(bus, NULL, "org.freedesktop.Notifications", NULL,
	                                         "/org/freedesktop/Notifications", NULL,
	                                         G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &st, NULL);
	markup = body_markup(bus);
	for (i = i + 1; i + 2 < argc; i += 3) {
		guint32 id = send_one(bus, app, argv[i + 1], argv[i + 2], markup, !info, &error);
		struct shown *s;

		if (!id) {
			g_printerr("certlink-notify: %s\n", error ? error->message : "no notification id");
			g_clear_error(&error);
			continue;
		}
		s = g_new0(struct shown, 1);
		s->id = id;
		s->serial = g_strdup(argv[i]);
		g_ptr_array_add(st.shown, s);
		printf("sent %s\n", argv[i]);
		sent++;
	}
	fflush(stdout);
	/* the caller reads until end of file, then records what was sent */
	if (freopen("/dev/null", "w", stdout) == NULL)
		close(STDOUT_FILENO);
	if (sent > 0 && wait > 0) {
		g_timeout_add_seconds((guint)wait, on_timeout, &st);
		g_main_loop_run(st.loop);
	}
	g_dbus_connection_signal_unsubscribe(bus, sub);
	g_ptr_array_unref(st.shown);
	g_main_loop_unref(st.loop);
	g_object_unref(bus);
	return sent > 0 ? 0 : EXIT_NO_SERVICE;
}
