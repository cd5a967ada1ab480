"""Test harness for certlink-server integration tests (stdlib only).

Starts the server on a random loopback port (--port 0 + --port-file) in a temporary state dir, talks to it over
real TLS verified against the server's own CA, runs the admin command line, and stops the server by PID.
"""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import uuid

SERVER = os.environ.get("CERTLINK_SERVER", "certlink-server")
TMP_ROOT = os.environ.get("CERTLINK_TEST_TMP") or None


def read(path):
    with open(path) as f:
        return f.read()


class Server:
    def __init__(self, state_dir=None, scep_http=True, extra=()):
        self.owns_dir = state_dir is None
        self.dir = state_dir or tempfile.mkdtemp(prefix="certlink-server-", dir=TMP_ROOT)
        self.state = os.path.join(self.dir, "state")
        self.scep_http = scep_http
        self.extra = list(extra)
        self.proc = None
        self.port = self.scep_port = None
        self.admin_token = None
        self.ctx = None
        self.log = None

    # process control
    def start(self, timeout=60):
        port_file = os.path.join(self.dir, "port")
        scep_file = os.path.join(self.dir, "scep-port")
        token_file = os.path.join(self.dir, "admin-token")
        for f in (port_file, scep_file):
            if os.path.exists(f):
                os.unlink(f)
        args = [SERVER, "serve", "--state-dir", self.state, "--port", "0", "--port-file", port_file,
                "--pid-file", os.path.join(self.dir, "pid"), "--token-file", token_file] + self.extra
        if self.scep_http:
            args += ["--scep-http-port", "0", "--scep-port-file", scep_file]
        if self.log:
            self.log.close()
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while not os.path.exists(port_file) or (self.scep_http and not os.path.exists(scep_file)):
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d:\n%s" % (self.proc.returncode, self.log_text()))
            if time.time() > deadline:
                raise RuntimeError("server did not start:\n" + self.log_text())
            time.sleep(0.05)
        self.port = int(read(port_file))
        if self.scep_http:
            self.scep_port = int(read(scep_file))
        if os.path.exists(token_file) and self.admin_token is None:
            self.admin_token = read(token_file).strip()
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.state, "ca.pem"))
        return self

    def pid(self):
        return int(read(os.path.join(self.dir, "pid")))

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=60)
        code = self.proc.returncode if self.proc else None
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        return code

    def cleanup(self):
        self.stop()
        if self.owns_dir and not os.environ.get("CERTLINK_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    # admin command line
    def cli(self, *args, input=None, check=True):
        r = subprocess.run([SERVER, args[0], "--state-dir", self.state] + list(args[1:]), input=input,
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("certlink-server %s failed (%d): %s" % (args[0], r.returncode, r.stderr))
        return r

    def config(self, key, value):
        self.cli("config-set", key, str(value))

    # HTTPS
    def request(self, method, path, body=None, token=None, headers=None, raw=None, host="localhost", source=None):
        """One HTTPS exchange. source: the local address to connect from (any 127.x.y.z works on loopback),
        so that tests can play many client addresses."""
        if source and host == "localhost":
            host = "127.0.0.1"  # an IPv4 source cannot reach ::1
        conn = http.client.HTTPSConnection(host, self.port, context=self.ctx, timeout=60,
                                           source_address=(source, 0) if source else None)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        try:
            doc = json.loads(payload) if payload else None
        except ValueError:
            doc = None
        return resp.status, doc, resp, payload

    def admin(self, method, path, body=None):
        return self.request(method, "/api/v1/admin" + path, body=body if body is not None else
                            ({} if method == "POST" else None), token=self.admin_token)

    # enrollment helpers
    def apply(self, user="alice", password="secret pw", store="user", crid=None, source=None, **extra):
        body = {"client_request_id": crid or str(uuid.uuid4()), "user": user, "store": store}
        if password is not None:
            body["password"] = password
        body.update(extra)
        return self.request("POST", "/api/v1/applications", body, source=source)

    def login_stats(self):
        """The server's login counters (GET /api/v1/admin/stats): key derivations run, refusals by budget."""
        st, doc, _, _ = self.admin("GET", "/stats")
        assert st == 200, doc
        return doc["login"]

    def activate(self, app, device=None):
        return self.request("POST", "/api/v1/applications/%s/activate" % app["id"],
                            {"device": device or {"hostname": "pc01"}}, token=app["secret"])

    def scep_url(self):
        return "http://127.0.0.1:%d/scep" % self.scep_port


def scepclient(url, challenge, workdir, name, cn="alice", key_size=2048, timeout=120):
    """Enroll with micromdm's scepclient (Debian `scep`). Returns (returncode, output, cert path)."""
    # scepclient keeps csr.pem and self.pem in its working directory and reuses them: one directory per key.
    cwd = os.path.join(workdir, name)
    os.makedirs(cwd, exist_ok=True)
    key = os.path.join(cwd, "key.pem")
    cert = os.path.join(cwd, "cert.pem")
    r = subprocess.run(["scepclient", "-server-url", url, "-challenge", challenge, "-cn", cn, "-organization", "",
                        "-ou", "", "-country", "", "-private-key", key, "-certificate", cert,
                        "-keySize", str(key_size)], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    return r.returncode, r.stdout + r.stderr, cert


def openssl(*args, input=None):
    return subprocess.run(["openssl"] + list(args), input=input, capture_output=True, text=True)
