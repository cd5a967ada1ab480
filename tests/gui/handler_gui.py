#!/usr/bin/python3
"""GUI tests of certlink-handler's progress window against the real reference server (label gui).

usage: handler_gui.py SCENARIO --handler PATH --server PATH --artifacts DIR   (run under dbus-run-session)

Scenarios:
  passwordless   a pinned passwordless link with a store runs to the end page; the only question is whether
                 to install the server's CA as trusted (a pin is not consent), answered Don't Trust (the
                 focused default): the end page says it was not added, nothing is a trust anchor
  trust-ca       the same link, answered Trust in that dialog, which shows the CA's subject and SHA-256: the
                 CA is in certlink's anchors and trusted in the NSS database ("C,,")
  ask            a link with no store and no passwordless flag, at a server that requires a reason and an
                 asset tag: answered through the real dialogs (store, sign-in, fields)
  untrusted      Cancel on the untrusted-server dialog: nothing written, no password asked or sent
  pending-timeout  nobody approves: the window keeps checking for the server's bounded time, then says the
                 application waits for approval (exit 0), and the application stays on record
  unreachable    a server that cannot be reached: the error page says what went wrong and what to do (200)
  dispatch       `certlink register-scheme` for a fresh account, then `xdg-open LINK` (what a click in a
                 mail program does) starts the real handler's window, which installs the certificate
  renew          a renew link for a certificate installed through the window: the renewal confirmation shows
                 subject, serial, expiry and key (and fits the screen); Cancel changes nothing and sends nothing
                 (exit 120); Renew asks for the password and installs the new certificate; the store is
                 never asked (the certificate's record names it)
  second-click   a second click brings the running window forward and starts no second enrollment;
                 closing the waiting window keeps the application on record, and once approved a later
                 click on the same link finishes it
  second-invitation a new invitation for someone with a valid certificate enrolls a second one; the end
                 page says the earlier one stays installed
  resume-install the install fails for real (a full store, tests/lib/fullstore.py): the error page says why;
                 a later click on the same link fetches the certificate the server issued and installs it
                 (exactly one certificate issued at the server)

Each scenario saves screenshots of the stages in DIR/SCENARIO/ and asserts on the installed certificate
(openssl: subject, chain to the server's CA), the exit code, the files written and the server's records.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import time

import sys

import guienv
from guienv import check, log, wait_for
from refserver import RefServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fullstore  # noqa: E402

MAIN_TITLE = "Certificate Enrollment"
REASON = "new laptop for the lab"
ASSET = "A-1234"
DIALOG_TITLES = {"Confirm the server", "Trust a certificate authority", "Where should the certificate go?",
                 "Sign in", "A few details", "Confirm the renewal"}


class Watcher:
    """Polls the window: screenshots every new stage, and notes every dialog that opened."""

    def __init__(self, sess, app):
        self.sess, self.app = sess, app
        self.stage = None
        self.dialogs_seen = []
        self.answering = False  # answer_dialogs() records the dialogs itself

    def current_stage(self, win):
        labels = guienv.find_all(win, lambda n: n.roleName == "label")
        for i, n in enumerate(labels[:-1]):
            if n.name == "→":
                return labels[i + 1].name
        return None

    def tick(self, win):
        stage = self.current_stage(win)
        if stage and stage != self.stage:
            self.stage = stage
            log(f"stage: {stage}")
            self.sess.screenshot("stage-" + re.sub(r"[^a-z]+", "-", stage.lower()).strip("-"))
        for w in self.app.children:
            if w.name in DIALOG_TITLES and w.name not in self.dialogs_seen and not self.answering:
                self.dialogs_seen.append(w.name)
                log(f"dialog: {w.name}")

    def until(self, what, win, fn, timeout=240):
        def poll():
            self.tick(win)
            return fn()
        return wait_for(what, poll, timeout)


def result_fields(win):
    """The end page's detail lines ("Certificate: ...", "File: ...") as a dict."""
    text = guienv.label_starting(win, "Certificate: ") or ""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = value
    return fields


def check_installed_certificate(fields, server, user):
    path = fields.get("File")
    check(path and os.path.isfile(path), f"the end page names an existing certificate file ({path})")
    subject = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253"],
                             capture_output=True, text=True).stdout
    check(f"CN={user}" in subject, f"the certificate's subject names {user} ({subject.strip()})")
    verify = subprocess.run(["openssl", "verify", "-CAfile", server.ca_pem(), path], capture_output=True,
                            text=True)
    check(verify.returncode == 0, f"the certificate chains to the server's CA ({verify.stdout.strip()})")
    return path


def finish(win, proc, want_rc):
    guienv.press(win, "Close")
    rc = proc.wait(60)
    check(rc == want_rc, f"certlink-handler exited with {rc} (want {want_rc})")


CA_DIALOG = "Trust a certificate authority"


def ca_fingerprint(server):
    out = subprocess.run(["openssl", "x509", "-in", server.ca_pem(), "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True).stdout
    return out.strip().split("=")[-1].upper()


def until_end_answering_ca(sess, app, w, win, server, button="Don't Trust", shot=None):
    """Wait for the end page; the CA question that comes first is checked (the CA's fingerprint, Don't Trust
    focused) and answered with BUTTON. Returns how many times it was asked."""
    asked = [0]

    def step():
        if guienv.visible_text(win, "Certificate installed") or guienv.label_starting(win, "The enrollment"):
            return True
        d = next((c for c in app.children if c.name == CA_DIALOG), None)
        if d is None:
            return False
        asked[0] += 1
        w.dialogs_seen.append(CA_DIALOG)
        fp = ca_fingerprint(server)
        check(guienv.visible_text(d, fp), f"the CA dialog shows the CA's SHA-256 fingerprint {fp[:23]}...")
        check(guienv.label_starting(d, "CN=certlink-server CA") is not None, "the CA dialog shows the CA's subject")
        cancel = guienv.control(d, "push button", "Don't Trust")
        check(cancel is not None and cancel.focused, "Don't Trust has the focus, so Enter declines")
        if shot:
            sess.screenshot(shot)
        guienv.press(d, button)
        guienv.no_window(app, CA_DIALOG)
        return False
    w.answering = True
    w.until("the end page", win, step)
    return asked[0]


def scenario_passwordless(a, sess, server, tree):
    server.add_user("alice")
    link = server.invite("alice", store="user", passwordless=True)
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    asked = until_end_answering_ca(sess, app, w, win, server, "Don't Trust", shot="dialog-trust-ca")
    sess.screenshot("installed")
    check(asked == 1 and w.dialogs_seen == [CA_DIALOG],
          f"the only question was the CA's, even for a pinned link ({w.dialogs_seen})")
    details = guienv.label_starting(win, "Certificate: ") or ""
    check("1 certificate authority not added as trusted (nobody agreed)" in details,
          f"the end page says the CA was not added as trusted ({details})")
    check_installed_certificate(result_fields(win), server, "alice")
    check(not os.path.exists(os.path.join(home, ".local/share/certlink/anchors")), "no trust anchor was written")
    finish(win, proc, 0)


def scenario_trust_ca(a, sess, server, tree):
    server.add_user("iris")
    link = server.invite("iris", store="user", passwordless=True)
    home, env = guienv.private_home()
    nssdir = os.path.join(home, ".pki", "nssdb")
    os.makedirs(nssdir)
    subprocess.run(["certutil", "-N", "-d", "sql:" + nssdir, "--empty-password"], check=True, capture_output=True)
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    asked = until_end_answering_ca(sess, app, w, win, server, "Trust", shot="dialog-trust-ca")
    sess.screenshot("installed-ca-trusted")
    check(asked == 1, "the CA question was asked once")
    details = guienv.label_starting(win, "Certificate: ") or ""
    check("1 certificate authority added as trusted" in details, f"the end page says so ({details})")
    check_installed_certificate(result_fields(win), server, "iris")
    fp = ca_fingerprint(server).replace(":", "").lower()
    check(os.path.isfile(os.path.join(home, ".local/share/certlink/anchors", fp + ".pem")),
          "the CA is in certlink's anchors")
    nss = subprocess.run(["certutil", "-L", "-d", "sql:" + nssdir], capture_output=True, text=True).stdout
    check(any(line.rstrip().endswith("C,,") for line in nss.splitlines()), f"the CA is trusted in NSS\n{nss}")
    finish(win, proc, 0)


def answer_dialogs(sess, app, w, password, win):
    """Answer whatever the flow asks, through the dialogs, until the end page shows."""
    seen = [None]

    def step():
        now = [d.name for d in app.children]
        if now != seen[0]:
            log(f"windows: {now}")
            seen[0] = now
        if guienv.visible_text(win, "Certificate installed") or guienv.label_starting(win, "The enrollment"):
            return True
        for d in app.children:
            if d.name not in DIALOG_TITLES:
                continue
            shot = re.sub(r"[^a-z]+", "-", d.name.lower()).strip("-")
            w.dialogs_seen.append(d.name)
            if d.name == "Where should the certificate go?":
                mine = guienv.control(d, "check box", "Only for me (my personal certificate store)")
                check(mine is not None and mine.checked, "the store dialog offers the personal store, chosen")
                sess.screenshot("dialog-" + shot)
                guienv.press(d, "Continue")
            elif d.name == CA_DIALOG:
                sess.screenshot("dialog-" + shot)
                guienv.press(d, "Don't Trust")
            elif d.name == "Sign in":
                guienv.type_into(d, "password text", password, d.name)
                sess.screenshot("dialog-" + shot)
                guienv.press(d, "Sign In")
            elif d.name == "A few details":
                # The server requires a reason and an asset tag (its own label); the dialog focuses the
                # first field, Tab moves to the next, as for a person at the keyboard.
                check(guienv.label_starting(d, "Asset tag") is not None, "the dialog uses the server's label")
                guienv.type_into(d, "text", REASON, d.name)
                subprocess.run(["xdotool", "key", "Tab"], check=True, timeout=30)
                subprocess.run(["xdotool", "type", "--delay", "20", ASSET], check=True, timeout=30)
                sess.screenshot("dialog-" + shot)
                guienv.press(d, "Continue")
            else:
                sess.screenshot("unexpected-" + shot)
                raise guienv.Failure(f"unexpected question: {d.name}")
            guienv.no_window(app, d.name)  # answered: the next dialog, if any, is a new window
        return False
    w.answering = True
    w.until("the end page", win, step)


def scenario_ask(a, sess, server, tree):
    server.add_user("bob", "Correct-Horse-9")
    link = server.invite("bob")
    check("store=" not in link and "pwless=1" not in link, "the link names no store and is not passwordless")
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    answer_dialogs(sess, app, w, "Correct-Horse-9", win)
    sess.screenshot("end")
    check(guienv.visible_text(win, "Certificate installed"), "the end page says the certificate was installed")
    check("Where should the certificate go?" in w.dialogs_seen and "Sign in" in w.dialogs_seen,
          f"the store and the password were asked through the dialogs ({w.dialogs_seen})")
    check("A few details" in w.dialogs_seen, "the required fields were asked through their dialog")
    check(CA_DIALOG in w.dialogs_seen, "the CA question came too, answered Don't Trust")
    check_installed_certificate(result_fields(win), server, "bob")
    apps = server.applications()
    check(len(apps) == 1 and REASON in (apps[0].get("reason") or "") and apps[0].get("device_note") == ASSET,
          f"the server received the reason and the asset tag typed in the dialog ({apps})")
    finish(win, proc, 0)


def scenario_untrusted(a, sess, server, tree):
    server.add_user("carol", "Carol-Pass-7")
    link = server.invite("carol", store="user")
    unpinned = re.sub(r"&ca=[0-9A-Fa-f:]+", "", re.sub(r"\?ca=[0-9A-Fa-f:]+&?", "?", link))
    check("ca=" not in unpinned, "the link no longer pins the server's CA")
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, unpinned, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    dlg = w.until("the untrusted-server dialog", win, lambda: next(
        (d for d in app.children if d.name == "Confirm the server"), None))
    sess.screenshot("dialog-confirm-the-server")
    fingerprint = subprocess.run(["openssl", "x509", "-in", server.ca_pem(), "-noout", "-fingerprint",
                                  "-sha256"], capture_output=True, text=True).stdout.strip().split("=")[-1]
    check(guienv.visible_text(dlg, fingerprint), f"the dialog shows the CA's SHA-256 fingerprint {fingerprint}")
    check(guienv.visible_text(dlg, f"127.0.0.1:{server.port}"), "the dialog shows the host and port")
    cancel = guienv.control(dlg, "push button", "Cancel")
    check(cancel is not None and cancel.focused, "Cancel has the focus, so Enter cancels")
    guienv.press(dlg, "Cancel")
    w.until("the cancelled page", win, lambda: guienv.visible_text(win, "The enrollment was cancelled."))
    sess.screenshot("cancelled")
    check("Sign in" not in w.dialogs_seen, "no password was asked")
    finish(win, proc, 120)
    written = guienv.files_under(home)
    check(written == [], f"nothing was written under HOME ({written})")
    check(server.applications() == [], "the server has no application (no credential reached it)")


def window_geometry(title):
    """(width, height) of the X window titled TITLE, as xdotool reports it, and its window id."""
    wid = subprocess.run(["xdotool", "search", "--name", f"^{title}$"], capture_output=True, text=True,
                         timeout=30).stdout.split()
    check(wid, f"the X window '{title}' exists")
    out = subprocess.run(["xdotool", "getwindowgeometry", wid[-1]], capture_output=True, text=True,
                         timeout=30).stdout
    m = re.search(r"Geometry: (\d+)x(\d+)", out)
    check(m is not None, f"xdotool reports the geometry of '{title}' ({out.strip()})")
    return int(m.group(1)), int(m.group(2)), wid[-1]


def store_files(home):
    root = os.path.join(home, ".local", "share", "certlink")
    out = {}
    for name in guienv.files_under(root):
        if not name.endswith(".lock"):
            with open(os.path.join(root, name), "rb") as f:
                out[name] = f.read()
    return out


def scenario_renew(a, sess, server, tree):
    password = "Window-Renew-31"
    server.add_user("ivy", password)
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, server.invite("ivy", store="user", passwordless=True), env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    until_end_answering_ca(sess, app, Watcher(sess, app), win, server)  # the enrollment's CA question: no
    finish(win, proc, 0)
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        cert = json.load(f)["certificates"][0]
    serial = cert["serial"]
    der = subprocess.run(["openssl", "x509", "-in", server.ca_pem(), "-outform", "DER"], capture_output=True,
                         check=True).stdout
    link = (f"certlink://127.0.0.1:{server.port}/renew?v=1&user=ivy&serial={serial}"
            f"&ca={hashlib.sha256(der).hexdigest()}")
    before, apps_before = store_files(home), len(server.applications())

    # Cancel: nothing is sent, nothing changes.
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    dlg = w.until("the renewal confirmation", win, lambda: next(
        (d for d in app.children if d.name == "Confirm the renewal"), None))
    sess.screenshot("dialog-confirm-the-renewal")
    width, height, wid = window_geometry("Confirm the renewal")
    subprocess.run(["import", "-window", wid, os.path.join(sess.artifacts, "confirm-the-renewal-dialog.png")],
                   check=False, stderr=subprocess.DEVNULL)
    check(width <= 1024 and height <= 720, f"the dialog fits the screen ({width}x{height})")
    check(guienv.visible_text(dlg, "Renew this certificate?"), "the dialog asks to renew")
    check(guienv.visible_text(dlg, serial), f"it shows the serial {serial}")
    check(guienv.label_starting(dlg, "CN=ivy") is not None, "it shows the subject")
    expiry = subprocess.run(["date", "-d", cert["not_after"], "+%Y-%m-%d"], capture_output=True,
                            text=True).stdout.strip()
    check(guienv.label_starting(dlg, expiry) is not None, f"it shows when the certificate expires ({expiry})")
    key = guienv.label_starting(dlg, "RSA, 2048 bits")
    check(key is not None and "gets a new key" in key, "it shows the key and that a new one is made")
    check(guienv.visible_text(dlg, "your personal certificate store"), "it shows the store")
    check(guienv.visible_text(dlg, f"127.0.0.1:{server.port}"), "it shows the server")
    cancel = guienv.control(dlg, "push button", "Cancel")
    check(cancel is not None and cancel.focused, "Cancel has the focus: nothing has been sent yet")
    guienv.press(dlg, "Cancel")
    w.until("the not-renewed page", win, lambda: guienv.visible_text(win, "The certificate was not renewed."))
    sess.screenshot("not-renewed")
    finish(win, proc, 120)
    check(store_files(home) == before, "Cancel changed nothing in the store")
    check(len(server.applications()) == apps_before, "and sent nothing to the server")
    check("Where should the certificate go?" not in w.dialogs_seen and "Sign in" not in w.dialogs_seen,
          f"nothing else was asked ({w.dialogs_seen})")

    # Renew: the password, then the new certificate replaces the old one.
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    dlg = w.until("the renewal confirmation", win, lambda: next(
        (d for d in app.children if d.name == "Confirm the renewal"), None))
    guienv.press(dlg, "Renew")
    guienv.no_window(app, "Confirm the renewal")
    w.dialogs_seen.append("Confirm the renewal")
    answer_dialogs(sess, app, w, password, win)
    sess.screenshot("renewed")
    check(guienv.visible_text(win, "Certificate installed"), "the end page says the certificate was installed")
    check("Where should the certificate go?" not in w.dialogs_seen, f"the store was not asked ({w.dialogs_seen})")
    check(CA_DIALOG not in w.dialogs_seen, f"nor the CA: a renewal keeps the enrollment's answer ({w.dialogs_seen})")
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        certs = json.load(f)["certificates"]
    check(len(certs) == 1 and certs[0]["serial"] != serial, "the new certificate replaced the old one")
    check_installed_certificate(result_fields(win), server, "ivy")
    check(any(x.get("renewal_of") == serial for x in server.applications()), "the server saw a renewal")
    finish(win, proc, 0)


def scenario_second_click(a, sess, server, tree):
    server.add_user("dave")
    link = server.invite("dave", store="user", passwordless=True)  # auto_approve is off: it will wait
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    w.until("the waiting-for-approval stage", win, lambda: w.stage == "Waiting for approval")
    sess.screenshot("waiting")
    second = subprocess.run([a.handler, link], env=dict(os.environ, **env), capture_output=True, text=True,
                            timeout=60)
    check(second.returncode == 0, f"the second click exits 0 ({second.returncode}: {second.stderr.strip()})")
    check("already running" in second.stderr, "the second click says an enrollment is already running")
    time.sleep(1)
    frames = [c for c in app.children if c.name == MAIN_TITLE]
    check(len(frames) == 1, f"still one progress window ({len(frames)})")
    apps = server.applications()
    check(len(apps) == 1, f"the server has exactly one application ({apps})")
    sess.screenshot("after-second-click")
    guienv.press(win, "Close")
    rc = proc.wait(60)
    check(rc in (0, 120), f"closing the waiting window ends the handler ({rc})")
    apps = server.applications()
    check(len(apps) == 1 and apps[0].get("state") == "pending",
          f"the application stays on record at the server, pending ({apps})")
    # The administrator approves; a later click on the same link finishes the recorded application.
    server.admin("approve", apps[0]["id"])
    proc = guienv.start_handler(a.handler, link, env)
    win = guienv.window(app := guienv.app_node(tree), MAIN_TITLE)
    w = Watcher(sess, app)
    until_end_answering_ca(sess, app, w, win, server)
    sess.screenshot("installed-after-approval")
    check(w.dialogs_seen == [CA_DIALOG], f"the later click asked only the CA question ({w.dialogs_seen})")
    check_installed_certificate(result_fields(win), server, "dave")
    apps = server.applications()
    check(len(apps) == 1, f"the later click resumed the application instead of applying again ({len(apps)})")
    finish(win, proc, 0)


def scenario_resume_install(a, sess, server, tree):
    server.add_user("kim")
    link = server.invite("kim", store="user", passwordless=True)
    home, env = guienv.private_home()
    certs = os.path.join(home, ".local", "share", "certlink", "certs")
    with fullstore.failing(certs, [a.handler, link]) as argv:
        proc = guienv.start_handler(a.handler, link, env, argv=argv)
        app = guienv.app_node(tree)
        win = guienv.window(app, MAIN_TITLE)
        w = Watcher(sess, app)

        def failed_page():
            d = next((c for c in app.children if c.name == CA_DIALOG), None)
            if d is not None:  # the CA question comes before the install: declined
                guienv.press(d, "Don't Trust")
                guienv.no_window(app, CA_DIALOG)
            return guienv.visible_text(win, "The certificate was issued but could not be installed.")
        w.until("the error page", win, failed_page)
        sess.screenshot("install-failed")
        words = fullstore.failure_words()
        check(guienv.find_all(win, lambda n: n.roleName == "label" and words in (n.name or "")),
              f"the error page shows why the install failed ({words})")
        check(guienv.label_starting(win, "Fix what the details below say") is not None,
              "and that a later click installs the issued certificate")
        finish(win, proc, 100)
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        rec = json.load(f)
    check(rec["applications"][0]["state"] == "issued" and rec["certificates"] == [],
          "the application is recorded as issued, no certificate installed")
    server_id = rec["applications"][0]["server_id"]
    issued = [c["serial"] for c in server.certificates() if c["application"] == server_id]
    check(len(issued) == 1, f"the server issued one certificate ({issued})")

    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    until_end_answering_ca(sess, app, w, win, server)
    sess.screenshot("installed-after-resume")
    check(set(w.dialogs_seen) <= {CA_DIALOG}, f"the later click asked nothing but the CA question ({w.dialogs_seen})")
    path = check_installed_certificate(result_fields(win), server, "kim")
    serial = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial"], capture_output=True,
                            text=True).stdout.strip().split("=")[1].lower().lstrip("0")
    check(serial == issued[0], f"the installed certificate is the one the server issued ({serial})")
    check([c["serial"] for c in server.certificates() if c["application"] == server_id] == issued,
          "still exactly one certificate issued for the application")
    finish(win, proc, 0)


def scenario_second_invitation(a, sess, server, tree):
    server.add_user("lou")
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, server.invite("lou", store="user", passwordless=True), env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    until_end_answering_ca(sess, app, Watcher(sess, app), win, server)
    finish(win, proc, 0)
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        first = json.load(f)["certificates"][0]["serial"]
    # The administrator sends a new invitation: it enrolls, the earlier certificate stays.
    proc = guienv.start_handler(a.handler, server.invite("lou", store="user", passwordless=True), env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    until_end_answering_ca(sess, app, w, win, server)
    sess.screenshot("second-certificate-installed")
    check(set(w.dialogs_seen) <= {CA_DIALOG}, f"nothing was asked but the CA question ({w.dialogs_seen})")
    note = guienv.find_all(win, lambda n: n.roleName == "label" and
                           f"Your earlier certificate (serial {first}" in (n.name or ""))
    check(note and "still installed as well" in note[0].name, "the end page says the earlier certificate stays")
    path = check_installed_certificate(result_fields(win), server, "lou")
    with open(os.path.join(home, ".local", "share", "certlink", "records.json")) as f:
        serials = [c["serial"] for c in json.load(f)["certificates"]]
    check(len(serials) == 2 and first in serials, f"both certificates are installed ({serials})")
    check(os.path.isfile(path), "the new one's file is there")
    finish(win, proc, 0)


def scenario_dispatch(a, sess, server, tree):
    if not a.cli:
        raise guienv.Failure("the dispatch scenario needs --cli (the certlink command)")
    server.add_user("erin")
    link = server.invite("erin", store="user", passwordless=True)
    home, env = guienv.private_home()
    env.update(XDG_DATA_DIRS="/usr/share", XDG_CONFIG_DIRS="/etc/xdg")
    full = dict(os.environ, **env)
    reg = subprocess.run([a.cli, "register-scheme", "--handler", os.path.abspath(a.handler)], env=full,
                         capture_output=True, text=True, timeout=120)
    check(reg.returncode == 0, f"certlink register-scheme succeeded ({reg.stderr.strip()})")
    default = subprocess.run(["xdg-mime", "query", "default", "x-scheme-handler/certlink"], env=full,
                             capture_output=True, text=True).stdout.strip()
    check(default == "certlink-handler.desktop", f"xdg-mime names the handler ({default})")
    opener = subprocess.Popen(["xdg-open", link], env=full, stdin=subprocess.DEVNULL)
    guienv.STARTED.append(opener)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    until_end_answering_ca(sess, app, w, win, server)
    sess.screenshot("installed-via-xdg-open")
    check(w.dialogs_seen == [CA_DIALOG], f"the only question was the CA's ({w.dialogs_seen})")
    check_installed_certificate(result_fields(win), server, "erin")
    guienv.press(win, "Close")
    rc = opener.wait(60)
    check(rc == 0, f"xdg-open reports success once the handler exits ({rc})")


def scenario_pending_timeout(a, sess, server, tree):
    server.add_user("gina")
    link = server.invite("gina", store="user", passwordless=True)  # nobody approves; the wait is bounded
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, link, env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    w.until("the waiting-for-approval stage", win, lambda: w.stage == "Waiting for approval")
    sess.screenshot("waiting")
    w.until("the end of the bounded wait", win, lambda: guienv.label_starting(win, "Your application was sent"),
            timeout=120)
    sess.screenshot("still-waiting-end-page")
    check(guienv.visible_text(win, "Waiting for approval"), "the end page says the application waits for approval")
    apps = server.applications()
    check(len(apps) == 1 and apps[0].get("state") == "pending", f"the application is on record, pending ({apps})")
    finish(win, proc, 0)


def scenario_unreachable(a, sess, server, tree):
    # A port on which nothing listens: the server cannot be reached.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    home, env = guienv.private_home()
    proc = guienv.start_handler(a.handler, f"certlink://127.0.0.1:{port}/enroll?store=user&user=henry", env)
    app = guienv.app_node(tree)
    win = guienv.window(app, MAIN_TITLE)
    w = Watcher(sess, app)
    title = "The enrollment server could not be reached, or its identity could not be confirmed."
    w.until("the error page", win, lambda: guienv.visible_text(win, title), timeout=240)
    sess.screenshot("error-page")
    check(guienv.label_starting(win, "Check your network connection") is not None,
          "the error page says what to do")
    check(guienv.label_starting(win, "connecting to 127.0.0.1") is not None, "the error page shows the details")
    finish(win, proc, 200)


SCENARIOS = {"passwordless": (scenario_passwordless, {"auto_approve": "true"}),
             "trust-ca": (scenario_trust_ca, {"auto_approve": "true"}),
             "ask": (scenario_ask, {"auto_approve": "true", "reason": "required", "device_note": "required",
                                    "device_note_label": "Asset tag", "email": "off", "invitation_code": "off"}),
             "untrusted": (scenario_untrusted, {}),
             "renew": (scenario_renew, {"auto_approve": "true"}),
             "second-click": (scenario_second_click, {"auto_approve": "false"}),
             "resume-install": (scenario_resume_install, {"auto_approve": "true"}),
             "second-invitation": (scenario_second_invitation, {"auto_approve": "true"}),
             "dispatch": (scenario_dispatch, {"auto_approve": "true"}),
             "pending-timeout": (scenario_pending_timeout, {"auto_approve": "false", "approval_poll_timeout": "10",
                                                            "approval_poll_interval": "2"}),
             "unreachable": (scenario_unreachable, {})}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--handler", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--artifacts", required=True)
    p.add_argument("--cli", help="the certlink command (dispatch scenario)")
    a = p.parse_args()
    fn, config = SCENARIOS[a.scenario]
    sess = guienv.GuiSession(a.artifacts, a.scenario)
    server = RefServer(a.server)

    def body():
        sess.start()
        server.start(config)
        try:
            fn(a, sess, server, guienv.dogtail())
        except guienv.Failure:
            sess.screenshot("failure")
            raise
        finally:
            server.cleanup()
            sess.stop()
    guienv.main_wrapper(body)


if __name__ == "__main__":
    main()
