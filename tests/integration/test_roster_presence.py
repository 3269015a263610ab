"""Rosters, presence subscriptions and presence distribution between local
users (RFC 6121 §2-§4, XEP-0237 roster versioning, XEP-0012 last activity).

Every client here is a raw socket (``RawClient`` from the harness) wrapped in
``Peer``, so each test sees every stanza the server sends, in order: roster
pushes, subscription stanzas, presence, probes. Each test makes its own fresh
accounts, so tests do not share roster state.

Absence ("X did not receive Y") is proved the way test_core_features.py does
it: a marker message sent afterwards arrives, and then a short grace period
passes (the server distributes broadcast presence after an asynchronous
roster read, so a marker alone could overtake it).

Run: /usr/bin/python3 tests/integration/test_roster_presence.py --telexd build/telexd
"""

import os
import socket
import struct
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import stanza_error  # noqa: E402

NS_CLIENT = h.NS_CLIENT
NS_ROSTER = "jabber:iq:roster"
NS_LAST = "jabber:iq:last"
NS_ROSTERVER = "urn:xmpp:features:rosterver"
NS_PREAPPROVAL = "urn:xmpp:features:pre-approval"

PRESENCE = "{%s}presence" % NS_CLIENT
MESSAGE = "{%s}message" % NS_CLIENT
IQ = "{%s}iq" % NS_CLIENT
QUERY = "{%s}query" % NS_ROSTER
ITEM = "{%s}item" % NS_ROSTER
GROUP = "{%s}group" % NS_ROSTER

WAIT = 5.0      # bound on every positive wait
GRACE = 0.3     # extra quiet time after a marker when proving absence


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def unique(label):
    return "%s-%s" % (label, uuid.uuid4().hex[:8])


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("'", "&apos;"))


# --------------------------------------------------------------------------
# Stanza predicates
# --------------------------------------------------------------------------

ANY = object()


def is_presence(e, frm=ANY, ptype=None, to=ANY):
    """A presence from ``frm`` (exact string) of type ``ptype`` (None means
    available, i.e. no type attribute; ANY means any type)."""
    if e.tag != PRESENCE:
        return False
    if frm is not ANY and e.get("from") != frm:
        return False
    if to is not ANY and e.get("to") != to:
        return False
    if ptype is ANY:
        return True
    return e.get("type") == ptype


def presence_from_user(e, bare):
    """Any presence whose sender is ``bare`` or one of its resources."""
    if e.tag != PRESENCE:
        return False
    frm = e.get("from") or ""
    return frm == bare or frm.startswith(bare + "/")


def is_message(e, body):
    return e.tag == MESSAGE and e.findtext("{%s}body" % NS_CLIENT) == body


def push_item(e):
    """The <item/> of a roster push, or None if ``e`` is not a push."""
    if e.tag != IQ or e.get("type") != "set":
        return None
    q = e.find(QUERY)
    if q is None:
        return None
    items = q.findall(ITEM)
    return items[0] if len(items) == 1 else None


def is_push(e, jid=ANY):
    it = push_item(e)
    return it is not None and (jid is ANY or it.get("jid") == jid)


def item_state(it):
    """The client-visible state of a roster <item/> as a dict."""
    return {
        "subscription": it.get("subscription", "none"),
        "ask": it.get("ask"),
        "approved": it.get("approved"),
        "name": it.get("name"),
        "groups": sorted((g.text or "") for g in it.findall(GROUP)),
    }


def state_matches(it, **want):
    st = item_state(it)
    return all(st[k] == v for k, v in want.items())


def status_of(e):
    return e.findtext("{%s}status" % NS_CLIENT)


def show_of(e):
    return e.findtext("{%s}show" % NS_CLIENT)


# --------------------------------------------------------------------------
# A logged-in raw client that records everything it receives
# --------------------------------------------------------------------------


class Peer:
    """One resource of an account over a RawClient: TLS, SASL PLAIN, bind.

    ``log`` keeps every depth-1 element received, in order; ``inbox`` holds
    the ones not yet consumed by wait(). Roster pushes are answered with an
    IQ result like a real client does (RFC 6121 §2.1.6).
    """

    def __init__(self, raw, bare, password, resource):
        self.r = raw
        self.bare = bare
        self.resource = resource
        local = bare.split("@", 1)[0]
        raw.secure()
        ok, cond = raw.auth_plain(local, password)
        if not ok:
            raise AssertionError("PLAIN auth of %s failed: %s" % (bare, cond))
        self.features = raw.open_stream()
        resp = raw.bind(resource)
        if resp.get("type") != "result":
            raise AssertionError("bind failed: %s" % text(resp))
        self.jid = resp.findtext("{%s}bind/{%s}jid" % (h.NS_BIND, h.NS_BIND))
        if self.jid != "%s/%s" % (bare, resource):
            raise AssertionError("bound %r, wanted %s/%s" %
                                 (self.jid, bare, resource))
        self.log = []
        self.inbox = []
        self.gone = False

    # -- receiving ----------------------------------------------------------
    def _got(self, e):
        self.log.append(e)
        if is_push(e) and e.get("id"):
            self.r.send("<iq type='result' id='%s'/>" %
                        xml_escape(e.get("id")))
        self.inbox.append(e)

    def _read(self, timeout):
        if self.r.closed or self.r.stream_ended:
            # Only what is already parsed; never spin on a dead socket.
            while self.r.elements:
                self._got(self.r.elements.pop(0))
            time.sleep(min(timeout, 0.05))
            return
        e = self.r.next(max(0.01, timeout))
        if e is not None:
            self._got(e)

    def wait(self, pred, timeout=WAIT):
        """Pop and return the first received element matching ``pred``
        (waiting up to ``timeout`` s), or None."""
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
        """Receive (into log/inbox) for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())

    def mark(self):
        return len(self.log)

    def since(self, mark, pred=None):
        return [e for e in self.log[mark:] if pred is None or pred(e)]

    def dump(self, elems=None, limit=40):
        elems = self.log if elems is None else elems
        lines = [text(e) for e in elems[-limit:]]
        return "\n".join("    " + ln for ln in lines) or "    (nothing)"

    # -- sending ------------------------------------------------------------
    def send(self, data):
        if not self.r.send(data):
            raise AssertionError("%s: connection closed while sending %s" %
                                 (self.jid, data))

    def presence(self, status=None, show=None, priority=None, ptype=None,
                 to=None):
        attrs = ""
        if to:
            attrs += " to='%s'" % to
        if ptype:
            attrs += " type='%s'" % ptype
        kids = ""
        if show:
            kids += "<show>%s</show>" % show
        if status is not None:
            kids += "<status>%s</status>" % xml_escape(status)
        if priority is not None:
            kids += "<priority>%d</priority>" % priority
        self.send("<presence%s>%s</presence>" % (attrs, kids))

    def subscription(self, ptype, to, status=None):
        self.presence(ptype=ptype, to=to, status=status)

    def message(self, to, body, mtype="chat"):
        self.send("<message to='%s' type='%s'><body>%s</body></message>" %
                  (to, mtype, xml_escape(body)))

    def iq(self, payload, itype="get", to=None, timeout=WAIT):
        iq_id = unique("iq")
        attr = " to='%s'" % to if to else ""
        self.send("<iq type='%s' id='%s'%s>%s</iq>" %
                  (itype, iq_id, attr, payload))
        return self.expect(lambda e: e.tag == IQ and e.get("id") == iq_id and
                           e.get("type") in ("result", "error"),
                           "answer to iq %s %s" % (itype, payload), timeout)

    def roster_get(self, ver=None):
        attr = "" if ver is None else " ver='%s'" % ver
        return self.iq("<query xmlns='%s'%s/>" % (NS_ROSTER, attr))

    def roster(self):
        """Roster get; returns ({jid: state}, ver)."""
        resp = self.roster_get()
        if resp.get("type") != "result":
            raise AssertionError("roster get failed: %s" % text(resp))
        q = resp.find(QUERY)
        if q is None:
            raise AssertionError("roster result without query: %s" %
                                 text(resp))
        return ({it.get("jid"): item_state(it) for it in q.findall(ITEM)},
                q.get("ver"))

    def roster_set(self, jid, name=None, groups=(), extra_attrs=""):
        attrs = " jid='%s'" % jid
        if name is not None:
            attrs += " name='%s'" % xml_escape(name)
        kids = "".join("<group>%s</group>" % xml_escape(g) for g in groups)
        return self.iq("<query xmlns='%s'><item%s%s>%s</item></query>" %
                       (NS_ROSTER, attrs, extra_attrs, kids), "set")

    def roster_remove(self, jid):
        return self.iq("<query xmlns='%s'><item jid='%s' subscription="
                       "'remove'/></query>" % (NS_ROSTER, jid), "set")

    def sync(self):
        """Ping round trip: the server processed everything sent before."""
        resp = self.iq("<ping xmlns='urn:xmpp:ping'/>", to=h.DOMAIN)
        if resp.get("type") != "result":
            raise AssertionError("sync ping failed: %s" % text(resp))

    # -- leaving ------------------------------------------------------------
    def logout(self):
        """Clean close: </stream:stream>, then wait for the server to close."""
        self.r.send("</stream:stream>")
        self.r.wait_closed(5.0)
        self.r.close()
        self.gone = True

    def kill(self):
        """Abort the TCP connection (RST, no stream close, no TLS alert)."""
        try:
            self.r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.r.close()
        self.gone = True


# --------------------------------------------------------------------------
# Test base
# --------------------------------------------------------------------------


class Base(h.ServerTestCase):
    """A telexd per class; every test makes fresh accounts with accounts()."""

    PASSWORD = "pw-%s" % uuid.uuid4().hex[:6]

    def setUp(self):
        super().setUp()
        self._peers = []

    def tearDown(self):
        # Leave cleanly (</stream:stream>, wait for the server to close):
        # telexd can die of SIGPIPE when a TLS client drops its TCP
        # connection while the server writes to it (ServerRobustnessTest),
        # which would make unrelated tests fail at random.
        for p in self._peers:
            if not p.gone:
                try:
                    p.logout()
                except Exception:  # noqa: BLE001
                    pass
        super().tearDown()   # closes every socket of the test
        # A server that died during the test (or while its clients left)
        # fails that test; a fresh one on the same data dir serves the rest.
        if self.server.wait(0.2) is None:
            return
        code = self.server.exit_code
        self.server._note("telexd died (exit %s) in %s; restarting" %
                          (code, self.id()))
        self.server.start()
        self.fail("telexd died with exit code %s during this test or while "
                  "its clients disconnected (-13 = SIGPIPE)" % code)

    def accounts(self, *labels):
        out = []
        for label in labels:
            bare = "%s-%s@%s" % (label, uuid.uuid4().hex[:6], h.DOMAIN)
            self.server.add_user(bare, self.PASSWORD)
            out.append(bare)
        return out

    def connect(self, bare, resource):
        """Log a resource in (no roster request, no presence)."""
        p = Peer(self.raw(), bare, self.PASSWORD, resource)
        self._peers.append(p)
        return p

    def online(self, bare, resource, status=None, show=None, priority=None,
               roster=True):
        """Log in, request the roster (so it gets pushes) and send initial
        presence."""
        p = self.connect(bare, resource)
        if roster:
            p.roster()
        p.presence(status=status, show=show, priority=priority)
        p.sync()
        return p

    # -- subscription set-up ------------------------------------------------
    def subscribe(self, user, contact):
        """Make ``user`` subscribed to ``contact`` (user 'to', contact
        'from'), through temporary sessions that never send presence."""
        u = self.connect(user, unique("setup"))
        c = self.connect(contact, unique("setup"))
        u.roster()
        c.roster()
        u.subscription("subscribe", contact)
        u.expect(lambda e: is_push(e, contact) and
                 push_item(e).get("ask") == "subscribe",
                 "push with ask=subscribe for %s" % contact)
        c.subscription("subscribed", user)
        u.expect(lambda e: is_push(e, contact) and
                 push_item(e).get("subscription") in ("to", "both") and
                 push_item(e).get("ask") is None,
                 "push with subscription to/both for %s" % contact)
        c.expect(lambda e: is_push(e, user) and
                 push_item(e).get("subscription") in ("from", "both"),
                 "push with subscription from/both for %s" % user)
        u.logout()
        c.logout()

    # -- assertions ---------------------------------------------------------
    def assertQuiet(self, receiver, mark, pred, what, marker_from=None):
        """Since ``mark``, ``receiver`` got nothing matching ``pred``: a
        marker message from ``marker_from`` (default: the receiver itself)
        arrives, a grace period passes, and the log is checked."""
        sender = marker_from or receiver
        body = unique("marker")
        sender.message(receiver.jid, body)
        receiver.expect(lambda e: is_message(e, body),
                        "marker message from %s" % sender.jid)
        receiver.drain(GRACE)
        bad = receiver.since(mark, pred)
        self.assertEqual(bad, [], "%s wrongly received %s:\n%s" %
                         (receiver.jid, what, receiver.dump(bad)))

    def assertPush(self, peer, jid, what=None, **state):
        """Wait for a roster push about ``jid`` whose item has ``state``;
        checks the push addressing (RFC 6121 §2.1.6) and 'ver' (XEP-0237)."""
        e = peer.wait(lambda e: is_push(e, jid) and
                      state_matches(push_item(e), **state))
        if e is None:
            pushes = [x for x in peer.log if is_push(x, jid)]
            self.fail("%s: no roster push for %s with %s%s; pushes for it:"
                      "\n%s\nall received:\n%s" %
                      (peer.jid, jid, state, " (%s)" % what if what else "",
                       peer.dump(pushes), peer.dump()))
        self.assertIn(e.get("from"), (None, peer.bare),
                      "push from a foreign JID: %s" % text(e))
        self.assertEqual(e.get("to"), peer.jid, text(e))
        self.assertTrue(e.find(QUERY).get("ver"),
                        "push without ver (XEP-0237 4.3): %s" % text(e))
        return e

    def assertPresence(self, peer, frm, ptype=None, what=None):
        return peer.expect(lambda e: is_presence(e, frm, ptype),
                           what or "presence type=%s from %s" % (ptype, frm))

    def assertRosterItem(self, peer, jid, **state):
        items, _ = peer.roster()
        self.assertIn(jid, items, "%s not in %s's roster: %s" %
                      (jid, peer.jid, items))
        for k, v in state.items():
            self.assertEqual(items[jid][k], v, "%s in %s's roster: %s" %
                             (jid, peer.jid, items[jid]))


# --------------------------------------------------------------------------
# Roster management (RFC 6121 §2, XEP-0237)
# --------------------------------------------------------------------------


class RosterTest(Base):

    def test_stream_features_advertise_rosterver_and_preapproval(self):
        a, = self.accounts("feat")
        p = self.connect(a, "f1")
        self.assertIsNotNone(p.features.find("{%s}ver" % NS_ROSTERVER),
                             text(p.features))
        self.assertIsNotNone(p.features.find("{%s}sub" % NS_PREAPPROVAL),
                             text(p.features))

    def test_set_name_and_groups_pushes_to_interested_resources_only(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.connect(a, "a1")
        a2 = self.connect(a, "a2")
        a3 = self.connect(a, "a3")   # never asks for the roster
        items, ver0 = a1.roster()
        self.assertEqual(items, {})
        self.assertTrue(ver0, "roster result without ver although the "
                        "server advertises rosterver")
        a2.roster()
        mark3 = a3.mark()
        resp = a1.roster_set(b, name="Bobby", groups=["Friends", "Work"])
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertIsNone(resp.find(QUERY), "roster set result has a "
                          "payload: %s" % text(resp))
        for p in (a1, a2):   # including the resource that made the change
            self.assertPush(p, b, subscription="none", ask=None,
                            name="Bobby", groups=["Friends", "Work"])
        self.assertQuiet(a3, mark3, lambda e: is_push(e),
                         "a roster push without having requested the roster "
                         "(RFC 6121 2.1.6 interested resources)",
                         marker_from=a1)
        self.assertRosterItem(a2, b, subscription="none", name="Bobby",
                              groups=["Friends", "Work"])
        # An update replaces name and groups.
        resp = a2.roster_set(b, name="Robert", groups=["Family"])
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertPush(a1, b, name="Robert", groups=["Family"])
        self.assertRosterItem(a1, b, name="Robert", groups=["Family"])
        # Adding an item sends nothing to the contact (no subscription yet).
        self.assertEqual(len(a1.roster()[0]), 1)

    def test_set_ignores_subscription_ask_and_approved(self):
        # RFC 6121 2.1.2: the server ignores 'subscription' (other than
        # remove), 'ask' and 'approved' in a roster set from a client.
        a, b = self.accounts("alice", "bob")
        a1 = self.connect(a, "a1")
        a1.roster()
        resp = a1.roster_set(b, name="B", extra_attrs=" subscription='both' "
                             "ask='subscribe' approved='true'")
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertPush(a1, b, subscription="none", ask=None, approved=None)
        self.assertRosterItem(a1, b, subscription="none", ask=None,
                              approved=None)
        # ... and the contact gets no presence from it.
        b1 = self.online(b, "b1")
        mark = b1.mark()
        a1.presence(status="hello")
        self.assertQuiet(b1, mark, lambda e: presence_from_user(e, a),
                         "presence of a user it only forged a 'both' with",
                         marker_from=a1)

    def test_set_validation_errors(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        a1 = self.connect(a, "a1")
        a1.roster()
        mark = a1.mark()
        cases = [
            ("empty group", "<item jid='%s'><group></group></item>" % b,
             ("modify", "not-acceptable")),
            ("duplicate group", "<item jid='%s'><group>G</group>"
             "<group>G</group></item>" % b, (None, "bad-request")),
            ("two items", "<item jid='%s'/><item jid='%s'/>" % (b, c),
             (None, "bad-request")),
            ("no item", "", (None, "bad-request")),
        ]
        for label, body, (etype, cond) in cases:
            resp = a1.iq("<query xmlns='%s'>%s</query>" % (NS_ROSTER, body),
                         "set")
            self.assertEqual(resp.get("type"), "error",
                             "%s accepted: %s" % (label, text(resp)))
            got = stanza_error(resp)
            self.assertEqual(got[1], cond, "%s: %s" % (label, text(resp)))
            if etype:
                self.assertEqual(got[0], etype, "%s: %s" % (label, text(resp)))
        # Removing an item that is not there: item-not-found (RFC 6121 2.5.3).
        resp = a1.roster_remove(c)
        self.assertEqual(stanza_error(resp), ("cancel", "item-not-found"),
                         text(resp))
        # None of that changed the roster or pushed anything.
        self.assertEqual(a1.roster()[0], {})
        self.assertEqual(a1.since(mark, lambda e: is_push(e)), [])

    def test_cannot_read_or_write_another_users_roster(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        b1 = self.connect(b, "b1")
        b1.roster_set(c, name="secret contact")
        a1 = self.connect(a, "a1")
        resp = a1.iq("<query xmlns='%s'/>" % NS_ROSTER, to=b)
        self.assertEqual(resp.get("type"), "error",
                         "alice read bob's roster: %s" % text(resp))
        self.assertNotIn("secret", text(resp))
        resp = a1.iq("<query xmlns='%s'><item jid='%s' name='x'/></query>" %
                     (NS_ROSTER, a), "set", to=b)
        self.assertEqual(resp.get("type"), "error",
                         "alice wrote bob's roster: %s" % text(resp))
        self.assertEqual(set(b1.roster()[0]), {c})

    def test_versioning(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        a1 = self.connect(a, "a1")
        # A client without a cache (ver='') gets the full roster with a ver.
        resp = a1.roster_get(ver="")
        self.assertEqual(resp.get("type"), "result", text(resp))
        ver0 = resp.find(QUERY).get("ver")
        self.assertTrue(ver0, text(resp))
        # Same ver: an empty result, changes would come as pushes.
        resp = a1.roster_get(ver=ver0)
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertIsNone(resp.find(QUERY),
                          "up-to-date client got a roster: %s" % text(resp))
        # A change is pushed with a new ver ...
        a1.roster_set(b, name="Bob")
        ver1 = self.assertPush(a1, b, name="Bob").find(QUERY).get("ver")
        self.assertNotEqual(ver1, ver0)
        # ... which is current: an empty result for it,
        resp = a1.roster_get(ver=ver1)
        self.assertEqual(resp.get("type"), "result", text(resp))
        self.assertIsNone(resp.find(QUERY), text(resp))
        # and the full roster, with that ver, for the stale one.
        resp = a1.roster_get(ver=ver0)
        q = resp.find(QUERY)
        self.assertIsNotNone(q, "stale ver got an empty result: %s" %
                             text(resp))
        self.assertEqual(q.get("ver"), ver1)
        self.assertEqual([i.get("jid") for i in q.findall(ITEM)], [b])
        # An unknown ver is stale too.
        resp = a1.roster_get(ver="no-such-version")
        self.assertIsNotNone(resp.find(QUERY), text(resp))
        # Subscription changes bump the version as well, on both sides.
        c1 = self.connect(c, "c1")
        _, cver0 = c1.roster()
        a1.subscription("subscribe", c)
        ver2 = self.assertPush(a1, c, ask="subscribe").find(QUERY).get("ver")
        self.assertNotIn(ver2, (ver0, ver1))
        c1.subscription("subscribed", a)
        ver3 = self.assertPush(a1, c, subscription="to").find(QUERY).get("ver")
        cver1 = self.assertPush(c1, a, subscription="from") \
            .find(QUERY).get("ver")
        self.assertNotEqual(cver1, cver0)
        self.assertNotIn(ver3, (ver0, ver1, ver2))
        for p, ver in ((a1, ver3), (c1, cver1)):
            resp = p.roster_get(ver=ver)
            self.assertIsNone(resp.find(QUERY),
                              "ver of the last push is not current: %s" %
                              text(resp))
        # A removal is pushed with a ver too, and the roster shrinks.
        a1.roster_remove(b)
        ver4 = self.assertPush(a1, b, subscription="remove") \
            .find(QUERY).get("ver")
        items, ver = a1.roster()
        self.assertEqual(set(items), {c})
        self.assertEqual(ver, ver4)


# --------------------------------------------------------------------------
# Subscriptions (RFC 6121 §3)
# --------------------------------------------------------------------------


class SubscriptionTest(Base):

    def test_mutual_subscription_ends_in_both(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1", status="a1 here")
        a2 = self.online(a, "a2", status="a2 here")
        b1 = self.online(b, "b1", status="b1 here")
        b2 = self.online(b, "b2", status="b2 here", show="away")
        mark_a = {p: p.mark() for p in (a1, a2)}

        # Alice asks Bob.
        a1.subscription("subscribe", b, status="it's alice")
        for p in (a1, a2):
            self.assertPush(p, b, subscription="none", ask="subscribe")
        for p in (b1, b2):
            req = self.assertPresence(p, a, "subscribe")
            self.assertEqual(status_of(req), "it's alice", text(req))
        # Bob has no visible item for Alice yet: no push, not in the roster.
        self.assertNotIn(a, b1.roster()[0])

        # Bob approves.
        b1.subscription("subscribed", a)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="from", ask=None)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="to", ask=None)
            sub = self.assertPresence(p, b, "subscribed")
            # Then Bob's current presence, from each available resource.
            p1 = self.assertPresence(p, b1.jid, None)
            p2 = self.assertPresence(p, b2.jid, None)
            self.assertEqual(status_of(p1), "b1 here", text(p1))
            self.assertEqual(status_of(p2), "b2 here", text(p2))
            self.assertEqual(show_of(p2), "away", text(p2))
            log = p.log
            self.assertLess(log.index(sub), log.index(p1),
                            "contact presence before 'subscribed'")
            self.assertLess(log.index(sub), log.index(p2))
        # Bob still sees nothing of Alice ('from' only).
        for p in (a1, a2):
            self.assertEqual(p.since(mark_a[p], lambda e: is_presence(
                e, ANY, ANY) and e.get("from") in (b1.jid, b2.jid) and
                e.get("type") == "unavailable"), [])

        # Bob asks Alice back.
        b2.subscription("subscribe", a)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="from", ask="subscribe")
        for p in (a1, a2):
            self.assertPresence(p, b, "subscribe")
        a2.subscription("subscribed", b)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="both", ask=None)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="both", ask=None)
            self.assertPresence(p, a, "subscribed")
            pa1 = self.assertPresence(p, a1.jid, None)
            self.assertPresence(p, a2.jid, None)
            self.assertEqual(status_of(pa1), "a1 here", text(pa1))

        # Roster get agrees on both sides.
        for p, contact in ((a1, b), (b2, a)):
            items, _ = p.roster()
            self.assertEqual(set(items), {contact})
            self.assertEqual(items[contact]["subscription"], "both")
            self.assertIsNone(items[contact]["ask"])
            self.assertIsNone(items[contact]["approved"])

        # And presence now flows both ways.
        a1.presence(status="a1 busy", show="dnd")
        for p in (b1, b2):
            e = p.expect(lambda e: is_presence(e, a1.jid) and
                         status_of(e) == "a1 busy", "a1's update")
            self.assertEqual(show_of(e), "dnd", text(e))
        b2.presence(status="b2 back")
        for p in (a1, a2):
            p.expect(lambda e: is_presence(e, b2.jid) and
                     status_of(e) == "b2 back", "b2's update")

    def test_request_to_offline_user_is_delivered_at_next_login(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1", status="alice online")
        a2 = self.online(a, "a2")
        a1.subscription("subscribe", b, status="please add me")
        for p in (a1, a2):
            self.assertPush(p, b, subscription="none", ask="subscribe")

        # Bob connects and asks for his roster: Alice is not in it, and no
        # request arrives before he is available.
        b1 = self.connect(b, "b1")
        self.assertNotIn(a, b1.roster()[0])
        b1.presence(status="bob here")
        req = self.assertPresence(b1, a, "subscribe",
                                  "stored subscription request at sign-in")
        self.assertEqual(status_of(req), "please add me", text(req))
        self.assertEqual(req.get("to"), b, text(req))
        # Still pending: a second resource gets it at its own sign-in.
        b2 = self.connect(b, "b2")
        b2.roster()
        b2.presence()
        self.assertPresence(b2, a, "subscribe",
                            "pending request at the 2nd resource's sign-in")

        b2.subscription("subscribed", a)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="to", ask=None)
            self.assertPresence(p, b, "subscribed")
            e = self.assertPresence(p, b1.jid, None)
            self.assertEqual(status_of(e), "bob here")
            self.assertPresence(p, b2.jid, None)
        self.assertPush(b1, a, subscription="from")

        # Answered: the next sign-in brings no request any more; it brings
        # nothing from Alice at all since Bob is not subscribed to her.
        b3 = self.connect(b, "b3")
        mark = b3.mark()
        b3.presence()
        self.assertQuiet(b3, mark, lambda e: presence_from_user(e, a),
                         "a resolved subscription request again, or "
                         "Alice's presence", marker_from=a1)

    def test_preapproval(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        b1 = self.online(b, "b1", status="bob's status")
        b2 = self.online(b, "b2")
        mark_a = a1.mark()
        # Bob approves before Alice asked (RFC 6121 3.4).
        b1.subscription("subscribed", a)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="none", approved="true",
                            ask=None)
        self.assertRosterItem(b2, a, subscription="none", approved="true")
        # Alice hears nothing about it.
        self.assertQuiet(a1, mark_a, lambda e: presence_from_user(e, b),
                         "a presence from Bob after his pre-approval",
                         marker_from=b1)
        self.assertNotIn(b, a1.roster()[0])

        # Alice's later request is accepted at once.
        mark_b = {p: p.mark() for p in (b1, b2)}
        a1.subscription("subscribe", b)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="to", ask=None)
            self.assertPresence(p, b, "subscribed")
            e = self.assertPresence(p, b1.jid, None)
            self.assertEqual(status_of(e), "bob's status")
            self.assertPresence(p, b2.jid, None)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="from", approved=None)
        self.assertRosterItem(b1, a, subscription="from", approved=None)
        # Bob's clients never saw a request to answer.
        for p in (b1, b2):
            self.assertQuiet(p, mark_b[p], lambda e: is_presence(
                e, a, "subscribe"), "a pre-approved subscription request",
                marker_from=a1)

    def test_approval_delivers_contact_presence_once(self):
        # RFC 6121 3.1.5: after routing 'subscribed' the contact's server
        # sends the contact's current presence, one stanza per available
        # resource. Not a MUST against repeats, but two identical copies of
        # every presence is a defect (both the outbound and the inbound
        # handling of 'subscribed' queue the same presence share).
        a, b, c = self.accounts("alice", "bob", "carol")
        a1 = self.online(a, "a1")
        b1 = self.online(b, "b1", status="bob here")
        c1 = self.online(c, "c1", status="carol here")
        mark = a1.mark()
        a1.subscription("subscribe", b)
        self.assertPresence(b1, a, "subscribe")
        b1.subscription("subscribed", a)                 # ordinary approval
        c1.subscription("subscribed", a)                 # pre-approval ...
        self.assertPush(c1, a, approved="true")
        a1.subscription("subscribe", c)                  # ... used
        self.assertPresence(a1, b, "subscribed")
        self.assertPresence(a1, c, "subscribed")
        a1.drain(GRACE)
        for r in (b1, c1):
            got = a1.since(mark, lambda e, r=r: is_presence(e, r.jid, None))
            self.assertEqual(len(got), 1, "%s's presence delivered %d times "
                             "after approval:\n%s" %
                             (r.jid, len(got), a1.dump(got)))

    def test_preapproval_cancelled_sends_nothing(self):
        # RFC 6121 3.2.2 steps 1-2 / 3.4: unsubscribed cancelling a
        # pre-approval removes it; the user gets neither 'unsubscribed' nor
        # 'unavailable' presence (she is not subscribed).
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1")
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        b1.subscription("subscribed", a)
        self.assertPush(b1, a, approved="true")
        mark = a1.mark()
        b1.subscription("unsubscribed", a)
        self.assertPush(b1, a, approved=None)
        self.assertPush(b2, a, approved=None)
        self.assertQuiet(a1, mark, lambda e: presence_from_user(e, b),
                         "presence from Bob after he withdrew a "
                         "pre-approval she never used", marker_from=b1)
        # The pre-approval is gone: Alice's request goes to Bob now.
        a1.subscription("subscribe", b)
        self.assertPresence(b1, a, "subscribe")
        self.assertPush(a1, b, subscription="none", ask="subscribe")

    def test_deny(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        b1 = self.online(b, "b1", status="bob online")
        b2 = self.online(b, "b2")
        a1.subscription("subscribe", b)
        self.assertPush(a1, b, ask="subscribe")
        self.assertPresence(b1, a, "subscribe")
        self.assertPresence(b2, a, "subscribe")
        mark_b1 = b1.mark()
        b2.subscription("unsubscribed", a)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="none", ask=None)
            self.assertPresence(p, b, "unsubscribed")
        self.assertNotIn(a, b1.roster()[0])
        for p in (a1, a2):
            self.assertEqual(p.roster()[0][b]["subscription"], "none")
        # Denied: Bob's presence never reaches Alice.
        mark = a1.mark()
        b1.presence(status="bob again")
        self.assertQuiet(a1, mark, lambda e: is_presence(e, b1.jid, None),
                         "available presence of a user who denied her",
                         marker_from=b1)
        # No roster push to Bob about an item he never had.
        self.assertEqual(b1.since(mark_b1, lambda e: is_push(e, a)), [])
        # A new request goes through again.
        a2.subscription("subscribe", b)
        self.assertPresence(b1, a, "subscribe")

    def test_cancel_subscription(self):
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)           # alice 'to' bob
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        for p in (a1, a2):            # probes at sign-in: Bob is online
            self.assertPresence(p, b1.jid, None)
            self.assertPresence(p, b2.jid, None)
        b1.subscription("unsubscribed", a)
        for p in (a1, a2):
            self.assertPresence(p, b, "unsubscribed")
            self.assertPresence(p, b1.jid, "unavailable",
                                "unavailable from b1 (RFC 6121 3.2.2)")
            self.assertPresence(p, b2.jid, "unavailable",
                                "unavailable from b2 (RFC 6121 3.2.2)")
            self.assertPush(p, b, subscription="none", ask=None)
        for p in (b1, b2):
            self.assertPush(p, a, subscription="none")
        mark = a1.mark()
        b2.presence(status="not for alice")
        self.assertQuiet(a1, mark, lambda e: presence_from_user(e, b),
                         "presence after the subscription was cancelled",
                         marker_from=b2)

    def test_cancel_sends_unavailable_before_unsubscribed(self):
        # RFC 6121 3.2.2: "While the user is still subscribed to the
        # contact's presence (i.e., before the contact's server routes or
        # delivers the presence stanza of type "unsubscribed" to the user),
        # the contact's server MUST send a presence stanza of type
        # "unavailable" from all of the contact's online resources".
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        b1 = self.online(b, "b1")
        a1 = self.online(a, "a1")
        self.assertPresence(a1, b1.jid, None)
        b1.subscription("unsubscribed", a)
        unsub = self.assertPresence(a1, b, "unsubscribed")
        unav = self.assertPresence(a1, b1.jid, "unavailable")
        self.assertLess(a1.log.index(unav), a1.log.index(unsub),
                        "'unsubscribed' arrived before b1's 'unavailable':\n"
                        + a1.dump())

    def test_unsubscribe(self):
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        self.assertPresence(a1, b1.jid, None)
        a2.subscription("unsubscribe", b)
        for p in (a1, a2):
            self.assertPush(p, b, subscription="none", ask=None)
        for p in (b1, b2):
            self.assertPresence(p, a, "unsubscribe")
            self.assertPush(p, a, subscription="none")
        mark = a1.mark()
        b1.presence(status="after unsubscribe")
        self.assertQuiet(a1, mark, lambda e: is_presence(e, b1.jid, None),
                         "presence from a contact she unsubscribed from",
                         marker_from=b1)

    def test_unsubscribe_sends_contact_unavailable_to_user(self):
        # RFC 6121 3.3.3 step 3: on an inbound unsubscribe the contact's
        # server generates "unavailable" from each of the contact's
        # available resources to the user.
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        a1 = self.online(a, "a1")
        self.assertPresence(a1, b1.jid, None)
        self.assertPresence(a1, b2.jid, None)
        a1.subscription("unsubscribe", b)
        self.assertPush(a1, b, subscription="none")
        self.assertPresence(a1, b1.jid, "unavailable",
                            "unavailable from b1 after unsubscribing "
                            "(RFC 6121 3.3.3)")
        self.assertPresence(a1, b2.jid, "unavailable",
                            "unavailable from b2 after unsubscribing")

    def test_roster_remove_cancels_both_ways(self):
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        self.subscribe(b, a)
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        self.assertRosterItem(a1, b, subscription="both")
        self.assertPresence(a1, b1.jid, None)
        self.assertPresence(b1, a1.jid, None)
        self.assertPresence(b1, a2.jid, None)

        resp = a1.roster_remove(b)
        self.assertEqual(resp.get("type"), "result", text(resp))
        for p in (a1, a2):
            self.assertPush(p, b, subscription="remove")
        for p in (b1, b2):
            # RFC 6121 2.5.2: both an unsubscribe and an unsubscribed.
            self.assertPresence(p, a, "unsubscribe")
            self.assertPresence(p, a, "unsubscribed")
            self.assertPush(p, a, subscription="none", ask=None)
            # Alice's resources go offline for Bob.
            self.assertPresence(p, a1.jid, "unavailable")
            self.assertPresence(p, a2.jid, "unavailable")
        self.assertNotIn(b, a2.roster()[0])
        self.assertRosterItem(b2, a, subscription="none", ask=None)
        # Nothing flows either way any more.
        mark_b = b1.mark()
        a1.presence(status="alice after remove")
        self.assertQuiet(b1, mark_b, lambda e: is_presence(e, a1.jid, None),
                         "presence after Alice removed him", marker_from=a1)
        mark_a = a2.mark()
        b2.presence(status="bob after remove")
        self.assertQuiet(a2, mark_a, lambda e: is_presence(e, b2.jid, None),
                         "presence after she removed Bob", marker_from=b2)
        # Last activity is now forbidden both ways.
        resp = a1.iq("<query xmlns='%s'/>" % NS_LAST, to=b)
        self.assertEqual(stanza_error(resp)[1], "forbidden", text(resp))

    def test_roster_remove_sends_contact_unavailable_to_user(self):
        # RFC 6121 2.5.2 + 3.3.3 step 3: the removal unsubscribes the user
        # from the contact, so the contact's resources go "unavailable" for
        # the user's resources.
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        b1 = self.online(b, "b1")
        self.assertPresence(a2, b1.jid, None)
        a1.roster_remove(b)
        self.assertPush(a2, b, subscription="remove")
        self.assertPresence(a2, b1.jid, "unavailable",
                            "unavailable from b1 at a2 after a1 removed Bob "
                            "(RFC 6121 3.3.3)")

    def test_subscribe_to_self_is_ignored(self):
        a, = self.accounts("alice")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        mark = a2.mark()
        a1.subscription("subscribe", a)
        a1.sync()
        self.assertQuiet(a2, mark, lambda e: is_presence(e, ANY, "subscribe")
                         or is_push(e), "a self-subscription", marker_from=a1)
        self.assertEqual(a1.roster()[0], {})


# --------------------------------------------------------------------------
# Presence distribution (RFC 6121 §4)
# --------------------------------------------------------------------------


class PresenceTest(Base):

    def test_presence_reaches_only_subscribers(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        self.subscribe(b, a)             # bob sees alice
        c1 = self.online(c, "c1")
        c1.roster_set(a, name="Alice")   # an item without subscription
        c1.subscription("subscribe", a)  # and a pending, unanswered request
        self.assertPush(c1, a, ask="subscribe")
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        c2 = self.online(c, "c2")
        mark_c = {p: p.mark() for p in (c1, c2)}

        a1 = self.online(a, "a1", status="alice one")
        a2 = self.connect(a, "a2")
        a2.roster()
        a2.presence(status="alice two", show="chat", priority=3)
        for p in (b1, b2):
            e = self.assertPresence(p, a1.jid, None)
            self.assertEqual(status_of(e), "alice one")
            self.assertEqual(e.get("to"), b, text(e))
            e = self.assertPresence(p, a2.jid, None)
            self.assertEqual((show_of(e), status_of(e)), ("chat", "alice two"))
        # Her own other resource sees her initial presence.
        e = self.assertPresence(a1, a2.jid, None)
        self.assertEqual(status_of(e), "alice two")
        # Carol sees nothing.
        for p in (c1, c2):
            self.assertQuiet(p, mark_c[p], lambda e: presence_from_user(e, a),
                             "presence of a user she is not subscribed to",
                             marker_from=a1)
        # Alice ('from' only) sees nothing of Bob.
        mark_a = a1.mark()
        b1.presence(status="bob update")
        self.assertQuiet(a1, mark_a, lambda e: presence_from_user(e, b),
                         "presence of Bob who she is not subscribed to",
                         marker_from=b1)
        # Updates reach subscribers only, too.
        mark_c = c1.mark()
        a1.presence(status="alice away", show="xa")
        for p in (b1, b2):
            p.expect(lambda e: is_presence(e, a1.jid) and
                     status_of(e) == "alice away", "alice's update")
        self.assertQuiet(c1, mark_c, lambda e: presence_from_user(e, a),
                         "an update of a user she is not subscribed to",
                         marker_from=a1)

    def test_presence_goes_to_available_resources_only(self):
        a, b = self.accounts("alice", "bob")
        self.subscribe(b, a)
        b1 = self.online(b, "b1")
        b2 = self.connect(b, "b2")   # bound, roster, but no presence yet
        b2.roster()
        mark = b2.mark()
        a1 = self.online(a, "a1", status="hi")
        self.assertPresence(b1, a1.jid, None)
        self.assertQuiet(b2, mark, lambda e: presence_from_user(e, a),
                         "a broadcast while not available (RFC 6121 4.2.2)",
                         marker_from=a1)
        # Becoming available, b2 gets Alice's current presence via probe.
        b2.presence()
        e = self.assertPresence(b2, a1.jid, None, "probe result at sign-in")
        self.assertEqual(status_of(e), "hi")

    def test_probes_at_sign_in_bring_current_presence_with_status(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        self.subscribe(a, b)             # alice sees bob
        self.subscribe(a, c)             # and carol, who stays offline
        b1 = self.online(b, "b1", status="in a meeting", show="dnd")
        b2 = self.online(b, "b2", status="on the phone", priority=-1)
        b3 = self.connect(b, "b3")       # connected but not available
        mark_b = {p: p.mark() for p in (b1, b2)}
        b1.presence(status="in a long meeting", show="dnd")  # newest counts
        b1.sync()

        a1 = self.connect(a, "a1")
        a1.roster()
        a1.presence(status="alice here")
        e1 = self.assertPresence(a1, b1.jid, None, "b1's presence at sign-in")
        e2 = self.assertPresence(a1, b2.jid, None, "b2's presence at sign-in")
        self.assertEqual((show_of(e1), status_of(e1)),
                         ("dnd", "in a long meeting"), text(e1))
        self.assertEqual(status_of(e2), "on the phone", text(e2))
        self.assertEqual(e2.findtext("{%s}priority" % NS_CLIENT), "-1")
        self.assertQuiet(a1, 0, lambda e: is_presence(e, b3.jid, ANY) or
                         presence_from_user(e, c),
                         "presence of a non-available resource or an "
                         "offline contact", marker_from=b1)
        # A second resource signing in gets the same.
        a2 = self.connect(a, "a2")
        a2.presence()
        self.assertPresence(a2, b1.jid, None)
        self.assertPresence(a2, b2.jid, None)
        # Bob ('from' only) does not get Alice's presence.
        for p in (b1, b2):
            self.assertQuiet(p, mark_b[p], lambda e: presence_from_user(e, a),
                             "presence of Alice, not subscribed to her",
                             marker_from=a1)

    def test_unavailable_on_clean_logout_and_killed_connection(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        self.subscribe(b, a)
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")
        c1 = self.online(c, "c1")
        a1 = self.online(a, "a1")
        a2 = self.online(a, "a2")
        a3 = self.online(a, "a3")
        for p in (b1, b2):
            for r in (a1, a2, a3):
                self.assertPresence(p, r.jid, None)
        mark_c = c1.mark()

        # Explicit unavailable with a status: delivered as sent.
        a1.presence(ptype="unavailable", status="gone fishing")
        for p in (b1, b2, a2, a3):
            e = self.assertPresence(p, a1.jid, "unavailable")
            self.assertEqual(status_of(e), "gone fishing", text(e))
        mark_b = b1.mark()
        a1.logout()
        # ... and not a second time at the stream close (RFC 6121 4.5.2).
        self.assertQuiet(b1, mark_b, lambda e: is_presence(e, a1.jid, ANY),
                         "a second unavailable for a1", marker_from=a2)

        # Clean close without unavailable presence.
        a2.logout()
        for p in (b1, b2, a3):
            self.assertPresence(p, a2.jid, "unavailable",
                                "unavailable after a2 closed its stream")

        # Killed TCP connection.
        a3.kill()
        for p in (b1, b2):
            self.assertPresence(p, a3.jid, "unavailable",
                                "unavailable after a3's connection died")
        # Carol, not subscribed, saw none of it.
        self.assertQuiet(c1, mark_c, lambda e: presence_from_user(e, a),
                         "presence of Alice's resources", marker_from=b1)

    def test_directed_presence_and_its_unavailable(self):
        a, c = self.accounts("alice", "carol")   # no subscription at all
        c1 = self.online(c, "c1")
        c2 = self.online(c, "c2")
        a1 = self.online(a, "a1", status="broadcast status")
        a2 = self.online(a, "a2")
        a3 = self.online(a, "a3")
        mark_c2 = c2.mark()

        # To a full JID: only that resource gets it.
        a1.presence(to=c1.jid, status="just for c1")
        e = self.assertPresence(c1, a1.jid, None, "directed presence")
        self.assertEqual(status_of(e), "just for c1")
        # To the bare JID: every available resource.
        a2.presence(to=c, status="for carol")
        for p in (c1, c2):
            self.assertPresence(p, a2.jid, None, "directed presence to bare")
        # a3: directed presence, then a directed unavailable.
        a3.presence(to=c1.jid)
        self.assertPresence(c1, a3.jid, None)
        a3.presence(to=c1.jid, ptype="unavailable")
        self.assertPresence(c1, a3.jid, "unavailable")

        # A broadcast update is not sent to directed-presence recipients.
        mark_c1 = c1.mark()
        a1.presence(status="new broadcast")
        self.assertQuiet(c1, mark_c1, lambda e: presence_from_user(e, a),
                         "a broadcast of a user she is not subscribed to",
                         marker_from=a1)

        # Going offline: each recipient of directed presence hears it.
        a1.logout()
        self.assertPresence(c1, a1.jid, "unavailable",
                            "unavailable after directed presence (a1 logout)")
        a2.kill()
        for p in (c1, c2):
            self.assertPresence(p, a2.jid, "unavailable",
                                "unavailable after directed presence to the "
                                "bare JID (a2 killed)")
        a3.logout()
        self.assertQuiet(c1, mark_c1, lambda e: is_presence(e, a3.jid, ANY),
                         "a second unavailable from a3 (already sent "
                         "directed unavailable)", marker_from=c2)
        # c2 got only what was for the bare JID.
        self.assertEqual(
            [x for x in c2.since(mark_c2, lambda e: presence_from_user(e, a))
             if x.get("from") != a2.jid], [],
            "c2 got presence meant for c1:\n" + c2.dump())

    def test_message_to_bare_jid_follows_presence_priority(self):
        a, b = self.accounts("alice", "bob")
        a1 = self.online(a, "a1", priority=5)
        a2 = self.online(a, "a2", priority=1)
        b1 = self.online(b, "b1")
        body = unique("to-bare")
        b1.message(a, body)
        a1.expect(lambda e: is_message(e, body), "bare message at prio 5")
        mark = a2.mark()
        self.assertQuiet(a2, mark, lambda e: is_message(e, body),
                         "the bare-JID message (lower priority)",
                         marker_from=b1)
        a1.presence(priority=-1)
        a1.sync()
        body = unique("to-bare-2")
        b1.message(a, body)
        a2.expect(lambda e: is_message(e, body),
                  "bare message after a1 went negative")
        mark = a1.mark()
        self.assertQuiet(a1, mark, lambda e: is_message(e, body),
                         "a bare-JID message at negative priority",
                         marker_from=b1)


# --------------------------------------------------------------------------
# Last activity of contacts (XEP-0012 §4, on a bare JID)
# --------------------------------------------------------------------------


class LastActivityTest(Base):

    def last(self, asker, target):
        return asker.iq("<query xmlns='%s'/>" % NS_LAST, to=target)

    def seconds(self, resp):
        self.assertEqual(resp.get("type"), "result", text(resp))
        q = resp.find("{%s}query" % NS_LAST)
        self.assertIsNotNone(q, text(resp))
        return int(q.get("seconds")), (q.text or "")

    def test_forbidden_online_offline(self):
        a, b, c = self.accounts("alice", "bob", "carol")
        self.subscribe(a, b)               # alice may ask about bob
        a1 = self.online(a, "a1")
        c1 = self.online(c, "c1")
        b1 = self.online(b, "b1")
        b2 = self.online(b, "b2")

        # Not subscribed: forbidden, whether Bob is online or not.
        resp = self.last(c1, b)
        self.assertEqual(stanza_error(resp), ("auth", "forbidden"), text(resp))
        # Bob only has a 'from' subscription to Alice: forbidden for him.
        resp = self.last(b1, a)
        self.assertEqual(stanza_error(resp)[1], "forbidden", text(resp))

        # Online: 0.
        self.assertEqual(self.seconds(self.last(a1, b))[0], 0)
        # One resource left, one still online: still 0.
        b1.presence(ptype="unavailable", status="first one out")
        b1.logout()
        self.assertEqual(self.seconds(self.last(a1, b))[0], 0)

        # Offline: seconds since the last resource left, with its status.
        b2.presence(ptype="unavailable", status="gone fishing")
        b2.logout()
        left = time.monotonic()
        time.sleep(2.2)
        secs, status = self.seconds(self.last(a1, b))
        elapsed = time.monotonic() - left
        self.assertGreaterEqual(secs, 1, "seconds=%d, %.1f s after logout" %
                                (secs, elapsed))
        self.assertLessEqual(secs, elapsed + 2)
        self.assertEqual(status, "gone fishing")
        resp = self.last(c1, b)
        self.assertEqual(stanza_error(resp)[1], "forbidden", text(resp))

    def test_offline_after_killed_connection(self):
        a, b = self.accounts("alice", "bob")
        self.subscribe(a, b)
        a1 = self.online(a, "a1")
        b1 = self.online(b, "b1", status="about to crash")
        self.assertPresence(a1, b1.jid, None)
        b1.kill()
        self.assertPresence(a1, b1.jid, "unavailable")
        secs, status = self.seconds(self.last(a1, b))
        self.assertGreaterEqual(secs, 0)
        self.assertLessEqual(secs, 3)
        # Back online: 0 again.
        b2 = self.online(b, "b2")
        self.assertPresence(a1, b2.jid, None)
        self.assertEqual(self.seconds(self.last(a1, b))[0], 0)


# --------------------------------------------------------------------------
# Concurrency: roster state under simultaneous changes
# --------------------------------------------------------------------------


class ConcurrencyTest(Base):

    def test_concurrent_roster_sets_get_distinct_versions(self):
        # XEP-0237: a version identifies one roster state; two different
        # changes must not be pushed with the same ver, and every change
        # must be kept. Two resources fire 100 roster sets without waiting,
        # for up to ten rounds (the race is narrow).
        for rnd in range(10):
            a, = self.accounts("alice%d" % rnd)
            a1 = self.connect(a, "a1")
            a2 = self.connect(a, "a2")
            a1.roster()
            a2.roster()
            contacts = ["c%02d-%s@%s" % (i, uuid.uuid4().hex[:4], h.DOMAIN)
                        for i in range(100)]
            for i, jid in enumerate(contacts):   # fire without waiting
                (a1 if i % 2 else a2).send(
                    "<iq type='set' id='cset-%d'><query xmlns='%s'><item "
                    "jid='%s'/></query></iq>" % (i, NS_ROSTER, jid))
            pushes = {}
            for jid in contacts:
                e = self.assertPush(a1, jid)
                pushes[jid] = e.find(QUERY).get("ver")
            for i in range(len(contacts)):
                p = a1 if i % 2 else a2
                r = p.expect(lambda e, i=i: e.tag == IQ and
                             e.get("id") == "cset-%d" % i, "set result %d" % i)
                self.assertEqual(r.get("type"), "result", text(r))
            vers = list(pushes.values())
            dup = sorted({v for v in vers if vers.count(v) > 1})
            if dup:
                self.fail("round %d: the same roster ver pushed for different "
                          "changes: %s" % (rnd + 1, {
                              j: v for j, v in pushes.items() if v in dup}))
            items, ver = a1.roster()
            self.assertEqual(set(items), set(contacts))
            resp = a1.roster_get(ver=ver)
            self.assertIsNone(resp.find(QUERY), text(resp))
            a1.logout()
            a2.logout()

    def test_simultaneous_mutual_subscribe_and_approve(self):
        # Two users ask each other at the same moment, then both approve at
        # the same moment. Each change reads and writes both rosters; the
        # server must not lose one of two concurrent updates (a lost
        # 'pending in' turns the approval into a pre-approval, a lost 'to'
        # leaves 'from' + ask). Ten rounds make the race show up reliably.
        for rnd in range(10):
            a, b = self.accounts("alice%d" % rnd, "bob%d" % rnd)
            pa = self.online(a, "a1")
            pb = self.online(b, "b1")
            pa.subscription("subscribe", b)
            pb.subscription("subscribe", a)
            self.assertPresence(pa, b, "subscribe")
            self.assertPresence(pb, a, "subscribe")
            for p, other in ((pa, b), (pb, a)):
                p.wait(lambda e, o=other: is_push(e, o) and state_matches(
                    push_item(e), subscription="none", ask="subscribe"), 2.0)
            pa.subscription("subscribed", b)
            pb.subscription("subscribed", a)
            bad = []
            for p, other in ((pa, b), (pb, a)):
                p.wait(lambda e, o=other: is_push(e, o) and state_matches(
                    push_item(e), subscription="both", ask=None), 2.0)
                st = p.roster()[0].get(other)
                if not st or st["subscription"] != "both" or st["ask"] or \
                        st["approved"]:
                    pushes = [dict(push_item(e).attrib) for e in p.log
                              if is_push(e, other)]
                    bad.append("%s's item for %s: %s; pushes: %s" %
                               (p.bare, other, st, pushes))
            if bad:
                self.fail("round %d: concurrent subscription changes lost "
                          "updates:\n%s" % (rnd + 1, "\n".join(bad)))
            pa.logout()
            pb.logout()


# --------------------------------------------------------------------------
# Robustness: clients leaving at the same time
# --------------------------------------------------------------------------


class ServerRobustnessTest(Base):

    def test_server_survives_client_closing_right_after_stream_end(self):
        # A client that ends its stream and closes its socket at once
        # (</stream:stream>, then close(), no waiting for the server's
        # </stream:stream>) is ordinary. The server's reply then meets a
        # closed socket; it must not die of SIGPIPE. (Clients dropping TCP
        # while the server writes to them, e.g. several resources of one
        # user leaving together, hit the same fault.)
        a, = self.accounts("alice")
        for i in range(20):
            p = self.connect(a, "r%d" % i)
            p.presence()
            p.sync()
            p.send("</stream:stream>")
            p.r.sock.close()
            p.r.closed = True
            p.gone = True
            if self.server.wait(0.1) is not None:
                code = self.server.exit_code
                self.server.start()   # a fresh one for the tests after
                self.fail("telexd died (exit code %s; -13 = SIGPIPE) after a "
                          "client sent </stream:stream> and closed its TLS "
                          "socket right away (attempt %d)" % (code, i + 1))
        # Still serving.
        self.online(a, "after").sync()


if __name__ == "__main__":
    h.main()
