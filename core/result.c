/* certlink core: zero-touch result files (see result.h). */
#include "result.h"
#include "fileio.h"
#include "jsonfile.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MESSAGE_MAX 1024

const char *cl_result_outcome_name(enum cl_result_outcome outcome)
{
	switch (outcome) {
	case CL_RESULT_SUCCEEDED:
		return "succeeded";
	case CL_RESULT_FAILED:
		return "failed";
	case CL_RESULT_CANCELED:
		return "canceled";
	case CL_RESULT_NOT_EXECUTED:
		return "not executed";
	}
	return "failed";
}

/* One line of text: control characters become spaces, long values are cut. */
static void one_line(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < dstlen; src++)
		dst[n++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? ' ' : *src;
	dst[n] = '\0';
}

static bool add_not_installed(cJSON *j, const struct cl_result *r)
{
	cJSON *list = cJSON_AddArrayToObject(j, "trust_anchors_not_installed");

	for (size_t i = 0; list && i < r->n_ca_not_installed; i++) {
		char hex[80];
		cJSON *s;

		one_line(hex, sizeof(hex), r->ca_not_installed[i]);
		if (!(s = cJSON_CreateString(hex)) || !cJSON_AddItemToArray(list, s))
			return false;
	}
	return list != NULL;
}

static bool add_networks(cJSON *j, const struct cl_result *r)
{
	const struct cl_network_report *n = r->network;
	cJSON *list, *files;
	char line[MESSAGE_MAX + 1];

	if (!n || n->planned == 0)
		return true;
	if (!(list = cJSON_AddArrayToObject(j, "networks")) ||
	    !(files = cJSON_AddArrayToObject(j, "network_files")))
		return false;
	for (int i = 0; i < n->planned && i < CL_NETWORK_CONNECTIONS_MAX; i++) {
		const struct cl_network_conn *c = &n->conns[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(list, o))
			return false;
		one_line(line, sizeof(line), c->name);
		if (!cl_jsonfile_add_string(o, "name", line) ||
		    !cl_jsonfile_add_string(o, "network", c->key) ||
		    !(c->uuid[0] ? cl_jsonfile_add_string(o, "uuid", c->uuid)
		                 : cJSON_AddNullToObject(o, "uuid") != NULL) ||
		    !cJSON_AddBoolToObject(o, "configured", c->uuid[0] != '\0') ||
		    !cJSON_AddBoolToObject(o, "updated", c->updated))
			return false;
	}
	for (int w = 0; w < 2; w++)
		if (n->wpa_file[w][0] && !cJSON_AddItemToArray(files, cJSON_CreateString(n->wpa_file[w])))
			return false;
	one_line(line, sizeof(line), n->skipped ? "not applied (--no-network)" : n->note);
	return line[0] ? cl_jsonfile_add_string(j, "network_message", line)
	               : cJSON_AddNullToObject(j, "network_message") != NULL;
}

static char *format_json(const struct cl_result *r, int64_t date)
{
	cJSON *j = cJSON_CreateObject();
	char *text = NULL, msg[MESSAGE_MAX + 1];

	one_line(msg, sizeof(msg), r->message);
	if (j && cl_jsonfile_add_time(j, "date", date) &&
	    cl_jsonfile_add_string(j, "result", cl_result_outcome_name(r->outcome)) &&
	    (r->user ? cl_jsonfile_add_string(j, "user", r->user)
	             : cJSON_AddNullToObject(j, "user") != NULL) &&
	    cl_jsonfile_add_string(j, "store", cl_store_kind_name(r->store)) &&
	    (r->cn ? cl_jsonfile_add_string(j, "cn", r->cn) : cJSON_AddNullToObject(j, "cn") != NULL) &&
	    (r->serial ? cl_jsonfile_add_string(j, "serial", r->serial)
	               : cJSON_AddNullToObject(j, "serial") != NULL) &&
	    cl_jsonfile_add_time(j, "expiry", r->expiry) &&
	    cl_jsonfile_add_int(j, "exit_code", r->exit_code) &&
	    (r->message ? cl_jsonfile_add_string(j, "message", msg)
	                : cJSON_AddNullToObject(j, "message") != NULL) &&
	    cl_jsonfile_add_int(j, "trust_anchors_installed", r->trust_anchors) && add_not_installed(j, r) &&
	    add_networks(j, r))
		text = cJSON_Print(j);
	cJSON_Delete(j);
	if (text) {
		char *nl = realloc(text, strlen(text) + 2);

		if (!nl) {
			free(text);
			return NULL;
		}
		strcat(nl, "\n");
		text = nl;
	}
	return text;
}

static void text_networks(char *out, size_t size, const struct cl_network_report *n)
{
	size_t used = 0;
	char line[600];

	used += (size_t)snprintf(out + used, size - used, "networks: ");
	for (int i = 0; i < n->planned && i < CL_NETWORK_CONNECTIONS_MAX && used < size; i++) {
		one_line(line, sizeof(line), n->conns[i].name);
		used += (size_t)snprintf(out + used, size - used, "%s%s [%s]", i ? "," : "", line,
		                         n->conns[i].uuid[0] ? n->conns[i].uuid : "not configured");
	}
	one_line(line, sizeof(line), n->skipped ? "not applied (--no-network)" : n->note);
	if (used < size)
		used += (size_t)snprintf(
		    out + used, size - used, "\nnetwork_message: %s\nnetwork_files: %s%s%s\n", line,
		    n->wpa_file[0], n->wpa_file[0][0] && n->wpa_file[1][0] ? "," : "", n->wpa_file[1]);
}

static char *format_text(const struct cl_result *r, int64_t date)
{
	char when[21], expiry[21] = "", user[256], cn[256], serial[64], msg[MESSAGE_MAX + 1],
	               cas[8 * 81] = "";
	size_t cap = 2048 + MESSAGE_MAX + sizeof(cas);
	char *out;

	cl_jsonfile_format_time(date, when);
	if (r->expiry)
		cl_jsonfile_format_time(r->expiry, expiry);
	one_line(user, sizeof(user), r->user);
	one_line(cn, sizeof(cn), r->cn);
	one_line(serial, sizeof(serial), r->serial);
	one_line(msg, sizeof(msg), r->message);
	for (size_t i = 0; i < r->n_ca_not_installed && i < 8; i++) {
		char hex[80];

		one_line(hex, sizeof(hex), r->ca_not_installed[i]);
		snprintf(cas + strlen(cas), sizeof(cas) - strlen(cas), "%s%s", i ? "," : "", hex);
	}
	out = malloc(cap + 16 * 600);
	if (out)
		snprintf(out, cap,
		         "date: %s\nresult: %s\nuser: %s\nstore: %s\ncn: %s\nserial: %s\nexpiry: "
		         "%s\nexit_code: %d\n"
		         "message: %s\ntrust_anchors_installed: %d\ntrust_anchors_not_installed: %s\n",
		         when, cl_result_outcome_name(r->outcome), user, cl_store_kind_name(r->store), cn,
		         serial, expiry, r->exit_code, msg, r->trust_anchors, cas);
	if (out && r->network && r->network->planned > 0)
		text_networks(out + strlen(out), 16 * 600 + cap - strlen(out), r->network);
	return out;
}

char *cl_result_format(const struct cl_result *r, enum cl_result_format format, struct cl_error *err)
{
	int64_t date = r->date ? r->date : (int64_t)time(NULL);
	char *text = format == CL_RESULT_FORMAT_TEXT ? format_text(r, date) : format_json(r, date);

	if (!text)
		cl_error_set(err, CL_E_LOCAL, "out of memory");
	return text;
}

enum cl_status cl_result_write(const struct cl_result *r, enum cl_result_format format, const char *path,
                               struct cl_error *err)
{
	char *own = NULL, *text = NULL, dir[4096];
	enum cl_status st = CL_E_LOCAL;
	const char *slash;

	if (!path) {
		if (cl_store_check_allowed(r->store, err) != CL_OK)
			return CL_E_LOCAL;
		path = own = cl_paths_result_file(r->store, format, err);
		if (!path)
			return CL_E_LOCAL;
	}
	slash = strrchr(path, '/');
	if (slash && slash != path && (size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (cl_fileio_mkdirs(dir, (mode_t)cl_paths_store_dir_mode(r->store), err) != CL_OK)
			goto out;
	}
	text = cl_result_format(r, format, err);
	if (text)
		st = cl_fileio_replace(path, text, strlen(text), 0644, err);
out:
	if (st != CL_OK)
		cl_error_prefix(err, "writing the result file");
	free(text);
	free(own);
	return st;
}
