#!/usr/bin/python3
"""Benchmark certlink-handler's click (prints figures, asserts nothing about speed).

  tests/bench/handler-bench.py [--build DIR] [--compare DIR] [--runs N]

1. click to installed, terminal mode: `certlink-handler --no-gui LINK` for a fresh passwordless invitation with
   a store (automatic approval) against certlink-server on loopback, in a fresh HOME that has ~/.pki/nssdb (an
   empty-password NSS database, as Chromium makes it), from exec until the process has exited with the
   certificate installed (files, records and NSS database; the first run of each case is checked). Cases:
   the server's default RSA 2048 key, EC P-256, and RSA 2048 without an NSS database. Beside them, in the
   same run and alternating with them, the floor: `openssl genpkey` of an RSA 2048 key, a process that starts
   and makes the one key every click needs (for EC too: SCEP signs with an RSA transport key). Each case
   prints its median wall time and its ratio to the floor's median, the median CPU time of the click's
   processes (certlink-handler and whatever it starts; not the server's), and the target (issue 14: at most
   300 ms). --compare DIR runs another build's certlink-handler (an older one, say) in the same rounds, each
   click right after this build's, against the same server, so both see the same load.
2. xdg-open dispatch overhead: `xdg-open LINK` through a `certlink register-scheme` registration, against
   running `certlink-handler LINK` directly, for a link the handler refuses at once.

The load average is printed at the start and the end: on a shared machine the figures move with it.
Without --build it builds an optimised, unsanitised tree in build-bench-handler/ (GTK on).
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(top, "tests", "gui"))
from refserver import RefServer  # noqa: E402

TARGET_MS = 300


def ms(v):
    return f"{v * 1000:.0f} ms"


def figures(name, values, floor=None, cpu=None):
    values = sorted(values)
    med = statistics.median(values)
    ratio = f", {med / floor:.2f} x the floor" if floor else ""
    cpu_text = f"; CPU median {ms(statistics.median(cpu))}" if cpu else ""
    print(f"{name}: median {ms(med)}, min {ms(values[0])}, max {ms(values[-1])} ({len(values)} runs){ratio}"
          f"{cpu_text}", flush=True)
    return med


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def fresh_env(extra=None, nssdb=False):
    home = tempfile.mkdtemp(prefix="certlink-bench-home-")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=home, XDG_DATA_HOME=f"{home}/.local/share", XDG_CONFIG_HOME=f"{home}/.config",
               XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache",
               XDG_DATA_DIRS="/usr/share", XDG_CONFIG_DIRS="/etc/xdg")
    env.update(extra or {})
    if nssdb:
        os.makedirs(f"{home}/.pki/nssdb", mode=0o700)
        subprocess.run(["certutil", "-N", "-d", f"sql:{home}/.pki/nssdb", "--empty-password"], check=True,
                       capture_output=True)
    return home, env


def installed_check(home, nssdb, key):
    """What a person would look at after the click: a certificate file of the right key, and the browsers'
    database holding it with its key (u,u,u)."""
    certs = os.path.join(home, ".local/share/certlink/certs")
    dirs = os.listdir(certs) if os.path.isdir(certs) else []
    if len(dirs) != 1:
        sys.exit(f"click: {len(dirs)} certificate directories in {certs}")
    text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", os.path.join(certs, dirs[0], "cert.pem")],
                          capture_output=True, text=True).stdout
    want = "rsaEncryption" if key == "rsa" else "id-ecPublicKey"
    if want not in text:
        sys.exit(f"click: the certificate's key is not {key}")
    if nssdb:
        listing = subprocess.run(["certutil", "-L", "-d", f"sql:{home}/.pki/nssdb"], capture_output=True,
                                 text=True).stdout
        if not any(line.startswith("certlink ") and line.rstrip().endswith("u,u,u") for line in listing.splitlines()):
            sys.exit("click: the certificate and its key are not in the NSS database:\n" + listing)


CLICKS = [0]


def click(handler, server, n, nssdb, key):
    CLICKS[0] += 1
    user = f"bench-{CLICKS[0]}"
    server.add_user(user)
    link = server.invite(user, store="user", passwordless=True)
    home, env = fresh_env(nssdb=nssdb)
    c0 = children_cpu()
    t0 = time.monotonic()
    proc = subprocess.run([handler, "--no-gui", link], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          start_new_session=True)
    took = time.monotonic() - t0
    cpu = children_cpu() - c0
    if proc.returncode != 0:
        sys.exit(f"click ({key}, {'NSS' if nssdb else 'no NSS'}) failed: {proc.stderr.decode()}")
    if n == 0:
        installed_check(home, nssdb, key)
    shutil.rmtree(home, ignore_errors=True)
    return took, cpu


def floor_once():
    c0 = children_cpu()
    t0 = time.monotonic()
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                    "/dev/null"], check=True, capture_output=True)
    return time.monotonic() - t0, children_cpu() - c0


def bench_clicks(handlers, server, runs):
    cases = [("rsa", True, "RSA 2048, NSS database present"), ("ec", True, "EC P-256, NSS database present"),
             ("rsa", False, "RSA 2048, no NSS database")]
    times = {(h, c): [] for h in handlers for c in cases}
    cpu = {(h, c): [] for h in handlers for c in cases}
    floor, floor_cpu = [], []
    current = None
    for n in range(runs):
        for case in cases:
            key, nssdb, _ = case
            if key != current:
                server.admin("config-set", "key_type", key)  # key_size follows: 2048 or P-256
                current = key
            for h in handlers:
                took, used = click(h, server, n, nssdb, key)
                times[(h, case)].append(took)
                cpu[(h, case)].append(used)
            took, used = floor_once()
            floor.append(took)
            floor_cpu.append(used)
    f = figures("floor: openssl genpkey RSA 2048 (process start and the key)", floor, cpu=floor_cpu)
    for h in handlers:
        if len(handlers) > 1:
            print(f"{h}:")
        for case in cases:
            figures(f"click to installed, terminal mode, {case[2]}", times[(h, case)], f, cpu[(h, case)])
    print(f"target: median at most {TARGET_MS} ms with an NSS database present (RSA 2048)")


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
    shutil.rmtree(home, ignore_errors=True)
    figures("certlink-handler LINK directly (refused link)", direct)
    figures("xdg-open LINK -> certlink-handler (refused link)", via)
    print(f"xdg-open dispatch overhead: {(statistics.median(via) - statistics.median(direct)) * 1000:.0f} ms "
          f"(median difference)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build")
    p.add_argument("--compare")
    p.add_argument("--runs", type=int, default=15)
    a = p.parse_args()
    build = a.build
    if not build:
        build = os.path.join(top, "build-bench-handler")
        subprocess.run(["cmake", "-S", top, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DCERTLINK_GTK=ON"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build, "-j2", "--target", "certlink-handler", "certlink-server",
                        "certlink"], check=True, stdout=subprocess.DEVNULL)
    handler = os.path.join(build, "handler", "certlink-handler")
    print(f"start: {load()}; {os.cpu_count()} CPU(s); {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    server = RefServer(os.path.join(build, "server", "certlink-server"))
    server.start({"auto_approve": "true"})
    handlers = [handler] + ([os.path.join(a.compare, "handler", "certlink-handler")] if a.compare else [])
    try:
        bench_clicks(handlers, server, a.runs)
    finally:
        server.cleanup()
    bench_dispatch(handler, os.path.join(build, "cli", "certlink"), a.runs)
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
