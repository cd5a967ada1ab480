/* certlink-server: the admin page's "Networks and revocation" section (see admin-networks.h). */
#include "admin-networks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "certs.h"
#include "config.h"
#include "networks.h"
#include "util.h"

struct html {
	char *p;
	size_t len, cap;
	int oom;
};

static void raw(struct html *h, const char *s)
{
	size_t n = strlen(s);

	if (h->oom)
		return;
	if (h->len + n + 1 > h->cap) {
		size_t cap = (h->cap ? h->cap * 2 : 4096) + n;
		char *p = realloc(h->p, cap);

		if (!p) {
			h->oom = 1;
			return;
		}
		h->p = p;
		h->cap = cap;
	}
	memcpy(h->p + h->len, s, n + 1);
	h->len += n;
}

/* Text from anywhere, escaped for element content and quoted attributes. */
static void esc(struct html *h, const char *s)
{
	char one[2] = "";

	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			raw(h, "&amp;");
			break;
		case '<':
			raw(h, "&lt;");
			break;
		case '>':
			raw(h, "&gt;");
			break;
		case '"':
			raw(h, "&quot;");
			break;
		case '\'':
			raw(h, "&#39;");
			break;
		default:
			one[0] = *s;
			raw(h, one);
		}
	}
}

static void csrf_field(struct html *h, const char *csrf)
{
	raw(h, "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(h, csrf);
	raw(h, "\">");
}

static const char *str_of(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "";
}

/* One network as a table row: what a person checks against the RADIUS server's setup. */
static void network_row(struct html *h, const char *store, int index, const cJSON *n, const char *csrf)
{
	const cJSON *ssids = cJSON_GetObjectItemCaseSensitive(n, "ssids"), *e;
	const cJSON *matches = cJSON_GetObjectItemCaseSensitive(n, "altsubject_matches");
	const cJSON *autoconnect = cJSON_GetObjectItemCaseSensitive(n, "autoconnect");
	char num[16];
	int first = 1;

	raw(h, "<tr><td>");
	esc(h, store);
	raw(h, "</td><td>");
	esc(h, !strcmp(str_of(n, "type"), "wired") ? "wired" : "Wi-Fi");
	raw(h, "</td><td>");
	cJSON_ArrayForEach(e, ssids)
	{
		raw(h, first ? "" : ", ");
		esc(h, str_of(e, "ssid"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "hidden")))
			raw(h, " (hidden)");
		first = 0;
	}
	raw(h, "</td><td>");
	esc(h, str_of(n, "security"));
	raw(h, "</td><td>");
	if (str_of(n, "domain_suffix_match")[0]) {
		raw(h, "name ends in <code>");
		esc(h, str_of(n, "domain_suffix_match"));
		raw(h, "</code> ");
	}
	first = 1;
	cJSON_ArrayForEach(e, matches)
	{
		raw(h, first ? "one of <code>" : ", <code>");
		esc(h, cJSON_GetStringValue(e));
		raw(h, "</code>");
		first = 0;
	}
	raw(h, "</td><td>");
	esc(h, str_of(n, "identity")[0] ? str_of(n, "identity") : "(certificate CN)");
	raw(h, "</td><td>");
	raw(h, cJSON_IsFalse(autoconnect) ? "no" : "yes");
	raw(h, "</td><td><form class=\"inline\" method=\"post\" action=\"/admin/network-remove\">");
	csrf_field(h, csrf);
	snprintf(num, sizeof(num), "%d", index);
	raw(h, "<input type=\"hidden\" name=\"store\" value=\"");
	esc(h, store);
	raw(h, "\"><input type=\"hidden\" name=\"index\" value=\"");
	raw(h, num);
	raw(h, "\"><button type=\"submit\">Remove</button></form></td></tr>");
}

static void networks_table(struct html *h, sqlite3 *db, const char *csrf)
{
	static const char *const stores[] = { "user", "computer" };

	raw(h,
	    "<table><thead><tr><th>Store</th><th>Type</th><th>SSIDs</th><th>Security</th><th>RADIUS server "
	    "name</th><th>Identity</th><th>Autoconnect</th><th></th></tr></thead><tbody>");
	for (int s = 0; s < 2; s++) {
		char *v = srv_config_dup(db, s ? "network_computer" : "network_user");
		cJSON *list = v && v[0] ? cJSON_Parse(v) : NULL, *n;
		int i = 0;

		cJSON_ArrayForEach(n, list) network_row(h, stores[s], i++, n, csrf);
		cJSON_Delete(list);
		free(v);
	}
	raw(h, "</tbody></table>");
}

static void add_form(struct html *h, const char *csrf)
{
	raw(h, "<form method=\"post\" action=\"/admin/network-add\"><h3>Add a network</h3>");
	csrf_field(h, csrf);
	raw(h,
	    "<label>Store <select name=\"store\"><option value=\"user\">user</option><option "
	    "value=\"computer\">computer</option></select></label> "
	    "<label>Type <select name=\"type\"><option value=\"wifi\">Wi-Fi</option><option "
	    "value=\"wired\">wired 802.1X</option></select></label> "
	    "<label>SSIDs (comma separated) <input name=\"ssids\" maxlength=\"300\"></label> "
	    "<label><input type=\"checkbox\" name=\"hidden\" value=\"1\"> hidden</label> "
	    "<label>Security <select name=\"security\"><option "
	    "value=\"wpa2-enterprise\">WPA2-Enterprise</option>"
	    "<option value=\"wpa3-enterprise\">WPA3-Enterprise</option></select></label><br>"
	    "<label>RADIUS server name check <select name=\"check\"><option value=\"suffix\">domain suffix"
	    "</option><option value=\"exact\">exact names (comma separated)</option></select></label> "
	    "<label>Name(s) <input name=\"names\" maxlength=\"600\" required></label> "
	    "<label>Identity <input name=\"identity\" maxlength=\"128\" placeholder=\"certificate "
	    "CN\"></label> "
	    "<label><input type=\"checkbox\" name=\"autoconnect\" value=\"1\" checked> autoconnect</label> "
	    "<button type=\"submit\">Add network</button></form>");
}

static void ca_form(struct html *h, sqlite3 *db, const char *csrf)
{
	char *pem = srv_config_dup(db, "network_ca");
	BIO *bio = pem && pem[0] ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	char subject[256] = "";

	if (x)
		srv_name_text(X509_get_subject_name(x), subject, sizeof(subject));
	raw(h,
	    "<form method=\"post\" action=\"/admin/network-ca\"><h3>RADIUS servers' CA</h3><p>Clients check "
	    "the RADIUS server's certificate against this CA only (it is not made a trust anchor). Now: ");
	esc(h, x ? subject : "this server's own CA");
	raw(h, "</p>");
	csrf_field(h, csrf);
	raw(h, "<textarea name=\"pem\" rows=\"4\" placeholder=\"-----BEGIN CERTIFICATE----- (empty: this "
	       "server's "
	       "CA)\">");
	esc(h, pem);
	raw(h, "</textarea><button type=\"submit\">Save CA</button></form>");
	X509_free(x);
	BIO_free(bio);
	free(pem);
}

static void revocation_form(struct html *h, sqlite3 *db, const char *csrf)
{
	char url[300], days[SRV_CONFIG_VALUE_MAX], set[SRV_CONFIG_VALUE_MAX];

	srv_certs_crl_url(db, url, sizeof(url));
	srv_config_get(db, "renewal_revoke_days", days, sizeof(days));
	srv_config_get(db, "crl_url", set, sizeof(set));
	raw(h,
	    "<form method=\"post\" action=\"/admin/revocation\"><h3>Revocation</h3><p>New certificates name "
	    "the CRL at <code>");
	esc(h, url[0] ? url : "(none)");
	raw(h, "</code>. It lists revoked certificates and those a renewal replaced once the grace below is "
	       "over.</p>");
	csrf_field(h, csrf);
	raw(h, "<label>CRL URL <input name=\"crl_url\" maxlength=\"256\" placeholder=\"automatic\" value=\"");
	esc(h, set);
	raw(h, "\"></label> <label>Replaced certificates revoked after <input name=\"days\" type=\"number\" "
	       "min=\"0\" max=\"365\" value=\"");
	esc(h, days);
	raw(h, "\"> days</label> <button type=\"submit\">Save</button></form>");
}

char *srv_admin_networks_html(sqlite3 *db, const char *csrf)
{
	struct html h = { 0 };

	raw(&h,
	    "<section><h2>Networks and revocation</h2><p>Wi-Fi and wired 802.1X (EAP-TLS) networks sent to "
	    "clients with their certificate, per store (docs/server.md \"Networks\").</p>");
	networks_table(&h, db, csrf);
	add_form(&h, csrf);
	ca_form(&h, db, csrf);
	revocation_form(&h, db, csrf);
	raw(&h, "</section>");
	if (h.oom) {
		free(h.p);
		return NULL;
	}
	return h.p;
}

/* The "Add a network" form as a network in the protocol's form. */
static cJSON *network_of(srv_form_get get, void *form)
{
	const char *type = get(form, "type"), *ssids = get(form, "ssids"), *names = get(form, "names");
	const char *check = get(form, "check"), *identity = get(form, "identity");
	cJSON *n = cJSON_CreateObject(), *list;
	char *copy, *save = NULL, *one;
	int wifi = !type || strcmp(type, "wired") != 0, exact = check && !strcmp(check, "exact");

	cJSON_AddStringToObject(n, "type", wifi ? "wifi" : "wired");
	cJSON_AddStringToObject(n, "eap", "tls");
	if (wifi) {
		cJSON_AddStringToObject(n, "security", get(form, "security") ? get(form, "security") : "");
		list = cJSON_AddArrayToObject(n, "ssids");
		copy = strdup(ssids ? ssids : "");
		for (one = copy ? strtok_r(copy, ",", &save) : NULL; one; one = strtok_r(NULL, ",", &save)) {
			cJSON *e = cJSON_CreateObject();
			char *end = one + strlen(one);

			while (*one == ' ')
				one++;
			while (end > one && end[-1] == ' ')
				*--end = '\0';
			cJSON_AddStringToObject(e, "ssid", one);
			cJSON_AddBoolToObject(e, "hidden", get(form, "hidden") != NULL);
			cJSON_AddItemToArray(list, e);
		}
		free(copy);
	}
	if (identity && identity[0])
		cJSON_AddStringToObject(n, "identity", identity);
	if (!names || !names[0]) {
		/* none: the client's rules refuse it, and say why */
	} else if (!exact) {
		cJSON_AddStringToObject(n, "domain_suffix_match", names);
	} else {
		list = cJSON_AddArrayToObject(n, "altsubject_matches");
		copy = strdup(names ? names : "");
		for (one = copy ? strtok_r(copy, ", ", &save) : NULL; one;
		     one = strtok_r(NULL, ", ", &save)) {
			char dns[300];

			snprintf(dns, sizeof(dns), "DNS:%s", one);
			cJSON_AddItemToArray(list, cJSON_CreateString(dns));
		}
		free(copy);
	}
	cJSON_AddBoolToObject(n, "autoconnect", get(form, "autoconnect") != NULL);
	return n;
}

int srv_admin_networks_post(sqlite3 *db, const char *action, srv_form_get get, void *form,
                            struct cl_error *err)
{
	const char *store = get(form, "store");

	if (store && strcmp(store, "user") != 0 && strcmp(store, "computer") != 0)
		return cl_error_set(err, CL_E_LOCAL, "no such store"), 1;
	if (!strcmp(action, "network-add"))
		return srv_networks_add(db, store ? store : "user", network_of(get, form), err) == CL_OK ? 0
		                                                                                         : 1;
	if (!strcmp(action, "network-remove")) {
		const char *index = get(form, "index");

		return srv_networks_remove(db, store ? store : "user", index ? atoi(index) : -1, err) == CL_OK
		           ? 0
		           : 1;
	}
	if (!strcmp(action, "network-ca")) {
		const char *pem = get(form, "pem");
		char *clean = strdup(pem ? pem : ""), *w = clean;
		int rc;

		/* a browser sends CR LF line ends from a text area */
		for (const char *r = clean; clean && *r; r++)
			if (*r != '\r')
				*w++ = *r;
		if (w)
			*w = '\0';
		while (clean && w > clean && (w[-1] == ' ' || w[-1] == '\n'))
			*--w = '\0';
		rc = clean && srv_config_set(db, "network_ca", clean, err) == CL_OK ? 0 : 1;
		free(clean);
		return rc;
	}
	if (!strcmp(action, "revocation")) {
		const char *days = get(form, "days"), *url = get(form, "crl_url");

		if (days && srv_config_set(db, "renewal_revoke_days", days, err) != CL_OK)
			return 1;
		return url && srv_config_set(db, "crl_url", url, err) != CL_OK ? 1 : 0;
	}
	return -1;
}
