#!/usr/bin/python3
"""Firefox ESR: a click on the invitation enrolls, and the certificate then signs the person in, in Firefox and
in Chromium; renewal and delete reach both; the CA is trusted only with the person's yes; what a person sees
without the policy (label browser, issue 13).

usage: firefox_test.py --handler PATH --server PATH --cli PATH --firefox PATH --chromium PATH --artifacts DIR
       (root, under dbus-run-session)

The enterprise policies must be where Firefox and Chromium read them, /etc/firefox/policies/policies.json and
/etc/chromium/policies/managed/; so the test re-runs itself in a private mount namespace with an overlay over
/etc: the real /etc is never written. A fresh account registers the scheme (`certlink register-scheme`) and
gets a Firefox profile made by `firefox-esr -CreateProfile` (listed in profiles.ini, as for a new user) and the
NSS database Chromium makes in ~/.pki/nssdb. A test HTTPS site requires a client certificate from the reference
server's CA (certsite.py).

Firefox gets the Preferences policy security.default_personal_cert = "Select Automatically" throughout, as an
administrator would set it (docs/examples/firefox-client-certificate-policy.json), so that it presents the
certificate without a chooser. Every connection to the site is a full handshake, and the site notes the serial and SHA-256 of the
certificate presented on it; the test compares them with certlink's records.

1. The example policy (docs/examples/firefox-policies.json: Handlers, certlink to the system default without
   asking, plus AutoLaunchProtocolsFromOrigins for the enrollment server's origin). Firefox, not enrolled yet,
   is refused by the site. It opens the reference server's admin page and creates an invitation there; a
   pointer click (xdotool) on the invitation link makes Firefox hand it to the desktop (GIO, the mimeapps.list
   default that register-scheme wrote), which starts certlink-handler with no question from Firefox; its
   window asks only the CA question, answered Don't Trust, and installs the certificate. The same running
   Firefox signs in with exactly that certificate: it took the import made while it ran. In the profile the CA
   is there for the chain only (no trust flags).
2. Chromium with AutoSelectCertificateForUrls for the site (headless): signed in with the same certificate; a
   Chromium of an account that has not enrolled is refused.
3. Firefox started again does not trust the server's CA (its page, under a name no exception was recorded
   for, shows a certificate error). `certlink renew` while it runs: the profile holds the new certificate
   under its own nickname and not the old one, and the running Firefox and Chromium sign in with the new one.
4. `certlink delete` while Firefox runs (NSS's sql: databases are SQLite, made for several processes): the
   certificate and its key leave the profile, the running Firefox is refused at once, and the profile's
   databases pass SQLite's integrity check once Firefox has quit.
5. No policy for the scheme, a person's first time: a click shows Firefox's own question (allow this site to
   open the certlink link with certlink Certificate Enrollment?), screenshot; Cancel starts nothing; on the
   next click Open Link starts certlink-handler, the CA question is answered Trust, and the profile trusts the
   CA ("C,,", recorded); the end page says the open Firefox trusts it once restarted (its profile's lock);
   the running Firefox signs in with the new certificate.
6. Firefox started again with the Handlers policy alone: it trusts the server's CA now (the consent), and a
   click still shows the question (only AutoLaunchProtocolsFromOrigins skips it); Cancel.

Firefox is driven through Marionette (marionette.py). The admin page's TLS certificate comes from the reference
server's CA, which this profile must not trust before step 5 (that is the point of the consent rule), and the
test site's from a throwaway CA: for each of the two, the test records what "Accept the Risk and Continue"
records, an exception for that certificate at that host and port (nsICertOverrideService), never a trusted CA.
Whether the server's CA is trusted is checked at https://localhost:PORT, the same server under a name no
exception was recorded for. Screenshots go to DIR/firefox/.
"""
import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gui"))
import guienv  # noqa: E402
from guienv import check, log  # noqa: E402
from refserver import RefServer  # noqa: E402
import handler_gui  # noqa: E402
from certsite import CertSite  # noqa: E402
from marionette import Marionette, MarionetteError  # noqa: E402

SKIP = 77
TEMPS = []


def in_private_namespace():
    if os.environ.get("CERTLINK_FIREFOX_NS") == "1":
        return
    if os.geteuid() != 0:
        print("skipped: needs root for a private mount namespace with an overlay over /etc")
        sys.exit(SKIP)
    env = dict(os.environ, CERTLINK_FIREFOX_NS="1")
    os.execvpe("unshare", ["unshare", "--mount", sys.executable] + sys.argv, env)


def temp(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    TEMPS.append(d)
    return d


def overlay_etc():
    """Make /etc writable in this mount namespace only (the real /etc stays as it is)."""
    d = temp("certlink-firefox-etc-")
    os.makedirs(os.path.join(d, "upper"))
    os.makedirs(os.path.join(d, "work"))
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir=/etc,upperdir={d}/upper,workdir={d}/work", "/etc"], check=True)


def write_json(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


def firefox_policies(origin, handlers, auto_launch):
    """The shipped example (docs/examples/firefox-policies.json) with the test server's origin, or the part of
    it that HANDLERS and AUTO_LAUNCH ask for, plus the client certificate preference."""
    with open(os.path.join(here, "..", "..", "docs", "examples", "firefox-policies.json")) as f:
        example = json.load(f)["policies"]
    check(example["Handlers"]["schemes"]["certlink"] == {"action": "useSystemDefault", "ask": False},
          "the example policy makes Firefox use the desktop's handler without asking which")
    check([e["protocol"] for e in example["AutoLaunchProtocolsFromOrigins"]] == ["certlink"],
          "the example policy lets the listed origins open certlink links")
    # what an administrator sets so that Firefox presents the certificate without a chooser: the shipped
    # docs/examples/firefox-client-certificate-policy.json, not a preference in the profile
    with open(os.path.join(here, "..", "..", "docs", "examples", "firefox-client-certificate-policy.json")) as f:
        client_cert = json.load(f)["policies"]["Preferences"]
    check(client_cert["security.default_personal_cert"]["Value"] == "Select Automatically",
          "the example policy makes Firefox present a matching certificate without asking")
    doc = {"Preferences": client_cert}
    if handlers:
        doc["Handlers"] = example["Handlers"]
    if auto_launch:
        doc["AutoLaunchProtocolsFromOrigins"] = [dict(example["AutoLaunchProtocolsFromOrigins"][0],
                                                      allowed_origins=[origin])]
    write_json("/etc/firefox/policies/policies.json", {"policies": doc})
    log(f"Firefox policies: {', '.join(sorted(doc))}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pointer_click(x, y):
    """A real click at X,Y on the X screen. (`xdotool mousemove --sync` to where the pointer already is waits
    for a motion that never comes, so the pointer is moved only when it is elsewhere.)"""
    at = dict(kv.split("=", 1) for kv in subprocess.run(["xdotool", "getmouselocation", "--shell"],
                                                        capture_output=True, text=True, timeout=30).stdout.split())
    log(f"pointer click at {x},{y}")
    move = [] if (at.get("X"), at.get("Y")) == (str(x), str(y)) else ["mousemove", "--sync", str(x), str(y)]
    subprocess.run(["xdotool"] + move + ["click", "1"], check=True, timeout=30)


PREFS = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "browser.tabs.warnOnClose": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "extensions.update.enabled": False,
    "browser.newtabpage.enabled": False,
    "remote.prefs.recommended": True,
}


FIREFOX_RESTART = "Firefox is open: it trusts the new certificate authority once you restart it."


def create_profile(firefox, env):
    """A profile as Firefox makes one (and lists in profiles.ini), never started yet."""
    profile = os.path.join(env["HOME"], "firefox-profile")
    r = subprocess.run([firefox, "--headless", "-CreateProfile", f"certlink-test {profile}"], env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and os.path.isdir(profile), f"firefox -CreateProfile ({r.stderr.strip()[-200:]})")
    lists = [p for p in (os.path.join(env["XDG_CONFIG_HOME"], "mozilla", "firefox", "profiles.ini"),
                         os.path.join(env["HOME"], ".mozilla", "firefox", "profiles.ini")) if os.path.exists(p)]
    check(lists and any(profile in open(p).read() for p in lists), f"the profile is listed in {lists}")
    log(f"profile listed in {lists[0]}")
    return profile


class Firefox:
    def __init__(self, binary, profile, env, sess):
        self.port = free_port()
        with open(os.path.join(profile, "user.js"), "w") as f:
            for k, v in dict(PREFS, **{"marionette.port": self.port}).items():
                f.write(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n")
        self.sess = sess
        self.proc = subprocess.Popen([binary, "--marionette", "-remote-allow-system-access", "--no-remote",
                                      "--profile", profile, "about:blank"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        guienv.STARTED.append(self.proc)
        self.m = Marionette(self.port, timeout=120)
        self.m.session()
        self.m.command("WebDriver:SetWindowRect", {"x": 0, "y": 0, "width": 1024, "height": 768})
        self.m.command("WebDriver:SetTimeouts", {"pageLoad": 20000})

    def accept_server_certificate(self, host, port, pem_path):
        """What "Accept the Risk and Continue" records: an exception for this certificate at this host and port
        only, never a trusted CA."""
        der_b64 = "".join(l for l in open(pem_path).read().split("-----END")[0].splitlines()[1:])
        self.m.context("chrome")
        try:
            self.m.script("""
                let db = Cc["@mozilla.org/security/x509certdb;1"].getService(Ci.nsIX509CertDB);
                let cert = db.constructX509FromBase64(arguments[2]);
                Cc["@mozilla.org/security/certoverride;1"].getService(Ci.nsICertOverrideService)
                  .rememberValidityOverride(arguments[0], arguments[1], {}, cert, true);""", host, port, der_b64)
        finally:
            self.m.context("content")

    def active_policies(self):
        self.m.context("chrome")
        try:
            return self.m.script("return Object.keys(Services.policies.getActivePolicies() || {})")
        finally:
            self.m.context("content")

    def load(self, url):
        """Navigate; an error page (a refused handshake) is no exception here: the caller checks the page."""
        try:
            self.m.navigate(url)
        except MarionetteError as e:
            log(f"navigate: {str(e)[:160]}")
        return self.m.script("return document.documentURI"), self.m.script(
            "return document.body ? document.body.innerText : ''")

    def screen_point(self, css):
        """Where the element is on the X screen (the page's own coordinates plus the window's)."""
        r = self.m.script("let r = document.querySelector(arguments[0]).getBoundingClientRect();"
                          "return [r.x + Math.min(40, r.width / 2), r.y + r.height / 2,"
                          " window.mozInnerScreenX, window.mozInnerScreenY]", css)
        return int(r[0] + r[2]), int(r[1] + r[3])

    def click(self, css):
        x, y = self.screen_point(css)
        wid = guienv.x_windows("Firefox's window", "--pid", str(self.proc.pid), timeout=60)
        subprocess.run(["xdotool", "windowfocus", "--sync", wid[-1]], timeout=30)
        pointer_click(x, y)

    def dialogs(self):
        """Firefox's own dialogs open in its windows (about the external protocol: chrome://mozapps/content/
        handling/...), with their text."""
        self.m.context("chrome")
        try:
            return self.m.script("""
                let out = [];
                for (let w of Services.wm.getEnumerator(null)) {
                  for (let f of w.document.querySelectorAll("browser, iframe")) {
                    let u = "";
                    try { u = f.currentURI ? f.currentURI.spec : (f.src || ""); } catch (e) {}
                    if (u.startsWith("chrome://mozapps/content/handling/")) {
                      let text = "";
                      try { text = f.contentDocument.documentElement.textContent; } catch (e) {}
                      out.push([u, text.replace(/\\s+/g, " ").trim()]);
                    }
                  }
                }
                return out;""")
        finally:
            self.m.context("content")

    def dialog_button(self, which):
        """Where the dialog's button WHICH ("accept", "cancel") is on the X screen, once it is enabled (Firefox
        enables Open Link only after a moment, so that a click meant for the page does not hit it)."""
        self.m.context("chrome")
        try:
            return self.m.script("""
                for (let w of Services.wm.getEnumerator(null)) {
                  for (let f of w.document.querySelectorAll("browser, iframe")) {
                    let u = "";
                    try { u = f.currentURI ? f.currentURI.spec : (f.src || ""); } catch (e) {}
                    if (!u.startsWith("chrome://mozapps/content/handling/")) continue;
                    let b = f.contentDocument.querySelector("dialog").getButton(arguments[0]);
                    if (b.disabled) return null;
                    let fr = f.getBoundingClientRect(), br = b.getBoundingClientRect();
                    return [Math.round(w.mozInnerScreenX + fr.x + br.x + br.width / 2),
                            Math.round(w.mozInnerScreenY + fr.y + br.y + br.height / 2)];
                  }
                }
                return null;""", which)
        finally:
            self.m.context("content")

    def press_dialog_button(self, which):
        x, y = guienv.wait_for(f"the {which} button of Firefox's question", lambda: self.dialog_button(which), 30)
        log(f"on {which}:")
        pointer_click(x, y)
        guienv.wait_for("the question to close", lambda: self.dialogs() == [], 30)

    def quit(self):
        self.m.quit()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def invite_on_admin_page(ff, sess):
    """Create a passwordless user-store invitation for frank on the admin page, as an administrator would."""
    ff.m.send_keys(ff.m.find("input[name=user]"), "frank")
    ff.m.script("document.querySelector('select[name=store]').value = 'user';"
                "document.querySelector('input[name=passwordless]').checked = true;")
    ff.m.click(ff.m.find("form[action='/admin/invite'] button[type=submit]"))
    link = ff.m.script("let a = document.getElementById('invitation-link'); return a ? a.href : null")
    check(link and link.startswith("certlink://127.0.0.1:"), f"the admin page shows the invitation ({link})")
    sess.screenshot("firefox-admin-invitation")


def profile_entries(profile):
    out = subprocess.run(["certutil", "-L", "-d", "sql:" + profile], capture_output=True, text=True).stdout
    entries = {}
    for line in out.splitlines()[4:]:
        m = re.match(r"^(.*\S)\s+(\S*,\S*,\S*)\s*$", line)
        if m:
            entries[m.group(1)] = m.group(2)
    return entries


def entry_holding(profile, pem):
    """The nickname and trust under which PROFILE holds the certificate PEM (text), or (None, None)."""
    body = pem.strip()
    for nick, trust in profile_entries(profile).items():
        r = subprocess.run(["certutil", "-L", "-d", "sql:" + profile, "-n", nick, "-a"], capture_output=True,
                           text=True)
        if body in r.stdout.replace("\r", ""):
            return nick, trust
    return None, None


def ca_common_name(pem):
    out = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-subject", "-nameopt", "multiline"],
                         capture_output=True, text=True).stdout
    return re.search(r"commonName\s*=\s*(.*)", out).group(1).strip()


def chromium_signin(chromium, env, site, shot, etc_policy, ca_cn):
    """Chromium (headless) opens the site with AutoSelectCertificateForUrls and saves a screenshot of the page
    in SHOT (when it loads); returns its DOM and stderr."""
    write_json(etc_policy, {"AutoSelectCertificateForUrls": [json.dumps(
        {"pattern": site.origin, "filter": {"ISSUER": {"CN": ca_cn}}})]})
    user_data = temp("certlink-firefox-chromium-")
    # the test site's own certificate is from a throwaway CA: not what this is about
    base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={user_data}", "--ignore-certificate-errors", "--window-size=1024,768"]
    dom = subprocess.run(base + ["--dump-dom", site.url], env=env, capture_output=True, text=True, timeout=120)
    subprocess.run(base + [f"--screenshot={shot}", site.url], env=env, capture_output=True, timeout=120)
    return dom.stdout, dom.stderr


def records_cert(env):
    """The only certificate in the person's records."""
    certs = json.load(open(os.path.join(env["XDG_DATA_HOME"], "certlink", "records.json")))["certificates"]
    check(len(certs) == 1, f"one certificate in the records ({[c['serial'] for c in certs]})")
    return certs[0]


def cert_file(env, cert):
    return open(os.path.join(env["XDG_DATA_HOME"], "certlink", "certs", cert["fingerprint"], "cert.pem")).read()


def signed_in(ff, site, cert, what):
    """FF opens the site, which saw exactly CERT (serial and SHA-256) on every connection since."""
    before = site.counts()[0]
    url, text = ff.load(site.url)
    serials, sha256s = site.since(before)
    # (every request presents it: the page and then its icon)
    check(serials and set(serials) == {cert["serial"]} and set(sha256s) == {cert["fingerprint"]},
          f"{what}: the site saw the certificate {cert['serial']} on every connection ({serials})")
    check(cert["serial"] in text, f"the page says so ({text[:80]!r})")


def refused(ff, site, what):
    seen, no_cert = site.counts()[0], site.refused_for_no_certificate()
    url, text = ff.load(site.url)
    check(site.counts()[0] == seen and site.refused_for_no_certificate() > no_cert and "Signed in" not in text,
          f"{what}: Firefox presented no certificate and the site refused it ({url[:40]})")


def server_page_trusted(ff, port):
    """Does FF open the reference server's page at https://localhost:PORT (a name no exception was ever
    recorded for: only a trusted CA can make it load) without a certificate error?"""
    url, _ = ff.load(f"https://localhost:{port}/admin")
    code = ff.m.script("try { return document.getFailedCertSecurityInfo().errorCodeString } catch (e) { return '' }")
    log(f"https://localhost:{port}/admin -> {url[:60]} {code}")
    return not url.startswith("about:certerror") and not url.startswith("about:neterror")


def handler_gone(tree):
    return not any(c.name == "certlink-handler" for c in tree.root.applications())


def main():
    in_private_namespace()
    p = argparse.ArgumentParser()
    for opt in ("--handler", "--server", "--cli", "--artifacts"):
        p.add_argument(opt, required=True)
    p.add_argument("--firefox", default="firefox-esr")
    p.add_argument("--chromium", default="chromium")
    a = p.parse_args()
    sess = guienv.GuiSession(a.artifacts, "firefox")
    server = RefServer(a.server)

    def body():
        sess.start()
        server.start({"auto_approve": "true"})
        overlay_etc()
        server.add_user("frank", "frank pw")
        origin = f"https://127.0.0.1:{server.port}"
        home, env = guienv.private_home()
        env.update(XDG_DATA_DIRS="/usr/share", XDG_CONFIG_DIRS="/etc/xdg")
        full = dict(os.environ, **env)
        reg = subprocess.run([a.cli, "register-scheme", "--handler", os.path.abspath(a.handler)], env=full,
                             capture_output=True, text=True, timeout=120)
        check(reg.returncode == 0, f"certlink register-scheme succeeded ({reg.stderr.strip()})")
        nssdb = os.path.join(home, ".pki", "nssdb")  # as Chromium makes it on its first start
        os.makedirs(nssdb)
        subprocess.run(["certutil", "-N", "-d", "sql:" + nssdb, "--empty-password"], check=True,
                       capture_output=True)
        profile = create_profile(a.firefox, full)
        site = CertSite(server.ca_pem(), temp("certlink-firefox-site-"))
        server_tls = os.path.join(server.state, "tls.pem")
        token = open(os.path.join(server.dir, "admin-token")).read().strip()
        chromium_policy = "/etc/chromium/policies/managed/certlink-test.json"
        ca_cn = ca_common_name(server.ca_pem())
        firefox_policies(origin, handlers=True, auto_launch=True)

        # ---- 1. Firefox with the example policy: refused, then the click, then signed in ----
        ff = Firefox(a.firefox, profile, full, sess)
        check(set(ff.active_policies()) >= {"Handlers", "AutoLaunchProtocolsFromOrigins", "Preferences"},
              f"Firefox applied the policies ({ff.active_policies()})")
        ff.accept_server_certificate("127.0.0.1", server.port, server_tls)
        ff.accept_server_certificate("127.0.0.1", site.port, site.cert_pem)
        refused(ff, site, "before enrolling")
        sess.screenshot("firefox-not-enrolled-refused")
        ff.load(f"{origin}/admin?token={token}")
        invite_on_admin_page(ff, sess)
        ff.click("#invitation-link")
        tree = guienv.dogtail()
        app = guienv.app_node(tree, timeout=120)
        win = guienv.window(app, handler_gui.MAIN_TITLE)
        check(ff.dialogs() == [], "Firefox asked nothing before handing the link over (the policy)")
        w = handler_gui.Watcher(sess, app)
        handler_gui.until_end_answering_ca(sess, app, w, win, server)
        sess.screenshot("installed-from-firefox")
        check(w.dialogs_seen == [handler_gui.CA_DIALOG], f"only the CA question was asked ({w.dialogs_seen})")
        handler_gui.check_installed_certificate(handler_gui.result_fields(win), server, "frank")
        check(FIREFOX_RESTART not in (guienv.label_starting(win, "Certificate: ") or ""),
              "no CA was trusted, so nothing to restart Firefox for")
        guienv.press(win, "Close")
        guienv.wait_for("the handler's window to close", lambda: handler_gone(tree), 60)
        first = records_cert(env)
        kinds = sorted({l["kind"] for l in first["locations"]})
        check("firefox-certificate" in kinds, f"the records list the Firefox profile ({kinds})")
        first_pem = cert_file(env, first)
        nick, trust = entry_holding(profile, first_pem)
        check(trust == "u,u,u", f"the profile holds the certificate with its key ({nick}: {trust})")
        _, ca_trust = entry_holding(profile, open(server.ca_pem()).read())
        check(ca_trust == ",,", f"without consent the CA is in the profile for the chain only ({ca_trust})")
        # the running Firefox took the import made while it ran
        signed_in(ff, site, first, "the running Firefox signed in with the enrolled certificate")
        sess.screenshot("firefox-signed-in")

        # ---- 2. Chromium: the same certificate; an account without it is refused ----
        def chromium(env_, shot):
            n = site.counts()[0]
            dom, err = chromium_signin(a.chromium, env_, site, os.path.join(sess.artifacts, shot), chromium_policy,
                                       ca_cn)
            return dom, err, site.since(n)
        dom, err, (serials, sha256s) = chromium(full, "chromium-signed-in.png")
        check(serials and set(serials) == {first["serial"]} and set(sha256s) == {first["fingerprint"]},
              f"Chromium signed in with the enrolled certificate ({serials})")
        check(f">{first['serial']}<" in dom, "Chromium shows the signed-in page")
        check(os.path.getsize(os.path.join(sess.artifacts, "chromium-signed-in.png")) > 0, "Chromium's screenshot")
        other_home, other_env = guienv.private_home()
        other_nss = os.path.join(other_home, ".pki", "nssdb")
        os.makedirs(other_nss)
        subprocess.run(["certutil", "-N", "-d", "sql:" + other_nss, "--empty-password"], check=True,
                       capture_output=True)
        no_cert = site.refused_for_no_certificate()
        dom, err, (serials, _) = chromium(dict(os.environ, **other_env), "chromium-not-enrolled.png")
        check(serials == [] and site.refused_for_no_certificate() > no_cert and "Signed in" not in dom,
              f"a Chromium that has not enrolled is refused ({err.strip()[-120:]})")

        ff.quit()

        # ---- 3. Firefox started again: the CA, in the profile for the chain, is trusted for nothing; renewal
        # while Firefox runs: both browsers present the new certificate, never the old ----
        ff = Firefox(a.firefox, profile, full, sess)
        ff.accept_server_certificate("127.0.0.1", site.port, site.cert_pem)
        check(not server_page_trusted(ff, server.port),
              "Don't Trust: Firefox does not trust the server's CA (its page under a name without an exception "
              "shows a certificate error)")
        sess.screenshot("firefox-ca-not-trusted")
        r = subprocess.run([a.cli, "renew", first["serial"], "--password-stdin", "--no-notify"], env=full,
                           input="frank pw\n", capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"certlink renew, while Firefox runs ({r.stderr.strip()[-200:]})")
        renewed = records_cert(env)
        check(renewed["serial"] != first["serial"], f"a new certificate ({renewed['serial']})")
        renewed_pem = cert_file(env, renewed)
        nick, trust = entry_holding(profile, renewed_pem)
        check(trust == "u,u,u" and renewed["serial"] in nick,
              f"the profile holds the new certificate with its key, under its own nickname ({nick}: {trust})")
        check(entry_holding(profile, first_pem) == (None, None), "the old certificate left the profile")
        signed_in(ff, site, renewed, "the running Firefox signed in with the renewed certificate")
        sess.screenshot("firefox-signed-in-renewed")
        dom, err, (serials, sha256s) = chromium(full, "chromium-signed-in-renewed.png")
        check(serials and set(serials) == {renewed["serial"]} and set(sha256s) == {renewed["fingerprint"]},
              f"Chromium signed in with the renewed certificate ({serials})")

        # ---- 4. delete while Firefox runs: it leaves the profile, and the running Firefox has it no more ----
        r = subprocess.run([a.cli, "delete", renewed["serial"]], env=full, capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0, f"certlink delete, while Firefox runs ({r.stderr.strip()})")
        check(entry_holding(profile, renewed_pem) == (None, None), "the certificate left the Firefox profile")
        check(not any(t == "u,u,u" for t in profile_entries(profile).values()), "no key of certlink's is left")
        refused(ff, site, "after the delete, the running Firefox")
        sess.screenshot("firefox-after-delete-refused")
        ff.quit()
        for db in ("cert9.db", "key4.db"):  # written by certlink while Firefox had them open
            with sqlite3.connect(f"file:{os.path.join(profile, db)}?mode=ro", uri=True) as c:
                ok = c.execute("PRAGMA integrity_check").fetchone()[0]
            check(ok == "ok", f"the profile's {db} is intact after Firefox and certlink used it at once ({ok})")

        # ---- 5. no policy for the scheme (a person's first time): Firefox's question; Cancel, then Open Link ----
        firefox_policies(origin, handlers=False, auto_launch=False)
        ff = Firefox(a.firefox, profile, full, sess)
        ff.accept_server_certificate("127.0.0.1", server.port, server_tls)
        ff.accept_server_certificate("127.0.0.1", site.port, site.cert_pem)
        refused(ff, site, "started again after the delete")
        ff.load(f"{origin}/admin")  # the admin session of the first run is still open
        invite_on_admin_page(ff, sess)
        ff.click("#invitation-link")
        shown = guienv.wait_for("Firefox's question about the certlink link",
                                lambda: [d for d in ff.dialogs() if "certlink" in d[1]], 30)
        sess.screenshot("firefox-first-click-question")
        log(f"Firefox asks: {shown[0][1][:200]}")
        # the application it names is the desktop's default for the scheme: the entry register-scheme wrote
        check("open the certlink link with certlink Certificate Enrollment" in shown[0][1],
              f"the question names the link and the desktop's handler entry ({shown[0][1][:120]})")
        ff.press_dialog_button("cancel")
        time.sleep(2)
        check(handler_gone(tree), "Cancel: no handler started")
        ff.click("#invitation-link")
        guienv.wait_for("Firefox's question again", lambda: [d for d in ff.dialogs() if "certlink" in d[1]], 30)
        ff.press_dialog_button("accept")
        app = guienv.app_node(tree, timeout=120)
        win = guienv.window(app, handler_gui.MAIN_TITLE)
        log("Open Link started certlink-handler")
        w = handler_gui.Watcher(sess, app)
        handler_gui.until_end_answering_ca(sess, app, w, win, server, "Trust")
        sess.screenshot("installed-after-open-link-ca-trusted")
        # the running Firefox holds its profile's lock: the end page tells the person to restart it for the CA
        end_text = guienv.label_starting(win, "Certificate: ") or ""
        check(FIREFOX_RESTART in end_text,
              f"the end page says the open Firefox trusts the CA once restarted ({end_text[-160:]!r})")
        guienv.press(win, "Close")
        guienv.wait_for("the handler's window to close", lambda: handler_gone(tree), 60)
        third = records_cert(env)
        _, ca_trust = entry_holding(profile, open(server.ca_pem()).read())
        check(ca_trust == "C,,", f"with the person's yes the CA is trusted for TLS in the profile ({ca_trust})")
        check(any(l["kind"] == "firefox-ca" for l in third["locations"]), "and that trust is recorded")
        # (NSS in a running Firefox keeps the trust it read at start: a CA trusted meanwhile counts from
        # Firefox's next start, checked below; the certificate itself was used at once)
        signed_in(ff, site, third, "the running Firefox signed in with the certificate enrolled after Open Link")
        ff.quit()

        # ---- 6. started again with Handlers alone: the consented CA is trusted; the question still comes (only
        # AutoLaunchProtocolsFromOrigins skips it) ----
        firefox_policies(origin, handlers=True, auto_launch=False)
        ff = Firefox(a.firefox, profile, full, sess)
        check("Handlers" in ff.active_policies(), "Firefox applied the Handlers policy")
        check(server_page_trusted(ff, server.port),
              "Firefox trusts the CA the person said yes to: the server's page opens without a certificate error")
        sess.screenshot("firefox-ca-trusted")
        ff.load(f"{origin}/admin")  # no exception needed any more
        invite_on_admin_page(ff, sess)
        ff.click("#invitation-link")
        shown = guienv.wait_for("Firefox's question under the Handlers policy alone",
                                lambda: [d for d in ff.dialogs() if "certlink" in d[1]], 30)
        sess.screenshot("firefox-handlers-policy-alone-question")
        ff.press_dialog_button("cancel")
        time.sleep(2)
        check(handler_gone(tree), "Cancel: no handler started")
        ff.quit()
        site.stop()

    try:
        guienv.main_wrapper(lambda: run(body, sess))
    finally:
        server.cleanup()


def run(body, sess):
    try:
        body()
    except guienv.Failure:
        sess.screenshot("failure")
        raise
    finally:
        sess.stop()
        subprocess.run(["umount", "/etc"], stderr=subprocess.DEVNULL)  # the overlay, before its directories go
        for d in TEMPS:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
