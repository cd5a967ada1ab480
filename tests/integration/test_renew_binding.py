#!/usr/bin/env python3
"""Renewals bound to the server that issued, and a store keyed by more than the serial (issue 9 points 2, 3),
tried as the attacks they answer:

- a second, hostile certlink-server serves renew links for the victim's serial (its own host and port, with and
  without its CA pinned; the victim's host and port with the hostile CA pinned): each is refused with exit 100
  before any contact; the victim's key, certificate, NSS entries and records are byte for byte as before, and
  the hostile server never saw an application or a SCEP message (its database and its log);
- a renewal whose current key cannot be read stops before the server is contacted;
- two CAs issue the same serial: both certificates are installed side by side with their own keys, an id that
  names both is refused as ambiguous, a fingerprint prefix names one, and deleting or renewing one leaves the
  other whole;
- an install that fails part way through a renewal (a damaged NSS database; a records file at its size cap
  after files and NSS were written) leaves no new files behind, the records as they were, and the old
  certificate, key and NSS entries in place.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid

from clitest import (Fixture, Server, check, check_installed, eq, expect_exit, main, openssl, read)

fx = Fixture(auto_approve=True, approval_poll_interval=1)
legit = fx.server
hostile = Server().start()
hostile.config(auto_approve=True, approval_poll_interval=1)
for s in (legit, hostile):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        s.user_add(name, name + " pw")

RECORDS_MAX = 4 * 1024 * 1024  # core/records.h CL_RECORDS_MAX_BYTES


def only_cert(home):
    certs = home.records()["certificates"]
    eq(len(certs), 1, "exactly one certificate recorded")
    return certs[0]


def nss(home, *args):
    return subprocess.run(["certutil", *args, "-d", "sql:" + home.nssdir], capture_output=True,
                          text=True).stdout


def snapshot(home):
    """What a person would compare: every file of the store with its bytes, the NSS certificates and keys."""
    files = {}
    for d, _, names in os.walk(home.store_dir):
        for n in names:
            if n.endswith(".lock"):
                continue
            p = os.path.join(d, n)
            files[os.path.relpath(p, home.store_dir)] = read(p, "rb")
    return {"files": files, "nss": nss(home, "-L"), "keys": nss(home, "-K", "-f", "/dev/null")}


def same_as(home, before, what):
    after = snapshot(home)
    eq(sorted(after["files"]), sorted(before["files"]), what + ": the same files in the store")
    for name, data in before["files"].items():
        check(after["files"][name] == data, what + ": %s unchanged" % name)
    eq(after["nss"], before["nss"], what + ": NSS certificates (certutil -L) unchanged")
    eq(after["keys"], before["keys"], what + ": NSS keys (certutil -K) unchanged")


def db_rows(srv, sql, args=()):
    con = sqlite3.connect(os.path.join(srv.state, "certlink-server.db"), timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def renew_link(port, serial, ca=None, user="alice"):
    return "certlink://127.0.0.1:%d/renew?v=1&user=%s&serial=%s%s" % (port, user, serial,
                                                                       "&ca=" + ca if ca else "")


def test_hostile_renew_links_refused():
    home = fx.home("victim")
    expect_exit(home.enroll(legit, "alice", "alice pw"), 0, "the victim enrolls at the real server")
    cert = only_cert(home)
    serial = cert["serial"]
    eq(cert.get("server_trust"), "pin", "the record says how the server's identity was established")
    eq(cert.get("server_ca_fingerprint"), legit.ca_sha256, "and which CA it rests on")
    before = snapshot(home)
    legit_apps = len(legit.apps())
    attacks = [
        ("the hostile server's own address, its CA pinned", renew_link(hostile.port, serial, hostile.ca_sha256),
         "issued through 127.0.0.1:%d" % legit.port),
        ("the hostile server's own address, no pin", renew_link(hostile.port, serial),
         "issued through 127.0.0.1:%d" % legit.port),
        ("the serial spelled another way", renew_link(hostile.port, "00" + serial.upper(), hostile.ca_sha256),
         "issued through"),
        ("the real server's address with the hostile CA pinned", renew_link(legit.port, serial, hostile.ca_sha256),
         "pins another CA"),
        ("another user's certificate", renew_link(legit.port, serial, legit.ca_sha256, user="bob"),
         "for another user"),
    ]
    for what, link, why in attacks:
        r = home.run("enroll", "--link", link, "--password-stdin", input="alice pw\n")
        expect_exit(r, 100, what)
        check("refusing to renew" in r.stderr and why in r.stderr, what + ": says why", r.stderr)
        check("Connecting" not in r.stderr, what + ": no connection was made", r.stderr)
        eq(home.result()["exit_code"], 100, what + ": the result file says so")
        same_as(home, before, what)
    # A serial this computer does not have is refused too: there is no key to renew with.
    r = home.run("enroll", "--link", renew_link(hostile.port, "7e57"), "--password-stdin", input="alice pw\n")
    expect_exit(r, 100, "a serial that is not installed")
    check("no certificate with serial 7e57" in r.stderr, "says it is not installed", r.stderr)
    # The zero-touch renewal rule does not pick the victim's certificate for a run pinned to another CA: that
    # run is a new enrollment, and the real server does not match the pin.
    r = home.run("enroll", "--host", "127.0.0.1", "--port", legit.port, "--user", "alice", "--password-stdin",
                 "--ca-fingerprint", hostile.ca_sha256, "--renew", input="alice pw\n")
    expect_exit(r, 200, "renewal rule with another CA pinned")
    same_as(home, before, "renewal rule with another CA pinned")
    # The hostile server never saw an application, a key or a SCEP message; the real one nothing new.
    eq(hostile.apps(), [], "the hostile server has no application")
    eq(hostile.certs(), [], "the hostile server issued nothing")
    eq(db_rows(hostile, "SELECT COUNT(*) FROM scep_transactions"), [(0,)], "no SCEP transaction at the hostile server")
    log = hostile.log()
    check("RenewalReq" not in log and "scep:" not in log and "api: application" not in log,
          "the hostile server's log shows no SCEP message and no application", log)
    eq(len(legit.apps()), legit_apps, "nothing new at the real server")
    # The real server's own renew link still renews, and the store comes from the record (no --store).
    r = home.run("enroll", "--link", renew_link(legit.port, serial, legit.ca_sha256), "--password-stdin",
                 input="alice pw\n")
    expect_exit(r, 0, "the real server's renew link")
    new = only_cert(home)
    check(new["serial"] != serial, "a new certificate replaced the old one")
    check_installed(home, legit, new["serial"])
    eq(new.get("server_ca_fingerprint"), legit.ca_sha256, "the renewed certificate keeps the server identity")
    renewal = [a for a in legit.apps() if a.get("certificate_serial") == new["serial"]]
    eq(renewal[0]["renewal_of"], serial, "the real server saw a renewal of the old serial")


def test_unreadable_key_stops_before_contact():
    home = fx.home("no-key")
    expect_exit(home.enroll(legit, "bob", "bob pw"), 0, "enroll")
    cert = only_cert(home)
    os.unlink(files_of(cert)["key"])
    apps = len(legit.apps())
    r = home.run("renew", cert["serial"], "--password-stdin", input="bob pw\n")
    expect_exit(r, 100, "renewal without the current key")
    check("Connecting" not in r.stderr, "stopped before connecting", r.stderr)
    eq(len(legit.apps()), apps, "the server received nothing")


def issue_with_serial(srv, serial, timeout=120):
    """The second CA issues SERIAL: while the client's SCEP request is held (hold_issuance), sign its CSR with
    this server's CA key and serial SERIAL and record the certificate the way the server records what it
    issues, so the client's next poll receives it (scep: retransmission of an issued transaction)."""
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline and not rows:
        rows = db_rows(srv, "SELECT transaction_id, pubkey_sha256, app_id, csr FROM scep_transactions "
                            "WHERE state = 'pending'")
        time.sleep(0.2)
    check(rows, "the client's SCEP request reached the second server and is held", srv.log())
    txid, pub, app_id, csr_der = rows[0]
    work = os.path.join(srv.dir, "issue-%s" % serial)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "csr.der"), "wb") as f:
        f.write(csr_der)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write("[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    def run(*a):
        r = subprocess.run(["openssl", *a], capture_output=True, text=True)
        check(r.returncode == 0, "openssl %s" % a[0], r.stderr)
    # The request as the client sent it: its subject and public key (the certificate is signed with the CA
    # key directly: `x509 -req` would re-check a signature the server already checked)
    run("req", "-inform", "DER", "-in", os.path.join(work, "csr.der"), "-out", os.path.join(work, "csr.pem"))
    subj = openssl("req", "-in", os.path.join(work, "csr.pem"), "-noout", "-subject",
                   "-nameopt", "compat").stdout.strip().partition("=")[2]
    with open(os.path.join(work, "pub.pem"), "w") as f:
        f.write(openssl("req", "-in", os.path.join(work, "csr.pem"), "-noout", "-pubkey").stdout)
    run("x509", "-new", "-subj", subj, "-force_pubkey", os.path.join(work, "pub.pem"),
        "-CA", os.path.join(srv.state, "ca.pem"), "-CAkey", os.path.join(srv.state, "ca.key"),
        "-set_serial", "0x" + serial, "-days", "30", "-sha256", "-extfile", os.path.join(work, "ext.cnf"),
        "-extensions", "v3", "-out", os.path.join(work, "cert.pem"))
    pem = os.path.join(work, "cert.pem")
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    subject = openssl("x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
    user, store = db_rows(srv, "SELECT user, store FROM applications WHERE id = ?", (app_id,))[0]
    now = int(time.time())
    con = sqlite3.connect(os.path.join(srv.state, "certlink-server.db"), timeout=30)
    with con:
        con.execute("INSERT INTO certificates(serial, app_id, user, store, subject, not_before, not_after, der,"
                    " pubkey_sha256, transaction_id) VALUES(?,?,?,?,?,?,?,?,?,?)",
                    (serial, app_id, user, store, subject.partition("=")[2], now, now + 30 * 86400, der, pub,
                     txid))
        con.execute("UPDATE scep_transactions SET state = 'issued', serial = ? WHERE transaction_id = ?",
                    (serial, txid))
        con.execute("UPDATE applications SET state = 'issued', cert_serial = ?, updated = ? WHERE id = ?",
                    (serial, now, app_id))
    con.close()
    return read(pem)


def cert_entry(home, fingerprint):
    return next(c for c in home.records()["certificates"] if c["fingerprint"] == fingerprint)


def files_of(entry):
    return {l["kind"]: l["path"] for l in entry["locations"]}


def nss_holds(home, nickname, pem_text):
    out = subprocess.run(["certutil", "-L", "-d", "sql:" + home.nssdir, "-n", nickname, "-a"],
                         capture_output=True, text=True).stdout.replace("\r", "")
    return pem_text.strip() in out


def test_same_serial_from_two_cas():
    second = Server().start()
    second.config(auto_approve=True, approval_poll_interval=1, hold_issuance=True)
    second.user_add("carol", "carol pw")
    try:
        home = fx.home("two-cas")
        expect_exit(home.enroll(legit, "carol", "carol pw"), 0, "the first CA issues")
        first = only_cert(home)
        serial = first["serial"]
        first_files = files_of(first)
        first_bytes = {k: read(first_files[k], "rb") for k in ("key", "certificate")}
        # The second CA issues the same serial (to the same person, so the subjects agree too).
        log = open(os.path.join(home.dir, "second.log"), "wb")
        p = home.popen("enroll", "--host", "127.0.0.1", "--port", str(second.port), "--user", "carol",
                       "--password-stdin", "--ca-fingerprint", second.ca_sha256, stdin=subprocess.PIPE,
                       stdout=log, stderr=log)
        log.close()
        p.stdin.write(b"carol pw\n")
        p.stdin.close()
        pem = issue_with_serial(second, serial)
        eq(p.wait(180), 0, "the second certificate installs (%s)" % read(os.path.join(home.dir, "second.log")))
        certs = home.records()["certificates"]
        eq(len(certs), 2, "two certificates recorded")
        eq({c["serial"] for c in certs}, {serial}, "both with the same serial")
        other = next(c for c in certs if c["fingerprint"] != first["fingerprint"])
        eq(other["issuer"] != first["issuer"], True, "from two CAs")
        other_files = files_of(other)
        check(os.path.dirname(other_files["key"]) != os.path.dirname(first_files["key"]), "in two directories")
        eq(read(other_files["certificate"]).strip(), pem.strip(), "the second file holds the second certificate")
        for k in ("key", "certificate"):
            check(read(first_files[k], "rb") == first_bytes[k], "the first certificate's %s is untouched" % k)
        for c, files in ((first, first_files), (other, other_files)):
            eq(openssl("pkey", "-in", files["key"], "-pubout").stdout,
               openssl("x509", "-in", files["certificate"], "-noout", "-pubkey").stdout,
               "each key matches its own certificate")
        nick = {c["fingerprint"]: next(l["nickname"] for l in c["locations"] if l["kind"] == "nss-certificate")
                for c in certs}
        check(nss_holds(home, nick[first["fingerprint"]], read(first_files["certificate"])), "NSS holds the first")
        check(nss_holds(home, nick[other["fingerprint"]], pem), "NSS holds the second")
        # A serial names both: refused, with the fingerprints to choose from; a fingerprint prefix names one.
        for cmd in (("delete", serial), ("show", serial), ("renew", serial, "--password-stdin")):
            r = home.run(*cmd, input="carol pw\n")
            expect_exit(r, 100, "certlink %s SERIAL with two certificates" % cmd[0])
            check("names 2 certificates" in r.stderr and first["fingerprint"][:16] in r.stderr and
                  other["fingerprint"][:16] in r.stderr, "the message lists both fingerprints", r.stderr)
        eq(len(home.records()["certificates"]), 2, "nothing was deleted")
        eq(home.show(other["fingerprint"][:12])["certificate"]["sha256"], other["fingerprint"],
           "show by fingerprint prefix")
        # Renewing the first (by fingerprint) at its own server leaves the second whole.
        other_bytes = {k: read(other_files[k], "rb") for k in ("key", "certificate")}
        r = home.run("renew", first["fingerprint"][:16], "--password-stdin", input="carol pw\n")
        expect_exit(r, 0, "renew the first by fingerprint prefix")
        certs = home.records()["certificates"]
        eq(len(certs), 2, "still two certificates")
        check(all(c["fingerprint"] != first["fingerprint"] for c in certs), "the first one was replaced")
        renewed = next(c for c in certs if c["fingerprint"] != other["fingerprint"])
        check(renewed["issuer"] == first["issuer"], "by its own CA")
        for k in ("key", "certificate"):
            check(read(other_files[k], "rb") == other_bytes[k], "the second certificate's %s is untouched" % k)
        check(nss_holds(home, nick[other["fingerprint"]], pem), "NSS still holds the second")
        # Deleting the renewed one leaves the second whole, in its files and in NSS.
        expect_exit(home.run("delete", renewed["fingerprint"][:10]), 0, "delete by fingerprint prefix")
        certs = home.records()["certificates"]
        eq([c["fingerprint"] for c in certs], [other["fingerprint"]], "the second is left")
        check(not os.path.exists(os.path.dirname(files_of(renewed)["key"])), "the deleted one's files are gone")
        for k in ("key", "certificate"):
            check(read(other_files[k], "rb") == other_bytes[k], "the second certificate's %s is untouched" % k)
        check(nss_holds(home, nick[other["fingerprint"]], pem), "NSS still holds the second")
        check(nick[other["fingerprint"]] in nss(home, "-K", "-f", "/dev/null"), "and its key")
    finally:
        second.stop()
        if not os.environ.get("CERTLINK_KEEP_TMP"):
            shutil.rmtree(second.dir, ignore_errors=True)


def certs_dir_entries(home):
    return sorted(os.listdir(os.path.join(home.store_dir, "certs")))


def check_rolled_back(home, before, old, what, with_reason=True):
    same_files = {k: v for k, v in before["files"].items() if k.startswith("certs" + os.sep)}
    now = snapshot(home)
    eq(sorted(k for k in now["files"] if k.startswith("certs" + os.sep)), sorted(same_files),
       what + ": no new file under certs/ (no orphan)")
    for name, data in same_files.items():
        check(now["files"][name] == data, what + ": %s unchanged" % name)
    check(not any(e.startswith(".") for e in certs_dir_entries(home)), what + ": no temporary directory left")
    eq(now["nss"], before["nss"], what + ": NSS certificates as before")
    eq(now["keys"], before["keys"], what + ": NSS keys as before")
    rec = home.records()
    eq([c["fingerprint"] for c in rec["certificates"]], [old["fingerprint"]], what + ": records list the old one")
    renewal = [a for a in rec["applications"] if a.get("renewal_of") == old["serial"]]
    eq(len(renewal), 1, what + ": the renewal application is on record")
    eq(renewal[0]["state"], "issued", what + ": it stays issued")
    check(not with_reason or renewal[0].get("last_error"), what + ": with the reason (%s)" % renewal[0])
    expect_exit(home.run("list"), 0, what + ": the records still load")
    check_installed(home, legit, old["serial"])


def test_nss_failure_rolls_back():
    home = fx.home("nss-fails")
    expect_exit(home.enroll(legit, "dave", "dave pw"), 0, "enroll")
    old = only_cert(home)
    before = snapshot(home)
    # A damaged key database: certutil and pk12util cannot open it (cert9.db is still writable).
    key4 = os.path.join(home.nssdir, "key4.db")
    os.rename(key4, key4 + ".saved")
    os.mkdir(key4)
    try:
        r = home.run("renew", old["serial"], "--password-stdin", input="dave pw\n")
    finally:
        os.rmdir(key4)
        os.rename(key4 + ".saved", key4)
    expect_exit(r, 100, "renewal whose NSS step fails")
    check("NSS database" in r.stderr, "says the NSS database failed",
          r.stderr)
    check_rolled_back(home, before, old, "NSS import failed")


def pad_records(home, free):
    """Fill records.json with forgotten applications of another server until it is exactly FREE bytes below
    the size cap in certlink's own formatting: each try is rewritten by certlink (`certlink delete` of a
    padding certificate), which gives the size one padding application takes; two applications' last_error
    are then lengthened in place to land on the byte."""
    path = os.path.join(home.store_dir, "records.json")
    base = json.loads(read(path))
    stamp = "2026-01-01T00:00:00Z"

    def app(text):
        return {"id": uuid.uuid4().hex[:16], "server_host": "padding.invalid", "server_port": 443,
                "user": "pad", "store": "user", "client_request_id": str(uuid.uuid4()), "state": "failed",
                "created": stamp, "updated": stamp, "last_error": text}

    def write(n, tag):
        doc = json.loads(json.dumps(base))
        doc["applications"] += [app("x" * 1000) for _ in range(n)] + [app("A" * 100), app("B" * 100)]
        doc["certificates"].append({"serial": "7" + tag, "fingerprint": tag * 32})
        with open(path, "w") as f:
            json.dump(doc, f)
        r = home.run("delete", tag * 4)
        expect_exit(r, 0, "certlink rewrites the padded records")
        return os.path.getsize(path)
    s1, s2 = write(10, "ad"), write(20, "ae")
    per_app = (s2 - s1) // 10
    eq(per_app * 10, s2 - s1, "padding applications all take the same room")
    target = RECORDS_MAX - free
    s3 = write(10 + (target - s1) // per_app, "af")
    rest = target - s3
    check(0 <= rest < per_app <= 1800, "the rest fits into two last_error texts (%d of %d)" % (rest, per_app))
    text = read(path, "rb")
    text = text.replace(b'"' + b"A" * 100 + b'"', b'"' + b"A" * (100 + min(rest, 900)) + b'"')
    text = text.replace(b'"' + b"B" * 100 + b'"', b'"' + b"B" * (100 + rest - min(rest, 900)) + b'"')
    with open(path, "wb") as f:
        f.write(text)
    eq(os.path.getsize(path), target, "records.json padded")
    expect_exit(home.run("list"), 0, "the padded records load")


def test_records_full_rolls_back():
    home = fx.home("records-full")
    expect_exit(home.enroll(legit, "erin", "erin pw"), 0, "enroll")
    # One renewal to measure: what a renewal's application adds to records.json, and a certificate's record.
    size0 = os.path.getsize(os.path.join(home.store_dir, "records.json"))
    first = only_cert(home)
    expect_exit(home.run("renew", first["serial"], "--password-stdin", input="erin pw\n"), 0, "a renewal")
    size1 = os.path.getsize(os.path.join(home.store_dir, "records.json"))
    old = only_cert(home)
    app_bytes = size1 - size0
    cert_bytes = len(json.dumps(old, indent="\t"))
    check(app_bytes > 0 and cert_bytes > 600, "measured (application %d, certificate %d bytes)" %
          (app_bytes, cert_bytes))
    # Room for the next renewal's application, not for its certificate: the records file reaches its cap
    # only when the new certificate is recorded, after its files and its NSS entry were written.
    pad_records(home, app_bytes + cert_bytes // 2)
    before = snapshot(home)
    r = home.run("renew", old["serial"], "--password-stdin", input="erin pw\n")
    expect_exit(r, 100, "renewal whose certificate cannot be recorded")
    check("over its limit" in r.stderr, "says the records file is full", r.stderr)
    # (the reason may not fit into the full records file itself)
    check_rolled_back(home, before, old, "records full", with_reason=False)


try:
    main([test_hostile_renew_links_refused, test_unreadable_key_stops_before_contact, test_same_serial_from_two_cas, test_nss_failure_rolls_back,
          test_records_full_rolls_back])
finally:
    hostile.stop()
    if not os.environ.get("CERTLINK_KEEP_TMP"):
        shutil.rmtree(hostile.dir, ignore_errors=True)
    fx.close()
