"""Interop: SCEP clients nobody here wrote enroll with certlink-server.

micromdm scepclient (Debian `scep`), certmonger (its daemon drives /usr/lib/certmonger/scep-submit) and
strongSwan `pki --scep` (Debian `strongswan-pki` + `libstrongswan-extra-plugins`) each get a challenge through
the enrollment API (apply, auto-approval, activate), enroll over the server's plain-HTTP SCEP listener, and the
certificate must pass `openssl verify -CAfile ca.pem`, carry the requested subject and the client's own key, and
be recorded by the server. A wrong challenge, a used one, and another application's one are refused with
badRequest by every client, and no certificate is issued for them.

Secrets: strongSwan reads the challenge from an --options file and certmonger from a challenge file, both
0600; micromdm scepclient only takes it on its command line (-challenge), so for that client the one-time
test challenge is visible in the process list of the test machine for the run.

The clients talk to the server through a recording proxy, so each test also asserts what the client really
sent: message type, digest, content-encryption algorithm and HTTP method (decoded with the openssl command).

Needs CERTLINK_SERVER (the certlink-server binary); ctest sets it. The server's own test harness
(tests/server/harness.py) starts and stops the server.
"""
import base64
import http.client
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
from harness import Server, openssl  # noqa: E402

CERTMONGER = "/usr/sbin/certmonger"
SCEP_SUBMIT = "/usr/lib/certmonger/scep-submit"


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def pubkey_of_cert(path):
    return openssl("x509", "-in", path, "-noout", "-pubkey").stdout


def pubkey_of_key(path):
    return openssl("pkey", "-in", path, "-pubout").stdout


class RecordingProxy:
    """Forwards /scep to the server's SCEP listener and keeps every PKIOperation message (DER) it sees."""

    def __init__(self, target_port):
        self.messages = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def forward(self, method):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                query = urllib.parse.urlsplit(self.path).query
                if "operation=PKIOperation" in query:
                    if method == "POST":
                        proxy.messages.append(("POST", body))
                    else:
                        for part in query.split("&"):
                            if part.startswith("message="):
                                b64 = urllib.parse.unquote(part[len("message="):])
                                proxy.messages.append(("GET", base64.b64decode(b64.replace(" ", "+"))))
                conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type",)}
                conn.request(method, self.path, body=body if method == "POST" else None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.getheader("Content-Type", "application/octet-stream"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def do_GET(self):
                self.forward("GET")

            def do_POST(self):
                self.forward("POST")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "http://127.0.0.1:%d/scep" % self.httpd.server_address[1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


MESSAGE_TYPES = {"17": "RenewalReq", "19": "PKCSReq", "20": "CertPoll", "21": "GetCert"}


def describe(method, der, work):
    """(messageType, digest, content cipher, HTTP method) of a pkiMessage, read with the openssl command."""
    msg, env = os.path.join(work, "sent.der"), os.path.join(work, "sent-envelope.der")
    with open(msg, "wb") as f:
        f.write(der)
    outer = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", msg).stdout
    mtype = re.search(r"\(2\.16\.840\.1\.113733\.1\.9\.2\)\s+set:\s+PRINTABLESTRING:(\d+)", outer)
    digest = re.search(r"signerInfos:.*?digestAlgorithm:\s+algorithm: (\S+)", outer, re.S)
    openssl("cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", msg, "-out", env)
    inner = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", env).stdout if os.path.exists(env) else ""
    cipher = re.search(r"contentEncryptionAlgorithm:\s+algorithm: (\S+)", inner)
    return (MESSAGE_TYPES.get(mtype.group(1), mtype.group(1)) if mtype else None,
            digest.group(1) if digest else None, cipher.group(1) if cipher else None, method)


class Result:
    def __init__(self, ok, output, cert=None, key=None):
        self.ok, self.output, self.cert, self.key = ok, output, cert, key


def micromdm(url, challenge, work, cn, fingerprint=None):
    """scepclient: PKCSReq with DES-CBC and SHA-1 (all it can do), POST. It envelopes the request to every
    certificate GetCACert returns, or only to the one whose SHA-256 is fingerprint."""
    os.makedirs(work)
    key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    args = ["scepclient", "-server-url", url, "-challenge", challenge, "-cn", cn, "-organization", "", "-ou", "",
            "-country", "", "-private-key", key, "-certificate", cert]
    if fingerprint:
        args += ["-ca-fingerprint", fingerprint]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return Result(r.returncode == 0, r.stdout + r.stderr, cert, key)


def ra_from_getcacert(url, work):
    """The RA certificate (the one that is not a CA) of GetCACert's PKCS#7, fetched and split with openssl:
    for strongSwan when its own pki --scepca cannot read the CA."""
    with urllib.request.urlopen(url + "?operation=GetCACert", timeout=60) as r:
        der = r.read()
    pem = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs"], input=der, capture_output=True,
                         check=True).stdout.decode()
    for block in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", pem, re.S):
        if "CA:TRUE" not in openssl("x509", "-noout", "-ext", "basicConstraints", input=block).stdout:
            path = os.path.join(work, "ra.pem")
            with open(path, "w") as f:
                f.write(block)
            return path
    raise AssertionError("GetCACert holds no RA certificate")


def strongswan(url, challenge, work, dn, cipher=None, digest=None, ra_by_openssl=False):
    """pki --scepca fetches CA and RA (ca.pem, ca-ra.pem); pki --scep enrolls, encrypting to and checking
    signatures with the RA. ra_by_openssl: take the RA from GetCACert with openssl instead, and give no CA."""
    os.makedirs(work)
    ca, ra = os.path.join(work, "ca.pem"), os.path.join(work, "ca-ra.pem")
    if ra_by_openssl:
        ca, ra = None, ra_from_getcacert(url, work)
    else:
        r = subprocess.run(["pki", "--scepca", "--url", url, "--caout", ca, "--outform", "pem"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or not os.path.exists(ra):
            return Result(False, "pki --scepca: " + r.stdout + r.stderr)
    key, cert, opts = (os.path.join(work, n) for n in ("key.pem", "cert.pem", "options"))
    with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        subprocess.run(["pki", "--gen", "--type", "rsa", "--size", "2048", "--outform", "pem"], stdout=f,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)
    write_secret(opts, "--password %s\n" % challenge)
    args = ["pki", "--scep", "--url", url, "--in", key, "--dn", dn, "--options", opts, "--cacert-enc", ra,
            "--cacert-sig", ra, "--outform", "pem"] + (["--cacert", ca] if ca else [])
    if cipher:
        args += ["--cipher", cipher]
    if digest:
        args += ["--digest", digest]
    with open(cert, "w") as out:
        r = subprocess.run(args, stdout=out, stderr=subprocess.PIPE, text=True, timeout=120)
    noise = re.compile(r"^(plugin '|TPM 2.0)")
    text = "\n".join(l for l in r.stderr.splitlines() if not noise.match(l))
    return Result(r.returncode == 0 and os.path.getsize(cert) > 0, text, cert, key)


def certmonger(url, challenge, work, subject):
    """A private certmonger daemon (session mode, private socket, state in work) adds the SCEP CA, which makes it
    run scep-submit for GetCACaps/GetCACert, then requests a certificate and waits. Its own CSR and pkiMessage
    code builds the PKCSReq (AES-256-CBC, SHA-256, sent by GET); scep-submit transmits it and checks the
    CertRep; the daemon decrypts it and saves the certificate."""
    os.makedirs(work)
    for d in ("requests", "cas", "tmp", "local"):
        os.makedirs(os.path.join(work, d))
    key, cert, chal, script, status = (os.path.join(work, n) for n in
                                       ("key.pem", "cert.pem", "challenge", "run.sh", "status"))
    write_secret(chal, challenge)
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                "getcert add-scep-ca -c certlink -u '%s' || exit 1\n"
                "getcert request -c certlink -I req -k '%s' -f '%s' -N '%s' -l '%s' -w -v\n"
                "getcert list -i req > '%s'\n" % (url, key, cert, subject, chal, status))
    os.chmod(script, 0o700)
    env = dict(os.environ, CERTMONGER_REQUESTS_DIR=os.path.join(work, "requests"),
               CERTMONGER_CAS_DIR=os.path.join(work, "cas"), CERTMONGER_TMPDIR=os.path.join(work, "tmp"),
               CERTMONGER_LOCAL_CA_DIR=os.path.join(work, "local"))
    # -L without -P: a private socket in the abstract namespace (a path under the build tree would exceed the
    # 108 bytes of a unix socket path); -c hands its address to getcert in CERTMONGER_PVT_ADDRESS.
    r = subprocess.run([CERTMONGER, "-s", "-L", "-n", "-c", script],
                       env=env, cwd=work, capture_output=True, text=True, timeout=300)
    text = r.stdout + r.stderr
    if os.path.exists(status):
        with open(status) as f:
            text = f.read() + text
    ok = re.search(r"^\s*status: MONITORING$", text, re.M) is not None and os.path.exists(cert)
    return Result(ok, text, cert, key)


# What each client says when the server answers FAILURE with failInfo badRequest.
BAD_REQUEST = {
    "micromdm": "failInfo: badRequest",
    "strongswan": "failInfo:     badRequest",
    "certmonger": "Transaction either is not permitted or is not supported by server.",
}


class ScepClientsInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("scepclient", "pki", "getcert", CERTMONGER, SCEP_SUBMIT):
            if not shutil.which(tool):
                raise RuntimeError("%s is missing: run installer/deps.sh (installer/packages.txt lists it)" % tool)
        cls.srv = Server().start()
        for user in ("alice", "bob"):
            cls.srv.cli("user-add", user, "--password-stdin", input="pw of %s\n" % user)
        cls.srv.config("auto_approve", "true")
        cls.ca = os.path.join(cls.srv.state, "ca.pem")
        cls.work = tempfile.mkdtemp(dir=cls.srv.dir, prefix="interop-")
        cls.n = 0
        cls.proxy = RecordingProxy(cls.srv.scep_port)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()
        cls.srv.cleanup()

    def setUp(self):
        self.srv.config("cn_override", "allowed")
        self.proxy.messages.clear()

    def sent(self):
        """What the clients sent since the test started, decoded."""
        return [describe(m, der, self.work) for m, der in self.proxy.messages]

    def dir(self, name):
        ScepClientsInterop.n += 1
        return os.path.join(self.work, "%02d-%s" % (self.n, name))

    def challenge(self, user="alice"):
        """Apply, (auto-)approve and activate: the application and its one-time challenge."""
        st, doc, _, _ = self.srv.apply(user=user, password="pw of %s" % user)
        self.assertEqual(st, 201, doc)
        app = doc["application"]
        st, act, _, _ = self.srv.activate(app)
        self.assertEqual(st, 200, act)
        self.assertEqual(act["subject"], [["CN", user]])
        return app, act["scep"]["challenge"]

    def certs_of(self, app):
        st, doc, _, _ = self.srv.admin("GET", "/certificates")
        self.assertEqual(st, 200, doc)
        return [c for c in doc["certificates"] if c["application"] == app["id"]]

    def enroll(self, client, name, cn="alice", user="alice", **kw):
        url = self.proxy.url()
        app, chal = self.challenge(user)
        res = self.run_client(client, url, chal, self.dir(name), cn, **kw)
        return app, chal, res

    def run_client(self, client, url, chal, work, cn, **kw):
        if client == "micromdm":
            return micromdm(url, chal, work, cn)
        if client == "strongswan":
            return strongswan(url, chal, work, "CN=" + cn, **kw)
        return certmonger(url, chal, work, "CN=" + cn)

    def assert_issued(self, app, res, cn="alice"):
        self.assertTrue(res.ok, res.output + "\nserver log:\n" + self.srv.log_text())
        v = openssl("verify", "-CAfile", self.ca, res.cert)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertEqual(v.stdout.strip(), "%s: OK" % res.cert)
        subject = openssl("x509", "-in", res.cert, "-noout", "-subject", "-nameopt", "RFC2253").stdout.strip()
        self.assertEqual(subject, "subject=CN=%s" % cn)
        self.assertEqual(pubkey_of_cert(res.cert), pubkey_of_key(res.key))
        serial = openssl("x509", "-in", res.cert, "-noout", "-serial").stdout.strip().split("=")[1]
        self.assertEqual([c["serial"] for c in self.certs_of(app)], [serial.lower().lstrip("0")])

    def assert_refused(self, client, res, app=None):
        self.assertFalse(res.ok, res.output)
        self.assertIn(BAD_REQUEST[client], res.output)
        if app is not None:
            self.assertEqual(self.certs_of(app), [])

    # ---- each client enrolls ----

    def test_micromdm_des_sha1(self):
        app, _, res = self.enroll("micromdm", "micromdm")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha1", "des-cbc", "POST")])
        self.assertRegex(self.srv.log_text(), r"scep: PKCSReq tx=\S+ app=%s SUCCESS" % app["id"])

    def test_certmonger_aes256_sha256(self):
        app, _, res = self.enroll("certmonger", "certmonger")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha256", "aes-256-cbc", "GET")])

    def test_strongswan_aes128_sha256(self):
        app, _, res = self.enroll("strongswan", "swan-aes-sha256")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha256", "aes-128-cbc", "POST")])

    def test_strongswan_des3_sha1(self):
        app, _, res = self.enroll("strongswan", "swan-des3-sha1", cipher="des3", digest="sha1")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha1", "des-ede3-cbc", "POST")])

    def test_strongswan_aes128_sha1(self):
        app, _, res = self.enroll("strongswan", "swan-aes-sha1", cipher="aes", digest="sha1")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha1", "aes-128-cbc", "POST")])

    def test_strongswan_des3_sha512(self):
        app, _, res = self.enroll("strongswan", "swan-des3-sha512", cipher="des3", digest="sha512")
        self.assert_issued(app, res)
        self.assertEqual(self.sent(), [("PKCSReq", "sha512", "des-ede3-cbc", "POST")])

    # ---- challenges that must not work ----

    def check_challenge_rules(self, client):
        url = self.proxy.url()
        # A challenge nobody was given.
        res = self.run_client(client, url, "not-a-challenge-0123456789", self.dir(client + "-wrong"), "alice")
        self.assert_refused(client, res)
        # A used challenge: it worked once, it does not work for a second key.
        app, chal, res = self.enroll(client, client + "-first")
        self.assert_issued(app, res)
        res = self.run_client(client, url, chal, self.dir(client + "-used"), "alice")
        self.assert_refused(client, res)
        self.assertEqual(len(self.certs_of(app)), 1)
        # Another application's challenge: bob's, in a request made out for alice.
        self.srv.config("cn_override", "forbidden")
        bob_app, bob_chal = self.challenge("bob")
        res = self.run_client(client, url, bob_chal, self.dir(client + "-other"), "alice")
        self.assert_refused(client, res, bob_app)
        # The refusal did not burn bob's challenge: bob still enrolls with it.
        res = self.run_client(client, url, bob_chal, self.dir(client + "-bob"), "bob")
        self.assert_issued(bob_app, res, cn="bob")

    def test_challenge_rules_micromdm(self):
        self.check_challenge_rules("micromdm")

    def test_challenge_rules_strongswan(self):
        self.check_challenge_rules("strongswan")

    def test_challenge_rules_certmonger(self):
        self.check_challenge_rules("certmonger")


class ScepClientsEcCaInterop(unittest.TestCase):
    """A server whose CA key is EC (serve --ca-key ec); the SCEP RA stays RSA. Each client still enrolls, two of
    them with a workaround: micromdm envelopes to every GetCACert certificate and fails on the EC CA unless
    -ca-fingerprint names the RA; strongSwan 5.9.8 on Debian has no openssl plugin, so pki --scepca cannot read
    the EC CA and the RA is taken from GetCACert with openssl."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(extra=["--ca-key", "ec"]).start()
        cls.srv.cli("user-add", "alice", "--password-stdin", input="pw of alice\n")
        cls.srv.config("auto_approve", "true")
        cls.ca = os.path.join(cls.srv.state, "ca.pem")
        cls.work = tempfile.mkdtemp(dir=cls.srv.dir, prefix="interop-ec-")
        text = openssl("x509", "-in", cls.ca, "-noout", "-text").stdout
        assert "id-ecPublicKey" in text, "the CA key is not EC"

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def challenge(self):
        st, doc, _, _ = self.srv.apply(user="alice", password="pw of alice")
        self.assertEqual(st, 201, doc)
        st, act, _, _ = self.srv.activate(doc["application"])
        self.assertEqual(st, 200, act)
        return doc["application"], act["scep"]["challenge"]

    def check(self, res):
        self.assertTrue(res.ok, res.output + "\nserver log:\n" + self.srv.log_text())
        v = openssl("verify", "-CAfile", self.ca, res.cert)
        self.assertEqual(v.stdout.strip(), "%s: OK" % res.cert, v.stderr)
        self.assertEqual(pubkey_of_cert(res.cert), pubkey_of_key(res.key))

    def test_micromdm_ra_fingerprint(self):
        ra = ra_from_getcacert(self.srv.scep_url(), self.work)
        fp = openssl("x509", "-in", ra, "-noout", "-fingerprint", "-sha256").stdout.split("=")[1].strip()
        _, chal = self.challenge()
        self.check(micromdm(self.srv.scep_url(), chal, os.path.join(self.work, "micromdm"), "alice",
                            fingerprint=fp.replace(":", "")))

    def test_strongswan_ra_by_openssl(self):
        _, chal = self.challenge()
        self.check(strongswan(self.srv.scep_url(), chal, os.path.join(self.work, "strongswan"), "CN=alice",
                              ra_by_openssl=True))

    def test_certmonger(self):
        _, chal = self.challenge()
        self.check(certmonger(self.srv.scep_url(), chal, os.path.join(self.work, "certmonger"), "CN=alice"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
