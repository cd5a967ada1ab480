"""certlink-server: certificates name the approved identity and nothing else (issue 9 point 7; docs/scep-server.md
"Names"). Each test is an attack by alice, who has her own password, against bob's name, over SCEP with
micromdm's scepclient (Debian `scep`) and through the enrollment API's fields. Every test asserts what was
issued, from the certificate the client got and from the server's database: only alice, her directory e-mail
address, or a computer name an administrator approved.

scepclient reuses a csr.pem it finds in its working directory; the SAN attacks put one there, made with the
openssl command (scepclient itself cannot ask for a SAN).
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, openssl, scepclient  # noqa: E402


class NamesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.cli("user-add", "alice", "--password-stdin", "--email", "alice@corp.example", input="alice pw\n")
        cls.srv.cli("user-add", "bob", "--password-stdin", "--email", "bob@corp.example", input="bob pw\n")
        cls.srv.config("auto_approve", "true")
        cls.work = tempfile.mkdtemp(dir=cls.srv.dir)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        self.srv.config("cn_override", "allowed")
        self.srv.config("auto_approve", "true")
        self.srv.config("auto_approve_computer_name", "false")

    def dir(self, name):
        NamesTest.n += 1
        return "%02d-%s" % (self.n, name)

    def app(self, store="user", **fields):
        st, doc, _, _ = self.srv.apply(user="alice", password="alice pw", store=store, **fields)
        self.assertEqual(st, 201, doc)
        return doc["application"]

    def activate(self, app, hostname="pc01"):
        st, act, _, _ = self.srv.activate(app, {"hostname": hostname})
        self.assertEqual(st, 200, act)
        return act

    def db_certs(self, app):
        """(subject, user) of every certificate the server's database records for app."""
        db = sqlite3.connect(os.path.join(self.srv.state, "certlink-server.db"))
        try:
            return db.execute("SELECT subject, user FROM certificates WHERE app_id = ?", (app["id"],)).fetchall()
        finally:
            db.close()

    def names_of(self, cert):
        subject = openssl("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
        san = openssl("x509", "-in", cert, "-noout", "-ext", "subjectAltName").stdout
        return subject, sorted(p.strip() for p in san.splitlines()[1:] for p in p.split(",") if p.strip())

    def refused(self, rc, out, app):
        self.assertNotEqual(rc, 0, out)
        self.assertIn("badRequest", out)
        self.assertEqual(self.db_certs(app), [], "nothing was issued")

    def issued(self, rc, out, cert, app, cn, emails):
        self.assertEqual(rc, 0, out + self.srv.log_text())
        self.assertEqual(self.names_of(cert), ("subject=CN=" + cn, ["email:" + e for e in emails]))
        self.assertEqual(self.db_certs(app), [("CN=" + cn, "alice")])

    def crafted_csr(self, name, challenge, cn, san):
        """A key and a csr.pem (CN=cn, subjectAltName san, the challenge) in a directory of its own, where
        scepclient finds and sends them."""
        d = os.path.join(self.work, name)
        os.makedirs(d)
        key = os.path.join(d, "key.pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", key, "2048"], check=True, capture_output=True)
        cnf = os.path.join(d, "req.cnf")
        with open(os.open(cnf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write("[req]\nprompt=no\ndistinguished_name=dn\nattributes=attrs\nreq_extensions=ext\n[dn]\n"
                    "CN=%s\n[attrs]\nchallengePassword=%s\n[ext]\nsubjectAltName=%s\n" % (cn, challenge, san))
        subprocess.run(["openssl", "req", "-new", "-key", key, "-config", cnf, "-out", os.path.join(d, "csr.pem")],
                       check=True, capture_output=True)
        return name

    def test_cn_bob_over_scep(self):
        """alice's challenge with CN=bob: refused whether cn_override is allowed or forbidden; her challenge
        still works for CN=alice afterwards (a refusal does not spend it)."""
        for override in ("allowed", "forbidden"):
            self.srv.config("cn_override", override)
            app = self.app()
            act = self.activate(app)
            self.assertEqual(act["subject"], [["CN", "alice"]])
            self.assertEqual(act["cn_override"], "forbidden")  # nothing to choose for the user store
            rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                    self.dir("bob-" + override), cn="bob")
            self.refused(rc, out, app)
            self.assertIn("subject is not the approved one", self.srv.log_text())
            rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                       self.dir("alice-" + override), cn="alice")
            self.issued(rc, out, cert, app, "alice", ["alice@corp.example"])

    def test_san_email_bob_over_scep(self):
        """alice's request asking for SAN email:bob@corp.example (and one asking for a URI too): refused. Asking
        for her own directory address is fine; not asking for it gets it anyway."""
        for san in ("email:bob@corp.example", "email:alice@corp.example,URI:https://bob.corp.example/"):
            app = self.app()
            act = self.activate(app)
            d = self.crafted_csr(self.dir("san"), act["scep"]["challenge"], "alice", san)
            rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, d)
            self.refused(rc, out, app)
            self.assertIn("subjectAltName asks for a name that was not approved", self.srv.log_text())
        app = self.app()
        act = self.activate(app)
        d = self.crafted_csr(self.dir("san-own"), act["scep"]["challenge"], "alice", "email:alice@corp.example")
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, d)
        self.issued(rc, out, cert, app, "alice", ["alice@corp.example"])

    def test_email_field_of_apply(self):
        """The e-mail alice types at apply (bob's) is shown to the administrator and never reaches a
        certificate; the certificate carries her address from the user directory."""
        app = self.app(email="bob@corp.example")
        act = self.activate(app)
        self.assertEqual(act["san"]["email"], ["alice@corp.example"])
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, self.dir("typed"))
        self.issued(rc, out, cert, app, "alice", ["alice@corp.example"])
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual([a["email"] for a in doc["applications"] if a["id"] == app["id"]], ["bob@corp.example"])
        # Without a directory address there is no e-mail SAN at all; the administrator sets one.
        self.srv.cli("user-set", "alice", "--no-email")
        try:
            app = self.app(email="alice@corp.example")
            act = self.activate(app)
            self.assertEqual(act["san"]["email"], [])
            rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, self.dir("none"))
            self.issued(rc, out, cert, app, "alice", [])
        finally:
            self.srv.cli("user-set", "alice", "--email", "alice@corp.example")
        st, doc, _, _ = self.srv.admin("GET", "/users")
        self.assertIn({"name": "alice", "password": True, "email": "alice@corp.example"}, doc["users"])

    def test_computer_hostname_bob(self):
        """Computer store, device.hostname "bob", cn_override forbidden and allowed: the name the client
        reports is nobody's approval, so the CN stays alice and a request for CN=bob is refused."""
        for override in ("forbidden", "allowed"):
            self.srv.config("cn_override", override)
            app = self.app(store="computer")
            act = self.activate(app, hostname="bob")
            self.assertEqual((act["subject"], act["cn_override"]), ([["CN", "alice"]], "forbidden"))
            rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                    self.dir("host-bob-" + override), cn="bob")
            self.refused(rc, out, app)
            rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                       self.dir("host-alice-" + override), cn="alice")
            self.issued(rc, out, cert, app, "alice", ["alice@corp.example"])

    def test_approved_computer_name(self):
        """An administrator approves the computer name (with manual approval: the name the client put in the
        reason is offered, the administrator confirms it). The CN is that name; with cn_override allowed alice
        may choose her user ID instead; bob stays refused."""
        self.srv.config("auto_approve", "false")
        for override in ("allowed", "forbidden"):
            self.srv.config("cn_override", override)
            app = self.app(store="computer", reason="[pc07]/[alice@corp.example]/[00:11:22:33:44:55]/[comp]: x")
            st, doc, _, _ = self.srv.admin("POST", "/applications/%s/approve" % app["id"], {"computer_name": "pc 07"})
            self.assertEqual((st, doc["error"]["code"], doc["error"]["field"]), (400, "bad_request", "computer_name"))
            r = self.srv.cli("approve", app["id"], "--computer-name", "pc07.corp.example")
            self.assertIn("computer name pc07.corp.example", r.stdout)
            act = self.activate(app, hostname="bob")
            self.assertEqual(act["subject"], [["CN", "pc07.corp.example"]])
            if override == "allowed":
                self.assertEqual((act["cn_override"], act["cn_choices"]), ("allowed", ["pc07.corp.example", "alice"]))
            else:
                self.assertEqual(act["cn_override"], "forbidden")
            rc, out, _ = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                    self.dir("approved-bob-" + override), cn="bob")
            self.refused(rc, out, app)
            rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                       self.dir("approved-alice-" + override), cn="alice")
            if override == "allowed":
                self.issued(rc, out, cert, app, "alice", ["alice@corp.example"])
            else:
                self.refused(rc, out, app)
                rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work,
                                           self.dir("approved-pc-" + override), cn="pc07.corp.example")
                self.issued(rc, out, cert, app, "pc07.corp.example", ["alice@corp.example"])
            st, doc, _, _ = self.srv.admin("GET", "/applications")
            self.assertEqual([a["computer_name"] for a in doc["applications"] if a["id"] == app["id"]],
                             ["pc07.corp.example"])
        # A user-store application has no computer name to approve.
        app = self.app()
        st, doc, _, _ = self.srv.admin("POST", "/applications/%s/approve" % app["id"], {"computer_name": "pc08"})
        self.assertEqual((st, doc["error"]["field"]), (400, "computer_name"))

    def test_auto_approved_computer_name(self):
        """Only with auto_approve_computer_name, which an administrator sets on purpose, does the reported host
        name become the CN; it is recorded for the administrator to see."""
        self.srv.config("auto_approve_computer_name", "true")
        app = self.app(store="computer")
        act = self.activate(app, hostname="kiosk-12")
        self.assertEqual(act["subject"], [["CN", "kiosk-12"]])
        rc, out, cert = scepclient(self.srv.scep_url(), act["scep"]["challenge"], self.work, self.dir("kiosk"),
                                   cn="kiosk-12")
        self.issued(rc, out, cert, app, "kiosk-12", ["alice@corp.example"])
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual([a["computer_name"] for a in doc["applications"] if a["id"] == app["id"]], ["kiosk-12"])
        # A reported name that is no host name is not taken.
        app = self.app(store="computer")
        act = self.activate(app, hostname="bob\u202eevil")
        self.assertEqual(act["subject"], [["CN", "alice"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
