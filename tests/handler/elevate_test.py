#!/usr/bin/python3
"""The computer store for a person who is not root: the whole flow through pkexec and the helper (label
integration; the harness needs root).

usage: elevate_test.py SCENARIO --handler PATH --helper PATH --server PATH

certlink-handler runs as `nobody` (setpriv) with a passwordless computer-store invitation. Its `elevate`
hook runs CERTLINK_PKEXEC, here a stand-in for pkexec: it hands its arguments to this (root) harness over a
Unix socket, and the harness plays polkit: it checks that the program is the install helper, then runs it as
root with PKEXEC_UID set, in a private mount namespace where /var/lib/certlink is a test directory and the
system trust directories (/etc/ssl, /etc/ca-certificates, /usr/local/share/ca-certificates) are empty tmpfs,
so neither the real computer store nor the system's trust anchors are ever touched.

  install    the helper installs and records into the computer store; the handler exits 0, the person's
             records keep the installed application, the staging directory is gone
  dismissed  the person dismisses the authentication (pkexec exits 126): exit 120, a message saying
             permission was not given, nothing installed
  resume     dismissed first (the certificate is issued, the install refused); the same link again, now
             allowed, fetches the issued certificate and installs it: one certificate issued at the server
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
from refserver import RefServer  # noqa: E402

NOBODY = 65534
SKIP = 77
SHIM = r'''#!/usr/bin/python3
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkexec.sock"))
s.sendall(("\0".join(sys.argv[1:]) + "\n").encode())
reply = s.makefile().read().split("\n", 1)
sys.stderr.write(reply[1] if len(reply) > 1 else "")
sys.exit(int(reply[0]))
'''


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"ok: {what}", flush=True)


class FakePolkit:
    """Answers the pkexec stand-in: runs the helper as root, sandboxed, or refuses like a dismissed dialog."""

    def __init__(self, base, helper, store, allow):
        self.helper, self.store, self.allow = helper, store, allow
        self.calls = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = os.path.join(base, "pkexec.sock")
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            argv = conn.makefile().readline().rstrip("\n").split("\0")
            self.calls.append(argv)
            if not self.allow:
                code, text = 126, "Error executing command as another user: Not authorized\n"
            elif len(argv) != 2 or argv[0] != self.helper:
                code, text = 127, f"refusing to run {argv!r}\n"
            else:
                # Everything the helper may write as root (computer store, system trust anchors and the
                # bundles update-ca-certificates rebuilds) is a tmpfs or the test directory in here.
                script = ('mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/certlink && '
                          'mount --bind "$0" /var/lib/certlink && '
                          'for d in /etc/ssl /etc/ca-certificates /usr/local/share/ca-certificates; do '
                          '[ -d "$d" ] && mount -t tmpfs tmpfs "$d"; done; exec "$@"')
                env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PKEXEC_UID": str(NOBODY),
                       "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
                proc = subprocess.run(["unshare", "--mount", "sh", "-c", script, self.store] + argv, env=env,
                                      capture_output=True, text=True, timeout=120)
                code, text = proc.returncode, proc.stdout + proc.stderr
            conn.sendall(f"{code}\n{text}".encode())
            conn.close()


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["install", "dismissed", "resume"])
    p.add_argument("--handler", required=True)
    p.add_argument("--helper", required=True)
    p.add_argument("--server", required=True)
    a = p.parse_args()
    if os.geteuid() != 0 or subprocess.run(["unshare", "--mount", "true"]).returncode != 0:
        print("skipped: the harness plays pkexec and needs root and a private mount namespace")
        return SKIP
    base = tempfile.mkdtemp(prefix="certlink-elevate-")
    os.chmod(base, 0o755)
    home, runtime, store = (os.path.join(base, d) for d in ("home", "runtime", "store"))
    for d in (home, runtime):
        os.mkdir(d, 0o700)
        os.chown(d, NOBODY, NOBODY)
    os.mkdir(store, 0o755)
    shim = os.path.join(base, "pkexec")
    with open(shim, "w") as f:
        f.write(SHIM)
    os.chmod(shim, 0o755)
    watched = ["/usr/local/share/ca-certificates", "/etc/ssl/certs", "/var/lib"]
    before = {d: sorted(os.listdir(d)) for d in watched if os.path.isdir(d)}
    polkit = FakePolkit(base, os.path.abspath(a.helper), store, a.scenario == "install")
    server = RefServer(a.server)
    try:
        server.start({"auto_approve": "true"})
        server.add_user("ivan")
        link = server.invite("ivan", store="computer", passwordless=True)
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_DATA_HOME": f"{home}/.local/share",
               "XDG_CONFIG_HOME": f"{home}/.config", "XDG_STATE_HOME": f"{home}/.local/state",
               "XDG_CACHE_HOME": f"{home}/.cache", "XDG_RUNTIME_DIR": runtime, "LANG": "C.UTF-8",
               "CERTLINK_PKEXEC": shim, "CERTLINK_INSTALL_HELPER": os.path.abspath(a.helper),
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
               "LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", "")}
        def click():
            proc = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                                   os.path.abspath(a.handler), "--no-gui", link], env=env, capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL, start_new_session=True)
            print(proc.stdout, proc.stderr)
            return proc
        proc = click()
        if a.scenario == "resume":
            check(proc.returncode == 120 and len(polkit.calls) == 1, f"dismissed first ({proc.returncode})")
            apps = server.applications()
            check(len(apps) == 1 and apps[0].get("state") == "issued",
                  f"the certificate was issued before the install was refused ({apps})")
            issued = [c["serial"] for c in server.certificates()]
            check(len(issued) == 1, f"one certificate issued ({issued})")
            polkit.allow = True
            polkit.calls.clear()
            proc = click()
        check(len(polkit.calls) == 1 and polkit.calls[0] == [os.path.abspath(a.helper), polkit.calls[0][1]],
              f"the handler ran pkexec once, on the install helper ({polkit.calls})")
        staging = polkit.calls[0][1]
        check(staging.startswith(runtime + "/"), f"the staging directory was in XDG_RUNTIME_DIR ({staging})")
        check(not os.path.exists(staging), "the staging directory is gone afterwards")
        certs = [os.path.join(d, f) for d, _, fs in os.walk(store) for f in fs if f == "cert.pem"]
        if a.scenario == "dismissed":
            check(proc.returncode == 120, f"exit code 120 ({proc.returncode})")
            check("permission" in proc.stderr and "not given" in proc.stderr,
                  "the message says permission was not given")
            check(certs == [], f"nothing was installed in the computer store ({files_under(store)})")
        else:
            check(proc.returncode == 0, f"exit code 0 ({proc.returncode})")
            check(len(certs) == 1, f"one certificate in the computer store ({files_under(store)})")
            subject = subprocess.run(["openssl", "x509", "-in", certs[0], "-noout", "-subject", "-nameopt",
                                      "RFC2253"], capture_output=True, text=True).stdout
            # A computer-store certificate names the computer (the server's cn_override for the computer
            # store), so the check is on the chain and the records, not on CN=ivan.
            check(subject.strip() != "", f"it is a certificate ({subject.strip()})")
            verify = subprocess.run(["openssl", "verify", "-CAfile", server.ca_pem(), certs[0]],
                                    capture_output=True, text=True)
            check(verify.returncode == 0, "it chains to the server's CA")
            key = os.path.join(os.path.dirname(certs[0]), "key.pem")
            check(os.stat(key).st_uid == 0 and os.stat(key).st_mode & 0o777 == 0o600, "its key is root's, 0600")
            with open(os.path.join(store, "records.json")) as f:
                check("ivan" in f.read(), "the computer store's records name the certificate")
            mine = [os.path.join(d, f) for d, _, fs in os.walk(home) for f in fs if f == "records.json"]
            check(mine and '"installed"' in open(mine[0]).read(),
                  "the person's records keep the application, installed")
            apps = server.applications()
            check(len(apps) == 1 and apps[0].get("store") == "computer" and apps[0].get("state") == "issued",
                  f"the server issued one computer-store certificate ({apps})")
            serial = subprocess.run(["openssl", "x509", "-in", certs[0], "-noout", "-serial"], capture_output=True,
                                    text=True).stdout.strip().split("=")[1].lower().lstrip("0")
            check([c["serial"] for c in server.certificates()] == [serial],
                  f"exactly one certificate issued at the server, the one installed ({serial})")
        after = {d: sorted(os.listdir(d)) for d in watched if os.path.isdir(d)}
        check(after == before, "the real system trust directories and /var/lib are unchanged")
    except Failure as e:
        print(f"FAIL: {e}")
        print("0 passed, 1 failed")
        return 1
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
