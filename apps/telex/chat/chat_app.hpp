// `telex chat`: the full-screen Messenger. Wires the client library, the chat model, the idle
// tracker and the curses view onto one Asio io_context (stdin is watched as a descriptor).
#pragma once

#include <string>

#include "client/client.hpp"
#include "client/settings.hpp"

namespace telex::chat {

struct ChatFlags {
  std::string logFile;    // append events (and with debug, the XML) here; the screen is curses'
  double keepalive = 60;  // seconds between keepalive pings
};

// stdin and stdout are a terminal; else prints why on stderr (check before asking a password).
bool checkTerminal();

// Exit codes: 0 after /quit or SIGINT/SIGTERM, 2 when there is no terminal, 3 when signing in
// cannot succeed (wrong password, untrusted certificate...).
int runChat(client::ClientOptions options, const client::Settings& settings, const ChatFlags& flags,
            bool debug);

}  // namespace telex::chat
