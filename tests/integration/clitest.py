"""Harness for the certlink command-line integration tests (Python 3 stdlib only).

Server: certlink-server on a random loopback port (--port 0 + --port-file) with its state in a temporary
directory under the build tree, stopped by PID. Client: `certlink` with HOME, every XDG directory, the computer
store (CERTLINK_SYSTEM_DIR), the machine-id, DMI and APID files all pointed into a temporary home, and an
empty NSS database in $HOME/.pki/nssdb so the NSS import is exercised.
"""
import hashlib
import json
import re
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

CERTLINK = os.environ.get("CERTLINK", "certlink")
SERVER = os.environ.get("CERTLINK_SERVER", "certlink-server")
TMP_ROOT = os.environ.get("CERTLINK_TEST_TMP") or None

# Exit codes as the shell sees them (8 bits) for the documented codes (docs/cli.md).
EXIT = {0: 0, 100: 100, 110: 110, 120: 120, 200: 200, 300: 300 & 0xFF, 1000: 1000 & 0xFF}


def tmpdir(prefix):
    if TMP_ROOT:
        os.makedirs(TMP_ROOT, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=TMP_ROOT)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def sha256_of_pem(pem_path):
    der = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def openssl(*args, input=None):
    return subprocess.run(["openssl"] + list(args), input=input, capture_output=True, text=True)


def der_of_pem(pem_text):
    """The DER of the first certificate in PEM text (b"" when there is none)."""
    return subprocess.run(["openssl", "x509", "-outform", "DER"], input=pem_text.encode(),
                          capture_output=True).stdout


def find_cert_dir(store_dir, serial):
    """The directory under STORE_DIR/certs holding the certificate with SERIAL (certificates are filed by
    SHA-256 fingerprint, docs/paths.md); STORE_DIR/certs/SERIAL, which never exists, when none does."""
    certs = os.path.join(store_dir, "certs")
    want = serial.lower().lstrip("0") or "0"
    for name in sorted(os.listdir(certs)) if os.path.isdir(certs) else []:
        pem = os.path.join(certs, name, "cert.pem")
        if name.startswith(".") or not os.path.isfile(pem):
            continue
        out = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-serial"], capture_output=True,
                             text=True).stdout.strip()
        if out.partition("=")[2].lower().lstrip("0") == want:
            return os.path.join(certs, name)
    return os.path.join(certs, serial)


class Failure(AssertionError):
    pass


def check(cond, what, detail=""):
    if not cond:
        raise Failure(what + (("\n" + detail) if detail else ""))


def eq(got, want, what, detail=""):
    if got != want:
        raise Failure("%s: got %r, want %r%s" % (what, got, want, ("\n" + detail) if detail else ""))


class Server:
    """certlink-server in a temporary state directory."""

    def __init__(self):
        self.dir = tmpdir("server-")
        self.state = os.path.join(self.dir, "state")
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self, timeout=120):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SERVER, "serve", "--state-dir", self.state, "--port", "0", "--port-file",
                                      port_file, "--pid-file", os.path.join(self.dir, "pid"), "--token-file",
                                      os.path.join(self.dir, "admin-token")], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + timeout
        while not (os.path.exists(port_file) and read(port_file).strip()):
            if self.proc.poll() is not None:
                raise RuntimeError("certlink-server exited with %d:\n%s" % (self.proc.returncode, self.log()))
            if time.time() > deadline:
                raise RuntimeError("certlink-server did not start:\n" + self.log())
            time.sleep(0.05)
        self.port = int(read(port_file))
        self.ca_pem = os.path.join(self.state, "ca.pem")
        self.ca_sha256 = sha256_of_pem(self.ca_pem)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def log(self):
        try:
            return read(self.log_path, "rb").decode(errors="replace")[-6000:]
        except OSError:
            return ""

    def cli(self, *args, input=None, check=True):
        r = subprocess.run([SERVER, args[0], "--state-dir", self.state] + [str(a) for a in args[1:]],
                           input=input, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("certlink-server %s failed (%d): %s" % (args[0], r.returncode, r.stderr))
        return r

    def config(self, **kv):
        for k, v in kv.items():
            self.cli("config-set", k, str(v).lower() if isinstance(v, bool) else str(v))

    def user_add(self, name, password):
        self.cli("user-add", name, "--password-stdin", input=password + "\n")

    def invite(self, user, store="user", passwordless=True):
        args = ["invite", "--user", user, "--store", store] + (["--passwordless"] if passwordless else [])
        out = self.cli(*args).stdout
        return next(line for line in out.splitlines() if line.startswith("certlink://"))

    def apps(self):
        return json.loads(self.cli("app-list").stdout)

    def app(self, server_id):
        return next(a for a in self.apps() if a["id"] == server_id)

    def certs(self):
        return json.loads(self.cli("cert-list").stdout)


class Home:
    """A person's temporary home: XDG directories, NSS database, device files, computer store."""

    def __init__(self, name="home", machine_id="0123456789abcdef0123456789abcdef"):
        self.dir = tmpdir(name + "-")
        self.home = os.path.join(self.dir, "home")
        self.data = os.path.join(self.home, ".local", "share")
        self.state = os.path.join(self.home, ".local", "state")
        self.config = os.path.join(self.home, ".config")
        self.system = os.path.join(self.dir, "system")
        self.nssdir = os.path.join(self.home, ".pki", "nssdb")
        self.dmi = os.path.join(self.dir, "dmi")
        for d in (self.data, self.state, self.config, self.nssdir, self.dmi, os.path.join(self.home, ".cache")):
            os.makedirs(d, exist_ok=True)
        subprocess.run(["certutil", "-N", "-d", "sql:" + self.nssdir, "--empty-password"], check=True,
                       capture_output=True)
        with open(os.path.join(self.dir, "machine-id"), "w") as f:
            f.write(machine_id + "\n")
        for name_, value in (("sys_vendor", "Test Vendor"), ("product_name", "Test Box")):
            with open(os.path.join(self.dmi, name_), "w") as f:
                f.write(value + "\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CERTLINK"))}
        self.env.update({
            "HOME": self.home,
            "XDG_DATA_HOME": self.data,
            "XDG_STATE_HOME": self.state,
            "XDG_CONFIG_HOME": self.config,
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "CERTLINK_SYSTEM_DIR": self.system,
            "CERTLINK_ETC_DIR": os.path.join(self.dir, "etc"),
            "CERTLINK_MACHINE_ID_FILE": os.path.join(self.dir, "machine-id"),
            "CERTLINK_APID_FILE": os.path.join(self.dir, "apid"),
            "CERTLINK_DMI_DIR": self.dmi,
            # the computer store's system trust is never the real one: p11-kit "fails", so the CA goes to
            # the ca-certificates directory below and a no-op update-ca-certificates
            "CERTLINK_TRUST": "/bin/false",
            "CERTLINK_UPDATE_CA_CERTIFICATES": "/bin/true",
            "CERTLINK_CA_CERTIFICATES_DIR": os.path.join(self.dir, "ca-certificates"),
            # the result of a run is told to the desktop (docs/cli.md): never a real desktop from a test
            "CERTLINK_RUN_USER_DIR": os.path.join(self.dir, "no-run-user"),
            "CERTLINK_UTMP": os.path.join(self.dir, "no-utmp"),
            "DBUS_SESSION_BUS_ADDRESS": "",
        })
        self.store_dir = os.path.join(self.data, "certlink")

    def run(self, *args, input=None, timeout=180, env=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([CERTLINK] + [str(a) for a in args], input=input, capture_output=True, text=True,
                              timeout=timeout, env=e)

    def popen(self, *args, env=None, **kw):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.Popen([CERTLINK] + [str(a) for a in args], env=e, **kw)

    def enroll(self, server, user, password, *extra, **kw):
        return self.run("enroll", "--host", "127.0.0.1", "--port", server.port, "--user", user,
                        "--password-stdin", "--ca-fingerprint", server.ca_sha256, *extra,
                        input=password + "\n", **kw)

    def records(self):
        path = os.path.join(self.store_dir, "records.json")
        if not os.path.exists(path):
            return {"applications": [], "certificates": []}
        return json.loads(read(path))

    def result(self):
        return json.loads(read(os.path.join(self.state, "certlink", "result.json")))

    def result_text(self):
        return read(os.path.join(self.state, "certlink", "result.txt"))

    def cert_dir(self, serial):
        return find_cert_dir(self.store_dir, serial)

    def nss_list(self):
        r = subprocess.run(["certutil", "-L", "-d", "sql:" + self.nssdir], capture_output=True, text=True)
        return r.stdout

    def nss_trusted(self):
        """The NSS entries that carry CA trust ("C" or "T", or "c") in any of the three fields: what would
        make Chromium trust a CA. A chain's CA imported with a bundle has ",,"; a user certificate "u,u,u"."""
        found = []
        for line in self.nss_list().splitlines():
            m = re.search(r"\s([A-Za-z]*),([A-Za-z]*),([A-Za-z]*)\s*$", line)
            if m and any(f in "".join(m.groups()) for f in "CTc"):
                found.append(line.strip())
        return found

    def show(self, ident):
        r = self.run("show", ident, "--json")
        check(r.returncode == 0, "certlink show %s failed" % ident, r.stderr)
        return json.loads(r.stdout)

    def list_json(self):
        r = self.run("list", "--json")
        check(r.returncode == 0, "certlink list --json failed", r.stderr)
        return json.loads(r.stdout)


def expect_exit(r, code, what):
    """R's exit status must be the documented CODE as the shell sees it."""
    if r.returncode != EXIT[code]:
        raise Failure("%s: exit status %d, want %d (code %d)\nstdout:\n%s\nstderr:\n%s" %
                      (what, r.returncode, EXIT[code], code, r.stdout, r.stderr))


def public_key_of_cert(path):
    return openssl("x509", "-in", path, "-noout", "-pubkey").stdout


def public_key_of_key(path):
    return openssl("pkey", "-in", path, "-pubout").stdout


def nss_key_id(cert_pem):
    """The ID NSS gives a certificate's key (CKA_ID): SHA-1 of the RSA modulus or of the EC public point."""
    text = openssl("x509", "-in", cert_pem, "-noout", "-pubkey").stdout
    dump = subprocess.run(["openssl", "pkey", "-pubin", "-noout", "-text_pub"], input=text, capture_output=True,
                          text=True).stdout
    m = re.search(r"(?:Modulus|pub):\s*\n((?:\s+[0-9a-f:]+\n)+)", dump)
    raw = bytes.fromhex(re.sub(r"[\s:]", "", m.group(1))) if m else b""
    return hashlib.sha1(raw.lstrip(b"\0") if "Modulus" in dump else raw).hexdigest()


def check_installed(home, server, serial, key_type="rsa", key_size=2048):
    """Everything a person would check about an installed certificate in the user store."""
    d = home.cert_dir(serial)
    cert, key, chain = (os.path.join(d, n) for n in ("cert.pem", "key.pem", "chain.pem"))
    check(os.path.exists(cert), "certificate file %s exists" % cert)
    r = openssl("verify", "-CAfile", server.ca_pem, cert)
    eq(r.returncode, 0, "openssl verify -CAfile ca.pem", r.stdout + r.stderr)
    eq(os.stat(key).st_mode & 0o777, 0o600, "key file mode")
    eq(public_key_of_key(key), public_key_of_cert(cert), "the key file holds the certificate's key")
    text = openssl("x509", "-in", cert, "-noout", "-text").stdout
    if key_type == "rsa":
        check("rsaEncryption" in text and "(%d bit)" % key_size in text, "RSA %d key" % key_size, text)
    else:
        check("id-ecPublicKey" in text and "NIST CURVE: " + key_size in text, "EC %s key" % key_size, text)
    eq(openssl("x509", "-in", cert, "-noout", "-serial").stdout.strip().split("=")[1].lower().lstrip("0"),
       serial, "serial in the certificate")
    rec = home.records()
    certs = [c for c in rec["certificates"] if c["serial"] == serial]
    eq(len(certs), 1, "records list the certificate once")
    kinds = {loc["kind"] for loc in certs[0]["locations"]}
    check({"key", "certificate", "nss-certificate"} <= kinds, "records list where it was installed", str(kinds))
    # In NSS under the recorded nickname (its own, or an earlier certificate's with the same subject), with
    # its key.
    nick = next(l["nickname"] for l in certs[0]["locations"] if l["kind"] == "nss-certificate")
    check(nick.startswith("certlink 127.0.0.1 "), "NSS nickname", nick)
    nss = home.nss_list()
    check(nick in nss, "certificate in the NSS database", nss)
    r = subprocess.run(["certutil", "-L", "-d", "sql:" + home.nssdir, "-n", nick, "-a"], capture_output=True,
                       text=True)
    pems = r.stdout.replace("\r", "")
    check(read(cert).strip() in pems, "this very certificate is in the NSS database", r.stdout + r.stderr)
    r = subprocess.run(["certutil", "-K", "-d", "sql:" + home.nssdir], capture_output=True, text=True)
    check(nss_key_id(cert) in r.stdout, "its key in the NSS database (by the key ID NSS links them by)",
          r.stdout + r.stderr)
    eq(certs[0]["key_type"], key_type, "records key type")
    apps = [a for a in rec["applications"] if a.get("serial") == serial]
    eq(len(apps), 1, "one application produced it")
    eq(apps[0]["state"], "installed", "application state")
    return certs[0], apps[0]


def main(tests):
    """Run each test function; print a line per test; exit 1 when any failed."""
    failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            print("PASS %s (%.1f s)" % (t.__name__, time.time() - start), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)


class Fixture:
    """One server for a test file, cleaned up at exit unless CERTLINK_KEEP_TMP is set."""

    def __init__(self, **config):
        self.server = Server().start()
        self.homes = []
        if config:
            self.server.config(**config)

    def home(self, name="home"):
        h = Home(name)
        self.homes.append(h)
        return h

    def close(self):
        self.server.stop()
        if not os.environ.get("CERTLINK_KEEP_TMP"):
            for d in [self.server.dir] + [h.dir for h in self.homes]:
                shutil.rmtree(d, ignore_errors=True)


class TlsSpy:
    """A TLS listener with a certificate from a CA nobody trusts. It logs every byte it receives after the
    handshake and answers like an enrollment server would (config and CA), so a client that trusts it would
    go on to send its password.

    With ca=(CA_PEM, CA_KEY) its certificate comes from that CA instead (say, a reference server's, as an
    attacker holding that CA's key, or another host of the same organisation, would have); with listed=PEMS
    its GET /api/v1/ca lists those CA certificates instead of its own CA."""

    def __init__(self, workdir, ca=None, listed=None, name="spy"):
        self.dir = workdir
        self.received = b""
        self.handshakes = 0
        self.lock = threading.Lock()
        ca_key, ca_pem, key, csr, cert = (os.path.join(workdir, n) for n in
                                          (name + "-ca.key", name + "-ca.pem", name + ".key", name + ".csr",
                                           name + ".pem"))
        run = lambda *a: subprocess.run(["openssl"] + list(a), check=True, capture_output=True)
        if ca:
            ca_pem, ca_key = ca
        else:
            run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                ca_key, "-out", ca_pem, "-subj", "/CN=Spy CA", "-days", "2")
        ca = ca_pem
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=127.0.0.1")
        ext = os.path.join(workdir, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAserial", os.path.join(workdir, name + ".srl"),
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
        self.ca_pem = ca
        self.ca_sha256 = sha256_of_pem(ca)
        self.listed = listed or [ca]
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with open(cert, "a") as out:
            out.write(read(ca))
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _answer(self, request):
        line = request.split(b"\r\n", 1)[0]
        if b"/api/v1/ca" in line:
            body = json.dumps({"certificates": [{"pem": read(p), "sha256": sha256_of_pem(p),
                                                 "subject": "CN=Spy CA", "role": "root"}
                                                for p in self.listed]}).encode()
        elif b"/api/v1/config" in line:
            body = json.dumps({"protocol": 1, "server": "spy", "service_name": "spy", "auto_approve": True,
                               "passwordless": True, "apid_check": False, "fields": {},
                               "key": {"type": "rsa", "bits": 2048},
                               "renewal": {"same_key": "allowed", "window_days": 14},
                               "withdraw_requires_password": False,
                               "approval_poll": {"interval": 1, "timeout": 10}}).encode()
        else:
            body = b'{"error": {"code": "not_found", "message": "no", "retry_after": 0}}'
            return b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" \
                   b"Connection: close\r\n\r\n%s" % (len(body), body)
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" \
               b"Connection: close\r\n\r\n%s" % (len(body), body)

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10)
            try:
                tls = self.ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()
                continue
            with self.lock:
                self.handshakes += 1
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for h in head.split(b"\r\n"):
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                while len(body) < length:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                    data += chunk
                if data:
                    tls.sendall(self._answer(data))
            except (ssl.SSLError, OSError, ValueError):
                pass
            finally:
                with self.lock:
                    self.received += data
                try:
                    tls.close()
                except OSError:
                    pass

    def close(self):
        self.stopping = True
        self.sock.close()
