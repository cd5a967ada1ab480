"""`certlink diagnostics` leaves every secret out: seeds known secrets where a careless archive would pick
them up (a private key file, an application secret, a SCEP challenge, an invitation token file, a password
in an environment variable, a password typed into a log line and into the settings file), writes the
archive, extracts it and searches every extracted byte for each of them. Also checks the archive has what
support needs: versions, device, settings, records with the certificate, the log and the result file.
"""
import json
import os
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from certlinktest import Account, RefServer, check, enroll, log, run_main  # noqa: E402


def read(path):
    with open(path, "rb") as f:
        return f.read()


def body():
    acct = Account("diag")
    server = RefServer()
    try:
        serial = enroll(acct, server)
        app_id = enroll(acct, server, pending=True)
        pending = acct.data("pending")
        # the secrets certlink really holds: the private key, the pending application's bearer secret
        key_pem = read(os.path.join(acct.cert_dir(serial), "key.pem")).decode()
        key_lines = [l for l in key_pem.splitlines() if l and not l.startswith("-----")]
        app_secret = read(os.path.join(pending, f"{app_id}.secret")).decode().strip()
        p12_password = read(os.path.join(acct.cert_dir(serial), "bundle.p12.password")).decode().strip()
        # seeded: a challenge and a token as the core names them, a password in the environment, and
        # passwords that slipped into a hand-edited settings file and a log line
        seeds = {
            "challenge": "Chal-7Qm2Xv9LpR4tZw",
            "token": "Tok-b8Nf3Kd1Hs6Yq0",
            "env": "EnvPw-3vB7nQ2mX9",
            "settings": "SetPw-k2J8dL5sQ1",
            "log": "LogPw-Z4r8T1wE6y",
        }
        with open(os.path.join(pending, f"{app_id}.challenge"), "w") as f:
            f.write(seeds["challenge"])
        with open(os.path.join(pending, f"{app_id}.token"), "w") as f:
            f.write(seeds["token"] + "\n")
        acct.write_settings(notify_days=21, proxy_password=seeds["settings"])
        logdir = os.path.join(acct.env["XDG_STATE_HOME"], "certlink")
        os.makedirs(logdir, exist_ok=True)
        with open(os.path.join(logdir, "certlink.log"), "a") as f:
            f.write(f"2026-11-25T10:00:00Z certlink[1]: retried with password: {seeds['log']}\n")
        secrets = {"private key line %d" % i: l for i, l in enumerate(key_lines)}
        secrets.update({"application secret": app_secret, "PKCS#12 password": p12_password})
        secrets.update({f"seeded {k}": v for k, v in seeds.items()})

        out = acct.path("diag.tar.gz")
        r = acct.certlink("diagnostics", "--output", out, env_extra={"CERTLINK_PASSWORD": seeds["env"],
                                                                     "MY_API_TOKEN": seeds["token"]})
        check(r.returncode == 0, f"certlink diagnostics exit 0 ({r.stderr.strip()})")
        check(tarfile.is_tarfile(out), "it wrote a tar archive")
        dest = acct.path("extracted")
        with tarfile.open(out, "r:gz") as t:
            names = t.getnames()
        os.makedirs(dest)
        subprocess.run(["tar", "-xzf", out, "-C", dest], check=True)
        log("archive: " + ", ".join(sorted(names)))
        blob = b""
        for root, _, files in os.walk(dest):
            for name in files:
                blob += read(os.path.join(root, name)) + b"\n"
        # also the raw compressed stream's content, in case something was stored outside the tree
        blob += subprocess.run(["gzip", "-dc", out], capture_output=True).stdout
        for what, value in secrets.items():
            check(value.encode() not in blob, f"{what} is not in the archive")
        check(b"PRIVATE KEY" not in blob, "no PEM private key block")
        top = os.path.join(dest, "certlink-diagnostics")
        for name in ("versions.txt", "device.txt", "settings.json", "records-user.json", "files-user.txt",
                     "log-user.txt", "result-user.json", "environment.txt"):
            check(os.path.exists(os.path.join(top, name)), f"{name} is in the archive")
        check(serial.encode() in read(os.path.join(top, "records-user.json")), "records name the certificate")
        check(app_id.encode() in read(os.path.join(top, "records-user.json")), "and the pending application")
        settings = json.loads(read(os.path.join(top, "settings.json")))
        check(settings.get("notify_days") == 21, "settings are there")
        check(settings.get("proxy_password") == "[removed]", "a secret-looking setting is marked removed")
        check(b"certlink: 0.1.0" in read(os.path.join(top, "versions.txt")), "versions are there")
        check(f"pending/{app_id}.secret".encode() in read(os.path.join(top, "files-user.txt")),
              "the listing names secret files without their content")
        check(b"CERTLINK_PASSWORD" not in read(os.path.join(top, "environment.txt")),
              "the password variable is not listed")
    finally:
        server.stop()
        acct.cleanup()


if __name__ == "__main__":
    run_main(body)
