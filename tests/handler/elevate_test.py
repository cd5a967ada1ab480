#!/usr/bin/python3
"""The computer store for a person who is not root: the whole flow through pkexec and the helper (label
integration; the harness needs root).

usage: elevate_test.py SCENARIO --handler PATH --helper PATH --server PATH --policy PATH

certlink-handler runs as `nobody` (setpriv) with a passwordless computer-store invitation. Its `elevate`
hook runs CERTLINK_PKEXEC, here a stand-in for pkexec: it hands its arguments to this (root) harness over a
Unix socket, and the harness plays polkit: it checks that the program is the install helper, picks the
polkit action from the built .policy file as pkexec does (the helper's path, then the first argument against
org.freedesktop.policykit.exec.argv1), expands the action's message with $(command_line), then runs the
helper as root with PKEXEC_UID set, in a private mount namespace where /var/lib/certlink and
/usr/local/share/ca-certificates are test directories and the other system trust directories (/etc/ssl,
/etc/ca-certificates) and the rest of /var/lib are tmpfs, so neither the real computer store nor the
system's trust anchors (nor dpkg's state, which update-ca-certificates' hooks touch) are ever changed.

  install          the helper installs and records into the computer store; the handler exits 0, the
                   person's records keep the installed application, the staging directory is gone; with no
                   terminal the CA question has no answer, so no trust anchor (one pkexec call, for the
                   certificate, under org.certlink.install)
  dismissed        the person dismisses the authentication (pkexec exits 126): exit 120, a message saying
                   permission was not given, nothing installed
  anchor           on a terminal the person says yes to the CA question: a second pkexec call, under
                   org.certlink.trust-anchor (auth_admin, never kept), whose message shows the CA's SHA-256
                   and subject; the CA lands in the system trust directory and the computer store's anchors,
                   recorded with the certificate
  anchor-refused   the same yes, but the administrator refuses the anchor's authentication: the certificate
                   is installed (exit 0), the CA is not trusted, and the report says so
  resume           dismissed first (the certificate is issued, the install refused: exit 120, the application
                   kept "issued"); the same link again, now allowed, fetches the issued certificate and installs
                   it: exactly one certificate issued at the server, the one installed
  renew            the person renews that computer-store certificate with a renew link on a terminal, seeing
                   the test store at /var/lib/certlink (a mount namespace of its own): one pkexec call
                   (--install), the new certificate the store's only one, its key root's 0600, the old one's
                   directory and record gone, the CA the person made a trust anchor at enrollment still one
                   (system trust, anchors directory), now recorded with the new certificate and asked of
                   nobody, the server's renewal and the person's application right; strace
                   shows the person's process never tried to open a key of the computer store (and cat as the
                   person shows it could not); the new certificate renews in turn
  renew-reuse-key  the same with the reuse_key setting: the request's signature under its own action
                   (org.certlink.sign-request, auth_admin, the certificate's fingerprint and the subject in the
                   message), then --install; the new certificate has the old key
  renew-crash      the handler killed before and after the helper's --install, and the helper killed (strace
                   injects SIGKILL) at every fsync of --install, which fall between each two of its steps (each
                   file and directory written, each key overwritten before removal, each records update before
                   and after its rename): each time the computer
                   store keeps a whole certificate and key, only the replaced one may be recorded part way
                   through its removal, the renewal application stays open; the same link again resumes it
                   (no second application, no password) and ends as `renew` does
  renew-reuse-crash  the same keeping the key: the handler killed around --sign-request and --install too
"""
import argparse
import json
import os
import re
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
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkexec.sock"))
s.sendall(("%d\n" % os.getppid() + "\0".join(sys.argv[1:]) + "\n").encode())
text = s.makefile().read()
reply = json.loads(text) if text else {"code": 127, "stdout": "", "stderr": "pkexec: no answer\n"}
sys.stdout.write(reply["stdout"])
sys.stdout.flush()
sys.stderr.write(reply["stderr"])
sys.exit(reply["code"])
'''


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"ok: {what}", flush=True)


def policy_actions(path):
    """The actions of a polkit .policy file: id, defaults, message, annotations."""
    import xml.etree.ElementTree as ET
    actions = []
    for a in ET.parse(path).getroot().findall("action"):
        message = next((m.text for m in a.findall("message") if not m.attrib), "")
        defaults = {d.tag: d.text for d in a.find("defaults")}
        annotations = {n.get("key"): n.text for n in a.findall("annotate")}
        actions.append({"id": a.get("id"), "message": message, "defaults": defaults,
                        "annotations": annotations})
    return actions


def pick_action(actions, program_path, argv):
    """pkexec's choice (src/programs/pkexec.c find_action_for_path): the first action whose exec.path is the
    program and whose exec.argv1, when it has one, is the first argument. Every action of the helper names an
    argv1, so the order cannot matter: checked by trying both orders."""
    picks = []
    for order in (actions, list(reversed(actions))):
        found = None
        for a in order:
            ann = a["annotations"]
            if ann.get("org.freedesktop.policykit.exec.path") != program_path:
                continue
            if "org.freedesktop.policykit.exec.argv1" in ann and \
                    ann["org.freedesktop.policykit.exec.argv1"] != (argv[1] if len(argv) > 1 else None):
                continue
            found = a
            break
        picks.append(found)
    if picks[0] is not picks[1]:
        raise Failure(f"the action for {argv[:2]} depends on polkit's order: {[p and p['id'] for p in picks]}")
    return picks[0]


class FakePolkit:
    """Answers the pkexec stand-in: picks the action, runs the helper as root, sandboxed, or refuses like a
    dismissed dialog (for every action, or only for those in refuse). For the crash tests: `before` and
    `after` (callables of the argv) run before and after the helper and may kill the caller, and `wrap` is put
    in front of the helper's command line when its first argument is `wrap_option` (strace injecting a
    SIGKILL)."""

    def __init__(self, base, helper, store, cacerts, allow, policy, refuse=()):
        self.helper, self.store, self.cacerts, self.allow = helper, store, cacerts, allow
        self.actions = policy_actions(policy)
        self.refuse = refuse
        # the path the policy names (LIBEXECDIR/certlink/certlink-install-helper) stands for the build tree's
        self.policy_path = next(a["annotations"]["org.freedesktop.policykit.exec.path"] for a in self.actions)
        self.calls = []
        self.picked = []
        self.before = self.after = None
        self.wrap, self.wrap_option = [], "--install"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = os.path.join(base, "pkexec.sock")
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            request = conn.makefile()
            self.caller = int(request.readline())  # the handler, which the crash tests may kill
            argv = request.readline().rstrip("\n").split("\0")
            request.close()  # or the socket stays open and the caller never sees the end of the reply
            self.calls.append(argv)
            action = None
            if argv and argv[0] == self.helper:
                action = pick_action(self.actions, self.policy_path, argv)
            self.picked.append({"action": action and action["id"], "argv": argv,
                                "allow_active": action and action["defaults"].get("allow_active"),
                                "message": action and action["message"].replace(
                                    "$(command_line)", " ".join([self.policy_path] + argv[1:]))})
            out = ""
            if self.before and self.before(argv):
                conn.close()
                continue
            if not action:
                code, text = 127, f"refusing to run {argv!r}: no polkit action of the helper matches\n"
            elif not self.allow or action["id"] in self.refuse:
                code, text = 126, "Error executing command as another user: Not authorized\n"
            else:
                # Everything the helper may write as root is a tmpfs or a test directory in here: the
                # computer store, the system trust directory, the bundles update-ca-certificates rebuilds,
                # and /var/lib (dpkg's state, which update-ca-certificates' hooks would touch; none run here).
                script = ('mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/certlink && '
                          'mount --bind "$0" /var/lib/certlink && '
                          'for d in /etc/ssl /etc/ca-certificates; do '
                          '[ -d "$d" ] && mount -t tmpfs tmpfs "$d"; done; '
                          'mkdir -p /etc/ssl/certs /etc/ca-certificates/update.d && '
                          'mount --bind "$1" /usr/local/share/ca-certificates && shift && exec "$@"')
                env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PKEXEC_UID": str(NOBODY),
                       "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
                wrap = self.wrap if argv[1:2] == [self.wrap_option] else []
                if wrap:  # LeakSanitizer cannot work under ptrace (the unwrapped runs check for leaks)
                    env["ASAN_OPTIONS"] = ":".join(filter(None, [env["ASAN_OPTIONS"], "detect_leaks=0"]))
                proc = subprocess.run(["unshare", "--mount", "sh", "-c", script, self.store, self.cacerts] +
                                      wrap + argv, env=env, capture_output=True, text=True, timeout=120)
                code, out, text = proc.returncode, proc.stdout, proc.stderr
                if argv[1:2] != ["--sign-request"]:  # what the helper says goes to the person's terminal
                    text, out = out + text, ""
            if self.after and self.after(argv):
                conn.close()
                continue
            conn.sendall(json.dumps({"code": code, "stdout": out, "stderr": text}).encode())
            conn.close()


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def run_on_pty(argv, env, answers, timeout=300):
    """Run argv with a new pty as its controlling terminal, answering prompts (regex, text). (rc, output)."""
    import pty
    import re
    import select
    import time
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if pending and re.search(pending[0][0], out.decode("utf-8", "replace")):
            time.sleep(0.2)
            os.write(fd, pending[0][1].encode() + b"\n")
            out += b"<<answered>>"
            pending.pop(0)
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace"), pending


def ca_sha256(pem):
    import hashlib
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def check_installed(a, server, store, home):
    certs = [os.path.join(d, f) for d, _, fs in os.walk(store) for f in fs if f == "cert.pem"]
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


# ---- renewing a computer-store certificate as the person (nobody) ----

PASSWORD = "Renew-The-Computer-2027"
# The person's view of the computer store: in a mount namespace of its own, /var/lib/certlink is the test
# store (root's files, as the helper wrote them), so the handler reads its records and certificates where
# the real ones would be, and cannot read what root alone may.
PERSON_NS = 'mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/certlink && mount --bind "$0" /var/lib/certlink && exec "$@"'


def as_person(store, argv, trace=None):
    """argv as nobody, seeing STORE as the computer store; with TRACE, every open() of it goes to that file
    (strace runs as root and follows the person's processes)."""
    inner = ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] + argv
    if trace:
        inner = ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace] + inner
    return ["/usr/bin/unshare", "--mount", "/bin/sh", "-c", PERSON_NS, store] + inner


def computer_records(store):
    with open(os.path.join(store, "records.json")) as f:
        return json.load(f)


def person_records(home):
    found = [os.path.join(d, f) for d, _, fs in os.walk(home) for f in fs if f == "records.json"]
    with open(found[0]) as f:
        return json.load(f)


def pubkey_of(path, private=False):
    args = ["openssl", "pkey", "-in", path, "-pubout"] if private else ["openssl", "x509", "-in", path, "-noout",
                                                                        "-pubkey"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def location(cert, kind):
    return next(l["path"] for l in cert["locations"] if l["kind"] == kind)


def store_path(store, path):
    """A recorded path (/var/lib/certlink/...) in the test store."""
    return os.path.join(store, os.path.relpath(path, "/var/lib/certlink"))


def enroll_computer(a, server, store, env, trust_ca=False):
    """The person enrolls a computer-store certificate (a passwordless invitation; without a terminal, or on
    one saying yes to the CA question, which makes the CA a trust anchor of the computer)."""
    link = server.invite("ivan", store="computer", passwordless=True)
    argv = as_person(store, [os.path.abspath(a.handler), "--no-gui", link])
    if trust_ca:
        rc, out, left = run_on_pty(argv, env, [(r"Trust this certificate authority\? \[y\]es / \[N\]o: $", "y")])
        check(left == [] and "Certificate authorities installed as trusted: 1" in out,
              "the person made the CA a trust anchor of the computer")
    else:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                              start_new_session=True)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    check(rc == 0, f"the person enrolled a computer-store certificate ({out})")
    certs = computer_records(store)["certificates"]
    check(len(certs) == 1, "one certificate in the computer store")
    return certs[0]


def renew_link(server, cert):
    return (f"certlink://127.0.0.1:{server.port}/renew?v=1&user=ivan&serial={cert['serial']}"
            f"&ca={ca_sha256(server.ca_pem())}")


RENEW_ANSWERS = [(r"Renew it\? \[y\]es / \[N\]o: $", "y"), (r"User ID \[ivan\]: $", ""), (r"Password: $", PASSWORD)]


def renew_as_person(a, server, store, env, cert, trace=None, answers=RENEW_ANSWERS):
    if trace:  # LeakSanitizer cannot work under ptrace; the untraced runs check for leaks
        env = dict(env, ASAN_OPTIONS=":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "detect_leaks=0"])))
    rc, out, left = run_on_pty(as_person(store, [os.path.abspath(a.handler), "--no-gui", renew_link(server, cert)],
                                         trace), env, answers)
    print(out)
    return rc, out, left


def check_renewed(store, home, server, old, reuse, out):
    """The new certificate is the computer store's only one, the old one is gone with its files, the key is
    root's 0600 (the old key when it was kept), the records say so."""
    recs = computer_records(store)
    check([c["fingerprint"] != old["fingerprint"] for c in recs["certificates"]] == [True],
          f"the computer store's records hold the new certificate only ({[c['serial'] for c in recs['certificates']]})")
    new = recs["certificates"][0]
    check(not os.path.exists(os.path.join(store, "certs", old["fingerprint"])),
          "the replaced certificate's directory (certificate, key, bundle) is gone")
    check(sorted(os.listdir(os.path.join(store, "certs"))) == [new["fingerprint"]],
          "nothing else is left in the computer store's certificates")
    cert, key = store_path(store, location(new, "certificate")), store_path(store, location(new, "key"))
    st = os.stat(key)
    check(st.st_uid == 0 and st.st_mode & 0o777 == 0o600, "the new key is root's, 0600")
    check(subprocess.run(["openssl", "verify", "-CAfile", server.ca_pem(), cert], capture_output=True).returncode == 0,
          "the new certificate chains to the server's CA")
    check(pubkey_of(cert) == pubkey_of(key, private=True), "the key is the certificate's")
    check((pubkey_of(cert) == old["pubkey"]) == reuse,
          "the renewal kept the key" if reuse else "the renewal made a new key")
    check(new["user"] == "ivan" and new["server_port"] == server.port, "recorded with its server and user")
    apps = [x for x in person_records(home)["applications"] if x.get("renewal_of") == old["serial"]]
    check(len(apps) == 1 and apps[0]["state"] == "installed", "the person's renewal application is installed")
    at_server = [x for x in server.applications() if x.get("renewal_of") == old["serial"]]
    check(len(at_server) == 1 and at_server[0]["state"] == "issued", "the server issued one renewal of it")
    issued = [c for c in server.certificates() if c["serial"] == new["serial"]]
    check(len(issued) == 1, "the new certificate is the one the server issued")
    check("Permission denied" not in out, "nothing was refused to the person on the way")
    return new


def with_pubkey(store, cert):
    cert = dict(cert)
    cert["pubkey"] = pubkey_of(store_path(store, location(cert, "certificate")))
    return cert


def scenario_renew(a, server, polkit, env, store, home, reuse):
    server.add_user("ivan", PASSWORD)
    old = with_pubkey(store, enroll_computer(a, server, store, env, trust_ca=not reuse))
    anchors = sorted(l["path"] for l in old["locations"] if l["kind"] in ("trust-file", "ca-certificates"))
    check(len(anchors) == (0 if reuse else 2), f"the CA's anchor is recorded with the certificate ({anchors})")
    old_key = location(old, "key")
    # the person cannot read the computer store's key at all: it is root's, 0600
    proc = subprocess.run(as_person(store, ["/bin/cat", old_key]), capture_output=True, text=True)
    check(proc.returncode != 0 and "Permission denied" in proc.stderr,
          f"the person cannot open the computer store's key ({proc.stderr.strip()})")
    if reuse:
        conf = os.path.join(home, ".config", "certlink")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump({"reuse_key": True}, f)
        for d, _, fs in os.walk(os.path.join(home, ".config")):
            os.chown(d, NOBODY, NOBODY)
            for f in fs:
                os.chown(os.path.join(d, f), NOBODY, NOBODY)
    polkit.calls.clear()
    polkit.picked.clear()
    trace = os.path.join(os.path.dirname(store), "person.strace")
    rc, out, left = renew_as_person(a, server, store, env, old, trace)
    for pick in polkit.picked:
        print(f"polkit: {pick['action']} ({pick['allow_active']}): {pick['message']}")
    check(left == [] and rc == 0, f"the person renewed the computer-store certificate (exit {rc}, unanswered {left})")
    key_line = "Key:         " in out and ("the renewed certificate keeps this key" in out if reuse else
                                           "the renewed certificate gets a new key" in out)
    check(key_line, "the question said whether the key is kept")
    with open(trace) as f:
        opened = f.read()
    check("/var/lib/certlink/records.json" in opened, "the trace saw the person's process read the computer store")
    check(old_key not in opened and not re.search(r"/var/lib/certlink/certs/[0-9a-f]+/key\.pem", opened),
          "the person's process never tried to open a key of the computer store")
    check(not re.search(r"/var/lib/certlink/certs/[0-9a-f]+/bundle\.p12", opened),
          "nor a PKCS#12 bundle of it")
    actions = [p["action"] for p in polkit.picked]
    if reuse:
        check(actions == ["org.certlink.sign-request", "org.certlink.install"],
              f"pkexec: the request's signature under its own action, then the install ({actions})")
        sign = polkit.picked[0]
        fp = old["fingerprint"]
        colon = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
        check(sign["allow_active"] == "auth_admin", "the signature asks for an administrator every time")
        check(sign["argv"][1:3] == ["--sign-request", colon] and colon in sign["message"] and
              old["subject"].split(",")[0] in sign["message"],
              "its message names the certificate whose key signs and the request's subject")
    else:
        check(actions == ["org.certlink.install"], f"pkexec: the install only, nothing signed as root ({actions})")
    new = with_pubkey(store, check_renewed(store, home, server, old, reuse, out))
    if anchors:
        kept = sorted(l["path"] for l in new["locations"] if l["kind"] in ("trust-file", "ca-certificates"))
        check(kept == anchors, f"the renewal kept the CA as an anchor, now recorded with the new certificate ({kept})")
        cacerts = os.path.join(os.path.dirname(store), "cacerts")
        check(os.path.isfile(store_path(store, next(p for p in anchors if "/anchors/" in p))) and
              len(os.listdir(cacerts)) == 1, "the CA is still in the computer's anchors and its system trust")
        check("Certificate authorities installed as trusted: 1" in out,
              "the report counts the anchor the renewal kept, asked of nobody")
    # the renewed certificate renews again (its record is right for a renewal: server, user, identity)
    rc, out, left = renew_as_person(a, server, store, env, new)
    check(left == [] and rc == 0, f"the new certificate renews in turn (exit {rc})")
    check_renewed(store, home, server, new, reuse, out)


def check_consistent(store, home, cur, label):
    """What a SIGKILL may leave: the computer keeps a certificate whose files and key are whole (the new one
    or the one it replaces); only the replaced one may be recorded while partly removed; the person's
    renewal application stays open, so the next run resumes it."""
    recs = computer_records(store)
    whole = []
    for c in recs["certificates"]:
        cert, key = store_path(store, location(c, "certificate")), store_path(store, location(c, "key"))
        if os.path.exists(cert) and os.path.exists(key) and pubkey_of(cert) == pubkey_of(key, private=True):
            whole.append(c["fingerprint"])
    check(whole, f"{label}: the computer store still holds a whole certificate and key ({whole})")
    check(all(c["fingerprint"] in whole or c["fingerprint"] == cur["fingerprint"] for c in recs["certificates"]),
          f"{label}: only the replaced certificate may be recorded part way through its removal")
    apps = [x for x in person_records(home)["applications"] if x.get("renewal_of") == cur["serial"]]
    check(len(apps) == 1 and apps[0]["state"] in ("activated", "issued"),
          f"{label}: the renewal application is kept open for the next run ({[x['state'] for x in apps]})")


def kill_caller(polkit, option):
    """A hook for FakePolkit.before/after: SIGKILL the handler at the pkexec call with OPTION."""
    def hook(argv):
        if argv[1:2] != [option]:
            return False
        import signal
        os.kill(polkit.caller, signal.SIGKILL)
        return True
    return hook


def activate_without_helper(a, store, env, home, cur):
    """`certlink activate` of the person's open computer-store renewal: the command line has no pkexec, so it
    is refused (exit 100) before anything is sent, and nothing lands in the person's own store instead."""
    app = next(x for x in person_records(home)["applications"] if x.get("renewal_of") == cur["serial"])
    before = computer_records(store)
    proc = subprocess.run(as_person(store, [os.path.abspath(a.cli), "activate", app["id"]]), env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    mine = os.path.join(home, ".local", "share", "certlink", "certs")
    check(proc.returncode == 100 and "administrator" in proc.stderr,
          f"certlink activate of the computer-store renewal is refused without pkexec ({proc.returncode}: "
          f"{proc.stderr.strip()[-300:]})")
    check(not os.path.isdir(mine) or os.listdir(mine) == [], "nothing was installed into the person's own store")
    check(computer_records(store) == before, "the computer store is unchanged")


def renew_killed(a, server, polkit, env, store, home, cur, reuse, label):
    """Renew CUR while POLKIT's hooks kill the handler or the helper; check what is left; run the same renew
    link again, which resumes and finishes. Returns the new certificate, or None when nothing was killed
    (the kill point lies beyond what the helper did: the renewal simply finished)."""
    rc, out, left = renew_as_person(a, server, store, env, cur)
    polkit.before = polkit.after = None
    polkit.wrap = []
    if rc == 0:
        return None
    check(rc != 0, f"{label}: the run was stopped ({rc})")
    check_consistent(store, home, cur, label)
    if getattr(polkit, "activate_check", False):
        polkit.activate_check = False
        activate_without_helper(a, store, env, home, cur)
    still = any(c["fingerprint"] == cur["fingerprint"] for c in computer_records(store)["certificates"])
    # the same link again: a certificate still there is confirmed again; one already replaced is not asked
    # about (its renewal was confirmed), and the open application is resumed without a password
    answers = [RENEW_ANSWERS[0]] if still else []
    rc, out, left = renew_as_person(a, server, store, env, cur, answers=answers)
    check(rc == 0 and left == [], f"{label}: the same renew link again resumes and finishes (exit {rc}, "
          f"unanswered {left})")
    check("Password:" not in out, f"{label}: resumed, not applied again (no password asked)")
    return with_pubkey(store, check_renewed(store, home, server, cur, reuse, out))


def scenario_renew_crash(a, server, polkit, env, store, home, reuse):
    server.add_user("ivan", PASSWORD)
    cur = with_pubkey(store, enroll_computer(a, server, store, env))
    if reuse:
        conf = os.path.join(home, ".config", "certlink")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump({"reuse_key": True}, f)
        for d, _, fs in os.walk(os.path.join(home, ".config")):
            os.chown(d, NOBODY, NOBODY)
            for f in fs:
                os.chown(os.path.join(d, f), NOBODY, NOBODY)
    # the handler killed at each of its steps with the helper: before it runs, and once it has run
    steps = (["--sign-request"] if reuse else []) + ["--install"]
    for option in steps:
        for when in ("before", "after"):
            setattr(polkit, when, kill_caller(polkit, option))
            if a.cli and not reuse and (option, when) == ("--install", "before"):
                polkit.activate_check = True
            new = renew_killed(a, server, polkit, env, store, home, cur, reuse,
                               f"handler killed {when} the helper's {option}")
            check(new is not None, f"the handler was killed {when} {option}")
            cur = new
    # the helper killed at each step that writes: --install syncs every file and directory it writes, every
    # key it overwrites before removing it and every records update before and after its rename, so a kill at
    # each of its fsync calls falls between each two of its steps
    for syscall in ("fsync",):
        n = 1
        while True:
            polkit.wrap = ["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                           f"inject={syscall}:signal=KILL:when={n}"]
            new = renew_killed(a, server, polkit, env, store, home, cur, reuse,
                               f"helper killed at {syscall} #{n} of --install")
            if new is None:  # --install made fewer calls: it ran to the end
                check(n > 1, f"--install calls {syscall} (the kill points are real)")
                cur = with_pubkey(store, check_renewed(store, home, server, cur, reuse, ""))
                break
            cur = new
            n += 1
            check(n < 64, f"--install ends within 64 calls of {syscall}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=["install", "dismissed", "anchor", "anchor-refused", "resume", "renew",
                                        "renew-reuse-key", "renew-crash", "renew-reuse-crash"])
    p.add_argument("--handler", required=True)
    p.add_argument("--helper", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--cli", help="certlink (renew-crash: `certlink activate` of the person's open renewal)")
    a = p.parse_args()
    if os.geteuid() != 0 or subprocess.run(["unshare", "--mount", "true"]).returncode != 0:
        print("skipped: the harness plays pkexec and needs root and a private mount namespace")
        return SKIP
    if a.scenario.startswith("renew") and not shutil.which("strace"):
        print("skipped: strace (installer/packages.txt) traces the person's process and kills the helper")
        return SKIP
    base = tempfile.mkdtemp(prefix="certlink-elevate-")
    os.chmod(base, 0o755)
    home, runtime, store, cacerts = (os.path.join(base, d) for d in ("home", "runtime", "store", "cacerts"))
    for d in (home, runtime):
        os.mkdir(d, 0o700)
        os.chown(d, NOBODY, NOBODY)
    os.mkdir(store, 0o755)
    os.mkdir(cacerts, 0o755)
    shim = os.path.join(base, "pkexec")
    with open(shim, "w") as f:
        f.write(SHIM)
    os.chmod(shim, 0o755)
    watched = ["/usr/local/share/ca-certificates", "/etc/ssl/certs", "/var/lib"]
    before = {d: sorted(os.listdir(d)) for d in watched if os.path.isdir(d)}
    helper = os.path.abspath(a.helper)
    polkit = FakePolkit(base, helper, store, cacerts, a.scenario not in ("dismissed", "resume"), a.policy,
                        refuse=("org.certlink.trust-anchor",) if a.scenario == "anchor-refused" else ())
    server = RefServer(a.server)
    try:
        server.start({"auto_approve": "true"})
        if not a.scenario.startswith("renew"):
            server.add_user("ivan")
        link = None if a.scenario.startswith("renew") else server.invite("ivan", store="computer",
                                                                            passwordless=True)
        fp = ca_sha256(server.ca_pem())
        colon = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_DATA_HOME": f"{home}/.local/share",
               "XDG_CONFIG_HOME": f"{home}/.config", "XDG_STATE_HOME": f"{home}/.local/state",
               "XDG_CACHE_HOME": f"{home}/.cache", "XDG_RUNTIME_DIR": runtime, "LANG": "C.UTF-8",
               "CERTLINK_PKEXEC": shim, "CERTLINK_INSTALL_HELPER": helper,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
               "LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", "")}
        if a.scenario.startswith("renew"):
            if a.scenario in ("renew", "renew-reuse-key"):
                scenario_renew(a, server, polkit, env, store, home, a.scenario == "renew-reuse-key")
            else:
                scenario_renew_crash(a, server, polkit, env, store, home, a.scenario == "renew-reuse-crash")
            after = {d: sorted(os.listdir(d)) for d in watched if os.path.isdir(d)}
            check(after == before, "the real system trust directories and /var/lib are unchanged")
            print("1 passed, 0 failed")
            return 0
        argv = ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                os.path.abspath(a.handler), "--no-gui", link]
        if a.scenario in ("anchor", "anchor-refused"):
            rc, out, left = run_on_pty(argv, env, [(r"Trust this certificate authority\? \[y\]es / \[N\]o: $",
                                                    "y")])
            print(out)
            check(left == [], "the CA question was asked on the terminal, and answered yes")
        else:
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
            rc, out = proc.returncode, proc.stdout + proc.stderr
            print(out)
        if a.scenario == "resume":
            check(rc == 120 and len(polkit.calls) == 1, f"dismissed first ({rc}, {polkit.calls})")
            apps = server.applications()
            check(len(apps) == 1 and apps[0].get("state") == "issued",
                  f"the certificate was issued before the install was refused ({apps})")
            issued = [c["serial"] for c in server.certificates()]
            check(len(issued) == 1, f"one certificate issued ({issued})")
            polkit.allow = True
            polkit.calls.clear()
            polkit.picked.clear()
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
            rc, out = proc.returncode, proc.stdout + proc.stderr
            print(out)
        for pick in polkit.picked:
            print(f"polkit: {pick['action']} ({pick['allow_active']}): {pick['message']}")
        check(polkit.calls and polkit.calls[0][:2] == [helper, "--install"] and len(polkit.calls[0]) == 3,
              f"the handler ran pkexec on the install helper with --install DIR ({polkit.calls})")
        check(polkit.picked[0]["action"] == "org.certlink.install" and
              polkit.picked[0]["allow_active"] == "auth_admin_keep",
              "pkexec picks org.certlink.install for the certificate")
        staging = polkit.calls[0][2]
        check(staging.startswith(runtime + "/"), f"the staging directory was in XDG_RUNTIME_DIR ({staging})")
        check(not os.path.exists(staging), "the staging directory is gone afterwards")
        anchor = os.path.join(store, "anchors", fp + ".pem")
        certs = [os.path.join(d, f) for d, _, fs in os.walk(store) for f in fs if f == "cert.pem"]
        if a.scenario == "dismissed":
            check(rc == 120, f"exit code 120 ({rc})")
            check("permission" in out and "not given" in out, "the message says permission was not given")
            check(certs == [], f"nothing was installed in the computer store ({files_under(store)})")
        elif a.scenario in ("install", "resume"):
            check(rc == 0, f"exit code 0 ({rc})")
            check_installed(a, server, store, home)
            serial = subprocess.run(["openssl", "x509", "-in", certs[0], "-noout", "-serial"], capture_output=True,
                                    text=True).stdout.strip().split("=")[1].lower().lstrip("0")
            check([c["serial"] for c in server.certificates()] == [serial],
                  f"exactly one certificate issued at the server, the one installed ({serial})")
            check(len(polkit.calls) == 1, "one pkexec call: nobody agreed to a trust anchor, none was asked for")
            check(not os.path.exists(anchor) and os.listdir(cacerts) == [],
                  "the server's CA is not a trust anchor of the computer (a pin is not consent)")
            check(f"not installed as trusted (nobody agreed): SHA-256 {fp}" in out, "the report says so")
        else:
            check(rc == 0, f"exit code 0 ({rc})")
            check_installed(a, server, store, home)
            check(len(polkit.calls) == 2, f"two pkexec calls: the certificate, then the anchor ({polkit.calls})")
            second = polkit.picked[1]
            check(polkit.calls[1][1:3] == ["--trust-anchor", colon] and polkit.calls[1][4] == staging,
                  f"the second runs --trust-anchor SHA256 SUBJECT DIR ({polkit.calls[1]})")
            check(second["action"] == "org.certlink.trust-anchor" and second["allow_active"] == "auth_admin",
                  "pkexec picks org.certlink.trust-anchor, which asks an administrator every time")
            check(colon in second["message"] and "CN=certlink-server CA" in second["message"],
                  "its authentication message names the CA's SHA-256 and subject")
            if a.scenario == "anchor":
                check(os.path.isfile(anchor), "the CA is in the computer store's anchors")
                crts = os.listdir(cacerts)
                check(len(crts) == 1 and crts[0].startswith("certlink-" + fp[:16]),
                      f"the CA is in the system trust directory ({crts})")
                with open(os.path.join(store, "records.json")) as f:
                    recs = json.load(f)
                kinds = [loc["kind"] for c in recs["certificates"] for loc in c["locations"]]
                check("trust-file" in kinds and "ca-certificates" in kinds,
                      f"the anchor is recorded with the certificate ({kinds})")
                check("Certificate authorities installed as trusted: 1" in out, "the report says so")
            else:
                check(not os.path.exists(anchor) and os.listdir(cacerts) == [],
                      "the refused authentication left the CA untrusted")
                check(f"not installed as trusted (nobody agreed): SHA-256 {fp}" in out, "the report says so")
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
