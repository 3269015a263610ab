"""The client library's group chat, HTTP upload and stream management, through the `telex` CLI,
against a real telexd with slixmpp on the other side.

Covers: `telex send --room` reaching two slixmpp occupants (and leaving afterwards), creating a
room that did not exist, a refused join (wrong room password) as a delivery failure;
`telex upload FILE --to JID` (discovery, slot, HTTPS PUT verified with --ca-file, the GET URL
printed, the link with jabber:x:oob sent), the bytes fetched back identical, and a file over the
server's limit refused before any upload; XEP-0198: `telex watch` behind a small TCP proxy that
swallows traffic and then cuts the connection resumes its session, gets the message the server
had sent into the void, and sends again the receipt the server never got.

Run: /usr/bin/python3 tests/integration/test_client_muc_upload_sm.py --telexd build/telexd
"""

import asyncio
import hashlib
import os
import ssl
import sys
import urllib.request
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import HOST, LOOP, run  # noqa: E402
from test_telex_send import EXIT_DELIVERY, TelexTestBase  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

MUC = "conference.localhost"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = "http://jabber.org/protocol/muc#user"
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_OOB = "jabber:x:oob"
NS_CLIENT = "jabber:client"
MAX_UPLOAD = 2 * 1024 * 1024


def codes_of(elem):
    x = elem.find("{%s}x" % NS_USER)
    return set() if x is None else {int(s.get("code")) for s in x.findall("{%s}status" % NS_USER)}


class Occupant:
    """A slixmpp user in rooms: joins with raw presence, records presence from rooms."""

    def __init__(self, client):
        self.c = client
        self.presences = []
        self._event = asyncio.Event()
        client.xmpp.register_handler(Callback(
            "client-test presence", MatchXPath("{%s}presence" % NS_CLIENT), self._on_presence))

    def _on_presence(self, pres):
        self.presences.append(pres.xml)
        self._event.set()

    async def wait_presence(self, pred, timeout=10.0):
        deadline = LOOP.time() + timeout
        while True:
            for p in self.presences:
                if pred(p):
                    return p
            remaining = deadline - LOOP.time()
            if remaining <= 0:
                return None
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def join(self, room, nick, password=None, create=False):
        inner = "<password>%s</password>" % password if password else ""
        self.c.send_raw("<presence to=%s><x xmlns='%s'>%s</x></presence>" %
                        (quoteattr("%s/%s" % (room, nick)), NS_MUC, inner))
        me = "%s/%s" % (room, nick)
        p = await self.wait_presence(lambda p: p.get("from") == me and 110 in codes_of(p))
        assert p is not None, "%s could not join %s" % (self.c.jid, room)
        if create:
            form = "<x xmlns='jabber:x:data' type='submit'>"
            if password:
                form += ("<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig"
                         "</value></field><field var='muc#roomconfig_passwordprotectedroom'>"
                         "<value>1</value></field><field var='muc#roomconfig_roomsecret'>"
                         "<value>%s</value></field>" % password)
            form += "</x>"
            r = await self.c.iq(room, "<query xmlns='%s'>%s</query>" % (NS_OWNER, form), "set")
            assert r.get("type") == "result", ET.tostring(r, encoding="unicode")
        return p


class TelexRoomTest(TelexTestBase):

    def occupant(self, jid):
        c = self.receiver(jid)
        return Occupant(c)

    def test_send_to_room_reaches_two_occupants(self):
        bob = self.occupant("bob@localhost/muc")
        carol = self.occupant("carol@localhost/muc")
        room = "lobby@%s" % MUC
        run(bob.join(room, "Bob", create=True))
        run(carol.join(room, "Carol"))
        text = "to the room <&'\">"
        r = self.telex("send", "--room", room, "--nick", "Alice", text, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        for who in (bob, carol):
            msg = run(who.c.wait_message(
                pred=lambda m: m["type"] == "groupchat" and m["body"] == text), timeout=15)
            self.assertIsNotNone(msg, "%s missed the room message" % who.c.jid)
            self.assertEqual(str(msg["from"]), room + "/Alice")
        # ... and telex left the room again.
        left = run(bob.wait_presence(lambda p: p.get("from") == room + "/Alice" and
                                     p.get("type") == "unavailable"), timeout=15)
        self.assertIsNotNone(left, "telex did not leave the room")

    def test_send_creates_a_missing_room_with_the_default_nick(self):
        room = "fresh@%s" % MUC
        r = self.telex("send", "--room", room, "first words", timeout=30)
        self.assertEqual(r.returncode, 0, r)
        # The room exists and is unlocked: a second user can join (a locked one would refuse).
        bob = self.occupant("bob@localhost/late")
        run(bob.join(room, "Bob"))

    def test_wrong_room_password_is_a_delivery_failure(self):
        carol = self.occupant("carol@localhost/owner")
        room = "secret@%s" % MUC
        run(carol.join(room, "Carol", password="s3cret", create=True))
        r = self.telex("send", "--room", room, "--room-password", "wrong", "let me in",
                       timeout=30)
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        self.assertIn("cannot join " + room + ": not-authorized", r.stderr)
        r = self.telex("send", "--room", room, "--room-password", "s3cret", "right one",
                       timeout=30)
        self.assertEqual(r.returncode, 0, r)
        msg = run(carol.c.wait_message(body="right one"), timeout=15)
        self.assertIsNotNone(msg)


class TelexUploadTest(TelexTestBase):
    # Slots name https://localhost:<port>, which the self-signed certificate (for "localhost")
    # matches: the PUT is verified exactly like the XMPP connection, with --ca-file.
    settings = dict(TelexTestBase.settings)
    settings.update({"upload.max_file_size": str(MAX_UPLOAD)})

    @classmethod
    def setUpClass(cls):
        # The HTTPS port is only known once the harness picked it: set the URL after that.
        ports = h.free_ports(2)
        cls.settings = dict(cls.settings)
        cls.settings["http.port"] = str(ports[0])
        cls.settings["http.tls_port"] = str(ports[1])
        cls.settings["http.external_url"] = "https://localhost:%d" % ports[1]
        super().setUpClass()

    def upload(self, *args, **kw):
        return self.telex("upload", "--ca-file", self.cert, *args, **kw)

    def fetch(self, url):
        ctx = ssl.create_default_context(cafile=self.cert)
        with urllib.request.urlopen(url, context=ctx, timeout=20) as resp:
            return resp.status, resp.read()

    def test_upload_prints_the_url_sends_it_and_the_bytes_come_back(self):
        bob = self.receiver("bob@localhost/files")
        data = os.urandom(1024 * 1024 + 17)
        path = os.path.join(self.home, "report 1.bin")
        with open(path, "wb") as f:
            f.write(data)
        r = self.upload(path, "--to", "bob@localhost", timeout=40)
        self.assertEqual(r.returncode, 0, r)
        url = r.stdout.strip()
        self.assertTrue(url.startswith("https://localhost:"), r)
        status, body = self.fetch(url)
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(data).hexdigest())
        msg = run(bob.wait_message(body=url), timeout=15)
        self.assertIsNotNone(msg, "bob got no link; inbox %r" % [m["body"] for m in bob.inbox])
        oob = msg.xml.find("{%s}x/{%s}url" % (NS_OOB, NS_OOB))
        self.assertIsNotNone(oob)
        self.assertEqual(oob.text, url)

    def test_too_large_file_is_refused_with_the_limit(self):
        path = os.path.join(self.home, "big.bin")
        with open(path, "wb") as f:
            f.truncate(MAX_UPLOAD + 1)
        r = self.upload(path)
        self.assertEqual(r.returncode, EXIT_DELIVERY, r)
        self.assertIn("at most %d" % MAX_UPLOAD, r.stderr)
        self.assertEqual(r.stdout, "")

    def test_missing_file_is_a_usage_error(self):
        r = self.upload(os.path.join(self.home, "nope.bin"))
        self.assertEqual(r.returncode, 2, r)


class CuttingProxy:
    """A TCP proxy to telexd whose connections can be made to swallow traffic in one direction
    and then be cut, as a dying network does."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.conns = []  # [client_writer, server_writer, {"up": bool, "down": bool}]
        self.accepted = 0

    async def start(self):
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()
        self.cut()

    async def _handle(self, creader, cwriter):
        self.accepted += 1
        sreader, swriter = await asyncio.open_connection(HOST, self.target_port)
        state = {"up": True, "down": True}
        self.conns.append((cwriter, swriter, state))

        async def pipe(reader, writer, key):
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    if state[key]:
                        writer.write(data)
                        await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()
        await asyncio.gather(pipe(creader, swriter, "up"), pipe(sreader, cwriter, "down"),
                             return_exceptions=True)

    def swallow(self, up=False, down=False):
        """Stop forwarding client→server (up) and/or server→client (down) bytes."""
        for _, _, state in self.conns:
            if up:
                state["up"] = False
            if down:
                state["down"] = False

    def cut(self):
        for cwriter, swriter, _ in self.conns:
            for w in (cwriter, swriter):
                try:
                    w.transport.abort()
                except Exception:  # noqa: BLE001
                    pass
        self.conns = []


class TelexStreamManagementTest(TelexTestBase):

    def start_proxy(self):
        proxy = run(CuttingProxy(self.server.c2s_port).start())
        self.addCleanup(lambda: run(proxy.stop(), timeout=5))
        return proxy

    def watch(self, proxy, resource):
        env = self.env(jid="bob@localhost", server="%s:%d" % (HOST, proxy.port))
        cmd = [os.path.join(os.path.dirname(h.TELEXD), "telex"), "watch", "--ca-file", self.cert,
               "--resource", resource]

        async def go():
            proc = await asyncio.create_subprocess_exec(
                *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env)
            self._procs.append(proc)
            return proc
        proc = run(go())
        run(self.wait_stderr(proc, "watching as"))
        return proc

    def test_resume_gets_the_message_lost_on_the_cut_connection(self):
        proxy = self.start_proxy()
        watch = self.watch(proxy, "sm1")
        alice = self.login("alice@localhost/py")
        alice.send_message("bob@localhost/sm1", "before the cut")
        self.assertIn("before the cut", run(self.read_line(watch)))
        # The network dies silently: what telexd sends now never arrives...
        proxy.swallow(down=True)
        alice.send_message("bob@localhost/sm1", "into the void <&>")
        run(alice.sync())
        h.pump(0.3)
        # ...then the connection breaks. The client reconnects and resumes the session; the
        # server sends the unacknowledged message again.
        proxy.cut()
        run(self.wait_stderr(watch, "session resumed", timeout=20))
        self.assertIn("into the void <&>", run(self.read_line(watch, timeout=10)))
        alice.send_message("bob@localhost/sm1", "after the resume")
        self.assertIn("after the resume", run(self.read_line(watch)))
        self.assertEqual(proxy.accepted, 2)

    def test_resume_sends_again_what_the_server_never_got(self):
        proxy = self.start_proxy()
        watch = self.watch(proxy, "sm2")
        alice = self.receiver("alice@localhost/rc", receipts=True)
        receipts = []
        alice.xmpp.add_event_handler("receipt_received", lambda m: receipts.append(m))
        # What telex sends now is lost: the receipt it answers with never reaches the server.
        proxy.swallow(up=True)
        msg = alice.xmpp.make_message(mto="bob@localhost/sm2", mbody="please confirm",
                                      mtype="chat")
        msg["request_receipt"] = True
        msg_id = msg["id"] = "rcpt-1"
        msg.send()
        self.assertIn("please confirm", run(self.read_line(watch)))
        h.pump(0.5)
        self.assertEqual(receipts, [])
        proxy.cut()
        run(self.wait_stderr(watch, "session resumed", timeout=20))
        deadline = LOOP.time() + 10
        while not receipts and LOOP.time() < deadline:
            h.pump(0.1)
        self.assertEqual([r["receipt"] for r in receipts], [msg_id])


if __name__ == "__main__":
    h.main()
