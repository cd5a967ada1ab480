"""certlink-server login throttling, tried as an attacker would (issue 9 point 8; docs/server.md "Login
throttling").

Client addresses are played with source addresses on loopback (any 127.x.y.z). What the server did is read
from its login counters (GET /api/v1/admin/stats: key derivations run, refusals by budget) and from its
database, never from timings.
- Eviction: failures for hundreds of other names do not make the server forget bob's failures; bob's own
  budget lives in the database, survives a restart, and unknown names leave no rows there.
- Distributed guessing: many addresses together get a bounded number of guesses at bob; bob still logs in
  from an address he logged in from before.
- A flood of unauthenticated logins from one address runs a bounded number of key derivations.
- A fleet behind one address enrolls through one shared account in parallel, with a misconfigured machine
  among it, and is never refused by the throttle; its password is derived a few times, not once per machine.
- The memory of verified passwords: never answers a wrong password, forgets a deleted user at once.
- An unknown name's full budget answers as a real user's does, so the answers never tell who exists.
"""
import os
import sqlite3
import sys
import threading
import time
import unittest
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server  # noqa: E402

# The policy's numbers (server/throttle.h, docs/server.md).
ADDR_BURST = 30
NAME_BURST = 5
USER_BURST = 50


class ThrottleTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server().start()
        self.srv.cli("user-add", "bob", "--password-stdin", input="bob pw\n")
        self.srv.cli("user-add", "shared", "--password-stdin", input="fleet pw\n")
        self.srv.config("auto_approve", "true")

    def tearDown(self):
        self.srv.cleanup()

    def login(self, user, password, source):
        st, doc, resp, _ = self.srv.apply(user=user, password=password, source=source)
        if st in (429, 503):
            self.assertEqual(doc["error"]["code"], "busy" if st == 429 else "unavailable", doc)
            self.assertGreater(doc["error"]["retry_after"], 0)
            self.assertEqual(int(resp.getheader("Retry-After")), doc["error"]["retry_after"])
        return st, doc

    def checks(self):
        return self.srv.login_stats()["password_checks"]

    def throttle_rows(self):
        db = sqlite3.connect(os.path.join(self.srv.state, "certlink-server.db"))
        try:
            return {row[0] for row in db.execute("SELECT user FROM login_throttle")}
        finally:
            db.close()

    def other_names(self, count, prefix, first_addr):
        """count failed logins for as many other names, three per address from 127.<first_addr>.*: the old
        512-slot table was emptied this way. They are made with wrong passwordless tokens, which the server
        counts like wrong passwords without a key derivation (cheaper for an attacker, and for the test).
        Returns the statuses."""
        jobs = [("%s%04d" % (prefix, i), "127.%d.%d.%d" % (first_addr + i // 3 // 250, i // 3 % 250, 1 + i % 3))
                for i in range(count)]

        def fail(job):
            st, doc, _, _ = self.srv.apply(user=job[0], password=None, invitation_token=uuid.uuid4().hex,
                                           source=job[1])
            return st

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(fail, jobs))

    def guesses_until_refused(self, user, sources, drained_since, drain):
        """Wrong passwords for user from sources until one is refused (429). The budgets drain while a test
        runs (one guess per drain seconds, the policy): at most that many guesses may pass, and each one that
        passes is one key derivation. Returns the number that passed."""
        allowed = int((time.time() - drained_since) / drain) + 1
        before, passed = self.checks(), 0
        for source in sources:
            st, doc = self.login(user, "guess", source)
            if st == 429:
                break
            self.assertEqual(st, 401, doc)
            passed += 1
        else:
            self.fail("no guess for %s was refused" % user)
        self.assertLessEqual(passed, allowed, "guesses that passed")
        self.assertEqual(self.checks() - before, passed)
        return passed

    def test_eviction_and_distributed_guessing(self):
        for i in range(20):
            self.srv.cli("user-add", "u%02d" % i, "--password-stdin", input="pw %d\n" % i)
        home, attacker = "127.0.9.1", "127.0.9.2"
        # bob logs in from his usual place before the attack.
        self.assertEqual(self.login("bob", "bob pw", home)[0], 201)
        # The attacker's address: five wrong passwords for bob are checked, the sixth is not.
        for _ in range(NAME_BURST):
            self.assertEqual(self.login("bob", "guess", attacker)[0], 401)
        full = time.time()
        self.assertEqual(self.login("bob", "guess", attacker)[0], 429)
        # 650 failed logins for 650 other names from 217 addresses: 600 unknown names with wrong tokens, 30
        # unknown names and 20 real users with wrong passwords.
        statuses = self.other_names(600, "ghost", 10) + [
            self.login("u%02d" % i if i < 20 else "nobody%d" % i, "wrong", "127.20.0.%d" % (i + 1))[0]
            for i in range(50)]
        self.assertEqual(statuses.count(401), 650, statuses)
        # bob's failures at the attacker's address are remembered: 13 more guesses (18 in all, as in the
        # report) are refused without a key derivation, apart from what the minutes since allow.
        self.guesses_until_refused("bob", [attacker] * 13, full, 60)
        # Many addresses guessing together: bob's own budget (in the database) stops them.
        start = time.time()
        statuses = [self.login("bob", "guess", "127.30.0.%d" % i)[0] for i in range(1, 71)]
        full = time.time()
        self.assertLessEqual(statuses.count(401), USER_BURST - NAME_BURST + int((full - start) / 60) + 2, statuses)
        self.assertEqual(statuses[-10:], [429] * 10, statuses)
        # Another 650 failures for other names cannot push bob's budget out: a stranger still cannot try.
        self.other_names(650, "phantom", 40)
        self.guesses_until_refused("bob", ["127.50.0.%d" % i for i in range(1, 20)], full, 60)
        self.assertEqual(self.login("bob", "bob pw", "127.50.1.1")[0], 429)
        # ... but bob is not locked out of the place he logged in from before.
        self.assertEqual(self.login("bob", "bob pw", home)[0], 201)
        # The budget survives a restart (the memory is gone, the database is not).
        self.srv.stop()
        self.srv.start()
        self.guesses_until_refused("bob", ["127.50.2.%d" % i for i in range(1, 20)], full, 60)
        # Only real users have rows of their own: 1,280 unknown names left nothing in the database but the
        # one shared row ("") that their failed password checks write to, so that they take as long.
        rows = self.throttle_rows()
        self.assertIn("bob", rows)
        self.assertTrue(rows <= {"bob", ""} | {"u%02d" % i for i in range(20)}, rows)

    def test_unknown_name_answers_as_a_user(self):
        """Many addresses guessing a real user's password and an unknown name's get the same answers: 401
        until the user budget is full, then 429 busy. Before, the unknown name kept answering 401 and so
        told that it was not a user."""
        self.srv.cli("user-add", "carl", "--password-stdin", input="carl pw\n")
        answers = {}
        for n, name in enumerate(("carl", "nosuchuser")):
            start = time.time()
            statuses = [self.login(name, "guess", "127.%d.%d.1" % (80 + n, i))[0] for i in range(USER_BURST + 10)]
            passed = int((time.time() - start) / 60) + 1  # the budget drains one a minute
            self.assertEqual(statuses[-10 + passed:], [429] * (10 - passed), (name, statuses))
            answers[name] = statuses
        self.assertEqual(set(answers["carl"]), set(answers["nosuchuser"]), answers)
        self.assertLessEqual(abs(answers["carl"].index(429) - answers["nosuchuser"].index(429)), 2, answers)
        self.assertNotIn("nosuchuser", self.throttle_rows(), "still no row for a name nobody has")

    def test_flood_from_one_address(self):
        """300 unauthenticated logins at once from one address, then 40 more one after the other: the address
        budget refuses them with 429 before any key derivation (the cap on concurrent derivations may answer
        some 503); key derivations run for no more than the budget plus the derivations under way."""
        source = "127.60.0.1"
        before = self.checks()
        rows_before = self.throttle_rows()
        with ThreadPoolExecutor(24) as pool:
            statuses = list(pool.map(lambda i: self.login("nobody%d" % i, "x", source)[0], range(300)))
        statuses += [self.login("nobody-%d" % i, "x", source)[0] for i in range(40)]
        ran = self.checks() - before
        self.assertTrue(set(statuses) <= {401, 429, 503}, statuses)
        self.assertLessEqual(ran, ADDR_BURST + os.cpu_count(), "key derivations run for 340 attempts")
        self.assertEqual(statuses.count(401), ran)
        self.assertEqual(statuses[-5:], [429] * 5, statuses)
        stats = self.srv.login_stats()
        self.assertGreater(stats["refused_address"], 0, stats)
        self.assertEqual(stats["refused_busy"], statuses.count(503), stats)
        # Nothing was written for unknown names but their shared row; the server still serves; another address
        # is not affected.
        self.assertEqual(self.throttle_rows() - {""}, rows_before - {""})
        self.assertEqual(self.srv.request("GET", "/api/v1/config")[0], 200)
        self.assertEqual(self.login("bob", "bob pw", "127.60.0.2")[0], 201)

    def test_fleet_behind_one_address(self):
        """80 machines behind one NAT address apply through one shared account at once, one misconfigured
        machine among them fails three times: every machine gets its application, none is refused by the
        throttle (429); the cap on derivations may ask some to come back (503), as the protocol allows."""
        source = "127.70.0.1"
        results, lock = [], threading.Lock()

        def until_not_busy(password):
            for _ in range(60):
                st, doc = self.login("shared", password, source)
                if st != 503:
                    return st
                time.sleep(doc["error"]["retry_after"])
            return st

        def machine(i):
            st = until_not_busy("fleet pw")
            with lock:
                results.append(st)

        def misconfigured():
            for _ in range(3):
                self.assertEqual(until_not_busy("old fleet pw"), 401)

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(machine, i) for i in range(80)]
            futures.insert(40, pool.submit(misconfigured))
            for f in futures:
                f.result()
        self.assertEqual(results, [201] * 80)
        stats = self.srv.login_stats()
        self.assertEqual((stats["refused_address"], stats["refused_name"], stats["refused_user"]), (0, 0, 0),
                         stats)
        st, doc, _, _ = self.srv.admin("GET", "/applications")
        self.assertEqual(len([a for a in doc["applications"] if a["user"] == "shared"]), 80)
        self.assertEqual(len({a["id"] for a in doc["applications"]}), 80)
        # The fleet's password was derived a few times at most (machines that took a derivation slot before
        # the first derivation ended, and again after the cache's minute), not once per machine; each of the
        # misconfigured machine's wrong passwords was derived.
        self.assertEqual(stats["failed"], 3, stats)
        self.assertEqual(stats["password_checks"] - 3 + stats["cache_hits"], 80, stats)
        self.assertGreaterEqual(stats["cache_hits"], 60, stats)

    def test_verified_password_cache(self):
        """A correct password is derived once and then answered from the server's memory of verified
        passwords; a wrong one is derived every time and counts; a user deleted while the server runs is
        refused at once, and re-added with the same password is derived anew (docs/server.md)."""
        source = "127.80.0.1"

        def delta(before, key):
            return self.srv.login_stats()[key] - before[key]

        before = self.srv.login_stats()
        self.assertEqual(self.login("shared", "fleet pw", source)[0], 201)
        self.assertEqual(self.login("shared", "fleet pw", source)[0], 201)
        self.assertEqual((delta(before, "password_checks"), delta(before, "cache_hits")), (1, 1))
        for _ in range(2):
            self.assertEqual(self.login("shared", "fleet pW", source)[0], 401)
        self.assertEqual((delta(before, "password_checks"), delta(before, "cache_hits"), delta(before, "failed")),
                         (3, 1, 2))
        self.srv.cli("user-del", "shared")
        self.assertEqual(self.login("shared", "fleet pw", source)[0], 401)
        self.assertEqual((delta(before, "password_checks"), delta(before, "cache_hits")), (4, 1))
        self.srv.cli("user-add", "shared", "--password-stdin", input="fleet pw\n")
        self.assertEqual(self.login("shared", "fleet pw", source)[0], 201)
        self.assertEqual(self.login("shared", "fleet pw", source)[0], 201)
        self.assertEqual((delta(before, "password_checks"), delta(before, "cache_hits")), (5, 2))


if __name__ == "__main__":
    unittest.main(verbosity=2)
