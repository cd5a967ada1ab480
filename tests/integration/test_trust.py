#!/usr/bin/env python3
"""Trust and identity, each test written as the attack (issue 9, points 1 and 4).

A second reference server plays the hostile one: anybody can run a certlink-server and mail a link that pins
its CA. A TLS listener that logs what it receives (clitest.TlsSpy) plays a host that should not get a
password: some of them hold a certificate from a reference server's CA, as another host of the same CA, or an
attacker with that CA's key, would.

- A pinned passwordless link from the hostile server enrolls, and afterwards nothing trusts its CA: no NSS
  trust flags, nothing in certlink's anchors (nor the old trust directory), nothing in the system store of
  the computer store; the result file names the CA as not installed. `--install-ca` with its fingerprint
  installs it; with a wrong fingerprint it does not.
- "Remember this server" (answered on the terminal) for host A:port makes A trusted, and nothing else: a
  host on another port, or under another name, whose chain ends in the same CA gets no password (zero-touch
  exits 200).
- A `ca=` pin is the only anchor: a server whose chain the system trusts, listing the pinned CA, but whose
  chain does not end in it, is refused and gets no password.
- A server that names a SCEP URL on another port is refused (exit 200) and that port sees no connection.
"""
import json
import os
import pty
import re
import select
import socket
import subprocess
import threading
import time

from clitest import Fixture, TlsSpy, check, eq, expect_exit, main, read

HANDLER = os.environ.get("CERTLINK_HANDLER")

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server                      # the organisation's server
srv.user_add("alice", "alice's password")
hostile = Fixture(auto_approve=True)  # anybody's server, with its own CA
hostile.server.cli("user-add", "victim")


def no_anchor_anywhere(home, fp, what):
    """Nothing made the CA with SHA-256 FP a trust anchor, in any store of HOME."""
    eq(home.nss_trusted(), [], what + ": no NSS entry has CA trust flags")
    for d in (os.path.join(home.store_dir, "anchors"), os.path.join(home.system, "anchors")):
        check(not os.path.exists(os.path.join(d, fp + ".pem")), what + ": nothing in " + d)
    check(not os.path.exists(os.path.join(home.store_dir, "trust")), what + ": nothing in the old trust directory")
    cacerts = home.env["CERTLINK_CA_CERTIFICATES_DIR"]
    check(not os.path.isdir(cacerts) or os.listdir(cacerts) == [], what + ": nothing in the system trust directory")


def test_hostile_pinned_link_installs_no_anchor():
    h = hostile.server
    fp = h.ca_sha256
    # user store
    home = fx.home("victim-user")
    r = home.run("enroll", "--link", h.invite("victim"))
    expect_exit(r, 0, "the hostile server's pinned passwordless link enrolls")
    no_anchor_anywhere(home, fp, "user store")
    nss = home.nss_list()
    check(any(line.rstrip().endswith(",,") and not line.rstrip().endswith("C,,") for line in nss.splitlines()),
          "the CA is in NSS only for the chain (trust ,,)", nss)
    res = home.result()
    eq(res["trust_anchors_installed"], 0, "result: no anchor installed")
    eq(res["trust_anchors_not_installed"], [fp], "result: the hostile CA was not installed")
    check("not installed" in res["message"] and "--install-ca" in res["message"], "result message says so",
          res["message"])
    check("CA %s: not installed as a trust anchor" % fp in r.stdout, "the summary says so", r.stdout)
    # computer store (redirected; the system trust tools are stand-ins that would write CA_DIR)
    r = home.run("enroll", "--link", h.invite("victim", store="computer"))
    expect_exit(r, 0, "computer store")
    no_anchor_anywhere(home, fp, "computer store")


def test_install_ca_option():
    h = hostile.server
    fp = h.ca_sha256
    home = fx.home("admin-wrong")
    wrong = fp[:-1] + ("0" if fp[-1] != "0" else "1")
    r = home.run("enroll", "--link", h.invite("victim"), "--install-ca", wrong)
    expect_exit(r, 0, "--install-ca with a wrong fingerprint still enrolls")
    no_anchor_anywhere(home, fp, "wrong fingerprint")
    eq(home.result()["trust_anchors_not_installed"], [fp], "result: not installed")
    expect_exit(home.run("enroll", "--link", h.invite("victim"), "--install-ca", "zz"), 100, "not a fingerprint")

    home = fx.home("admin-right")
    r = home.run("enroll", "--link", h.invite("victim"), "--install-ca", ":".join(fp[i:i + 2] for i in
                                                                                  range(0, 64, 2)).upper())
    expect_exit(r, 0, "--install-ca with the CA's fingerprint")
    check(os.path.isfile(os.path.join(home.store_dir, "anchors", fp + ".pem")), "the CA is in certlink's anchors")
    check(len(home.nss_trusted()) == 1 and home.nss_trusted()[0].endswith("C,,"), "NSS trusts it (C,,)",
          home.nss_list())
    eq(home.result()["trust_anchors_installed"], 1, "result: one anchor installed")
    eq(home.result()["trust_anchors_not_installed"], [], "result: none left out")
    cert = home.records()["certificates"][0]
    check(any(loc["kind"] == "trust-file" and loc["path"].endswith("/anchors/" + fp + ".pem")
              for loc in cert["locations"]), "the anchor is recorded with the certificate (delete removes it)")
    r = home.run("enroll", "--link", h.invite("victim", store="computer"), "--install-ca", fp)
    expect_exit(r, 0, "computer store with --install-ca")
    check(os.path.isfile(os.path.join(home.system, "anchors", fp + ".pem")), "the computer store's anchors")
    crts = os.listdir(home.env["CERTLINK_CA_CERTIFICATES_DIR"])
    check(len(crts) == 1 and crts[0].startswith("certlink-" + fp[:16]), "and the system trust directory", crts)


def test_install_ca_on_activate():
    """A pending application finished by `certlink activate`: the same rule, the same option."""
    h = hostile.server
    fp = h.ca_sha256
    home = fx.home("activate")
    h.config(auto_approve="false")
    try:
        r = home.run("enroll", "--link", h.invite("victim"), "--approval-timeout", "1")
        expect_exit(r, 300, "waiting for approval")
    finally:
        h.config(auto_approve="true")
    app = home.records()["applications"][0]
    h.cli("approve", app["server_id"])
    r = home.run("activate", app["id"], "--install-ca", fp)
    expect_exit(r, 0, "activate --install-ca")
    check(os.path.isfile(os.path.join(home.store_dir, "anchors", fp + ".pem")), "the CA is in certlink's anchors")
    eq(home.result()["trust_anchors_installed"], 1, "result: one anchor installed")


def test_renewal_keeps_its_anchor():
    """A renewal carries the renewed certificate's consented anchor over: the anchor stays (recorded with the
    new certificate), and the old certificate's removal does not take it away."""
    home = fx.home("renew-anchor")
    secret = "alice's password"
    r = home.enroll(srv, "alice", secret, "--install-ca", srv.ca_sha256)
    expect_exit(r, 0, "enroll with --install-ca")
    old = home.records()["certificates"][0]
    anchor = os.path.join(home.store_dir, "anchors", srv.ca_sha256 + ".pem")
    check(os.path.isfile(anchor) and home.nss_trusted(), "the CA is an anchor")
    r = home.run("renew", old["serial"], "--password-stdin", input=secret + "\n")
    expect_exit(r, 0, "renew")
    certs = home.records()["certificates"]
    check(len(certs) == 1 and certs[0]["serial"] != old["serial"], "the new certificate replaced the old one")
    check(any(loc["kind"] == "trust-file" and loc["path"] == anchor for loc in certs[0]["locations"]),
          "the anchor is recorded with the new certificate")
    check(os.path.isfile(anchor) and len(home.nss_trusted()) == 1, "and it is still an anchor", home.nss_list())
    eq(home.result()["trust_anchors_not_installed"], [], "nothing left out")


def pty_run(argv, env, answers, timeout=120):
    """argv on a new pty (its controlling terminal), answering prompts (regex, text). (rc, output, left)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if pending and re.search(pending[0][0], out.decode("utf-8", "replace")):
            time.sleep(0.2)
            os.write(fd, pending[0][1].encode() + b"\n")
            out += b"<<answered>>"
            pending.pop(0)
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace"), pending


def test_remembered_server_is_bound_to_host_and_port():
    check(HANDLER is not None, "CERTLINK_HANDLER names certlink-handler")
    home = fx.home("remember")
    secret = "alice's password"
    # The person confirms server A on the terminal and tells certlink to remember it.
    link = "certlink://127.0.0.1:%d/enroll?store=user&user=alice" % srv.port
    env = dict(home.env, LANG="C.UTF-8")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    rc, out, left = pty_run([HANDLER, "--no-gui", link], env,
                            [(r"\[r\]emember / \[N\]o: $", "r"), (r"User ID \[alice\]: $", ""),
                             (r"Password: $", secret),
                             (r"\[y\]es / \[N\]o: $", "")])
    check(left == [] and rc == 0, "enrolled after remembering server A (rc %d, left %s)" % (rc, left), out)
    known = json.loads(read(os.path.join(home.store_dir, "known-servers.json")))
    eq([(s["host"], s["port"], s["ca_sha256"]) for s in known["servers"]], [("127.0.0.1", srv.port, srv.ca_sha256)],
       "known-servers.json binds A's CA to 127.0.0.1:%d" % srv.port)
    check(not os.path.exists(os.path.join(home.store_dir, "trust")), "no CA file that any host would be trusted by")
    # The same host and port later, zero-touch: trusted without a question.
    r = home.run("enroll", "--host", "127.0.0.1", "--port", srv.port, "--user", "alice", "--password-stdin",
                 "--force-new", input=secret + "\n")
    expect_exit(r, 0, "server A, remembered, zero-touch")
    # Host B: a listener whose certificate comes from A's CA, on another port, and under another name.
    spy = TlsSpy(home.dir, ca=(srv.ca_pem, os.path.join(srv.state, "ca.key")))
    try:
        for host in ("127.0.0.1", "localhost"):
            r = home.run("enroll", "--host", host, "--port", spy.port, "--user", "alice", "--password-stdin",
                         "--retries", "1", input=secret + "\n")
            expect_exit(r, 200, "host B (%s:%d), same CA as remembered A" % (host, spy.port))
            check("identity could not be established" in r.stderr, "says why", r.stderr)
        check(secret.encode() not in spy.received and b"POST" not in spy.received,
              "host B received no password", repr(spy.received))
        # Control: told to trust B's CA (a pin), certlink does send it, so the listener would have seen it.
        r = home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                     "--ca-fingerprint", srv.ca_sha256, "--retries", "1", input=secret + "\n")
        check(secret.encode() in spy.received, "control: a trusted listener receives the password",
              repr(spy.received))
    finally:
        spy.close()


def test_pin_is_not_helped_by_system_trust():
    home = fx.home("pin-only")
    secret = "alice's password"
    # The system trusts A's CA; the listener's chain comes from A's CA and its CA list names the hostile CA
    # the link pins. Only a chain ending in the pinned CA is accepted.
    spy = TlsSpy(home.dir, ca=(srv.ca_pem, os.path.join(srv.state, "ca.key")), listed=[hostile.server.ca_pem],
                 name="liar")
    env = {"CERTLINK_SYSTEM_CA_FILE": srv.ca_pem}
    try:
        r = home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                     "--ca-fingerprint", hostile.server.ca_sha256, "--retries", "1", input=secret + "\n", env=env)
        expect_exit(r, 200, "pinned to one CA, a system-trusted chain from another")
        check("does not" in r.stderr and "vouch" in r.stderr, "says the pinned CA does not vouch for it", r.stderr)
        check(secret.encode() not in spy.received and b"POST" not in spy.received, "no password was sent",
              repr(spy.received))
        # Control: without the pin the same listener is system-trusted and gets the password.
        home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                 "--retries", "1", input=secret + "\n", env=env)
        check(secret.encode() in spy.received, "control: system trust alone lets it through", repr(spy.received))
    finally:
        spy.close()


class Recorder:
    """A TCP port that counts every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


def test_scep_url_on_another_port():
    h = hostile.server
    home = fx.home("scep-elsewhere")
    rec = Recorder()
    link = h.invite("victim")
    h.config(public_port=rec.port)  # the activation reply now names https://127.0.0.1:REC/scep
    try:
        r = home.run("enroll", "--link", link, "--retries", "1")
        expect_exit(r, 200, "a SCEP URL on another port")
        check("SCEP address that is not its own" in r.stderr and ":%d/scep" % rec.port in r.stderr,
              "the message names the refused address", r.stderr)
        eq(rec.connections, 0, "no connection reached the other port")
        check(not home.records()["certificates"], "nothing was installed")
    finally:
        h.config(public_port=0)
        rec.close()
    # the same application finishes once the server names its own address again
    expect_exit(home.run("enroll", "--link", link), 0, "resumed with the server's own SCEP URL")


if __name__ == "__main__":
    try:
        main([test_hostile_pinned_link_installs_no_anchor, test_install_ca_option, test_install_ca_on_activate,
              test_renewal_keeps_its_anchor, test_remembered_server_is_bound_to_host_and_port, test_pin_is_not_helped_by_system_trust,
              test_scep_url_on_another_port])
    finally:
        hostile.close()
        fx.close()
