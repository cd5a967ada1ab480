#!/usr/bin/env python3
"""The NSS database holds each certificate by itself (issue 10 point 2).

NSS files every certificate of one subject under one nickname, so two certificates of alice share the
nickname of the first. Deleting one must take out exactly that certificate and its key (by the key's ID,
never by the nickname) and leave the other whole, in either order. A renewal imports the new certificate
beside the old one and only then removes the old one by its key ID: a certutil stand-in
(CERTLINK_CERTUTIL) logs every call and snapshots the database at each removal, which shows both
certificates present when the old one goes, and no removal ever naming a nickname; then the new one gets
a nickname of its own. A renewal that keeps its key removes the old certificate and leaves the key for the
new one.
"""
import os
import re
import subprocess

from clitest import Fixture, check, check_installed, eq, expect_exit, main, nss_key_id, read

fx = Fixture(auto_approve=True)
srv = fx.server
for name in ("alice", "bob", "carol", "dave"):
    srv.user_add(name, name + " pw")


def der(pem_path):
    return subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], capture_output=True,
                          check=True).stdout


def key_id(pem_path):
    return nss_key_id(pem_path)


def nss_ders(home):
    """The DER of every certificate in the NSS database."""
    db = "sql:" + home.nssdir
    out = []
    seen = set()
    for line in home.nss_list().splitlines()[3:]:
        nick = re.sub(r"\s+\S+\s*$", "", line)
        if not nick or nick in seen:
            continue
        seen.add(nick)
        pems = subprocess.run(["certutil", "-L", "-d", db, "-n", nick, "-a"], capture_output=True,
                              text=True).stdout.replace("\r", "")
        for block in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pems, re.S):
            out.append(subprocess.run(["openssl", "x509", "-outform", "DER"], input=block.encode(),
                                      capture_output=True).stdout)
    return out


def nss_keys(home):
    return subprocess.run(["certutil", "-K", "-d", "sql:" + home.nssdir, "-f", "/dev/null"], capture_output=True,
                          text=True).stdout


def cert_pem(home, serial):
    return os.path.join(home.cert_dir(serial), "cert.pem")


def nss_nickname(home, serial):
    cert = next(c for c in home.records()["certificates"] if c["serial"] == serial)
    return next(l["nickname"] for l in cert["locations"] if l["kind"] == "nss-certificate")


def present(home, serial, pem):
    """Is the certificate (by DER) and its key (by ID) in the NSS database?"""
    return der(pem) in nss_ders(home), key_id(pem) in nss_keys(home)


def two_certificates(home, user):
    expect_exit(home.enroll(srv, user, user + " pw"), 0, "enroll")
    expect_exit(home.enroll(srv, user, user + " pw", "--force-new"), 0, "enroll --force-new")
    certs = home.records()["certificates"]
    eq(len(certs), 2, "two certificates recorded")
    first, second = certs[0]["serial"], certs[1]["serial"]
    eq(nss_nickname(home, second), nss_nickname(home, first), "NSS files both under one nickname")
    pems = {s: cert_pem(home, s) for s in (first, second)}
    # keep copies: delete removes the files
    copies = {}
    for s, p in pems.items():
        copies[s] = os.path.join(home.dir, s + ".pem")
        with open(copies[s], "w") as f:
            f.write(read(p))
    for s in (first, second):
        eq(present(home, s, copies[s]), (True, True), "certificate %s and its key are in NSS" % s)
    return first, second, copies


def test_delete_second_keeps_first():
    home = fx.home("alice")
    first, second, pem = two_certificates(home, "alice")
    expect_exit(home.run("delete", second), 0, "delete the second certificate")
    eq(present(home, second, pem[second]), (False, False), "the second certificate and its key are gone")
    check(second not in subprocess.run(["certutil", "-L", "-d", "sql:" + home.nssdir, "-n",
                                        nss_nickname(home, first)], capture_output=True, text=True).stdout,
          "certutil -L no longer shows its serial")
    eq(present(home, first, pem[first]), (True, True), "the first certificate and its key stay")
    check_installed(home, srv, first)
    expect_exit(home.run("delete", first), 0, "delete the first certificate")
    eq(present(home, first, pem[first]), (False, False), "the first certificate and its key are gone")
    check("certlink 127.0.0.1" not in home.nss_list(), "nothing of certlink's certificates is left in NSS")


def test_delete_first_keeps_second():
    home = fx.home("bob")
    first, second, pem = two_certificates(home, "bob")
    expect_exit(home.run("delete", first), 0, "delete the first certificate (whose nickname both carry)")
    eq(present(home, first, pem[first]), (False, False), "the first certificate and its key are gone")
    eq(present(home, second, pem[second]), (True, True), "the second certificate and its key stay")
    check_installed(home, srv, second)
    expect_exit(home.run("delete", second), 0, "delete the second certificate")
    eq(present(home, second, pem[second]), (False, False), "the second certificate and its key are gone")


def certutil_spy(home):
    """A certutil that logs its arguments and, before every removal, what the database holds."""
    log = os.path.join(home.dir, "certutil.log")
    spy = os.path.join(home.dir, "certutil-spy")
    with open(spy, "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\n'
                'case "$1" in -D|-F)\n'
                '  echo "== before $*" >> %s.snap\n'
                '  /usr/bin/certutil -L -d "$3" -n "$SPY_NICK" -a >> %s.snap 2>&1\n'
                '  /usr/bin/certutil -K -d "$3" -f /dev/null >> %s.snap 2>&1 ;;\n'
                'esac\nexec /usr/bin/certutil "$@"\n' % (log, log, log, log))
    os.chmod(spy, 0o755)
    return spy, log


def renew_with_spy(home, user, serial, *extra):
    spy, log = certutil_spy(home)
    env = {"CERTLINK_CERTUTIL": spy, "SPY_NICK": nss_nickname(home, serial)}
    r = home.run("renew", serial, "--password-stdin", *extra, input=user + " pw\n", env=env)
    expect_exit(r, 0, "renew " + " ".join(extra))
    return read(log), read(log + ".snap")


def test_renewal_removes_old_by_key_id():
    home = fx.home("carol")
    expect_exit(home.enroll(srv, "carol", "carol pw"), 0, "enroll")
    old = home.records()["certificates"][0]["serial"]
    old_pem = os.path.join(home.dir, "old.pem")
    with open(old_pem, "w") as f:
        f.write(read(cert_pem(home, old)))
    calls, snap = renew_with_spy(home, "carol", old)
    new = home.records()["certificates"][0]["serial"]
    check(new != old, "renewed")
    new_pem = cert_pem(home, new)
    removals = [c for c in calls.splitlines() if c.startswith(("-D", "-F"))]
    check(removals, "the renewal removed something from NSS", calls)
    for c in removals:
        check("pkcs11:id=" in c or " -k " in c, "every removal names a key ID, never a nickname: " + c, calls)
    old_id, new_id = key_id(old_pem), key_id(new_pem)
    check(any(old_id in c.replace("%", "") for c in removals), "the old certificate was removed by its key ID",
          calls)
    check(not any(new_id in c.replace("%", "") for c in removals), "nothing of the new one was removed", calls)
    first = snap.split("== before ")[1]
    check(read(old_pem).strip().splitlines()[1] in first.replace("\r", ""),
          "the old certificate was still in NSS when its removal began", first[:3000])
    check(read(new_pem).strip().splitlines()[1] in first.replace("\r", ""),
          "the new certificate was in NSS before the old one was removed", first[:3000])
    check(old_id in first and new_id in first, "both keys were in NSS then", first[-2000:])
    eq(present(home, old, old_pem), (False, False), "afterwards the old certificate and its key are gone")
    eq(present(home, new, new_pem), (True, True), "and the new one is there with its key")
    check(new in nss_nickname(home, new) and new in home.nss_list() and old not in home.nss_list(),
          "with the old one gone, the new one has a nickname of its own", home.nss_list())
    check_installed(home, srv, new)


def test_renewal_keeping_the_key():
    home = fx.home("dave")
    expect_exit(home.enroll(srv, "dave", "dave pw"), 0, "enroll")
    old = home.records()["certificates"][0]["serial"]
    old_pem = os.path.join(home.dir, "old.pem")
    with open(old_pem, "w") as f:
        f.write(read(cert_pem(home, old)))
    renew_with_spy(home, "dave", old, "--reuse-key")
    new = home.records()["certificates"][0]["serial"]
    new_pem = cert_pem(home, new)
    eq(key_id(new_pem), key_id(old_pem), "the renewal kept the key")
    check(der(old_pem) not in nss_ders(home), "the old certificate is gone from NSS")
    eq(present(home, new, new_pem), (True, True), "the new certificate and the kept key are there")
    check_installed(home, srv, new)


try:
    main([test_delete_second_keeps_first, test_delete_first_keeps_second, test_renewal_removes_old_by_key_id,
          test_renewal_keeping_the_key])
finally:
    fx.close()
