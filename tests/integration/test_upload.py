"""HTTP File Upload (XEP-0363): discovery of upload.localhost and its size limit, slot -> PUT -> GET
round trip of a 5 MiB file over HTTPS (trusting the data dir's certificate) and plain HTTP on
loopback, HEAD, Range requests (206/416), CORS, and refusals: file too large (with max-file-size),
quota exceeded, wrong or missing token, unknown slot, wrong size or type, second PUT.

Run: /usr/bin/python3 tests/integration/test_upload.py --telexd build/telexd
"""

import hashlib
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import run  # noqa: E402

UPLOAD = "urn:xmpp:http:upload:0"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
XDATA = "jabber:x:data"
UPLOAD_JID = "upload.localhost"
MAX = 6 * 1024 * 1024
QUOTA = 8 * 1024 * 1024
HTTP_PORT, HTTPS_PORT = h.free_ports(2)


def xml_attr(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace("'", "&apos;").replace('"', "&quot;")


class UploadTest(h.ServerTestCase):
    users = {"alice@localhost": "alice-pw", "bob@localhost": "bob-pw",
             "carol@localhost": "carol-pw"}
    settings = {"upload.max_file_size": str(MAX),
                "upload.quota_per_user": str(QUOTA),
                "http.port": str(HTTP_PORT),
                "http.tls_port": str(HTTPS_PORT),
                "http.external_url": "https://127.0.0.1:%d" % HTTPS_PORT}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cert = os.path.join(cls.server.data_dir, "tls", "cert.pem")
        # Verify the chain against the server's own (self-signed) certificate; the name in it is
        # the XMPP domain, not 127.0.0.1, so only the host name check is off.
        cls.tls = ssl.create_default_context(cafile=cert)
        cls.tls.check_hostname = False

    # -- helpers --------------------------------------------------------------
    def http(self, method, url, data=None, headers=None):
        """(status, headers, body) of one request; 4xx/5xx are answers, not exceptions."""
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.tls if url.startswith("https") else None,
                                        timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            return e.code, e.headers, body

    def request_slot(self, client, filename, size, content_type=None):
        attrs = "filename='%s' size='%s'" % (xml_attr(filename), size)
        if content_type:
            attrs += " content-type='%s'" % xml_attr(content_type)
        return run(client.iq(UPLOAD_JID, "<request xmlns='%s' %s/>" % (UPLOAD, attrs)))

    def slot_urls(self, resp):
        self.assertEqual(resp.get("type"), "result", ET.tostring(resp, encoding="unicode"))
        slot = resp.find("{%s}slot" % UPLOAD)
        put = slot.find("{%s}put" % UPLOAD).get("url")
        get = slot.find("{%s}get" % UPLOAD).get("url")
        return put, get

    # -- tests ----------------------------------------------------------------
    def test_discovery(self):
        alice = self.login("alice@localhost/disco")
        items = run(alice.iq("localhost", "<query xmlns='%s'/>" % DISCO_ITEMS))
        jids = [i.get("jid") for i in items.iter("{%s}item" % DISCO_ITEMS)]
        self.assertIn(UPLOAD_JID, jids)
        info = run(alice.iq(UPLOAD_JID, "<query xmlns='%s'/>" % DISCO_INFO))
        self.assertEqual(info.get("type"), "result")
        ids = [(i.get("category"), i.get("type")) for i in info.iter("{%s}identity" % DISCO_INFO)]
        self.assertIn(("store", "file"), ids)
        features = [f.get("var") for f in info.iter("{%s}feature" % DISCO_INFO)]
        self.assertIn(UPLOAD, features)
        fields = {f.get("var"): f.findtext("{%s}value" % XDATA)
                  for f in info.iter("{%s}field" % XDATA)}
        self.assertEqual(fields.get("FORM_TYPE"), UPLOAD)
        self.assertEqual(fields.get("max-file-size"), str(MAX))

    def test_round_trip_5mib_with_ranges(self):
        alice = self.login("alice@localhost/rt")
        data = os.urandom(5 * 1024 * 1024)
        name = "holiday <&'\"> été.jpg"
        put, get = self.slot_urls(self.request_slot(alice, name, len(data), "image/jpeg"))
        self.assertTrue(put.startswith("https://127.0.0.1:%d/upload/" % HTTPS_PORT), put)
        self.assertIn("token=", urllib.parse.urlsplit(put).query)
        self.assertNotIn("token", get)
        self.assertEqual(urllib.parse.unquote(get.rsplit("/", 1)[1]), name)

        # Not there before the PUT.
        self.assertEqual(self.http("GET", get)[0], 404)
        status, _, _ = self.http("PUT", put, data, {"Content-Type": "image/jpeg"})
        self.assertEqual(status, 201)
        # A slot takes one upload.
        self.assertEqual(self.http("PUT", put, data, {"Content-Type": "image/jpeg"})[0], 409)

        status, headers, body = self.http("GET", get)
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertEqual(headers["Content-Type"], "image/jpeg")
        self.assertEqual(headers["Content-Length"], str(len(data)))
        self.assertEqual(headers["Accept-Ranges"], "bytes")
        self.assertEqual(headers["Access-Control-Allow-Origin"], "*")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")

        # The same file over plain HTTP on the loopback port.
        path = urllib.parse.urlsplit(get).path
        status, _, body = self.http("GET", "http://127.0.0.1:%d%s" % (HTTP_PORT, path))
        self.assertEqual(status, 200)
        self.assertEqual(body, data)

        status, headers, body = self.http("HEAD", get)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Length"], str(len(data)))
        self.assertEqual(body, b"")

        status, headers, body = self.http("GET", get, headers={"Range": "bytes=100-199"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["Content-Range"], "bytes 100-199/%d" % len(data))
        self.assertEqual(body, data[100:200])
        status, headers, body = self.http("GET", get, headers={"Range": "bytes=-10"})
        self.assertEqual(status, 206)
        self.assertEqual(body, data[-10:])
        status, headers, body = self.http("GET", get, headers={"Range": "bytes=%d-" % (len(data) - 5)})
        self.assertEqual((status, body), (206, data[-5:]))
        status, headers, _ = self.http("GET", get, headers={"Range": "bytes=%d-" % len(data)})
        self.assertEqual(status, 416)
        self.assertEqual(headers["Content-Range"], "bytes */%d" % len(data))

        # CORS preflight for a web client on another origin.
        status, headers, _ = self.http("OPTIONS", put, headers={
            "Origin": "https://web.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type"})
        self.assertIn(status, (200, 204))
        self.assertEqual(headers["Access-Control-Allow-Origin"], "*")
        self.assertIn("PUT", headers["Access-Control-Allow-Methods"])
        self.assertIn("Content-Type", headers["Access-Control-Allow-Headers"])

        # Another user can fetch it (the GET URL is what gets shared).
        self.assertEqual(self.http("GET", get)[2][:64], data[:64])

    def test_too_large_is_refused_with_the_limit(self):
        alice = self.login("alice@localhost/big")
        resp = self.request_slot(alice, "huge.bin", MAX + 1)
        self.assertEqual(h.stanza_error(resp), ("modify", "not-acceptable"))
        err = resp.find("{%s}error" % h.NS_CLIENT)
        self.assertEqual(err.findtext("{%s}file-too-large/{%s}max-file-size" % (UPLOAD, UPLOAD)), str(MAX))

    def test_quota_exceeded_is_refused(self):
        carol = self.login("carol@localhost/q")
        put, _ = self.slot_urls(self.request_slot(carol, "one.bin", 5 * 1024 * 1024))
        resp = self.request_slot(carol, "two.bin", 4 * 1024 * 1024)
        self.assertEqual(h.stanza_error(resp), ("wait", "resource-constraint"))
        # What is left still fits.
        self.slot_urls(self.request_slot(carol, "three.bin", 3 * 1024 * 1024))

    def test_wrong_slot_or_token_is_refused(self):
        bob = self.login("bob@localhost/w")
        data = b"<&'\"> " * 100
        put, get = self.slot_urls(self.request_slot(bob, "notes.txt", len(data), "text/plain"))
        base, query = put.split("?", 1)
        for bad in (base, base + "?token=" + "A" * 43, base + "?" + query[:-2] + "xx"):
            status, _, _ = self.http("PUT", bad, data, {"Content-Type": "text/plain"})
            self.assertEqual(status, 403, bad)
        other = base.replace(base.split("/")[-2], "0" * 32)
        self.assertEqual(self.http("PUT", other + "?" + query, data, {"Content-Type": "text/plain"})[0], 404)
        renamed = base.rsplit("/", 1)[0] + "/other.txt?" + query
        self.assertEqual(self.http("PUT", renamed, data, {"Content-Type": "text/plain"})[0], 404)
        self.assertEqual(self.http("PUT", put, data[:-1], {"Content-Type": "text/plain"})[0], 400)
        self.assertEqual(self.http("PUT", put, data + b"x", {"Content-Type": "text/plain"})[0], 413)
        self.assertEqual(self.http("PUT", put, data, {"Content-Type": "text/html"})[0], 415)
        self.assertEqual(self.http("GET", get)[0], 404)
        # Refusals left the slot usable.
        self.assertEqual(self.http("PUT", put, data, {"Content-Type": "text/plain"})[0], 201)
        status, headers, body = self.http("GET", get)
        self.assertEqual((status, body), (200, data))
        self.assertEqual(headers["Content-Type"], "text/plain")

    def test_bad_requests(self):
        alice = self.login("alice@localhost/bad")
        for payload in ("<request xmlns='%s' size='10'/>" % UPLOAD,
                        "<request xmlns='%s' filename='a' size='-1'/>" % UPLOAD,
                        "<request xmlns='%s' filename='a' size='ten'/>" % UPLOAD,
                        "<request xmlns='%s' filename='a' size='1' content-type='nonsense'/>" % UPLOAD):
            resp = run(alice.iq(UPLOAD_JID, payload))
            self.assertEqual(h.stanza_error(resp), ("modify", "bad-request"), payload)
        resp = run(alice.iq(UPLOAD_JID, "<ping xmlns='urn:xmpp:ping'/>"))
        self.assertEqual(h.stanza_error(resp)[1], "service-unavailable")
        # Unknown paths and methods on the HTTP side.
        self.assertEqual(self.http("GET", "https://127.0.0.1:%d/upload/x/y" % HTTPS_PORT)[0], 404)
        self.assertEqual(self.http("GET", "https://127.0.0.1:%d/nothing" % HTTPS_PORT)[0], 404)
        self.assertEqual(self.http("DELETE", "https://127.0.0.1:%d/upload/%s/a" % (HTTPS_PORT, "0" * 32))[0], 405)


if __name__ == "__main__":
    h.main()
