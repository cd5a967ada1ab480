/* certlink-netconf: the profile's 802.1X networks as NetworkManager connections, through libnm.
 *
 *   certlink-netconf apply  < PLAN        create or update the plan's connections (docs/network.md)
 *   certlink-netconf delete < {"connections": [{"uuid": UUID}, ...]}
 *   certlink-netconf list                 certlink's connections this caller can see
 *
 * A separate program so that core/ and the `certlink` command line stay free of GLib (core/network.c runs
 * it; docs/network.md describes the plan and the answer). Nothing secret passes through it: the plan holds
 * file paths, and NetworkManager reads the certificate, the key and the RADIUS CA from those files. Input is
 * one JSON document on standard input (at most 256 KiB); the answer is one JSON document on standard output:
 *   {"status": "ok", "connections": [{"key", "uuid", "id", "action": "added"|"updated"|"deleted"|"gone"|
 *                                      "not-certlink"}]}
 *   {"status": "unavailable", "message": ...}   exit 3: no system bus, or NetworkManager is not running
 *   {"status": "error", "message": ...}         exit 1: NetworkManager refused (what this run added is
 *                                               deleted again), or the input is not a plan
 * Exit 2: bad arguments.
 *
 * Connections are tagged as certlink's with user data (org.certlink.certificate: the certificate's SHA-256,
 * org.certlink.server: host:port, org.certlink.network: which network of the profile). An update or a delete
 * touches only a connection that carries that tag (an update also needs the same server): a UUID from a
 * records file never makes certlink change a connection someone else made.
 */
#include <cjson/cJSON.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <NetworkManager.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_FAILED      1
#define EXIT_USAGE       2
#define EXIT_UNAVAILABLE 3
#define INPUT_MAX        (256 * 1024)
#define CALL_TIMEOUT_S   90

#define TAG_CERTIFICATE "org.certlink.certificate"
#define TAG_SERVER      "org.certlink.server"
#define TAG_NETWORK     "org.certlink.network"

/* ---- waiting for one asynchronous libnm call ---- */

struct wait {
	GMainLoop *loop;
	GAsyncResult *result;
	gboolean timed_out;
};

static void wait_done(GObject *source, GAsyncResult *result, gpointer data)
{
	struct wait *w = data;

	w->result = g_object_ref(result);
	g_main_loop_quit(w->loop);
}

static gboolean wait_timeout(gpointer data)
{
	struct wait *w = data;

	w->timed_out = TRUE;
	g_main_loop_quit(w->loop);
	return G_SOURCE_REMOVE;
}

static void wait_run(struct wait *w)
{
	guint id = g_timeout_add_seconds(CALL_TIMEOUT_S, wait_timeout, w);

	g_main_loop_run(w->loop);
	if (!w->timed_out)
		g_source_remove(id);
}

/* ---- output ---- */

static int answer(cJSON *doc, int code)
{
	char *text = cJSON_PrintUnformatted(doc);

	if (text) {
		fputs(text, stdout);
		fputc('\n', stdout);
		cJSON_free(text);
	}
	cJSON_Delete(doc);
	return code;
}

static int answer_status(const char *status, const char *message, cJSON *connections, int code)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "status", status);
	if (message)
		cJSON_AddStringToObject(doc, "message", message);
	if (connections)
		cJSON_AddItemToObject(doc, "connections", connections);
	return answer(doc, code);
}

static void add_outcome(cJSON *list, const char *key, const char *uuid, const char *id, const char *action)
{
	cJSON *o = cJSON_CreateObject();

	if (key)
		cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "uuid", uuid);
	if (id)
		cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "action", action);
	cJSON_AddItemToArray(list, o);
}

/* ---- input ---- */

static cJSON *read_input(GError **error)
{
	GString *buf = g_string_new(NULL);
	char chunk[4096];
	size_t n;
	cJSON *doc;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (buf->len + n > INPUT_MAX) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			            _("the input is over %d octets"), INPUT_MAX);
			g_string_free(buf, TRUE);
			return NULL;
		}
		g_string_append_len(buf, chunk, (gssize)n);
	}
	doc = cJSON_ParseWithLength(buf->str, buf->len);
	g_string_free(buf, TRUE);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("the input is not a JSON object"));
		return NULL;
	}
	return doc;
}

static const char *str_of(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static gboolean bool_of(const cJSON *o, const char *name, gboolean def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

/* ---- NetworkManager ---- */

static NMClient *connect_nm(char **why)
{
	GError *error = NULL;
	NMClient *client = nm_client_new(NULL, &error);

	if (!client) {
		*why = g_strdup_printf(_("no system bus: %s"), error->message);
		g_error_free(error);
		return NULL;
	}
	if (!nm_client_get_nm_running(client)) {
		*why = g_strdup(_("NetworkManager is not running"));
		g_object_unref(client);
		return NULL;
	}
	return client;
}

static const char *tag_of(NMConnection *c, const char *key)
{
	NMSettingUser *u = NM_SETTING_USER(nm_connection_get_setting(c, NM_TYPE_SETTING_USER));

	return u ? nm_setting_user_get_data(u, key) : NULL;
}

/* ---- building one connection ---- */

static gboolean set_cert(NMSetting8021x *x, const char *which, const char *path, GError **error)
{
	if (!path || path[0] != '/') {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("\"%s\" is not an absolute path"),
		            which);
		return FALSE;
	}
	if (!strcmp(which, "ca_cert"))
		return nm_setting_802_1x_set_ca_cert(x, path, NM_SETTING_802_1X_CK_SCHEME_PATH, NULL, error);
	if (!strcmp(which, "client_cert"))
		return nm_setting_802_1x_set_client_cert(x, path, NM_SETTING_802_1X_CK_SCHEME_PATH, NULL,
		                                         error);
	/* An unencrypted key: there is no password, so none is asked for or stored (docs/network.md). */
	if (!nm_setting_802_1x_set_private_key(x, path, NULL, NM_SETTING_802_1X_CK_SCHEME_PATH, NULL, error))
		return FALSE;
	g_object_set(x, NM_SETTING_802_1X_PRIVATE_KEY_PASSWORD_FLAGS, NM_SETTING_SECRET_FLAG_NOT_REQUIRED,
	             NULL);
	return TRUE;
}

static NMSetting *eap_setting(const cJSON *c, GError **error)
{
	NMSetting8021x *x = NM_SETTING_802_1X(nm_setting_802_1x_new());
	const cJSON *matches = cJSON_GetObjectItemCaseSensitive(c, "altsubject_matches"), *m;
	const char *suffix = str_of(c, "domain_suffix_match");

	nm_setting_802_1x_add_eap_method(x, "tls");
	g_object_set(x, NM_SETTING_802_1X_IDENTITY, str_of(c, "identity"), NULL);
	if (suffix && *suffix)
		g_object_set(x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH, suffix, NULL);
	cJSON_ArrayForEach(m, matches) if (cJSON_IsString(m))
	    nm_setting_802_1x_add_altsubject_match(x, m->valuestring);
	if (!set_cert(x, "ca_cert", str_of(c, "ca_cert"), error) ||
	    !set_cert(x, "client_cert", str_of(c, "client_cert"), error) ||
	    !set_cert(x, "private_key", str_of(c, "private_key"), error)) {
		g_object_unref(x);
		return NULL;
	}
	return NM_SETTING(x);
}

static void add_wifi(NMConnection *conn, const cJSON *c)
{
	NMSetting *w = nm_setting_wireless_new(), *sec = nm_setting_wireless_security_new();
	const char *ssid = str_of(c, "ssid");
	GBytes *bytes = g_bytes_new(ssid, strlen(ssid));
	gboolean wpa3 = g_strcmp0(str_of(c, "security"), "wpa3-enterprise") == 0;

	g_object_set(w, NM_SETTING_WIRELESS_SSID, bytes, NM_SETTING_WIRELESS_MODE,
	             NM_SETTING_WIRELESS_MODE_INFRA, NM_SETTING_WIRELESS_HIDDEN, bool_of(c, "hidden", FALSE),
	             NULL);
	g_bytes_unref(bytes);
	/* WPA3-Enterprise: RSN with protected management frames required (NetworkManager then offers the
	 * SHA-256 key management too); WPA2-Enterprise: RSN, frames protected where the network can. */
	g_object_set(sec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT, "wpa-eap", NM_SETTING_WIRELESS_SECURITY_PMF,
	             wpa3 ? NM_SETTING_WIRELESS_SECURITY_PMF_REQUIRED
	                  : NM_SETTING_WIRELESS_SECURITY_PMF_OPTIONAL,
	             NULL);
	nm_setting_wireless_security_add_proto(NM_SETTING_WIRELESS_SECURITY(sec), "rsn");
	nm_connection_add_setting(conn, w);
	nm_connection_add_setting(conn, sec);
}

static NMConnection *build(const cJSON *plan, const cJSON *c, const char *uuid, GError **error)
{
	NMConnection *conn = nm_simple_connection_new();
	NMSetting *s = nm_setting_connection_new(), *u = nm_setting_user_new(), *x;
	const char *type = str_of(c, "type"), *owner = str_of(plan, "owner"), *id = str_of(c, "id");
	gboolean wifi = g_strcmp0(type, "wifi") == 0;
	char *fresh = uuid ? NULL : nm_utils_uuid_generate();

	if ((!wifi && g_strcmp0(type, "wired") != 0) || !id || !*id || (wifi && !str_of(c, "ssid")) ||
	    !str_of(c, "key") || !str_of(c, "identity")) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            _("a connection of the plan is incomplete"));
		goto fail;
	}
	g_object_set(s, NM_SETTING_CONNECTION_ID, id, NM_SETTING_CONNECTION_UUID, uuid ? uuid : fresh,
	             NM_SETTING_CONNECTION_TYPE,
	             wifi ? NM_SETTING_WIRELESS_SETTING_NAME : NM_SETTING_WIRED_SETTING_NAME,
	             NM_SETTING_CONNECTION_AUTOCONNECT, bool_of(c, "autoconnect", TRUE), NULL);
	/* The user store: only that user may use (and see) the connection. The computer store: everyone. */
	if (owner && *owner &&
	    !nm_setting_connection_add_permission(NM_SETTING_CONNECTION(s), "user", owner, NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("bad owner \"%s\""), owner);
		goto fail;
	}
	nm_connection_add_setting(conn, s);
	s = NULL;
	if (!nm_setting_user_set_data(NM_SETTING_USER(u), TAG_CERTIFICATE, str_of(plan, "certificate"),
	                              error) ||
	    !nm_setting_user_set_data(NM_SETTING_USER(u), TAG_SERVER, str_of(plan, "server"), error) ||
	    !nm_setting_user_set_data(NM_SETTING_USER(u), TAG_NETWORK, str_of(c, "key"), error))
		goto fail;
	nm_connection_add_setting(conn, u);
	u = NULL;
	if (wifi)
		add_wifi(conn, c);
	else
		nm_connection_add_setting(conn, nm_setting_wired_new());
	if (!(x = eap_setting(c, error)))
		goto fail;
	nm_connection_add_setting(conn, x);
	if (!nm_connection_normalize(conn, NULL, NULL, error))
		goto fail;
	g_free(fresh);
	return conn;
fail:
	if (s)
		g_object_unref(s);
	if (u)
		g_object_unref(u);
	g_object_unref(conn);
	g_free(fresh);
	return NULL;
}

/* ---- apply ---- */

static NMRemoteConnection *add_one(NMClient *client, GMainLoop *loop, NMConnection *conn, GError **error)
{
	struct wait w = { loop, NULL, FALSE };
	NMRemoteConnection *remote;

	nm_client_add_connection_async(client, conn, TRUE, NULL, wait_done, &w);
	wait_run(&w);
	if (w.timed_out) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("NetworkManager did not answer"));
		return NULL;
	}
	remote = nm_client_add_connection_finish(client, w.result, error);
	g_object_unref(w.result);
	return remote;
}

static gboolean update_one(NMRemoteConnection *remote, GMainLoop *loop, NMConnection *conn, GError **error)
{
	struct wait w = { loop, NULL, FALSE };
	GVariant *settings = nm_connection_to_dbus(conn, NM_CONNECTION_SERIALIZE_ALL);
	GVariant *out;

	nm_remote_connection_update2(remote, settings, NM_SETTINGS_UPDATE2_FLAG_TO_DISK, NULL, NULL,
	                             wait_done, &w);
	wait_run(&w);
	if (w.timed_out) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("NetworkManager did not answer"));
		return FALSE;
	}
	out = nm_remote_connection_update2_finish(remote, w.result, error);
	g_object_unref(w.result);
	if (out)
		g_variant_unref(out);
	return out != NULL;
}

static gboolean delete_one(NMRemoteConnection *remote, GMainLoop *loop, GError **error)
{
	struct wait w = { loop, NULL, FALSE };
	gboolean ok;

	nm_remote_connection_delete_async(remote, NULL, wait_done, &w);
	wait_run(&w);
	if (w.timed_out) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("NetworkManager did not answer"));
		return FALSE;
	}
	ok = nm_remote_connection_delete_finish(remote, w.result, error);
	g_object_unref(w.result);
	return ok;
}

/* The connection to update for network KEY: one of the plan's "reuse" UUIDs (this certificate's
 * connections on a resumed install, the renewed certificate's on a renewal) that is certlink's, from the
 * same server and for the same network. NULL when there is none: the connection is added instead. */
static NMRemoteConnection *updatable(NMClient *client, const cJSON *plan, const char *key)
{
	const cJSON *reuse = cJSON_GetObjectItemCaseSensitive(plan, "reuse"), *u;

	cJSON_ArrayForEach(u, reuse)
	{
		NMRemoteConnection *r =
		    cJSON_IsString(u) ? nm_client_get_connection_by_uuid(client, u->valuestring) : NULL;

		if (r && tag_of(NM_CONNECTION(r), TAG_CERTIFICATE) &&
		    g_strcmp0(tag_of(NM_CONNECTION(r), TAG_SERVER), str_of(plan, "server")) == 0 &&
		    g_strcmp0(tag_of(NM_CONNECTION(r), TAG_NETWORK), key) == 0)
			return r;
	}
	return NULL;
}

/* ---- an update keeps what certlink does not set ---- */

/* Copy FROM's writable properties other than OWN (NULL-terminated) into TO, a setting of the same type. */
static void copy_properties(NMSetting *to, NMSetting *from, const char *const *own)
{
	guint n = 0;
	GParamSpec **props = g_object_class_list_properties(G_OBJECT_GET_CLASS(from), &n);

	for (guint i = 0; i < n; i++) {
		const GParamSpec *p = props[i];
		GValue v = G_VALUE_INIT;

		if (!(p->flags & G_PARAM_WRITABLE) || (p->flags & G_PARAM_CONSTRUCT_ONLY) ||
		    g_strv_contains(own, p->name))
			continue;
		g_value_init(&v, p->value_type);
		g_object_get_property(G_OBJECT(from), p->name, &v);
		g_object_set_property(G_OBJECT(to), p->name, &v);
		g_value_unset(&v);
	}
	g_free(props);
}

/* FRESH, the connection as the plan makes it, with what the person (or an administrator) set on OLD that
 * certlink does not own: whole settings certlink never sets (IPv4, IPv6, proxy, ...), and in the settings it
 * shares the properties it does not set (say connection.zone or 802-11-wireless.cloned-mac-address). The
 * 802.1X, wireless-security and user settings are certlink's alone. */
static void keep_theirs(NMConnection *fresh, NMConnection *old)
{
	static const char *const own_connection[] = {
		NM_SETTING_CONNECTION_ID,          NM_SETTING_CONNECTION_UUID,
		NM_SETTING_CONNECTION_TYPE,        NM_SETTING_CONNECTION_AUTOCONNECT,
		NM_SETTING_CONNECTION_PERMISSIONS, NULL
	};
	static const char *const own_wireless[] = { NM_SETTING_WIRELESS_SSID, NM_SETTING_WIRELESS_HIDDEN,
		                                    NM_SETTING_WIRELESS_MODE, NULL };
	guint n = 0;
	NMSetting **all = nm_connection_get_settings(old, &n);

	for (guint i = 0; i < n; i++) {
		const char *name = nm_setting_get_name(all[i]);
		NMSetting *mine = nm_connection_get_setting_by_name(fresh, name);

		if (!strcmp(name, NM_SETTING_802_1X_SETTING_NAME) ||
		    !strcmp(name, NM_SETTING_WIRELESS_SECURITY_SETTING_NAME) ||
		    !strcmp(name, NM_SETTING_USER_SETTING_NAME))
			continue;
		if (mine && !strcmp(name, NM_SETTING_CONNECTION_SETTING_NAME))
			copy_properties(mine, all[i], own_connection);
		else if (mine && !strcmp(name, NM_SETTING_WIRELESS_SETTING_NAME))
			copy_properties(mine, all[i], own_wireless);
		else /* theirs whole (it replaces the default the plan's connection got when normalized) */
			nm_connection_add_setting(fresh, nm_setting_duplicate(all[i]));
	}
	g_free(all);
}

/* Take out what this run added, after a refusal: nothing half-made stays behind. */
static void roll_back(NMClient *client, GMainLoop *loop, GPtrArray *added)
{
	for (guint i = 0; i < added->len; i++) {
		NMRemoteConnection *r = nm_client_get_connection_by_uuid(client, g_ptr_array_index(added, i));

		if (r)
			delete_one(r, loop, NULL);
	}
}

static int apply(NMClient *client, GMainLoop *loop, const cJSON *plan)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(plan, "connections"), *c;
	cJSON *done = cJSON_CreateArray();
	GPtrArray *added = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	int rc = 0;

	if (!cJSON_IsArray(list) || !str_of(plan, "certificate") || !str_of(plan, "server")) {
		cJSON_Delete(done);
		g_ptr_array_free(added, TRUE);
		return answer_status("error", _("the input is not a plan"), NULL, EXIT_FAILED);
	}
	cJSON_ArrayForEach(c, list)
	{
		NMRemoteConnection *old = updatable(client, plan, str_of(c, "key"));
		NMConnection *conn =
		    build(plan, c, old ? nm_connection_get_uuid(NM_CONNECTION(old)) : NULL, &error);
		NMRemoteConnection *made = NULL;

		if (conn && old)
			keep_theirs(conn, NM_CONNECTION(old));
		if (conn && old && update_one(old, loop, conn, &error)) {
			add_outcome(done, str_of(c, "key"), nm_connection_get_uuid(conn), str_of(c, "id"),
			            "updated");
		} else if (conn && !old && (made = add_one(client, loop, conn, &error))) {
			g_ptr_array_add(added, g_strdup(nm_connection_get_uuid(NM_CONNECTION(made))));
			add_outcome(done, str_of(c, "key"), nm_connection_get_uuid(NM_CONNECTION(made)),
			            str_of(c, "id"), "added");
			g_object_unref(made);
		} else {
			rc = EXIT_FAILED;
		}
		if (conn)
			g_object_unref(conn);
		if (rc)
			break;
	}
	if (rc) {
		char *msg = g_strdup_printf(_("connection \"%s\": %s"), c ? str_of(c, "id") : "?",
		                            error ? error->message : "?");

		roll_back(client, loop, added);
		rc = answer_status("error", msg, done, EXIT_FAILED);
		g_free(msg);
	} else {
		rc = answer_status("ok", NULL, done, 0);
	}
	g_clear_error(&error);
	g_ptr_array_free(added, TRUE);
	return rc;
}

/* ---- delete ---- */

static int delete_all(NMClient *client, GMainLoop *loop, const cJSON *doc)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "connections"), *c;
	cJSON *done = cJSON_CreateArray();
	GError *error = NULL;

	if (!cJSON_IsArray(list)) {
		cJSON_Delete(done);
		return answer_status("error", _("the input lists no connections"), NULL, EXIT_FAILED);
	}
	cJSON_ArrayForEach(c, list)
	{
		const char *uuid = str_of(c, "uuid");
		NMRemoteConnection *r = uuid ? nm_client_get_connection_by_uuid(client, uuid) : NULL;

		char *id;

		if (!uuid)
			continue;
		if (!r) {
			add_outcome(done, NULL, uuid, NULL, "gone");
			continue;
		}
		/* the client drops its object when NetworkManager reports the deletion: keep what is needed
		 */
		g_object_ref(r);
		id = g_strdup(nm_connection_get_id(NM_CONNECTION(r)));
		if (!tag_of(NM_CONNECTION(r), TAG_CERTIFICATE)) {
			/* recorded, but not certlink's: left alone */
			add_outcome(done, NULL, uuid, id, "not-certlink");
		} else if (delete_one(r, loop, &error)) {
			add_outcome(done, NULL, uuid, id, "deleted");
		} else {
			char *msg = g_strdup_printf(_("connection \"%s\": %s"), id, error->message);
			int rc = answer_status("error", msg, done, EXIT_FAILED);

			g_free(msg);
			g_free(id);
			g_error_free(error);
			g_object_unref(r);
			return rc;
		}
		g_free(id);
		g_object_unref(r);
	}
	return answer_status("ok", NULL, done, 0);
}

/* ---- list ---- */

static char *cert_path(NMSetting8021x *x, const char *which)
{
	if (!strcmp(which, "ca") &&
	    nm_setting_802_1x_get_ca_cert_scheme(x) == NM_SETTING_802_1X_CK_SCHEME_PATH)
		return g_strdup(nm_setting_802_1x_get_ca_cert_path(x));
	if (!strcmp(which, "client") &&
	    nm_setting_802_1x_get_client_cert_scheme(x) == NM_SETTING_802_1X_CK_SCHEME_PATH)
		return g_strdup(nm_setting_802_1x_get_client_cert_path(x));
	if (!strcmp(which, "key") &&
	    nm_setting_802_1x_get_private_key_scheme(x) == NM_SETTING_802_1X_CK_SCHEME_PATH)
		return g_strdup(nm_setting_802_1x_get_private_key_path(x));
	return NULL;
}

static int list(NMClient *client)
{
	const GPtrArray *all = nm_client_get_connections(client);
	cJSON *out = cJSON_CreateArray();

	for (guint i = 0; i < all->len; i++) {
		NMConnection *c = NM_CONNECTION(g_ptr_array_index(all, i));
		NMSetting8021x *x = nm_connection_get_setting_802_1x(c);
		cJSON *o;
		char *p;

		if (!tag_of(c, TAG_CERTIFICATE))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "uuid", nm_connection_get_uuid(c));
		cJSON_AddStringToObject(o, "id", nm_connection_get_id(c));
		cJSON_AddStringToObject(o, "type", nm_connection_get_connection_type(c));
		cJSON_AddStringToObject(o, "certificate", tag_of(c, TAG_CERTIFICATE));
		if (tag_of(c, TAG_SERVER))
			cJSON_AddStringToObject(o, "server", tag_of(c, TAG_SERVER));
		if (tag_of(c, TAG_NETWORK))
			cJSON_AddStringToObject(o, "network", tag_of(c, TAG_NETWORK));
		if (x && (p = cert_path(x, "client"))) {
			cJSON_AddStringToObject(o, "client_cert", p);
			g_free(p);
		}
		cJSON_AddItemToArray(out, o);
	}
	return answer_status("ok", NULL, out, 0);
}

int main(int argc, char **argv)
{
	const char *localedir = getenv("CERTLINK_LOCALEDIR");
	GMainLoop *loop;
	NMClient *client;
	GError *error = NULL;
	cJSON *doc = NULL;
	char *why = NULL;
	int rc;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, localedir && localedir[0] == '/' ? localedir : CERTLINK_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	if (argc != 2 || (strcmp(argv[1], "apply") && strcmp(argv[1], "delete") && strcmp(argv[1], "list"))) {
		fprintf(stderr,
		        "usage: certlink-netconf apply|delete|list  (a JSON document on standard input)\n");
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "list") != 0 && !(doc = read_input(&error))) {
		rc = answer_status("error", error->message, NULL, EXIT_FAILED);
		g_error_free(error);
		return rc;
	}
	client = connect_nm(&why);
	if (!client) {
		rc = answer_status("unavailable", why, NULL, EXIT_UNAVAILABLE);
		g_free(why);
		cJSON_Delete(doc);
		return rc;
	}
	loop = g_main_loop_new(NULL, FALSE);
	if (!strcmp(argv[1], "apply"))
		rc = apply(client, loop, doc);
	else if (!strcmp(argv[1], "delete"))
		rc = delete_all(client, loop, doc);
	else
		rc = list(client);
	g_main_loop_unref(loop);
	g_object_unref(client);
	cJSON_Delete(doc);
	return rc;
}
