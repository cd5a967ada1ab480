/* certlink core: the enrollment protocol client (docs/protocol.md sections 1-5 and 8).
 *
 * One function per operation, each a blocking call on an established struct cl_http session (http.h), for a
 * worker thread; cancellation and progress come from the session's options. Every reply is parsed by a pure
 * function (bytes in, struct out; proto-reply.c) that caps size and nesting, checks every member's type and
 * length against the spec, and ignores unknown members; those parsers are unit-tested and fuzzed.
 *
 * Errors (section 2): a server error's code goes to err->code and its message, quoted, into err->msg.
 *   4xx                      CL_E_REFUSED (final)
 *   409 not_approved         CL_E_RETRY_LATER, code "not_approved", retry_after in the reply struct: poll
 *   429/503 after retries    CL_E_RETRY_LATER (code "busy" / "unavailable")
 *   5xx otherwise            CL_E_REFUSED (code "internal")
 *   no connection, TLS       CL_E_UNREACHABLE
 *   unusable reply           CL_E_UNREACHABLE, code "bad_reply"
 * Structs holding secrets (application secret, SCEP challenge) are wiped by their clear functions.
 */
#ifndef CL_PROTO_H
#define CL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "http.h"

/* Limits from docs/protocol.md, in characters unless noted. */
#define CL_PROTO_ID_MAX          64
#define CL_PROTO_SECRET_MIN      22 /* 128 bits of base64url */
#define CL_PROTO_SECRET_MAX      256
#define CL_PROTO_CHALLENGE_MAX   256
#define CL_PROTO_MESSAGE_MAX     512
#define CL_PROTO_TIME_MAX        40
#define CL_PROTO_SERIAL_MAX      40  /* hex digits */
#define CL_PROTO_TEXT_MAX        128 /* server name, service name, device members */
#define CL_PROTO_LABEL_MAX       64
#define CL_PROTO_URL_MAX         2048
#define CL_PROTO_PEM_MAX         (64 * 1024) /* octets of one PEM certificate */
#define CL_PROTO_CA_MAX          8
#define CL_PROTO_RDN_MAX         16
#define CL_PROTO_SAN_MAX         16
#define CL_PROTO_WIFI_NAMES      8  /* the older profile.wifi's server_names */
#define CL_PROTO_NETWORKS_MAX    8  /* profile.networks entries */
#define CL_PROTO_SSIDS_MAX       8  /* SSIDs of one Wi-Fi network */
#define CL_PROTO_CONNECTIONS_MAX 16 /* connections of all networks together (one per SSID, one per wired) */
#define CL_PROTO_MATCHES_MAX     8  /* altsubject_matches of one network */
#define CL_PROTO_IDENTITY_MAX    128
#define CL_PROTO_POLL_DEFAULT    5
#define CL_PROTO_POLL_TIMEOUT    900

/* A server error body: {"error": {"code", "message", "retry_after", "field", "state"}}. */
struct cl_proto_error {
	char code[48];
	char message[CL_PROTO_MESSAGE_MAX * 4 + 1];
	long retry_after;
	char field[CL_PROTO_LABEL_MAX * 4 + 1]; /* field_required, field_too_long */
	char state[32];                         /* wrong_state */
};

/* ---- GET /api/v1/config ---- */

enum cl_proto_use { CL_PROTO_USE_OFF = 0, CL_PROTO_USE_OPTIONAL, CL_PROTO_USE_REQUIRED };

struct cl_proto_field {
	enum cl_proto_use use;                  /* absent field: off */
	long max;                               /* characters, 1-1024 (e-mail at most 128) */
	char label[CL_PROTO_LABEL_MAX * 4 + 1]; /* device_note only; "" when none */
};

/* The key the server asks for, as sent; core/key.c turns it into a key spec and refuses unknown kinds. */
struct cl_proto_key {
	char type[16];  /* "rsa" or "ec" */
	long bits;      /* rsa: 2048, 3072, 4096; 0 when absent */
	char curve[16]; /* ec: "P-256" or "P-384"; "" when absent */
};

struct cl_proto_config {
	long protocol;                                /* always 1 after a successful parse */
	char server[CL_PROTO_TEXT_MAX * 4 + 1];       /* "" when absent */
	char service_name[CL_PROTO_TEXT_MAX * 4 + 1]; /* "" when absent */
	bool auto_approve, passwordless, apid_check;  /* false when absent */
	struct cl_proto_field email, reason, device_note, invitation_code;
	struct cl_proto_key key;  /* required */
	bool renewal_same_key;    /* "allowed"; absent: false (new key) */
	long renewal_window_days; /* absent: 14 */
	bool withdraw_requires_password;
	long poll_interval, poll_timeout; /* seconds; absent: 5 and 900 */
};

/* ---- GET /api/v1/ca and profile trust ---- */

enum cl_proto_ca_role { CL_PROTO_CA_ROOT = 0, CL_PROTO_CA_INTERMEDIATE };

struct cl_proto_cert {
	char *pem;                /* one PEM certificate, parsed and checked; owned */
	unsigned char sha256[32]; /* computed over the DER; the server's "sha256", when sent, must equal it */
	char subject[512 * 4 + 1]; /* as the server wrote it; "" when absent */
	enum cl_proto_ca_role role;
};

struct cl_proto_ca {
	size_t n;
	struct cl_proto_cert certs[CL_PROTO_CA_MAX];
};

/* ---- applications ---- */

enum cl_proto_state {
	CL_PROTO_PENDING = 0,
	CL_PROTO_APPROVED,
	CL_PROTO_ISSUED,
	CL_PROTO_REJECTED,
	CL_PROTO_WITHDRAWN,
};

/* {"application": {...}} from apply, status, withdraw and reapply. Clear with cl_proto_application_clear().
 */
struct cl_proto_application {
	char id[CL_PROTO_ID_MAX + 1];
	enum cl_proto_state state;
	char secret[CL_PROTO_SECRET_MAX + 1]; /* apply only; "" otherwise. A secret: wiped on clear */
	char created[CL_PROTO_TIME_MAX + 1], updated[CL_PROTO_TIME_MAX + 1];
	char certificate_serial[CL_PROTO_SERIAL_MAX + 1]; /* "" when none */
	char revoked_serial[CL_PROTO_SERIAL_MAX + 1];     /* withdraw only */
	long retry_after;                                 /* seconds; 0 when absent */
};

/* What apply sends. NULL members are not sent. Exactly one of password and invitation_token. */
struct cl_proto_apply {
	const char *client_request_id; /* UUID, recorded by the caller before sending */
	const char *user;
	const char *password;         /* secret */
	const char *invitation_token; /* secret */
	const char *store;            /* "user" or "computer" */
	const char *email, *reason, *device_note, *invitation_code;
	const char *apid;
	const char *renewal_of; /* serial being renewed; NULL: sent as null */
};

/* Device details for activate; NULL members are not sent. Each at most 128 characters. */
struct cl_proto_device {
	const char *hostname, *user, *domain, *mac, *serial, *vendor, *apid, *os, *client;
};

/* Changes for reapply; NULL members are not sent (all NULL: body {}). */
struct cl_proto_reapply {
	const char *reason, *email, *device_note;
};

struct cl_proto_rdn {
	char type[16]; /* CN, O, OU, C, ST, L, emailAddress */
	char value[128 * 4 + 1];
};

struct cl_proto_strings {
	size_t n;
	char *v[CL_PROTO_SAN_MAX]; /* owned */
};

/* ---- the profile's 802.1X networks (docs/protocol.md section 6) ---- */

enum cl_proto_net_kind { CL_PROTO_NET_WIFI = 0, CL_PROTO_NET_WIRED };
enum cl_proto_net_security { CL_PROTO_NET_WPA2 = 0, CL_PROTO_NET_WPA3 }; /* WPA2-/WPA3-Enterprise */

struct cl_proto_ssid {
	char ssid[32 + 1]; /* 1-32 octets of UTF-8 text that reads as sent (text.h) */
	bool hidden;       /* not broadcast: the client probes for it */
};

/* One network: EAP-TLS with the enrolled certificate, the RADIUS server checked against CA_SHA256 (one of the
 * CAs profile.trust delivers: trust[ca_index]) and a server name. The parser refuses a network without a
 * server-name check: such a connection would authenticate to any access point using the network's name. */
struct cl_proto_network {
	enum cl_proto_net_kind kind;
	size_t n_ssids; /* Wi-Fi: 1-8; wired: 0 */
	struct cl_proto_ssid ssids[CL_PROTO_SSIDS_MAX];
	enum cl_proto_net_security security;          /* Wi-Fi only */
	char identity[CL_PROTO_IDENTITY_MAX * 4 + 1]; /* "": the certificate's CN, else the user ID */
	unsigned char ca_sha256[32];
	size_t ca_index;
	char domain_suffix_match[253 + 1]; /* "" when none */
	size_t n_altsubject;
	char altsubject_matches[CL_PROTO_MATCHES_MAX][6 + 253 + 1]; /* "DNS:name", "EMAIL:addr", "URI:uri" */
	bool autoconnect;                                           /* absent: true */
};

struct cl_proto_networks {
	size_t n;
	struct cl_proto_network v[CL_PROTO_NETWORKS_MAX];
};

/* A profile on its own ({"trust": [...], "networks": [...]}): what the privileged helper is staged with and
 * what the reference server checks its configuration with. Clear with cl_proto_profile_clear(). */
struct cl_proto_profile {
	size_t n_trust;
	struct cl_proto_cert trust[CL_PROTO_CA_MAX];
	struct cl_proto_networks networks;
};

/* The activation reply. Clear with cl_proto_activation_clear() (wipes the challenge). */
struct cl_proto_activation {
	char scep_url[CL_PROTO_URL_MAX + 1];
	unsigned char scep_ca_sha256[32];
	char challenge[CL_PROTO_CHALLENGE_MAX + 1]; /* a secret: one-time, wiped on clear */
	char challenge_expires[CL_PROTO_TIME_MAX + 1];
	size_t n_subject;
	struct cl_proto_rdn subject[CL_PROTO_RDN_MAX];
	struct cl_proto_strings san_dns, san_email, san_upn, san_uri;
	bool cn_override; /* "allowed" */
	struct cl_proto_key key;
	size_t n_trust;
	struct cl_proto_cert trust[CL_PROTO_CA_MAX];
	struct cl_proto_networks networks;           /* profile.networks (or the older profile.wifi) */
	char issued_serial[CL_PROTO_SERIAL_MAX + 1]; /* set when the certificate was already issued */
};

/* ---- pure reply parsers (proto-reply.c): bytes in, struct out, no I/O ---- */

enum cl_status cl_proto_parse_error(const char *body, size_t len, struct cl_proto_error *out,
                                    struct cl_error *err);
enum cl_status cl_proto_parse_config(const char *body, size_t len, struct cl_proto_config *out,
                                     struct cl_error *err);
/* Clear out with cl_proto_ca_clear() whatever the result. */
enum cl_status cl_proto_parse_ca(const char *body, size_t len, struct cl_proto_ca *out, struct cl_error *err);
enum cl_status cl_proto_parse_application(const char *body, size_t len, struct cl_proto_application *out,
                                          struct cl_error *err);
/* Clear out with cl_proto_activation_clear() whatever the result. */
enum cl_status cl_proto_parse_activation(const char *body, size_t len, struct cl_proto_activation *out,
                                         struct cl_error *err);

/* A profile document {"trust": [...], "networks": [...]} with the same rules as an activation's profile.
 * Clear out with cl_proto_profile_clear() whatever the result. */
enum cl_status cl_proto_parse_profile(const char *body, size_t len, struct cl_proto_profile *out,
                                      struct cl_error *err);

/* PROFILE as a profile document that cl_proto_parse_profile() reads back to the same struct. Caller frees
 * with free(); NULL when out of memory. */
char *cl_proto_profile_json(const struct cl_proto_profile *profile);

/* May SCEP requests go to URL, named by the server at SERVER_URL ("https://host:port", cl_http_base_url())?
 * Only on the server's own origin: https with the same host and port, or plain http (the optional SCEP over
 * HTTP of docs/protocol.md section 7) on the same host. Hosts compare case-insensitively and otherwise
 * exactly (no resolving: "localhost" is not "127.0.0.1"). Anything else is CL_E_UNREACHABLE with code
 * "scep_url_foreign". Pure. */
enum cl_status cl_proto_check_scep_url(const char *url, const char *server_url, struct cl_error *err);

void cl_proto_ca_clear(struct cl_proto_ca *ca);
void cl_proto_application_clear(struct cl_proto_application *app);
void cl_proto_activation_clear(struct cl_proto_activation *act);
void cl_proto_profile_clear(struct cl_proto_profile *profile);
/* "wifi" or "wired"; "wpa2-enterprise" or "wpa3-enterprise" (the protocol's names). */
const char *cl_proto_net_kind_name(enum cl_proto_net_kind kind);
const char *cl_proto_net_security_name(enum cl_proto_net_security security);

/* "pending", "approved", ...; "unknown" for other values. */
const char *cl_proto_state_name(enum cl_proto_state state);

/* Map a non-2xx reply to a status per section 2, filling err (code, the server's message) and, when given,
 * *retry_after. what names the operation ("applying"). Pure. */
enum cl_status cl_proto_map_error(long http_status, const char *body, size_t len, const char *what,
                                  long *retry_after, struct cl_error *err);

/* ---- operations (proto.c): need an established session (cl_http_establish) ---- */

enum cl_status cl_proto_get_config(struct cl_http *http, struct cl_proto_config *out, struct cl_error *err);
enum cl_status cl_proto_get_ca(struct cl_http *http, struct cl_proto_ca *out, struct cl_error *err);

/* New application or renewal. out->secret is the application secret: store it 0600, then clear out. */
enum cl_status cl_proto_apply(struct cl_http *http, const struct cl_proto_apply *req,
                              struct cl_proto_application *out, struct cl_error *err);

enum cl_status cl_proto_status(struct cl_http *http, const char *id, const char *secret,
                               struct cl_proto_application *out, struct cl_error *err);

/* 409 not_approved: CL_E_RETRY_LATER with code "not_approved" and out->... unset; *retry_after (may be
 * NULL) gets the server's poll hint. */
enum cl_status cl_proto_activate(struct cl_http *http, const char *id, const char *secret,
                                 const struct cl_proto_device *device, struct cl_proto_activation *out,
                                 long *retry_after, struct cl_error *err);

/* password: NULL unless the configuration says withdraw_requires_password. */
enum cl_status cl_proto_withdraw(struct cl_http *http, const char *id, const char *secret,
                                 const char *password, struct cl_proto_application *out,
                                 struct cl_error *err);

/* changes may be NULL. */
enum cl_status cl_proto_reapply(struct cl_http *http, const char *id, const char *secret,
                                const struct cl_proto_reapply *changes, struct cl_proto_application *out,
                                struct cl_error *err);

#endif
