/* Unit tests of core/device.c with fake machine-id, sysfs net, /proc/net/route, DMI and os-release files.
 * The APID known answers were computed independently (Python hmac and `openssl dgst -mac HMAC`). */
#include "check.h"
#include "device-private.h"
#include "device.h"
#include "fileio.h"
#include "tmpdir.h"

#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>

static void test_apid_derivation(void)
{
	char out[CL_DEVICE_APID_LEN + 1];

	CHECK(cl_device_apid_from_machine_id("b08dfa6083e7567a1921a715000001fb\n", out));
	CHECK_STR_EQ(out, "M74BYEZV4WDSZQF2");
	CHECK(cl_device_apid_from_machine_id("0123456789abcdef0123456789abcdef", out));
	CHECK_STR_EQ(out, "IQBETYS4XRXZDPGC");
	/* Upper case hex is the same id. */
	CHECK(cl_device_apid_from_machine_id("0123456789ABCDEF0123456789ABCDEF\n", out));
	CHECK_STR_EQ(out, "IQBETYS4XRXZDPGC");
	CHECK(!cl_device_apid_from_machine_id("uninitialized\n", out));
	CHECK(!cl_device_apid_from_machine_id("00000000000000000000000000000000\n", out));
	CHECK(!cl_device_apid_from_machine_id("0123456789abcdef0123456789abcde\n", out));
	CHECK(!cl_device_apid_from_machine_id("0123456789abcdef0123456789abcdef0\n", out));
	CHECK(!cl_device_apid_from_machine_id("0123456789abcdef0123456789abcdeg\n", out));
	CHECK(!cl_device_apid_from_machine_id("0123456789abcdef0123456789abcdef\n\n", out));
	CHECK(!cl_device_apid_from_machine_id("", out));
}

static void test_apid_files(void)
{
	char a[CL_DEVICE_APID_LEN + 1], b[CL_DEVICE_APID_LEN + 1];
	struct cl_error err;
	char *text = NULL;

	setenv("CERTLINK_MACHINE_ID_FILE", tmpdir_path("machine-id"), 1);
	setenv("CERTLINK_APID_FILE", tmpdir_path("var/lib/misc/certlink-apid"), 1);
	tmpdir_write(tmpdir_path("machine-id"), "b08dfa6083e7567a1921a715000001fb\n");
	CHECK_INT_EQ(cl_device_apid(a, &err), CL_OK);
	CHECK_STR_EQ(a, "M74BYEZV4WDSZQF2");
	CHECK(!cl_fileio_exists(tmpdir_path("var/lib/misc/certlink-apid")));
	/* A clone whose machine-id was regenerated gets another APID. */
	tmpdir_write(tmpdir_path("machine-id"), "0123456789abcdef0123456789abcdef\n");
	CHECK_INT_EQ(cl_device_apid(b, &err), CL_OK);
	CHECK(strcmp(a, b) != 0);

	/* No usable machine-id: a random APID, persisted, the same on every later call. */
	tmpdir_write(tmpdir_path("machine-id"), "uninitialized\n");
	CHECK_INT_EQ(cl_device_apid(a, &err), CL_OK);
	CHECK_INT_EQ(strlen(a), 16);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("var/lib/misc/certlink-apid")), 0644);
	CHECK_INT_EQ(cl_fileio_read(tmpdir_path("var/lib/misc/certlink-apid"), 64, &text, NULL, &err), CL_OK);
	CHECK(text && strncmp(text, a, 16) == 0 && strcmp(text + 16, "\n") == 0);
	free(text);
	unlink(tmpdir_path("machine-id"));
	CHECK_INT_EQ(cl_device_apid(b, &err), CL_OK);
	CHECK_STR_EQ(a, b);

	/* Many processes creating it at once agree on one APID. */
	CHECK_INT_EQ(unlink(tmpdir_path("var/lib/misc/certlink-apid")), 0);
	{
		int fds[2], same = 1, status;
		pid_t pids[6];

		CHECK_INT_EQ(pipe(fds), 0);
		for (int i = 0; i < 6; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				char mine[CL_DEVICE_APID_LEN + 1] = "";

				cl_device_apid(mine, NULL);
				_exit(write(fds[1], mine, 16) == 16 ? 0 : 1);
			}
		}
		close(fds[1]);
		for (int i = 0; i < 6; i++) {
			char got[17] = "";

			same &= read(fds[0], got, 16) == 16;
			if (i == 0)
				memcpy(a, got, 17);
			same &= strcmp(got, a) == 0;
			waitpid(pids[i], &status, 0);
		}
		close(fds[0]);
		CHECK(same);
		CHECK_INT_EQ(cl_device_apid(b, &err), CL_OK);
		CHECK_STR_EQ(a, b);
	}

	/* The system file cannot be written (here: its directory is a file): the per-user file. */
	tmpdir_write(tmpdir_path("not-a-dir"), "");
	setenv("CERTLINK_APID_FILE", tmpdir_path("not-a-dir/certlink-apid"), 1);
	CHECK_INT_EQ(cl_device_apid(a, &err), CL_OK);
	CHECK(cl_fileio_exists(tmpdir_path("state/certlink/apid")));
	CHECK_INT_EQ(cl_device_apid(b, &err), CL_OK);
	CHECK_STR_EQ(a, b);

	/* A damaged fallback is not silently replaced. */
	setenv("CERTLINK_APID_FILE", tmpdir_path("var/lib/misc/certlink-apid"), 1);
	tmpdir_write(tmpdir_path("var/lib/misc/certlink-apid"), "garbage\n");
	tmpdir_write(tmpdir_path("state/certlink/apid"), "garbage too\n");
	CHECK_INT_EQ(cl_device_apid(a, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "damaged") != NULL);
	unlink(tmpdir_path("state/certlink/apid"));
	unlink(tmpdir_path("var/lib/misc/certlink-apid"));
}

static const char route_text[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "wlan0\t0000A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n"
    "wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
    "tun0\t00000000\t00000000\t0000\t0\t0\t1\t00000000\t0\t0\t0\n";

static void test_route(void)
{
	char iface[16];

	/* Lowest metric among default routes that are up (tun0's route is down). */
	CHECK(cl_device_default_route_iface(route_text, iface));
	CHECK_STR_EQ(iface, "eth0");
	CHECK(!cl_device_default_route_iface("Iface\tDestination\n", iface));
	CHECK(!cl_device_default_route_iface("", iface));
	CHECK(
	    !cl_device_default_route_iface("Iface\n../../x\t00000000\t0\t0003\t0\t0\t1\t00000000\n", iface));
}

static void fake_iface(const char *name, const char *type, const char *mac, const char *state)
{
	char p[256];
	struct cl_error err;

	snprintf(p, sizeof(p), "net/%s", name);
	cl_fileio_mkdirs(tmpdir_path(p), 0755, &err);
	snprintf(p, sizeof(p), "net/%s/type", name);
	tmpdir_write(tmpdir_path(p), type);
	snprintf(p, sizeof(p), "net/%s/address", name);
	tmpdir_write(tmpdir_path(p), mac);
	snprintf(p, sizeof(p), "net/%s/operstate", name);
	tmpdir_write(tmpdir_path(p), state);
}

static void test_identify(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "", want_host[256];
	struct cl_device dev;
	struct cl_error err;

	tmpdir_write(tmpdir_path("machine-id"), "b08dfa6083e7567a1921a715000001fb\n");
	fake_iface("lo", "772\n", "00:00:00:00:00:00\n", "unknown\n");
	fake_iface("eth0", "1\n", "00:11:22:33:44:55\n", "down\n");
	fake_iface("wlan0", "1\n", "AA:BB:CC:DD:EE:FF\n", "up\n");
	fake_iface("zz9", "1\n", "00:00:00:00:00:00\n", "up\n");
	tmpdir_write(tmpdir_path("route"), route_text);
	cl_fileio_mkdirs(tmpdir_path("dmi"), 0755, &err);
	tmpdir_write(tmpdir_path("dmi/sys_vendor"), "LENOVO\n");
	tmpdir_write(tmpdir_path("dmi/product_name"), "  20XW00A1GE \n");
	tmpdir_write(tmpdir_path("os-release"),
	             "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 "
	             "(bookworm)\"\nID=debian\n");
	setenv("CERTLINK_SYSFS_NET", tmpdir_path("net"), 1);
	setenv("CERTLINK_PROC_NET_ROUTE", tmpdir_path("route"), 1);
	setenv("CERTLINK_DMI_DIR", tmpdir_path("dmi"), 1);
	setenv("CERTLINK_OS_RELEASE", tmpdir_path("os-release"), 1);

	CHECK_INT_EQ(cl_device_identify(&dev, &err), CL_OK);
	CHECK_STR_EQ(dev.apid, "M74BYEZV4WDSZQF2");
	gethostname(host, sizeof(host) - 1);
	snprintf(want_host, sizeof(want_host), "%.*s", (int)strcspn(host, "."), host);
	CHECK_STR_EQ(dev.hostname, want_host);
	CHECK(pw && strcmp(dev.user, pw->pw_name) == 0);
	/* The default route's interface, even though it is down. */
	CHECK_STR_EQ(dev.mac, "00:11:22:33:44:55");
	CHECK_STR_EQ(dev.vendor, "LENOVO");
	CHECK_STR_EQ(dev.product, "20XW00A1GE");
	CHECK_STR_EQ(dev.serial, ""); /* product_serial unreadable (here: absent) */
	CHECK_STR_EQ(dev.os, "Debian GNU/Linux 12 (bookworm)");

	/* As a normal user the root-only product_serial is unreadable: left empty, the rest still read. */
	tmpdir_write(tmpdir_path("dmi/product_serial"), "PF3ABCDE\n");
	CHECK_INT_EQ(cl_device_identify(&dev, &err), CL_OK);
	CHECK_STR_EQ(dev.serial, "PF3ABCDE");
	if (geteuid() == 0) {
		int status = 0;
		pid_t pid;

		chmod(tmpdir_path(""), 0755);
		chmod(tmpdir_path("dmi/product_serial"), 0400);
		pid = fork();
		if (pid == 0) {
			struct cl_device d2;

			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(90);
			setenv("CERTLINK_APID_FILE", "/nonexistent/apid", 1); /* machine-id is readable */
			if (cl_device_identify(&d2, NULL) != CL_OK)
				_exit(91);
			_exit(strcmp(d2.serial, "") == 0 && strcmp(d2.vendor, "LENOVO") == 0 ? 0 : 92);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status));
		CHECK_INT_EQ(WEXITSTATUS(status), 0);
		chmod(tmpdir_path(""), 0700);
	}

	/* No default route: the first interface that is up and has a real MAC (lowercased). */
	setenv("CERTLINK_PROC_NET_ROUTE", tmpdir_path("no-route"), 1);
	CHECK_INT_EQ(cl_device_identify(&dev, &err), CL_OK);
	CHECK_STR_EQ(dev.mac, "aa:bb:cc:dd:ee:ff");
	/* Nothing up: the first by name that is not loopback and has a MAC. */
	fake_iface("wlan0", "1\n", "AA:BB:CC:DD:EE:FF\n", "down\n");
	CHECK_INT_EQ(cl_device_identify(&dev, &err), CL_OK);
	CHECK_STR_EQ(dev.mac, "00:11:22:33:44:55");
	/* No interfaces at all. */
	setenv("CERTLINK_SYSFS_NET", tmpdir_path("no-net"), 1);
	CHECK_INT_EQ(cl_device_identify(&dev, &err), CL_OK);
	CHECK_STR_EQ(dev.mac, "");
}

static void test_helpers(void)
{
	char user[64] = "", domain[64] = "", os[64];

	cl_device_split_login("alice@corp.example", user, sizeof(user), domain, sizeof(domain));
	CHECK_STR_EQ(user, "alice");
	CHECK_STR_EQ(domain, "corp.example");
	strcpy(domain, "kept");
	cl_device_split_login("bob", user, sizeof(user), domain, sizeof(domain));
	CHECK_STR_EQ(user, "bob");
	CHECK_STR_EQ(domain, "kept");
	CHECK(cl_device_os_pretty_name("ID=x\nPRETTY_NAME='Alpine Linux v3.19'\n", os, sizeof(os)));
	CHECK_STR_EQ(os, "Alpine Linux v3.19");
	CHECK(cl_device_os_pretty_name("PRETTY_NAME=Plain", os, sizeof(os)));
	CHECK_STR_EQ(os, "Plain");
	CHECK(!cl_device_os_pretty_name("NAME=x\n", os, sizeof(os)));
	CHECK(cl_device_os_pretty_name("PRETTY_NAME=\"bad\x01\"\n", os, sizeof(os)));
	CHECK_STR_EQ(os, "bad?");
}

static void test_reason(void)
{
	struct cl_device dev = {
		.hostname = "pc01", .user = "alice", .domain = "corp.example", .mac = "00:11:22:33:44:55"
	};
	struct cl_error err;
	char out[256], tiny[20];

	CHECK_INT_EQ(cl_device_reason(&dev, CL_STORE_USER, "new laptop", out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out, "[pc01]/[alice@corp.example]/[00:11:22:33:44:55]/[user]: new laptop");
	CHECK_INT_EQ(cl_device_reason(&dev, CL_STORE_COMPUTER, NULL, out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out, "[pc01]/[alice@corp.example]/[00:11:22:33:44:55]/[comp]:");
	dev.domain[0] = '\0';
	dev.mac[0] = '\0';
	CHECK_INT_EQ(cl_device_reason(&dev, CL_STORE_USER, "", out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out, "[pc01]/[alice]/[]/[user]:");
	strcpy(dev.user, "ev]il/[x");
	CHECK_INT_EQ(cl_device_reason(&dev, CL_STORE_USER, "why", out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out, "[pc01]/[ev_il__x]/[]/[user]: why");
	CHECK_INT_EQ(cl_device_reason(&dev, CL_STORE_USER, "why", tiny, sizeof(tiny), &err), CL_E_LOCAL);
}

int main(void)
{
	tmpdir_make("device");
	setenv("XDG_STATE_HOME", tmpdir_path("state"), 1);
	test_apid_derivation();
	test_apid_files();
	test_route();
	test_identify();
	test_helpers();
	test_reason();
	tmpdir_remove();
	return check_done();
}
