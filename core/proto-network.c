/* certlink core: the profile's 802.1X networks (docs/protocol.md section 6), parsed from an activation
 * reply (proto-reply.c) or a profile document on its own.
 *
 * Pure: a cJSON node in, struct cl_proto_networks out. Every member is capped and checked; a network whose
 * RADIUS CA is not one the same profile delivers, or that names no server-name check, is refused with a
 * message saying why: a connection that does not check the RADIUS server's certificate can be captured by
 * any access point with the same name, which is the mistake this profile exists to prevent.
 */
#include "proto-private.h"

#include <ctype.h>
#include <libintl.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "json.h"
#include "text.h"

#define REQ    CL_JSON_REQUIRED
#define NULLOK CL_JSON_NULLABLE

static const char *const kind_names[] = { "wifi", "wired", NULL };
static const char *const security_names[] = { "wpa2-enterprise", "wpa3-enterprise", NULL };

const char *cl_proto_net_kind_name(enum cl_proto_net_kind kind)
{
	return kind == CL_PROTO_NET_WIRED ? "wired" : "wifi";
}

const char *cl_proto_net_security_name(enum cl_proto_net_security security)
{
	return security == CL_PROTO_NET_WPA3 ? "wpa3-enterprise" : "wpa2-enterprise";
}

/* Which network the message is about: "profile.networks[1]". */
struct where {
	char name[48];
};

/* WHAT is translated here (po/update-pot.cmake extracts it: keyword cl_net_refuse), so the message reads as
 * one language. */
static enum cl_status cl_net_refuse(struct cl_error *err, const struct where *w, const char *what)
{
	return cl_json_bad(err, "%s: %s", w->name, dgettext("certlink", what));
}

static enum cl_status get_enum(const cJSON *obj, const char *name, unsigned flags, const char *const *names,
                               int *index, const struct where *w, struct cl_error *err)
{
	char buf[32 * 4 + 1];
	bool present;

	if (cl_json_get_str(obj, name, flags, 1, 32, buf, sizeof(buf), &present, err) != CL_OK)
		return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
	if (!present)
		return CL_OK;
	for (int i = 0; names[i]; i++)
		if (strcmp(buf, names[i]) == 0) {
			*index = i;
			return CL_OK;
		}
	return cl_json_bad(err, "%s: member \"%s\" has an unknown value", w->name, name);
}

/* Text a person will read in a connection's name or its settings: no hidden characters (text.h). */
static enum cl_status get_text(const cJSON *obj, const char *name, unsigned flags, size_t max_chars,
                               size_t max_octets, char *out, size_t size, bool *present,
                               const struct where *w, struct cl_error *err)
{
	if (cl_json_get_str(obj, name, flags, 1, max_chars, out, size, present, err) != CL_OK)
		return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
	if (strlen(out) > max_octets)
		return cl_json_bad(err, "%s: member \"%s\" is longer than %zu octets", w->name, name,
		                   max_octets);
	if (cl_text_needs_escape(out, 0))
		return cl_json_bad(err, "%s: member \"%s\" contains an invisible or control character",
		                   w->name, name);
	return CL_OK;
}

static bool dns_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
			return false;
	return true;
}

/* "DNS:name", "EMAIL:address" or "URI:uri", as wpa_supplicant's altsubject_match takes them (';' separates
 * entries there, so it may not occur in one). */
static bool altsubject_ok(const char *s)
{
	const char *v = NULL;

	if (strncmp(s, "DNS:", 4) == 0)
		return dns_name(s + 4);
	if (strncmp(s, "EMAIL:", 6) == 0)
		v = s + 6;
	else if (strncmp(s, "URI:", 4) == 0)
		v = s + 4;
	if (!v || !*v)
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || *v == ';' || *v == '"')
			return false;
	return true;
}

static enum cl_status parse_ssids(const cJSON *net, struct cl_proto_network *out, const struct where *w,
                                  struct cl_error *err)
{
	const cJSON *list, *e;

	if (cl_json_get_node(net, "ssids", REQ, true, &list, err) != CL_OK)
		return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
	if (cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > CL_PROTO_SSIDS_MAX)
		return cl_net_refuse(err, w, "\"ssids\" must name 1 to 8 networks");
	cJSON_ArrayForEach(e, list)
	{
		struct cl_proto_ssid *s = &out->ssids[out->n_ssids];
		char buf[32 * 4 + 1];

		if (!cJSON_IsObject(e))
			return cl_net_refuse(err, w, "an \"ssids\" entry is not an object");
		if (get_text(e, "ssid", REQ, 32, 32, buf, sizeof(buf), NULL, w, err) != CL_OK ||
		    cl_json_get_bool(e, "hidden", NULLOK, false, &s->hidden, err) != CL_OK)
			return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
		for (size_t i = 0; i < out->n_ssids; i++)
			if (strcmp(out->ssids[i].ssid, buf) == 0)
				return cl_net_refuse(err, w, "an SSID is listed twice");
		memcpy(s->ssid, buf, strlen(buf) + 1);
		out->n_ssids++;
	}
	return CL_OK;
}

static enum cl_status parse_matches(const cJSON *net, struct cl_proto_network *out, const struct where *w,
                                    struct cl_error *err)
{
	const cJSON *list, *e;
	char buf[260 * 4 + 1];
	bool present = false;

	if (get_text(net, "domain_suffix_match", NULLOK, 253, 253, buf, sizeof(buf), &present, w, err) !=
	    CL_OK)
		return CL_E_UNREACHABLE;
	if (present && !dns_name(buf))
		return cl_net_refuse(err, w, "\"domain_suffix_match\" is not a DNS name");
	if (present)
		memcpy(out->domain_suffix_match, buf, strlen(buf) + 1);
	if (cl_json_get_node(net, "altsubject_matches", NULLOK, true, &list, err) != CL_OK)
		return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
	if (list && (cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > CL_PROTO_MATCHES_MAX))
		return cl_net_refuse(err, w, "\"altsubject_matches\" must hold 1 to 8 names");
	cJSON_ArrayForEach(e, list)
	{
		if (cl_json_check_str(e, "altsubject_matches", 0, 5, 6 + 253, err) != CL_OK)
			return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
		if (!altsubject_ok(e->valuestring))
			return cl_net_refuse(
			    err, w,
			    "an \"altsubject_matches\" entry is not DNS:name, EMAIL:address or URI:uri");
		snprintf(out->altsubject_matches[out->n_altsubject++], sizeof(out->altsubject_matches[0]),
		         "%s", e->valuestring);
	}
	return CL_OK;
}

/* The RADIUS server's CA: one the profile delivers, named by its SHA-256. */
static enum cl_status parse_ca(const cJSON *net, const struct cl_proto_cert *trust, size_t n_trust,
                               struct cl_proto_network *out, const struct where *w, struct cl_error *err)
{
	char buf[64 * 4 + 1];

	if (cl_json_get_str(net, "ca_sha256", 0, 64, 64, buf, sizeof(buf), NULL, err) != CL_OK)
		return cl_json_bad(
		    err,
		    "%s: \"ca_sha256\" (the RADIUS server's CA) is missing or not 64 hex digits: a "
		    "connection without its RADIUS CA would accept any server certificate",
		    w->name);
	if (!cl_fp_parse(buf, 64, out->ca_sha256))
		return cl_net_refuse(err, w, "\"ca_sha256\" is not a SHA-256 fingerprint");
	for (size_t i = 0; i < n_trust; i++)
		if (memcmp(trust[i].sha256, out->ca_sha256, 32) == 0) {
			out->ca_index = i;
			return CL_OK;
		}
	return cl_net_refuse(
	    err, w,
	    "\"ca_sha256\" names no CA that the profile delivers (profile.trust): the RADIUS server's CA "
	    "must come with the profile from this server");
}

static enum cl_status parse_one(const cJSON *net, const struct cl_proto_cert *trust, size_t n_trust,
                                struct cl_proto_network *out, const struct where *w, struct cl_error *err)
{
	static const char *const eaps[] = { "tls", NULL };
	int kind = -1, security = -1, eap = -1;
	const cJSON *node;

	if (!cJSON_IsObject(net))
		return cl_net_refuse(err, w, "not an object");
	if (get_enum(net, "type", REQ, kind_names, &kind, w, err) != CL_OK ||
	    get_enum(net, "eap", REQ, eaps, &eap, w, err) != CL_OK ||
	    get_enum(net, "security", NULLOK, security_names, &security, w, err) != CL_OK)
		return CL_E_UNREACHABLE;
	out->kind = (enum cl_proto_net_kind)kind;
	if (out->kind == CL_PROTO_NET_WIFI) {
		if (security < 0)
			return cl_net_refuse(
			    err, w,
			    "a Wi-Fi network needs \"security\" (wpa2-enterprise or wpa3-enterprise)");
		out->security = (enum cl_proto_net_security)security;
		if (parse_ssids(net, out, w, err) != CL_OK)
			return CL_E_UNREACHABLE;
	} else if (security >= 0 || cJSON_GetObjectItemCaseSensitive(net, "ssids")) {
		return cl_net_refuse(err, w, "a wired network has no \"ssids\" or \"security\"");
	}
	if (get_text(net, "identity", NULLOK, CL_PROTO_IDENTITY_MAX, CL_PROTO_IDENTITY_MAX * 4, out->identity,
	             sizeof(out->identity), NULL, w, err) != CL_OK ||
	    cl_json_get_bool(net, "autoconnect", NULLOK, true, &out->autoconnect, err) != CL_OK)
		return cl_error_prefix(err, "%s", w->name), CL_E_UNREACHABLE;
	if (parse_ca(net, trust, n_trust, out, w, err) != CL_OK || parse_matches(net, out, w, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!out->domain_suffix_match[0] && out->n_altsubject == 0) {
		node = cJSON_GetObjectItemCaseSensitive(net, "ssids");
		cl_json_bad(
		    err,
		    "%s%s%s%s: no server certificate check (domain_suffix_match or altsubject_matches): a "
		    "connection without one authenticates to any RADIUS server whose certificate the CA "
		    "signed, so any access point using this network's name could capture it; certlink "
		    "refuses such a profile",
		    w->name, node ? " (" : "", node ? out->ssids[0].ssid : "", node ? ")" : "");
		cl_error_set_code(err, "network_unchecked");
		return CL_E_UNREACHABLE;
	}
	return CL_OK;
}

/* The older {"ssid", "eap", "server_names", "ca_sha256"}: one WPA2-Enterprise network whose server names
 * are exact DNS names. */
static enum cl_status parse_legacy_wifi(const cJSON *wifi, const struct cl_proto_cert *trust, size_t n_trust,
                                        struct cl_proto_network *out, struct cl_error *err)
{
	static const char *const eaps[] = { "tls", NULL };
	const struct where w = { "profile.wifi" };
	const cJSON *names, *e;
	int eap = -1;
	char buf[32 * 4 + 1];

	if (!cJSON_IsObject(wifi))
		return cl_net_refuse(err, &w, "not an object");
	out->kind = CL_PROTO_NET_WIFI;
	out->security = CL_PROTO_NET_WPA2;
	out->autoconnect = true;
	if (get_text(wifi, "ssid", REQ, 32, 32, buf, sizeof(buf), NULL, &w, err) != CL_OK ||
	    get_enum(wifi, "eap", REQ, eaps, &eap, &w, err) != CL_OK ||
	    parse_ca(wifi, trust, n_trust, out, &w, err) != CL_OK)
		return CL_E_UNREACHABLE;
	memcpy(out->ssids[0].ssid, buf, strlen(buf) + 1);
	out->n_ssids = 1;
	if (cl_json_get_node(wifi, "server_names", NULLOK, true, &names, err) != CL_OK)
		return cl_error_prefix(err, "profile.wifi"), CL_E_UNREACHABLE;
	if (cJSON_GetArraySize(names) > CL_PROTO_WIFI_NAMES)
		return cl_net_refuse(err, &w, "\"server_names\" has more than 8 entries");
	cJSON_ArrayForEach(e, names)
	{
		if (cl_json_check_str(e, "server_names", 0, 1, 253, err) != CL_OK)
			return cl_error_prefix(err, "profile.wifi"), CL_E_UNREACHABLE;
		if (!dns_name(e->valuestring))
			return cl_net_refuse(err, &w, "a \"server_names\" entry is not a DNS name");
		snprintf(out->altsubject_matches[out->n_altsubject++], sizeof(out->altsubject_matches[0]),
		         "DNS:%s", e->valuestring);
	}
	if (out->n_altsubject == 0) {
		cl_net_refuse(err, &w,
		              "no server names: a connection that does not check the RADIUS server's name "
		              "authenticates to "
		              "any access point using this network's name; certlink refuses such a profile");
		cl_error_set_code(err, "network_unchecked");
		return CL_E_UNREACHABLE;
	}
	return CL_OK;
}

/* No two networks for the same connection (one SSID, or wired, once). */
static bool duplicate(const struct cl_proto_networks *nets, const struct cl_proto_network *n)
{
	for (size_t i = 0; i < nets->n; i++) {
		const struct cl_proto_network *o = &nets->v[i];

		if (o->kind != n->kind)
			continue;
		if (n->kind == CL_PROTO_NET_WIRED)
			return true;
		for (size_t a = 0; a < o->n_ssids; a++)
			for (size_t b = 0; b < n->n_ssids; b++)
				if (strcmp(o->ssids[a].ssid, n->ssids[b].ssid) == 0)
					return true;
	}
	return false;
}

enum cl_status cl_proto_parse_networks(const cJSON *profile, const struct cl_proto_cert *trust,
                                       size_t n_trust, struct cl_proto_networks *out, struct cl_error *err)
{
	const cJSON *list, *net;
	size_t connections = 0;

	memset(out, 0, sizeof(*out));
	if (cl_json_get_node(profile, "networks", NULLOK, true, &list, err) != CL_OK)
		return cl_error_prefix(err, "profile"), CL_E_UNREACHABLE;
	if (!list) {
		const cJSON *wifi = cJSON_GetObjectItemCaseSensitive(profile, "wifi");

		if (!wifi || cJSON_IsNull(wifi))
			return CL_OK;
		if (parse_legacy_wifi(wifi, trust, n_trust, &out->v[0], err) != CL_OK)
			return CL_E_UNREACHABLE;
		out->n = 1;
		return CL_OK;
	}
	if (cJSON_GetArraySize(list) > CL_PROTO_NETWORKS_MAX)
		return cl_json_bad(err, "profile.networks has more than %d entries", CL_PROTO_NETWORKS_MAX);
	cJSON_ArrayForEach(net, list)
	{
		struct cl_proto_network *n = &out->v[out->n];
		struct where w;

		snprintf(w.name, sizeof(w.name), "profile.networks[%zu]", out->n);
		if (parse_one(net, trust, n_trust, n, &w, err) != CL_OK)
			return CL_E_UNREACHABLE;
		if (duplicate(out, n))
			return cl_net_refuse(err, &w, "the same network is listed twice");
		connections += n->kind == CL_PROTO_NET_WIFI ? n->n_ssids : 1;
		if (connections > CL_PROTO_CONNECTIONS_MAX)
			return cl_json_bad(err, "profile.networks make more than %d connections",
			                   CL_PROTO_CONNECTIONS_MAX);
		out->n++;
	}
	return CL_OK;
}

/* ---- writing a profile back (staged for the privileged helper) ---- */

static bool add_network(cJSON *list, const struct cl_proto_network *n)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char fp[65];
	bool ok = o && cJSON_AddItemToArray(list, o);

	cl_fp_format_hex(n->ca_sha256, fp);
	ok = ok && cJSON_AddStringToObject(o, "type", cl_proto_net_kind_name(n->kind)) &&
	     cJSON_AddStringToObject(o, "eap", "tls") && cJSON_AddStringToObject(o, "ca_sha256", fp) &&
	     cJSON_AddBoolToObject(o, "autoconnect", n->autoconnect);
	if (ok && n->kind == CL_PROTO_NET_WIFI) {
		ok = cJSON_AddStringToObject(o, "security", cl_proto_net_security_name(n->security)) &&
		     (a = cJSON_AddArrayToObject(o, "ssids")) != NULL;
		for (size_t i = 0; ok && i < n->n_ssids; i++) {
			cJSON *e = cJSON_CreateObject();

			ok = e && cJSON_AddItemToArray(a, e) &&
			     cJSON_AddStringToObject(e, "ssid", n->ssids[i].ssid) &&
			     cJSON_AddBoolToObject(e, "hidden", n->ssids[i].hidden);
		}
	}
	if (ok && n->identity[0])
		ok = cJSON_AddStringToObject(o, "identity", n->identity) != NULL;
	if (ok && n->domain_suffix_match[0])
		ok = cJSON_AddStringToObject(o, "domain_suffix_match", n->domain_suffix_match) != NULL;
	if (ok && n->n_altsubject) {
		ok = (a = cJSON_AddArrayToObject(o, "altsubject_matches")) != NULL;
		for (size_t i = 0; ok && i < n->n_altsubject; i++)
			ok = cJSON_AddItemToArray(a, cJSON_CreateString(n->altsubject_matches[i]));
	}
	return ok;
}

char *cl_proto_profile_json(const struct cl_proto_profile *p)
{
	cJSON *doc = cJSON_CreateObject(), *trust, *nets;
	char fp[65], *text = NULL;
	bool ok = doc && (trust = cJSON_AddArrayToObject(doc, "trust")) &&
	          (nets = cJSON_AddArrayToObject(doc, "networks"));

	for (size_t i = 0; ok && i < p->n_trust; i++) {
		cJSON *c = cJSON_CreateObject();

		cl_fp_format_hex(p->trust[i].sha256, fp);
		ok = c && cJSON_AddItemToArray(trust, c) &&
		     cJSON_AddStringToObject(c, "pem", p->trust[i].pem) &&
		     cJSON_AddStringToObject(c, "sha256", fp);
	}
	for (size_t i = 0; ok && i < p->networks.n; i++)
		ok = add_network(nets, &p->networks.v[i]);
	if (ok)
		text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return text;
}
