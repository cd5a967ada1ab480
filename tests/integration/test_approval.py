#!/usr/bin/env python3
"""Manual approval: a zero-touch run that is not approved in time stops with 300 (44 in the shell) and a result
file that says the application waits; the application is recorded once, a rerun does not apply again; after
`certlink-server approve` a rerun of the same command, or `certlink activate ID`, installs exactly one
certificate. A rejected application ends with 300."""
from clitest import Fixture, check, check_installed, eq, expect_exit, main

fx = Fixture(auto_approve=False, approval_poll_interval=1)
srv = fx.server
for name in ("alice", "bob", "carol"):
    srv.user_add(name, name + " pw")


def pending_run(home, user):
    r = home.enroll(srv, user, user + " pw", "--approval-timeout", "1")
    expect_exit(r, 300, "enroll while the application waits for approval")
    apps = home.records()["applications"]
    eq(len(apps), 1, "one application recorded")
    eq(apps[0]["state"], "pending", "recorded state")
    check(apps[0]["id"] in r.stderr and "certlink activate" in r.stderr, "the message says what to do", r.stderr)
    res = home.result()
    eq((res["result"], res["exit_code"]), ("failed", 300), "result file")
    check("waiting for approval" in res["message"], "result message", res["message"])
    eq(res["serial"], None, "no serial in the result")
    return apps[0]


def server_apps_of(user):
    return [a for a in srv.apps() if a["user"] == user]


def test_rerun_after_approval():
    home = fx.home("alice")
    app = pending_run(home, "alice")
    r = home.run("list")
    check(any(app["id"] in l and "pending" in l for l in r.stdout.splitlines()), "list shows pending", r.stdout)
    # A rerun before approval resumes the recorded application: still one at the server.
    pending_run(home, "alice")
    eq(len(server_apps_of("alice")), 1, "the server has one application")
    eq(server_apps_of("alice")[0]["state"], "pending", "server state")
    srv.cli("approve", app["server_id"])
    r = home.enroll(srv, "alice", "alice pw", "--approval-timeout", "1")
    expect_exit(r, 0, "rerun after approval")
    rec = home.records()
    eq(len(rec["certificates"]), 1, "one certificate recorded")
    serial = rec["certificates"][0]["serial"]
    check_installed(home, srv, serial)
    issued = [c for c in srv.certs() if c["application"] == app["server_id"]]
    eq([c["serial"] for c in issued], [serial], "the server issued one certificate for the application")
    res = home.result()
    eq((res["result"], res["exit_code"], res["serial"]), ("succeeded", 0, serial), "result file")


def test_activate_after_approval():
    home = fx.home("bob")
    app = pending_run(home, "bob")
    r = home.run("activate", app["id"], "--approval-timeout", "1")
    expect_exit(r, 300, "activate while still pending")
    eq(home.records()["applications"][0]["state"], "pending", "still pending")
    srv.cli("approve", app["server_id"])
    r = home.run("activate", app["id"])
    expect_exit(r, 0, "activate after approval")
    serial = home.records()["applications"][0]["serial"]
    check(serial and serial in r.stdout, "activate prints the serial", r.stdout)
    check_installed(home, srv, serial)
    eq([c["serial"] for c in srv.certs() if c["application"] == app["server_id"]], [serial],
       "one certificate issued")
    eq(home.result()["serial"], serial, "activate writes the result file")
    r = home.run("activate", app["id"])
    expect_exit(r, 0, "activating an installed application again")
    check("already installed" in r.stderr, "activate says it is already installed", r.stderr)
    eq(len(home.records()["certificates"]), 1, "still one certificate")
    expect_exit(home.run("activate", "0123456789abcdef"), 100, "activate of an unknown id")


def test_rejected():
    home = fx.home("carol")
    app = pending_run(home, "carol")
    srv.cli("reject", app["server_id"])
    r = home.enroll(srv, "carol", "carol pw", "--approval-timeout", "1")
    expect_exit(r, 300, "rerun after rejection")
    check("rejected" in r.stderr, "the message says rejected", r.stderr)
    eq(home.records()["applications"][0]["state"], "rejected", "recorded state")
    eq(home.records()["certificates"], [], "no certificate")


try:
    main([test_rerun_after_approval, test_activate_after_approval, test_rejected])
finally:
    fx.close()
