/* certlink-server: the 802.1X networks an administrator defines for each store, sent to clients in the
 * activation's profile (docs/server.md "Networks", docs/protocol.md section 6).
 *
 * Configuration keys: network_user and network_computer hold a JSON array of networks in the protocol's form
 * without "ca_sha256"; network_ca holds the RADIUS server's CA certificate (PEM), or nothing for this
 * server's own CA. The server adds that CA to the profile's CAs and names it in every network. A value is
 * checked when it is set by the client's own parser (core/proto.h), so the server never sends a profile a
 * client would refuse (no network without a server-name check).
 */
#ifndef SRV_NETWORKS_H
#define SRV_NETWORKS_H

#include <sqlite3.h>

#include <cjson/cJSON.h>

#include "ca.h"
#include "error.h"

#define SRV_NETWORKS_VALUE_MAX (16 * 1024) /* network_user, network_computer, network_ca */

/* A network_user or network_computer value: "" or a JSON array of networks (without "ca_sha256"). CL_E_LOCAL
 * with the client's reason when a client would refuse it. */
enum cl_status srv_networks_check(const char *value, struct cl_error *err);
/* A network_ca value: "" or exactly one PEM CA certificate. */
enum cl_status srv_networks_check_ca(const char *value, struct cl_error *err);

/* The activation profile for an application of STORE ("user" or "computer"): {"trust": [this CA, and the
 * network CA when it is another], "networks": [...]} ("networks" only when the store has some). */
cJSON *srv_networks_profile(sqlite3 *db, const struct srv_ca *ca, const char *store);

/* The admin page's edits of STORE's list: append NETWORK (an object in the protocol's form, taken over), or
 * remove the INDEXth. Checked and stored like config-set. */
enum cl_status srv_networks_add(sqlite3 *db, const char *store, cJSON *network, struct cl_error *err);
enum cl_status srv_networks_remove(sqlite3 *db, const char *store, int index, struct cl_error *err);

#endif
