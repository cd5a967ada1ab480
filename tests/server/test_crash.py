"""certlink-server crash safety: SIGKILL the server in the middle of many concurrent enrollments (API + SCEP with
micromdm's scepclient), restart it, let every client resume as docs/protocol.md section 8 says, and check that
no application was lost or duplicated and that no application got a second certificate."""
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, scepclient  # noqa: E402

N = int(os.environ.get("CERTLINK_CRASH_ENROLLMENTS", "32"))
WORKERS = 8


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.cli("user-add", "shared", "--password-stdin", input="shared pw\n")
        self.srv.config("auto_approve", "true")
        self.work = tempfile.mkdtemp(dir=self.srv.dir)
        self.db_path = os.path.join(self.srv.state, "certlink-server.db")
        self.lock = threading.Lock()
        self.down = threading.Event()
        self.interrupted = 0  # client steps that failed because the server was down

    def tearDown(self):
        self.srv.cleanup()

    def call(self, fn, deadline):
        """Retry fn while the server is down or restarting, as a resuming client does, and after 429 and 503
        (docs/protocol.md section 2: eight workers applying at once can find every password-check slot busy)."""
        while time.time() < deadline:
            if self.down.is_set():
                time.sleep(0.1)
                continue
            try:
                result = fn()
            except (OSError, ValueError):
                with self.lock:
                    self.interrupted += 1
                time.sleep(0.2)
                continue
            if result[0] not in (429, 503):
                return result
            time.sleep(result[1]["error"]["retry_after"])
        raise TimeoutError("server did not come back")

    def enroll(self, i, results, deadline):
        crid = str(uuid.uuid4())  # recorded before the first send
        st, doc, _, _ = self.call(lambda: self.srv.apply(user="shared", password="shared pw", crid=crid), deadline)
        assert st in (200, 201), doc
        app = doc["application"]
        st, act, _, _ = self.call(lambda: self.srv.activate(app, {"hostname": "pc%02d" % i}), deadline)
        assert st == 200, act
        challenge = act["scep"]["challenge"]  # recorded with the key: resends reuse both
        while time.time() < deadline:
            if self.down.is_set():
                time.sleep(0.1)
                continue
            url = self.srv.scep_url()
            rc, out, cert = scepclient(url, challenge, self.work, "m%02d" % i, cn="shared")
            if rc == 0:
                with open(cert) as f:
                    results[i] = (app["id"], crid, f.read())
                return
            if "failInfo" in out:
                raise AssertionError("enrollment %d refused: %s" % (i, out))
            with self.lock:
                self.interrupted += 1
            time.sleep(0.2)  # connection refused while the server was down
        raise TimeoutError("enrollment %d did not finish" % i)

    def certificates(self):
        with sqlite3.connect(self.db_path, timeout=30) as db:
            return db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]

    def test_sigkill_during_enrollments(self):
        results, errors = {}, []
        deadline = time.time() + 600
        queue = list(range(N))

        def worker():
            while True:
                with self.lock:
                    if not queue:
                        return
                    i = queue.pop(0)
                try:
                    self.enroll(i, results, deadline)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append("%d: %r" % (i, e))

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for t in threads:
            t.start()
        while self.certificates() < N // 4 and time.time() < deadline:
            time.sleep(0.05)
        killed_at = self.certificates()
        self.down.set()
        os.kill(self.srv.proc.pid, signal.SIGKILL)
        self.srv.proc.wait()
        self.srv.proc = None
        self.srv.start()
        self.down.clear()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertLess(killed_at, N, "the kill came after every enrollment had finished")
        self.assertGreater(self.interrupted, 0, "no client step was interrupted by the kill")
        self.assertEqual(len(results), N)

        with sqlite3.connect(self.db_path) as db:
            apps = db.execute("SELECT id, client_request_id, state, cert_serial FROM applications").fetchall()
            certs = db.execute("SELECT serial, app_id, der, revoked_at FROM certificates").fetchall()
            dup_tx = db.execute("SELECT transaction_id FROM certificates GROUP BY transaction_id"
                                " HAVING COUNT(*) > 1").fetchall()
        # No application lost, none created twice for one client_request_id.
        self.assertEqual(len(apps), N)
        by_id = {a[0]: a for a in apps}
        for app_id, crid, _ in results.values():
            self.assertEqual(by_id[app_id][1], crid)
        # Exactly one certificate per application, one per transactionID, and it is what the client holds.
        self.assertEqual(len(certs), N)
        self.assertEqual(len({c[1] for c in certs}), N)
        self.assertEqual(dup_tx, [])
        import ssl
        for app_id, _, pem in results.values():
            self.assertEqual(by_id[app_id][2], "issued")
            (cert,) = [c for c in certs if c[1] == app_id]
            self.assertEqual(cert[0], by_id[app_id][3])
            self.assertEqual(ssl.PEM_cert_to_DER_cert(pem), cert[2])
        print("killed with %d of %d certificates issued, %d client steps interrupted; all %d enrollments "
              "completed after restart" % (killed_at, N, self.interrupted, N))


if __name__ == "__main__":
    unittest.main(verbosity=2)
