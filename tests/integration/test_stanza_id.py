"""Unique and stable stanza ids (XEP-0359) on archived messages: the delivered
copy, its carbons and its offline copy carry <stanza-id by='recipient'/> whose
id is the message's id in the recipient's archive (XEP-0313 §3.3); ids that
claim to come from the recipient's archive are removed on the way in; messages
that wait for their id do not let later ones overtake them. Two users, one of
them on two resources.

Run: /usr/bin/python3 tests/integration/test_stanza_id.py --telexd build/telexd
"""

import asyncio
import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402
from test_stream_management import SmClient  # noqa: E402

SID = "urn:xmpp:sid:0"
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
XDATA = "jabber:x:data"
CARBONS = "urn:xmpp:carbons:2"
FORWARD = "urn:xmpp:forward:0"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
CHATSTATES = "http://jabber.org/protocol/chatstates"
RECEIPTS = "urn:xmpp:receipts"
CLIENT = "jabber:client"


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def stanza_ids(elem, by):
    return [s.get("id") for s in elem.findall("{%s}stanza-id" % SID)
            if s.get("by") == by]


def features(resp):
    return {f.get("var") for f in resp.iter("{%s}feature" % DISCO_INFO)}


def archive_items(client, with_jid):
    """[(body, archive id)] of the requester's archive with ``with_jid``, oldest first."""
    qid = uuid.uuid4().hex[:10]
    form = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'>"
            "<value>%s</value></field><field var='with'><value>%s</value>"
            "</field></x>" % (XDATA, MAM, with_jid))
    resp = run(client.iq(None, "<query xmlns='%s' queryid='%s'>%s<set xmlns='%s'>"
                         "<max>100</max></set></query>" % (MAM, qid, form, RSM),
                         "set"), timeout=15)
    assert resp.get("type") == "result", text(resp)
    h.pump(0.05)
    out = []
    while True:
        m = client.take_message(
            lambda m: m.xml.find("{%s}result" % MAM) is not None and
            m.xml.find("{%s}result" % MAM).get("queryid") == qid)
        if m is None:
            return out
        result = m.xml.find("{%s}result" % MAM)
        body = result.findtext("{%s}forwarded/{%s}message/{%s}body" %
                               (FORWARD, CLIENT, CLIENT))
        out.append((body, result.get("id")))


def archive_ids(client, with_jid):
    """{body: archive id} of the requester's archive with ``with_jid``."""
    return dict(archive_items(client, with_jid))


class StanzaIdTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw", "dave@localhost": "dave-pw"}

    def setUp(self):
        super().setUp()
        self.desk = self.login("alice@localhost/desk")
        self.phone = self.login("alice@localhost/phone")
        self.bob = self.login("bob@localhost/b")
        run(self.desk.set_presence(priority=5))
        run(self.phone.set_presence(priority=1))
        run(self.bob.set_presence())
        resp = run(self.phone.iq(None, "<enable xmlns='%s'/>" % CARBONS, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))

    def test_disco_advertises_stanza_ids(self):
        server = run(self.desk.iq("localhost", "<query xmlns='%s'/>" % DISCO_INFO))
        self.assertIn(SID, features(server))
        account = run(self.desk.iq(None, "<query xmlns='%s'/>" % DISCO_INFO))
        self.assertEqual(account.get("type"), "result", text(account))
        self.assertIn(SID, features(account))

    def test_delivered_copy_and_carbon_carry_the_archive_id(self):
        body = "with an id " + uuid.uuid4().hex[:6]
        self.bob.send_message("alice@localhost", body)
        got = run(self.desk.wait_message(body))
        self.assertIsNotNone(got)
        ids = stanza_ids(got.xml, "alice@localhost")
        self.assertEqual(len(ids), 1, text(got.xml))
        copy = run(self.phone.wait_message(pred=lambda m: m.xml.find(
            "{%s}received" % CARBONS) is not None and body in text(m.xml)))
        self.assertIsNotNone(copy, "no carbon on the phone")
        inner = copy.xml.find("{%s}received/{%s}forwarded/{%s}message" %
                              (CARBONS, FORWARD, CLIENT))
        self.assertEqual(stanza_ids(inner, "alice@localhost"), ids)
        # The id is the one the archive answers with.
        self.assertEqual(archive_ids(self.desk, "bob@localhost").get(body), ids[0])
        # To a full JID too.
        body2 = "to the desk " + uuid.uuid4().hex[:6]
        self.bob.send_message("alice@localhost/desk", body2)
        got2 = run(self.desk.wait_message(body2))
        ids2 = stanza_ids(got2.xml, "alice@localhost")
        self.assertEqual(len(ids2), 1, text(got2.xml))
        self.assertNotEqual(ids2, ids)
        self.assertEqual(archive_ids(self.desk, "bob@localhost").get(body2), ids2[0])

    def test_forged_ids_are_removed(self):
        body = "forged " + uuid.uuid4().hex[:6]
        self.bob.send_raw(
            "<message to='alice@localhost' type='chat'><body>%s</body>"
            "<stanza-id xmlns='%s' by='alice@localhost' id='forged-1'/>"
            "<stanza-id xmlns='%s' by='ALICE@localhost' id='forged-2'/>"
            "<stanza-id xmlns='%s' by='room@conference.example' id='kept'/>"
            "</message>" % (body, SID, SID, SID))
        got = run(self.desk.wait_message(body))
        self.assertIsNotNone(got)
        ids = [s.get("id") for s in got.xml.findall("{%s}stanza-id" % SID)]
        self.assertNotIn("forged-1", ids)
        self.assertNotIn("forged-2", ids)
        self.assertIn("kept", ids)
        self.assertEqual(len(stanza_ids(got.xml, "alice@localhost")), 1, text(got.xml))
        # Without a body nothing is archived: no id, and forged ones still go.
        self.bob.send_raw(
            "<message to='alice@localhost' type='chat' id='state-1'>"
            "<composing xmlns='%s'/><stanza-id xmlns='%s' by='alice@localhost' "
            "id='forged-3'/></message>" % (CHATSTATES, SID))
        state = run(self.desk.wait_message(pred=lambda m: m["id"] == "state-1"))
        self.assertIsNotNone(state)
        self.assertEqual(state.xml.findall("{%s}stanza-id" % SID), [], text(state.xml))

    def test_offline_copy_carries_the_archive_id(self):
        body = "for later " + uuid.uuid4().hex[:6]
        self.bob.send_message("carol@localhost", body)
        run(self.bob.sync())
        carol = self.login("carol@localhost/c")
        run(carol.set_presence())
        got = run(carol.wait_message(body))
        self.assertIsNotNone(got)
        ids = stanza_ids(got.xml, "carol@localhost")
        self.assertEqual(len(ids), 1, text(got.xml))
        self.assertEqual(archive_ids(carol, "bob@localhost").get(body), ids[0])

    def test_no_id_when_the_archive_does_not_keep_it(self):
        dave = self.login("dave@localhost/d")
        run(dave.set_presence())
        resp = run(dave.iq(None, "<prefs xmlns='%s' default='never'/>" % MAM, "set"))
        self.assertEqual(resp.get("type"), "result", text(resp))
        body = "not kept " + uuid.uuid4().hex[:6]
        self.bob.send_message("dave@localhost", body)
        got = run(dave.wait_message(body))
        self.assertIsNotNone(got)
        self.assertEqual(stanza_ids(got.xml, "dave@localhost"), [], text(got.xml))

    def test_messages_stay_in_order_with_and_without_body(self):
        # Bodies wait for their archive id; chat states and receipts do not,
        # unless an earlier message to the same user still waits.
        sent = []
        for i in range(40):
            mid = "o-%02d-%s" % (i, uuid.uuid4().hex[:4])
            sent.append(mid)
            if i % 3 == 0:
                self.bob.send_raw("<message to='alice@localhost' type='chat' id='%s'>"
                                  "<body>ordered %d</body></message>" % (mid, i))
            elif i % 3 == 1:
                self.bob.send_raw("<message to='alice@localhost' type='chat' id='%s'>"
                                  "<paused xmlns='%s'/></message>" % (mid, CHATSTATES))
            else:
                self.bob.send_raw("<message to='alice@localhost/desk' id='%s'>"
                                  "<received xmlns='%s' id='x'/></message>" % (mid, RECEIPTS))
        last = run(self.desk.wait_message(pred=lambda m: m["id"] == sent[-1], timeout=10),
                   timeout=15)
        self.assertIsNotNone(last, "the last message never arrived")
        order = [m["id"] for m in self.desk.inbox if m["id"] in sent] + [last["id"]]
        self.assertEqual(order, sent)


class RerouteTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}
    settings = {"c2s.resume_timeout": "2"}

    def test_unacked_message_keeps_its_id_and_is_archived_once(self):
        # Stream management routes what a vanished session never acknowledged again: it
        # arrives with the id it had and the archive does not get a second copy.
        bob = SmClient(self.server, "bob@localhost/gone", "bob-pw", reconnect=False)
        run(bob.login(), timeout=15)
        alice = self.login("alice@localhost/a")
        bob.kill_tcp()
        bodies = ["again %d %s" % (i, uuid.uuid4().hex[:4]) for i in range(3)]

        async def send():
            await asyncio.sleep(0.2)
            for b in bodies:
                alice.send_message("bob@localhost/gone", b)
            await alice.sync()
            await asyncio.sleep(3)  # resume_timeout is 2 s

        run(send(), timeout=20)
        again = self.login("bob@localhost/again")
        run(again.set_presence())
        ids = []
        for b in bodies:
            m = run(again.wait_message(b, timeout=5))
            self.assertIsNotNone(m, "unacknowledged message lost: %s" % b)
            got = stanza_ids(m.xml, "bob@localhost")
            self.assertEqual(len(got), 1, text(m.xml))
            ids.append(got[0])
        stored = [item for item in archive_items(again, "alice@localhost") if item[0] in bodies]
        self.assertEqual(stored, list(zip(bodies, ids)))


if __name__ == "__main__":
    h.main()
