#!/usr/bin/env python3
"""Several `certlink enroll` processes at once in the same home, for different users: every one finishes, and
the one records file they all update under its lock lists every application and certificate, each installed
once (nothing lost, nothing doubled, still valid JSON)."""
import os

from clitest import Fixture, check, check_installed, eq, main

USERS = ["u%d" % i for i in range(4)]

fx = Fixture(auto_approve=True, approval_poll_interval=1)
srv = fx.server
for name in USERS:
    srv.user_add(name, name + " pw")


def test_parallel_enrollments():
    home = fx.home("shared")
    procs = []
    for user in USERS:
        log = open(os.path.join(home.dir, user + ".log"), "wb")
        p = home.popen("enroll", "--host", "127.0.0.1", "--port", str(srv.port), "--user", user,
                       "--password-stdin", "--ca-fingerprint", srv.ca_sha256, stdin=-1, stdout=log, stderr=log)
        log.close()
        p.stdin.write((user + " pw\n").encode())
        p.stdin.close()
        procs.append((user, p))
    for user, p in procs:
        p.wait(timeout=240)
        with open(os.path.join(home.dir, user + ".log")) as f:
            eq(p.returncode, 0, "enroll for %s" % user, f.read())
    rec = home.records()  # parses: the file was never left half-written
    eq(sorted(a["user"] for a in rec["applications"]), USERS, "one application per user")
    eq({a["state"] for a in rec["applications"]}, {"installed"}, "all installed")
    eq(sorted(c["user"] for c in rec["certificates"]), USERS, "one certificate per user")
    for c in rec["certificates"]:
        check_installed(home, srv, c["serial"])
    eq(sorted(c["user"] for c in srv.certs()), USERS, "the server issued one certificate per user")
    r = home.run("list")
    eq(sum(1 for line in r.stdout.splitlines() if "installed" in line), len(USERS), "list shows them all")
    check(not any(n.startswith("records.json.") and not n.endswith(".lock")
                  for n in os.listdir(home.store_dir)), "no temporary records file left behind",
          str(os.listdir(home.store_dir)))


try:
    main([test_parallel_enrollments])
finally:
    fx.close()
