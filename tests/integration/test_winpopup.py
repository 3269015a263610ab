"""The WinPopup gateway: `smbclient -M NAME` (Debian's smbclient) delivers a pop-up to the user or
machine the NetBIOS name maps to; a stored message waits for a user who is offline; sources
outside winpopup.allow are cut off at once (smbclient from 127.0.0.1, and a raw NetBIOS client
bound to 127.0.0.3), while an allowed one gets through; everything delivered is audited.

Run: /usr/bin/python3 tests/integration/test_winpopup.py --telexd build/telexd
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

SMBCLIENT = shutil.which("smbclient")
NICK = "http://jabber.org/protocol/nick"


def smbclient(port, name, message, user="printer", timeout=20):
    """Runs `smbclient -M name` against the gateway, the message on stdin (bounded)."""
    return subprocess.run(["timeout", str(timeout), SMBCLIENT, "-M", name, "-I", "127.0.0.1",
                           "-p", str(port), "-N", "-U", user],
                          input=message, capture_output=True, text=True, timeout=timeout + 5)


def netbios_name(name, suffix):
    raw = name.upper().ljust(15)[:15].encode("ascii") + bytes([suffix])
    return b"\x20" + bytes(b for c in raw for b in (0x41 + (c >> 4), 0x41 + (c & 0x0F))) + b"\x00"


def frame(kind, payload):
    return struct.pack(">BBH", kind, (len(payload) >> 16) & 1, len(payload) & 0xFFFF) + payload


def send_single(originator, destination, text):
    data = (b"\x04" + originator + b"\x00" + b"\x04" + destination + b"\x00" +
            b"\x01" + struct.pack("<H", len(text)) + text)
    smb = b"\xffSMB\xd0" + bytes(27) + b"\x00" + struct.pack("<H", len(data)) + data
    return frame(0x00, smb)


class RawNetbios:
    """A NetBIOS session client with a chosen source address (127.0.0.x is all loopback)."""

    def __init__(self, port, source):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(source, 0))

    def exchange(self, data):
        """Sends `data`; returns the first frame back, or None when the server closed."""
        try:
            self.sock.sendall(data)
            head = self._read(4)
            if head is None:
                return None
            length = ((head[1] & 1) << 16) | (head[2] << 8) | head[3]
            return head[0], self._read(length)
        except (ConnectionResetError, BrokenPipeError):
            return None

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                return None
            out += chunk
        return out

    def close(self):
        self.sock.close()


def popup_from(body):
    return lambda m: body in (m["body"] or "")


@unittest.skipUnless(SMBCLIENT, "smbclient is not installed (scripts/install-deps.sh installs it)")
class WinPopupTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw"}
    port = h.free_ports(1)[0]
    settings = {"winpopup.enabled": "true", "winpopup.port": str(port),
                "winpopup.names": '{ ALICE = "alice@localhost", PC1 = "bob@localhost/desk" }',
                "winpopup.rate_per_minute": "50"}

    def test_smbclient_delivers_a_popup_to_alice(self):
        alice = self.login("alice@localhost/pc")
        run(alice.set_presence())
        res = smbclient(self.port, "alice", "Backup failed on SRV01\nCheck the tape <now> & then\n")
        self.assertNotIn("NT_STATUS", res.stdout + res.stderr, res.stdout + res.stderr)
        m = run(alice.wait_message(pred=popup_from("Backup failed on SRV01"), timeout=10))
        self.assertIsNotNone(m, "no popup; smbclient said: %s %s" % (res.stdout, res.stderr))
        self.assertEqual(m["body"], "Backup failed on SRV01\nCheck the tape <now> & then")
        self.assertEqual(str(m["from"]), "printer@winpopup.localhost")
        self.assertIn("printer", m["subject"])
        nick = m.xml.find("{%s}nick" % NICK)
        self.assertIsNotNone(nick)
        self.assertEqual(nick.text, "printer")
        # A reply cannot reach a WinPopup sender: it bounces.
        alice.send_message("printer@winpopup.localhost", "thanks")
        err = run(alice.wait_message(pred=lambda m: m["type"] == "error", timeout=5))
        self.assertIsNotNone(err)
        self.assertEqual(err["error"]["condition"], "service-unavailable")
        log = self.server.cli("audit", "list").stdout
        self.assertIn('winpopup actor="winpopup 127.0.0.1 printer" target="alice@localhost" outcome="ok"', log)

    def test_machine_name_reaches_that_resource_only(self):
        desk = self.login("bob@localhost/desk")
        laptop = self.login("bob@localhost/laptop")
        for c in (desk, laptop):
            run(c.set_presence())
        res = smbclient(self.port, "PC1", "Your print job is done")
        self.assertNotIn("NT_STATUS", res.stdout + res.stderr)
        self.assertIsNotNone(run(desk.wait_message(pred=popup_from("print job is done"), timeout=10)))
        h.pump(0.3)
        self.assertFalse(any("print job" in (m["body"] or "") for m in laptop.inbox))

    def test_offline_user_gets_it_at_sign_in(self):
        res = smbclient(self.port, "ALICE", "While you were out")
        self.assertNotIn("NT_STATUS", res.stdout + res.stderr)
        alice = self.login("alice@localhost/later")
        run(alice.set_presence())
        m = run(alice.wait_message(pred=popup_from("While you were out"), timeout=10))
        self.assertIsNotNone(m)
        self.assertIsNotNone(m.xml.find("{urn:xmpp:delay}delay"))

    def test_unknown_name_is_refused(self):
        alice = self.login("alice@localhost/unknown")
        run(alice.set_presence())
        res = smbclient(self.port, "nobody", "lost")
        self.assertIn("NT_STATUS", res.stdout + res.stderr)
        h.pump(0.5)
        self.assertFalse(any("lost" == (m["body"] or "") for m in alice.inbox))


@unittest.skipUnless(SMBCLIENT, "smbclient is not installed (scripts/install-deps.sh installs it)")
class WinPopupAllowListTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw"}
    port = h.free_ports(1)[0]
    settings = {"winpopup.enabled": "true", "winpopup.port": str(port),
                # The listener is on 127.0.0.1; clients bound to 127.0.0.2/.3 reach it from
                # those addresses (all of 127/8 is loopback). Only 127.0.0.2 may send.
                "winpopup.allow": '["127.0.0.2/32"]',
                "winpopup.names": '{ ALICE = "alice@localhost" }'}

    def test_non_allowed_networks_are_refused(self):
        alice = self.login("alice@localhost/pc")
        run(alice.set_presence())
        res = smbclient(self.port, "alice", "from 127.0.0.1")
        self.assertIn("NT_STATUS", res.stdout + res.stderr, "smbclient was not refused")
        raw = RawNetbios(self.port, "127.0.0.3")
        try:
            answer = raw.exchange(frame(0x81, netbios_name("ALICE", 3) + netbios_name("RAW", 0)))
            self.assertIsNone(answer, "127.0.0.3 got an answer: %r" % (answer,))
        finally:
            raw.close()
        # 127.0.0.2 is allowed: the same raw client gets through.
        ok = RawNetbios(self.port, "127.0.0.2")
        try:
            answer = ok.exchange(frame(0x81, netbios_name("ALICE", 3) + netbios_name("RAW", 0)))
            self.assertEqual(answer, (0x82, b""))
            answer = ok.exchange(send_single(b"RAW", b"ALICE", b"from 127.0.0.2"))
            self.assertIsNotNone(answer)
            self.assertEqual(answer[1][5:9], b"\x00\x00\x00\x00", answer)  # SMB status: success
        finally:
            ok.close()
        self.assertIsNotNone(run(alice.wait_message(pred=popup_from("from 127.0.0.2"), timeout=10)))
        h.pump(0.3)
        self.assertFalse(any("127.0.0.1" in (m["body"] or "") for m in alice.inbox))
        self.assertIn("winpopup: refused a connection from 127.0.0.1 (not in winpopup.allow)",
                      self.server.log_text())
        self.assertIn("winpopup: refused a connection from 127.0.0.3", self.server.log_text())


if __name__ == "__main__":
    h.main()
