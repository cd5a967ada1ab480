"""certlink tests: the reference enrollment server (certlink-server) on a random loopback port.

Started with `--port 0 --port-file`, stopped by PID; administered through its command line (docs/server.md):
`invite`, `user-add`, `app-list`, `config-set`, `approve`.
"""
import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time


def _die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no server outlives a killed test


class RefServer:
    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="certlink-gui-server-")
        self.state = os.path.join(self.dir, "state")
        self.proc = None
        self.port = None

    def admin(self, *args, stdin=None):
        proc = subprocess.run([self.binary, args[0], "--state-dir", self.state] + list(args[1:]), input=stdin,
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"certlink-server {args[0]}: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, config=None):
        port_file = os.path.join(self.dir, "port")
        subprocess.run([self.binary, "init", "--state-dir", self.state, "--hostname", "127.0.0.1",
                        "--token-file", os.path.join(self.dir, "admin-token")], check=True,
                       capture_output=True, timeout=120)
        for key, value in (config or {}).items():
            self.admin("config-set", key, value)
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen([self.binary, "serve", "--state-dir", self.state, "--listen", "127.0.0.1",
                                      "--hostname", "127.0.0.1", "--port", "0", "--port-file", port_file],
                                     stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"certlink-server exited with {self.proc.returncode}")
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return self
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise RuntimeError("certlink-server did not write its port file")

    def ca_pem(self):
        return os.path.join(self.state, "ca.pem")

    def invite(self, user, store=None, passwordless=False, code=None):
        """A new invitation link for user (who must exist: add_user), with an invitation code when given."""
        args = ["invite", "--user", user]
        if store:
            args += ["--store", store]
        if passwordless:
            args.append("--passwordless")
        if code:
            args += ["--code", code]
        return self.admin(*args).strip().splitlines()[-1]

    def add_user(self, user, password=None):
        """Add user with password (a random one when None: passwordless invitations only)."""
        self.admin("user-add", user, "--password-stdin",
                   stdin=(password or secrets.token_urlsafe(18)) + "\n")

    def applications(self):
        """The applications `app-list` reports (a JSON array of objects with id, user, state, ...)."""
        return json.loads(self.admin("app-list"))

    def certificates(self):
        """The certificates `cert-list` reports (serial, subject, application, revoked, ...)."""
        return json.loads(self.admin("cert-list"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
