"""`certlink check-expiry` against a real certificate that expires in 3 days (certlink-server cert_days 3) and a
stand-in notification server on this test's private session bus (run under dbus-run-session).

Checks what a person would see: a notification before expiry once a day, after expiry at every login, none
when the certificate's switch or the global switch is off, a click that opens the renewal in the manager
(`certlink-manager --renew SERIAL`), Japanese text in a Japanese session, and a clean exit 0 with a log line
when no notification service runs.
"""
import datetime
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from certlinktest import (Account, Failure, Notifyd, RefServer, check, enroll, japanese_locale, log,  # noqa: E402
                          run_main, wait_for)

BUILD = os.environ["CERTLINK_BUILD_DIR"]
HELPER = os.environ["CERTLINK_NOTIFY_HELPER"]


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def body():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise Failure("run under dbus-run-session")
    acct = Account("expiry")
    server = RefServer(cert_days=3)
    notifyd = None
    try:
        serial = enroll(acct, server)
        cert = acct.certificate(serial)
        check(cert is not None and cert["last_notified"] is None, f"certificate {serial} recorded, never notified")
        clicked = acct.path("manager-args")
        fake_manager = acct.path("fake-manager")
        with open(fake_manager, "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" > {clicked}\n")
        os.chmod(fake_manager, 0o755)
        env = {"CERTLINK_NOTIFY_HELPER": HELPER, "CERTLINK_MANAGER": fake_manager}

        notifyd = Notifyd(acct.root)

        # 1. before expiry: one notification, then a click opens the renewal
        proc = subprocess.Popen([os.environ.get("CERTLINK_CLI"), "check-expiry", "--wait", "60"],
                                env={**acct.env, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        got = wait_for("a notification", lambda: notifyd.received())
        n = got[0]
        log(f"received: {n['summary']} / {n['body']}")
        check(n["summary"] == "A certificate expires in 3 days", "summary says 3 days")
        check(serial in n["body"] and '"alice"' in n["body"], "body names the certificate and its serial")
        check("default" in n["actions"], "a default action (click) is offered")
        wait_for("last_notified recorded", lambda: acct.certificate(serial)["last_notified"])
        notifyd.click(n["id"])
        out, err = proc.communicate(timeout=60)
        check(proc.returncode == 0, f"check-expiry exit 0 after the click (stderr: {err.strip()})")
        with open(clicked) as f:
            check(f.read().split() == ["--renew", serial], "the click ran certlink-manager --renew SERIAL")

        # 2. once a day: neither the timer nor a login repeats it today
        for args in (["check-expiry", "--wait", "1"], ["check-expiry", "--login", "--wait", "1"]):
            r = acct.certlink(*args, env_extra=env)
            check(r.returncode == 0 and len(notifyd.received()) == 1, f"{' '.join(args[:2])}: nothing new today")

        def yesterday(doc):
            for c in doc["certificates"]:
                c["last_notified"] = iso(now() - datetime.timedelta(days=1))
        acct.edit_records(yesterday)
        r = acct.certlink("check-expiry", "--wait", "1", env_extra=env)
        check(r.returncode == 0 and len(notifyd.received()) == 2, "the next day it notifies again")

        # 3. switches: the certificate's, then the global one
        acct.edit_records(yesterday)

        def switch(on):
            def fn(doc):
                for c in doc["certificates"]:
                    c["notify"] = on
            return fn
        acct.edit_records(switch(False))
        r = acct.certlink("check-expiry", "--wait", "1", env_extra=env)
        check(r.returncode == 0 and len(notifyd.received()) == 2, "nothing for a certificate switched off")
        acct.edit_records(switch(True))
        acct.write_settings(notify_before=False)
        r = acct.certlink("check-expiry", "--wait", "1", env_extra=env)
        check(r.returncode == 0 and len(notifyd.received()) == 2, "nothing with notify_before off")
        acct.write_settings(notify_before=True)

        # 4. Japanese session
        r = acct.certlink("check-expiry", "--wait", "1", env_extra={**env, **japanese_locale(BUILD)})
        ja = notifyd.received()[-1]
        log(f"received (ja): {ja['summary']} / {ja['body']}")
        check(r.returncode == 0 and len(notifyd.received()) == 3,
              f"a Japanese session is notified too (exit {r.returncode}: {r.stderr.strip()[:500]})")
        check(ja["summary"] == "証明書の有効期限まであと 3 日です", "the summary is Japanese")

        # 5. after expiry: not on the timer, at every login; the global switch stops it
        def expired(doc):
            for c in doc["certificates"]:
                c["not_after"] = iso(now() - datetime.timedelta(days=2))
                c["last_notified"] = iso(now() - datetime.timedelta(minutes=5))
        acct.edit_records(expired)
        r = acct.certlink("check-expiry", "--wait", "1", env_extra=env)
        check(r.returncode == 0 and len(notifyd.received()) == 3, "an expired certificate: nothing on the timer")
        for i in range(2):
            r = acct.certlink("check-expiry", "--login", "--wait", "1", env_extra=env)
            check(r.returncode == 0 and len(notifyd.received()) == 4 + i, f"login {i + 1}: notified again")
            check(notifyd.received()[-1]["summary"] == "A certificate has expired", "it says expired")
        acct.write_settings(notify_expired=False)
        r = acct.certlink("check-expiry", "--login", "--wait", "1", env_extra=env)
        check(r.returncode == 0 and len(notifyd.received()) == 5, "nothing with notify_expired off")
        acct.write_settings(notify_expired=True)

        # 6. no notification service, then no helper: exit 0, logged, nothing marked
        notifyd.stop()
        before = acct.certificate(serial)["last_notified"]
        r = acct.certlink("check-expiry", "--login", "--wait", "1", env_extra=env, timeout=120)
        check(r.returncode == 0, f"no notification service: exit 0 ({r.stderr.strip()[:300]})")
        check("no desktop notification could be shown" in r.stderr, "and it says so")
        check(acct.certificate(serial)["last_notified"] == before, "nothing marked as notified")
        with open(os.path.join(acct.env["XDG_STATE_HOME"], "certlink", "certlink.log")) as f:
            check("no notification service" in f.read(), "the log has a line about it")
        r = acct.certlink("check-expiry", "--login", env_extra={"CERTLINK_NOTIFY_HELPER": "/nonexistent"})
        check(r.returncode == 0 and "no desktop notification" in r.stderr, "no helper installed: exit 0 too")
    finally:
        if notifyd:
            notifyd.stop()
        server.stop()
        acct.cleanup()


if __name__ == "__main__":
    run_main(body)
