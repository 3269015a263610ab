"""Group chat, continued: room messages are shared buffers on the server (one serialization for
all occupants), so what the delivery paths that keep stanzas — Stream Management's resend queue
(XEP-0198) and Client State Indication's held presence (XEP-0352) — send must still be each
occupant's own, whole stanza; and the parts of XEP-0045 test_muc.py does not reach: history by
'seconds' and by a 'since' in the past, hidden rooms left out of the room list while public ones
are in it, and the room description in disco#info. Every room has three or more occupants.

Run: /usr/bin/python3 tests/integration/test_muc_delivery.py --telexd build/telexd
"""

import asyncio
import os
import ssl
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slixmpp  # noqa: E402

import telexd_harness as h  # noqa: E402
import test_muc as muc  # noqa: E402  (its helpers; its test classes stay in that file)
from telexd_harness import run  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

NS_CLIENT = "jabber:client"


class SmOccupant:
    """A slixmpp client with XEP-0198 (resumable) that records every groupchat message as
    (from, to, id, body) and reconnects, and so resumes, when its TCP connection dies."""

    def __init__(self, server, jid, password):
        self.server = server
        self.x = slixmpp.ClientXMPP(jid, password)
        self.x.ssl_context.check_hostname = False
        self.x.ssl_context.verify_mode = ssl.CERT_NONE
        self.x.register_plugin("xep_0198")
        self.messages = []
        self.presences = []
        self.started = asyncio.Event()
        self.resumed = asyncio.Event()
        self.reconnect = True
        self.x.register_handler(Callback("sm-muc message", MatchXPath("{%s}message" % NS_CLIENT), self._on_message))
        self.x.register_handler(Callback("sm-muc presence", MatchXPath("{%s}presence" % NS_CLIENT),
                                         lambda p: self.presences.append(p.xml)))
        self.x.add_event_handler("session_start", self._on_start)
        self.x.add_event_handler("session_resumed", lambda _e: self.resumed.set())
        self.x.add_event_handler("disconnected", self._on_disconnected)

    def _on_message(self, msg):
        if msg["type"] == "groupchat" and msg["body"]:
            self.messages.append((str(msg["from"]), msg.xml.get("to"), msg["id"], msg["body"]))

    def _on_start(self, _e):
        self.x.send_presence()
        self.started.set()

    def _on_disconnected(self, _e):
        if self.reconnect:
            self.x.connect(("127.0.0.1", self.server.c2s_port))

    async def login(self):
        self.x.connect(("127.0.0.1", self.server.c2s_port))
        await asyncio.wait_for(self.started.wait(), 10)

    async def close(self):
        self.reconnect = False
        try:
            await asyncio.wait_for(self.x.disconnect(wait=1.0), 3)
        except Exception:  # noqa: BLE001
            self.x.abort()


class SharedDeliveryTest(muc.MucTestBase):
    settings = {"server.workers": "3", "c2s.resume_timeout": "20"}

    def sm_occupant(self, jid):
        o = SmOccupant(self.server, jid, muc.USERS[jid.split("/")[0]])
        self.addCleanup(lambda: run(o.close(), timeout=5))
        run(o.login(), timeout=15)
        return o

    def test_resumed_stream_resends_room_messages_whole(self):
        alice, bob = self.occupants("alice@localhost", "bob@localhost")
        room = muc.new_room("sm")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        carol = self.sm_occupant("carol@localhost/sm")
        me = carol.x.boundjid.full
        carol.x.send_raw("<presence to='%s/Carol'><x xmlns='%s'/></presence>" % (room, muc.NS_MUC))
        self.assertTrue(run(h.wait_until(lambda: any(
            p.get("from") == room + "/Carol" and 110 in muc.codes_of(p) for p in carol.presences), timeout=5)))
        alice.say(room, "before <&'\">", msg_id="b0")
        self.assertTrue(run(h.wait_until(lambda: len(carol.messages) == 1, timeout=5)))

        # The connection dies; the room keeps talking while carol's session waits to be resumed.
        carol.reconnect = False
        carol.x.transport.abort()
        bodies = []
        for n in range(30):
            who = (alice, bob)[n % 2]
            body = "while away %d <&'\">" % n
            bodies.append(body)
            who.say(room, body, msg_id="w%d" % n)
        # The room's one order, as alice (who stayed connected) saw it.
        self.assertTrue(run(h.wait_until(
            lambda: sum(1 for m in alice.c.inbox if m["body"] in bodies) == len(bodies), timeout=10)))
        room_order = [m["body"] for m in alice.c.inbox if m["body"] in bodies]
        carol.reconnect = True
        carol.x.connect(("127.0.0.1", self.server.c2s_port))
        run(asyncio.wait_for(carol.resumed.wait(), 10))
        self.assertTrue(run(h.wait_until(lambda: len(carol.messages) >= 1 + len(bodies), timeout=10)),
                        "carol got %d of %d messages" % (len(carol.messages), 1 + len(bodies)))
        h.pump(0.3)
        got = carol.messages[1:]
        # Each message exactly once, in the room's order, and each one carol's own copy: her full
        # JID in 'to', the speaker in 'from', the sender's id, the body intact.
        self.assertEqual(sorted(room_order), sorted(bodies))
        self.assertEqual([m[3] for m in got], room_order)
        for frm, to, mid, body in got:
            n = bodies.index(body)
            self.assertEqual(to, me)
            self.assertEqual(frm, room + ("/Alice" if n % 2 == 0 else "/Bob"))
            self.assertEqual(mid, "w%d" % n)
        # And the room still reaches her live.
        bob.say(room, "after")
        self.assertTrue(run(h.wait_until(lambda: carol.messages[-1][3] == "after", timeout=5)))

    def test_inactive_occupant_gets_room_presence_late_and_messages_at_once(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = muc.new_room("csi")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        order = []
        bob.c.xmpp.register_handler(Callback("csi order presence", MatchXPath("{%s}presence" % NS_CLIENT),
                                             lambda p: order.append(("presence", str(p["from"])))))
        bob.c.xmpp.register_handler(Callback("csi order message", MatchXPath("{%s}message" % NS_CLIENT),
                                             lambda m: order.append(("message", m["body"], m.xml.get("to")))))
        bob.c.send_raw("<inactive xmlns='urn:xmpp:csi:0'/>")
        run(bob.c.sync())
        run(dave.join(room, "Dave"))
        run(carol.wait_presence(carol.presence_from(room + "/Dave", False)))
        h.pump(0.5)
        self.assertNotIn(("presence", room + "/Dave"), order, "room presence is held while inactive")
        carol.say(room, "wake up")
        self.assertIsNotNone(run(bob.groupchat(room, "wake up")))
        h.pump(0.2)
        # The held presence comes first, whole, then the message, addressed to bob.
        self.assertIn(("presence", room + "/Dave"), order)
        self.assertLess(order.index(("presence", room + "/Dave")),
                        order.index(("message", "wake up", bob.c.bound_jid)))
        self.assertIsNotNone(run(bob.wait_presence(bob.presence_from(room + "/Dave", False))))
        bob.c.send_raw("<active xmlns='urn:xmpp:csi:0'/>")
        run(bob.c.sync())


class RoomDirectoryAndHistoryTest(muc.MucTestBase):

    def test_history_by_seconds_and_since(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = muc.new_room("seconds")
        self.create(alice, room, "Alice", {"muc#roomconfig_historylength": "10"})
        for n in range(3):
            alice.say(room, "old%d" % n)
            run(alice.groupchat(room, "old%d" % n))
        h.pump(3.0)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        h.pump(1.2)
        for n in range(2):
            alice.say(room, "new%d" % n)
            run(alice.groupchat(room, "new%d" % n))

        def history_of(who):
            bodies = []
            while True:
                m = who.c.take_message(lambda m: m["type"] == "groupchat" and m["body"])
                if m is None:
                    return bodies
                self.assertIsNotNone(m.xml.find("{%s}delay" % muc.NS_DELAY))
                bodies.append(m["body"])

        # seconds='3': the old messages are over four seconds old, the new ones are not.
        run(bob.join(room, "Bob", history={"seconds": "3"}))
        self.assertEqual(history_of(bob), ["new0", "new1"])
        # since: only what was sent after that moment.
        run(carol.join(room, "Carol", history={"since": since}))
        self.assertEqual(history_of(carol), ["new0", "new1"])
        # seconds='600' with maxstanzas='4': the smaller limit wins.
        run(dave.join(room, "Dave", history={"seconds": "600", "maxstanzas": "4"}))
        self.assertEqual(history_of(dave), ["old1", "old2", "new0", "new1"])

    def test_hidden_rooms_stay_out_of_the_room_list(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        public = muc.new_room("listed")
        hidden = muc.new_room("hidden")
        self.create(alice, public, "Alice", {"muc#roomconfig_roomname": "Open house",
                                             "muc#roomconfig_roomdesc": "all welcome <&'\">"})
        self.create(alice, hidden, "Alice", {"muc#roomconfig_publicroom": False,
                                             "muc#roomconfig_roomname": "Back room"})
        for room in (public, hidden):
            run(bob.join(room, "Bob"))
            run(carol.join(room, "Carol"))

        def listed():
            items = run(carol.iq(muc.MUC, "<query xmlns='%s'/>" % muc.NS_DISCO_ITEMS))
            return {i.get("jid"): i.get("name") for i in items.iter("{%s}item" % muc.NS_DISCO_ITEMS)}
        rooms = listed()
        self.assertEqual(rooms.get(public), "Open house")
        self.assertNotIn(hidden, rooms)
        # The hidden room says so, and is still there for whoever knows its address.
        info = run(carol.iq(hidden, "<query xmlns='%s'/>" % muc.NS_DISCO_INFO))
        features = {f.get("var") for f in info.iter("{%s}feature" % muc.NS_DISCO_INFO)}
        self.assertIn("muc_hidden", features)
        self.assertNotIn("muc_public", features)
        # The description and occupant count are in the room's muc#roominfo form.
        info = run(carol.iq(public, "<query xmlns='%s'/>" % muc.NS_DISCO_INFO))
        values = {f.get("var"): f.findtext("{%s}value" % muc.NS_DATA) for f in info.iter("{%s}field" % muc.NS_DATA)}
        self.assertEqual(values.get("muc#roominfo_description"), "all welcome <&'\">")
        self.assertEqual(values.get("muc#roominfo_occupants"), "3")
        # Making the listed room hidden takes it out of the list; making the other public adds it.
        run(alice.configure(public, {"muc#roomconfig_publicroom": False}))
        run(alice.configure(hidden, {"muc#roomconfig_publicroom": True}))
        rooms = listed()
        self.assertNotIn(public, rooms)
        self.assertEqual(rooms.get(hidden), "Back room")


if __name__ == "__main__":
    h.main(budget=150)
