#!/usr/bin/env python3
"""An application whose certificate was issued but could not be installed is finished later (issue 10, 1).

The install fails for real: the store's certs directory is a full 4 KiB tmpfs in a private mount namespace
(as root; read-only otherwise, tests/lib/fullstore.py). The run exits 100 and leaves the application
`issued` with its key and transactionID recorded, and nothing in the store or the NSS database. Then the
application is finished without the failure, by `certlink activate ID` and by the same `certlink enroll
--link` click again: the client activates again (the server answers with `issued_serial` and no challenge),
resends its recorded request, gets the same certificate back and installs it. Each ends with exactly one
certificate issued at the server for the application, and that one installed.
"""
import os
import subprocess
import sys

from clitest import CERTLINK, Fixture, check, check_installed, eq, expect_exit, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fullstore  # noqa: E402

fx = Fixture(auto_approve=True)
srv = fx.server
for name in ("ann", "ben", "cid"):
    srv.user_add(name, name + " pw")


def fail_install(home, *args, env=None):
    """certlink ARGS with the store's certs directory full: the install step fails."""
    certs = os.path.join(home.store_dir, "certs")
    with fullstore.failing(certs, [CERTLINK] + [str(a) for a in args]) as argv:
        r = subprocess.run(argv, env=dict(home.env, **(env or {})), capture_output=True, text=True,
                           timeout=300)
    expect_exit(r, 100, "the install fails")
    check(fullstore.failure_words() in r.stderr, "the message says why the install failed", r.stderr)
    app_id = home.records()["applications"][0]["id"]
    check("certlink activate %s" % app_id in r.stderr, "and how to finish it", r.stderr)
    rec = home.records()
    eq(len(rec["applications"]), 1, "one application recorded")
    app = rec["applications"][0]
    eq(app["state"], "issued", "the application is recorded as issued", str(app))
    check(app.get("transaction_id"), "its transactionID is recorded")
    eq(rec["certificates"], [], "no certificate is recorded")
    key = os.path.join(home.store_dir, "pending", app["id"] + ".key")
    check(os.path.exists(key), "the key the certificate was issued for is kept")
    eq(os.stat(key).st_mode & 0o777, 0o600, "the kept key's mode")
    eq(os.listdir(certs), [], "nothing was left in the certs directory")
    check("certlink 127.0.0.1" not in home.nss_list(), "no certificate was put into the NSS database",
          home.nss_list())
    issued = [c["serial"] for c in srv.certs() if c["application"] == app["server_id"]]
    eq(len(issued), 1, "the server issued the certificate")
    eq(srv.app(app["server_id"])["state"], "issued", "the server's application state")
    return app, issued[0], key


def finished(home, app, serial, key):
    check_installed(home, srv, serial)
    eq([c["serial"] for c in srv.certs() if c["application"] == app["server_id"]], [serial],
       "still exactly one certificate issued for the application, the one installed")
    rec = home.records()
    eq(len(rec["applications"]), 1, "still one application")
    eq(rec["applications"][0]["transaction_id"], app["transaction_id"], "the same transactionID")
    check(not os.path.exists(key), "the kept key is gone once the certificate is installed")
    res = home.result()
    eq((res["result"], res["exit_code"], res["serial"]), ("succeeded", 0, serial), "the result file")


def test_activate_after_full_disk():
    home = fx.home("ann")
    app, serial, key = fail_install(home, "enroll", "--link", srv.invite("ann"))
    r = home.run("activate", app["id"])
    expect_exit(r, 0, "certlink activate finishes the issued application")
    check("already issued" in r.stderr, "the progress says the certificate is fetched again", r.stderr)
    finished(home, app, serial, key)


def test_new_click_after_full_disk():
    home = fx.home("ben")
    link = srv.invite("ben")
    app, serial, key = fail_install(home, "enroll", "--link", link)
    r = home.run("enroll", "--link", link)
    expect_exit(r, 0, "the same link again finishes the issued application")
    finished(home, app, serial, key)


def test_password_enroll_after_full_disk():
    home = fx.home("cid")
    app, serial, key = fail_install(home, "enroll", "--host", "127.0.0.1", "--port", srv.port, "--user", "cid",
                                    "--password-env", "PW", "--ca-fingerprint", srv.ca_sha256, env={"PW": "cid pw"})
    # the password is not even needed: the application's secret was recorded
    r = home.enroll(srv, "cid", "wrong password")
    expect_exit(r, 0, "the same zero-touch command again finishes the issued application")
    finished(home, app, serial, key)


def test_consented_ca_after_full_disk():
    """The CA the administrator agreed to is made trusted before the certificate is installed. When the install
    fails, that trust goes with it: no anchor is left that no recorded certificate would take out at delete.
    The next run trusts it again, on the same consent, and records it with the certificate."""
    home = fx.home("dee")
    srv.user_add("dee", "dee pw")
    anchors = os.path.join(home.store_dir, "anchors")
    app, serial, key = fail_install(home, "enroll", "--link", srv.invite("dee"), "--install-ca", srv.ca_sha256)
    eq(os.listdir(anchors) if os.path.isdir(anchors) else [], [], "no trust anchor left after the failed install")
    eq(home.nss_trusted(), [], "and the NSS database trusts nothing")
    r = home.run("activate", app["id"], "--install-ca", srv.ca_sha256)
    expect_exit(r, 0, "certlink activate finishes the issued application")
    finished(home, app, serial, key)
    eq(os.listdir(anchors), [srv.ca_sha256 + ".pem"], "the CA is a trust anchor again")
    cert = home.records()["certificates"][0]
    check(any(loc["kind"] == "trust-file" for loc in cert["locations"]), "recorded with the certificate",
          str(cert["locations"]))
    eq(len(home.nss_trusted()), 1, "and trusted in the NSS database", home.nss_list())
    expect_exit(home.run("delete", serial), 0, "delete")
    eq(os.listdir(anchors), [], "delete takes the anchor out")


def test_key_lost():
    """An issued application whose key is gone cannot be finished: a clear message, nothing sent for it."""
    home = fx.home("ann2")
    srv.user_add("ann2", "ann2 pw")
    app, serial, key = fail_install(home, "enroll", "--link", srv.invite("ann2"))
    os.unlink(key)
    r = home.run("activate", app["id"])
    expect_exit(r, 100, "activate without the key")
    check("not recorded on this computer" in r.stderr and serial in r.stderr, "the message says what is lost",
          r.stderr)
    eq([c["serial"] for c in srv.certs() if c["application"] == app["server_id"]], [serial],
       "no second certificate was issued")


try:
    main([test_activate_after_full_disk, test_new_click_after_full_disk, test_password_enroll_after_full_disk,
          test_consented_ca_after_full_disk, test_key_lost])
finally:
    fx.close()
