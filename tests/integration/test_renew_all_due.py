#!/usr/bin/env python3
"""`certlink renew --all-due`, what certlink-renew.timer runs as root for the computer store: every certificate
inside its renewal window is renewed at the server that issued it, the others are left alone, and with nothing
due it exits 110 without contacting the server. The password comes from the administrator's
renewal_password_file (/etc/certlink/settings.json, here CERTLINK_ETC_DIR), read only when something is due and
only when the file is owned by root and 0600. Certificates of two servers each go back to their own server
(a dead one is not replaced by the other), with nobody to answer a question: no confirmation, no CA question,
the trust anchor an administrator agreed to at enrollment kept, no other CA made one. Runs as root with the
computer store redirected (the suite runs as root on CI); skipped otherwise."""
import json
import os
import sys

from clitest import Fixture, Server, check, eq, expect_exit, find_cert_dir, main, read

if os.geteuid() != 0:
    print("skipped: needs root (the computer store is root's)")
    sys.exit(77)

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
srv.user_add("host01", "host01 pw")


def computer_certs(home):
    path = os.path.join(home.system, "records.json")
    return json.loads(read(path))["certificates"] if os.path.exists(path) else []


def serials(home):
    return sorted(c["serial"] for c in computer_certs(home))


def enroll_computer(home, *extra):
    r = home.enroll(srv, "host01", "host01 pw", "--store", "computer", *extra)
    expect_exit(r, 0, "enroll into the computer store")
    return r


def write_settings(home, doc):
    etc = home.env["CERTLINK_ETC_DIR"]
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "settings.json"), "w") as f:
        json.dump(doc, f)


def all_due(home, *extra, **kw):
    return home.run("renew", "--all-due", "--store", "computer", *extra, **kw)


def test_renews_only_what_is_due():
    home = fx.home("all-due")
    # nothing recorded: 110, the server is not contacted, the result file says so
    before = len(srv.apps())
    r = all_due(home)
    expect_exit(r, 110, "--all-due with an empty computer store")
    check("nothing to renew" in r.stderr, "says there is nothing to renew", r.stderr)
    eq(len(srv.apps()), before, "no application at the server")
    res = json.loads(read(os.path.join(home.system, "result.json")))
    eq((res["result"], res["exit_code"], res["store"]), ("not executed", 110, "computer"), "result file")

    # one certificate valid for a year, one inside the 14-day window
    enroll_computer(home)
    keep = serials(home)[0]
    srv.config(cert_days=10)
    enroll_computer(home, "--force-new")
    srv.config(cert_days=365)
    due = next(s for s in serials(home) if s != keep)
    keep_pem = read(os.path.join(find_cert_dir(home.system, keep), "cert.pem"))

    # due, but no password anywhere: refused before any contact, nothing changed
    before = len(srv.apps())
    r = all_due(home)
    expect_exit(r, 100, "--all-due without a password")
    check("renewal_password_file" in r.stderr, "says where the password goes", r.stderr)
    eq(len(srv.apps()), before, "nothing sent without a password")
    eq(serials(home), sorted([keep, due]), "both certificates untouched")

    # the administrator's password file must be root's and 0600
    pwfile = os.path.join(home.dir, "renewal-password")
    with open(pwfile, "w") as f:
        f.write("host01 pw\n")
    os.chmod(pwfile, 0o644)
    write_settings(home, {"renewal_password_file": pwfile})
    r = all_due(home)
    expect_exit(r, 100, "--all-due with a password file others can read")
    check("chmod 600" in r.stderr, "says how to protect the file", r.stderr)
    eq(len(srv.apps()), before, "nothing sent with an unprotected password file")
    link = pwfile + ".link"
    os.chmod(pwfile, 0o600)
    os.symlink(pwfile, link)
    write_settings(home, {"renewal_password_file": link})
    expect_exit(all_due(home), 100, "--all-due with a password file that is a symbolic link")
    eq(len(srv.apps()), before, "nothing sent through a symbolic link")

    # a wrong password: the server refuses (300), the certificate stays
    with open(pwfile, "w") as f:
        f.write("wrong\n")
    write_settings(home, {"renewal_password_file": pwfile})
    expect_exit(all_due(home), 300, "--all-due with a wrong password")
    eq(serials(home), sorted([keep, due]), "a refused renewal leaves both certificates")

    # the right password: the due certificate is replaced, the other is untouched
    with open(pwfile, "w") as f:
        f.write("host01 pw\n")
    r = all_due(home)
    expect_exit(r, 0, "--all-due renews the due certificate")
    check("renewing certificate %s" % due in r.stderr and "renewed certificate %s" % due in r.stderr,
          "the journal lines say what was renewed", r.stderr)
    check("1 of 1 due certificates renewed" in r.stderr, "summary line", r.stderr)
    now = serials(home)
    eq(len(now), 2, "still two certificates")
    check(keep in now and due not in now, "the due one was replaced, the other kept", str(now))
    new = next(s for s in now if s != keep)
    renewal = [a for a in srv.apps() if a["certificate_serial"] == new]
    eq(len(renewal), 1, "one application issued the new certificate")
    eq(renewal[0]["renewal_of"], due, "the server saw a renewal of the due serial")
    eq(read(os.path.join(find_cert_dir(home.system, keep), "cert.pem")), keep_pem, "the kept one is byte for byte the same")
    check(not os.path.exists(find_cert_dir(home.system, due)), "the old certificate's files are gone")
    res = json.loads(read(os.path.join(home.system, "result.json")))
    eq((res["result"], res["serial"]), ("succeeded", new), "result file names the new certificate")

    # nothing due any more: 110 again, without reading the password file
    os.chmod(pwfile, 0o644)
    before = len(srv.apps())
    r = all_due(home)
    expect_exit(r, 110, "--all-due after the renewal")
    check("holds 2 certificates" in r.stderr, "the journal line counts what is there", r.stderr)
    eq(len(srv.apps()), before, "the server was not contacted")


def anchors(home):
    d = os.path.join(home.system, "anchors")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_bound_to_each_server_asks_nothing():
    other = Server().start()
    try:
        other.config(auto_approve=True, approval_poll_interval=1)
        other.user_add("host01", "host01 pw")
        home = fx.home("all-due-two")
        # due certificates from two servers: the first's CA made an anchor by the administrator's
        # --install-ca, the second's not (nobody agreed)
        srv.config(cert_days=10)
        other.config(cert_days=10)
        enroll_computer(home, "--install-ca", srv.ca_sha256)
        r = home.enroll(other, "host01", "host01 pw", "--store", "computer")
        expect_exit(r, 0, "enroll into the computer store at the second server")
        srv.config(cert_days=365)
        eq(anchors(home), [srv.ca_sha256 + ".pem"], "only the first server's CA is an anchor")
        certs = {c["serial"]: c for c in computer_certs(home)}
        mine = next(s for s, c in certs.items() if c["server_port"] == srv.port)
        theirs = next(s for s, c in certs.items() if c["server_port"] == other.port)
        pwfile = os.path.join(home.dir, "renewal-password")
        with open(pwfile, "w") as f:
            f.write("host01 pw\n")
        os.chmod(pwfile, 0o600)
        write_settings(home, {"renewal_password_file": pwfile})

        # stdin is empty and there is no terminal: a question would fail the run
        r = all_due(home, input="")
        expect_exit(r, 0, "--all-due renews certificates of two servers")
        check("2 of 2 due certificates renewed" in r.stderr, "both renewed", r.stderr)
        for server, own, foreign in ((srv, mine, theirs), (other, theirs, mine)):
            renewals = [a["renewal_of"] for a in server.apps() if a.get("renewal_of")]
            check(renewals.count(own) == 1 and foreign not in renewals,
                  "port %d saw the renewal of its own certificate, not the other's" % server.port, str(renewals))
        now = {c["serial"]: c for c in computer_certs(home)}
        eq(sorted((c["server_port"], c["server_trust"]) for c in now.values()),
           sorted((c["server_port"], c["server_trust"]) for c in certs.values()),
           "each new certificate is recorded with its server and how it was established")
        eq(anchors(home), [srv.ca_sha256 + ".pem"], "the consented anchor stays, no other CA became one")
        ca_dir = home.env["CERTLINK_CA_CERTIFICATES_DIR"]
        system_cas = os.listdir(ca_dir) if os.path.isdir(ca_dir) else []
        eq(sorted(system_cas), ["certlink-%s.crt" % srv.ca_sha256[:16]],
           "the system trust directory holds the first server's CA only")

        # the second server is gone: its certificate, due again, is not renewed anywhere else
        other.stop()
        before = len(srv.apps())
        due = next(s for s, c in now.items() if c["server_port"] == other.port)
        r = all_due(home, "--retries", "1", input="")
        expect_exit(r, 200, "--all-due with the issuing server unreachable")
        eq(len(srv.apps()), before, "the other server got nothing")
        check(due in [c["serial"] for c in computer_certs(home)], "the certificate stays as it was")
    finally:
        other.stop()
        srv.config(cert_days=365)


def test_user_store_and_arguments():
    home = fx.home("all-due-user")
    expect_exit(home.run("renew", "--all-due"), 110, "--all-due in an empty user store")
    r = home.run("renew", "--all-due", "0123abcd")
    expect_exit(r, 100, "--all-due with a serial")
    check("name none" in r.stderr, "says --all-due takes no serial", r.stderr)
    expect_exit(home.run("renew"), 100, "renew without a serial")


try:
    main([test_renews_only_what_is_due, test_bound_to_each_server_asks_nothing, test_user_store_and_arguments])
finally:
    fx.close()
