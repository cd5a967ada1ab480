#!/usr/bin/python3
"""Benchmark certlink-handler (prints figures, asserts nothing about speed).

  tests/bench/handler-bench.py [--build DIR] [--runs N]

1. click to installed, terminal mode: `certlink-handler --no-gui LINK` for a passwordless invitation with a
   store (automatic approval) until the certificate is installed and the process has exited;
2. time to the window's first frame, GUI mode (Xvfb): from exec until the progress window is mapped and
   viewable (X MapNotify, `xdotool search --sync --onlyvisible`); GTK draws the first frame on the next
   frame-clock tick after mapping, so this is the figure a person sees within one tick;
3. xdg-open dispatch overhead: `xdg-open LINK` through a `certlink register-scheme` registration, against
   running `certlink-handler LINK` directly, for a link the handler refuses at once (so the handler's own
   work is the same small constant on both sides).

Without --build it builds an optimised, unsanitised tree in build-bench-handler/ (GTK on).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "tests", "gui"))
import guienv  # noqa: E402
from refserver import RefServer  # noqa: E402


def figures(name, values):
    values = sorted(values)
    print(f"{name}: median {statistics.median(values) * 1000:.0f} ms, min {values[0] * 1000:.0f} ms, "
          f"max {values[-1] * 1000:.0f} ms ({len(values)} runs)", flush=True)


def fresh_env(extra=None):
    home = tempfile.mkdtemp(prefix="certlink-bench-home-")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=home, XDG_DATA_HOME=f"{home}/.local/share", XDG_CONFIG_HOME=f"{home}/.config",
               XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache",
               XDG_DATA_DIRS="/usr/share", XDG_CONFIG_DIRS="/etc/xdg")
    env.update(extra or {})
    return home, env


def bench_terminal(handler, server, runs):
    times = []
    for i in range(runs):
        user = f"term{i}"
        server.add_user(user)
        link = server.invite(user, store="user", passwordless=True)
        _, env = fresh_env()
        t0 = time.monotonic()
        proc = subprocess.run([handler, "--no-gui", link], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, start_new_session=True)
        times.append(time.monotonic() - t0)
        if proc.returncode != 0:
            sys.exit(f"terminal run {i} failed: {proc.stderr.decode()}")
    figures("click to installed, terminal mode", times)


def bench_first_frame(handler, runs):
    sess = guienv.GuiSession(tempfile.mkdtemp(prefix="certlink-bench-art-"), "bench").start()
    times = []
    try:
        for i in range(runs):
            # A link to a port nobody listens on: the window shows at once, the flow fails later.
            _, env = fresh_env({"DISPLAY": os.environ["DISPLAY"]})
            t0 = time.monotonic()
            proc = subprocess.Popen([handler, "certlink://127.0.0.1:9/enroll?store=user&user=bench"], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "^Certificate Enrollment$"],
                           check=True, capture_output=True, timeout=60)
            times.append(time.monotonic() - t0)
            proc.terminate()
            proc.wait(30)
    finally:
        sess.stop()
    figures("exec to window mapped (first frame), GUI mode", times)


def bench_dispatch(handler, cli, runs):
    refused = "certlink://bad..host/enroll"
    home, env = fresh_env()
    env["DISPLAY"] = ":certlink-bench-none"  # xdg-open takes its desktop path only with a display set
    subprocess.run([cli, "register-scheme", "--handler", handler], env=env, check=True, capture_output=True)

    def timed(argv):
        out = []
        for _ in range(runs):
            t0 = time.monotonic()
            subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL)
            out.append(time.monotonic() - t0)
        return out

    direct = timed([handler, refused])
    via = timed(["xdg-open", refused])
    figures("certlink-handler LINK directly (refused link)", direct)
    figures("xdg-open LINK -> certlink-handler (refused link)", via)
    print(f"xdg-open dispatch overhead: {(statistics.median(via) - statistics.median(direct)) * 1000:.0f} ms "
          f"(median difference)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build")
    p.add_argument("--runs", type=int, default=10)
    a = p.parse_args()
    build = a.build
    if not build:
        build = os.path.join(top, "build-bench-handler")
        subprocess.run(["cmake", "-S", top, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DCERTLINK_GTK=ON"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2", "--target", "certlink-handler", "certlink-server",
                        "certlink"], check=True, stdout=subprocess.DEVNULL)
    handler = os.path.join(build, "handler", "certlink-handler")
    server = RefServer(os.path.join(build, "server", "certlink-server"))
    server.start({"auto_approve": "true"})
    try:
        bench_terminal(handler, server, a.runs)
    finally:
        server.cleanup()
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        bench_first_frame(handler, max(3, a.runs // 2))
    else:
        print("exec to window mapped: skipped (run under dbus-run-session)")
    bench_dispatch(handler, os.path.join(build, "cli", "certlink"), a.runs * 3)


if __name__ == "__main__":
    main()
