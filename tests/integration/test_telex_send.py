"""`telex send` and `telex watch` against a real telexd, with slixmpp on the other side.

Covers: bare and full JIDs, several recipients, text from stdin, headline alerts, receipts
(--wait-receipt), sign-in and delivery failures with their exit codes and one-line messages,
certificate verification (--ca-file / --insecure / rejection), direct TLS, SOCKS 4/4a/5
proxies (a small asyncio proxy inside this file), the config file, and `telex watch` printing
messages, reconnecting after a server restart and exiting cleanly on SIGTERM.

The `telex` binary is found next to telexd (same build directory).
Run: /usr/bin/python3 tests/integration/test_telex_send.py --telexd build/telexd
"""

import asyncio
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import HOST, LOOP, pump, run  # noqa: E402

PASSWORDS = {
    "alice@localhost": "alice-secret",
    "bob@localhost": "bob-secret",
    "carol@localhost": "carol-secret",
    "dave@localhost": "dave-secret",  # never online
}
NASTY = "<&'\">"

EXIT_DELIVERY = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3


def telex_binary():
    path = os.path.join(os.path.dirname(h.TELEXD), "telex")
    if not os.access(path, os.X_OK):
        raise AssertionError("telex binary not found next to telexd: %s" % path)
    return path


class Result:
    def __init__(self, code, out, err):
        self.returncode = code
        self.stdout = out
        self.stderr = err

    def __repr__(self):
        return "exit %s\nstdout: %s\nstderr: %s" % (self.returncode,
                                                   self.stdout, self.stderr)


# --------------------------------------------------------------------------
# A SOCKS 4 / 4a / 5 proxy (RFC 1928 + RFC 1929) that only connects to 127.0.0.1.
# --------------------------------------------------------------------------

class SocksProxy:
    def __init__(self, username=None, password=None):
        self.username = username
        self.password = password
        self.requests = []  # (version, host, port)
        self.server = None
        self.port = None
        self._tasks = set()

    async def start(self):
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()
        for t in list(self._tasks):
            t.cancel()

    @staticmethod
    async def _read_until_nul(reader):
        data = await reader.readuntil(b"\0")
        return data[:-1].decode("utf-8", "replace")

    async def _handle(self, reader, writer):
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            await asyncio.wait_for(self._serve(reader, writer), 20)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError,
                ConnectionError, asyncio.CancelledError, OSError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader, writer):
        version = (await reader.readexactly(1))[0]
        if version == 5:
            n = (await reader.readexactly(1))[0]
            methods = await reader.readexactly(n)
            if self.username is not None:
                if 2 not in methods:
                    writer.write(b"\x05\xff")
                    return
                writer.write(b"\x05\x02")
                await reader.readexactly(1)
                user = await reader.readexactly((await reader.readexactly(1))[0])
                pw = await reader.readexactly((await reader.readexactly(1))[0])
                if (user.decode(), pw.decode()) != (self.username, self.password):
                    writer.write(b"\x01\x01")
                    return
                writer.write(b"\x01\x00")
            else:
                writer.write(b"\x05\x00")
            head = await reader.readexactly(4)
            atyp = head[3]
            if atyp == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif atyp == 3:
                host = (await reader.readexactly(
                    (await reader.readexactly(1))[0])).decode()
            else:
                host = socket.inet_ntop(socket.AF_INET6,
                                        await reader.readexactly(16))
            port = struct.unpack(">H", await reader.readexactly(2))[0]
            ok_reply = b"\x05\x00\x00\x01" + socket.inet_aton(HOST) + b"\0\0"
            fail_reply = b"\x05\x05\x00\x01" + b"\0" * 6
        elif version == 4:
            await reader.readexactly(1)  # CONNECT
            port = struct.unpack(">H", await reader.readexactly(2))[0]
            ip = await reader.readexactly(4)
            await self._read_until_nul(reader)  # user id
            if ip[:3] == b"\0\0\0" and ip[3] != 0:
                version = "4a"
                host = await self._read_until_nul(reader)
            else:
                host = socket.inet_ntoa(ip)
            ok_reply = b"\x00\x5a" + b"\0" * 6
            fail_reply = b"\x00\x5b" + b"\0" * 6
        else:
            return
        self.requests.append((version, host, port))
        if host not in ("127.0.0.1", "localhost"):
            writer.write(fail_reply)  # this proxy only reaches the loopback interface
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, port)
        except OSError:
            writer.write(fail_reply)
            return
        writer.write(ok_reply)

        async def pipe(src, dst):
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


# --------------------------------------------------------------------------


class TelexTestBase(h.ServerTestCase):
    users = PASSWORDS
    settings = {"auth.failure_limit": 1000}

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="telex-home-")
        self._procs = []

    def tearDown(self):
        for p in self._procs:
            if p.returncode is None:
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
                try:
                    run(p.wait(), timeout=5)
                except Exception:  # noqa: BLE001
                    pass
        shutil.rmtree(self.home, ignore_errors=True)
        super().tearDown()

    @property
    def cert(self):
        return os.path.join(self.server.data_dir, "tls", "cert.pem")

    def env(self, jid="alice@localhost", password=None, server=None,
            extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TELEX_")}
        env["HOME"] = self.home
        env["XDG_CONFIG_HOME"] = os.path.join(self.home, ".config")
        if jid:
            env["TELEX_JID"] = jid
            env["TELEX_PASSWORD"] = password or PASSWORDS[jid.split("/")[0]]
        # server=None: this test server's STARTTLS port; "": no TELEX_SERVER.
        if server is None:
            server = "%s:%d" % (HOST, self.server.c2s_port)
        if server:
            env["TELEX_SERVER"] = server
        env.update(extra or {})
        return env

    async def telex_async(self, *args, stdin=None, ca=True, timeout=40,
                          **envkw):
        cmd = [telex_binary()] + [str(a) for a in args]
        if ca and args and args[0] in ("send", "watch"):
            cmd += ["--ca-file", self.cert]
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self.env(**envkw))
        self._procs.append(proc)
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin is not None else b""),
            timeout)
        return Result(proc.returncode, out.decode(), err.decode())

    def telex(self, *args, **kw):
        """Run telex to completion while the shared loop keeps slixmpp
        receivers (and their receipts) going."""
        return run(self.telex_async(*args, **kw), timeout=60)

    def receiver(self, jid, receipts=False, priority=0):
        c = self.client(jid)
        if receipts:
            c.xmpp.register_plugin("xep_0184")
        run(c.login(), timeout=15)
        run(c.set_presence(priority=priority), timeout=10)
        return c

    def expect_message(self, client, body, timeout=10):
        msg = run(client.wait_message(body=body, timeout=timeout),
                  timeout=timeout + 5)
        self.assertIsNotNone(msg, "%s got no message %r; inbox: %r" %
                             (client.jid, body,
                              [m["body"] for m in client.inbox]))
        return msg

    # -- helpers for watch and the config file -----------------------------
    async def start_watch(self, *args, jid="bob@localhost"):
        cmd = [telex_binary(), "watch", "--ca-file", self.cert] + list(args)
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=self.env(jid=jid))
        self._procs.append(proc)
        return proc

    async def wait_stderr(self, proc, needle, timeout=15):
        lines = []
        deadline = LOOP.time() + timeout
        while LOOP.time() < deadline:
            try:
                line = await asyncio.wait_for(proc.stderr.readline(),
                                              max(0.05, deadline - LOOP.time()))
            except asyncio.TimeoutError:
                break
            if not line:
                break
            lines.append(line.decode())
            if needle in lines[-1]:
                return lines[-1]
        raise AssertionError("telex watch never printed %r; stderr: %r" %
                             (needle, lines))

    async def read_line(self, proc, timeout=10):
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        return line.decode().rstrip("\n")

    def write_config(self, text):
        path = os.path.join(self.home, ".config", "telex", "config.toml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


class TelexSendTest(TelexTestBase):

    def test_send_to_bare_jid(self):
        bob = self.receiver("bob@localhost/desk")
        text = "hello bob " + NASTY
        r = self.telex("send", "bob@localhost", text)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "", r)
        msg = self.expect_message(bob, text)
        self.assertEqual(msg["type"], "chat")
        self.assertEqual(msg["from"].bare, "alice@localhost")
        self.assertEqual(msg["to"].bare, "bob@localhost")

    def test_send_to_full_jid_reaches_only_that_machine(self):
        desk = self.receiver("bob@localhost/desk")
        laptop = self.receiver("bob@localhost/laptop")
        r = self.telex("send", "bob@localhost/laptop", "only the laptop")
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(laptop, "only the laptop")
        pump(0.3)
        self.assertFalse(desk.has_message("only the laptop"))

    def test_two_recipients(self):
        bob = self.receiver("bob@localhost/desk")
        carol = self.receiver("carol@localhost/desk")
        r = self.telex("send", "bob@localhost", "carol@localhost/desk",
                       "to both of you")
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(bob, "to both of you")
        self.expect_message(carol, "to both of you")

    def test_text_from_stdin(self):
        bob = self.receiver("bob@localhost/desk")
        carol = self.receiver("carol@localhost/desk")
        body = "first line " + NASTY + "\nsecond line"
        r = self.telex("send", "bob@localhost", "carol@localhost",
                       stdin=body + "\n")
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(bob, body)
        self.expect_message(carol, body)

    def test_headline_alert(self):
        bob = self.receiver("bob@localhost/desk")
        r = self.telex("send", "--headline", "bob@localhost", "disk full")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.expect_message(bob, "disk full")["type"],
                         "headline")
        r = self.telex("send", "--type", "normal", "--subject", "note " + NASTY,
                       "bob@localhost", "a normal one")
        self.assertEqual(r.returncode, 0, r)
        msg = self.expect_message(bob, "a normal one")
        self.assertEqual(msg["type"], "normal")
        self.assertEqual(msg["subject"], "note " + NASTY)

    def test_wait_receipt(self):
        bob = self.receiver("bob@localhost/desk", receipts=True)
        carol = self.receiver("carol@localhost/desk", receipts=True)
        r = self.telex("send", "--wait-receipt", "--timeout", "10",
                       "bob@localhost", "carol@localhost/desk", "ack please")
        self.assertEqual(r.returncode, 0, r)
        msg = self.expect_message(bob, "ack please")
        self.assertTrue(msg["request_receipt"])
        self.expect_message(carol, "ack please")

    def test_wrong_password(self):
        r = self.telex("send", "bob@localhost", "x", password="wrong")
        self.assertEqual(r.returncode, EXIT_CONNECTION, r)
        self.assertEqual(r.stderr.strip(), "telex: sign-in failed: not-authorized")

    def test_unknown_account(self):
        r = self.telex("send", "bob@localhost", "x", jid="nobody@localhost",
                       password="whatever")
        self.assertEqual(r.returncode, EXIT_CONNECTION, r)
        self.assertIn("sign-in failed: not-authorized", r.stderr)

    def test_offline_recipient_is_a_delivery_failure(self):
        # Depending on the server's offline storage (XEP-0160) the message is
        # bounced (service-unavailable) or stored; either way no receipt
        # comes back in time, and that is a failure for --wait-receipt.
        r = self.telex("send", "--wait-receipt", "--timeout", "2",
                       "dave@localhost", "are you there?")
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        line = r.stderr.strip()
        self.assertTrue(
            line.startswith("telex: no delivery receipt from dave@localhost "
                            "within 2 s") or
            line == "telex: delivery to dave@localhost failed: "
                    "service-unavailable", r)

    def test_unknown_user_bounce_is_a_delivery_failure(self):
        # RFC 6121 §8.5.1: no such account → service-unavailable. The bounce
        # needs a storage look-up and may trail the ping telex syncs with.
        r = self.telex("send", "nosuchuser@localhost", "hello?")
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        self.assertEqual(r.stderr.strip(), "telex: delivery to "
                         "nosuchuser@localhost failed: service-unavailable")

    def test_error_stanza_is_a_delivery_failure(self):
        # telexd has no server-to-server links: a remote address bounces.
        bob = self.receiver("bob@localhost/desk")
        r = self.telex("send", "someone@example.net", "bob@localhost",
                       "half of it arrives")
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        self.assertTrue(r.stderr.startswith(
            "telex: delivery to someone@example.net failed: "
            "remote-server-not-found"), r)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r)
        self.expect_message(bob, "half of it arrives")

    def test_missing_receipt_times_out(self):
        # Headlines to offline users vanish silently (RFC 6121 §8.5.2.1.1):
        # only a receipt could prove delivery.
        bob = self.receiver("bob@localhost/desk", receipts=True)
        r = self.telex("send", "--headline", "--wait-receipt", "--timeout",
                       "1.5", "bob@localhost", "dave@localhost", "alert")
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        self.assertIn("no delivery receipt from dave@localhost within", r.stderr)
        self.assertNotIn("bob@localhost", r.stderr)
        self.expect_message(bob, "alert")

    def test_usage_errors(self):
        r = self.telex("send", "not a jid", "x@y", "text")
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        r = self.telex("send", "bob@localhost", stdin="")
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        self.assertIn("empty", r.stderr)
        r = self.telex("send", "--type", "shout", "bob@localhost", "x")
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        r = self.telex("send", "bob@localhost", "x", jid=None)
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        self.assertIn("no account", r.stderr)
        r = self.telex("send", "--room", "not a room", "x")
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        self.assertIn("is not a valid room", r.stderr)

    # -- TLS ----------------------------------------------------------------
    def test_self_signed_certificate_is_rejected_without_ca_file(self):
        r = self.telex("send", "bob@localhost", "x", ca=False)
        self.assertEqual(r.returncode, EXIT_CONNECTION, r)
        line = r.stderr.strip()
        self.assertTrue(line.startswith("telex: TLS failed: the server's "
                                        "certificate is not trusted"), r)
        self.assertIn("--ca-file", line)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r)

    def test_insecure_skips_verification_with_a_warning(self):
        bob = self.receiver("bob@localhost/desk")
        r = self.telex("send", "--insecure", "bob@localhost", "insecure hi",
                       ca=False)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("warning", r.stderr)
        self.expect_message(bob, "insecure hi")

    def test_certificate_for_another_name_is_rejected(self):
        # The trusted certificate names "localhost"; for an account on another
        # domain served from the same address it must not be accepted.
        r = self.telex("send", "--direct-tls", "bob@localhost", "x",
                       jid="alice@example.net", password="x",
                       server="%s:%d" % (HOST, self.server.tls_port))
        self.assertEqual(r.returncode, EXIT_CONNECTION, r)
        self.assertIn("not trusted: hostname mismatch", r.stderr)

    def test_direct_tls(self):
        bob = self.receiver("bob@localhost/desk")
        r = self.telex("send", "--direct-tls", "bob@localhost", "direct",
                       server="%s:%d" % (HOST, self.server.tls_port))
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(bob, "direct")

    def test_connection_refused(self):
        port = h.free_ports(1)[0]
        r = self.telex("send", "bob@localhost", "x",
                       server="%s:%d" % (HOST, port))
        self.assertEqual(r.returncode, EXIT_CONNECTION, r)
        self.assertIn("telex: connection failed: cannot connect to 127.0.0.1:%d"
                      % port, r.stderr)

    # -- proxies ------------------------------------------------------------
    def _via_proxy(self, url_fmt, username=None, password=None):
        proxy = run(SocksProxy(username, password).start())
        try:
            bob = self.receiver("bob@localhost/desk")
            text = "through %s" % url_fmt.split(":")[0]
            r = self.telex("send", "--proxy", url_fmt % proxy.port,
                           "bob@localhost", text)
            self.assertEqual(r.returncode, 0, r)
            self.expect_message(bob, text)
            self.assertTrue(proxy.requests, "telex did not use the proxy")
            self.assertEqual(proxy.requests[0][1:],
                             (HOST, self.server.c2s_port))
            return proxy, r
        finally:
            run(proxy.stop())

    def test_socks5_proxy(self):
        proxy, _ = self._via_proxy("socks5://127.0.0.1:%d")
        self.assertEqual(proxy.requests[0][0], 5)

    def test_socks5_proxy_with_password(self):
        self._via_proxy("socks5://user:p%%40ss@127.0.0.1:%d", "user", "p@ss")

    def test_socks5_proxy_wrong_password(self):
        proxy = run(SocksProxy("user", "right").start())
        try:
            r = self.telex("send", "--proxy",
                           "socks5://user:wrong@127.0.0.1:%d" % proxy.port,
                           "bob@localhost", "x")
            self.assertEqual(r.returncode, EXIT_CONNECTION, r)
            self.assertEqual(r.stderr.strip(), "telex: connection failed: proxy: "
                             "SOCKS5 proxy rejected the username or password")
        finally:
            run(proxy.stop())

    def test_socks4_and_socks4a_proxies(self):
        proxy, _ = self._via_proxy("socks4://127.0.0.1:%d")
        self.assertEqual(proxy.requests[0][0], 4)
        # SOCKS4a sends the name for the proxy to resolve.
        proxy = run(SocksProxy().start())
        try:
            bob = self.receiver("bob@localhost/a4")
            r = self.telex("send", "--proxy", "socks4a://127.0.0.1:%d" % proxy.port,
                           "bob@localhost", "via 4a",
                           server="localhost:%d" % self.server.c2s_port)
            self.assertEqual(r.returncode, 0, r)
            self.expect_message(bob, "via 4a")
            self.assertEqual(proxy.requests[0],
                             ("4a", "localhost", self.server.c2s_port))
        finally:
            run(proxy.stop())

    def test_proxy_from_config_file(self):
        proxy = run(SocksProxy().start())
        try:
            bob = self.receiver("bob@localhost/desk")
            self.write_config("[proxy]\nenabled = true\ntype = \"socks5\"\n"
                              "host = \"127.0.0.1\"\nport = %d\n" % proxy.port)
            r = self.telex("send", "bob@localhost", "config proxy")
            self.assertEqual(r.returncode, 0, r)
            self.expect_message(bob, "config proxy")
            self.assertEqual(len(proxy.requests), 1)
        finally:
            run(proxy.stop())

    # -- configuration ------------------------------------------------------
    def test_account_from_config_file(self):
        bob = self.receiver("bob@localhost/desk")
        pwfile = os.path.join(self.home, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORDS["alice@localhost"] + "\n")
        self.write_config(
            "[account]\njid = \"alice@localhost\"\nserver = \"%s:%d\"\n"
            "password_file = \"%s\"\nca_file = \"%s\"\n\n[client]\naway_minutes = 7\n"
            % (HOST, self.server.c2s_port, pwfile, self.cert))
        r = self.telex("send", "bob@localhost", "from the config", jid=None,
                       ca=False, server="")
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(bob, "from the config")

    def test_unknown_config_key_names_the_line(self):
        path = self.write_config("[client]\nsound = true\nsoundz = false\n")
        r = self.telex("send", "bob@localhost", "x")
        self.assertEqual(r.returncode, EXIT_USAGE, r)
        self.assertEqual(r.stderr.strip(),
                         "telex: %s:3: unknown key \"client.soundz\"" % path)

    def test_password_file_flag(self):
        bob = self.receiver("bob@localhost/desk")
        pwfile = os.path.join(self.home, "alice.pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORDS["alice@localhost"])
        env_without_password = {"TELEX_PASSWORD": ""}
        r = self.telex("send", "--password-file", pwfile, "bob@localhost",
                       "pw from file", extra=env_without_password)
        self.assertEqual(r.returncode, 0, r)
        self.expect_message(bob, "pw from file")

    # -- watch --------------------------------------------------------------
    def test_watch_prints_messages_and_exits_on_sigterm(self):
        watch = run(self.start_watch("--resource", "machine1"))
        line = run(self.wait_stderr(watch, "watching as"))
        self.assertIn("bob@localhost/machine1", line)
        alice = self.login("alice@localhost/py")
        alice.send_message("bob@localhost", "net send " + NASTY + "\nline 2")
        out = run(self.read_line(watch))
        self.assertRegex(out, r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "
                              r"alice@localhost/py: ")
        self.assertTrue(out.endswith(": net send " + NASTY + "\\nline 2"), out)
        alice.send_message("bob@localhost/machine1", "server on fire",
                           mtype="headline")
        out = run(self.read_line(watch))
        self.assertIn(" ALERT alice@localhost/py: server on fire", out)
        # telex send → telex watch, the NET SEND path end to end.
        r = self.telex("send", "--headline", "bob@localhost/machine1", "to the machine")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("ALERT alice@localhost/", run(self.read_line(watch)))
        watch.send_signal(signal.SIGTERM)
        code = run(asyncio.wait_for(watch.wait(), 10), timeout=15)
        self.assertEqual(code, 0)

    def test_watch_answers_receipts(self):
        watch = run(self.start_watch("--resource", "m2"))
        run(self.wait_stderr(watch, "watching as"))
        r = self.telex("send", "--wait-receipt", "--timeout", "10",
                       "bob@localhost/m2", "receipt from watch")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("receipt from watch", run(self.read_line(watch)))
        watch.send_signal(signal.SIGINT)
        self.assertEqual(run(asyncio.wait_for(watch.wait(), 10), timeout=15), 0)

    def test_watch_wrong_password_exits(self):
        env_jid = "bob@localhost"
        cmd = [telex_binary(), "watch", "--ca-file", self.cert]
        env = self.env(jid=env_jid, password="wrong")

        async def go():
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                env=env)
            self._procs.append(proc)
            out, err = await asyncio.wait_for(proc.communicate(), 20)
            return proc.returncode, err.decode()
        code, err = run(go(), timeout=25)
        self.assertEqual(code, EXIT_CONNECTION)
        self.assertIn("sign-in failed: not-authorized", err)


class TelexSessionSettingsTest(TelexTestBase):
    """The seeds' "run at startup" and "run in the background" settings."""

    def test_autostart_follows_run_at_startup(self):
        entry = os.path.join(self.home, ".config", "autostart", "telex-watch.desktop")
        unit = os.path.join(self.home, ".config", "systemd", "user", "telex-watch.service")
        r = self.telex("autostart")  # no config file: the seeds' default is on
        self.assertEqual(r.returncode, 0, r)
        with open(entry) as f:
            self.assertIn('Exec="%s" watch' % os.path.realpath(telex_binary()), f.read())
        with open(unit) as f:
            self.assertIn("ExecStart=", f.read())
        self.write_config("[client]\nrun_at_startup = false\n")
        r = self.telex("autostart")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("removed", r.stdout)
        self.assertFalse(os.path.exists(entry))
        self.assertFalse(os.path.exists(unit))

    def test_daemon_refused_when_background_is_off(self):
        self.write_config("[client]\nrun_in_background = false\n")
        r = self.telex("watch", "--daemon", jid="bob@localhost")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("run_in_background", r.stderr)


class TelexWatchReconnectTest(TelexTestBase):
    """A server restart: `telex watch` reconnects with backoff."""

    def test_watch_reconnects_after_server_restart(self):
        watch = run(self.start_watch("--resource", "r1"))
        run(self.wait_stderr(watch, "watching as"))
        old = self.server
        old.stop()
        run(self.wait_stderr(watch, "reconnecting in"))
        # Same ports and data dir (users, certificate).
        new = h.TelexServer(data_dir=old.data_dir, c2s_port=old.c2s_port,
                            tls_port=old.tls_port, settings=self.settings,
                            name="telexd-restarted")
        new.start()
        type(self).server = new
        try:
            run(self.wait_stderr(watch, "watching as", timeout=30))
            r = self.telex("send", "bob@localhost/r1", "after the restart")
            self.assertEqual(r.returncode, 0, r)
            self.assertIn("after the restart",
                          run(self.read_line(watch)))
            watch.send_signal(signal.SIGTERM)
            self.assertEqual(run(asyncio.wait_for(watch.wait(), 10),
                                 timeout=15), 0)
        finally:
            # The restarted server uses the old one's data dir; main() removes both at the end.
            old.kill()


if __name__ == "__main__":
    h.main()
