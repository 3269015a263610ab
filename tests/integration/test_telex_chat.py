"""`telex chat`, the full-screen Messenger, driven inside a detached tmux session.

A real telexd, alice in `telex chat` (a 120x40 tmux pane on its own tmux socket, driven with
send-keys and read with capture-pane), bob as a slixmpp client with a mutual subscription set up
first. Proves: sign-in, bob shown coming online in the contact list, bob's message shown (with
its emoticon as emoji), alice's reply typed on the keyboard reaching bob, Away after the idle
time from the config file (bob sees show=away), and back to Online on a key press.

Run: /usr/bin/python3 tests/integration/test_telex_chat.py --telexd build/telexd
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import telexd_harness as h  # noqa: E402
from telexd_harness import HOST, LOOP, run  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

PASSWORDS = {
    "alice@localhost": "alice-secret",
    "bob@localhost": "bob-secret",
    "erin@localhost": "erin-secret",
    "carol@localhost": "carol-secret",
    "dave@localhost": "dave-secret",
}
ROOM = "lounge@conference.localhost"
# Files sent with /send go through the server's upload service; plain HTTP on loopback here.
HTTP_PORT, HTTPS_PORT = h.free_ports(2)
IDLE_SECONDS = 3


def telex_binary():
    path = os.path.join(os.path.dirname(h.TELEXD), "telex")
    if not os.access(path, os.X_OK):
        raise AssertionError("telex binary not found next to telexd: %s" % path)
    return path


class Tmux:
    """A tmux server of our own (unique socket) with one 120x40 session."""

    def __init__(self, tmp):
        self.socket = "telex-chat-%s" % uuid.uuid4().hex[:12]
        self.tmp = tmp  # the socket lives here too (TMUX_TMPDIR), removed with it
        self.conf = os.path.join(tmp, "tmux.conf")
        with open(self.conf, "w") as f:
            # Keep the pane after telex exits so its last screen can be read.
            f.write("set -g remain-on-exit on\nset -g history-limit 1000\n")

    def cmd(self, *args, check=True):
        tmux = shutil.which("tmux")
        if tmux is None:
            raise AssertionError("tmux is not installed (scripts/install-deps.sh installs it)")
        res = subprocess.run([tmux, "-L", self.socket, "-f", self.conf] + list(args),
                             capture_output=True, text=True, timeout=10,
                             env=dict(os.environ, TMUX_TMPDIR=self.tmp))
        if check and res.returncode != 0:
            raise AssertionError("tmux %s failed: %s" % (" ".join(args), res.stderr))
        return res

    def start(self, command, env):
        # Through env(1): tmux gives a new pane the PATH of the tmux client, not the -e one.
        args = ["new-session", "-d", "-s", "chat", "-x", "120", "-y", "40", "--", "/usr/bin/env"]
        args += ["%s=%s" % kv for kv in env.items()]
        self.cmd(*(args + command))

    def screen(self):
        res = self.cmd("capture-pane", "-p", "-t", "chat", check=False)
        return res.stdout if res.returncode == 0 else ""

    def keys(self, *keys):
        self.cmd("send-keys", "-t", "chat", *keys)

    def type(self, text):
        self.cmd("send-keys", "-t", "chat", "-l", text)

    def kill(self):
        self.cmd("kill-server", check=False)


class TelexChatTest(h.ServerTestCase):
    users = PASSWORDS
    settings = {"http.port": str(HTTP_PORT), "http.tls_port": str(HTTPS_PORT),
                "http.external_url": "http://127.0.0.1:%d" % HTTP_PORT}

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="telex-chat-home-")
        self.tmux = Tmux(self.home)
        self.log = os.path.join(self.home, "chat.log")
        # A stand-in notify-send that records its arguments: the desktop alerts are visible.
        self.fakebin = os.path.join(self.home, "bin")
        os.makedirs(self.fakebin)
        self.notified = os.path.join(self.home, "notified.txt")
        script = os.path.join(self.fakebin, "notify-send")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done >> %s\n"
                    % self.notified)
        os.chmod(script, 0o755)

    def tearDown(self):
        try:
            self.tmux.kill()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
            super().tearDown()

    # -- helpers ----------------------------------------------------------------------------------
    def wait_screen(self, *needles, timeout=10.0, absent=False):
        """Polls the pane until every one of `needles` is on it at once (or all gone, with
        absent=True). One capture must hold them all: tmux may show a redraw half done."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.tmux.screen()
            if all((needle in screen) != absent for needle in needles):
                return screen
            h.pump(0.1)  # keep slixmpp going while we wait
        log = ""
        if os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                log = f.read()[-4000:]
        self.fail("%r %s the screen within %.0f s.\n--- screen ---\n%s\n--- telex log ---\n%s" %
                  (needles, "stayed on" if absent else "never all appeared on", timeout, screen,
                   log))

    def mutual_subscription(self):
        """alice and bob see each other's presence (roster subscription 'both')."""
        alice = self.login("alice@localhost/setup")
        bob = self.login("bob@localhost/setup")
        # slixmpp answers subscription requests itself (auto_authorize / auto_subscribe); the
        # explicit stanzas make the outcome independent of that.
        bob.xmpp.send_presence(pto="alice@localhost", ptype="subscribe")
        alice.xmpp.send_presence(pto="bob@localhost", ptype="subscribed")
        alice.xmpp.send_presence(pto="bob@localhost", ptype="subscribe")
        bob.xmpp.send_presence(pto="alice@localhost", ptype="subscribed")
        run(bob.sync())
        run(alice.sync())

        def both():
            resp = run(alice.iq(None, "<query xmlns='jabber:iq:roster'/>"))
            for item in resp.iter("{jabber:iq:roster}item"):
                if item.get("jid") == "bob@localhost":
                    return item.get("subscription") == "both"
            return False
        deadline = time.monotonic() + 10
        while not both():
            self.assertLess(time.monotonic(), deadline, "no mutual subscription")
            h.pump(0.1)
        run(alice.disconnect())
        run(bob.disconnect())

    def chat_env(self, jid, password=None):
        """Writes the config file (server, CA, idle time) and returns telex's environment."""
        config = os.path.join(self.home, ".config", "telex", "config.toml")
        os.makedirs(os.path.dirname(config), exist_ok=True)
        with open(config, "w") as f:
            f.write("[account]\njid = \"%s\"\nserver = \"%s:%d\"\n"
                    "ca_file = \"%s\"\n\n[client]\naway_after_idle = true\n"
                    "away_seconds = %d\nsound = false\n" %
                    (jid, HOST, self.server.c2s_port,
                     os.path.join(self.server.data_dir, "tls", "cert.pem"), IDLE_SECONDS))
        return {
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "TELEX_PASSWORD": password or PASSWORDS[jid],
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "screen",
            "PATH": self.fakebin + ":/usr/bin:/bin",  # our notify-send only
        }

    def start_chat(self, jid="alice@localhost"):
        self.tmux.start([telex_binary(), "chat", "--log", self.log, "--debug"],
                        self.chat_env(jid))

    def watch_presence(self, client):
        """Records (from bare JID, type, show) of every presence `client` receives."""
        seen = []

        def on_presence(p):
            seen.append((p["from"].bare, p["type"], p["show"]))
        client.xmpp.register_handler(Callback("presence log %s" % client.jid,
                                              MatchXPath("{jabber:client}presence"), on_presence))
        return seen

    def submit(self, text):
        self.tmux.type(text)
        self.wait_screen("> " + text[:60])
        self.tmux.keys("Enter")

    # -- the scenarios -----------------------------------------------------------------------------
    def test_sign_in_presence_messages_and_idle_away(self):
        started = time.monotonic()
        self.mutual_subscription()
        self.start_chat()
        self.wait_screen("online as alice@localhost/")
        self.wait_screen("Offline (1)")
        self.wait_screen("bob@localhost")

        # bob comes online: the contact list moves him to Online.
        bob = self.client("bob@localhost/desk")
        presences = []

        def on_presence(p):
            if p["from"].bare == "alice@localhost":
                presences.append((p["type"], p["show"], p["status"]))
        bob.xmpp.register_handler(Callback("alice presence",
                                           MatchXPath("{jabber:client}presence"), on_presence))
        run(bob.login(), timeout=15)
        run(bob.set_presence())
        self.wait_screen("Online (1)", "Offline (0)")

        # bob writes: a tab opens with his message, the emoticon shown as emoji.
        bob.send_message("alice@localhost", "hello alice :)")
        self.wait_screen("bob@localhost: hello alice \U0001F642", "1:bob@localhost")

        # alice answers from the keyboard; bob receives it.
        self.tmux.type("hi bob, nice to see you")
        self.wait_screen("> hi bob, nice to see you")
        self.tmux.keys("Enter")
        msg = run(bob.wait_message(body="hi bob, nice to see you", timeout=10), timeout=15)
        self.assertIsNotNone(msg, "bob never got alice's reply; inbox %r" %
                             [m["body"] for m in bob.inbox])
        self.assertEqual(msg["type"], "chat")
        self.wait_screen("me: hi bob, nice to see you")

        # Idle: after IDLE_SECONDS without a key alice goes Away, and bob sees show=away.
        typed_at = len(presences)
        self.wait_screen("Away (idle)", timeout=IDLE_SECONDS + 8)
        self.assertTrue(run(h.wait_until(
            lambda: any(show == "away" for _t, show, _s in presences[typed_at:]), timeout=5)),
            "bob never saw alice away: %r" % presences)

        # A key brings her back to Online (plain available presence).
        away_at = len(presences)
        self.tmux.type("x")
        self.wait_screen("Away (idle)", absent=True)
        self.assertTrue(run(h.wait_until(
            lambda: any(show == "" and t == "available" for t, show, _s in presences[away_at:]),
            timeout=5)), "bob never saw alice back online: %r" % presences)

        # The terminal shrinks (SIGWINCH): the window is laid out again for 90x30, with the
        # input line second to last and the conversation still there.
        self.tmux.cmd("resize-window", "-t", "chat", "-x", "90", "-y", "30")
        deadline = time.monotonic() + 10
        while True:
            lines = self.tmux.screen().split("\n")
            if len(lines) >= 30 and lines[28].startswith(">") and \
                    any("me: hi bob" in line for line in lines) and \
                    max(len(line) for line in lines) <= 90:
                break
            self.assertLess(time.monotonic(), deadline,
                            "not redrawn for 90x30:\n" + "\n".join(lines))
            h.pump(0.1)

        # /quit signs out cleanly: bob sees alice unavailable.
        self.tmux.keys("BSpace")
        self.tmux.type("/quit")
        self.tmux.keys("Enter")
        self.assertTrue(run(h.wait_until(
            lambda: any(t == "unavailable" for t, _sh, _s in presences), timeout=10)),
            "bob never saw alice leave: %r" % presences)
        self.assertLess(time.monotonic() - started, 60)

    def test_requests_contacts_rooms_and_unread(self):
        started = time.monotonic()
        self.start_chat("erin@localhost")
        self.wait_screen("online as erin@localhost/")
        carol = self.client("carol@localhost/pc")
        carol_seen = self.watch_presence(carol)
        dave = self.client("dave@localhost/pc")
        dave_seen = self.watch_presence(dave)
        run(h.connect_clients(carol, dave), timeout=15)
        run(carol.set_presence())
        run(dave.set_presence())

        # carol asks to see erin's status: listed under Requests, approved from the keyboard.
        carol.xmpp.send_presence(pto="erin@localhost", ptype="subscribe")
        self.wait_screen("carol@localhost wants to add you")
        self.assertIn("Requests (1)", self.tmux.screen())
        self.submit("/approve carol@localhost")
        self.assertTrue(run(h.wait_until(
            lambda: ("erin@localhost", "subscribed", "") in carol_seen, timeout=10)),
            "carol never got 'subscribed': %r" % carol_seen)
        self.wait_screen("Requests (1)", absent=True)
        # Approving also asks back; carol's client accepts, so erin sees her online.
        self.wait_screen("Online (1)")

        # /add: dave gets the request; once he accepts he shows under his new name.
        self.submit("/add dave@localhost Dave the Builder")
        self.assertTrue(run(h.wait_until(
            lambda: ("erin@localhost", "subscribe", "") in dave_seen, timeout=10)),
            "dave never got erin's request: %r" % dave_seen)
        dave.xmpp.send_presence(pto="erin@localhost", ptype="subscribed")
        self.wait_screen("Dave the Builder")
        self.wait_screen("Online (2)")
        # dave's client asks back; someone erin added herself is approved without asking her.
        self.assertTrue(run(h.wait_until(
            lambda: ("erin@localhost", "subscribed", "") in dave_seen, timeout=10)),
            "dave's request was not approved: %r" % dave_seen)
        self.assertNotIn("Requests", self.tmux.screen())

        # A group conversation: erin joins (creating the room), carol joins and talks.
        self.submit("/join %s" % ROOM)
        self.wait_screen("You joined %s as erin" % ROOM)
        carol.send_raw("<presence to='%s/carol'><x xmlns='http://jabber.org/protocol/muc'/>"
                       "</presence>" % ROOM)
        self.wait_screen("Occupants (2)")
        carol.send_raw("<message type='groupchat' to='%s'><body>hi room (y)</body></message>"
                       % ROOM)
        self.wait_screen("carol: hi room \U0001F44D")
        self.submit("hello room")
        msg = run(carol.wait_message(
            pred=lambda m: m["type"] == "groupchat" and m["body"] == "hello room",
            timeout=10), timeout=15)
        self.assertIsNotNone(msg, "carol never got erin's room message")

        # A private message while the room tab is shown: a new tab with an unread count,
        # cleared by switching to it with Tab.
        carol.send_message("erin@localhost", "psst")
        self.wait_screen("2:carol@localhost (1)", "1 unread")
        self.tmux.keys("Tab")
        self.wait_screen("carol@localhost: psst", "2:carol@localhost │")
        self.wait_screen("unread", absent=True)
        # That message was not on screen when it came: a desktop notification said so.
        def notified():
            if not os.path.exists(self.notified):
                return []
            with open(self.notified) as f:
                return f.read().splitlines()
        self.assertTrue(run(h.wait_until(lambda: "psst" in notified(), timeout=5)),
                        "no notification for carol's message")
        lines = notified()
        self.assertIn("carol@localhost says:", lines)
        self.assertIn("--", lines)  # title and body can never be taken for options

        # /send uploads a file (XEP-0363) and sends carol its link.
        path = os.path.join(self.home, "notes for carol.txt")
        with open(path, "w") as f:
            f.write("meeting notes\n" * 100)
        self.submit("/send " + path)
        msg = run(carol.wait_message(
            pred=lambda m: m["type"] == "chat" and m["body"].startswith("http://127.0.0.1:"),
            timeout=20), timeout=25)
        self.assertIsNotNone(msg, "carol never got the file's link; inbox %r" %
                             [m["body"] for m in carol.inbox])
        with urllib.request.urlopen(msg["body"], timeout=10) as resp:
            self.assertEqual(resp.read().decode(), "meeting notes\n" * 100)
        self.wait_screen("sent a file: http://127.0.0.1:")

        # A bad command is refused on the status line; nothing is sent.
        self.submit("/status sleepy")
        self.wait_screen("usage: /status online|away|busy|offline [text]")
        self.submit("/quit")
        self.assertTrue(run(h.wait_until(
            lambda: ("erin@localhost", "unavailable", "") in carol_seen, timeout=10)),
            "carol never saw erin leave")
        self.assertLess(time.monotonic() - started, 60)

    def test_wrong_password_and_no_terminal(self):
        # A sign-in that cannot succeed gives the terminal back and says why, exit status 3.
        # (script(1) provides the terminal: tmux may drop a dying pane's last output.)
        typescript = os.path.join(self.home, "typescript")
        env = self.chat_env("erin@localhost", password="not-her-password")
        res = subprocess.run(["script", "-q", "-e", "-c", "%s chat" % telex_binary(), typescript],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                             env=dict(env, COLUMNS="100", LINES="30"))
        self.assertEqual(res.returncode, 3, res)
        with open(typescript, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        # The line comes after the screen was given back (the alternate screen left).
        after = out.rsplit("\x1b[?1049l", 1)
        self.assertEqual(len(after), 2, out[-500:])
        self.assertIn("telex: sign-in failed: not-authorized", after[1])
        # Without a terminal: exit 2 before anything else (no password prompt, no connection).
        res = subprocess.run([telex_binary(), "chat", "--jid", "erin@localhost"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
        self.assertEqual(res.returncode, 2, res)
        self.assertIn("chat needs a terminal", res.stderr)


if __name__ == "__main__":
    h.main(budget=90)
