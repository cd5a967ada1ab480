"""FreeRADIUS and eapol_test for the network tests: a private FreeRADIUS 3 instance with a one-file
configuration (EAP-TLS only, on a loopback UDP port of its own), and wpa_supplicant's eapol_test driven with a
network block built from a NetworkManager connection's 802-1x settings.

FreeRADIUS checks client certificates against the CAs in its ca_path with check_crl = yes, so the CA's CRL
must be there too; it reads the CRL only when it starts (a HUP does not reload the EAP module), so
`reload_crl()` restarts it.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

SECRET = "testing123"

CONF = """prefix = /usr
confdir = {d}/raddb
raddbdir = {d}/raddb
logdir = {d}/log
run_dir = {d}/run
db_dir = {d}/run
libdir = /usr/lib/freeradius
certdir = {d}/tls
name = freeradius
pidfile = {d}/run/freeradius.pid
max_request_time = 30
cleanup_delay = 1
max_requests = 1024
hostname_lookups = no
log {{
	destination = stderr
	auth = yes
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}}
thread pool {{
	start_servers = 1
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}}
client localhost {{
	ipaddr = 127.0.0.1
	secret = {secret}
	require_message_authenticator = no
}}
modules {{
	eap {{
		default_eap_type = tls
		timer_expire = 60
		max_sessions = 64
		tls-config tls-common {{
			private_key_file = ${{certdir}}/server.key
			certificate_file = ${{certdir}}/server.pem
			ca_path = ${{certdir}}/capath
			check_crl = yes
			cipher_list = "DEFAULT"
			tls_min_version = "1.2"
			tls_max_version = "1.2"
			cache {{ enable = no }}
			verify {{ }}
		}}
		tls {{
			tls = tls-common
		}}
	}}
}}
server certlink-test {{
	listen {{
		type = auth
		ipaddr = 127.0.0.1
		port = {port}
	}}
	authorize {{
		eap {{
			ok = return
		}}
	}}
	authenticate {{
		eap
	}}
}}
"""


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radius:
    """FreeRADIUS with server certificate SERVER_PEM/SERVER_KEY, accepting client certificates of CLIENT_CA
    (PEM path) with its CRL (CRL_PEM text)."""

    def __init__(self, workdir, binary="freeradius"):
        self.dir = workdir
        self.binary = shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") or binary
        self.port = free_udp_port()
        self.proc = None
        self.log_path = os.path.join(workdir, "radius.log")
        for sub in ("raddb", "log", "run", "tls/capath"):
            os.makedirs(os.path.join(workdir, sub), exist_ok=True)
        with open(os.path.join(workdir, "raddb", "radiusd.conf"), "w") as f:
            f.write(CONF.format(d=workdir, port=self.port, secret=SECRET))

    def server_cert(self, pem, key):
        shutil.copy(pem, os.path.join(self.dir, "tls", "server.pem"))
        shutil.copy(key, os.path.join(self.dir, "tls", "server.key"))
        os.chmod(os.path.join(self.dir, "tls", "server.key"), 0o600)

    def client_ca(self, ca_pem, crl_pem_text):
        capath = os.path.join(self.dir, "tls", "capath")
        for name in os.listdir(capath):
            os.unlink(os.path.join(capath, name))
        shutil.copy(ca_pem, os.path.join(capath, "client-ca.pem"))
        with open(os.path.join(capath, "client-ca.crl.pem"), "w") as f:
            f.write(crl_pem_text)
        subprocess.run(["openssl", "rehash", capath], check=True, capture_output=True)

    def start(self, timeout=30):
        self.stop()
        self.log = open(self.log_path, "ab")
        self.mark = os.path.getsize(self.log_path)
        self.proc = subprocess.Popen([self.binary, "-X", "-d", os.path.join(self.dir, "raddb")],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + timeout
        while "Ready to process requests" not in self.log_text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("FreeRADIUS did not start:\n" + self.log_text()[-4000:])
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.proc = None

    def log_text(self):
        """What the running instance logged (since its start)."""
        with open(self.log_path, "rb") as f:
            f.seek(getattr(self, "mark", 0))
            return f.read().decode(errors="replace")


def wpa_string(value):
    """A wpa_supplicant string setting: quoted printable ASCII, else hex."""
    if all(0x20 <= ord(c) < 0x7f and c != '"' for c in value):
        return '"%s"' % value
    return value.encode().hex()


def eapol_conf_from_nm(settings):
    """The network block eapol_test needs, from a connection's settings as NetworkManager reports them
    (nmcli field names): nothing is written by hand that the connection does not say."""
    lines = ["network={"]
    if settings.get("connection.type") == "802-11-wireless":
        key_mgmt = settings["802-11-wireless-security.key-mgmt"]
        lines.append("\tkey_mgmt=%s" % {"wpa-eap": "WPA-EAP"}[key_mgmt])
        lines.append("\tssid=%s" % wpa_string(settings["802-11-wireless.ssid"]))
    else:
        lines.append("\tkey_mgmt=IEEE8021X")
    lines.append("\teap=%s" % settings["802-1x.eap"].upper())
    for nm, wpa in (("802-1x.identity", "identity"), ("802-1x.ca-cert", "ca_cert"),
                    ("802-1x.client-cert", "client_cert"), ("802-1x.private-key", "private_key"),
                    ("802-1x.domain-suffix-match", "domain_suffix_match")):
        value = settings.get(nm, "")
        if nm.endswith("-cert") or nm.endswith("-key"):
            value = value[len("file://"):] if value.startswith("file://") else value
        if value:
            lines.append("\t%s=%s" % (wpa, wpa_string(value)))
    matches = settings.get("802-1x.altsubject-matches", "")
    if matches:
        lines.append("\taltsubject_match=%s" % wpa_string(";".join(m.strip() for m in matches.split(","))))
    lines.append("}")
    return "\n".join(lines) + "\n"


def eapol_test(conf_path, radius, timeout=30):
    """(succeeded, output) of one EAP-TLS authentication against RADIUS with the network block at CONF_PATH."""
    r = subprocess.run(["eapol_test", "-c", conf_path, "-a", "127.0.0.1", "-p", str(radius.port), "-s", SECRET,
                        "-t", "10"], capture_output=True, text=True, timeout=timeout)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    return r.returncode == 0 and last == "SUCCESS", r.stdout + r.stderr
