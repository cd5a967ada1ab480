"""certlink GUI tests: a private X display, the accessibility bus, screenshots and dogtail helpers.

A test script runs under `dbus-run-session` (ctest does that), calls `GuiSession.start()` before importing
anything from dogtail, and drives certlink-handler's real window through AT-SPI. Screenshots of each stage
go to the artifacts directory; assertions are on what was installed, never on pixels.
"""
import ctypes
import faulthandler
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback


def log(msg):
    print(f"[gui] {msg}", flush=True)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    log(f"ok: {what}")


def _die_with_parent():
    # Xvfb must not outlive a test that is killed (ctest timeout): PR_SET_PDEATHSIG.
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


class GuiSession:
    def __init__(self, artifacts, name):
        self.artifacts = os.path.join(artifacts, name)
        self.xvfb = None
        self.shot_no = 0

    def start(self):
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise Failure("no session bus: run under dbus-run-session")
        shutil.rmtree(self.artifacts, ignore_errors=True)
        os.makedirs(self.artifacts)
        r, w = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x720x24", "-nolisten",
                                      "tcp", "-noreset"], pass_fds=(w,), stderr=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
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
        # dogtail refuses to start unless it believes accessibility is on; GTK 4 always talks AT-SPI.
        os.environ["GTK_MODULES"] = "gail:atk-bridge"
        os.environ.setdefault("GSETTINGS_BACKEND", "memory")
        # Xvfb has no GPU: software GL only adds start-up time, and Mesa's driver, unloaded at exit, shows up
        # as a leak from an unknown module under LeakSanitizer. Cairo draws the same widgets.
        os.environ["GDK_DEBUG"] = "gl-disable"
        os.environ["GSK_RENDERER"] = "cairo"
        log(f"display {os.environ['DISPLAY']}, artifacts in {self.artifacts}")
        return self

    def stop(self):
        kill_started()
        for home in HOMES:
            shutil.rmtree(home, ignore_errors=True)
        if self.xvfb:
            self.xvfb.terminate()
            self.xvfb.wait(10)
            self.xvfb = None

    def screenshot(self, label):
        time.sleep(0.4)  # let the page transition finish, so the picture shows one page
        self.shot_no += 1
        path = os.path.join(self.artifacts, f"{self.shot_no:02d}-{label}.png")
        subprocess.run(["import", "-window", "root", path], check=False, stderr=subprocess.DEVNULL)
        log(f"screenshot {path}")
        return path


HOMES = []


def private_home():
    """A fresh HOME with XDG directories inside it, as the handler would see on a new account."""
    home = tempfile.mkdtemp(prefix="certlink-gui-home-")
    HOMES.append(home)
    env = {
        "HOME": home,
        "XDG_DATA_HOME": os.path.join(home, ".local/share"),
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_STATE_HOME": os.path.join(home, ".local/state"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
    }
    return home, env


def files_under(root):
    out = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            out.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(out)


STARTED = []


def kill_started():
    for proc in STARTED:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def start_handler(handler, link, env_extra, argv=None):
    """Start HANDLER on LINK (or ARGV, a command that runs it: a wrapper that fails its install)."""
    env = dict(os.environ)
    env.update(env_extra)
    log(f"starting {handler} with a link to {link.split('/')[2]}")
    proc = subprocess.Popen(argv or [handler, link], env=env, stdin=subprocess.DEVNULL,
                            preexec_fn=_die_with_parent)
    STARTED.append(proc)
    return proc


# ---- dogtail helpers (import dogtail only after GuiSession.start) ----

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


def wait_for(what, fn, timeout=60, interval=0.3):
    """Poll fn() until it returns something true; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = fn()
        except Failure:
            raise
        except Exception as e:  # the accessible tree changes under us while the window updates
            if repr(e) != repr(last):
                log(f"(retrying {what}: {e!r})")
            got, last = None, e
        if got:
            return got
        time.sleep(interval)
    raise Failure(f"timed out waiting for {what}" + (f" (last error: {last!r})" if last else ""))


def app_node(tree, name="certlink-handler", timeout=60):
    return wait_for(f"application {name} on the accessibility bus",
                    lambda: next((a for a in tree.root.applications() if a.name == name), None), timeout)


def find_all(node, pred):
    found = []

    def walk(n, depth):
        if depth > 30:
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
    """The top-level window (frame) whose title is title, once it shows."""
    return wait_for(f"window '{title}'", lambda: next(
        (w for w in app.children if w.roleName in ("frame", "dialog") and w.name == title), None),
        timeout)


def no_window(app, title, timeout=30):
    wait_for(f"window '{title}' to close", lambda: not any(
        w.name == title for w in app.children), timeout)


# GTK 4.8 does not set the AT-SPI "showing" state below the window, so these look at names only; the window
# sets the texts they look for only when it shows them.
def visible_text(node, text):
    # a window may break a label's lines itself (ui/label-wrap.c), keeping the text otherwise as set
    return find_all(node, lambda n: n.roleName == "label" and (n.name == text or
                                                                (n.name or "").replace("\n", "") == text))


def label_starting(node, prefix):
    hits = find_all(node, lambda n: n.roleName == "label" and (
        (n.name or "").startswith(prefix) or (n.name or "").replace("\n", "").startswith(prefix)))
    return hits[0].name if hits else None


def control(node, role, text):
    """A button or check box by what the person reads on it (GTK 4.8 puts the mnemonic in the name)."""
    def pred(n):
        if n.roleName != role:
            return False
        return any(c.roleName == "label" and c.name == text for c in n.children) or n.name == text
    hits = find_all(node, pred)
    return hits[0] if hits else None


def press(node, text, role="push button", timeout=30):
    target = wait_for(f"{role} '{text}'", lambda: control(node, role, text), timeout)
    wait_for(f"{role} '{text}' to be enabled", lambda: target.sensitive, timeout)
    log(f"press '{text}'")
    names = list(target.actions.keys())
    for preferred in ("click", "activate", "press", "toggle"):
        if preferred in names:
            target.doActionNamed(preferred)
            return
    if not names:
        raise Failure(f"{role} '{text}' offers no action")
    target.doActionNamed(names[0])


def entry(node, role, index=0):
    hits = find_all(node, lambda n: n.roleName == role)
    return hits[index] if len(hits) > index else None


def x_windows(what, *criteria, timeout=120):
    """The visible X windows `xdotool search` finds for CRITERIA ("--name", "RE" or "--pid", "N"), waiting up to
    TIMEOUT seconds for one. (xdotool's own --sync gives up at once when a window it looks at goes away while it
    searches, which a browser starting up does.)"""
    def found():
        return subprocess.run(["xdotool", "search", "--onlyvisible", *criteria], capture_output=True, text=True,
                              timeout=30).stdout.split()
    return wait_for(what, found, timeout)


def focus_window(title):
    """Give an X window the keyboard focus (there is no window manager under Xvfb to do it)."""
    wid = subprocess.run(["xdotool", "search", "--sync", "--limit", "1", "--name", f"^{title}$"],
                         capture_output=True, text=True, timeout=30).stdout.split()
    if not wid:
        raise Failure(f"no X window named {title!r}")
    subprocess.run(["xdotool", "windowfocus", "--sync", wid[0]], check=True, timeout=30)


def type_into(node, role, text, window_title, index=0):
    """Type on the keyboard (XTest, through xdotool) into an entry of the window titled window_title."""
    target = wait_for(f"{role} #{index}", lambda: entry(node, role, index))
    try:
        target.grabFocus()
    except Exception:  # GTK 4.8 does not implement AT-SPI grabFocus; the dialogs focus their first empty field
        pass
    wait_for(f"{role} #{index} to have the keyboard focus", lambda: target.focused, 10)
    focus_window(window_title)
    subprocess.run(["xdotool", "type", "--delay", "20", text], check=True, timeout=60)


def main_wrapper(fn):
    """Run a test body; print the closing line ctest readers look for, exit non-zero on failure."""
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` shows where a hung test waits
    try:
        fn()
    except Failure as e:
        log(f"FAIL: {e}")
        print("0 passed, 1 failed")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print("0 passed, 1 failed")
        sys.exit(1)
    print("1 passed, 0 failed")
    sys.exit(0)
