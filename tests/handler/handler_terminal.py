#!/usr/bin/python3
"""certlink-handler without a window, against the real reference server (label integration).

usage: handler_terminal.py SCENARIO --handler PATH --server PATH

Scenarios:
  passwordless  no display and no terminal: a passwordless link with a store installs; the CA question has
                nobody to answer it, so the CA is not installed as trusted and the report says so
  ask           --no-gui on a terminal (a pty): the store and the password are asked on /dev/tty, the
                password is not echoed, the certificate is installed; the CA question is answered no (the
                default): the CA is not trusted
  trust-ca      a pinned passwordless link on a pty: the CA question shows the CA's subject and SHA-256;
                yes installs it as a trust anchor (certlink's anchors, NSS "C,,")
  server-text   a server whose service name and field label hide format characters (a right-to-left
                override, a zero-width space): the invitation link carrying that name is refused, and without
                it the terminal shows them as visible escapes, never raw
  pin-mismatch  a link whose pinned CA fingerprint does not match the server: refused, nothing written,
                no application at the server
  check         --check reports the pinned identity and what would be asked, and enrolls nothing
  renew         a renew link on a terminal: the confirmation shows subject, serial, expiry and key and asks
                before anything is sent; "n" changes nothing (exit 120), "y" renews; the store is not asked
  hostile-renew a second, hostile certlink-server's renew link for the victim's serial: refused (exit 100) with
                no question, in terminal mode and without a terminal; the victim's files, NSS entries and
                records are unchanged and the hostile server saw nothing
  code          a link with code= at a server that requires the code and a reason: the code prompt shows the
                link's code as its default (Enter keeps it); an empty reason is answered with "required"
  pending-again a later click on an application still pending checks once and says so at once
  second-invitation  a new invitation for someone with a valid certificate enrolls a second one and says
                the earlier one stays installed
  resume-install  the install fails for real (a full store, tests/lib/fullstore.py): exit 100 with the reason,
                the application stays issued with its key; the same link again fetches the same certificate
                and installs it (one certificate issued at the server)
"""
import argparse
import hashlib
import json
import os
import sqlite3
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fullstore  # noqa: E402
from refserver import RefServer  # noqa: E402


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print(f"ok: {what}", flush=True)


HOMES = []


def private_env():
    home = tempfile.mkdtemp(prefix="certlink-term-home-")
    HOMES.append(home)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=home, XDG_DATA_HOME=f"{home}/.local/share", XDG_CONFIG_HOME=f"{home}/.config",
               XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache", LANG="C.UTF-8")
    return home, env


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def installed_path(text):
    m = re.search(r"Certificate file: (\S+)", text)
    return m.group(1) if m else None


def check_certificate(path, server, user):
    check(path is not None and os.path.isfile(path), f"the report names the installed certificate ({path})")
    subject = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253"],
                             capture_output=True, text=True).stdout
    check(f"CN={user}" in subject, f"its subject names {user}")
    verify = subprocess.run(["openssl", "verify", "-CAfile", server.ca_pem(), path], capture_output=True, text=True)
    check(verify.returncode == 0, "it chains to the server's CA")


def scenario_passwordless(a, server):
    server.add_user("alice")
    link = server.invite("alice", store="user", passwordless=True)
    home, env = private_env()
    # A new session: no controlling terminal, so a question would have nobody to ask.
    proc = subprocess.run([a.handler, link], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300, start_new_session=True)
    print(proc.stderr)
    check(proc.returncode == 0, f"exit code 0 ({proc.returncode})")
    for stage in ("Checking the link", "Connecting to the server", "Applying", "Activating", "Installing"):
        check(stage in proc.stderr, f"progress line for '{stage}'")
    check_certificate(installed_path(proc.stdout), server, "alice")
    # nobody could be asked, so the pinned CA is not a trust anchor (a pin is not consent)
    fp = server_ca_sha256(server)
    check(f"not installed as trusted (nobody agreed): SHA-256 {fp}" in proc.stdout,
          "the report names the CA that was not installed as trusted")
    check(not os.path.exists(os.path.join(home, ".local/share/certlink/anchors")), "no trust anchor was written")


def server_ca_sha256(server):
    der = subprocess.run(["openssl", "x509", "-in", server.ca_pem(), "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def pty_session(argv, env, answers, timeout=300):
    """Run argv on a new pty as its controlling terminal; answer prompts (regex -> text). Returns (rc, transcript)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    transcript = b""
    pending = list(answers)
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
            transcript += chunk
        if pending and re.search(pending[0][0], transcript.decode("utf-8", "replace").split("\x00")[-1]):
            time.sleep(0.2)
            os.write(fd, pending[0][1].encode() + b"\n")
            transcript += b"<<answered>>"
            pending.pop(0)
    else:
        os.kill(pid, 9)  # out of time: do not leave the handler behind
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript.decode("utf-8", "replace"), pending


def scenario_ask(a, server):
    password = "Tty-Secret-4711"
    server.add_user("bob", password)
    link = server.invite("bob")
    home, env = private_env()
    rc, out, left = pty_session([a.handler, "--no-gui", link], env,
                                [(r"Store \[u/c\]: $", "u"), (r"User ID \[bob\]: $", ""), (r"Password: $", ""),
                                 (r"The password cannot be empty\. Type it, or press Ctrl-C to cancel\.\r?\n"
                                  r"Password: $", password),
                                 (r"Trust this certificate authority\? \[y\]es / \[N\]o: $", "")])
    print(out)
    check(left == [], f"every expected question was asked ({left})")
    check(rc == 0, f"exit code 0 ({rc})")
    check("Where should the certificate go?" in out, "the store was asked on the terminal")
    check(password not in out, "the password was not echoed")
    check_certificate(installed_path(out), server, "bob")
    check("not installed as trusted" in out, "the default answer (Enter) kept the CA out of the trust anchors")
    check(not os.path.exists(os.path.join(home, ".local/share/certlink/anchors")), "no trust anchor was written")


def scenario_trust_ca(a, server):
    server.add_user("erin")
    link = server.invite("erin", store="user", passwordless=True)
    check("ca=" in link, "the invitation pins the server's CA")
    home, env = private_env()
    nssdir = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nssdir)
    subprocess.run(["certutil", "-N", "-d", "sql:" + nssdir, "--empty-password"], check=True, capture_output=True)
    fp = server_ca_sha256(server)
    colon = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    rc, out, left = pty_session([a.handler, "--no-gui", link], env,
                                [(r"Trust this certificate authority\? \[y\]es / \[N\]o: $", "y")])
    print(out)
    check(left == [], f"the CA question was asked ({left})")
    check(rc == 0, f"exit code 0 ({rc})")
    question = out.split("Trust this certificate authority?")[0]
    check(f"SHA-256 fingerprint: {colon}" in question, "the question shows the CA's SHA-256 fingerprint")
    check("CN=certlink-server CA" in question, "the question shows the CA's subject")
    check("would then trust every certificate it issues" in question, "the question says what a yes means")
    check_certificate(installed_path(out), server, "erin")
    anchor = os.path.join(home, ".local/share/certlink/anchors", fp + ".pem")
    check(os.path.isfile(anchor), f"the CA is in certlink's anchors ({anchor})")
    nss = subprocess.run(["certutil", "-L", "-d", "sql:" + nssdir], capture_output=True, text=True).stdout
    check(any(l.rstrip().endswith("C,,") for l in nss.splitlines()), f"the CA is trusted in NSS (C,,)\n{nss}")
    check("Certificate authorities installed as trusted: 1" in out, "the report says one CA was installed")


RLO_NAME = "Corp\u202efdp.exe"  # reads "Corpexe.pdf" where it is shown raw
ZWSP_LABEL = "Asset\u200btag"


def scenario_server_text(a, server):
    password = "Text-Secret-17"
    server.add_user("dora", password)
    link = server.invite("dora")  # the server will not write such a name into a link: set it afterwards
    server.admin("config-set", "service_name", RLO_NAME)
    server.admin("config-set", "device_note_label", ZWSP_LABEL)
    home, env = private_env()
    # a link that carries the name itself is refused (exit 100)
    named = re.sub(r"&name=[^&]*", "", link) + "&name=Corp%E2%80%AEfdp.exe"
    proc = subprocess.run([a.handler, "--no-gui", named], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120, start_new_session=True)
    check(proc.returncode == 100 and "bidirectional" in proc.stderr,
          f"a link with the hidden override in `name` is refused ({proc.returncode}: {proc.stderr.strip()})")
    # without the name, the service name comes from the server's configuration and is escaped on screen
    bare = re.sub(r"&name=[^&]*", "", link)
    rc, out, left = pty_session([a.handler, "--no-gui", bare], env,
                                [(r"Store \[u/c\]: $", "u"), (r"User ID \[dora\]: $", ""),
                                 (r"Password: $", password), (r"\(required\): $", "A-1"),
                                 (r"Trust this certificate authority\? \[y\]es / \[N\]o: $", "")], timeout=120)
    print(out)
    check(left == [] and rc == 0, f"enrolled ({rc}, left {left})")
    check("Sign in to Corp<U+202E>fdp.exe" in out, "the service name shows the override as <U+202E>")
    check("Asset<U+200B>tag (required)" in out, "the field label shows the zero-width space as <U+200B>")
    check("\u202e" not in out and "\u200b" not in out, "no raw format character reached the terminal")


def scenario_pin_mismatch(a, server):
    server.add_user("carol")
    link = server.invite("carol", store="user", passwordless=True)
    m = re.search(r"ca=([0-9a-f]{64})", link)
    check(m is not None, "the invitation pins the server's CA")
    wrong = m.group(1)[:-1] + ("0" if m.group(1)[-1] != "0" else "1")
    bad = link.replace(m.group(1), wrong)
    home, env = private_env()
    proc = subprocess.run([a.handler, "--no-gui", bad], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, start_new_session=True)
    print(proc.stderr)
    check(proc.returncode == 200, f"refused with exit code 200 ({proc.returncode})")
    check("fingerprint" in proc.stderr, "the message says the fingerprint does not match")
    check(server.applications() == [], "no application reached the server (the token was not sent)")
    written = [f for f in files_under(home)]
    check(not any(f.endswith(".pem") or "/certs/" in f for f in written),
          f"no key or certificate was written ({written})")


def scenario_check(a, server):
    server.add_user("dave", "Dave-Pass-99")
    link = server.invite("dave")
    home, env = private_env()
    proc = subprocess.run([a.handler, "--check", link], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, start_new_session=True)
    print(proc.stdout, proc.stderr)
    check(proc.returncode == 0, f"exit code 0 ({proc.returncode})")
    check("pinned CA matches" in proc.stdout, "the pinned identity is reported")
    check("the store" in proc.stdout and "the password" in proc.stdout, "what would be asked is listed")
    check(server.applications() == [], "nothing was applied for")
    check(files_under(home) == [], f"nothing was written ({files_under(home)})")


def store_state(home):
    """Every file certlink keeps for this account, with its bytes, and the NSS database's contents."""
    root = os.path.join(home, ".local", "share", "certlink")
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            if not n.endswith(".lock"):
                with open(os.path.join(d, n), "rb") as f:
                    files[os.path.relpath(os.path.join(d, n), root)] = f.read()
    db = "sql:" + os.path.join(home, ".pki", "nssdb")
    nss = [subprocess.run(["certutil", *args, "-d", db], capture_output=True, text=True).stdout
           for args in (["-L"], ["-K", "-f", "/dev/null"])]
    return files, nss


def records(home):
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        return json.load(f)


def ca_sha256(server):
    der = subprocess.run(["openssl", "x509", "-in", server.ca_pem(), "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def enrolled_home(server, user):
    """A home with an NSS database and USER's certificate, installed through a passwordless invitation."""
    home, env = private_env()
    os.makedirs(os.path.join(home, ".pki", "nssdb"))
    subprocess.run(["certutil", "-N", "-d", "sql:" + os.path.join(home, ".pki", "nssdb"), "--empty-password"],
                   check=True, capture_output=True)
    link = server.invite(user, store="user", passwordless=True)
    proc = subprocess.run([sys.argv_handler, link], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, start_new_session=True)
    check(proc.returncode == 0, f"{user} enrolled ({proc.returncode}: {proc.stderr[-500:]})")
    certs = records(home)["certificates"]
    check(len(certs) == 1, "one certificate installed")
    return home, env, certs[0]


def scenario_renew(a, server):
    password = "Renew-Me-2027"
    server.add_user("erin", password)
    home, env, cert = enrolled_home(server, "erin")
    serial = cert["serial"]
    link = f"certlink://127.0.0.1:{server.port}/renew?v=1&user=erin&serial={serial}&ca={ca_sha256(server)}"
    before = store_state(home)
    apps_before = len(server.applications())
    # No: nothing is sent, nothing changes.
    rc, out, left = pty_session([a.handler, "--no-gui", link], env, [(r"Renew it\? \[y\]es / \[N\]o: $", "n")])
    print(out)
    check(left == [], "the renewal was asked")
    check(rc == 120, f"answering no cancels (exit {rc})")
    check("The certificate was not renewed." in out, "the terminal says the certificate was not renewed")
    for shown in ("Renew this certificate?", f"Serial:      {serial}", "Certificate: ", "CN=erin", "Expires:     2",
                  "Key:         RSA, 2048 bits", "the renewed certificate gets a new key",
                  "Store:       your personal certificate store", f"127.0.0.1:{server.port}",
                  "Nothing has been sent yet"):
        check(shown in out, f"the question shows '{shown}'")
    check("Store [u/c]" not in out, "the store was not asked: the certificate's record names it")
    check("Password:" not in out and "Connecting to the server" not in out, "nothing was sent before the answer")
    check(store_state(home) == before, "no changes the store: files, records and NSS as they were")
    check(len(server.applications()) == apps_before, "the server received nothing")
    # Yes: renewed.
    rc, out, left = pty_session([a.handler, "--no-gui", link], env,
                                [(r"Renew it\? \[y\]es / \[N\]o: $", "y"), (r"User ID \[erin\]: $", ""),
                                 (r"Password: $", password)])
    print(out)
    check(left == [] and rc == 0, f"answering yes renews (exit {rc}, unanswered {left})")
    check("Store [u/c]" not in out, "the store was not asked")
    certs = records(home)["certificates"]
    check(len(certs) == 1 and certs[0]["serial"] != serial, "the new certificate replaced the old one")
    check_certificate(installed_path(out), server, "erin")
    renewal = [x for x in server.applications() if x.get("renewal_of") == serial]
    check(len(renewal) == 1, "the server saw one renewal of the old serial")


def scenario_hostile_renew(a, server):
    server.add_user("fred")
    home, env, cert = enrolled_home(server, "fred")
    hostile = RefServer(a.server)
    try:
        hostile.start({"auto_approve": "true"})
        hostile.add_user("fred", "fred pw")
        link = (f"certlink://127.0.0.1:{hostile.port}/renew?v=1&user=fred&serial={cert['serial']}"
                f"&ca={ca_sha256(hostile)}")
        before = store_state(home)
        rc, out, left = pty_session([a.handler, "--no-gui", link], env, [(r"Renew it", "y"), (r"Password: ", "x")])
        print(out)
        check(rc == 100, f"refused on the terminal with exit 100 ({rc})")
        check(len(left) == 2, "no question was asked: neither the renewal nor a password")
        check("refusing to renew" in out and f"127.0.0.1:{server.port}" in out,
              "the message says the certificate came from another server")
        check("Nothing was sent" in out, "and that nothing was sent")
        proc = subprocess.run([a.handler, link], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=300, start_new_session=True)
        print(proc.stderr)
        check(proc.returncode == 100, f"refused without a terminal with exit 100 ({proc.returncode})")
        check(store_state(home) == before, "the victim's files, records and NSS entries are unchanged")
        check(hostile.applications() == [], "the hostile server has no application")
        con = sqlite3.connect(os.path.join(hostile.state, "certlink-server.db"))
        n = con.execute("SELECT COUNT(*) FROM scep_transactions").fetchone()[0]
        con.close()
        check(n == 0, "the hostile server received no SCEP message (no RenewalReq)")
        with open(os.path.join(hostile.dir, "server.log")) as f:
            log = f.read()
        check("RenewalReq" not in log and "scep:" not in log, "nor does its log show one")
    finally:
        hostile.cleanup()


def scenario_resume_install(a, server):
    server.add_user("gail")
    link = server.invite("gail", store="user", passwordless=True)
    home, env = private_env()
    nssdb = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nssdb)
    subprocess.run(["certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"], check=True, capture_output=True)
    store = os.path.join(home, ".local", "share", "certlink")
    argv = [a.handler, "--no-gui", link]
    with fullstore.failing(os.path.join(store, "certs"), argv) as failing:
        failing[0] = shutil.which(failing[0])
        rc, out, left = pty_session(failing, env, [CA_NO])
    print(out)
    check(rc == 100, f"the failed install ends with exit 100 ({rc})")
    check(fullstore.failure_words() in out, "the terminal says why the install failed")
    check("The certificate was issued but could not be installed." in out and "click the link again" in out,
          "and that the issued certificate is installed by a later click")
    app = records(home)["applications"][0]
    check(app["state"] == "issued" and records(home)["certificates"] == [],
          f"the application is recorded as issued, no certificate ({app['state']})")
    key = os.path.join(store, "pending", app["id"] + ".key")
    check(os.path.exists(key), "the key the certificate was issued for is kept")
    issued = [c["serial"] for c in server.certificates() if c["application"] == app["server_id"]]
    check(len(issued) == 1, f"the server issued one certificate ({issued})")
    rc, out, left = pty_session(argv, env, [CA_NO])
    print(out)
    check(rc == 0, f"the same link again installs it (exit {rc})")
    check(f"serial {issued[0]}" in out, f"the installed certificate is the one issued ({issued[0]})")
    check_certificate(installed_path(out), server, "gail")
    check([c["serial"] for c in server.certificates() if c["application"] == app["server_id"]] == issued,
          "still exactly one certificate issued for the application")
    certs = records(home)["certificates"]
    check(len(certs) == 1 and certs[0]["serial"] == issued[0], "the records hold that one certificate")
    check(not os.path.exists(key), "the kept key is gone once installed")
    listed = subprocess.run(["certutil", "-L", "-d", "sql:" + nssdb], capture_output=True, text=True).stdout
    check(any(loc.get("nickname", "") in listed for loc in certs[0]["locations"]
              if loc["kind"] == "nss-certificate"), "and it is in the NSS database")


# The server's CA as a trust anchor is asked on a terminal (a pin is not consent): Enter declines.
CA_NO = (r"Trust this certificate authority\? \[y\]es / \[N\]o: $", "")


def scenario_code(a, server):
    """The link's invitation code is the default of the code prompt (Enter keeps it); an empty answer to a
    required field says it is required and asks again."""
    server.add_user("ines")
    link = server.invite("ines", store="user", passwordless=True, code="WIFI-2026")
    check("code=WIFI-2026" in link, "the invitation link carries the code")
    home, env = private_env()
    rc, out, left = pty_session([a.handler, "--no-gui", link], env,
                                [(r"Invitation code \(required\) \[WIFI-2026\]: $", ""),
                                 (r"Reason \(required\): $", ""),
                                 (r"Reason is required\. Type it, or press Ctrl-C to cancel\.\r?\n"
                                  r"Reason \(required\): $", "new badge"), CA_NO])
    print(out)
    check(left == [], f"the code was offered as the default and the empty reason asked again ({left})")
    check(rc == 0, f"installed (exit {rc})")
    apps = server.applications()
    check(len(apps) == 1 and "new badge" in (apps[0].get("reason") or ""),
          f"the server accepted the application with the link's code and the reason typed ({apps})")
    check_certificate(installed_path(out), server, "ines")


def scenario_pending_again(a, server):
    """A click that sent the application waits (bounded) and leaves it pending; a later click on the same link
    checks its status once and says at once that it still waits, even with a server that polls for 900 s."""
    server.add_user("jay")
    link = server.invite("jay", store="user", passwordless=True)
    home, env = private_env()
    rc, out, left = pty_session([a.handler, "--no-gui", link], env, [], timeout=120)
    print(out)
    check(rc == 0 and "waiting for the administrator's approval" in out, f"the first click waits, then says so ({rc})")
    server.admin("config-set", "approval_poll_timeout", "900")
    rc, out, left = pty_session([a.handler, "--no-gui", link], env, [], timeout=120)
    print(out)
    check(rc == 0, f"the second click ends at once with exit 0 ({rc})")
    check("checking whether the application was approved" in out and
          "still waiting for the administrator's approval" in out, "after one status check")
    check("waiting for the administrator to approve" not in out, "without polling again")
    apps = server.applications()
    check(len(apps) == 1 and apps[0]["state"] == "pending", f"one application, still pending ({apps})")
    server.admin("approve", apps[0]["id"])
    rc, out, left = pty_session([a.handler, "--no-gui", link], env, [CA_NO], timeout=120)
    check(rc == 0 and "Installed the certificate" in out, f"once approved, a click installs ({rc})")


def scenario_second_invitation(a, server):
    """A new invitation for someone who holds a valid certificate enrolls a second one (the administrator's
    deliberate act); the result says the earlier one stays installed, and both are."""
    server.add_user("hank")
    home, env, cert = enrolled_home(server, "hank")
    link = server.invite("hank", store="user", passwordless=True)
    rc, out, left = pty_session([a.handler, "--no-gui", link], env, [CA_NO])
    print(out)
    check(rc == 0, f"the second invitation enrolls (exit {rc})")
    check("does not need renewing" not in out, "it is not refused as not due")
    certs = records(home)["certificates"]
    check(len(certs) == 2 and cert["serial"] in [c["serial"] for c in certs], "both certificates are installed")
    check(f"Your earlier certificate (serial {cert['serial']}" in out and "still installed as well" in out,
          "the terminal says the earlier certificate is still installed")
    for c in certs:
        d = [l["path"] for l in c["locations"] if l["kind"] == "certificate"][0]
        check(os.path.isfile(d), f"certificate {c['serial']} is in the store")
    check(len([x for x in server.applications() if x.get("user") == "hank"]) == 2, "two applications")


SCENARIOS = {"passwordless": (scenario_passwordless, {"auto_approve": "true"}),
             "second-invitation": (scenario_second_invitation, {"auto_approve": "true"}),
             "pending-again": (scenario_pending_again, {"auto_approve": "false", "approval_poll_timeout": "10",
                                                        "approval_poll_interval": "2"}),
             "code": (scenario_code, {"auto_approve": "true", "invitation_code": "required",
                                      "reason": "required", "email": "off", "device_note": "off"}),
             "resume-install": (scenario_resume_install, {"auto_approve": "true"}),
             "renew": (scenario_renew, {"auto_approve": "true"}),
             "hostile-renew": (scenario_hostile_renew, {"auto_approve": "true"}),
             "ask": (scenario_ask, {"auto_approve": "true"}),
             "trust-ca": (scenario_trust_ca, {"auto_approve": "true"}),
             "server-text": (scenario_server_text, {"auto_approve": "true", "device_note": "required",
                                                    "invitation_code": "off", "email": "off", "reason": "off"}),
             "pin-mismatch": (scenario_pin_mismatch, {}),
             "check": (scenario_check, {})}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--handler", required=True)
    p.add_argument("--server", required=True)
    a = p.parse_args()
    sys.argv_handler = a.handler
    fn, config = SCENARIOS[a.scenario]
    server = RefServer(a.server)
    try:
        server.start(config)
        fn(a, server)
    except Failure as e:
        print(f"FAIL: {e}")
        print("0 passed, 1 failed")
        return 1
    finally:
        server.cleanup()
        for home in HOMES:
            shutil.rmtree(home, ignore_errors=True)
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
