"""Shared helpers for certlink's integration and GUI tests (stdlib + the server harness).

- a private HOME with XDG directories, as a new account would have;
- the reference server (tests/server/harness.py) with a user, settings and passwordless invitations;
- `certlink enroll --link` to create an installed certificate or a pending application;
- records and settings files read and edited as a person's files would be;
- a Japanese locale generated without root (localedef into the build tree, LOCPATH);
- the stand-in notification server (notifyd.py) on the test's private session bus.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import harness  # noqa: E402

CERTLINK = os.environ.get("CERTLINK_CLI", "certlink")
TMP_ROOT = os.environ.get("CERTLINK_TEST_TMP") or None
PYTHON = "/usr/bin/python3"  # the Debian interpreter, which has python3-gi and dogtail


class Failure(Exception):
    pass


def log(msg):
    print(f"[test] {msg}", flush=True)


def check(cond, what):
    if not cond:
        raise Failure(what)
    log(f"ok: {what}")


def wait_for(what, fn, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = fn()
        except Exception:
            got = None
        if got:
            return got
        time.sleep(interval)
    raise Failure(f"timed out waiting for {what}")


def run_main(fn):
    """Run a test body; print the summary line ctest readers look for; exit 1 on failure."""
    try:
        fn()
    except Failure as e:
        log(f"FAIL: {e}")
        print("0 passed, 1 failed")
        sys.exit(1)
    except BaseException:
        traceback.print_exc()
        sys.stdout.flush()
        print("0 passed, 1 failed")
        sys.exit(1)
    print("1 passed, 0 failed")
    sys.exit(0)


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


class Account:
    """A person's home: HOME, XDG directories and the computer store redirected into a temp dir. HOME may be
    given instead (the user guide's pictures show /home/NAME): it must not exist yet, and cleanup removes it."""

    def __init__(self, name="account", home=None):
        self.root = tempfile.mkdtemp(prefix=f"certlink-{name}-", dir=TMP_ROOT)
        self.own_home = home
        self.home = home or os.path.join(self.root, "home")
        os.makedirs(self.home)
        self.env = dict(os.environ)
        self.env.update({
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.home, ".local/share"),
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local/state"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "CERTLINK_SYSTEM_DIR": os.path.join(self.root, "system"),
            "CERTLINK_APID_FILE": os.path.join(self.root, "apid"),
        })
        for var in ("CERTLINK_PASSWORD",):
            self.env.pop(var, None)
        # the computer store's system trust goes to stand-ins: p11-kit's `trust` refuses (as on Debian),
        # update-ca-certificates logs, the ca-certificates directory is inside this account
        bindir = os.path.join(self.root, "bin")
        os.makedirs(bindir)
        for name, text in (("trust", "#!/bin/sh\necho \"$@\" >> %s/trust.log\nexit 1\n" % bindir),
                           ("update-ca-certificates", "#!/bin/sh\necho run >> %s/update.log\n" % bindir)):
            with open(os.path.join(bindir, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(bindir, name), 0o755)
        # a zero-touch run tells the desktop its result: never a real desktop from a test (docs/cli.md)
        self.env.update({
            "CERTLINK_RUN_USER_DIR": os.path.join(self.root, "no-run-user"),
            "CERTLINK_UTMP": os.path.join(self.root, "no-utmp"),
        })
        self.env.update({
            "CERTLINK_TRUST": os.path.join(bindir, "trust"),
            "CERTLINK_UPDATE_CA_CERTIFICATES": os.path.join(bindir, "update-ca-certificates"),
            "CERTLINK_CA_CERTIFICATES_DIR": os.path.join(self.root, "ca-certificates"),
        })

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def data(self, *parts):
        return os.path.join(self.env["XDG_DATA_HOME"], "certlink", *parts)

    def cert_dir(self, serial, store="user"):
        base = self.env["CERTLINK_SYSTEM_DIR"] if store == "computer" else self.data()
        return find_cert_dir(base, serial)

    def records_file(self, store="user"):
        if store == "computer":
            return os.path.join(self.env["CERTLINK_SYSTEM_DIR"], "records.json")
        return self.data("records.json")

    def records(self, store="user"):
        try:
            with open(self.records_file(store)) as f:
                return json.load(f)
        except FileNotFoundError:
            return {"applications": [], "certificates": []}

    def edit_records(self, fn, store="user"):
        doc = self.records(store)
        fn(doc)
        path = self.records_file(store)
        tmp = path + ".test-tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, path)

    def certificate(self, serial, store="user"):
        return next((c for c in self.records(store)["certificates"] if c["serial"] == serial), None)

    def settings_file(self):
        return os.path.join(self.env["XDG_CONFIG_HOME"], "certlink", "settings.json")

    def settings(self):
        try:
            with open(self.settings_file()) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def write_settings(self, **values):
        os.makedirs(os.path.dirname(self.settings_file()), exist_ok=True)
        doc = self.settings()
        doc.update(values)
        with open(self.settings_file(), "w") as f:
            json.dump(doc, f)

    def run(self, args, env_extra=None, check=False, timeout=300, input=None):
        env = dict(self.env)
        env.update(env_extra or {})
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise Failure(f"{' '.join(args[:2])} exited {r.returncode}: {r.stderr[-2000:]}")
        return r

    def certlink(self, *args, **kw):
        return self.run([CERTLINK] + list(args), **kw)

    def cleanup(self):
        if not os.environ.get("CERTLINK_KEEP_TMP"):
            shutil.rmtree(self.root, ignore_errors=True)
            if self.own_home:
                shutil.rmtree(self.own_home, ignore_errors=True)


class RefServer:
    """certlink-server with user alice (a password) and helpers for invitations."""

    def __init__(self, cert_days=None, auto_approve=True, password="alice pw 1"):
        self.srv = harness.Server(scep_http=False)
        log("starting certlink-server (a new CA takes a few seconds)")
        self.srv.start()
        self.password = password
        self.srv.cli("user-add", "alice", "--password-stdin", input=password + "\n")
        self.srv.config("auto_approve", "true" if auto_approve else "false")
        if cert_days:
            self.srv.config("cert_days", cert_days)

    def config(self, key, value):
        self.srv.config(key, value)

    def invite(self, store="user", passwordless=True, user="alice"):
        args = ["invite", "--user", user, "--store", store]
        if passwordless:
            args.append("--passwordless")
        out = self.srv.cli(*args).stdout
        return next(line for line in out.splitlines() if line.startswith("certlink://"))

    def approve(self, server_id):
        self.srv.cli("approve", server_id)

    def app_list(self):
        return self.srv.cli("app-list").stdout

    def cert_list(self):
        return self.srv.cli("cert-list").stdout

    def stop(self):
        self.srv.cleanup()


def enroll(account, server, store="user", pending=False, extra=()):
    """An installed certificate (or, with pending, an application waiting for approval). Returns the
    serial or the local application id."""
    if pending:
        server.config("auto_approve", "false")
    link = server.invite(store=store)
    args = ["enroll", "--link", link, "--force-new", "--no-notify"] + list(extra)
    if pending:
        args += ["--approval-timeout", "1"]
    r = account.certlink(*args)
    if pending:
        server.config("auto_approve", "true")
        check(r.returncode == 300 % 256, f"enroll left a pending application (exit {r.returncode})")
        apps = [a for a in account.records(store)["applications"] if a["state"] == "pending"]
        return apps[-1]["id"]
    if r.returncode != 0:
        raise Failure(f"certlink enroll failed ({r.returncode}): {r.stderr[-2000:]}")
    certs = account.records(store)["certificates"]
    return max(certs, key=lambda c: c["not_before"])["serial"]


def japanese_locale(build_dir):
    """LOCPATH and LANG for ja_JP.UTF-8, generated once into the build tree (no root, no system change)."""
    locpath = os.path.join(build_dir, "test-locales")
    target = os.path.join(locpath, "ja_JP.UTF-8")
    if not os.path.exists(os.path.join(target, "LC_MESSAGES")):
        os.makedirs(locpath, exist_ok=True)
        r = subprocess.run(["localedef", "-i", "ja_JP", "-f", "UTF-8", target], capture_output=True, text=True)
        if not os.path.exists(os.path.join(target, "LC_MESSAGES")):
            raise Failure(f"localedef could not make ja_JP.UTF-8 (is `locales` installed?): {r.stderr}")
    return {"LOCPATH": locpath, "LANG": "ja_JP.UTF-8", "LC_ALL": "ja_JP.UTF-8", "LANGUAGE": ""}


class Notifyd:
    """tests/integration/notifyd.py on the session bus this test runs in."""

    def __init__(self, workdir):
        self.log = os.path.join(workdir, "notifications.jsonl")
        self.click_file = os.path.join(workdir, "click")
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, "notifyd.py"), self.log, "--click-file",
                                      self.click_file], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            raise Failure("the notification server did not start")

    def received(self):
        try:
            with open(self.log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def click(self, nid, action="default"):
        with open(self.click_file + ".tmp", "w") as f:
            f.write(f"{nid} {action}")
        os.replace(self.click_file + ".tmp", self.click_file)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
