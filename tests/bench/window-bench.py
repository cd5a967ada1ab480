#!/usr/bin/python3
"""Benchmark certlink's windows against a minimal GTK 4 window (prints figures, asserts nothing about speed).

  dbus-run-session -- tests/bench/window-bench.py [--build DIR] [--tools DIR] [--runs N]

On a private Xvfb display set up as the GUI tests set it up (tests/gui/guienv.py: X11, cairo renderer, the
accessibility bus on), tests/bench/bench-window measures each program from exec, through the X DAMAGE
extension, until its first top-level window is mapped, until its first frame, and until it settles (no
damage for 400 ms). One warm-up round is run and not counted ("warm": libraries in the page cache, the
accessibility bus running, as on a desktop); then N rounds, alternating:

  floor     tests/bench/bench-gtk-floor, GTK's smallest application with a window;
  handler   certlink-handler LINK, the progress window (a link to a port nobody listens on: the window shows
            at once, the flow fails later): its first frame (target: 200 ms);
  manager   certlink-manager --page certificates with 100 certificates recorded: the frame in which the
            list is filled, the last before the window settles (target: 300 ms).

Each prints medians and the ratio of the median to the floor's. Without --build it builds an optimised,
unsanitised tree in build-bench-handler/ (GTK on). --tools names the build whose tests/bench programs
(bench-window, bench-gtk-floor, bench-manager-list) to use, for timing another build's windows (default:
--build).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "tests", "gui"))
import guienv  # noqa: E402

TARGETS = {"handler": 200, "manager": 300}


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(bench, argv, env):
    out = subprocess.run([bench, "--settle", "400", "--timeout", "60", "--"] + argv, env=env, capture_output=True,
                         text=True)
    m = re.search(r"map ([\d.]+) first-frame ([\d.]+) settled ([\d.]+) frames (\d+)", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit(f"{argv[0]}: no frame: {out.stdout}{out.stderr}")
    return {"map": float(m.group(1)), "first": float(m.group(2)), "settled": float(m.group(3))}


def private_env():
    home = tempfile.mkdtemp(prefix="certlink-bench-home-")
    env = dict(os.environ)
    env.update(HOME=home, XDG_DATA_HOME=f"{home}/.local/share", XDG_CONFIG_HOME=f"{home}/.config",
               XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache",
               CERTLINK_SYSTEM_DIR=f"{home}/system")
    return home, env


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build")
    p.add_argument("--tools")
    p.add_argument("--runs", type=int, default=15)
    a = p.parse_args()
    build = a.build
    if not build:
        build = os.path.join(top, "build-bench-handler")
        subprocess.run(["cmake", "-S", top, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DCERTLINK_GTK=ON"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2", "--target", "certlink-handler", "certlink-manager",
                        "bench-window", "bench-gtk-floor", "bench-manager-list"], check=True,
                       stdout=subprocess.DEVNULL)
    tools = os.path.join(a.tools or build, "tests", "bench")
    bench = os.path.join(tools, "bench-window")
    print(f"start: {load()}; {os.cpu_count()} CPU(s); {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    sess = guienv.GuiSession(tempfile.mkdtemp(prefix="certlink-bench-art-"), "bench").start()
    home, env = private_env()
    subprocess.run([os.path.join(tools, "bench-manager-list"), "--seed", "100"], env=env, check=True)
    programs = {
        "floor": [os.path.join(tools, "bench-gtk-floor")],
        "handler": [os.path.join(build, "handler", "certlink-handler"),
                    "certlink://127.0.0.1:9/enroll?store=user&user=bench"],
        "manager": [os.path.join(build, "ui", "certlink-manager"), "--page", "certificates"],
    }
    got = {name: [] for name in programs}
    try:
        for r in range(a.runs + 1):
            for name, argv in programs.items():
                m = measure(bench, argv, env)
                if r > 0:  # the first round warms the page cache and the accessibility bus
                    got[name].append(m)
    finally:
        sess.stop()
        shutil.rmtree(home, ignore_errors=True)

    def med(name, what):
        return statistics.median(x[what] for x in got[name])

    floor = med("floor", "first")
    print(f"floor (bench-gtk-floor): first frame median {floor:.0f} ms, min "
          f"{min(x['first'] for x in got['floor']):.0f} ms ({a.runs} runs)")
    for name, what, label in (("handler", "first", "certlink-handler progress window, first frame"),
                              ("manager", "settled", "certlink-manager, list of 100 certificates painted")):
        values = sorted(x[what] for x in got[name])
        print(f"{label}: median {med(name, what):.0f} ms, min {values[0]:.0f} ms, max {values[-1]:.0f} ms "
              f"({a.runs} runs), {med(name, what) / floor:.2f} x the floor; target {TARGETS[name]} ms")
    print(f"certlink-manager first frame: median {med('manager', 'first'):.0f} ms; handler mapped: median "
          f"{med('handler', 'map'):.0f} ms")
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
