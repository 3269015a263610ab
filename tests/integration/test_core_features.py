"""Server features at the domain and stanza routing between sessions.

Run: /usr/bin/python3 tests/integration/test_core_features.py --telexd build/telexd
"""

import datetime
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
TEST_NS = "urn:telex:test:echo"


def text(elem):
    return ET.tostring(elem, encoding="unicode")


class ServerFeaturesTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = h.XmppClient(cls.server, "alice@localhost/feat", "alice-pw")
        run(cls.c.login(), timeout=15)

    @classmethod
    def tearDownClass(cls):
        run(cls.c.disconnect())
        super().tearDownClass()

    def query(self, ns, itype="get", tag="query", to="localhost"):
        resp = run(self.c.iq(to, "<%s xmlns='%s'/>" % (tag, ns), itype))
        return resp

    def assertResult(self, resp):
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertEqual(resp.get("from"), "localhost", text(resp))

    def test_disco_info(self):
        resp = self.query(DISCO_INFO)
        self.assertResult(resp)
        q = resp.find("{%s}query" % DISCO_INFO)
        self.assertIsNotNone(q, text(resp))
        identities = [(i.get("category"), i.get("type"))
                      for i in q.findall("{%s}identity" % DISCO_INFO)]
        self.assertIn(("server", "im"), identities)
        features = {f.get("var") for f in q.findall("{%s}feature" % DISCO_INFO)}
        for var in ("urn:xmpp:ping", "jabber:iq:version", "urn:xmpp:time",
                    "jabber:iq:last", DISCO_INFO):
            self.assertIn(var, features)

    def test_disco_items(self):
        resp = self.query(DISCO_ITEMS)
        self.assertResult(resp)
        self.assertIsNotNone(resp.find("{%s}query" % DISCO_ITEMS), text(resp))

    def test_ping(self):
        resp = self.query("urn:xmpp:ping", tag="ping")
        self.assertResult(resp)

    def test_iq_without_to_is_answered_for_the_account(self):
        # RFC 6120 8.1.1.1 / RFC 6121 8.5.1: an IQ without 'to' is handled
        # by the server on behalf of the account (bare JID). Whether it
        # supports ping there is its choice; it must answer either way.
        resp = run(self.c.iq(None, "<ping xmlns='urn:xmpp:ping'/>"))
        if resp.get("type") == "error":
            self.assertEqual(stanza_error(resp)[1], "service-unavailable",
                             text(resp))
        else:
            self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertIn(resp.get("from"), (None, "alice@localhost"))

    def test_version(self):
        resp = self.query("jabber:iq:version")
        self.assertResult(resp)
        q = resp.find("{jabber:iq:version}query")
        self.assertEqual(q.findtext("{jabber:iq:version}name"), "telexd")
        self.assertTrue(q.findtext("{jabber:iq:version}version"), text(resp))

    def test_time(self):
        resp = self.query("urn:xmpp:time", tag="time")
        self.assertResult(resp)
        t = resp.find("{urn:xmpp:time}time")
        tzo = t.findtext("{urn:xmpp:time}tzo")
        utc = t.findtext("{urn:xmpp:time}utc")
        self.assertRegex(tzo or "", r"^(Z|[+-]\d\d:\d\d)$")
        m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", utc or "")
        self.assertIsNotNone(m, "utc %r is not XEP-0082 UTC" % utc)
        server_now = datetime.datetime.strptime(
            m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
                tzinfo=datetime.timezone.utc)
        skew = abs((datetime.datetime.now(datetime.timezone.utc) -
                    server_now).total_seconds())
        self.assertLess(skew, 60, "server clock off by %.0f s" % skew)

    def test_last_activity_is_uptime(self):
        resp = self.query("jabber:iq:last")
        self.assertResult(resp)
        seconds = int(resp.find("{jabber:iq:last}query").get("seconds"))
        self.assertGreaterEqual(seconds, 0)
        self.assertLessEqual(seconds, self.server.uptime() + 2)

    def test_unknown_iq_get_is_service_unavailable(self):
        resp = self.query("urn:telex:test:nothing-here")
        self.assertEqual(resp.get("type"), "error", text(resp))
        self.assertEqual(stanza_error(resp), ("cancel", "service-unavailable"))

    def test_unknown_iq_set_is_service_unavailable(self):
        resp = self.query("urn:telex:test:nothing-here", itype="set")
        self.assertEqual(stanza_error(resp), ("cancel", "service-unavailable"),
                         text(resp))

    def test_known_namespace_wrong_element_is_an_error(self):
        # <version/> is not the jabber:iq:version payload (<query/> is).
        resp = self.query("jabber:iq:version", tag="version")
        self.assertEqual(resp.get("type"), "error", text(resp))

    def test_iq_result_addressing(self):
        r = self.raw()
        jid = r.login("alice", "alice-pw", resource="raw")
        r.send("<iq type='get' id='fixed-id-42' to='localhost'>"
               "<ping xmlns='urn:xmpp:ping'/></iq>")
        resp = r.wait_iq("fixed-id-42")
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertEqual(resp.get("from"), "localhost")
        self.assertIn(resp.get("to"), (None, jid))


class RoutingTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}

    def setUp(self):
        super().setUp()
        # Two users with two resources each.
        self.a_hi = self.client("alice@localhost/hi")
        self.a_lo = self.client("alice@localhost/lo")
        self.b_x = self.client("bob@localhost/x")
        self.b_y = self.client("bob@localhost/y")
        run(h.connect_clients(self.a_hi, self.a_lo, self.b_x, self.b_y),
            timeout=20)

    def presence(self, prios):
        for client, prio in prios.items():
            run(client.set_presence(priority=prio))

    def unique(self, label):
        return "%s-%s" % (label, uuid.uuid4().hex[:8])

    def assertNotDelivered(self, sender, receiver, body):
        """``receiver`` did not get ``body``: a marker sent afterwards by the
        same sender straight to the receiver's full JID arrives first (the
        server processes a session's stanzas in order)."""
        marker = self.unique("marker")
        sender.send_message(receiver.bound_jid, marker)
        self.assertIsNotNone(run(receiver.wait_message(marker)),
                             "marker to %s lost" % receiver.bound_jid)
        self.assertFalse(receiver.has_message(body),
                         "%s wrongly received %r" % (receiver.bound_jid, body))

    def test_message_to_full_jid_reaches_that_resource(self):
        self.presence({self.a_hi: 10, self.a_lo: 1, self.b_x: 5, self.b_y: 5})
        body = self.unique("full")
        self.b_x.send_message("alice@localhost/lo", body)
        msg = run(self.a_lo.wait_message(body))
        self.assertIsNotNone(msg, "message to a full JID not delivered")
        self.assertEqual(msg["from"].full, "bob@localhost/x")
        self.assertEqual(msg["to"].full, "alice@localhost/lo")
        self.assertNotDelivered(self.b_x, self.a_hi, body)

    def test_message_to_bare_jid_goes_to_highest_priority(self):
        self.presence({self.a_hi: 10, self.a_lo: 1, self.b_x: 5, self.b_y: -1})
        body = self.unique("bare-alice")
        self.b_x.send_message("alice@localhost", body)
        self.assertIsNotNone(run(self.a_hi.wait_message(body)),
                             "highest-priority resource did not get it")
        self.assertNotDelivered(self.b_x, self.a_lo, body)
        # bob/y has a negative priority: bare-JID messages go to bob/x.
        body = self.unique("bare-bob")
        self.a_lo.send_message("bob@localhost", body)
        msg = run(self.b_x.wait_message(body))
        self.assertIsNotNone(msg)
        self.assertEqual(msg["from"].full, "alice@localhost/lo")
        self.assertNotDelivered(self.a_lo, self.b_y, body)

    def test_negative_priority_resource_still_gets_full_jid_messages(self):
        self.presence({self.b_x: 5, self.b_y: -1})
        body = self.unique("neg-full")
        self.a_hi.send_message("bob@localhost/y", body)
        self.assertIsNotNone(run(self.b_y.wait_message(body)))

    def test_priority_change_moves_bare_jid_delivery(self):
        self.presence({self.a_hi: 10, self.a_lo: 1})
        self.presence({self.a_lo: 20})
        body = self.unique("moved")
        self.b_y.send_message("alice@localhost", body)
        self.assertIsNotNone(run(self.a_lo.wait_message(body)),
                             "new priority 20 of alice/lo not honoured")
        self.assertNotDelivered(self.b_y, self.a_hi, body)

    def test_equal_priorities_deliver_to_at_least_one(self):
        self.presence({self.b_x: 3, self.b_y: 3})
        body = self.unique("equal")
        self.a_hi.send_message("bob@localhost", body)
        got = run(h.wait_until(lambda: self.b_x.has_message(body) or
                               self.b_y.has_message(body), timeout=5))
        self.assertTrue(got, "message to bare JID with equal priorities lost")

    def test_forged_from_is_replaced(self):
        body = self.unique("forged")
        self.a_hi.send_raw(
            "<message from='mallory@evil' to='bob@localhost/x' type='chat'>"
            "<body>%s</body></message>" % body)
        msg = run(self.b_x.wait_message(body))
        self.assertIsNotNone(msg, "message with forged from not delivered")
        self.assertEqual(msg["from"].full, "alice@localhost/hi")

    def test_forged_own_other_resource_is_replaced(self):
        body = self.unique("forged-res")
        self.a_hi.send_raw(
            "<message from='alice@localhost/lo' to='bob@localhost/x' "
            "type='chat'><body>%s</body></message>" % body)
        msg = run(self.b_x.wait_message(body))
        self.assertIsNotNone(msg)
        self.assertEqual(msg["from"].full, "alice@localhost/hi")

    def test_forged_from_on_iq_is_replaced(self):
        seen = []
        self.b_x.on_iq(TEST_NS, lambda iq: seen.append(iq["from"].full))
        resp = run(self.a_hi.iq("bob@localhost/x",
                                "<query xmlns='%s'/>" % TEST_NS))
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.a_hi.send_raw("<iq type='get' id='forged-iq' from='bob@localhost/y'"
                           " to='bob@localhost/x'><query xmlns='%s'/></iq>"
                           % TEST_NS)
        run(h.wait_until(lambda: len(seen) >= 2, timeout=5))
        self.assertEqual(seen, ["alice@localhost/hi", "alice@localhost/hi"])

    def test_iq_to_full_jid_is_routed_and_answered(self):
        self.b_y.on_iq(TEST_NS, lambda iq: None)
        resp = run(self.a_lo.iq("bob@localhost/y",
                                "<query xmlns='%s'/>" % TEST_NS))
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertEqual(resp.get("from"), "bob@localhost/y")
        self.assertEqual(len(self.b_y.iqs_received), 1)
        got = self.b_y.iqs_received[0]
        self.assertEqual(got["from"].full, "alice@localhost/lo")
        self.assertEqual(got["to"].full, "bob@localhost/y")

    def test_iq_to_unavailable_full_jid_is_service_unavailable(self):
        resp = run(self.a_lo.iq("bob@localhost/nowhere",
                                "<query xmlns='%s'/>" % TEST_NS))
        self.assertEqual(resp.get("type"), "error", text(resp))
        self.assertEqual(stanza_error(resp)[1], "service-unavailable")

    def test_iq_to_bare_jid_is_handled_by_server(self):
        # RFC 6121 8.5.1: the server answers for the account; an unknown
        # payload gets service-unavailable and the resources never see it.
        self.b_x.on_iq(TEST_NS, lambda iq: None)
        self.b_y.on_iq(TEST_NS, lambda iq: None)
        resp = run(self.a_lo.iq("bob@localhost",
                                "<query xmlns='%s'/>" % TEST_NS))
        self.assertEqual(resp.get("type"), "error", text(resp))
        self.assertEqual(stanza_error(resp)[1], "service-unavailable")
        self.assertEqual(self.b_x.iqs_received + self.b_y.iqs_received, [])

    def test_message_entities_and_unicode_survive(self):
        body = "<b>&amp; \u00e9\u4e2d\U0001F600 'q' \"dq\""
        self.a_hi.send_message("bob@localhost/y", body)
        msg = run(self.b_y.wait_message(body))
        self.assertIsNotNone(msg, "body with escapes/unicode mangled")


if __name__ == "__main__":
    h.main()
