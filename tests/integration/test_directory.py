"""The user directory (XEP-0055) within directory.visibility, and `telexd user list --online`.

Run: /usr/bin/python3 tests/integration/test_directory.py --telexd build/telexd
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

SEARCH = "jabber:iq:search"
DATA = "jabber:x:data"


def found_jids(resp):
    out = []
    for item in resp.iter("{%s}item" % DATA):
        for f in item.findall("{%s}field" % DATA):
            if f.get("var") == "jid":
                out.append(f.findtext("{%s}value" % DATA))
    for item in resp.iter("{%s}item" % SEARCH):
        out.append(item.get("jid"))
    return sorted(out)


def search_form(nick="", online=False):
    return ("<query xmlns='%s'><x xmlns='%s' type='submit'>"
            "<field var='FORM_TYPE'><value>%s</value></field>"
            "<field var='nick'><value>%s</value></field>"
            "<field var='online'><value>%s</value></field></x></query>"
            % (SEARCH, DATA, SEARCH, nick, "1" if online else "0"))


class DirectoryContactsTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw", "carol@localhost": "carol-pw"}

    def befriend(self, a, b, a_jid, b_jid):
        a.xmpp.send_presence(pto=b_jid, ptype="subscribe")
        run(a.sync())
        b.xmpp.send_presence(pto=a_jid, ptype="subscribed")
        run(b.sync())
        h.pump(0.3)

    def test_strangers_find_nobody_contacts_find_contacts(self):
        alice = self.login("alice@localhost/a")
        bob = self.login("bob@localhost/b")
        carol = self.login("carol@localhost/c")
        run(bob.set_presence())
        self.befriend(alice, bob, "alice@localhost", "bob@localhost")  # bob shares presence with alice
        resp = run(alice.iq("localhost", search_form(), itype="set"))
        self.assertEqual(resp.get("type"), "result")
        self.assertEqual(found_jids(resp), ["bob@localhost"])
        resp = run(carol.iq("localhost", search_form(), itype="set"))
        self.assertEqual(found_jids(resp), [])
        legacy = run(alice.iq("localhost", "<query xmlns='%s'><nick>bo</nick></query>" % SEARCH, itype="set"))
        self.assertEqual(found_jids(legacy), ["bob@localhost"])
        form = run(carol.iq("localhost", "<query xmlns='%s'/>" % SEARCH))
        self.assertIsNotNone(form.find("{%s}query/{%s}x" % (SEARCH, DATA)))

    def test_user_list_online_from_the_command_line(self):
        alice = self.login("alice@localhost/laptop")
        run(alice.set_presence(priority=3))
        out = self.server.cli("user", "list", "--online")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("alice@localhost/laptop\tavailable\t3", out.stdout)
        run(alice.disconnect())
        h.pump(0.3)
        out = self.server.cli("user", "list", "--online")
        self.assertNotIn("alice@localhost/laptop", out.stdout)


class DirectoryOpenTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw", "carol@localhost": "carol-pw"}
    settings = {"directory.visibility": "all"}

    def test_open_directory_and_online_filter(self):
        carol = self.login("carol@localhost/c")
        bob = self.login("bob@localhost/b")
        run(bob.set_presence())
        resp = run(carol.iq("localhost", search_form(), itype="set"))
        self.assertEqual(found_jids(resp), ["alice@localhost", "bob@localhost", "carol@localhost"])
        resp = run(carol.iq("localhost", search_form(nick="ALI"), itype="set"))
        self.assertEqual(found_jids(resp), ["alice@localhost"])
        resp = run(carol.iq("localhost", search_form(online=True), itype="set"))
        self.assertEqual(found_jids(resp), ["bob@localhost"])


class DirectoryOffTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw"}
    settings = {"directory.visibility": "off"}

    def test_off(self):
        alice = self.login("alice@localhost/a")
        resp = run(alice.iq("localhost", search_form(), itype="set"))
        self.assertEqual(resp.get("type"), "error")


if __name__ == "__main__":
    h.main()
