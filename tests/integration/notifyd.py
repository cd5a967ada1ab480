#!/usr/bin/env python3
"""A stand-in notification server for tests: owns org.freedesktop.Notifications on the session bus, appends
every Notify call to a JSON-lines file, and clicks on request.

    notifyd.py LOG [--click-file F]

Each received notification is one line {"id", "app", "summary", "body", "actions", "hints", "uid"} (uid: the
Unix user of the connection that sent it, as the bus daemon knows it). When the file
named by --click-file appears, holding "ID ACTION", the server emits ActionInvoked(ID, ACTION) and then
NotificationClosed(ID, 2), as a desktop does when a person clicks a notification; the file is removed.
Writes "ready" to stdout once the name is owned.
"""
import json
import os
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>
"""
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"


def main():
    log = sys.argv[1]
    click_file = sys.argv[sys.argv.index("--click-file") + 1] if "--click-file" in sys.argv else None
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    state = {"next": 1, "conn": None}
    loop = GLib.MainLoop()

    def call(conn, sender, path, iface, method, params, invocation):
        if method == "Notify":
            app, _replaces, _icon, summary, body, actions, hints, _timeout = params.unpack()
            nid = state["next"]
            state["next"] += 1
            uid = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "GetConnectionUnixUser", GLib.Variant("(s)", (sender,)), GLib.VariantType("(u)"),
                                 Gio.DBusCallFlags.NONE, -1, None).unpack()[0]
            with open(log, "a") as f:
                f.write(json.dumps({"id": nid, "app": app, "summary": summary, "body": body, "actions": actions,
                                    "hints": {k: str(v) for k, v in hints.items()}, "uid": uid}) + "\n")
            invocation.return_value(GLib.Variant("(u)", (nid,)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("notifyd.py", "certlink tests", "1", "1.2")))
        else:
            invocation.return_value(None)

    def poll_click():
        if click_file and os.path.exists(click_file) and state["conn"]:
            with open(click_file) as f:
                nid, action = f.read().split()
            os.unlink(click_file)
            state["conn"].emit_signal(None, PATH, IFACE, "ActionInvoked", GLib.Variant("(us)", (int(nid), action)))
            state["conn"].emit_signal(None, PATH, IFACE, "NotificationClosed", GLib.Variant("(uu)", (int(nid), 2)))
        return True

    def acquired(conn, name):
        state["conn"] = conn
        conn.register_object(PATH, node.interfaces[0], call, None, None)
        print("ready", flush=True)

    def lost(conn, name):
        print("could not own " + name, file=sys.stderr)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, IFACE, Gio.BusNameOwnerFlags.NONE, None, acquired, lost)
    GLib.timeout_add(100, poll_click)
    loop.run()


if __name__ == "__main__":
    main()
