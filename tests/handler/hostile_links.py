#!/usr/bin/python3
"""certlink-handler refuses hostile links and command lines: exit code 100, a message naming the problem,
nothing written under HOME/XDG, and no connection made.

Runs the real binary. Every case points at 127.0.0.1:PORT, where this test listens, and the proxy
variables point there too, so any attempt to reach a server (directly or through libcurl's proxy
support) shows up as an accepted connection and fails the case.

usage: hostile_links.py CERTLINK-HANDLER
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

GOOD_TOKEN = "q3Vb0xZ2rT8kLmN4pQ7sW1yA"
FP = "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab"


def format_character_cases(h):
    """Both ends of every range of Unicode format characters (category Cf) this Python knows (its Unicode
    version may be older than the one certlink cites, never newer in what it lists), in `user` and in `name`:
    each refused. The bidirectional ones have their own message."""
    import unicodedata
    cps = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    ends = sorted({c for i, c in enumerate(cps) if i == 0 or cps[i - 1] != c - 1 or i + 1 == len(cps) or
                   cps[i + 1] != c + 1})
    bidi = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
    out = []
    for i, cp in enumerate(ends):
        name = ("user", "name")[i % 2]
        enc = "".join("%%%02X" % b for b in chr(cp).encode())
        words = "bidirectional" if cp in bidi else "invisible formatting character U+%04X in `%s`" % (cp, name)
        out.append(([f"certlink://{h}/enroll?{name}=a{enc}b"], words))
    return out


def cases(port):
    """(argv after the program name, words the refusal must contain). {H} is the listening host:port."""
    h = f"127.0.0.1:{port}"
    ok = f"certlink://{h}/enroll?store=user&user=alice"
    long_host = ".".join(["a" * 63] * 4)  # 255 octets: over the 253 limit
    return [
        # argument injection and the shape of the command line
        ([], "no link"),
        (["--help"], "cannot start with"),
        (["-h"], "cannot start with"),
        (["--gapplication-service"], "cannot start with"),
        (["--display=:9", ok], "unknown option"),
        (["-" + ok], "cannot start with"),
        (["--check"], "cannot start with"),
        (["--check", "--no-gui"], "cannot start with"),
        (["--no-gui", "--check", ok], "exactly one link"),
        (["--check=" + ok], "cannot start with"),
        ([ok, ok], "exactly one link"),
        ([ok, "--no-gui"], "exactly one link"),
        ([" " + ok], "white space"),
        (["\t" + ok], "white space"),
        (["\n" + ok], "white space"),
        (["--no-gui", "-" + ok], "cannot start with"),
        # other schemes, no scheme
        ([f"https://{h}/enroll"], "not a certlink link"),
        ([f"http://{h}/enroll"], "not a certlink link"),
        ([f"file:///etc/passwd"], "not a certlink link"),
        (["javascript:alert(1)"], "not a certlink link"),
        ([f"certlinks://{h}/enroll"], "not a certlink link"),
        ([f"//{h}/enroll"], "not a certlink link"),
        ([""], "empty"),
        ([f"certlink:{h}/enroll"], "certlink"),
        # control characters, raw and encoded
        ([f"certlink://{h}/enroll?user=a%0Ab"], "control character"),
        ([f"certlink://{h}/enroll?user=a%00b"], "control character"),
        ([f"certlink://{h}/enroll?name=x%7F"], "control character"),
        ([f"certlink://{h}/enroll?name=%C2%85"], "control character"),  # C1 NEL
        ([f"certlink://{h}/enroll?user=a\x1bb"], ""),
        ([f"certlink://{h}/enroll?user=a%FFb"], "utf-8"),
        # text that reads differently from what it is: bidirectional controls and format characters (Cf)
        ([f"certlink://{h}/enroll?name=Corp%E2%80%AEexe.pdf"], "bidirectional"),
        ([f"certlink://{h}/enroll?user=ad%E2%80%8Bmin"], "invisible formatting character U+200B in `user`"),
        ([f"certlink://{h}/enroll?user=bob%C2%AD"], "invisible formatting character U+00AD in `user`"),
        ([f"certlink://{h}/enroll?name=IT%E2%81%A0Desk"], "invisible formatting character U+2060 in `name`"),
        ([f"certlink://{h}/enroll?name=%EF%BB%BFCorp"], "invisible formatting character U+FEFF in `name`"),
        ([f"certlink://{h}/enroll?name=Corp%F3%A0%81%A1"], "invisible formatting character U+E0061 in `name`"),
    ] + format_character_cases(h) + [
        # over-long fields and too many parameters
        ([f"certlink://{h}/enroll?user=" + "a" * 2100], "longer than"),
        ([f"certlink://{h}/enroll?user=" + "a" * 300], "longer than"),
        ([f"certlink://{h}/enroll?name=" + "n" * 65], "longer than"),
        ([f"certlink://{h}/enroll?pwless=1&token=" + "t" * 129], "token"),
        ([f"certlink://{long_host}/enroll"], "host"),
        ([f"certlink://{h}/enroll?" + "&".join(f"p{i}=1" for i in range(17))], "more than"),
        ([f"certlink://{h}/enroll?averyveryverylongname=1"], "longer than"),
        # userinfo, hosts that are not hosts
        ([f"certlink://mallory@{h}/enroll"], "user information"),
        ([f"certlink://mallory:pw@{h}/enroll"], "user information"),
        ([f"certlink://eps..example.com:{port}/enroll"], "host"),
        ([f"certlink://-eps.example.com:{port}/enroll"], "host"),
        ([f"certlink://eps_x.example.com:{port}/enroll"], "host"),
        ([f"certlink://010.1.1.1:{port}/enroll"], "host"),
        ([f"certlink://2130706433:{port}/enroll"], "host"),
        ([f"certlink://0x7f.1:{port}/enroll"], "host"),
        ([f"certlink://1.2.3:{port}/enroll"], "host"),
        ([f"certlink://127.0.0.1%2e:{port}/enroll"], "host"),
        ([f"certlink://[fe80::1%25eth0]:{port}/enroll"], "zone"),
        ([f"certlink://[v1.fe]:{port}/enroll"], "ipvfuture"),
        ([f"certlink://[::1:{port}/enroll"], "ipv6"),
        ([f"certlink:///enroll"], "host"),
        # ports
        (["certlink://127.0.0.1:0/enroll"], "port"),
        (["certlink://127.0.0.1:65536/enroll"], "port"),
        (["certlink://127.0.0.1:0443/enroll"], "port"),
        (["certlink://127.0.0.1:/enroll"], "port"),
        # paths, actions, fragments
        ([f"certlink://{h}/"], "path"),
        ([f"certlink://{h}/admin"], "path"),
        ([f"certlink://{h}/enroll/../admin"], "path"),
        ([f"certlink://{h}/ENROLL"], "path"),
        ([f"certlink://{h}/enroll#x"], "fragment"),
        # parameters the spec refuses
        ([f"certlink://{h}/enroll?store=user&store=computer"], "twice"),
        ([f"certlink://{h}/enroll?store=root"], "store"),
        ([f"certlink://{h}/enroll?store="], "empty"),
        ([f"certlink://{h}/enroll?store"], "no `=`"),
        ([f"certlink://{h}/enroll?=x"], "no name"),
        ([f"certlink://{h}/enroll?a=1&&b=2"], "empty parameter"),
        ([f"certlink://{h}/enroll?pwless=1"], "token"),
        ([f"certlink://{h}/enroll?token={GOOD_TOKEN}"], "pwless"),
        ([f"certlink://{h}/enroll?pwless=2&token={GOOD_TOKEN}"], "pwless"),
        ([f"certlink://{h}/enroll?ca=abcd"], "ca"),
        ([f"certlink://{h}/enroll?ca={FP}00"], "ca"),
        ([f"certlink://{h}/enroll?v=2"], "version"),
        ([f"certlink://{h}/enroll?serial=4f1a"], "serial"),
        ([f"certlink://{h}/renew?user=alice"], "serial"),
        ([f"certlink://{h}/enroll?code=WIFI%202026"], "code"),
        ([f"certlink://{h}/enroll?user=%zz"], "valid"),
        ([f"certlink://{h}/enroll?user=%4"], ""),
        # shell metacharacters: refused as text, never interpreted
        ([f"certlink://{h}/enroll?user=$(touch%20/tmp/pwned)&store=root"], "store"),
        ([f"certlink://{h}/enroll?user=`id`"], ""),
        ([f"certlink://{h}/enroll?name=a|b"], ""),
        ([f"certlink://{h}/enroll?user=a<b>"], ""),
        ([f"certlink://{h}/enroll?user=a\"b"], ""),
        ([f"certlink://{h}/enroll?user=a\\b"], ""),
    ]


def tree_files(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return found


def main():
    handler = sys.argv[1]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    proxy = f"http://127.0.0.1:{port}"

    passed = failed = 0
    table = cases(port)
    for argv, words in table:
        home = tempfile.mkdtemp(prefix="certlink-hostile-")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_DATA_HOME": os.path.join(home, "data"),
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_STATE_HOME": os.path.join(home, "state"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(home, "run"),
            "http_proxy": proxy, "https_proxy": proxy, "HTTPS_PROXY": proxy, "all_proxy": proxy,
            "ALL_PROXY": proxy, "no_proxy": "", "NO_PROXY": "",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
            "UBSAN_OPTIONS": os.environ.get("UBSAN_OPTIONS", ""),
        }
        # No display: a case that got past the checks would run in the terminal, not hang on a window.
        try:
            proc = subprocess.run([handler] + argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=60)
            rc, err = proc.returncode, proc.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        problems = []
        if rc != 100:
            problems.append(f"exit code {rc}, want 100")
        if "refused" not in err:
            problems.append("no 'refused' in the message")
        if words and words.lower() not in err.lower():
            problems.append(f"message does not mention {words!r}")
        written = tree_files(home)
        if written:
            problems.append(f"wrote {written}")
        try:
            conn, _ = listener.accept()
            conn.close()
            problems.append("made a connection")
        except BlockingIOError:
            pass
        shown = repr(argv)[:120]
        if problems:
            failed += 1
            print(f"FAIL {shown}: {'; '.join(problems)}\n     stderr: {err.strip()[:300]!r}")
        else:
            passed += 1
            print(f"ok   {shown}: {err.splitlines()[0] if err else ''}")
        shutil.rmtree(home, ignore_errors=True)

    if len(table) < 40:
        print(f"FAIL: only {len(table)} cases, the table must hold at least 40")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
