"""SOCKS5 Bytestreams proxy (XEP-0065) on proxy.localhost: discovery, streamhost query, the target and
the initiator connecting with the stream's hash (raw SOCKS5 sockets), activation by the initiator,
a few hundred KiB relayed each way, and refusals: no acceptable auth method, a third connection for
the same stream, activation of an unknown stream or by someone else.

Run: /usr/bin/python3 tests/integration/test_proxy65.py --telexd build/telexd
"""

import hashlib
import os
import socket
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

BS = "http://jabber.org/protocol/bytestreams"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
PROXY = "proxy.localhost"


def recv_exactly(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise AssertionError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def socks_connect(port, dst, methods=b"\x00"):
    """SOCKS5 CONNECT to the 'domain name' dst (the stream hash); returns (socket, reply bytes)."""
    s = socket.create_connection((h.HOST, port), timeout=10)
    s.sendall(b"\x05" + bytes([len(methods)]) + methods)
    choice = recv_exactly(s, 2)
    if choice != b"\x05\x00":
        return s, choice
    addr = dst.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(addr)]) + addr + b"\x00\x00")
    reply = recv_exactly(s, 5)
    reply += recv_exactly(s, reply[4] + 2)
    return s, reply


def recv_all(sock, n):
    return recv_exactly(sock, n)


class Proxy65Test(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw"}

    def setUp(self):
        super().setUp()
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        super().tearDown()

    def connect(self, dst, methods=b"\x00"):
        s, reply = socks_connect(self.server.proxy65_port, dst, methods)
        self.socks.append(s)
        return s, reply

    def streamhost(self, client):
        resp = run(client.iq(PROXY, "<query xmlns='%s'/>" % BS))
        self.assertEqual(resp.get("type"), "result", ET.tostring(resp, encoding="unicode"))
        return resp.find("{%s}query/{%s}streamhost" % (BS, BS))

    def test_discovery_and_streamhost(self):
        alice = self.login("alice@localhost/d")
        items = run(alice.iq("localhost", "<query xmlns='%s'/>" % DISCO_ITEMS))
        self.assertIn(PROXY, [i.get("jid") for i in items.iter("{%s}item" % DISCO_ITEMS)])
        info = run(alice.iq(PROXY, "<query xmlns='%s'/>" % DISCO_INFO))
        ids = [(i.get("category"), i.get("type")) for i in info.iter("{%s}identity" % DISCO_INFO)]
        self.assertIn(("proxy", "bytestreams"), ids)
        self.assertIn(BS, [f.get("var") for f in info.iter("{%s}feature" % DISCO_INFO)])
        sh = self.streamhost(alice)
        self.assertEqual(sh.get("jid"), PROXY)
        self.assertEqual(sh.get("host"), "127.0.0.1")
        self.assertEqual(sh.get("port"), str(self.server.proxy65_port))

    def test_activation_relays_both_ways(self):
        alice = self.login("alice@localhost/sender")
        bob = self.login("bob@localhost/receiver")
        offers = []
        bob.on_iq(BS, lambda iq: offers.append(iq))
        sh = self.streamhost(alice)
        sid = "s5b-" + uuid.uuid4().hex[:12]
        # The initiator offers the proxy to the target (XEP-0065 §5.3.1); it arrives unchanged.
        offer = run(alice.iq(bob.bound_jid,
                             "<query xmlns='%s' sid='%s' mode='tcp'><streamhost jid='%s' host='%s' "
                             "port='%s'/></query>" % (BS, sid, sh.get("jid"), sh.get("host"), sh.get("port")),
                             itype="set"))
        self.assertEqual(offer.get("type"), "result")
        self.assertEqual(len(offers), 1)
        self.assertEqual(offers[0].xml.find("{%s}query" % BS).get("sid"), sid)

        dst = hashlib.sha1((sid + alice.bound_jid + bob.bound_jid).encode()).hexdigest()
        target, reply = self.connect(dst)
        self.assertEqual(reply, b"\x05\x00\x00\x03\x28" + dst.encode() + b"\x00\x00")
        initiator, reply = self.connect(dst)
        self.assertEqual(reply[:2], b"\x05\x00")
        # A third party for the same stream is refused.
        _, third = self.connect(dst)
        self.assertEqual(third[:2], b"\x05\x02")

        # Only the initiator's hash matches: carol cannot activate alice's stream.
        carol = self.login("carol@localhost/c")
        resp = run(carol.iq(PROXY, "<query xmlns='%s' sid='%s'><activate>%s</activate></query>"
                            % (BS, sid, bob.bound_jid), itype="set"))
        self.assertEqual(h.stanza_error(resp), ("cancel", "item-not-found"))

        resp = run(alice.iq(PROXY, "<query xmlns='%s' sid='%s'><activate>%s</activate></query>"
                            % (BS, sid, bob.bound_jid), itype="set"))
        self.assertEqual(resp.get("type"), "result", ET.tostring(resp, encoding="unicode"))

        payload = os.urandom(300 * 1024)
        initiator.sendall(payload)
        self.assertEqual(recv_all(target, len(payload)), payload)
        answer = os.urandom(64 * 1024)
        target.sendall(answer)
        self.assertEqual(recv_all(initiator, len(answer)), answer)
        # The end of one direction reaches the other side.
        initiator.shutdown(socket.SHUT_WR)
        target.settimeout(5)
        self.assertEqual(target.recv(1), b"")

        # The stream is used up: activating again finds nothing.
        resp = run(alice.iq(PROXY, "<query xmlns='%s' sid='%s'><activate>%s</activate></query>"
                            % (BS, sid, bob.bound_jid), itype="set"))
        self.assertEqual(h.stanza_error(resp), ("cancel", "item-not-found"))

    def test_refusals(self):
        alice = self.login("alice@localhost/r")
        _, choice = self.connect("x" * 40, methods=b"\x02")  # username/password only
        self.assertEqual(choice, b"\x05\xff")
        _, reply = self.connect("not-a-hash")
        self.assertEqual(reply[:2], b"\x05\x02")
        resp = run(alice.iq(PROXY, "<query xmlns='%s' sid='nothing'><activate>bob@localhost/x</activate></query>"
                            % BS, itype="set"))
        self.assertEqual(h.stanza_error(resp), ("cancel", "item-not-found"))
        resp = run(alice.iq(PROXY, "<query xmlns='%s' sid='s'><activate>bob@localhost</activate></query>"
                            % BS, itype="set"))
        self.assertEqual(h.stanza_error(resp), ("modify", "bad-request"))
        # The proxy is still healthy.
        self.assertEqual(self.streamhost(alice).get("port"), str(self.server.proxy65_port))


if __name__ == "__main__":
    h.main()
