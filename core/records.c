/* certlink core: records of applications and certificates (see records.h). */
#include "records.h"
#include "fileio.h"
#include "jsonfile.h"

#include <libintl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#define RECORDS_VERSION 1

static const char *const state_names[] = {
	[CL_APP_NEW] = "new",
	[CL_APP_PENDING] = "pending",
	[CL_APP_APPROVED] = "approved",
	[CL_APP_ACTIVATED] = "activated",
	[CL_APP_ISSUED] = "issued",
	[CL_APP_INSTALLED] = "installed",
	[CL_APP_WITHDRAWN] = "withdrawn",
	[CL_APP_REJECTED] = "rejected",
	[CL_APP_FAILED] = "failed",
};
#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *cl_app_state_name(enum cl_app_state state)
{
	if ((unsigned)state < N_STATES)
		return state_names[state];
	return "unknown";
}

bool cl_app_state_parse(const char *name, enum cl_app_state *out)
{
	for (size_t i = 0; name && i < N_STATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum cl_app_state)i;
			return true;
		}
	}
	return false;
}

bool cl_app_state_is_open(enum cl_app_state state)
{
	return state <= CL_APP_ISSUED;
}

/* ---- memory ---- */

static void app_free(struct cl_application *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->server_host);
	free(a->server_name);
	free(a->ca_fingerprint);
	free(a->user);
	free(a->client_request_id);
	free(a->server_id);
	free(a->renewal_of);
	free(a->renewal_of_fingerprint);
	free(a->transaction_id);
	free(a->serial);
	free(a->last_error);
	free(a);
}

static void cert_free(struct cl_certificate *c)
{
	if (!c)
		return;
	free(c->serial);
	free(c->subject);
	free(c->issuer);
	free(c->key_type);
	free(c->fingerprint);
	free(c->application);
	free(c->server_host);
	free(c->user);
	free(c->server_trust);
	free(c->server_ca_fingerprint);
	free(c->replaces);
	cl_locations_clear(&c->locations);
	free(c);
}

struct cl_records *cl_records_new(enum cl_store_kind kind)
{
	struct cl_records *rec = calloc(1, sizeof(*rec));

	if (rec)
		rec->store = kind;
	return rec;
}

void cl_records_free(struct cl_records *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < rec->n_apps; i++)
		app_free(rec->apps[i]);
	for (size_t i = 0; i < rec->n_certs; i++)
		cert_free(rec->certs[i]);
	free(rec->apps);
	free(rec->certs);
	free(rec);
}

/* Append P to the pointer array *ARR of *N entries. */
static bool push(void ***arr, size_t *n, void *p)
{
	void **grown = realloc(*arr, (*n + 1) * sizeof(void *));

	if (!grown)
		return false;
	grown[(*n)++] = p;
	*arr = grown;
	return true;
}

enum cl_status cl_records_set_string(char **member, const char *value, struct cl_error *err)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	free(*member);
	*member = copy;
	return CL_OK;
}

/* ---- identifiers ---- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

static bool valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool valid_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A random version 4 UUID (RFC 9562), lowercase. */
static bool new_uuid(char out[37])
{
	unsigned char b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return false;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return true;
}

bool cl_records_normalize_serial(const char *in, char out[41])
{
	bool digits = false;
	size_t n = 0;

	if (!in)
		return false;
	for (; *in; in++) {
		char c = *in;

		if (c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		digits = true;
		if (n == 0 && c == '0')
			continue;
		if (n == 40)
			return false;
		out[n++] = c;
	}
	if (!digits)
		return false;
	if (n == 0)
		out[n++] = '0';
	out[n] = '\0';
	return true;
}

/* A SHA-256 fingerprint in any usual spelling (case, ':' separators) as 64 lowercase hex digits; with
 * PREFIX_OK, 8 to 64 digits (a prefix a person typed). */
static bool normalize_hex(const char *in, char out[65], bool prefix_ok)
{
	size_t n = 0;

	for (; in && *in; in++) {
		char c = *in;

		if (c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n == 64)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return prefix_ok ? n >= 8 : n == 64;
}

static bool normalize_fingerprint(const char *in, char out[65])
{
	return normalize_hex(in, out, false);
}

/* ---- changes ---- */

struct cl_application *cl_records_add_application(struct cl_records *rec, struct cl_error *err)
{
	struct cl_application *a = calloc(1, sizeof(*a));
	unsigned char raw[8];
	char id[17], uuid[37];

	if (!a)
		goto oom;
	do {
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			free(a);
			cl_error_set_openssl(err, CL_E_LOCAL, "generating an application id");
			return NULL;
		}
		hex_encode(raw, sizeof(raw), id);
	} while (cl_records_find_application(rec, id));
	if (!new_uuid(uuid)) {
		free(a);
		cl_error_set_openssl(err, CL_E_LOCAL, "generating a client request id");
		return NULL;
	}
	a->id = strdup(id);
	a->client_request_id = strdup(uuid);
	a->store = rec->store;
	a->state = CL_APP_NEW;
	a->created = a->updated = (int64_t)time(NULL);
	if (!a->id || !a->client_request_id || !push((void ***)&rec->apps, &rec->n_apps, a)) {
		app_free(a);
		goto oom;
	}
	return a;
oom:
	cl_error_set(err, CL_E_LOCAL, "out of memory");
	return NULL;
}

/* Would a certificate with SERIAL (normalized) and FINGERPRINT (NULL: unknown) be the same record as C? */
static bool same_certificate(const struct cl_certificate *c, const char *serial, const char *fingerprint)
{
	if (fingerprint && c->fingerprint)
		return strcmp(fingerprint, c->fingerprint) == 0;
	return strcmp(serial, c->serial) == 0; /* without both fingerprints a serial is all there is */
}

struct cl_certificate *cl_records_add_certificate(struct cl_records *rec, const char *serial,
                                                  const char *fingerprint, struct cl_error *err)
{
	struct cl_certificate *c;
	char norm[41], fp[65];

	if (!cl_records_normalize_serial(serial, norm)) {
		cl_error_set(err, CL_E_LOCAL, "\"%.48s\" is not a certificate serial number",
		             serial ? serial : "");
		return NULL;
	}
	if (fingerprint && !normalize_fingerprint(fingerprint, fp)) {
		cl_error_set(err, CL_E_LOCAL, "\"%.80s\" is not a SHA-256 fingerprint", fingerprint);
		return NULL;
	}
	for (size_t i = 0; i < rec->n_certs; i++) {
		if (same_certificate(rec->certs[i], norm, fingerprint ? fp : NULL)) {
			cl_error_set(err, CL_E_LOCAL, "certificate %s is already recorded", norm);
			return NULL;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->serial = strdup(norm)) || (fingerprint && !(c->fingerprint = strdup(fp))) ||
	    !push((void ***)&rec->certs, &rec->n_certs, c)) {
		cert_free(c);
		cl_error_set(err, CL_E_LOCAL, "out of memory");
		return NULL;
	}
	c->notify = true;
	return c;
}

bool cl_records_remove_application(struct cl_records *rec, const char *id)
{
	for (size_t i = 0; i < rec->n_apps; i++) {
		if (strcmp(rec->apps[i]->id, id) != 0)
			continue;
		app_free(rec->apps[i]);
		memmove(&rec->apps[i], &rec->apps[i + 1], (rec->n_apps - i - 1) * sizeof(rec->apps[0]));
		rec->n_apps--;
		return true;
	}
	return false;
}

bool cl_records_remove_certificate(struct cl_records *rec, const struct cl_certificate *cert)
{
	for (size_t i = 0; cert && i < rec->n_certs; i++) {
		if (rec->certs[i] != cert)
			continue;
		cert_free(rec->certs[i]);
		memmove(&rec->certs[i], &rec->certs[i + 1], (rec->n_certs - i - 1) * sizeof(rec->certs[0]));
		rec->n_certs--;
		return true;
	}
	return false;
}

enum cl_status cl_application_set_state(struct cl_application *app, enum cl_app_state state,
                                        const char *error_message, struct cl_error *err)
{
	if (cl_records_set_string(&app->last_error, error_message, err) != CL_OK)
		return CL_E_LOCAL;
	app->state = state;
	app->updated = (int64_t)time(NULL);
	return CL_OK;
}

/* ---- finding ---- */

struct cl_application *cl_records_find_application(const struct cl_records *rec, const char *id)
{
	for (size_t i = 0; id && i < rec->n_apps; i++)
		if (strcmp(rec->apps[i]->id, id) == 0)
			return rec->apps[i];
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

struct cl_application *cl_records_find_application_for(const struct cl_records *rec, const char *host,
                                                       int port, const char *user, enum cl_store_kind store,
                                                       bool open_only)
{
	struct cl_application *best = NULL;

	for (size_t i = 0; i < rec->n_apps; i++) {
		struct cl_application *a = rec->apps[i];

		if (!str_eq(a->server_host, host) || a->server_port != port || !str_eq(a->user, user) ||
		    a->store != store || (open_only && !cl_app_state_is_open(a->state)))
			continue;
		/* Newest by creation; on a tie the later record (added later) wins. */
		if (!best || a->created >= best->created)
			best = a;
	}
	return best;
}

struct cl_certificate *cl_records_find_certificate(const struct cl_records *rec, const char *serial)
{
	char norm[41];

	if (!cl_records_normalize_serial(serial, norm))
		return NULL;
	for (size_t i = 0; i < rec->n_certs; i++)
		if (strcmp(rec->certs[i]->serial, norm) == 0)
			return rec->certs[i];
	return NULL;
}

struct cl_certificate *cl_records_find_certificate_fp(const struct cl_records *rec, const char *fingerprint)
{
	char fp[65];

	if (!fingerprint || !normalize_fingerprint(fingerprint, fp))
		return NULL;
	for (size_t i = 0; i < rec->n_certs; i++)
		if (str_eq(rec->certs[i]->fingerprint, fp))
			return rec->certs[i];
	return NULL;
}

struct cl_certificate *cl_records_find_certificate_of(const struct cl_records *rec, const char *app_id)
{
	for (size_t i = 0; app_id && i < rec->n_certs; i++)
		if (str_eq(rec->certs[i]->application, app_id))
			return rec->certs[i];
	return NULL;
}

size_t cl_records_match_certificates(const struct cl_records *rec, const char *id,
                                     struct cl_certificate **out, size_t max)
{
	char serial[41], prefix[65];
	bool by_serial = cl_records_normalize_serial(id, serial);
	bool by_fp = normalize_hex(id, prefix, true);
	size_t n = 0;

	for (size_t i = 0; id && i < rec->n_certs; i++) {
		struct cl_certificate *c = rec->certs[i];
		bool match =
		    (by_serial && strcmp(c->serial, serial) == 0) ||
		    (by_fp && c->fingerprint && strncmp(c->fingerprint, prefix, strlen(prefix)) == 0);

		if (!match)
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

#define AMBIGUOUS_LISTED 4

enum cl_status cl_records_ambiguous(const char *id, struct cl_certificate *const *certs,
                                    const enum cl_store_kind *stores, size_t n, struct cl_error *err)
{
	char list[CL_ERROR_MSG_MAX] = "";
	size_t used = 0;

	for (size_t i = 0; i < n && i < AMBIGUOUS_LISTED && used < sizeof(list); i++) {
		const struct cl_certificate *c = certs[i];
		/* a piece of the message below, translated like it (core/error.c) */
		int w = snprintf(list + used, sizeof(list) - used,
		                 dgettext("certlink", "%s%.16s (serial %s, %s store, issued by %.80s)"),
		                 i ? "; " : "", c->fingerprint ? c->fingerprint : "?", c->serial,
		                 cl_store_kind_name(stores ? stores[i] : CL_STORE_USER),
		                 c->issuer ? c->issuer : "?");

		used += w > 0 ? (size_t)w : 0;
	}
	cl_error_set(err, CL_E_LOCAL,
	             "\"%.64s\" names %zu certificates: %s; give the start of a fingerprint (at least 8 hex "
	             "digits) to choose one",
	             id, n, list);
	cl_error_set_code(err, "ambiguous");
	return CL_E_LOCAL;
}

enum cl_status cl_records_resolve(const struct cl_records *rec, const char *id, struct cl_application **app,
                                  struct cl_certificate **cert, struct cl_error *err)
{
	struct cl_certificate *found[AMBIGUOUS_LISTED];
	enum cl_store_kind stores[AMBIGUOUS_LISTED];
	size_t n;

	*app = cl_records_find_application(rec, id);
	*cert = NULL;
	if (*app) {
		*cert = cl_records_find_certificate_of(rec, (*app)->id);
		return CL_OK;
	}
	n = cl_records_match_certificates(rec, id, found, AMBIGUOUS_LISTED);
	if (n > 1) {
		for (size_t i = 0; i < AMBIGUOUS_LISTED; i++)
			stores[i] = rec->store;
		return cl_records_ambiguous(id, found, stores, n, err);
	}
	if (n == 1) {
		*cert = found[0];
		*app = cl_records_find_application(rec, found[0]->application);
	}
	return CL_OK;
}

const char *cl_certificate_server_ca(const struct cl_records *rec, const struct cl_certificate *cert)
{
	const struct cl_application *app;

	if (cert->server_trust)
		return cert->server_ca_fingerprint;
	app = rec ? cl_records_find_application(rec, cert->application) : NULL;
	return app ? app->ca_fingerprint : NULL;
}

bool cl_records_location_in_use(const struct cl_records *rec, const struct cl_location *loc,
                                const struct cl_certificate *except)
{
	/* A certificate's NSS entry (in ~/.pki/nssdb or a Firefox profile) is that certificate alone, even
	 * when NSS files another of the same subject under the same nickname (store.h): it is never shared.
	 */
	if (loc->kind == CL_LOC_NSS_CERT || loc->kind == CL_LOC_FIREFOX_CERT)
		return false;
	for (size_t i = 0; i < rec->n_certs; i++) {
		const struct cl_certificate *c = rec->certs[i];

		if (c == except)
			continue;
		for (size_t j = 0; j < c->locations.n; j++)
			if (cl_location_equal(&c->locations.items[j], loc))
				return true;
	}
	return false;
}

/* ---- JSON ---- */

static cJSON *app_to_json(const struct cl_application *a)
{
	cJSON *o = cJSON_CreateObject();

	if (o && cl_jsonfile_add_string(o, "id", a->id) &&
	    cl_jsonfile_add_string(o, "server_host", a->server_host) &&
	    cl_jsonfile_add_int(o, "server_port", a->server_port) &&
	    cl_jsonfile_add_string(o, "server_name", a->server_name) &&
	    cl_jsonfile_add_string(o, "ca_fingerprint", a->ca_fingerprint) &&
	    cl_jsonfile_add_string(o, "user", a->user) &&
	    cl_jsonfile_add_string(o, "store", cl_store_kind_name(a->store)) &&
	    cl_jsonfile_add_string(o, "client_request_id", a->client_request_id) &&
	    cl_jsonfile_add_string(o, "server_id", a->server_id) &&
	    cl_jsonfile_add_string(o, "state", cl_app_state_name(a->state)) &&
	    cl_jsonfile_add_time(o, "created", a->created) &&
	    cl_jsonfile_add_time(o, "updated", a->updated) &&
	    cl_jsonfile_add_string(o, "renewal_of", a->renewal_of) &&
	    cl_jsonfile_add_string(o, "renewal_of_fingerprint", a->renewal_of_fingerprint) &&
	    cl_jsonfile_add_string(o, "transaction_id", a->transaction_id) &&
	    cl_jsonfile_add_string(o, "serial", a->serial) &&
	    cl_jsonfile_add_string(o, "last_error", a->last_error))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static cJSON *cert_to_json(const struct cl_certificate *c)
{
	cJSON *o = cJSON_CreateObject(), *locs = cl_locations_to_json(&c->locations);

	if (o && locs && cl_jsonfile_add_string(o, "serial", c->serial) &&
	    cl_jsonfile_add_string(o, "subject", c->subject) &&
	    cl_jsonfile_add_string(o, "issuer", c->issuer) &&
	    cl_jsonfile_add_time(o, "not_before", c->not_before) &&
	    cl_jsonfile_add_time(o, "not_after", c->not_after) &&
	    cl_jsonfile_add_string(o, "key_type", c->key_type) &&
	    cl_jsonfile_add_int(o, "key_bits", c->key_bits) &&
	    cl_jsonfile_add_string(o, "fingerprint", c->fingerprint) &&
	    cl_jsonfile_add_string(o, "application", c->application) &&
	    cl_jsonfile_add_string(o, "server_host", c->server_host) &&
	    cl_jsonfile_add_int(o, "server_port", c->server_port) &&
	    cl_jsonfile_add_string(o, "user", c->user) &&
	    cl_jsonfile_add_string(o, "server_trust", c->server_trust) &&
	    cl_jsonfile_add_string(o, "server_ca_fingerprint", c->server_ca_fingerprint) &&
	    cl_jsonfile_add_string(o, "replaces", c->replaces) &&
	    cJSON_AddItemToObject(o, "locations", locs) && cl_jsonfile_add_bool(o, "notify", c->notify) &&
	    cl_jsonfile_add_time(o, "last_notified", c->last_notified))
		return o;
	if (!o || !cJSON_GetObjectItem(o, "locations"))
		cJSON_Delete(locs);
	cJSON_Delete(o);
	return NULL;
}

cJSON *cl_records_to_json(const struct cl_records *rec)
{
	cJSON *doc = cJSON_CreateObject(), *apps, *certs;

	if (!doc || !cl_jsonfile_add_int(doc, "version", RECORDS_VERSION) ||
	    !cl_jsonfile_add_string(doc, "store", cl_store_kind_name(rec->store)) ||
	    !(apps = cJSON_AddArrayToObject(doc, "applications")) ||
	    !(certs = cJSON_AddArrayToObject(doc, "certificates")))
		goto fail;
	for (size_t i = 0; i < rec->n_apps; i++) {
		cJSON *o = app_to_json(rec->apps[i]);

		if (!o || !cJSON_AddItemToArray(apps, o)) {
			cJSON_Delete(o);
			goto fail;
		}
	}
	for (size_t i = 0; i < rec->n_certs; i++) {
		cJSON *o = cert_to_json(rec->certs[i]);

		if (!o || !cJSON_AddItemToArray(certs, o)) {
			cJSON_Delete(o);
			goto fail;
		}
	}
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}

/* Members shared by both record kinds: host and port. */
static enum cl_status get_server(const cJSON *o, char **host, int *port, bool required, struct cl_error *err)
{
	int64_t p = 0;

	if (cl_jsonfile_get_string(o, "server_host", 255, required, host, err) != CL_OK ||
	    cl_jsonfile_get_int(o, "server_port", 0, 65535, required, &p, err) != CL_OK)
		return CL_E_LOCAL;
	*port = (int)p;
	return CL_OK;
}

static enum cl_status app_from_json(const cJSON *o, enum cl_store_kind kind, struct cl_application *a,
                                    struct cl_error *err)
{
	char *store = NULL, *state = NULL;
	enum cl_status st = CL_E_LOCAL;
	enum cl_store_kind k;

	if (!cJSON_IsObject(o)) {
		cl_error_set(err, CL_E_LOCAL, "not an object");
		return CL_E_LOCAL;
	}
	if (cl_jsonfile_get_string(o, "id", 64, true, &a->id, err) != CL_OK ||
	    get_server(o, &a->server_host, &a->server_port, true, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "server_name", 256, false, &a->server_name, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "ca_fingerprint", 64, false, &a->ca_fingerprint, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "user", 256, true, &a->user, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "store", 16, true, &store, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "client_request_id", 36, true, &a->client_request_id, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "server_id", 64, false, &a->server_id, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "state", 16, true, &state, err) != CL_OK ||
	    cl_jsonfile_get_time(o, "created", true, &a->created, err) != CL_OK ||
	    cl_jsonfile_get_time(o, "updated", true, &a->updated, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "renewal_of", 40, false, &a->renewal_of, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "renewal_of_fingerprint", 64, false, &a->renewal_of_fingerprint, err) !=
	        CL_OK ||
	    cl_jsonfile_get_string(o, "transaction_id", 128, false, &a->transaction_id, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "serial", 40, false, &a->serial, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "last_error", CL_ERROR_MSG_MAX, false, &a->last_error, err) != CL_OK)
		goto out;
	if (!valid_id(a->id))
		cl_error_set(err, CL_E_LOCAL, "invalid id");
	/* the person's records may hold a computer-store application that runs unprivileged (enroll.h,
	 * elevate) */
	else if (!cl_store_kind_parse(store, &k) ||
	         (k != kind && !(kind == CL_STORE_USER && k == CL_STORE_COMPUTER)))
		cl_error_set(err, CL_E_LOCAL, "store \"%s\" in the %s store's records", store,
		             cl_store_kind_name(kind));
	else if (!cl_app_state_parse(state, &a->state))
		cl_error_set(err, CL_E_LOCAL, "unknown state \"%s\"", state);
	else if (!valid_uuid(a->client_request_id))
		cl_error_set(err, CL_E_LOCAL, "client_request_id is not a UUID");
	else if (a->ca_fingerprint && !is_hex(a->ca_fingerprint, 64))
		cl_error_set(err, CL_E_LOCAL, "ca_fingerprint is not 64 lowercase hex digits");
	else if (a->renewal_of_fingerprint && !is_hex(a->renewal_of_fingerprint, 64))
		cl_error_set(err, CL_E_LOCAL, "renewal_of_fingerprint is not 64 lowercase hex digits");
	else if (a->server_id && !valid_id(a->server_id))
		cl_error_set(err, CL_E_LOCAL, "invalid server_id");
	else {
		a->store = k;
		st = CL_OK;
	}
out:
	free(store);
	free(state);
	return st;
}

static enum cl_status cert_from_json(const cJSON *o, struct cl_certificate *c, struct cl_error *err)
{
	const cJSON *locs;
	int64_t bits = 0;
	char norm[41];

	if (!cJSON_IsObject(o))
		return cl_error_set(err, CL_E_LOCAL, "not an object");
	c->notify = true;
	if (cl_jsonfile_get_string(o, "serial", 40, true, &c->serial, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "subject", 1024, false, &c->subject, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "issuer", 1024, false, &c->issuer, err) != CL_OK ||
	    cl_jsonfile_get_time(o, "not_before", false, &c->not_before, err) != CL_OK ||
	    cl_jsonfile_get_time(o, "not_after", false, &c->not_after, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "key_type", 16, false, &c->key_type, err) != CL_OK ||
	    cl_jsonfile_get_int(o, "key_bits", 0, 65536, false, &bits, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "fingerprint", 64, false, &c->fingerprint, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "application", 64, false, &c->application, err) != CL_OK ||
	    get_server(o, &c->server_host, &c->server_port, false, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "user", 256, false, &c->user, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "server_trust", 16, false, &c->server_trust, err) != CL_OK ||
	    cl_jsonfile_get_string(o, "server_ca_fingerprint", 64, false, &c->server_ca_fingerprint, err) !=
	        CL_OK ||
	    cl_jsonfile_get_string(o, "replaces", 64, false, &c->replaces, err) != CL_OK ||
	    cl_jsonfile_get_bool(o, "notify", false, &c->notify, err) != CL_OK ||
	    cl_jsonfile_get_time(o, "last_notified", false, &c->last_notified, err) != CL_OK)
		return CL_E_LOCAL;
	c->key_bits = (int)bits;
	if (!cl_records_normalize_serial(c->serial, norm) || strcmp(norm, c->serial) != 0)
		return cl_error_set(err, CL_E_LOCAL, "serial must be lowercase hex without leading zeros");
	if (c->fingerprint && !is_hex(c->fingerprint, 64))
		return cl_error_set(err, CL_E_LOCAL, "fingerprint is not 64 lowercase hex digits");
	if (c->server_trust && strcmp(c->server_trust, "system") != 0 &&
	    strcmp(c->server_trust, "pin") != 0 && strcmp(c->server_trust, "person") != 0)
		return cl_error_set(err, CL_E_LOCAL, "server_trust must be system, pin or person");
	if (c->server_ca_fingerprint && !is_hex(c->server_ca_fingerprint, 64))
		return cl_error_set(err, CL_E_LOCAL, "server_ca_fingerprint is not 64 lowercase hex digits");
	if (c->replaces && !is_hex(c->replaces, 64))
		return cl_error_set(err, CL_E_LOCAL, "replaces is not 64 lowercase hex digits");
	/* a CA exactly when the identity rested on one */
	if (!!c->server_ca_fingerprint != (c->server_trust && strcmp(c->server_trust, "system") != 0))
		return cl_error_set(err, CL_E_LOCAL, "server_trust and server_ca_fingerprint do not agree");
	locs = cJSON_GetObjectItemCaseSensitive(o, "locations");
	if (locs && !cJSON_IsNull(locs) && cl_locations_from_json(locs, &c->locations, err) != CL_OK)
		return CL_E_LOCAL;
	return CL_OK;
}

static enum cl_status doc_header(const cJSON *json, enum cl_store_kind kind, struct cl_error *err)
{
	char *store = NULL;
	int64_t version = 0;
	enum cl_store_kind k;
	enum cl_status st = CL_E_LOCAL;

	if (!cJSON_IsObject(json))
		return cl_error_set(err, CL_E_LOCAL, "the records document is not a JSON object");
	if (cl_jsonfile_get_int(json, "version", 1, INT32_MAX, true, &version, err) != CL_OK ||
	    cl_jsonfile_get_string(json, "store", 16, true, &store, err) != CL_OK)
		goto out;
	if (version > RECORDS_VERSION)
		cl_error_set(err, CL_E_LOCAL, "written by a newer certlink (format %lld; this one reads %d)",
		             (long long)version, RECORDS_VERSION);
	else if (!cl_store_kind_parse(store, &k) || k != kind)
		cl_error_set(err, CL_E_LOCAL, "these are the records of store \"%s\", not \"%s\"", store,
		             cl_store_kind_name(kind));
	else
		st = CL_OK;
out:
	free(store);
	return st;
}

enum cl_status cl_records_from_json(const cJSON *json, enum cl_store_kind kind, struct cl_records **out,
                                    struct cl_error *err)
{
	struct cl_records *rec;
	const cJSON *arr, *o;
	size_t i;

	*out = NULL;
	if (doc_header(json, kind, err) != CL_OK)
		return CL_E_LOCAL;
	rec = cl_records_new(kind);
	if (!rec)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	arr = cJSON_GetObjectItemCaseSensitive(json, "applications");
	if (arr && !cJSON_IsArray(arr)) {
		cl_error_set(err, CL_E_LOCAL, "applications must be an array");
		goto fail;
	}
	i = 0;
	cJSON_ArrayForEach(o, arr)
	{
		struct cl_application *a = calloc(1, sizeof(*a));

		if (!a || !push((void ***)&rec->apps, &rec->n_apps, a)) {
			free(a);
			cl_error_set(err, CL_E_LOCAL, "out of memory");
			goto fail;
		}
		if (app_from_json(o, kind, a, err) != CL_OK) {
			cl_error_prefix(err, "application %zu", i);
			goto fail;
		}
		if (cl_records_find_application(rec, a->id) != a) {
			cl_error_set(err, CL_E_LOCAL, "application id %s appears twice", a->id);
			goto fail;
		}
		i++;
	}
	arr = cJSON_GetObjectItemCaseSensitive(json, "certificates");
	if (arr && !cJSON_IsArray(arr)) {
		cl_error_set(err, CL_E_LOCAL, "certificates must be an array");
		goto fail;
	}
	i = 0;
	cJSON_ArrayForEach(o, arr)
	{
		struct cl_certificate *c = calloc(1, sizeof(*c));

		if (!c || !push((void ***)&rec->certs, &rec->n_certs, c)) {
			free(c);
			cl_error_set(err, CL_E_LOCAL, "out of memory");
			goto fail;
		}
		if (cert_from_json(o, c, err) != CL_OK) {
			cl_error_prefix(err, "certificate %zu", i);
			goto fail;
		}
		for (size_t k = 0; k + 1 < rec->n_certs; k++) {
			if (same_certificate(rec->certs[k], c->serial, c->fingerprint)) {
				cl_error_set(err, CL_E_LOCAL, "certificate %s appears twice", c->serial);
				goto fail;
			}
		}
		i++;
	}
	*out = rec;
	return CL_OK;
fail:
	cl_records_free(rec);
	return CL_E_LOCAL;
}

char *cl_records_export_json(const struct cl_records *const *recs, size_t n, struct cl_error *err)
{
	cJSON *root = cJSON_CreateObject(), *stores;
	char *text = NULL;

	if (!root || !cl_jsonfile_add_int(root, "version", RECORDS_VERSION) ||
	    !(stores = cJSON_AddArrayToObject(root, "stores")))
		goto out;
	for (size_t i = 0; i < n; i++) {
		cJSON *doc = cl_records_to_json(recs[i]);

		if (!doc || !cJSON_AddItemToArray(stores, doc)) {
			cJSON_Delete(doc);
			goto out;
		}
	}
	text = cJSON_Print(root);
out:
	cJSON_Delete(root);
	if (!text)
		cl_error_set(err, CL_E_LOCAL, "out of memory");
	return text;
}

/* ---- files ---- */

static enum cl_status load_path(const char *path, enum cl_store_kind kind, struct cl_records **out,
                                struct cl_error *err)
{
	cJSON *json = NULL;
	enum cl_status st;

	*out = NULL;
	if (cl_jsonfile_load(path, CL_RECORDS_MAX_BYTES, CL_RECORDS_MAX_DEPTH, &json, err) != CL_OK)
		return CL_E_LOCAL;
	if (!json) {
		*out = cl_records_new(kind);
		return *out ? CL_OK : cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	st = cl_records_from_json(json, kind, out, err);
	cJSON_Delete(json);
	if (st != CL_OK)
		cl_error_prefix(err, "%s", path);
	return st;
}

enum cl_status cl_records_load(enum cl_store_kind kind, struct cl_records **out, struct cl_error *err)
{
	char *path = cl_paths_records_file(kind, err);
	enum cl_status st;

	*out = NULL;
	if (!path)
		return err ? err->status : CL_E_LOCAL;
	st = load_path(path, kind, out, err);
	free(path);
	return st;
}

static enum cl_status update_locked(const char *path, enum cl_store_kind kind, cl_records_fn fn, void *data,
                                    struct cl_error *err)
{
	struct cl_records *rec = NULL;
	enum cl_status st;
	cJSON *json;

	/* Under the lock, any temp file beside the records is a crashed writer's leftover. */
	cl_fileio_remove_stale_temps(path);
	st = load_path(path, kind, &rec, err);
	if (st != CL_OK)
		return st;
	st = fn(rec, data, err);
	if (st != CL_OK)
		goto out;
	json = cl_records_to_json(rec);
	if (!json) {
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
		goto out;
	}
	/* Save only what load accepts, so a caller's mistake can never leave an unreadable file. */
	cl_records_free(rec);
	rec = NULL;
	if (cl_records_from_json(json, kind, &rec, err) != CL_OK) {
		cl_error_prefix(err, "refusing to save invalid records");
		st = err ? (err->status = CL_E_UNEXPECTED) : CL_E_UNEXPECTED;
	} else {
		st = cl_jsonfile_save(path, json, kind == CL_STORE_COMPUTER ? 0644 : 0600,
		                      CL_RECORDS_MAX_BYTES, err);
	}
	cJSON_Delete(json);
out:
	cl_records_free(rec);
	return st;
}

enum cl_status cl_records_update(enum cl_store_kind kind, cl_records_fn fn, void *data, struct cl_error *err)
{
	char *dir = NULL, *path = NULL, lockpath[PATH_MAX];
	enum cl_status st = CL_E_LOCAL;
	int lockfd = -1;

	dir = cl_paths_store_dir(kind, err);
	path = dir ? cl_paths_records_file(kind, err) : NULL;
	if (!path)
		goto out;
	if ((size_t)snprintf(lockpath, sizeof(lockpath), "%s.lock", path) >= sizeof(lockpath)) {
		cl_error_set(err, CL_E_LOCAL, "path too long: %s", path);
		goto out;
	}
	if (cl_fileio_mkdirs(dir, cl_paths_store_dir_mode(kind), err) != CL_OK ||
	    cl_fileio_lock(lockpath, CL_RECORDS_LOCK_TIMEOUT_MS, &lockfd, err) != CL_OK)
		goto out;
	st = update_locked(path, kind, fn, data, err);
	cl_fileio_unlock(lockfd);
out:
	free(dir);
	free(path);
	return st;
}

/* ---- certificate state ---- */

enum cl_cert_state cl_certificate_state(const struct cl_certificate *cert, int64_t now, int notify_days)
{
	if (cert->not_after <= now)
		return CL_CERT_EXPIRED;
	if (notify_days > 0 && cert->not_after - now <= (int64_t)notify_days * 86400)
		return CL_CERT_EXPIRING;
	return CL_CERT_INSTALLED;
}

const char *cl_cert_state_name(enum cl_cert_state state)
{
	switch (state) {
	case CL_CERT_INSTALLED:
		return "installed";
	case CL_CERT_EXPIRING:
		return "expiring";
	case CL_CERT_EXPIRED:
		return "expired";
	}
	return "unknown";
}
