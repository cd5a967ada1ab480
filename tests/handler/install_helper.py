#!/usr/bin/python3
"""certlink-install-helper: refuses every staging directory that is not exactly what the core prepares, and
installs and records one that is into the (redirected) computer store (label integration; needs root, as
pkexec gives). The layout is core/enroll-stage.c's: key.pem (0600), cert.pem, chain.pem, trust.pem,
meta.json.

Networks (issue 12): `--network DIR` refuses a staged network.json that an activation would not pass (no
server name check, a RADIUS CA the staged profile does not deliver, not JSON) and a certificate that is not
installed; the network label's test applies a good one through NetworkManager.

Trust anchors (issue 9): `--install` never makes one, whatever trust.pem holds; `--trust-anchor SHA256
SUBJECT DIR` makes exactly one, and only a staged CA that issues the certificate, that meta.json records a
consent for, whose subject is the one on the command line, for a certificate already installed. A staging
directory with an unrelated CA, or a CA nobody agreed to, installs no anchor: checked with the store
redirected, and under PKEXEC_UID (real paths) inside a private mount namespace whose listing of the system
trust directories and /var/lib/certlink is taken in the same namespace.

Renewals: `--sign-request SHA256 SUBJECT DIR` builds the request from DIR's request.json (0600, alone in the
directory) and signs it with the key of the recorded computer-store certificate SHA256, only when SUBJECT is
the request's; it refuses an unknown certificate, another subject, a request.json others can read, names
core/csr.c would refuse, and writes nothing. An install that replaces a certificate (meta.json
"renewal_of_fingerprint") is refused for another user's certificate, for a certificate another CA issued,
and, keeping the key (no key.pem, "reuse_key"), for a certificate another CA made for the computer's key;
and for a certificate older than the one it would replace; a genuine renewal replaces the old certificate, with a
new key and keeping it.

usage: install_helper.py HELPER

Runs the helper directly as root with CERTLINK_SYSTEM_DIR pointing into a temporary directory, so nothing
reaches the real /var/lib/certlink. Cases that set PKEXEC_UID make the helper clear its environment and use
the real computer store path, so they run in a private mount namespace with a tmpfs over /var/lib: even a
helper that wrongly accepted them could not write the real store. Without unshare they are skipped.
"""
import hashlib
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


META = {"host": "eps.example.com", "port": 443, "user": "helper-test", "server_id": "",
        "service_name": "Example", "ca_sha256": "", "renewal_of": ""}


def sha256_hex(pem_path):
    der = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def meta_with(consents=()):
    """meta.json with "trust_anchors": [(sha256, consent), ...]."""
    m = dict(META)
    if consents:
        m["trust_anchors"] = [{"sha256": fp, "consent": c} for fp, c in consents]
    return json.dumps(m)


def network_json(work, networks, ca="ca.pem"):
    """network.json as the flow stages it: the profile's CAs and networks (docs/network.md)."""
    with open(os.path.join(work, ca)) as f:
        return json.dumps({"trust": [{"pem": f.read()}], "networks": networks})


def stage(work, name, key="key.pem", cert="cert.pem", chain=True, dir_mode=0o700, key_mode=0o600,
          trust=(), consents=(), network=None):
    d = os.path.join(work, "stage-" + name)
    os.mkdir(d)
    if network is not None:
        with open(os.path.join(d, "network.json"), "w") as f:
            f.write(network)
    with open(os.path.join(d, "meta.json"), "w") as f:
        f.write(meta_with(consents))
    with open(os.path.join(d, "trust.pem"), "w") as f:  # no trust anchors: an empty file, as the flow writes
        for t in trust:
            with open(os.path.join(work, t)) as src:
                f.write(src.read())
    shutil.copy(os.path.join(work, key), os.path.join(d, "key.pem"))
    os.chmod(os.path.join(d, "key.pem"), key_mode)
    shutil.copy(os.path.join(work, cert), os.path.join(d, "cert.pem"))
    os.chmod(os.path.join(d, "cert.pem"), 0o644)
    if chain:
        shutil.copy(os.path.join(work, "ca.pem"), os.path.join(d, "chain.pem"))
        os.chmod(os.path.join(d, "chain.pem"), 0o644)
    os.chmod(d, dir_mode)
    return d


def issue_leaf(work, name, key, ca="ca"):
    """A certificate NAME.pem for KEY (a file in WORK), issued by CA (ca or other-ca), subject CN=helper-test."""
    openssl("req", "-new", "-key", f"{work}/{key}", "-out", f"{work}/{name}.csr", "-subj", "/CN=helper-test")
    openssl("x509", "-req", "-in", f"{work}/{name}.csr", "-CA", f"{work}/{ca}.pem", "-CAkey", f"{work}/{ca}.key",
            "-CAcreateserial", "-out", f"{work}/{name}.pem", "-days", "2", "-extfile", f"{work}/ext")


def issue_backdated(work, name, key):
    """A certificate for KEY from the test CA whose notBefore lies in 2020: older than any the test installs."""
    ca = os.path.join(work, "ca-backdated")
    os.makedirs(os.path.join(ca, "new"))
    open(os.path.join(ca, "index.txt"), "w").close()
    with open(os.path.join(ca, "serial"), "w") as f:
        f.write("5eed\n")
    with open(os.path.join(ca, "cnf"), "w") as f:
        f.write(f"[ca]\ndefault_ca = d\n[d]\ndatabase = {ca}/index.txt\nnew_certs_dir = {ca}/new\n"
                f"serial = {ca}/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n")
    openssl("req", "-new", "-key", f"{work}/{key}", "-out", f"{work}/{name}.csr", "-subj", "/CN=helper-test")
    openssl("ca", "-batch", "-config", f"{ca}/cnf", "-cert", f"{work}/ca.pem", "-keyfile", f"{work}/ca.key",
            "-in", f"{work}/{name}.csr", "-out", f"{work}/{name}.pem", "-startdate", "200101000000Z",
            "-enddate", "300101000000Z", "-extfile", f"{work}/ext", "-notext")


def stage_renewal(work, name, cert, key, renews, chain="ca.pem", reuse=False, user="helper-test"):
    """A staging directory for a renewal of the certificate with SHA-256 RENEWS: KEY None stages no key."""
    d = os.path.join(work, "stage-" + name)
    os.mkdir(d)
    m = dict(META, user=user, renewal_of="1", renewal_of_fingerprint=renews, reuse_key=reuse)
    for fname, text in (("meta.json", json.dumps(m)), ("trust.pem", "")):
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    shutil.copy(os.path.join(work, cert), os.path.join(d, "cert.pem"))
    shutil.copy(os.path.join(work, chain), os.path.join(d, "chain.pem"))
    if key:
        shutil.copy(os.path.join(work, key), os.path.join(d, "key.pem"))
        os.chmod(os.path.join(d, "key.pem"), 0o600)
    os.chmod(d, 0o700)
    return d


def stage_request(work, name, request, mode=0o600, extra=None):
    d = os.path.join(work, "stage-" + name)
    os.mkdir(d)
    path = os.path.join(d, "request.json")
    with open(path, "w") as f:
        f.write(request if isinstance(request, str) else json.dumps(request))
    os.chmod(path, mode)
    if extra:
        open(os.path.join(d, extra), "w").close()
    os.chmod(d, 0o700)
    return d


def colon(fp):
    return ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()


def renewal_cases(helper, work, env, system, good):
    """With GOOD installed in the redirected computer store: the request signature (--sign-request) and an
    install that replaces a certificate (a renewal) refuse what is not exactly that, and do it when it is."""
    passed = failed = 0

    def result(ok, what, detail=""):
        nonlocal passed, failed
        passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
        print(f"ok   {what}" if ok else f"FAIL {what}: {detail}")

    def run(argv):
        return subprocess.run([helper] + argv, env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    def snapshot():
        return sorted(os.path.relpath(os.path.join(d, f), system) for d, _, fs in os.walk(system) for f in fs
                      if f != "records.json.lock") + [open(os.path.join(system, "records.json")).read()]

    good_fp = sha256_hex(os.path.join(work, "cert.pem"))
    request = {"subject": [["CN", "helper-test"]], "san_dns": ["pc01.example.com"], "challenge": "c-1234"}

    # --sign-request: the request the helper builds from request.json, signed with the key of the named
    # computer-store certificate; anything else refused with nothing on standard output
    before = snapshot()
    for name, argv, words in (
            ("no certificate with that fingerprint", [colon(sha256_hex(os.path.join(work, "ca.pem"))),
                                                      "CN=helper-test", stage_request(work, "r-unknown", request)],
             "no certificate"),
            ("not a fingerprint", ["xyz", "CN=helper-test", stage_request(work, "r-notfp", request)],
             "not a SHA-256"),
            ("a subject that is not the request's", [colon(good_fp), "CN=Administrator",
                                                     stage_request(work, "r-subject", request)],
             "subject on the command line"),
            ("request.json readable by others", [colon(good_fp), "CN=helper-test",
                                                 stage_request(work, "r-mode", request, mode=0o644)], "0600"),
            ("another file beside request.json", [colon(good_fp), "CN=helper-test",
                                                  stage_request(work, "r-extra", request, extra="key.pem")],
             "unexpected entry"),
            ("request.json not JSON", [colon(good_fp), "CN=helper-test", stage_request(work, "r-json", "[1,")],
             "not a JSON object"),
            ("an RDN type core/csr.c does not know", [colon(good_fp), "CN=helper-test",
                                                       stage_request(work, "r-rdn", dict(request, subject=[
                                                           ["CN", "helper-test"], ["serialNumber", "1"]]))],
             "unknown type"),
            ("17 DNS names", [colon(good_fp), "CN=helper-test",
                              stage_request(work, "r-sans", dict(request, san_dns=[f"h{i}.example" for i in
                                                                                   range(17)]))], "at most"),
            ("request.json over 16 KiB", [colon(good_fp), "CN=helper-test",
                                          stage_request(work, "r-big", json.dumps(request) + " " * 16384)],
             "octets"),
            ("a relative directory", [colon(good_fp), "CN=helper-test", "stage-r-unknown"], "usage")):
        proc = run(["--sign-request"] + argv)
        result(proc.returncode == 100 and words.lower() in proc.stderr.lower() and proc.stdout == "",
               f"--sign-request refuses {name}", f"exit {proc.returncode}: {proc.stderr.strip()} {proc.stdout!r}")
    proc = run(["--sign-request", colon(good_fp), "CN=helper-test", stage_request(work, "r-good", request)])
    csr = os.path.join(work, "signed.csr")
    with open(csr, "w") as f:
        f.write(proc.stdout)
    verify = subprocess.run(["openssl", "req", "-in", csr, "-verify", "-noout", "-subject"], capture_output=True,
                            text=True)
    req_pub = subprocess.run(["openssl", "req", "-in", csr, "-pubkey", "-noout"], capture_output=True,
                             text=True).stdout
    cert_pub = subprocess.run(["openssl", "x509", "-in", os.path.join(work, "cert.pem"), "-pubkey", "-noout"],
                              capture_output=True, text=True).stdout
    text = subprocess.run(["openssl", "req", "-in", csr, "-noout", "-text"], capture_output=True, text=True).stdout
    result(proc.returncode == 0 and verify.returncode == 0 and req_pub == cert_pub and cert_pub and
           "CN=helper-test" in verify.stdout.replace(" = ", "=") and "DNS:pc01.example.com" in text and
           "c-1234" in text,
           "--sign-request signs the request it builds with the named certificate's key",
           f"exit {proc.returncode}: {proc.stderr.strip()} {verify.stderr.strip()}")
    result(snapshot() == before, "--sign-request writes nothing into the computer store")

    # an install that replaces a certificate: only a certificate of the same server and user, and only
    # with a certificate its own issuing CA signed; keeping the key only for such a renewal
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{work}/key2.pem")
    issue_leaf(work, "cert2", "key2.pem")
    issue_leaf(work, "cert2-other-ca", "key2.pem", ca="other-ca")
    issue_leaf(work, "cert-same-key-other-ca", "key.pem", ca="other-ca")
    issue_backdated(work, "cert2-older", "key2.pem")
    for name, d, words in (
            ("of another user", stage_renewal(work, "n-user", "cert2.pem", "key2.pem", good_fp, user="mallory"),
             "same server and user"),
            ("with an older certificate", stage_renewal(work, "n-older", "cert2-older.pem", "key2.pem", good_fp),
             "older than"),
            ("keeping the key of an installed certificate, recorded for another user",
             stage_renewal(work, "n-relabel", "cert.pem", None, sha256_hex(os.path.join(work, "ca.pem")),
                           reuse=True, user="mallory"), "another server or user"),
            ("issued by another CA", stage_renewal(work, "n-ca", "cert2-other-ca.pem", "key2.pem", good_fp,
                                                   chain="other-ca.pem"), "not issued by the CA"),
            ("keeping the key with a certificate another CA made for it",
             stage_renewal(work, "n-pair", "cert-same-key-other-ca.pem", None, good_fp, chain="other-ca.pem",
                           reuse=True), "not issued by the CA"),
            ("keeping a key without replacing a certificate", stage_renewal(work, "n-noren", "cert.pem", None, "",
                                                                             reuse=True), "only a renewal"),
            ("keeping a key, but a key.pem staged after all",
             stage_renewal(work, "n-both", "cert2.pem", "key.pem", good_fp, reuse=True), "does not match")):
        proc = run(["--install", d])
        result(proc.returncode == 100 and words in proc.stderr and snapshot() == before,
               f"an install replacing a certificate {name}: refused, nothing changed",
               f"exit {proc.returncode}: {proc.stderr.strip()}")
    recs = lambda: json.load(open(os.path.join(system, "records.json")))["certificates"]  # noqa: E731
    fp2 = sha256_hex(os.path.join(work, "cert2.pem"))
    proc = run(["--install", stage_renewal(work, "n-good", "cert2.pem", "key2.pem", good_fp)])
    result(proc.returncode == 0 and [c["fingerprint"] for c in recs()] == [fp2] and
           not os.path.exists(os.path.join(system, "certs", good_fp)) and "removed the replaced" in proc.stdout,
           "a renewal of the same server, user and CA replaces the certificate: installed, the old one removed",
           f"exit {proc.returncode}: {proc.stdout.strip()} {proc.stderr.strip()}")
    issue_leaf(work, "cert2b", "key2.pem")
    fp2b = sha256_hex(os.path.join(work, "cert2b.pem"))
    proc = run(["--install", stage_renewal(work, "n-reuse", "cert2b.pem", None, fp2, reuse=True)])
    key = os.path.join(system, "certs", fp2b, "key.pem")
    same_key = os.path.exists(key) and subprocess.run(
        ["openssl", "pkey", "-in", key, "-pubout"], capture_output=True, text=True).stdout == subprocess.run(
        ["openssl", "pkey", "-in", f"{work}/key2.pem", "-pubout"], capture_output=True, text=True).stdout
    result(proc.returncode == 0 and [c["fingerprint"] for c in recs()] == [fp2b] and same_key and
           os.stat(key).st_mode & 0o777 == 0o600 and not os.path.exists(os.path.join(system, "certs", fp2)),
           "a renewal that keeps its key takes the computer store's key; the old certificate is removed",
           f"exit {proc.returncode}: {proc.stdout.strip()} {proc.stderr.strip()}")
    return passed, failed


def main():
    helper = sys.argv[1]
    if os.geteuid() != 0:
        print("skipped: the helper runs as root (pkexec); run this test as root")
        return SKIP
    work = tempfile.mkdtemp(prefix="certlink-helper-")
    os.chmod(work, 0o755)
    system = os.path.join(work, "system")
    make_material(work)
    cacerts = os.path.join(work, "ca-certificates")
    os.mkdir(cacerts)
    # the redirected computer store's system trust: p11-kit "fails" so the CA would land in cacerts
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CERTLINK_SYSTEM_DIR": system,
           "CERTLINK_TRUST": "/bin/false", "CERTLINK_UPDATE_CA_CERTIFICATES": "/bin/true",
           "CERTLINK_CA_CERTIFICATES_DIR": cacerts,
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""), "LANG": "C.UTF-8"}
    cases = []

    def refused(name, path, words, extra_env=None, argv=None):
        cases.append((name, argv if argv is not None else ["--install", path], words, extra_env or {}))

    ca_fp, other_fp = sha256_hex(os.path.join(work, "ca.pem")), sha256_hex(os.path.join(work, "other-ca.pem"))
    good = stage(work, "good")
    refused("relative path", None, "absolute", argv=["--install", "stage-good"])
    refused("no argument", None, "usage", argv=[])
    refused("two arguments", None, "usage", argv=["--install", good, good])
    refused("the old form without --install", None, "usage", argv=[good])
    refused("--trust-anchor without a subject", None, "usage", argv=["--trust-anchor", ca_fp, good])
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
    # the anchor step: an unrelated CA (even with a "consent"), the issuing CA without consent, a subject
    # that is not the CA's, a fingerprint that is not staged
    unrelated = stage(work, "unrelated", trust=("other-ca.pem", "ca.pem"), consents=((other_fp, "person"),))
    refused("anchor: an unrelated CA the person agreed to", None, "does not issue",
            argv=["--trust-anchor", other_fp, "CN=Other CA", unrelated])
    refused("anchor: the issuing CA, no consent in meta.json", None, "nobody agreed",
            argv=["--trust-anchor", ca_fp, "CN=Helper Test CA", unrelated])
    declined = stage(work, "declined", trust=("ca.pem",), consents=((ca_fp, "none"),))
    refused("anchor: consent none", None, "nobody agreed",
            argv=["--trust-anchor", ca_fp, "CN=Helper Test CA", declined])
    agreed = stage(work, "agreed", trust=("ca.pem",), consents=((ca_fp, "person"),))
    refused("anchor: a subject that is not the CA's", None, "subject on the command line",
            argv=["--trust-anchor", ca_fp, "CN=Friendly Corp Root", agreed])
    refused("anchor: a fingerprint that is not staged", None, "not among the staged",
            argv=["--trust-anchor", other_fp, "CN=Other CA", agreed])
    refused("anchor: the certificate is not installed", None, "install it first",
            argv=["--trust-anchor", ca_fp, "CN=Helper Test CA", agreed])
    # the networks step (issue 12): the staged profile is held to the activation's rules again, as root
    wired = {"type": "wired", "eap": "tls", "ca_sha256": ca_fp, "domain_suffix_match": "radius.example.com"}
    refused("network: no network.json", None, "network.json is missing", argv=["--network", good])
    unchecked = dict(wired)
    del unchecked["domain_suffix_match"]
    refused("network: a network without a server name check", None, "no server certificate check",
            argv=["--network", stage(work, "net-unchecked", network=network_json(work, [unchecked]))])
    foreign = dict(wired, ca_sha256=other_fp)
    refused("network: a RADIUS CA the staged profile does not deliver", None, "names no CA",
            argv=["--network", stage(work, "net-foreign", network=network_json(work, [foreign]))])
    refused("network: not JSON", None, "network.json",
            argv=["--network", stage(work, "net-garbage", network="{")])
    refused("network: the certificate is not installed", None, "install it first",
            argv=["--network", stage(work, "net-good", network=network_json(work, [wired]))])
    # the same under pkexec: real paths, in the namespace below
    refused("pkexec: anchor of an unrelated CA", None, "does not issue", {"PKEXEC_UID": "0"},
            argv=["--trust-anchor", other_fp, "CN=Other CA", unrelated])
    refused("pkexec: anchor nobody agreed to", None, "nobody agreed", {"PKEXEC_UID": "0"},
            argv=["--trust-anchor", ca_fp, "CN=Helper Test CA", unrelated])

    # Everything the helper may write as root under its real paths is a tmpfs in here (/var/lib covers
    # /var/lib/certlink and dpkg's state, which update-ca-certificates' hooks would otherwise touch). After
    # the command, still inside, it lists what the store and the system trust directories hold.
    sandbox = ["unshare", "--mount", "sh", "-c",
               'mount -t tmpfs tmpfs /var/lib && for d in /etc/ssl /etc/ca-certificates '
               '/usr/local/share/ca-certificates; do [ -d "$d" ] && mount -t tmpfs tmpfs "$d"; done; '
               # what update-ca-certificates needs to run at all, with no hooks (no Java keystore, no dpkg)
               'mkdir -p /etc/ssl/certs /etc/ca-certificates/update.d; '
               '"$0" "$@"; rc=$?; echo "@@listing"; find /var/lib/certlink /usr/local/share/ca-certificates '
               '-type f 2>/dev/null; ls /etc/ssl/certs | grep certlink; '
               'exit $rc']
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
        proc = subprocess.run(run, env=dict(env, **extra), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        installed = os.path.exists(system) and any(files for _, _, files in os.walk(system))
        installed = installed or any(files for _, _, files in os.walk(cacerts))
        if not real_store_before and os.path.exists("/var/lib/certlink"):
            installed = True
        listing = proc.stdout.split("@@listing", 1)[1].split() if "@@listing" in proc.stdout else []
        if any("/anchors/" in f or "ca-certificates" in f or f.startswith("certlink-") for f in listing):
            installed = True  # inside the namespace: an anchor file, a .crt, or its link in /etc/ssl/certs
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

    def result(ok, what, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   {what}")
        else:
            failed += 1
            print(f"FAIL {what}: {detail}")

    # --install of a directory whose trust.pem holds the issuing CA and an unrelated one, both "agreed to":
    # the certificate is installed, no CA becomes an anchor
    proc = subprocess.run([helper, "--install", unrelated], env=env, capture_output=True, text=True,
                          timeout=120)
    anchors = os.path.join(system, "anchors")
    result(proc.returncode == 0 and not os.path.exists(anchors) and not os.listdir(cacerts),
           "--install with CAs in trust.pem installs the certificate and no trust anchor",
           f"exit {proc.returncode}: {proc.stderr.strip()}; cacerts {os.listdir(cacerts)}")
    # now the certificate is installed, the anchor step still refuses what it must
    for name, fp, subject, d, words in (("an unrelated CA", other_fp, "CN=Other CA", unrelated, "does not issue"),
                                        ("the CA nobody agreed to", ca_fp, "CN=Helper Test CA", unrelated,
                                         "nobody agreed"),
                                        ("consent none", ca_fp, "CN=Helper Test CA", declined, "nobody agreed")):
        proc = subprocess.run([helper, "--trust-anchor", fp, subject, d], env=env, capture_output=True, text=True,
                              timeout=120)
        result(proc.returncode == 100 and words in proc.stderr and not os.path.exists(anchors) and
               not os.listdir(cacerts), f"installed certificate, anchor step with {name}: refused, no anchor",
               f"exit {proc.returncode}: {proc.stderr.strip()}")
    # and installs the CA that issues it, with consent and the right subject: recorded with the certificate
    proc = subprocess.run([helper, "--trust-anchor", ca_fp, "CN=Helper Test CA", agreed], env=env,
                          capture_output=True, text=True, timeout=120)
    recs = json.load(open(os.path.join(system, "records.json")))
    kinds = [loc["kind"] for c in recs["certificates"] for loc in c["locations"]]
    result(proc.returncode == 0 and os.path.exists(os.path.join(anchors, ca_fp + ".pem")) and
           os.listdir(cacerts) and "trust-file" in kinds and "ca-certificates" in kinds,
           "--trust-anchor with the issuing CA, consent and its subject: installed and recorded",
           f"exit {proc.returncode}: {proc.stderr.strip()}; kinds {kinds}")
    shutil.rmtree(system)
    for f in os.listdir(cacerts):
        os.unlink(os.path.join(cacerts, f))

    # under pkexec (real paths) in the namespace: install, then the anchor of the issuing CA
    if can_sandbox:
        both = ["sh", "-c", '"$0" --install "$1" && "$0" --trust-anchor "$2" "$3" "$1"', helper, agreed, ca_fp,
                "CN=Helper Test CA"]
        proc = subprocess.run(sandbox + both, env=dict(env, PKEXEC_UID="0"),
                              capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        listing = proc.stdout.split("@@listing", 1)[1].split() if "@@listing" in proc.stdout else []
        result(proc.returncode == 0 and f"/var/lib/certlink/anchors/{ca_fp}.pem" in listing and
               any(f.startswith("/usr/local/share/ca-certificates/certlink-") for f in listing) and
               f"certlink-{ca_fp[:16]}.pem" in listing,  # update-ca-certificates took it into /etc/ssl/certs
               "pkexec: install then --trust-anchor puts the CA into the system store (namespace)",
               f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}; listing {listing}")
        both = ["sh", "-c", '"$0" --install "$1" && "$0" --trust-anchor "$2" "$3" "$1"', helper, unrelated, other_fp,
                "CN=Other CA"]
        proc = subprocess.run(sandbox + both, env=dict(env, PKEXEC_UID="0"),
                              capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        listing = proc.stdout.split("@@listing", 1)[1].split() if "@@listing" in proc.stdout else []
        result(proc.returncode == 100 and any(f.endswith("/cert.pem") for f in listing) and
               not any("/anchors/" in f or "ca-certificates" in f or f.startswith("certlink-") for f in listing),
               "pkexec: the certificate installs, the unrelated CA does not become an anchor (namespace)",
               f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}; listing {listing}")
    else:
        print("skip the pkexec anchor runs: no private mount namespace to run them safely in")
    if not real_store_before and os.path.exists("/var/lib/certlink"):
        result(False, "the real computer store stayed untouched", "/var/lib/certlink appeared")

    proc = subprocess.run([helper, "--install", good], env=env, capture_output=True, text=True, timeout=120)
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
    if ok:
        p, f = renewal_cases(helper, work, env, system, good)
        passed += p
        failed += f
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
