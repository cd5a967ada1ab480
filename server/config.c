/* certlink-server: configuration keys (see config.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "networks.h"
#include "util.h"

static const struct srv_config_key keys[] = {
	{ "service_name", "certlink enrollment", "name shown to people (1-64 characters)" },
	{ "organization", "", "O of issued certificates, empty for none (0-64 characters)" },
	{ "auto_approve", "false", "approve applications automatically (true|false)" },
	{ "auto_approve_computer_name", "false",
	  "name computer certificates after the host name the client reports, unapproved (true|false)" },
	{ "passwordless", "true", "allow passwordless invitations (true|false)" },
	{ "apid_check", "false", "only registered APIDs may apply (true|false), see apid-add" },
	{ "email", "optional", "e-mail prompt (off|optional|required)" },
	{ "reason", "optional", "reason prompt (off|optional|required)" },
	{ "device_note", "off", "device note prompt (off|optional|required)" },
	{ "device_note_label", "Device note", "label of the device note (1-64 characters)" },
	{ "invitation_code", "optional", "invitation code (off|optional|required)" },
	{ "key_type", "rsa", "key type of requests (rsa|ec)" },
	{ "key_size", "2048", "rsa: 2048|3072|4096, ec: P-256|P-384" },
	{ "renewal_same_key", "allowed", "renewal may reuse the key (allowed|forbidden)" },
	{ "renewal_window_days", "14", "days before expiry a client renews (1-365)" },
	{ "cn_override", "allowed",
	  "client may choose the user ID instead of the approved computer name as CN (allowed|forbidden)" },
	{ "hold_issuance", "false", "answer SCEP PENDING until `release ID` (true|false)" },
	{ "withdraw_requires_password", "false", "withdrawal needs the password (true|false)" },
	{ "challenge_lifetime", "3600", "seconds a SCEP challenge stays valid (60-604800)" },
	{ "cert_days", "365", "validity of issued certificates in days (1-3650)" },
	{ "approval_poll_interval", "5", "seconds between approval polls (1-3600)" },
	{ "approval_poll_timeout", "900", "seconds a front end waits for approval (10-86400)" },
	{ "network_user", "",
	  "802.1X networks for user certificates: a JSON array (docs/server.md \"Networks\"), empty for "
	  "none" },
	{ "network_computer", "",
	  "802.1X networks for computer certificates: a JSON array (docs/server.md \"Networks\"), empty for "
	  "none" },
	{ "network_ca", "", "the RADIUS servers' CA certificate (PEM), empty: this server's CA" },
	{ "crl_url", "",
	  "CRL distribution point put into certificates: an http(s) URL, empty: this server's /ca.crl, off: "
	  "none" },
	{ "renewal_revoke_days", "7",
	  "days after a renewal that the replaced certificate is revoked (0-365)" },
	{ "public_host", "", "host name in links and SCEP URLs, empty: the listen address" },
	{ "public_port", "0", "port in links and SCEP URLs, 0: the HTTPS port in use" },
	{ "scep_transport", "https", "SCEP URL handed out at activation (https|http)" },
	{ NULL, NULL, NULL },
};

const struct srv_config_key *srv_config_keys(void)
{
	return keys;
}

static const struct srv_config_key *find(const char *name)
{
	const struct srv_config_key *k;

	for (k = keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int srv_config_get(sqlite3 *db, const char *key, char *out, size_t n)
{
	const struct srv_config_key *k = find(key);
	sqlite3_stmt *st;

	if (!k)
		return -1;
	snprintf(out, n, "%s", k->def);
	st = srv_db_prepare(db, "SELECT value FROM config WHERE key = ?", NULL);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		srv_db_col_copy(st, 0, out, n);
	sqlite3_finalize(st);
	return 0;
}

char *srv_config_dup(sqlite3 *db, const char *key)
{
	const struct srv_config_key *k = find(key);
	sqlite3_stmt *st;
	char *out = NULL;

	if (!k)
		return NULL;
	st = srv_db_prepare(db, "SELECT value FROM config WHERE key = ?", NULL);
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			out = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	return out ? out : strdup(k->def);
}

long srv_config_long(sqlite3 *db, const char *key)
{
	char v[SRV_CONFIG_VALUE_MAX];

	if (srv_config_get(db, key, v, sizeof(v)) != 0)
		return 0;
	return strtol(v, NULL, 10);
}

int srv_config_bool(sqlite3 *db, const char *key)
{
	char v[SRV_CONFIG_VALUE_MAX];

	return srv_config_get(db, key, v, sizeof(v)) == 0 && strcmp(v, "true") == 0;
}

static int one_of(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

static int long_in(const char *v, long lo, long hi)
{
	char *end;
	long n;

	if (!*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n >= lo && n <= hi;
}

static int text_ok(const char *v, long lo, long hi)
{
	long n = srv_utf8_chars(v);

	return n >= lo && n <= hi;
}

static int host_ok(const char *v)
{
	size_t i;

	if (!*v)
		return 1;
	if (strlen(v) > 253)
		return 0;
	for (i = 0; v[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:", v[i]))
			return 0;
	return 1;
}

/* "", "off", or an http(s) URL of printable ASCII without spaces, quotes or commas (it goes into
 * certificates' CRL distribution points as it is). */
static int url_ok(const char *v)
{
	if (!*v || !strcmp(v, "off"))
		return 1;
	if (strlen(v) > 256 || (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0))
		return 0;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || strchr("\"',<>\\", *v))
			return 0;
	return 1;
}

enum cl_status srv_config_check(const char *key, const char *value, struct cl_error *err)
{
	static const char *const use[] = { "off", "optional", "required", NULL };
	static const char *const boolean[] = { "true", "false", NULL };
	static const char *const allow[] = { "allowed", "forbidden", NULL };
	static const char *const ktype[] = { "rsa", "ec", NULL };
	static const char *const ksize[] = { "2048", "3072", "4096", "P-256", "P-384", NULL };
	static const char *const transport[] = { "https", "http", NULL };
	const struct srv_config_key *k = find(key);
	int ok;

	if (!k)
		return cl_error_set(err, CL_E_LOCAL, "unknown configuration key \"%s\"", key);
	if (strstr(k->help, "(true|false)"))
		ok = one_of(value, boolean);
	else if (strstr(k->help, "(off|optional|required)"))
		ok = one_of(value, use);
	else if (strstr(k->help, "(allowed|forbidden)"))
		ok = one_of(value, allow);
	else if (!strcmp(key, "key_type"))
		ok = one_of(value, ktype);
	else if (!strcmp(key, "key_size"))
		ok = one_of(value, ksize);
	else if (!strcmp(key, "scep_transport"))
		ok = one_of(value, transport);
	else if (!strcmp(key, "service_name") || !strcmp(key, "device_note_label"))
		ok = text_ok(value, 1, 64);
	else if (!strcmp(key, "organization"))
		ok = text_ok(value, 0, 64);
	else if (!strcmp(key, "renewal_window_days"))
		ok = long_in(value, 1, 365);
	else if (!strcmp(key, "challenge_lifetime"))
		ok = long_in(value, 60, 604800);
	else if (!strcmp(key, "cert_days"))
		ok = long_in(value, 1, 3650);
	else if (!strcmp(key, "approval_poll_interval"))
		ok = long_in(value, 1, 3600);
	else if (!strcmp(key, "approval_poll_timeout"))
		ok = long_in(value, 10, 86400);
	else if (!strcmp(key, "network_user") || !strcmp(key, "network_computer"))
		return srv_networks_check(value, err) == CL_OK
		           ? CL_OK
		           : (cl_error_prefix(err, "bad value for %s", key), CL_E_LOCAL);
	else if (!strcmp(key, "network_ca"))
		return srv_networks_check_ca(value, err) == CL_OK
		           ? CL_OK
		           : (cl_error_prefix(err, "bad value for %s", key), CL_E_LOCAL);
	else if (!strcmp(key, "crl_url"))
		ok = url_ok(value);
	else if (!strcmp(key, "renewal_revoke_days"))
		ok = long_in(value, 0, 365);
	else if (!strcmp(key, "public_host"))
		ok = host_ok(value);
	else if (!strcmp(key, "public_port"))
		ok = long_in(value, 0, 65535);
	else
		ok = 0;
	if (!ok)
		return cl_error_set(err, CL_E_LOCAL, "bad value for %s: %s", key, k->help);
	return CL_OK;
}

/* key_type and key_size must agree: rsa with a bit count, ec with a curve. Setting key_type moves a size that
 * does not fit to the type's default, so an administrator can switch in one command. */
static enum cl_status store(sqlite3 *db, const char *key, const char *value, struct cl_error *err)
{
	sqlite3_stmt *st = srv_db_prepare(db, "INSERT OR REPLACE INTO config(key, value) VALUES(?, ?)", err);
	int rc;

	if (!st)
		return err ? err->status : CL_E_UNEXPECTED;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : srv_db_fail(db, rc, "storing configuration", err);
}

static enum cl_status check_key_pair(sqlite3 *db, const char *key, const char *value, struct cl_error *err)
{
	char type[16], size[16];

	srv_config_get(db, "key_type", type, sizeof(type));
	srv_config_get(db, "key_size", size, sizeof(size));
	if (!strcmp(key, "key_type")) {
		if (!strcmp(value, "rsa") != (size[0] != 'P'))
			return store(db, "key_size", strcmp(value, "rsa") ? "P-256" : "2048", err);
	} else if (!strcmp(key, "key_size")) {
		if (!strcmp(type, "rsa") != (value[0] != 'P'))
			return cl_error_set(err, CL_E_LOCAL,
			                    "key_size %s does not fit key_type %s (rsa: 2048|3072|4096, ec: "
			                    "P-256|P-384)",
			                    value, type);
	}
	return CL_OK;
}

enum cl_status srv_config_set(sqlite3 *db, const char *key, const char *value, struct cl_error *err)
{
	if (srv_config_check(key, value, err) != CL_OK)
		return CL_E_LOCAL;
	if (srv_db_begin(db, err) != CL_OK)
		return err ? err->status : CL_E_UNEXPECTED;
	if (check_key_pair(db, key, value, err) != CL_OK || store(db, key, value, err) != CL_OK) {
		srv_db_rollback(db);
		return err ? err->status : CL_E_LOCAL;
	}
	return srv_db_commit(db, err);
}

void srv_config_public(sqlite3 *db, struct srv_public *pub)
{
	char v[SRV_CONFIG_VALUE_MAX];

	memset(pub, 0, sizeof(*pub));
	srv_config_get(db, "public_host", pub->host, sizeof(pub->host));
	if (!pub->host[0] && !srv_db_meta_get(db, "listen_host", pub->host, sizeof(pub->host)))
		snprintf(pub->host, sizeof(pub->host), "localhost");
	pub->port = (unsigned)srv_config_long(db, "public_port");
	if (!pub->port && srv_db_meta_get(db, "https_port", v, sizeof(v)))
		pub->port = (unsigned)strtoul(v, NULL, 10);
	if (!pub->port)
		pub->port = 443;
	if (srv_db_meta_get(db, "scep_http_port", v, sizeof(v)))
		pub->scep_http_port = (unsigned)strtoul(v, NULL, 10);
}
