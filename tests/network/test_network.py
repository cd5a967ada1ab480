#!/usr/bin/python3
"""The profile's 802.1X networks, end to end (label network; docs/network.md).

In private namespaces (netenv.py): a NetworkManager with polkit and its own system bus, the reference server
with networks for both stores and a RADIUS CA of the test's own, FreeRADIUS with a server certificate from
that CA accepting the reference server's CA (and its CRL, fetched from the certificates' CRL distribution
point), and wpa_supplicant's eapol_test. The person is `nobody`, whose NetworkManager rights are polkit's
settings.modify.own only.

  user store      certlink enroll as nobody: one connection per SSID and one wired, named after the service,
                  accepted by NetworkManager and read back through nmcli and libnm: the 802-1x settings, the
                  files they name (the RADIUS CA beside the certificate, the key 0600 nobody's), permissions
                  user:nobody, certlink's tags; another user does not see them
  authentication  eapol_test with a network block built from the connection as NetworkManager reports it:
                  EAP-TLS succeeds; fails with a certificate of another CA; the supplicant refuses a RADIUS
                  server whose certificate does not match the server name
  renewal         the same connections (same UUIDs) now use the new certificate and key, and keep what the
                  person set herself (IP, MAC); EAP-TLS succeeds
  grace           the replaced certificate still authenticates until the renewal's grace ends, then the CRL
                  lists it (superseded) and FreeRADIUS refuses it
  revocation      the administrator revokes it, FreeRADIUS reads the new CRL from the distribution point: fails
  delete          certlink's connections are gone from NetworkManager; a connection certlink did not make is
                  left alone even when a tampered record names it
  --no-network    the certificate installed, NetworkManager untouched, no wpa_supplicant file, the result says so
  beside          a second certificate of the same server and user takes over the first one's connections
  computer store  root: a system connection (no permissions) with root's 0600 key; EAP-TLS on the wired one;
                  root renews: the same connection on the new certificate and key;
                  withdrawal removes it
  elevated        certlink-handler as nobody choosing the computer store: pkexec (played by this harness,
                  which picks the polkit action from the built policy as pkexec does) runs the privileged
                  helper's --install, then --network under its own action org.certlink.network; the system
                  connection uses root's key; nobody renews it with a renew link: the same connection on the
                  new certificate and key (EAP-TLS succeeds), the old certificate gone; the helper's --delete
                  (the manager's) removes it
  without NM      nothing applied, the result says why, and the wpa_supplicant file written beside the
                  certificate authenticates as it is
"""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import netenv  # noqa: E402

netenv.enter(extra_tools=("freeradius", "eapol_test", "setpriv", "openssl", "certutil"))

import clitest  # noqa: E402
from radius import Radius, eapol_conf_from_nm, eapol_test  # noqa: E402

NETCONF = os.environ.get("CERTLINK_NETCONF", "")
# Where certlink-install-helper looks for certlink-netconf (under pkexec its environment is cleared).
NETCONF_INSTALLED = os.environ.get("CERTLINK_NETCONF_INSTALLED", "")
HANDLER = os.environ.get("CERTLINK_HANDLER", "")
HELPER = os.environ.get("CERTLINK_INSTALL_HELPER", "")
POLICY = os.environ.get("CERTLINK_POLICY", "")
NOBODY = pwd.getpwnam(netenv.USER)
SERVICE = "Example Corp"
USER_NETWORKS = [
    {"type": "wifi", "ssids": [{"ssid": "CorpWiFi"}, {"ssid": "CorpLab", "hidden": True}],
     "security": "wpa3-enterprise", "eap": "tls", "domain_suffix_match": "radius.example.com"},
    {"type": "wired", "eap": "tls", "altsubject_matches": ["DNS:radius.example.com"], "autoconnect": False},
]
COMPUTER_NETWORKS = [{"type": "wired", "eap": "tls", "identity": "host/pc01.corp.example",
                      "domain_suffix_match": "example.com"}]
NM_FIELDS = ("connection.id", "connection.uuid", "connection.type", "connection.permissions",
             "connection.autoconnect", "802-11-wireless.ssid", "802-11-wireless.hidden",
             "802-11-wireless-security.key-mgmt", "802-11-wireless-security.pmf", "802-1x.eap", "802-1x.identity",
             "802-1x.ca-cert", "802-1x.client-cert", "802-1x.private-key", "802-1x.private-key-password-flags",
             "802-1x.domain-suffix-match", "802-1x.altsubject-matches")

check, eq, Failure = clitest.check, clitest.eq, clitest.Failure


def log(msg):
    print("[network] " + msg, flush=True)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def openssl(*args):
    r = run(["openssl"] + list(args))
    check(r.returncode == 0, "openssl " + " ".join(args[:3]), r.stdout + r.stderr)
    return r.stdout


# ---- a test PKI for the RADIUS servers and for a stranger's client certificate ----

def make_ca(d, name):
    key, pem = os.path.join(d, name + "-ca.key"), os.path.join(d, name + "-ca.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", pem, "-subj", "/CN=%s test CA" % name, "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return pem, key


def issue(d, ca, name, cn, ext):
    key, csr, pem = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=" + cn)
    extfile = os.path.join(d, name + ".ext")
    with open(extfile, "w") as f:
        f.write(ext + "\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-out", pem, "-days", "2",
            "-extfile", extfile)
    os.chmod(key, 0o600)
    return pem, key


# ---- the reference server, with the plain-HTTP listener that serves the CRL ----

class RefServer(clitest.Server):
    def start(self, timeout=120):
        port_file, http_file = os.path.join(self.dir, "port"), os.path.join(self.dir, "http-port")
        log_f = open(self.log_path, "ab")
        self.proc = subprocess.Popen([clitest.SERVER, "serve", "--state-dir", self.state, "--port", "0",
                                      "--port-file", port_file, "--http-port", "0", "--http-port-file", http_file,
                                      "--pid-file", os.path.join(self.dir, "pid"), "--token-file",
                                      os.path.join(self.dir, "admin-token")], stdout=log_f, stderr=log_f)
        log_f.close()
        deadline = time.time() + timeout
        while not (os.path.exists(http_file) and clitest.read(http_file).strip()):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("certlink-server did not start:\n" + self.log())
            time.sleep(0.05)
        self.port = int(clitest.read(port_file))
        self.http_port = int(clitest.read(http_file))
        self.ca_pem = os.path.join(self.state, "ca.pem")
        self.ca_sha256 = clitest.sha256_of_pem(self.ca_pem)
        return self


# ---- the person: nobody, with a home of its own ----

HOMES = []


class Person(clitest.Home):
    def __init__(self, name):
        super().__init__(name)
        HOMES.append(self.dir)
        os.chmod(self.dir, 0o755)
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), NOBODY.pw_uid, NOBODY.pw_gid)
        os.chown(self.dir, NOBODY.pw_uid, NOBODY.pw_gid)
        self.env["CERTLINK_NETCONF"] = NETCONF

    def run(self, *args, input=None, timeout=180, env=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run(["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid,
                               "--clear-groups", "--", clitest.CERTLINK] + [str(a) for a in args], input=input,
                              capture_output=True, text=True, timeout=timeout, env=e)


# ---- NetworkManager, read back ----

def nm_uuids():
    out = run(["nmcli", "-t", "-f", "UUID", "connection", "show"]).stdout
    return set(out.split())


def nm_settings(uuid):
    """The connection's settings as NetworkManager reports them (nmcli), one field at a time."""
    s = {}
    for field in NM_FIELDS:
        r = run(["nmcli", "--escape", "no", "-g", field, "connection", "show", uuid])
        if r.returncode == 0:
            s[field] = r.stdout.rstrip("\n")
    check(s.get("connection.uuid") == uuid, "NetworkManager knows connection %s" % uuid, str(s))
    return s


def nm_tags(uuid):
    """certlink's user data on the connection, through libnm (nmcli does not show the user setting)."""
    import gi
    gi.require_version("NM", "1.0")
    from gi.repository import NM
    c = NM.Client.new(None).get_connection_by_uuid(uuid)
    user = c.get_setting_by_name("user") if c else None
    return {k: user.get_data(k) for k in user.get_keys()} if user else {}


def path_of(value):
    return value[len("file://"):] if value.startswith("file://") else value


def crl_pem(cert_path):
    """The CRL from the certificate's own CRL distribution point, as PEM."""
    text = openssl("x509", "-in", cert_path, "-noout", "-ext", "crlDistributionPoints")
    url = re.search(r"URI:(\S+)", text).group(1)
    check(url.startswith("http://127.0.0.1:"), "the CRL distribution point is over plain HTTP", url)
    der = urllib.request.urlopen(url, timeout=30).read()
    return subprocess.run(["openssl", "crl", "-inform", "DER", "-outform", "PEM"], input=der, capture_output=True,
                          check=True).stdout.decode()


class World:
    def __init__(self):
        self.tmp = clitest.tmpdir("network-")
        os.chmod(self.tmp, 0o755)
        self.env = netenv.NetEnv(self.tmp).start()
        self.pki = os.path.join(self.tmp, "pki")
        os.makedirs(self.pki)
        self.radius_ca = make_ca(self.pki, "radius")
        self.other_ca = make_ca(self.pki, "other")
        self.radius_cert = issue(self.pki, self.radius_ca, "radius", "radius.example.com",
                                 "subjectAltName=DNS:radius.example.com\nextendedKeyUsage=serverAuth")
        self.rogue_cert = issue(self.pki, self.radius_ca, "rogue", "rogue.example.net",
                                "subjectAltName=DNS:rogue.example.net\nextendedKeyUsage=serverAuth")
        self.stranger = issue(self.pki, self.other_ca, "stranger", "alice", "extendedKeyUsage=clientAuth")
        self.server = RefServer().start()
        self.server.config(service_name=SERVICE, auto_approve=True, network_user=json.dumps(USER_NETWORKS),
                           network_computer=json.dumps(COMPUTER_NETWORKS), network_ca=clitest.read(self.radius_ca[0]))
        for user in ("alice", "bob", "carol", "dave", "pc01"):
            self.server.user_add(user, user + " password")
        self.radius = None

    def start_radius(self, cert=None):
        if not self.radius:
            self.radius = Radius(os.path.join(self.tmp, "radius"))
        self.radius.server_cert(*(cert or self.radius_cert))
        return self.radius.start()

    def close(self):
        if self.radius:
            self.radius.stop()
        self.server.stop()
        self.env.stop()
        if not os.environ.get("CERTLINK_KEEP_TMP"):
            for d in [self.tmp, self.server.dir] + HOMES:
                shutil.rmtree(d, ignore_errors=True)


W = None


def enrolled_connections(person, result):
    """The connections the result file names, checked against NetworkManager."""
    nets = result.get("networks") or []
    check(nets and all(n["configured"] for n in nets), "every network of the profile is configured",
          json.dumps(result, indent=1))
    present = nm_uuids()
    for n in nets:
        check(n["uuid"] in present, "NetworkManager has %s (%s)" % (n["name"], n["uuid"]))
    return {n["network"]: nm_settings(n["uuid"]) for n in nets}


def test_user_store():
    alice = W.alice = Person("alice")
    r = alice.enroll(W.server, "alice", "alice password")
    clitest.expect_exit(r, 0, "certlink enroll as nobody")
    res = alice.result()
    conns = W.alice_conns = enrolled_connections(alice, res)
    eq(sorted(conns), ["wifi:CorpLab", "wifi:CorpWiFi", "wired"], "one connection per SSID and one wired")
    cert = alice.records()["certificates"][0]
    cert_dir = os.path.dirname(next(l["path"] for l in cert["locations"] if l["kind"] == "certificate"))
    for key, s in conns.items():
        log("%s: %s" % (key, json.dumps(s)))
        wifi = key.startswith("wifi:")
        eq(s["connection.id"], "%s (%s)" % (SERVICE, key[5:]) if wifi else "%s (wired)" % SERVICE,
           "named after the service")
        eq(s["connection.type"], "802-11-wireless" if wifi else "802-3-ethernet", "connection type")
        eq(s["connection.permissions"], "user:nobody", "only nobody may use it")
        eq(s["802-1x.eap"], "tls", "EAP-TLS")
        eq(s["802-1x.identity"], "alice", "identity: the certificate's CN")
        eq(s["802-1x.private-key-password-flags"], "4", "no password to ask for or keep (4: not required)")
        if wifi:
            eq(s["802-11-wireless.ssid"], key[5:], "SSID")
            eq(s["802-11-wireless.hidden"], "yes" if key == "wifi:CorpLab" else "no", "hidden")
            eq(s["802-11-wireless-security.key-mgmt"], "wpa-eap", "WPA-Enterprise")
            eq(s["802-11-wireless-security.pmf"], "3", "WPA3: protected management frames required (3)")
            eq(s["802-1x.domain-suffix-match"], "radius.example.com", "server name check")
            eq(s["connection.autoconnect"], "yes", "autoconnect")
        else:
            eq(s["802-1x.altsubject-matches"], "DNS:radius.example.com", "exact server name")
            eq(s["connection.autoconnect"], "no", "no autoconnect, as the profile says")
        ca, crt, key_file = (path_of(s[f]) for f in ("802-1x.ca-cert", "802-1x.client-cert", "802-1x.private-key"))
        eq(os.path.dirname(ca), cert_dir, "the RADIUS CA is beside the certificate")
        eq(clitest.sha256_of_pem(ca), clitest.sha256_of_pem(W.radius_ca[0]), "the RADIUS CA is the profile's")
        eq(os.stat(ca).st_mode & 0o777, 0o644, "the RADIUS CA file is public")
        eq(crt, os.path.join(cert_dir, "cert.pem"), "the client certificate is the enrolled one")
        st = os.stat(key_file)
        eq((key_file, st.st_mode & 0o777, st.st_uid), (os.path.join(cert_dir, "key.pem"), 0o600, NOBODY.pw_uid),
           "the key is nobody's own 0600 file")
        tags = nm_tags(s["connection.uuid"])
        eq(tags.get("org.certlink.certificate"), cert["fingerprint"], "tagged with the certificate")
        eq(tags.get("org.certlink.network"), key, "tagged with the network")
    # the records name the connections with the certificate
    recorded = {l["path"] for l in cert["locations"] if l["kind"] == "nm-connection"}
    eq(recorded, {s["connection.uuid"] for s in conns.values()}, "the record lists the connections")
    # another user does not see them; NetworkManager's keyfiles are its own (root, 0600)
    other = run(["setpriv", "--reuid=1", "--regid=1", "--clear-groups", "--", "nmcli", "-t", "-f", "UUID",
                 "connection", "show"])
    check(not (set(other.stdout.split()) & recorded), "another user does not see nobody's connections",
          other.stdout + other.stderr)
    for name in os.listdir("/etc/NetworkManager/system-connections"):
        st = os.stat(os.path.join("/etc/NetworkManager/system-connections", name))
        eq((st.st_mode & 0o777, st.st_uid), (0o600, 0), "NetworkManager's keyfile %s" % name)
    text = alice.result_text()
    check("CorpWiFi" in text and "networks:" in text, "the text result names the connections", text)


def eapol_with(settings, name, override=None):
    conf = eapol_conf_from_nm(dict(settings, **(override or {})))
    path = os.path.join(W.tmp, name + ".conf")
    with open(path, "w") as f:
        f.write(conf)
    return eapol_test(path, W.radius)


def test_authentication():
    alice_cert = path_of(W.alice_conns["wifi:CorpWiFi"]["802-1x.client-cert"])
    W.radius = Radius(os.path.join(W.tmp, "radius"))
    W.radius.client_ca(W.server.ca_pem, crl_pem(alice_cert))
    W.start_radius()
    for key in ("wifi:CorpWiFi", "wired"):
        ok, out = eapol_with(W.alice_conns[key], "alice-" + key.replace(":", "-"))
        check(ok, "EAP-TLS succeeds with the %s connection's settings" % key, out[-3000:])
    check("Login OK: [alice]" in W.radius.log_text(), "FreeRADIUS logged alice in", W.radius.log_text()[-3000:])
    ok, out = eapol_with(W.alice_conns["wifi:CorpWiFi"], "stranger",
                         {"802-1x.client-cert": W.stranger[0], "802-1x.private-key": W.stranger[1]})
    check(not ok, "a certificate of another CA is refused", out[-2000:])
    check("unable to get local issuer certificate" in W.radius.log_text(), "FreeRADIUS says why",
          W.radius.log_text()[-3000:])
    # a RADIUS server whose certificate the same CA signed for another name: the supplicant refuses it
    W.start_radius(W.rogue_cert)
    try:
        for key in ("wifi:CorpWiFi", "wired"):
            ok, out = eapol_with(W.alice_conns[key], "rogue-" + key.replace(":", "-"))
            check(not ok, "the %s connection's settings refuse a RADIUS server with another name" % key, out[-2000:])
            check("CTRL-EVENT-EAP-TLS-CERT-ERROR" in out and ("Domain suffix mismatch" in out or
                                                               "AltSubject mismatch" in out),
                  "the supplicant says the server's name does not match", out[-3000:])
            check("Login OK" not in W.radius.log_text(), "the rogue server logged nobody in")
    finally:
        W.start_radius()


# What alice sets on her Wi-Fi connection herself: settings certlink does not own, which a renewal keeps.
HER_OWN = {"ipv4.dns-search": "corp.example", "connection.autoconnect-priority": "5",
           "802-11-wireless.cloned-mac-address": "stable"}


def test_renewal():
    alice = W.alice
    before = alice.records()["certificates"][0]
    uuids = {k: s["connection.uuid"] for k, s in W.alice_conns.items()}
    wifi = uuids["wifi:CorpWiFi"]
    r = run(["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
             "nmcli", "connection", "modify", wifi] + [x for kv in HER_OWN.items() for x in kv])
    check(r.returncode == 0, "nobody changes her own connection's IP and MAC settings", r.stdout + r.stderr)
    # the certificate being replaced, kept aside as a second device of hers would still hold it
    W.replaced_serial, W.replaced = before["serial"], {}
    for what in ("802-1x.client-cert", "802-1x.private-key"):
        W.replaced[what] = os.path.join(W.tmp, "replaced-" + what[6:])
        shutil.copy(path_of(W.alice_conns["wifi:CorpWiFi"][what]), W.replaced[what])
    r = alice.run("renew", before["serial"], "--password-stdin", input="alice password\n")
    clitest.expect_exit(r, 0, "certlink renew")
    after = alice.records()["certificates"]
    eq(len(after), 1, "one certificate after the renewal")
    after = after[0]
    check(after["fingerprint"] != before["fingerprint"], "a new certificate")
    new_dir = os.path.dirname(next(l["path"] for l in after["locations"] if l["kind"] == "certificate"))
    res = alice.result()
    check(all(n["updated"] for n in res["networks"]), "the result says the connections were updated",
          json.dumps(res["networks"]))
    conns = {}
    for key, uuid in uuids.items():
        s = conns[key] = nm_settings(uuid)
        eq(path_of(s["802-1x.client-cert"]), os.path.join(new_dir, "cert.pem"), "%s uses the new certificate" % key)
        eq(path_of(s["802-1x.private-key"]), os.path.join(new_dir, "key.pem"), "%s uses the new key" % key)
        eq(nm_tags(uuid).get("org.certlink.certificate"), after["fingerprint"], "%s is tagged with it" % key)
    for field, value in HER_OWN.items():
        r = run(["nmcli", "--escape", "no", "-g", field, "connection", "show", wifi])
        eq(r.stdout.strip(), value, "the renewal kept %s, which she set herself" % field)
    check(not os.path.exists(path_of(W.alice_conns["wifi:CorpWiFi"]["802-1x.client-cert"])),
          "the old certificate's files are gone")
    W.alice_conns = conns
    ok, out = eapol_with(conns["wifi:CorpWiFi"], "renewed")
    check(ok, "EAP-TLS succeeds with the renewed certificate", out[-3000:])
    W.alice_serial = after["serial"]


def crl_serials(crl):
    text = subprocess.run(["openssl", "crl", "-noout", "-text"], input=crl.encode(), capture_output=True,
                          check=True).stdout.decode()
    return text.replace(":", "").upper()


def test_renewal_grace():
    """The replaced certificate keeps authenticating until the renewal's grace ends (renewal_revoke_days,
    7 by default), so a device still using it is not cut off at once; then the CRL lists it and FreeRADIUS
    refuses it. Ending the grace is an administrator setting it to 0 days here; test-server-units moves the
    clock over the 7 days."""
    old = W.replaced
    renewed = path_of(W.alice_conns["wifi:CorpWiFi"]["802-1x.client-cert"])
    crl = crl_pem(renewed)
    check(W.replaced_serial.upper() not in crl_serials(crl), "during the grace the CRL does not list the replaced one")
    W.radius.client_ca(W.server.ca_pem, crl)
    W.start_radius()
    ok, out = eapol_with(W.alice_conns["wifi:CorpWiFi"], "replaced-in-grace", old)
    check(ok, "the replaced certificate still authenticates during the grace", out[-3000:])
    W.server.config(renewal_revoke_days=0)
    try:
        crl = crl_pem(renewed)
        listed = crl_serials(crl)
        check(W.replaced_serial.upper() in listed and "SUPERSEDED" in listed,
              "once the grace is over the CRL lists the replaced certificate as superseded", listed)
        check(W.alice_serial.upper() not in listed, "and not the certificate that replaced it")
        W.radius.client_ca(W.server.ca_pem, crl)
        W.start_radius()
        ok, out = eapol_with(W.alice_conns["wifi:CorpWiFi"], "replaced-after-grace", old)
        check(not ok, "the replaced certificate is refused after the grace", out[-2000:])
        check("certificate revoked" in W.radius.log_text(), "FreeRADIUS says it is revoked",
              W.radius.log_text()[-3000:])
        ok, out = eapol_with(W.alice_conns["wifi:CorpWiFi"], "renewed-after-grace")
        check(ok, "the renewed certificate still authenticates", out[-3000:])
    finally:
        W.server.config(renewal_revoke_days=7)


def test_revocation():
    W.server.cli("revoke", W.alice_serial)
    cert = path_of(W.alice_conns["wifi:CorpWiFi"]["802-1x.client-cert"])
    crl = crl_pem(cert)
    listed = subprocess.run(["openssl", "crl", "-noout", "-text"], input=crl.encode(), capture_output=True).stdout
    check(W.alice_serial.upper() in listed.decode().replace(":", "").upper(), "the CRL lists the revoked serial")
    W.radius.client_ca(W.server.ca_pem, crl)
    W.start_radius()
    ok, out = eapol_with(W.alice_conns["wifi:CorpWiFi"], "revoked")
    check(not ok, "a revoked certificate is refused once FreeRADIUS has the new CRL", out[-2000:])
    check("certificate revoked" in W.radius.log_text(), "FreeRADIUS says it is revoked", W.radius.log_text()[-3000:])


def test_delete():
    alice = W.alice
    cert = alice.records()["certificates"][0]
    # nobody's own connection, made by hand: a tampered record naming it must not make certlink touch it
    r = run(["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
             "nmcli", "connection", "add", "type", "ethernet", "con-name", "%s (wired)" % SERVICE, "ifname", "*",
             "connection.autoconnect", "no", "connection.permissions", "user:nobody"])
    check(r.returncode == 0, "nobody adds a connection by hand", r.stdout + r.stderr)
    mine = re.search(r"\(([0-9a-f-]{36})\)", r.stdout).group(1)
    path = os.path.join(alice.store_dir, "records.json")
    doc = json.loads(clitest.read(path))
    doc["certificates"][0]["locations"].append({"kind": "nm-connection", "path": mine, "nickname": "hand-made"})
    with open(path, "w") as f:
        json.dump(doc, f)
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    ours = {s["connection.uuid"] for s in W.alice_conns.values()}
    r = alice.run("delete", cert["serial"])
    clitest.expect_exit(r, 0, "certlink delete")
    left = nm_uuids()
    check(not (ours & left), "certlink's connections are gone from NetworkManager", str(ours & left))
    check(mine in left, "the connection certlink did not make is still there")
    eq(alice.records()["certificates"], [], "the record is gone")


def test_no_network():
    """--no-network: the certificate is installed, NetworkManager is left alone, no wpa_supplicant file is
    written, and the result says the networks were skipped as asked."""
    carol = Person("carol")
    before = nm_uuids()
    r = carol.enroll(W.server, "carol", "carol password", "--no-network")
    clitest.expect_exit(r, 0, "certlink enroll --no-network")
    eq(nm_uuids(), before, "no connection was made or changed")
    res = carol.result()
    check(res["networks"] and not any(n["configured"] for n in res["networks"]),
          "the result lists the profile's networks, none configured", json.dumps(res))
    check("--no-network" in (res.get("network_message") or ""), "the result says why",
          json.dumps(res.get("network_message")))
    check(not res.get("network_files"), "no wpa_supplicant file is named", json.dumps(res))
    cert = carol.records()["certificates"][0]
    check(not any(l["kind"] in ("nm-connection", "network-file") for l in cert["locations"]),
          "nothing network-related is recorded", json.dumps(cert["locations"]))
    cert_dir = os.path.dirname(next(l["path"] for l in cert["locations"] if l["kind"] == "certificate"))
    eq(sorted(n for n in os.listdir(cert_dir) if "wpa_supplicant" in n or "radius-ca" in n), [],
       "no wpa_supplicant file or RADIUS CA beside the certificate")
    check("--no-network" in r.stdout, "the command says the networks were not set up", r.stdout)


def test_enroll_beside():
    """A second certificate of the same server and user (enroll --force-new beside a valid one) takes over the
    first one's connections rather than adding a second connection of the same name for each network;
    deleting the first then leaves them, deleting the second removes them."""
    dave = Person("dave")
    r = dave.enroll(W.server, "dave", "dave password")
    clitest.expect_exit(r, 0, "certlink enroll (first certificate)")
    first = {n["network"]: n["uuid"] for n in dave.result()["networks"]}
    count = len(nm_uuids())
    r = dave.enroll(W.server, "dave", "dave password", "--force-new")
    clitest.expect_exit(r, 0, "certlink enroll --force-new (second certificate beside the first)")
    nets = dave.result()["networks"]
    eq({n["network"]: n["uuid"] for n in nets}, first, "the same connections (UUIDs) serve the networks")
    check(all(n["updated"] for n in nets), "the result says they now use the new certificate", json.dumps(nets))
    eq(len(nm_uuids()), count, "no second connection for any network")
    certs = dave.records()["certificates"]
    eq(len(certs), 2, "two certificates recorded")
    newest = next(c for c in certs if c["serial"].lower() == dave.result()["serial"].lower())
    older = next(c for c in certs if c is not newest)
    eq({l["path"] for l in newest["locations"] if l["kind"] == "nm-connection"}, set(first.values()),
       "the new certificate's record holds the connections")
    check(not any(l["kind"] == "nm-connection" for l in older["locations"]), "the first one's no longer does")
    new_dir = os.path.dirname(next(l["path"] for l in newest["locations"] if l["kind"] == "certificate"))
    for uuid in first.values():
        s = nm_settings(uuid)
        eq(path_of(s["802-1x.client-cert"]), os.path.join(new_dir, "cert.pem"), "%s uses the new one" % uuid)
        eq(nm_tags(uuid).get("org.certlink.certificate"), newest["fingerprint"], "and is tagged with it")
    r = dave.run("delete", older["serial"])
    clitest.expect_exit(r, 0, "certlink delete of the first certificate")
    check(set(first.values()) <= nm_uuids(), "the connections stay with the certificate that backs them")
    r = dave.run("delete", newest["serial"])
    clitest.expect_exit(r, 0, "certlink delete of the second certificate")
    check(not (set(first.values()) & nm_uuids()), "then they go")


def test_computer_store():
    home = W.pc = clitest.Home("computer")
    HOMES.append(home.dir)
    home.env["CERTLINK_NETCONF"] = NETCONF
    r = home.enroll(W.server, "pc01", "pc01 password", "--store", "computer")
    clitest.expect_exit(r, 0, "certlink enroll --store computer as root")
    res = json.loads(clitest.read(os.path.join(home.system, "result.json")))
    conns = enrolled_connections(home, res)
    eq(list(conns), ["wired"], "the computer store's network")
    s = conns["wired"]
    eq(s["connection.permissions"], "", "a system connection: every user may use it")
    eq(s["802-1x.identity"], "host/pc01.corp.example", "the profile's identity")
    key_file = path_of(s["802-1x.private-key"])
    st = os.stat(key_file)
    check(key_file.startswith(home.system) and st.st_mode & 0o777 == 0o600 and st.st_uid == 0,
          "root's 0600 key in the computer store")
    ok, out = eapol_with(s, "computer-wired")
    check(ok, "EAP-TLS succeeds with the system connection", out[-3000:])
    # root renews: the same system connection now uses the new certificate and root's new key
    old = json.loads(clitest.read(os.path.join(home.system, "records.json")))["certificates"][0]
    r = home.run("renew", old["serial"], "--store", "computer", "--password-stdin", input="pc01 password\n")
    clitest.expect_exit(r, 0, "certlink renew --store computer as root")
    rec = json.loads(clitest.read(os.path.join(home.system, "records.json")))
    eq([c["serial"] != old["serial"] for c in rec["certificates"]], [True], "the renewed certificate replaced it")
    new = nm_settings(s["connection.uuid"])
    key_file = path_of(new["802-1x.private-key"])
    check(key_file.startswith(os.path.join(home.system, "certs", rec["certificates"][0]["fingerprint"])) and
          os.stat(key_file).st_mode & 0o777 == 0o600, "the system connection uses the new 0600 key", key_file)
    eq(nm_tags(s["connection.uuid"]).get("org.certlink.certificate"), rec["certificates"][0]["fingerprint"],
       "tagged with the new certificate")
    eq(new["connection.permissions"], "", "still a system connection")
    ok, out = eapol_with(new, "computer-renewed")
    check(ok, "EAP-TLS succeeds with the renewed system connection", out[-3000:])
    r = home.run("withdraw", rec["certificates"][0]["serial"], "--store", "computer")
    clitest.expect_exit(r, 0, "certlink withdraw")
    check(s["connection.uuid"] not in nm_uuids(), "withdrawal removed the connection")


SHIM = r'''#!/usr/bin/python3
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pkexec.sock"))
s.sendall(("\0".join(sys.argv[1:]) + "\n").encode())
reply = s.makefile().read().split("\n", 1)
sys.stderr.write(reply[1] if len(reply) > 1 else "")
sys.exit(int(reply[0]))
'''


class FakePkexec:
    """pkexec for the handler: picks the polkit action from the built .policy file as pkexec does (the
    helper's path, then argv1; elevate_test.py has the details) and runs the helper as root for nobody, with
    the environment pkexec leaves (none of the test's redirections: the helper uses the real paths, which
    are private tmpfs in this namespace)."""

    def __init__(self, base):
        import socket
        import threading
        sys.path.insert(0, os.path.join(HERE, "..", "handler"))
        from elevate_test import pick_action, policy_actions
        self.pick = pick_action
        self.actions = policy_actions(POLICY)
        self.policy_path = next(a["annotations"]["org.freedesktop.policykit.exec.path"] for a in self.actions)
        self.picked = []
        self.shim = os.path.join(base, "pkexec")
        with open(self.shim, "w") as f:
            f.write(SHIM)
        os.chmod(self.shim, 0o755)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(os.path.join(base, "pkexec.sock"))
        os.chmod(os.path.join(base, "pkexec.sock"), 0o777)
        self.sock.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            argv = conn.makefile().readline().rstrip("\n").split("\0")
            action = self.pick(self.actions, self.policy_path, argv) if argv[0] == HELPER else None
            self.picked.append((action and action["id"], action and action["defaults"].get("allow_active"), argv))
            if not action:
                code, text = 127, "no polkit action of the helper matches %r\n" % argv
            else:
                env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PKEXEC_UID": str(NOBODY.pw_uid),
                       "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
                       "LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", "")}
                proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
                code, text = proc.returncode, proc.stdout + proc.stderr
            conn.sendall(("%d\n%s" % (code, text)).encode())
            conn.close()


def put_netconf_where_installed():
    """certlink-netconf at the path the helper was built with, through an overlay on a tmpfs in this mount
    namespace (nothing of the real file system changes). False when the kernel cannot do that here."""
    target = os.path.dirname(NETCONF_INSTALLED)
    lower = target
    while not os.path.isdir(lower):
        lower = os.path.dirname(lower)
    layer = os.path.join(W.tmp, "overlay")
    os.makedirs(layer)
    if run(["mount", "-t", "tmpfs", "tmpfs", layer]).returncode != 0:
        return False
    os.makedirs(os.path.join(layer, "upper"))
    os.makedirs(os.path.join(layer, "work"))
    r = run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" %
             (lower, layer, layer), lower])
    if r.returncode != 0:
        log("no overlay mount here (%s)" % r.stderr.strip())
        return False
    os.makedirs(target, exist_ok=True)
    shutil.copy(NETCONF, NETCONF_INSTALLED)
    return True


def test_elevated():
    if not (HANDLER and HELPER and POLICY and NETCONF_INSTALLED):
        log("SKIP test_elevated: certlink-handler or the install helper was not built")
        return
    if not put_netconf_where_installed():
        log("SKIP test_elevated: certlink-netconf cannot be put where the helper looks for it")
        return
    base = os.path.join(W.tmp, "elevated")
    home, runtime = os.path.join(base, "home"), os.path.join(base, "runtime")
    for d in (base, home, runtime):
        os.makedirs(d, 0o700 if d != base else 0o755)
        os.chown(d, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chown(base, 0, 0)
    polkit = FakePkexec(base)
    W.server.user_add("pc02", "pc02 password")
    link = W.server.invite("pc02", store="computer", passwordless=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_DATA_HOME": home + "/.local/share",
           "XDG_CONFIG_HOME": home + "/.config", "XDG_STATE_HOME": home + "/.local/state",
           "XDG_CACHE_HOME": home + "/.cache", "XDG_RUNTIME_DIR": runtime, "LANG": "C.UTF-8",
           "CERTLINK_PKEXEC": polkit.shim, "CERTLINK_INSTALL_HELPER": HELPER,
           "CERTLINK_LOCALEDIR": os.environ.get("CERTLINK_LOCALEDIR", ""),
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""), "LSAN_OPTIONS": os.environ.get("LSAN_OPTIONS", "")}
    before = nm_uuids()
    r = run(["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
             HANDLER, "--no-gui", link], env=env, stdin=subprocess.DEVNULL, timeout=300)
    out = r.stdout + r.stderr
    log(out)
    eq(r.returncode, 0, "certlink-handler installs into the computer store through pkexec", out)
    eq([(p[0], p[1], p[2][1]) for p in polkit.picked],
       [("org.certlink.install", "auth_admin_keep", "--install"),
        ("org.certlink.network", "auth_admin_keep", "--network")],
       "pkexec ran the helper twice, the networks under their own action")
    new = nm_uuids() - before
    eq(len(new), 1, "one new connection (the computer store's wired network)")
    uuid = new.pop()
    s = nm_settings(uuid)
    eq((s["connection.id"], s["connection.permissions"], s["802-1x.identity"]),
       ("%s (wired)" % SERVICE, "", "host/pc01.corp.example"), "a system connection for the computer")
    key = path_of(s["802-1x.private-key"])
    st = os.stat(key)
    check(key.startswith("/var/lib/certlink/certs/") and (st.st_mode & 0o777, st.st_uid) == (0o600, 0),
          "it uses the computer store's own key, root's 0600", key)
    check("Network connection: %s (wired)" % SERVICE in out, "the handler names the connection", out)
    rec = json.loads(clitest.read("/var/lib/certlink/records.json"))
    cert = next(c for c in rec["certificates"] if c["user"] == "pc02")
    check(any(l["kind"] == "nm-connection" and l["path"] == uuid for l in cert["locations"]),
          "the computer store's record names the connection")
    ok, text = eapol_with(s, "elevated-wired")
    check(ok, "EAP-TLS succeeds with it", text[-3000:])
    cert = renew_elevated(polkit, env, link, cert, uuid)
    # the manager's Delete: the helper's --delete removes the certificate and its connection
    r = run(["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
             polkit.shim, HELPER, "--delete", cert["serial"]], env=env)
    eq(r.returncode, 0, "the helper's --delete", r.stdout + r.stderr)
    eq(polkit.picked[-1][0], "org.certlink.delete", "under org.certlink.delete")
    check(uuid not in nm_uuids(), "the connection is gone")


def renew_elevated(polkit, env, invite, old, uuid):
    """nobody renews the computer-store certificate with a renew link on a terminal: --install, then --network,
    which moves the system connection (same UUID) to the new certificate and key and only then removes the old
    certificate; EAP-TLS succeeds with it. Returns the new certificate's record."""
    from elevate_test import run_on_pty
    hostport = re.match(r"certlink://([^/]+)/", invite).group(1)
    link = "certlink://%s/renew?v=1&user=pc02&serial=%s&ca=%s" % (hostport, old["serial"], W.server.ca_sha256)
    polkit.picked.clear()
    argv = ["/usr/bin/setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
            HANDLER, "--no-gui", link]
    rc, out, left = run_on_pty(argv, env, [(r"Renew it\? \[y\]es / \[N\]o: $", "y"), (r"User ID \[pc02\]: $", ""),
                                           (r"Password: $", "pc02 password")])
    log(out)
    eq((rc, left), (0, []), "nobody renews the computer-store certificate through pkexec", out)
    eq([(p[0], p[2][1]) for p in polkit.picked], [("org.certlink.install", "--install"),
                                                   ("org.certlink.network", "--network")],
       "the install, then the networks under their own action")
    rec = json.loads(clitest.read("/var/lib/certlink/records.json"))
    mine = [c for c in rec["certificates"] if c["user"] == "pc02"]
    eq([c["fingerprint"] != old["fingerprint"] for c in mine], [True], "the new certificate replaced the old one")
    new = mine[0]
    check(not os.path.exists(os.path.join("/var/lib/certlink/certs", old["fingerprint"])),
          "the old certificate's files (its key among them) are gone")
    check(uuid in nm_uuids(), "the connection is still there (taken over, not made again)")
    s = nm_settings(uuid)
    key = path_of(s["802-1x.private-key"])
    st = os.stat(key)
    check(key.startswith(os.path.join("/var/lib/certlink/certs", new["fingerprint"])) and
          (st.st_mode & 0o777, st.st_uid) == (0o600, 0), "it uses the new certificate's key, root's 0600", key)
    eq(nm_tags(uuid).get("org.certlink.certificate"), new["fingerprint"], "tagged with the new certificate")
    eq(s["connection.permissions"], "", "still a system connection")
    check(any(l["kind"] == "nm-connection" and l["path"] == uuid for l in new["locations"]),
          "the new certificate's record names the connection")
    ok, text = eapol_with(s, "elevated-renewed")
    check(ok, "EAP-TLS succeeds with the renewed system connection", text[-3000:])
    return new


def test_without_networkmanager():
    W.env.stop_nm()
    try:
        bob = Person("bob")
        r = bob.enroll(W.server, "bob", "bob password")
        clitest.expect_exit(r, 0, "certlink enroll without NetworkManager")
        res = bob.result()
        check(res["networks"] and not any(n["configured"] for n in res["networks"]), "nothing applied",
              json.dumps(res))
        check("NetworkManager is not running" in res["network_message"], "the result says why", res["network_message"])
        check("NetworkManager is not running" in r.stderr, "and so does the command", r.stderr)
        wifi_conf, wired_conf = res["network_files"]
        cert = bob.records()["certificates"][0]
        cert_dir = os.path.dirname(next(l["path"] for l in cert["locations"] if l["kind"] == "certificate"))
        eq(os.path.dirname(wifi_conf), cert_dir, "the wpa_supplicant file is beside the certificate")
        text = clitest.read(wifi_conf)
        check('ssid="CorpWiFi"' in text and "scan_ssid=1" in text and 'domain_suffix_match="radius.example.com"'
              in text, "the file holds the networks", text)
        ok, out = eapol_test(wifi_conf, W.radius)
        check(ok, "the wpa_supplicant file authenticates as it is", out[-3000:])
        ok, out = eapol_test(wired_conf, W.radius)
        check(ok, "so does the wired one", out[-3000:])
    finally:
        W.env.start_nm()


def main():
    global W
    if not NETCONF or not os.access(NETCONF, os.X_OK):
        netenv.skip("certlink-netconf was not built (no libnm)")
    W = World()
    try:
        clitest.main([test_user_store, test_authentication, test_renewal, test_renewal_grace, test_revocation,
                      test_delete, test_no_network, test_enroll_beside, test_computer_store, test_elevated,
                      test_without_networkmanager])
    finally:
        W.close()


if __name__ == "__main__":
    main()
