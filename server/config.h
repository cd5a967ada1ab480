/* certlink-server: configuration keys (names, defaults, validation) kept in the config table.
 *
 * Values are read from the database on each use, so `certlink-server config-set` takes effect on the
 * running server at the next request.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <sqlite3.h>
#include <stddef.h>

#include "error.h"

#define SRV_CONFIG_VALUE_MAX 512

struct srv_config_key {
	const char *name;
	const char *def;
	const char *help;
};

/* The known keys, terminated by a NULL name. */
const struct srv_config_key *srv_config_keys(void);

/* Current value (stored or default) into out; returns 0, or -1 for an unknown key. */
int srv_config_get(sqlite3 *db, const char *key, char *out, size_t n);
/* Current value (stored or default) in a new buffer, however long (network_user, network_ca, ...); NULL
 * for an unknown key or out of memory. Caller frees. */
char *srv_config_dup(sqlite3 *db, const char *key);
/* Convenience readers; unknown keys or unparsable values give def/0. */
long srv_config_long(sqlite3 *db, const char *key);
int srv_config_bool(sqlite3 *db, const char *key);

/* Validate and store (its own transaction). CL_E_LOCAL with a message naming the rule on a bad value. */
enum cl_status srv_config_set(sqlite3 *db, const char *key, const char *value, struct cl_error *err);

/* Validate only. */
enum cl_status srv_config_check(const char *key, const char *value, struct cl_error *err);

/* Where clients reach this server: public_host/public_port when set, else the address and ports the running
 * server recorded (meta listen_host, https_port, scep_http_port). host gets brackets-free text. */
struct srv_public {
	char host[256];
	unsigned port;
	unsigned scep_http_port; /* 0 when the plain-HTTP SCEP listener is off */
};
void srv_config_public(sqlite3 *db, struct srv_public *pub);

#endif
