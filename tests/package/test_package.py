#!/usr/bin/env python3
"""The Debian packages, built and installed the way a person installs them (label "package").

Builds certlink, certlink-desktop and certlink-server with installer/build-debs.sh (dpkg-buildpackage) while
mmdebstrap makes a clean Debian 12 root from the archive (cached in the build directory, keyed by its
package list), runs lintian, and then, inside that root (chroot in private mount and PID namespaces, so
nothing leaks onto this machine):
  - installs the three packages with apt-get, stdin closed: it must ask nothing;
  - certlink --version; a user created afterwards gets certlink-handler.desktop from
    `xdg-mime query default x-scheme-handler/certlink`, with nothing written into any home directory;
  - the polkit policy, desktop entries, autostart entry and units are in place and pass
    desktop-file-validate and systemd-analyze verify; the timers are enabled; certlink-server has its user,
    its state directory and a hardened unit (systemd-analyze security);
  - zero-touch enrollments with the installed binaries against the reference server, running outside the
    root on loopback: computer store as root (its CA made an anchor with --install-ca; the profile's wired
    network handed to the packaged certlink-netconf, which finds no NetworkManager, so the settings are
    written for wpa_supplicant), user store as the new user; the renewal unit's own command renews a due
    computer-store certificate with the administrator's password file, asking nothing;
  - apt remove, then apt purge: certificates, keys and the APID stay, settings and records go (purge);
    reinstalling shows the same APID;
  - certlink kitting, then a new machine-id (as at a clone's first boot) gives a new APID.
Skipped (77) where the tools are missing or not root. Timings are printed, never asserted.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402

SOURCE = os.environ["CERTLINK_SOURCE_DIR"]
BUILD = os.environ["CERTLINK_BUILD_DIR"]
TMP_ROOT = os.environ.get("CERTLINK_TEST_TMP") or None
SUITE = "bookworm"
# Everything the three packages need at run time, and the tools the checks run inside the root. The root
# tarball is cached under this list's hash: change it and the next run builds a new root.
ROOT_PACKAGES = sorted("""
    systemd xdg-utils desktop-file-utils libgtk-4-1 libglib2.0-0 libcurl4 liburiparser1 libcjson1 libssl3
    libnss3-tools p11-kit pkexec polkitd ca-certificates openssl libmicrohttpd12 libsqlite3-0 passwd libnm0
""".split())
VERSION = None
T0 = time.monotonic()


class Failure(Exception):
    pass


def log(msg):
    print("[package %5.1fs] %s" % (time.monotonic() - T0, msg), flush=True)


def check(cond, what, detail=""):
    if not cond:
        raise Failure(what + (("\n" + detail) if detail else ""))
    log("ok: " + what)


def eq(got, want, what, detail=""):
    shown = repr(want) if len(repr(want)) < 80 else "%d entries" % len(want) if hasattr(want, "__len__") else "..."
    check(got == want, "%s (%s)" % (what, shown), "got %r, want %r %s" % (got, want, detail))


def skip_unless_possible():
    if os.geteuid() != 0:
        print("skipped: needs root (mmdebstrap and chroot)")
        sys.exit(77)
    missing = [t for t in ("mmdebstrap", "dpkg-buildpackage", "dh", "lintian", "unshare", "zstd", "chroot")
               if not shutil.which(t)]
    if missing:
        print("skipped: not installed: " + " ".join(missing) + " (installer/packages.txt lists them)")
        sys.exit(77)


def sources_file():
    for path in ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"):
        if os.path.exists(path):
            return path
    raise Failure("no apt sources on this machine for mmdebstrap")


def cached_root():
    """The root tarball: made once with mmdebstrap, then reused (the key covers suite, packages, mirror)."""
    src = sources_file()
    with open(src, "rb") as f:
        key = hashlib.sha256(("%s\n%s\n" % (SUITE, " ".join(ROOT_PACKAGES))).encode() + f.read()).hexdigest()[:16]
    cache = os.path.join(BUILD, "pkgroot")
    os.makedirs(cache, exist_ok=True)
    tarball = os.path.join(cache, "root-%s.tar.zst" % key)
    if os.path.exists(tarball):
        return tarball, "cached"
    for old in os.listdir(cache):  # roots for another package list
        if old.startswith("root-") and old.endswith(".tar.zst"):
            os.unlink(os.path.join(cache, old))
    part = tarball + ".part.tar.zst"
    r = subprocess.run(["mmdebstrap", "--variant=minbase", "--include=" + ",".join(ROOT_PACKAGES), SUITE, part, src],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("mmdebstrap failed (%d):\n%s" % (r.returncode, r.stderr[-3000:]))
    os.rename(part, tarball)
    return tarball, "built"


class Root:
    """A Debian root extracted from the tarball. Commands run chrooted in new mount and PID namespaces: proc,
    /dev and /sys are mounted for the command only, and every process ends with it."""

    def __init__(self, tarball, workdir):
        self.dir = os.path.join(workdir, "root")
        os.makedirs(self.dir)
        subprocess.run(["tar", "--zstd", "-C", self.dir, "-xf", tarball], check=True)

    def path(self, p):
        return os.path.join(self.dir, p.lstrip("/"))

    def run(self, argv, user=None, env=None, input=None, timeout=300):
        e = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "HOME": "/root"}
        e.update(env or {})
        inner = ["env", "-i"] + ["%s=%s" % kv for kv in e.items()] + list(argv)
        if user:
            inner = ["runuser", "-u", user, "--"] + inner
        script = ('set -e; r=$1; shift; mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; '
                  'mount --rbind -o ro /sys "$r/sys"; mount -t tmpfs tmpfs "$r/run"; exec chroot "$r" "$@"')
        return subprocess.run(["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "sh", "-c",
                               script, "sh", self.dir] + inner, input=input, capture_output=True, text=True,
                              timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)

    def ok(self, argv, what, **kw):
        r = self.run(argv, **kw)
        check(r.returncode == 0, what, "exit %d\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout[-3000:],
                                                                              r.stderr[-3000:]))
        return r

    def read(self, p):
        with open(self.path(p)) as f:
            return f.read()

    def exists(self, p):
        return os.path.lexists(self.path(p))


def build_packages(out):
    r = subprocess.run([os.path.join(SOURCE, "installer", "build-debs.sh"), "--no-deps", "--no-dbgsym", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("installer/build-debs.sh failed:\n" + r.stdout[-2000:] + r.stderr[-4000:])
    return sorted(p for p in r.stdout.split() if p.endswith(".deb"))


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(certlink VERSION "):
                return line.split()[2]
    raise Failure("no version in CMakeLists.txt")


def lintian(out):
    changes = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".changes")]
    r = subprocess.run(["lintian", "--fail-on", "error,warning"] + changes, capture_output=True, text=True)
    tags = [l for l in (r.stdout + r.stderr).splitlines() if l[:2] in ("E:", "W:")]
    check(r.returncode == 0 and not tags, "lintian: no errors, every warning explained in an override",
          r.stdout + r.stderr)


def install(root, debs, what):
    os.makedirs(root.path("/tmp/debs"), exist_ok=True)
    for d in debs:
        shutil.copy(d, root.path("/tmp/debs"))
    names = ["./debs/" + os.path.basename(d) for d in debs]
    # stdin is /dev/null and no DEBIAN_FRONTEND is set: any question (debconf, a configuration file) fails
    r = root.ok(["sh", "-c", "cd /tmp && apt-get install -y --no-install-recommends " + " ".join(names)], what)
    check("Configuration file" not in r.stdout, "no configuration file question", r.stdout)
    return r


def apid(root):
    r = root.ok(["certlink", "apid", "--json"], "certlink apid")
    return json.loads(r.stdout)["device"]["apid"]


def test_install(root, debs):
    # A system registered for every user from a source build before (register-scheme --system): the package
    # takes over without a configuration file question and without its units hidden by the old ones.
    os.makedirs(root.path("/etc/xdg/autostart"))
    os.makedirs(root.path("/etc/systemd/user/timers.target.wants"))
    with open(root.path("/etc/xdg/autostart/certlink-check-expiry.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=old\nExec=/usr/local/bin/certlink check-expiry --login\n"
                "X-Certlink-Registered-By=certlink register-scheme\n")
    with open(root.path("/etc/systemd/user/certlink-check-expiry.timer"), "w") as f:
        f.write("[Unit]\nX-Certlink-Registered-By=certlink register-scheme\n[Timer]\nOnCalendar=daily\n")
    os.symlink("/etc/systemd/user/certlink-check-expiry.timer",
               root.path("/etc/systemd/user/timers.target.wants/certlink-check-expiry.timer"))

    start = time.monotonic()
    install(root, debs, "apt-get install -y of the three packages, asking nothing")
    log("install took %.1f s" % (time.monotonic() - start))
    for deb in debs:
        r = subprocess.run(["dpkg-deb", "-I", deb], capture_output=True, text=True)
        check(" config " not in r.stdout and " templates " not in r.stdout, "%s uses no debconf" % os.path.basename(deb))

    r = root.ok(["certlink", "--version"], "certlink --version")
    eq(r.stdout.strip(), "certlink " + VERSION, "the installed certlink's version")
    r = root.ok(["dpkg-query", "-W", "-f", "${Version}", "certlink"], "dpkg-query")
    eq(r.stdout, VERSION, "the package version is the program's")

    # every user, including one created after installation, gets the handler; nothing in any home
    root.ok(["useradd", "-m", "-s", "/bin/sh", "alice"], "useradd -m alice")
    env = {"HOME": "/home/alice", "USER": "alice"}
    r = root.ok(["xdg-mime", "query", "default", "x-scheme-handler/certlink"], "xdg-mime as alice", user="alice",
                env=env)
    eq(r.stdout.strip(), "certlink-handler.desktop", "xdg-mime names certlink's entry for a new user")
    r = root.ok(["certlink", "scheme-status", "--json"], "scheme-status as alice", user="alice", env=env)
    st = json.loads(r.stdout)
    check(st["registered"] and st["system"]["package"], "scheme-status: registered, by the package", r.stdout)
    eq(st["system"]["mimeapps_file"], "/usr/share/applications/mimeapps.list", "the default comes from")
    check(st["system"]["timer_enabled"], "scheme-status: expiry timer enabled for every user")
    home_files = [os.path.relpath(os.path.join(d, f), root.path("/home/alice"))
                  for d, _, fs in os.walk(root.path("/home/alice")) for f in fs]
    check(not [f for f in home_files if "certlink" in f or "mimeapps" in f or "applications" in f],
          "nothing of certlink's in the new user's home", str(home_files))
    check("x-scheme-handler/certlink=certlink-handler.desktop;" in root.read("/usr/share/applications/mimeinfo.cache"),
          "desktop-file-utils' trigger put the handler into mimeinfo.cache")
    r = root.ok(["dpkg", "-S", "/usr/share/applications/mimeapps.list"], "dpkg -S mimeapps.list")
    eq(r.stdout.split(":")[0], "certlink-desktop", "the distribution mimeapps.list belongs to certlink-desktop only")

    # the earlier register-scheme files are gone, the package's are in place
    check("X-Certlink-Registered-By=package" in root.read("/etc/xdg/autostart/certlink-check-expiry.desktop"),
          "the autostart entry is the package's")
    check(not root.exists("/etc/systemd/user/certlink-check-expiry.timer"), "the old global timer is gone")
    eq(os.readlink(root.path("/etc/systemd/user/timers.target.wants/certlink-check-expiry.timer")),
       "/usr/lib/systemd/user/certlink-check-expiry.timer", "the timer link points to the package's timer")

    # policy, entries, units
    policy = root.read("/usr/share/polkit-1/actions/org.certlink.install.policy")
    check("/usr/libexec/certlink/certlink-install-helper" in policy, "the polkit action names the helper")
    check(os.access(root.path("/usr/libexec/certlink/certlink-install-helper"), os.X_OK), "the helper is installed")
    check(os.access(root.path("/usr/libexec/certlink/certlink-netconf"), os.X_OK),
          "certlink-netconf is installed (built against libnm)")
    for action in ("org.certlink.install", "org.certlink.delete", "org.certlink.trust-anchor", "org.certlink.network"):
        check('<action id="%s">' % action in policy, "the polkit policy has " + action)
    import xml.dom.minidom
    for name in os.listdir(root.path("/usr/share/polkit-1/actions")):
        if name.startswith("org.certlink"):
            xml.dom.minidom.parseString(root.read("/usr/share/polkit-1/actions/" + name))
            log("ok: %s is well-formed" % name)
    for entry in ("/usr/share/applications/certlink-handler.desktop", "/usr/share/applications/certlink-manager.desktop",
                  "/etc/xdg/autostart/certlink-check-expiry.desktop"):
        r = root.ok(["desktop-file-validate", entry], "desktop-file-validate " + entry)
        check("error" not in r.stdout + r.stderr, entry + " validates without errors", r.stdout + r.stderr)
    root.ok(["systemd-analyze", "verify", "certlink-renew.service", "certlink-renew.timer",
             "certlink-server.service"], "systemd-analyze verify of the system units")
    root.ok(["systemd-analyze", "--user", "verify", "/usr/lib/systemd/user/certlink-check-expiry.service",
             "/usr/lib/systemd/user/certlink-check-expiry.timer"], "systemd-analyze --user verify of the user units",
            env={"XDG_RUNTIME_DIR": "/run"})
    r = root.ok(["systemctl", "--global", "is-enabled", "certlink-check-expiry.timer"], "expiry timer, every user")
    eq(r.stdout.strip(), "enabled", "the daily expiry check is enabled for every user")
    for unit in ("certlink-renew.timer", "certlink-server.service"):
        r = root.ok(["systemctl", "is-enabled", unit], "systemctl is-enabled " + unit)
        eq(r.stdout.strip(), "enabled", unit + " is enabled")
    unit = root.read("/lib/systemd/system/certlink-renew.service")
    check("RandomizedDelaySec" in root.read("/lib/systemd/system/certlink-renew.timer") and
          "Persistent=true" in root.read("/lib/systemd/system/certlink-renew.timer"), "the renewal timer spreads a fleet")
    check("SuccessExitStatus=110" in unit, "nothing due (110) is a success for the renewal unit")
    r = root.ok(["getent", "passwd", "certlink-server"], "the server's system user")
    check(r.stdout.split(":")[6].strip() in ("/usr/sbin/nologin", "/sbin/nologin"), "it has no login shell", r.stdout)
    sd = os.stat(root.path("/var/lib/certlink-server"))
    eq((sd.st_mode & 0o777, sd.st_uid), (0o700, int(r.stdout.split(":")[2])), "its state directory (mode, owner)")
    r = root.run(["systemd-analyze", "security", "--offline=true", "--threshold=20", "certlink-server.service"])
    line = [l for l in r.stdout.splitlines() if "Overall exposure level" in l]
    log("certlink-server.service: " + (line[0].strip() if line else "?"))
    eq(r.returncode, 0, "certlink-server.service exposure at most 2.0 (systemd-analyze security)", r.stdout[-1500:])


def test_enroll(root, srv):
    srv.cli("config-set", "auto_approve", "true")
    srv.cli("config-set", "network_computer", json.dumps([{"type": "wired", "eap": "tls",
                                                           "domain_suffix_match": "radius.example.com"}]))
    srv.cli("user-add", "host01", "--password-stdin", input="host01 pw\n")
    with open(os.path.join(srv.state, "ca.pem")) as f:
        ca = f.read()
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=ca, capture_output=True,
                        text=True).stdout.strip().split("=")[1].replace(":", "")
    os.makedirs(root.path("/etc/certlink"), exist_ok=True)
    with open(root.path("/root/pw"), "w") as f:
        f.write("host01 pw\n")
    os.chmod(root.path("/root/pw"), 0o600)
    # the administrator's --install-ca is the consent that makes the server's CA a system trust anchor
    r = root.ok(["certlink", "enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--ca-fingerprint", fp,
                 "--install-ca", fp, "--store", "computer", "--user", "host01", "--password-file", "/root/pw"],
                "zero-touch enrollment into the computer store with the installed certlink")
    res = json.loads(root.read("/var/lib/certlink/result.json"))
    eq((res["result"], res["store"], res["trust_anchors_installed"]), ("succeeded", "computer", 1),
       "the result file: installed, one trust anchor")
    check(root.exists("/var/lib/certlink/anchors/%s.pem" % fp.lower()), "the CA is one of the computer's anchors")
    check(ca.strip() in root.read("/etc/ssl/certs/ca-certificates.crt"),
          "the CA is in the system bundle (update-ca-certificates in the root)")
    # the profile's network: the packaged certlink-netconf answers (no system bus in the root), so the
    # settings go to a wpa_supplicant file beside the certificate
    eq([(n["network"], n["configured"]) for n in res["networks"]], [("wired", False)], "the profile's network")
    check(res["network_message"] and "not installed" not in res["network_message"],
          "certlink-netconf is installed and answered", res["network_message"])
    eq(len(res["network_files"]), 1, "one wpa_supplicant file", str(res["network_files"]))
    wired = root.read(res["network_files"][0])
    check("eap=TLS" in wired and 'domain_suffix_match="radius.example.com"' in wired,
          "the wpa_supplicant file has EAP-TLS and the server name check", wired)
    certs = computer_cert_files(root)
    eq(len(certs), 1, "one certificate in the computer store")
    v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(srv.state, "ca.pem"), certs[0]],
                       capture_output=True, text=True)
    eq(v.returncode, 0, "it chains to the server's CA", v.stdout + v.stderr)

    # the user store, as the new user, from a passwordless invitation link
    srv.cli("user-add", "alice", "--password-stdin", input="alice pw\n")
    link = next(l for l in srv.cli("invite", "--user", "alice", "--store", "user", "--passwordless").stdout.splitlines()
                if l.startswith("certlink://"))
    env = {"HOME": "/home/alice", "USER": "alice"}
    root.ok(["certlink", "enroll", "--link", link], "zero-touch enrollment into alice's user store", user="alice",
            env=env)
    check([f for f in walk(root.path("/home/alice/.local/share/certlink/certs")) if f.endswith("cert.pem")],
          "alice's certificate is in her store")

    # the renewal unit's command, with the administrator's settings: a due certificate is renewed
    srv.cli("config-set", "cert_days", "10")
    root.ok(["certlink", "enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--ca-fingerprint", fp,
             "--store", "computer", "--user", "host01", "--password-file", "/root/pw", "--force-new"],
            "a second computer certificate, inside the renewal window")
    srv.cli("config-set", "cert_days", "365")
    shutil.copy(root.path("/root/pw"), root.path("/etc/certlink/renewal-password"))
    os.chmod(root.path("/etc/certlink/renewal-password"), 0o600)
    with open(root.path("/etc/certlink/settings.json"), "w") as f:
        json.dump({"notify_days": 14, "renewal_password_file": "/etc/certlink/renewal-password"}, f)
    exec_start = next(l for l in root.read("/lib/systemd/system/certlink-renew.service").splitlines()
                      if l.startswith("ExecStart=")).split("=", 1)[1].split()
    before = set(computer_serials(root))
    r = root.ok(exec_start, "certlink-renew.service's command renews the due certificate")
    check("renewed certificate" in r.stderr, "its journal lines say what it renewed", r.stderr)
    after = set(computer_serials(root))
    eq((len(before), len(after), len(before & after)), (2, 2, 1), "one of two certificates replaced")
    res = json.loads(root.read("/var/lib/certlink/result.json"))
    eq((res["result"], res["trust_anchors_not_installed"]), ("succeeded", []),
       "the renewal asked no CA question and left no CA out (the anchor agreed to stays)")
    check(root.exists("/var/lib/certlink/anchors/%s.pem" % fp.lower()) and
          ca.strip() in root.read("/etc/ssl/certs/ca-certificates.crt"), "the CA is still a trust anchor")
    r = root.run(exec_start)
    eq(r.returncode, 110, "nothing due afterwards: 110, which the unit counts as success", r.stderr)


def walk(top):
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]


def computer_cert_files(root):
    return sorted(f for f in walk(root.path("/var/lib/certlink/certs")) if f.endswith("/cert.pem"))


def computer_serials(root):
    rec = json.loads(root.read("/var/lib/certlink/records.json"))
    return [c["serial"] for c in rec["certificates"]]


def snapshot(root, paths):
    """The contents of every file under PATHS, to show that what must stay stays byte for byte."""
    out = {}
    for p in paths:
        for f in walk(root.path(p)) if os.path.isdir(root.path(p)) else [root.path(p)]:
            with open(f, "rb") as fh:
                out[os.path.relpath(f, root.dir)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def test_remove_purge_reinstall(root, debs):
    first = apid(root)
    check(root.exists("/var/lib/misc/certlink-apid"), "the root has no machine-id, so the APID is stored")
    keep = ["/var/lib/certlink/certs", "/var/lib/certlink/anchors", "/usr/local/share/ca-certificates",
            "/etc/ssl/certs/ca-certificates.crt", "/var/lib/misc/certlink-apid",
            "/home/alice/.local/share/certlink/certs"]
    kept = snapshot(root, keep)
    check(any(k.endswith("key.pem") for k in kept), "the snapshot holds keys", str(list(kept)[:6]))

    root.ok(["apt-get", "remove", "-y", "certlink", "certlink-desktop", "certlink-server"], "apt remove")
    check(not root.exists("/usr/bin/certlink"), "the programs are gone")
    eq(snapshot(root, keep), kept, "after remove: certificates, keys and the APID are unchanged")
    check(root.exists("/etc/certlink/settings.json") and root.exists("/var/lib/certlink/records.json"),
          "after remove: settings and records are still there")

    root.ok(["apt-get", "purge", "-y", "certlink", "certlink-desktop", "certlink-server"], "apt purge")
    eq(snapshot(root, keep), kept, "after purge: certificates, keys and the APID are unchanged")
    for gone in ("/etc/certlink/settings.json", "/var/lib/certlink/records.json", "/var/lib/certlink/result.json",
                 "/var/lib/certlink/pending", "/etc/xdg/autostart/certlink-check-expiry.desktop",
                 "/etc/systemd/user/timers.target.wants/certlink-check-expiry.timer"):
        check(not root.exists(gone), "after purge: %s is gone" % gone)
    check(root.exists("/var/lib/certlink-server"), "after purge: the server's state (its CA) is kept")

    install(root, debs, "reinstall")
    eq(apid(root), first, "the reinstalled certlink shows the same APID")
    return first


def test_kitting(root, master_apid):
    # A master image with a machine-id: kitting is not ready until it is emptied
    with open(root.path("/etc/machine-id"), "w") as f:
        f.write("5b1f0c2d3e4a49f8a7b6c5d4e3f2a1b0\n")
    with_id = apid(root)
    check(with_id != master_apid, "an APID derived from the machine-id")
    r = root.run(["certlink", "kitting"])
    eq(r.returncode, 100, "kitting with the machine-id still set is not ready", r.stdout + r.stderr)
    check("--empty-machine-id" in r.stdout, "and says how to finish", r.stdout)
    check(not root.exists("/var/lib/misc/certlink-apid"), "the stored APID is gone")
    r = root.ok(["certlink", "kitting", "--empty-machine-id"], "certlink kitting --empty-machine-id")
    check("The image is ready" in r.stdout, "says what to do next", r.stdout)
    eq(os.path.getsize(root.path("/etc/machine-id")), 0, "/etc/machine-id is empty in the image")

    # two clones: the first boot of each writes a new machine-id
    root.ok(["systemd-machine-id-setup"], "first boot of clone 1 (systemd-machine-id-setup)")
    one = apid(root)
    r = root.ok(["systemd-id128", "new"], "a machine-id for clone 2")
    with open(root.path("/etc/machine-id"), "w") as f:
        f.write(r.stdout.strip() + "\n")
    two = apid(root)
    log("APIDs: master %s, with its machine-id %s, clone 1 %s, clone 2 %s" % (master_apid, with_id, one, two))
    check(len({with_id, one, two}) == 3, "the master and both clones have different APIDs")


def main():
    global VERSION
    skip_unless_possible()
    VERSION = project_version()
    work = tempfile.mkdtemp(prefix="certlink-package-", dir=TMP_ROOT)
    out = os.path.join(work, "debs")
    results = {}

    def root_job():
        try:
            results["root"] = cached_root()
        except BaseException as e:  # reported below
            results["root_error"] = e

    srv = None
    try:
        t = threading.Thread(target=root_job)
        t.start()  # the root downloads and unpacks while the packages compile
        start = time.monotonic()
        debs = build_packages(out)
        log("packages built in %.1f s: %s" % (time.monotonic() - start, " ".join(map(os.path.basename, debs))))
        t.join()
        if "root_error" in results:
            raise results["root_error"]
        tarball, how = results["root"]
        log("root %s: %s" % (how, tarball))
        eq(len(debs), 3, "three packages")
        lintian(out)
        root = Root(tarball, work)
        test_install(root, debs)
        srv = harness.Server().start()
        test_enroll(root, srv)
        master = test_remove_purge_reinstall(root, debs)
        test_kitting(root, master)
    except Failure as e:
        log("FAIL: " + str(e))
        print("0 passed, 1 failed")
        return 1
    finally:
        if srv:
            srv.cleanup()
        if not os.environ.get("CERTLINK_KEEP_TMP"):
            shutil.rmtree(work, ignore_errors=True)
        log("total %.1f s" % (time.monotonic() - T0))
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
