"""Message Carbons (XEP-0280) and Message Archive Management (XEP-0313 with
XEP-0059 paging and XEP-0441 preferences), with two users, one of them on two
resources.

Run: /usr/bin/python3 tests/integration/test_carbons_mam.py --telexd build/telexd
"""

import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

CARBONS = "urn:xmpp:carbons:2"
FORWARD = "urn:xmpp:forward:0"
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
XDATA = "jabber:x:data"
DELAY = "urn:xmpp:delay"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
CLIENT = "jabber:client"


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def xml_escape(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("'", "&apos;"))


def carbon(msg, direction):
    """The forwarded message inside a <received/> or <sent/> carbon, or None."""
    wrapper = msg.xml.find("{%s}%s" % (CARBONS, direction))
    if wrapper is None:
        return None
    return wrapper.find("{%s}forwarded/{%s}message" % (FORWARD, CLIENT))


def carbon_body(msg, direction):
    inner = carbon(msg, direction)
    return None if inner is None else inner.findtext("{%s}body" % CLIENT)


def wait_carbon(client, direction, body, timeout=5):
    return run(client.wait_message(
        pred=lambda m: carbon_body(m, direction) == body, timeout=timeout),
        timeout=timeout + 5)


def has_carbon(client, body):
    return any(carbon_body(m, d) == body for m in client.inbox
               for d in ("received", "sent"))


def set_carbons(client, on, to=None):
    resp = run(client.iq(to, "<%s xmlns='%s'/>" %
                         ("enable" if on else "disable", CARBONS), "set"))
    assert resp.get("type") == "result", text(resp)


class CarbonsTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}

    def setUp(self):
        super().setUp()
        self.desk = self.login("alice@localhost/desk")
        self.phone = self.login("alice@localhost/phone")
        self.bob = self.login("bob@localhost/b")
        # Messages to alice's bare JID go to the desk only (highest priority).
        run(self.desk.set_presence(priority=5))
        run(self.phone.set_presence(priority=1))
        run(self.bob.set_presence())

    def send_and_mark(self, sender, to, body, extra=""):
        """Sends ``body`` (with ``extra`` XML) and then a marker message that
        is eligible for carbons; returns the marker's body. Copies of one
        sender's messages arrive in order, so once the marker's copy is in,
        a copy of ``body`` would have been too."""
        sender.send_raw("<message to='%s' type='chat'><body>%s</body>%s"
                        "</message>" % (to, xml_escape(body), extra))
        marker = "marker " + uuid.uuid4().hex[:8]
        sender.send_message(to, marker)
        return marker

    def test_disco_advertises_carbons_and_mam(self):
        resp = run(self.desk.iq("localhost",
                                "<query xmlns='%s'/>" % DISCO_INFO))
        features = {f.get("var") for f in resp.iter("{%s}feature" % DISCO_INFO)}
        self.assertIn(CARBONS, features)
        self.assertIn(MAM, features)

    def test_received_copies_only_when_enabled(self):
        marker = self.send_and_mark(self.bob, "alice@localhost", "before enabling")
        self.assertIsNotNone(run(self.desk.wait_message(marker)))
        self.assertIsNotNone(run(self.desk.wait_message("before enabling")))
        h.pump(0.3)
        self.assertFalse(has_carbon(self.phone, "before enabling"))
        self.assertFalse(self.phone.has_message("before enabling"))

        set_carbons(self.phone, True)
        body = "to the bare JID <&'\">"
        self.bob.send_message("alice@localhost", body)
        self.assertIsNotNone(run(self.desk.wait_message(body)))
        copy = wait_carbon(self.phone, "received", body)
        self.assertIsNotNone(copy, "no <received/> carbon on the phone")
        self.assertEqual(copy.xml.get("from"), "alice@localhost")
        self.assertEqual(copy.xml.get("to"), "alice@localhost/phone")
        self.assertEqual(copy.xml.get("type"), "chat")
        inner = carbon(copy, "received")
        self.assertEqual(inner.get("from"), "bob@localhost/b")
        self.assertEqual(inner.get("to"), "alice@localhost")
        # The desk got the original and no copy.
        self.assertFalse(has_carbon(self.desk, body))

        # A message to the desk's full JID is copied to the phone too.
        self.bob.send_message("alice@localhost/desk", "to the desk")
        self.assertIsNotNone(wait_carbon(self.phone, "received", "to the desk"))

        # A normal message with a body is eligible; the wrapper keeps its type.
        self.bob.send_message("alice@localhost", "normal one", mtype="normal")
        copy = wait_carbon(self.phone, "received", "normal one")
        self.assertIsNotNone(copy)
        self.assertEqual(copy.xml.get("type"), "normal")

        set_carbons(self.phone, False)
        marker = self.send_and_mark(self.bob, "alice@localhost", "after disabling")
        self.assertIsNotNone(run(self.desk.wait_message(marker)))
        h.pump(0.3)
        self.assertFalse(has_carbon(self.phone, "after disabling"))
        self.assertFalse(has_carbon(self.phone, marker))

    def test_sent_copies_go_to_other_enabled_resources(self):
        set_carbons(self.phone, True)
        self.desk.send_message("bob@localhost", "from the desk")
        self.assertIsNotNone(run(self.bob.wait_message("from the desk")))
        copy = wait_carbon(self.phone, "sent", "from the desk")
        self.assertIsNotNone(copy, "no <sent/> carbon on the phone")
        self.assertEqual(copy.xml.get("from"), "alice@localhost")
        self.assertEqual(copy.xml.get("to"), "alice@localhost/phone")
        inner = carbon(copy, "sent")
        self.assertEqual(inner.get("from"), "alice@localhost/desk")
        self.assertEqual(inner.get("to"), "bob@localhost")

        # The desk has not enabled carbons: the phone's messages are not
        # copied to it, and the phone never gets a copy of its own.
        marker = self.send_and_mark(self.phone, "bob@localhost", "from the phone")
        self.assertIsNotNone(run(self.bob.wait_message(marker)))
        h.pump(0.3)
        self.assertFalse(has_carbon(self.desk, "from the phone"))
        self.assertFalse(has_carbon(self.phone, "from the phone"))

        # Enabling through the server's domain works as well.
        set_carbons(self.desk, True, to="localhost")
        self.phone.send_message("bob@localhost", "phone again")
        self.assertIsNotNone(wait_carbon(self.desk, "sent", "phone again"))
        h.pump(0.2)
        self.assertFalse(has_carbon(self.phone, "phone again"))

    def test_private_messages_are_not_copied(self):
        set_carbons(self.phone, True)
        private = "<private xmlns='%s'/>" % CARBONS
        marker = self.send_and_mark(self.desk, "bob@localhost", "private out", private)
        self.assertIsNotNone(wait_carbon(self.phone, "sent", marker))
        self.assertFalse(has_carbon(self.phone, "private out"))
        self.assertIsNotNone(run(self.bob.wait_message("private out")))

        marker = self.send_and_mark(self.bob, "alice@localhost", "private in", private)
        self.assertIsNotNone(wait_carbon(self.phone, "received", marker))
        self.assertFalse(has_carbon(self.phone, "private in"))
        self.assertIsNotNone(run(self.desk.wait_message("private in")))

        hint = "<no-copy xmlns='urn:xmpp:hints'/>"
        marker = self.send_and_mark(self.bob, "alice@localhost", "no-copy in", hint)
        self.assertIsNotNone(wait_carbon(self.phone, "received", marker))
        self.assertFalse(has_carbon(self.phone, "no-copy in"))

    def test_only_own_account_may_switch_carbons(self):
        resp = run(self.bob.iq("alice@localhost",
                               "<enable xmlns='%s'/>" % CARBONS, "set"))
        self.assertEqual(resp.get("type"), "error", text(resp))
        self.assertEqual(stanza_error(resp)[1], "not-allowed")


# --------------------------------------------------------------------------
# Message Archive Management
# --------------------------------------------------------------------------


def mam_form(**fields):
    if not fields:
        return ""
    out = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'>"
           "<value>%s</value></field>" % (XDATA, MAM))
    for var, value in fields.items():
        out += "<field var='%s'><value>%s</value></field>" % (
            var.replace("_", "-"), xml_escape(value))
    return out + "</x>"


def rsm(max_items=None, after=None, before=None):
    parts = ""
    if max_items is not None:
        parts += "<max>%d</max>" % max_items
    if after is not None:
        parts += "<after>%s</after>" % after
    if before is not None:
        parts += "<before>%s</before>" % before if before else "<before/>"
    return "<set xmlns='%s'>%s</set>" % (RSM, parts) if parts else ""


class Page:
    """The answer to one MAM query: result messages and the <fin/>."""

    def __init__(self, iq, results):
        self.iq = iq
        self.results = results
        fin = iq.find("{%s}fin" % MAM)
        self.fin = fin
        self.complete = fin is not None and fin.get("complete") == "true"
        s = fin.find("{%s}set" % RSM) if fin is not None else None
        self.first = s.find("{%s}first" % RSM) if s is not None else None
        self.last = s.findtext("{%s}last" % RSM) if s is not None else None
        count = s.findtext("{%s}count" % RSM) if s is not None else None
        self.count = int(count) if count is not None else None

    @property
    def ids(self):
        return [r.get("id") for r in self.results]

    @property
    def bodies(self):
        return [r.findtext("{%s}forwarded/{%s}message/{%s}body" %
                           (FORWARD, CLIENT, CLIENT)) for r in self.results]

    @property
    def stamps(self):
        return [r.find("{%s}forwarded/{%s}delay" % (FORWARD, DELAY)).get("stamp")
                for r in self.results]


def mam_query(client, form="", paging="", extra="", to=None, expect="result"):
    qid = uuid.uuid4().hex[:10]
    resp = run(client.iq(to, "<query xmlns='%s' queryid='%s'>%s%s%s</query>" %
                         (MAM, qid, form, paging, extra), "set"), timeout=15)
    if resp.get("type") != expect:
        raise AssertionError("MAM query answered %s: %s" % (resp.get("type"), text(resp)))
    if expect != "result":
        return resp
    h.pump(0.05)  # results precede the IQ result; let every handler run
    results = []
    while True:
        m = client.take_message(
            lambda m: m.xml.find("{%s}result" % MAM) is not None and
            m.xml.find("{%s}result" % MAM).get("queryid") == qid)
        if m is None:
            break
        results.append(m.xml.find("{%s}result" % MAM))
    return Page(resp, results)


class MamTest(h.ServerTestCase):
    users = {"carol@localhost": "carol-pw", "dave@localhost": "dave-pw",
             "erin@localhost": "erin-pw", "frank@localhost": "frank-pw",
             "grace@localhost": "grace-pw"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # carol writes 30 messages to dave (offline) and 4 to frank.
        c = h.XmppClient(cls.server, "carol@localhost/c", "carol-pw")
        run(c.login(), timeout=15)
        cls.to_dave = ["msg %02d" % i for i in range(30)]
        for body in cls.to_dave:
            c.send_message("dave@localhost", body)
        for i in range(4):
            c.send_message("frank@localhost", "to frank %d" % i)
        run(c.sync())
        run(c.disconnect())

    def test_disco_on_own_account(self):
        c = self.login("carol@localhost/disco")
        resp = run(c.iq(None, "<query xmlns='%s'/>" % DISCO_INFO))
        self.assertEqual(resp.get("type"), "result", text(resp))
        features = {f.get("var") for f in resp.iter("{%s}feature" % DISCO_INFO)}
        self.assertIn(MAM, features)

    def test_form_discovery(self):
        c = self.login("carol@localhost/form")
        resp = run(c.iq(None, "<query xmlns='%s'/>" % MAM))
        self.assertEqual(resp.get("type"), "result", text(resp))
        fields = {f.get("var"): f.get("type")
                  for f in resp.iter("{%s}field" % XDATA)}
        self.assertEqual(fields.get("FORM_TYPE"), "hidden")
        self.assertEqual(fields.get("with"), "jid-single")
        self.assertEqual(fields.get("start"), "text-single")
        self.assertEqual(fields.get("end"), "text-single")

    def test_forward_paging(self):
        c = self.login("carol@localhost/fwd")
        with_dave = mam_form(**{"with": "dave@localhost"})
        page = mam_query(c, with_dave, rsm(10))
        self.assertEqual(page.bodies, self.to_dave[:10])
        self.assertFalse(page.complete)
        self.assertEqual(page.count, 30)
        self.assertEqual(page.first.text, page.ids[0])
        self.assertEqual(page.first.get("index"), "0")
        self.assertEqual(page.last, page.ids[-1])
        r = page.results[0]
        self.assertIsNotNone(r.get("queryid"))
        inner = r.find("{%s}forwarded/{%s}message" % (FORWARD, CLIENT))
        self.assertEqual(inner.get("from"), "carol@localhost/c")
        self.assertEqual(inner.get("to"), "dave@localhost")
        self.assertTrue(page.stamps[0].endswith("Z"))

        page2 = mam_query(c, with_dave, rsm(10, after=page.last))
        self.assertEqual(page2.bodies, self.to_dave[10:20])
        self.assertFalse(page2.complete)
        page3 = mam_query(c, with_dave, rsm(10, after=page2.last))
        self.assertEqual(page3.bodies, self.to_dave[20:30])
        self.assertTrue(page3.complete)
        self.assertEqual(page3.first.get("index"), "20")
        self.assertEqual(len(set(page.ids + page2.ids + page3.ids)), 30)

    def test_backward_paging(self):
        c = self.login("carol@localhost/back")
        with_dave = mam_form(**{"with": "dave@localhost"})
        page = mam_query(c, with_dave, rsm(10, before=""))
        self.assertEqual(page.bodies, self.to_dave[20:30])  # still oldest first
        self.assertFalse(page.complete)
        self.assertEqual(page.first.get("index"), "20")
        page = mam_query(c, with_dave, rsm(10, before=page.first.text))
        self.assertEqual(page.bodies, self.to_dave[10:20])
        self.assertFalse(page.complete)
        page = mam_query(c, with_dave, rsm(10, before=page.first.text))
        self.assertEqual(page.bodies, self.to_dave[0:10])
        self.assertTrue(page.complete)

    def test_filters_and_counts(self):
        c = self.login("carol@localhost/filter")
        everything = mam_query(c, "", rsm(100))
        self.assertEqual(everything.count, 34)
        self.assertTrue(everything.complete)
        self.assertEqual(everything.bodies[:30], self.to_dave)

        frank = mam_query(c, mam_form(**{"with": "frank@localhost"}))
        self.assertEqual(frank.bodies, ["to frank %d" % i for i in range(4)])
        self.assertEqual(frank.count, 4)
        self.assertTrue(frank.complete)

        # A time window: exactly the messages whose stamps fall inside it.
        stamps = everything.stamps
        start, end = stamps[10], stamps[19]
        expected = [b for b, s in zip(everything.bodies, stamps)
                    if start <= s <= end]
        window = mam_query(c, mam_form(start=start, end=end), rsm(100))
        self.assertEqual(window.bodies, expected)
        self.assertEqual(window.count, len(expected))
        for body in self.to_dave[10:20]:
            self.assertIn(body, window.bodies)

        future = mam_query(c, mam_form(start="2999-01-01T00:00:00Z"))
        self.assertEqual(future.results, [])
        self.assertEqual(future.count, 0)
        self.assertTrue(future.complete)

        # The default page size applies without <max/>.
        default = mam_query(c)
        self.assertEqual(len(default.results), 34)

    def test_incoming_archived_for_offline_recipient(self):
        d = self.login("dave@localhost/d")
        page = mam_query(d, mam_form(**{"with": "carol@localhost"}), rsm(50))
        self.assertEqual(page.bodies, self.to_dave)
        self.assertEqual(page.count, 30)

    def test_errors(self):
        c = self.login("carol@localhost/err")
        resp = mam_query(c, "", rsm(10, after="no-such-id"), expect="error")
        self.assertEqual(stanza_error(resp)[1], "item-not-found", text(resp))
        resp = mam_query(c, "", rsm(10, before="no-such-id"), expect="error")
        self.assertEqual(stanza_error(resp)[1], "item-not-found", text(resp))
        resp = mam_query(c, mam_form(start="last tuesday"), expect="error")
        self.assertEqual(stanza_error(resp)[1], "bad-request", text(resp))
        resp = mam_query(c, mam_form(**{"{urn:example}fulltext": "x"}), expect="error")
        self.assertEqual(stanza_error(resp)[1], "feature-not-implemented", text(resp))
        # Someone else's archive.
        resp = mam_query(c, "", "", to="dave@localhost", expect="error")
        self.assertEqual(stanza_error(resp)[1], "forbidden", text(resp))

    def test_preferences(self):
        e = self.login("erin@localhost/e")
        resp = run(e.iq(None, "<prefs xmlns='%s'/>" % MAM))
        prefs = resp.find("{%s}prefs" % MAM)
        self.assertIsNotNone(prefs, text(resp))
        self.assertEqual(prefs.get("default"), "always")
        self.assertIsNotNone(prefs.find("{%s}always" % MAM))
        self.assertIsNotNone(prefs.find("{%s}never" % MAM))

        resp = run(e.iq(None, "<prefs xmlns='%s' default='never'><always/>"
                        "<never/></prefs>" % MAM, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertEqual(resp.find("{%s}prefs" % MAM).get("default"), "never")
        e.send_message("frank@localhost", "not kept by erin")
        run(e.sync())
        self.assertEqual(mam_query(e).results, [])
        # frank's archive (default always) keeps the incoming side.
        f = self.login("frank@localhost/f")
        self.assertIn("not kept by erin",
                      mam_query(f, mam_form(**{"with": "erin@localhost"})).bodies)

        # always, except with frank.
        resp = run(e.iq(None, "<prefs xmlns='%s' default='always'><always/>"
                        "<never><jid>frank@localhost</jid></never></prefs>"
                        % MAM, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        e.send_message("frank@localhost", "still not kept")
        e.send_message("dave@localhost", "kept")
        run(e.sync())
        self.assertEqual(mam_query(e).bodies, ["kept"])

        # roster: only contacts in erin's roster.
        resp = run(e.iq(None, "<prefs xmlns='%s' default='roster'/>" % MAM, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        e.send_message("grace@localhost", "grace is no contact")
        run(e.sync())
        self.assertEqual(mam_query(e).bodies, ["kept"])
        resp = run(e.iq(None, "<query xmlns='jabber:iq:roster'><item "
                        "jid='grace@localhost'/></query>", "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        e.send_message("grace@localhost", "grace is a contact")
        run(e.sync())
        self.assertEqual(mam_query(e).bodies, ["kept", "grace is a contact"])

        resp = run(e.iq(None, "<prefs xmlns='%s' default='sometimes'/>" % MAM, "set"))
        self.assertEqual(stanza_error(resp)[1], "bad-request", text(resp))



class RefusedMessagesTest(h.ServerTestCase):
    """A message the blocking module refuses is neither archived nor carbon-copied."""
    users = {"henry@localhost": "henry-pw", "ivy@localhost": "ivy-pw"}

    def test_blocked_recipient_not_archived_or_copied(self):
        henry = self.login("henry@localhost/one")
        henry2 = self.login("henry@localhost/two")
        set_carbons(henry, True)
        set_carbons(henry2, True)
        resp = run(henry.iq(None, "<block xmlns='urn:xmpp:blocking'><item jid='ivy@localhost'/></block>",
                            "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        henry.send_message("ivy@localhost", "refused by my own block")
        err = run(henry.wait_message(pred=lambda m: m["type"] == "error", timeout=5))
        self.assertIsNotNone(err, "sending to a blocked JID must bounce")
        run(henry.sync())
        h.pump(0.3)
        self.assertFalse(has_carbon(henry2, "refused by my own block"))
        page = mam_query(henry, mam_form(**{"with": "ivy@localhost"}))
        self.assertEqual(page.bodies, [])


if __name__ == "__main__":
    h.main()
