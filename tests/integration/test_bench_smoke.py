"""Smoke test of the load driver telex-bench (bench/driver/) against a real telexd, so the
benchmark keeps working as the server changes: 50 SCRAM sessions exchange ~200 chat messages
with zero loss (read by the driver's lean path, not its full parser); PLAIN logins and the connect
scenario's /proc figures work; 50 sessions dropped at once all come back with their resource and
are reachable (reconnect scenario); a wrong password is reported as failed logins, not as success.
Not a benchmark: figures are not checked.

Run: /usr/bin/python3 tests/integration/test_bench_smoke.py --telexd build/telexd
(telex-bench is looked up next to telexd.)
"""

import json
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402

PW = "pw-bench-smoke"
USERS = 50


class BenchSmokeTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.bench = os.path.join(os.path.dirname(h.TELEXD), "telex-bench")
        cls.server = h.TelexServer(storage="sqlite", log_level="info",
                                   settings={"c2s.require_tls": "false",
                                             "mam.default": "never"})
        res = cls.server.cli("user", "add", "--bulk", "bench", "--count", str(USERS),
                             "--password", PW, timeout=60)
        if res.returncode != 0:
            raise AssertionError("bulk add failed: %s%s" % (res.stdout, res.stderr))
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()

    def drive(self, *args, password=PW, users=USERS):
        self.assertTrue(os.access(self.bench, os.X_OK), "telex-bench not built next to telexd")
        cmd = [self.bench, "--port", str(self.server.c2s_port), "--domain", self.server.domain,
               "--password", password, "--users", str(users), "--timeout", "20",
               "--server-pid", str(self.server.proc.pid), "--quiet", *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=40)
        lines = [l for l in res.stdout.splitlines() if l.startswith("RESULT ")]
        self.assertEqual(len(lines), 1, "no RESULT line: %r %r" % (res.stdout, res.stderr))
        return res.returncode, json.loads(lines[0][len("RESULT "):])

    def test_chat_without_loss(self):
        code, r = self.drive("--scenario", "chat", "--rate", "200", "--duration", "1",
                             "--drain", "5")
        self.assertEqual(code, 0, r)
        self.assertEqual(r["sessions"], USERS)
        chat = r["chat"]
        self.assertGreaterEqual(chat["sent"], 150, chat)
        self.assertEqual(chat["received"], chat["sent"], chat)
        self.assertEqual(chat["lost"], 0, chat)
        self.assertEqual(chat["errors"], 0, chat)
        self.assertGreater(chat["p99_us"], 0, chat)
        self.assertGreaterEqual(chat["p999_us"], chat["p50_us"], chat)
        self.assertEqual(chat["received_parsed"], 0, chat)

    def test_reconnect_storm_brings_every_session_back(self):
        code, r = self.drive("--scenario", "reconnect", "--hold", "1", "--drain", "5")
        self.assertEqual(code, 0, r)
        rc = r["reconnect"]
        self.assertEqual(rc["sessions_dropped"], USERS, rc)
        self.assertEqual(rc["sessions_back"], USERS, rc)
        self.assertEqual(rc["same_resource"], USERS, rc)
        self.assertTrue(rc["complete"], rc)
        self.assertEqual(rc["failures"], 0, rc)
        self.assertGreater(rc["storm_s"], 0, rc)
        self.assertGreater(rc["rss_after_kb"], 0, rc)
        # One message around the ring of new sessions: the server routes to them, not the old ones.
        check = rc["check"]
        self.assertEqual(check["sent"], USERS, check)
        self.assertEqual(check["received"], USERS, check)
        self.assertEqual(check["errors"], 0, check)

    def test_connect_with_plain_reads_server_figures(self):
        code, r = self.drive("--scenario", "connect", "--mechanism", "plain", users=20)
        self.assertEqual(code, 0, r)
        self.assertEqual(r["sessions_held"], 20)
        self.assertGreater(r["rss_after_kb"], 0, r)
        self.assertIn("rss_per_session_bytes", r)

    def test_wrong_password_counts_as_failures(self):
        code, r = self.drive("--scenario", "connect", password="not-the-password", users=5)
        self.assertEqual(code, 2, r)
        self.assertEqual(r["sessions"], 0, r)
        self.assertEqual(r["login_failures"], 5, r)


if __name__ == "__main__":
    h.main()
