#!/usr/bin/env python3
"""Manual approval: a zero-touch run that is not approved in time stops with 300 (44 in the shell) and a result
file that says the application waits; the application is recorded once, a rerun does not apply again; after
`certlink-server approve` a rerun of the same command, or `certlink activate ID`, installs exactly one
certificate. activate, and a rerun, on a still pending application answer at once after one status check. A
rejected application ends with 300."""
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


def status_requests(stderr, app):
    """How many status requests (GET /api/v1/applications/ID) a --debug run sent."""
    return sum(1 for line in stderr.splitlines() if "> GET /api/v1/applications/%s " % app["server_id"] in line)


def test_pending_answered_at_once():
    """activate, and a rerun of enroll, on an application still pending check its status once and say at
    once that approval is outstanding (300, the application kept), instead of polling for the server's
    approval_poll.timeout (900 s here)."""
    srv.config(approval_poll_timeout=900)
    try:
        home = fx.home("dora")
        srv.user_add("dora", "dora pw")
        app = pending_run(home, "dora")
        r = home.run("activate", app["id"], "--debug", timeout=120)
        expect_exit(r, 300, "activate while pending")
        eq(status_requests(r.stderr, app), 1, "activate checked the status once")
        check("is waiting for approval" in r.stderr and "certlink activate %s" % app["id"] in r.stderr,
              "and says approval is outstanding", r.stderr[-2000:])
        eq(home.records()["applications"][0]["state"], "pending", "the application stays recorded, pending")
        res = home.result()
        eq((res["result"], res["exit_code"], res["message"]), ("failed", 300, "waiting for approval"),
           "the result file says it waits")
        r = home.run("enroll", "--host", "127.0.0.1", "--port", srv.port, "--user", "dora", "--password-stdin",
                     "--ca-fingerprint", srv.ca_sha256, "--debug", input="dora pw\n", timeout=120)
        expect_exit(r, 300, "a rerun of enroll resumes and answers at once")
        eq(status_requests(r.stderr, app), 1, "the rerun checked the status once")
        check("POST /api/v1/applications " not in r.stderr, "and applied for nothing")
        # asked to wait, it polls
        r = home.run("activate", app["id"], "--approval-timeout", "2", "--debug", timeout=120)
        expect_exit(r, 300, "activate --approval-timeout while pending")
        check(status_requests(r.stderr, app) >= 2, "with --approval-timeout it polled", r.stderr[-2000:])
        srv.cli("approve", app["server_id"])
        expect_exit(home.run("activate", app["id"]), 0, "activate after approval")
        eq(len(server_apps_of("dora")), 1, "one application at the server")
    finally:
        srv.config(approval_poll_timeout=900)


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
    main([test_rerun_after_approval, test_activate_after_approval, test_pending_answered_at_once, test_rejected])
finally:
    fx.close()
