"""Login: TLS, SASL, resource binding, sessions and the user CLI.

Run: /usr/bin/python3 tests/integration/test_login.py --telexd build/telexd
"""

import os
import sys
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import (NS_BIND, NS_CLIENT, NS_STREAM,  # noqa: E402
                            NS_TLS, run, stanza_error)

PASSWORDS = {
    "alice@localhost": "alice-secret",
    "bob@localhost": "bob-secret",
    "carol@localhost": "carol-secret",
}


class LoginTest(h.ServerTestCase):
    # Many deliberate failures happen here; the throttle is tested in
    # test_hostile_input.py, so keep it out of the way.
    settings = {"auth.failure_limit": 1000}
    users = PASSWORDS

    # -- stream features ----------------------------------------------------
    def test_features_before_tls_offer_only_required_starttls(self):
        r = self.raw()
        features = r.open_stream()
        children = list(features)
        self.assertEqual([c.tag for c in children], ["{%s}starttls" % NS_TLS],
                         ET.tostring(features, encoding="unicode"))
        self.assertIsNotNone(children[0].find("{%s}required" % NS_TLS),
                             "STARTTLS must be marked <required/>")
        self.assertEqual(r.root.tag, "{%s}stream" % NS_STREAM)
        self.assertEqual(r.root.get("from"), "localhost")
        self.assertTrue(r.root.get("id"), "server stream header needs an id")
        self.assertEqual(r.root.get("version"), "1.0")

    def test_mechanisms_after_starttls(self):
        r = self.raw()
        features = r.secure()
        mechs = h.mechanisms_of(features)
        for m in ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"):
            self.assertIn(m, mechs)
        self.assertIsNone(features.find("{%s}starttls" % NS_TLS),
                          "STARTTLS offered again after TLS")

    def test_direct_tls_port_offers_sasl_at_once(self):
        r = self.raw(self.server.tls_port, direct_tls=True)
        features = r.open_stream()
        self.assertIsNone(features.find("{%s}starttls" % NS_TLS))
        self.assertIn("PLAIN", h.mechanisms_of(features))

    def test_auth_before_tls_is_encryption_required(self):
        r = self.raw()
        r.open_stream()
        ok, cond = r.auth_plain("alice", PASSWORDS["alice@localhost"])
        self.assertFalse(ok, "PLAIN accepted on an unencrypted stream")
        self.assertEqual(cond, "encryption-required")

    # -- SASL mechanisms through slixmpp ------------------------------------
    def _login_with(self, mech, direct_tls=False):
        c = self.client("alice@localhost/" + mech.lower(), mech=mech,
                        direct_tls=direct_tls)
        outcome = run(c.connect(), timeout=15)
        self.assertEqual(outcome, "ok", "auth failures: %s, offered %s" %
                         (c.auth_failures, c.mechs_offered))
        self.assertEqual(c.mech_used, mech)
        self.assertEqual(c.bound_jid, "alice@localhost/" + mech.lower())
        return c

    def test_starttls_scram_sha_256(self):
        self._login_with("SCRAM-SHA-256")

    def test_starttls_scram_sha_1(self):
        self._login_with("SCRAM-SHA-1")

    def test_starttls_plain(self):
        self._login_with("PLAIN")

    def test_direct_tls_scram_sha_256(self):
        self._login_with("SCRAM-SHA-256", direct_tls=True)

    def test_direct_tls_plain(self):
        self._login_with("PLAIN", direct_tls=True)

    def _expect_auth_failure(self, jid, password, mech):
        c = self.client(jid, password, mech=mech)
        outcome = run(c.connect(), timeout=15)
        self.assertEqual(outcome, "auth_failed",
                         "%s with %s: expected an auth failure" % (jid, mech))
        self.assertEqual(c.auth_failures, ["not-authorized"])

    def test_wrong_password_scram_sha_256(self):
        self._expect_auth_failure("alice@localhost/x", "wrong", "SCRAM-SHA-256")

    def test_wrong_password_scram_sha_1(self):
        self._expect_auth_failure("alice@localhost/x", "wrong", "SCRAM-SHA-1")

    def test_wrong_password_plain(self):
        self._expect_auth_failure("alice@localhost/x", "wrong", "PLAIN")

    def test_unknown_user_scram_sha_256(self):
        self._expect_auth_failure("nobody@localhost/x", "whatever",
                                  "SCRAM-SHA-256")

    def test_unknown_user_plain(self):
        self._expect_auth_failure("nobody@localhost/x", "whatever", "PLAIN")

    def test_retry_after_failure_on_same_stream(self):
        # RFC 6120 6.4.5: the client may retry on the same stream.
        r = self.raw()
        r.secure()
        ok, cond = r.auth_plain("alice", "wrong")
        self.assertEqual((ok, cond), (False, "not-authorized"))
        ok, cond = r.auth_plain("alice", PASSWORDS["alice@localhost"])
        self.assertTrue(ok, "retry with the right password failed: %s" % cond)

    # -- binding and sessions -----------------------------------------------
    def test_bind_server_generated_resource(self):
        r = self.raw()
        r.secure()
        self.assertEqual(r.auth_plain("alice", PASSWORDS["alice@localhost"]),
                         (True, None))
        features = r.open_stream()
        self.assertIsNotNone(features.find("{%s}bind" % NS_BIND),
                             "no <bind/> feature after SASL")
        resp = r.bind(None)
        self.assertEqual(resp.get("type"), "result")
        jid = resp.findtext("{%s}bind/{%s}jid" % (NS_BIND, NS_BIND))
        self.assertTrue(jid and jid.startswith("alice@localhost/") and
                        len(jid) > len("alice@localhost/"), jid)

    def test_bind_requested_resource_and_legacy_session(self):
        r = self.raw()
        jid = r.login("alice", PASSWORDS["alice@localhost"], resource="desk",
                      session=True)
        self.assertEqual(jid, "alice@localhost/desk")

    def test_bind_before_auth_is_refused(self):
        r = self.raw()
        r.secure()
        r.send("<iq type='set' id='b0'><bind xmlns='%s'><resource>x"
               "</resource></bind></iq>" % NS_BIND)
        # Either a stanza error or a stream error (not-authorized) is fine,
        # but never a successful bind.
        elem = r.next(timeout=5)
        if elem is not None and elem.tag == "{%s}iq" % NS_CLIENT:
            self.assertEqual(elem.get("type"), "error",
                             ET.tostring(elem, encoding="unicode"))

    def test_two_resources_at_once(self):
        a = self.login("alice@localhost/one")
        b = self.login("alice@localhost/two")
        a.send_message("alice@localhost/two", "to my other resource")
        msg = run(b.wait_message("to my other resource"))
        self.assertIsNotNone(msg)
        self.assertEqual(msg["from"].full, "alice@localhost/one")
        b.send_message("alice@localhost/one", "and back")
        self.assertIsNotNone(run(a.wait_message("and back")))
        self.assertTrue(a.connected() and b.connected())

    def test_same_full_jid_replaces_old_session_with_conflict(self):
        old = self.login("alice@localhost/dup")
        new = self.login("alice@localhost/dup")
        self.assertEqual(new.bound_jid, "alice@localhost/dup")
        self.assertEqual(run(old.wait_stream_error(10)), "conflict")
        self.assertTrue(run(old.wait_disconnected(10)),
                        "old session not closed after <conflict/>")
        sender = self.login("bob@localhost/s")
        sender.send_message("alice@localhost/dup", "who gets this")
        self.assertIsNotNone(run(new.wait_message("who gets this")))
        self.assertTrue(new.connected())

    def test_eleventh_resource_is_refused(self):
        raws = []
        for i in range(10):
            r = self.raw()
            jid = r.login("carol", PASSWORDS["carol@localhost"],
                          resource="r%d" % i)
            self.assertEqual(jid, "carol@localhost/r%d" % i)
            raws.append(r)
        r11 = self.raw()
        r11.secure()
        self.assertEqual(r11.auth_plain("carol",
                                        PASSWORDS["carol@localhost"]),
                         (True, None))
        r11.open_stream()
        resp = r11.bind("r10")
        self.assertEqual(resp.get("type"), "error",
                         ET.tostring(resp, encoding="unicode"))
        self.assertEqual(stanza_error(resp), ("wait", "resource-constraint"))
        # The ten first sessions are untouched.
        bob = self.login("bob@localhost/count")
        bob.send_message("carol@localhost/r0", "still here?")
        h.pump(0.2)  # let slixmpp actually write it
        got = raws[0].next(timeout=5)
        self.assertIsNotNone(got)
        self.assertEqual(got.findtext("{%s}body" % NS_CLIENT), "still here?")
        # Freeing one slot lets a new resource bind.
        raws[9].send("</stream:stream>")
        raws[9].wait_closed(5)
        raws[9].close()
        deadline = time.monotonic() + 5
        while True:
            resp = r11.bind("r10b")
            if resp.get("type") == "result" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(resp.get("type"), "result",
                         "slot not freed after a session ended: %s" %
                         ET.tostring(resp, encoding="unicode"))

    # -- user CLI while the server runs -------------------------------------
    def test_cli_user_add_while_running(self):
        self.server.add_user("dave@localhost", "dave-pw")
        c = self.client("dave@localhost/a", "dave-pw", mech="SCRAM-SHA-256")
        self.assertEqual(run(c.connect(), timeout=15), "ok")
        self.assertIn("dave@localhost", self.server.list_users())

    def test_cli_user_add_password_from_stdin(self):
        res = self.server.cli("user", "add", "frida@localhost",
                              password_stdin="frida-pw\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        c = self.client("frida@localhost/a", "frida-pw", mech="PLAIN")
        self.assertEqual(run(c.connect(), timeout=15), "ok")

    def test_cli_user_del(self):
        self.server.add_user("erin@localhost", "erin-pw")
        c = self.client("erin@localhost/a", "erin-pw")
        self.assertEqual(run(c.connect(), timeout=15), "ok")
        run(c.disconnect())
        self.server.del_user("erin@localhost")
        self.assertNotIn("erin@localhost", self.server.list_users())
        for mech in ("SCRAM-SHA-256", "PLAIN"):
            c = self.client("erin@localhost/b", "erin-pw", mech=mech)
            self.assertEqual(run(c.connect(), timeout=15), "auth_failed", mech)
            self.assertEqual(c.auth_failures, ["not-authorized"])

    def test_cli_user_passwd(self):
        self.server.add_user("fred@localhost", "old-pw")
        self.server.passwd("fred@localhost", "new-pw")
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"):
            c = self.client("fred@localhost/n", "new-pw", mech=mech)
            self.assertEqual(run(c.connect(), timeout=15), "ok",
                             "new password refused with %s" % mech)
            run(c.disconnect())
            c = self.client("fred@localhost/o", "old-pw", mech=mech)
            self.assertEqual(run(c.connect(), timeout=15), "auth_failed",
                             "old password still works with %s" % mech)

    def test_cli_user_list(self):
        out = self.server.list_users()
        for jid in PASSWORDS:
            self.assertIn(jid, out)

    def test_cli_add_existing_user_fails(self):
        self.server.add_user("ivan@localhost", "ivan-pw")
        res = self.server.cli("user", "add", "ivan@localhost", "--password",
                              "other")
        self.assertNotEqual(res.returncode, 0,
                            "adding an existing user must fail")
        # ... and must not have changed the password.
        c = self.client("ivan@localhost/still", "ivan-pw", mech="PLAIN")
        self.assertEqual(run(c.connect(), timeout=15), "ok")


class ResourceLimitViaSetTest(h.ServerTestCase):
    settings = {"c2s.max_resources": 2}
    users = {"gina@localhost": "gina-pw", "hank@localhost": "hank-pw"}

    def test_third_resource_refused_with_max_resources_2(self):
        for i in range(2):
            r = self.raw()
            self.assertEqual(r.login("gina", "gina-pw", resource="g%d" % i),
                             "gina@localhost/g%d" % i)
        r = self.raw()
        r.secure()
        self.assertEqual(r.auth_plain("gina", "gina-pw"), (True, None))
        r.open_stream()
        resp = r.bind("g2")
        self.assertEqual(stanza_error(resp), ("wait", "resource-constraint"),
                         ET.tostring(resp, encoding="unicode"))

    def test_rebinding_existing_resource_is_not_a_new_slot(self):
        # With both slots used, a session for an existing full JID replaces
        # the old one (conflict) instead of being refused.
        a = self.login("hank@localhost/x1")
        b = self.login("hank@localhost/x2")
        a2 = self.login("hank@localhost/x1")
        self.assertEqual(a2.bound_jid, "hank@localhost/x1")
        self.assertEqual(run(a.wait_stream_error(10)), "conflict")
        self.assertTrue(b.connected())


if __name__ == "__main__":
    h.main()
