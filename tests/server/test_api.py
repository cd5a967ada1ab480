"""certlink-server enrollment API: every endpoint's happy path and its errors (docs/protocol.md 2, 4, 5, 9)."""
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.cli("user-add", "alice", "--password-stdin", "--email", "alice@corp.example", input="secret pw\n")
        cls.srv.cli("user-add", "bob", "--password-stdin", input="bob pw\n")
        cls.srv.cli("user-add", "carol")  # no password: passwordless invitations only

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        for key, value in (("auto_approve", "false"), ("email", "optional"), ("reason", "optional"),
                           ("device_note", "off"), ("invitation_code", "optional"), ("apid_check", "false"),
                           ("withdraw_requires_password", "false"), ("passwordless", "true")):
            self.srv.config(key, value)

    def error(self, result, status, code):
        st, doc, resp, _ = result
        self.assertEqual(st, status, doc)
        self.assertEqual(doc["error"]["code"], code, doc)
        self.assertIsInstance(doc["error"]["message"], str)
        return doc["error"]

    def new_app(self, **kw):
        st, doc, _, _ = self.srv.apply(**kw)
        self.assertEqual(st, 201, doc)
        return doc["application"]

    def test_config(self):
        self.srv.config("device_note", "required")
        self.srv.config("device_note_label", "Asset tag")
        st, doc, resp, _ = self.srv.request("GET", "/api/v1/config")
        self.assertEqual(st, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("application/json"))
        self.assertEqual(doc["protocol"], 1)
        self.assertEqual(doc["fields"]["device_note"], {"use": "required", "max": 128, "label": "Asset tag"})
        self.assertEqual(doc["fields"]["email"]["max"], 128)
        self.assertEqual(doc["key"], {"type": "rsa", "bits": 2048})
        self.assertIn(doc["renewal"]["same_key"], ("allowed", "forbidden"))
        self.assertFalse(doc["auto_approve"])
        self.error(self.srv.request("POST", "/api/v1/config", {}), 405, "method_not_allowed")

    def test_ca(self):
        st, doc, _, _ = self.srv.request("GET", "/api/v1/ca")
        self.assertEqual(st, 200)
        (ca,) = doc["certificates"]
        self.assertEqual(ca["role"], "root")
        with open(os.path.join(self.srv.state, "ca.pem")) as f:
            self.assertEqual(ca["pem"], f.read())
        import hashlib
        import ssl
        der = ssl.PEM_cert_to_DER_cert(ca["pem"])
        self.assertEqual(ca["sha256"], hashlib.sha256(der).hexdigest())

    def test_manual_approval(self):
        app = self.new_app(email="alice@example.com", reason="[pc01]/[alice@corp]/[00:11:22:33:44:55]/[user]: new")
        self.assertEqual(app["state"], "pending")
        self.assertGreater(app["retry_after"], 0)
        self.assertGreaterEqual(len(app["secret"]), 22)
        err = self.error(self.srv.activate(app), 409, "not_approved")
        self.assertGreater(err["retry_after"], 0)
        st, doc, _, _ = self.srv.request("GET", "/api/v1/applications/" + app["id"], token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "pending"))
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        mine = [a for a in doc["applications"] if a["id"] == app["id"]][0]
        self.assertEqual(mine["email"], "alice@example.com")
        st, doc, _, _ = self.srv.admin("POST", "/applications/%s/approve" % app["id"])
        self.assertEqual((st, doc["application"]["state"]), (200, "approved"))
        st, doc, _, _ = self.srv.activate(app)
        self.assertEqual(st, 200, doc)
        scep = doc["scep"]
        self.assertTrue(scep["url"].endswith("/scep"))
        self.assertEqual(len(scep["ca_sha256"]), 64)
        self.assertGreaterEqual(len(scep["challenge"]), 22)
        self.assertEqual(doc["subject"][0], ["CN", "alice"])
        # The certificate's e-mail is the user directory's, not what she typed (which the administrator sees).
        self.assertEqual(doc["san"]["email"], ["alice@corp.example"])
        self.assertEqual(doc["key"]["type"], "rsa")
        self.assertEqual(len(doc["profile"]["trust"]), 1)
        # Activating again gives a fresh challenge.
        st, doc2, _, _ = self.srv.activate(app)
        self.assertNotEqual(doc2["scep"]["challenge"], scep["challenge"])

    def test_auto_approval(self):
        self.srv.config("auto_approve", "true")
        app = self.new_app()
        self.assertEqual(app["state"], "approved")
        st, doc, _, _ = self.srv.activate(app)
        self.assertEqual(st, 200, doc)

    def test_reject_then_reapply(self):
        app = self.new_app()
        st, doc, _, _ = self.srv.admin("POST", "/applications/%s/reject" % app["id"])
        self.assertEqual(doc["application"]["state"], "rejected")
        self.error(self.srv.activate(app), 409, "rejected")
        st, doc, _, _ = self.srv.request("POST", "/api/v1/applications/%s/reapply" % app["id"],
                                         {"reason": "please"}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "pending"))

    def test_withdraw_and_reapply(self):
        app = self.new_app()
        path = "/api/v1/applications/%s/" % app["id"]
        st, doc, _, _ = self.srv.request("POST", path + "withdraw", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "withdrawn"))
        self.assertIsNone(doc["application"]["revoked_serial"])
        st, doc, _, _ = self.srv.request("POST", path + "withdraw", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "withdrawn"))
        self.error(self.srv.activate(app), 409, "withdrawn")
        self.srv.config("auto_approve", "true")
        st, doc, _, _ = self.srv.request("POST", path + "reapply", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "approved"))
        st, doc, _, _ = self.srv.request("POST", path + "reapply", {}, token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "approved"))

    def test_withdraw_requires_password(self):
        self.srv.config("withdraw_requires_password", "true")
        app = self.new_app()
        path = "/api/v1/applications/%s/withdraw" % app["id"]
        self.error(self.srv.request("POST", path, {}, token=app["secret"]), 400, "field_required")
        self.error(self.srv.request("POST", path, {"password": "nope"}, token=app["secret"]), 401,
                   "invalid_credentials")
        st, doc, _, _ = self.srv.request("POST", path, {"password": "secret pw"}, token=app["secret"])
        self.assertEqual(st, 200, doc)

    def test_idempotent_apply(self):
        crid = str(uuid.uuid4())
        st1, doc1, _, _ = self.srv.apply(crid=crid)
        st2, doc2, _, _ = self.srv.apply(crid=crid)
        self.assertEqual((st1, st2), (201, 200))
        self.assertEqual(doc1["application"]["id"], doc2["application"]["id"])
        self.assertEqual(doc1["application"]["secret"], doc2["application"]["secret"])
        self.error(self.srv.apply(crid=crid, password="wrong"), 401, "invalid_credentials")

    def test_credentials(self):
        self.error(self.srv.apply(password="wrong"), 401, "invalid_credentials")
        self.error(self.srv.apply(user="nobody"), 401, "invalid_credentials")
        self.error(self.srv.apply(user="carol", password="anything"), 401, "invalid_credentials")

    def test_throttle(self):
        """Five wrong passwords for one user from one address, then that address waits for that user (even with
        the right password); another user from the same address is not affected (tests/server/test_throttle.py
        has the attacks)."""
        self.srv.cli("user-add", "dave", "--password-stdin", input="dave pw\n")
        for _ in range(5):
            self.error(self.srv.apply(user="dave", password="guess"), 401, "invalid_credentials")
        st, doc, resp, _ = self.srv.apply(user="dave", password="dave pw")
        self.assertEqual(st, 429, doc)
        self.assertEqual(doc["error"]["code"], "busy")
        self.assertGreater(int(resp.getheader("Retry-After")), 0)
        self.assertEqual(int(resp.getheader("Retry-After")), doc["error"]["retry_after"])
        self.new_app(user="bob", password="bob pw")

    def test_secret(self):
        app = self.new_app()
        self.error(self.srv.request("GET", "/api/v1/applications/" + app["id"], token="x" * 43), 401,
                   "invalid_secret")
        self.error(self.srv.request("GET", "/api/v1/applications/" + app["id"]), 401, "invalid_secret")
        other = self.new_app(user="bob", password="bob pw")
        self.error(self.srv.request("GET", "/api/v1/applications/" + app["id"], token=other["secret"]), 401,
                   "invalid_secret")
        self.error(self.srv.request("GET", "/api/v1/applications/nosuchapp", token=app["secret"]), 404,
                   "not_found")

    def test_fields(self):
        self.srv.config("reason", "required")
        err = self.error(self.srv.apply(), 400, "field_required")
        self.assertEqual(err["field"], "reason")
        err = self.error(self.srv.apply(reason="r" * 257), 400, "field_too_long")
        self.assertEqual(err["field"], "reason")
        self.srv.config("reason", "optional")
        err = self.error(self.srv.apply(email="a" * 120 + "@example.com"), 400, "field_too_long")
        self.assertEqual(err["field"], "email")
        self.error(self.srv.apply(email="not-an-address"), 400, "bad_request")
        self.srv.config("device_note", "required")
        self.srv.config("device_note_label", "Asset tag")
        self.assertEqual(self.error(self.srv.apply(), 400, "field_required")["field"], "device_note")
        app = self.new_app(device_note="asset 1234")
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual([a for a in doc["applications"] if a["id"] == app["id"]][0]["device_note"], "asset 1234")
        self.error(self.srv.apply(user="u" * 65), 400, "field_too_long")

    def test_bad_input(self):
        p = "/api/v1/applications"
        self.error(self.srv.request("POST", p, raw=b"{not json", headers={"Content-Type": "application/json"}), 400,
                   "bad_request")
        self.error(self.srv.request("POST", p, raw=b"[1,2]", headers={"Content-Type": "application/json"}), 400,
                   "bad_request")
        self.error(self.srv.request("POST", p, raw=b"[" * 20 + b"]" * 20,
                                    headers={"Content-Type": "application/json"}), 400, "bad_request")
        self.error(self.srv.request("POST", p, raw=b"user=alice",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}), 415,
                   "unsupported_media_type")
        err = self.error(self.srv.request("POST", p, {"client_request_id": "x", "user": 5, "store": "user",
                                                      "password": "p"}), 400, "bad_request")
        self.assertEqual(err["field"], "user")
        self.error(self.srv.request("POST", p, {"user": "alice", "password": "secret pw", "store": "user"}), 400,
                   "bad_request")
        self.error(self.srv.apply(store="root"), 400, "bad_request")
        self.error(self.srv.apply(invitation_token="abcdefghijklmnopqrstuvwx"), 400, "bad_request")
        big = {"client_request_id": "x", "user": "alice", "password": "p", "store": "user", "reason": "r" * 70000}
        self.error(self.srv.request("POST", p, big), 413, "too_large")
        self.error(self.srv.request("GET", "/api/v1/nothing"), 404, "not_found")
        self.error(self.srv.request("GET", p), 405, "method_not_allowed")
        self.error(self.srv.request("DELETE", "/api/v1/applications/abc", token="x"), 405, "method_not_allowed")
        # Still serving.
        self.assertEqual(self.srv.request("GET", "/api/v1/config")[0], 200)

    def test_invitation_code(self):
        self.srv.config("invitation_code", "required")
        self.assertEqual(self.error(self.srv.apply(), 400, "field_required")["field"], "invitation_code")
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "alice", "store": "user", "code": "WIFI-2026",
                                                                  "expires_days": 7})
        self.assertEqual(st, 201, doc)
        self.assertIn("code=WIFI-2026", doc["invitation"]["link"])
        self.error(self.srv.apply(invitation_code="WRONG-1"), 403, "invalid_invitation_code")
        self.error(self.srv.apply(user="bob", password="bob pw", invitation_code="WIFI-2026"), 403,
                   "invalid_invitation_code")
        app = self.new_app(invitation_code="WIFI-2026")
        self.assertEqual(app["state"], "pending")
        # Generated code, from the command line.
        r = self.srv.cli("invite", "--user", "bob", "--code")
        link = r.stdout.strip()
        code = [p.split("=", 1)[1] for p in link.split("?", 1)[1].split("&") if p.startswith("code=")][0]
        self.new_app(user="bob", password="bob pw", invitation_code=code)

    def test_invitation_code_store(self):
        """An invitation code for the user store does not enrol the computer store, as a passwordless token's
        does not."""
        self.srv.config("invitation_code", "required")
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "alice", "store": "user", "code": "USER-ONLY-1"})
        self.assertEqual(st, 201, doc)
        self.assertIn("store=user", doc["invitation"]["link"])
        err = self.error(self.srv.apply(store="computer", invitation_code="USER-ONLY-1"), 403, "forbidden")
        self.assertIn("user store", err["message"])
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual([a for a in doc["applications"] if a["store"] == "computer" and a["user"] == "alice"
                          and a["invitation"]], [])
        self.new_app(store="user", invitation_code="USER-ONLY-1")

    def test_passwordless_token(self):
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "carol", "store": "computer",
                                                                  "passwordless": True, "expires_days": 1})
        self.assertEqual(st, 201, doc)
        link = doc["invitation"]["link"]
        self.assertTrue(link.startswith("certlink://localhost:%d/enroll?" % self.srv.port) or
                        link.startswith("certlink://127.0.0.1:%d/enroll?" % self.srv.port), link)
        params = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))
        self.assertEqual((params["pwless"], params["user"], params["store"]), ("1", "carol", "computer"))
        self.assertEqual(len(params["ca"]), 64)
        token = params["token"]
        crid = str(uuid.uuid4())
        self.error(self.srv.apply(user="carol", password=None, invitation_token=token, store="user"), 403,
                   "forbidden")
        st, doc, _, _ = self.srv.apply(user="carol", password=None, invitation_token=token, store="computer",
                                       crid=crid)
        self.assertEqual(st, 201, doc)
        first = doc["application"]
        st, doc, _, _ = self.srv.apply(user="carol", password=None, invitation_token=token, store="computer",
                                       crid=crid)
        self.assertEqual((st, doc["application"]["id"]), (200, first["id"]))
        self.error(self.srv.apply(user="carol", password=None, invitation_token=token, store="computer"), 401,
                   "invalid_token")
        self.error(self.srv.apply(user="alice", password=None, invitation_token=token, store="computer"), 401,
                   "invalid_token")
        self.error(self.srv.apply(user="carol", password=None, invitation_token="A" * 32, store="computer"), 401,
                   "invalid_token")
        self.srv.config("passwordless", "false")
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "carol", "passwordless": True})
        self.assertEqual((st, doc["error"]["code"]), (403, "forbidden"))

    def test_invitation_revoke(self):
        """A revoked invitation's link and code are refused as unknown ones are, also for a passwordless link
        that already made its application (which stays for the administrator); the list shows each state and
        never a token or a code."""
        self.srv.config("invitation_code", "required")
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "alice", "code": "REVOKE-ME-1"})
        self.assertEqual(st, 201, doc)
        coded = doc["invitation"]["id"]
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "carol", "store": "user",
                                                                  "passwordless": True})
        pwless, link = doc["invitation"]["id"], doc["invitation"]["link"]
        token = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))["token"]
        crid = str(uuid.uuid4())
        self.srv.config("invitation_code", "optional")
        st, doc, _, _ = self.srv.apply(user="carol", password=None, invitation_token=token, crid=crid)
        self.assertEqual(st, 201, doc)
        made = doc["application"]["id"]
        st, doc, _, _ = self.srv.admin("GET", "/invitations")
        self.assertEqual(st, 200, doc)
        listed = {v["id"]: v for v in doc["invitations"]}
        self.assertEqual((listed[coded]["state"], listed[coded]["code"], listed[coded]["user"]), ("open", True, "alice"))
        self.assertEqual((listed[pwless]["state"], listed[pwless]["application"]), ("used", made))
        self.assertNotIn(token, str(doc))
        self.assertNotIn("REVOKE-ME-1", str(doc))

        st, doc, _, _ = self.srv.admin("POST", "/invitations/%s/revoke" % coded)
        self.assertEqual((st, doc["revoked"]), (200, coded))
        self.srv.cli("invite-revoke", pwless)
        self.srv.config("invitation_code", "required")
        self.error(self.srv.apply(invitation_code="REVOKE-ME-1"), 403, "invalid_invitation_code")
        self.srv.config("invitation_code", "optional")
        self.error(self.srv.apply(user="carol", password=None, invitation_token=token, crid=crid), 401,
                   "invalid_token")
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual([a["state"] for a in doc["applications"] if a["id"] == made], ["pending"],
                         "the application the link made stays for the administrator")
        listed = {v["id"]: v for v in json.loads(self.srv.cli("invite-list").stdout)}
        self.assertEqual((listed[coded]["state"], listed[pwless]["state"]), ("revoked", "revoked"))
        self.assertEqual(self.srv.admin("POST", "/invitations/%s/revoke" % coded)[0], 200, "revoking twice")
        st, doc, _, _ = self.srv.admin("POST", "/invitations/nosuch/revoke")
        self.assertEqual((st, doc["error"]["code"]), (404, "not_found"))

    def test_apid_check(self):
        self.srv.config("apid_check", "true")
        self.error(self.srv.apply(apid="K7Q2M4XR9T3VWZ5B"), 403, "apid_not_registered")
        self.srv.cli("apid-add", "K7Q2M4XR9T3VWZ5B")
        app = self.new_app(apid="K7Q2M4XR9T3VWZ5B")
        st, doc, _, _ = self.srv.admin("POST", "/apids", {"apid": "ZZZ1"})
        self.assertEqual(st, 201)
        self.new_app(apid="ZZZ1")
        self.assertEqual(self.srv.admin("GET", "/applications")[0], 200)
        self.assertTrue(app["id"])

    def test_renewal_apply_checks(self):
        self.error(self.srv.apply(renewal_of="4f1a22c9"), 403, "forbidden")
        self.error(self.srv.apply(renewal_of="XYZ"), 400, "bad_request")

    def test_admin_api(self):
        st, doc, resp, _ = self.srv.request("GET", "/api/v1/admin/applications")
        self.assertEqual((st, doc["error"]["code"]), (401, "invalid_credentials"))
        st, doc, _, _ = self.srv.request("GET", "/api/v1/admin/applications", token="wrong")
        self.assertEqual(st, 401)
        st, doc, _, _ = self.srv.admin("POST", "/users", {"user": "erin", "password": "erin pw"})
        self.assertEqual((st, doc["user"]["name"]), (201, "erin"))
        st, doc, _, _ = self.srv.admin("POST", "/users", {"user": "erin", "password": "erin pw"})
        self.assertEqual(st, 409)
        self.new_app(user="erin", password="erin pw")
        st, doc, _, _ = self.srv.admin("GET", "/certificates")
        self.assertEqual(st, 200)
        self.assertIsInstance(doc["certificates"], list)
        st, doc, _, _ = self.srv.admin("POST", "/certificates/abcdef/revoke")
        self.assertEqual((st, doc["error"]["code"]), (404, "not_found"))
        app = self.new_app(user="erin", password="erin pw")
        st, doc, _, _ = self.srv.admin("POST", "/applications/%s/release" % app["id"])
        self.assertEqual((st, doc["error"]["code"], doc["error"]["state"]), (409, "wrong_state", "pending"))
        self.srv.admin("POST", "/applications/%s/approve" % app["id"])
        st, doc, _, _ = self.srv.admin("POST", "/applications/%s/release" % app["id"])
        self.assertEqual((st, doc["application"]["released"]), (200, True))
        st, doc, _, _ = self.srv.admin("POST", "/applications/nosuch/approve")
        self.assertEqual((st, doc["error"]["code"]), (404, "not_found"))
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "nobody"})
        self.assertEqual(st, 404)
        st, doc, _, _ = self.srv.admin("POST", "/invitations", {"user": "alice", "expires_days": "7"})
        self.assertEqual(st, 400)
        st, doc, _, _ = self.srv.admin("POST", "/config", {"auto_approve": True, "reason": "required"})
        self.assertEqual(st, 200, doc)
        st, doc, _, _ = self.srv.admin("GET", "/config")
        self.assertEqual((doc["config"]["auto_approve"], doc["config"]["reason"]), ("true", "required"))
        st, doc, _, _ = self.srv.admin("POST", "/config", {"key_size": "P-256"})
        self.assertEqual(st, 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
