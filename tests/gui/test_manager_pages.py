"""certlink-manager's pages, driven through the real widgets under Xvfb: home, the certificate list, the APID
page (copy to the clipboard, send by mail through the desktop's mailto: handler), the settings page (changes
saved, and still there after a restart; the diagnostics button writes an archive), and the whole window in a
Japanese session (ja_JP.UTF-8 generated into the build tree). Screenshots of every page, in both languages.
"""
import json
import os
import socket
import subprocess
import sys
import tarfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import managergui as mg  # noqa: E402
from certlinktest import (PYTHON, Account, RefServer, check, enroll, japanese_locale, log,  # noqa: E402
                          run_main, wait_for)

ARTIFACTS = os.path.join(os.environ.get("CERTLINK_ARTIFACTS", "."), "manager-pages")
BUILD = os.environ["CERTLINK_BUILD_DIR"]
HERE = os.path.dirname(os.path.abspath(__file__))


def fake_mail_client(acct):
    """A desktop's mailto: handler that writes the URI it was given to a file."""
    record = acct.path("mailto-uri")
    script = acct.path("fake-mail")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nprintf '%s' \"$1\" > {record}\n")
    os.chmod(script, 0o755)
    apps = os.path.join(acct.env["XDG_DATA_HOME"], "applications")
    os.makedirs(apps, exist_ok=True)
    with open(os.path.join(apps, "fake-mail.desktop"), "w") as f:
        f.write(f"[Desktop Entry]\nType=Application\nName=Fake mail\nExec={script} %u\n"
                "MimeType=x-scheme-handler/mailto;\n")
    os.makedirs(acct.env["XDG_CONFIG_HOME"], exist_ok=True)
    with open(os.path.join(acct.env["XDG_CONFIG_HOME"], "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/mailto=fake-mail.desktop\n")
    return record


def checked(node):
    import pyatspi
    return node.getState().contains(pyatspi.STATE_CHECKED)


def switch(page, name):
    return wait_for(f"switch '{name}'", lambda: next(iter(mg.find_all(
        page, lambda n: n.roleName == "check box" and n.name == name)), None))


def english(display, acct, server, serial, apid):
    mail_record = fake_mail_client(acct)
    mgr = mg.Manager(acct, ["--page", "home"])
    try:
        tree = mg.dogtail()
        app = mgr.node(tree)
        mg.window(app, "Certificate Manager")
        home = mg.page(app, "Certificate Manager")
        display.screenshot("01-home")

        mg.press(home, "Certificates")
        mg.window(app, "Certificates")
        mg.row(mg.page(app, "Certificates"), f"serial {serial}")
        display.screenshot("02-list")

        # APID: shown, copied, mailed
        mg.press(app, "Back")
        mg.press(home, "APID")
        page = mg.page(app, "APID")
        mg.label(page, apid)
        check(True, f"the APID page shows {apid}, the APID the server recorded for this device")
        display.screenshot("03-apid")
        mg.press(page, "Copy")
        mg.label(page, "The APID was copied to the clipboard.")
        got = subprocess.run([PYTHON, os.path.join(HERE, "clipboard.py")], capture_output=True, text=True,
                             timeout=60, env={**os.environ, **acct.env})
        check(got.stdout == apid, f"the clipboard holds the APID ({got.stdout!r})")
        mg.press(page, "Send by e-mail")
        uri = wait_for("the mail program to be started", lambda: os.path.exists(mail_record) and
                       open(mail_record).read())
        parts = urllib.parse.urlsplit(uri)
        query = urllib.parse.parse_qs(parts.query)
        check(parts.scheme == "mailto", f"a mailto: link went to the mail program ({uri[:60]}...)")
        host = socket.gethostname().split(".")[0]
        check(query["subject"][0] == f"certlink APID for {host}",
              f"the subject names the product, what is sent and the computer ({query['subject'][0]})")
        check(apid in query["body"][0] and "certlink APID" in query["body"][0], "and the APID in the body")
        mg.label(page, "A new message with the APID was opened in your mail program.")

        # settings: changed through the switches and the spin button, saved at once
        mg.press(app, "Back")
        mg.press(home, "Settings")
        page = mg.page(app, "Settings")
        display.screenshot("04-settings")
        check(checked(switch(page, "Notify when a certificate has expired")), "notify after expiry is on by default")
        check(not checked(switch(page, "Reuse the existing key when renewing")), "key reuse is off by default")
        check(checked(switch(page, "Notify the result of enrollments run by scripts")),
              "results of scripts' runs are notified by default")
        switch(page, "Notify when a certificate has expired").doActionNamed("toggle")
        switch(page, "Notify the result of enrollments run by scripts").doActionNamed("toggle")
        switch(page, "Do not use a proxy").doActionNamed("toggle")
        switch(page, "Reuse the existing key when renewing").doActionNamed("toggle")
        mg.focus_window("Settings")
        mg.keys("alt+d")  # the mnemonic of "Days before expiry" focuses its spin button
        mg.type_text(mg.window(app, "Settings"), "30")
        mg.keys("Tab")
        want = {"notify_expired": False, "notify_before": True, "notify_days": 30, "no_proxy": True,
                "reuse_key": True, "notify_result": False}
        wait_for("settings.json to hold the changes", lambda: acct.settings() == want)
        check(True, f"settings.json: {json.dumps(acct.settings())}")
        mg.label(page, "Settings saved.")
        display.screenshot("05-settings-changed")

        # diagnostics from the button
        mg.press(page, "Save diagnostics")
        saved = mg.label_containing(page, "Saved to ", timeout=120).name
        path = saved[len("Saved to "):]
        with tarfile.open(path, "r:gz") as t:
            names = t.getnames()
        check("certlink-diagnostics/settings.json" in names and "certlink-diagnostics/records-user.json" in names,
              f"the diagnostics button wrote {path}")
        display.screenshot("06-diagnostics")
    finally:
        mgr.stop()

    # a restart shows what was saved
    mgr = mg.Manager(acct, ["--page", "settings"])
    try:
        tree = mg.dogtail()
        app = mgr.node(tree)
        mg.window(app, "Settings")
        page = mg.page(app, "Settings")
        wait_for("the saved settings on show", lambda: not checked(switch(page, "Notify when a certificate has expired")))
        check(checked(switch(page, "Notify before a certificate expires")), "after a restart: notify before is on")
        check(checked(switch(page, "Do not use a proxy")), "no proxy is on")
        check(checked(switch(page, "Reuse the existing key when renewing")), "key reuse is on")
        check(not checked(switch(page, "Notify the result of enrollments run by scripts")),
              "scripts' results are off")
        spin = next(iter(mg.find_all(page, lambda n: n.roleName == "spin button")))
        check(spin.queryValue().currentValue == 30, "and the window is 30 days")
        display.screenshot("07-settings-after-restart")
    finally:
        mgr.stop()


def japanese(display, acct, serial):
    ja = japanese_locale(BUILD)
    mgr = mg.Manager(acct, ["--page", "home"], env_extra=ja)
    try:
        tree = mg.dogtail()
        app = mgr.node(tree)
        mg.window(app, "証明書マネージャー")
        home = mg.page(app, "証明書マネージャー")
        mg.label(home, "何をしますか?")
        check(True, "in ja_JP.UTF-8 the window is Japanese")
        display.screenshot("11-ja-home")
        mg.press(home, "証明書")
        page = mg.page(app, "証明書")
        r = mg.row(page, f"シリアル番号 {serial}")
        check("インストール済み" in mg.row_texts(r), "the list says インストール済み")
        display.screenshot("12-ja-list")
        mg.press(app, "戻る")
        mg.press(home, "APID")
        apid_page = mg.page(app, "APID")
        mg.label(apid_page, "このデバイスの APID")
        display.screenshot("13-ja-apid")
        record = acct.path("mailto-uri")
        if os.path.exists(record):
            os.unlink(record)
        mg.press(apid_page, "メールで送る")
        uri = wait_for("the mail program to be started", lambda: os.path.exists(record) and open(record).read())
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
        host = socket.gethostname().split(".")[0]
        check(query["subject"][0] == f"{host} の certlink APID",
              f"the subject is Japanese and names the product and the computer ({query['subject'][0]})")
        mg.press(app, "戻る")
        mg.press(home, "設定")
        mg.label(mg.page(app, "設定"), "スクリプトによる証明書の取得結果を通知する")
        display.screenshot("14-ja-settings")
        mg.press(app, "戻る")
        mg.press(home, "新しい証明書")
        wiz = mg.window(app, "新しい証明書")
        mg.label(wiz, "どの登録サーバーですか? 名前とポートは管理者が知らせます。")
        display.screenshot("15-ja-wizard")
        mg.press(wiz, "キャンセル")
    finally:
        mgr.stop()


def body():
    display = mg.Display(ARTIFACTS)
    acct = Account("gui-pages")
    server = RefServer()
    try:
        serial = enroll(acct, server)
        apps = json.loads(server.srv.cli("app-list").stdout)
        apid = next(a["apid"] for a in apps if a.get("certificate_serial") == serial)
        english(display, acct, server, serial, apid)
        japanese(display, acct, serial)
        log("pages checked in English and Japanese")
    except Exception:
        display.screenshot("failure")
        raise
    finally:
        server.stop()
        acct.cleanup()
        display.stop()


if __name__ == "__main__":
    run_main(body)
