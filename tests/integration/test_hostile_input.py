"""Hostile input: stream errors, size limits, auth throttling, timeouts.

After every attack the server must still serve others: a client that was
connected before stays connected and receives a message from a client that
logs in fresh.

Run: /usr/bin/python3 tests/integration/test_hostile_input.py --telexd build/telexd
"""

import os
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import NS_CLIENT, NS_SASL, run  # noqa: E402

USERS = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}

UNAUTH_LIMIT = 8192
AUTH_LIMIT = 262144


class HealthMixin:
    """A watcher session (bob/watch) lives for the whole class; after each
    attack check_health() logs a fresh client in and sends it a message."""

    watcher = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_watcher()

    @classmethod
    def tearDownClass(cls):
        if cls.watcher is not None:
            run(cls.watcher.disconnect())
        super().tearDownClass()

    @classmethod
    def start_watcher(cls):
        cls.watcher = h.XmppClient(cls.server, "bob@localhost/watch",
                                   USERS["bob@localhost"])
        run(cls.watcher.login(), timeout=15)

    def setUp(self):
        super().setUp()
        if not self.watcher.connected():
            # An earlier test broke it; start again so failures don't cascade.
            type(self).start_watcher()

    def check_health(self):
        self.assertTrue(self.server.running(), "telexd died")
        h.pump(0.05)
        self.assertTrue(self.watcher.connected(),
                        "an innocent, already connected session was dropped")
        fresh = self.client("alice@localhost/fresh-" + uuid.uuid4().hex[:6])
        outcome = run(fresh.connect(), timeout=15)
        self.assertEqual(outcome, "ok", "a fresh client cannot log in after "
                         "the attack (auth failures %s)" % fresh.auth_failures)
        body = "alive-" + uuid.uuid4().hex
        fresh.send_message(self.watcher.bound_jid, body)
        msg = run(self.watcher.wait_message(body))
        self.assertIsNotNone(msg, "watcher did not receive a message after "
                             "the attack")
        self.assertEqual(msg["from"].full, fresh.bound_jid)
        self.assertTrue(self.watcher.connected())
        run(fresh.disconnect())


class StreamErrorTest(HealthMixin, h.ServerTestCase):
    users = USERS

    # -- helpers ------------------------------------------------------------
    def opened(self):
        """A raw client with a stream opened on the STARTTLS port (no TLS)."""
        r = self.raw()
        r.open_stream()
        return r

    def authed(self):
        r = self.raw()
        r.login("alice", USERS["alice@localhost"],
                resource="raw-" + uuid.uuid4().hex[:6])
        return r

    def assertStreamError(self, r, expected, timeout=5):
        cond = r.stream_error(timeout=timeout)
        if isinstance(expected, str):
            expected = (expected,)
        self.assertIn(cond, expected, "stream error %r, expected %s; "
                      "received: %r" % (cond, expected,
                                        bytes(r.all_raw[-600:])))
        self.assertTrue(r.wait_closed(3),
                        "connection not closed after the stream error")
        self.check_health()

    # -- not-well-formed ----------------------------------------------------
    def test_not_well_formed_before_auth(self):
        r = self.opened()
        r.send("<message><body>x</bodyy></message>")
        self.assertStreamError(r, "not-well-formed")

    def test_not_well_formed_after_tls(self):
        r = self.raw()
        r.secure()
        r.send("<auth xmlns='%s' mechanism='PLAIN'>=</auth></auth>" % NS_SASL)
        self.assertStreamError(r, "not-well-formed")

    def test_not_well_formed_after_auth(self):
        r = self.authed()
        r.send("<message to='bob@localhost/watch'><body>x</message>")
        self.assertStreamError(r, "not-well-formed")

    def test_garbage_instead_of_stream_header(self):
        r = self.raw()
        r.send("this is not xml at all\r\n")
        self.assertStreamError(r, "not-well-formed")

    def test_invalid_utf8(self):
        r = self.opened()
        r.send(b"<message><body>\xff\xfe\xc3</body></message>")
        self.assertStreamError(r, ("not-well-formed", "unsupported-encoding"))

    def test_undefined_entity(self):
        r = self.opened()
        r.send("<message><body>&bogus;</body></message>")
        self.assertStreamError(r, ("not-well-formed", "restricted-xml"))

    # -- restricted-xml -----------------------------------------------------
    def test_comment_before_auth(self):
        r = self.opened()
        r.send("<!-- a comment -->")
        self.assertStreamError(r, "restricted-xml")

    def test_comment_inside_stanza_after_auth(self):
        r = self.authed()
        r.send("<message to='bob@localhost/watch'><!-- hi --><body>"
               "commented</body></message>")
        self.assertStreamError(r, "restricted-xml")
        self.assertFalse(self.watcher.has_message("commented"))

    def test_processing_instruction(self):
        r = self.opened()
        r.send("<?evil instruction?>")
        self.assertStreamError(r, "restricted-xml")

    def test_doctype(self):
        r = self.raw()
        r.send("<?xml version='1.0'?><!DOCTYPE stream:stream>" +
               r.stream_header())
        self.assertStreamError(r, "restricted-xml")

    def test_internal_entity_declaration(self):
        # A "billion laughs" DOCTYPE must be refused, never expanded.
        r = self.raw()
        lol = "".join("<!ENTITY l%d '&l%d;&l%d;&l%d;&l%d;'>" %
                      (i, i - 1, i - 1, i - 1, i - 1) for i in range(1, 10))
        r.send("<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY l0 'lol'>" +
               lol + "]>" + r.stream_header() +
               "<message><body>&l9;</body></message>")
        self.assertStreamError(r, "restricted-xml")

    def test_xml_declaration_and_predefined_entities_are_allowed(self):
        r = self.raw()
        r.login("alice", USERS["alice@localhost"], resource="decl",
                xml_decl=True)
        r.send("<message to='bob@localhost/watch' type='chat'><body>"
               "&lt;b&gt; &amp; &#65;&#x42; &quot;&apos;</body></message>")
        msg = run(self.watcher.wait_message("<b> & AB \"'"))
        self.assertIsNotNone(msg, "predefined entities / character "
                             "references not accepted")
        self.check_health()

    # -- namespaces and hosts -----------------------------------------------
    def test_invalid_stream_namespace(self):
        r = self.raw()
        r.open_stream_only(stream_ns="http://example.com/not-streams")
        self.assertStreamError(r, "invalid-namespace")

    def test_invalid_content_namespace(self):
        r = self.raw()
        r.open_stream_only(xmlns="urn:example:bogus")
        self.assertStreamError(r, "invalid-namespace")

    def test_host_unknown(self):
        r = self.raw()
        r.open_stream_only(to="unknown.example")
        self.assertStreamError(r, "host-unknown")

    # -- size limits --------------------------------------------------------
    def test_oversized_stanza_before_auth(self):
        r = self.opened()
        # Never finished: the server must count bytes while parsing.
        r.send_chunked("<message><body>" + "a" * (UNAUTH_LIMIT + 2000))
        self.assertStreamError(r, "policy-violation")

    def test_oversized_auth_element_after_tls(self):
        r = self.raw()
        r.secure()
        r.send_chunked("<auth xmlns='%s' mechanism='PLAIN'>" % NS_SASL +
                       "QUFB" * ((UNAUTH_LIMIT + 2000) // 4) + "</auth>")
        self.assertStreamError(r, "policy-violation")

    def test_oversized_attribute_before_auth(self):
        # expat keeps a start tag whole until '>', so this needs byte
        # counting on the raw input, not per parser callback.
        r = self.opened()
        r.send_chunked("<message id='" + "x" * (UNAUTH_LIMIT + 2000) + "'/>")
        self.assertStreamError(r, "policy-violation")

    def test_big_stanza_after_auth_is_allowed(self):
        # Bigger than the pre-auth limit, well under the post-auth one.
        r = self.authed()
        body = "big-" + "b" * 200000
        r.send_chunked("<message to='bob@localhost/watch' type='chat'><body>"
                       + body + "</body></message>")
        msg = run(self.watcher.wait_message(body, timeout=10))
        self.assertIsNotNone(msg, "a 200 kB message was not delivered")
        self.assertIsNone(r.stream_error(timeout=0.5))
        self.check_health()

    def test_oversized_stanza_after_auth(self):
        r = self.authed()
        r.send_chunked("<message to='bob@localhost/watch' type='chat'><body>"
                       + "c" * (AUTH_LIMIT + 10000) + "</body></message>")
        self.assertStreamError(r, "policy-violation")

    def test_deep_nesting_does_not_crash(self):
        # Addressed to a user that does not exist so that no slixmpp client
        # has to digest it; the server may bounce it back to us.
        r = self.authed()
        depth = 20000
        r.send_chunked("<message to='nobody@localhost'><body>deep</body>"
                       "<x xmlns='urn:telex:test:deep'>" + "<a>" * depth +
                       "</a>" * depth + "</x></message>")
        cond = r.stream_error(timeout=5)
        # A max_depth limit gives policy-violation; without one, no error.
        self.assertIn(cond, (None, "policy-violation"))
        self.check_health()

    # -- protocol abuse -----------------------------------------------------
    def test_stanza_before_auth_is_rejected(self):
        r = self.raw()
        r.secure()
        r.send("<message to='bob@localhost/watch'><body>sneaky</body>"
               "</message>")
        cond = r.stream_error(timeout=5)
        self.assertEqual(cond, "not-authorized")
        h.pump(0.2)
        self.assertFalse(self.watcher.has_message("sneaky"))
        self.check_health()

    def test_abrupt_disconnects_mid_handshake(self):
        for step in range(4):
            r = self.raw()
            if step >= 1:
                r.open_stream()
            if step >= 2:
                r.starttls()
            if step >= 3:
                r.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>" %
                       NS_SASL)
            r.close()
        self.check_health()


class AuthThrottleTest(HealthMixin, h.ServerTestCase):
    users = USERS
    settings = {"auth.failure_limit": 5, "auth.failure_window": 60,
                "auth.failure_delay": 2}
    DELAY = 2.0

    def timed_attempt(self, source, password="wrong"):
        """One PLAIN attempt from ``source`` on the direct-TLS port; returns
        (seconds from <auth/> to the answer, ok, condition)."""
        r = self.raw(self.server.tls_port, direct_tls=True, source=source,
                     timeout=15)
        r.open_stream()
        t0 = time.monotonic()
        ok, cond = r.auth_plain("alice", password, timeout=15)
        elapsed = time.monotonic() - t0
        r.close()
        return elapsed, ok, cond

    def test_failures_are_delayed_after_limit(self):
        # All from 127.0.0.2 so that the watcher and health-check logins
        # (from 127.0.0.1) come from another address.
        src = "127.0.0.2"
        times = []
        for _ in range(5):
            elapsed, ok, cond = self.timed_attempt(src)
            self.assertEqual((ok, cond), (False, "not-authorized"))
            times.append(elapsed)
        for i, t in enumerate(times):
            self.assertLess(t, self.DELAY, "failure %d already delayed "
                            "(%.2f s): %s" % (i + 1, t, times))
        elapsed, ok, cond = self.timed_attempt(src)
        self.assertEqual((ok, cond), (False, "not-authorized"))
        self.assertGreaterEqual(elapsed, self.DELAY * 0.9,
                                "6th failure answered after %.2f s, expected "
                                ">= %.1f s (first five: %s)" %
                                (elapsed, self.DELAY, times))
        self.assertLess(elapsed, self.DELAY + 8)
        # Another address is not throttled.
        elapsed, ok, cond = self.timed_attempt("127.0.0.3")
        self.assertEqual((ok, cond), (False, "not-authorized"))
        self.assertLess(elapsed, self.DELAY, "throttling is not per address")
        # The right password from the throttled address still gets in
        # (possibly after the delay).
        elapsed, ok, cond = self.timed_attempt(src, USERS["alice@localhost"])
        self.assertTrue(ok, "correct password refused while throttled: %s"
                        % cond)
        self.check_health()


class AuthTimeoutTest(HealthMixin, h.ServerTestCase):
    users = USERS
    settings = {"c2s.auth_timeout": 2}

    def test_unauthenticated_connections_time_out(self):
        t0 = time.monotonic()
        idle_stream = self.raw()
        idle_stream.open_stream()
        idle_tls = self.raw()
        idle_tls.secure()
        silent = self.raw()            # never sends a byte
        trickle = self.raw()           # keeps sending whitespace
        trickle.open_stream()
        # An authenticated raw session must survive the timeout.
        authed = self.raw()
        jid = authed.login("alice", USERS["alice@localhost"], resource="ok")
        # Not before the timeout...
        while time.monotonic() < t0 + 1.0:
            trickle.send(" ")
            time.sleep(0.1)
        self.assertIsNone(idle_stream.stream_error(timeout=0.2),
                          "unauthenticated stream closed before auth_timeout")
        self.assertFalse(idle_stream.closed)
        # ... but after it, even while the client keeps sending whitespace.
        while time.monotonic() < t0 + 4.5:
            trickle.send(" ")
            time.sleep(0.25)
        for name, r in (("idle stream", idle_stream), ("idle tls", idle_tls),
                        ("whitespace trickle", trickle)):
            cond = r.stream_error(timeout=6)
            self.assertEqual(cond, "connection-timeout", name)
            self.assertTrue(r.wait_closed(5), name)
        self.assertTrue(silent.wait_closed(6),
                        "a connection that never sent a byte stays open")
        cond = silent.stream_error(timeout=0.1)
        self.assertIn(cond, (None, "connection-timeout"))
        # The authenticated sessions are still there.
        self.assertFalse(authed.closed)
        body = "after-timeout-" + uuid.uuid4().hex
        self.watcher.send_message(jid, body)
        h.pump(0.2)  # let slixmpp actually write it
        got = authed.next(timeout=5)
        while got is not None and got.findtext("{%s}body" % NS_CLIENT) != body:
            got = authed.next(timeout=5)
        self.assertIsNotNone(got, "authenticated session lost after "
                             "auth_timeout")
        self.check_health()


if __name__ == "__main__":
    h.main()
