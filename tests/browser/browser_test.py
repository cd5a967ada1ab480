#!/usr/bin/python3
"""A certlink:// link clicked in a real browser reaches certlink-handler (label browser).

usage: browser_test.py --handler PATH --server PATH --cli PATH --artifacts DIR   (under dbus-run-session, root)

Chromium runs under Xvfb with a managed policy that lets http://127.0.0.1:PORT open certlink:// links
without asking (AutoLaunchProtocolsFromOrigins). The policy must live in /etc/chromium/policies/managed/, so
the test re-runs itself in a private mount namespace with a temporary directory bound over /etc/chromium: the
real /etc is never touched. A fresh account registers the scheme with `certlink register-scheme`; the page
shows one link; a pointer click on it (xdotool) makes Chromium hand the link to xdg-open, which starts the
handler's window; the test waits for the end page and checks the installed certificate, as the GUI tests do.
"""
import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gui"))
import guienv  # noqa: E402
from guienv import check  # noqa: E402
from refserver import RefServer  # noqa: E402
import handler_gui  # noqa: E402

SKIP = 77
TEMPS = []


def in_private_namespace():
    if os.environ.get("CERTLINK_BROWSER_NS") == "1":
        return
    if os.geteuid() != 0:
        print("skipped: needs root for a private mount namespace over /etc/chromium")
        sys.exit(SKIP)
    env = dict(os.environ, CERTLINK_BROWSER_NS="1")
    os.execvpe("unshare", ["unshare", "--mount", sys.executable] + sys.argv, env)


def policy_dir(origin):
    etc = tempfile.mkdtemp(prefix="certlink-browser-etc-")
    TEMPS.append(etc)
    if os.path.exists("/etc/chromium/master_preferences"):
        shutil.copy("/etc/chromium/master_preferences", etc)
    os.makedirs(os.path.join(etc, "policies", "managed"))
    with open(os.path.join(etc, "policies", "managed", "certlink-test.json"), "w") as f:
        json.dump({"AutoLaunchProtocolsFromOrigins": [{"protocol": "certlink", "allowed_origins": [origin]}],
                   "ExternalProtocolDialogShowAlwaysOpenCheckbox": True}, f)
    subprocess.run(["mount", "--bind", etc, "/etc/chromium"], check=True)
    return etc


def serve_page(link):
    page = ("<!doctype html><title>certlink invitation</title>"
            "<style>a{display:block;position:fixed;inset:0;font:32px sans-serif;padding:40px}</style>"
            f"<a id=invite href=\"{link}\">Get your certificate</a>").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main():
    in_private_namespace()
    p = argparse.ArgumentParser()
    p.add_argument("--handler", required=True)
    p.add_argument("--server", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--artifacts", required=True)
    p.add_argument("--chromium", default="chromium")
    a = p.parse_args()
    sess = guienv.GuiSession(a.artifacts, "browser")
    server = RefServer(a.server)

    def body():
        sess.start()
        server.start({"auto_approve": "true"})
        try:
            server.add_user("frank")
            link = server.invite("frank", store="user", passwordless=True)
            httpd = serve_page(link)
            origin = f"http://127.0.0.1:{httpd.server_address[1]}"
            policy_dir(origin)
            home, env = guienv.private_home()
            env.update(XDG_DATA_DIRS="/usr/share", XDG_CONFIG_DIRS="/etc/xdg")
            full = dict(os.environ, **env)
            reg = subprocess.run([a.cli, "register-scheme", "--handler", os.path.abspath(a.handler)], env=full,
                                 capture_output=True, text=True, timeout=120)
            check(reg.returncode == 0, "certlink register-scheme succeeded")
            profile = tempfile.mkdtemp(prefix="certlink-browser-profile-")
            TEMPS.append(profile)
            browser = subprocess.Popen([a.chromium, "--no-sandbox", f"--user-data-dir={profile}", "--no-first-run",
                                        "--disable-gpu", "--window-position=0,0", "--window-size=900,600",
                                        "--password-store=basic", origin + "/"], env=full,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            guienv.STARTED.append(browser)
            wid = guienv.x_windows("Chromium showing the invitation page", "--name", "certlink invitation")
            sess.screenshot("page")
            subprocess.run(["xdotool", "windowfocus", "--sync", wid[0]], check=True, timeout=30)
            subprocess.run(["xdotool", "mousemove", "--window", wid[0], "300", "300", "click", "1"], check=True,
                           timeout=30)
            tree = guienv.dogtail()
            app = guienv.app_node(tree, timeout=120)
            win = guienv.window(app, handler_gui.MAIN_TITLE)
            w = handler_gui.Watcher(sess, app)
            # the only question: install the server's CA as trusted? (a pin is not consent) Don't Trust
            handler_gui.until_end_answering_ca(sess, app, w, win, server)
            sess.screenshot("installed-from-browser")
            check(w.dialogs_seen == [handler_gui.CA_DIALOG], f"only the CA question was asked ({w.dialogs_seen})")
            handler_gui.check_installed_certificate(handler_gui.result_fields(win), server, "frank")
            guienv.press(win, "Close")
            httpd.shutdown()
        except guienv.Failure:
            sess.screenshot("failure")
            raise
        finally:
            server.cleanup()
            sess.stop()
            for d in TEMPS:
                shutil.rmtree(d, ignore_errors=True)
    guienv.main_wrapper(body)


if __name__ == "__main__":
    main()
