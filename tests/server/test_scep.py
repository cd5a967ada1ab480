"""certlink-server /scep: issuance through the challenge policy with micromdm's scepclient over the plain-HTTP
listener, retransmission, challenge rules, hold/release, withdrawal revoking, bad SCEP input."""
import os
import subprocess
import urllib.error
import urllib.parse
import re
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, openssl, scepclient  # noqa: E402


class ScepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.cli("user-add", "alice", "--password-stdin", "--email", "alice@corp.example", input="secret pw\n")
        cls.srv.config("auto_approve", "true")
        cls.work = tempfile.mkdtemp(dir=cls.srv.dir)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        self.srv.config("hold_issuance", "false")

    def activated(self, **kw):
        st, doc, _, _ = self.srv.apply(**kw)
        self.assertEqual(st, 201, doc)
        app = doc["application"]
        st, act, _, _ = self.srv.activate(app)
        self.assertEqual(st, 200, act)
        return app, act

    def certs(self):
        return self.srv.admin("GET", "/certificates")[1]["certificates"]

    def test_caps_and_cacert(self):
        with urllib.request.urlopen(self.srv.scep_url() + "?operation=GetCACaps") as r:
            caps = r.read().decode().split()
        for cap in ("POSTPKIOperation", "SHA-256", "AES", "SCEPStandard", "Renewal"):
            self.assertIn(cap, caps)
        with urllib.request.urlopen(self.srv.scep_url() + "?operation=GetCACert") as r:
            self.assertEqual(r.headers["Content-Type"], "application/x-x509-ca-ra-cert")
            der = r.read()
        out = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=der,
                             capture_output=True).stdout.decode()
        self.assertIn("certlink-server CA", out)
        self.assertIn("SCEP RA", out)
        # Same over HTTPS.
        st, _, resp, body = self.srv.request("GET", "/scep?operation=GetCACert")
        self.assertEqual((st, body), (200, der))

    def test_enroll_and_retransmit(self):
        app, act = self.activated(email="alice@example.com")
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "a1")
        self.assertEqual(rc, 0, out)
        text = openssl("x509", "-in", cert, "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage").stdout
        self.assertIn("CN = alice", text)
        self.assertIn("email:alice@corp.example", text)  # the directory's address, not the typed one
        self.assertNotIn("alice@example.com", text)
        self.assertIn("TLS Web Client Authentication", text)
        ca = os.path.join(self.srv.state, "ca.pem")
        self.assertEqual(openssl("verify", "-CAfile", ca, cert).returncode, 0)
        serial = openssl("x509", "-in", cert, "-noout", "-serial").stdout.strip().split("=")[1].lower().lstrip("0")
        st, doc, _, _ = self.srv.request("GET", "/api/v1/applications/" + app["id"], token=app["secret"])
        self.assertEqual((doc["application"]["state"], doc["application"]["certificate_serial"]), ("issued", serial))
        # Retransmission: same key, same transactionID -> the same certificate, not a second one.
        with open(cert) as f:
            first = f.read()
        os.unlink(cert)
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "a1")
        self.assertEqual(rc, 0, out)
        with open(cert) as f:
            self.assertEqual(f.read(), first)
        self.assertEqual(len([c for c in self.certs() if c["application"] == app["id"]]), 1)
        # Activation of an issued application says so, and hands out no challenge.
        st, doc, _, _ = self.srv.activate(app)
        self.assertEqual((st, doc["issued_serial"]), (200, serial))
        self.assertNotIn("challenge", doc["scep"])
        # The used challenge with another key is refused.
        rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "a1-other")
        self.assertNotEqual(rc, 0, out)
        # Withdrawal revokes; the CRL lists the serial.
        st, doc, _, _ = self.srv.request("POST", "/api/v1/applications/%s/withdraw" % app["id"], {},
                                         token=app["secret"])
        self.assertEqual(doc["application"]["revoked_serial"], serial)
        st, _, resp, crl = self.srv.request("GET", "/ca.crl")
        self.assertEqual(st, 200)
        text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], input=crl,
                              capture_output=True).stdout.decode()
        self.assertIn(serial.upper().zfill(len(serial) + len(serial) % 2), text.replace(":", "").upper())

    def test_challenge_rules(self):
        rc, out, _ = scepclient(self.srv.scep_url(), "notachallenge", self.work, "bad1")
        self.assertNotEqual(rc, 0, out)
        _, act1 = self.activated()
        app2, act2 = self.activated()
        # Re-activation invalidates the previous challenge of that application only.
        st, act2b, _, _ = self.srv.activate(app2)
        rc, out, _ = scepclient(self.srv.scep_url(), act2["scep"]["challenge"], self.work, "old")
        self.assertNotEqual(rc, 0, out)
        rc, out, _ = scepclient(self.srv.scep_url(), act1["scep"]["challenge"], self.work, "c1")
        self.assertEqual(rc, 0, out)
        # A subject other than activation's is refused when activation said cn_override forbidden.
        self.srv.config("cn_override", "forbidden")
        try:
            st, act2b, _, _ = self.srv.activate(app2)
            self.assertEqual(act2b["cn_override"], "forbidden")
        finally:
            self.srv.config("cn_override", "allowed")
        rc, out, _ = scepclient(self.srv.scep_url(), act2b["scep"]["challenge"], self.work, "c2", cn="mallory")
        self.assertNotEqual(rc, 0, out)
        # Wrong key size is refused.
        rc, out, _ = scepclient(self.srv.scep_url(), act2b["scep"]["challenge"], self.work, "c3", key_size=3072)
        self.assertNotEqual(rc, 0, out)
        rc, out, _ = scepclient(self.srv.scep_url(), act2b["scep"]["challenge"], self.work, "c4")
        self.assertEqual(rc, 0, out)

    def test_renewal(self):
        app, act = self.activated()
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "r-old")
        self.assertEqual(rc, 0, out)
        serial = openssl("x509", "-in", cert, "-noout", "-serial").stdout.strip().split("=")[1].lower().lstrip("0")
        st, doc, _, _ = self.srv.apply(renewal_of=serial, store="computer")
        self.assertEqual((st, doc["error"]["code"]), (403, "forbidden"))  # another store
        renew, act2 = self.activated(renewal_of=serial)
        rc, out, cert2 = scepclient(self.srv.scep_url(), act2["scep"]["challenge"], self.work, "r-new")
        self.assertEqual(rc, 0, out)
        new_serial = openssl("x509", "-in", cert2, "-noout", "-serial").stdout.strip()
        self.assertNotIn(serial.upper(), new_serial)
        apps = {c["application"] for c in self.certs()}
        self.assertIn(app["id"], apps)
        self.assertIn(renew["id"], apps)
        rows = self.srv.admin("GET", "/applications")[1]["applications"]
        self.assertEqual([a for a in rows if a["id"] == renew["id"]][0]["renewal_of"], serial)
        # Every certificate names the CRL, served over plain HTTP (docs/server.md "Revocation"); the replaced
        # certificate is on it once renewal_revoke_days are over, with the reason "superseded".
        text = openssl("x509", "-in", cert2, "-noout", "-ext", "crlDistributionPoints").stdout
        url = re.search(r"URI:(\S+)", text).group(1)
        self.assertEqual(url, "http://127.0.0.1:%d/ca.crl" % self.srv.scep_port)
        crl_text = lambda: subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"],
                                          input=urllib.request.urlopen(url, timeout=30).read(),
                                          capture_output=True).stdout.decode()
        self.assertNotIn(serial.upper(), crl_text().replace(":", "").upper())  # 7 days of grace
        self.srv.config("renewal_revoke_days", "0")
        try:
            listed = crl_text()
        finally:
            self.srv.config("renewal_revoke_days", "7")
        self.assertIn(serial.upper(), listed.replace(":", "").upper())
        self.assertIn("Superseded", listed)
        with self.assertRaises(urllib.error.HTTPError) as refused:  # nothing else over plain HTTP
            urllib.request.urlopen("http://127.0.0.1:%d/api/v1/config" % self.srv.scep_port, timeout=30)
        self.assertEqual(refused.exception.code, 404)
        # The administrator revokes the renewed certificate through the admin API; the CRL lists it.
        new_hex = new_serial.split("=")[1].lower().lstrip("0")
        st, doc, _, _ = self.srv.admin("POST", "/certificates/%s/revoke" % new_hex)
        self.assertEqual((st, doc["certificate"]["serial"], doc["certificate"]["revoked"]), (200, new_hex, True))
        st, _, _, crl = self.srv.request("GET", "/ca.crl")
        text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], input=crl,
                              capture_output=True).stdout.decode().replace(":", "").upper()
        self.assertIn(new_hex.upper(), text)

    def test_admin_page_revoke(self):
        """The admin page's Revoke button (issue 12): with the page's CSRF token the certificate is revoked and
        the CRL at the distribution point lists it; a forged form changes nothing."""
        app, act = self.activated()
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "page-revoke")
        self.assertEqual(rc, 0, out)
        serial = openssl("x509", "-in", cert, "-noout", "-serial").stdout.strip().split("=")[1].lower().lstrip("0")
        url = re.search(r"URI:(\S+)", openssl("x509", "-in", cert, "-noout", "-ext",
                                              "crlDistributionPoints").stdout).group(1)

        def listed():
            crl = urllib.request.urlopen(url, timeout=30).read()
            text = subprocess.run(["openssl", "crl", "-inform", "DER", "-noout", "-text"], input=crl,
                                  capture_output=True).stdout.decode()
            return serial.upper() in text.replace(":", "").upper()

        st, _, resp, _ = self.srv.request("GET", "/admin?token=" + urllib.parse.quote(self.srv.admin_token))
        self.assertEqual(st, 303)
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        _, _, _, page = self.srv.request("GET", "/admin", headers={"Cookie": cookie})
        page = page.decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        self.assertRegex(page, r'action="/admin/revoke">(?:(?!</form>).)*value="%s"' % serial)
        st, _, _, _ = self.srv.request("POST", "/admin/revoke", headers=form,
                                       raw=urllib.parse.urlencode({"serial": serial, "csrf": "forged"}).encode())
        self.assertEqual(st, 403)
        self.assertFalse(listed())
        st, _, _, _ = self.srv.request("POST", "/admin/revoke", headers=form,
                                       raw=urllib.parse.urlencode({"serial": serial, "csrf": csrf}).encode())
        self.assertEqual(st, 303)
        self.assertTrue(listed())
        self.assertTrue([c for c in self.certs() if c["serial"] == serial][0]["revoked"])

    def test_hold_and_release(self):
        self.srv.config("hold_issuance", "true")
        app, act = self.activated()
        result = {}

        def run():
            result["r"] = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, "held", timeout=240)
        t = threading.Thread(target=run)
        t.start()
        deadline = time.time() + 60
        while "PENDING" not in self.srv.log_text() and time.time() < deadline:
            time.sleep(0.2)
        self.assertIn("PENDING", self.srv.log_text())
        self.assertEqual(len([c for c in self.certs() if c["application"] == app["id"]]), 0)
        self.srv.cli("release", app["id"])
        t.join(240)
        rc, out, cert = result["r"]
        self.assertEqual(rc, 0, out)
        self.assertTrue(os.path.exists(cert))
        self.assertEqual(len([c for c in self.certs() if c["application"] == app["id"]]), 1)

    def held_request(self, app, act, name):
        """scepclient sends alice's request, the server holds it (PENDING); the client is stopped while it
        waits to send it again. Returns the working directory, which keeps its key and request."""
        cwd = os.path.join(self.work, name)
        os.makedirs(cwd)
        marker = "tx="
        before = self.srv.log_text().count("PENDING")
        proc = subprocess.Popen(["scepclient", "-server-url", self.srv.scep_url(), "-challenge",
                                 act["scep"]["challenge"], "-cn", "alice", "-organization", "", "-ou", "", "-country",
                                 "", "-private-key", os.path.join(cwd, "key.pem"), "-certificate",
                                 os.path.join(cwd, "cert.pem")], cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            while self.srv.log_text().count("PENDING") == before and time.time() < deadline:
                time.sleep(0.2)
            self.assertIn(marker, self.srv.log_text())
            self.assertGreater(self.srv.log_text().count("PENDING"), before, "the request was not held")
        finally:
            proc.kill()
            proc.wait()
        return cwd

    def test_held_request_after_withdraw_and_reapply(self):
        """A request held before a withdrawal is never issued afterwards: not after withdrawal, not after
        re-application, approval and release. A new activation's challenge enrols (a new request)."""
        self.srv.config("hold_issuance", "true")
        app, act = self.activated()
        path = "/api/v1/applications/%s/" % app["id"]
        cwd = self.held_request(app, act, "held-withdraw")
        st, doc, _, _ = self.srv.request("POST", path + "withdraw", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "withdrawn"))
        rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, os.path.basename(cwd))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("badRequest", out)
        # Re-apply (approved at once), release: the same request, sent again, is still refused.
        st, doc, _, _ = self.srv.request("POST", path + "reapply", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "approved"))
        self.srv.cli("release", app["id"])
        rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, os.path.basename(cwd))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("badRequest", out)
        self.assertIn("cancelled by a withdrawal", self.srv.log_text())
        self.assertEqual([c for c in self.certs() if c["application"] == app["id"]], [])
        # A new challenge from a new activation: a new request, released, issued.
        st, act2, _, _ = self.srv.activate(app)
        self.assertEqual(st, 200, act2)
        rc, out, cert = scepclient(self.srv.scep_url(), act2["scep"]["challenge"], self.work, "held-new")
        self.assertEqual(rc, 0, out)
        self.assertEqual(len([c for c in self.certs() if c["application"] == app["id"]]), 1)

    def test_held_request_after_reject(self):
        """Rejected while held, then approved and released: the held request is still never issued."""
        self.srv.config("hold_issuance", "true")
        app, act = self.activated()
        cwd = self.held_request(app, act, "held-reject")
        self.srv.cli("reject", app["id"])
        self.srv.cli("approve", app["id"])
        self.srv.cli("release", app["id"])
        rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, os.path.basename(cwd))
        self.assertNotEqual(rc, 0, out)
        self.assertEqual([c for c in self.certs() if c["application"] == app["id"]], [])

    @unittest.skipUnless(os.environ.get("SCEP_ENROLL"), "SCEP_ENROLL (tests/interop/scep-enroll) not given")
    def test_ec_key_transport_signer_retransmission(self):
        """An EC P-256 key through certlink's SCEP client: the pkiMessage is signed with a throw-away RSA
        transport certificate. Sending the same transaction again (a resend after a crash: same key, same
        transactionID, a new transport key) gets the same certificate, enveloped to the new signer."""
        self.srv.config("key_type", "ec")
        self.srv.config("key_size", "P-256")
        try:
            app, act = self.activated()
        finally:
            self.srv.config("key_type", "rsa")
            self.srv.config("key_size", "2048")
        d = tempfile.mkdtemp(dir=self.work)
        challenge = os.path.join(d, "challenge")
        with open(os.open(challenge, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(act["scep"]["challenge"] + "\n")
        ca_der = subprocess.run(["openssl", "x509", "-in", os.path.join(self.srv.state, "ca.pem"), "-outform",
                                 "DER"], capture_output=True, check=True).stdout
        import hashlib
        key = os.path.join(d, "key.pem")
        certs = []
        for i in range(2):
            out = os.path.join(d, "cert%d.pem" % i)
            r = subprocess.run([os.environ["SCEP_ENROLL"], "--url", self.srv.scep_url(), "--ca-sha256",
                                hashlib.sha256(ca_der).hexdigest(), "--challenge-file", challenge, "--key", key,
                                "--key-type", "ec:P-256", "--cn", "alice", "--out", out, "--debug"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("RSA transport key", r.stderr)
            certs.append(open(out).read())
        self.assertEqual(certs[0], certs[1])
        self.assertEqual(openssl("verify", "-CAfile", os.path.join(self.srv.state, "ca.pem"),
                                 os.path.join(d, "cert0.pem")).returncode, 0)
        text = openssl("x509", "-in", os.path.join(d, "cert0.pem"), "-noout", "-text").stdout
        self.assertIn("id-ecPublicKey", text)
        self.assertIn("NIST CURVE: P-256", text)
        self.assertEqual(openssl("x509", "-in", os.path.join(d, "cert0.pem"), "-noout", "-pubkey").stdout,
                         openssl("pkey", "-in", key, "-pubout").stdout)
        self.assertEqual(len([c for c in self.certs() if c["application"] == app["id"]]), 1)
        self.assertIn("retransmission: same certificate", self.srv.log_text())

    def test_bad_scep_input(self):
        def post(query, data):
            req = urllib.request.Request(self.srv.scep_url() + query, data=data, method="POST",
                                         headers={"Content-Type": "application/x-pki-message"})
            try:
                with urllib.request.urlopen(req) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        import json
        for body in (b"garbage", b"\x30\x82\xff\xff" + b"\x00" * 40, b"\x30\x03\x02\x01"):
            st, payload = post("?operation=PKIOperation", body)
            self.assertEqual(st, 400, payload)
            self.assertEqual(json.loads(payload)["error"]["code"], "bad_request")
        # Truncated real request: take a GetCACert answer as a stand-in DER blob and cut it.
        with urllib.request.urlopen(self.srv.scep_url() + "?operation=GetCACert") as r:
            der = r.read()
        st, payload = post("?operation=PKIOperation", der[: len(der) // 2])
        self.assertEqual(st, 400)
        st, payload = post("?operation=Bogus", b"")
        self.assertEqual((st, json.loads(payload)["error"]["code"]), (400, "bad_request"))
        st, payload = post("", b"")
        self.assertEqual(st, 400)
        st, payload = post("?operation=PKIOperation", b"\x30" * (300 * 1024))
        self.assertEqual((st, json.loads(payload)["error"]["code"]), (413, "too_large"))
        try:
            urllib.request.urlopen(self.srv.scep_url() + "?operation=PKIOperation&message=%%%")
            self.fail("GET with a bad message was accepted")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
        # The plain listener serves SCEP only.
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/api/v1/config" % self.srv.scep_port)
            self.fail("API over plain HTTP")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 404)
        # Still serving.
        with urllib.request.urlopen(self.srv.scep_url() + "?operation=GetCACaps") as r:
            self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
