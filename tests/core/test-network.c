/* Unit tests for core/network.c: the plan certlink-netconf gets (names, paths, owner, tags; no secret), the
 * wpa_supplicant configuration written without NetworkManager, and what the core makes of the helper's
 * answers. The helper here is a small shell script standing in for certlink-netconf's protocol
 * (docs/network.md); the real helper against a real NetworkManager is the network label's test. */
#include "check.h"
#include "tmpdir.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "network.h"
#include "proto.h"

#define UUID1 "0e7c5f0a-1111-4a2b-9c3d-0123456789ab"
#define UUID2 "0e7c5f0a-2222-4a2b-9c3d-0123456789ab"

static struct cl_proto_networks nets;
static struct cl_network_target target;

static void make_networks(void)
{
	struct cl_proto_network *w = &nets.v[0], *e = &nets.v[1];

	memset(&nets, 0, sizeof(nets));
	w->kind = CL_PROTO_NET_WIFI;
	w->security = CL_PROTO_NET_WPA3;
	w->n_ssids = 2;
	snprintf(w->ssids[0].ssid, sizeof(w->ssids[0].ssid), "CorpWiFi");
	snprintf(w->ssids[1].ssid, sizeof(w->ssids[1].ssid), "Café \"Lab\"");
	w->ssids[1].hidden = true;
	snprintf(w->domain_suffix_match, sizeof(w->domain_suffix_match), "radius.example.com");
	w->autoconnect = true;
	e->kind = CL_PROTO_NET_WIRED;
	e->ca_index = 1;
	e->n_altsubject = 2;
	snprintf(e->altsubject_matches[0], sizeof(e->altsubject_matches[0]), "DNS:r1.example.com");
	snprintf(e->altsubject_matches[1], sizeof(e->altsubject_matches[1]), "DNS:r2.example.com");
	snprintf(e->identity, sizeof(e->identity), "host/pc01");
	nets.n = 2;
	memset(&target, 0, sizeof(target));
	target.store = CL_STORE_USER;
	target.fingerprint = "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01";
	target.cn = "alice";
	target.user_id = "u-0042"; /* not the CN, so that the identity tells which one was used */
	target.service = "Example\xe2\x80\xae"
	                 "Corp"; /* a right-to-left override must not reach a name */
	target.host = "eps.example.com";
	target.port = 8443;
	target.cert_path = "/store/cert.pem";
	target.key_path = "/store/key.pem";
}

static void test_plan(void)
{
	static const char *const cas[2] = { "/store/radius-ca-1.pem", "/store/radius-ca-2.pem" };
	struct cl_network_report r;
	struct cl_locations reuse = { NULL, 0 };
	struct cl_error err;
	const cJSON *c, *list;
	cJSON *doc;
	char *text;

	cl_network_plan(&nets, &target, &r);
	CHECK_INT_EQ(r.planned, 3);
	CHECK_STR_EQ(r.conns[0].key, "wifi:CorpWiFi");
	CHECK_STR_EQ(r.conns[0].name, "Example<U+202E>Corp (CorpWiFi)");
	CHECK_STR_EQ(r.conns[2].key, "wired");
	CHECK_STR_EQ(r.conns[2].name, "Example<U+202E>Corp (wired)");
	CHECK(r.applied == 0 && r.conns[0].uuid[0] == '\0');

	CHECK_INT_EQ(cl_locations_add(&reuse, CL_LOC_NM_CONNECTION, UUID1, "old", &err), CL_OK);
	CHECK_INT_EQ(cl_locations_add(&reuse, CL_LOC_KEY, "/old/key.pem", NULL, &err), CL_OK);
	text = cl_network_plan_json(&nets, &target, cas, "alice", &reuse);
	doc = text ? cJSON_Parse(text) : NULL;
	CHECK(doc != NULL);
	CHECK(text && !strstr(text, "PRIVATE KEY")); /* paths, never a key */
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "owner")), "alice");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "server")), "eps.example.com:8443");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "certificate")), target.fingerprint);
	list = cJSON_GetObjectItem(doc, "reuse");
	CHECK(cJSON_GetArraySize(list) == 1 &&
	      !strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(list, 0)), UUID1));
	list = cJSON_GetObjectItem(doc, "connections");
	CHECK_INT_EQ(cJSON_GetArraySize(list), 3);
	c = cJSON_GetArrayItem(list, 1);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "ssid")), "Café \"Lab\"");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "hidden")));
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "security")), "wpa3-enterprise");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "identity")), "alice"); /* the CN */
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "ca_cert")), cas[0]);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "private_key")), "/store/key.pem");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "domain_suffix_match")),
	             "radius.example.com");
	c = cJSON_GetArrayItem(list, 2);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "type")), "wired");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "identity")), "host/pc01");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "ca_cert")), cas[1]);
	CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(c, "altsubject_matches")), 2);
	CHECK(cJSON_GetObjectItem(c, "ssid") == NULL);
	cJSON_Delete(doc);
	free(text);
	/* the computer store: no owner (a system connection); no CN: the user ID */
	target.cn = "";
	text = cl_network_plan_json(&nets, &target, cas, NULL, NULL);
	doc = text ? cJSON_Parse(text) : NULL;
	CHECK(doc && cJSON_IsNull(cJSON_GetObjectItem(doc, "owner")));
	c = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "connections"), 0);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(c, "identity")), "u-0042");
	target.cn = "alice";
	cJSON_Delete(doc);
	free(text);
	cl_locations_clear(&reuse);
}

static void test_wpa_conf(void)
{
	static const char *const cas[2] = { "/store/radius-ca-1.pem", "/store/radius-ca-2.pem" };
	const char *bad[2] = { "/store/radius\nca.pem", cas[1] };
	char *wifi = cl_network_wpa_conf(&nets, &target, cas, false, "NetworkManager is not running");
	char *wired = cl_network_wpa_conf(&nets, &target, cas, true, NULL);

	CHECK(wifi && wired);
	if (!wifi || !wired)
		return;
	CHECK(strstr(wifi, "# Not applied through NetworkManager: NetworkManager is not running.") != NULL);
	CHECK(strstr(wifi, "\tssid=\"CorpWiFi\"\n") != NULL);
	/* not plain ASCII, or a quote: hex, which wpa_supplicant reads for every string */
	CHECK(strstr(wifi, "\tssid=436166c3a920224c616222\n") != NULL);
	CHECK(strstr(wifi, "\tscan_ssid=1\n") != NULL);
	CHECK(strstr(wifi, "\tkey_mgmt=WPA-EAP-SHA256\n\tproto=RSN\n\tieee80211w=2\n") != NULL); /* WPA3 */
	CHECK(strstr(wifi, "\tidentity=\"alice\"\n\tca_cert=\"/store/radius-ca-1.pem\"\n") != NULL);
	CHECK(strstr(wifi, "\tdomain_suffix_match=\"radius.example.com\"\n") != NULL);
	CHECK(strstr(wifi, "key_mgmt=IEEE8021X") == NULL && strstr(wifi, "ap_scan=0") == NULL);
	CHECK(strstr(wired, "ap_scan=0\n") != NULL && strstr(wired, "\tkey_mgmt=IEEE8021X\n") != NULL);
	CHECK(strstr(wired, "\taltsubject_match=\"DNS:r1.example.com;DNS:r2.example.com\"\n") != NULL);
	CHECK(strstr(wired, "\tidentity=\"host/pc01\"\n") != NULL);
	CHECK(strstr(wired, "ssid=") == NULL);
	free(wifi);
	free(wired);
	/* autoconnect off: the block is there but disabled */
	nets.v[1].autoconnect = false;
	wired = cl_network_wpa_conf(&nets, &target, cas, true, NULL);
	CHECK(wired && strstr(wired, "\tdisabled=1\n"));
	free(wired);
	/* a path with a control character is written in hex too: the file stays one setting a line */
	wifi = cl_network_wpa_conf(&nets, &target, bad, false, NULL);
	CHECK(wifi && strstr(wifi, "\tca_cert=2f73746f72652f7261646975730a63612e70656d\n"));
	free(wifi);
	/* a reason with a line break stays in its comment line */
	wifi = cl_network_wpa_conf(&nets, &target, cas, false, "two\nlines");
	CHECK(wifi && strstr(wifi, "# Not applied through NetworkManager: two lines.\n"));
	free(wifi);
	/* no network of that kind: no file */
	nets.n = 1;
	CHECK(cl_network_wpa_conf(&nets, &target, cas, true, NULL) == NULL);
	nets.n = 2;
}

/* A stand-in for certlink-netconf that keeps its input and answers ANSWER with exit status CODE. */
static const char *fake_helper(const char *name, const char *answer, int code)
{
	char script[2 * PATH_MAX + 1024], path[PATH_MAX];
	struct cl_error err;

	snprintf(path, sizeof(path), "%s", tmpdir_path(name));
	snprintf(script, sizeof(script), "#!/bin/sh\ncat > '%s.input'\nprintf '%%s\\n' '%s'\nexit %d\n", path,
	         answer, code);
	CHECK_INT_EQ(cl_fileio_write_new(path, script, strlen(script), 0755, &err), CL_OK);
	setenv("CERTLINK_NETCONF", path, 1);
	return tmpdir_path(name);
}

static struct cl_proto_cert trust[2];

static void make_trust(void)
{
	trust[0].pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	trust[1].pem = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
	memset(trust[0].sha256, 0x11, 32);
	memset(trust[1].sha256, 0x22, 32);
}

static int count_kind(const struct cl_locations *l, enum cl_location_kind kind)
{
	int n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->items[i].kind == kind;
	return n;
}

static void test_apply(void)
{
	struct cl_network_report r;
	struct cl_locations locs = { NULL, 0 };
	struct cl_error err;
	const char *helper;
	char *input = NULL, *ca = NULL;
	size_t len;
	struct stat st;

	target.dir = tmpdir_path("certdir");
	mkdir(target.dir, 0700);
	target.dir = strdup(target.dir);
	/* NetworkManager there: two of the three connections reported (one updated) */
	helper = fake_helper(
	    "netconf-ok",
	    "{\"status\":\"ok\",\"connections\":[{\"key\":\"wifi:CorpWiFi\",\"uuid\":\"" UUID1
	    "\",\"action\":\"added\"},{\"key\":\"wired\",\"uuid\":\"" UUID2 "\",\"action\":\"updated\"}]}",
	    0);
	CHECK_INT_EQ(cl_network_apply(&nets, trust, 2, &target, NULL, &locs, &r, &err), CL_OK);
	CHECK_INT_EQ(r.planned, 3);
	CHECK_INT_EQ(r.applied, 2);
	CHECK_STR_EQ(r.conns[0].uuid, UUID1);
	CHECK(!r.conns[0].updated && r.conns[2].updated && r.conns[1].uuid[0] == '\0');
	CHECK(strstr(r.note, "did not report every connection") != NULL);
	CHECK(r.wpa_file[0][0] == '\0');
	CHECK_INT_EQ(count_kind(&locs, CL_LOC_NM_CONNECTION), 2);
	CHECK_INT_EQ(count_kind(&locs, CL_LOC_NETWORK_FILE), 2); /* the two RADIUS CAs */
	/* the CA files are beside the certificate, public, and are the profile's */
	CHECK_INT_EQ(stat(tmpdir_path("certdir/radius-ca-1111111111111111.pem"), &st), 0);
	CHECK_INT_EQ(st.st_mode & 0777, 0644);
	CHECK_INT_EQ(
	    cl_fileio_read(tmpdir_path("certdir/radius-ca-2222222222222222.pem"), 4096, &ca, &len, &err),
	    CL_OK);
	CHECK(ca && !strcmp(ca, trust[1].pem));
	free(ca);
	/* what the helper got: the plan, with the user's name as owner and paths only */
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("netconf-ok.input"), 65536, &input, &len, &err), CL_OK);
	CHECK(input && strstr(input, "\"owner\"") && strstr(input, "radius-ca-1111111111111111.pem"));
	free(input);
	cl_locations_clear(&locs);

	/* NetworkManager not running: nothing applied, the wpa_supplicant files instead, and why */
	fake_helper("netconf-down",
	            "{\"status\":\"unavailable\",\"message\":\"NetworkManager is not running\"}", 3);
	CHECK_INT_EQ(cl_network_apply(&nets, trust, 2, &target, NULL, &locs, &r, &err), CL_OK);
	CHECK_INT_EQ(r.applied, 0);
	CHECK_STR_EQ(r.note, "NetworkManager is not running");
	CHECK_STR_EQ(r.wpa_file[0], tmpdir_path("certdir/wpa_supplicant.conf"));
	CHECK_STR_EQ(r.wpa_file[1], tmpdir_path("certdir/wpa_supplicant-wired.conf"));
	CHECK_INT_EQ(count_kind(&locs, CL_LOC_NETWORK_FILE), 4);
	CHECK_INT_EQ(count_kind(&locs, CL_LOC_NM_CONNECTION), 0);
	cl_locations_clear(&locs);

	/* no helper at all (a system without certlink-netconf) */
	setenv("CERTLINK_NETCONF", tmpdir_path("no-such-helper"), 1);
	CHECK_INT_EQ(cl_network_apply(&nets, trust, 2, &target, NULL, &locs, &r, &err), CL_OK);
	CHECK(strstr(r.note, "certlink-netconf") && strstr(r.note, "not installed"));
	CHECK(r.wpa_file[0][0] != '\0');
	cl_locations_clear(&locs);
	(void)helper;
}

static void test_remove(void)
{
	struct cl_location loc = { CL_LOC_NM_CONNECTION, UUID1, "Example Corp (CorpWiFi)" };
	struct cl_error err;

	fake_helper(
	    "netconf-del",
	    "{\"status\":\"ok\",\"connections\":[{\"uuid\":\"" UUID1 "\",\"action\":\"not-certlink\"}]}", 0);
	CHECK_INT_EQ(cl_network_remove(&loc, &err), CL_OK); /* not certlink's: left alone, nothing to do */
	fake_helper("netconf-del2",
	            "{\"status\":\"unavailable\",\"message\":\"NetworkManager is not running\"}", 3);
	CHECK_INT_EQ(cl_network_remove(&loc, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "Example Corp (CorpWiFi)") && strstr(err.msg, UUID1) &&
	      strstr(err.msg, "NetworkManager is not running"));
}

/* The location kinds: a connection's UUID and name survive the records file; anything else is refused. */
static void test_locations(void)
{
	struct cl_locations l = { NULL, 0 }, back = { NULL, 0 };
	struct cl_error err;
	cJSON *json, *bad;

	CHECK_INT_EQ(cl_locations_add(&l, CL_LOC_NM_CONNECTION, UUID1, "Example Corp (wired)", &err), CL_OK);
	CHECK_INT_EQ(cl_locations_add(&l, CL_LOC_NETWORK_FILE, "/store/radius-ca.pem", NULL, &err), CL_OK);
	json = cl_locations_to_json(&l);
	CHECK_INT_EQ(cl_locations_from_json(json, &back, &err), CL_OK);
	CHECK(back.n == 2 && cl_location_equal(&back.items[0], &l.items[0]) &&
	      cl_location_equal(&back.items[1], &l.items[1]));
	CHECK_STR_EQ(cl_location_kind_name(CL_LOC_NM_CONNECTION), "nm-connection");
	cJSON_Delete(json);
	cl_locations_clear(&back);
	bad = cJSON_Parse("[{\"kind\":\"nm-connection\",\"path\":\"/etc/passwd\",\"nickname\":\"x\"}]");
	CHECK_INT_EQ(cl_locations_from_json(bad, &back, &err), CL_E_LOCAL);
	cJSON_Delete(bad);
	cl_locations_clear(&back);
	bad = cJSON_Parse("[{\"kind\":\"nm-connection\",\"path\":\"" UUID1 "\"}]");
	CHECK_INT_EQ(cl_locations_from_json(bad, &back, &err), CL_E_LOCAL); /* a connection has a name */
	cJSON_Delete(bad);
	cl_locations_clear(&back);
	bad = cJSON_Parse("[{\"kind\":\"network-file\",\"path\":\"relative\"}]");
	CHECK_INT_EQ(cl_locations_from_json(bad, &back, &err), CL_E_LOCAL);
	cJSON_Delete(bad);
	cl_locations_clear(&back);
	CHECK(!cl_location_uuid_ok("0e7c5f0a-1111-4a2b-9c3d-0123456789a"));
	CHECK(!cl_location_uuid_ok("0e7c5f0a-1111-4a2b-9c3d-0123456789abc"));
	CHECK(!cl_location_uuid_ok("0e7c5f0a_1111-4a2b-9c3d-0123456789ab"));
	cl_locations_clear(&l);
}

int main(void)
{
	tmpdir_make("network");
	make_networks();
	make_trust();
	test_plan();
	test_wpa_conf();
	test_apply();
	test_remove();
	test_locations();
	free((char *)target.dir);
	tmpdir_remove();
	return check_done();
}
