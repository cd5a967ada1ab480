/* certlink core: the profile's 802.1X networks on this computer (docs/network.md).
 *
 * After a certificate is installed, each network of the profile (proto.h, docs/protocol.md section 6)
 * becomes NetworkManager connections, one per SSID and one per wired network, named after the service and
 * using the certificate and key where the store put them and the RADIUS server's CA, written beside the
 * certificate. NetworkManager is reached through certlink-netconf, a small libnm program (netconf/), so
 * that core stays free of GLib: it gets the plan as JSON on its standard input, file paths and names only,
 * never a secret. Connections are tagged as certlink's (NetworkManager user data org.certlink.*) and recorded
 * with the certificate (location kind nm-connection), and only connections carrying both are ever changed
 * or removed.
 *
 * The RADIUS CA is used as the connection's CA file and for nothing else: it is not a trust anchor and
 * needs no consent (anchor.h), for the same reason as the certificate's chain. It must be one of the CAs the
 * same profile delivered, over a session whose server identity was established (docs/security.md).
 *
 * User store: connections only this user may use (connection.permissions user:NAME), made with the user's
 * own NetworkManager rights; the key is the store's unencrypted 0600 key file, so there is no password for
 * NetworkManager to ask for or keep (private-key-password-flags "not required"). Computer store: system
 * connections every user may use, made as root (the privileged helper for a person who is not root).
 *
 * Without NetworkManager (certlink-netconf not installed, no system bus, NetworkManager not running) nothing
 * is applied; the same settings are written as ready wpa_supplicant configurations beside the certificate,
 * and the report says why.
 */
#ifndef CL_NETWORK_H
#define CL_NETWORK_H

#include <stdbool.h>

#include "error.h"
#include "location.h"
#include "store-kind.h"

struct cl_proto_networks;
struct cl_proto_cert;

#define CL_NETWORK_CONNECTIONS_MAX 16 /* CL_PROTO_CONNECTIONS_MAX */
#define CL_NETWORK_NAME_MAX        256

/* One connection of the profile, as NetworkManager has it (or would have had it). */
struct cl_network_conn {
	char key[48];                   /* which network: "wifi:SSID" or "wired" */
	char name[CL_NETWORK_NAME_MAX]; /* the connection's name: "SERVICE (SSID)", "SERVICE (wired)" */
	char uuid[37];                  /* NetworkManager's UUID; "" when not applied */
	bool updated; /* an existing connection now uses this certificate (renewal, resume) */
};

/* What happened to the profile's networks, for the front ends and the result file. */
struct cl_network_report {
	int planned; /* connections the profile asked for; 0: none */
	int applied; /* NetworkManager connections made or updated */
	struct cl_network_conn conns[CL_NETWORK_CONNECTIONS_MAX]; /* the first PLANNED */
	bool skipped;                                             /* the run was told not to (--no-network) */
	char note[512];         /* why nothing was applied ("NetworkManager is not running"), or "" */
	char wpa_file[2][4096]; /* the wpa_supplicant configurations written instead: Wi-Fi, wired; "" */
};

/* What the networks need of the installed certificate. */
struct cl_network_target {
	enum cl_store_kind store;
	const char *fingerprint; /* the certificate's SHA-256, 64 lowercase hex */
	const char *cn;          /* its subject CN, or "" */
	const char *user_id;     /* the user ID at the server */
	const char *service;     /* the service's name (connection names); "" for the host */
	const char *host;
	int port;
	const char *dir; /* the certificate's directory: the RADIUS CA and wpa_supplicant files go there */
	const char *cert_path; /* the certificate and the key the store wrote */
	const char *key_path;
};

/* The target's certificate, key and directory from the locations the store recorded for it. CL_E_LOCAL when
 * there is no certificate file or key file among them. */
enum cl_status cl_network_target_paths(const struct cl_locations *locs, struct cl_network_target *t,
                                       struct cl_error *err);

/* Apply NETS for the installed certificate T: write each RADIUS CA (from TRUST, the N_TRUST CAs the same
 * profile delivered) beside the certificate, then create or update the connections through certlink-netconf.
 * A connection among REUSE (nm-connection locations: this certificate's own on a resumed install, the
 * renewed certificate's on a renewal; may be NULL) for the same network is updated in place, so it keeps its
 * name, UUID and whatever the person changed that certlink does not set. Appends what was written and made to
 * LOCS (network files, connections). Without NetworkManager, or when it refuses, nothing is applied, the
 * wpa_supplicant files are written instead (also appended) and REPORT->note says why: CL_OK either way,
 * since the certificate is installed; CL_E_LOCAL only when a file could not be written. */
enum cl_status cl_network_apply(const struct cl_proto_networks *nets, const struct cl_proto_cert *trust,
                                size_t n_trust, const struct cl_network_target *t,
                                const struct cl_locations *reuse, struct cl_locations *locs,
                                struct cl_network_report *report, struct cl_error *err);

/* Remove the connection LOC (kind nm-connection) through certlink-netconf, if it is still there and still
 * certlink's (a connection someone else made under that UUID is left alone). CL_E_LOCAL when NetworkManager
 * cannot be reached or refuses: the connection is still there. */
enum cl_status cl_network_remove(const struct cl_location *loc, struct cl_error *err);

/* The pure parts, for tests. */
/* The connections NETS make for T (names, keys), into REPORT (planned and conns; nothing applied). */
void cl_network_plan(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                     struct cl_network_report *report);
/* The plan document certlink-netconf reads (docs/network.md); CA_PATHS[i] is the file of TRUST[i] (NULL
 * for CAs no network uses); OWNER the user-store user (NULL: a system connection); REUSE as above. Caller
 * frees with free(). NULL when out of memory. */
char *cl_network_plan_json(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                           const char *const *ca_paths, const char *owner, const struct cl_locations *reuse);
/* The wpa_supplicant configuration for NETS' Wi-Fi networks (WIRED false) or wired networks (true), or NULL
 * when there are none of that kind or a path cannot be written into one. Caller frees. */
char *cl_network_wpa_conf(const struct cl_proto_networks *nets, const struct cl_network_target *t,
                          const char *const *ca_paths, bool wired, const char *why);

#endif
