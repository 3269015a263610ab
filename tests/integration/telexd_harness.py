"""Integration-test harness for telexd.

Everything a test needs to drive a real telexd on loopback ports:

* ``TelexServer``: picks free ports, makes a temporary data dir, starts telexd,
  waits (bounded) until its ports accept, manages users through the ``user``
  CLI, stops it with SIGTERM (SIGKILL after a timeout) and keeps its stderr in
  a log file that ``main()`` prints when a test fails.
* ``XmppClient``: a slixmpp client that talks to 127.0.0.1 with certificate
  verification disabled (telexd's certificate is self-signed) and a chosen
  SASL mechanism, with bounded helpers for messages, IQs and presence.
* ``RawClient``: a plain-socket client (``ssl`` wrap after ``<proceed/>`` or
  direct TLS, SASL PLAIN, resource binding) for hostile input.
* ``main()``: parses ``--telexd`` and runs unittest, with a global watchdog.

Every wait is bounded. Run with Debian's /usr/bin/python3 (python3-slixmpp).
"""

import argparse
import asyncio
import atexit
import base64
import logging
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

DOMAIN = "localhost"
HOST = "127.0.0.1"

NS_STREAM = "http://etherx.jabber.org/streams"
NS_CLIENT = "jabber:client"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_STREAM_ERR = "urn:ietf:params:xml:ns:xmpp-streams"
NS_STANZA_ERR = "urn:ietf:params:xml:ns:xmpp-stanzas"

# Path of the telexd binary, set by main() from --telexd.
TELEXD = os.environ.get("TELEXD")

# Log files of every server started in this process (printed on failure).
_ALL_SERVERS = []


def _kill_all_servers():
    for s in _ALL_SERVERS:
        try:
            s.kill()
        except Exception:  # noqa: BLE001
            pass


# Never leave a telexd behind, whatever way this process ends.
atexit.register(_kill_all_servers)
# TELEX_TEST_STORAGE=memory runs a file against the in-memory store: accounts are then made by
# in-band registration, since the CLI cannot reach a running server's memory.
STORAGE = os.environ.get("TELEX_TEST_STORAGE") or None
_KEEP_TEMP = os.environ.get("TELEX_IT_KEEP") == "1"
_DEBUG = os.environ.get("TELEX_IT_DEBUG") == "1"

log = logging.getLogger("telex-it")


# --------------------------------------------------------------------------
# Event loop shared by every slixmpp client of the process.
# --------------------------------------------------------------------------

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)


def run(coro, timeout=30.0):
    """Run a coroutine on the shared loop, bounded by ``timeout`` seconds."""
    return LOOP.run_until_complete(asyncio.wait_for(coro, timeout))


def pump(seconds):
    """Let the shared loop process I/O for ``seconds``."""
    LOOP.run_until_complete(asyncio.sleep(seconds))


# --------------------------------------------------------------------------
# Ports and processes
# --------------------------------------------------------------------------


def free_ports(count):
    """Return ``count`` distinct loopback TCP ports that are free right now."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_accepts(port, host=HOST, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ServerStartError(Exception):
    pass


class TelexServer:
    """One telexd process on loopback ports with its own data dir."""

    def __init__(self, telexd=None, *, domain=DOMAIN, settings=None,
                 extra_args=(), data_dir=None, c2s_port=None, tls_port=None,
                 config=None, storage=None, log_level="debug", name="telexd"):
        self.telexd = telexd or TELEXD
        if not self.telexd:
            raise ServerStartError("no telexd binary given (--telexd)")
        self.domain = domain
        self.settings = dict(settings or {})
        # Two loops even where the default would make one (2-core machines): the tests keep
        # exercising hand-offs between workers.
        self.settings.setdefault("server.workers", "2")
        self.extra_args = list(extra_args)
        self.config = config
        self.storage = storage or STORAGE
        if self.storage == "memory":
            self.settings.setdefault("registration.enabled", "true")
            self.settings.setdefault("registration.require_invite", "false")
            self.settings.setdefault("registration.max_per_address", "100000")
        self.log_level = log_level
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="telex-it-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self._auto_ports = c2s_port is None and tls_port is None
        # One call, so all five differ: the client ports, and the HTTP, HTTPS and SOCKS5 proxy
        # ports, which would otherwise be telexd's fixed defaults and clash between test files
        # running in parallel.
        p1, p2, http_port, https_port, proxy_port = free_ports(5)
        if c2s_port is None or tls_port is None:
            c2s_port = c2s_port or p1
            tls_port = tls_port or p2
        self.c2s_port = c2s_port
        self.tls_port = tls_port
        self.settings.setdefault("http.port", str(http_port))
        self.settings.setdefault("http.tls_port", str(https_port))
        self.settings.setdefault("proxy65.port", str(proxy_port))
        self.http_port = int(self.settings["http.port"])
        self.https_port = int(self.settings["http.tls_port"])
        self.proxy65_port = int(self.settings["proxy65.port"])
        self.log_path = os.path.join(self.tmp, "telexd.log")
        self.proc = None
        self.started_at = None
        self._log_file = None
        self.exit_code = None
        _ALL_SERVERS.append(self)

    # -- command lines ------------------------------------------------------
    def command(self):
        cmd = [self.telexd]
        if self.config:
            cmd += ["--config", self.config]
        cmd += ["--domain", self.domain, "--data-dir", self.data_dir,
                "--c2s-port", str(self.c2s_port),
                "--c2s-tls-port", str(self.tls_port)]
        if self.storage:
            cmd += ["--storage", self.storage]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        for key, value in self.settings.items():
            cmd += ["--set", "%s=%s" % (key, value)]
        cmd += self.extra_args
        return cmd

    def cli(self, *args, password_stdin=None, timeout=15):
        """Run a ``telexd ... user ...`` CLI command; returns CompletedProcess."""
        cmd = [self.telexd, "--data-dir", self.data_dir, "--domain",
               self.domain] + list(args)
        self._note("$ " + " ".join(cmd))
        res = subprocess.run(cmd, input=password_stdin, capture_output=True,
                             text=True, timeout=timeout)
        self._note("exit %s\nstdout: %s\nstderr: %s" %
                   (res.returncode, res.stdout, res.stderr))
        return res

    def add_user(self, jid, password):
        if self.storage == "memory":
            return self._register(jid, password)
        res = self.cli("user", "add", jid, "--password", password)
        if res.returncode != 0:
            raise AssertionError("user add %s failed (%s): %s%s" %
                                 (jid, res.returncode, res.stdout, res.stderr))
        return res

    def _register(self, jid, password):
        r = RawClient(self.c2s_port)
        try:
            r.secure()
            r.send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>%s"
                   "</username><password>%s</password></query></iq>" % (jid.split("@")[0], password))
            resp = r.wait_iq("reg")
            if resp.get("type") != "result":
                raise AssertionError("registering %s failed: %s" %
                                     (jid, ET.tostring(resp, encoding="unicode")))
        finally:
            r.close()

    def del_user(self, jid):
        res = self.cli("user", "del", jid)
        if res.returncode != 0:
            raise AssertionError("user del %s failed (%s): %s%s" %
                                 (jid, res.returncode, res.stdout, res.stderr))
        return res

    def passwd(self, jid, password):
        res = self.cli("user", "passwd", jid, "--password", password)
        if res.returncode != 0:
            raise AssertionError("user passwd %s failed (%s): %s%s" %
                                 (jid, res.returncode, res.stdout, res.stderr))
        return res

    def list_users(self):
        res = self.cli("user", "list")
        if res.returncode != 0:
            raise AssertionError("user list failed (%s): %s%s" %
                                 (res.returncode, res.stdout, res.stderr))
        return res.stdout

    # -- process control ----------------------------------------------------
    def _note(self, text):
        """Append a harness note to the server log (CLI calls etc.)."""
        try:
            with open(self.log_path + ".harness", "a") as f:
                f.write(text.rstrip() + "\n")
        except OSError:
            pass

    def spawn(self):
        """Start the process without waiting for readiness."""
        self._log_file = open(self.log_path, "ab")
        cmd = self.command()
        self._note("$ " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._log_file,
                                     stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()
        return self.proc

    def start(self, timeout=15.0):
        """Start telexd and wait (bounded) until both ports accept. With
        harness-picked ports, one retry on fresh ports covers the rare race
        where another process took a picked port meanwhile."""
        try:
            return self._start_once(timeout)
        except ServerStartError:
            if not self._auto_ports or self.exit_code is None:
                raise
            self._note("start-up failed; retrying once on fresh ports")
            self.c2s_port, self.tls_port = free_ports(2)
            self.exit_code = None
            return self._start_once(timeout)

    def _start_once(self, timeout):
        self._close_log()
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                self.exit_code = code
                raise ServerStartError(
                    "telexd exited with %s during start-up:\n%s" %
                    (code, self.log_text()[-4000:]))
            if port_accepts(self.c2s_port) and port_accepts(self.tls_port):
                return self
            time.sleep(0.05)
        self.kill()
        raise ServerStartError(
            "telexd did not accept on ports %d/%d within %.0f s:\n%s" %
            (self.c2s_port, self.tls_port, timeout, self.log_text()[-4000:]))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def uptime(self):
        return time.monotonic() - self.started_at

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """Wait for exit; returns the exit code or None on timeout."""
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
            return self.exit_code
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=10.0):
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait(timeout) is None:
                self._note("telexd did not exit %.0f s after SIGTERM; killing"
                           % timeout)
                self.kill()
        self.exit_code = self.proc.returncode
        self._close_log()
        return self.exit_code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._close_log()

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self):
        out = ""
        for path in (self.log_path + ".harness", self.log_path):
            try:
                with open(path, "rb") as f:
                    out += "---- %s ----\n" % path
                    out += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return out

    def cleanup(self):
        self.kill()
        if not _KEEP_TEMP:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run_telexd(args, timeout=15.0, stdin=None):
    """Run telexd with ``args`` to completion (for start-up failure tests)."""
    cmd = [TELEXD] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------
# slixmpp client
# --------------------------------------------------------------------------


async def _no_dns(_domain, _port=None):
    return None


def _insecure_context(ctx):
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE


class XmppClient:
    """A slixmpp ClientXMPP with bounded async helpers.

    ``mech`` restricts SASL to one mechanism (e.g. 'SCRAM-SHA-256',
    'SCRAM-SHA-1', 'PLAIN'); ``direct_tls`` connects to the XEP-0368 port.
    """

    def __init__(self, server, jid, password, mech=None, direct_tls=False,
                 port=None):
        self.server = server
        self.jid = jid
        self.xmpp = slixmpp.ClientXMPP(jid, password)
        self.xmpp.whitespace_keepalive = False
        # Connect to 127.0.0.1:port exactly (no DNS/SRV look-up), but still
        # send the domain as TLS SNI like a real client does.
        self.xmpp.default_domain = server.domain
        self.xmpp._pick_dns_answer = _no_dns
        _insecure_context(self.xmpp.ssl_context)
        # get_ssl_context() calls set_default_verify_paths(): harmless with
        # CERT_NONE, but keep verification disabled whatever it does.
        if mech:
            self.xmpp["feature_mechanisms"].use_mech = mech
        self.direct_tls = direct_tls
        if port is None:
            port = server.tls_port if direct_tls else server.c2s_port
        self.port = port
        self.inbox = []
        self._inbox_event = asyncio.Event()
        self.iqs_received = []
        self.stream_errors = []
        self.auth_failures = []
        self.outcome = None
        self._outcome_future = LOOP.create_future()
        self._disconnected = LOOP.create_future()
        x = self.xmpp
        x.add_event_handler("session_start", lambda _e: self._settle("ok"))
        x.add_event_handler("failed_auth", self._on_failed_auth)
        x.add_event_handler("failed_all_auth",
                            lambda _e: self._settle("auth_failed"))
        x.add_event_handler("no_auth", lambda _e: self._settle("no_auth"))
        x.add_event_handler("connection_failed", self._on_connection_failed)
        x.add_event_handler("stream_error", self._on_stream_error)
        x.add_event_handler("disconnected", self._on_disconnected)
        x.register_handler(Callback("telex-it messages",
                                    MatchXPath("{%s}message" % NS_CLIENT),
                                    self._on_message))

    # -- events -------------------------------------------------------------
    def _settle(self, outcome):
        if not self._outcome_future.done():
            self.outcome = outcome
            self._outcome_future.set_result(outcome)

    def _on_failed_auth(self, stanza):
        self.auth_failures.append(stanza["condition"])

    def _on_connection_failed(self, _e):
        self._settle("connection_failed")
        self.xmpp.cancel_connection_attempt()

    def _on_stream_error(self, err):
        self.stream_errors.append(err["condition"])

    def _on_disconnected(self, _e):
        self._settle("disconnected")
        if not self._disconnected.done():
            self._disconnected.set_result(True)

    def _on_message(self, msg):
        self.inbox.append(msg)
        self._inbox_event.set()

    # -- connection ---------------------------------------------------------
    async def connect(self, timeout=10.0):
        """Connect and negotiate; returns 'ok', 'auth_failed', 'disconnected',
        'connection_failed' or 'timeout'."""
        self.xmpp.connect((HOST, self.port), use_ssl=self.direct_tls)
        try:
            return await asyncio.wait_for(asyncio.shield(self._outcome_future),
                                          timeout)
        except asyncio.TimeoutError:
            self._settle("timeout")
            self.abort()
            return "timeout"

    async def login(self, timeout=10.0):
        outcome = await self.connect(timeout)
        if outcome != "ok":
            raise AssertionError(
                "%s could not log in on port %d: %s (auth failures %s, stream "
                "errors %s)" % (self.jid, self.port, outcome,
                                self.auth_failures, self.stream_errors))
        return self

    @property
    def bound_jid(self):
        return self.xmpp.boundjid.full

    @property
    def mech_used(self):
        mech = self.xmpp["feature_mechanisms"].mech
        return mech.name if mech is not None else None

    @property
    def mechs_offered(self):
        return set(self.xmpp["feature_mechanisms"].mech_list)

    def connected(self):
        return self.xmpp.is_connected() and not self._disconnected.done()

    async def wait_disconnected(self, timeout=10.0):
        try:
            await asyncio.wait_for(asyncio.shield(self._disconnected), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def wait_stream_error(self, timeout=10.0):
        """Wait for a stream error; returns its condition or None."""
        deadline = LOOP.time() + timeout
        while not self.stream_errors and LOOP.time() < deadline:
            if self._disconnected.done():
                await asyncio.sleep(0.05)  # let queued handlers run
                break
            await asyncio.sleep(0.02)
        return self.stream_errors[0] if self.stream_errors else None

    async def disconnect(self, timeout=3.0):
        if self.xmpp.transport is None:
            self.xmpp.cancel_connection_attempt()
            return
        try:
            await asyncio.wait_for(self.xmpp.disconnect(wait=1.0), timeout)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            pass
        self.abort()

    def abort(self):
        self.xmpp.cancel_connection_attempt()
        try:
            self.xmpp.abort()
        except Exception:  # noqa: BLE001
            pass

    # -- stanzas ------------------------------------------------------------
    def send_raw(self, data):
        self.xmpp.send_raw(data)

    def send_message(self, to, body, mtype="chat"):
        self.xmpp.send_message(mto=to, mbody=body, mtype=mtype)

    async def set_presence(self, priority=None, show=None):
        self.xmpp.send_presence(ppriority=priority, pshow=show)
        await self.sync()

    async def sync(self, timeout=5.0):
        """Round-trip a ping to the server: everything sent before has been
        processed by the server when this returns."""
        resp = await self.iq(self.server.domain,
                             "<ping xmlns='urn:xmpp:ping'/>", timeout=timeout)
        if resp.get("type") != "result":
            raise AssertionError("sync ping failed: %s" %
                                 ET.tostring(resp, encoding="unicode"))

    async def iq(self, to, payload, itype="get", timeout=5.0):
        """Send an IQ with a raw XML payload; returns the response element
        (type result or error). Raises AssertionError on timeout."""
        iq = self.xmpp.Iq()
        iq["type"] = itype
        if to is not None:
            iq["to"] = to
        if payload is not None:
            iq.append(ET.fromstring(payload))
        try:
            resp = await iq.send(timeout=timeout)
            return resp.xml
        except IqError as e:
            return e.iq.xml
        except IqTimeout:
            raise AssertionError("no response to IQ %s to %s within %.0f s" %
                                 (payload, to, timeout))

    def take_message(self, pred):
        for i, msg in enumerate(self.inbox):
            if pred(msg):
                return self.inbox.pop(i)
        return None

    async def wait_message(self, body=None, pred=None, timeout=5.0):
        """Wait for a message whose body is ``body`` (or matching ``pred``);
        returns the slixmpp Message or None on timeout."""
        if pred is None:
            pred = lambda m: m["body"] == body  # noqa: E731
        deadline = LOOP.time() + timeout
        while True:
            msg = self.take_message(pred)
            if msg is not None:
                return msg
            remaining = deadline - LOOP.time()
            if remaining <= 0:
                return None
            self._inbox_event.clear()
            try:
                await asyncio.wait_for(self._inbox_event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def has_message(self, body):
        return any(m["body"] == body for m in self.inbox)

    def on_iq(self, namespace, handler):
        """Handle IQs with a child in ``namespace``: handler(iq) is called and
        a result is sent back."""
        def cb(iq):
            self.iqs_received.append(iq)
            handler(iq)
            reply = iq.reply(clear=True)
            reply.send()
        self.xmpp.register_handler(
            Callback("telex-it iq " + namespace,
                     MatchXPath("{%s}iq/{%s}query" % (NS_CLIENT, namespace)),
                     cb))


async def wait_until(pred, timeout=5.0, interval=0.02):
    """Poll ``pred`` on the loop until true (returns True) or timeout."""
    deadline = LOOP.time() + timeout
    while not pred():
        if LOOP.time() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True


async def connect_clients(*clients, timeout=10.0):
    """Log several clients in concurrently."""
    await asyncio.gather(*(c.login(timeout) for c in clients))
    return clients


def stanza_error(elem):
    """(type, condition) of an <error/> child of a stanza element, or None."""
    err = elem.find("{%s}error" % NS_CLIENT)
    if err is None:
        return None
    cond = None
    for child in err:
        if child.tag.startswith("{%s}" % NS_STANZA_ERR) and \
                not child.tag.endswith("}text"):
            cond = child.tag.split("}", 1)[1]
            break
    return err.get("type"), cond


# --------------------------------------------------------------------------
# Raw socket client
# --------------------------------------------------------------------------


class RawClient:
    """A minimal blocking XMPP client over a plain socket, for hostile input.

    It parses what the server sends with an incremental XML parser; elements
    at depth 1 (stanzas, features, stream errors) are queued for next().
    """

    def __init__(self, port, *, domain=DOMAIN, direct_tls=False, timeout=10.0,
                 source=None):
        self.domain = domain
        self.timeout = timeout
        self.sock = socket.create_connection(
            (HOST, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.tls = False
        self.closed = False
        self.parse_failed = False
        self.raw = bytearray()          # everything received on this stream
        self.all_raw = bytearray()      # everything received on the socket
        self.elements = []
        self.root = None
        self.stream_ended = False
        self._reset_parser()
        if direct_tls:
            self._wrap_tls()

    # -- plumbing -----------------------------------------------------------
    def _reset_parser(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.root = None
        self.raw = bytearray()
        self.parse_failed = False

    def _wrap_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _insecure_context(ctx)
        self.sock.settimeout(self.timeout)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=self.domain)
        self.tls = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        """Send str/bytes; returns False if the peer already closed."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            return False

    def send_chunked(self, data, chunk=8192):
        """Send a large payload in chunks, stopping as soon as the server
        answers or closes (so its stream error is not lost to a TCP reset)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        for i in range(0, len(data), chunk):
            if not self.send(data[i:i + chunk]):
                return False
            if self._readable(0.01):
                return False
        return True

    def _readable(self, timeout):
        if self.tls and self.sock.pending():
            return True
        try:
            r, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):
            return True
        return bool(r)

    def _recv_once(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except ssl.SSLWantReadError:
            return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        self._feed(data)
        return True

    def _feed(self, data):
        self.raw += data
        self.all_raw += data
        if _DEBUG:
            sys.stderr.write("RAW RECV: %r\n" % bytes(data[:500]))
        if self.parse_failed:
            return
        try:
            self.parser.feed(data)
            for event, elem in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.root = elem
                elif event == "end":
                    self.depth -= 1
                    if self.depth == 1:
                        self.elements.append(elem)
                        if self.root is not None:
                            # drop children (clear() would also drop the
                            # header's attributes)
                            for child in list(self.root):
                                self.root.remove(child)
                    elif self.depth == 0:
                        self.stream_ended = True
        except ET.ParseError:
            self.parse_failed = True

    # -- reading ------------------------------------------------------------
    def next(self, timeout=None):
        """Next depth-1 element, or None if the stream closed / timed out."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.elements:
            if self.closed or self.stream_ended:
                return None
            if not self._recv_once(deadline):
                if time.monotonic() >= deadline or self.closed:
                    if not self.elements:
                        return None
        return self.elements.pop(0)

    def expect(self, tag, timeout=None):
        elem = self.next(timeout)
        if elem is None:
            raise AssertionError("expected %s, got nothing (closed=%s); "
                                 "received: %r" % (tag, self.closed,
                                                   bytes(self.raw[-2000:])))
        if elem.tag != tag:
            raise AssertionError("expected %s, got %s" %
                                 (tag, ET.tostring(elem, encoding="unicode")))
        return elem

    def wait_closed(self, timeout=5.0):
        """Read until the peer closes the TCP connection; True if it did."""
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._recv_once(deadline)
        return self.closed

    def stream_error(self, timeout=None):
        """Read until a stream error arrives (or the stream closes / times
        out); returns the defined condition or None. Falls back to a regex
        over the raw bytes when the server's output was not parseable (e.g.
        a stream error without a stream header)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, elem in enumerate(self.elements):
                if elem.tag == "{%s}error" % NS_STREAM:
                    self.elements = self.elements[i + 1:]
                    for child in elem:
                        if child.tag.startswith("{%s}" % NS_STREAM_ERR) and \
                                not child.tag.endswith("}text"):
                            return child.tag.split("}", 1)[1]
                    return "(stream error without condition)"
            if self.parse_failed or self.closed or self.stream_ended:
                cond = self._regex_condition()
                if cond or self.closed or self.stream_ended:
                    return cond
            if time.monotonic() >= deadline:
                return self._regex_condition()
            self._recv_once(deadline)

    def _regex_condition(self):
        text = bytes(self.all_raw).decode("utf-8", "replace")
        for m in re.finditer(r"<([A-Za-z][\w-]*)\s[^>]*xmlns=(['\"])" +
                             re.escape(NS_STREAM_ERR) + r"\2", text):
            if m.group(1) != "text":
                return m.group(1)
        return None

    # -- protocol steps -----------------------------------------------------
    def stream_header(self, to=None, xmlns=NS_CLIENT, stream_ns=NS_STREAM,
                      version="1.0", xml_decl=False):
        to = self.domain if to is None else to
        head = "<?xml version='1.0'?>" if xml_decl else ""
        attrs = ""
        if to:
            attrs += " to='%s'" % to
        if version:
            attrs += " version='%s'" % version
        return ("%s<stream:stream%s xmlns='%s' xmlns:stream='%s' "
                "xml:lang='en'>" % (head, attrs, xmlns, stream_ns))

    def open_stream(self, **kw):
        """Send a stream header (resetting the parser) and return the
        <stream:features/> element."""
        self._reset_parser()
        self.send(self.stream_header(**kw))
        return self.expect("{%s}features" % NS_STREAM)

    def open_stream_only(self, **kw):
        self._reset_parser()
        return self.send(self.stream_header(**kw))

    def starttls(self):
        """After features offering STARTTLS: negotiate TLS, reopen the
        stream and return the new features."""
        self.send("<starttls xmlns='%s'/>" % NS_TLS)
        self.expect("{%s}proceed" % NS_TLS)
        self._wrap_tls()
        return self.open_stream()

    def secure(self, xml_decl=False):
        """Open the stream and make it TLS (STARTTLS unless already TLS);
        returns the post-TLS features."""
        features = self.open_stream(xml_decl=xml_decl)
        if not self.tls:
            features = self.starttls()
        return features

    def auth_plain(self, user, password, timeout=None):
        """SASL PLAIN; returns (True, None) or (False, condition)."""
        token = base64.b64encode(("\0%s\0%s" % (user, password))
                                 .encode("utf-8")).decode("ascii")
        self.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" %
                  (NS_SASL, token))
        elem = self.next(timeout)
        if elem is None:
            return False, None
        if elem.tag == "{%s}success" % NS_SASL:
            return True, None
        if elem.tag == "{%s}failure" % NS_SASL:
            conds = [c.tag.split("}", 1)[1] for c in elem
                     if not c.tag.endswith("}text")]
            return False, conds[0] if conds else None
        raise AssertionError("unexpected answer to <auth/>: %s" %
                             ET.tostring(elem, encoding="unicode"))

    def bind(self, resource=None, timeout=None):
        """Resource binding; returns the <iq/> response element."""
        iq_id = "bind-" + uuid.uuid4().hex[:8]
        res = "<resource>%s</resource>" % resource if resource else ""
        self.send("<iq type='set' id='%s'><bind xmlns='%s'>%s</bind></iq>" %
                  (iq_id, NS_BIND, res))
        return self.wait_iq(iq_id, timeout)

    def wait_iq(self, iq_id, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            elem = self.next(max(0.01, deadline - time.monotonic()))
            if elem is None:
                raise AssertionError("no response to iq %s (closed=%s); "
                                     "received %r" % (iq_id, self.closed,
                                                      bytes(self.raw[-2000:])))
            if elem.tag == "{%s}iq" % NS_CLIENT and elem.get("id") == iq_id:
                return elem

    def login(self, user, password, resource=None, session=False,
              xml_decl=False):
        """TLS + PLAIN + bind (+ legacy session). Returns the bound JID."""
        self.secure(xml_decl=xml_decl)
        ok, cond = self.auth_plain(user, password)
        if not ok:
            raise AssertionError("PLAIN auth of %s failed: %s" % (user, cond))
        self.open_stream(xml_decl=xml_decl)
        resp = self.bind(resource)
        if resp.get("type") != "result":
            raise AssertionError("bind failed: %s" %
                                 ET.tostring(resp, encoding="unicode"))
        jid = resp.findtext("{%s}bind/{%s}jid" % (NS_BIND, NS_BIND))
        if session:
            self.send("<iq type='set' id='sess1'><session xmlns='%s'/></iq>"
                      % NS_SESSION)
            r = self.wait_iq("sess1")
            if r.get("type") != "result":
                raise AssertionError("session failed: %s" %
                                     ET.tostring(r, encoding="unicode"))
        return jid


def mechanisms_of(features):
    return [m.text for m in features.iter("{%s}mechanism" % NS_SASL)]


# --------------------------------------------------------------------------
# unittest glue
# --------------------------------------------------------------------------


class ServerTestCase(unittest.TestCase):
    """Base class: one telexd per test class (``settings`` for --set), the
    users in ``users`` added through the CLI, every XmppClient made with
    client() disconnected after each test."""

    settings = {}
    users = {}
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = TelexServer(settings=cls.settings)
        try:
            cls.server.start()
            for jid, pw in cls.users.items():
                cls.server.add_user(jid, pw)
        except Exception:
            cls.server.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            code = cls.server.stop()
            if code != 0:
                raise AssertionError("telexd exited with %s after SIGTERM" %
                                     code)

    def setUp(self):
        self._clients = []
        self._raws = []

    def tearDown(self):
        for c in self._clients:
            try:
                run(c.disconnect(), timeout=5)
            except Exception:  # noqa: BLE001
                c.abort()
        for r in self._raws:
            r.close()
        pump(0.05)

    def client(self, jid, password=None, **kw):
        if password is None:
            password = self.users[jid.split("/", 1)[0]]
        c = XmppClient(self.server, jid, password, **kw)
        self._clients.append(c)
        return c

    def login(self, jid, password=None, **kw):
        c = self.client(jid, password, **kw)
        run(c.login(), timeout=15)
        return c

    def raw(self, port=None, **kw):
        r = RawClient(port or self.server.c2s_port, **kw)
        self._raws.append(r)
        return r


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "WARNING: ThreadSanitizer",
                     "ERROR: ThreadSanitizer")


def sanitizer_reports():
    """Names of server logs holding a sanitizer report."""
    found = []
    for s in _ALL_SERVERS:
        text = s.log_text()
        if any(m in text for m in SANITIZER_MARKERS):
            found.append(s.log_path)
    return found


def _watchdog(seconds):
    def fire():
        sys.stderr.write("\n*** WATCHDOG: test file exceeded %d s; dumping "
                         "server logs and aborting ***\n" % seconds)
        _dump_logs()
        for s in _ALL_SERVERS:
            s.kill()
        sys.stderr.flush()
        os._exit(3)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def _dump_logs():
    for s in _ALL_SERVERS:
        text = s.log_text()
        if len(text) > 12000:
            text = "[... %d bytes cut ...]\n" % (len(text) - 12000) + \
                text[-12000:]
        sys.stderr.write("\n===== log of %s (ports %d/%d, dir %s) =====\n%s\n"
                         % (s.name, s.c2s_port, s.tls_port, s.tmp, text))


def _shutdown_loop():
    """Cancel slixmpp's leftover tasks so the interpreter exits quietly."""
    try:
        pending = [t for t in asyncio.all_tasks(LOOP) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            LOOP.run_until_complete(asyncio.wait(pending, timeout=2))
    except Exception:  # noqa: BLE001
        pass


def main(budget=190):
    """Parse --telexd, run the unittest module, print server logs on failure,
    exit 0 on success."""
    global TELEXD
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--telexd", default=TELEXD)
    args, rest = parser.parse_known_args()
    if not args.telexd:
        sys.stderr.write("usage: %s --telexd /path/to/telexd [unittest args]\n"
                         % sys.argv[0])
        sys.exit(2)
    TELEXD = os.path.abspath(args.telexd)
    if not os.access(TELEXD, os.X_OK):
        sys.stderr.write("telexd binary %s is not executable\n" % TELEXD)
        sys.exit(2)
    logging.basicConfig(
        level=logging.DEBUG if _DEBUG else logging.CRITICAL,
        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _watchdog(budget)
    prog = unittest.main(module="__main__", argv=[sys.argv[0]] + rest,
                         exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    _shutdown_loop()
    for s in _ALL_SERVERS:
        s.kill()
    reports = sanitizer_reports()
    if reports:
        ok = False
        sys.stderr.write("\n*** sanitizer reports in telexd output: %s ***\n"
                         % ", ".join(reports))
    if not ok:
        _dump_logs()
    for s in _ALL_SERVERS:
        if ok:
            s.cleanup()
        else:
            s.kill()
    if not ok:
        sys.stderr.write("temp dirs kept: %s\n" %
                         " ".join(s.tmp for s in _ALL_SERVERS))
    sys.stderr.flush()
    sys.exit(0 if ok else 1)
