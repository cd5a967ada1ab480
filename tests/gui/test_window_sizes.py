#!/usr/bin/python3
"""Every window a person meets, in English and Japanese, on a 1280 x 720 screen (label gui).

certlink-handler and certlink-manager run against certlink-server under Xvfb and are driven through their real
widgets (AT-SPI, dogtail; typing with xdotool) through every dialog and page: the handler's progress window,
store, server-trust, sign-in, fields and CA-trust dialogs, the waiting stage, the end page, the renewal
confirmation, a failure page and the pending page; the manager's home, list, details, settings and APID pages,
the delete confirmation, withdraw, re-apply and activate, the renewal (confirmation, sign-in, result), the
notification-driven renewal and the New-certificate wizard (server page, questions, summary, progress,
result).

At each step the windows report their sizes through the size probe (ui/size-probe.c: SIGUSR1, one JSON line
per window with its allocation and what gtk_widget_measure() says its content needs). The test fails when a
window is wider or taller than the screen, or, for every window but the manager's main window (which keeps
the size a person gives it), clearly larger than its content: more than SLACK_PX or SLACK_RATIO beyond its
natural size. It also fails when a wrapping label (a title, a message) leaves a single character on a line of
its own, as a Japanese title did.

Each window is saved, cropped to itself, as CERTLINK_ARTIFACTS/window-sizes/LANG/KEY.png. With
CERTLINK_DOCS_IMAGES=DIR the same pictures go to DIR/LANG/KEY.png as well, reduced to 256 colours
(tests/gui/user-guide-images.sh makes docs/images, the user guide's pictures, this way). Then the homes are
/home/LANG-akira and /home/LANG-chiyo, as a person's would be; they must not exist, and are removed after.
"""
import datetime
import gettext
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import managergui as mg  # noqa: E402
from certlinktest import Account, RefServer, check, japanese_locale, log, run_main, wait_for  # noqa: E402

BUILD = os.environ["CERTLINK_BUILD_DIR"]
HANDLER = os.environ.get("CERTLINK_HANDLER_BIN", os.path.join(BUILD, "handler", "certlink-handler"))
ARTIFACTS = os.path.join(os.environ.get("CERTLINK_ARTIFACTS", "."), "window-sizes")
DOCS_IMAGES = os.environ.get("CERTLINK_DOCS_IMAGES")
HANDLER_LSAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "handler", "lsan.supp")
LOCALEDIR = os.environ.get("CERTLINK_LOCALEDIR", os.path.join(BUILD, "locale"))
SCREEN = (1280, 720)
SLACK_PX, SLACK_RATIO = 32, 0.10
MAIN_WINDOWS = {"CertlinkManagerWindow"}  # a main window keeps the size the person gives it
PASSWORD = "Window-Sizes-7"
PROBLEMS = []  # windows that do not fit, found on the way
SHOTS = []
REASON = "new laptop for the lab"
ASSET = "LAB-0042"


class Lang:
    """The language a walk runs in: its environment and the catalogue the programs use."""

    def __init__(self, code):
        self.code = code
        if code == "ja":
            self.env = japanese_locale(BUILD)
            self.catalog = gettext.translation("certlink", LOCALEDIR, languages=["ja"])
        else:
            self.env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LANGUAGE": ""}
            self.catalog = gettext.NullTranslations()

    def __call__(self, msgid):
        return self.catalog.gettext(msgid)


def plain(text):
    """What a person reads on a control: without the mnemonic's underscore or its "(_X)" suffix."""
    return re.sub(r"\(_?[A-Za-z]\)$", "", text or "").replace("_", "").strip()


class Probe:
    """The size probe of one process (ui/size-probe.c)."""

    def __init__(self, path):
        self.path = path
        self.reset()

    def reset(self):
        """For a new process: its probes count from 1 again."""
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.count = 0

    def windows(self, pid):
        self.count += 1
        os.kill(pid, signal.SIGUSR1)
        want = self.count

        def read():
            try:
                with open(self.path) as f:
                    lines = [json.loads(line) for line in f if line.strip()]
            except FileNotFoundError:
                return None
            if not any(x.get("done") and x["probe"] == want for x in lines):
                return None
            return [x for x in lines if x["probe"] == want and not x.get("done")] or [{}]
        got = wait_for("the size probe's answer", read, timeout=30, interval=0.1)
        return [w for w in got if w]


def too_large(w):
    """Why window W (a probe line) does not fit the screen or its content, or None."""
    if w["width"] > SCREEN[0] or w["height"] > SCREEN[1]:
        return f"{w['width']}x{w['height']} does not fit a {SCREEN[0]}x{SCREEN[1]} screen"
    if w["min_width"] > SCREEN[0] or w["min_height"] > SCREEN[1]:
        return f"its minimum size {w['min_width']}x{w['min_height']} does not fit the screen"
    if w["type"] in MAIN_WINDOWS:
        return None
    want_w = max(w["nat_width"], w["min_width"])
    if w["width"] > want_w + max(SLACK_PX, SLACK_RATIO * want_w):
        return f"{w['width']} wide, its content needs {want_w}"
    if w["height"] > w["nat_height"] + max(SLACK_PX, SLACK_RATIO * w["nat_height"]):
        return f"{w['height']} high, its content needs {w['nat_height']} at that width"
    return None


class Walk:
    """One language's walk through the windows of one program at a time."""

    def __init__(self, display, lang, acct, server):
        self.display, self.tr, self.acct, self.server = display, lang, acct, server
        self.lang = lang
        self.dir = os.path.join(ARTIFACTS, lang.code)
        os.makedirs(self.dir, exist_ok=True)
        self.probe = Probe(acct.path(f"size-probe-{lang.code}.jsonl"))
        self.proc = None
        self.app = None
        self.shots = []

    # ---- programs ----
    def env(self, extra=None):
        env = dict(self.acct.env)
        env.update(self.lang.env)
        env["CERTLINK_UI_SIZE_PROBE"] = self.probe.path
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")  # GTK and fontconfig keep caches for the process
        # no GL on Xvfb: Mesa's driver, unloaded at exit, would show as a leak of an unknown module (guienv.py)
        env.update({"GDK_DEBUG": "gl-disable", "GSK_RENDERER": "cairo"})
        env.update(extra or {})
        return env

    def start_handler(self, link):
        log(f"[{self.lang.code}] certlink-handler {link.split('?')[0]}")
        self.probe.reset()
        # the handler's own leak suppressions (what GTK's dependencies keep for the process)
        env = self.env({"LSAN_OPTIONS": "suppressions=" + HANDLER_LSAN})
        with open(os.path.join(ARTIFACTS, f"handler-{self.lang.code}.log"), "ab") as err:
            self.proc = subprocess.Popen([HANDLER, link], env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        self.app = wait_for("certlink-handler on the accessibility bus", lambda: next(
            (a for a in mg.dogtail().root.applications() if a.name == "certlink-handler"), None), 60)
        return self.proc

    def start_manager(self, *args):
        self.probe.reset()
        self.manager = mg.Manager(self.acct, list(args), env_extra=self.env())
        self.proc = self.manager.proc
        self.app = None
        self.app = self.manager.node(mg.dogtail())
        return self.manager

    def end_handler(self, want_rc):
        self.press(self.window(self.tr("Certificate Enrollment")), "C_lose")
        rc = self.proc.wait(60)
        check(rc == want_rc, f"[{self.lang.code}] certlink-handler exited with {rc} (want {want_rc})")

    # ---- windows ----
    def sizes(self):
        return self.probe.windows(self.proc.pid)

    def wait_type(self, type_name, what, timeout=120):
        return wait_for(what, lambda: next((w for w in self.sizes() if w["type"] == type_name), None), timeout,
                        interval=0.3)

    def window(self, title, timeout=120):
        return wait_for(f"window '{title}'", lambda: next(
            (w for w in self.app.children if w.name == title), None), timeout)

    def flow(self, op_title, timeout=120):
        """An operation's window: its title is the operation and what it works on ("Withdraw: alice (...)")."""
        return wait_for(f"window '{op_title}: ...'", lambda: next(
            (w for w in self.app.children if (w.name or "").startswith(op_title + self.tr("%s: %s")[2:-2])),
            None), timeout)

    def gone(self, title, timeout=60):
        wait_for(f"window '{title}' to close", lambda: not any(w.name == title for w in self.app.children),
                 timeout)

    def text(self, node, msgid, timeout=120, partial=False):
        want = self.tr(msgid)
        return wait_for(f"text '{want}'", lambda: next(iter(mg.find_all(node, lambda n: n.roleName == "label" and (
            want in mg.unwrapped(n.name) if partial else mg.unwrapped(n.name) == want))), None), timeout)

    def control(self, node, msgid, role="push button"):
        want = plain(self.tr(msgid))

        def pred(n):
            if n.roleName != role:
                return False
            return plain(n.name) == want or any(c.roleName == "label" and plain(c.name) == want
                                                for c in n.children)
        hits = mg.find_all(node, pred)
        return hits[0] if hits else None

    def press(self, node, msgid, role="push button", timeout=60):
        target = wait_for(f"{role} '{self.tr(msgid)}'", lambda: self.control(node, msgid, role), timeout)
        wait_for(f"'{self.tr(msgid)}' to be enabled", lambda: target.sensitive, timeout)
        log(f"[{self.lang.code}] press '{plain(self.tr(msgid))}'")
        names = list(target.actions.keys())
        target.doActionNamed(next((a for a in ("click", "activate", "press", "toggle") if a in names), names[0]))

    def type_in(self, probe_line, text, keys_before=()):
        """Type into the focused field of the window the probe line describes (X focus by its window id)."""
        subprocess.run(["xdotool", "windowfocus", "--sync", str(probe_line["xid"])], check=True, timeout=30)
        time.sleep(0.2)
        for k in keys_before:
            subprocess.run(["xdotool", "key", k], check=True, timeout=30)
        subprocess.run(["xdotool", "type", "--delay", "25", text], check=True, timeout=60,
                       env=dict(os.environ, LC_ALL="C.UTF-8"))
        time.sleep(0.2)

    def row_menu(self, page, text, item_msgid):
        row = mg.row(page, text)
        actions = plain(self.tr("Actions"))
        toggle = wait_for("the row's Actions button", lambda: next(iter(mg.find_all(
            row, lambda n: n.roleName in ("push button", "toggle button") and plain(n.name) == actions and
            "click" in n.actions)), None))
        toggle.doActionNamed("click")
        name = self.tr(item_msgid)
        item = wait_for(f"menu item '{name}'", lambda: next(iter(mg.find_all(
            self.app, lambda n: n.roleName == "menu item" and n.name == name)), None))
        time.sleep(0.3)
        log(f"[{self.lang.code}] row '{text}': {name}")
        item.doActionNamed("click")

    # ---- the check and the picture ----
    def snap(self, key, type_name, title=None):
        """Check every window's size; save the window of TYPE_NAME (and TITLE) cropped to itself as KEY."""
        time.sleep(0.5)  # a page's crossfade ends, and a window that grows is laid out again
        wins = self.sizes()
        for w in wins:
            why = too_large(w)
            if why:  # every window is looked at before the test fails
                PROBLEMS.append(f"[{self.lang.code}] {key}: {w['type']} '{w['title']}': {why}")
                log("TOO LARGE: " + PROBLEMS[-1])
            for text in w.get("orphans", []):
                PROBLEMS.append(f"[{self.lang.code}] {key}: {w['type']}: one character wraps onto a line of its "
                                f"own in '{text}'")
                log("LONE CHARACTER: " + PROBLEMS[-1])
        target = [w for w in wins if w["type"] == type_name and (title is None or w["title"] == title)]
        check(target, f"[{self.lang.code}] {key}: a {type_name} window is on show ({[w['type'] for w in wins]})")
        w = target[-1]
        path = os.path.join(self.dir, key + ".png")
        subprocess.run(["import", "-window", str(w["xid"]), path], check=False, stderr=subprocess.DEVNULL)
        if DOCS_IMAGES:  # the user guide's copy: 256 colours are plenty for a window, and far smaller
            os.makedirs(os.path.join(DOCS_IMAGES, self.lang.code), exist_ok=True)
            subprocess.run(["convert", path, "-strip", "-colors", "256", "PNG8:" + os.path.join(
                DOCS_IMAGES, self.lang.code, key + ".png")], check=True, timeout=60)
        self.shots.append((key, w))
        SHOTS.append(f"{self.lang.code} {key}: {w['width']}x{w['height']} (content {w['nat_width']}x{w['nat_height']})")
        log(f"[{self.lang.code}] {key}: {w['type']} {w['width']}x{w['height']} -> {path}")
        return w


# ---- the handler ----

def unpinned(link):
    return re.sub(r"&ca=[0-9A-Fa-f:]+", "", re.sub(r"\?ca=[0-9A-Fa-f:]+&?", "?", link))


def invite(server, user, store=None, passwordless=False):
    args = ["invite", "--user", user] + (["--store", store] if store else []) + (["--passwordless"] if passwordless else [])
    return next(line for line in server.srv.cli(*args).stdout.splitlines() if line.startswith("certlink://"))


def server_app(server, user):
    return next((a for a in json.loads(server.srv.cli("app-list").stdout) if a["user"] == user), None)


def answer_fields(wk, shot=None):
    """The server requires a reason and an asset tag: typed into the fields dialog, as a person does."""
    fields = wk.wait_type("CertlinkFieldsDialog", "the fields dialog")
    wk.type_in(fields, REASON)
    wk.type_in(fields, ASSET, keys_before=("Tab",))
    if shot:
        wk.snap(shot, "CertlinkFieldsDialog")
    wk.press(wk.window(fields["title"]), "C_ontinue")


def handler_walk(wk, server, user, pending_user):
    tr = wk.tr
    server.config("approval_poll_timeout", "60")
    # an invitation with no store, a password and no pin: every question the window can ask
    link = unpinned(invite(server, user))
    wk.start_handler(link)
    main = wk.window(tr("Certificate Enrollment"))
    wk.snap("handler-progress", "CertlinkProgressWindow")

    store = wk.wait_type("CertlinkStoreDialog", "the store question")
    wk.snap("handler-store", "CertlinkStoreDialog")
    wk.press(wk.window(store["title"]), "C_ontinue")

    trust = wk.wait_type("CertlinkTrustDialog", "the server-trust question")
    wk.snap("handler-trust-server", "CertlinkTrustDialog")
    wk.press(wk.window(trust["title"]), "_Trust and Continue")

    sign_in = wk.wait_type("CertlinkCredentialsDialog", "the sign-in dialog")
    wk.type_in(sign_in, PASSWORD)
    wk.snap("handler-credentials", "CertlinkCredentialsDialog")
    wk.press(wk.window(sign_in["title"]), "_Sign In")

    answer_fields(wk, shot="handler-fields")

    wk.text(main, "Waiting for approval")
    wk.snap("handler-waiting", "CertlinkProgressWindow")
    server.approve(wait_for("the application at the server", lambda: server_app(server, user))["id"])

    ca = wk.wait_type("CertlinkTrustDialog", "the CA question")
    wk.snap("handler-trust-ca", "CertlinkTrustDialog")
    wk.press(wk.window(ca["title"]), "_Don't Trust")
    wk.text(main, "Certificate installed", timeout=180)
    cert = next(c for c in wk.acct.records()["certificates"] if c.get("user") == user)
    # the end page gives the locale's full date, never an ambiguous 12/04/27
    until = datetime.datetime.strptime(cert["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).astimezone()
    want = (f"{until.year}年{until.month}月{until.day}日" if wk.lang.code == "ja"
            else f"{until.day} {until.strftime('%B')} {until.year}")
    wait_for(f"the end page's date '{want}'", lambda: any(want in (n or "") for n in mg.labels(main)), 30)
    check(True, f"[{wk.lang.code}] the end page says the certificate is valid until {want}")
    wk.snap("handler-installed", "CertlinkProgressWindow")
    wk.end_handler(0)

    # a renew link for it: the confirmation, answered Cancel
    ca_der = subprocess.run(["openssl", "x509", "-in", os.path.join(server.srv.state, "ca.pem"), "-outform", "DER"],
                            capture_output=True, check=True).stdout
    wk.start_handler(f"certlink://127.0.0.1:{server.srv.port}/renew?v=1&user={user}&serial={cert['serial']}"
                     f"&ca={hashlib.sha256(ca_der).hexdigest()}")
    main = wk.window(tr("Certificate Enrollment"))
    renew = wk.wait_type("CertlinkRenewDialog", "the renewal confirmation")
    wk.snap("handler-renew", "CertlinkRenewDialog")
    wk.press(wk.window(renew["title"]), "_Cancel")
    wk.text(main, "The certificate was not renewed.")
    wk.snap("handler-not-renewed", "CertlinkProgressWindow")
    wk.end_handler(120)

    # a link whose pin is not the server's: the failure page
    good = invite(server, pending_user, store="user", passwordless=True)
    wk.start_handler(re.sub(r"ca=[0-9A-Fa-f:]+", "ca=" + "00" * 32, good))
    main = wk.window(tr("Certificate Enrollment"))
    wk.text(main, "The enrollment server could not be reached, or its identity could not be confirmed.",
            timeout=180)
    wk.snap("handler-failed", "CertlinkProgressWindow")
    wk.end_handler(200)

    # nobody approves: the pending page once the server's time to wait is over
    server.config("approval_poll_timeout", "10")
    wk.start_handler(invite(server, pending_user, store="user", passwordless=True))
    main = wk.window(tr("Certificate Enrollment"))
    answer_fields(wk)
    wk.text(main, "Waiting for approval")
    wk.text(main, "Your application was sent and is waiting for the administrator's approval. It stays on record: "
            "click the link again later, or open Certificate Manager, to finish.", timeout=120)
    wk.snap("handler-pending", "CertlinkProgressWindow")
    wk.end_handler(0)
    return cert["serial"]


# ---- the manager ----

def manager_walk(wk, server, serial, pending_user):
    tr = wk.tr
    wk.start_manager("--page", "home")
    app = wk.app
    home = mg.page(app, tr("Certificate Manager"))
    wk.snap("manager-home", "CertlinkManagerWindow")
    wk.press(home, "Certificates")
    certs = mg.page(app, tr("Certificates"))
    mg.row(certs, serial)
    wk.snap("manager-list", "CertlinkManagerWindow")

    wk.row_menu(certs, serial, "Details")
    details = wk.wait_type("CertlinkManagerDetails", "the details window")
    wk.snap("manager-details", "CertlinkManagerDetails")
    wk.press(wk.window(details["title"]), "Close")
    wk.gone(details["title"])

    wk.row_menu(certs, serial, "Delete")
    confirm = wk.wait_type("CertlinkManagerConfirm", "the delete confirmation")
    wk.snap("manager-delete-confirm", "CertlinkManagerConfirm")
    wk.press(wk.window(confirm["title"]), "Cancel")
    wk.gone(confirm["title"])

    # the pending application: withdraw (confirmed), re-apply, then activate once approved
    app_id = next(a["id"] for a in wk.acct.records()["applications"] if a.get("user") == pending_user)
    wk.row_menu(certs, app_id, "Withdraw")
    confirm = wk.wait_type("CertlinkManagerConfirm", "the withdraw confirmation")
    wk.snap("manager-withdraw-confirm", "CertlinkManagerConfirm")
    wk.press(wk.window(confirm["title"]), "Withdraw")
    flow = wk.flow(tr("Withdraw"))
    wk.text(flow, "Withdrawn")
    wk.snap("manager-withdrawn", "CertlinkManagerFlow")
    wk.press(flow, "Close")
    wk.gone(flow.name)

    wk.row_menu(certs, app_id, "Re-apply")
    flow = wk.flow(tr("Re-apply"))
    wk.text(flow, "Re-applied")
    wk.snap("manager-reapplied", "CertlinkManagerFlow")
    wk.press(flow, "Close")
    wk.gone(flow.name)

    server.approve(server_app(server, pending_user)["id"])
    wk.row_menu(certs, app_id, "Activate")
    flow = wk.flow(tr("Activate the application"))
    ca = wk.wait_type("CertlinkTrustDialog", "the CA question")
    wk.press(wk.window(ca["title"]), "_Don't Trust")
    wk.text(flow, "The certificate is installed", timeout=180)
    wk.snap("manager-activated", "CertlinkManagerFlow")
    wk.press(flow, "Close")
    wk.gone(flow.name)

    # renew the first certificate from its row: the confirmation, the password, the result
    server.config("auto_approve", "true")
    wk.row_menu(certs, serial, "Renew")
    renew = wk.wait_type("CertlinkRenewDialog", "the renewal confirmation")
    wk.snap("manager-renew-confirm", "CertlinkRenewDialog")
    wk.press(wk.window(renew["title"]), "_Renew")
    sign_in = wk.wait_type("CertlinkCredentialsDialog", "the sign-in dialog")
    wk.type_in(sign_in, PASSWORD)
    wk.snap("manager-renew-sign-in", "CertlinkCredentialsDialog")
    wk.press(wk.window(sign_in["title"]), "_Sign In")
    answer_fields(wk)
    flow = wk.wait_type("CertlinkManagerFlow", "the renewal window")
    flow_node = wk.window(flow["title"])
    wk.text(flow_node, "The certificate was renewed", timeout=180)
    wk.snap("manager-renewed", "CertlinkManagerFlow")
    wk.press(flow_node, "Close")
    wk.gone(flow["title"])
    server.config("auto_approve", "false")

    wk.press(app, "Back")
    wk.press(home, "Settings")
    mg.page(app, tr("Settings"))
    wk.snap("manager-settings", "CertlinkManagerWindow")
    wk.press(app, "Back")
    wk.press(home, "APID")
    apid = mg.page(app, "APID")
    wait_for("the APID", lambda: any(re.fullmatch(r"[0-9A-Za-z-]{8,}", n or "") for n in mg.labels(apid)))
    wk.snap("manager-apid", "CertlinkManagerWindow")
    wk.press(app, "Back")

    # a click on an expiry notification: `certlink-manager --renew SERIAL`, handed to this window
    newest = max(wk.acct.records()["certificates"], key=lambda c: c["not_before"])
    second = subprocess.Popen([mg.MANAGER, "--renew", newest["serial"]], env=wk.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    renew = wk.wait_type("CertlinkRenewDialog", "the renewal confirmation")
    flow = next(w for w in wk.sizes() if w["type"] == "CertlinkManagerFlow")
    check(newest["serial"] not in flow["title"] and newest["subject"].split("CN=")[-1].split(",")[0] in flow["title"],
          f"[{wk.lang.code}] the renewal window's title names the certificate, not its serial ({flow['title']})")
    wk.snap("manager-renew-from-notification", "CertlinkRenewDialog")
    wk.press(wk.window(renew["title"]), "_Cancel")
    wk.press(wk.window(flow["title"]), "Close")
    second.wait(60)
    wk.manager.stop()


def wizard_walk(wk, server, wizard_user):
    """The New-certificate wizard, every page, for an account with no certificate yet."""
    tr = wk.tr
    wk.start_manager("--page", "home")
    app = wk.app
    home = mg.page(app, tr("Certificate Manager"))
    # the New-certificate wizard, every page
    wk.press(home, "New certificate")
    wiz = wk.wait_type("CertlinkManagerFlow", "the wizard")
    wiz_node = wk.window(wiz["title"])
    wk.type_in(wiz, "127.0.0.1")
    wk.type_in(wiz, str(server.srv.port), keys_before=("Tab", "ctrl+a"))
    subprocess.run(["xdotool", "key", "Tab"], check=True, timeout=30)
    wk.snap("manager-wizard-server", "CertlinkManagerFlow")
    wk.press(wiz_node, "Next")
    store = wk.wait_type("CertlinkStoreDialog", "the store question")
    wk.press(wk.window(store["title"]), "C_ontinue")
    trust = wk.wait_type("CertlinkTrustDialog", "the server-trust question")
    wk.press(wk.window(trust["title"]), "_Trust and Continue")
    sign_in = wk.wait_type("CertlinkCredentialsDialog", "the sign-in dialog")
    wk.type_in(sign_in, wizard_user, keys_before=("ctrl+a", "BackSpace"))
    wk.type_in(sign_in, PASSWORD, keys_before=("Tab",))
    wk.press(wk.window(sign_in["title"]), "_Sign In")
    answer_fields(wk)
    wk.text(wiz_node, "Check and apply")
    wk.snap("manager-wizard-summary", "CertlinkManagerFlow")
    wk.press(wiz_node, "Apply")
    wk.text(wiz_node, "Waiting for approval")
    wk.snap("manager-wizard-waiting", "CertlinkManagerFlow")
    server.approve(wait_for("the wizard's application at the server", lambda: server_app(server, wizard_user))["id"])
    ca = wk.wait_type("CertlinkTrustDialog", "the CA question")
    wk.press(wk.window(ca["title"]), "_Don't Trust")
    wk.text(wiz_node, "The certificate is installed", timeout=180)
    wk.snap("manager-wizard-installed", "CertlinkManagerFlow")
    wk.press(wiz_node, "Close")
    wk.gone(wiz["title"])

    wk.manager.stop()


def body():
    display = mg.Display(ARTIFACTS)
    server = RefServer(auto_approve=False)
    for key, value in (("reason", "required"), ("device_note", "required"), ("device_note_label", "Asset tag"),
                       ("approval_poll_interval", "1"), ("invitation_code", "off"), ("email", "off")):
        server.config(key, value)
    accounts = []
    try:
        for code in ("en", "ja"):
            lang = Lang(code)
            users = [f"{code}-{name}" for name in ("akira", "bunta", "chiyo")]
            # the user guide's pictures show the paths a person sees, not the build tree's
            acct = Account(f"gui-sizes-{code}", home=f"/home/{users[0]}" if DOCS_IMAGES else None)
            accounts.append(acct)
            for u in users:
                server.srv.cli("user-add", u, "--password-stdin", input=PASSWORD + "\n")
            wk = Walk(display, lang, acct, server)
            serial = handler_walk(wk, server, users[0], users[1])
            manager_walk(wk, server, serial, users[1])
            fresh = Account(f"gui-sizes-{code}-wizard", home=f"/home/{users[2]}" if DOCS_IMAGES else None)
            accounts.append(fresh)
            wizard_walk(Walk(display, lang, fresh, server), server, users[2])
        log("windows seen:\n  " + "\n  ".join(SHOTS))
        check(not PROBLEMS, "every window fits the screen and its content:\n  " + "\n  ".join(PROBLEMS))
    except Exception:
        display.screenshot("failure")
        raise
    finally:
        server.stop()
        for acct in accounts:
            acct.cleanup()
        display.stop()


if __name__ == "__main__":
    run_main(body)
