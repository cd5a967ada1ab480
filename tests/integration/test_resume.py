#!/usr/bin/env python3
"""A client killed with SIGKILL between apply and install: the server holds issuance (hold_issuance=true), so
SCEP answers PENDING and the client polls; it is killed there. After `certlink-server release` a rerun resumes
the recorded application with the same key and transactionID and finishes with exactly one certificate: one
issued at the server for the application, one in the store, records installed. A SIGTERM instead stops the
client cleanly with 120 and the same resumable state."""
import os
import signal
import time

from clitest import Fixture, check, check_installed, eq, expect_exit, main, read

fx = Fixture(auto_approve=True, approval_poll_interval=1, hold_issuance=True)
srv = fx.server
for name in ("alice", "bob"):
    srv.user_add(name, name + " pw")


def start_polling(home, user):
    """Start an enrollment and return it once the server has answered PENDING and the record says activated."""
    log = open(os.path.join(home.dir, "client.log"), "wb")
    p = home.popen("enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--user", user, "--password-stdin",
                   "--ca-fingerprint", srv.ca_sha256, "--debug", stdin=-1, stdout=log, stderr=log)
    log.close()
    p.log = os.path.join(home.dir, "client.log")
    p.stdin.write((user + " pw\n").encode())
    p.stdin.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        apps = home.records()["applications"]
        if apps and apps[0]["state"] == "activated" and "PENDING" in srv.log() and \
                apps[0].get("server_id") and apps[0]["server_id"] in srv.log():
            return p, apps[0]
        check(p.poll() is None, "the client is still running", read(p.log))
        time.sleep(0.1)
    p.kill()
    raise AssertionError("the client never reached SCEP PENDING:\n" + srv.log() + "\n" + read(p.log)[-3000:])


def pending_files(home):
    d = os.path.join(home.store_dir, "pending")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_sigkill_while_polling():
    home = fx.home("alice")
    p, app = start_polling(home, "alice")
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    eq(p.returncode, -signal.SIGKILL, "killed")
    rec = home.records()
    eq(rec["applications"][0]["state"], "activated", "recorded state after the kill")
    eq(rec["certificates"], [], "nothing installed yet")
    tx = rec["applications"][0]["transaction_id"]
    check(tx, "the transactionID was recorded before the first SCEP message")
    key = os.path.join(home.store_dir, "pending", app["id"] + ".key")
    check(os.path.exists(key), "the key was recorded before the first SCEP message", str(pending_files(home)))
    eq(os.stat(key).st_mode & 0o777, 0o600, "recorded key mode")
    eq([c for c in srv.certs() if c["application"] == app["server_id"]], [], "nothing issued while held")
    srv.cli("release", app["server_id"])
    r = home.enroll(srv, "alice", "alice pw")
    expect_exit(r, 0, "rerun after release")
    rec = home.records()
    eq(len(rec["applications"]), 1, "still one application")
    eq(rec["applications"][0]["transaction_id"], tx, "the same transactionID")
    eq(len(rec["certificates"]), 1, "one certificate recorded")
    serial = rec["certificates"][0]["serial"]
    check_installed(home, srv, serial)
    issued = [c["serial"] for c in srv.certs() if c["application"] == app["server_id"]]
    eq(issued, [serial], "the server issued exactly one certificate for the application")
    eq(len([a for a in srv.apps() if a["user"] == "alice"]), 1, "one application at the server")
    check(not os.path.exists(key), "the recorded key is gone after install")
    expect_exit(home.enroll(srv, "alice", "alice pw"), 110, "and then nothing is due")


def test_sigterm_while_polling():
    home = fx.home("bob")
    p, app = start_polling(home, "bob")
    os.kill(p.pid, signal.SIGTERM)
    p.wait(timeout=60)
    eq(p.returncode, 120, "exit status after SIGTERM", read(p.log)[-2000:])
    res = home.result()
    eq((res["result"], res["exit_code"]), ("canceled", 120), "result file after SIGTERM")
    eq(home.records()["applications"][0]["state"], "activated", "resumable state")
    srv.cli("release", app["server_id"])
    expect_exit(home.enroll(srv, "bob", "bob pw"), 0, "rerun after release")
    serial = home.records()["certificates"][0]["serial"]
    check_installed(home, srv, serial)
    eq([c["serial"] for c in srv.certs() if c["application"] == app["server_id"]], [serial],
       "exactly one certificate issued")


try:
    main([test_sigkill_while_polling, test_sigterm_while_polling])
finally:
    fx.close()
