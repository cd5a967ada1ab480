#!/usr/bin/python3
"""A zero-touch run leaves a desktop notification with its result for the person at the computer (issue 10
point 12; docs/cli.md "Desktop notification").

A made-up computer, as root: a session bus of its own owned by `nobody` (dbus-daemon run as nobody,
listening at RUN_USER_DIR/65534/bus, CERTLINK_RUN_USER_DIR), a utmp file saying nobody is logged in at ":0"
(CERTLINK_UTMP), and the stand-in notification server (notifyd.py) on that bus, which logs every
notification with the uid of the connection that sent it.

- certlink enroll as root (a startup script: no session bus of its own) tells nobody that the certificate
  was installed: one notification on nobody's bus, sent by uid 65534, never by root; no actions;
- --no-notify, and the notify_result setting off, send nothing; a run that is not due (110) sends nothing;
- a failed run and one left waiting for approval say so;
- without anybody at the computer nothing is sent and the activity log says why;
- run by nobody itself (a login script), certlink tells nobody on nobody's own bus.

Needs root (for the accounts and the bus owned by nobody): skipped (77) otherwise.
"""
import json
import os
import pwd
import shutil
import signal
import struct
import subprocess
import sys
import time

from clitest import CERTLINK, Fixture, check, eq, expect_exit, main, read, tmpdir

NOBODY = 65534
HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.environ.get("CERTLINK_NOTIFY_HELPER", "")
SKIP = 77

if os.geteuid() != 0 or not HELPER or not shutil.which("dbus-daemon") or not shutil.which("setpriv"):
    print("skipped: needs root, certlink-notify (CERTLINK_NOTIFY_HELPER), dbus-daemon and setpriv")
    sys.exit(SKIP)


def utmp_record(user, line, host, kind=7):
    """One glibc utmpx record (x86_64 and the other 64-bit ABIs: 384 bytes; 7 = USER_PROCESS)."""
    return struct.pack("<hhi32s4s32s256shhiii4i20s", kind, 0, os.getpid(), line.encode(), line[-4:].encode(),
                       user.encode(), host.encode(), 0, 0, 0, int(time.time()), 0, 0, 0, 0, 0, b"")


class Desktop:
    """nobody's session: a bus in RUN_USER_DIR/65534, notifyd.py on it, and utmp saying nobody is at :0."""

    def __init__(self):
        self.dir = tmpdir("desktop-")
        os.chmod(self.dir, 0o755)
        self.run_user = os.path.join(self.dir, "run-user")
        self.runtime = os.path.join(self.run_user, str(NOBODY))
        os.makedirs(self.runtime)
        os.chmod(self.run_user, 0o755)
        os.chown(self.runtime, NOBODY, NOBODY)
        os.chmod(self.runtime, 0o700)
        self.logdir = os.path.join(self.dir, "notifyd")
        os.mkdir(self.logdir)
        os.chown(self.logdir, NOBODY, NOBODY)
        self.log = os.path.join(self.logdir, "notifications.jsonl")
        self.utmp = os.path.join(self.dir, "utmp")
        with open(self.utmp, "wb") as f:
            f.write(utmp_record("nobody", ":0", ":0"))
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        self.bus_path = os.path.join(self.runtime, "bus")
        self.dbus = subprocess.Popen(as_nobody + ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                                  "--address=unix:path=" + self.bus_path, "--print-address=1"],
                                     stdout=subprocess.PIPE, text=True)
        self.address = self.dbus.stdout.readline().strip()
        check(self.address.startswith("unix:"), "nobody's session bus runs", self.address)
        env = {"PATH": "/usr/bin:/bin", "HOME": self.logdir, "DBUS_SESSION_BUS_ADDRESS": self.address}
        self.notifyd = subprocess.Popen(as_nobody + ["/usr/bin/python3", os.path.join(HERE, "notifyd.py"),
                                                     self.log], env=env, stdout=subprocess.PIPE, text=True)
        eq(self.notifyd.stdout.readline().strip(), "ready", "the notification server owns its name")

    def env(self, **extra):
        e = {"CERTLINK_NOTIFY_HELPER": HELPER, "CERTLINK_RUN_USER_DIR": self.run_user, "CERTLINK_UTMP": self.utmp}
        e.update(extra)
        return e

    def notifications(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(line) for line in read(self.log).splitlines() if line.strip()]

    def close(self):
        for p in (self.notifyd, self.dbus):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(30)


fx = Fixture(auto_approve=True)
srv = fx.server
desk = Desktop()


def root_home(name):
    home = fx.home(name)
    home.env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # a startup script has no session bus of its own
    return home


def result(home):
    """The computer store's result file (these runs install into the computer store)."""
    return json.loads(read(os.path.join(home.system, "result.json")))


def log_lines(home, store="computer"):
    path = os.path.join(home.system, "certlink.log") if store == "computer" else \
        os.path.join(home.state, "certlink", "certlink.log")
    return read(path) if os.path.exists(path) else ""


def test_root_run_tells_the_desktop_user():
    srv.user_add("ann", "ann pw")
    home = root_home("ann")
    before = len(desk.notifications())
    r = home.run("enroll", "--link", srv.invite("ann", store="computer"), env=desk.env())
    expect_exit(r, 0, "enroll as root into the computer store")
    serial = result(home)["serial"]
    got = desk.notifications()[before:]
    eq(len(got), 1, "one notification", str(got))
    n = got[0]
    eq(n["uid"], NOBODY, "sent by nobody, on nobody's bus, never by root")
    eq((n["app"], n["summary"]), ("certlink", "Certificate installed"), "who and what")
    check(serial in n["body"] and "computer store" in n["body"], "the body names the certificate and the store",
          n["body"])
    eq(n["actions"], [], "no action: nothing waits for a click")
    check("result notified to nobody (uid 65534)" in log_lines(home), "the activity log says who was told",
          log_lines(home))
    # not due: nothing happened, nothing to tell
    r = home.run("enroll", "--link", srv.invite("ann", store="computer"), env=desk.env())
    expect_exit(r, 110, "the same command again is not due")
    eq(len(desk.notifications()), before + 1, "a run that did nothing sends nothing")


def test_no_notify_and_setting():
    srv.user_add("ben", "ben pw")
    home = root_home("ben")
    before = len(desk.notifications())
    r = home.run("enroll", "--link", srv.invite("ben", store="computer"), "--no-notify", env=desk.env())
    expect_exit(r, 0, "enroll --no-notify")
    eq(len(desk.notifications()), before, "--no-notify sends nothing")
    os.makedirs(os.path.join(home.config, "certlink"), exist_ok=True)
    with open(os.path.join(home.config, "certlink", "settings.json"), "w") as f:
        json.dump({"notify_result": False}, f)
    r = home.run("enroll", "--link", srv.invite("ben", store="computer"), "--force-new", env=desk.env())
    expect_exit(r, 0, "enroll with notify_result off")
    eq(len(desk.notifications()), before, "the setting off sends nothing")


def test_failure_and_pending():
    srv.user_add("cid", "cid pw")
    home = root_home("cid")
    link = srv.invite("cid", store="computer")
    expect_exit(home.run("enroll", "--link", link, "--no-notify", env=desk.env()), 0, "the invitation is used")
    before = len(desk.notifications())
    r = home.run("enroll", "--link", link, "--force-new", env=desk.env())
    expect_exit(r, 300, "the used invitation again")
    got = desk.notifications()[before:]
    eq(len(got), 1, "a failure is told", str(got))
    eq(got[0]["summary"], "No certificate was installed", "what the failure says")
    check(got[0]["body"] == result(home)["message"], "with the run's message", got[0]["body"])
    srv.config(auto_approve=False)
    try:
        srv.user_add("dee", "dee pw")
        home = root_home("dee")
        r = home.run("enroll", "--link", srv.invite("dee", store="computer"), "--approval-timeout", "1",
                     env=desk.env())
        expect_exit(r, 300, "not approved in time")
        got = desk.notifications()[before + 1:]
        eq(len(got), 1, "waiting for approval is told", str(got))
        eq(got[0]["summary"], "Certificate application waiting for approval", "what it says")
    finally:
        srv.config(auto_approve=True)


def test_nobody_at_the_computer():
    srv.user_add("eve", "eve pw")
    home = root_home("eve")
    empty = os.path.join(desk.dir, "empty-run-user")
    os.makedirs(empty, exist_ok=True)
    before = len(desk.notifications())
    r = home.run("enroll", "--link", srv.invite("eve", store="computer"),
                 env=desk.env(CERTLINK_RUN_USER_DIR=empty))
    expect_exit(r, 0, "enroll with nobody logged in")
    eq(len(desk.notifications()), before, "nothing sent")
    check("nobody is logged in at a desktop" in log_lines(home), "the activity log says why", log_lines(home))


def test_person_runs_it():
    """A login script: nobody runs certlink itself, and is told on its own session bus."""
    srv.user_add("nobody", "nobody pw")
    home = fx.home("self")
    home.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", home.dir], check=True)
    os.chmod(home.dir, 0o755)
    before = len(desk.notifications())
    env = dict(home.env, **desk.env())
    argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", CERTLINK, "enroll", "--link",
            srv.invite("nobody", store="user")]
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    expect_exit(r, 0, "nobody enrolls from its login script")
    got = desk.notifications()[before:]
    eq(len(got), 1, "one notification", str(got))
    eq(got[0]["uid"], NOBODY, "sent by nobody")
    check("user store" in got[0]["body"], "about the user store", got[0]["body"])
    # its own DBUS_SESSION_BUS_ADDRESS is used when it has one
    env["DBUS_SESSION_BUS_ADDRESS"] = desk.address
    env["CERTLINK_RUN_USER_DIR"] = os.path.join(desk.dir, "empty-run-user")
    r = subprocess.run(argv[:-1] + [srv.invite("nobody", store="user"), "--force-new"], env=env,
                       capture_output=True, text=True, timeout=300)
    expect_exit(r, 0, "again, with its own bus address")
    eq(len(desk.notifications()), before + 2, "told on the bus it named")


def test_person_turned_results_off():
    """The person's own settings (certlink-manager's "Notify the result of enrollments run by scripts")
    decide whether a root script's result reaches them: certlink-notify --result, run as that person as the
    command line runs it, reads them and sends nothing when they are off."""
    person = tmpdir("person-")
    os.makedirs(os.path.join(person, ".config", "certlink"))
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", person], check=True)
    os.chmod(person, 0o755)
    settings = os.path.join(person, ".config", "certlink", "settings.json")
    env = {"HOME": person, "PATH": "/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS": desk.address,
           "CERTLINK_ETC_DIR": os.path.join(person, "no-etc")}
    for var in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "CERTLINK_LOCALEDIR"):
        if var in os.environ:
            env[var] = os.environ[var]
    argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", HELPER, "--app-name", "certlink",
            "--info", "--result", "--", "result", "Certificate installed", "body"]
    for value, out, sent in ((False, "off result\n", 0), (True, "sent result\n", 1)):
        with open(settings, "w") as f:
            json.dump({"notify_result": value}, f)
        os.chown(settings, NOBODY, NOBODY)
        before = len(desk.notifications())
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        eq((r.returncode, r.stdout), (0, out), "notify_result %s: certlink-notify says" % value, r.stderr)
        eq(len(desk.notifications()) - before, sent, "notifications sent with notify_result %s" % value)
    r = subprocess.run(argv[:5] + ["--result"] + argv[8:], env=env, capture_output=True, text=True, timeout=60)
    eq(r.returncode, 2, "--result without --info is a usage error")


try:
    main([test_root_run_tells_the_desktop_user, test_no_notify_and_setting, test_failure_and_pending,
          test_nobody_at_the_computer, test_person_runs_it, test_person_turned_results_off])
finally:
    desk.close()
    fx.close()
