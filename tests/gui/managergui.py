"""GUI test support for certlink-manager: a private X display (Xvfb) on the test's private session bus,
the accessibility bus, screenshots, and small dogtail helpers that find widgets the way a person does (by
the text on them).

A test runs under `dbus-run-session`, creates a Display before importing anything from dogtail, starts the
manager with Manager(...), and drives the real widgets through AT-SPI. Assertions are on what the person
would check (the list, the store, the records), never on pixels; screenshots are artifacts to look at.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from certlinktest import Failure, log, wait_for  # noqa: E402,F401

MANAGER = os.environ.get("CERTLINK_MANAGER_BIN", "certlink-manager")


class Display:
    def __init__(self, artifacts):
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise Failure("no session bus: run under dbus-run-session")
        self.artifacts = artifacts
        shutil.rmtree(artifacts, ignore_errors=True)  # no stale screenshot from an earlier run
        os.makedirs(artifacts)
        r, w = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x720x24", "-nolisten",
                                      "tcp", "-noreset"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(w)
        number = b""
        with os.fdopen(r, "rb") as f:
            while not number.endswith(b"\n"):
                c = f.read(1)
                if not c:
                    raise Failure("Xvfb did not start")
                number += c
        os.environ["DISPLAY"] = ":" + number.decode().strip()
        os.environ["GDK_BACKEND"] = "x11"
        os.environ.pop("WAYLAND_DISPLAY", None)
        os.environ.pop("NO_AT_BRIDGE", None)
        os.environ["GTK_MODULES"] = "gail:atk-bridge"  # dogtail checks that accessibility is on
        os.environ.setdefault("GSETTINGS_BACKEND", "memory")
        os.environ["GTK_A11Y"] = "atspi"
        log(f"display {os.environ['DISPLAY']}, screenshots in {artifacts}")
        # ctest's timeout sends SIGTERM: stop the X server we started on the way out
        atexit.register(self.stop)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    def screenshot(self, name):
        time.sleep(0.6)  # let a page's crossfade finish
        path = os.path.join(self.artifacts, name + ".png")
        subprocess.run(["import", "-window", "root", path], check=False, stderr=subprocess.DEVNULL)
        log(f"screenshot {path}")
        return path

    def stop(self):
        if self.xvfb and self.xvfb.poll() is None:
            self.xvfb.terminate()
            self.xvfb.wait(10)


class Manager:
    """certlink-manager for an Account; stop() ends it by its PID."""

    def __init__(self, account, args=(), env_extra=None):
        env = dict(os.environ)
        env.update(account.env)
        env.update(env_extra or {})
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")  # GTK and fontconfig keep caches for the process
        self.log_path = account.path("manager.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([MANAGER] + list(args), env=env, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        self.app = None

    def node(self, tree, timeout=60):
        if self.app is None:
            self.app = wait_for("certlink-manager on the accessibility bus", lambda: next(
                (a for a in tree.root.applications() if a.name == "certlink-manager"), None), timeout)
        return self.app

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]


def dogtail():
    from dogtail import tree
    from dogtail.config import config
    config.searchCutoffCount = 10
    config.searchBackoffDuration = 0.3
    config.defaultDelay = 0.2
    config.actionDelay = 0.2
    config.typingDelay = 0.02
    config.logDebugToFile = False
    config.logDebugToStdOut = False
    return tree


def find_all(node, pred, max_depth=40):
    found = []

    def walk(n, depth):
        if depth > max_depth:
            return
        try:
            if pred(n):
                found.append(n)
            for c in n.children:
                walk(c, depth + 1)
        except Exception:
            pass
    walk(node, 0)
    return found


def window(app, title, timeout=60):
    try:
        return wait_for(f"window '{title}'", lambda: next(
            (w for w in app.children if w.name == title), None),
            timeout)
    except Failure:
        log("windows: " + ", ".join(f"{w.roleName} {w.name!r}" for w in app.children))
        raise


def window_starting(app, prefix, timeout=60):
    """The window whose title starts with PREFIX (an operation's window names what it works on)."""
    try:
        return wait_for(f"window '{prefix}...'", lambda: next(
            (w for w in app.children if (w.name or "").startswith(prefix)), None), timeout)
    except Failure:
        log("windows: " + ", ".join(f"{w.roleName} {w.name!r}" for w in app.children))
        raise


def window_gone(app, title, timeout=60):
    wait_for(f"window '{title}' to close", lambda: not any(w.name == title for w in app.children),
             timeout)


def labels(node):
    return [n.name for n in find_all(node, lambda n: n.roleName == "label")]


def unwrapped(name):
    """A label's text without the line breaks the window put in to wrap it well (ui/label-wrap.c: a space
    before a break stays, so this is the text as set)."""
    return (name or "").replace("\n", "")


def label(node, text, timeout=60):
    return wait_for(f"text '{text}'", lambda: next(iter(find_all(
        node, lambda n: n.roleName == "label" and (n.name == text or unwrapped(n.name) == text))), None), timeout)


def label_containing(node, text, timeout=60):
    return wait_for(f"text containing '{text}'", lambda: next(iter(find_all(
        node, lambda n: n.roleName == "label" and (text in (n.name or "") or text in unwrapped(n.name)))), None),
        timeout)


def control(node, role, text):
    def pred(n):
        if n.roleName != role:
            return False
        return n.name == text or any(c.roleName == "label" and c.name == text for c in n.children)
    hits = find_all(node, pred)
    return hits[0] if hits else None


def press(node, text, role="push button", timeout=60):
    target = wait_for(f"{role} '{text}'", lambda: control(node, role, text), timeout)
    wait_for(f"{role} '{text}' enabled", lambda: target.sensitive, timeout)
    log(f"press '{text}'")
    target.doActionNamed("click")
    return target


def focus_window(title):
    """Give the X input focus to the window with this title (there is no window manager to do it)."""
    r = subprocess.run(["xdotool", "search", "--sync", "--limit", "1", "--name", "^" + title + "$", "windowfocus",
                        "--sync"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Failure(f"could not focus window '{title}': {r.stderr.strip()}")


def keys(*names):
    """Press keys with XTest (xdotool names: ctrl+a, BackSpace, Tab, Return)."""
    subprocess.run(["xdotool", "key", "--delay", "50"] + list(names), check=True, timeout=30)
    time.sleep(0.2)


def type_text(window_node, text, replace=True):
    """Type into the widget that has the keyboard focus in window_node (the page puts it where the person
    starts typing), replacing what is there."""
    focus_window(window_node.name)
    time.sleep(0.3)
    if replace:
        keys("ctrl+a", "BackSpace")
    subprocess.run(["xdotool", "type", "--delay", "30", text], check=True, timeout=60)
    time.sleep(0.3)


def focused(node):
    import pyatspi
    hits = find_all(node, lambda n: n.getState().contains(pyatspi.STATE_FOCUSED))
    return hits[0] if hits else None


def dump(node, depth=0, max_depth=30):
    try:
        print("  " * depth + f"{node.roleName}: {node.name!r} showing={node.showing}")
        if depth < max_depth:
            for c in node.children:
                dump(c, depth + 1, max_depth)
    except Exception as e:
        print("  " * depth + f"<{e}>")


# ---- certlink-manager specific ----

def page(app, title, timeout=60):
    """A page of the main window's stack, by its title (every page stays in the tree; GTK 4.8 does not report
    which one shows, so searches are scoped to one page)."""
    return wait_for(f"page '{title}'", lambda: next(iter(find_all(
        app, lambda n: n.roleName == "panel" and n.name == title, max_depth=4)), None), timeout)


def row(node, text, timeout=60):
    """The list row (list item) that shows a label containing text."""
    def find():
        for item in find_all(node, lambda n: n.roleName == "list item"):
            if find_all(item, lambda n: n.roleName == "label" and text in (n.name or "")):
                return item
        return None
    return wait_for(f"a row with '{text}'", find, timeout)


def no_row(node, text, timeout=60):
    def gone():
        for item in find_all(node, lambda n: n.roleName == "list item"):
            if find_all(item, lambda n: n.roleName == "label" and text in (n.name or "")):
                return False
        return True
    wait_for(f"the row with '{text}' to go", gone, timeout)


def row_texts(item):
    return [n.name for n in find_all(item, lambda n: n.roleName == "label")]


def row_menu(app, node, text, item_name, timeout=60):
    """Open the Actions menu of the row showing text and choose item_name, as a person does."""
    r = row(node, text, timeout)
    toggle = wait_for("the row's Actions button", lambda: next(iter(find_all(
        r, lambda n: n.roleName in ("push button", "toggle button") and n.name == "Actions" and
        "click" in n.actions)), None), timeout)
    log(f"row '{text}': Actions > {item_name}")
    toggle.doActionNamed("click")
    item = wait_for(f"menu item '{item_name}'", lambda: next(iter(find_all(
        app, lambda n: n.roleName == "menu item" and n.name == item_name)), None), timeout)
    time.sleep(0.3)
    item.doActionNamed("click")
