// The chat application: client events → model → view, keys → commands → client.
#include "apps/telex/chat/chat_app.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "apps/telex/chat/chat_model.hpp"
#include "apps/telex/chat/commands.hpp"
#include "apps/telex/chat/emoticons.hpp"
#include "apps/telex/chat/idle.hpp"
#include "apps/telex/chat/notify.hpp"
#include "apps/telex/chat/text.hpp"
#include "apps/telex/chat/view_curses.hpp"

// Key codes only (no curses drawing here; the view owns the screen).
#define NCURSES_WIDECHAR 1
#define NCURSES_NOMACROS 1
#include <curses.h>

namespace telex::chat {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 2;
constexpr int kExitConnection = 3;
constexpr auto kNoticeFor = std::chrono::seconds(8);
// Presence that arrives right after signing in is the list of who is already online, not news.
constexpr auto kQuietAfterSignIn = std::chrono::seconds(3);

constexpr unsigned ctrl(char c) { return static_cast<unsigned>(c) & 0x1f; }

std::string expandHome(const std::string& path) {
  if (path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) return std::string(home) + path.substr(1);
  }
  return path;
}

class ChatApp {
 public:
  ChatApp(asio::io_context& io, client::ClientOptions options, const client::Settings& settings,
          const ChatFlags& flags, bool debug)
      : io_(io),
        settings_(settings.client),
        client_(io, std::move(options)),
        idle_(settings.client.awayAfterIdle, idleTimeoutOf(settings.client), Clock::now()),
        notifier_(settings.client.alertContactOnline || settings.client.alertMessage),
        signals_(io, SIGINT, SIGTERM),
        winch_(io, SIGWINCH),
        ticker_(io),
        quitTimer_(io),
        input_(io, ::dup(STDIN_FILENO)) {
    if (!flags.logFile.empty()) log_.open(expandHome(flags.logFile), std::ios::app);
    state_.account = client_.options().jid.bareString();
    state_.emoticons = settings.client.emoticons && view_.utf8();
    state_.connection = "connecting";
    traceKeys_ = debug && log_.is_open();
    if (!notifier_.available()) logLine("no notify-send: desktop notifications are off");
    if (debug && log_.is_open()) {
      client_.onTrace([this](bool incoming, std::string_view xml) {
        log_ << (incoming ? "<< " : ">> ") << xml << '\n';
        log_.flush();
      });
    }
    wireClient();
  }

  int run() {
    logLine("starting as " + client_.options().jid.full());
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) quit();
    });
    waitWinch();
    waitInput();
    scheduleTick();
    client_.connect();
    draw();
    io_.run();
    return exitCode_;
  }

  std::string exitMessage() const { return exitMessage_; }

 private:
  // ---- client events ------------------------------------------------------------------------
  void wireClient() {
    client_.onConnected([this](const Jid& bound) {
      model_.setSelf(bound);
      state_.connection = "online as " + bound.full();
      quietUntil_ = Clock::now() + kQuietAfterSignIn;
      client_.requestRoster();
      client_.sendPresence(presenceFor(idle_.effective(), statusText_));
      setNotice("Signed in as " + bound.full(), false);
      logLine("signed in as " + bound.full());
      redraw();
    });
    client_.onResumed([this](const Jid& bound) {
      state_.connection = "online as " + bound.full();
      logLine("session resumed");
      redraw();
    });
    client_.onDisconnected([this](const client::DisconnectInfo& info) {
      model_.clearPresence();
      logLine("disconnected: " + info.describe());
      if (info.reason == client::DisconnectReason::Requested || quitting_) {
        stop();
        return;
      }
      if (info.willReconnect) {
        const auto seconds = static_cast<double>(info.reconnectDelay.count()) / 1000.0;
        char delay[32];
        std::snprintf(delay, sizeof delay, "%.0f", seconds);
        state_.connection = "offline: reconnecting in " + std::string(delay) + " s";
        setNotice(info.describe(), true);
        redraw();
        return;
      }
      exitCode_ = kExitConnection;
      exitMessage_ = info.describe();
      if (info.reason == client::DisconnectReason::CertificateRejected) {
        exitMessage_ += " (use --ca-file FILE to trust the server's certificate)";
      }
      stop();
    });
    client_.onRoster([this](const client::Roster& roster, bool push) {
      model_.applyRoster(roster, push);
      redraw();
    });
    client_.onPresence([this](const client::Presence& p) { onPresence(p); });
    client_.onSubscriptionRequest([this](const Jid& from, const client::Presence&) {
      // Someone we added ourselves (Messenger contacts are mutual): no need to ask the user.
      if (const Contact* c = model_.contact(from);
          c != nullptr && (c->askSubscribe || c->subscription == client::Subscription::To)) {
        client_.approveSubscription(from.bare());
        logLine("request from " + from.bareString() + " approved (a contact we added)");
        return;
      }
      model_.addRequest(from);
      setNotice(from.bareString() + " wants to add you: /approve " + from.bareString() +
                    " or /deny " + from.bareString(),
                false);
      alert(settings_.alertContactOnline, "Telex: contact request",
            from.bareString() + " wants to add you to their contacts");
      logLine("request from " + from.bareString());
      redraw();
    });
    client_.onMessage([this](const client::Message& m) { onMessage(m); });
    client_.onRoomMessage([this](const client::RoomMessage& m) {
      model_.applyRoomMessage(m, std::time(nullptr));
      if (!m.body.empty()) logLine("room " + m.room.bareString() + " " + m.nick + ": " + m.body);
      redraw();
    });
    client_.onRoomPresence([this](const client::RoomPresence& p) {
      model_.applyRoomPresence(p, std::time(nullptr));
      redraw();
    });
    client_.onError([this](const std::string& what) {
      setNotice(what, true);
      logLine("error: " + what);
      redraw();
    });
  }

  void onPresence(const client::Presence& p) {
    const auto event = model_.applyPresence(p);
    if (!p.from) return;
    const Jid bare = p.from->bare();
    const std::string name = model_.nameOf(bare);
    const std::time_t now = std::time(nullptr);
    const auto tab = model_.find(bare);
    switch (event) {
      case PresenceEvent::CameOnline: {
        const Contact* c = model_.contact(bare);
        const std::string label(
            availabilityLabel(c != nullptr ? c->availability() : Availability::Online));
        logLine("presence " + bare.bareString() + " online (" + label + ")");
        if (tab) model_.addSystem(*tab, name + " is now " + label, now);
        if (Clock::now() >= quietUntil_) {
          setNotice(name + " is now " + label, false);
          alert(settings_.alertContactOnline, "Telex", name + " has just signed in");
        }
        break;
      }
      case PresenceEvent::WentOffline:
        logLine("presence " + bare.bareString() + " offline");
        if (tab) model_.addSystem(*tab, name + " signed out", now);
        break;
      case PresenceEvent::Changed:
        if (const Contact* c = model_.contact(bare)) {
          logLine("presence " + bare.bareString() + " " +
                  std::string(availabilityLabel(c->availability())));
        }
        break;
      case PresenceEvent::Request:
        setNotice(bare.bareString() + " wants to add you: /approve or /deny", false);
        alert(settings_.alertContactOnline, "Telex: contact request",
              bare.bareString() + " wants to add you to their contacts");
        break;
      case PresenceEvent::Subscribed:
        setNotice(bare.bareString() + " accepted your request", false);
        break;
      case PresenceEvent::Unsubscribed:
        setNotice(bare.bareString() + " does not share their status with you", false);
        break;
      default: break;
    }
    redraw();
  }

  void onMessage(const client::Message& m) {
    const auto tab = model_.applyMessage(m, std::time(nullptr));
    if (tab && m.type != client::MessageType::Error && m.hasContent() && m.from) {
      const std::string name = model_.nameOf(m.from->bare());
      logLine("message from " + m.from->full() + ": " + m.body);
      const bool visible = model_.active() == tab;
      if (!visible)
        setNotice("New message from " + name + " (tab " + std::to_string(*tab + 1) + ")", false);
      alert(settings_.alertMessage, name + " says:", m.body, !visible);
    }
    redraw();
  }

  // Bell (when sound is on) and a desktop notification, as the settings say.
  void alert(bool enabled, const std::string& title, const std::string& body, bool desktop = true) {
    if (!enabled) return;
    if (settings_.sound) view_.bell();
    if (desktop) notifier_.notify(title, body);
  }

  // ---- keys -----------------------------------------------------------------------------------
  void waitInput() {
    input_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [this](const boost::system::error_code& ec) {
                        if (ec || stopped_) return;
                        readKeys();
                        if (!stopped_) waitInput();
                      });
  }

  void readKeys() {
    bool any = false;
    while (auto key = view_.readKey()) {
      // Our own resizeterm() queues KEY_RESIZE: not a key the user pressed.
      if (!(key->function && key->code == KEY_RESIZE)) any = true;
      if (traceKeys_) {
        logLine("key " + std::string(key->function ? "F" : "") + std::to_string(key->code));
      }
      onKey(*key);
      if (stopped_ || quitting_) break;
    }
    if (any) {
      if (auto back = idle_.activity(Clock::now())) {
        announce(*back);
        setNotice("Welcome back: you are " + std::string(statusLabel(*back)) + " again", false);
        logLine("activity: back to " + std::string(statusName(*back)));
      }
      scheduleTick();
    }
    if (!stopped_) draw();
  }

  void onKey(const Key& key) {
    if (state_.help && !(key.function && key.code == KEY_RESIZE)) {
      state_.help = false;  // any key closes the help
      return;
    }
    if (key.function) {
      switch (key.code) {
        case KEY_RESIZE: break;  // curses has resized itself already: the redraw follows
        case KEY_F(1): state_.help = true; break;
        case KEY_UP: model_.moveSelection(-1); break;
        case KEY_DOWN: model_.moveSelection(1); break;
        case KEY_PPAGE: state_.scroll += std::max(1, view_.conversationLines() - 2); break;
        case KEY_NPAGE:
          state_.scroll = std::max(0, state_.scroll - std::max(1, view_.conversationLines() - 2));
          break;
        case KEY_BTAB: switchTab(-1); break;
        case KEY_LEFT:
          if (state_.cursor > 0) --state_.cursor;
          break;
        case KEY_RIGHT:
          if (state_.cursor < state_.input.size()) ++state_.cursor;
          break;
        case KEY_HOME: state_.cursor = 0; break;
        case KEY_END: state_.cursor = state_.input.size(); break;
        case KEY_BACKSPACE: backspace(); break;
        case KEY_DC:
          if (state_.cursor < state_.input.size()) state_.input.erase(state_.cursor, 1);
          break;
        case KEY_ENTER: submit(); break;
        default: break;
      }
      return;
    }
    const unsigned c = key.code;
    if (c == 27) {  // Esc: Alt-<digit> switches tabs; a lone Esc clears the notice
      auto next = view_.readKey();
      if (next && !next->function && next->code >= '1' && next->code <= '9') {
        const std::size_t tab = next->code - '1';
        if (tab < model_.conversations().size()) {
          model_.activate(tab);
          state_.scroll = 0;
        }
      } else {
        state_.notice.clear();
        if (next) onKey(*next);
      }
      return;
    }
    if (c == '\r' || c == '\n') return submit();
    if (c == '\t' || c == ctrl('N')) return switchTab(1);
    if (c == ctrl('P')) return switchTab(-1);
    if (c == 127 || c == ctrl('H')) return backspace();
    if (c == ctrl('A')) {
      state_.cursor = 0;
    } else if (c == ctrl('E')) {
      state_.cursor = state_.input.size();
    } else if (c == ctrl('U')) {
      state_.input.erase(0, state_.cursor);
      state_.cursor = 0;
    } else if (c == ctrl('W')) {
      std::size_t start = state_.cursor;
      while (start > 0 && state_.input[start - 1] == U' ') --start;
      while (start > 0 && state_.input[start - 1] != U' ') --start;
      state_.input.erase(start, state_.cursor - start);
      state_.cursor = start;
    } else if (c == ctrl('L')) {
      view_.forceRepaint();
    } else if (c >= 0x20 && state_.input.size() < 4000) {
      state_.input.insert(state_.cursor, 1, static_cast<char32_t>(c));
      ++state_.cursor;
    }
  }

  void backspace() {
    if (state_.cursor == 0) return;
    state_.input.erase(state_.cursor - 1, 1);
    --state_.cursor;
  }

  void switchTab(int delta) {
    if (delta > 0) {
      model_.nextTab();
    } else {
      model_.previousTab();
    }
    state_.scroll = 0;
  }

  // ---- commands ---------------------------------------------------------------------------------
  void submit() {
    const std::string line = encodeUtf8(state_.input);
    state_.input.clear();
    state_.cursor = 0;
    if (line.find_first_not_of(" \t") == std::string::npos) {
      openSelected();
      return;
    }
    auto cmd = parseCommand(line);
    if (!cmd) {
      setNotice(cmd.error(), true);
      return;
    }
    state_.notice.clear();
    execute(*cmd);
  }

  void openSelected() {
    const auto jid = model_.selectedJid();
    if (!jid) return;
    if (std::find(model_.requests().begin(), model_.requests().end(), *jid) !=
        model_.requests().end()) {
      // A request: prefill the answer instead of opening a conversation.
      state_.input = decodeUtf8("/approve " + jid->bareString());
      state_.cursor = state_.input.size();
      setNotice("Enter approves; change it to /deny to refuse", false);
      return;
    }
    model_.activate(model_.openChat(*jid));
    state_.scroll = 0;
  }

  std::optional<std::size_t> activeTab(const char* what) {
    if (auto tab = model_.active()) return tab;
    setNotice(std::string("open a conversation first ") + what, true);
    return std::nullopt;
  }

  void say(std::size_t tab, const std::string& text) {
    const Conversation& c = model_.conversations()[tab];
    const std::time_t now = std::time(nullptr);
    if (c.kind == Conversation::Kind::Room) {
      if (client_.sendRoomMessage(c.jid, text).empty()) {
        model_.addSystem(tab, "not connected: not sent", now, Entry::Kind::Error);
      }
      return;  // the room echoes it back
    }
    client::Message m;
    m.to = c.jid;
    m.type = client::MessageType::Chat;
    m.body = text;
    m.chatState = client::ChatState::Active;
    if (client_.sendMessage(m).empty()) {
      model_.addSystem(tab, "not connected: not sent", now, Entry::Kind::Error);
      return;
    }
    model_.addOutgoing(tab, text, now);
    logLine("sent to " + c.jid.bareString() + ": " + text);
  }

  void execute(const Command& cmd) {
    switch (cmd.kind) {
      case CommandKind::Say: {
        auto tab = activeTab("(select a contact and press Enter)");
        if (tab) say(*tab, cmd.text);
        break;
      }
      case CommandKind::Open: {
        const std::size_t tab = model_.openChat(*cmd.jid);
        model_.activate(tab);
        state_.scroll = 0;
        if (!cmd.text.empty()) say(tab, cmd.text);
        break;
      }
      case CommandKind::Add: {
        const Jid jid = *cmd.jid;
        client_.addContact(
            jid, cmd.text, {}, [this, jid](Expected<bool, client::StanzaErrorInfo> r) {
              if (r) {
                setNotice("Added " + jid.bareString() + "; waiting for them to approve", false);
              } else {
                setNotice("could not add " + jid.bareString() + ": " + r.error().describe(), true);
              }
              redraw();
            });
        // Adding someone who asked us answers their request too.
        if (std::find(model_.requests().begin(), model_.requests().end(), jid) !=
            model_.requests().end()) {
          client_.approveSubscription(jid);
          model_.dropRequest(jid);
        }
        setNotice("Adding " + jid.bareString() + "...", false);
        break;
      }
      case CommandKind::Remove: {
        const Jid jid = *cmd.jid;
        client_.removeContact(jid, [this, jid](Expected<bool, client::StanzaErrorInfo> r) {
          setNotice(r ? "Removed " + jid.bareString()
                      : "could not remove " + jid.bareString() + ": " + r.error().describe(),
                    !r);
          redraw();
        });
        break;
      }
      case CommandKind::Approve:
        client_.approveSubscription(*cmd.jid);
        model_.dropRequest(*cmd.jid);
        setNotice(cmd.jid->bareString() + " can now see your status", false);
        break;
      case CommandKind::Deny:
        client_.denySubscription(*cmd.jid);
        model_.dropRequest(*cmd.jid);
        setNotice("Refused " + cmd.jid->bareString(), false);
        break;
      case CommandKind::SetStatus:
        statusText_ = cmd.text;
        announce(idle_.setManual(cmd.status, Clock::now()));
        setNotice("You are " + std::string(statusLabel(cmd.status)), false);
        scheduleTick();
        break;
      case CommandKind::Join: {
        const Jid room = *cmd.jid;
        const std::string nick = cmd.text.empty() ? client_.options().jid.local() : cmd.text;
        const std::size_t tab = model_.openRoom(room, nick);
        model_.activate(tab);
        state_.scroll = 0;
        model_.addSystem(tab, "Joining " + room.bareString() + " as " + nick + "...",
                         std::time(nullptr));
        client_.joinRoom(room, nick, std::nullopt,
                         [this, room](Expected<bool, client::StanzaErrorInfo> r) {
                           if (r) return;
                           if (auto t = model_.find(room)) {
                             model_.addSystem(*t, "could not join: " + r.error().describe(),
                                              std::time(nullptr), Entry::Kind::Error);
                           }
                           redraw();
                         });
        break;
      }
      case CommandKind::Part: {
        auto tab = model_.active();
        if (!tab || model_.conversations()[*tab].kind != Conversation::Kind::Room) {
          setNotice("/part leaves the group conversation of the current tab", true);
          break;
        }
        client_.leaveRoom(model_.conversations()[*tab].jid);
        model_.close(*tab);
        break;
      }
      case CommandKind::SendFile: sendFile(cmd.text); break;
      case CommandKind::Close: {
        auto tab = model_.active();
        if (!tab) break;
        const Conversation& c = model_.conversations()[*tab];
        if (c.kind == Conversation::Kind::Room) client_.leaveRoom(c.jid);
        model_.close(*tab);
        state_.scroll = 0;
        break;
      }
      case CommandKind::Quit: quit(); break;
      case CommandKind::Help: state_.help = true; break;
    }
  }

  void sendFile(const std::string& pathText) {
    auto tab = activeTab("to send a file");
    if (!tab) return;
    const std::filesystem::path path = expandHome(pathText);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      setNotice("no such file: " + pathText, true);
      return;
    }
    const Jid to = model_.conversations()[*tab].jid;
    const bool room = model_.conversations()[*tab].kind == Conversation::Kind::Room;
    const std::string name = path.filename().string();
    setNotice("Uploading " + name + "...", false);
    client_.sendFile(to, path, [this, to, room, name](Expected<std::string, std::string> r) {
      auto t = model_.find(to);
      if (!r) {
        setNotice("could not send " + name + ": " + r.error(), true);
        if (t) {
          model_.addSystem(*t, "could not send " + name + ": " + r.error(), std::time(nullptr),
                           Entry::Kind::Error);
        }
      } else {
        setNotice("Sent " + name, false);
        if (t && !room) model_.addOutgoing(*t, "sent a file: " + *r, std::time(nullptr));
        logLine("sent file " + name + " to " + to.bareString() + ": " + *r);
      }
      redraw();
    });
  }

  // Tells the server (and the rooms we are in) our status.
  void announce(Status status) {
    client_.sendPresence(presenceFor(status, statusText_));
    if (status != Status::Offline) {
      for (const auto& [room, nick] : client_.joinedRooms()) {
        client::Presence p = presenceFor(status, statusText_);
        p.to = room.withResource(nick);
        if (p.to) client_.sendPresence(p);
      }
    }
    logLine("status " + std::string(statusName(status)));
  }

  // ---- time -------------------------------------------------------------------------------------
  void scheduleTick() {
    auto next = Clock::now() + std::chrono::seconds(1);
    if (auto deadline = idle_.nextDeadline(); deadline && *deadline < next) next = *deadline;
    ticker_.expires_at(next);
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      onTick();
      scheduleTick();
    });
  }

  void onTick() {
    const auto now = Clock::now();
    bool changed = false;
    if (auto away = idle_.tick(now)) {
      announce(*away);
      logLine("idle: away");
      changed = true;
    }
    if (!state_.notice.empty() && now >= noticeUntil_) {
      state_.notice.clear();
      changed = true;
    }
    notifier_.reap();
    if (changed) draw();
  }

  // ---- drawing and lifecycle -------------------------------------------------------------------
  void setNotice(const std::string& text, bool error) {
    state_.notice = text;
    state_.noticeIsError = error;
    noticeUntil_ = Clock::now() + kNoticeFor;
  }

  // Coalesces the redraws of a burst of stanzas into one.
  void redraw() {
    if (drawPending_ || stopped_) return;
    drawPending_ = true;
    asio::post(io_, [this] {
      drawPending_ = false;
      if (!stopped_) draw();
    });
  }

  void draw() {
    state_.status = idle_.effective();
    state_.autoAway = idle_.autoAway();
    state_.statusText = statusText_;
    view_.draw(model_, state_, emoticons_);
  }

  void waitWinch() {
    winch_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec || stopped_) return;
      view_.resize();
      draw();
      waitWinch();
    });
  }

  void quit() {
    if (quitting_) return;
    quitting_ = true;
    logLine("quitting");
    state_.connection = "signing out";
    draw();
    // A server that does not answer the closing tag must not keep us here.
    quitTimer_.expires_after(std::chrono::seconds(3));
    quitTimer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) stop();
    });
    client_.disconnect();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    signals_.cancel();
    winch_.cancel();
    ticker_.cancel();
    quitTimer_.cancel();
    boost::system::error_code ignored;
    input_.cancel(ignored);
    io_.stop();
  }

  void logLine(const std::string& text) {
    if (!log_.is_open()) return;
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    log_ << stamp << ' ' << safeLine(text) << '\n';
    log_.flush();
  }

  asio::io_context& io_;
  client::MessengerSettings settings_;
  std::ofstream log_;
  CursesView view_;  // before the client: the screen outlives every callback that draws
  ChatModel model_;
  client::Client client_;
  IdleTracker idle_;
  Emoticons emoticons_;
  Notifier notifier_;
  ViewState state_;
  std::string statusText_;
  asio::signal_set signals_;
  asio::signal_set winch_;
  asio::steady_timer ticker_;
  asio::steady_timer quitTimer_;
  asio::posix::stream_descriptor input_;
  Clock::time_point noticeUntil_{};
  Clock::time_point quietUntil_{};
  bool traceKeys_ = false;  // --debug with --log: every key read goes to the log
  bool drawPending_ = false;
  bool quitting_ = false;
  bool stopped_ = false;
  int exitCode_ = 0;
  std::string exitMessage_;
};

}  // namespace

bool checkTerminal() {
  if (::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)) return true;
  std::fprintf(stderr,
               "telex: chat needs a terminal (use `telex send` or `telex watch` in scripts)\n");
  return false;
}

int runChat(client::ClientOptions options, const client::Settings& settings, const ChatFlags& flags,
            bool debug) {
  if (!checkTerminal()) return kExitUsage;
  options.reconnect = true;
  options.pingInterval = std::chrono::milliseconds(static_cast<long>(flags.keepalive * 1000));
  int code = 0;
  std::string message;
  {
    asio::io_context io;
    std::unique_ptr<ChatApp> app;
    try {
      app = std::make_unique<ChatApp>(io, std::move(options), settings, flags, debug);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "telex: %s\n", e.what());
      return kExitUsage;
    }
    code = app->run();
    message = app->exitMessage();
  }  // the screen is given back here, so the message below lands on a normal terminal
  if (!message.empty()) std::fprintf(stderr, "telex: %s\n", safeLine(message).c_str());
  return code;
}

}  // namespace telex::chat
