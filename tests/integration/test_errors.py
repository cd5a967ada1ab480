#!/usr/bin/env python3
"""What goes wrong, and the exit code a script sees: a wrong password is 300 (44 in the shell), a server that
is not there is 200, bad options are 100, and a server whose identity is not established (no pin, no trust,
nobody to ask) is 200 with no password, token or apply reaching it. A TLS listener with a certificate from
another CA logs every byte it receives to prove the last point, with a positive control: pinned to its own CA,
the same listener does receive the password. The computer store needs root before anything is sent."""
import json
import os
import shutil
import socket
import subprocess

from clitest import Fixture, TlsSpy, check, eq, expect_exit, find_cert_dir, main, read

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
srv.user_add("alice", "right password")
srv.cli("user-add", "carol")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_wrong_password():
    home = fx.home("wrongpw")
    r = home.enroll(srv, "alice", "wrong password")
    expect_exit(r, 300, "wrong password")
    check("incorrect" in r.stderr, "the server's words", r.stderr)
    res = home.result()
    eq((res["result"], res["exit_code"]), ("failed", 300), "result file")
    check("incorrect" in res["message"], "result message", res["message"])
    check("wrong password" not in read(os.path.join(home.state, "certlink", "result.json")), "no password")
    eq(home.records()["certificates"], [], "no certificate")
    eq([a for a in srv.apps() if a["user"] == "alice"], [], "no application at the server")


def test_password_sources():
    home = fx.home("sources")
    base = ["enroll", "--host", "127.0.0.1", "--port", srv.port, "--user", "alice", "--ca-fingerprint",
            srv.ca_sha256, "--force-new"]
    pwfile = os.path.join(home.dir, "pw")
    with open(pwfile, "w") as f:
        f.write("right password\n")
    os.chmod(pwfile, 0o600)
    expect_exit(home.run(*base, "--password-file", pwfile), 0, "--password-file")
    expect_exit(home.run(*base, env={"CERTLINK_PASSWORD": "right password"}), 0, "CERTLINK_PASSWORD")
    expect_exit(home.run(*base, "--password-env", "MY_PW", env={"MY_PW": "right password"}), 0,
                "--password-env")
    r = home.run(*base, "--password", "right password")
    expect_exit(r, 0, "--password")
    check("other users" in r.stderr, "--password is warned about", r.stderr)
    expect_exit(home.run(*base, "--password-stdin", input="right password\n"), 0, "--password-stdin")
    eq(len(home.records()["certificates"]), 5, "five certificates")
    r = home.run(*base)
    expect_exit(r, 100, "no password at all")
    check("password" in r.stderr, "says a password is needed", r.stderr)
    expect_exit(home.run(*base, "--password-stdin", input=("x" * 300) + "\n"), 100, "an over-long password")
    expect_exit(home.run(*base, "--password-stdin", input=""), 100, "an empty standard input")


def test_server_down():
    home = fx.home("down")
    r = home.run("enroll", "--host", "127.0.0.1", "--port", free_port(), "--user", "alice", "--password-stdin",
                 "--ca-fingerprint", srv.ca_sha256, "--retries", "2", input="right password\n")
    expect_exit(r, 200, "nothing listening")
    res = home.result()
    eq((res["result"], res["exit_code"]), ("failed", 200), "result file")


def test_bad_options():
    home = fx.home("badopts")
    link = srv.invite("carol")
    cases = [
        ["enroll"],
        ["enroll", "--host", "127.0.0.1", "--port", "0"],
        ["enroll", "--host", "127.0.0.1", "--port", "70000"],
        ["enroll", "--host", "127.0.0.1", "--bogus"],
        ["enroll", "--link", "https://example.com/enroll"],
        ["enroll", "--link", "certlink://example.com/enroll?store=root"],
        ["enroll", "--link", "--help"],
        ["enroll", "--host", "bad..host"],
        ["enroll", "--host", "127.0.0.1", "--ca-fingerprint", "abcd"],
        ["enroll", "--host", "127.0.0.1", "--store", "root"],
        ["enroll", "--host", "127.0.0.1", "--retries", "0"],
        ["enroll", "--host", "127.0.0.1", "--timeout", "x"],
        ["enroll", "--link", link, "--host", "127.0.0.1"],
        ["enroll", "--host", "127.0.0.1", "--password-file", "/nonexistent/pw"],
        ["enroll", "--host", "127.0.0.1", "--password-env", "CERTLINK_TEST_UNSET"],
        ["enroll", "--host", "127.0.0.1", "--password-stdin", "--password-env", "HOME"],
        ["enroll", "--host", "127.0.0.1", "extra-argument"],
        ["no-such-command"],
        [],
        ["list", "--store", "nowhere"],
        ["list", "extra"],
        ["show"],
        ["show", "a", "b"],
        ["show", "0123456789abcdef"],
        ["delete"],
        ["delete", "abcdef"],
        ["renew"],
        ["activate"],
        ["withdraw"],
        ["reapply"],
        ["apid", "extra"],
        ["activate", "x", "--approval-timeout", "0"],
    ]
    for args in cases:
        r = home.run(*args)
        expect_exit(r, 100, "certlink " + " ".join(args))
        check(r.stderr.startswith("certlink: ") or r.stderr.startswith("Usage:"), "a message",
              " ".join(args) + ": " + r.stderr)
    eq([a for a in srv.apps() if a["user"] == "carol"], [], "none of it reached the server")
    # the link's one-time token is still unused
    expect_exit(home.run("enroll", "--link", link), 0, "the invitation still works")
    for args in (["--help"], ["enroll", "--help"], ["list", "--help"], ["renew", "--help"]):
        r = home.run(*args)
        expect_exit(r, 0, " ".join(args))
        check("Usage:" in r.stdout, "usage text", r.stdout)


def test_untrusted_server():
    """The real server, without pin or trust: the zero-touch run cannot ask, so it stops before apply."""
    home = fx.home("untrusted")
    before = len(srv.apps())
    r = home.run("enroll", "--host", "127.0.0.1", "--port", srv.port, "--user", "alice", "--password-stdin",
                 "--retries", "1", input="right password\n")
    expect_exit(r, 200, "no pin, no trust")
    check("identity" in r.stderr or "certificate" in r.stderr, "says why", r.stderr)
    eq(len(srv.apps()), before, "no application reached the server")
    link = srv.invite("carol")
    unpinned = "&".join(p for p in link.split("&") if not p.startswith("ca="))
    expect_exit(home.run("enroll", "--link", unpinned, "--retries", "1"), 200, "unpinned link")
    eq(len(srv.apps()), before, "the token did not reach the server")
    expect_exit(home.run("enroll", "--link", link), 0, "the same invitation, pinned, still works")
    check("api: application" in srv.log() and srv.log().count("api: application") == before + 1,
          "the server log shows one apply", srv.log())


def test_spy_never_gets_secrets():
    home = fx.home("spy")
    spy = TlsSpy(home.dir)
    secret = "S3cret-Spy-Password"
    token = "SpyTokenAbcdefghijklmnop"
    try:
        r = home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                     "--retries", "1", input=secret + "\n")
        expect_exit(r, 200, "spy, no pin")
        r = home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                     "--ca-fingerprint", srv.ca_sha256, "--retries", "1", input=secret + "\n")
        expect_exit(r, 200, "spy, pinned to another CA")
        link = ("certlink://127.0.0.1:%d/enroll?v=1&store=user&pwless=1&user=alice&token=%s" % (spy.port, token))
        expect_exit(home.run("enroll", "--link", link, "--retries", "1"), 200, "spy, passwordless link")
        got = spy.received
        check(secret.encode() not in got and token.encode() not in got, "no secret reached the spy", repr(got))
        check(b"POST" not in got, "nothing was posted to the spy", repr(got))
        # Positive control: pinned to the spy's own CA, certlink trusts it and the password does arrive, so
        # the listener would have seen it above had certlink sent it.
        r = home.run("enroll", "--host", "127.0.0.1", "--port", spy.port, "--user", "alice", "--password-stdin",
                     "--ca-fingerprint", spy.ca_sha256, "--retries", "1", input=secret + "\n")
        check(r.returncode != 0, "the spy does not enroll anybody", r.stderr)
        check(secret.encode() in spy.received, "control: a trusted listener receives the password",
              repr(spy.received))
    finally:
        spy.close()


def nobody_env(home):
    env = dict(home.env)
    env.pop("CERTLINK_SYSTEM_DIR")  # a redirected computer store is writable without root (tests)
    return env


def test_computer_store():
    home = fx.home("computer")
    if os.geteuid() == 0 and shutil.which("setpriv"):
        # As root with the computer store redirected: the certificate goes to the system directory, the CA to the
        # (redirected) ca-certificates directory, the result file beside them.
        r = home.enroll(srv, "alice", "right password", "--store", "computer", "--force-new")
        expect_exit(r, 0, "computer store as root")
        rec_path = os.path.join(home.system, "records.json")
        rec = json.loads(read(rec_path))
        serial = rec["certificates"][0]["serial"]
        d = find_cert_dir(home.system, serial)
        eq(os.stat(os.path.join(d, "key.pem")).st_mode & 0o777, 0o600, "computer store key mode")
        r2 = subprocess.run(["openssl", "verify", "-CAfile", srv.ca_pem, os.path.join(d, "cert.pem")],
                            capture_output=True, text=True)
        eq(r2.returncode, 0, "chains to the CA", r2.stderr)
        res = json.loads(read(os.path.join(home.system, "result.json")))
        eq((res["store"], res["serial"], res["exit_code"]), ("computer", serial, 0), "computer result file")
        check(serial not in home.nss_list(), "the computer store does not touch the user's NSS database")
        r = home.run("list", "--store", "computer")
        check(serial in r.stdout, "list --store computer", r.stdout)
        # Not root: refused before anything is sent.
        before = len(srv.apps())
        priv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        certlink = os.environ.get("CERTLINK", "certlink")
        for args, what in (([certlink, "delete", serial, "--store", "computer"], "delete"),
                           ([certlink, "enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--store",
                             "computer", "--user", "alice", "--password-stdin", "--ca-fingerprint",
                             srv.ca_sha256], "enroll")):
            r = subprocess.run(priv + args, input="right password\n", capture_output=True, text=True,
                               env=nobody_env(home), timeout=60)
            expect_exit(r, 100, "computer store %s without root" % what)
            check("administrator" in r.stderr or "root" in r.stderr, "says root is needed", r.stderr)
        eq(len(srv.apps()), before, "nothing reached the server")
        expect_exit(home.run("delete", serial, "--store", "computer"), 0, "root deletes it")
        check(not os.path.exists(d), "computer store certificate removed")
    else:
        r = home.run("delete", "0123", "--store", "computer", env={"CERTLINK_SYSTEM_DIR": ""})
        expect_exit(r, 100, "computer store without root")
        check("administrator" in r.stderr, "says root is needed", r.stderr)


try:
    main([test_wrong_password, test_password_sources, test_server_down, test_bad_options, test_untrusted_server,
          test_spy_never_gets_secrets, test_computer_store])
finally:
    fx.close()
