"""Blocking Command (XEP-0191), Private XML Storage (XEP-0049, with XEP-0048
bookmarks) and vcard-temp (XEP-0054) against a real telexd.

Clients are raw sockets (``RawClient`` from the harness) so each test sees
every stanza the server sends, in order: pushes, presence, errors. Absence
("X did not receive Y") is proved with a marker message sent afterwards plus a
short grace period, as in test_roster_presence.py (broadcast presence leaves
after an asynchronous roster read, so a marker alone could overtake it).

Run: /usr/bin/python3 tests/integration/test_blocking_private_vcard.py --telexd build/telexd
"""

import os
import sys
import unittest
import time
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import stanza_error  # noqa: E402

NS_CLIENT = h.NS_CLIENT
NS_BLOCKING = "urn:xmpp:blocking"
NS_BLOCKING_ERRORS = "urn:xmpp:blocking:errors"
NS_PRIVATE = "jabber:iq:private"
NS_BOOKMARKS = "storage:bookmarks"
NS_VCARD = "vcard-temp"
NS_ROSTER = "jabber:iq:roster"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"

PRESENCE = "{%s}presence" % NS_CLIENT
MESSAGE = "{%s}message" % NS_CLIENT
IQ = "{%s}iq" % NS_CLIENT

WAIT = 5.0    # bound on every positive wait
GRACE = 0.3   # quiet time after a marker when proving absence
TRICKY = "<&'\"> fish & chips"


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def unique(label):
    return "%s-%s" % (label, uuid.uuid4().hex[:8])


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def is_presence(e, frm, ptype=None):
    return e.tag == PRESENCE and e.get("from") == frm and e.get("type") == ptype


def presence_from(e, bare):
    frm = e.get("from") or ""
    return e.tag == PRESENCE and (frm == bare or frm.startswith(bare + "/"))


def is_message(e, body):
    return e.tag == MESSAGE and e.findtext("{%s}body" % NS_CLIENT) == body


def blocking_push(e, what):
    """The <block/> or <unblock/> of a blocking push, else None."""
    if e.tag != IQ or e.get("type") != "set":
        return None
    return e.find("{%s}%s" % (NS_BLOCKING, what))


def roster_push(e, jid):
    """The <item/> for ``jid`` of a roster push, else None."""
    if e.tag != IQ or e.get("type") != "set":
        return None
    for item in e.iter("{%s}item" % NS_ROSTER):
        if item.get("jid") == jid:
            return item
    return None


def push_jids(payload):
    return sorted(i.get("jid") for i in payload.findall("{%s}item" % NS_BLOCKING))


class Peer:
    """One resource of an account over a RawClient; keeps everything received
    and answers pushes (roster and blocking) with a result like a client."""

    def __init__(self, raw, bare, password, resource):
        self.r = raw
        self.bare = bare
        raw.secure()
        ok, cond = raw.auth_plain(bare.split("@", 1)[0], password)
        if not ok:
            raise AssertionError("PLAIN auth of %s failed: %s" % (bare, cond))
        raw.open_stream()
        resp = raw.bind(resource)
        if resp.get("type") != "result":
            raise AssertionError("bind failed: %s" % text(resp))
        self.jid = resp.findtext("{%s}bind/{%s}jid" % (h.NS_BIND, h.NS_BIND))
        self.log = []
        self.inbox = []

    def _got(self, e):
        self.log.append(e)
        if e.tag == IQ and e.get("type") == "set" and e.get("id"):
            self.r.send("<iq type='result' id='%s'/>" % esc(e.get("id")))
        self.inbox.append(e)

    def _read(self, timeout):
        if self.r.closed or self.r.stream_ended:
            while self.r.elements:
                self._got(self.r.elements.pop(0))
            time.sleep(min(timeout, 0.05))
            return
        e = self.r.next(max(0.01, timeout))
        if e is not None:
            self._got(e)

    def wait(self, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.inbox):
                if pred(e):
                    return self.inbox.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._read(min(remaining, 0.5))

    def expect(self, pred, what, timeout=WAIT):
        e = self.wait(pred, timeout)
        if e is None:
            raise AssertionError("%s: no %s within %.0f s; received:\n%s" %
                                 (self.jid, what, timeout, self.dump()))
        return e

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())

    def mark(self):
        return len(self.log)

    def since(self, mark, pred):
        return [e for e in self.log[mark:] if pred(e)]

    def dump(self, elems=None):
        elems = self.log if elems is None else elems
        return "\n".join("    " + text(e) for e in elems[-40:]) or "    (nothing)"

    def logout(self):
        """Clean close: </stream:stream>, then wait (bounded) for the server's."""
        if not self.r.closed:
            self.r.send("</stream:stream>")
            self.r.wait_closed(5.0)
        self.r.close()

    def send(self, data):
        if not self.r.send(data):
            raise AssertionError("%s: connection closed while sending %s" %
                                 (self.jid, data))

    def presence(self, status=None, ptype=None, to=None):
        attrs = (" to='%s'" % to if to else "") + \
            (" type='%s'" % ptype if ptype else "")
        kids = "<status>%s</status>" % esc(status) if status else ""
        self.send("<presence%s>%s</presence>" % (attrs, kids))

    def message(self, to, body, mtype="chat"):
        self.send("<message to='%s' type='%s'><body>%s</body></message>" %
                  (to, mtype, esc(body)))

    def iq(self, payload, itype="get", to=None, timeout=WAIT):
        iq_id = unique("iq")
        attr = " to='%s'" % to if to else ""
        self.send("<iq type='%s' id='%s'%s>%s</iq>" %
                  (itype, iq_id, attr, payload))
        return self.expect(lambda e: e.tag == IQ and e.get("id") == iq_id and
                           e.get("type") in ("result", "error"),
                           "answer to iq %s %s" % (itype, payload), timeout)

    def sync(self):
        resp = self.iq("<ping xmlns='urn:xmpp:ping'/>", to=h.DOMAIN)
        if resp.get("type") != "result":
            raise AssertionError("sync ping failed: %s" % text(resp))

    def blocklist(self):
        resp = self.iq("<blocklist xmlns='%s'/>" % NS_BLOCKING)
        if resp.get("type") != "result":
            raise AssertionError("blocklist get failed: %s" % text(resp))
        return push_jids(resp.find("{%s}blocklist" % NS_BLOCKING))

    def block(self, *jids, what="block"):
        items = "".join("<item jid='%s'/>" % j for j in jids)
        return self.iq("<%s xmlns='%s'>%s</%s>" % (what, NS_BLOCKING, items, what), "set")

    def unblock(self, *jids):
        return self.block(*jids, what="unblock")


class Base(h.ServerTestCase):
    """A telexd per class; every test makes fresh accounts."""

    PASSWORD = "pw-%s" % uuid.uuid4().hex[:6]

    def accounts(self, *labels):
        out = []
        for label in labels:
            bare = "%s-%s@%s" % (label, uuid.uuid4().hex[:6], h.DOMAIN)
            self.server.add_user(bare, self.PASSWORD)
            out.append(bare)
        return out

    def setUp(self):
        super().setUp()
        self._peers = []

    def tearDown(self):
        # Streams end cleanly, so the server never writes to a socket the client already dropped.
        for p in self._peers:
            p.logout()
        super().tearDown()

    def connect(self, bare, resource):
        p = Peer(self.raw(), bare, self.PASSWORD, resource)
        self._peers.append(p)
        return p

    def online(self, bare, resource, status=None):
        p = self.connect(bare, resource)
        p.iq("<query xmlns='%s'/>" % NS_ROSTER)
        p.presence(status=status)
        p.sync()
        return p

    def befriend(self, a, b):
        """Mutual presence subscription between accounts a and b, set up through
        sessions that never send presence (each step waits for its roster
        push, as the server handles subscriptions asynchronously)."""
        pa = self.connect(a, unique("setup"))
        pb = self.connect(b, unique("setup"))
        pa.iq("<query xmlns='%s'/>" % NS_ROSTER)
        pb.iq("<query xmlns='%s'/>" % NS_ROSTER)
        for x, y, px, py in ((a, b, pa, pb), (b, a, pb, pa)):
            px.presence(ptype="subscribe", to=y)
            px.expect(lambda e: roster_push(e, y) is not None and
                      roster_push(e, y).get("ask") == "subscribe", "ask push for %s" % y)
            py.presence(ptype="subscribed", to=x)
            px.expect(lambda e: roster_push(e, y) is not None and
                      roster_push(e, y).get("subscription") in ("to", "both") and
                      roster_push(e, y).get("ask") is None, "'to' push for %s" % y)
            py.expect(lambda e: roster_push(e, x) is not None and
                      roster_push(e, x).get("subscription") in ("from", "both"),
                      "'from' push for %s" % x)
        pa.logout()
        pb.logout()

    def assertQuiet(self, receiver, mark, pred, what, marker_from):
        """Since ``mark``, ``receiver`` got nothing matching ``pred``: a marker
        message from ``marker_from`` arrives, then a grace period passes."""
        body = unique("marker")
        marker_from.message(receiver.jid, body)
        receiver.expect(lambda e: is_message(e, body),
                        "marker message from %s" % marker_from.jid)
        receiver.drain(GRACE)
        bad = receiver.since(mark, pred)
        self.assertEqual(bad, [], "%s wrongly received %s:\n%s" %
                         (receiver.jid, what, receiver.dump(bad)))

    def assertBlockedError(self, elem):
        self.assertEqual(elem.get("type"), "error", text(elem))
        self.assertEqual(stanza_error(elem), ("cancel", "not-acceptable"), text(elem))
        err = elem.find("{%s}error" % NS_CLIENT)
        self.assertIsNotNone(err.find("{%s}blocked" % NS_BLOCKING_ERRORS), text(elem))


# --------------------------------------------------------------------------
# Blocking Command (XEP-0191)
# --------------------------------------------------------------------------


class BlockingTest(Base):

    def test_disco_advertises_the_three_features(self):
        [alice] = self.accounts("alice")
        a = self.connect(alice, "disco")
        resp = a.iq("<query xmlns='%s'/>" % NS_DISCO_INFO, to=h.DOMAIN)
        features = {f.get("var") for f in resp.iter("{%s}feature" % NS_DISCO_INFO)}
        for f in (NS_BLOCKING, NS_VCARD, NS_PRIVATE):
            self.assertIn(f, features)

    def test_block_then_unblock(self):
        alice, mallory, bob = self.accounts("alice", "mallory", "bob")
        self.befriend(alice, mallory)
        self.befriend(alice, bob)
        a1 = self.online(alice, "one", status="first")
        a2 = self.online(alice, "two", status="second")
        m = self.online(mallory, "phone")
        b = self.online(bob, "pc")
        m.expect(lambda e: is_presence(e, a1.jid), "alice/one's presence")
        m.expect(lambda e: is_presence(e, a2.jid), "alice/two's presence")
        self.assertEqual(a2.blocklist(), [])

        # Block: result to the sender, push to the resource that asked for the list.
        mark_a1 = a1.mark()
        resp = a1.block(mallory)
        self.assertEqual(resp.get("type"), "result", text(resp))
        push = a2.expect(lambda e: blocking_push(e, "block") is not None,
                         "block push")
        self.assertEqual(push_jids(blocking_push(push, "block")), [mallory])
        self.assertEqual(push.get("to"), a2.jid)
        # alice/one never asked for the block list: no push for it.
        a1.drain(GRACE)
        self.assertEqual(a1.since(mark_a1, lambda e: blocking_push(e, "block") is not None), [])
        self.assertEqual(a2.blocklist(), [mallory])

        # Mallory sees Alice go offline, both resources.
        m.expect(lambda e: is_presence(e, a1.jid, "unavailable"), "alice/one unavailable")
        m.expect(lambda e: is_presence(e, a2.jid, "unavailable"), "alice/two unavailable")

        # And Alice's resources see Mallory go offline: nothing more will come from them.
        a1.expect(lambda e: is_presence(e, m.jid, "unavailable"), "mallory unavailable at alice/one")
        a2.expect(lambda e: is_presence(e, m.jid, "unavailable"), "mallory unavailable at alice/two")

        # Mallory's messages bounce; Alice sees nothing from Mallory, presence included.
        mark1, mark2 = a1.mark(), a2.mark()
        m.message(alice, "can you hear me?")
        err = m.expect(lambda e: e.tag == MESSAGE and e.get("type") == "error",
                       "bounce of a message to a blocker")
        self.assertEqual(stanza_error(err)[1], "service-unavailable", text(err))
        self.assertIsNone(err.find("{%s}error/{%s}blocked" % (NS_CLIENT, NS_BLOCKING_ERRORS)))
        m.message(a1.jid, "and you, one?")
        m.presence(status="look at me")
        m.presence(to=alice)
        m.presence(ptype="subscribe", to=alice)
        resp = m.iq("<query xmlns='jabber:iq:version'/>", to=a1.jid)
        self.assertEqual(stanza_error(resp), ("cancel", "service-unavailable"), text(resp))
        resp = m.iq("<vCard xmlns='%s'/>" % NS_VCARD, to=alice)
        self.assertEqual(stanza_error(resp), ("cancel", "service-unavailable"), text(resp))
        from_mallory = lambda e: (e.get("from") or "").split("/")[0] == mallory  # noqa: E731
        self.assertQuiet(a1, mark1, from_mallory, "stanzas from a blocked JID", b)
        self.assertQuiet(a2, mark2, from_mallory, "stanzas from a blocked JID", b)

        # Alice writing to Mallory: not-acceptable with <blocked/>, nothing reaches Mallory.
        mark_m = m.mark()
        a1.message(mallory, "psst")
        self.assertBlockedError(a1.expect(lambda e: e.tag == MESSAGE and e.get("type") == "error",
                                          "error for a message to a blocked JID"))
        a1.presence(to=m.jid)
        self.assertBlockedError(a1.expect(lambda e: e.tag == PRESENCE and e.get("type") == "error",
                                          "error for presence to a blocked JID"))
        resp = a1.iq("<query xmlns='jabber:iq:version'/>", to=m.jid)
        self.assertBlockedError(resp)
        # Alice's broadcast presence reaches Bob but not Mallory.
        a1.presence(status="still here")
        b.expect(lambda e: is_presence(e, a1.jid) and
                 e.findtext("{%s}status" % NS_CLIENT) == "still here", "alice's new status")
        self.assertQuiet(m, mark_m, lambda e: presence_from(e, alice) or is_message(e, "psst"),
                         "presence or messages from a user who blocked it", b)

        # Unblock: push to alice/two, presence flows again, messages are delivered.
        resp = a1.unblock(mallory)
        self.assertEqual(resp.get("type"), "result", text(resp))
        push = a2.expect(lambda e: blocking_push(e, "unblock") is not None, "unblock push")
        self.assertEqual(push_jids(blocking_push(push, "unblock")), [mallory])
        m.expect(lambda e: is_presence(e, a1.jid) and
                 e.findtext("{%s}status" % NS_CLIENT) == "still here",
                 "alice/one's presence after the unblock")
        m.expect(lambda e: is_presence(e, a2.jid), "alice/two's presence after the unblock")
        a1.expect(lambda e: is_presence(e, m.jid), "mallory's presence after the unblock")
        m.message(a1.jid, "hello again")
        a1.expect(lambda e: is_message(e, "hello again"), "message after the unblock")
        a1.message(mallory, "welcome back")
        m.expect(lambda e: is_message(e, "welcome back"), "alice's message after the unblock")
        self.assertEqual(a2.blocklist(), [])

    def test_domain_and_full_jid_items_and_unblock_all(self):
        alice, mallory, bob = self.accounts("alice", "mallory", "bob")
        a = self.online(alice, "a")
        a.blocklist()
        m1 = self.online(mallory, "one")
        m2 = self.online(mallory, "two")
        b = self.online(bob, "b")

        # Only mallory/one is blocked.
        self.assertEqual(a.block(m1.jid).get("type"), "result")
        a.expect(lambda e: blocking_push(e, "block") is not None, "block push")
        m1.message(a.jid, "from one")
        m2.message(a.jid, "from two")
        a.expect(lambda e: is_message(e, "from two"), "message from the unblocked resource")
        m1.expect(lambda e: e.tag == MESSAGE and e.get("type") == "error", "bounce for mallory/one")
        self.assertFalse(any(is_message(e, "from one") for e in a.log))

        # The whole domain: everyone here, Bob included; own resources still talk.
        self.assertEqual(a.block(h.DOMAIN + "/nothing", "example.net").get("type"), "result")
        self.assertEqual(a.block("localhost").get("type"), "result")
        mark = a.mark()
        b.message(a.jid, "bob blocked by domain")
        b.expect(lambda e: e.tag == MESSAGE and e.get("type") == "error", "bounce for bob")
        a2 = self.online(alice, "a2")
        a2.message(a.jid, "own resource")
        a.expect(lambda e: is_message(e, "own resource"), "message from an own resource")
        self.assertEqual(a.since(mark, lambda e: is_message(e, "bob blocked by domain")), [])
        self.assertEqual(sorted(a.blocklist()), sorted([m1.jid, h.DOMAIN, h.DOMAIN + "/nothing",
                                                        "example.net"]))

        # Empty <unblock/>: everything goes, the push is an empty <unblock/>.
        self.assertEqual(a.unblock().get("type"), "result")
        push = a.expect(lambda e: blocking_push(e, "unblock") is not None and
                        push_jids(blocking_push(e, "unblock")) == [], "unblock-all push")
        self.assertIsNotNone(push)
        self.assertEqual(a.blocklist(), [])
        b.message(a.jid, "bob again")
        a.expect(lambda e: is_message(e, "bob again"), "message after unblock-all")

    def test_bad_requests(self):
        [alice] = self.accounts("alice")
        a = self.connect(alice, "bad")
        resp = a.block()
        self.assertEqual(stanza_error(resp), ("modify", "bad-request"), text(resp))
        resp = a.block("@@not a jid")
        self.assertEqual(stanza_error(resp)[1], "jid-malformed", text(resp))
        resp = a.iq("<blocklist xmlns='%s'/>" % NS_BLOCKING, "set")
        self.assertEqual(resp.get("type"), "error", text(resp))

    @unittest.skipIf(h.STORAGE == "memory", "the memory store does not outlive a restart")
    def test_block_list_survives_restart_and_applies_to_offline_users(self):
        alice, mallory = self.accounts("alice", "mallory")
        a = self.connect(alice, "r")
        self.assertEqual(a.block(mallory).get("type"), "result")
        a.logout()
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        m = self.online(mallory, "m")
        # Alice is offline: the message must bounce, not go to offline storage.
        m.message(alice, "while you were away")
        err = m.expect(lambda e: e.tag == MESSAGE and e.get("type") == "error", "bounce")
        self.assertEqual(stanza_error(err)[1], "service-unavailable")
        a = self.online(alice, "back")
        self.assertEqual(a.blocklist(), [mallory])
        a.drain(GRACE)
        self.assertFalse(any(is_message(e, "while you were away") for e in a.log))


# --------------------------------------------------------------------------
# Private XML Storage (XEP-0049) and bookmarks (XEP-0048)
# --------------------------------------------------------------------------


class PrivateXmlTest(Base):

    def test_round_trip_and_isolation(self):
        alice, bob = self.accounts("alice", "bob")
        a = self.connect(alice, "p")
        # Nothing stored yet: the requested element comes back empty.
        resp = a.iq("<query xmlns='%s'><storage xmlns='%s'/></query>" % (NS_PRIVATE, NS_BOOKMARKS))
        self.assertEqual(resp.get("type"), "result", text(resp))
        storage = resp.find("{%s}query/{%s}storage" % (NS_PRIVATE, NS_BOOKMARKS))
        self.assertIsNotNone(storage, text(resp))
        self.assertEqual(len(list(storage)), 0)

        bookmarks = ("<storage xmlns='%s'><conference name='%s' autojoin='true' "
                     "jid='room@conference.localhost'><nick>%s</nick></conference>"
                     "</storage>" % (NS_BOOKMARKS, esc(TRICKY), esc(TRICKY)))
        prefs = "<prefs xmlns='urn:example:prefs'><colour>%s</colour></prefs>" % esc(TRICKY)
        resp = a.iq("<query xmlns='%s'>%s%s</query>" % (NS_PRIVATE, bookmarks, prefs), "set")
        self.assertEqual(resp.get("type"), "result", text(resp))

        # Another session of the same user reads them back, text intact.
        a2 = self.connect(alice, "p2")
        resp = a2.iq("<query xmlns='%s'><storage xmlns='%s'/></query>" % (NS_PRIVATE, NS_BOOKMARKS))
        conf = resp.find("{%s}query/{%s}storage/{%s}conference" % (NS_PRIVATE, NS_BOOKMARKS, NS_BOOKMARKS))
        self.assertIsNotNone(conf, text(resp))
        self.assertEqual(conf.get("name"), TRICKY)
        self.assertEqual(conf.get("jid"), "room@conference.localhost")
        self.assertEqual(conf.findtext("{%s}nick" % NS_BOOKMARKS), TRICKY)
        resp = a2.iq("<query xmlns='%s'><prefs xmlns='urn:example:prefs'/></query>" % NS_PRIVATE)
        self.assertEqual(resp.findtext("{%s}query/{urn:example:prefs}prefs/{urn:example:prefs}colour"
                                       % NS_PRIVATE), TRICKY)

        # Bob sees his own (empty) storage, never Alice's.
        b = self.connect(bob, "p")
        resp = b.iq("<query xmlns='%s'><storage xmlns='%s'/></query>" % (NS_PRIVATE, NS_BOOKMARKS))
        self.assertEqual(len(list(resp.find("{%s}query/{%s}storage" % (NS_PRIVATE, NS_BOOKMARKS)))), 0)
        for itype in ("get", "set"):
            resp = b.iq("<query xmlns='%s'><storage xmlns='%s'/></query>" % (NS_PRIVATE, NS_BOOKMARKS),
                        itype, to=alice)
            self.assertEqual(stanza_error(resp), ("auth", "forbidden"), text(resp))

        # Replacing with an empty element clears it.
        a.iq("<query xmlns='%s'><prefs xmlns='urn:example:prefs'/></query>" % NS_PRIVATE, "set")
        resp = a.iq("<query xmlns='%s'><prefs xmlns='urn:example:prefs'/></query>" % NS_PRIVATE)
        self.assertEqual(len(list(resp.find("{%s}query/{urn:example:prefs}prefs" % NS_PRIVATE))), 0)

    def test_reserved_and_malformed_requests(self):
        [alice] = self.accounts("alice")
        a = self.connect(alice, "p")
        for itype in ("get", "set"):
            resp = a.iq("<query xmlns='%s'><query xmlns='jabber:iq:roster'/></query>" % NS_PRIVATE, itype)
            self.assertEqual(stanza_error(resp), ("modify", "not-acceptable"), text(resp))
            resp = a.iq("<query xmlns='%s'/>" % NS_PRIVATE, itype)
            self.assertEqual(stanza_error(resp), ("modify", "not-acceptable"), text(resp))
        resp = a.iq("<query xmlns='%s'><a xmlns='urn:a'/><b xmlns='urn:b'/></query>" % NS_PRIVATE)
        self.assertEqual(stanza_error(resp), ("modify", "bad-request"), text(resp))


# --------------------------------------------------------------------------
# vcard-temp (XEP-0054)
# --------------------------------------------------------------------------


class VcardTest(Base):

    def test_own_and_others(self):
        alice, bob, carol = self.accounts("alice", "bob", "carol")
        a = self.connect(alice, "v")
        resp = a.iq("<vCard xmlns='%s'/>" % NS_VCARD)
        self.assertEqual(resp.get("type"), "result", text(resp))
        vcard = resp.find("{%s}vCard" % NS_VCARD)
        self.assertIsNotNone(vcard, "own vCard before any set: %s" % text(resp))
        self.assertEqual(len(list(vcard)), 0)

        card = ("<vCard xmlns='%s'><FN>%s</FN><NICKNAME>al</NICKNAME>"
                "<EMAIL><INTERNET/><USERID>alice@example.org</USERID></EMAIL></vCard>"
                % (NS_VCARD, esc(TRICKY)))
        resp = a.iq(card, "set")
        self.assertEqual(resp.get("type"), "result", text(resp))
        resp = a.iq("<vCard xmlns='%s'/>" % NS_VCARD)
        self.assertEqual(resp.findtext("{%s}vCard/{%s}FN" % (NS_VCARD, NS_VCARD)), TRICKY)

        # Anyone may read it at Alice's bare JID; the server answers, not Alice's client.
        b = self.connect(bob, "v")
        resp = b.iq("<vCard xmlns='%s'/>" % NS_VCARD, to=alice)
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertEqual(resp.get("from"), alice)
        self.assertEqual(resp.findtext("{%s}vCard/{%s}FN" % (NS_VCARD, NS_VCARD)), TRICKY)
        self.assertEqual(resp.findtext("{%s}vCard/{%s}EMAIL/{%s}USERID" % ((NS_VCARD,) * 3)),
                         "alice@example.org")

        # No vCard and no account give the same answer.
        resp = b.iq("<vCard xmlns='%s'/>" % NS_VCARD, to=carol)
        self.assertEqual(stanza_error(resp), ("cancel", "item-not-found"), text(resp))
        resp = b.iq("<vCard xmlns='%s'/>" % NS_VCARD, to="nobody-%s@localhost" % uuid.uuid4().hex[:6])
        self.assertEqual(stanza_error(resp), ("cancel", "item-not-found"), text(resp))

        # Only the owner sets it; too large is refused and the old one stays.
        resp = b.iq("<vCard xmlns='%s'><FN>mallory</FN></vCard>" % NS_VCARD, "set", to=alice)
        self.assertEqual(stanza_error(resp), ("auth", "forbidden"), text(resp))
        big = "<vCard xmlns='%s'><PHOTO><BINVAL>%s</BINVAL></PHOTO></vCard>" % (NS_VCARD, "A" * 70000)
        resp = a.iq(big, "set")
        self.assertEqual(stanza_error(resp), ("modify", "not-acceptable"), text(resp))
        resp = b.iq("<vCard xmlns='%s'/>" % NS_VCARD, to=alice)
        self.assertEqual(resp.findtext("{%s}vCard/{%s}FN" % (NS_VCARD, NS_VCARD)), TRICKY)

        # An empty set clears it.
        self.assertEqual(a.iq("<vCard xmlns='%s'/>" % NS_VCARD, "set").get("type"), "result")
        resp = b.iq("<vCard xmlns='%s'/>" % NS_VCARD, to=alice)
        self.assertEqual(stanza_error(resp), ("cancel", "item-not-found"), text(resp))


if __name__ == "__main__":
    h.main()
