#!/usr/bin/python3
"""The profile's networks in the windows (labels network and gui): the progress window's end page names the
NetworkManager connections an enrollment set up, and the manager's details list the connections a
certificate backs. Screenshots of both go to CERTLINK_ARTIFACTS (network-end-page.png,
network-manager-details.png); assertions are on the texts and on NetworkManager, never on pixels.

Runs in the private NetworkManager of netenv.py (with its own session bus, Xvfb and the accessibility bus
inside the namespaces), against the reference server with a Wi-Fi and a wired network for the user store.
"""
import json
import os
import shutil
import subprocess
import tempfile
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "gui"))
import netenv  # noqa: E402

netenv.enter(extra_tools=("Xvfb", "dbus-run-session", "import"))
if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or os.environ.get("CERTLINK_NETENV_SESSION") != "1":
    # a session bus of this namespace (the caller's may be an abstract socket of another network namespace)
    os.environ["CERTLINK_NETENV_SESSION"] = "1"
    os.execvp("dbus-run-session", ["dbus-run-session", "--", sys.executable] + sys.argv)

import guienv  # noqa: E402
import handler_gui  # noqa: E402
import managergui as mg  # noqa: E402
from guienv import check, log  # noqa: E402
from refserver import RefServer  # noqa: E402

HANDLER = os.environ.get("CERTLINK_HANDLER", "")
SERVER = os.environ.get("CERTLINK_SERVER", "")
NETCONF = os.environ.get("CERTLINK_NETCONF", "")
ARTIFACTS = os.environ.get("CERTLINK_ARTIFACTS", os.path.join(os.getcwd(), "artifacts"))
SERVICE = "Example Corp"
NETWORKS = [
    {"type": "wifi", "ssids": [{"ssid": "CorpWiFi"}], "security": "wpa2-enterprise", "eap": "tls",
     "domain_suffix_match": "radius.example.com"},
    {"type": "wired", "eap": "tls", "altsubject_matches": ["DNS:radius.example.com"]},
]
NAMES = ["%s (CorpWiFi)" % SERVICE, "%s (wired)" % SERVICE]


def nm_names():
    out = subprocess.run(["nmcli", "-t", "-f", "NAME", "connection", "show"], capture_output=True, text=True).stdout
    return set(out.splitlines())


def body(sess, server):
    server.add_user("alice")
    link = server.invite("alice", store="user", passwordless=True)
    home, env = guienv.private_home()
    env["CERTLINK_NETCONF"] = NETCONF
    proc = guienv.start_handler(HANDLER, link, env)
    tree = guienv.dogtail()
    app = guienv.app_node(tree)
    win = guienv.window(app, handler_gui.MAIN_TITLE)
    w = handler_gui.Watcher(sess, app)
    handler_gui.until_end_answering_ca(sess, app, w, win, server, "Don't Trust")
    details = guienv.label_starting(win, "Certificate: ") or ""
    for name in NAMES:
        check("Network connection: " + name in details, f"the end page names the connection {name}")
    path = sess.screenshot("end-page")
    os.replace(path, os.path.join(ARTIFACTS, "network-end-page.png"))
    check(set(NAMES) <= nm_names(), "NetworkManager has both connections")
    handler_gui.finish(win, proc, 0)

    # the manager, for the same person: the certificate's details list its connections
    with open(os.path.join(env["XDG_DATA_HOME"], "certlink", "records.json")) as f:
        serial = json.load(f)["certificates"][0]["serial"]
    account = type("Account", (), {"env": env, "path": lambda self, *p: os.path.join(home, *p)})()
    mgr = mg.Manager(account, ["--page", "certificates"])
    try:
        mapp = mgr.node(tree)
        mg.window(mapp, "Certificates")
        certs = mg.page(mapp, "Certificates")
        mg.row_menu(mapp, certs, f"serial {serial}", "Details")
        det = mg.window(mapp, "Details: alice")
        mg.label(det, "Network connections")
        mg.label(det, "\n".join(NAMES))
        check(True, "the details list the certificate's network connections")
        shot = os.path.join(ARTIFACTS, "network-manager-details.png")
        subprocess.run(["import", "-window", "root", shot], check=False, stderr=subprocess.DEVNULL)
        log(f"screenshot {shot}")
        mg.press(det, "Close")
    finally:
        mgr.stop()


def main():
    if not (HANDLER and SERVER and NETCONF and os.access(NETCONF, os.X_OK)):
        netenv.skip("certlink-handler, certlink-server or certlink-netconf was not built")
    tmp_root = os.environ.get("CERTLINK_TEST_TMP") or None
    if tmp_root:  # a fresh build tree has none until a test makes it; network-nm-radius may not have run yet
        os.makedirs(tmp_root, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="certlink-netgui-", dir=tmp_root)
    env = netenv.NetEnv(workdir).start()
    os.makedirs(ARTIFACTS, exist_ok=True)
    sess = guienv.GuiSession(ARTIFACTS, "network-gui")
    server = RefServer(SERVER)

    def run():
        sess.start()
        server.start({"auto_approve": "true", "service_name": SERVICE, "network_user": json.dumps(NETWORKS)})
        try:
            body(sess, server)
        except guienv.Failure:
            sess.screenshot("failure")
            raise
        finally:
            server.cleanup()
            sess.stop()
    try:
        guienv.main_wrapper(run)
    finally:
        env.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
