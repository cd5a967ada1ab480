/* Unit tests of core/paths.c: XDG rules, defaults, every documented override, and refused overrides. */
#include "check.h"
#include "paths.h"

#include <stdlib.h>

/* Checks that getter returns want, then frees. want == NULL means "must fail with CL_E_LOCAL". */
#define CHECK_PATH(call, want)                                  \
	do {                                                    \
		struct cl_error e_;                             \
		char *p_;                                       \
		cl_error_clear(&e_);                            \
		p_ = (call);                                    \
		if (want) {                                     \
			CHECK_STR_EQ(p_, (const char *)(want)); \
		} else {                                        \
			CHECK(p_ == NULL);                      \
			CHECK_INT_EQ(e_.status, CL_E_LOCAL);    \
		}                                               \
		free(p_);                                       \
	} while (0)

static const char *const overrides[] = {
	"XDG_DATA_HOME",
	"XDG_STATE_HOME",
	"XDG_CONFIG_HOME",
	"CERTLINK_SYSTEM_DIR",
	"CERTLINK_ETC_DIR",
	"CERTLINK_NSSDB",
	"CERTLINK_MACHINE_ID_FILE",
	"CERTLINK_DMI_DIR",
	"CERTLINK_SYSFS_NET",
	"CERTLINK_PROC_NET_ROUTE",
	"CERTLINK_APID_FILE",
	"CERTLINK_CA_CERTIFICATES_DIR",
	"CERTLINK_CERTUTIL",
	"CERTLINK_PK12UTIL",
	"CERTLINK_TRUST",
	"CERTLINK_UPDATE_CA_CERTIFICATES",
};

static void clear_overrides(void)
{
	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		unsetenv(overrides[i]);
}

static void test_defaults(void)
{
	clear_overrides();
	setenv("HOME", "/home/alice", 1);
	CHECK_PATH(cl_paths_user_data_dir(&e_), "/home/alice/.local/share/certlink");
	CHECK_PATH(cl_paths_user_state_dir(&e_), "/home/alice/.local/state/certlink");
	CHECK_PATH(cl_paths_user_config_dir(&e_), "/home/alice/.config/certlink");
	CHECK_PATH(cl_paths_system_dir(&e_), "/var/lib/certlink");
	CHECK(!cl_paths_system_dir_redirected());
	CHECK_PATH(cl_paths_etc_dir(&e_), "/etc/certlink");
	CHECK_PATH(cl_paths_system_settings_file(&e_), "/etc/certlink/settings.json");
	CHECK_PATH(cl_paths_nssdb(&e_), "sql:/home/alice/.pki/nssdb");
	CHECK_PATH(cl_paths_nssdb_dir(&e_), "/home/alice/.pki/nssdb");
	CHECK_PATH(cl_paths_machine_id_file(&e_), "/etc/machine-id");
	CHECK_PATH(cl_paths_dmi_dir(&e_), "/sys/class/dmi/id");
	CHECK_PATH(cl_paths_sysfs_net_dir(&e_), "/sys/class/net");
	CHECK_PATH(cl_paths_proc_net_route(&e_), "/proc/net/route");
	CHECK_PATH(cl_paths_os_release(&e_), "/etc/os-release");
	CHECK_PATH(cl_paths_apid_file(&e_), "/var/lib/misc/certlink-apid");
	CHECK_PATH(cl_paths_user_apid_file(&e_), "/home/alice/.local/state/certlink/apid");
	CHECK_PATH(cl_paths_ca_certificates_dir(&e_), "/usr/local/share/ca-certificates");
	CHECK_PATH(cl_paths_tool_certutil(&e_), "/usr/bin/certutil");
	CHECK_PATH(cl_paths_tool_pk12util(&e_), "/usr/bin/pk12util");
	CHECK_PATH(cl_paths_tool_trust(&e_), "/usr/bin/trust");
	CHECK_PATH(cl_paths_tool_update_ca(&e_), "/usr/sbin/update-ca-certificates");

	CHECK_PATH(cl_paths_store_dir(CL_STORE_USER, &e_), "/home/alice/.local/share/certlink");
	CHECK_PATH(cl_paths_store_dir(CL_STORE_COMPUTER, &e_), "/var/lib/certlink");
	CHECK_PATH(cl_paths_certs_dir(CL_STORE_USER, &e_), "/home/alice/.local/share/certlink/certs");
	CHECK_PATH(cl_paths_certs_dir(CL_STORE_COMPUTER, &e_), "/var/lib/certlink/certs");
	CHECK_PATH(cl_paths_anchors_dir(CL_STORE_USER, &e_), "/home/alice/.local/share/certlink/anchors");
	CHECK_PATH(cl_paths_anchors_dir(CL_STORE_COMPUTER, &e_), "/var/lib/certlink/anchors");
	CHECK_PATH(cl_paths_known_servers_file(CL_STORE_USER, &e_),
	           "/home/alice/.local/share/certlink/known-servers.json");
	CHECK_PATH(cl_paths_known_servers_file(CL_STORE_COMPUTER, &e_),
	           "/var/lib/certlink/known-servers.json");
	CHECK_PATH(cl_paths_records_file(CL_STORE_USER, &e_),
	           "/home/alice/.local/share/certlink/records.json");
	CHECK_PATH(cl_paths_records_file(CL_STORE_COMPUTER, &e_), "/var/lib/certlink/records.json");
	CHECK_PATH(cl_paths_pending_dir(CL_STORE_USER, &e_), "/home/alice/.local/share/certlink/pending");
	CHECK_PATH(cl_paths_pending_dir(CL_STORE_COMPUTER, &e_), "/var/lib/certlink/pending");
	CHECK_PATH(cl_paths_result_file(CL_STORE_USER, CL_RESULT_FORMAT_JSON, &e_),
	           "/home/alice/.local/state/certlink/result.json");
	CHECK_PATH(cl_paths_result_file(CL_STORE_USER, CL_RESULT_FORMAT_TEXT, &e_),
	           "/home/alice/.local/state/certlink/result.txt");
	CHECK_PATH(cl_paths_result_file(CL_STORE_COMPUTER, CL_RESULT_FORMAT_JSON, &e_),
	           "/var/lib/certlink/result.json");
	CHECK_PATH(cl_paths_result_file(CL_STORE_COMPUTER, CL_RESULT_FORMAT_TEXT, &e_),
	           "/var/lib/certlink/result.txt");
	CHECK_PATH(cl_paths_settings_file(&e_), "/home/alice/.config/certlink/settings.json");
	{
		struct cl_error err;
		char *p = cl_paths_store_dir((enum cl_store_kind)7, &err);

		CHECK(p == NULL);
		CHECK_INT_EQ(err.status, CL_E_UNEXPECTED);
	}
}

static void test_overrides(void)
{
	clear_overrides();
	setenv("HOME", "/home/alice", 1);
	setenv("XDG_DATA_HOME", "/x/data/", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	setenv("CERTLINK_SYSTEM_DIR", "/t/sys", 1);
	setenv("CERTLINK_ETC_DIR", "/t/etc", 1);
	setenv("CERTLINK_NSSDB", "/t/nss", 1);
	setenv("CERTLINK_MACHINE_ID_FILE", "/t/machine-id", 1);
	setenv("CERTLINK_DMI_DIR", "/t/dmi", 1);
	setenv("CERTLINK_SYSFS_NET", "/t/net", 1);
	setenv("CERTLINK_PROC_NET_ROUTE", "/t/route", 1);
	setenv("CERTLINK_OS_RELEASE", "/t/os-release", 1);
	setenv("CERTLINK_APID_FILE", "/t/apid", 1);
	setenv("CERTLINK_CA_CERTIFICATES_DIR", "/t/cacerts", 1);
	setenv("CERTLINK_CERTUTIL", "/t/certutil", 1);
	setenv("CERTLINK_PK12UTIL", "/t/pk12util", 1);
	setenv("CERTLINK_TRUST", "/t/trust", 1);
	setenv("CERTLINK_UPDATE_CA_CERTIFICATES", "/t/update", 1);

	CHECK_PATH(cl_paths_user_data_dir(&e_), "/x/data/certlink");
	CHECK_PATH(cl_paths_user_state_dir(&e_), "/x/state/certlink");
	CHECK_PATH(cl_paths_user_config_dir(&e_), "/x/config/certlink");
	CHECK_PATH(cl_paths_system_dir(&e_), "/t/sys");
	CHECK(cl_paths_system_dir_redirected());
	CHECK_PATH(cl_paths_etc_dir(&e_), "/t/etc");
	CHECK_PATH(cl_paths_system_settings_file(&e_), "/t/etc/settings.json");
	CHECK_PATH(cl_paths_nssdb(&e_), "sql:/t/nss");
	CHECK_PATH(cl_paths_nssdb_dir(&e_), "/t/nss");
	CHECK_PATH(cl_paths_machine_id_file(&e_), "/t/machine-id");
	CHECK_PATH(cl_paths_dmi_dir(&e_), "/t/dmi");
	CHECK_PATH(cl_paths_sysfs_net_dir(&e_), "/t/net");
	CHECK_PATH(cl_paths_proc_net_route(&e_), "/t/route");
	CHECK_PATH(cl_paths_os_release(&e_), "/t/os-release");
	CHECK_PATH(cl_paths_apid_file(&e_), "/t/apid");
	CHECK_PATH(cl_paths_user_apid_file(&e_), "/x/state/certlink/apid");
	CHECK_PATH(cl_paths_ca_certificates_dir(&e_), "/t/cacerts");
	CHECK_PATH(cl_paths_tool_certutil(&e_), "/t/certutil");
	CHECK_PATH(cl_paths_tool_pk12util(&e_), "/t/pk12util");
	CHECK_PATH(cl_paths_tool_trust(&e_), "/t/trust");
	CHECK_PATH(cl_paths_tool_update_ca(&e_), "/t/update");
	CHECK_PATH(cl_paths_records_file(CL_STORE_COMPUTER, &e_), "/t/sys/records.json");
	CHECK_PATH(cl_paths_result_file(CL_STORE_COMPUTER, CL_RESULT_FORMAT_TEXT, &e_), "/t/sys/result.txt");
	CHECK_PATH(cl_paths_result_file(CL_STORE_USER, CL_RESULT_FORMAT_JSON, &e_),
	           "/x/state/certlink/result.json");
	CHECK_PATH(cl_paths_anchors_dir(CL_STORE_USER, &e_), "/x/data/certlink/anchors");

	/* An NSS override may already carry the sql: prefix. */
	setenv("CERTLINK_NSSDB", "sql:/t/nss2", 1);
	CHECK_PATH(cl_paths_nssdb(&e_), "sql:/t/nss2");
	CHECK_PATH(cl_paths_nssdb_dir(&e_), "/t/nss2");
}

static void test_refused(void)
{
	clear_overrides();
	setenv("HOME", "/home/alice", 1);

	/* The XDG specification: a relative value is invalid and ignored. */
	setenv("XDG_DATA_HOME", "relative/data", 1);
	CHECK_PATH(cl_paths_user_data_dir(&e_), "/home/alice/.local/share/certlink");
	/* certlink's own overrides must be absolute: a root script's working directory must not matter. */
	setenv("CERTLINK_SYSTEM_DIR", "var/lib", 1);
	CHECK_PATH(cl_paths_system_dir(&e_), NULL);
	setenv("CERTLINK_NSSDB", "sql:nss", 1);
	CHECK_PATH(cl_paths_nssdb(&e_), NULL);
	setenv("CERTLINK_TRUST", "trust", 1);
	CHECK_PATH(cl_paths_tool_trust(&e_), NULL);
	/* An empty override means unset. */
	setenv("CERTLINK_SYSTEM_DIR", "", 1);
	CHECK_PATH(cl_paths_system_dir(&e_), "/var/lib/certlink");
	CHECK(!cl_paths_system_dir_redirected());

	clear_overrides();
	unsetenv("HOME");
	CHECK_PATH(cl_paths_user_data_dir(&e_), NULL);
	CHECK_PATH(cl_paths_nssdb(&e_), NULL);
	CHECK_PATH(cl_paths_user_apid_file(&e_), NULL);
	setenv("HOME", "relative-home", 1);
	CHECK_PATH(cl_paths_user_config_dir(&e_), NULL);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	CHECK_PATH(cl_paths_user_config_dir(&e_), "/x/config/certlink");
}

static void test_join_and_kinds(void)
{
	enum cl_store_kind k;
	char longname[5000];

	CHECK_PATH(cl_paths_join("/a/b//", "c", &e_), "/a/b/c");
	CHECK_PATH(cl_paths_join("/", "c", &e_), "/c");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_PATH(cl_paths_join("/a", longname, &e_), NULL);

	CHECK_INT_EQ(cl_paths_store_dir_mode(CL_STORE_USER), 0700);
	CHECK_INT_EQ(cl_paths_store_dir_mode(CL_STORE_COMPUTER), 0755);
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_USER), "user");
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_COMPUTER), "computer");
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_ASK), "ask");
	CHECK_STR_EQ(cl_store_kind_name((enum cl_store_kind)9), "unknown");
	CHECK(!cl_store_kind_parse("ask", &k));
	CHECK(cl_store_kind_parse("computer", &k) && k == CL_STORE_COMPUTER);
	CHECK(cl_store_kind_parse("user", &k) && k == CL_STORE_USER);
	CHECK(!cl_store_kind_parse("User", &k));
	CHECK(!cl_store_kind_parse(NULL, &k));
}

int main(void)
{
	test_defaults();
	test_overrides();
	test_refused();
	test_join_and_kinds();
	return check_done();
}
