/* certlink core: the local record of applications and certificates, one JSON document per store.
 *
 * STORE_DIR/records.json (docs/paths.md) lists every application (enough to resume after a crash:
 * docs/protocol.md section 8) and every installed certificate with the places it was put. It holds no
 * secrets (those are in secret.h files). Writers go through cl_records_update(): exclusive lock, load,
 * your change, atomic replace, unlock; so concurrent processes never lose an update and a crash at any
 * point leaves the old or the new document. Readers that only look use cl_records_load() (no lock needed:
 * replacement is atomic).
 */
#ifndef CL_RECORDS_H
#define CL_RECORDS_H

#include "error.h"
#include "location.h"
#include "paths.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A records file larger than this, or nested deeper than CL_RECORDS_MAX_DEPTH, is refused. */
#define CL_RECORDS_MAX_BYTES (4 * 1024 * 1024)
#define CL_RECORDS_MAX_DEPTH 16
/* How long cl_records_update() waits for another certlink process to finish. */
#define CL_RECORDS_LOCK_TIMEOUT_MS 30000

enum cl_app_state {
	CL_APP_NEW = 0,   /* client_request_id recorded, apply not yet answered */
	CL_APP_PENDING,   /* applied, waiting for approval */
	CL_APP_APPROVED,  /* approved, not yet activated */
	CL_APP_ACTIVATED, /* activated: key, challenge and transactionID exist; SCEP not finished */
	CL_APP_ISSUED,    /* certificate received, not yet installed */
	CL_APP_INSTALLED, /* installed: done */
	CL_APP_WITHDRAWN,
	CL_APP_REJECTED,
	CL_APP_FAILED,
};

/* "new", "pending", "approved", "activated", "issued", "installed", "withdrawn", "rejected", "failed". */
const char *cl_app_state_name(enum cl_app_state state);
bool cl_app_state_parse(const char *name, enum cl_app_state *out);
/* Still in progress (new .. issued): a front end resumes it rather than applying again. */
bool cl_app_state_is_open(enum cl_app_state state);

struct cl_application {
	char *id;          /* local id: 16 lowercase hex digits */
	char *server_host; /* as in the link: lowercase host or IP literal */
	int server_port;
	char *server_name;    /* display name of the service, or NULL */
	char *ca_fingerprint; /* SHA-256 of the server CA, 64 lowercase hex, or NULL */
	char *user;           /* user ID at the server */
	enum cl_store_kind store;
	char *client_request_id; /* UUID generated before apply is sent (idempotent retry) */
	char *server_id;         /* the server's application id, NULL until applied */
	enum cl_app_state state;
	int64_t created, updated;     /* Unix time */
	char *renewal_of;             /* serial being renewed (what the server knows it by), or NULL */
	char *renewal_of_fingerprint; /* SHA-256 of the certificate being renewed (what this computer
	                               * knows it by: serials repeat across CAs), or NULL */
	char *transaction_id;         /* SCEP transactionID once activated, or NULL */
	char *serial;                 /* serial of the issued certificate, or NULL */
	char *last_error;             /* last failure message, or NULL */
};

struct cl_certificate {
	char *serial;  /* lowercase hex, no leading zeros */
	char *subject; /* RFC 2253 */
	char *issuer;
	int64_t not_before, not_after;
	char *key_type; /* "rsa", "ec", ... */
	int key_bits;
	char *fingerprint; /* SHA-256 of the DER, 64 lowercase hex */
	char *application; /* local id of the application that produced it, or NULL */
	char *server_host; /* where to renew it, or NULL */
	int server_port;
	char *user; /* user ID at the server, or NULL */
	/* How the server's identity was established when this certificate was enrolled, so that only the same
	 * server renews it: "system" (system trust or certlink's trust), "pin" (the link's CA fingerprint) or
	 * "person" (the person trusted the server's CA), and for pin and person the SHA-256 of that CA (64
	 * lowercase hex). NULL in records written before certlink kept them (cl_certificate_server_ca()). */
	char *server_trust;
	char *server_ca_fingerprint;
	/* A renewal the privileged helper installed: the SHA-256 (64 lowercase hex) of the certificate this
	 * one replaces, from when the helper checked that it does (same server, user and issuing CA) until
	 * that one is removed, so a removal interrupted part way is finished without the files it already
	 * removed; else NULL. */
	char *replaces;
	struct cl_locations locations;
	bool notify;           /* expiry notifications for this certificate (default on) */
	int64_t last_notified; /* Unix time of the last expiry notification, 0 for never */
};

struct cl_records {
	enum cl_store_kind store;
	struct cl_application **apps;
	size_t n_apps;
	struct cl_certificate **certs;
	size_t n_certs;
};

/* An empty document for KIND; NULL when out of memory. Free with cl_records_free() (accepts NULL). */
struct cl_records *cl_records_new(enum cl_store_kind kind);
void cl_records_free(struct cl_records *rec);

/* A snapshot of the store's records (an empty document when there is no file yet). Refuses a file over
 * the caps, of another store, of a newer format, or otherwise invalid: CL_E_LOCAL naming the file. */
enum cl_status cl_records_load(enum cl_store_kind kind, struct cl_records **out, struct cl_error *err);

/* Change the store's records: lock, load, call FN, and when FN returns CL_OK save atomically; unlock.
 * When FN fails nothing is written and its status and message are returned. A document that would not
 * load again (say an application without server_host, user or an id) is not saved: CL_E_UNEXPECTED. FN must
 * not call cl_records_update() itself, and should be quick: other certlink processes wait for it. */
typedef enum cl_status (*cl_records_fn)(struct cl_records *rec, void *data, struct cl_error *err);
enum cl_status cl_records_update(enum cl_store_kind kind, cl_records_fn fn, void *data, struct cl_error *err);

/* Add an application with a fresh local id and client_request_id, state "new", created = updated = now,
 * store = REC's. Returns it (owned by REC) or NULL with err set. */
struct cl_application *cl_records_add_application(struct cl_records *rec, struct cl_error *err);
/* Add a certificate for SERIAL (normalized) with FINGERPRINT (its SHA-256, 64 lowercase hex; NULL only for
 * tests of old records), notify on. Certificates are keyed by fingerprint, since two CAs can issue the
 * same serial: the same fingerprint twice is an error, and so is a serial that is already recorded when
 * either certificate has no fingerprint to tell them apart. */
struct cl_certificate *cl_records_add_certificate(struct cl_records *rec, const char *serial,
                                                  const char *fingerprint, struct cl_error *err);
/* Remove and free; false when not found. */
bool cl_records_remove_application(struct cl_records *rec, const char *id);
bool cl_records_remove_certificate(struct cl_records *rec, const struct cl_certificate *cert);

/* Set the state, stamp `updated`, and set or clear last_error (copied; NULL clears). */
enum cl_status cl_application_set_state(struct cl_application *app, enum cl_app_state state,
                                        const char *error_message, struct cl_error *err);
/* Replace a string member (copied; NULL clears), e.g. cl_records_set_string(&app->server_id, "a7f3"). */
enum cl_status cl_records_set_string(char **member, const char *value, struct cl_error *err);

/* Find helpers; results are owned by REC and valid until it changes. NULL when not found. */
struct cl_application *cl_records_find_application(const struct cl_records *rec, const char *id);
/* The newest application for this server, user and store; with OPEN_ONLY only one still in progress. */
struct cl_application *cl_records_find_application_for(const struct cl_records *rec, const char *host,
                                                       int port, const char *user, enum cl_store_kind store,
                                                       bool open_only);
/* The first certificate with SERIAL in any usual spelling (case, leading zeros and ':' separators do not
 * matter). Serials repeat across CAs: code that acts on one certificate finds it by fingerprint, or by
 * cl_records_resolve() for what a person typed. */
struct cl_certificate *cl_records_find_certificate(const struct cl_records *rec, const char *serial);
/* The certificate with this SHA-256 fingerprint (64 hex digits, any case, ':' allowed). */
struct cl_certificate *cl_records_find_certificate_fp(const struct cl_records *rec, const char *fingerprint);
/* The certificate application APP_ID produced (its `application` member). */
struct cl_certificate *cl_records_find_certificate_of(const struct cl_records *rec, const char *app_id);
/* The certificates ID names: its serial in any usual spelling, or a prefix of at least 8 hex digits of its
 * SHA-256 fingerprint (':' allowed). Puts up to MAX of them into OUT and returns how many there are. */
size_t cl_records_match_certificates(const struct cl_records *rec, const char *id,
                                     struct cl_certificate **out, size_t max);
/* What ID names in REC, as a person or a front end gives it: a local application id, or one certificate as
 * cl_records_match_certificates() finds it. CL_OK with *app and *cert set (the certificate's application
 * too, when recorded), both NULL when ID names nothing. CL_E_LOCAL with code "ambiguous" and a message
 * listing the certificates (fingerprint, serial, issuer) when ID names more than one: nothing is guessed. */
enum cl_status cl_records_resolve(const struct cl_records *rec, const char *id, struct cl_application **app,
                                  struct cl_certificate **cert, struct cl_error *err);
/* The ambiguity error for ID naming the N certificates CERTS (in stores STORES): code "ambiguous", a
 * message that names each by fingerprint prefix, serial and issuer and says to give a fingerprint. */
enum cl_status cl_records_ambiguous(const char *id, struct cl_certificate *const *certs,
                                    const enum cl_store_kind *stores, size_t n, struct cl_error *err);
/* The CA a certificate's server identity rests on (64 hex) or NULL when it rests on system trust. Reads
 * server_ca_fingerprint, or for records written before it was kept, the CA recorded with the certificate's
 * application (REC is the document holding it); without either the identity is taken to be system trust,
 * the only way an enrollment finished without recording a CA. */
const char *cl_certificate_server_ca(const struct cl_records *rec, const struct cl_certificate *cert);
/* Does any certificate other than EXCEPT list LOC? (A CA trusted for two certificates stays trusted
 * while either is installed.) Never for a certificate's NSS entry, which is its own even when two
 * certificates of one subject record the same nickname. */
bool cl_records_location_in_use(const struct cl_records *rec, const struct cl_location *loc,
                                const struct cl_certificate *except);

/* Where a recorded certificate stands at NOW (Unix time): expired once NOW is past notAfter, expiring when
 * notAfter is at most NOTIFY_DAYS days away (the renewal window of the zero-touch renewal rule), installed
 * otherwise. The list command and the manager window show these names. */
enum cl_cert_state { CL_CERT_INSTALLED, CL_CERT_EXPIRING, CL_CERT_EXPIRED };
enum cl_cert_state cl_certificate_state(const struct cl_certificate *cert, int64_t now, int notify_days);
/* "installed", "expiring", "expired". */
const char *cl_cert_state_name(enum cl_cert_state state);

/* Normalize a hex serial to lowercase without leading zeros or ':' (1-40 digits after normalizing; "0" for
 * zero). False when it is not hex or too long. OUT has room for 41 bytes. */
bool cl_records_normalize_serial(const char *in, char out[41]);

/* The document as JSON (the file format). NULL when out of memory. */
cJSON *cl_records_to_json(const struct cl_records *rec);
/* Parse and validate a document for store KIND (pure: no I/O). */
enum cl_status cl_records_from_json(const cJSON *json, enum cl_store_kind kind, struct cl_records **out,
                                    struct cl_error *err);
/* For `certlink list --json`: {"version": 1, "stores": [DOCUMENT, ...]}, formatted. Caller frees. */
char *cl_records_export_json(const struct cl_records *const *recs, size_t n, struct cl_error *err);

#endif
