"""External service discovery (XEP-0215) with coturn: a signed-in user gets STUN and TURN (UDP, TCP)
entries for the configured TURN server, TURN ones with TURN REST API credentials (username
"<expiry>:<bare JID>", password base64(HMAC-SHA1(secret, username))); a coturn `turnserver` the test
starts on 127.0.0.1 with use-auth-secret accepts them (turnutils_uclient allocates a relay over UDP
and TCP and echoes through turnutils_peer) and refuses a wrong password and expired credentials.

Needs Debian's coturn (scripts/install-deps.sh installs it); without `turnserver` the coturn part
is skipped with the reason, the XEP-0215 part still runs.

Run: /usr/bin/python3 tests/integration/test_extdisco_coturn.py --telexd build/telexd
"""

import base64
import datetime
import hashlib
import hmac
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

EXTDISCO = "urn:xmpp:extdisco:2"
SECRET = "coturn-shared-" + os.urandom(8).hex()
TTL = 600
TURN_PORT, PEER_PORT = h.free_ports(2)
# coturn relays from a port range of its own; pick a quiet stretch well inside the ephemeral range.
RELAY_MIN = 40000 + (os.getpid() % 200) * 100


def services(resp):
    return resp.findall("{%s}services/{%s}service" % (EXTDISCO, EXTDISCO))


def parse_stamp(text):
    return datetime.datetime.strptime(text.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S") \
        .replace(tzinfo=datetime.timezone.utc).timestamp()


class Coturn:
    """A turnserver and an echo peer on loopback, with their own config and files."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="telex-coturn-")
        self.procs = []
        conf = os.path.join(self.dir, "turnserver.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "listening-ip=127.0.0.1", "listening-port=%d" % TURN_PORT, "relay-ip=127.0.0.1",
                "min-port=%d" % RELAY_MIN, "max-port=%d" % (RELAY_MIN + 99),
                "use-auth-secret", "static-auth-secret=%s" % SECRET, "realm=localhost",
                "no-tls", "no-dtls", "no-cli", "no-rfc5780", "no-stun-backward-compatibility",
                "fingerprint", "allow-loopback-peers", "no-multicast-peers", "verbose",
                "no-stdout-log", "log-file=%s" % os.path.join(self.dir, "turn.log"),
                "pidfile=%s" % os.path.join(self.dir, "turn.pid"),
                "userdb=%s" % os.path.join(self.dir, "turndb"), ""]))
        self.log = open(os.path.join(self.dir, "stdout.log"), "wb")
        self.procs.append(subprocess.Popen(["turnserver", "-c", conf], stdout=self.log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL))
        self.procs.append(subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1", "-p", str(PEER_PORT)],
                                           stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not h.port_accepts(TURN_PORT):
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise AssertionError("turnserver did not start:\n" + self.logs())
            time.sleep(0.1)

    def allocate(self, username, password, tcp=False):
        """turnutils_uclient through the relay to the echo peer: (exit code, output)."""
        cmd = ["turnutils_uclient", "-u", username, "-w", password, "-p", str(TURN_PORT),
               "-e", "127.0.0.1", "-r", str(PEER_PORT), "-n", "5", "-m", "1", "-l", "100"]
        if tcp:
            cmd.append("-t")
        cmd.append("127.0.0.1")
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired as e:
            return None, str(e.stdout)
        return res.returncode, res.stdout + res.stderr

    def logs(self):
        out = ""
        for name in ("stdout.log", "turn.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out += "---- %s ----\n%s" % (name, f.read()[-6000:])
            except OSError:
                pass
        for entry in os.listdir(self.dir):
            if entry.startswith("turn_") and entry.endswith(".log"):
                with open(os.path.join(self.dir, entry), errors="replace") as f:
                    out += "---- %s ----\n%s" % (entry, f.read()[-6000:])
        return out

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ExtdiscoTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw"}
    settings = {"turn.host": "127.0.0.1", "turn.port": str(TURN_PORT), "turn.secret": SECRET,
                "turn.ttl": str(TTL)}

    def turn_entries(self):
        alice = self.login("alice@localhost/call")
        resp = run(alice.iq("localhost", "<services xmlns='%s'/>" % EXTDISCO))
        self.assertEqual(resp.get("type"), "result")
        return [s for s in services(resp) if s.get("type") == "turn"], services(resp), alice

    def test_services_and_credentials(self):
        before = time.time()
        turn, every, alice = self.turn_entries()
        kinds = sorted((s.get("type"), s.get("transport")) for s in every)
        self.assertEqual(kinds, [("stun", "udp"), ("turn", "tcp"), ("turn", "udp")])
        for s in every:
            self.assertEqual((s.get("host"), s.get("port")), ("127.0.0.1", str(TURN_PORT)))
        stun = [s for s in every if s.get("type") == "stun"][0]
        self.assertIsNone(stun.get("username"))
        for s in turn:
            user = s.get("username")
            expiry, _, jid = user.partition(":")
            self.assertEqual(jid, "alice@localhost")
            self.assertAlmostEqual(int(expiry), before + TTL, delta=30)
            expected = base64.b64encode(hmac.new(SECRET.encode(), user.encode(), hashlib.sha1).digest()).decode()
            self.assertEqual(s.get("password"), expected)
            self.assertAlmostEqual(parse_stamp(s.get("expires")), int(expiry), delta=1)
            self.assertEqual(s.get("restricted"), "1")

        only_stun = services(run(alice.iq("localhost", "<services xmlns='%s' type='stun'/>" % EXTDISCO)))
        self.assertEqual([s.get("type") for s in only_stun], ["stun"])
        creds = run(alice.iq("localhost", "<credentials xmlns='%s'><service type='turn' host='127.0.0.1'/>"
                                          "</credentials>" % EXTDISCO))
        self.assertEqual(creds.get("type"), "result")
        fresh = creds.findall("{%s}credentials/{%s}service" % (EXTDISCO, EXTDISCO))
        self.assertEqual(len(fresh), 2)
        self.assertTrue(all(s.get("username", "").endswith(":alice@localhost") for s in fresh))
        unknown = run(alice.iq("localhost", "<credentials xmlns='%s'><service type='turn' host='elsewhere'/>"
                                            "</credentials>" % EXTDISCO))
        self.assertEqual(h.stanza_error(unknown), ("cancel", "item-not-found"))

    def test_coturn_accepts_the_credentials(self):
        if shutil.which("turnserver") is None or shutil.which("turnutils_uclient") is None:
            self.skipTest("coturn is not installed (turnserver/turnutils_uclient missing); "
                          "scripts/install-deps.sh installs it")
        turn, _, _ = self.turn_entries()
        udp = [s for s in turn if s.get("transport") == "udp"][0]
        coturn = Coturn()
        try:
            code, out = coturn.allocate(udp.get("username"), udp.get("password"))
            self.assertEqual(code, 0, "UDP allocation refused:\n%s\n%s" % (out[-3000:], coturn.logs()))
            self.assertIn("Total lost packets 0", out)
            code, out = coturn.allocate(udp.get("username"), udp.get("password"), tcp=True)
            self.assertEqual(code, 0, "TCP allocation refused:\n%s\n%s" % (out[-3000:], coturn.logs()))

            code, out = coturn.allocate(udp.get("username"), "wrong-password")
            self.assertNotEqual(code, 0, "a wrong password was accepted")
            # Valid signature, but the time in the username is past: coturn refuses it.
            expired = "%d:alice@localhost" % (time.time() - 60)
            password = base64.b64encode(hmac.new(SECRET.encode(), expired.encode(), hashlib.sha1).digest()).decode()
            code, out = coturn.allocate(expired, password)
            self.assertNotEqual(code, 0, "expired credentials were accepted")
        finally:
            coturn.stop()


class NoTurnConfiguredTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw"}

    def test_no_services_without_a_turn_host(self):
        alice = self.login("alice@localhost/x")
        resp = run(alice.iq("localhost", "<services xmlns='%s'/>" % EXTDISCO))
        self.assertEqual(resp.get("type"), "result")
        self.assertEqual(services(resp), [])


if __name__ == "__main__":
    h.main()
