"""An HTTPS site that signs people in with a client certificate (label browser tests).

It requires a certificate issued by the CA it is given (the reference server's), like a VPN portal or an
intranet site of the organisation would, and notes on its side what each connection presented: the serial
and SHA-256 of every accepted client certificate, and every handshake it refused. Every connection is a full
TLS 1.3 handshake (no session tickets, so nothing is resumed): what the site notes is what the browser
presented on that connection, not what an earlier one did. The page says whom it signed in, in
large type, so that a screenshot shows it. Its own server certificate comes from a throwaway CA.
"""
import hashlib
import html
import http.server
import os
import ssl
import subprocess
import threading


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


class CertSite:
    def __init__(self, client_ca_pem, workdir):
        key, csr, cert, ca_key, ca_pem, ext = (os.path.join(workdir, n) for n in
                                               ("site.key", "site.csr", "site.pem", "site-ca.key",
                                                "site-ca.pem", "site.ext"))
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 ca_key, "-out", ca_pem, "-subj", "/CN=certlink test web CA", "-days", "2")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
                 csr, "-subj", "/CN=127.0.0.1")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        _openssl("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                 "-days", "2", "-extfile", ext)
        self.web_ca_pem = ca_pem
        self.cert_pem = cert
        self.presented = []  # serials (lowercase hex, no leading zeros) of the accepted client certificates
        self.presented_sha256 = []  # and their SHA-256 (lowercase hex), in the same order
        self.refused = []    # why handshakes failed
        self.lock = threading.Lock()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(client_ca_pem)
        ctx.verify_mode = ssl.CERT_REQUIRED  # no certificate, or one of another CA: the handshake fails
        # a resumed session would carry the certificate of the handshake that made it
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.num_tickets = 0
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                peer = self.connection.getpeercert()
                der = self.connection.getpeercert(binary_form=True)
                serial = peer["serialNumber"].lower().lstrip("0") or "0"
                cn = dict(x[0] for x in peer["subject"]).get("commonName", "")
                with site.lock:
                    site.presented.append(serial)
                    site.presented_sha256.append(hashlib.sha256(der).hexdigest())
                body = ("<!doctype html><html><head><title>Signed in</title></head>"
                        "<body style='font:40px sans-serif;margin:40px'>"
                        f"<p>Signed in with a certificate</p><p id=who>{html.escape(cn)}</p>"
                        f"<p>serial <span id=serial>{serial}</span></p></body></html>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                try:
                    return ctx.wrap_socket(sock, server_side=True), addr
                except (ssl.SSLError, OSError) as e:
                    with site.lock:
                        site.refused.append(str(e))
                    sock.close()
                    raise

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}/"
        self.origin = self.url.rstrip("/")
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def refused_for_no_certificate(self):
        """How many handshakes failed because the browser presented no client certificate."""
        with self.lock:
            return sum(1 for r in self.refused if "PEER_DID_NOT_RETURN_A_CERTIFICATE" in r)

    def since(self, n):
        """The serials and SHA-256s presented after the first N."""
        with self.lock:
            return self.presented[n:], self.presented_sha256[n:]

    def counts(self):
        with self.lock:
            return len(self.presented), len(self.refused)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
