#!/usr/bin/env python3
"""The renewal rule and renewal: a second `certlink enroll` while the certificate is valid beyond the renewal
window exits 110 without contacting the server; --force-new enrolls anyway; inside the window (short cert_days)
enroll renews; `enroll --renew` and `certlink renew SERIAL` renew now. A renewal replaces the old certificate in
the store and the records; --reuse-key keeps the public key, without it the key changes."""
import os
import subprocess

from clitest import (Fixture, check, check_installed, eq, expect_exit, main, public_key_of_cert)

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
for name in ("alice", "bob", "carol"):
    srv.user_add(name, name + " pw")


def only_cert(home):
    certs = home.records()["certificates"]
    eq(len(certs), 1, "exactly one certificate recorded")
    return certs[0]["serial"]


def pubkey(home, serial):
    return public_key_of_cert(os.path.join(home.cert_dir(serial), "cert.pem"))


def check_replaced(home, old, new, what):
    check(new != old, what + ": a new serial")
    check_installed(home, srv, new)
    check(not os.path.exists(home.cert_dir(old)), what + ": old certificate files removed")
    check(old not in home.nss_list(), what + ": old certificate out of the NSS database")
    eq(only_cert(home), new, what + ": records hold the new certificate only")
    renewal = [a for a in srv.apps() if a["certificate_serial"] == new]
    eq(len(renewal), 1, what + ": one application issued it")
    eq(renewal[0]["renewal_of"], old, what + ": the server saw a renewal of the old serial")


def test_not_due_force_new():
    home = fx.home("alice")
    expect_exit(home.enroll(srv, "alice", "alice pw"), 0, "enroll")
    first = only_cert(home)
    before = len(srv.apps())
    r = home.enroll(srv, "alice", "alice pw")
    expect_exit(r, 110, "enroll while the certificate is not due for renewal")
    check("Connecting" not in r.stderr, "the server was not contacted", r.stderr)
    eq(len(srv.apps()), before, "no application at the server")
    res = home.result()
    eq((res["result"], res["exit_code"]), ("not executed", 110), "result file")
    eq(only_cert(home), first, "the certificate is untouched")
    r = home.enroll(srv, "alice", "alice pw", "--force-new")
    expect_exit(r, 0, "enroll --force-new")
    eq(len(srv.apps()), before + 1, "--force-new applied")
    eq(len(home.records()["certificates"]), 2, "a second certificate")
    r = home.run("list")
    eq(sum(1 for l in r.stdout.splitlines() if "installed" in l), 2, "list shows both")
    # NSS files both (same subject) under the first one's nickname; deleting one keeps the other usable,
    # deleting both leaves nothing of certlink's in the NSS database.
    second = next(c["serial"] for c in home.records()["certificates"] if c["serial"] != first)
    check_installed(home, srv, second)
    expect_exit(home.run("delete", second), 0, "delete the second certificate")
    check_installed(home, srv, first)
    expect_exit(home.run("delete", first), 0, "delete the first certificate")
    check("certlink 127.0.0.1" not in home.nss_list(), "no certificate left in NSS", home.nss_list())
    keys = subprocess.run(["certutil", "-K", "-d", "sql:" + home.nssdir], capture_output=True, text=True)
    check("rsa" not in keys.stdout, "no key left in NSS", keys.stdout)


def test_renew_now_key_reuse():
    home = fx.home("bob")
    expect_exit(home.enroll(srv, "bob", "bob pw"), 0, "enroll")
    a = only_cert(home)
    key_a = pubkey(home, a)
    # enroll --renew: forced renewal through the zero-touch command, new key by default
    expect_exit(home.enroll(srv, "bob", "bob pw", "--renew"), 0, "enroll --renew")
    b = only_cert(home)
    check_replaced(home, a, b, "enroll --renew")
    check(key_a and pubkey(home, b) and pubkey(home, b) != key_a, "enroll --renew made a new key")
    # renew --reuse-key keeps the public key
    key_b = pubkey(home, b)
    r = home.run("renew", b, "--reuse-key", "--password-stdin", input="bob pw\n")
    expect_exit(r, 0, "renew --reuse-key")
    c = only_cert(home)
    check_replaced(home, b, c, "renew --reuse-key")
    eq(pubkey(home, c), key_b, "renew --reuse-key kept the public key")
    eq(home.result()["serial"], c, "renew writes the result file")
    # renew without it makes a new key
    r = home.run("renew", c, "--password-stdin", input="bob pw\n")
    expect_exit(r, 0, "renew")
    d = only_cert(home)
    check_replaced(home, c, d, "renew")
    check(pubkey(home, d) != key_b, "renew without --reuse-key made a new key")
    expect_exit(home.run("renew", c, "--password-stdin", input="bob pw\n"), 100, "renew of a gone serial")
    r = home.run("renew", d, "--password-stdin", input="wrong\n")
    expect_exit(r, 300, "renew with a wrong password")
    eq(only_cert(home), d, "a failed renewal leaves the certificate")


def test_due_inside_window():
    srv.config(cert_days=10)  # inside the default 14-day window as soon as it is issued
    try:
        home = fx.home("carol")
        expect_exit(home.enroll(srv, "carol", "carol pw"), 0, "enroll")
        a = only_cert(home)
        r = home.run("list")
        check(any(a in l and "expiring" in l for l in r.stdout.splitlines()), "list shows expiring", r.stdout)
        eq(home.show(a)["certificate"]["state"], "expiring", "show: state")
        r = home.enroll(srv, "carol", "carol pw")
        expect_exit(r, 0, "enroll inside the window renews")
        check_replaced(home, a, only_cert(home), "renewal inside the window")
        # A narrower window in the settings makes the same certificate not due.
        os.makedirs(os.path.join(home.config, "certlink"), exist_ok=True)
        with open(os.path.join(home.config, "certlink", "settings.json"), "w") as f:
            f.write('{"notify_days": 5}\n')
        expect_exit(home.enroll(srv, "carol", "carol pw"), 110, "not due with a 5-day window")
        r = home.run("list")
        check(any("installed" in l for l in r.stdout.splitlines()), "installed with a 5-day window", r.stdout)
    finally:
        srv.config(cert_days=365)


def test_new_invitation():
    """certlink enroll keeps its renewal rule for a new invitation link too (a script may run it at every
    login); --force-new enrolls beside the valid certificate and says both are installed."""
    srv.user_add("erin", "erin pw")
    home = fx.home("erin")
    expect_exit(home.run("enroll", "--link", srv.invite("erin")), 0, "enroll with an invitation")
    first = only_cert(home)
    link = srv.invite("erin")
    r = home.run("enroll", "--link", link)
    expect_exit(r, 110, "a second invitation through the zero-touch command is not due")
    check("--force-new" in r.stderr and "--renew" in r.stderr, "the message says how to enroll or renew anyway",
          r.stderr)
    eq(only_cert(home), first, "nothing changed")
    r = home.run("enroll", "--link", link, "--force-new")
    expect_exit(r, 0, "--force-new enrolls with the invitation")
    certs = home.records()["certificates"]
    eq(len(certs), 2, "two certificates installed")
    second = next(c["serial"] for c in certs if c["serial"] != first)
    check_installed(home, srv, second)
    check_installed(home, srv, first)
    check("also installed: 1 earlier certificate" in r.stdout and first in r.stdout,
          "the output says the earlier certificate stays installed", r.stdout)


try:
    main([test_not_due_force_new, test_renew_now_key_reuse, test_due_inside_window, test_new_invitation])
finally:
    fx.close()
