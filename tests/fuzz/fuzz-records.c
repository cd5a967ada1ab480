/* libFuzzer target for the local records parser (core/jsonfile.c + core/records.c + core/location.c): any
 * bytes as a records.json file, which anyone with access to the account can edit or damage.
 *
 * A refusal must be CL_E_LOCAL with a message and no document. An accepted document must serialize and
 * parse back to JSON that compares equal (what cl_records_update() relies on to never save an unreadable
 * file), every serial and location must satisfy the documented invariants, and the find helpers must find
 * what is there. Every broken property abort()s so libFuzzer keeps the input.
 */
#include "jsonfile.h"
#include "records.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_document(const struct cl_records *rec)
{
	char norm[41];

	for (size_t i = 0; i < rec->n_apps; i++) {
		const struct cl_application *a = rec->apps[i];

		if (!a->id || !a->server_host || !a->user || !a->client_request_id || a->store != rec->store)
			abort();
		if (cl_records_find_application(rec, a->id) != a)
			abort();
	}
	for (size_t i = 0; i < rec->n_certs; i++) {
		const struct cl_certificate *c = rec->certs[i];

		if (!cl_records_normalize_serial(c->serial, norm) || strcmp(norm, c->serial) != 0)
			abort();
		if (cl_records_find_certificate(rec, c->serial) != c || c->locations.n > CL_LOCATIONS_MAX)
			abort();
		for (size_t j = 0; j < c->locations.n; j++) {
			const struct cl_location *l = &c->locations.items[j];

			if (!l->path || (l->path[0] != '/' && strncmp(l->path, "sql:/", 5) != 0))
				abort();
			if (cl_location_kind_is_nss(l->kind) != (l->nickname != NULL))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_records *rec = NULL, *again = NULL;
	struct cl_error err;
	cJSON *json, *out, *out2;
	enum cl_status st;

	if (size > CL_RECORDS_MAX_BYTES)
		return 0;
	cl_error_clear(&err);
	json = cl_jsonfile_parse((const char *)data, size, CL_RECORDS_MAX_DEPTH, "fuzz", &err);
	if (!json) {
		if (err.status != CL_E_LOCAL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	st = cl_records_from_json(json, CL_STORE_USER, &rec, &err);
	cJSON_Delete(json);
	if (st != CL_OK) {
		if (st != CL_E_LOCAL || rec || err.msg[0] == '\0')
			abort();
		return 0;
	}
	check_document(rec);
	out = cl_records_to_json(rec);
	if (!out || cl_records_from_json(out, CL_STORE_USER, &again, &err) != CL_OK)
		abort();
	out2 = cl_records_to_json(again);
	if (!out2 || !cJSON_Compare(out, out2, true))
		abort();
	cJSON_Delete(out);
	cJSON_Delete(out2);
	cl_records_free(again);
	cl_records_free(rec);
	return 0;
}
