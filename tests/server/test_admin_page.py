"""certlink-server admin page: token login (URL and form), session cookie flags, CSRF on every form, escaping,
security headers, invitation link shown as a link and as text, approve/reject/revoke buttons."""
import html
import json
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AdminPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.srv.cli("user-add", "alice", "--password-stdin", input="secret pw\n")
        cls.srv.cli("user-add", "<b>eve</b>", "--password-stdin", input="eve pw\n")

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def get(self, path, cookie=None):
        return self.srv.request("GET", path, headers={"Cookie": cookie} if cookie else {})

    def post(self, path, fields, cookie=None):
        h = dict(FORM)
        if cookie:
            h["Cookie"] = cookie
        return self.srv.request("POST", path, raw=urllib.parse.urlencode(fields).encode(), headers=h)

    def login(self):
        st, _, resp, _ = self.get("/admin?token=" + urllib.parse.quote(self.srv.admin_token))
        self.assertEqual(st, 303)
        self.assertEqual(resp.getheader("Location"), "/admin")
        cookie = resp.getheader("Set-Cookie")
        for flag in ("HttpOnly", "SameSite=Strict", "Secure"):
            self.assertIn(flag, cookie)
        return cookie.split(";")[0]

    def page(self, cookie):
        st, _, resp, body = self.get("/admin", cookie)
        self.assertEqual(st, 200)
        text = body.decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
        return text, csrf, resp

    def test_requires_token(self):
        st, _, resp, body = self.get("/admin")
        self.assertEqual(st, 200)
        self.assertIn(b'name="token"', body)
        self.assertNotIn(b"New invitation", body)
        self.assertIn("default-src 'none'", resp.getheader("Content-Security-Policy"))
        self.assertEqual(resp.getheader("X-Frame-Options"), "DENY")
        st, _, _, body = self.get("/admin?token=wrong")
        self.assertEqual(st, 401)
        self.assertNotIn(b"New invitation", body)
        st, _, _, _ = self.get("/admin", "certlink_admin=forged")
        self.assertEqual(st, 200)
        st, doc, _, _ = self.post("/admin/approve", {"id": "x", "csrf": "x"}, "certlink_admin=forged")
        self.assertEqual(st, 403)

    def test_login_form(self):
        st, _, resp, body = self.get("/admin")
        login_cookie = resp.getheader("Set-Cookie").split(";")[0]
        csrf = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
        st, _, _, _ = self.post("/admin/login", {"csrf": csrf, "token": self.srv.admin_token})
        self.assertEqual(st, 403)  # no login cookie: CSRF
        st, _, _, _ = self.post("/admin/login", {"csrf": csrf, "token": "wrong"}, login_cookie)
        self.assertEqual(st, 401)
        st, _, resp, _ = self.post("/admin/login", {"csrf": csrf, "token": self.srv.admin_token}, login_cookie)
        self.assertEqual(st, 303)
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        text, _, _ = self.page(cookie)
        self.assertIn("New invitation", text)

    def test_invitation_and_csrf(self):
        cookie = self.login()
        text, csrf, _ = self.page(cookie)
        fields = {"user": "alice", "store": "user", "passwordless": "1", "expires_days": "3"}
        st, doc, _, _ = self.post("/admin/invite", fields, cookie)
        self.assertEqual((st, doc["error"]["code"]), (403, "forbidden"))
        st, doc, _, _ = self.post("/admin/invite", dict(fields, csrf="wrong"), cookie)
        self.assertEqual(st, 403)
        st, _, _, body = self.post("/admin/invite", dict(fields, csrf=csrf), cookie)
        self.assertEqual(st, 201)
        text = body.decode()
        href = re.search(r'<a id="invitation-link" href="([^"]+)"', text).group(1)
        link = html.unescape(href)
        self.assertTrue(link.startswith("certlink://"), link)
        self.assertIn("pwless=1", link)
        self.assertIn("user=alice", link)
        self.assertIn(">" + href + "</textarea>", text)
        token = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))["token"]
        self.assertEqual(self.srv.apply(password=None, invitation_token=token)[0], 201)

    def test_invitation_revoke(self):
        """The page lists invitations (never their token) with a Revoke button for those still usable; a
        revoked link is refused."""
        cookie = self.login()
        text, csrf, _ = self.page(cookie)
        fields = {"user": "alice", "store": "user", "passwordless": "1", "expires_days": "3", "csrf": csrf}
        st, _, _, body = self.post("/admin/invite", fields, cookie)
        self.assertEqual(st, 201)
        link = html.unescape(re.search(r'<a id="invitation-link" href="([^"]+)"', body.decode()).group(1))
        token = dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&"))["token"]
        text, csrf, _ = self.page(cookie)
        section = text[text.index("<h2>Invitations</h2>"):]
        section = section[:section.index("</section>")]
        self.assertNotIn(token, text)
        ids = re.findall(r'name="id" value="([0-9a-f]+)"><button type="submit">Revoke</button>', section)
        self.assertTrue(ids, section)
        st, doc, _, _ = self.post("/admin/invite-revoke", {"id": ids[0], "csrf": "wrong"}, cookie)
        self.assertEqual(st, 403)
        st, _, resp, _ = self.post("/admin/invite-revoke", {"id": ids[0], "csrf": csrf}, cookie)
        self.assertEqual(st, 303)
        self.assertEqual(self.srv.apply(password=None, invitation_token=token)[0], 401)
        text, csrf, _ = self.page(cookie)
        row = re.search(r"<tr><td><code>%s</code>.*?</tr>" % ids[0], text).group(0)
        self.assertIn("<td>revoked</td>", row)
        self.assertNotIn("Revoke", row)

    def test_escaping_and_buttons(self):
        st, doc, _, _ = self.srv.apply(user="<b>eve</b>", password="eve pw", reason="<script>alert(1)</script>")
        self.assertEqual(st, 201, doc)
        app = doc["application"]
        cookie = self.login()
        text, csrf, _ = self.page(cookie)
        self.assertNotIn("<script>", text)
        self.assertNotIn("<b>eve</b>", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", text)
        self.assertIn("&lt;b&gt;eve&lt;/b&gt;", text)
        self.assertIn('name="id" value="%s"' % app["id"], text)
        st, _, _, _ = self.post("/admin/approve", {"id": app["id"]}, cookie)
        self.assertEqual(st, 403)
        st, _, resp, _ = self.post("/admin/approve", {"id": app["id"], "csrf": csrf}, cookie)
        self.assertEqual((st, resp.getheader("Location")), (303, "/admin"))
        st, doc, _, _ = self.srv.request("GET", "/api/v1/applications/" + app["id"], token=app["secret"])
        self.assertEqual(doc["application"]["state"], "approved")
        st, _, _, _ = self.post("/admin/reject", {"id": app["id"], "csrf": csrf}, cookie)
        self.assertEqual(st, 303)
        st, doc, _, _ = self.srv.request("GET", "/api/v1/applications/" + app["id"], token=app["secret"])
        self.assertEqual(doc["application"]["state"], "rejected")
        # Logging out ends the session.
        st, _, _, _ = self.post("/admin/logout", {"csrf": csrf}, cookie)
        self.assertEqual(st, 303)
        st, _, _, body = self.get("/admin", cookie)
        self.assertNotIn(b"New invitation", body)

    def test_computer_name_and_users(self):
        """A computer-store application is approved with the computer name the page offers (the reason's
        [host]), which the administrator sees in the form; the users section sets the directory e-mail."""
        st, doc, _, _ = self.srv.apply(store="computer", reason="[pc42]/[alice@corp]/[00:11:22:33:44:55]/[comp]: x")
        self.assertEqual(st, 201, doc)
        app = doc["application"]
        cookie = self.login()
        text, csrf, _ = self.page(cookie)
        form = re.search(r'<form[^>]*action="/admin/approve">(?:(?!</form>).)*value="%s"(?:(?!</form>).)*</form>'
                         % app["id"], text, re.S).group(0)
        self.assertIn('name="computer_name" maxlength="253" value="pc42"', form)
        st, _, _, _ = self.post("/admin/approve", {"id": app["id"], "computer_name": "pc42.corp.example",
                                                   "csrf": csrf}, cookie)
        self.assertEqual(st, 303)
        st, doc, _, _ = self.srv.activate(app)
        self.assertEqual(doc["subject"][0], ["CN", "pc42.corp.example"])
        # A name that is no host name is refused, and shown as the page's notice.
        st, _, _, body = self.post("/admin/approve", {"id": app["id"], "computer_name": "<pc>", "csrf": csrf}, cookie)
        self.assertEqual(st, 200)
        self.assertIn(b"A computer name is a host name", body)
        # Users: add one with an e-mail address, change alice's; the API shows the directory.
        st, _, _, _ = self.post("/admin/user-add", {"user": "frank", "email": "frank@corp.example", "csrf": csrf},
                                cookie)
        self.assertEqual(st, 303)
        st, _, _, _ = self.post("/admin/user-email", {"user": "alice", "email": "alice@corp.example", "csrf": csrf},
                                cookie)
        self.assertEqual(st, 303)
        st, _, _, body = self.post("/admin/user-email", {"user": "alice", "email": "not an address", "csrf": csrf},
                                   cookie)
        self.assertIn(b"an e-mail address is", body)
        text, _, _ = self.page(cookie)
        self.assertIn('value="frank@corp.example"', text)
        st, doc, _, _ = self.srv.admin("GET", "/users")
        users = {u["name"]: u for u in doc["users"]}
        self.assertEqual((users["frank"]["email"], users["frank"]["password"]), ("frank@corp.example", False))
        self.assertEqual(users["alice"]["email"], "alice@corp.example")

    def test_networks(self):
        """The administrator defines a store's 802.1X networks on the page; what a client would refuse is
        refused with the client's reason; activation sends them with the RADIUS CA."""
        cookie = self.login()
        text, csrf, _ = self.page(cookie)
        self.assertIn("Networks and revocation", text)
        wifi = {"store": "user", "type": "wifi", "ssids": "CorpWiFi, Corp <Lab>", "security": "wpa3-enterprise",
                "check": "suffix", "names": "radius.example.com", "autoconnect": "1", "csrf": csrf}
        st, _, _, body = self.post("/admin/network-add", dict(wifi, csrf="wrong"), cookie)
        self.assertEqual(st, 403)
        st, _, resp, _ = self.post("/admin/network-add", wifi, cookie)
        self.assertEqual((st, resp.getheader("Location")), (303, "/admin"))
        # No server-name check: refused, saying why, and nothing stored.
        st, _, _, body = self.post("/admin/network-add", dict(wifi, ssids="Open", names=""), cookie)
        self.assertIn("no server certificate check", body.decode())
        st, _, _, body = self.post("/admin/network-add", {"store": "computer", "type": "wired", "check": "exact",
                                                          "names": "radius1.example.com radius2.example.com",
                                                          "identity": "host/pc01", "csrf": csrf}, cookie)
        self.assertEqual(st, 303, body)
        text, _, _ = self.page(cookie)
        self.assertIn("Corp &lt;Lab&gt;", text)  # escaped
        self.assertNotIn("Corp <Lab>", text)
        self.assertIn("DNS:radius2.example.com", text)
        stored = json.loads(self.srv.cli("config-get", "network_user").stdout)
        self.assertEqual([n["ssids"] for n in stored], [[{"ssid": "CorpWiFi", "hidden": False},
                                                         {"ssid": "Corp <Lab>", "hidden": False}]])
        # Activation sends the store's networks with this server's CA as the RADIUS CA.
        self.srv.config("auto_approve", "true")
        try:
            st, doc, _, _ = self.srv.apply()
            st, act, _, _ = self.srv.activate(doc["application"])
        finally:
            self.srv.config("auto_approve", "false")
        ca = act["profile"]["trust"][0]["sha256"]
        self.assertEqual([(n["type"], n["security"], n["domain_suffix_match"], n["ca_sha256"])
                          for n in act["profile"]["networks"]],
                         [("wifi", "wpa3-enterprise", "radius.example.com", ca)])
        # A RADIUS CA that is not a CA certificate is refused; the revocation settings are saved.
        st, _, _, body = self.post("/admin/network-ca", {"pem": "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                                "-----END CERTIFICATE-----", "csrf": csrf}, cookie)
        self.assertIn("bad value for network_ca", body.decode())
        st, _, _, _ = self.post("/admin/revocation", {"days": "3", "crl_url": "", "csrf": csrf}, cookie)
        self.assertEqual(st, 303)
        self.assertEqual(self.srv.cli("config-get", "renewal_revoke_days").stdout.strip(), "3")
        # Remove both networks.
        for store in ("user", "computer"):
            st, _, _, _ = self.post("/admin/network-remove", {"store": store, "index": "0", "csrf": csrf}, cookie)
            self.assertEqual(st, 303)
        self.assertEqual(self.srv.cli("config-get", "network_user").stdout.strip(), "")
        self.assertEqual(self.srv.cli("config-get", "network_computer").stdout.strip(), "")

    def test_css_and_index(self):
        st, _, resp, body = self.get("/admin/admin.css")
        self.assertEqual(st, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/css"))
        st, _, resp, body = self.get("/")
        self.assertEqual(st, 200)
        self.assertIn(b'href="/admin"', body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
