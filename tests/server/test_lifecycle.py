"""certlink-server process life: first start creates CA, RA and TLS certificate; restart keeps everything; the
TLS certificate verifies for localhost/127.0.0.1/::1 and --hostname names; SIGTERM and SIGINT stop cleanly;
the admin token is printed once and can be reset; state files have safe modes; overload answers spread the
crowd; a client gone before its handshake costs none; TLS sessions resume with the server's tickets until it
restarts."""
import hashlib
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SERVER, Server, openssl, read  # noqa: E402


def peer_chain_fingerprint(srv, host):
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        with srv.ctx.wrap_socket(sock, server_hostname=host) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest(), tls.version()


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(extra=["--hostname", "eps.example.test"])

    def tearDown(self):
        self.srv.cleanup()

    def test_first_start_and_restart(self):
        srv = self.srv.start()
        ca_path = os.path.join(srv.state, "ca.pem")
        ca_first = read(ca_path)
        for name in ("ca.key", "ra.key", "tls.key", "certlink-server.db"):
            mode = stat.S_IMODE(os.stat(os.path.join(srv.state, name)).st_mode)
            self.assertEqual(mode & 0o077, 0, name)
        text = openssl("x509", "-in", ca_path, "-noout", "-text").stdout
        self.assertIn("CA:TRUE", text)
        self.assertIn("Digital Signature, Certificate Sign, CRL Sign", text)
        self.assertIn("Subject Key Identifier", text)
        tls = openssl("x509", "-in", os.path.join(srv.state, "tls.pem"), "-noout", "-text").stdout
        for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "DNS:eps.example.test"):
            self.assertIn(name, tls)
        self.assertEqual(openssl("verify", "-CAfile", ca_path, os.path.join(srv.state, "tls.pem")).returncode, 0)
        fp1, version = peer_chain_fingerprint(srv, "localhost")
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
        peer_chain_fingerprint(srv, "eps.example.test")
        with self.assertRaises(ssl.SSLCertVerificationError):
            peer_chain_fingerprint(srv, "other.example.test")
        # State that must survive a restart.
        srv.cli("user-add", "alice", "--password-stdin", input="secret pw\n")
        st, doc, _, _ = srv.apply()
        self.assertEqual(st, 201)
        app = doc["application"]
        token = srv.admin_token
        self.assertEqual(srv.stop(), 0)
        self.assertFalse(os.path.exists(os.path.join(srv.dir, "pid")))
        srv.start()
        self.assertEqual(read(ca_path), ca_first)
        fp2, _ = peer_chain_fingerprint(srv, "localhost")
        self.assertEqual(fp1, fp2)
        self.assertEqual(srv.admin_token, token)
        st, doc, _, _ = srv.request("GET", "/api/v1/applications/" + app["id"], token=app["secret"])
        self.assertEqual((st, doc["application"]["state"]), (200, "pending"))
        self.assertEqual(srv.admin("GET", "/applications")[0], 200)
        self.assertEqual(srv.stop(signal.SIGINT), 0)

    def test_admin_token_reset(self):
        srv = self.srv.start()
        old = srv.admin_token
        self.assertEqual(srv.admin("GET", "/applications")[0], 200)
        r = srv.cli("admin-token", "--reset")
        new = r.stdout.split("admin token (shown once): ")[1].split()[0]
        self.assertNotEqual(new, old)
        self.assertEqual(srv.admin("GET", "/applications")[0], 401)
        srv.admin_token = new
        self.assertEqual(srv.admin("GET", "/applications")[0], 200)
        # The token is stored hashed: it appears nowhere in the state dir.
        for name in os.listdir(srv.state):
            with open(os.path.join(srv.state, name), "rb") as f:
                self.assertNotIn(new.encode(), f.read(), name)
        self.assertEqual(srv.cli("admin-token", check=False).returncode, 2)

    def test_bad_usage(self):
        r = subprocess.run([SERVER, "serve"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--state-dir", r.stderr)
        r = subprocess.run([SERVER, "frobnicate", "--state-dir", self.srv.state], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([SERVER, "user-list", "--state-dir", self.srv.state], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        r = subprocess.run([SERVER, "serve", "--state-dir", self.srv.state, "--listen", "localhost", "--port", "0"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)

    def test_overload_sheds_with_503(self):
        srv = Server(extra=["--max-connections", "4", "--threads", "2"]).start()
        try:
            idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(8)]
            st, doc, resp, _ = srv.request("GET", "/api/v1/config")
            self.assertEqual((st, doc["error"]["code"]), (503, "unavailable"))
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            # The crowd is told to come back one after the other, not all in the same second (server/overload.c:
            # with nothing measured, 4 connections per 2 s).
            waits = [int(resp.getheader("Retry-After"))]
            for _ in range(11):
                st, doc, resp, _ = srv.request("GET", "/api/v1/config")
                self.assertEqual(st, 503)
                self.assertEqual(doc["error"]["retry_after"], int(resp.getheader("Retry-After")))
                waits.append(doc["error"]["retry_after"])
            self.assertEqual(waits, sorted(waits), waits)
            self.assertGreaterEqual(waits[-1] - waits[0], 3, waits)
            self.assertLessEqual(waits[-1], 300, waits)
            for s in idle:
                s.close()
            deadline = __import__("time").time() + 30
            while srv.request("GET", "/api/v1/config")[0] != 200:
                self.assertLess(__import__("time").time(), deadline, "server did not recover")
        finally:
            srv.cleanup()

    def test_client_gone_before_handshake(self):
        """A connection whose client gave up while it waited in the accept queue is closed without a TLS
        handshake (server/http.c client_gone()), and counted as abandoned, not as a connection served."""
        srv = Server(extra=["--max-connections", "4", "--threads", "2"]).start()
        try:
            before = srv.admin("GET", "/stats")[1]["http"]
            # libmicrohttpd accepts 2 * 4 + 16 connections; these fill it, the next ones wait in the kernel.
            idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(24)]
            time.sleep(1)
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", srv.port)) as gone:
                    gone.sendall(b"\x16\x03\x01\x00\x05hello")  # as if a ClientHello, then the client leaves
            for s in idle:
                s.close()
            deadline = time.time() + 30
            while True:
                st, doc, _, _ = srv.admin("GET", "/stats")
                if st == 200 and doc["http"]["abandoned"] - before["abandoned"] >= 3:
                    break
                self.assertLess(time.time(), deadline, doc)
                time.sleep(0.5)
            self.assertEqual(doc["http"]["abandoned"] - before["abandoned"], 3, doc)
        finally:
            srv.cleanup()

    def test_tls_session_resumption(self):
        """A client that comes back resumes its TLS session with the ticket it was given (no full handshake);
        a restarted server has a new ticket key and makes it do a full handshake again."""
        srv = self.srv.start()
        ctx = ssl.create_default_context(cafile=os.path.join(srv.state, "ca.pem"))  # the CA outlives restarts

        def get(session=None):
            with socket.create_connection(("127.0.0.1", srv.port)) as sock:
                with ctx.wrap_socket(sock, server_hostname="localhost", session=session) as tls:
                    tls.sendall(b"GET /api/v1/config HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    data = b""
                    while True:
                        chunk = tls.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    return tls.session, tls.session_reused, data.split(b"\r\n", 1)[0]

        first, reused, status = get()
        self.assertFalse(reused)
        self.assertIn(b" 200 ", status)
        self.assertTrue(first is not None and first.has_ticket)
        _, reused, status = get(first)
        self.assertTrue(reused)
        self.assertIn(b" 200 ", status)
        srv.stop()
        srv.start()
        _, reused, status = get(first)
        self.assertFalse(reused)
        self.assertIn(b" 200 ", status)

    def test_users_cli(self):
        srv = self.srv.start()
        pw = os.path.join(srv.dir, "pw")
        with open(pw, "w") as f:
            f.write("file pw\n")
        srv.cli("user-add", "frank", "--password-file", pw)
        srv.cli("user-add", "gina")
        out = srv.cli("user-list").stdout
        self.assertIn("frank\tpassword", out)
        self.assertIn("gina\tno-password", out)
        self.assertEqual(srv.cli("user-add", "frank", check=False).returncode, 1)
        self.assertEqual(srv.apply(user="frank", password="file pw")[0], 201)
        # The password hash is PBKDF2 with a salt; the password itself is nowhere.
        db = read_bytes(os.path.join(srv.state, "certlink-server.db"))
        self.assertNotIn(b"file pw", db)
        srv.cli("user-del", "frank")
        self.assertNotIn("frank", srv.cli("user-list").stdout)
        self.assertEqual(srv.apply(user="frank", password="file pw")[0], 401)
        self.assertEqual(srv.cli("user-del", "frank", check=False).returncode, 1)
        # config-set validates.
        self.assertEqual(srv.cli("config-set", "auto_approve", "maybe", check=False).returncode, 1)
        self.assertEqual(srv.cli("config-set", "nonsense", "1", check=False).returncode, 1)
        srv.cli("config-set", "key_type", "ec")
        self.assertEqual(srv.cli("config-get", "key_size").stdout.strip(), "P-256")
        self.assertEqual(srv.request("GET", "/api/v1/config")[1]["key"], {"type": "ec", "curve": "P-256"})


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


if __name__ == "__main__":
    unittest.main(verbosity=2)
