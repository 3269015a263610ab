"""Announcements (XEP-0133 over XEP-0050 ad-hoc commands): to online users, to every user (stored
for offline ones and delivered at their next sign-in), to a server-side group; the message of the
day at sign-in; only admins and announcers may announce, refusals and every announcement land in
the audit log; the same from the command line through the admin socket; the per-sender rate limit;
each user's alert threshold.

Run: /usr/bin/python3 tests/integration/test_announce.py --telexd build/telexd
"""

import os
import re
import sys
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run, stanza_error  # noqa: E402

COMMANDS = "http://jabber.org/protocol/commands"
DATA = "jabber:x:data"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
ADMIN = "http://jabber.org/protocol/admin"
ANNOUNCE = ADMIN + "#announce"
SET_MOTD = ADMIN + "#set-motd"
EDIT_MOTD = ADMIN + "#edit-motd"
DELETE_MOTD = ADMIN + "#delete-motd"
ANNOUNCE_ALL = "telex:admin#announce-all"
ANNOUNCE_GROUP = "telex:admin#announce-group"
ALERT_PREFS = "telex:alerts#preferences"


def text(elem):
    return ET.tostring(elem, encoding="unicode")


def esc(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("'", "&apos;"))


def command_xml(node, fields=None, action="complete", sessionid=None):
    attrs = "node='%s' action='%s'" % (node, action)
    if sessionid:
        attrs += " sessionid='%s'" % sessionid
    inner = ""
    if fields is not None:
        inner = "<x xmlns='%s' type='submit'>" % DATA
        for var, value in fields.items():
            values = value if isinstance(value, list) else [value]
            inner += "<field var='%s'>%s</field>" % (
                var, "".join("<value>%s</value>" % esc(v) for v in values))
        inner += "</x>"
    return "<command xmlns='%s' %s>%s</command>" % (COMMANDS, attrs, inner)


def command_of(resp):
    return resp.find("{%s}command" % COMMANDS)


def note_of(resp):
    cmd = command_of(resp)
    note = cmd.find("{%s}note" % COMMANDS) if cmd is not None else None
    return note.text if note is not None else ""


def headline_with(body):
    return lambda m: m["type"] == "headline" and body in (m["body"] or "")


# The audit log, groups and `motd show` are read from the store by the CLI (sqlite).
@unittest.skipIf(h.STORAGE == "memory", "the CLI reads the audit log and groups from sqlite")
class AnnounceTest(h.ServerTestCase):
    users = {"admin@localhost": "admin-pw", "herald@localhost": "herald-pw",
             "alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw", "dave@localhost": "dave-pw",
             "erin@localhost": "erin-pw"}
    settings = {"server.admins": '["admin@localhost"]',
                "server.announcers": '["herald@localhost"]',
                "announce.rate_per_minute": "100"}

    def run_command(self, client, node, fields=None, action="complete"):
        return run(client.iq("localhost", command_xml(node, fields, action), "set"))

    def audit(self):
        res = self.server.cli("audit", "list", "--limit", "200")
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout

    def test_online_announcement_reaches_two_clients_all_users_reaches_offline_one(self):
        alice = self.login("alice@localhost/desk")
        bob = self.login("bob@localhost/phone")
        admin = self.login("admin@localhost/console")
        for c in (alice, bob, admin):
            run(c.set_presence())
        # Two steps as a client does it: execute shows the form, complete submits it.
        first = run(admin.iq("localhost", command_xml(ANNOUNCE, action="execute"), "set"))
        cmd = command_of(first)
        self.assertIsNotNone(cmd, text(first))
        self.assertEqual(cmd.get("status"), "executing", text(first))
        sessionid = cmd.get("sessionid")
        self.assertTrue(sessionid)
        form = cmd.find("{%s}x" % DATA)
        self.assertIsNotNone(form, text(first))
        self.assertIn("announcement", [f.get("var") for f in form.findall("{%s}field" % DATA)])
        done = run(admin.iq("localhost", command_xml(
            ANNOUNCE, {"FORM_TYPE": ADMIN, "subject": "Maintenance",
                       "announcement": ["Server restarts at 18:00", "<save your work & wait>"]},
            sessionid=sessionid), "set"))
        self.assertEqual(command_of(done).get("status"), "completed", text(done))
        # alice, bob and admin; a session a previous test closed may still be on its way out.
        self.assertRegex(note_of(done), r"delivered to \d+ online users")
        for c in (alice, bob):
            m = run(c.wait_message(pred=headline_with("Server restarts at 18:00"), timeout=5))
            self.assertIsNotNone(m, "%s got no announcement" % c.jid)
            self.assertEqual(str(m["from"]), "localhost")
            self.assertEqual(m["subject"], "Maintenance")
            self.assertEqual(m["body"], "Server restarts at 18:00\n<save your work & wait>")

        # To all users: the online ones now, carol (offline) at her next sign-in.
        done = self.run_command(admin, ANNOUNCE_ALL, {"announcement": "Read the new policy"})
        self.assertEqual(command_of(done).get("status"), "completed", text(done))
        self.assertRegex(note_of(done), r"stored for \d+ offline")
        for c in (alice, bob):
            self.assertIsNotNone(run(c.wait_message(pred=headline_with("new policy"), timeout=5)))
        carol = self.login("carol@localhost/laptop")
        h.pump(0.3)
        self.assertFalse(any("new policy" in (m["body"] or "") for m in carol.inbox),
                         "delivered before initial presence")
        run(carol.set_presence())
        m = run(carol.wait_message(pred=headline_with("Read the new policy"), timeout=5))
        self.assertIsNotNone(m, "the stored announcement was not delivered at sign-in")
        self.assertIsNotNone(m.xml.find("{urn:xmpp:delay}delay"))
        log = self.audit()
        self.assertRegex(log, r'announce actor="admin@localhost/console" target="online" outcome="ok: '
                              r'delivered to \d+ online users" text="Server restarts at 18:00\\n<save')
        self.assertRegex(log, r'announce actor="admin@localhost/console" target="all"')

    def test_non_admin_is_refused_and_audited(self):
        alice = self.login("alice@localhost/refused")
        bob = self.login("bob@localhost/refused")
        run(bob.set_presence())
        resp = self.run_command(alice, ANNOUNCE, {"announcement": "free pizza"})
        self.assertEqual(resp.get("type"), "error", text(resp))
        self.assertEqual(stanza_error(resp), ("auth", "forbidden"))
        h.pump(0.3)
        self.assertFalse(any("free pizza" in (m["body"] or "") for m in bob.inbox))
        resp = self.run_command(alice, SET_MOTD, {"motd": "hijacked"})
        self.assertEqual(stanza_error(resp), ("auth", "forbidden"))
        # Non-admins do not even see the commands; they see their own settings commands only.
        items = run(alice.iq("localhost", "<query xmlns='%s' node='%s'/>" % (DISCO_ITEMS, COMMANDS)))
        nodes = sorted(i.get("node") for i in items.iter("{%s}item" % DISCO_ITEMS))
        self.assertEqual(nodes, sorted(["telex:alerts#pager", ALERT_PREFS]), text(items))
        log = self.audit()
        self.assertIn('announce actor="alice@localhost/refused" target="" outcome="refused: forbidden', log)
        self.assertIn('motd-set actor="alice@localhost/refused" target="" outcome="refused: forbidden', log)

    def test_admins_and_announcers_see_the_commands(self):
        admin = self.login("admin@localhost/disco")
        items = run(admin.iq("localhost", "<query xmlns='%s' node='%s'/>" % (DISCO_ITEMS, COMMANDS)))
        nodes = {i.get("node") for i in items.iter("{%s}item" % DISCO_ITEMS)}
        for node in (ANNOUNCE, ANNOUNCE_ALL, ANNOUNCE_GROUP, SET_MOTD, EDIT_MOTD, DELETE_MOTD):
            self.assertIn(node, nodes)
        info = run(admin.iq("localhost", "<query xmlns='http://jabber.org/protocol/disco#info'/>"))
        features = {f.get("var") for f in info.iter("{http://jabber.org/protocol/disco#info}feature")}
        self.assertIn(COMMANDS, features)
        herald = self.login("herald@localhost/disco")
        items = run(herald.iq("localhost", "<query xmlns='%s' node='%s'/>" % (DISCO_ITEMS, COMMANDS)))
        self.assertIn(ANNOUNCE, {i.get("node") for i in items.iter("{%s}item" % DISCO_ITEMS)})
        done = self.run_command(herald, ANNOUNCE, {"announcement": "from the herald"})
        self.assertEqual(command_of(done).get("status"), "completed", text(done))

    def test_motd_shown_at_next_login_then_deleted(self):
        admin = self.login("admin@localhost/motd")
        done = self.run_command(admin, SET_MOTD, {"FORM_TYPE": ADMIN, "motd": ["Welcome to Telex", "Be nice"]})
        self.assertEqual(command_of(done).get("status"), "completed", text(done))
        dave = self.login("dave@localhost/motd")
        run(dave.set_presence())
        m = run(dave.wait_message(pred=headline_with("Welcome to Telex"), timeout=5))
        self.assertIsNotNone(m, "no MOTD at sign-in")
        self.assertEqual(m["subject"], "Message of the day")
        self.assertEqual(m["body"], "Welcome to Telex\nBe nice")
        self.assertEqual(str(m["from"]), "localhost")
        # edit-motd shows the current text.
        form = run(admin.iq("localhost", command_xml(EDIT_MOTD, action="execute"), "set"))
        values = [v.text for v in form.iter("{%s}value" % DATA)]
        self.assertIn("Welcome to Telex", values, text(form))
        show = self.server.cli("motd", "show")
        self.assertEqual(show.stdout.strip(), "Welcome to Telex\nBe nice")
        done = self.run_command(admin, DELETE_MOTD, action="execute")
        self.assertEqual(command_of(done).get("status"), "completed", text(done))
        erin = self.login("erin@localhost/motd")
        run(erin.set_presence())
        h.pump(0.5)
        self.assertFalse(any(m["type"] == "headline" for m in erin.inbox))
        log = self.audit()
        self.assertIn('motd-set actor="admin@localhost/motd" target="sign-in" outcome="ok" '
                      'text="Welcome to Telex\\nBe nice"', log)
        self.assertIn('motd-delete actor="admin@localhost/motd"', log)

    def test_cli_announce_motd_and_group(self):
        alice = self.login("alice@localhost/cli")
        bob = self.login("bob@localhost/cli")
        for c in (alice, bob):
            run(c.set_presence())
        res = self.server.cli("announce", "--online", "--subject", "CLI", "Hello from the shell")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"announcement delivered to \d+ online users")
        for c in (alice, bob):
            m = run(c.wait_message(pred=headline_with("Hello from the shell"), timeout=5))
            self.assertIsNotNone(m)
            self.assertEqual(m["subject"], "CLI")
        # Multi-line text from stdin.
        res = self.server.cli("announce", "--online", password_stdin="line one\nline two\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        m = run(alice.wait_message(pred=headline_with("line one"), timeout=5))
        self.assertEqual(m["body"], "line one\nline two")

        # A group: bob and carol; alice is not in it.
        res = self.server.cli("group", "add", "ops", "bob", "carol@localhost")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("ops\t2 members", self.server.cli("group", "list").stdout)
        res = self.server.cli("announce", "--group", "ops", "Ops standup")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIsNotNone(run(bob.wait_message(pred=headline_with("Ops standup"), timeout=5)))
        carol = self.login("carol@localhost/cli")
        run(carol.set_presence())
        self.assertIsNotNone(run(carol.wait_message(pred=headline_with("Ops standup"), timeout=5)))
        h.pump(0.3)
        self.assertFalse(any("Ops standup" in (m["body"] or "") for m in alice.inbox))
        res = self.server.cli("announce", "--group", "nosuch", "x")
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("no such group: nosuch", res.stderr)
        self.assertNotEqual(self.server.cli("group", "add", "bad name", "bob").returncode, 0)
        self.assertNotEqual(self.server.cli("group", "add", "x", "bob@elsewhere.example").returncode, 0)
        self.assertNotEqual(self.server.cli("announce", "no target").returncode, 0)

        res = self.server.cli("motd", "set", "MOTD from the CLI")
        self.assertEqual(res.returncode, 0, res.stderr)
        erin = self.login("erin@localhost/cli")
        run(erin.set_presence())
        self.assertIsNotNone(run(erin.wait_message(pred=headline_with("MOTD from the CLI"), timeout=5)))
        self.assertEqual(self.server.cli("motd", "clear").returncode, 0)

        h.pump(0.3)
        log = self.audit()
        self.assertIn('announce actor="telexd CLI (admin socket)" target="online"', log)
        self.assertIn('target="group:ops" outcome="ok: delivered to 1 online user, stored for 1 offline"', log)
        self.assertIn('motd-set actor="telexd CLI (admin socket)"', log)
        self.assertIn('motd-delete actor="telexd CLI (admin socket)"', log)
        self.assertEqual(len(self.server.cli("audit", "list", "--limit", "2").stdout.strip().splitlines()), 2)

    def test_alert_threshold_preference(self):
        alice = self.login("alice@localhost/prefs")
        form = run(alice.iq("localhost", command_xml(ALERT_PREFS, action="execute"), "set"))
        self.assertEqual(command_of(form).get("status"), "executing", text(form))
        self.assertIn("min_severity", [f.get("var") for f in form.iter("{%s}field" % DATA)])
        done = self.run_command(alice, ALERT_PREFS, {"min_severity": "warning"})
        self.assertIn("Alerts below warning are muted.", note_of(done))
        bad = self.run_command(alice, ALERT_PREFS, {"min_severity": "deafening"})
        self.assertEqual(stanza_error(bad), ("modify", "bad-request"))


@unittest.skipIf(h.STORAGE == "memory", "the CLI reads the audit log from sqlite")
class AnnounceRateLimitTest(h.ServerTestCase):
    users = {"admin@localhost": "admin-pw", "alice@localhost": "alice-pw"}
    settings = {"server.admins": '["admin@localhost"]', "announce.rate_per_minute": "2"}

    def test_third_announcement_in_a_minute_is_refused_and_audited(self):
        admin = self.login("admin@localhost/rate")
        alice = self.login("alice@localhost/rate")
        run(alice.set_presence())
        for i in range(2):
            done = run(admin.iq("localhost", command_xml(ANNOUNCE, {"announcement": "burst %d" % i}), "set"))
            self.assertEqual(command_of(done).get("status"), "completed", text(done))
        resp = run(admin.iq("localhost", command_xml(ANNOUNCE, {"announcement": "burst 2"}), "set"))
        self.assertEqual(stanza_error(resp), ("wait", "resource-constraint"), text(resp))
        self.assertIsNotNone(run(alice.wait_message(pred=headline_with("burst 1"), timeout=5)))
        h.pump(0.3)
        self.assertFalse(any("burst 2" in (m["body"] or "") for m in alice.inbox))
        log = self.server.cli("audit", "list").stdout
        self.assertIn('announce actor="admin@localhost" target="" outcome="refused: rate limit', log)


if __name__ == "__main__":
    h.main()
