/* certlink core: where an installed certificate, key or trust anchor was put.
 *
 * cl_store_install() and cl_store_trust_ca() report every place they wrote as a list of locations; the
 * records file keeps the list with the certificate, and cl_store_remove() undoes exactly that list, in
 * reverse order. This module owns the list, the kind names and their JSON form.
 */
#ifndef CL_LOCATION_H
#define CL_LOCATION_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

enum cl_location_kind {
	CL_LOC_DIRECTORY = 1,   /* a directory certlink created: removed when empty */
	CL_LOC_KEY,             /* private key file (PKCS#8 PEM, 0600): overwritten, then removed */
	CL_LOC_CERTIFICATE,     /* certificate file (PEM) */
	CL_LOC_CHAIN,           /* CA chain file (PEM) */
	CL_LOC_PKCS12,          /* PKCS#12 bundle (0600): overwritten, then removed */
	CL_LOC_PKCS12_PASSWORD, /* the bundle's password file (0600): overwritten, then removed */
	CL_LOC_NSS_CERT,        /* certificate and key in an NSS database: path = "sql:DIR", nickname */
	CL_LOC_NSS_CA,          /* CA trusted in an NSS database ("C,,"): path = "sql:DIR", nickname */
	CL_LOC_TRUST_FILE, /* CA in the store's anchors directory (PEM): a consented trust anchor (anchor.h);
	                    * also the kind of the old trust directory's files, which do not count as one */
	CL_LOC_P11KIT_ANCHOR,   /* CA stored with `trust anchor --store PATH`; removed with --remove PATH */
	CL_LOC_CA_CERTIFICATES, /* CA in /usr/local/share/ca-certificates; removal runs update-ca-certificates
	                         */
	CL_LOC_NETWORK_FILE,    /* a file written for the profile's networks (a RADIUS server's CA, a
	                         * wpa_supplicant configuration): public, removed with the certificate */
	CL_LOC_NM_CONNECTION, /* a NetworkManager connection certlink made (core/network.h): path = its UUID,
	                       * nickname = its name; removed through certlink-netconf, only while tagged as
	                       * certlink's */
	CL_LOC_FIREFOX_CERT,  /* certificate and key in a Firefox profile (firefox.h): path = "sql:DIR" */
	CL_LOC_FIREFOX_CA,    /* CA trusted in a Firefox profile ("C,,"), like CL_LOC_NSS_CA */
	CL_LOC_FIREFOX_CHAIN, /* a CA of the certificate's chain in a Firefox profile (",,"): removed when
	                       * nothing trusts it and no certificate there needs it */
};

struct cl_location {
	enum cl_location_kind kind;
	char *path;     /* absolute file or directory path; for NSS kinds the database "sql:DIR"; for a
	                 * NetworkManager connection its UUID */
	char *nickname; /* NSS kinds and NetworkManager connections (its name) only, else NULL */
};

struct cl_locations {
	struct cl_location *items;
	size_t n;
};

/* At most this many locations per certificate (a records file with more is refused). */
#define CL_LOCATIONS_MAX 64

/* Stable JSON names: "directory", "key", "certificate", "chain", "pkcs12", "pkcs12-password",
 * "nss-certificate", "nss-ca", "trust-file", "p11-kit-anchor", "ca-certificates", "network-file",
 * "nm-connection", "firefox-certificate", "firefox-ca", "firefox-chain". */
const char *cl_location_kind_name(enum cl_location_kind kind);
bool cl_location_kind_parse(const char *name, enum cl_location_kind *out);
/* Whether a kind holds a secret (removed by overwrite + unlink) or is an NSS entry (Firefox's too). */
bool cl_location_kind_is_secret(enum cl_location_kind kind);
bool cl_location_kind_is_nss(enum cl_location_kind kind);
/* A UUID as NetworkManager writes one: 8-4-4-4-12 hex digits. */
bool cl_location_uuid_ok(const char *s);
/* Kinds that make a CA trusted (cl_store_untrust_ca() removes only these). */
bool cl_location_kind_is_trust(enum cl_location_kind kind);

/* Append a copy of PATH and NICKNAME (NULL for none). CL_E_LOCAL past CL_LOCATIONS_MAX or out of memory. */
enum cl_status cl_locations_add(struct cl_locations *list, enum cl_location_kind kind, const char *path,
                                const char *nickname, struct cl_error *err);
/* Append copies of every location of SRC. */
enum cl_status cl_locations_append(struct cl_locations *list, const struct cl_locations *src,
                                   struct cl_error *err);
/* Free the items and reset to empty. Accepts NULL. */
void cl_locations_clear(struct cl_locations *list);
/* Same kind, path and nickname. */
bool cl_location_equal(const struct cl_location *a, const struct cl_location *b);

/* JSON: [{"kind": "...", "path": "...", "nickname": "..."}]. NULL when out of memory. */
cJSON *cl_locations_to_json(const struct cl_locations *list);
/* Parse and validate (known kind, absolute path, "sql:/..." for NSS kinds, a UUID for NetworkManager
 * connections; a nickname only and always for NSS kinds and connections; length caps). Appends to OUT, which
 * the caller clears on error too. */
enum cl_status cl_locations_from_json(const cJSON *array, struct cl_locations *out, struct cl_error *err);

#endif
