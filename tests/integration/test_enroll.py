#!/usr/bin/env python3
"""certlink enroll with automatic approval: the certificate is where a person would look for it, chains to the
server's CA, has the key the server asked for (RSA 2048 by default, EC P-256 when configured), is in the NSS
database, and records, result file, list, show and apid say so. Then delete removes it from every place."""
import json
import os

from clitest import (Fixture, check, check_installed, der_of_pem, eq, expect_exit, main, openssl, read,
                     sha256_of_pem)

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
srv.user_add("bob", "bob's password")
for name in ("alice", "carol"):
    srv.cli("user-add", name)  # no password: passwordless invitations only


def test_link_rsa_default():
    home = fx.home("alice")
    link = srv.invite("alice")
    r = home.run("enroll", "--link", link)
    expect_exit(r, 0, "enroll with a passwordless link")
    apps = home.records()["applications"]
    eq(len(apps), 1, "one application recorded")
    serial = apps[0]["serial"]
    check(serial and serial in r.stdout, "enroll prints the serial", r.stdout)
    cert, app = check_installed(home, srv, serial, "rsa", 2048)
    eq(app["server_port"], srv.port, "application's server port")
    # The link pins the CA, but a pin is not consent (issue 9): without --install-ca the CA is only in the
    # certificate's chain (NSS without trust flags), not a trust anchor anywhere. (Before issue 9 this test
    # asserted the old behaviour, C,, in NSS and a file in certlink's trust directory.)
    nss = home.nss_list()
    check("certlink CA" not in nss, "no certlink CA entry in the NSS database", nss)
    eq(home.nss_trusted(), [], "no NSS entry has CA trust flags")
    check(not os.path.exists(os.path.join(home.store_dir, "anchors")), "nothing in certlink's anchors")
    check(not os.path.exists(os.path.join(home.store_dir, "trust")), "nothing in the old trust directory")
    # The server issued exactly this certificate for exactly this application.
    issued = [c for c in srv.certs() if c["serial"] == serial]
    eq(len(issued), 1, "server cert-list has the certificate")
    eq(issued[0]["application"], app["server_id"], "issued for the recorded application")
    # Result file, JSON and text.
    res = home.result()
    eq(res["result"], "succeeded", "result")
    eq(res["exit_code"], 0, "result exit_code")
    eq(res["serial"], serial, "result serial")
    eq(res["store"], "user", "result store")
    eq(res["user"], "alice", "result user")
    eq(res["cn"], "alice", "result cn")
    eq(res["expiry"], cert["not_after"], "result expiry is the certificate's notAfter")
    eq(res["trust_anchors_installed"], 0, "result: no trust anchor installed")
    eq(res["trust_anchors_not_installed"], [srv.ca_sha256], "result: the server's CA was not installed")
    text = home.result_text()
    check("result: succeeded" in text and "serial: " + serial in text and "exit_code: 0" in text,
          "result.txt", text)
    check("password" not in read(os.path.join(home.state, "certlink", "result.json")), "no secret in result")
    eq(os.stat(os.path.join(home.state, "certlink", "result.json")).st_mode & 0o777, 0o644, "result file mode")
    # list and show.
    r = home.run("list")
    expect_exit(r, 0, "list")
    row = next((l for l in r.stdout.splitlines() if serial in l), "")
    check("certificate" in row and "installed" in row and "CN=alice" in row, "list row", r.stdout)
    lj = home.list_json()
    user_store = next(s for s in lj["stores"] if s["store"] == "user")
    eq([c["state"] for c in user_store["certificates"]], ["installed"], "list --json state")
    shown = home.show(serial)["certificate"]
    pem = os.path.join(home.cert_dir(serial), "cert.pem")
    eq(shown["sha256"], sha256_of_pem(pem), "show: SHA-256 fingerprint")
    sha1 = openssl("x509", "-in", pem, "-noout", "-fingerprint", "-sha1").stdout.strip().split("=")[1]
    eq(shown["sha1"], sha1.replace(":", "").lower(), "show: SHA-1 fingerprint")
    eq((shown["key_type"], shown["key_bits"]), ("rsa", 2048), "show: key")
    eq(shown["subject"], "CN=alice", "show: subject")
    check(shown["issuer"].startswith("CN=certlink-server CA"), "show: issuer", shown["issuer"])
    eq(shown["state"], "installed", "show: state")
    check(any(l["kind"] == "nss-certificate" for l in shown["locations"]), "show: where stored")
    eq(home.show(app["id"])["certificate"]["serial"], serial, "show by application id")
    r = home.run("show", serial, "--pem")
    expect_exit(r, 0, "show --pem")
    der1 = der_of_pem(r.stdout)
    check(der1 and der1 == der_of_pem(read(pem)), "show --pem prints the installed certificate")
    r = home.run("show", serial)
    check("SHA-256:" in r.stdout and "RSA 2048 bits" in r.stdout and pem in r.stdout, "show text", r.stdout)
    # apid: what activation sent is what the server recorded.
    r = home.run("apid", "--json")
    expect_exit(r, 0, "apid --json")
    dev = json.loads(r.stdout)["device"]
    server_app = srv.app(app["server_id"])
    eq(server_app["apid"], dev["apid"], "APID the server recorded")
    eq(server_app["device"]["apid"], dev["apid"], "device APID the server recorded")
    eq(server_app["device"].get("vendor"), "Test Vendor", "DMI vendor sent")
    eq(dev.get("vendor"), "Test Vendor", "apid shows the vendor")
    check(len(dev["apid"]) == 16, "APID is 16 characters", dev["apid"])
    r = home.run("apid")
    check(dev["apid"] in r.stdout, "apid text", r.stdout)
    # Same machine-id, same APID; another machine-id, another APID.
    other = fx.home("clone")
    with open(other.env["CERTLINK_MACHINE_ID_FILE"], "w") as f:
        f.write("fedcba9876543210fedcba9876543210\n")
    r2 = other.run("apid", "--json")
    check(json.loads(r2.stdout)["device"]["apid"] != dev["apid"], "a clone with a new machine-id differs")
    again = home.run("apid", "--json")
    eq(json.loads(again.stdout)["device"]["apid"], dev["apid"], "APID is stable")


def test_password_ec_p256():
    srv.config(key_type="ec", key_size="P-256")
    try:
        home = fx.home("bob")
        r = home.enroll(srv, "bob", "bob's password")
        expect_exit(r, 0, "enroll with a password")
        serial = home.records()["applications"][0]["serial"]
        check_installed(home, srv, serial, "ec", "P-256")
        eq(home.show(serial)["certificate"]["key_bits"], 256, "show: EC key bits")
    finally:
        srv.config(key_type="rsa", key_size="2048")


def test_delete():
    home = fx.home("carol")
    # with the administrator's --install-ca the CA is an anchor too, so delete has it to remove
    r = home.run("enroll", "--link", srv.invite("carol"), "--install-ca", srv.ca_sha256)
    expect_exit(r, 0, "enroll")
    serial = home.records()["applications"][0]["serial"]
    d = home.cert_dir(serial)
    check(os.path.isdir(d), "installed")
    anchor = os.path.join(home.store_dir, "anchors", srv.ca_sha256 + ".pem")
    check(os.path.exists(anchor) and home.nss_trusted() != [], "the CA is a trust anchor before delete")
    r = home.run("delete", serial)
    expect_exit(r, 0, "delete")
    check(not os.path.exists(d), "certificate directory removed")
    nss = home.nss_list()
    check(serial not in nss, "NSS certificate removed", nss)
    check("certlink CA" not in nss, "the CA no other certificate needs is no longer trusted", nss)
    eq(home.nss_trusted(), [], "no NSS entry keeps CA trust flags")
    check(not os.path.exists(anchor), "the anchor file is removed")
    rec = home.records()
    eq(rec["certificates"], [], "certificate record removed")
    eq(rec["applications"], [], "application record removed")
    expect_exit(home.run("delete", serial), 100, "delete of an unknown serial")
    expect_exit(home.run("show", serial), 100, "show of an unknown serial")
    # The server was not told: the certificate is still valid there.
    eq([c["revoked"] for c in srv.certs() if c["serial"] == serial], [False], "delete is local")


try:
    main([test_link_rsa_default, test_password_ec_p256, test_delete])
finally:
    fx.close()
