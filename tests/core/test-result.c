/* Unit tests of core/result.c: both formats, documented paths, atomic replace, hostile strings. */
#include "check.h"
#include "fileio.h"
#include "result.h"
#include "tmpdir.h"

#include <cjson/cJSON.h>

#include <stdlib.h>

static void test_names(void)
{
	CHECK_STR_EQ(cl_result_outcome_name(CL_RESULT_SUCCEEDED), "succeeded");
	CHECK_STR_EQ(cl_result_outcome_name(CL_RESULT_FAILED), "failed");
	CHECK_STR_EQ(cl_result_outcome_name(CL_RESULT_CANCELED), "canceled");
	CHECK_STR_EQ(cl_result_outcome_name(CL_RESULT_NOT_EXECUTED), "not executed");
}

static void test_formats(void)
{
	static const char *const not_installed[] = {
		"5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab"
	};
	struct cl_result r = { .date = 1795600800,
		               .outcome = CL_RESULT_SUCCEEDED,
		               .user = "alice",
		               .store = CL_STORE_USER,
		               .cn = "alice",
		               .serial = "4f1a22c9",
		               .expiry = 1827136800,
		               .exit_code = 0,
		               .message = "certificate installed",
		               .ca_not_installed = not_installed,
		               .n_ca_not_installed = 1 };
	struct cl_error err;
	char *text = cl_result_format(&r, CL_RESULT_FORMAT_TEXT, &err);
	cJSON *j, *list;

	CHECK_STR_EQ(
	    text,
	    "date: 2026-11-25T10:00:00Z\nresult: succeeded\nuser: alice\nstore: user\ncn: alice\n"
	    "serial: 4f1a22c9\nexpiry: 2027-11-25T10:00:00Z\nexit_code: 0\nmessage: certificate installed\n"
	    "trust_anchors_installed: 0\n"
	    "trust_anchors_not_installed: "
	    "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab\n");
	free(text);

	text = cl_result_format(&r, CL_RESULT_FORMAT_JSON, &err);
	j = text ? cJSON_Parse(text) : NULL;
	CHECK(j != NULL);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "date")), "2026-11-25T10:00:00Z");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "result")), "succeeded");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "store")), "user");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "serial")), "4f1a22c9");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "expiry")), "2027-11-25T10:00:00Z");
	CHECK_INT_EQ(cJSON_GetObjectItem(j, "exit_code")->valueint, 0);
	/* the CA the profile offered as a trust anchor, not installed without consent (core/anchor.h) */
	CHECK_INT_EQ(cJSON_GetObjectItem(j, "trust_anchors_installed")->valueint, 0);
	list = cJSON_GetObjectItem(j, "trust_anchors_not_installed");
	CHECK(cJSON_IsArray(list) && cJSON_GetArraySize(list) == 1);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetArrayItem(list, 0)), not_installed[0]);
	CHECK_INT_EQ(cJSON_GetArraySize(j), 11);
	cJSON_Delete(j);
	free(text);

	/* A failure without a certificate: nulls in JSON, empty values in text; a hostile message stays on
	 * one line and cannot inject a member. */
	r = (struct cl_result){ .date = 1795600800,
		                .outcome = CL_RESULT_FAILED,
		                .store = CL_STORE_COMPUTER,
		                .exit_code = 200,
		                .message = "server unreachable\nresult: succeeded\"}" };
	text = cl_result_format(&r, CL_RESULT_FORMAT_TEXT, &err);
	CHECK_STR_EQ(text,
	             "date: 2026-11-25T10:00:00Z\nresult: failed\nuser: \nstore: computer\ncn: \nserial: \n"
	             "expiry: \nexit_code: 200\nmessage: server unreachable result: succeeded\"}\n"
	             "trust_anchors_installed: 0\ntrust_anchors_not_installed: \n");
	free(text);
	text = cl_result_format(&r, CL_RESULT_FORMAT_JSON, &err);
	j = text ? cJSON_Parse(text) : NULL;
	CHECK(j && cJSON_IsNull(cJSON_GetObjectItem(j, "cn")) &&
	      cJSON_IsNull(cJSON_GetObjectItem(j, "expiry")));
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "result")), "failed");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(j, "message")),
	             "server unreachable result: succeeded\"}");
	cJSON_Delete(j);
	free(text);

	/* date 0 means now. */
	r.date = 0;
	text = cl_result_format(&r, CL_RESULT_FORMAT_TEXT, &err);
	CHECK(text && strncmp(text, "date: 20", 8) == 0);
	free(text);
}

static void test_write(void)
{
	struct cl_result r = { .outcome = CL_RESULT_NOT_EXECUTED,
		               .user = "pc01$",
		               .store = CL_STORE_COMPUTER,
		               .exit_code = 110,
		               .message = "renewal not due" };
	struct cl_error err;
	char *text = NULL;

	CHECK_INT_EQ(cl_result_write(&r, CL_RESULT_FORMAT_TEXT, NULL, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys/result.txt")), 0644);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("sys/result.txt"), 4096, &text, NULL, &err), CL_OK);
	CHECK(text && strstr(text, "result: not executed\n") && strstr(text, "exit_code: 110\n"));
	free(text);
	r.store = CL_STORE_USER;
	r.outcome = CL_RESULT_CANCELED;
	CHECK_INT_EQ(cl_result_write(&r, CL_RESULT_FORMAT_JSON, NULL, &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("state/certlink")), 0700);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("state/certlink/result.json"), 4096, &text, NULL, &err),
	             CL_OK);
	CHECK(text && strstr(text, "\"canceled\""));
	free(text);
	/* An explicit path (the command line's --result FILE). */
	CHECK_INT_EQ(cl_result_write(&r, CL_RESULT_FORMAT_TEXT, tmpdir_path("out/r.txt"), &err), CL_OK);
	CHECK(cl_fileio_exists(tmpdir_path("out/r.txt")));
	CHECK_INT_EQ(cl_result_write(&r, CL_RESULT_FORMAT_TEXT, tmpdir_path("out/r.txt/x"), &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "writing the result file") != NULL);
}

/* The networks of the profile: each connection, configured or not, why not, and the files written instead. */
static void test_networks(void)
{
	struct cl_network_report n;
	struct cl_result r = { .outcome = CL_RESULT_SUCCEEDED, .store = CL_STORE_USER, .network = &n };
	struct cl_error err;
	char *json, *text;
	cJSON *doc;
	const cJSON *list;

	memset(&n, 0, sizeof(n));
	n.planned = n.applied = 2;
	snprintf(n.conns[0].key, sizeof(n.conns[0].key), "wifi:CorpWiFi");
	snprintf(n.conns[0].name, sizeof(n.conns[0].name), "Example Corp (CorpWiFi)");
	snprintf(n.conns[0].uuid, sizeof(n.conns[0].uuid), "0e7c5f0a-1111-4a2b-9c3d-0123456789ab");
	snprintf(n.conns[1].key, sizeof(n.conns[1].key), "wired");
	snprintf(n.conns[1].name, sizeof(n.conns[1].name), "Example Corp (wired)\nsecond line");
	snprintf(n.conns[1].uuid, sizeof(n.conns[1].uuid), "0e7c5f0a-2222-4a2b-9c3d-0123456789ab");
	n.conns[1].updated = true;
	json = cl_result_format(&r, CL_RESULT_FORMAT_JSON, &err);
	text = cl_result_format(&r, CL_RESULT_FORMAT_TEXT, &err);
	doc = json ? cJSON_Parse(json) : NULL;
	list = cJSON_GetObjectItem(doc, "networks");
	CHECK(cJSON_GetArraySize(list) == 2);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "network")),
	             "wifi:CorpWiFi");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "configured")));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "updated")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(doc, "network_message")));
	cJSON_Delete(doc);
	CHECK(text &&
	      strstr(text, "\nnetworks: Example Corp (CorpWiFi) [0e7c5f0a-1111-4a2b-9c3d-0123456789ab],"
	                   "Example Corp (wired) second line [0e7c5f0a-2222-4a2b-9c3d-0123456789ab]\n"));
	free(json);
	free(text);
	/* nothing applied: why, and where the settings went */
	n.applied = 0;
	n.conns[0].uuid[0] = n.conns[1].uuid[0] = '\0';
	snprintf(n.note, sizeof(n.note), "NetworkManager is not running");
	snprintf(n.wpa_file[0], sizeof(n.wpa_file[0]), "/s/wpa_supplicant.conf");
	json = cl_result_format(&r, CL_RESULT_FORMAT_JSON, &err);
	text = cl_result_format(&r, CL_RESULT_FORMAT_TEXT, &err);
	doc = json ? cJSON_Parse(json) : NULL;
	list = cJSON_GetObjectItem(doc, "networks");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "uuid")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 1), "configured")));
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "network_message")),
	             "NetworkManager is not running");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "network_files"), 0)),
	             "/s/wpa_supplicant.conf");
	cJSON_Delete(doc);
	CHECK(text && strstr(text, "[not configured]") &&
	      strstr(
	          text,
	          "network_message: NetworkManager is not running\nnetwork_files: /s/wpa_supplicant.conf\n"));
	free(json);
	free(text);
	/* a profile without networks: no members at all */
	r.network = NULL;
	json = cl_result_format(&r, CL_RESULT_FORMAT_JSON, &err);
	CHECK(json && !strstr(json, "networks"));
	free(json);
}

int main(void)
{
	tmpdir_make("result");
	test_networks();
	setenv("XDG_STATE_HOME", tmpdir_path("state"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	test_names();
	test_formats();
	test_write();
	tmpdir_remove();
	return check_done();
}
