"""In-band registration (XEP-0077) with invitations (XEP-0401), password change and account
removal.

Run: /usr/bin/python3 tests/integration/test_registration.py --telexd build/telexd
"""

import os
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

REG = "jabber:iq:register"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def condition(iq):
    err = iq.find("{jabber:client}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith("{%s}" % STANZAS) and not child.tag.endswith("}text"):
            return child.tag.split("}")[1]
    return None


class RegistrationHelpers:
    def register(self, user, password, token=None):
        r = self.raw()
        features = r.secure()
        if token is not None:
            r.send("<iq type='set' id='pa'><preauth xmlns='urn:xmpp:pars:0' token='%s'/></iq>" % token)
            resp = r.wait_iq("pa")
            if resp.get("type") != "result":
                return resp, features
        r.send("<iq type='set' id='reg'><query xmlns='%s'><username>%s</username>"
               "<password>%s</password></query></iq>" % (REG, user, password))
        return r.wait_iq("reg"), features

    def invite(self, uses=1):
        out = self.server.cli("invite", "create", "--uses", str(uses))
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()


class RegistrationOffTest(RegistrationHelpers, h.ServerTestCase):
    def test_off_by_default(self):
        resp, features = self.register("mallory", "pw")
        self.assertIsNone(features.find("{http://jabber.org/features/iq-register}register"))
        self.assertEqual(resp.get("type"), "error")
        self.assertEqual(condition(resp), "service-unavailable")


class RegistrationInviteTest(RegistrationHelpers, h.ServerTestCase):
    settings = {"registration.enabled": "true"}

    def test_invite_required_and_single_use(self):
        resp, features = self.register("nina", "nina-pw")
        self.assertIsNotNone(features.find("{http://jabber.org/features/iq-register}register"))
        self.assertEqual(condition(resp), "forbidden")
        token = self.invite()
        resp, _ = self.register("nina", "nina-pw", token)
        self.assertEqual(resp.get("type"), "result", ET.tostring(resp, encoding="unicode"))
        c = self.login("nina@localhost/r", "nina-pw")
        self.assertTrue(c.connected())
        resp, _ = self.register("otto", "otto-pw", token)
        self.assertEqual(condition(resp), "item-not-found")
        resp, _ = self.register("otto", "otto-pw", "made-up-token")
        self.assertEqual(condition(resp), "item-not-found")


class RegistrationOpenTest(RegistrationHelpers, h.ServerTestCase):
    settings = {"registration.enabled": "true", "registration.require_invite": "false",
                "registration.max_per_address": "3"}

    def test_open_registration_conflict_and_throttle(self):
        resp, _ = self.register("paula", "paula-pw")
        self.assertEqual(resp.get("type"), "result")
        resp, _ = self.register("Paula", "other")  # same account after nodeprep
        self.assertEqual(condition(resp), "conflict")
        resp, _ = self.register("quinn", "quinn-pw")
        self.assertEqual(resp.get("type"), "result")
        resp, _ = self.register("rita", "rita-pw")
        self.assertEqual(resp.get("type"), "result")
        resp, _ = self.register("sam", "sam-pw")
        self.assertEqual(condition(resp), "resource-constraint")



class RegistrationAccountTest(RegistrationHelpers, h.ServerTestCase):
    settings = {"registration.enabled": "true", "registration.require_invite": "false"}

    def test_password_change_and_removal(self):
        resp, _ = self.register("tess", "tess-old")
        self.assertEqual(resp.get("type"), "result")
        c = self.login("tess@localhost/r", "tess-old")
        resp = run(c.iq("localhost", "<query xmlns='%s'><username>tess</username>"
                        "<password>tess-new</password></query>" % REG, itype="set"))
        self.assertEqual(resp.get("type"), "result")
        run(c.disconnect())
        bad = self.client("tess@localhost/x", "tess-old")
        self.assertEqual(run(bad.connect()), "auth_failed")
        c2 = self.login("tess@localhost/y", "tess-new")
        resp = run(c2.iq("localhost", "<query xmlns='%s'><remove/></query>" % REG, itype="set"))
        self.assertEqual(resp.get("type"), "result")
        self.assertTrue(run(c2.wait_disconnected(5)))
        gone = self.client("tess@localhost/z", "tess-new")
        self.assertEqual(run(gone.connect()), "auth_failed")


if __name__ == "__main__":
    h.main()
