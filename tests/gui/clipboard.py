"""Print the text on the X clipboard (GTK 4), for tests that check what a Copy button put there."""
import sys

import gi

gi.require_version("Gtk", "4.0")
gi.require_version("Gdk", "4.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

Gtk.init()
loop = GLib.MainLoop()
result = {"text": None}


def done(clipboard, res):
    try:
        result["text"] = clipboard.read_text_finish(res)
    except GLib.Error as e:
        print(f"clipboard: {e.message}", file=sys.stderr)
    loop.quit()


Gdk.Display.get_default().get_clipboard().read_text_async(None, done)
GLib.timeout_add_seconds(10, loop.quit)
loop.run()
if result["text"] is None:
    sys.exit(1)
print(result["text"], end="")
