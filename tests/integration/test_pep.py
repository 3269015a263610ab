"""Personal Eventing Protocol (XEP-0163) against a real telexd: publish, retract, items,
configure, delete on a user's own account; access models (presence, open, whitelist);
notifications filtered by the +notify features of verified entity capabilities (XEP-0115);
the last published items at sign-in; avatars (XEP-0084) and bookmarks (XEP-0402).

Clients that advertise caps use slixmpp's own XEP-0030/XEP-0115 plugins, so the server's
verification of the ver hash is checked against an independent implementation. Subscriptions
are set up with raw sockets (subscribe / subscribed both ways). Each test makes fresh accounts.

Absence ("X did not get Y") is proved by a later event that the same client does get (same
route, sent afterwards) plus a short grace period.

Run: /usr/bin/python3 tests/integration/test_pep.py --telexd build/telexd
"""

import base64
import hashlib
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_OWNER = "http://jabber.org/protocol/pubsub#owner"
NS_EVENT = "http://jabber.org/protocol/pubsub#event"
NS_ERRORS = "http://jabber.org/protocol/pubsub#errors"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_ROSTER = "jabber:iq:roster"
NS_MOOD = "http://jabber.org/protocol/mood"
NS_TUNE = "http://jabber.org/protocol/tune"
NS_BOOKMARKS = "urn:xmpp:bookmarks:1"
NS_AVATAR_DATA = "urn:xmpp:avatar:data"
NS_AVATAR_META = "urn:xmpp:avatar:metadata"

WAIT = 5.0     # bound on every positive wait
GRACE = 0.4    # quiet time when proving absence
TRICKY = "<&'\"> fish & chips"


def unique(label):
    return "%s-%s" % (label, uuid.uuid4().hex[:8])


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def mood(name, note=""):
    return "<mood xmlns='%s'><%s/><text>%s</text></mood>" % (NS_MOOD, name, esc(note))


def tune(title):
    return "<tune xmlns='%s'><title>%s</title></tune>" % (NS_TUNE, esc(title))


def form(form_type, fields):
    out = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
           "<value>%s</value></field>" % form_type)
    for var, value in fields:
        out += "<field var='%s'><value>%s</value></field>" % (var, value)
    return out + "</x>"


BOOKMARK_OPTIONS = form("http://jabber.org/protocol/pubsub#publish-options",
                        [("pubsub#persist_items", "true"), ("pubsub#max_items", "max"),
                         ("pubsub#send_last_published_item", "never"),
                         ("pubsub#access_model", "whitelist")])


def publish(node, payload, item_id=None, options=None):
    item = "<item id='%s'>%s</item>" % (esc(item_id), payload) if item_id else "<item>%s</item>" % payload
    opts = "<publish-options>%s</publish-options>" % options if options else ""
    return "<pubsub xmlns='%s'><publish node='%s'>%s</publish>%s</pubsub>" % (NS_PUBSUB, esc(node), item, opts)


def items_query(node, max_items=None, ids=()):
    attr = " max_items='%d'" % max_items if max_items else ""
    inner = "".join("<item id='%s'/>" % esc(i) for i in ids)
    return "<pubsub xmlns='%s'><items node='%s'%s>%s</items></pubsub>" % (NS_PUBSUB, esc(node), attr, inner)


def event_items(msg, node):
    """The <items/> of a PEP event message for ``node``, or None."""
    items = msg.xml.find("{%s}event/{%s}items" % (NS_EVENT, NS_EVENT))
    if items is None or items.get("node") != node:
        return None
    return items


def is_item_event(node, item_id=None, payload_check=None):
    def pred(msg):
        items = event_items(msg, node)
        if items is None or msg["type"] != "headline":
            return False
        item = items.find("{%s}item" % NS_EVENT)
        if item is None or (item_id is not None and item.get("id") != item_id):
            return False
        return payload_check is None or payload_check(item)
    return pred


def has_mood(name):
    return lambda item: item.find("{%s}mood/{%s}%s" % (NS_MOOD, NS_MOOD, name)) is not None


def error_of(resp):
    """(type, condition, pubsub condition) of an IQ error response."""
    et = stanza_error(resp)
    err = resp.find("{%s}error" % h.NS_CLIENT)
    specific = None
    if err is not None:
        for c in err:
            if c.tag.startswith("{%s}" % NS_ERRORS):
                specific = c.tag.split("}", 1)[1]
    return (et[0], et[1], specific) if et else None


class PepTest(h.ServerTestCase):

    # -- set-up helpers ------------------------------------------------------
    def account(self, label):
        jid = "%s@localhost" % unique(label)
        self.server.add_user(jid, "pw-" + label)
        self.passwords[jid] = "pw-" + label
        return jid

    def setUp(self):
        super().setUp()
        self.passwords = {}

    def pep_client(self, bare, resource, notify=()):
        """A client with slixmpp's caps plugin: its presence carries a verified ver over the
        features it has, including '<node>+notify' for each node in ``notify``."""
        c = self.client("%s/%s" % (bare, resource), self.passwords[bare])
        c.xmpp.register_plugin("xep_0030")
        c.xmpp.register_plugin("xep_0115")
        run(c.login(), timeout=15)
        for node in notify:
            run(c.xmpp["xep_0030"].add_feature(node + "+notify"))
        run(c.xmpp["xep_0115"].update_caps(broadcast=False))
        run(c.set_presence())
        return c

    def plain_client(self, bare, resource):
        """A client without caps (no interests at all)."""
        c = self.client("%s/%s" % (bare, resource), self.passwords[bare])
        run(c.login(), timeout=15)
        run(c.set_presence())
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
        roster = ra.wait_iq("r1")
        item = roster.find("{%s}query/{%s}item" % (NS_ROSTER, NS_ROSTER))
        self.assertIsNotNone(item, text(roster))
        self.assertEqual(item.get("subscription"), "both", text(roster))
        ra.close()
        rb.close()

    def iq(self, client, payload, to=None, itype="get"):
        return run(client.iq(to, payload, itype=itype))

    def assertResult(self, resp):
        self.assertEqual(resp.get("type"), "result", text(resp))
        return resp

    def wait_event(self, client, pred, what):
        msg = run(client.wait_message(pred=pred, timeout=WAIT))
        self.assertIsNotNone(msg, "%s: no event for %s" % (client.jid, what))
        self.assertEqual(msg["type"], "headline")
        return msg

    def assertNoEvent(self, client, pred, what):
        h.pump(GRACE)
        got = [m for m in client.inbox if pred(m)]
        self.assertEqual(got, [], "%s should not have got %s" % (client.jid, what))

    # -- tests -----------------------------------------------------------------
    def test_notifications_follow_access_and_notify(self):
        alice, bob, carol = self.account("alice"), self.account("bob"), self.account("carol")
        self.befriend(alice, bob)
        publisher = self.plain_client(alice, "pub")
        # Something for each watcher to receive at sign-in: proof that its caps were learned
        # (answering the server's disco#info) before anything else happens.
        self.assertResult(self.iq(publisher, publish(NS_TUNE, tune("warm-up")), itype="set"))
        self.assertResult(self.iq(publisher, publish(NS_MOOD, mood("calm", "first")), itype="set"))
        watcher = self.pep_client(bob, "watch", notify=[NS_MOOD, NS_TUNE])
        no_mood = self.pep_client(bob, "nomood", notify=[NS_TUNE])
        first = self.wait_event(watcher, is_item_event(NS_MOOD, payload_check=has_mood("calm")), "last mood")
        self.assertEqual(str(first["from"]), alice)
        self.assertEqual(str(first["to"]), watcher.bound_jid)
        self.wait_event(watcher, is_item_event(NS_TUNE), "last tune")
        self.wait_event(no_mood, is_item_event(NS_TUNE), "last tune")
        stranger_self = self.pep_client(carol, "x", notify=[NS_MOOD, NS_TUNE])
        # The stranger publishes a tune of her own: she gets it (own nodes), which proves her
        # interests are known.
        self.assertResult(self.iq(stranger_self, publish(NS_TUNE, tune("carol's")), itype="set"))
        self.wait_event(stranger_self, is_item_event(NS_TUNE), "own tune")

        resp = self.assertResult(self.iq(publisher, publish(NS_MOOD, mood("happy", TRICKY), item_id="m2"),
                                         itype="set"))
        published = resp.find("{%s}pubsub/{%s}publish/{%s}item" % (NS_PUBSUB, NS_PUBSUB, NS_PUBSUB))
        self.assertIsNotNone(published, text(resp))
        self.assertEqual(published.get("id"), "m2")
        msg = self.wait_event(watcher, is_item_event(NS_MOOD, "m2", has_mood("happy")), "new mood")
        note = event_items(msg, NS_MOOD).find("{%s}item/{%s}mood/{%s}text" % (NS_EVENT, NS_MOOD, NS_MOOD))
        self.assertEqual(note.text, TRICKY)
        # A later tune reaches no_mood (and the stranger does not get alice's either); by then
        # the mood would have arrived too.
        self.assertResult(self.iq(publisher, publish(NS_TUNE, tune("after")), itype="set"))
        self.wait_event(no_mood, is_item_event(NS_TUNE, payload_check=lambda i: i.findtext(
            "{%s}tune/{%s}title" % (NS_TUNE, NS_TUNE)) == "after"), "new tune")
        self.assertNoEvent(no_mood, is_item_event(NS_MOOD), "a mood (no +notify)")
        self.assertNoEvent(stranger_self, lambda m: str(m["from"]) == alice, "alice's events (stranger)")
        self.assertNoEvent(publisher, lambda m: event_items(m, NS_MOOD) is not None, "events (no caps)")

    def test_last_item_at_later_sign_in_and_reads(self):
        alice, bob, carol = self.account("alice"), self.account("bob"), self.account("carol")
        self.befriend(alice, bob)
        a = self.plain_client(alice, "pub")
        for name in ("sad", "happy"):
            self.assertResult(self.iq(a, publish(NS_MOOD, mood(name)), itype="set"))
        # Twice: the first sign-in teaches the server these caps, the second is a cache hit.
        for resource in ("first", "later"):
            b = self.pep_client(bob, resource, notify=[NS_MOOD])
            msg = self.wait_event(b, is_item_event(NS_MOOD), "last mood at sign-in (%s)" % resource)
            self.assertIsNotNone(event_items(msg, NS_MOOD).find(".//{%s}happy" % NS_MOOD), "only the newest")
            self.assertNoEvent(b, is_item_event(NS_MOOD), "a second mood")
            run(b.disconnect())
        # Reads: the contact may (presence access), the stranger may not.
        b = self.plain_client(bob, "reader")
        resp = self.assertResult(self.iq(b, items_query(NS_MOOD), to=alice))
        items = resp.findall("{%s}pubsub/{%s}items/{%s}item" % (NS_PUBSUB, NS_PUBSUB, NS_PUBSUB))
        self.assertEqual(len(items), 1, text(resp))
        c = self.plain_client(carol, "reader")
        self.assertEqual(error_of(self.iq(c, items_query(NS_MOOD), to=alice)),
                         ("auth", "not-authorized", "presence-subscription-required"))
        self.assertEqual(error_of(self.iq(c, items_query("no-such-node"), to=alice))[1], "item-not-found")
        # Only the owner publishes.
        self.assertEqual(error_of(self.iq(b, publish(NS_MOOD, mood("angry")), to=alice, itype="set"))[1],
                         "forbidden")
        # An open node: anyone may read.
        self.assertResult(self.iq(a, publish("urn:example:open", "<x xmlns='urn:example'/>", "i1",
                                             form("http://jabber.org/protocol/pubsub#publish-options",
                                                  [("pubsub#access_model", "open")])), itype="set"))
        self.assertResult(self.iq(c, items_query("urn:example:open"), to=alice))

    def test_bookmarks_whitelist_retract_delete(self):
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        a1 = self.plain_client(alice, "one")
        a2 = self.pep_client(alice, "two", notify=[NS_BOOKMARKS])
        b = self.pep_client(bob, "b", notify=[NS_BOOKMARKS, NS_MOOD])
        room = "theplay@conference.localhost"
        conference = ("<conference xmlns='%s' name='%s' autojoin='true'><nick>JC</nick></conference>"
                      % (NS_BOOKMARKS, esc(TRICKY)))
        self.assertResult(self.iq(a1, publish(NS_BOOKMARKS, conference, room, BOOKMARK_OPTIONS), itype="set"))
        msg = self.wait_event(a2, is_item_event(NS_BOOKMARKS, room), "bookmark")
        conf = event_items(msg, NS_BOOKMARKS).find("{%s}item/{%s}conference" % (NS_EVENT, NS_BOOKMARKS))
        self.assertEqual(conf.get("name"), TRICKY)
        # The other resource reads them all.
        self.assertResult(self.iq(a1, publish(NS_BOOKMARKS, conference.replace("JC", "JC2"), "second@conference.localhost",
                                              BOOKMARK_OPTIONS), itype="set"))
        resp = self.assertResult(self.iq(a2, items_query(NS_BOOKMARKS)))
        ids = [i.get("id") for i in resp.findall("{%s}pubsub/{%s}items/{%s}item" % (NS_PUBSUB, NS_PUBSUB, NS_PUBSUB))]
        self.assertEqual(ids, [room, "second@conference.localhost"])
        resp = self.assertResult(self.iq(a2, items_query(NS_BOOKMARKS, ids=[room])))
        self.assertEqual(len(resp.findall(".//{%s}item" % NS_PUBSUB)), 1)
        # Nobody else: not the contact, neither by event nor by reading.
        self.assertEqual(error_of(self.iq(b, items_query(NS_BOOKMARKS), to=alice)),
                         ("cancel", "not-allowed", "closed-node"))
        # Different publish-options on the existing node: precondition-not-met.
        wrong = form("http://jabber.org/protocol/pubsub#publish-options", [("pubsub#access_model", "open")])
        self.assertEqual(error_of(self.iq(a1, publish(NS_BOOKMARKS, conference, "x@conference.localhost", wrong),
                                          itype="set")),
                         ("cancel", "conflict", "precondition-not-met"))
        # Configuration as the options made it.
        resp = self.assertResult(self.iq(a1, "<pubsub xmlns='%s'><configure node='%s'/></pubsub>"
                                         % (NS_OWNER, NS_BOOKMARKS)))
        values = {f.get("var"): f.findtext("{jabber:x:data}value")
                  for f in resp.iter("{jabber:x:data}field")}
        self.assertEqual(values["pubsub#access_model"], "whitelist")
        self.assertEqual(values["pubsub#max_items"], "256")
        self.assertEqual(values["pubsub#send_last_published_item"], "never")

        # Retract: the other resource hears it, the item is gone.
        self.assertResult(self.iq(a1, "<pubsub xmlns='%s'><retract node='%s' notify='true'><item id='%s'/>"
                                      "</retract></pubsub>" % (NS_PUBSUB, NS_BOOKMARKS, room), itype="set"))
        self.wait_event(a2, lambda m: (event_items(m, NS_BOOKMARKS) is not None and
                                       event_items(m, NS_BOOKMARKS).find("{%s}retract" % NS_EVENT) is not None and
                                       event_items(m, NS_BOOKMARKS).find("{%s}retract" % NS_EVENT).get("id") == room),
                        "retract")
        resp = self.assertResult(self.iq(a2, items_query(NS_BOOKMARKS)))
        ids = [i.get("id") for i in resp.findall(".//{%s}item" % NS_PUBSUB)]
        self.assertEqual(ids, ["second@conference.localhost"])
        self.assertEqual(error_of(self.iq(a1, "<pubsub xmlns='%s'><retract node='%s'><item id='%s'/></retract>"
                                              "</pubsub>" % (NS_PUBSUB, NS_BOOKMARKS, room), itype="set"))[1],
                         "item-not-found")

        # Delete the node: the other resource hears it; reading then fails.
        self.assertResult(self.iq(a1, "<pubsub xmlns='%s'><delete node='%s'/></pubsub>" % (NS_OWNER, NS_BOOKMARKS),
                                  itype="set"))
        self.wait_event(a2, lambda m: m.xml.find("{%s}event/{%s}delete[@node='%s']"
                                                 % (NS_EVENT, NS_EVENT, NS_BOOKMARKS)) is not None, "delete")
        self.assertEqual(error_of(self.iq(a2, items_query(NS_BOOKMARKS)))[1], "item-not-found")
        # Bob (contact, +notify bookmarks) heard none of it; a mood afterwards does reach him.
        self.assertResult(self.iq(a1, publish(NS_MOOD, mood("relieved")), itype="set"))
        self.wait_event(b, is_item_event(NS_MOOD), "mood after bookmarks")
        self.assertNoEvent(b, lambda m: (m.xml.find("{%s}event" % NS_EVENT) is not None and
                                         event_items(m, NS_MOOD) is None), "bookmark events")

    def test_avatar_metadata_and_data(self):
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        a = self.plain_client(alice, "a")
        b = self.pep_client(bob, "b", notify=[NS_AVATAR_META])
        data = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        sha1 = "e9a5c9d1a4b8cf2c38e1e6ddc9ab63c1c2a83a7a"
        self.assertResult(self.iq(a, publish(NS_AVATAR_DATA, "<data xmlns='%s'>%s</data>" % (NS_AVATAR_DATA, data),
                                             sha1), itype="set"))
        meta = ("<metadata xmlns='%s'><info bytes='70' id='%s' height='1' width='1' type='image/png'/></metadata>"
                % (NS_AVATAR_META, sha1))
        self.assertResult(self.iq(a, publish(NS_AVATAR_META, meta, sha1), itype="set"))
        msg = self.wait_event(b, is_item_event(NS_AVATAR_META, sha1), "avatar metadata")
        info = event_items(msg, NS_AVATAR_META).find(".//{%s}info" % NS_AVATAR_META)
        self.assertEqual(info.get("id"), sha1)
        # The data is fetched by id, not pushed.
        self.assertNoEvent(b, lambda m: event_items(m, NS_AVATAR_DATA) is not None, "avatar data")
        resp = self.assertResult(self.iq(b, items_query(NS_AVATAR_DATA, ids=[sha1]), to=alice))
        self.assertEqual(resp.findtext(".//{%s}data" % NS_AVATAR_DATA), data)

    def test_caps_verified_before_caching(self):
        """Raw clients answer the server's disco#info themselves: a ver that does not match the
        features serves only that resource and is asked again next time; a correct one is
        cached, so a later resource with it is never asked."""
        alice, bob = self.account("alice"), self.account("bob")
        self.befriend(alice, bob)
        a = self.plain_client(alice, "a")
        self.assertResult(self.iq(a, publish(NS_MOOD, mood("curious")), itype="set"))
        features = ["http://jabber.org/protocol/caps", NS_DISCO_INFO, NS_MOOD + "+notify"]
        s = "client/pc//raw <&>" + "<" + "".join(f + "<" for f in sorted(features))
        good = base64.b64encode(hashlib.sha1(s.encode("utf-8")).digest()).decode()
        caps_node = "urn:telex:test:" + uuid.uuid4().hex[:8]

        def sign_in(resource, ver):
            r = self.raw()
            r.login(bob.split("@")[0], self.passwords[bob], resource=resource)
            r.send("<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='%s' ver='%s'/>"
                   "</presence>" % (caps_node, ver))
            return r

        def next_of(r, pred, what):
            seen = []
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                e = r.next(max(0.05, deadline - time.monotonic()))
                if e is None:
                    break
                if pred(e):
                    return e, seen
                seen.append(e)
            self.fail("%s: nothing like %s; got %s" % (r, what, [text(e) for e in seen]))

        def is_disco_query(e):
            q = e.find("{%s}query" % NS_DISCO_INFO)
            return e.tag == "{%s}iq" % h.NS_CLIENT and e.get("type") == "get" and q is not None

        def is_mood_event(e):
            return (e.tag == "{%s}message" % h.NS_CLIENT and
                    e.find("{%s}event/{%s}items[@node='%s']" % (NS_EVENT, NS_EVENT, NS_MOOD)) is not None)

        def answer(r, query):
            self.assertEqual(query.get("from"), "localhost")
            node = query.find("{%s}query" % NS_DISCO_INFO).get("node")
            feats = "".join("<feature var='%s'/>" % esc(f) for f in features)
            r.send("<iq type='result' id='%s' to='localhost'><query xmlns='%s' node='%s'>"
                   "<identity category='client' type='pc' name='%s'/>%s</query></iq>"
                   % (esc(query.get("id")), NS_DISCO_INFO, esc(node), esc("raw <&>"), feats))
            return node

        # Wrong ver: asked, answered, used for this resource (it gets the last mood) ...
        for resource in ("bogus1", "bogus2"):
            r = sign_in(resource, "bogus=")
            query, _ = next_of(r, is_disco_query, "disco#info query (%s)" % resource)
            self.assertEqual(answer(r, query), caps_node + "#bogus=")
            next_of(r, is_mood_event, "last mood (%s)" % resource)
            # ... but not cached: the second resource with the same ver was asked again.
        # Right ver: asked once ...
        r = sign_in("good1", good)
        query, _ = next_of(r, is_disco_query, "disco#info query (good1)")
        answer(r, query)
        next_of(r, is_mood_event, "last mood (good1)")
        # ... and never again: the next resource gets the last item straight away.
        r = sign_in("good2", good)
        _, before = next_of(r, is_mood_event, "last mood (good2)")
        self.assertFalse([e for e in before if is_disco_query(e)], "asked again for verified caps")

    def test_disco_configure_and_errors(self):
        alice, bob = self.account("alice"), self.account("bob")
        a = self.plain_client(alice, "a")
        for target in (None, alice):
            resp = self.assertResult(self.iq(a, "<query xmlns='%s'/>" % NS_DISCO_INFO, to=target))
            ids = {(i.get("category"), i.get("type")) for i in resp.iter("{%s}identity" % NS_DISCO_INFO)}
            self.assertIn(("pubsub", "pep"), ids)
            self.assertIn(("account", "registered"), ids)
            feats = {f.get("var") for f in resp.iter("{%s}feature" % NS_DISCO_INFO)}
            for f in ("publish", "publish-options", "auto-create", "access-whitelist", "last-published"):
                self.assertIn("http://jabber.org/protocol/pubsub#" + f, feats)
            self.assertIn("urn:xmpp:mam:2", feats)  # still there: the archive lives on the account too
        b = self.plain_client(bob, "b")
        resp = self.assertResult(self.iq(b, "<query xmlns='%s'/>" % NS_DISCO_INFO, to=alice))
        self.assertIn(("pubsub", "pep"), {(i.get("category"), i.get("type"))
                                          for i in resp.iter("{%s}identity" % NS_DISCO_INFO)})
        self.assertEqual(error_of(self.iq(b, "<query xmlns='%s'/>" % NS_DISCO_INFO, to="nobody@localhost"))[1],
                         "service-unavailable")
        # The server advertises PEP as well.
        resp = self.assertResult(self.iq(a, "<query xmlns='%s'/>" % NS_DISCO_INFO, to="localhost"))
        self.assertIn("http://jabber.org/protocol/pubsub#publish",
                      {f.get("var") for f in resp.iter("{%s}feature" % NS_DISCO_INFO)})

        # Node list: the owner sees all; others what they may read.
        self.assertResult(self.iq(a, publish("urn:example:secret", "<s xmlns='urn:example'/>", "1",
                                             form("http://jabber.org/protocol/pubsub#publish-options",
                                                  [("pubsub#access_model", "whitelist")])), itype="set"))
        self.assertResult(self.iq(a, publish("urn:example:public", "<s xmlns='urn:example'/>", "1",
                                             form("http://jabber.org/protocol/pubsub#publish-options",
                                                  [("pubsub#access_model", "open")])), itype="set"))
        resp = self.assertResult(self.iq(a, "<query xmlns='%s'/>" % NS_DISCO_ITEMS))
        self.assertEqual({i.get("node") for i in resp.iter("{%s}item" % NS_DISCO_ITEMS)},
                         {"urn:example:secret", "urn:example:public"})
        resp = self.assertResult(self.iq(b, "<query xmlns='%s'/>" % NS_DISCO_ITEMS, to=alice))
        self.assertEqual({i.get("node") for i in resp.iter("{%s}item" % NS_DISCO_ITEMS)}, {"urn:example:public"})

        # Configure: max_items up, then several items kept, newest last; max_items on read.
        self.assertResult(self.iq(a, "<pubsub xmlns='%s'><configure node='urn:example:public'>%s</configure></pubsub>"
                                  % (NS_OWNER, form("http://jabber.org/protocol/pubsub#node_config",
                                                    [("pubsub#max_items", "3")])), itype="set"))
        for i in ("2", "3", "4"):
            self.assertResult(self.iq(a, publish("urn:example:public", "<s xmlns='urn:example'/>", i), itype="set"))
        resp = self.assertResult(self.iq(b, items_query("urn:example:public"), to=alice))
        self.assertEqual([i.get("id") for i in resp.iter("{%s}item" % NS_PUBSUB)], ["2", "3", "4"])
        resp = self.assertResult(self.iq(b, items_query("urn:example:public", max_items=1), to=alice))
        self.assertEqual([i.get("id") for i in resp.iter("{%s}item" % NS_PUBSUB)], ["4"])
        self.assertEqual(error_of(self.iq(a, "<pubsub xmlns='%s'><configure node='urn:example:public'>%s</configure>"
                                             "</pubsub>" % (NS_OWNER, form("http://jabber.org/protocol/pubsub#node_config",
                                                                           [("pubsub#access_model", "roster")])),
                                          itype="set"))[1],
                         "not-acceptable")
        # Malformed requests.
        self.assertEqual(error_of(self.iq(a, "<pubsub xmlns='%s'><publish><item><s xmlns='urn:x'/></item></publish>"
                                             "</pubsub>" % NS_PUBSUB, itype="set")),
                         ("modify", "bad-request", "nodeid-required"))
        self.assertEqual(error_of(self.iq(a, "<pubsub xmlns='%s'><publish node='n'><item id='i'/></publish>"
                                             "</pubsub>" % NS_PUBSUB, itype="set")),
                         ("modify", "bad-request", "payload-required"))
        self.assertEqual(error_of(self.iq(a, "<pubsub xmlns='%s'><subscribe node='n' jid='%s'/></pubsub>"
                                             % (NS_PUBSUB, alice), itype="set")),
                         ("cancel", "feature-not-implemented", "unsupported"))
        # Options the node cannot take refuse the auto-create.
        self.assertEqual(error_of(self.iq(a, publish("urn:example:new", "<s xmlns='urn:example'/>", "1",
                                                     form("http://jabber.org/protocol/pubsub#publish-options",
                                                          [("pubsub#access_model", "roster")])), itype="set")),
                         ("cancel", "conflict", "precondition-not-met"))
        self.assertEqual(error_of(self.iq(a, items_query("urn:example:new")))[1], "item-not-found")


if __name__ == "__main__":
    h.main()
