"""Calls and invitations travel client to client unchanged: a Jingle (XEP-0166) audio/video session
(RTP description XEP-0167, ICE-UDP transport XEP-0176, with <&'"> in an attribute) initiated,
accepted and terminated between two slixmpp clients, a Jingle file offer (XEP-0234 over S5B), the
XEP-0353 call invitation (<propose/> ringing every device, <ringing/>, <accept/> to the
callee's other devices, <proceed/>, <retract/>, <reject/>), and an application invitation; every payload is
compared as a parsed tree with what was sent, and the server stamps only 'from'.

Run: /usr/bin/python3 tests/integration/test_jingle.py --telexd build/telexd
"""

import copy
import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

JINGLE = "urn:xmpp:jingle:1"
RTP = "urn:xmpp:jingle:apps:rtp:1"
ICE = "urn:xmpp:jingle:transports:ice-udp:1"
FT = "urn:xmpp:jingle:apps:file-transfer:5"
S5B = "urn:xmpp:jingle:transports:s5b:1"
JMI = "urn:xmpp:jingle-message:0"
HOSTILE = "<&'\">"


def esc(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("'", "&apos;").replace('"', "&quot;")


def canon(e):
    """A parsed element as comparable data: name, attributes, text and children, in order."""
    return (e.tag, sorted(e.attrib.items()), (e.text or "").strip(),
            [canon(c) for c in e], (e.tail or "").strip())


def rtp_content(sid, action, initiator):
    return (
        "<jingle xmlns='%s' action='%s' sid='%s' initiator='%s'>"
        "<content creator='initiator' name='voice' senders='both'>"
        "<description xmlns='%s' media='audio' ssrc='3735928559'>"
        "<payload-type id='111' name='opus' clockrate='48000' channels='2'>"
        "<parameter name='minptime' value='10'/><parameter name='useinbandfec' value='1'/></payload-type>"
        "<payload-type id='0' name='PCMU' clockrate='8000'/>"
        "<rtcp-mux/></description>"
        "<transport xmlns='%s' pwd='asd88fgpdd777uzjYhagZg' ufrag='8hhy'>"
        "<candidate component='1' foundation='1' generation='0' id='el0747fg11' ip='10.0.1.1' network='1' "
        "port='8998' priority='2130706431' protocol='udp' type='host'/>"
        "<candidate component='1' foundation='2' generation='0' id='y3s2b30v3r' ip='192.0.2.3' network='1' "
        "port='45664' priority='1694498815' protocol='udp' rel-addr='10.0.1.1' rel-port='8998' type='srflx'/>"
        "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>"
        "02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2"
        "</fingerprint></transport></content>"
        "<reason><success/><text>%s</text></reason>"
        "</jingle>" % (JINGLE, action, sid, esc(initiator), RTP, ICE, esc(HOSTILE)))


class JingleTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}

    def capture_jingle(self, client):
        """Collect the <jingle/> payloads of IQs reaching client (and answer them with a result)."""
        got = []

        def cb(iq):
            got.append((str(iq["from"]), copy.deepcopy(iq.xml.find("{%s}jingle" % JINGLE))))
            iq.reply(clear=True).send()
        client.xmpp.register_handler(Callback("jingle-%s" % uuid.uuid4().hex,
                                              MatchXPath("{%s}iq/{%s}jingle" % (h.NS_CLIENT, JINGLE)), cb))
        return got

    def send_jingle(self, sender, to, payload, received):
        before = len(received)
        resp = run(sender.iq(to, payload, itype="set"))
        self.assertEqual(resp.get("type"), "result", ET.tostring(resp, encoding="unicode"))
        self.assertTrue(run(h.wait_until(lambda: len(received) > before, timeout=5)))
        sender_jid, got = received[-1]
        self.assertEqual(sender_jid, sender.bound_jid)
        self.assertEqual(canon(got), canon(ET.fromstring(payload)))
        return got

    def test_call_session_initiate_accept_terminate(self):
        alice = self.login("alice@localhost/desk")
        bob = self.login("bob@localhost/phone")
        at_alice = self.capture_jingle(alice)
        at_bob = self.capture_jingle(bob)
        sid = "call-" + uuid.uuid4().hex
        init = rtp_content(sid, "session-initiate", alice.bound_jid)
        # The hostile attribute and text really are in what was sent.
        self.assertEqual(ET.fromstring(init).find(".//{%s}text" % JINGLE).text, HOSTILE)
        hostile_attr = init.replace("ssrc='3735928559'", "ssrc='3735928559' label='%s'" % esc(HOSTILE))
        got = self.send_jingle(alice, bob.bound_jid, hostile_attr, at_bob)
        self.assertEqual(got.find(".//{%s}description" % RTP).get("label"), HOSTILE)
        self.send_jingle(bob, alice.bound_jid, rtp_content(sid, "session-accept", alice.bound_jid), at_alice)
        terminate = ("<jingle xmlns='%s' action='session-terminate' sid='%s'><reason><success/>"
                     "<text>bye %s</text></reason></jingle>" % (JINGLE, sid, esc(HOSTILE)))
        self.send_jingle(alice, bob.bound_jid, terminate, at_bob)

    def test_file_offer(self):
        alice = self.login("alice@localhost/ft")
        bob = self.login("bob@localhost/ft")
        at_bob = self.capture_jingle(bob)
        offer = ("<jingle xmlns='%s' action='session-initiate' sid='ft-1' initiator='%s'>"
                 "<content creator='initiator' name='a-file-offer' senders='initiator'>"
                 "<description xmlns='%s'><file><media-type>text/plain</media-type>"
                 "<name>%s.txt</name><size>6144</size>"
                 "<hash xmlns='urn:xmpp:hashes:2' algo='sha-1'>w0mcJylzCn+AfvuGdqkty2+KP48=</hash>"
                 "</file></description>"
                 "<transport xmlns='%s' mode='tcp' sid='vj3hs98y'>"
                 "<candidate cid='hft54dqy' host='127.0.0.1' jid='proxy.localhost' port='7777' "
                 "priority='7878787' type='proxy'/></transport></content></jingle>"
                 % (JINGLE, esc(alice.bound_jid), FT, esc(HOSTILE), S5B))
        got = self.send_jingle(alice, bob.bound_jid, offer, at_bob)
        self.assertEqual(got.findtext(".//{%s}name" % FT), HOSTILE + ".txt")

    def test_call_invitation_propose_and_proceed(self):
        alice = self.login("alice@localhost/caller")
        bob = self.login("bob@localhost/callee")
        run(alice.set_presence())
        run(bob.set_presence(priority=5))
        call = "jmi-" + uuid.uuid4().hex
        propose = ("<propose xmlns='%s' id='%s'><description xmlns='%s' media='audio'/>"
                   "<description xmlns='%s' media='video' label='%s'/></propose>"
                   % (JMI, call, RTP, RTP, esc(HOSTILE)))
        # XEP-0353 §3.1: to the bare JID, so every resource of the callee rings.
        alice.send_raw("<message to='bob@localhost' type='chat' id='%s'>%s<store xmlns='urn:xmpp:hints'/>"
                       "</message>" % (call, propose))
        msg = run(bob.wait_message(pred=lambda m: m.xml.find("{%s}propose" % JMI) is not None, timeout=5))
        self.assertIsNotNone(msg, "the call invitation did not arrive")
        self.assertEqual(str(msg["from"]), alice.bound_jid)
        self.assertEqual(canon(msg.xml.find("{%s}propose" % JMI)), canon(ET.fromstring(propose)))

        proceed = "<proceed xmlns='%s' id='%s'/>" % (JMI, call)
        bob.send_raw("<message to='%s' type='chat'>%s</message>" % (alice.bound_jid, proceed))
        msg = run(alice.wait_message(pred=lambda m: m.xml.find("{%s}proceed" % JMI) is not None, timeout=5))
        self.assertIsNotNone(msg, "the answer to the invitation did not arrive")
        self.assertEqual(str(msg["from"]), bob.bound_jid)
        self.assertEqual(canon(msg.xml.find("{%s}proceed" % JMI)), canon(ET.fromstring(proceed)))

    def test_call_invitation_accept_reaches_the_other_devices(self):
        # XEP-0353: every device rings; the one that picks up sends <accept/> to its own bare JID
        # so the others stop ringing, and <proceed/> to the caller; <retract/> and <reject/> of a
        # second call pass the same way. Each payload arrives as it was sent.
        alice = self.login("alice@localhost/caller")
        phone = self.login("bob@localhost/phone")
        laptop = self.login("bob@localhost/laptop")
        for c in (alice, phone, laptop):
            run(c.set_presence())
        call = "jmi-" + uuid.uuid4().hex

        def has(ns_tag, call_id):
            return lambda m: m.xml.find(ns_tag) is not None and m.xml.find(ns_tag).get("id") == call_id

        propose = ("<propose xmlns='%s' id='%s'><description xmlns='%s' media='audio'/></propose>"
                   % (JMI, call, RTP))
        alice.send_raw("<message to='bob@localhost' type='chat'>%s</message>" % propose)
        for device in (phone, laptop):
            msg = run(device.wait_message(pred=has("{%s}propose" % JMI, call), timeout=5))
            self.assertIsNotNone(msg, "%s did not ring" % device.bound_jid)
            self.assertEqual(canon(msg.xml.find("{%s}propose" % JMI)), canon(ET.fromstring(propose)))
        ringing = "<ringing xmlns='%s' id='%s'/>" % (JMI, call)
        phone.send_raw("<message to='%s' type='chat'>%s</message>" % (alice.bound_jid, ringing))
        self.assertIsNotNone(run(alice.wait_message(pred=has("{%s}ringing" % JMI, call), timeout=5)))

        accept = "<accept xmlns='%s' id='%s'/>" % (JMI, call)
        phone.send_raw("<message to='bob@localhost' type='chat'>%s<store xmlns='urn:xmpp:hints'/></message>"
                       % accept)
        msg = run(laptop.wait_message(pred=has("{%s}accept" % JMI, call), timeout=5))
        self.assertIsNotNone(msg, "the other device was not told the call was taken")
        self.assertEqual(str(msg["from"]), phone.bound_jid)
        self.assertEqual(canon(msg.xml.find("{%s}accept" % JMI)), canon(ET.fromstring(accept)))
        proceed = "<proceed xmlns='%s' id='%s'/>" % (JMI, call)
        phone.send_raw("<message to='%s' type='chat'>%s</message>" % (alice.bound_jid, proceed))
        msg = run(alice.wait_message(pred=has("{%s}proceed" % JMI, call), timeout=5))
        self.assertIsNotNone(msg)
        self.assertEqual(str(msg["from"]), phone.bound_jid)

        # A second call: the caller gives up (retract), and a third is declined (reject).
        second, third = "jmi-" + uuid.uuid4().hex, "jmi-" + uuid.uuid4().hex
        retract = "<retract xmlns='%s' id='%s'><reason xmlns='%s'><cancel/></reason></retract>" % (JMI, second, JINGLE)
        alice.send_raw("<message to='bob@localhost' type='chat'>%s</message>" % retract)
        msg = run(laptop.wait_message(pred=has("{%s}retract" % JMI, second), timeout=5))
        self.assertIsNotNone(msg)
        self.assertEqual(canon(msg.xml.find("{%s}retract" % JMI)), canon(ET.fromstring(retract)))
        reject = "<reject xmlns='%s' id='%s'><reason xmlns='%s'><busy/></reason></reject>" % (JMI, third, JINGLE)
        laptop.send_raw("<message to='%s' type='chat'>%s</message>" % (alice.bound_jid, reject))
        msg = run(alice.wait_message(pred=has("{%s}reject" % JMI, third), timeout=5))
        self.assertIsNotNone(msg)
        self.assertEqual(canon(msg.xml.find("{%s}reject" % JMI)), canon(ET.fromstring(reject)))

    def test_application_invitation(self):
        # Games, whiteboard, remote assistance: whatever namespace the clients agree on passes as is.
        alice = self.login("alice@localhost/game")
        bob = self.login("bob@localhost/game")
        run(bob.set_presence())
        invite = ("<invite xmlns='urn:example:telex:games:0' game='chess' note='%s'>"
                  "<board size='8'/><text>Fancy a game? %s</text></invite>" % (esc(HOSTILE), esc(HOSTILE)))
        alice.send_raw("<message to='%s' type='normal'>%s</message>" % (bob.bound_jid, invite))
        msg = run(bob.wait_message(pred=lambda m: m.xml.find("{urn:example:telex:games:0}invite") is not None,
                                   timeout=5))
        self.assertIsNotNone(msg)
        self.assertEqual(canon(msg.xml.find("{urn:example:telex:games:0}invite")), canon(ET.fromstring(invite)))

    def test_forged_from_is_replaced(self):
        alice = self.login("alice@localhost/forge")
        bob = self.login("bob@localhost/forge")
        at_bob = self.capture_jingle(bob)
        payload = "<jingle xmlns='%s' action='session-info' sid='x'/>" % JINGLE
        alice.send_raw("<iq type='set' id='forged-1' to='%s' from='mallory@localhost/evil'>%s</iq>"
                       % (bob.bound_jid, payload))
        self.assertTrue(run(h.wait_until(lambda: len(at_bob) == 1, timeout=5)))
        self.assertEqual(at_bob[0][0], alice.bound_jid)


if __name__ == "__main__":
    h.main()
