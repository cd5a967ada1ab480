/* certlink core: remembered servers, bound to host and port (see knownservers.h). */
#include "knownservers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "fingerprint.h"
#include "jsonfile.h"

#define FILE_MAX  (256 * 1024)
#define DEPTH_MAX 4
#define LOCK_MS   30000

/* One entry, when it is well formed. */
static bool entry_of(const cJSON *e, const char **host, int64_t *port, unsigned char sha256[32])
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "host");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "port");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "ca_sha256");

	if (!cJSON_IsString(h) || !h->valuestring[0] || strlen(h->valuestring) > 253 || !cJSON_IsNumber(p) ||
	    p->valuedouble < 1 || p->valuedouble > 65535 || !cJSON_IsString(f) ||
	    strlen(f->valuestring) != 64 || !cl_fp_parse(f->valuestring, 64, sha256))
		return false;
	*host = h->valuestring;
	*port = (int64_t)p->valuedouble;
	return true;
}

static const cJSON *servers_of(const cJSON *doc)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "version");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "servers");

	if (!cJSON_IsNumber(v) || v->valuedouble != 1 || !cJSON_IsArray(s))
		return NULL;
	return s;
}

bool cl_known_servers_find(const char *path, const char *host, unsigned port, unsigned char sha256[32])
{
	cJSON *doc = NULL;
	const cJSON *servers, *e;
	bool found = false;

	if (!path || !host || cl_jsonfile_load(path, FILE_MAX, DEPTH_MAX, &doc, NULL) != CL_OK || !doc)
		return false;
	servers = servers_of(doc);
	cJSON_ArrayForEach(e, servers)
	{
		const char *h;
		int64_t p;
		unsigned char fp[32];

		if (entry_of(e, &h, &p, fp) && p == (int64_t)port && strcasecmp(h, host) == 0) {
			memcpy(sha256, fp, 32);
			found = true;
			break;
		}
	}
	cJSON_Delete(doc);
	return found;
}

/* The kept entries of the old document (without HOST:PORT and anything damaged), oldest first. */
static cJSON *kept_entries(const cJSON *old, const char *host, unsigned port)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *servers = old ? servers_of(old) : NULL, *e;
	int n = servers ? cJSON_GetArraySize(servers) : 0, skip, i = 0;

	/* room for the new entry */
	skip = n >= CL_KNOWN_SERVERS_MAX ? n - CL_KNOWN_SERVERS_MAX + 1 : 0;
	cJSON_ArrayForEach(e, servers)
	{
		const char *h;
		int64_t p;
		unsigned char fp[32];
		cJSON *copy;

		if (i++ < skip || !entry_of(e, &h, &p, fp) ||
		    (p == (int64_t)port && strcasecmp(h, host) == 0))
			continue;
		copy = cJSON_Duplicate(e, true);
		if (!copy || !cJSON_AddItemToArray(list, copy)) {
			cJSON_Delete(copy);
			cJSON_Delete(list);
			return NULL;
		}
	}
	return list;
}

static enum cl_status save_with(const char *path, const char *host, unsigned port,
                                const unsigned char sha256[32], const char *subject, struct cl_error *err)
{
	cJSON *old = NULL, *doc = cJSON_CreateObject(), *list, *e = cJSON_CreateObject();
	char hex[CL_FP_HEX_SIZE];
	enum cl_status st;
	bool ok;

	cl_fp_format_hex(sha256, hex);
	/* a damaged file remembers nothing; it is replaced */
	if (cl_jsonfile_load(path, FILE_MAX, DEPTH_MAX, &old, NULL) != CL_OK)
		old = NULL;
	list = kept_entries(old, host, port);
	ok = doc && e && list && cl_jsonfile_add_int(doc, "version", 1) &&
	     cl_jsonfile_add_string(e, "host", host) && cl_jsonfile_add_int(e, "port", port) &&
	     cl_jsonfile_add_string(e, "ca_sha256", hex) &&
	     cl_jsonfile_add_string(e, "subject", subject ? subject : "") &&
	     cl_jsonfile_add_time(e, "added", (int64_t)time(NULL)) && cJSON_AddItemToArray(list, e);
	if (ok)
		e = NULL;
	ok = ok && cJSON_AddItemToObject(doc, "servers", list);
	if (ok)
		list = NULL;
	st = ok ? cl_jsonfile_save(path, doc, 0600, FILE_MAX, err)
	        : cl_error_set(err, CL_E_LOCAL, "out of memory");
	cJSON_Delete(e);
	cJSON_Delete(list);
	cJSON_Delete(doc);
	cJSON_Delete(old);
	return st;
}

enum cl_status cl_known_servers_remember(const char *path, mode_t dir_mode, const char *host, unsigned port,
                                         const unsigned char sha256[32], const char *subject,
                                         struct cl_error *err)
{
	char dir[PATH_MAX], lockpath[PATH_MAX];
	const char *slash = strrchr(path, '/');
	enum cl_status st;
	int lockfd = -1;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    (size_t)snprintf(lockpath, sizeof(lockpath), "%s.lock", path) >= sizeof(lockpath))
		return cl_error_set(err, CL_E_LOCAL, "bad path for the remembered servers: %s", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	st = cl_fileio_mkdirs(dir, dir_mode, err);
	if (st == CL_OK)
		st = cl_fileio_lock(lockpath, LOCK_MS, &lockfd, err);
	if (st == CL_OK)
		st = save_with(path, host, port, sha256, subject, err);
	cl_fileio_unlock(lockfd);
	if (st != CL_OK)
		cl_error_prefix(err, "remembering the server %s port %u", host, port);
	return st;
}
