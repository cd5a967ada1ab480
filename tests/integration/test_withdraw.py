#!/usr/bin/env python3
"""Withdrawal and re-application against the server: withdrawing an installed application revokes its
certificate at the server and removes it from every place here; reapply puts the application back (approved
with automatic approval, else pending) and activate installs a new certificate. A pending application can be
withdrawn too, and a server that wants the password for withdrawal gets it from --password-file."""
import os

from clitest import Fixture, check, check_installed, eq, expect_exit, main

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
for name in ("alice", "bob", "dave"):
    srv.user_add(name, name + " pw")


def test_withdraw_installed_reapply_activate():
    home = fx.home("alice")
    expect_exit(home.enroll(srv, "alice", "alice pw"), 0, "enroll")
    app = home.records()["applications"][0]
    old = app["serial"]
    check_installed(home, srv, old)
    r = home.run("withdraw", app["id"])
    expect_exit(r, 0, "withdraw")
    eq(srv.app(app["server_id"])["state"], "withdrawn", "server state")
    eq([c["revoked"] for c in srv.certs() if c["serial"] == old], [True], "the server revoked the certificate")
    check(not os.path.exists(home.cert_dir(old)), "certificate files removed")
    check(old not in home.nss_list(), "NSS entry removed")
    rec = home.records()
    eq(rec["certificates"], [], "certificate record removed")
    eq(rec["applications"][0]["state"], "withdrawn", "application recorded as withdrawn")
    r = home.run("list")
    check(any(app["id"] in l and "withdrawn" in l for l in r.stdout.splitlines()), "list shows withdrawn",
          r.stdout)
    expect_exit(home.run("withdraw", app["id"]), 0, "withdrawing again is idempotent")

    r = home.run("reapply", app["id"], "--reason", "new laptop")
    expect_exit(r, 0, "reapply")
    check("approved" in r.stderr, "reapply says where the application stands", r.stderr)
    eq(srv.app(app["server_id"])["state"], "approved", "server state after reapply")
    eq(home.records()["applications"][0]["state"], "approved", "recorded state after reapply")
    r = home.run("activate", app["id"])
    expect_exit(r, 0, "activate after reapply")
    new = home.records()["applications"][0]["serial"]
    check(new and new != old, "a new certificate", "%s %s" % (new, old))
    check_installed(home, srv, new)
    eq(len(home.records()["certificates"]), 1, "one certificate recorded")
    revoked = {c["serial"]: c["revoked"] for c in srv.certs() if c["application"] == app["server_id"]}
    eq(revoked, {old: True, new: False}, "server certificates of the application")


def test_withdraw_pending():
    srv.config(auto_approve=False)
    try:
        home = fx.home("bob")
        expect_exit(home.enroll(srv, "bob", "bob pw", "--approval-timeout", "1"), 300, "enroll, pending")
        app = home.records()["applications"][0]
        expect_exit(home.run("withdraw", app["id"]), 0, "withdraw a pending application")
        eq(srv.app(app["server_id"])["state"], "withdrawn", "server state")
        eq(home.records()["applications"][0]["state"], "withdrawn", "recorded state")
        r = home.run("reapply", app["id"])
        expect_exit(r, 0, "reapply")
        check("pending" in r.stderr, "pending again", r.stderr)
        eq(srv.app(app["server_id"])["state"], "pending", "server state after reapply")
        expect_exit(home.run("activate", app["id"], "--approval-timeout", "1"), 300, "not approved yet")
        srv.cli("approve", app["server_id"])
        expect_exit(home.run("activate", app["id"]), 0, "activate after approval")
        check_installed(home, srv, home.records()["applications"][0]["serial"])
    finally:
        srv.config(auto_approve=True)


def test_withdraw_needs_password():
    srv.config(withdraw_requires_password=True)
    try:
        home = fx.home("dave")
        expect_exit(home.enroll(srv, "dave", "dave pw"), 0, "enroll")
        app = home.records()["applications"][0]
        r = home.run("withdraw", app["id"])
        expect_exit(r, 300, "withdraw without the password")
        eq(srv.app(app["server_id"])["state"], "issued", "still issued at the server")
        check(os.path.exists(home.cert_dir(app["serial"])), "certificate still installed")
        pwfile = os.path.join(home.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("wrong\n")
        expect_exit(home.run("withdraw", app["id"], "--password-file", pwfile), 300, "wrong password")
        with open(pwfile, "w") as f:
            f.write("dave pw\n")
        expect_exit(home.run("withdraw", app["serial"], "--password-file", pwfile), 0, "withdraw by serial")
        eq(srv.app(app["server_id"])["state"], "withdrawn", "server state")
        check(not os.path.exists(home.cert_dir(app["serial"])), "certificate removed")
    finally:
        srv.config(withdraw_requires_password=False)
    expect_exit(fx.home("nobody").run("withdraw", "0123456789abcdef"), 100, "withdraw of an unknown id")


try:
    main([test_withdraw_installed_reapply_activate, test_withdraw_pending, test_withdraw_needs_password])
finally:
    fx.close()
