/* certlink core: install locations (see location.h). */
#include "location.h"
#include "jsonfile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
	[CL_LOC_DIRECTORY] = "directory",
	[CL_LOC_KEY] = "key",
	[CL_LOC_CERTIFICATE] = "certificate",
	[CL_LOC_CHAIN] = "chain",
	[CL_LOC_PKCS12] = "pkcs12",
	[CL_LOC_PKCS12_PASSWORD] = "pkcs12-password",
	[CL_LOC_NSS_CERT] = "nss-certificate",
	[CL_LOC_NSS_CA] = "nss-ca",
	[CL_LOC_TRUST_FILE] = "trust-file",
	[CL_LOC_P11KIT_ANCHOR] = "p11-kit-anchor",
	[CL_LOC_CA_CERTIFICATES] = "ca-certificates",
	[CL_LOC_NETWORK_FILE] = "network-file",
	[CL_LOC_NM_CONNECTION] = "nm-connection",
	[CL_LOC_FIREFOX_CERT] = "firefox-certificate",
	[CL_LOC_FIREFOX_CA] = "firefox-ca",
	[CL_LOC_FIREFOX_CHAIN] = "firefox-chain",
};
#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

const char *cl_location_kind_name(enum cl_location_kind kind)
{
	if ((unsigned)kind < N_KINDS && kind_names[kind])
		return kind_names[kind];
	return "unknown";
}

bool cl_location_kind_parse(const char *name, enum cl_location_kind *out)
{
	for (size_t i = 1; name && i < N_KINDS; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum cl_location_kind)i;
			return true;
		}
	}
	return false;
}

bool cl_location_kind_is_secret(enum cl_location_kind kind)
{
	return kind == CL_LOC_KEY || kind == CL_LOC_PKCS12 || kind == CL_LOC_PKCS12_PASSWORD;
}

bool cl_location_kind_is_nss(enum cl_location_kind kind)
{
	return kind == CL_LOC_NSS_CERT || kind == CL_LOC_NSS_CA || kind == CL_LOC_FIREFOX_CERT ||
	       kind == CL_LOC_FIREFOX_CA || kind == CL_LOC_FIREFOX_CHAIN;
}

bool cl_location_uuid_ok(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (!s[i] || (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i])))
			return false;
	}
	return s[36] == '\0';
}

bool cl_location_kind_is_trust(enum cl_location_kind kind)
{
	return kind == CL_LOC_NSS_CA || kind == CL_LOC_TRUST_FILE || kind == CL_LOC_P11KIT_ANCHOR ||
	       kind == CL_LOC_CA_CERTIFICATES || kind == CL_LOC_FIREFOX_CA;
}

enum cl_status cl_locations_add(struct cl_locations *list, enum cl_location_kind kind, const char *path,
                                const char *nickname, struct cl_error *err)
{
	struct cl_location *items, *loc;

	if (list->n >= CL_LOCATIONS_MAX)
		return cl_error_set(err, CL_E_LOCAL, "too many install locations (at most %d)",
		                    CL_LOCATIONS_MAX);
	items = realloc(list->items, (list->n + 1) * sizeof(*items));
	if (!items)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	list->items = items;
	loc = &items[list->n];
	loc->kind = kind;
	loc->path = strdup(path);
	loc->nickname = nickname ? strdup(nickname) : NULL;
	if (!loc->path || (nickname && !loc->nickname)) {
		free(loc->path);
		free(loc->nickname);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	list->n++;
	return CL_OK;
}

enum cl_status cl_locations_append(struct cl_locations *list, const struct cl_locations *src,
                                   struct cl_error *err)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct cl_location *l = &src->items[i];

		if (cl_locations_add(list, l->kind, l->path, l->nickname, err) != CL_OK)
			return CL_E_LOCAL;
	}
	return CL_OK;
}

void cl_locations_clear(struct cl_locations *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		free(list->items[i].path);
		free(list->items[i].nickname);
	}
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool cl_location_equal(const struct cl_location *a, const struct cl_location *b)
{
	return a->kind == b->kind && str_eq(a->path, b->path) && str_eq(a->nickname, b->nickname);
}

cJSON *cl_locations_to_json(const struct cl_locations *list)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; arr && i < list->n; i++) {
		const struct cl_location *l = &list->items[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o) ||
		    !cl_jsonfile_add_string(o, "kind", cl_location_kind_name(l->kind)) ||
		    !cl_jsonfile_add_string(o, "path", l->path) ||
		    !cl_jsonfile_add_string(o, "nickname", l->nickname)) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static enum cl_status location_from_json(const cJSON *o, size_t i, struct cl_locations *out,
                                         struct cl_error *err)
{
	char *kind_name = NULL, *path = NULL, *nickname = NULL;
	enum cl_location_kind kind;
	enum cl_status st = CL_E_LOCAL;
	bool nss;

	if (!cJSON_IsObject(o)) {
		cl_error_set(err, CL_E_LOCAL, "location %zu is not an object", i);
		goto out;
	}
	if (cl_jsonfile_get_string(o, "kind", 32, true, &kind_name, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "path", PATH_MAX - 1, true, &path, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "nickname", 256, false, &nickname, err) != CL_OK)
		goto out;
	if (!cl_location_kind_parse(kind_name, &kind)) {
		cl_error_set(err, CL_E_LOCAL, "unknown location kind \"%s\"", kind_name);
		goto out;
	}
	nss = cl_location_kind_is_nss(kind);
	if (kind == CL_LOC_NM_CONNECTION ? !cl_location_uuid_ok(path)
	    : nss                        ? strncmp(path, "sql:/", 5) != 0
	                                 : path[0] != '/') {
		cl_error_set(err, CL_E_LOCAL, "location %zu: path must be %s", i,
		             kind == CL_LOC_NM_CONNECTION ? "a connection UUID"
		             : nss                        ? "an NSS database sql:/DIR"
		                                          : "absolute");
		goto out;
	}
	if ((nss || kind == CL_LOC_NM_CONNECTION) != (nickname != NULL) || (nickname && !nickname[0])) {
		cl_error_set(err, CL_E_LOCAL,
		             "location %zu: a nickname belongs to NSS locations and connections only", i);
		goto out;
	}
	st = cl_locations_add(out, kind, path, nickname, err);
out:
	free(kind_name);
	free(path);
	free(nickname);
	return st;
}

enum cl_status cl_locations_from_json(const cJSON *array, struct cl_locations *out, struct cl_error *err)
{
	const cJSON *o;
	size_t i = 0;

	if (!cJSON_IsArray(array))
		return cl_error_set(err, CL_E_LOCAL, "locations must be an array");
	cJSON_ArrayForEach(o, array)
	{
		if (location_from_json(o, i++, out, err) != CL_OK)
			return CL_E_LOCAL;
	}
	return CL_OK;
}
