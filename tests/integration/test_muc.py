"""Group chat (XEP-0045) on conference.localhost: room creation and configuration, join/leave
presence, fan-out order, history, subject, password/members-only/full refusals, kick/ban, nick
changes and conflicts, private messages, mediated and direct (XEP-0249) invitations, self-ping
(XEP-0410), room archives (XEP-0313) and persistent rooms across a restart. Every room test has
three or more occupants.

Run: /usr/bin/python3 tests/integration/test_muc.py --telexd build/telexd
"""

import asyncio
import os
import sys
import unittest
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

MUC = "conference.localhost"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = "http://jabber.org/protocol/muc#user"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_DATA = "jabber:x:data"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_DELAY = "urn:xmpp:delay"
NS_MAM = "urn:xmpp:mam:2"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_FORWARD = "urn:xmpp:forward:0"
NS_CONFERENCE = "jabber:x:conference"
NS_CLIENT = "jabber:client"

USERS = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
         "carol@localhost": "carol-pw", "dave@localhost": "dave-pw"}

_room_counter = [0]


def new_room(prefix="room"):
    _room_counter[0] += 1
    return "%s%d@%s" % (prefix, _room_counter[0], MUC)


def codes_of(elem):
    """Status codes in the muc#user <x/> of a presence or message element."""
    x = elem.find("{%s}x" % NS_USER)
    if x is None:
        return set()
    return {int(s.get("code")) for s in x.findall("{%s}status" % NS_USER)}


def item_of(elem):
    x = elem.find("{%s}x" % NS_USER)
    return None if x is None else x.find("{%s}item" % NS_USER)


def error_condition(elem):
    err = h.stanza_error(elem)
    return err[1] if err else None


def config_form(fields):
    """A muc#roomconfig submission; `fields` maps var -> value (str or bool)."""
    out = ["<x xmlns='%s' type='submit'><field var='FORM_TYPE'><value>"
           "http://jabber.org/protocol/muc#roomconfig</value></field>" % NS_DATA]
    for var, value in fields.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        out.append("<field var=%s><value>%s</value></field>" % (quoteattr(var), escape(str(value))))
    out.append("</x>")
    return "".join(out)


class Occupant:
    """A signed-in user with a record of the room presence and messages it receives."""

    def __init__(self, client):
        self.c = client
        self.jid = client.jid
        self.presences = []
        self._event = asyncio.Event()
        client.xmpp.register_handler(Callback(
            "muc-test presence", MatchXPath("{%s}presence" % NS_CLIENT), self._on_presence))

    def _on_presence(self, pres):
        self.presences.append(pres.xml)
        self._event.set()

    async def wait_presence(self, pred, timeout=5.0):
        deadline = h.LOOP.time() + timeout
        while True:
            for i, p in enumerate(self.presences):
                if pred(p):
                    return self.presences.pop(i)
            remaining = deadline - h.LOOP.time()
            if remaining <= 0:
                return None
            self._event.clear()
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def presence_from(self, jid, unavailable=None, code=None):
        def pred(p):
            if p.get("from") != jid:
                return False
            if unavailable is not None and (p.get("type") == "unavailable") != unavailable:
                return False
            return code is None or code in codes_of(p)
        return pred

    def send_join(self, room, nick, password=None, history=None, muc=True, status=None):
        inner = ""
        if password is not None:
            inner += "<password>%s</password>" % escape(password)
        if history is not None:
            inner += "<history %s/>" % " ".join("%s='%s'" % kv for kv in history.items())
        x = "<x xmlns='%s'>%s</x>" % (NS_MUC, inner) if muc else ""
        st = "<status>%s</status>" % escape(status) if status else ""
        self.c.send_raw("<presence to=%s>%s%s</presence>" % (quoteattr("%s/%s" % (room, nick)), x, st))

    async def join(self, room, nick, expect_codes=(110,), **kw):
        """Join and wait for the self-presence; returns it (or fails)."""
        self.send_join(room, nick, **kw)
        me = "%s/%s" % (room, nick)
        p = await self.wait_presence(lambda p: p.get("from") == me and
                                     (110 in codes_of(p) or p.get("type") == "error"))
        assert p is not None, "%s got no self-presence from %s" % (self.jid, me)
        assert p.get("type") != "error", "%s could not join %s: %s" % (
            self.jid, me, ET.tostring(p, encoding="unicode"))
        for code in expect_codes:
            assert code in codes_of(p), "status %d missing in %s" % (code, ET.tostring(p, encoding="unicode"))
        # The subject message ends the join.
        subject = await self.c.wait_message(pred=lambda m: m["from"].bare == room and
                                            m.xml.find("{%s}subject" % NS_CLIENT) is not None and
                                            m.xml.find("{%s}body" % NS_CLIENT) is None)
        assert subject is not None, "%s got no subject from %s" % (self.jid, room)
        return p

    async def join_error(self, room, nick, **kw):
        """Try to join; returns the error condition of the presence error."""
        self.send_join(room, nick, **kw)
        me = "%s/%s" % (room, nick)
        p = await self.wait_presence(lambda p: p.get("from") == me and p.get("type") == "error")
        assert p is not None, "%s got no presence error from %s" % (self.jid, me)
        return error_condition(p)

    def leave(self, room, nick, status=None):
        st = "<status>%s</status>" % escape(status) if status else ""
        self.c.send_raw("<presence type='unavailable' to=%s>%s</presence>" %
                        (quoteattr("%s/%s" % (room, nick)), st))

    def say(self, room, body, msg_id=None):
        self.c.send_raw("<message type='groupchat' to=%s%s><body>%s</body></message>" %
                        (quoteattr(room), " id=%s" % quoteattr(msg_id) if msg_id else "", escape(body)))

    async def groupchat(self, room, body, timeout=5.0):
        return await self.c.wait_message(
            pred=lambda m: m["type"] == "groupchat" and m["from"].bare == room and m["body"] == body,
            timeout=timeout)

    async def iq(self, to, payload, itype="get"):
        return await self.c.iq(to, payload, itype=itype)

    async def configure(self, room, fields):
        r = await self.iq(room, "<query xmlns='%s'>%s</query>" % (NS_OWNER, config_form(fields)), "set")
        assert r.get("type") == "result", ET.tostring(r, encoding="unicode")

    async def admin(self, room, items):
        return await self.iq(room, "<query xmlns='%s'>%s</query>" % (NS_ADMIN, items), "set")


class MucTestBase(h.ServerTestCase):
    users = USERS
    # Several workers, so occupants of one room sit on different event loops (connections are
    # handed out round-robin) and fan-out order is tested across them.
    settings = {"server.workers": "3"}

    def occupant(self, user, resource="muc"):
        c = self.client("%s/%s" % (user, resource), USERS[user])
        o = Occupant(c)
        run(c.login(), timeout=15)
        run(c.set_presence())
        return o

    def occupants(self, *users):
        return [self.occupant(u) for u in users]

    def create(self, owner, room, nick, fields=None):
        """Create a room as `owner` and configure it (instant room when `fields` is empty)."""
        p = run(owner.join(room, nick, expect_codes=(110, 201)))
        item = item_of(p)
        self.assertEqual(item.get("affiliation"), "owner")
        self.assertEqual(item.get("role"), "moderator")
        run(owner.configure(room, fields or {}))
        return p


class RoomLifecycleTest(MucTestBase):

    def test_create_configure_join_leave(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("lifecycle")
        p = run(alice.join(room, "Alice", expect_codes=(110, 201, 170)))
        self.assertEqual(item_of(p).get("affiliation"), "owner")
        # Locked until the owner configures it (XEP-0045 §10.1.1).
        self.assertEqual(run(bob.join_error(room, "Bob")), "item-not-found")
        form = run(alice.iq(room, "<query xmlns='%s'/>" % NS_OWNER))
        self.assertEqual(form.get("type"), "result")
        fields = {f.get("var") for f in form.iter("{%s}field" % NS_DATA)}
        for var in ("muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_persistentroom",
                    "muc#roomconfig_publicroom", "muc#roomconfig_membersonly", "muc#roomconfig_moderatedroom",
                    "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret",
                    "muc#roomconfig_maxusers", "muc#roomconfig_historylength", "muc#roomconfig_whois",
                    "muc#roomconfig_changesubject", "muc#roomconfig_allowinvites"):
            self.assertIn(var, fields)
        # Only owners configure.
        self.assertEqual(error_condition(run(bob.iq(room, "<query xmlns='%s'/>" % NS_OWNER))), "forbidden")
        run(alice.configure(room, {"muc#roomconfig_roomname": "Lifecycle <&'\"> room",
                                   "muc#roomconfig_roomdesc": "about things",
                                   "muc#roomconfig_whois": "anyone"}))

        p = run(bob.join(room, "Bob", expect_codes=(110, 100)))
        self.assertEqual(item_of(p).get("role"), "participant")
        self.assertEqual(item_of(p).get("affiliation"), "none")
        run(carol.join(room, "Carol"))
        for who, others in ((alice, ("Bob", "Carol")), (bob, ("Alice", "Carol")), (carol, ("Alice", "Bob"))):
            for nick in others:
                got = run(who.wait_presence(who.presence_from(room + "/" + nick, False)))
                self.assertIsNotNone(got, "%s did not see %s" % (who.jid, nick))
                # whois=anyone: everybody sees real JIDs.
                self.assertIsNotNone(item_of(got).get("jid"))

        # disco#info on the room, and the room in the service's and server's lists.
        info = run(carol.iq(room, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        features = {f.get("var") for f in info.iter("{%s}feature" % NS_DISCO_INFO)}
        for f in (NS_MUC, "muc_temporary", "muc_public", "muc_open", "muc_unmoderated", "muc_unsecured",
                  "muc_nonanonymous", NS_MAM, "http://jabber.org/protocol/muc#self-ping-optimization"):
            self.assertIn(f, features)
        identity = info.find(".//{%s}identity" % NS_DISCO_INFO)
        self.assertEqual(identity.get("category"), "conference")
        self.assertEqual(identity.get("name"), "Lifecycle <&'\"> room")
        items = run(carol.iq(MUC, "<query xmlns='%s'/>" % NS_DISCO_ITEMS))
        self.assertIn(room, [i.get("jid") for i in items.iter("{%s}item" % NS_DISCO_ITEMS)])
        server_items = run(carol.iq("localhost", "<query xmlns='%s'/>" % NS_DISCO_ITEMS))
        self.assertIn(MUC, [i.get("jid") for i in server_items.iter("{%s}item" % NS_DISCO_ITEMS)])
        service = run(carol.iq(MUC, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        self.assertIn(NS_MUC, {f.get("var") for f in service.iter("{%s}feature" % NS_DISCO_INFO)})

        # Leaving: everybody hears it, the leaver with 110, the status text included.
        carol.leave(room, "Carol", status="bye now")
        mine = run(carol.wait_presence(carol.presence_from(room + "/Carol", True, 110)))
        self.assertIsNotNone(mine)
        for who in (alice, bob):
            gone = run(who.wait_presence(who.presence_from(room + "/Carol", True)))
            self.assertIsNotNone(gone)
            self.assertEqual(gone.findtext("{%s}status" % NS_CLIENT), "bye now")
            self.assertEqual(item_of(gone).get("role"), "none")

        # A session that ends leaves its rooms too.
        bob.c.abort()
        self.assertIsNotNone(run(alice.wait_presence(alice.presence_from(room + "/Bob", True))))

        # A temporary room goes away with its last occupant.
        alice.leave(room, "Alice")
        run(alice.wait_presence(alice.presence_from(room + "/Alice", True, 110)))
        h.pump(0.2)
        gone = run(carol.iq(room, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        self.assertEqual(error_condition(gone), "item-not-found")

    def test_instant_room_and_groupchat10_join(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("instant")
        # A groupchat 1.0 join (no <x/>) creates an instant room nobody has to configure.
        alice.send_join(room, "Alice", muc=False)
        p = run(alice.wait_presence(alice.presence_from(room + "/Alice", False, 110)))
        self.assertIsNotNone(p)
        self.assertIn(201, codes_of(p))
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        info = run(bob.iq(room, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        self.assertEqual(info.get("type"), "result")

    def test_cancelled_configuration_destroys_room(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("cancel")
        run(alice.join(room, "Alice", expect_codes=(110, 201)))
        r = run(alice.iq(room, "<query xmlns='%s'><x xmlns='%s' type='cancel'/></query>" % (NS_OWNER, NS_DATA), "set"))
        self.assertEqual(r.get("type"), "result")
        self.assertIsNotNone(run(alice.wait_presence(alice.presence_from(room + "/Alice", True))))
        # The name is free again: bob creates a new room under it and owns it.
        p = run(bob.join(room, "Bob", expect_codes=(110, 201)))
        self.assertEqual(item_of(p).get("affiliation"), "owner")
        run(bob.configure(room, {}))
        p = run(carol.join(room, "Carol"))
        self.assertEqual(item_of(p).get("affiliation"), "none")

    def test_owner_destroys_room(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("destroy")
        self.create(alice, room, "Alice", {"muc#roomconfig_persistentroom": True})
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        r = run(bob.iq(room, "<query xmlns='%s'><destroy/></query>" % NS_OWNER, "set"))
        self.assertEqual(error_condition(r), "forbidden")
        r = run(alice.iq(room, "<query xmlns='%s'><destroy jid='elsewhere@%s'><reason>moving</reason>"
                               "</destroy></query>" % (NS_OWNER, MUC), "set"))
        self.assertEqual(r.get("type"), "result")
        for who, nick in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            p = run(who.wait_presence(who.presence_from(room + "/" + nick, True)))
            self.assertIsNotNone(p, who.jid)
            destroy = p.find("{%s}x/{%s}destroy" % (NS_USER, NS_USER))
            self.assertIsNotNone(destroy)
            self.assertEqual(destroy.get("jid"), "elsewhere@" + MUC)
            self.assertEqual(destroy.findtext("{%s}reason" % NS_USER), "moving")
        gone = run(bob.iq(room, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        self.assertEqual(error_condition(gone), "item-not-found")


class ConversationTest(MucTestBase):

    def test_fanout_to_all_in_order(self):
        users = self.occupants("alice@localhost", "bob@localhost", "carol@localhost", "dave@localhost")
        room = new_room("fanout")
        self.create(users[0], room, "u0")
        for i, u in enumerate(users[1:], 1):
            run(u.join(room, "u%d" % i))
        bodies = []
        for n in range(5):
            for i, u in enumerate(users):
                body = "m%d from u%d <&'\">" % (n, i)
                bodies.append(body)
                u.say(room, body, msg_id="id-%d-%d" % (i, n))
        # Everybody, the senders included, receives every message, each sender's in order, and
        # all occupants in the one order the room chose.
        orders = []
        for u in users:
            got = []
            for _ in bodies:
                m = run(u.c.wait_message(pred=lambda m: m["type"] == "groupchat" and m["body"] in bodies))
                self.assertIsNotNone(m, "%s got only %d messages" % (u.jid, len(got)))
                got.append(m)
            order = [m["body"] for m in got]
            self.assertEqual(sorted(order), sorted(bodies))
            for i in range(len(users)):
                mine = [b for b in order if b.endswith("from u%d <&'\">" % i)]
                self.assertEqual(mine, ["m%d from u%d <&'\">" % (n, i) for n in range(5)])
            for m in got:
                sender = m["body"].split(" from ")[1].split(" ")[0]
                self.assertEqual(str(m["from"]), room + "/" + sender)
                self.assertEqual(str(m["to"]), u.c.bound_jid)
                self.assertEqual(m["id"], "id-%s-%s" % (sender[1:], m["body"][1]))
            orders.append(order)
        for order in orders[1:]:
            self.assertEqual(order, orders[0])

    def test_history_and_subject_on_join(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = new_room("history")
        self.create(alice, room, "Alice", {"muc#roomconfig_historylength": "4"})
        alice.c.send_raw("<message type='groupchat' to='%s'><subject>Plans &amp; more</subject></message>" % room)
        self.assertIsNotNone(run(alice.c.wait_message(pred=lambda m: m["subject"] == "Plans & more")))
        for n in range(6):
            alice.say(room, "h%d" % n)
            run(alice.groupchat(room, "h%d" % n))
        # No <history/>: the room's history length (4), with delay stamps from the room, then the subject.
        bob.send_join(room, "Bob")
        got = []
        for n in range(2, 6):
            m = run(bob.groupchat(room, "h%d" % n))
            self.assertIsNotNone(m, "history message h%d missing" % n)
            delay = m.xml.find("{%s}delay" % NS_DELAY)
            self.assertIsNotNone(delay)
            self.assertEqual(delay.get("from"), room)
            self.assertTrue(delay.get("stamp", "").endswith("Z"))
            got.append(m)
        subject = run(bob.c.wait_message(pred=lambda m: m["subject"] == "Plans & more"))
        self.assertIsNotNone(subject)
        self.assertEqual(str(subject["from"]), room + "/Alice")
        self.assertFalse(any(m["body"] in ("h0", "h1") for m in bob.c.inbox))
        # maxstanzas=2 gives the last two; maxstanzas=0 none.
        carol.send_join(room, "Carol", history={"maxstanzas": "2"})
        self.assertIsNotNone(run(carol.groupchat(room, "h4")))
        self.assertIsNotNone(run(carol.groupchat(room, "h5")))
        self.assertIsNotNone(run(carol.c.wait_message(pred=lambda m: m["subject"] == "Plans & more")))
        self.assertFalse(any(m["body"] in ("h2", "h3") for m in carol.c.inbox))
        dave.send_join(room, "Dave", history={"maxstanzas": "0"})
        self.assertIsNotNone(run(dave.c.wait_message(pred=lambda m: m["subject"] == "Plans & more")))
        self.assertFalse(any(m["body"] and m["body"].startswith("h") for m in dave.c.inbox))
        # seconds='1000' includes everything still kept; a 'since' in the future nothing.
        dave.leave(room, "Dave")
        run(dave.wait_presence(dave.presence_from(room + "/Dave", True, 110)))
        dave.send_join(room, "Dave", history={"since": "2999-01-01T00:00:00Z"})
        self.assertIsNotNone(run(dave.c.wait_message(pred=lambda m: m["subject"] == "Plans & more")))
        self.assertFalse(any(m["body"] and m["body"].startswith("h") for m in dave.c.inbox))
        # Only moderators change the subject unless the room allows participants to.
        bob.c.send_raw("<message type='groupchat' to='%s'><subject>mine now</subject></message>" % room)
        err = run(bob.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "forbidden")

    def test_history_with_slixmpp_join(self):
        """A stock slixmpp client (xep_0045 join_muc_wait) sees occupants, history and subject."""
        alice, bob = self.occupants("alice@localhost", "bob@localhost")
        carol_client = self.client("carol@localhost/slix", USERS["carol@localhost"])
        carol_client.xmpp.register_plugin("xep_0045")
        run(carol_client.login(), timeout=15)
        room = new_room("slix")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        for n in range(3):
            alice.say(room, "s%d" % n)
            run(alice.groupchat(room, "s%d" % n))
        pres, subject, occupants, history = run(
            carol_client.xmpp["xep_0045"].join_muc_wait(h.slixmpp.JID(room), "Carol", maxstanzas=2, timeout=5))
        self.assertEqual(pres["type"], "available")
        self.assertLessEqual({room + "/Alice", room + "/Bob"}, {str(p["from"]) for p in occupants})
        self.assertEqual([m["body"] for m in history], ["s1", "s2"])

    def test_private_messages_and_anonymity(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("pm")
        self.create(alice, room, "Alice")  # semi-anonymous by default
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        # Moderators see real JIDs, participants do not.
        seen_by_alice = run(alice.wait_presence(alice.presence_from(room + "/Carol", False)))
        self.assertEqual(item_of(seen_by_alice).get("jid"), carol.c.bound_jid)
        seen_by_bob = run(bob.wait_presence(bob.presence_from(room + "/Carol", False)))
        self.assertIsNone(item_of(seen_by_bob).get("jid"))
        bob.c.send_raw("<message type='chat' to='%s/Carol'><body>psst &lt;secret&gt;</body></message>" % room)
        m = run(carol.c.wait_message("psst <secret>"))
        self.assertIsNotNone(m)
        self.assertEqual(str(m["from"]), room + "/Bob")
        self.assertEqual(m["type"], "chat")
        self.assertIsNotNone(m.xml.find("{%s}x" % NS_USER))
        self.assertNotIn("bob@localhost", ET.tostring(m.xml, encoding="unicode"))
        h.pump(0.2)
        self.assertFalse(alice.c.has_message("psst <secret>"))
        # To a nickname nobody has: item-not-found; from outside the room: not-acceptable.
        bob.c.send_raw("<message type='chat' to='%s/Nobody'><body>hello?</body></message>" % room)
        err = run(bob.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "item-not-found")
        dave = self.occupant("dave@localhost")
        dave.c.send_raw("<message type='chat' to='%s/Carol'><body>from outside</body></message>" % room)
        err = run(dave.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "not-acceptable")
        dave.say(room, "not inside")
        err = run(dave.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "not-acceptable")
        # Groupchat to an occupant JID is refused.
        bob.c.send_raw("<message type='groupchat' to='%s/Carol'><body>x</body></message>" % room)
        err = run(bob.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "bad-request")

    def test_self_ping(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("ping")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        r = run(bob.iq(room + "/Bob", "<ping xmlns='urn:xmpp:ping'/>"))
        self.assertEqual(r.get("type"), "result")
        self.assertEqual(r.get("from"), room + "/Bob")
        bob.leave(room, "Bob")
        run(bob.wait_presence(bob.presence_from(room + "/Bob", True, 110)))
        r = run(bob.iq(room + "/Bob", "<ping xmlns='urn:xmpp:ping'/>"))
        self.assertEqual(error_condition(r), "not-acceptable")
        # A ping to another occupant reaches that occupant's client (which answers as it can).
        r = run(carol.iq(room + "/Alice", "<ping xmlns='urn:xmpp:ping'/>"))
        self.assertEqual(r.get("from"), room + "/Alice")
        self.assertIn(r.get("type"), ("result", "error"))
        if r.get("type") == "error":
            self.assertNotEqual(error_condition(r), "not-acceptable")

    def test_nick_change_and_conflict(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("nick")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        self.assertEqual(run(carol.join_error(room, "Bob")), "conflict")
        run(carol.join(room, "Carol"))
        bob.send_join(room, "Robert", muc=False)
        for who in (alice, carol, bob):
            old = run(who.wait_presence(who.presence_from(room + "/Bob", True, 303)))
            self.assertIsNotNone(old, who.jid)
            self.assertEqual(item_of(old).get("nick"), "Robert")
            new = run(who.wait_presence(who.presence_from(room + "/Robert", False)))
            self.assertIsNotNone(new, who.jid)
        # Bob's own copies (the last of the loop) carry 110.
        self.assertIn(110, codes_of(old))
        self.assertIn(110, codes_of(new))
        # Robert's messages now come from the new nick.
        bob.say(room, "renamed")
        self.assertEqual(str(run(carol.groupchat(room, "renamed"))["from"]), room + "/Robert")
        # Taking Carol's nickname: conflict, and nothing changes.
        bob.send_join(room, "Carol", muc=False)
        p = run(bob.wait_presence(lambda p: p.get("type") == "error"))
        self.assertEqual(error_condition(p), "conflict")
        self.assertEqual(p.get("from"), room + "/Carol")


class AccessTest(MucTestBase):

    def test_password_protected(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("secret")
        self.create(alice, room, "Alice", {"muc#roomconfig_passwordprotectedroom": True,
                                           "muc#roomconfig_roomsecret": "s3cr&t"})
        self.assertEqual(run(bob.join_error(room, "Bob")), "not-authorized")
        self.assertEqual(run(bob.join_error(room, "Bob", password="wrong")), "not-authorized")
        run(bob.join(room, "Bob", password="s3cr&t"))
        run(carol.join(room, "Carol", password="s3cr&t"))
        info = run(carol.iq(room, "<query xmlns='%s'/>" % NS_DISCO_INFO))
        self.assertIn("muc_passwordprotected", {f.get("var") for f in info.iter("{%s}feature" % NS_DISCO_INFO)})
        # Protection without a password is refused.
        r = run(alice.iq(room, "<query xmlns='%s'>%s</query>" % (
            NS_OWNER, config_form({"muc#roomconfig_passwordprotectedroom": True,
                                   "muc#roomconfig_roomsecret": ""})), "set"))
        self.assertEqual(error_condition(r), "not-acceptable")

    def test_members_only_and_ban(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = new_room("members")
        self.create(alice, room, "Alice", {"muc#roomconfig_membersonly": True})
        self.assertEqual(run(bob.join_error(room, "Bob")), "registration-required")
        r = run(alice.admin(room, "<item affiliation='member' jid='bob@localhost'/>"
                                  "<item affiliation='member' jid='carol@localhost'/>"))
        self.assertEqual(r.get("type"), "result")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        members = run(alice.iq(room, "<query xmlns='%s'><item affiliation='member'/></query>" % NS_ADMIN))
        self.assertEqual({i.get("jid") for i in members.iter("{%s}item" % NS_ADMIN)},
                         {"bob@localhost", "carol@localhost"})
        # Members may not read the lists or change affiliations.
        self.assertEqual(error_condition(run(bob.iq(
            room, "<query xmlns='%s'><item affiliation='member'/></query>" % NS_ADMIN))), "forbidden")
        self.assertEqual(error_condition(run(bob.admin(
            room, "<item affiliation='outcast' jid='carol@localhost'/>"))), "forbidden")
        # Ban: carol leaves with 301 (everyone hears it), and cannot come back.
        r = run(alice.admin(room, "<item affiliation='outcast' jid='carol@localhost'><reason>spam</reason></item>"))
        self.assertEqual(r.get("type"), "result")
        for who in (alice, bob, carol):
            p = run(who.wait_presence(who.presence_from(room + "/Carol", True, 301)))
            self.assertIsNotNone(p, who.jid)
            self.assertEqual(item_of(p).get("affiliation"), "outcast")
        self.assertEqual(run(carol.join_error(room, "Carol")), "forbidden")
        outcasts = run(alice.iq(room, "<query xmlns='%s'><item affiliation='outcast'/></query>" % NS_ADMIN))
        self.assertEqual([i.get("jid") for i in outcasts.iter("{%s}item" % NS_ADMIN)], ["carol@localhost"])
        # Removing bob's membership removes him from the members-only room (321).
        run(alice.admin(room, "<item affiliation='none' jid='bob@localhost'/>"))
        self.assertIsNotNone(run(bob.wait_presence(bob.presence_from(room + "/Bob", True, 321))))
        # The last owner cannot go.
        r = run(alice.admin(room, "<item affiliation='member' jid='alice@localhost'/>"))
        self.assertEqual(error_condition(r), "conflict")
        del dave

    def test_kick_and_roles(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = new_room("kick")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        run(dave.join(room, "Dave"))
        # A participant kicks nobody.
        r = run(bob.admin(room, "<item nick='Carol' role='none'/>"))
        self.assertEqual(error_condition(r), "forbidden")
        r = run(alice.admin(room, "<item nick='Carol' role='none'><reason>calm down</reason></item>"))
        self.assertEqual(r.get("type"), "result")
        for who in (alice, bob, carol, dave):
            p = run(who.wait_presence(who.presence_from(room + "/Carol", True, 307)))
            self.assertIsNotNone(p, who.jid)
            self.assertEqual(item_of(p).get("role"), "none")
            self.assertEqual(item_of(p).findtext("{%s}reason" % NS_USER), "calm down")
            self.assertEqual(item_of(p).find("{%s}actor" % NS_USER).get("nick"), "Alice")
            self.assertEqual(110 in codes_of(p), who is carol)
        # Kicked is not banned.
        run(carol.join(room, "Carol"))
        # Making Bob a moderator takes an admin or owner; then Bob kicks Dave but not Alice.
        r = run(alice.admin(room, "<item nick='Bob' role='moderator'/>"))
        self.assertEqual(r.get("type"), "result")
        p = run(carol.wait_presence(lambda p: p.get("from") == room + "/Bob" and
                                    item_of(p) is not None and item_of(p).get("role") == "moderator"))
        self.assertIsNotNone(p)
        r = run(bob.admin(room, "<item nick='Alice' role='none'/>"))
        self.assertEqual(error_condition(r), "not-allowed")
        r = run(bob.admin(room, "<item nick='Dave' role='none'/>"))
        self.assertEqual(r.get("type"), "result")
        self.assertIsNotNone(run(dave.wait_presence(dave.presence_from(room + "/Dave", True, 307))))
        moderators = run(bob.iq(room, "<query xmlns='%s'><item role='moderator'/></query>" % NS_ADMIN))
        self.assertEqual({i.get("nick") for i in moderators.iter("{%s}item" % NS_ADMIN)}, {"Alice", "Bob"})

    def test_moderated_room_voice(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("moderated")
        self.create(alice, room, "Alice", {"muc#roomconfig_moderatedroom": True})
        p = run(bob.join(room, "Bob"))
        self.assertEqual(item_of(p).get("role"), "visitor")
        run(carol.join(room, "Carol"))
        bob.say(room, "may I?")
        err = run(bob.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "forbidden")
        run(alice.admin(room, "<item nick='Bob' role='participant'/>"))
        run(bob.wait_presence(lambda p: p.get("from") == room + "/Bob" and item_of(p) is not None and
                              item_of(p).get("role") == "participant"))
        bob.say(room, "thanks")
        self.assertIsNotNone(run(carol.groupchat(room, "thanks")))

    def test_room_full(self):
        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        room = new_room("full")
        self.create(alice, room, "Alice", {"muc#roomconfig_maxusers": "3"})
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        self.assertEqual(run(dave.join_error(room, "Dave")), "service-unavailable")


class InvitationTest(MucTestBase):

    def test_mediated_invitation_to_members_only_room(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("invite")
        self.create(alice, room, "Alice", {"muc#roomconfig_membersonly": True,
                                           "muc#roomconfig_passwordprotectedroom": True,
                                           "muc#roomconfig_roomsecret": "pw"})
        run(alice.admin(room, "<item affiliation='member' jid='bob@localhost'/>"))
        run(bob.join(room, "Bob", password="pw"))
        # A plain member may not invite into a members-only room unless the room allows it.
        bob.c.send_raw("<message to='%s'><x xmlns='%s'><invite to='carol@localhost'/></x></message>" % (room, NS_USER))
        err = run(bob.c.wait_message(pred=lambda m: m["type"] == "error"))
        self.assertEqual(err["error"]["condition"], "forbidden")
        alice.c.send_raw("<message to='%s'><x xmlns='%s'><invite to='carol@localhost'><reason>join us</reason>"
                         "</invite></x></message>" % (room, NS_USER))
        inv = run(carol.c.wait_message(pred=lambda m: m.xml.find("{%s}x/{%s}invite" % (NS_USER, NS_USER)) is not None))
        self.assertIsNotNone(inv)
        self.assertEqual(str(inv["from"]), room)
        invite = inv.xml.find("{%s}x/{%s}invite" % (NS_USER, NS_USER))
        self.assertEqual(invite.get("from"), alice.c.bound_jid)
        self.assertEqual(invite.findtext("{%s}reason" % NS_USER), "join us")
        self.assertEqual(inv.xml.findtext("{%s}x/{%s}password" % (NS_USER, NS_USER)), "pw")
        # The admin's invitation made carol a member: she can enter.
        run(carol.join(room, "Carol", password="pw"))
        # Declining goes back to the inviter through the room.
        dave = self.occupant("dave@localhost")
        alice.c.send_raw("<message to='%s'><x xmlns='%s'><invite to='dave@localhost'/></x></message>" % (room, NS_USER))
        self.assertIsNotNone(run(dave.c.wait_message(
            pred=lambda m: m.xml.find("{%s}x/{%s}invite" % (NS_USER, NS_USER)) is not None)))
        dave.c.send_raw("<message to='%s'><x xmlns='%s'><decline to='alice@localhost'><reason>busy</reason>"
                        "</decline></x></message>" % (room, NS_USER))
        dec = run(alice.c.wait_message(pred=lambda m: m.xml.find("{%s}x/{%s}decline" % (NS_USER, NS_USER)) is not None))
        self.assertIsNotNone(dec)
        self.assertEqual(str(dec["from"]), room)
        decline = dec.xml.find("{%s}x/{%s}decline" % (NS_USER, NS_USER))
        self.assertEqual(decline.get("from"), "dave@localhost")
        self.assertEqual(decline.findtext("{%s}reason" % NS_USER), "busy")

    def test_direct_invitation(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        dave_client = self.client("dave@localhost/direct", USERS["dave@localhost"])
        dave_client.xmpp.register_plugin("xep_0249")
        invites = []
        dave_client.xmpp.add_event_handler("groupchat_direct_invite", invites.append)
        run(dave_client.login(), timeout=15)
        dave_client.xmpp.send_presence()
        room = new_room("direct")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        # XEP-0249 invitations are ordinary messages from user to user: they arrive unchanged.
        alice.c.send_raw("<message to='dave@localhost'><x xmlns='%s' jid='%s' password='p&amp;w' "
                         "reason='come &lt;along&gt;'/></message>" % (NS_CONFERENCE, room))
        self.assertTrue(run(h.wait_until(lambda: invites, timeout=5)))
        msg = invites[0]
        self.assertEqual(str(msg["from"]), alice.c.bound_jid)
        self.assertEqual(str(msg["groupchat_invite"]["jid"]), room)
        self.assertEqual(msg["groupchat_invite"]["password"], "p&w")
        self.assertEqual(msg["groupchat_invite"]["reason"], "come <along>")


class ArchiveTest(MucTestBase):

    def mam_query(self, who, room, max_items, after=None, with_jid=None):
        """Returns (results, fin) of one MAM page on the room."""
        qid = "q%d" % id(object())
        rsm = "<set xmlns='%s'><max>%d</max>%s</set>" % (NS_RSM, max_items,
                                                        "<after>%s</after>" % after if after else "")
        form = ""
        if with_jid:
            form = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'><value>%s</value></field>"
                    "<field var='with'><value>%s</value></field></x>" % (NS_DATA, NS_MAM, with_jid))
        fin = run(who.iq(room, "<query xmlns='%s' queryid='%s'>%s%s</query>" % (NS_MAM, qid, form, rsm), "set"))
        results = []
        while True:
            m = who.c.take_message(lambda m: m.xml.find("{%s}result" % NS_MAM) is not None and
                                   m.xml.find("{%s}result" % NS_MAM).get("queryid") == qid)
            if m is None:
                break
            results.append(m)
        return results, fin

    def test_room_archive_paging(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("archive")
        self.create(alice, room, "Alice")
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        for n in range(7):
            who = (alice, bob, carol)[n % 3]
            who.say(room, "a%d" % n)
            run(who.groupchat(room, "a%d" % n))
        bodies, after = [], None
        for expected, complete in ((3, "false"), (3, "false"), (1, "true")):
            results, fin = self.mam_query(carol, room, 3, after)
            self.assertEqual(fin.get("type"), "result", ET.tostring(fin, encoding="unicode"))
            self.assertEqual(len(results), expected)
            f = fin.find("{%s}fin" % NS_MAM)
            self.assertEqual(f.get("complete"), complete)
            after = f.findtext("{%s}set/{%s}last" % (NS_RSM, NS_RSM))
            for m in results:
                self.assertEqual(str(m["from"]), room)
                inner = m.xml.find("{%s}result/{%s}forwarded/{%s}message" % (NS_MAM, NS_FORWARD, NS_CLIENT))
                self.assertIsNotNone(inner)
                self.assertEqual(inner.get("type"), "groupchat")
                self.assertTrue(inner.get("from").startswith(room + "/"))
                self.assertIsNotNone(m.xml.find("{%s}result/{%s}forwarded/{%s}delay" % (NS_MAM, NS_FORWARD, NS_DELAY)))
                bodies.append(inner.findtext("{%s}body" % NS_CLIENT))
        self.assertEqual(bodies, ["a%d" % n for n in range(7)])
        self.assertEqual(f.findtext("{%s}set/{%s}count" % (NS_RSM, NS_RSM)), "7")
        # Filtered by occupant.
        results, fin = self.mam_query(carol, room, 10, with_jid=room + "/Bob")
        self.assertEqual([m.xml.find(".//{%s}body" % NS_CLIENT).text for m in results], ["a1", "a4"])

    def test_members_only_archive_is_for_members(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("private-archive")
        self.create(alice, room, "Alice", {"muc#roomconfig_membersonly": True})
        run(alice.admin(room, "<item affiliation='member' jid='bob@localhost'/>"))
        run(bob.join(room, "Bob"))
        alice.say(room, "members only")
        run(bob.groupchat(room, "members only"))
        results, fin = self.mam_query(bob, room, 10)
        self.assertEqual(len(results), 1)
        results, fin = self.mam_query(carol, room, 10)
        self.assertEqual(error_condition(fin), "forbidden")
        self.assertEqual(results, [])


@unittest.skipIf(h.STORAGE == "memory", "the memory store does not outlive a restart")
class PersistenceTest(MucTestBase):

    def test_persistent_room_survives_restart(self):
        alice, bob, carol = self.occupants("alice@localhost", "bob@localhost", "carol@localhost")
        room = new_room("persistent")
        self.create(alice, room, "Alice", {"muc#roomconfig_persistentroom": True,
                                           "muc#roomconfig_roomname": "Kept",
                                           "muc#roomconfig_membersonly": True,
                                           "muc#roomconfig_historylength": "3"})
        run(alice.admin(room, "<item affiliation='member' jid='bob@localhost'/>"
                              "<item affiliation='admin' jid='carol@localhost'/>"
                              "<item affiliation='outcast' jid='dave@localhost'/>"))
        run(bob.join(room, "Bob"))
        run(carol.join(room, "Carol"))
        alice.c.send_raw("<message type='groupchat' to='%s'><subject>kept subject</subject></message>" % room)
        run(alice.c.wait_message(pred=lambda m: m["subject"] == "kept subject"))
        for n in range(5):
            alice.say(room, "p%d" % n)
            run(alice.groupchat(room, "p%d" % n))
        # Everybody leaves: a persistent room stays.
        for who, nick in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            who.leave(room, nick)
            run(who.wait_presence(who.presence_from(room + "/" + nick, True, 110)))
        h.pump(0.3)
        for c in list(self._clients):
            run(c.disconnect(), timeout=5)
        self._clients.clear()

        self.assertEqual(self.server.stop(), 0)
        self.server.start()

        alice, bob, carol, dave = self.occupants("alice@localhost", "bob@localhost", "carol@localhost",
                                                 "dave@localhost")
        items = run(dave.iq(MUC, "<query xmlns='%s'/>" % NS_DISCO_ITEMS))
        self.assertIn(room, [i.get("jid") for i in items.iter("{%s}item" % NS_DISCO_ITEMS)])
        form = run(alice.iq(room, "<query xmlns='%s'/>" % NS_OWNER))
        values = {f.get("var"): f.findtext("{%s}value" % NS_DATA) for f in form.iter("{%s}field" % NS_DATA)}
        self.assertEqual(values["muc#roomconfig_roomname"], "Kept")
        self.assertEqual(values["muc#roomconfig_persistentroom"], "1")
        self.assertEqual(values["muc#roomconfig_membersonly"], "1")
        admins = run(alice.iq(room, "<query xmlns='%s'><item affiliation='admin'/></query>" % NS_ADMIN))
        self.assertEqual([i.get("jid") for i in admins.iter("{%s}item" % NS_ADMIN)], ["carol@localhost"])
        self.assertEqual(run(dave.join_error(room, "Dave")), "forbidden")
        # The last three messages come back as history, then the subject.
        bob.send_join(room, "Bob")
        p = run(bob.wait_presence(bob.presence_from(room + "/Bob", False, 110)))
        self.assertEqual(item_of(p).get("affiliation"), "member")
        for n in (2, 3, 4):
            m = run(bob.groupchat(room, "p%d" % n))
            self.assertIsNotNone(m, "p%d not replayed after the restart" % n)
            self.assertIsNotNone(m.xml.find("{%s}delay" % NS_DELAY))
        subject = run(bob.c.wait_message(pred=lambda m: m["subject"] == "kept subject"))
        self.assertIsNotNone(subject)
        self.assertFalse(any(m["body"] in ("p0", "p1") for m in bob.c.inbox))
        p = run(carol.join(room, "Carol"))
        self.assertEqual(item_of(p).get("affiliation"), "admin")
        self.assertEqual(item_of(p).get("role"), "moderator")
        run(alice.join(room, "Alice"))
        # The archive survived too.
        results, fin = ArchiveTest.mam_query(self, carol, room, 10)
        self.assertEqual([m.xml.find(".//{%s}body" % NS_CLIENT).text for m in results],
                         ["p%d" % n for n in range(5)])


if __name__ == "__main__":
    h.main(budget=230)
