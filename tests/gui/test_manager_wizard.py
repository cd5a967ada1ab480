"""certlink-manager's New-certificate wizard, driven through its real widgets under Xvfb against certlink-server:
server and port, the trust question (with the server CA's real fingerprint), store, user and password,
invitation code / e-mail / reason / the device note under the server's own label, the confirmation summary,
the question whether to install the CA as trusted (answered Trust), and the result. Checks the certificate is installed and recorded, and that the server received exactly what
was typed. Then a second application, cancelled while it waits for approval: the result says it stays
pending and can be activated later, and it does (records, server, list).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import managergui as mg  # noqa: E402
from certlinktest import Account, RefServer, check, log, run_main, wait_for  # noqa: E402

ARTIFACTS = os.path.join(os.environ.get("CERTLINK_ARTIFACTS", "."), "manager-wizard")


def ca_fingerprint(server):
    out = subprocess.run(["openssl", "x509", "-in", os.path.join(server.srv.state, "ca.pem"), "-noout",
                          "-fingerprint", "-sha256"], capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].upper()


def cancel_while_waiting(display, app, home, acct, server, reason):
    """Issue 10 point 5: Cancel while the application waits for approval says what is true: it was sent, it
    stays pending at the server and in the list, and it can be activated later."""
    server.config("auto_approve", "false")
    server.config("device_note", "off")
    mg.press(home, "New certificate")
    wiz = mg.window(app, "New certificate")
    mg.type_text(wiz, "127.0.0.1")
    mg.keys("Tab")
    mg.type_text(wiz, str(server.srv.port))
    mg.keys("Tab")
    mg.press(wiz, "Next")
    mg.press(mg.window(app, "Where should the certificate go?", timeout=120), "Continue")

    def next_question():
        names = [w.name for w in app.children]
        return next((n for n in ("Confirm the server", "Sign in") if n in names), None)
    if wait_for("the next question", next_question, 120) == "Confirm the server":
        mg.press(mg.window(app, "Confirm the server"), "Trust and Continue")
    sign_in = mg.window(app, "Sign in", timeout=120)
    wait_for("the user entry to have the focus", lambda: (mg.focused(sign_in) or None) and
             mg.focused(sign_in).name == "User ID")
    mg.type_text(sign_in, "alice")
    mg.keys("Tab")
    mg.type_text(sign_in, server.password)
    mg.press(sign_in, "Sign In")
    fields = mg.window(app, "A few details", timeout=120)
    wait_for("the first field to have the focus", lambda: (mg.focused(fields) or None) and
             mg.focused(fields).name.startswith("Invitation code"))
    mg.keys("Tab", "Tab")
    mg.type_text(fields, reason)
    mg.press(fields, "Continue")
    mg.label(wiz, "Check and apply", timeout=60)
    mg.press(wiz, "Apply")

    stage = mg.label(wiz, "Waiting for approval", timeout=120)
    pending = wait_for("the application on record", lambda: next(
        (a for a in acct.records()["applications"] if a.get("state") == "pending"), None), 60)
    display.screenshot("11-waiting")
    # the progress page's Cancel (the server page, still in the tree, has one that closes the window)
    mg.press(stage.parent.parent, "Cancel")
    mg.label(wiz, "Your application is waiting for approval", timeout=60)
    mg.label(wiz, "You stopped waiting, but the application stays at the server and in the certificate "
             "list. Once the administrator approves it, choose Activate there.")
    check(not any(n == "Cancelled" or n == "Nothing more was done." for n in mg.labels(wiz)),
          "the result does not claim that nothing was done")
    display.screenshot("12-cancelled-waiting")
    check(next(a for a in acct.records()["applications"] if a["id"] == pending["id"])["state"] == "pending",
          "the application is still pending on record")
    at_server = next(a for a in json.loads(server.app_list()) if a["id"] == pending["server_id"])
    check(at_server["state"] == "pending", f"and at the server ({at_server['state']})")
    mg.press(wiz, "Close")
    mg.window_gone(app, "New certificate")
    r = mg.row(mg.page(app, "Certificates"), f"application {pending['id']}")
    check("Pending approval" in mg.row_texts(r), "the list shows it as Pending approval, to activate later")
    display.screenshot("13-list-pending")


def body():
    display = mg.Display(ARTIFACTS)
    acct = Account("gui-wizard")
    server = RefServer()
    server.config("reason", "required")
    server.config("device_note", "optional")
    server.config("device_note_label", "Asset tag")
    mgr = None
    email = "alice.wizard@example.com"
    reason = "new laptop for the lab"
    asset = "LAB-0042"
    try:
        mgr = mg.Manager(acct, ["--page", "home"])
        tree = mg.dogtail()
        app = mgr.node(tree)
        mg.window(app, "Certificate Manager")
        home = mg.page(app, "Certificate Manager")
        display.screenshot("01-home")
        mg.press(home, "New certificate")

        wiz = mg.window(app, "New certificate")
        display.screenshot("02-server")
        mg.type_text(wiz, "127.0.0.1")  # the server entry has the focus
        mg.keys("Tab")
        mg.type_text(wiz, str(server.srv.port))
        mg.keys("Tab")
        display.screenshot("03-server-filled")
        mg.press(wiz, "Next")

        # the questions come in the handler's dialogs (ui/*-dialog.c), reused by the manager; the core asks
        # for the store first: it says where a remembered server CA would be kept
        store = mg.window(app, "Where should the certificate go?", timeout=120)
        display.screenshot("04-store")
        mg.press(store, "Continue")

        # trust: the fingerprint shown is the server CA's
        trust = mg.window(app, "Confirm the server", timeout=120)
        fp = ca_fingerprint(server)
        mg.label(trust, fp)
        check(True, f"the trust question shows the server CA's SHA-256 {fp[:23]}...")
        display.screenshot("05-trust")
        mg.press(trust, "Trust and Continue")

        sign_in = mg.window(app, "Sign in", timeout=120)
        mg.label(sign_in, "Sign in to certlink enrollment")
        wait_for("the user entry to have the focus", lambda: (mg.focused(sign_in) or None) and
                 mg.focused(sign_in).name == "User ID")
        mg.type_text(sign_in, "alice")
        mg.keys("Tab")
        mg.type_text(sign_in, server.password)
        display.screenshot("06-credentials")
        mg.press(sign_in, "Sign In")

        # fields as the server configured them: the device note under its label "Asset tag"
        fields = mg.window(app, "A few details", timeout=120)
        mg.label(fields, "Asset tag (optional)")
        cont = mg.control(fields, "push button", "Continue")
        check(not cont.sensitive, "Continue waits for the required reason")
        wait_for("the first field to have the focus", lambda: (mg.focused(fields) or None) and
                 mg.focused(fields).name.startswith("Invitation code"))
        mg.keys("Tab")
        mg.type_text(fields, email)
        mg.keys("Tab")
        mg.type_text(fields, reason)
        mg.keys("Tab")
        mg.type_text(fields, asset)
        display.screenshot("07-fields")
        mg.press(fields, "Continue")

        # the confirmation, in the wizard window
        mg.label(wiz, "Check and apply", timeout=60)
        for value in (email, reason, asset, "alice", "User store", "Asset tag"):
            mg.label(wiz, value)
        check(True, "the summary shows the user, store, e-mail, reason and the asset tag under its label")
        display.screenshot("08-confirm")
        mg.press(wiz, "Apply")

        # after issuance: install the server's CA as trusted? A separate consent from trusting the server
        # for the connection above (issue 9), asked in the handler's dialog with its fingerprint
        ca_q = mg.window(app, "Trust a certificate authority", timeout=180)
        mg.label(ca_q, fp)
        mg.label(ca_q, "Install this certificate authority as trusted?")
        display.screenshot("08b-trust-ca")
        mg.press(ca_q, "Trust")

        mg.label(wiz, "The certificate is installed", timeout=180)
        mg.label_containing(wiz, "Certificate authorities added as trusted: 1")
        display.screenshot("09-result")
        mg.press(wiz, "Close")

        certs = acct.records()["certificates"]
        check(len(certs) == 1 and certs[0]["user"] == "alice", "one certificate for alice is recorded")
        serial = certs[0]["serial"]
        check(os.path.exists(os.path.join(acct.cert_dir(serial), "cert.pem")), "its file is in the user store")
        apps = json.loads(server.srv.cli("app-list").stdout)
        sent = next(a for a in apps if a.get("certificate_serial") == serial)
        check(sent["email"] == email, "the server got the e-mail address")
        check(sent["device_note"] == asset, "the server got the asset tag as the device note")
        check(sent["reason"].endswith(": " + reason) and sent["reason"].startswith("["),
              f"the server got the reason after the device prefix ({sent['reason']})")
        with open(os.path.join(acct.env["XDG_DATA_HOME"], "certlink", "anchors",
                               fp.replace(":", "").lower() + ".pem")) as f:
            check("BEGIN CERTIFICATE" in f.read(), "after the yes, the server's CA is a certlink trust anchor")

        mg.press(home, "Certificates")
        mg.row(mg.page(app, "Certificates"), f"serial {serial}")
        display.screenshot("10-list")
        log(f"wizard enrolled {serial}")

        cancel_while_waiting(display, app, home, acct, server, reason)
    except Exception:
        display.screenshot("failure")
        if mgr:
            log("manager output:\n" + mgr.log_text())
        raise
    finally:
        if mgr:
            mgr.stop()
        server.stop()
        acct.cleanup()
        display.stop()


if __name__ == "__main__":
    run_main(body)
