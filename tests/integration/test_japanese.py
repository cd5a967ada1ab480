"""The command line in a Japanese session (ja_JP.UTF-8 generated into the build tree), against the reference
server: what a Japanese reader of `certlink list`, `certlink show` and an error message sees (issue 10 point 10).

- `certlink list`: store names and states are Japanese, and the columns line up on a terminal, where a
  Japanese character takes two columns (East Asian Width), however many bytes it has;
- `certlink show`: the state, the store and the key type (RSA, not the record's "rsa") read as a person
  expects;
- the context an error travels up with is Japanese too: "applying" (a wrong password) and "fetching the
  server's CA certificates" (a server that does not answer).
"""
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from certlinktest import Account, RefServer, check, enroll, japanese_locale, log, run_main  # noqa: E402

BUILD = os.environ["CERTLINK_BUILD_DIR"]


def width(text):
    """Terminal columns: 2 for East Asian wide and fullwidth characters, 0 for combining marks, else 1."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def column(line, cell, start=0):
    """The terminal column where CELL starts in LINE (searching from character START)."""
    i = line.index(cell, start)
    return width(line[:i]), i + len(cell)


def check_list(acct, ja, serial, app_id):
    r = acct.certlink("list", env_extra=ja)
    log("certlink list (ja):\n" + r.stdout)
    check(r.returncode == 0, f"certlink list exits 0 ({r.returncode}: {r.stderr})")
    lines = r.stdout.splitlines()
    check(len(lines) == 3, "a header, the certificate and the application")
    header, cert_row, app_row = lines
    check(header.split()[:4] == ["ストア", "種類", "ID", "状態"], f"the header is Japanese ({header})")
    check(cert_row.startswith("ユーザー ") and app_row.startswith("ユーザー "), "the store is ユーザー, not user")
    check("インストール済み" in cert_row, "the certificate is インストール済み")
    check("承認待ち" in app_row, "the application is 承認待ち")
    for word in ("installed", "pending", "user ", "certificate", "application"):
        check(word not in r.stdout, f"no English '{word.strip()}' left in the list")
    # every column starts at the same terminal column in every row (padding by bytes would shift the rows
    # with more Japanese in them)
    starts = []
    for line, cells in ((header, ("ID", "状態", "有効期限", "サブジェクト / サーバー")),
                        (cert_row, (serial, "インストール済み", "20", "CN=alice")),
                        (app_row, (app_id, "承認待ち", "-", "alice"))):
        at, cols = 0, []
        for cell in cells:
            col, at = column(line, cell, at)
            cols.append(col)
        starts.append(cols)
    log(f"column starts (terminal columns): {starts}")
    check(starts[0] == starts[1] == starts[2], "the ID, state, expiry and subject columns line up")
    check(starts[0][0] != header.index("ID"), "the check means something: characters and columns differ")


def check_show(acct, ja, serial):
    r = acct.certlink("show", serial, env_extra=ja)
    log("certlink show (ja):\n" + "\n".join(r.stdout.splitlines()[:14]))
    check(r.returncode == 0, "certlink show exits 0")
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in r.stdout.splitlines()
             if ":" in line and line.startswith("  ") and not line.startswith("    ")}
    check(lines.get("鍵") == "RSA 2048 ビット", f"the key is 'RSA 2048 ビット' ({lines.get('鍵')})")
    check(lines.get("有効期限", "").endswith("(インストール済み)"), f"the state is Japanese ({lines.get('有効期限')})")
    check(lines.get("ストア") == "ユーザー", f"the store is ユーザー ({lines.get('ストア')})")
    check(lines.get("申請", "").endswith("(インストール済み)"), f"the application's state too ({lines.get('申請')})")


def last_message(stderr):
    """certlink's last message (a sanitizer's summary may follow it)."""
    return ([line for line in stderr.splitlines() if line.startswith("certlink: ")] or [""])[-1]


def check_errors(acct, ja, server):
    # a wrong password: the server refuses the application; the context is 申請中, not "applying"
    link = server.invite(passwordless=False)
    r = acct.certlink("enroll", "--link", link, "--no-notify", "--force-new", "--password-stdin",
                      input="not the password\n", env_extra=ja)
    last = last_message(r.stderr)
    log(f"wrong password (ja): {last}")
    check(r.returncode == 300 % 256, f"refused: exit 300 ({r.returncode})")
    check(last.startswith("certlink: 申請中: ") and "applying" not in r.stderr,
          f"the context of the refusal is Japanese ({last})")
    # nothing listens on the port: fetching the server's CA fails; the context is Japanese
    r = acct.certlink("enroll", "--link", link.replace(f":{server.srv.port}/", ":1/"), "--no-notify",
                      "--force-new", env_extra=ja)
    last = last_message(r.stderr)
    log(f"no server (ja): {last}")
    check(r.returncode == 200, f"unreachable: exit 200 ({r.returncode})")
    check("サーバーの CA 証明書を取得しています" in last and "fetching" not in r.stderr,
          f"the context of the failure is Japanese ({last})")


def body():
    ja = japanese_locale(BUILD)
    server = RefServer()
    acct = Account("japanese")
    try:
        serial = enroll(acct, server)
        app_id = enroll(acct, server, pending=True)
        server.config("auto_approve", "true")
        check_list(acct, ja, serial, app_id)
        check_show(acct, ja, serial)
        check_errors(acct, ja, server)
    finally:
        server.stop()
        acct.cleanup()


if __name__ == "__main__":
    run_main(body)
