"""Message types to bare JIDs as RFC 6121 §8.5 says (normal, headline,
groupchat, error; with resources online, with none, for an account that does
not exist), and delivery receipts (XEP-0184), chat states (XEP-0085) and chat
markers (XEP-0333) passing through untouched, carbons included. Two users, one
on three resources (priorities 5, 1 and -1).

Absence is proved by a marker the same sender sends afterwards to the same
resource: one sender's messages to one user arrive in order.

Run: /usr/bin/python3 tests/integration/test_message_types.py --telexd build/telexd
"""

import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

CLIENT = "jabber:client"
RECEIPTS = "urn:xmpp:receipts"
CHATSTATES = "http://jabber.org/protocol/chatstates"
MARKERS = "urn:xmpp:chat-markers:0"
CARBONS = "urn:xmpp:carbons:2"
FORWARD = "urn:xmpp:forward:0"
# What the server may add to a delivered message; everything else must be as sent.
SERVER_ADDED = {"{urn:xmpp:sid:0}stanza-id", "{urn:xmpp:delay}delay"}


def unique(label):
    return "%s-%s" % (label, uuid.uuid4().hex[:8])


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def payload(elem):
    """The children of a message as comparable tuples, server additions left out."""
    return [(c.tag, sorted(c.attrib.items()), (c.text or "").strip(),
             [text(g) for g in c]) for c in elem if c.tag not in SERVER_ADDED]


class Base(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw"}

    def setUp(self):
        super().setUp()
        self.alice = self.login("alice@localhost/a")
        self.hi = self.login("bob@localhost/hi")
        self.lo = self.login("bob@localhost/lo")
        self.neg = self.login("bob@localhost/neg")
        run(self.alice.set_presence())
        run(self.hi.set_presence(priority=5))
        run(self.lo.set_presence(priority=1))
        run(self.neg.set_presence(priority=-1))

    def send(self, to, mtype, inner, mid=None):
        mid = mid or unique("m")
        attr = " type='%s'" % mtype if mtype else ""
        self.alice.send_raw("<message to='%s' id='%s'%s>%s</message>" % (to, mid, attr, inner))
        return mid

    def got(self, client, mid, timeout=5):
        return run(client.wait_message(pred=lambda m: m["id"] == mid, timeout=timeout))

    def assertNotDelivered(self, client, mid):
        marker = self.send(client.bound_jid, "chat", "<body>marker</body>")
        self.assertIsNotNone(self.got(client, marker), "marker to %s lost" % client.bound_jid)
        self.assertFalse(any(m["id"] == mid for m in client.inbox),
                         "%s wrongly received %s" % (client.bound_jid, mid))

    def assertNoError(self, mid):
        run(self.alice.sync())
        h.pump(0.3)
        errors = [m for m in self.alice.inbox if m["id"] == mid and m["type"] == "error"]
        self.assertEqual(errors, [], "an error came back for %s" % mid)

    def wait_error(self, mid):
        err = run(self.alice.wait_message(pred=lambda m: m["id"] == mid and m["type"] == "error"))
        self.assertIsNotNone(err, "no error for %s" % mid)
        return stanza_error(err.xml)


class BareJidTypesTest(Base):
    """§8.5.2.1: at least one available resource with a non-negative priority."""

    def test_normal_goes_to_the_highest_priority_only(self):
        for mtype in ("normal", None):  # no type means normal
            mid = self.send("bob@localhost", mtype, "<body>normal</body>")
            self.assertIsNotNone(self.got(self.hi, mid))
            self.assertNotDelivered(self.lo, mid)
            self.assertNotDelivered(self.neg, mid)

    def test_headline_goes_to_every_non_negative_resource(self):
        mid = self.send("bob@localhost", "headline", "<body>news</body>")
        self.assertIsNotNone(self.got(self.hi, mid))
        self.assertIsNotNone(self.got(self.lo, mid))
        self.assertNotDelivered(self.neg, mid)
        self.assertNoError(mid)

    def test_groupchat_is_refused_with_service_unavailable(self):
        mid = self.send("bob@localhost", "groupchat", "<body>not a room</body>")
        self.assertEqual(self.wait_error(mid), ("cancel", "service-unavailable"))
        for c in (self.hi, self.lo, self.neg):
            self.assertNotDelivered(c, mid)

    def test_error_is_silently_ignored(self):
        mid = self.send("bob@localhost", "error",
                        "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                        "</error>")
        for c in (self.hi, self.lo, self.neg):
            self.assertNotDelivered(c, mid)
        self.assertNoError(mid)


class NoResourceTypesTest(Base):
    """§8.5.2.2: no available resource (carol is offline), and §8.5.1: no account."""

    def test_offline_user(self):
        headline = self.send("carol@localhost", "headline", "<body>missed news</body>")
        self.assertNoError(headline)
        groupchat = self.send("carol@localhost", "groupchat", "<body>not a room</body>")
        self.assertEqual(self.wait_error(groupchat), ("cancel", "service-unavailable"))
        error = self.send("carol@localhost", "error",
                          "<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
        self.assertNoError(error)
        normal = self.send("carol@localhost", "normal", "<body>kept</body>")
        self.assertNoError(normal)
        carol = self.login("carol@localhost/c")
        run(carol.set_presence())
        self.assertIsNotNone(self.got(carol, normal), "normal message not kept offline")
        h.pump(0.3)
        ids = {m["id"] for m in carol.inbox}
        self.assertFalse(ids & {headline, groupchat, error}, "delivered: %s" % ids)

    def test_negative_priority_only_counts_as_offline(self):
        # §8.5.2.2: resources with negative priority do not take bare-JID messages.
        for c in (self.hi, self.lo):
            run(c.disconnect())
        mid = self.send("bob@localhost", "headline", "<body>nobody</body>")
        self.assertNotDelivered(self.neg, mid)
        self.assertNoError(mid)

    def test_account_that_does_not_exist(self):
        for mtype in ("chat", "normal"):
            mid = self.send("nobody@localhost", mtype, "<body>hello?</body>")
            self.assertEqual(self.wait_error(mid), ("cancel", "service-unavailable"), mtype)
        mid = self.send("nobody@localhost", "groupchat", "<body>hello?</body>")
        self.assertEqual(self.wait_error(mid), ("cancel", "service-unavailable"))
        # An error is never answered with an error (RFC 6120 §8.3.1).
        mid = self.send("nobody@localhost", "error",
                        "<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
        self.assertNoError(mid)


class PassThroughTest(Base):
    """Receipts, chat states and markers reach the other side as sent."""

    def test_extensions_arrive_untouched(self):
        resp = run(self.lo.iq(None, "<enable xmlns='%s'/>" % CARBONS, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        inner = ("<body>read me</body><request xmlns='%s'/><active xmlns='%s'/>"
                 "<markable xmlns='%s'/><thread>t-1</thread>" % (RECEIPTS, CHATSTATES, MARKERS))
        sent = ET.fromstring("<message xmlns='%s'>%s</message>" % (CLIENT, inner))
        mid = self.send("bob@localhost", "chat", inner)
        got = self.got(self.hi, mid)
        self.assertIsNotNone(got)
        self.assertEqual(payload(got.xml), payload(sent), text(got.xml))
        # The carbon on bob/lo forwards the same.
        copy = run(self.lo.wait_message(pred=lambda m: m.xml.find(
            "{%s}received/{%s}forwarded/{%s}message" % (CARBONS, FORWARD, CLIENT)) is not None and
            m.xml.find(".//{%s}message" % CLIENT).get("id") == mid))
        self.assertIsNotNone(copy, "no carbon of the message on bob/lo")
        forwarded = copy.xml.find("{%s}received/{%s}forwarded/{%s}message" % (CARBONS, FORWARD, CLIENT))
        self.assertEqual(payload(forwarded), payload(sent))

        # Bob's answers without a body: a receipt, a marker, a chat state, each as sent.
        answers = [
            ("normal", "<received xmlns='%s' id='%s'/>" % (RECEIPTS, mid)),
            ("chat", "<displayed xmlns='%s' id='%s'/>" % (MARKERS, mid)),
            ("chat", "<composing xmlns='%s'/>" % CHATSTATES),
            ("chat", "<paused xmlns='%s'/><thread>t-1</thread>" % CHATSTATES),
        ]
        for mtype, xml in answers:
            aid = unique("answer")
            self.hi.send_raw("<message to='alice@localhost/a' type='%s' id='%s'>%s</message>"
                             % (mtype, aid, xml))
            back = self.got(self.alice, aid)
            self.assertIsNotNone(back, "answer %s lost" % xml)
            self.assertEqual(back["type"], mtype)
            self.assertEqual(str(back["from"]), "bob@localhost/hi")
            expected = ET.fromstring("<message xmlns='%s'>%s</message>" % (CLIENT, xml))
            self.assertEqual(payload(back.xml), payload(expected), text(back.xml))


if __name__ == "__main__":
    h.main()
