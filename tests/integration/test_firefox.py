#!/usr/bin/env python3
"""Firefox profiles (issue 13): each keeps its own NSS database, so a user-store certificate goes into every
profile too, the CA follows the consent rule there as in ~/.pki/nssdb, and renewal, delete and profiles made
later all reach Firefox. (tests/browser/firefox_test.py shows a real Firefox using what lands here.)

The profiles are made as Firefox makes them: listed in profiles.ini (in ~/.mozilla/firefox, and in
$XDG_CONFIG_HOME/mozilla/firefox where Firefox 147 and later put it for a new account), with an empty-password
sql: database (certutil -N --empty-password, the format Firefox creates) or, for a profile never started,
no database at all. One profile has a primary password: certlink cannot import there without it and must
leave it out, saying so in its log, and touch nothing else."""
import hashlib
import os
import re
import subprocess

from clitest import Fixture, check, eq, expect_exit, main, read

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
for name in ("alice", "bob", "carol", "dave"):
    srv.user_add(name, name + " pw")


class Profiles:
    """The Firefox profiles of HOME: a started one and a primary-password one under ~/.mozilla/firefox, one
    never started under $XDG_CONFIG_HOME/mozilla/firefox, and a profiles.ini entry whose directory is gone."""

    def __init__(self, home):
        self.home = home
        self.old_root = os.path.join(home.home, ".mozilla", "firefox")
        self.new_root = os.path.join(home.config, "mozilla", "firefox")
        self.started = os.path.join(self.old_root, "a1b2c3d4.default-esr")
        self.locked = os.path.join(self.old_root, "e5f6a7b8.primary")
        self.fresh = os.path.join(self.new_root, "Profiles", "c9d0e1f2.default-release")
        for d in (self.started, self.locked, self.fresh):
            os.makedirs(d)
        nss("-N", "-d", "sql:" + self.started, "--empty-password")
        # something of the person's own in the started profile, which certlink must leave alone
        own = os.path.join(home.dir, "own-ca")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", own + ".key", "-out", own + ".pem", "-subj", "/CN=My own CA", "-days", "2"],
                       check=True, capture_output=True)
        nss("-A", "-d", "sql:" + self.started, "-n", "My own CA", "-t", "C,,", "-i", own + ".pem")
        pwfile = os.path.join(home.dir, "primary-password")
        with open(pwfile, "w") as f:
            f.write("only the person knows this\n")
        nss("-N", "-d", "sql:" + self.locked, "-f", pwfile)
        ini(self.old_root, [("default-esr", "a1b2c3d4.default-esr", 1),
                            ("primary", self.locked, 0),
                            ("gone", "zzzzzzzz.gone", 1)])
        ini(self.new_root, [("default-release", "Profiles/c9d0e1f2.default-release", 1)])

    def add(self, root, name):
        """A profile made later (the profile manager, `firefox -CreateProfile`): a new section, no database."""
        d = os.path.join(root, name)
        os.makedirs(d)
        with open(os.path.join(root, "profiles.ini"), "a") as f:
            f.write("\n[Profile9]\nName=%s\nIsRelative=1\nPath=%s\n" % (name, name))
        return d


def nss(*args):
    r = subprocess.run(["certutil"] + list(args), capture_output=True, text=True)
    check(r.returncode == 0, "certutil " + " ".join(args), r.stdout + r.stderr)
    return r.stdout


def ini(root, profiles):
    os.makedirs(root, exist_ok=True)
    text = "[General]\nStartWithLastProfile=1\nVersion=2\n\n[Install4F96D1932A9F858E]\nDefault=x\nLocked=1\n"
    for i, (name, path, relative) in enumerate(profiles):
        text += "\n[Profile%d]\nName=%s\nIsRelative=%d\nPath=%s\n" % (i, name, relative, path)
    with open(os.path.join(root, "profiles.ini"), "w") as f:
        f.write(text)


def listing(profile):
    """certutil -L of a profile: {nickname: trust}."""
    out = subprocess.run(["certutil", "-L", "-d", "sql:" + profile], capture_output=True, text=True).stdout
    entries = {}
    for line in out.splitlines()[4:]:
        m = re.match(r"^(.*\S)\s+(\S*,\S*,\S*)\s*$", line)
        if m:
            entries[m.group(1)] = m.group(2)
    return entries


def mine(profile):
    """What is in PROFILE besides the person's own CA, which must always stay as it was."""
    entries = listing(profile)
    own = entries.pop("My own CA", None)
    check(own in (None, "C,,"), "the person's own CA keeps its trust in " + profile, str(own))
    return entries


def pems(profile, nick):
    r = subprocess.run(["certutil", "-L", "-d", "sql:" + profile, "-n", nick, "-a"], capture_output=True,
                       text=True)
    return r.stdout.replace("\r", "")


def keys(profile):
    return subprocess.run(["certutil", "-K", "-d", "sql:" + profile, "-f", "/dev/null"], capture_output=True,
                          text=True).stdout


def key_id(cert_pem):
    """NSS's key ID (CKA_ID) of an RSA certificate: SHA-1 of the modulus, as certutil -K prints it."""
    mod = subprocess.run(["openssl", "x509", "-noout", "-modulus"], input=cert_pem, capture_output=True,
                         text=True).stdout.strip().split("=")[1]
    return hashlib.sha1(bytes.fromhex(mod)).hexdigest()


def cert_of(home, serial):
    return next(c for c in home.records()["certificates"] if c["serial"] == serial)


def firefox_locations(cert, kind="firefox-certificate"):
    return {l["path"][4:]: l["nickname"] for l in cert["locations"] if l["kind"] == kind}


def holds(profile, cert_pem):
    """PROFILE has this very certificate, and its key."""
    body = cert_pem.strip()
    return any(body in pems(profile, nick) for nick in listing(profile)) and key_id(cert_pem) in keys(profile)


def ca_trust(profile, ca_pem):
    """The trust attributes of the CA in PROFILE ('' when absent)."""
    body = read(ca_pem).strip()
    for nick, trust in listing(profile).items():
        if body in pems(profile, nick):
            return trust
    return ""


def enroll(home, user, *extra):
    r = home.enroll(srv, user, user + " pw", *extra)
    expect_exit(r, 0, "enroll " + user)
    return home.records()["certificates"][-1]


def test_enroll_without_consent():
    home = fx.home("alice")
    p = Profiles(home)
    os.symlink("127.0.0.1:+%d" % os.getpid(), os.path.join(p.started, "lock"))
    r = home.enroll(srv, "alice", "alice pw")
    expect_exit(r, 0, "enroll alice")
    check("Firefox is open" not in r.stdout, "no CA was trusted, so nothing to restart for", r.stdout)
    cert = home.records()["certificates"][-1]
    pem = read(os.path.join(home.cert_dir(cert["serial"]), "cert.pem"))
    where = firefox_locations(cert)
    eq(sorted(where), sorted([os.path.realpath(p.started), os.path.realpath(p.fresh)]),
       "recorded in the started profile and the never-started one, not the locked one")
    for d in (p.started, p.fresh):
        check(holds(d, pem), "the certificate and its key are in " + d, str(listing(d)) + keys(d))
        eq(ca_trust(d, srv.ca_pem), ",,", "the CA is there for the chain only (no trust flags): " + d)
        check(os.path.exists(os.path.join(d, "cert9.db")), "an sql: database in " + d)
    eq(listing(p.locked), {}, "the primary-password profile is untouched")
    log = read(os.path.join(home.state, "certlink", "certlink.log"))
    check("Firefox profile %s left out" % os.path.realpath(p.locked) in log, "the log says which profile was left out",
          log)
    eq(firefox_locations(cert, "firefox-ca"), {}, "no Firefox trust recorded without consent")

    # delete: everything it put into Firefox goes, by certificate; the profiles stay
    expect_exit(home.run("delete", cert["serial"]), 0, "delete")
    for d in (p.started, p.fresh):
        eq(mine(d), {}, "nothing of certlink's left in " + d)
        eq(keys(d).count("rsa"), 0, "no key left in " + d, keys(d))
        check(os.path.exists(os.path.join(d, "cert9.db")), "the profile's database itself stays")


def dead_pid():
    """A process id that is not running (a child that has exited and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_consent_trusts_the_ca_in_firefox():
    home = fx.home("bob")
    p = Profiles(home)
    # Firefox runs on the started profile (its lock names a live process); the never-started profile has a
    # lock a crashed Firefox left behind. A running Firefox reads trust at its start, so the person is told.
    os.symlink("127.0.0.1:+%d" % os.getpid(), os.path.join(p.started, "lock"))
    os.symlink("127.0.0.1:+%d" % dead_pid(), os.path.join(p.fresh, "lock"))
    r = home.enroll(srv, "bob", "bob pw", "--install-ca", srv.ca_sha256)
    expect_exit(r, 0, "enroll bob")
    eq(r.stdout.count("Firefox is open: it trusts the new certificate authority once you restart it."), 1,
       "the person is told once that the open Firefox trusts the CA after a restart", r.stdout)
    cert = home.records()["certificates"][-1]
    for d in (p.started, p.fresh):
        check(ca_trust(d, srv.ca_pem).startswith("C"), "the consented CA is trusted for TLS (C,,) in " + d,
              str(listing(d)))
    trusted = firefox_locations(cert, "firefox-ca")
    eq(sorted(trusted), sorted([os.path.realpath(p.started), os.path.realpath(p.fresh)]),
       "the Firefox trust is recorded with the certificate")
    # the same consent, the same place in ~/.pki/nssdb
    check(len(home.nss_trusted()) == 1 and home.nss_trusted()[0].endswith("C,,"), "and in ~/.pki/nssdb",
          home.nss_list())

    # a profile made later gets the certificate and the consented trust from the daily/login check
    later = p.add(p.old_root, "f3a4b5c6.work")
    r = home.run("check-expiry")
    expect_exit(r, 0, "check-expiry")
    cert = cert_of(home, cert["serial"])
    pem = read(os.path.join(home.cert_dir(cert["serial"]), "cert.pem"))
    check(os.path.realpath(later) in firefox_locations(cert), "the new profile is recorded", str(cert["locations"]))
    check(holds(later, pem), "the new profile has the certificate and key", str(listing(later)))
    check(ca_trust(later, srv.ca_pem).startswith("C"), "and trusts the consented CA", str(listing(later)))
    n = len(cert["locations"])
    expect_exit(home.run("check-expiry"), 0, "check-expiry again")
    eq(len(cert_of(home, cert["serial"])["locations"]), n, "a second sync adds nothing")

    # delete takes the certificate, its key and the trust out of every profile it reached
    expect_exit(home.run("delete", cert["serial"]), 0, "delete")
    for d in (p.started, p.fresh, later):
        eq(mine(d), {}, "the certificate and the CA are gone from " + d)
    eq(home.nss_trusted(), [], "and ~/.pki/nssdb trusts nothing")


def test_later_profile_without_consent():
    home = fx.home("carol")
    p = Profiles(home)
    cert = enroll(home, "carol")
    later = p.add(p.new_root, "d7e8f9a0.later")
    expect_exit(home.run("check-expiry"), 0, "check-expiry")
    pem = read(os.path.join(home.cert_dir(cert["serial"]), "cert.pem"))
    check(holds(later, pem), "the later profile has the certificate", str(listing(later)))
    eq(ca_trust(later, srv.ca_pem), ",,", "and the CA for the chain only")


def test_renewal_replaces_it_in_firefox():
    home = fx.home("dave")
    p = Profiles(home)
    old = enroll(home, "dave")
    old_pem = read(os.path.join(home.cert_dir(old["serial"]), "cert.pem"))
    r = home.run("renew", old["serial"], "--password-stdin", input="dave pw\n")
    expect_exit(r, 0, "renew")
    certs = home.records()["certificates"]
    eq(len(certs), 1, "one certificate after the renewal")
    new = certs[0]
    check(new["serial"] != old["serial"], "a new serial")
    new_pem = read(os.path.join(home.cert_dir(new["serial"]), "cert.pem"))
    eq(sorted(firefox_locations(new)), sorted([os.path.realpath(p.started), os.path.realpath(p.fresh)]),
       "the new certificate is recorded in both profiles")
    for d in (p.started, p.fresh):
        check(holds(d, new_pem), "the new certificate and key are in " + d, str(listing(d)) + keys(d))
        check(not any(old_pem.strip() in pems(d, n) for n in listing(d)), "the old certificate is gone from " + d)
        check(key_id(old_pem) not in keys(d), "and its key", keys(d))
        eq(ca_trust(d, srv.ca_pem), ",,", "the CA stays for the new certificate's chain in " + d)
    # NSS filed the new one under the old one's nickname; once that is gone it gets its own, as in ~/.pki/nssdb
    for d, nick in firefox_locations(new).items():
        check(new["serial"] in nick and old["serial"] not in nick,
              "the renewed certificate has a nickname of its own in " + d, nick)
        check(new_pem.strip() in pems(d, nick), "the profile holds it under that nickname", str(listing(d)))
    expect_exit(home.run("delete", new["serial"]), 0, "delete the renewed certificate")
    for d in (p.started, p.fresh):
        eq(mine(d), {}, "nothing of certlink's left in " + d)
    eq(listing(p.started).get("My own CA"), "C,,", "the person's own CA is still there")


def test_two_certificates_of_one_subject():
    """NSS files both under one nickname; deleting one takes exactly that one out of Firefox."""
    home = fx.home("alice2")
    p = Profiles(home)
    first = enroll(home, "alice")
    second = enroll(home, "alice", "--force-new")
    check(first["serial"] != second["serial"], "two certificates")
    pem1, pem2 = (read(os.path.join(home.cert_dir(c["serial"]), "cert.pem")) for c in (first, second))
    for d in (p.started, p.fresh):
        check(holds(d, pem1) and holds(d, pem2), "both are in " + d, str(listing(d)) + keys(d))
    expect_exit(home.run("delete", second["serial"]), 0, "delete the second")
    for d in (p.started, p.fresh):
        check(holds(d, pem1), "the first stays whole in " + d, str(listing(d)) + keys(d))
        check(not any(pem2.strip() in pems(d, n) for n in listing(d)) and key_id(pem2) not in keys(d),
              "the second and its key are gone from " + d)
        eq(ca_trust(d, srv.ca_pem), ",,", "the CA stays for the first one's chain")
    expect_exit(home.run("delete", first["serial"]), 0, "delete the first")
    for d in (p.started, p.fresh):
        eq(mine(d), {}, "nothing of certlink's left in " + d)


if __name__ == "__main__":
    try:
        main([test_enroll_without_consent, test_consent_trusts_the_ca_in_firefox, test_later_profile_without_consent,
              test_renewal_replaces_it_in_firefox, test_two_certificates_of_one_subject])
    finally:
        fx.close()
