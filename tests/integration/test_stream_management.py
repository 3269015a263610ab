"""Stream Management (XEP-0198) and Client State Indication (XEP-0352).

A killed TCP connection is resumed with nothing lost or duplicated; a session that is never
resumed hands its unacknowledged messages to offline storage; an inactive client gets its
presence late and its messages at once.

Run: /usr/bin/python3 tests/integration/test_stream_management.py --telexd build/telexd
"""

import asyncio
import os
import ssl
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slixmpp  # noqa: E402

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402


class SmClient:
    """A slixmpp client with XEP-0198 that reconnects (and so resumes) when told to."""

    def __init__(self, server, jid, password, reconnect=True):
        self.server = server
        self.x = slixmpp.ClientXMPP(jid, password)
        self.x.ssl_context.check_hostname = False
        self.x.ssl_context.verify_mode = ssl.CERT_NONE
        self.x.register_plugin("xep_0198")
        self.bodies = []
        self.started = asyncio.Event()
        self.resumed = asyncio.Event()
        self.reconnect = reconnect
        self.x.add_event_handler("message", lambda m: self.bodies.append(m["body"]))
        self.x.add_event_handler("session_start", self._on_start)
        self.x.add_event_handler("session_resumed", lambda _e: self.resumed.set())
        self.x.add_event_handler("disconnected", self._on_disconnected)

    def _on_start(self, _e):
        self.x.send_presence()
        self.started.set()

    def _on_disconnected(self, _e):
        if self.reconnect:
            self.connect()

    def connect(self):
        self.x.connect(("127.0.0.1", self.server.c2s_port))

    async def login(self):
        self.connect()
        await asyncio.wait_for(self.started.wait(), 10)

    def kill_tcp(self):
        self.x.transport.abort()

    async def close(self):
        self.reconnect = False
        try:
            await asyncio.wait_for(self.x.disconnect(wait=1.0), 3)
        except Exception:  # noqa: BLE001
            self.x.abort()


class StreamManagementTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}
    settings = {"c2s.resume_timeout": "3"}

    def test_thousand_messages_across_a_killed_connection(self):
        bob = SmClient(self.server, "bob@localhost/sm", "bob-pw")
        run(bob.login(), timeout=15)
        alice = self.login("alice@localhost/sender")
        n = 1000

        async def scenario():
            for i in range(n):
                alice.send_message("bob@localhost/sm", "m%d" % i)
                if i == n // 2:
                    await asyncio.sleep(0.05)
                    bob.kill_tcp()
            await asyncio.wait_for(bob.resumed.wait(), 15)
            for _ in range(200):
                if len(set(bob.bodies)) >= n:
                    break
                await asyncio.sleep(0.05)

        run(scenario(), timeout=60)
        self.assertEqual(len(bob.bodies), len(set(bob.bodies)), "duplicates after resumption")
        missing = [i for i in range(n) if "m%d" % i not in set(bob.bodies)]
        self.assertEqual(missing, [], "lost across the disconnect")
        run(bob.close())

    def test_unresumed_session_puts_unacked_messages_offline(self):
        bob = SmClient(self.server, "bob@localhost/gone", "bob-pw", reconnect=False)
        run(bob.login(), timeout=15)
        alice = self.login("alice@localhost/s2")
        bob.kill_tcp()  # the server has not noticed yet: these go to the dead session

        async def send():
            await asyncio.sleep(0.2)
            for i in range(5):
                alice.send_message("bob@localhost/gone", "late %d" % i)
            await alice.sync()
            await asyncio.sleep(4)  # resume_timeout is 3 s

        run(send(), timeout=20)
        again = self.login("bob@localhost/again")
        run(again.set_presence())
        for i in range(5):
            m = run(again.wait_message("late %d" % i, timeout=5))
            self.assertIsNotNone(m, "unacknowledged message %d was lost" % i)
            self.assertIsNotNone(m.xml.find("{urn:xmpp:delay}delay"))

    @unittest.skipIf(h.STORAGE == "memory", "the memory store does not outlive a restart")
    def test_shutdown_puts_a_hibernating_sessions_messages_offline(self):
        # SIGTERM comes while bob's session waits (resume_timeout 3 s) for a resumption.
        bob = SmClient(self.server, "bob@localhost/asleep", "bob-pw", reconnect=False)
        run(bob.login(), timeout=15)
        alice = self.login("alice@localhost/s3")
        bob.kill_tcp()

        async def send():
            await asyncio.sleep(0.2)
            for i in range(3):
                alice.send_message("bob@localhost/asleep", "before shutdown %d" % i)
            await alice.sync()
            await asyncio.sleep(0.3)

        run(send(), timeout=10)
        run(alice.disconnect())
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        again = self.login("bob@localhost/awake")
        run(again.set_presence())
        for i in range(3):
            m = run(again.wait_message("before shutdown %d" % i, timeout=5))
            self.assertIsNotNone(m, "message %d to the hibernating session was lost at shutdown" % i)

    def test_resume_with_unknown_id_fails_and_bind_still_works(self):
        r = self.raw()
        r.secure()
        ok, cond = r.auth_plain("alice", "alice-pw")
        self.assertTrue(ok, cond)
        r.open_stream()
        r.send("<resume xmlns='urn:xmpp:sm:3' previd='no-such-stream' h='0'/>")
        failed = r.expect("{urn:xmpp:sm:3}failed")
        self.assertIsNotNone(
            failed.find("{urn:ietf:params:xml:ns:xmpp-stanzas}item-not-found"))
        resp = r.bind("after-failed-resume")
        self.assertEqual(resp.get("type"), "result")


class ClientStateTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}

    def test_inactive_client_gets_messages_now_and_presence_later(self):
        bob = self.login("bob@localhost/phone")
        run(bob.set_presence())
        bob2 = self.login("bob@localhost/desk")
        presences = []
        bob.xmpp.add_event_handler("presence_available", lambda p: presences.append(str(p["from"])))
        bob.send_raw("<inactive xmlns='urn:xmpp:csi:0'/>")
        run(bob.sync())
        run(bob2.set_presence())  # own other resource's presence: held back while inactive
        h.pump(0.5)
        self.assertNotIn("bob@localhost/desk", presences)
        alice = self.login("alice@localhost/a")
        alice.send_message("bob@localhost/phone", "urgent")
        self.assertIsNotNone(run(bob.wait_message("urgent", timeout=5)))
        h.pump(0.2)
        # A message flushes what was held, in order, ahead of it.
        self.assertIn("bob@localhost/desk", presences)
        bob.send_raw("<active xmlns='urn:xmpp:csi:0'/>")
        run(bob.sync())


if __name__ == "__main__":
    h.main()
