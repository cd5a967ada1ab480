/* certlink core: expiry states and notification rules (see expiry.h). */
#include "expiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "jsonfile.h"
#include "paths.h"

#define DAY                 86400
#define OVERLAY_NAME        "computer-notices.json"
#define OVERLAY_MAX_BYTES   (1024 * 1024)
#define OVERLAY_MAX_DEPTH   4
#define OVERLAY_MAX_ENTRIES 4096

int64_t cl_expiry_days_left(int64_t not_after, int64_t now)
{
	int64_t d = not_after - now;

	/* round toward minus infinity, so one second past expiry is day -1, not 0 */
	return d >= 0 ? d / DAY : -((-d + DAY - 1) / DAY);
}

/* Local calendar day number (days since the epoch in local time). */
static int64_t local_day(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return t / DAY;
	return (t + tm.tm_gmtoff) / DAY;
}

enum cl_notice cl_expiry_notice(const struct cl_certificate *cert, const struct cl_settings *s, int64_t now,
                                bool login)
{
	switch (cl_certificate_state(cert, now, s->notify_days)) {
	case CL_CERT_INSTALLED:
		return CL_NOTICE_NONE;
	case CL_CERT_EXPIRING:
		if (!cert->notify || !s->notify_before)
			return CL_NOTICE_NONE;
		if (cert->last_notified > 0 && local_day(cert->last_notified) == local_day(now))
			return CL_NOTICE_NONE;
		return CL_NOTICE_EXPIRING;
	case CL_CERT_EXPIRED:
		if (!cert->notify || !s->notify_expired || !login)
			return CL_NOTICE_NONE;
		return CL_NOTICE_EXPIRED;
	}
	return CL_NOTICE_NONE;
}

/* ---- the per-account overlay for the computer store ---- */

/* Whether this account keeps its own notes for STORE: the computer store when its directory is not
 * writable here (any account but root, unless a test redirected it to a directory it owns). */
static bool use_overlay(enum cl_store_kind store)
{
	char *dir;
	bool overlay;

	if (store != CL_STORE_COMPUTER)
		return false;
	dir = cl_paths_store_dir(CL_STORE_COMPUTER, NULL);
	overlay = !dir || access(dir, W_OK) != 0;
	free(dir);
	return overlay;
}

static char *overlay_path(struct cl_error *err)
{
	char *dir = cl_paths_user_state_dir(err);
	char *path = dir ? cl_paths_join(dir, OVERLAY_NAME, err) : NULL;

	free(dir);
	return path;
}

/* The overlay's "certificates" object ({serial: {"notify": bool, "last_notified": time}}), inside a new
 * document; an empty one when there is no file or it is damaged. */
static cJSON *overlay_load(cJSON **certs)
{
	char *path = overlay_path(NULL);
	cJSON *doc = NULL;

	if (path)
		cl_jsonfile_load(path, OVERLAY_MAX_BYTES, OVERLAY_MAX_DEPTH, &doc, NULL);
	free(path);
	if (!cJSON_IsObject(doc) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "certificates"))) {
		cJSON_Delete(doc);
		doc = cJSON_CreateObject();
		if (doc && (!cJSON_AddNumberToObject(doc, "version", 1) ||
		            !cJSON_AddObjectToObject(doc, "certificates"))) {
			cJSON_Delete(doc);
			doc = NULL;
		}
	}
	*certs = doc ? cJSON_GetObjectItemCaseSensitive(doc, "certificates") : NULL;
	return doc;
}

static enum cl_status overlay_save(const cJSON *doc, struct cl_error *err)
{
	char *dir = cl_paths_user_state_dir(err);
	char *path = dir ? cl_paths_join(dir, OVERLAY_NAME, err) : NULL;
	enum cl_status st = CL_E_LOCAL;

	if (path && cl_fileio_mkdirs(dir, 0700, err) == CL_OK)
		st = cl_jsonfile_save(path, doc, 0600, OVERLAY_MAX_BYTES, err);
	free(dir);
	free(path);
	return st;
}

/* The entry for SERIAL, created when CREATE. NULL when absent (or out of memory, or too many). */
static cJSON *overlay_entry(cJSON *certs, const char *serial, bool create)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(certs, serial);

	if (e || !create)
		return cJSON_IsObject(e) ? e : NULL;
	if (cJSON_GetArraySize(certs) >= OVERLAY_MAX_ENTRIES)
		return NULL;
	return cJSON_AddObjectToObject(certs, serial);
}

static void overlay_set_time(cJSON *entry, int64_t now)
{
	char text[21];

	cl_jsonfile_format_time(now, text);
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "last_notified");
	cJSON_AddStringToObject(entry, "last_notified", text);
}

void cl_expiry_apply_overlay(struct cl_records *rec)
{
	cJSON *certs, *doc;
	size_t i;

	if (!rec || !use_overlay(rec->store))
		return;
	doc = overlay_load(&certs);
	for (i = 0; doc && i < rec->n_certs; i++) {
		struct cl_certificate *c = rec->certs[i];
		cJSON *e = overlay_entry(certs, c->serial, false);
		bool notify = c->notify;
		int64_t when = 0;

		if (!e)
			continue;
		if (cl_jsonfile_get_bool(e, "notify", false, &notify, NULL) == CL_OK)
			c->notify = notify;
		if (cl_jsonfile_get_time(e, "last_notified", false, &when, NULL) == CL_OK && when > 0)
			c->last_notified = when;
	}
	cJSON_Delete(doc);
}

/* ---- collecting and marking ---- */

static enum cl_status collect_store(enum cl_store_kind kind, const struct cl_settings *s, int64_t now,
                                    bool login, struct cl_expiry_item **items, size_t *n,
                                    struct cl_error *err)
{
	struct cl_records *rec = NULL;
	enum cl_status st = cl_records_load(kind, &rec, err);
	size_t i;

	if (st != CL_OK)
		return st;
	cl_expiry_apply_overlay(rec);
	for (i = 0; i < rec->n_certs && st == CL_OK; i++) {
		const struct cl_certificate *c = rec->certs[i];
		enum cl_notice notice = cl_expiry_notice(c, s, now, login);
		struct cl_expiry_item *grown, *it;

		if (notice == CL_NOTICE_NONE)
			continue;
		grown = realloc(*items, (*n + 1) * sizeof(**items));
		if (!grown) {
			st = cl_error_set(err, CL_E_LOCAL, "out of memory");
			break;
		}
		*items = grown;
		it = &grown[(*n)++];
		memset(it, 0, sizeof(*it));
		it->store = kind;
		it->notice = notice;
		it->not_after = c->not_after;
		snprintf(it->serial, sizeof(it->serial), "%s", c->serial);
		snprintf(it->subject, sizeof(it->subject), "%s", c->subject ? c->subject : "");
	}
	cl_records_free(rec);
	return st;
}

enum cl_status cl_expiry_collect(const struct cl_settings *s, int64_t now, bool login,
                                 struct cl_expiry_item **out, size_t *n, struct cl_error *err)
{
	static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };
	enum cl_status result = CL_OK;
	size_t i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct cl_error e;
		enum cl_status st = collect_store(kinds[i], s, now, login, out, n, &e);

		if (st != CL_OK && result == CL_OK) {
			result = st;
			if (err)
				*err = e;
		}
	}
	return result;
}

struct mark_ctx {
	const struct cl_expiry_item *items;
	size_t n;
	enum cl_store_kind store;
	int64_t now;
	const char *serial; /* set_notify: this one */
	bool on;
};

static enum cl_status mark_records(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct mark_ctx *c = data;
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct cl_certificate *cert;

		if (c->items[i].store != c->store)
			continue;
		cert = cl_records_find_certificate(rec, c->items[i].serial);
		if (cert)
			cert->last_notified = c->now;
	}
	return CL_OK;
}

static enum cl_status mark_overlay(const struct cl_expiry_item *items, size_t n, int64_t now,
                                   struct cl_error *err)
{
	cJSON *certs, *doc = overlay_load(&certs);
	enum cl_status st;
	size_t i;

	if (!doc)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	for (i = 0; i < n; i++) {
		cJSON *e;

		if (items[i].store != CL_STORE_COMPUTER)
			continue;
		e = overlay_entry(certs, items[i].serial, true);
		if (e)
			overlay_set_time(e, now);
	}
	st = overlay_save(doc, err);
	cJSON_Delete(doc);
	return st;
}

enum cl_status cl_expiry_mark(const struct cl_expiry_item *items, size_t n, int64_t now, struct cl_error *err)
{
	struct mark_ctx c = { items, n, CL_STORE_USER, now, NULL, false };
	bool user = false, computer = false;
	enum cl_status st = CL_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		user |= items[i].store == CL_STORE_USER;
		computer |= items[i].store == CL_STORE_COMPUTER;
	}
	if (user)
		st = cl_records_update(CL_STORE_USER, mark_records, &c, err);
	if (st == CL_OK && computer && use_overlay(CL_STORE_COMPUTER)) {
		st = mark_overlay(items, n, now, err);
	} else if (st == CL_OK && computer) {
		c.store = CL_STORE_COMPUTER;
		st = cl_records_update(CL_STORE_COMPUTER, mark_records, &c, err);
	}
	return st;
}

static enum cl_status set_notify_records(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct mark_ctx *c = data;
	struct cl_certificate *cert = cl_records_find_certificate(rec, c->serial);

	if (!cert)
		return cl_error_set(err, CL_E_LOCAL, "certificate %s is not recorded in the %s store",
		                    c->serial, cl_store_kind_name(rec->store));
	cert->notify = c->on;
	return CL_OK;
}

enum cl_status cl_expiry_set_notify(enum cl_store_kind store, const char *serial, bool on,
                                    struct cl_error *err)
{
	struct mark_ctx c = { NULL, 0, store, 0, serial, on };
	struct cl_records *rec = NULL;
	cJSON *certs, *doc, *e;
	enum cl_status st;
	char norm[41];

	if (!serial || !cl_records_normalize_serial(serial, norm))
		return cl_error_set(err, CL_E_LOCAL, "not a certificate serial: \"%.64s\"",
		                    serial ? serial : "");
	c.serial = norm;
	if (!use_overlay(store))
		return cl_records_update(store, set_notify_records, &c, err);
	st = cl_records_load(store, &rec, err);
	if (st == CL_OK && !cl_records_find_certificate(rec, norm))
		st = cl_error_set(err, CL_E_LOCAL, "certificate %s is not recorded in the computer store",
		                  norm);
	cl_records_free(rec);
	if (st != CL_OK)
		return st;
	doc = overlay_load(&certs);
	e = doc ? overlay_entry(certs, norm, true) : NULL;
	if (!e) {
		cJSON_Delete(doc);
		return cl_error_set(err, CL_E_LOCAL, "cannot note the notification switch for %s", norm);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(e, "notify");
	cJSON_AddBoolToObject(e, "notify", on);
	st = overlay_save(doc, err);
	cJSON_Delete(doc);
	return st;
}
