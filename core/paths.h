/* certlink core: every file and directory certlink uses, and how tests point them elsewhere.
 *
 * One place answers "where": the user's XDG directories, the root-owned computer store, the NSS database,
 * the result files, and the system files read for device identity. Each has an environment override
 * documented in docs/paths.md; tests set them so they never touch the real $HOME or /etc.
 *
 * Every cl_paths_*() function returns a newly allocated string (caller frees with free()) or NULL with err
 * set (CL_E_LOCAL: HOME unset, a relative override, a path too long).
 */
#ifndef CL_PATHS_H
#define CL_PATHS_H

#include "error.h"
#include "store-kind.h"

#include <stdbool.h>

/* $XDG_DATA_HOME/certlink (default ~/.local/share/certlink). */
char *cl_paths_user_data_dir(struct cl_error *err);
/* $XDG_STATE_HOME/certlink (default ~/.local/state/certlink). */
char *cl_paths_user_state_dir(struct cl_error *err);
/* $XDG_CONFIG_HOME/certlink (default ~/.config/certlink). */
char *cl_paths_user_config_dir(struct cl_error *err);
/* $CERTLINK_SYSTEM_DIR (default /var/lib/certlink): the computer store's root. */
char *cl_paths_system_dir(struct cl_error *err);
/* True when CERTLINK_SYSTEM_DIR redirects the computer store (tests). */
bool cl_paths_system_dir_redirected(void);
/* $CERTLINK_ETC_DIR (default /etc/certlink): system-wide configuration. */
char *cl_paths_etc_dir(struct cl_error *err);
/* Where the desktop sessions are found (session.h): $CERTLINK_RUN_USER_DIR (default /run/user, one
 * directory per logged-in uid holding its session bus "bus"), and $CERTLINK_UTMP (default the system's utmp
 * database, /var/run/utmp). */
char *cl_paths_run_user_dir(struct cl_error *err);
char *cl_paths_utmp(struct cl_error *err);

/* The mode a store's root directory is created with: 0700 for the user store; 0755 for the computer store
 * (its records are readable by every account; keys and secrets inside are 0600). */
unsigned cl_paths_store_dir_mode(enum cl_store_kind kind);

/* Where a store keeps its files: the user data dir or the system dir. */
char *cl_paths_store_dir(enum cl_store_kind kind, struct cl_error *err);
/* Installed certificates: STORE_DIR/certs (one subdirectory per serial). */
char *cl_paths_certs_dir(enum cl_store_kind kind, struct cl_error *err);
/* Trust anchors a person or an administrator agreed to (core/anchor.h): STORE_DIR/anchors, one
 * SHA256.pem per CA. (STORE_DIR/trust, where certlink before issue 9 put CAs without asking, is no
 * longer read: docs/paths.md.) */
char *cl_paths_anchors_dir(enum cl_store_kind kind, struct cl_error *err);
/* Servers the person told certlink to remember, each bound to its host and port:
 * STORE_DIR/known-servers.json (core/knownservers.h). */
char *cl_paths_known_servers_file(enum cl_store_kind kind, struct cl_error *err);
/* The records file: STORE_DIR/records.json. */
char *cl_paths_records_file(enum cl_store_kind kind, struct cl_error *err);
/* Per-application secrets (0700): STORE_DIR/pending. */
char *cl_paths_pending_dir(enum cl_store_kind kind, struct cl_error *err);

enum cl_result_format {
	CL_RESULT_FORMAT_JSON,
	CL_RESULT_FORMAT_TEXT,
};
/* The zero-touch result file: user $XDG_STATE_HOME/certlink/result.{json,txt}; computer
 * SYSTEM_DIR/result.{json,txt}. */
char *cl_paths_result_file(enum cl_store_kind kind, enum cl_result_format format, struct cl_error *err);
/* User settings: $XDG_CONFIG_HOME/certlink/settings.json. */
char *cl_paths_settings_file(struct cl_error *err);
/* The administrator's presets for every user: $CERTLINK_ETC_DIR/settings.json (default
 * /etc/certlink/settings.json). */
char *cl_paths_system_settings_file(struct cl_error *err);

/* The NSS database as certutil takes it: $CERTLINK_NSSDB (a bare directory gets "sql:" prepended), default
 * sql:$HOME/.pki/nssdb. */
char *cl_paths_nssdb(struct cl_error *err);
/* The directory part of cl_paths_nssdb() (without "sql:"). */
char *cl_paths_nssdb_dir(struct cl_error *err);

/* System files read for device identity. */
char *cl_paths_machine_id_file(struct cl_error *err); /* $CERTLINK_MACHINE_ID_FILE or /etc/machine-id */
char *cl_paths_dmi_dir(struct cl_error *err);         /* $CERTLINK_DMI_DIR or /sys/class/dmi/id */
char *cl_paths_sysfs_net_dir(struct cl_error *err);   /* $CERTLINK_SYSFS_NET or /sys/class/net */
char *cl_paths_proc_net_route(struct cl_error *err);  /* $CERTLINK_PROC_NET_ROUTE or /proc/net/route */
char *cl_paths_os_release(struct cl_error *err);      /* $CERTLINK_OS_RELEASE or /etc/os-release */
/* The APID fallback for machines without a machine-id: $CERTLINK_APID_FILE or /var/lib/misc/certlink-apid
 * (outside every package's files, so uninstalling or purging certlink keeps it). */
char *cl_paths_apid_file(struct cl_error *err);
/* The per-user APID fallback when the system one cannot be written: $XDG_STATE_HOME/certlink/apid. */
char *cl_paths_user_apid_file(struct cl_error *err);

/* System trust for the computer store. */
char *cl_paths_ca_certificates_dir(struct cl_error *err); /* $CERTLINK_CA_CERTIFICATES_DIR or
                                                             /usr/local/share/ca-certificates */

/* External programs, run with posix_spawn (never a shell). Absolute defaults; overrides for tests. */
char *cl_paths_tool_certutil(struct cl_error *err);  /* $CERTLINK_CERTUTIL or /usr/bin/certutil */
char *cl_paths_tool_pk12util(struct cl_error *err);  /* $CERTLINK_PK12UTIL or /usr/bin/pk12util */
char *cl_paths_tool_trust(struct cl_error *err);     /* $CERTLINK_TRUST or /usr/bin/trust */
char *cl_paths_tool_update_ca(struct cl_error *err); /* $CERTLINK_UPDATE_CA_CERTIFICATES or
                                                        /usr/sbin/update-ca-certificates */
char *cl_paths_tool_netconf(struct cl_error *err);   /* $CERTLINK_NETCONF or LIBEXECDIR/certlink/
                                                        certlink-netconf (NetworkManager, core/network.h) */

/* dir + "/" + name, or NULL with err set when too long or out of memory. */
char *cl_paths_join(const char *dir, const char *name, struct cl_error *err);

#endif
