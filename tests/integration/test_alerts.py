"""Alerts over HTTP: POST /api/v1/alerts with an API token reaches users and single machines as
headlines asking for a receipt (XEP-0184); the receipt shows up as an acknowledgement in
GET /api/v1/alerts/{id} and `telexd alert show`; wrong/missing tokens, malformed JSON and unknown
recipients are refused with JSON errors and deliver nothing; Alertmanager and Grafana webhook
payloads become readable alerts; offline users are paged by e-mail (an SMTP sink started here)
and by webhook (a local HTTP receiver), set with the CLI or the telex:alerts#pager ad-hoc command,
which can also page direct messages; unacknowledged alerts escalate after a short timeout; alerts
survive a restart; every alert lands in the audit log.

Run: /usr/bin/python3 tests/integration/test_alerts.py --telexd build/telexd
"""

import http.server
import json
import os
import socketserver
import sqlite3
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import pump, run  # noqa: E402

RECEIPTS = "urn:xmpp:receipts"
COMMANDS = "http://jabber.org/protocol/commands"
DATA = "jabber:x:data"
PAGER_NODE = "telex:alerts#pager"

ALERTMANAGER = {
    "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0,
    "status": "firing", "receiver": "telex", "groupLabels": {"alertname": "DiskFull"},
    "commonLabels": {"alertname": "DiskFull", "severity": "critical"},
    "commonAnnotations": {}, "externalURL": "http://alertmanager.example:9093",
    "alerts": [
        {"status": "firing",
         "labels": {"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical"},
         "annotations": {"summary": "Disk almost full on db1", "description": "98% used"},
         "startsAt": "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus.example/graph", "fingerprint": "a1"},
        {"status": "firing",
         "labels": {"alertname": "DiskFull", "instance": "db2:9100", "severity": "critical"},
         "annotations": {"summary": "Disk almost full on db2"},
         "startsAt": "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "", "fingerprint": "a2"}]}

GRAFANA = {
    "receiver": "telex", "status": "firing", "orgId": 1,
    "alerts": [{"status": "firing",
                "labels": {"alertname": "HighCPU", "grafana_folder": "infra"},
                "annotations": {"summary": "CPU above 90% on web1"},
                "startsAt": "2026-11-21T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://grafana.example/alerting/1/edit", "fingerprint": "g1",
                "valueString": "[ var='A' value=97 ]"}],
    "groupLabels": {}, "commonLabels": {"alertname": "HighCPU"}, "commonAnnotations": {},
    "externalURL": "http://grafana.example/", "version": "1",
    "groupKey": "{}:{}", "truncatedAlerts": 0,
    "title": "[FIRING:1] HighCPU (infra)", "state": "alerting", "message": "**Firing**"}


# -- sinks the pager delivers to ---------------------------------------------------------------

class SmtpSink:
    """A tiny SMTP server (smtpd is gone from recent Pythons): accepts every message."""

    def __init__(self):
        self.messages = []  # (mail from, [rcpt to], data)
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def reply(self, line):
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.reply("220 sink ESMTP")
                mail_from, rcpts = None, []
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").strip()
                    verb = cmd[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-sink")
                        self.reply("250 8BITMIME")
                    elif verb == "MAIL":
                        mail_from, rcpts = cmd[10:].strip(), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        rcpts.append(cmd[8:].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        data = b""
                        while True:
                            chunk = self.rfile.readline(65536)
                            if not chunk or chunk == b".\r\n":
                                break
                            data += chunk
                        with sink.lock:
                            sink.messages.append((mail_from, rcpts, data.decode("utf-8", "replace")))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 unknown")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, text):
        with self.lock:
            return [m for m in self.messages if text in m[2]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookSink:
    """A local HTTP receiver standing in for ntfy/Gotify: records every POST."""

    def __init__(self):
        self.requests = []  # (path, headers dict, body text)
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8", "replace")
                with sink.lock:
                    sink.requests.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def find(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_http(server, timeout=10.0):
    """The harness waits for the client ports; the HTTP listener starts just after them."""
    deadline = time.monotonic() + timeout
    while not h.port_accepts(server.http_port):
        if time.monotonic() >= deadline:
            raise AssertionError("HTTP port %d does not accept" % server.http_port)
        time.sleep(0.05)


def wait_for(fn, timeout=10.0):
    """Poll fn() (while pumping the client loop) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        pump(0.05)


def command_xml(node, fields=None, action="complete", sessionid=None):
    attrs = "node='%s' action='%s'" % (node, action)
    if sessionid:
        attrs += " sessionid='%s'" % sessionid
    inner = ""
    if fields is not None:
        inner = "<x xmlns='%s' type='submit'>" % DATA
        for var, value in fields.items():
            inner += "<field var='%s'><value>%s</value></field>" % (var, value)
        inner += "</x>"
    return "<command xmlns='%s' %s>%s</command>" % (COMMANDS, attrs, inner)


def alert_headline(subject_part=None, body_part=None):
    def pred(m):
        if m["type"] != "headline" or not m["id"].startswith("alert-"):
            return False
        if subject_part is not None and subject_part not in (m["subject"] or ""):
            return False
        return body_part is None or body_part in (m["body"] or "")
    return pred


@unittest.skipIf(h.STORAGE == "memory", "tokens are created with the CLI, which needs sqlite")
class AlertsTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw", "dave@localhost": "dave-pw",
             "erin@localhost": "erin-pw", "frank@localhost": "frank-pw"}

    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpSink()
        cls.hooks = WebhookSink()
        cls.settings = {"pager.smtp_host": "127.0.0.1", "pager.smtp_port": str(cls.smtp.port),
                        "pager.smtp_from": "alerts@localhost", "pager.timeout": "5",
                        "alerts.rate_per_minute": "1000"}
        super().setUpClass()
        wait_http(cls.server)
        res = cls.server.cli("token", "create", "ci", "--scope", "alerts", "--to", "alice@localhost")
        if res.returncode != 0:
            raise AssertionError("token create failed: %s" % res.stderr)
        cls.token = res.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.smtp.close()
        cls.hooks.close()

    # -- helpers ---------------------------------------------------------------------------------
    def http(self, method, path, body=None, token=None, raw=None, headers=None):
        """(status, parsed JSON or None) of one request to telexd's plain-HTTP port."""
        url = "http://127.0.0.1:%d%s" % (self.server.http_port, path)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, None

    def post_alert(self, body, path="/api/v1/alerts", token=None):
        status, reply = self.http("POST", path, body, token=token or self.token)
        self.assertEqual(status, 202, reply)
        self.assertRegex(reply["id"], r"^[0-9a-f]{16}$")
        self.assertEqual(reply["status_url"], "/api/v1/alerts/" + reply["id"])
        return reply["id"]

    def get_alert(self, alert_id):
        status, reply = self.http("GET", "/api/v1/alerts/" + alert_id, token=self.token)
        self.assertEqual(status, 200, reply)
        return reply

    def recipient(self, alert, jid):
        for r in alert["recipients"]:
            if r["jid"] == jid:
                return r
        self.fail("%s is not a recipient of %s" % (jid, alert))

    def ack(self, client, message):
        """What a client does on a receipt request (XEP-0184): <received id=.../> to the sender."""
        client.send_raw("<message to='%s' id='r%s'><received xmlns='%s' id='%s'/></message>"
                        % (message["from"], message["id"], RECEIPTS, message["id"]))
        run(client.sync())

    def online(self, jid):
        c = self.login(jid)
        run(c.set_presence())
        return c

    def pager_command(self, client, fields):
        first = run(client.iq("localhost", command_xml(PAGER_NODE, action="execute"), "set"))
        cmd = first.find("{%s}command" % COMMANDS)
        self.assertIsNotNone(cmd, ET.tostring(first, encoding="unicode"))
        self.assertEqual(cmd.get("status"), "executing")
        done = run(client.iq("localhost", command_xml(PAGER_NODE, fields, sessionid=cmd.get("sessionid")), "set"))
        cmd = done.find("{%s}command" % COMMANDS)
        self.assertIsNotNone(cmd, ET.tostring(done, encoding="unicode"))
        self.assertEqual(cmd.get("status"), "completed", ET.tostring(done, encoding="unicode"))

    # -- tests -----------------------------------------------------------------------------------
    def test_alert_reaches_user_and_machine_and_receipt_acknowledges(self):
        laptop = self.online("alice@localhost/laptop")
        phone = self.online("alice@localhost/phone")
        desk = self.online("bob@localhost/desk")
        other = self.online("bob@localhost/other")
        alert_id = self.post_alert({"to": ["alice@localhost", "bob@localhost/desk"],
                                    "title": "db1 down", "text": "db1 does not answer",
                                    "severity": "critical"})
        got = {}
        for name, c in (("laptop", laptop), ("phone", phone), ("desk", desk)):
            m = run(c.wait_message(pred=alert_headline("db1 down"), timeout=5))
            self.assertIsNotNone(m, "%s got no alert" % name)
            self.assertEqual(str(m["from"]), "localhost")
            self.assertEqual(m["subject"], "[CRITICAL] db1 down")
            self.assertEqual(m["body"], "db1 does not answer")
            self.assertIsNotNone(m.xml.find("{%s}request" % RECEIPTS), "no receipt request")
            self.assertTrue(m["id"].startswith("alert-%s-" % alert_id))
            got[name] = m
        # Only bob's desk was named: his other machine gets nothing.
        self.assertIsNone(run(other.wait_message(pred=alert_headline(), timeout=1)))

        alert = self.get_alert(alert_id)
        self.assertEqual(alert["sender"], "ci")
        self.assertFalse(alert["acknowledged"])
        a = self.recipient(alert, "alice@localhost")
        b = self.recipient(alert, "bob@localhost/desk")
        self.assertTrue(a["delivered"] and b["delivered"])
        self.assertFalse(a["acknowledged"] or b["acknowledged"])

        # bob echoing alice's message id changes nothing; alice's phone acknowledges.
        self.ack(desk, got["laptop"])
        self.assertFalse(self.recipient(self.get_alert(alert_id), "alice@localhost")["acknowledged"])
        self.ack(phone, got["phone"])
        alert = wait_for(lambda: (lambda x: x if self.recipient(x, "alice@localhost")["acknowledged"] else None)(
            self.get_alert(alert_id)))
        self.assertIsNotNone(alert, "alice's receipt was not recorded")
        a = self.recipient(alert, "alice@localhost")
        self.assertEqual(a["acknowledged_by"], "alice@localhost/phone")
        self.assertGreater(a["acknowledged_at"], 0)
        self.assertTrue(alert["acknowledged"])
        self.assertFalse(self.recipient(alert, "bob@localhost/desk")["acknowledged"])

        # The same through the admin socket.
        res = self.server.cli("alert", "show", alert_id)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("alert " + alert_id, res.stdout)
        self.assertRegex(res.stdout, r"alice@localhost\s+delivered\s+yes\s+\S+ by alice@localhost/phone")
        self.assertRegex(res.stdout, r"bob@localhost/desk\s+delivered\s+yes\s+no")
        # Audited with the token's name.
        audit = self.server.cli("audit", "list", "--limit", "500").stdout
        self.assertRegex(audit, r"alert actor=\"token:ci\" .*outcome=\"ok: id=%s" % alert_id)

    def test_refusals_deliver_nothing(self):
        alice = self.online("alice@localhost/refusals")
        body = {"to": ["alice@localhost"], "text": "must never arrive"}
        status, reply = self.http("POST", "/api/v1/alerts", body, token="telex_" + "0" * 64)
        self.assertEqual(status, 401, reply)
        self.assertIn("error", reply)
        status, reply = self.http("POST", "/api/v1/alerts", body)
        self.assertEqual(status, 401, reply)
        status, reply = self.http("GET", "/api/v1/alerts/0123456789abcdef", token="wrong")
        self.assertEqual(status, 401, reply)
        status, reply = self.http("POST", "/api/v1/alerts", raw=b"{\"to\": [\"alice@localhost\"], \"text\": ",
                                  token=self.token)
        self.assertEqual(status, 400, reply)
        self.assertIn("JSON", reply["error"])
        status, reply = self.http("POST", "/api/v1/alerts", {"to": "alice@localhost", "text": "x",
                                                             "severity": "apocalyptic"}, token=self.token)
        self.assertEqual(status, 400, reply)
        status, reply = self.http("POST", "/api/v1/alerts",
                                  {"to": ["alice@localhost", "nobody@localhost", "group:nogroup",
                                          "room:noroom"], "text": "must never arrive"},
                                  token=self.token)
        self.assertEqual(status, 422, reply)
        self.assertEqual(sorted(reply["unknown"]), ["group:nogroup", "nobody@localhost", "room:noroom"])
        status, reply = self.http("POST", "/api/v1/alerts/alertmanager", {"alerts": []}, token=self.token)
        self.assertEqual(status, 400, reply)
        status, reply = self.http("GET", "/api/v1/alerts", token=self.token)
        self.assertEqual(status, 405, reply)
        status, reply = self.http("GET", "/api/v1/alerts/ffffffffffffffff", token=self.token)
        self.assertEqual(status, 404, reply)
        self.assertIsNone(run(alice.wait_message(pred=alert_headline(), timeout=1.5)),
                          "a refused alert was delivered")
        # A token without the alerts scope (the CLI only makes alerts tokens, so the scope is
        # taken away in the store): 403.
        res = self.server.cli("token", "create", "noscope", "--scope", "alerts")
        self.assertEqual(res.returncode, 0, res.stderr)
        noscope = res.stdout.strip()
        db = sqlite3.connect(os.path.join(self.server.data_dir, "telex.db"), timeout=10)
        try:
            (value,) = db.execute("SELECT value FROM keyval WHERE store = 'alert_tokens' AND user = 'noscope'").fetchone()
            record = json.loads(bytes(value) if not isinstance(value, str) else value)
            record["scopes"] = []
            db.execute("UPDATE keyval SET value = ? WHERE store = 'alert_tokens' AND user = 'noscope'",
                       (json.dumps(record).encode(),))
            db.commit()
        finally:
            db.close()
        status, reply = self.http("POST", "/api/v1/alerts", body, token=noscope)
        self.assertEqual(status, 403, reply)
        self.assertIn("scope", reply["error"])
        self.assertIsNone(run(alice.wait_message(pred=alert_headline(), timeout=0.5)),
                          "a refused alert was delivered")
        # A revoked token stops working.
        res = self.server.cli("token", "create", "temp", "--scope", "alerts")
        self.assertEqual(res.returncode, 0, res.stderr)
        temp = res.stdout.strip()
        self.assertIn("temp", self.server.cli("token", "list").stdout)
        self.assertNotIn(temp, self.server.cli("token", "list").stdout)
        self.assertEqual(self.server.cli("token", "revoke", "temp").returncode, 0)
        status, _ = self.http("POST", "/api/v1/alerts", body, token=temp)
        self.assertEqual(status, 401)
        self.assertTrue(self.server.running())

    def test_alertmanager_and_grafana_payloads(self):
        alice = self.online("alice@localhost/monitor")
        bob = self.online("bob@localhost/monitor")
        am = self.post_alert(ALERTMANAGER, path="/api/v1/alerts/alertmanager?to=bob@localhost,alice@localhost")
        for c in (alice, bob):
            m = run(c.wait_message(pred=alert_headline("DiskFull"), timeout=5))
            self.assertIsNotNone(m, "%s got no Alertmanager alert" % c.jid)
            self.assertEqual(m["subject"], "[CRITICAL] [FIRING:2] DiskFull")
            self.assertIn("[firing] Disk almost full on db1 — 98% used", m["body"])
            self.assertIn("instance=db1:9100", m["body"])
            self.assertIn("Disk almost full on db2", m["body"])
        self.assertEqual(self.get_alert(am)["source"], "alertmanager")
        # Grafana without ?to: the token's default recipients (alice).
        gf = self.post_alert(GRAFANA, path="/api/v1/alerts/grafana")
        m = run(alice.wait_message(pred=alert_headline("HighCPU"), timeout=5))
        self.assertIsNotNone(m, "alice got no Grafana alert")
        self.assertEqual(m["subject"], "[WARNING] [FIRING:1] HighCPU (infra)")
        self.assertIn("CPU above 90% on web1", m["body"])
        self.assertIsNone(run(bob.wait_message(pred=alert_headline("HighCPU"), timeout=1)))
        alert = self.get_alert(gf)
        self.assertEqual(alert["source"], "grafana")
        self.assertEqual([r["jid"] for r in alert["recipients"]], ["alice@localhost"])

    def test_offline_recipient_is_paged_by_mail_and_webhook(self):
        res = self.server.cli("pager", "set", "dave@localhost", "--email", "dave@example.org",
                              "--webhook", self.hooks.url("/dave"))
        self.assertEqual(res.returncode, 0, res.stderr)
        alert_id = self.post_alert({"to": "dave", "title": "Backup failed",
                                    "text": "nightly backup of db1 failed\n.dot line", "severity": "warning"})
        mails = wait_for(lambda: self.smtp.find("nightly backup of db1 failed"))
        self.assertTrue(mails, "no mail reached the SMTP sink")
        mail_from, rcpts, data = mails[0]
        self.assertEqual(mail_from, "<alerts@localhost>")
        self.assertEqual(rcpts, ["<dave@example.org>"])
        self.assertIn("Subject: [WARNING] Backup failed", data)
        self.assertIn("\r\n..dot line\r\n", data)  # dot-stuffed on the wire
        posts = wait_for(lambda: self.hooks.find("/dave"))
        self.assertTrue(posts, "no webhook call")
        _, headers, body = posts[0]
        self.assertEqual(headers.get("Title"), "[WARNING] Backup failed")
        self.assertEqual(headers.get("Priority"), "4")
        self.assertEqual(body, "nightly backup of db1 failed\n.dot line")
        alert = wait_for(lambda: (lambda x: x if self.recipient(x, "dave@localhost")["pager"] else None)(
            self.get_alert(alert_id)))
        r = self.recipient(alert, "dave@localhost")
        self.assertEqual(r["status"], "stored")
        self.assertFalse(r["delivered"])
        self.assertEqual(r["pager"], "sent: email, webhook")
        # At sign-in dave gets the stored alert, receipt request included, and acknowledges it.
        dave = self.online("dave@localhost/home")
        m = run(dave.wait_message(pred=alert_headline("Backup failed"), timeout=5))
        self.assertIsNotNone(m, "the stored alert was not delivered at sign-in")
        self.assertIsNotNone(m.xml.find("{%s}request" % RECEIPTS))
        self.ack(dave, m)
        self.assertTrue(wait_for(lambda: self.recipient(self.get_alert(alert_id), "dave@localhost")["acknowledged"]))

    def test_pager_set_by_adhoc_command_also_pages_direct_messages(self):
        carol = self.online("carol@localhost/setup")
        self.pager_command(carol, {"email": "", "webhook": self.hooks.url("/carol"), "format": "json",
                                   "messages": "1"})
        run(carol.disconnect())
        pump(0.3)
        alert_id = self.post_alert({"to": "carol@localhost", "text": "queue backlog above 10k",
                                    "severity": "critical"})
        posts = wait_for(lambda: [p for p in self.hooks.find("/carol") if "backlog" in p[2]])
        self.assertTrue(posts, "carol's webhook was not called")
        payload = json.loads(posts[0][2])
        self.assertEqual(payload["message"], "queue backlog above 10k")
        self.assertEqual(payload["priority"], 5)
        self.assertEqual(payload["alert_id"], alert_id)
        # A direct message while carol is offline reaches her pager too (she asked for it).
        alice = self.online("alice@localhost/chat")
        alice.send_message("carol@localhost", "are you there?")
        posts = wait_for(lambda: [p for p in self.hooks.find("/carol") if "are you there?" in p[2]])
        self.assertTrue(posts, "the direct message was not paged")
        self.assertEqual(json.loads(posts[0][2])["title"], "Message from alice@localhost")
        # Bad input to the command: a protocol error, and the server stays up.
        carol2 = self.online("carol@localhost/again")
        first = run(carol2.iq("localhost", command_xml(PAGER_NODE, action="execute"), "set"))
        sid = first.find("{%s}command" % COMMANDS).get("sessionid")
        bad = run(carol2.iq("localhost", command_xml(PAGER_NODE, {"email": "not-an-address"}, sessionid=sid), "set"))
        self.assertEqual(bad.get("type"), "error")
        self.assertEqual(h.stanza_error(bad)[1], "bad-request")

    def test_escalation_after_timeout_unless_acknowledged(self):
        bob = self.online("bob@localhost/oncall")
        erin = self.online("erin@localhost/lead")
        alert_id = self.post_alert({"to": "bob@localhost", "text": "payments failing", "severity": "critical",
                                    "escalate": {"after_seconds": 2, "to": ["erin@localhost"]}})
        self.assertIsNotNone(run(bob.wait_message(pred=alert_headline(body_part="payments failing"), timeout=5)))
        self.assertIsNone(run(erin.wait_message(pred=alert_headline(body_part="payments failing"), timeout=1)),
                          "escalated too early")
        m = run(erin.wait_message(pred=alert_headline(body_part="payments failing"), timeout=6))
        self.assertIsNotNone(m, "no escalation to erin")
        alert = self.get_alert(alert_id)
        self.assertEqual(alert["escalation"]["state"], "fired")
        self.assertTrue(self.recipient(alert, "erin@localhost")["escalated"])
        # erin's receipt acknowledges the escalated copy.
        self.ack(erin, m)
        self.assertTrue(wait_for(lambda: self.recipient(self.get_alert(alert_id), "erin@localhost")["acknowledged"]))

        # Acknowledged in time: no escalation.
        second = self.post_alert({"to": "bob@localhost", "text": "disk warning", "severity": "warning",
                                  "escalate": {"after_seconds": 2, "to": ["erin@localhost"]}})
        m = run(bob.wait_message(pred=alert_headline(body_part="disk warning"), timeout=5))
        self.assertIsNotNone(m)
        self.ack(bob, m)
        self.assertIsNone(run(erin.wait_message(pred=alert_headline(body_part="disk warning"), timeout=4)),
                          "an acknowledged alert escalated")
        self.assertEqual(self.get_alert(second)["escalation"]["state"], "not-needed")

    def test_muted_low_severity_and_groups(self):
        frank = self.online("frank@localhost/desk")
        # frank mutes everything below critical (the announce module's alert preferences).
        first = run(frank.iq("localhost", command_xml("telex:alerts#preferences", action="execute"), "set"))
        sid = first.find("{%s}command" % COMMANDS).get("sessionid")
        done = run(frank.iq("localhost", command_xml("telex:alerts#preferences", {"min_severity": "critical"},
                                                     sessionid=sid), "set"))
        self.assertEqual(done.find("{%s}command" % COMMANDS).get("status"), "completed")
        res = self.server.cli("group", "add", "ops", "frank@localhost", "erin@localhost")
        self.assertEqual(res.returncode, 0, res.stderr)
        erin = self.online("erin@localhost/ops")
        quiet = self.post_alert({"to": "group:ops", "text": "minor thing", "severity": "info"})
        self.assertIsNotNone(run(erin.wait_message(pred=alert_headline(body_part="minor thing"), timeout=5)))
        self.assertIsNone(run(frank.wait_message(pred=alert_headline(body_part="minor thing"), timeout=1)))
        alert = self.get_alert(quiet)
        self.assertEqual(self.recipient(alert, "frank@localhost")["status"], "muted")
        self.assertEqual(self.recipient(alert, "frank@localhost")["via"], "group:ops")
        self.post_alert({"to": "group:ops", "text": "major thing", "severity": "critical"})
        self.assertIsNotNone(run(frank.wait_message(pred=alert_headline(body_part="major thing"), timeout=5)))


@unittest.skipIf(h.STORAGE == "memory", "the alert must survive in sqlite")
class AlertsRestartTest(unittest.TestCase):
    def test_alert_survives_restart(self):
        server = h.TelexServer()
        try:
            server.start()
            wait_http(server)
            server.add_user("alice@localhost", "pw")
            token = server.cli("token", "create", "ci", "--scope", "alerts").stdout.strip()
            url = "http://127.0.0.1:%d/api/v1/alerts" % server.http_port
            req = urllib.request.Request(url, data=json.dumps({"to": "alice", "text": "kept"}).encode(),
                                         method="POST", headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(req, timeout=10) as resp:
                self.assertEqual(resp.status, 202)
                alert_id = json.loads(resp.read())["id"]
            self.assertEqual(server.stop(), 0)
            server.start()
            wait_http(server)
            req = urllib.request.Request(url + "/" + alert_id, headers={"Authorization": "Bearer " + token})
            with urllib.request.urlopen(req, timeout=10) as resp:
                alert = json.loads(resp.read())
            self.assertEqual(alert["text"], "kept")
            self.assertEqual(alert["recipients"][0]["status"], "stored")
            res = server.cli("alert", "show", alert_id)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("alice@localhost", res.stdout)
        finally:
            server.stop()
            server.cleanup()


if __name__ == "__main__":
    h.main()
