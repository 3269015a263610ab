"""Process lifecycle: shutdown on signals, start-up failures, configuration,
restart with the same data dir.

Run: /usr/bin/python3 tests/integration/test_lifecycle.py --telexd build/telexd
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

PW = "pw-lifecycle"


def tail(text, n=1500):
    return text if len(text) <= n else "[...]" + text[-n:]


class LifecycleCase(unittest.TestCase):
    """Each test starts its own servers; all are stopped afterwards."""

    def assertStderrHas(self, needle, res, what=None):
        if needle not in res.stderr:
            self.fail("%s: %r not in stderr: %r" %
                      (what or "stderr", needle, tail(res.stderr)))

    def assertStderrMatches(self, pattern, res, what=None):
        if not re.search(pattern, res.stderr):
            self.fail("%s: /%s/ not in stderr: %r" %
                      (what or "stderr", pattern, tail(res.stderr)))

    def setUp(self):
        self.servers = []
        self.clients = []
        self.raws = []
        self.tmp = tempfile.mkdtemp(prefix="telex-it-lc-")

    def tearDown(self):
        for c in self.clients:
            try:
                run(c.disconnect(), timeout=5)
            except Exception:  # noqa: BLE001
                c.abort()
        for r in self.raws:
            r.close()
        for s in self.servers:
            s.stop(timeout=5)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, **kw):
        s = h.TelexServer(**kw)
        self.servers.append(s)
        return s

    def login(self, server, jid, password=PW, **kw):
        c = h.XmppClient(server, jid, password, **kw)
        self.clients.append(c)
        run(c.login(), timeout=15)
        return c

    def raw(self, port, **kw):
        r = h.RawClient(port, **kw)
        self.raws.append(r)
        return r

    def run_failing(self, args, timeout=8):
        """Run telexd expecting it to exit by itself (bounded)."""
        try:
            res = h.run_telexd(args, timeout=timeout)
        except Exception as e:  # subprocess.TimeoutExpired
            self.fail("telexd %s did not exit within %d s (%s)" %
                      (" ".join(args), timeout, e))
        return res

    def ports(self):
        return h.free_ports(2)

    def base_args(self, data_dir=None, ports=None):
        c2s, tls = ports or self.ports()
        return ["--domain", "localhost",
                "--data-dir", data_dir or os.path.join(self.tmp, "data"),
                "--c2s-port", str(c2s), "--c2s-tls-port", str(tls)]

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path


class ShutdownTest(LifecycleCase):
    def _shutdown(self, sig):
        s = self.server().start()
        s.add_user("alice@localhost", PW)
        c = self.login(s, "alice@localhost/sig")
        unauth = self.raw(s.c2s_port)
        unauth.open_stream()
        authed = self.raw(s.tls_port, direct_tls=True)
        authed.login("alice", PW, resource="raw")
        t0 = time.monotonic()
        s.signal(sig)
        self.assertEqual(run(c.wait_stream_error(10), timeout=15),
                         "system-shutdown", "slixmpp session")
        self.assertTrue(run(c.wait_disconnected(5), timeout=10))
        for name, r in (("unauthenticated", unauth), ("raw session", authed)):
            self.assertEqual(r.stream_error(timeout=5), "system-shutdown",
                             name)
            self.assertTrue(r.wait_closed(5), name)
        code = s.wait(10)
        self.assertIsNotNone(code, "telexd still running 10 s after signal")
        self.assertEqual(code, 0, "exit code after %s" % sig.name)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertFalse(h.port_accepts(s.c2s_port))

    def test_sigterm_sends_system_shutdown_and_exits_0(self):
        self._shutdown(signal.SIGTERM)

    def test_sigint_sends_system_shutdown_and_exits_0(self):
        self._shutdown(signal.SIGINT)

    def test_sigterm_without_clients_exits_0(self):
        s = self.server().start()
        s.signal(signal.SIGTERM)
        self.assertEqual(s.wait(10), 0)

    def test_restart_keeps_users_and_certificate(self):
        s1 = self.server().start()
        s1.add_user("alice@localhost", PW)
        self.login(s1, "alice@localhost/one")
        tls_dir = os.path.join(s1.data_dir, "tls")
        self.assertTrue(os.path.isdir(tls_dir), "no %s after start" % tls_dir)
        before = self._read_dir(tls_dir)
        self.assertTrue(before, "certificate dir is empty")
        self.assertEqual(s1.stop(), 0)
        # Same ports right away (SO_REUSEADDR) and same data dir.
        s2 = self.server(data_dir=s1.data_dir, c2s_port=s1.c2s_port,
                         tls_port=s1.tls_port).start()
        self.login(s2, "alice@localhost/two")
        self.assertEqual(self._read_dir(tls_dir), before,
                         "certificate regenerated on restart")
        self.assertIn("alice@localhost", s2.list_users())

    @staticmethod
    def _read_dir(path):
        out = {}
        for name in sorted(os.listdir(path)):
            p = os.path.join(path, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    out[name] = f.read()
        return out

    def test_memory_storage_starts(self):
        s = self.server(storage="memory").start()
        r = self.raw(s.c2s_port)
        features = r.open_stream()
        self.assertEqual(features.tag, "{%s}features" % h.NS_STREAM)


class StartupFailureTest(LifecycleCase):
    def test_second_instance_on_same_port_fails(self):
        first = self.server().start()
        first.add_user("alice@localhost", PW)
        args = self.base_args(os.path.join(self.tmp, "data2"),
                              (first.c2s_port, first.tls_port))
        res = self.run_failing(args)
        self.assertNotEqual(res.returncode, 0)
        self.assertStderrHas(str(first.c2s_port), res, "busy port not named")
        # The first instance is unharmed.
        self.assertTrue(first.running())
        self.login(first, "alice@localhost/still")

    def test_tls_port_in_use_fails(self):
        c2s, tls = self.ports()
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind((h.HOST, tls))
        blocker.listen(1)
        try:
            res = self.run_failing(self.base_args(ports=(c2s, tls)))
        finally:
            blocker.close()
        self.assertNotEqual(res.returncode, 0)
        self.assertStderrHas(str(tls), res, "busy port not named")

    def test_data_dir_under_a_regular_file_fails(self):
        afile = self.write("not-a-dir", "x")
        data_dir = os.path.join(afile, "data")
        res = self.run_failing(self.base_args(data_dir))
        self.assertNotEqual(res.returncode, 0)
        self.assertTrue(res.stderr.strip(), "no message on stderr")
        self.assertStderrHas(afile, res, "data dir not named")

    @unittest.skipIf(os.geteuid() == 0, "root can write anywhere")
    def test_read_only_data_dir_fails(self):
        ro = os.path.join(self.tmp, "ro")
        os.mkdir(ro, 0o500)
        try:
            res = self.run_failing(self.base_args(os.path.join(ro, "data")))
        finally:
            os.chmod(ro, 0o700)
        self.assertNotEqual(res.returncode, 0)
        self.assertStderrHas(ro, res, "data dir not named")

    def test_unknown_config_option_names_the_line(self):
        cfg = self.write("telexd.toml", "\n".join([
            "# telexd test configuration",   # 1
            "[c2s]",                          # 2
            "max_resources = 5",              # 3
            "",                               # 4
            "[auth]",                         # 5
            "failure_limit = 5",              # 6
            "no_such_option = 1",             # 7
            "",
        ]))
        res = self.run_failing(["--config", cfg] + self.base_args())
        self.assertNotEqual(res.returncode, 0, "unknown option accepted")
        self.assertStderrHas("no_such_option", res, "option not named")
        self.assertStderrMatches(r"(?i)(line\s*:?\s*7\b|:7\b)", res,
                                 "line 7 not given")

    def test_unknown_config_section_fails(self):
        cfg = self.write("telexd.toml", "[c2s]\nmax_resources = 5\n"
                                        "[no_such_section]\nx = 1\n")
        res = self.run_failing(["--config", cfg] + self.base_args())
        self.assertNotEqual(res.returncode, 0, "unknown section accepted")
        self.assertStderrHas("no_such_section", res, "section not named")

    def test_malformed_config_fails(self):
        cfg = self.write("telexd.toml", "[c2s]\nmax_resources = = 5\n")
        res = self.run_failing(["--config", cfg] + self.base_args())
        self.assertNotEqual(res.returncode, 0)
        self.assertStderrMatches(r"(?i)(line\s*:?\s*2\b|:2\b)", res,
                                 "line 2 not given")

    def test_missing_config_file_fails(self):
        res = self.run_failing(["--config", os.path.join(self.tmp, "nope")]
                               + self.base_args())
        self.assertNotEqual(res.returncode, 0)

    def test_unknown_set_key_fails(self):
        res = self.run_failing(self.base_args() +
                               ["--set", "c2s.no_such_option=1"])
        self.assertNotEqual(res.returncode, 0)
        self.assertStderrHas("no_such_option", res, "key not named")

    def test_bad_set_value_fails(self):
        res = self.run_failing(self.base_args() +
                               ["--set", "c2s.max_resources=lots"])
        self.assertNotEqual(res.returncode, 0)


class ConfigFileTest(LifecycleCase):
    def _bind_results(self, server, user, count):
        results = []
        for i in range(count):
            r = self.raw(server.c2s_port)
            r.secure()
            ok, cond = r.auth_plain(user, PW)
            self.assertTrue(ok, cond)
            r.open_stream()
            resp = r.bind("r%d" % i)
            results.append(resp.get("type") if resp.get("type") == "result"
                           else stanza_error(resp))
        return results

    def test_config_file_values_are_used(self):
        cfg = self.write("telexd.toml", "[c2s]\nmax_resources = 1\n")
        s = self.server(config=cfg).start()
        s.add_user("alice@localhost", PW)
        self.assertEqual(self._bind_results(s, "alice", 2),
                         ["result", ("wait", "resource-constraint")])

    def test_set_overrides_config_file(self):
        cfg = self.write("telexd.toml", "[c2s]\nmax_resources = 1\n")
        s = self.server(config=cfg,
                        settings={"c2s.max_resources": 2}).start()
        s.add_user("alice@localhost", PW)
        self.assertEqual(self._bind_results(s, "alice", 3),
                         ["result", "result",
                          ("wait", "resource-constraint")])


class DescriptorExhaustionTest(LifecycleCase):
    """Out of file descriptors (EMFILE), telexd keeps its sessions, backs off instead of
    spinning on accept (one warning, not one per try), and accepts again once descriptors
    are free."""

    def test_accept_backs_off_at_emfile_and_recovers(self):
        s = self.server().start()
        s.add_user("alice@localhost", PW)
        s.add_user("bob@localhost", PW)
        alice = self.login(s, "alice@localhost/emfile")
        # Room for what is open now plus a few more connections, then none.
        in_use = len(os.listdir("/proc/%d/fd" % s.proc.pid))
        limit = in_use + 8
        subprocess.run(["prlimit", "--pid", str(s.proc.pid),
                        "--nofile=%d:%d" % (limit, limit)], check=True, timeout=10)
        flood = []
        try:
            for _ in range(40):
                sock = socket.create_connection(("127.0.0.1", s.c2s_port), timeout=2)
                flood.append(sock)
            h.pump(1.5)  # ~15 back-off periods with the listen queue still full
            self.assertIsNone(s.proc.poll(), "telexd died at EMFILE")
            warnings = s.log_text().count("failed: Too many open files")
            self.assertEqual(warnings, 1, "one warning per EMFILE episode, got %d" % warnings)
            # The session that was already there is untouched.
            body = "during-emfile"
            alice.send_message("alice@localhost/emfile", body)
            got = run(alice.wait_message(body=body, timeout=5), timeout=10)
            self.assertIsNotNone(got, "the existing session stopped working at EMFILE")
        finally:
            for sock in flood:
                sock.close()
        # Descriptors are free again: a new client signs in.
        self.login(s, "bob@localhost/after")
        self.assertIn("works again", s.log_text())


if __name__ == "__main__":
    h.main()
