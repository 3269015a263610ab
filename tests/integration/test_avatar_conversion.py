"""User avatar to vCard-based avatar conversion (XEP-0398) against a real
telexd: an avatar published with PEP (XEP-0084) becomes the vCard PHOTO that
legacy clients read; a vCard PHOTO set by a legacy client is published to the
avatar data and metadata nodes, with notifications; the avatar hash rides in
the user's presence (vcard-temp:x:update), also in probe answers; neither
conversion triggers the other. Each test makes fresh accounts; bob has two
resources where it matters.

Run: /usr/bin/python3 tests/integration/test_avatar_conversion.py --telexd build/telexd
"""

import base64
import hashlib
import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_EVENT = "http://jabber.org/protocol/pubsub#event"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_ROSTER = "jabber:iq:roster"
NS_VCARD = "vcard-temp"
NS_UPDATE = "vcard-temp:x:update"
NS_DATA = "urn:xmpp:avatar:data"
NS_META = "urn:xmpp:avatar:metadata"
CONVERSION = "urn:xmpp:pep-vcard-conversion:0"

WAIT = 5.0
GRACE = 0.4


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def image(label):
    """Some bytes standing for an image, their base64 and their SHA-1."""
    raw = b"\x89PNG\r\n\x1a\n" + label.encode() + os.urandom(200)
    return raw, base64.b64encode(raw).decode(), hashlib.sha1(raw).hexdigest()


def publish(node, item_id, payload):
    return ("<pubsub xmlns='%s'><publish node='%s'><item id='%s'>%s</item></publish></pubsub>"
            % (NS_PUBSUB, node, item_id, payload))


def metadata(sha1, size, width=True):
    dims = " width='64' height='64'" if width else ""
    return ("<metadata xmlns='%s'><info bytes='%d' id='%s' type='image/png'%s/></metadata>"
            % (NS_META, size, sha1, dims))


def vcard_with_photo(b64, fn="Legacy Alice"):
    # Legacy clients wrap BINVAL at 76 columns.
    wrapped = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    return ("<vCard xmlns='%s'><FN>%s</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>%s</BINVAL>"
            "</PHOTO></vCard>" % (NS_VCARD, fn, wrapped))


def meta_event(sha1=None):
    def pred(msg):
        items = msg.xml.find("{%s}event/{%s}items" % (NS_EVENT, NS_EVENT))
        if items is None or items.get("node") != NS_META:
            return False
        item = items.find("{%s}item" % NS_EVENT)
        return item is not None and (sha1 is None or item.get("id") == sha1)
    return pred


def photo_of_presence(msg):
    x = msg.find("{%s}x" % NS_UPDATE)
    return None if x is None else x.findtext("{%s}photo" % NS_UPDATE)


class AvatarConversionTest(h.ServerTestCase):

    def setUp(self):
        super().setUp()
        self.passwords = {}
        self.presences = {}

    def account(self, label):
        jid = "%s-%s@localhost" % (label, uuid.uuid4().hex[:8])
        self.server.add_user(jid, "pw-" + label)
        self.passwords[jid] = "pw-" + label
        return jid

    def connect(self, bare, resource, notify=()):
        c = self.client("%s/%s" % (bare, resource), self.passwords[bare])
        c.xmpp.register_plugin("xep_0030")
        c.xmpp.register_plugin("xep_0115")
        got = self.presences.setdefault(c.jid, [])
        c.xmpp.add_event_handler("presence_available", lambda p: got.append(p.xml))
        run(c.login(), timeout=15)
        for node in notify:
            run(c.xmpp["xep_0030"].add_feature(node + "+notify"))
        run(c.xmpp["xep_0115"].update_caps(broadcast=False))
        return c

    def befriend(self, a, b):
        """Mutual presence subscription between the accounts ``a`` and ``b``."""
        ra, rb = self.raw(), self.raw()
        ra.login(a.split("@")[0], self.passwords[a], resource="setup")
        rb.login(b.split("@")[0], self.passwords[b], resource="setup")

        def sync(r, tag):
            r.send("<iq type='get' id='%s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>" % tag)
            r.wait_iq(tag)

        ra.send("<presence to='%s' type='subscribe'/>" % b)
        sync(ra, "s1")
        rb.send("<presence to='%s' type='subscribed'/>" % a)
        rb.send("<presence to='%s' type='subscribe'/>" % a)
        sync(rb, "s2")
        ra.send("<presence to='%s' type='subscribed'/>" % b)
        sync(ra, "s3")
        ra.send("<iq type='get' id='r1'><query xmlns='%s'/></iq>" % NS_ROSTER)
        item = ra.wait_iq("r1").find("{%s}query/{%s}item" % (NS_ROSTER, NS_ROSTER))
        self.assertEqual(item.get("subscription") if item is not None else None, "both")
        ra.close()
        rb.close()

    def ok(self, client, payload, to=None, itype="get"):
        resp = run(client.iq(to, payload, itype=itype))
        self.assertEqual(resp.get("type"), "result", text(resp))
        return resp

    def vcard(self, client, of):
        return self.ok(client, "<vCard xmlns='%s'/>" % NS_VCARD, to=of).find("{%s}vCard" % NS_VCARD)

    def wait_presence(self, client, sender, photo, timeout=WAIT):
        """The first presence from ``sender`` (bare) whose avatar hash is ``photo``."""
        deadline = h.LOOP.time() + timeout
        while h.LOOP.time() < deadline:
            for p in self.presences[client.jid]:
                if p.get("from", "").split("/")[0] == sender and photo_of_presence(p) == photo:
                    return p
            h.pump(0.05)
        return None

    def test_account_advertises_conversion(self):
        alice = self.account("alice")
        a = self.connect(alice, "a")
        resp = self.ok(a, "<query xmlns='%s'/>" % NS_DISCO_INFO)
        self.assertIn(CONVERSION, {f.get("var") for f in resp.iter("{%s}feature" % NS_DISCO_INFO)})

    def test_pep_avatar_becomes_the_vcard_photo(self):
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        a = self.connect(alice, "a")
        self.ok(a, "<vCard xmlns='%s'><FN>Alice</FN><NICKNAME>al</NICKNAME></vCard>" % NS_VCARD, itype="set")
        raw, b64, sha1 = image("pep")
        self.ok(a, publish(NS_DATA, sha1, "<data xmlns='%s'>%s</data>" % (NS_DATA, b64)), itype="set")
        self.ok(a, publish(NS_META, sha1, metadata(sha1, len(raw))), itype="set")

        b = self.connect(bob, "legacy")
        card = self.vcard(b, alice)
        self.assertEqual(card.findtext("{%s}FN" % NS_VCARD), "Alice", text(card))
        self.assertEqual(card.findtext("{%s}NICKNAME" % NS_VCARD), "al")
        self.assertEqual(card.findtext("{%s}PHOTO/{%s}TYPE" % (NS_VCARD, NS_VCARD)), "image/png")
        binval = card.findtext("{%s}PHOTO/{%s}BINVAL" % (NS_VCARD, NS_VCARD)) or ""
        self.assertEqual(base64.b64decode("".join(binval.split())), raw)

        # The hash is in Alice's presence, for a contact already online and for one that
        # signs in later (a probe answer).
        run(b.set_presence())
        run(a.set_presence())
        self.assertIsNotNone(self.wait_presence(b, alice, sha1), "no avatar hash in alice's presence")
        b2 = self.connect(bob, "later")
        run(b2.set_presence())
        self.assertIsNotNone(self.wait_presence(b2, alice, sha1), "no avatar hash in the probe answer")

        # Metadata whose data does not hash to its id, or is not there, changes nothing.
        _, _, other_sha1 = image("other")
        self.ok(a, publish(NS_DATA, other_sha1, "<data xmlns='%s'>%s</data>" % (NS_DATA, b64)), itype="set")
        self.ok(a, publish(NS_META, other_sha1, metadata(other_sha1, len(raw))), itype="set")
        _, _, missing_sha1 = image("missing")
        self.ok(a, publish(NS_META, missing_sha1, metadata(missing_sha1, 10)), itype="set")
        card = self.vcard(b, alice)
        binval = card.findtext("{%s}PHOTO/{%s}BINVAL" % (NS_VCARD, NS_VCARD)) or ""
        self.assertEqual(base64.b64decode("".join(binval.split())), raw)

        # Disabling the avatar (XEP-0084 §4.4) removes the photo, not the other fields.
        self.ok(a, publish(NS_META, "current", "<metadata xmlns='%s'/>" % NS_META), itype="set")
        card = self.vcard(b, alice)
        self.assertIsNone(card.find("{%s}PHOTO" % NS_VCARD), text(card))
        self.assertEqual(card.findtext("{%s}FN" % NS_VCARD), "Alice")

    def test_vcard_photo_becomes_the_pep_avatar(self):
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        b = self.connect(bob, "modern", notify=[NS_META])
        run(b.set_presence())
        h.pump(GRACE)  # the server learns bob's caps (+notify) before anything is published
        legacy = self.connect(alice, "legacy")
        raw, b64, sha1 = image("vcard")
        self.ok(legacy, vcard_with_photo(b64), itype="set")

        msg = run(b.wait_message(pred=meta_event(sha1), timeout=WAIT))
        self.assertIsNotNone(msg, "no metadata notification for the vCard photo")
        info = msg.xml.find(".//{%s}info" % NS_META)
        self.assertEqual(info.get("id"), sha1)
        self.assertEqual(info.get("bytes"), str(len(raw)))
        self.assertEqual(info.get("type"), "image/png")
        resp = self.ok(b, "<pubsub xmlns='%s'><items node='%s'><item id='%s'/></items></pubsub>"
                       % (NS_PUBSUB, NS_DATA, sha1), to=alice)
        self.assertEqual(base64.b64decode(resp.findtext(".//{%s}data" % NS_DATA)), raw)

        # The vCard stays as the client set it (no conversion back).
        card = self.vcard(b, alice)
        self.assertEqual(card.findtext("{%s}FN" % NS_VCARD), "Legacy Alice")
        self.assertEqual(card.findtext("{%s}PHOTO/{%s}BINVAL" % (NS_VCARD, NS_VCARD)),
                         vcard_with_photo(b64).split("<BINVAL>")[1].split("</BINVAL>")[0])

        # The same photo again publishes nothing; a new one publishes once.
        self.ok(legacy, vcard_with_photo(b64, fn="Still Alice"), itype="set")
        raw2, b64_2, sha1_2 = image("second")
        self.ok(legacy, vcard_with_photo(b64_2), itype="set")
        msg = run(b.wait_message(pred=meta_event(), timeout=WAIT))
        self.assertIsNotNone(msg)
        self.assertEqual(msg.xml.find(".//{%s}info" % NS_META).get("id"), sha1_2,
                         "an unchanged photo was published again")
        h.pump(GRACE)
        self.assertEqual([m for m in b.inbox if meta_event()(m)], [])

        # The presence hash follows the new photo.
        run(legacy.set_presence())
        self.assertIsNotNone(self.wait_presence(b, alice, sha1_2))

        # A vCard without a photo leaves the PEP avatar alone.
        self.ok(legacy, "<vCard xmlns='%s'><FN>No photo</FN></vCard>" % NS_VCARD, itype="set")
        resp = self.ok(legacy, "<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, NS_META))
        self.assertEqual([i.get("id") for i in resp.iter("{%s}item" % NS_PUBSUB)], [sha1_2])

    def test_bad_photo_is_not_published(self):
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        b = self.connect(bob, "modern", notify=[NS_META])
        run(b.set_presence())
        h.pump(GRACE)  # the server learns bob's caps (+notify) before anything is published
        legacy = self.connect(alice, "legacy")
        self.ok(legacy, "<vCard xmlns='%s'><PHOTO><TYPE>image/png</TYPE><BINVAL>not base64!</BINVAL>"
                "</PHOTO></vCard>" % NS_VCARD, itype="set")
        h.pump(GRACE)
        self.assertEqual([m for m in b.inbox if meta_event()(m)], [])
        resp = run(legacy.iq(None, "<pubsub xmlns='%s'><items node='%s'/></pubsub>" % (NS_PUBSUB, NS_META)))
        self.assertEqual(resp.get("type"), "error", text(resp))
        # The server is still fine.
        run(legacy.sync())


if __name__ == "__main__":
    h.main()
