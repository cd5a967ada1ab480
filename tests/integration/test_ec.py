#!/usr/bin/env python3
"""EC keys over SCEP, the way the server asks for them (`config-set key_type ec`, `key_size P-256|P-384`):
`certlink enroll` gets a certificate that `openssl verify` accepts and whose key (`openssl x509 -text`) is the
EC key of the key file, although the SCEP pkiMessage was signed with a throw-away RSA transport key (the
server refuses EC signers). A client killed while SCEP polls resumes with a new transport key and gets the
one certificate. Renewal of an EC certificate goes as a PKCSReq authorised by the renewal's challenge, of an
RSA certificate as a RenewalReq signed by it, whatever the new key."""
import os
import re
import signal
import time

from clitest import Fixture, check, check_installed, eq, expect_exit, main, public_key_of_cert, read

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
for name in ("alice", "bob", "carol", "dave", "erin"):
    srv.user_add(name, name + " pw")


def set_key(kind, size):
    srv.config(key_type=kind, key_size=size)


def scep_lines(app_id):
    """The server's log lines for SCEP messages of this application (message type, outcome)."""
    text = read(srv.log_path, "rb").decode(errors="replace")
    return [l for l in text.splitlines() if "scep: " in l and "app=" + app_id + " " in l]


def only_cert(home):
    certs = home.records()["certificates"]
    eq(len(certs), 1, "exactly one certificate recorded")
    return certs[0]["serial"]


def enroll_ec(home, user, curve):
    r = home.enroll(srv, user, user + " pw", "--debug")
    expect_exit(r, 0, "enroll with EC " + curve)
    serial = only_cert(home)
    check_installed(home, srv, serial, "ec", curve)
    text = read(os.path.join(home.cert_dir(serial), "cert.pem"))
    check("BEGIN CERTIFICATE" in text, "certificate file")
    check("RSA transport key" in r.stderr, "the client says it signed with a transport key", r.stderr[-3000:])
    app = home.records()["applications"][0]
    lines = scep_lines(app["server_id"])
    check(any("PKCSReq tx=" + app["transaction_id"] in l and "SUCCESS" in l for l in lines),
          "the server issued on a PKCSReq of the recorded transactionID", "\n".join(lines) or srv.log())
    return serial, app


def test_enroll_p256_p384():
    for user, curve in (("alice", "P-256"), ("bob", "P-384")):
        set_key("ec", curve)
        try:
            home = fx.home(user)
            serial, _ = enroll_ec(home, user, curve)
            bits = {"P-256": 256, "P-384": 384}[curve]
            eq(home.show(serial)["certificate"]["key_bits"], bits, "show: EC key bits")
        finally:
            set_key("rsa", "2048")


def test_renew_ec_certificate():
    set_key("ec", "P-256")
    try:
        home = fx.home("carol")
        old, _ = enroll_ec(home, "carol", "P-256")
        old_pub = public_key_of_cert(os.path.join(home.cert_dir(old), "cert.pem"))
        # new key: a PKCSReq signed with a transport key, the renewal application's challenge authorises it
        r = home.run("renew", old, "--password-stdin", "--debug", input="carol pw\n")
        expect_exit(r, 0, "renew an EC certificate")
        new = only_cert(home)
        check(new != old, "a new serial")
        check_installed(home, srv, new, "ec", "P-256")
        check(public_key_of_cert(os.path.join(home.cert_dir(new), "cert.pem")) != old_pub, "a new key")
        renewal = [a for a in srv.apps() if a["certificate_serial"] == new]
        eq(len(renewal), 1, "one application issued it")
        eq(renewal[0]["renewal_of"], old, "the server saw a renewal of the old serial")
        lines = scep_lines(renewal[0]["id"])
        check(any("PKCSReq" in l and "SUCCESS" in l for l in lines), "renewed with a PKCSReq", "\n".join(lines))
        check(not any("RenewalReq" in l for l in lines), "no RenewalReq signed by the EC certificate",
              "\n".join(lines))
        check("renewing with a PKCSReq" in r.stderr, "the client says why", r.stderr[-3000:])
        # the same key kept
        new_pub = public_key_of_cert(os.path.join(home.cert_dir(new), "cert.pem"))
        r = home.run("renew", new, "--reuse-key", "--password-stdin", input="carol pw\n")
        expect_exit(r, 0, "renew an EC certificate keeping its key")
        kept = only_cert(home)
        check(kept != new, "a new serial")
        check_installed(home, srv, kept, "ec", "P-256")
        eq(public_key_of_cert(os.path.join(home.cert_dir(kept), "cert.pem")), new_pub, "--reuse-key kept the key")
    finally:
        set_key("rsa", "2048")


def test_renew_rsa_certificate_to_ec():
    home = fx.home("dave")
    expect_exit(home.enroll(srv, "dave", "dave pw"), 0, "enroll RSA")
    old = only_cert(home)
    check_installed(home, srv, old, "rsa", 2048)
    set_key("ec", "P-384")
    try:
        r = home.run("renew", old, "--password-stdin", input="dave pw\n")
        expect_exit(r, 0, "renew an RSA certificate when the server now asks for EC P-384")
        new = only_cert(home)
        check_installed(home, srv, new, "ec", "P-384")
        renewal = [a for a in srv.apps() if a["certificate_serial"] == new]
        lines = scep_lines(renewal[0]["id"])
        check(any("RenewalReq" in l and "SUCCESS" in l for l in lines),
              "an RSA certificate signs its RenewalReq, also for an EC key", "\n".join(lines))
    finally:
        set_key("rsa", "2048")


def test_resume_after_kill_while_polling():
    """Killed while SCEP answers PENDING; the resend signs with a new transport key."""
    set_key("ec", "P-384")
    srv.config(hold_issuance=True)
    home = fx.home("erin")
    try:
        log = os.path.join(home.dir, "client.log")
        with open(log, "wb") as out:
            p = home.popen("enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--user", "erin",
                           "--password-stdin", "--ca-fingerprint", srv.ca_sha256, "--debug", stdin=-1,
                           stdout=out, stderr=out)
        p.stdin.write(b"erin pw\n")
        p.stdin.close()
        deadline = time.time() + 60
        app = None
        while time.time() < deadline:
            apps = home.records()["applications"]
            if apps and apps[0]["state"] == "activated" and apps[0].get("server_id") and \
                    any("PENDING" in l for l in scep_lines(apps[0]["server_id"])):
                app = apps[0]
                break
            check(p.poll() is None, "the client is still running", read(log)[-3000:])
            time.sleep(0.1)
        if app is None:
            p.kill()
            raise AssertionError("the client never reached SCEP PENDING:\n" + read(log)[-3000:])
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        srv.cli("release", app["server_id"])
        r = home.enroll(srv, "erin", "erin pw", "--debug")
        expect_exit(r, 0, "rerun after release")
        rec = home.records()
        eq(rec["applications"][0]["transaction_id"], app["transaction_id"], "the same transactionID")
        serial = only_cert(home)
        check_installed(home, srv, serial, "ec", "P-384")
        eq([c["serial"] for c in srv.certs() if c["application"] == app["server_id"]], [serial],
           "the server issued exactly one certificate")
        lines = scep_lines(app["server_id"])
        eq(len([l for l in lines if re.search(r"PKCSReq tx=\S+ app=\S+ PENDING", l)]), 1,
           "one PKCSReq held", "\n".join(lines))
        check(any("SUCCESS" in l for l in lines), "issued on the resend", "\n".join(lines))
        check("RSA transport key" in r.stderr, "the resend signed with a transport key", r.stderr[-3000:])
    finally:
        srv.config(hold_issuance=False)
        set_key("rsa", "2048")


try:
    main([test_enroll_p256_p384, test_renew_ec_certificate, test_renew_rsa_certificate_to_ec,
          test_resume_after_kill_while_polling])
finally:
    fx.close()
