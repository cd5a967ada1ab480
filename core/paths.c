/* certlink core: where certlink keeps and reads things (see paths.h and docs/paths.md). */
#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cl_paths_join(const char *dir, const char *name, struct cl_error *err)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *out;

	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	if (dl + 1 + nl >= PATH_MAX) {
		cl_error_set(err, CL_E_LOCAL, "path too long: %.64s.../%.64s", dir, name);
		return NULL;
	}
	out = malloc(dl + 1 + nl + 1);
	if (!out) {
		cl_error_set(err, CL_E_LOCAL, "out of memory");
		return NULL;
	}
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return out;
}

static char *dup_path(const char *path, struct cl_error *err)
{
	char *out;

	if (strlen(path) >= PATH_MAX) {
		cl_error_set(err, CL_E_LOCAL, "path too long: %.64s...", path);
		return NULL;
	}
	out = strdup(path);
	if (!out)
		cl_error_set(err, CL_E_LOCAL, "out of memory");
	return out;
}

/* A set, non-empty environment value; NULL otherwise. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* An override must be absolute: a relative one would depend on the working directory of a root script. */
static char *override_or(const char *var, const char *fallback, struct cl_error *err)
{
	const char *v = env_value(var);

	if (v && v[0] != '/') {
		cl_error_set(err, CL_E_LOCAL, "%s must be an absolute path, not \"%.64s\"", var, v);
		return NULL;
	}
	return dup_path(v ? v : fallback, err);
}

/* XDG base directory: $VAR when absolute (relative values are ignored, as the specification says), else
 * $HOME/home_rel; then "/certlink". */
static char *xdg_dir(const char *var, const char *home_rel, struct cl_error *err)
{
	const char *v = env_value(var), *home;
	char *base, *out;

	if (v && v[0] == '/')
		return cl_paths_join(v, "certlink", err);
	home = env_value("HOME");
	if (!home || home[0] != '/') {
		cl_error_set(err, CL_E_LOCAL, "neither %s nor HOME is set to an absolute path", var);
		return NULL;
	}
	base = cl_paths_join(home, home_rel, err);
	if (!base)
		return NULL;
	out = cl_paths_join(base, "certlink", err);
	free(base);
	return out;
}

char *cl_paths_user_data_dir(struct cl_error *err)
{
	return xdg_dir("XDG_DATA_HOME", ".local/share", err);
}

char *cl_paths_user_state_dir(struct cl_error *err)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state", err);
}

char *cl_paths_user_config_dir(struct cl_error *err)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config", err);
}

char *cl_paths_system_dir(struct cl_error *err)
{
	return override_or("CERTLINK_SYSTEM_DIR", "/var/lib/certlink", err);
}

bool cl_paths_system_dir_redirected(void)
{
	return env_value("CERTLINK_SYSTEM_DIR") != NULL;
}

char *cl_paths_etc_dir(struct cl_error *err)
{
	return override_or("CERTLINK_ETC_DIR", "/etc/certlink", err);
}

char *cl_paths_run_user_dir(struct cl_error *err)
{
	return override_or("CERTLINK_RUN_USER_DIR", "/run/user", err);
}

char *cl_paths_utmp(struct cl_error *err)
{
	return override_or("CERTLINK_UTMP", "/var/run/utmp", err); /* glibc's _PATH_UTMP */
}

unsigned cl_paths_store_dir_mode(enum cl_store_kind kind)
{
	return kind == CL_STORE_COMPUTER ? 0755 : 0700;
}

char *cl_paths_store_dir(enum cl_store_kind kind, struct cl_error *err)
{
	switch (kind) {
	case CL_STORE_USER:
		return cl_paths_user_data_dir(err);
	case CL_STORE_COMPUTER:
		return cl_paths_system_dir(err);
	case CL_STORE_ASK:
		break;
	}
	cl_error_set(err, CL_E_UNEXPECTED, "no store chosen (store kind %d)", (int)kind);
	return NULL;
}

static char *in_store(enum cl_store_kind kind, const char *name, struct cl_error *err)
{
	char *dir = cl_paths_store_dir(kind, err), *out;

	if (!dir)
		return NULL;
	out = cl_paths_join(dir, name, err);
	free(dir);
	return out;
}

char *cl_paths_certs_dir(enum cl_store_kind kind, struct cl_error *err)
{
	return in_store(kind, "certs", err);
}

char *cl_paths_anchors_dir(enum cl_store_kind kind, struct cl_error *err)
{
	return in_store(kind, "anchors", err);
}

char *cl_paths_known_servers_file(enum cl_store_kind kind, struct cl_error *err)
{
	return in_store(kind, "known-servers.json", err);
}

char *cl_paths_records_file(enum cl_store_kind kind, struct cl_error *err)
{
	return in_store(kind, "records.json", err);
}

char *cl_paths_pending_dir(enum cl_store_kind kind, struct cl_error *err)
{
	return in_store(kind, "pending", err);
}

char *cl_paths_result_file(enum cl_store_kind kind, enum cl_result_format format, struct cl_error *err)
{
	const char *name = format == CL_RESULT_FORMAT_TEXT ? "result.txt" : "result.json";
	char *dir, *out;

	if (kind == CL_STORE_USER)
		dir = cl_paths_user_state_dir(err);
	else
		dir = cl_paths_store_dir(kind, err);
	if (!dir)
		return NULL;
	out = cl_paths_join(dir, name, err);
	free(dir);
	return out;
}

char *cl_paths_settings_file(struct cl_error *err)
{
	char *dir = cl_paths_user_config_dir(err), *out;

	if (!dir)
		return NULL;
	out = cl_paths_join(dir, "settings.json", err);
	free(dir);
	return out;
}

char *cl_paths_system_settings_file(struct cl_error *err)
{
	char *dir = cl_paths_etc_dir(err), *out;

	if (!dir)
		return NULL;
	out = cl_paths_join(dir, "settings.json", err);
	free(dir);
	return out;
}

char *cl_paths_nssdb(struct cl_error *err)
{
	const char *v = env_value("CERTLINK_NSSDB"), *home;
	char buf[PATH_MAX];
	int n;

	if (v) {
		const char *dir = strncmp(v, "sql:", 4) == 0 ? v + 4 : v;

		if (dir[0] != '/') {
			cl_error_set(err, CL_E_LOCAL, "CERTLINK_NSSDB must name an absolute directory");
			return NULL;
		}
		n = snprintf(buf, sizeof(buf), "sql:%s", dir);
	} else {
		home = env_value("HOME");
		if (!home || home[0] != '/') {
			cl_error_set(err, CL_E_LOCAL, "HOME is not set to an absolute path");
			return NULL;
		}
		n = snprintf(buf, sizeof(buf), "sql:%s/.pki/nssdb", home);
	}
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		cl_error_set(err, CL_E_LOCAL, "NSS database path too long");
		return NULL;
	}
	return dup_path(buf, err);
}

char *cl_paths_nssdb_dir(struct cl_error *err)
{
	char *db = cl_paths_nssdb(err), *out;

	if (!db)
		return NULL;
	out = dup_path(db + 4, err);
	free(db);
	return out;
}

char *cl_paths_machine_id_file(struct cl_error *err)
{
	return override_or("CERTLINK_MACHINE_ID_FILE", "/etc/machine-id", err);
}

char *cl_paths_dmi_dir(struct cl_error *err)
{
	return override_or("CERTLINK_DMI_DIR", "/sys/class/dmi/id", err);
}

char *cl_paths_sysfs_net_dir(struct cl_error *err)
{
	return override_or("CERTLINK_SYSFS_NET", "/sys/class/net", err);
}

char *cl_paths_proc_net_route(struct cl_error *err)
{
	return override_or("CERTLINK_PROC_NET_ROUTE", "/proc/net/route", err);
}

char *cl_paths_os_release(struct cl_error *err)
{
	return override_or("CERTLINK_OS_RELEASE", "/etc/os-release", err);
}

char *cl_paths_apid_file(struct cl_error *err)
{
	return override_or("CERTLINK_APID_FILE", "/var/lib/misc/certlink-apid", err);
}

char *cl_paths_user_apid_file(struct cl_error *err)
{
	char *dir = cl_paths_user_state_dir(err), *out;

	if (!dir)
		return NULL;
	out = cl_paths_join(dir, "apid", err);
	free(dir);
	return out;
}

char *cl_paths_ca_certificates_dir(struct cl_error *err)
{
	return override_or("CERTLINK_CA_CERTIFICATES_DIR", "/usr/local/share/ca-certificates", err);
}

char *cl_paths_tool_certutil(struct cl_error *err)
{
	return override_or("CERTLINK_CERTUTIL", "/usr/bin/certutil", err);
}

char *cl_paths_tool_pk12util(struct cl_error *err)
{
	return override_or("CERTLINK_PK12UTIL", "/usr/bin/pk12util", err);
}

char *cl_paths_tool_trust(struct cl_error *err)
{
	return override_or("CERTLINK_TRUST", "/usr/bin/trust", err);
}

char *cl_paths_tool_update_ca(struct cl_error *err)
{
	return override_or("CERTLINK_UPDATE_CA_CERTIFICATES", "/usr/sbin/update-ca-certificates", err);
}

char *cl_paths_tool_netconf(struct cl_error *err)
{
	return override_or("CERTLINK_NETCONF", CERTLINK_LIBEXECDIR "/certlink-netconf", err);
}
