#!/usr/bin/python3
"""certlink-install-helper: refuses every staging directory that is not exactly what the core prepares, and
installs and records one that is into the (redirected) computer store (label integration; needs root, as
pkexec gives). The layout is core/enroll-stage.c's: key.pem (0600), cert.pem, chain.pem, trust.pem,
meta.json.

usage: install_helper.py HELPER

Runs the helper directly as root with CERTLINK_SYSTEM_DIR pointing into a temporary directory, so nothing
reaches the real /var/lib/certlink. Cases that set PKEXEC_UID make the helper clear its environment and use
the real computer store path, so they run in a private mount namespace with a tmpfs over /var/lib: even a
helper that wrongly accepted them could not write the real store. Without unshare they are skipped.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_material(work):
    """A CA, a leaf key and certificate signed by it, another key, and an encrypted key."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            f"{work}/ca.key", "-out", f"{work}/ca.pem", "-subj", "/CN=Helper Test CA", "-days", "2")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{work}/key.pem",
            "-out", f"{work}/leaf.csr", "-subj", "/CN=helper-test")
    with open(f"{work}/ext", "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n")
    openssl("x509", "-req", "-in", f"{work}/leaf.csr", "-CA", f"{work}/ca.pem", "-CAkey", f"{work}/ca.key",
            "-out", f"{work}/cert.pem", "-days", "2", "-extfile", f"{work}/ext")
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{work}/other.pem")
    openssl("pkey", "-in", f"{work}/key.pem", "-aes256", "-passout", "pass:x", "-out", f"{work}/enc.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            f"{work}/other-ca.key", "-out", f"{work}/other-ca.pem", "-subj", "/CN=Other CA", "-days", "2")


META = json.dumps({"host": "eps.example.com", "port": 443, "user": "helper-test", "server_id": "",
                   "service_name": "Example", "ca_sha256": "", "renewal_of": ""})


def stage(work, name, key="key.pem", cert="cert.pem", chain=True, dir_mode=0o700, key_mode=0o600):
    d = os.path.join(work, "stage-" + name)
    os.mkdir(d)
    with open(os.path.join(d, "meta.json"), "w") as f:
        f.write(META)
    open(os.path.join(d, "trust.pem"), "w").close()  # no trust anchors: an empty file, as the flow writes
    shutil.copy(os.path.join(work, key), os.path.join(d, "key.pem"))
    os.chmod(os.path.join(d, "key.pem"), key_mode)
    shutil.copy(os.path.join(work, cert), os.path.join(d, "cert.pem"))
    os.chmod(os.path.join(d, "cert.pem"), 0o644)
    if chain:
        shutil.copy(os.path.join(work, "ca.pem"), os.path.join(d, "chain.pem"))
        os.chmod(os.path.join(d, "chain.pem"), 0o644)
    os.chmod(d, dir_mode)
    return d


def main():
    helper = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: the helper runs as root (pkexec); run this test as root")
        return SKIP
    work = tempfile.mkdtemp(prefix="certlink-helper-")
    os.chmod(work, 0o755)
    system = os.path.join(work, "system")
    make_material(work)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CERTLINK_SYSTEM_DIR": system,
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""), "LANG": "C.UTF-8"}
    cases = []

    def refused(name, path, words, extra_env=None, argv=None):
        cases.append((name, argv if argv is not None else [path], words, extra_env or {}))

    good = stage(work, "good")
    refused("relative path", None, "absolute", argv=["stage-good"])
    refused("no argument", None, "usage", argv=[])
    refused("two arguments", None, "usage", argv=[good, good])
    refused("dot-dot path", good + "/../stage-good", "plain path")
    refused("missing directory", os.path.join(work, "nope"), "staging directory")
    link = os.path.join(work, "link-to-good")
    os.symlink(good, link)
    refused("directory is a symbolic link", link, "symbolic link")
    refused("directory mode 0755", stage(work, "mode755", dir_mode=0o755), "0700")
    d = stage(work, "otherowner")
    os.chown(d, 65534, 65534)
    refused("directory owned by someone else", d, "caller's own")
    refused("pkexec caller is not the owner", good, "caller's own", {"PKEXEC_UID": "65534"})
    refused("PKEXEC_UID not a number", good, "PKEXEC_UID", {"PKEXEC_UID": "0x0"})
    d = stage(work, "extra")
    open(os.path.join(d, "evil.sh"), "w").close()
    refused("unexpected entry", d, "unexpected entry")
    refused("key readable by others", stage(work, "keymode", key_mode=0o644), "0600")
    d = stage(work, "keylink")
    os.unlink(os.path.join(d, "key.pem"))
    os.symlink(os.path.join(work, "key.pem"), os.path.join(d, "key.pem"))
    refused("key is a symbolic link", d, "symbolic link")
    d = stage(work, "certlink")
    os.unlink(os.path.join(d, "cert.pem"))
    os.symlink("/etc/passwd", os.path.join(d, "cert.pem"))
    refused("certificate is a symbolic link to /etc/passwd", d, "symbolic link")
    d = stage(work, "hardlink")
    os.unlink(os.path.join(d, "cert.pem"))
    os.link(os.path.join(work, "cert.pem"), os.path.join(d, "cert.pem"))
    refused("certificate with a second hard link", d, "one link")
    d = stage(work, "fifo")
    os.unlink(os.path.join(d, "cert.pem"))
    os.mkfifo(os.path.join(d, "cert.pem"))
    refused("certificate is a FIFO", d, "regular file")
    d = stage(work, "big")
    with open(os.path.join(d, "cert.pem"), "w") as f:
        f.write("A" * (256 * 1024 + 1))
    refused("certificate over 256 KiB", d, "octets")
    refused("key does not match", stage(work, "mismatch", key="other.pem"), "does not match")
    refused("encrypted key (never prompted for)", stage(work, "enc", key="enc.pem"), "encrypted")
    refused("CA certificate as the leaf", stage(work, "ca", cert="ca.pem", key="ca.key"), "CA certificate")
    refused("not a certificate", stage(work, "garbage", cert="ext"), "not a certificate")
    d = stage(work, "badmeta")
    with open(os.path.join(d, "meta.json"), "w") as f:
        f.write('{"host": "x", "port": 0}')
    refused("meta.json with a bad port", d, "port")
    d = stage(work, "nometa")
    os.unlink(os.path.join(d, "meta.json"))
    refused("meta.json missing", d, "meta.json")
    d = stage(work, "wrongchain")
    shutil.copy(os.path.join(work, "other-ca.pem"), os.path.join(d, "chain.pem"))
    refused("chain that did not issue the certificate", d, "issued")
    d = stage(work, "nokey")
    os.unlink(os.path.join(d, "key.pem"))
    refused("key missing", d, "key.pem")

    sandbox = ["unshare", "--mount", "sh", "-c",
               'mount -t tmpfs tmpfs /var/lib && for d in /etc/ssl /etc/ca-certificates '
               '/usr/local/share/ca-certificates; do [ -d "$d" ] && mount -t tmpfs tmpfs "$d"; done; '
               'exec "$0" "$@"']
    can_sandbox = subprocess.run(sandbox + ["true"], capture_output=True).returncode == 0
    real_store_before = os.path.exists("/var/lib/certlink")
    passed = failed = 0
    for name, argv, words, extra in cases:
        run = [helper] + argv
        if "PKEXEC_UID" in extra:
            if not can_sandbox:
                print(f"skip {name}: no private mount namespace to run it safely in")
                continue
            run = sandbox + run
        proc = subprocess.run(run, env=dict(env, **extra), capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        installed = os.path.exists(system) and any(files for _, _, files in os.walk(system))
        if not real_store_before and os.path.exists("/var/lib/certlink"):
            installed = True
        problems = []
        if proc.returncode != 100:
            problems.append(f"exit {proc.returncode}, want 100")
        if words.lower() not in proc.stderr.lower():
            problems.append(f"message does not say {words!r}")
        if installed:
            problems.append("something was installed")
        if problems:
            failed += 1
            print(f"FAIL {name}: {'; '.join(problems)}: {proc.stderr.strip()}")
        else:
            passed += 1
            print(f"ok   {name}: {proc.stderr.strip()}")

    proc = subprocess.run([helper, good], env=env, capture_output=True, text=True, timeout=120)
    certs = [os.path.join(d, f) for d, _, fs in os.walk(system) for f in fs if f == "cert.pem"]
    records = [os.path.join(d, f) for d, _, fs in os.walk(system) for f in fs if f.endswith(".json")]
    ok = proc.returncode == 0 and len(certs) == 1 and "installed" in proc.stdout and records
    if ok:
        same = subprocess.run(["cmp", certs[0], os.path.join(work, "cert.pem")]).returncode == 0
        key = [os.path.join(d, f) for d, _, fs in os.walk(system) for f in fs if f == "key.pem"]
        mode = os.stat(key[0]).st_mode & 0o777 if key else None
        ok = same and mode == 0o600
    if ok:
        passed += 1
        print(f"ok   a prepared directory is installed and recorded in the computer store: {certs[0]}, "
              f"{records}")
    else:
        failed += 1
        print(f"FAIL install: exit {proc.returncode}, stdout {proc.stdout.strip()!r}, stderr "
              f"{proc.stderr.strip()!r}, certs {certs}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
