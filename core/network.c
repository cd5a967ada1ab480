/* certlink core: the profile's 802.1X networks on this computer (see network.h, docs/network.md). */
#include "network.h"

#include <libintl.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "paths.h"
#include "proto.h"
#include "text.h"
#include "tool.h"

#define ANSWER_MAX       (64 * 1024)
#define EXIT_UNAVAILABLE 3 /* certlink-netconf: no system bus, NetworkManager not running */

/* ---- the plan (pure) ---- */

static const char *identity_of(const struct cl_proto_network *n, const struct cl_network_target *t)
{
	if (n->identity[0])
		return n->identity;
	return t->cn && t->cn[0] ? t->cn : t->user_id ? t->user_id : "";
}

/* "SERVICE (SSID)" or "SERVICE (wired)", the service's name shown as it reads (text.h). */
static void conn_name(const struct cl_network_target *t, const char *ssid, char *out, size_t size)
{
	char service[160];

	cl_text_escape(t->service && t->service[0] ? t->service
	               : t->host                   ? t->host
	                                           : "certlink",
	               service, sizeof(service), 0);
	if (ssid)
		snprintf(out, size, "%s (%s)", service, ssid);
	else
		/* TRANSLATORS: the name of a wired 802.1X connection in NetworkManager; %s is the service's
		 * name */
		snprintf(out, size, dgettext("certlink", "%s (wired)"), service);
}

void cl_network_plan(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                     struct cl_network_report *report)
{
	memset(report, 0, sizeof(*report));
	for (size_t i = 0; nets && i < nets->n; i++) {
		const struct cl_proto_network *n = &nets->v[i];
		size_t count = n->kind == CL_PROTO_NET_WIFI ? n->n_ssids : 1;

		for (size_t s = 0; s < count && report->planned < CL_NETWORK_CONNECTIONS_MAX; s++) {
			struct cl_network_conn *c = &report->conns[report->planned++];
			const char *ssid = n->kind == CL_PROTO_NET_WIFI ? n->ssids[s].ssid : NULL;

			if (ssid)
				snprintf(c->key, sizeof(c->key), "wifi:%s", ssid);
			else
				snprintf(c->key, sizeof(c->key), "wired");
			conn_name(t, ssid, c->name, sizeof(c->name));
		}
	}
}

static bool add_str(cJSON *o, const char *name, const char *value)
{
	return cJSON_AddStringToObject(o, name, value) != NULL;
}

static cJSON *plan_connection(const struct cl_proto_network *n, size_t s, const struct cl_network_target *t,
                              const char *ca_path, const struct cl_network_conn *planned)
{
	cJSON *o = cJSON_CreateObject(), *list;
	bool ok = o != NULL;

	ok = ok && add_str(o, "key", planned->key) && add_str(o, "id", planned->name) &&
	     add_str(o, "type", cl_proto_net_kind_name(n->kind)) &&
	     add_str(o, "identity", identity_of(n, t)) && add_str(o, "ca_cert", ca_path) &&
	     add_str(o, "client_cert", t->cert_path) && add_str(o, "private_key", t->key_path) &&
	     cJSON_AddBoolToObject(o, "autoconnect", n->autoconnect);
	if (ok && n->kind == CL_PROTO_NET_WIFI)
		ok = add_str(o, "ssid", n->ssids[s].ssid) &&
		     cJSON_AddBoolToObject(o, "hidden", n->ssids[s].hidden) &&
		     add_str(o, "security", cl_proto_net_security_name(n->security));
	if (ok && n->domain_suffix_match[0])
		ok = add_str(o, "domain_suffix_match", n->domain_suffix_match);
	if (ok && n->n_altsubject > 0) {
		ok = (list = cJSON_AddArrayToObject(o, "altsubject_matches")) != NULL;
		for (size_t m = 0; ok && m < n->n_altsubject; m++)
			ok = cJSON_AddItemToArray(list, cJSON_CreateString(n->altsubject_matches[m]));
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *cl_network_plan_json(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                           const char *const *ca_paths, const char *owner, const struct cl_locations *reuse)
{
	struct cl_network_report names;
	cJSON *doc = cJSON_CreateObject(), *list = NULL, *uuids = NULL;
	char server[300], *text = NULL;
	int k = 0;
	bool ok;

	cl_network_plan(nets, t, &names);
	snprintf(server, sizeof(server), "%s:%d", t->host ? t->host : "", t->port);
	ok = doc && add_str(doc, "certificate", t->fingerprint) && add_str(doc, "server", server) &&
	     (owner ? add_str(doc, "owner", owner) : cJSON_AddNullToObject(doc, "owner") != NULL) &&
	     (uuids = cJSON_AddArrayToObject(doc, "reuse")) &&
	     (list = cJSON_AddArrayToObject(doc, "connections"));
	for (size_t i = 0; ok && reuse && i < reuse->n; i++)
		if (reuse->items[i].kind == CL_LOC_NM_CONNECTION)
			ok = cJSON_AddItemToArray(uuids, cJSON_CreateString(reuse->items[i].path));
	for (size_t i = 0; ok && i < nets->n; i++) {
		const struct cl_proto_network *n = &nets->v[i];
		size_t count = n->kind == CL_PROTO_NET_WIFI ? n->n_ssids : 1;

		for (size_t s = 0; ok && s < count && k < names.planned; s++, k++)
			ok = cJSON_AddItemToArray(
			    list, plan_connection(n, s, t, ca_paths[n->ca_index], &names.conns[k]));
	}
	if (ok)
		text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}

/* ---- the wpa_supplicant configuration (pure) ---- */

/* One setting: "NAME=\"VALUE\"" for printable ASCII without a quote, else hex, which wpa_supplicant reads
 * for every string setting. False when there is no room. */
static bool wpa_str(char *out, size_t size, size_t *used, const char *name, const char *value)
{
	bool plain = true;
	int n;

	for (const char *p = value; *p; p++)
		plain = plain && *p >= 0x20 && *p < 0x7f && *p != '"';
	if (plain) {
		n = snprintf(out + *used, size - *used, "\t%s=\"%s\"\n", name, value);
	} else {
		n = snprintf(out + *used, size - *used, "\t%s=", name);
		for (const unsigned char *p = (const unsigned char *)value;
		     n > 0 && *p && *used + (size_t)n < size; p++)
			n += snprintf(out + *used + n, size - *used - (size_t)n, "%02x", *p);
		if (n > 0 && *used + (size_t)n < size)
			n += snprintf(out + *used + n, size - *used - (size_t)n, "\n");
	}
	if (n < 0 || *used + (size_t)n >= size)
		return false;
	*used += (size_t)n;
	return true;
}

static bool wpa_fmt(char *out, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool wpa_fmt(char *out, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || *used + (size_t)n >= size)
		return false;
	*used += (size_t)n;
	return true;
}

static bool wpa_block(char *out, size_t size, size_t *used, const struct cl_proto_network *n, size_t s,
                      const struct cl_network_target *t, const char *ca_path)
{
	bool wifi = n->kind == CL_PROTO_NET_WIFI, wpa3 = n->security == CL_PROTO_NET_WPA3, ok;
	char matches[CL_PROTO_MATCHES_MAX * 262] = "";

	for (size_t m = 0; m < n->n_altsubject; m++)
		snprintf(matches + strlen(matches), sizeof(matches) - strlen(matches), "%s%s", m ? ";" : "",
		         n->altsubject_matches[m]);
	ok = wpa_fmt(out, size, used, "network={\n");
	if (ok && wifi)
		ok = wpa_str(out, size, used, "ssid", n->ssids[s].ssid) &&
		     (!n->ssids[s].hidden || wpa_fmt(out, size, used, "\tscan_ssid=1\n")) &&
		     wpa_fmt(out, size, used, "%s",
		             wpa3 ? "\tkey_mgmt=WPA-EAP-SHA256\n\tproto=RSN\n\tieee80211w=2\n"
		                  : "\tkey_mgmt=WPA-EAP WPA-EAP-SHA256\n\tproto=RSN\n\tieee80211w=1\n");
	else if (ok)
		ok = wpa_fmt(out, size, used, "\tkey_mgmt=IEEE8021X\n\teapol_flags=0\n");
	ok = ok && wpa_fmt(out, size, used, "\teap=TLS\n") &&
	     wpa_str(out, size, used, "identity", identity_of(n, t)) &&
	     wpa_str(out, size, used, "ca_cert", ca_path) &&
	     wpa_str(out, size, used, "client_cert", t->cert_path) &&
	     wpa_str(out, size, used, "private_key", t->key_path);
	if (ok && n->domain_suffix_match[0])
		ok = wpa_str(out, size, used, "domain_suffix_match", n->domain_suffix_match);
	if (ok && matches[0])
		ok = wpa_str(out, size, used, "altsubject_match", matches);
	if (ok && !n->autoconnect)
		ok = wpa_fmt(out, size, used, "\tdisabled=1\n");
	return ok && wpa_fmt(out, size, used, "}\n");
}

char *cl_network_wpa_conf(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                          const char *const *ca_paths, bool wired, const char *why)
{
	size_t size = 64 * 1024, used = 0;
	char *out = malloc(size), service[160];
	bool ok = out != NULL, any = false;

	cl_text_escape(t->service && t->service[0] ? t->service : t->host, service, sizeof(service), 0);
	ok = ok && wpa_fmt(out, size, &used, "# certlink: the 802.1X networks of %s", service) &&
	     wpa_fmt(out, size, &used, " for certificate %.16s (docs/network.md).\n", t->fingerprint);
	if (ok && why) {
		char line[512];
		size_t n = 0;

		for (; why[n] && n + 1 < sizeof(line); n++) /* one comment line */
			line[n] = (unsigned char)why[n] < 0x20 ? ' ' : why[n];
		line[n] = '\0';
		ok = wpa_fmt(out, size, &used, "# Not applied through NetworkManager: %s.\n", line);
	}
	if (ok && !wired)
		ok = wpa_fmt(out, size, &used, "%s",
		             "# Use:  wpa_supplicant -i WIRELESS-INTERFACE -c THIS-FILE\n"
		             "ctrl_interface=DIR=/run/wpa_supplicant\n");
	else if (ok)
		ok = wpa_fmt(out, size, &used, "%s",
		             "# Use:  wpa_supplicant -D wired -i ETHERNET-INTERFACE -c THIS-FILE\n"
		             "ctrl_interface=DIR=/run/wpa_supplicant\nap_scan=0\n");
	for (size_t i = 0; ok && i < nets->n; i++) {
		const struct cl_proto_network *n = &nets->v[i];

		if ((n->kind == CL_PROTO_NET_WIRED) != wired)
			continue;
		for (size_t s = 0; ok && s < (wired ? 1 : n->n_ssids); s++) {
			any = true;
			ok = wpa_block(out, size, &used, n, s, t, ca_paths[n->ca_index]);
		}
	}
	/* a path with a control character cannot be written into the file: no file then */
	for (const char *p = out; ok && p && *p; p++)
		ok = (unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t';
	if (!ok || !any) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- files ---- */

enum cl_status cl_network_target_paths(const struct cl_locations *locs, struct cl_network_target *t,
                                       struct cl_error *err)
{
	t->cert_path = t->key_path = t->dir = NULL;
	for (size_t i = 0; i < locs->n; i++) {
		if (locs->items[i].kind == CL_LOC_CERTIFICATE)
			t->cert_path = locs->items[i].path;
		else if (locs->items[i].kind == CL_LOC_KEY)
			t->key_path = locs->items[i].path;
	}
	if (!t->cert_path || !t->key_path)
		return cl_error_set(err, CL_E_LOCAL, "the certificate's file or key file is not recorded");
	return CL_OK;
}

static char *dir_of(const char *path)
{
	char *d = strdup(path), *slash = d ? strrchr(d, '/') : NULL;

	if (slash && slash != d)
		*slash = '\0';
	return d;
}

/* The RADIUS CAs the networks use, each as DIR/radius-ca-SHA256PREFIX.pem (public; replaced when present,
 * as on a resumed install). PATHS[i] gets the file of TRUST[i]. */
static enum cl_status write_cas(const struct cl_proto_networks *nets, const struct cl_proto_cert *trust,
                                size_t n_trust, const char *dir, char **paths, struct cl_locations *locs,
                                struct cl_error *err)
{
	enum cl_status st = CL_OK;

	for (size_t i = 0; i < nets->n && st == CL_OK; i++) {
		size_t c = nets->v[i].ca_index;
		char name[64];

		if (c >= n_trust)
			return cl_error_set(err, CL_E_UNEXPECTED, "a network's CA is not in the profile");
		if (paths[c])
			continue;
		snprintf(name, sizeof(name), "radius-ca-%02x%02x%02x%02x%02x%02x%02x%02x.pem",
		         trust[c].sha256[0], trust[c].sha256[1], trust[c].sha256[2], trust[c].sha256[3],
		         trust[c].sha256[4], trust[c].sha256[5], trust[c].sha256[6], trust[c].sha256[7]);
		paths[c] = cl_paths_join(dir, name, err);
		if (!paths[c])
			return err->status;
		st = cl_fileio_replace(paths[c], trust[c].pem, strlen(trust[c].pem), 0644, err);
		if (st == CL_OK)
			st = cl_locations_add(locs, CL_LOC_NETWORK_FILE, paths[c], NULL, err);
	}
	return st;
}

static enum cl_status write_wpa(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                                const char *dir, const char *const *paths, struct cl_locations *locs,
                                struct cl_network_report *report, struct cl_error *err)
{
	static const char *const names[2] = { "wpa_supplicant.conf", "wpa_supplicant-wired.conf" };
	enum cl_status st = CL_OK;

	for (int w = 0; w < 2 && st == CL_OK; w++) {
		char *text = cl_network_wpa_conf(nets, t, paths, w == 1, report->note), *path;

		if (!text)
			continue;
		path = cl_paths_join(dir, names[w], err);
		st = path ? cl_fileio_replace(path, text, strlen(text), 0644, err) : err->status;
		if (st == CL_OK)
			st = cl_locations_add(locs, CL_LOC_NETWORK_FILE, path, NULL, err);
		if (st == CL_OK)
			snprintf(report->wpa_file[w], sizeof(report->wpa_file[w]), "%s", path);
		free(path);
		free(text);
	}
	return st;
}

/* ---- certlink-netconf ---- */

/* Run the helper's COMMAND with INPUT; *answer is its JSON answer (caller deletes) or NULL with WHY set. */
static int run_netconf(const char *command, const char *input, cJSON **answer, char *why, size_t why_size)
{
	struct cl_error e;
	char *helper = cl_paths_tool_netconf(&e), *out = malloc(ANSWER_MAX);
	const char *argv[] = { helper, command, NULL };
	int code = -1;

	*answer = NULL;
	why[0] = '\0';
	if (!helper || !out || access(helper, X_OK) != 0) {
		snprintf(why, why_size, "%s",
		         dgettext("certlink",
		                  "certlink-netconf (certlink's NetworkManager helper) is not installed"));
		code = EXIT_UNAVAILABLE;
	} else if (cl_tool_run_io(argv, input, strlen(input), out, ANSWER_MAX, &code, &e) != CL_OK) {
		snprintf(why, why_size, "%s", e.msg);
		code = EXIT_UNAVAILABLE;
	} else {
		cJSON *doc = cJSON_Parse(out);
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");

		if (cJSON_IsString(msg))
			cl_text_escape(msg->valuestring, why, why_size, 0);
		if (cJSON_IsObject(doc))
			*answer = doc;
		else
			cJSON_Delete(doc);
		if (!*answer && !why[0])
			snprintf(why, why_size,
			         dgettext("certlink", "certlink-netconf ended with status %d and no answer"),
			         code);
	}
	free(helper);
	free(out);
	return code;
}

/* The answer's connections into the report and the locations. */
static enum cl_status take_answer(const cJSON *answer, struct cl_network_report *report,
                                  struct cl_locations *locs, struct cl_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(answer, "connections"), *c;
	enum cl_status st = CL_OK;

	cJSON_ArrayForEach(c, list)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(c, "key");
		const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(c, "uuid");
		const cJSON *action = cJSON_GetObjectItemCaseSensitive(c, "action");

		if (!cJSON_IsString(key) || !cJSON_IsString(uuid) || !cl_location_uuid_ok(uuid->valuestring))
			continue;
		for (int i = 0; i < report->planned && st == CL_OK; i++) {
			struct cl_network_conn *p = &report->conns[i];

			if (strcmp(p->key, key->valuestring) != 0 || p->uuid[0])
				continue;
			snprintf(p->uuid, sizeof(p->uuid), "%s", uuid->valuestring);
			p->updated = cJSON_IsString(action) && strcmp(action->valuestring, "updated") == 0;
			report->applied++;
			st = cl_locations_add(locs, CL_LOC_NM_CONNECTION, p->uuid, p->name, err);
		}
	}
	return st;
}

static const char *owner_name(enum cl_store_kind store, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[4096];

	if (store == CL_STORE_COMPUTER)
		return NULL;
	if (getpwuid_r(geteuid(), &pw, scratch, sizeof(scratch), &found) != 0 || !found)
		return NULL;
	snprintf(buf, size, "%s", found->pw_name);
	return buf;
}

enum cl_status cl_network_apply(const struct cl_proto_networks *nets, const struct cl_proto_cert *trust,
                                size_t n_trust, const struct cl_network_target *t,
                                const struct cl_locations *reuse, struct cl_locations *locs,
                                struct cl_network_report *report, struct cl_error *err)
{
	char *paths[CL_PROTO_CA_MAX] = { NULL }, *dir = NULL, *plan = NULL, user[256];
	const char *owner = owner_name(t->store, user, sizeof(user));
	cJSON *answer = NULL;
	const cJSON *status;
	enum cl_status st = CL_OK;
	int code;

	cl_network_plan(nets, t, report);
	if (report->planned == 0)
		return CL_OK;
	if (t->store == CL_STORE_USER && !owner)
		return cl_error_set(err, CL_E_LOCAL, "this process's user has no name");
	dir = t->dir ? strdup(t->dir) : dir_of(t->cert_path);
	st = dir ? write_cas(nets, trust, n_trust, dir, paths, locs, err)
	         : cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (st == CL_OK && !(plan = cl_network_plan_json(nets, t, (const char *const *)paths, owner, reuse)))
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (st == CL_OK) {
		code = run_netconf("apply", plan, &answer, report->note, sizeof(report->note));
		status = cJSON_GetObjectItemCaseSensitive(answer, "status");
		if (code == 0 && cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0)
			st = take_answer(answer, report, locs, err);
		else
			st = write_wpa(nets, t, dir, (const char *const *)paths, locs, report, err);
		if (code == 0 && report->applied < report->planned && !report->note[0])
			snprintf(report->note, sizeof(report->note), "%s",
			         dgettext("certlink", "NetworkManager did not report every connection"));
	}
	cJSON_Delete(answer);
	for (size_t i = 0; i < CL_PROTO_CA_MAX; i++)
		free(paths[i]);
	free(plan);
	free(dir);
	return st;
}

enum cl_status cl_network_remove(const struct cl_location *loc, struct cl_error *err)
{
	cJSON *doc = cJSON_CreateObject(), *list = doc ? cJSON_AddArrayToObject(doc, "connections") : NULL,
	      *one = cJSON_CreateObject(), *answer = NULL;
	char *input = NULL, why[512];
	const cJSON *status;
	int code = -1;

	if (list && one && cJSON_AddStringToObject(one, "uuid", loc->path) &&
	    cJSON_AddItemToArray(list, one)) {
		one = NULL;
		input = cJSON_PrintUnformatted(doc);
	}
	cJSON_Delete(one);
	cJSON_Delete(doc);
	if (!input)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	code = run_netconf("delete", input, &answer, why, sizeof(why));
	cJSON_free(input);
	status = cJSON_GetObjectItemCaseSensitive(answer, "status");
	if (code == 0 && cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0) {
		cJSON_Delete(answer);
		return CL_OK;
	}
	cJSON_Delete(answer);
	return cl_error_set(err, CL_E_LOCAL,
	                    "the NetworkManager connection \"%s\" (%s) could not be removed: %s",
	                    loc->nickname ? loc->nickname : "", loc->path, why);
}
