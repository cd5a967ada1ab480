"""A private NetworkManager for the network tests (label network): its own system bus, polkit and state, in
namespaces of its own, so nothing of the machine's networking, bus, polkit rules or stores is touched.

`NetEnv.enter()` re-runs the calling script under
    unshare --mount --net --pid --fork --mount-proc --propagation private
(root only; otherwise, or when a tool is missing, the test exits 77 = skipped). Inside, tmpfs file systems
cover /run, /var/lib, /etc/NetworkManager, /etc/polkit-1/rules.d and /usr/local/share/ca-certificates, so
the computer store (/var/lib/certlink), NetworkManager's keyfiles (/etc/NetworkManager/system-connections)
and the system bus socket (/run/dbus/system_bus_socket) are at their real paths but private, and everything
disappears with the namespaces. Only loopback exists; NetworkManager manages no device. `start()` brings up
dbus-daemon, polkitd (with a rule: user `nobody` may add connections only for itself, nothing else) and
NetworkManager with the keyfile plugin and polkit authorisation, as on a desktop.

Run `python3 netenv.py shell` as root for an interactive shell in such an environment.
"""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
INSIDE = "CERTLINK_NETENV_INSIDE"
USER = "nobody"
TOOLS = ("unshare", "dbus-daemon", "NetworkManager", "nmcli", "ip")

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
"""

NM_CONF = """[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=true
systemd-resolved=false
[keyfile]
unmanaged-devices=*
[logging]
level=INFO
"""

# What a desktop's polkit gives the person at the console, less what this test must not have: nobody may
# add and change connections only it can use (NetworkManager's settings.modify.own), nothing else.
POLKIT_RULE = """polkit.addRule(function(action, subject) {
    if (subject.user == "%s") {
        if (action.id == "org.freedesktop.NetworkManager.settings.modify.own") return polkit.Result.YES;
        if (action.id.indexOf("org.freedesktop.NetworkManager.") == 0) return polkit.Result.NO;
    }
});
""" % USER

POLKITD = "/usr/lib/polkit-1/polkitd"


def log(msg):
    print("[net] " + msg, flush=True)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def missing_tools(extra=()):
    return [t for t in TOOLS + tuple(extra) if not shutil.which(t, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]


def enter(extra_tools=()):
    """Re-run this script inside the namespaces (returns only inside)."""
    if os.environ.get(INSIDE) == "1":
        return
    if os.geteuid() != 0:
        skip("the network tests need root (namespaces and a private NetworkManager)")
    missing = missing_tools(extra_tools) + ([] if os.access(POLKITD, os.X_OK) else [POLKITD])
    if missing:
        skip("missing: " + ", ".join(missing))
    env = dict(os.environ, **{INSIDE: "1"})
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    probe = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc",
                            "--propagation", "private", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip("cannot make namespaces here: " + probe.stderr.strip())
    r = subprocess.run(["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation",
                        "private", sys.executable] + sys.argv, env=env)
    sys.exit(r.returncode)


def _mount_tmpfs(path, mode="0755"):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=" + mode, "tmpfs", path], check=True)


class NetEnv:
    def __init__(self, workdir):
        self.dir = workdir
        self.procs = []
        self.nm = None
        self.nm_log = os.path.join(workdir, "NetworkManager.log")

    def start(self):
        """Mounts, bus, polkit, NetworkManager. Inside enter()'s namespaces only."""
        assert os.environ.get(INSIDE) == "1", "NetEnv.start() outside the private namespaces"
        for d in ("/run", "/var/lib", "/etc/NetworkManager", "/etc/polkit-1/rules.d",
                  "/usr/local/share/ca-certificates"):
            _mount_tmpfs(d)
        polkit_user = pwd.getpwnam("polkitd") if _has_user("polkitd") else None
        for d in ("/run/dbus", "/run/NetworkManager", "/var/lib/NetworkManager", "/var/lib/polkit-1",
                  "/etc/NetworkManager/system-connections", "/etc/NetworkManager/conf.d"):
            os.makedirs(d, exist_ok=True)
        if polkit_user:
            os.chown("/var/lib/polkit-1", polkit_user.pw_uid, 0)
            os.chown("/etc/polkit-1/rules.d", polkit_user.pw_uid, 0)
        os.chmod("/etc/polkit-1/rules.d", 0o755)
        with open("/etc/polkit-1/rules.d/50-certlink-test.rules", "w") as f:
            f.write(POLKIT_RULE)
        with open(os.path.join(self.dir, "bus.conf"), "w") as f:
            f.write(BUS_CONF)
        with open("/etc/NetworkManager/NetworkManager.conf", "w") as f:
            f.write(NM_CONF)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["dbus-daemon", "--config-file=" + os.path.join(self.dir, "bus.conf"), "--fork",
                        "--nopidfile"], check=True)
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/run/dbus/system_bus_socket"
        plog = open(os.path.join(self.dir, "polkitd.log"), "wb")
        self.procs.append(subprocess.Popen([POLKITD, "--no-debug"], stdout=plog, stderr=plog))
        self._wait_name("org.freedesktop.PolicyKit1")
        self.start_nm()
        return self

    def _wait_name(self, name, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = subprocess.run(["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus",
                                "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                                "string:" + name], capture_output=True, text=True)
            if "boolean true" in r.stdout:
                return
            time.sleep(0.05)
        raise RuntimeError("%s did not come up" % name)

    def start_nm(self):
        nlog = open(self.nm_log, "ab")
        self.nm = subprocess.Popen(["NetworkManager", "--debug", "--config=/etc/NetworkManager/NetworkManager.conf",
                                    "--state-file=/var/lib/NetworkManager/NetworkManager.state"],
                                   stdout=nlog, stderr=nlog)
        deadline = time.time() + 30
        while subprocess.run(["nmcli", "-t", "general", "status"], capture_output=True).returncode != 0:
            if self.nm.poll() is not None or time.time() > deadline:
                raise RuntimeError("NetworkManager did not start:\n" + self.nm_log_tail())
            time.sleep(0.05)
        log("NetworkManager is up")

    def stop_nm(self):
        if self.nm and self.nm.poll() is None:
            self.nm.send_signal(signal.SIGTERM)
            self.nm.wait(30)
        self.nm = None

    def nm_log_tail(self):
        try:
            with open(self.nm_log, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        self.stop_nm()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)


def _has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__" and sys.argv[1:] == ["shell"]:
    enter()
    env = NetEnv(tempfile.mkdtemp(prefix="netenv-")).start()
    subprocess.run(["bash"])
    env.stop()
