#!/usr/bin/env python3
"""`certlink kitting` prepares a master image: it refuses while computer-store certificates would be cloned,
removes the stored APID and the computer store's applications, secrets and result files, empties the
machine-id on request, and two clones that each get a new machine-id (as systemd gives them at first boot)
show different APIDs. Runs as root with every system path redirected (machine-id, APID file, computer store);
the package test repeats the clone check in a real Debian root."""
import json
import os
import sys

from clitest import Fixture, check, eq, expect_exit, main, read

if os.geteuid() != 0:
    print("skipped: needs root (kitting is root's, like the computer store)")
    sys.exit(77)

fx = Fixture(auto_approve=False, approval_poll_interval=1)
srv = fx.server
srv.user_add("host01", "host01 pw")


def apid(home):
    r = home.run("apid", "--json")
    expect_exit(r, 0, "certlink apid")
    return json.loads(r.stdout)["device"]["apid"]


def records(home):
    path = os.path.join(home.system, "records.json")
    return json.loads(read(path)) if os.path.exists(path) else {"applications": [], "certificates": []}


def pending_files(home):
    d = os.path.join(home.system, "pending")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def set_machine_id(home, text):
    with open(home.env["CERTLINK_MACHINE_ID_FILE"], "w") as f:
        f.write(text)


def test_master_image():
    home = fx.home("kitting")
    master = apid(home)
    # a certificate and an application waiting for approval in the computer store
    srv.config(auto_approve=True)
    expect_exit(home.enroll(srv, "host01", "host01 pw", "--store", "computer"), 0, "enroll (computer)")
    srv.config(auto_approve=False)
    r = home.enroll(srv, "host01", "host01 pw", "--store", "computer", "--force-new", "--approval-timeout", "1")
    expect_exit(r, 300, "an application left waiting for approval")
    check(pending_files(home), "the waiting application has secrets in pending/", str(pending_files(home)))
    before = json.dumps(records(home), sort_keys=True)

    r = home.run("kitting", "--check")
    expect_exit(r, 100, "kitting --check on a machine with state")
    check("holds this machine's ID" in r.stdout, "--check says the machine-id is set", r.stdout)
    eq(json.dumps(records(home), sort_keys=True), before, "--check changed nothing")

    r = home.run("kitting")
    expect_exit(r, 100, "kitting refuses while certificates are there")
    check("--remove-certificates" in r.stderr and "nothing was changed" in r.stderr, "says why and what to do",
          r.stderr)
    eq(json.dumps(records(home), sort_keys=True), before, "the refusal changed nothing")

    r = home.run("kitting", "--remove-certificates")
    expect_exit(r, 100, "kitting without emptying the machine-id is not ready")
    check("Not ready" in r.stdout and "--empty-machine-id" in r.stdout, "says how to finish", r.stdout)
    rec = records(home)
    eq((len(rec["certificates"]), len(rec["applications"])), (0, 0), "no certificate or application left")
    eq(pending_files(home), [], "no pending secret left")
    check(not os.path.exists(os.path.join(home.system, "result.json")), "the result file is gone")
    check(not os.listdir(os.path.join(home.system, "certs")) if os.path.isdir(os.path.join(home.system, "certs"))
          else True, "no certificate files left")

    r = home.run("kitting", "--empty-machine-id")
    expect_exit(r, 0, "kitting --empty-machine-id: ready")
    check("The image is ready" in r.stdout, "says what to do next", r.stdout)
    eq(os.path.getsize(home.env["CERTLINK_MACHINE_ID_FILE"]), 0, "the machine-id is empty")
    expect_exit(home.run("kitting", "--check"), 0, "kitting --check on the prepared image")

    # two clones: systemd gives each a new machine-id at first boot
    set_machine_id(home, "6f1c2a9e4b7d4e0f8a3b5c6d7e8f9012\n")
    one = apid(home)
    set_machine_id(home, "a2b3c4d5e6f708192a3b4c5d6e7f8091\n")
    two = apid(home)
    check(len({master, one, two}) == 3, "master and both clones have different APIDs", str((master, one, two)))


def test_without_machine_id():
    # No machine-id (a container, an image run before first boot): certlink keeps a random APID in the APID
    # file; kitting removes it, so the next machine makes its own.
    home = fx.home("kitting-nomid")
    set_machine_id(home, "")
    first = apid(home)
    check(os.path.exists(home.env["CERTLINK_APID_FILE"]), "the fallback APID is stored")
    eq(apid(home), first, "and stays the same")
    r = home.run("kitting")
    expect_exit(r, 0, "kitting with an empty machine-id")
    check(not os.path.exists(home.env["CERTLINK_APID_FILE"]), "the stored APID is gone")
    check(apid(home) != first, "the next machine from the image makes its own APID")


def test_guards():
    home = fx.home("kitting-guard")
    r = home.run("kitting", "--check", env={"CERTLINK_MACHINE_ID_FILE": ""})
    expect_exit(r, 100, "a redirected computer store without a redirected machine-id")
    check("CERTLINK_MACHINE_ID_FILE" in r.stderr, "names the missing override", r.stderr)
    expect_exit(home.run("kitting", "--check", "--empty-machine-id"), 100, "--check with a change")
    expect_exit(home.run("kitting", "extra"), 100, "an operand")
    r = home.run("kitting", "--help")
    expect_exit(r, 0, "kitting --help")
    check("Usage: certlink kitting" in r.stdout, "usage", r.stdout)


try:
    main([test_master_image, test_without_machine_id, test_guards])
finally:
    fx.close()
